//! TLS over loopback: Basics Station discovery over `wss://` with a self-signed certificate
//! generated at test time and loaded from PEM files, as a deployment would.

#![cfg(all(feature = "tls", feature = "lbs"))]
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use loragw_gateway_io::transport::lbs::LbsSettings;
use loragw_gateway_io::transport::tls::TlsConfig;
use loragw_gateway_io::transport::{GatewayServer, ListenerKind};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::client_async;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use common::*;

/// A self-signed certificate for `localhost`, loaded from PEM files as a deployment would,
/// and a client configuration trusting exactly that certificate.
fn certificate(name: &str) -> (TlsConfig, TlsConnector) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = std::env::temp_dir().join(format!("loragw-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, certified.cert.pem()).unwrap();
    std::fs::write(&key_path, certified.signing_key.serialize_pem()).unwrap();
    let tls = TlsConfig::from_pem_files(&cert_path, &key_path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(certified.cert.der().to_vec()))
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (tls, TlsConnector::from(Arc::new(config)))
}

#[tokio::test]
async fn discovery_over_wss_answers_a_wss_traffic_uri() {
    let (tls, connector) = certificate("wss");

    let server = GatewayServer::builder()
        .registry(registry())
        .basic_station_tls("127.0.0.1:0", LbsSettings::default(), tls)
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::BasicStationTls).unwrap();

    let session = async {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let tls = connector
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        let request = format!("wss://localhost:{}/router-info", addr.port())
            .into_client_request()
            .unwrap();
        let (mut ws, _) = client_async(request, tls).await.unwrap();
        ws.send(Message::text(r#"{"router":"01-02-03-04-05-06-07-08"}"#))
            .await
            .unwrap();
        ws.next().await.unwrap().unwrap()
    };
    let answer = timeout(STEP, session).await.unwrap();
    let answer: serde_json::Value = serde_json::from_str(answer.to_text().unwrap()).unwrap();
    assert_eq!(
        answer["uri"],
        format!(
            "wss://localhost:{}/traffic/eui-0102030405060708",
            addr.port()
        ),
        "{answer}"
    );
}

#[test]
fn pem_errors_say_what_is_wrong() {
    let err = TlsConfig::from_pem(b"", b"").unwrap_err();
    assert!(
        err.to_string().contains("private key") || err.to_string().contains("empty"),
        "{err}"
    );
    let err =
        TlsConfig::from_pem_files("/nonexistent/cert.pem", "/nonexistent/key.pem").unwrap_err();
    assert!(err.to_string().contains("/nonexistent/cert.pem"), "{err}");
}

#[cfg(feature = "cups")]
#[tokio::test]
async fn cups_over_https() {
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper_util::rt::TokioIo;
    use loragw_basicstation::cups::{
        Credentials, CupsTarget, NO_CREDENTIALS_CRC, UpdateInfoRequest, UpdateInfoResponse,
    };
    use loragw_gateway_io::registry::GatewayRecord;
    use loragw_gateway_io::transport::cups::CupsSettings;

    let (tls, connector) = certificate("https");
    let settings = CupsSettings::new(|_: &GatewayRecord, _: &UpdateInfoRequest| {
        Some(CupsTarget {
            tc_uri: Some("ws://lns.example.com:1887".into()),
            tc_credentials: Some(Credentials::token(None, LNS_KEY)),
            ..Default::default()
        })
    });
    let server = GatewayServer::builder()
        .registry(registry_with_cups_key())
        .cups_tls("127.0.0.1:0", settings, tls)
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::CupsTls).unwrap();
    let exchange = async {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let stream = connector
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let body = format!(
            r#"{{"router":"01-02-03-04-05-06-07-08","cupsUri":"https://localhost","tcUri":null,"cupsCredCrc":{NO_CREDENTIALS_CRC},"tcCredCrc":{NO_CREDENTIALS_CRC},"station":"2.0.6","model":"rpi","package":null,"keys":[]}}"#
        );
        let request = hyper::Request::post("/update-info")
            .header("host", "localhost")
            .header("authorization", CUPS_KEY)
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), 200);
        response.into_body().collect().await.unwrap().to_bytes()
    };
    let body = timeout(STEP, exchange).await.unwrap();
    let response = UpdateInfoResponse::decode(&body).unwrap();
    assert_eq!(
        response.tc_uri.as_deref(),
        Some("ws://lns.example.com:1887")
    );
}
