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

/// Tabs Hubs over TLS (The Things Stack's port 8888): discovery answers `wss://`, and a hub
/// with its key gets its `router_config` over the encrypted traffic socket.
#[tokio::test]
async fn tabs_hubs_over_wss() {
    use loragw_gateway_io::transport::tabs::TabsSettings;

    let (tls, connector) = certificate("tabs");
    let server = GatewayServer::builder()
        .registry(registry())
        .tabs_hubs_tls("127.0.0.1:0", TabsSettings::default(), tls)
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::TabsHubsTls).unwrap();
    let open = |path: String, key: Option<&'static str>| {
        let connector = connector.clone();
        async move {
            let tcp = TcpStream::connect(addr).await.unwrap();
            let tls = connector
                .connect(ServerName::try_from("localhost").unwrap(), tcp)
                .await
                .unwrap();
            let mut request = format!("wss://localhost:{}{path}", addr.port())
                .into_client_request()
                .unwrap();
            if let Some(key) = key {
                request
                    .headers_mut()
                    .insert("authorization", key.parse().unwrap());
            }
            client_async(request, tls).await.unwrap().0
        }
    };
    let session = async {
        let mut ws = open("/router-info".into(), None).await;
        ws.send(Message::text(r#"{"router":"0102:0304:0506:0708"}"#))
            .await
            .unwrap();
        let discovery = ws.next().await.unwrap().unwrap();
        let mut ws = open(format!("/traffic/eui-{GW_EUI:016X}"), Some(LNS_KEY)).await;
        ws.send(Message::text(
            r#"{"msgtype":"version","station":"test","firmware":"2.0.0"}"#,
        ))
        .await
        .unwrap();
        let config = ws.next().await.unwrap().unwrap();
        (discovery, config)
    };
    let (discovery, config) = timeout(STEP, session).await.unwrap();
    let discovery: serde_json::Value = serde_json::from_str(discovery.to_text().unwrap()).unwrap();
    assert_eq!(
        discovery["uri"],
        format!(
            "wss://localhost:{}/traffic/eui-0102030405060708",
            addr.port()
        )
    );
    let config: serde_json::Value = serde_json::from_str(config.to_text().unwrap()).unwrap();
    assert_eq!(config["msgtype"], "router_config");
    assert_eq!(config["config"]["region"], "EU863/tracknet");
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

/// A station on the plain listener, then on the TLS listener: the plain connection is closed
/// (`Replaced`) as soon as the TLS one is up; once the TLS one closes nothing is left and
/// downlinks are refused "not connected". A client that never starts its TLS handshake is cut
/// at the handshake deadline.
#[tokio::test]
async fn a_station_moving_from_plain_to_tls_replaces_its_plain_connection() {
    use loragw_gateway_io::event::{DisconnectReason, GatewayEvent};
    use loragw_gateway_io::transport::TcpLimits;
    use tokio::io::AsyncReadExt;

    let (tls, connector) = certificate("move");
    let mut limits = TcpLimits::default();
    limits.handshake_timeout = std::time::Duration::from_millis(500);
    let mut server = GatewayServer::builder()
        .registry(registry())
        .basic_station("127.0.0.1:0")
        .basic_station_tls(
            "127.0.0.1:0",
            LbsSettings::default().with_limits(limits),
            tls,
        )
        .start()
        .await
        .unwrap();
    let plain = server.local_addr(ListenerKind::BasicStation).unwrap();
    let secure = server.local_addr(ListenerKind::BasicStationTls).unwrap();
    let path = format!("/traffic/eui-{GW_EUI:016X}");
    let mut next = async || timeout(STEP, server.next_event()).await.unwrap().unwrap();

    let mut request = format!("ws://{plain}{path}").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", LNS_KEY.parse().unwrap());
    let (mut old, _) = client_async(request, TcpStream::connect(plain).await.unwrap())
        .await
        .unwrap();
    assert!(matches!(next().await, GatewayEvent::Connected { .. }));

    let tcp = TcpStream::connect(secure).await.unwrap();
    let stream = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let mut request = format!("wss://localhost:{}{path}", secure.port())
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", LNS_KEY.parse().unwrap());
    let (mut new, _) = client_async(request, stream).await.unwrap();
    // The plain connection is closed by the server.
    loop {
        match timeout(STEP, old.next()).await.unwrap() {
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
            Some(Ok(_)) => {}
        }
    }
    let (mut connected, mut replaced) = (false, false);
    while !(connected && replaced) {
        match next().await {
            GatewayEvent::Connected { .. } => connected = true,
            GatewayEvent::Disconnected { reason, .. } => {
                assert_eq!(reason, DisconnectReason::Replaced);
                replaced = true;
            }
            other => panic!("{other:?}"),
        }
    }
    new.close(None).await.unwrap();
    match next().await {
        GatewayEvent::Disconnected { reason, .. } => {
            assert_eq!(reason, DisconnectReason::ClosedByGateway)
        }
        other => panic!("{other:?}"),
    }
    let refused = server
        .send_downlink(&gateway_ids(), Default::default())
        .await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("not connected")),
        "{refused:?}"
    );

    // Silence instead of a ClientHello: cut at the deadline, counted.
    let started = std::time::Instant::now();
    let mut silent = TcpStream::connect(secure).await.unwrap();
    let mut buf = [0u8; 16];
    let n = timeout(STEP, silent.read(&mut buf)).await.unwrap();
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(450),
        "{waited:?}"
    );
    assert_eq!(server.stats().refused_handshake_timeout, 1);
}

