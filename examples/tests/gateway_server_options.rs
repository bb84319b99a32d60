//! The config's knobs reach the listeners: TCP bounds of `[limits]` and the MQTT publish rate of
//! `[mqtt]`.

#![allow(clippy::unwrap_used)]

mod gateway_server_support;

use gateway_server_support::*;
use loragw_examples::gateway_server::{self, ServerConfig};
use loragw_gateway_io::transport::ListenerKind;
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpStream;

#[tokio::test]
async fn limits_from_the_config_bound_the_tcp_listeners() {
    let config = ServerConfig::from_toml(
        r#"
[listeners]
udp = ""
lbs = ""
cups = ""
mqtt_v2 = ""
tabs_hubs = ""
mqtt_v3 = "127.0.0.1:0"

[limits]
max_connections_per_ip = 1
handshake_timeout_secs = 1
"#,
    )
    .unwrap();
    let server = gateway_server::start(config).await.unwrap();
    let addr = server.local_addr(ListenerKind::MqttV3).unwrap();
    let mut first = TcpStream::connect(addr).await.unwrap();
    // Give the listener time to count the first connection before the second arrives.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let mut second = TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 8];
    // The second connection from this address is closed at once.
    let n = tokio::time::timeout(STEP, second.read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0);
    // The first, which never sends CONNECT, is cut at the 1-second handshake deadline (the
    // default is 10 s, past this test's step timeout).
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), first.read(&mut buf))
        .await
        .expect("cut at the configured handshake deadline")
        .unwrap_or(0);
    assert_eq!(n, 0);
    let stats = server.stats();
    assert_eq!(stats.refused_address_full, 1);
    assert_eq!(stats.refused_handshake_timeout, 1);
}

#[tokio::test]
async fn a_half_publish_rate_is_refused() {
    let config = ServerConfig::from_toml("[mqtt]\npublish_rate = 5\n").unwrap();
    let err = gateway_server::start(config).await.unwrap_err().to_string();
    assert!(err.contains("publish_burst"), "{err}");
}
