//! The four MQTT v3 examples of The Things Stack's gateway documentation, run word for word
//! (only host, port and key filled in) with Debian's mosquitto clients against the demo config,
//! from `examples/data` where the sample files live. The README shows the same commands; this
//! test checks that it does.

#![allow(clippy::unwrap_used)]

mod gateway_server_support;

use gateway_server_support::*;
use loragw_examples::gateway_server::{self, ServerConfig, ttnpb_tool};
use loragw_gateway_io::ids::GatewayIds;
use loragw_gateway_io::transport::ListenerKind;
use loragw_ttnpb::prost::Message as _;
use tokio::io::AsyncReadExt as _;

const UPLINK: &str = r#"GATEWAY_ID="test-gtw@my-tenant"
GATEWAY_API_KEY="NNSXS.VEEBURF3KR77ZR..." # API key with RIGHT_GATEWAY_LINK rights
mosquitto_pub \
    -h "thethings.example.com" -p 1882 \
    -u "$GATEWAY_ID" -P "$GATEWAY_API_KEY" \
    -t "v3/$GATEWAY_ID/up" -f test-uplink-message"#;

const DOWNLINK: &str = r#"GATEWAY_ID="test-gtw@my-tenant"
GATEWAY_API_KEY="NNSXS.VEEBURF3KR77ZR..." # API key with RIGHT_GATEWAY_LINK rights
mosquitto_sub \
    -h "thethings.example.com" -p 1882 \
    -u "$GATEWAY_ID" -P "$GATEWAY_API_KEY" \
    -t "v3/$GATEWAY_ID/down" -v"#;

const STATUS: &str = r#"GATEWAY_ID="test-gtw@my-tenant"
GATEWAY_API_KEY="NNSXS.VEEBURF3KR77ZR..." # API key with RIGHT_GATEWAY_LINK rights
mosquitto_pub \
    -h "thethings.example.com" -p 1882 \
    -u "$GATEWAY_ID" -P "$GATEWAY_API_KEY" \
    -t "v3/$GATEWAY_ID/status" -f test-gateway-status"#;

const TX_ACK: &str = r#"GATEWAY_ID="test-gtw@my-tenant"
GATEWAY_API_KEY="NNSXS.VEEBURF3KR77ZR..." # API key with RIGHT_GATEWAY_LINK rights
mosquitto_pub \
    -h "thethings.example.com" -p 1882 \
    -u "$GATEWAY_ID" -P "$GATEWAY_API_KEY" \
    -t "v3/$GATEWAY_ID/down/ack" -f example-tx-ack"#;

fn data_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// The command with only host, port and key filled in.
fn filled(command: &str, port: u16) -> String {
    let out = command
        .replace("thethings.example.com", "127.0.0.1")
        .replace("-p 1882", &format!("-p {port}"))
        .replace("NNSXS.VEEBURF3KR77ZR...", gateway_server::DEMO_MQTT_KEY);
    // Nothing else changed.
    assert_eq!(out.lines().count(), command.lines().count());
    out
}

fn bash(script: &str) -> tokio::process::Command {
    let mut command = tokio::process::Command::new("bash");
    command
        .args(["-c", script])
        .current_dir(data_dir())
        .kill_on_drop(true);
    command
}

#[test]
fn readme_shows_the_commands_and_the_sample_files_match_their_json() {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"),
    )
    .unwrap();
    for command in [UPLINK, DOWNLINK, STATUS, TX_ACK] {
        let shown = command
            .replace("thethings.example.com", "127.0.0.1")
            .replace("NNSXS.VEEBURF3KR77ZR...", gateway_server::DEMO_MQTT_KEY);
        assert!(readme.contains(&shown), "README lacks:\n{shown}");
    }
    for (file, kind) in [
        (
            "test-uplink-message",
            ttnpb_tool::MessageType::UplinkMessage,
        ),
        (
            "test-gateway-status",
            ttnpb_tool::MessageType::GatewayStatus,
        ),
        ("example-tx-ack", ttnpb_tool::MessageType::TxAcknowledgment),
    ] {
        let json = std::fs::read(data_dir().join(format!("{file}.json"))).unwrap();
        let binary = std::fs::read(data_dir().join(file)).unwrap();
        assert_eq!(
            ttnpb_tool::json_to_binary(kind, &json).unwrap(),
            binary,
            "{file}"
        );
        // And back: the JSON of the binary encodes to the same bytes.
        let again = ttnpb_tool::binary_to_json(kind, &binary).unwrap();
        assert_eq!(
            ttnpb_tool::json_to_binary(kind, &again).unwrap(),
            binary,
            "{file}"
        );
    }
    assert!(
        ttnpb_tool::json_to_binary(ttnpb_tool::MessageType::GatewayDown, b"[1]")
            .unwrap_err()
            .contains("GatewayDown")
    );
}

