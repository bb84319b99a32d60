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
    config.listeners.mqtt_v3 = Some("127.0.0.1:0".into());
    config.listeners.mqtt_v2 = Some("127.0.0.1:0".into());
    config.listeners.tabs_hubs = Some("127.0.0.1:0".into());
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

/// The demo gateway publishes an uplink with Debian's `mosquitto_pub` to the MQTT v3 listener,
/// authenticated with its LNS key; it comes out as a JSON line. Skipped when the client is not
/// installed, unless `CI` is set (`.ci/run` installs it).
#[tokio::test]
async fn mqtt_v3_uplink_from_mosquitto_pub_becomes_a_json_line() {
    use loragw_ttnpb::prost::Message as _;

    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|p| p.join("mosquitto_pub").is_file()))
        .unwrap_or(false);
    if !found {
        assert!(std::env::var_os("CI").is_none(), "CI needs mosquitto_pub");
        eprintln!("mosquitto_pub not installed: skipping");
        return;
    }
    let mut server = gateway_server::start(demo_on_port_zero()).await.unwrap();
    let port = server.local_addr(ListenerKind::MqttV3).unwrap().port();
    assert!(server.local_addr(ListenerKind::MqttV2).is_some());

    let uplink = loragw_ttnpb::UplinkMessage {
        raw_payload: vec![0x40, 1, 2, 3, 4, 0, 1, 0, 1, 0xAA, 0xBB, 0xCC, 0xDD],
        settings: Some(loragw_ttnpb::TxSettings {
            data_rate: Some(loragw_ttnpb::DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: 42,
            ..Default::default()
        }),
        rx_metadata: vec![loragw_ttnpb::RxMetadata {
            gateway_ids: Some(loragw_ttnpb::GatewayIdentifiers {
                gateway_id: gateway_server::DEMO_GATEWAY_ID.into(),
                eui: Vec::new(),
            }),
            timestamp: 42,
            rssi: -70.0,
            channel_rssi: -70.0,
            snr: 8.5,
            ..Default::default()
        }],
        ..Default::default()
    };
    let file = std::env::temp_dir().join(format!("loragw-example-up-{}.bin", std::process::id()));
    std::fs::write(&file, uplink.encode_to_vec()).unwrap();
    let topic = format!("v3/{}/up", gateway_server::DEMO_GATEWAY_ID);
    let publish = tokio::process::Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-V",
            "mqttv311",
            "-q",
            "1",
        ])
        .args([
            "-u",
            gateway_server::DEMO_GATEWAY_ID,
            "-P",
            gateway_server::DEMO_LNS_KEY,
        ])
        .args(["-t", &topic, "-f", file.to_str().unwrap()])
        .kill_on_drop(true)
        .output();
    let out = timeout(STEP, publish).await.unwrap().unwrap();
    std::fs::remove_file(&file).ok();
    assert!(out.status.success(), "mosquitto_pub: {out:?}");

    let mut lines = Vec::new();
    while lines.len() < 2 {
        let event = timeout(STEP, server.next_event()).await.unwrap().unwrap();
        lines.push(gateway_server::event_json(&event));
    }
    assert_eq!(lines[0]["event"], "connected");
    assert_eq!(lines[0]["gateway_id"], gateway_server::DEMO_GATEWAY_ID);
    let line = &lines[1];
    assert_eq!(line["event"], "uplink");
    assert_eq!(line["gateway_id"], gateway_server::DEMO_GATEWAY_ID);
    assert_eq!(line["message"]["raw_payload"], "QAECAwQAAQABqrvM3Q==");
    assert_eq!(line["message"]["settings"]["frequency"], "868100000");
    assert_eq!(
        line["message"]["settings"]["data_rate"]["lora"]["spreading_factor"],
        7
    );
}
