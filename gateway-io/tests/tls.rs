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

#[tokio::test]
async fn discovery_over_wss_answers_a_wss_traffic_uri() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = std::env::temp_dir().join(format!("loragw-tls-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, certified.cert.pem()).unwrap();
    std::fs::write(&key_path, certified.signing_key.serialize_pem()).unwrap();
    let tls = TlsConfig::from_pem_files(&cert_path, &key_path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let server = GatewayServer::builder()
        .registry(registry())
        .basic_station_tls("127.0.0.1:0", LbsSettings::default(), tls)
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::BasicStationTls).unwrap();

    // A client trusting exactly that certificate.
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
    let connector = TlsConnector::from(Arc::new(config));

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
