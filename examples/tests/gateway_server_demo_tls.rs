//! The demo's TLS listeners: the certificate and CA generated on first start (kept for later
//! starts) let a client that trusts only that CA connect over TLS as the demo's MQTT gateway.
//! Basics Station's `wss://` listener serves the same certificate.

#![allow(clippy::unwrap_used)]

mod gateway_server_support;

use gateway_server_support::*;
use loragw_examples::gateway_server::{self, ServerConfig, demo_tls};
use loragw_gateway_io::transport::ListenerKind;
use loragw_gateway_io::transport::mqtt_client::{ClientTls, MqttClientConfig, MqttLink};

#[tokio::test]
async fn the_generated_ca_lets_a_gateway_connect_over_tls() {
    let dir = TempDir::new("demo-tls");
    let tls = demo_tls::ensure(&dir.0.join("tls")).unwrap();
    let ca = std::fs::read(&tls.ca).unwrap();
    let cert = std::fs::read(&tls.cert).unwrap();
    // Kept: a second start reuses the files.
    let again = demo_tls::ensure(&dir.0.join("tls")).unwrap();
    assert_eq!(again, tls);
    assert_eq!(std::fs::read(&again.ca).unwrap(), ca);
    assert_eq!(std::fs::read(&again.cert).unwrap(), cert);
    // The chain holds the leaf and the CA.
    assert_eq!(
        String::from_utf8_lossy(&cert)
            .matches("BEGIN CERTIFICATE")
            .count(),
        2
    );

    let mut config = ServerConfig::demo_with_tls(&tls);
    assert_eq!(config.listeners.lbs_tls.as_deref(), Some("127.0.0.1:8887"));
    config.listeners = Default::default();
    config.listeners.udp = None;
    config.listeners.lbs = None;
    config.listeners.cups = None;
    config.listeners.mqtt_v3 = None;
    config.listeners.mqtt_v2 = None;
    config.listeners.tabs_hubs = None;
    config.listeners.lbs_tls = Some("127.0.0.1:0".into());
    config.listeners.mqtt_v3_tls = Some("127.0.0.1:0".into());
    let mut server = gateway_server::start(config).await.unwrap();
    assert!(server.local_addr(ListenerKind::BasicStationTls).is_some());
    let port = server.local_addr(ListenerKind::MqttV3Tls).unwrap().port();

    let link = MqttLink::connect(
        MqttClientConfig::new("127.0.0.1", port)
            .credentials(
                gateway_server::DEMO_MQTT_GATEWAY_ID,
                gateway_server::DEMO_MQTT_KEY,
            )
            .tls(ClientTls::from_pem(&ca, None).unwrap()),
        vec![],
    );
    let status = tokio::time::timeout(STEP, link.wait_for(|s| s.connected))
        .await
        .unwrap();
    assert_eq!(status.connections, 1);
    let connected = next_line(&mut server).await;
    assert_eq!(connected["event"], "connected");
    assert_eq!(
        connected["gateway_id"],
        gateway_server::DEMO_MQTT_GATEWAY_ID
    );
}