#[tokio::test]
async fn the_documented_mosquitto_commands_work_as_written() {
    if mosquitto_tools(&["mosquitto_pub", "mosquitto_sub"]).is_none() {
        return;
    }
    let mut config = ServerConfig::demo();
    config.listeners.udp = None;
    config.listeners.lbs = None;
    config.listeners.cups = None;
    config.listeners.mqtt_v2 = None;
    config.listeners.tabs_hubs = None;
    config.listeners.mqtt_v3 = Some("127.0.0.1:0".into());
    let mut server = gateway_server::start(config).await.unwrap();
    let port = server.local_addr(ListenerKind::MqttV3).unwrap().port();
    let gateway = gateway_server::DEMO_MQTT_GATEWAY_ID;

    // Uplink.
    let out = bash(&filled(UPLINK, port)).output().await.unwrap();
    assert!(out.status.success(), "{out:?}");
    let connected = next_line(&mut server).await;
    assert_eq!(connected["event"], "connected");
    assert_eq!(connected["gateway_id"], gateway);
    assert_eq!(connected["tenant_id"], "my-tenant");
    assert_eq!(connected["protocol"], "mqtt-v3");
    let uplink = next_line(&mut server).await;
    assert_eq!(uplink["event"], "uplink");
    assert_eq!(uplink["message"]["raw_payload"], "QAQDAgGAAQABqrvM3REiM0Q=");
    assert_eq!(uplink["message"]["settings"]["frequency"], "868100000");
    assert_eq!(uplink["message"]["rx_metadata"][0]["snr"], 9.5);
    assert_eq!(next_line(&mut server).await["event"], "disconnected");

    // Status.
    let out = bash(&filled(STATUS, port)).output().await.unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(next_line(&mut server).await["event"], "connected");
    let status = next_line(&mut server).await;
    assert_eq!(status["event"], "status");
    assert_eq!(status["status"]["versions"]["firmware"], "1.0.0");
    assert_eq!(status["status"]["ip"][0], "192.0.2.10");
    assert_eq!(next_line(&mut server).await["event"], "disconnected");

    // Downlink: the subscriber prints `topic payload` for the downlink the server sends.
    let mut sub = bash(&filled(DOWNLINK, port))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert_eq!(next_line(&mut server).await["event"], "connected");
    let (_, downlink) = gateway_server::parse_downlink(&format!(
        r#"{{"gateway_id":"{gateway}","downlink":{{"raw_payload":"YAQDAgEAAQCqu8zd","scheduled":{{"data_rate":{{"lora":{{"bandwidth":125000,"spreading_factor":9,"coding_rate":"4/5"}}}},"frequency":"869525000","timestamp":1000000}}}}}}"#
    ))
    .unwrap();
    let ids = GatewayIds::new(gateway, None);
    // The subscription may still be on its way: downlinks wait in the queue until it is.
    server.send_downlink(&ids, downlink).await.unwrap();
    let stdout = sub.stdout.as_mut().unwrap();
    let prefix = format!("v3/{gateway}/down ");
    let mut printed = Vec::new();
    let down = tokio::time::timeout(STEP, async {
        loop {
            let mut chunk = [0u8; 1024];
            let n = stdout.read(&mut chunk).await.unwrap();
            assert!(n > 0, "mosquitto_sub ended");
            printed.extend_from_slice(&chunk[..n]);
            if printed.len() > prefix.len() + 1 && printed.ends_with(b"\n") {
                let payload = &printed[prefix.len()..printed.len() - 1];
                if let Ok(down) = loragw_ttnpb::GatewayDown::decode(payload) {
                    return down;
                }
            }
        }
    })
    .await
    .expect("mosquitto_sub printed the downlink");
    assert!(printed.starts_with(prefix.as_bytes()));
    let message = down.downlink_message.unwrap();
    assert_eq!(
        message.raw_payload,
        [0x60, 4, 3, 2, 1, 0, 1, 0, 0xAA, 0xBB, 0xCC, 0xDD]
    );
    sub.kill().await.unwrap();
    let _ = sub.wait().await;
    // The downlink was not acknowledged before the subscriber went: it fails, and the
    // gateway is gone.
    let failed = next_line(&mut server).await;
    assert_eq!(failed["event"], "tx_ack");
    assert_eq!(failed["failure"], "disconnected: closed by the gateway");
    assert_eq!(next_line(&mut server).await["event"], "disconnected");

    // TX acknowledgement.
    let out = bash(&filled(TX_ACK, port)).output().await.unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(next_line(&mut server).await["event"], "connected");
    let ack = next_line(&mut server).await;
    assert_eq!(ack["event"], "tx_ack");
    assert_eq!(ack["gateway_id"], gateway);
    assert_eq!(ack["ack"]["correlation_ids"][0], "example:tx-ack:1");
    assert_eq!(next_line(&mut server).await["event"], "disconnected");
}