/// The same gateway on the plain MQTT v3 listener, then on the TLS one: the plain connection
/// is closed (`Replaced`); once the TLS one closes nothing is left.
#[cfg(feature = "mqtt-server")]
#[tokio::test]
async fn an_mqtt_gateway_moving_from_plain_to_tls_replaces_its_plain_connection() {
    use bytes::BytesMut;
    use loragw_gateway_io::event::{DisconnectReason, GatewayEvent};
    use loragw_gateway_io::frontend::mqtt::MqttVersion;
    use loragw_gateway_io::transport::mqtt_server::MqttSettings;
    use rumqttc::mqttbytes::v4::{Connect, Packet};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (tls, connector) = certificate("mqtt");
    let mut server = GatewayServer::builder()
        .registry(registry())
        .mqtt_v3("127.0.0.1:0")
        .mqtt_tls("127.0.0.1:0", MqttSettings::new(MqttVersion::V3), tls)
        .start()
        .await
        .unwrap();
    let plain = server.local_addr(ListenerKind::MqttV3).unwrap();
    let secure = server.local_addr(ListenerKind::MqttV3Tls).unwrap();
    let mut connect_bytes = BytesMut::new();
    let mut connect = Connect::new("c");
    connect.keep_alive = 60;
    connect.set_login(GW_ID, LNS_KEY);
    Packet::Connect(connect)
        .write(&mut connect_bytes, 1 << 16)
        .unwrap();
    const CONNACK_OK: [u8; 4] = [0x20, 0x02, 0x00, 0x00];

    let mut old = TcpStream::connect(plain).await.unwrap();
    old.write_all(&connect_bytes).await.unwrap();
    let mut ack = [0u8; 4];
    timeout(STEP, old.read_exact(&mut ack))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ack, CONNACK_OK);
    let mut next = async || timeout(STEP, server.next_event()).await.unwrap().unwrap();
    assert!(matches!(next().await, GatewayEvent::Connected { .. }));

    let tcp = TcpStream::connect(secure).await.unwrap();
    let mut new = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    new.write_all(&connect_bytes).await.unwrap();
    timeout(STEP, new.read_exact(&mut ack))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ack, CONNACK_OK);
    // The plain connection is closed by the server.
    let mut rest = [0u8; 16];
    let n = timeout(STEP, old.read(&mut rest)).await.unwrap();
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    let (mut connected, mut replaced) = (false, false);
    while !(connected && replaced) {
        match next().await {
            GatewayEvent::Connected { .. } => connected = true,
            GatewayEvent::Disconnected { reason, .. } => {
                assert_eq!(reason, DisconnectReason::Replaced);
                replaced = true;
            }
            other => panic!("{other:?}"),
        }
    }
    // DISCONNECT on the TLS connection: gone, and no stale route.
    new.write_all(&[0xE0, 0x00]).await.unwrap();
    match next().await {
        GatewayEvent::Disconnected { reason, .. } => {
            assert_eq!(reason, DisconnectReason::ClosedByGateway)
        }
        other => panic!("{other:?}"),
    }
    let refused = server
        .send_downlink(&gateway_ids(), Default::default())
        .await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("not connected")),
        "{refused:?}"
    );
}
