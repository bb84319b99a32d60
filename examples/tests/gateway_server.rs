//! The `gateway-server` core on port 0: a Semtech UDP uplink comes out as a JSON line, a
//! downlink line is parsed, and CUPS hands the demo gateway its LNS key.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use loragw_examples::gateway_server::{self, ServerConfig};
use loragw_gateway_io::transport::ListenerKind;
use tokio::net::UdpSocket;
use tokio::time::timeout;

const STEP: Duration = Duration::from_secs(10);

fn demo_on_port_zero() -> ServerConfig {
    let mut config = ServerConfig::demo();
    config.listeners.udp = Some("127.0.0.1:0".into());
    config.listeners.lbs = Some("127.0.0.1:0".into());
    config.listeners.cups = Some("127.0.0.1:0".into());
    config
}

#[tokio::test]
async fn udp_uplink_becomes_a_json_line() {
    let mut server = gateway_server::start(demo_on_port_zero()).await.unwrap();
    assert!(server.local_addr(ListenerKind::BasicStation).is_some());
    assert!(server.local_addr(ListenerKind::Cups).is_some());
    let addr = server.local_addr(ListenerKind::Udp).unwrap();

    // An unregistered forwarder (the demo accepts any) pushes one rxpk.
    let gateway = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut push = vec![
        2, 0xAB, 0xCD, 0x00, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x00, 0x11,
    ];
    push.extend_from_slice(
        br#"{"rxpk":[{"tmst":1000,"chan":0,"rfch":0,"freq":868.3,"stat":1,"modu":"LORA","datr":"SF9BW125","codr":"4/5","lsnr":7.0,"rssi":-80,"size":4,"data":"AQIDBA=="}]}"#,
    );
    gateway.send_to(&push, addr).await.unwrap();

    let mut lines = Vec::new();
    while lines.len() < 2 {
        let event = timeout(STEP, server.next_event()).await.unwrap().unwrap();
        lines.push(gateway_server::event_json(&event));
    }
    assert_eq!(lines[0]["event"], "connected");
    assert_eq!(lines[0]["gateway_id"], "eui-aabbccddeeff0011");
    assert_eq!(lines[0]["eui"], "AABBCCDDEEFF0011");
    let uplink = &lines[1];
    assert_eq!(uplink["event"], "uplink");
    assert_eq!(uplink["protocol"], "udp/v2");
    assert_eq!(uplink["message"]["raw_payload"], "AQIDBA==");
    assert_eq!(uplink["message"]["settings"]["frequency"], "868300000");
}

#[test]
fn downlink_lines_parse() {
    let (gateway, message) = gateway_server::parse_downlink(
        r#"{"gateway_id":"demo-gateway","downlink":{"raw_payload":"YAQDAgEAAQCqu8zd","scheduled":{"frequency":"869525000","timestamp":1000000}}}"#,
    )
    .unwrap();
    assert_eq!(gateway.gateway_id, "demo-gateway");
    assert_eq!(message.raw_payload.len(), 12);
    assert!(gateway_server::parse_downlink(r#"{"gateway_id":"x"}"#).is_err());
}

#[test]
fn config_files_parse_and_reject_typos() {
    let config = ServerConfig::from_toml(
        r#"
[listeners]
udp = ""
[[registry.gateway]]
id = "gw-one"
frequency_plans = ["EU_863_870"]
"#,
    )
    .unwrap();
    assert_eq!(config.listeners.udp.as_deref(), Some(""));
    assert_eq!(config.registry.gateways.len(), 1);
    assert!(ServerConfig::from_toml("[listener]\nudp = \"x\"").is_err());
}
