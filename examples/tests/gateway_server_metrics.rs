//! The operator's HTTP listener of the `gateway-server` binary: `/metrics` scraped before and
//! after traffic moves by exactly that traffic; the downlink API delivers a downlink to a
//! Semtech UDP gateway and its TX acknowledgement shows in the connection stats; malformed input
//! on the Semtech UDP, Basics Station and MQTT v3 listeners moves their decode error counters.

#![allow(clippy::unwrap_used)]

mod gateway_server_support;

use std::collections::HashMap;
use std::net::SocketAddr;

use futures_util::SinkExt as _;
use gateway_server_support::*;
use loragw_gateway_io::registry::hash_key;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpStream, UdpSocket};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

const MQTT_KEY: &str = "NNSXS.METRICS-MQTT";

const EUI: [u8; 8] = [0, 0, 0, 0, 0, 0, 0, 0x33];

/// Every sample of a scrape: `name{labels}` → value.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(k, v)| (k.to_owned(), v.parse().unwrap()))
        .collect()
}

async fn scrape(addr: SocketAddr) -> HashMap<String, f64> {
    let (status, body) = http(addr, "GET", "/metrics", "").await;
    assert_eq!(status, 200);
    assert!(body.trim_end().ends_with("# EOF"), "{body}");
    samples(&body)
}

fn moved(before: &HashMap<String, f64>, after: &HashMap<String, f64>, key: &str) -> f64 {
    after.get(key).copied().unwrap_or(0.0) - before.get(key).copied().unwrap_or(0.0)
}

fn datagram(kind: u8, token: [u8; 2], json: &str) -> Vec<u8> {
    let mut d = vec![2, token[0], token[1], kind];
    d.extend_from_slice(&EUI);
    d.extend_from_slice(json.as_bytes());
    d
}

#[tokio::test]
async fn metrics_move_with_traffic_and_the_api_delivers_a_downlink() {
    let (udp, lbs, mqtt, web) = (free_port(), free_port(), free_port(), free_port());
    let dir = TempDir::new("metrics");
    let config = dir.file(
        "server.toml",
        format!(
            r#"
[listeners]
udp = "127.0.0.1:{udp}"
lbs = "127.0.0.1:{lbs}"
cups = ""
mqtt_v3 = "127.0.0.1:{mqtt}"
mqtt_v2 = ""
tabs_hubs = ""

[udp]
allow_unregistered = true

[lbs]
allow_unauthenticated = true

[metrics]
listen = "127.0.0.1:{web}"

[[registry.gateway]]
id = "station-m"
eui = "0000000000000044"
frequency_plans = ["EU_863_870"]

[[registry.gateway]]
id = "mqtt-m"
frequency_plans = ["EU_863_870"]
[[registry.gateway.key]]
name = "link"
hash = "{}"
rights = ["link"]
"#,
            hash_key(MQTT_KEY, b"salt-metrics-001")
        )
        .as_bytes(),
    );
    let _server = spawn_server(&config);
    wait_for_tcp(web).await;
    let web: SocketAddr = ([127, 0, 0, 1], web).into();
    assert_eq!(http(web, "GET", "/healthz", "").await, (200, "ok\n".into()));
    let before = scrape(web).await;

    // Traffic: one gateway, two uplinks and one status; one refused MQTT client.
    let gateway = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    gateway.connect(("127.0.0.1", udp)).await.unwrap();
    let rxpk = r#"{"tmst":1000,"chan":0,"rfch":0,"freq":868.3,"stat":1,"modu":"LORA","datr":"SF9BW125","codr":"4/5","lsnr":7.0,"rssi":-80,"size":4,"data":"AQIDBA=="}"#;
    let push = format!(
        r#"{{"rxpk":[{rxpk},{}],"stat":{{"time":"2024-01-01 00:00:00 GMT","rxnb":2}}}}"#,
        rxpk.replace("1000", "2000").replace("AQIDBA==", "AQIDBQ==")
    );
    gateway.send(&datagram(0, [1, 1], &push)).await.unwrap();
    gateway.send(&datagram(2, [1, 2], "")).await.unwrap(); // PULL_DATA: the downlink path
    let mut buf = [0u8; 2048];
    // PUSH_ACK and PULL_ACK.
    for _ in 0..2 {
        tokio::time::timeout(STEP, gateway.recv(&mut buf))
            .await
            .unwrap()
            .unwrap();
    }
    let mut client = TcpStream::connect(("127.0.0.1", mqtt)).await.unwrap();
    client
        .write_all(&connect_packet("x", "nobody-here", "wrong"))
        .await
        .unwrap();
    let mut connack = [0u8; 4];
    client.read_exact(&mut connack).await.unwrap();
    assert_eq!(connack, [0x20, 2, 0, 4], "bad user name or password");

    // The downlink API: unknown gateway, bad body, then a real downlink.
    let id = "eui-0000000000000033";
    let (status, _) = http(web, "POST", "/api/v1/gateways/nobody/downlink", "{}").await;
    assert_eq!(status, 404);
    let (status, _) = http(web, "POST", &format!("/api/v1/gateways/{id}/downlink"), "[").await;
    assert_eq!(status, 400);
    let downlink = r#"{"raw_payload":"YAQDAgEAAQCqu8zd","scheduled":{"data_rate":{"lora":{"bandwidth":125000,"spreading_factor":9,"coding_rate":"4/5"}},"frequency":"869525000","timestamp":1000000}}"#;
    // The gateway's Connected may still be on its way to the API's table: retry briefly.
    let mut accepted = None;
    for _ in 0..50 {
        let (status, body) = http(
            web,
            "POST",
            &format!("/api/v1/gateways/{id}/downlink"),
            downlink,
        )
        .await;
        if status == 202 {
            accepted = Some(body);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let accepted: serde_json::Value = serde_json::from_str(&accepted.expect("202")).unwrap();
    assert_eq!(accepted["result"], "sent");

    // The gateway gets the PULL_RESP and acknowledges it.
    let n = tokio::time::timeout(STEP, gateway.recv(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(buf[3], 3, "PULL_RESP");
    let txpk: serde_json::Value = serde_json::from_slice(&buf[4..n]).unwrap();
    assert_eq!(txpk["txpk"]["data"], "YAQDAgEAAQCqu8zd");
    let token = [buf[1], buf[2]];
    gateway
        .send(&datagram(5, token, r#"{"txpk_ack":{"error":"NONE"}}"#))
        .await
        .unwrap();

    // The connection stats show it.
    let mut stats = serde_json::Value::Null;
    for _ in 0..100 {
        let (status, body) = http(
            web,
            "GET",
            &format!("/api/v1/gateways/{id}/connection-stats"),
            "",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        stats = serde_json::from_str(&body).unwrap();
        if stats["tx_acknowledgment_count"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(stats["tx_acknowledgment_count"], 1, "{stats}");
    assert_eq!(stats["gateway_id"], id);
    assert_eq!(stats["protocol"], "udp");
    assert_eq!(stats["uplink_count"], 2);
    assert_eq!(stats["downlink_count"], 1);
    assert!(stats["connected_at"].is_string());
    assert!(stats["last_uplink_received_at"].is_string());
    assert!(stats["last_status_received_at"].is_string());
    assert!(stats["last_tx_acknowledgment_received_at"].is_string());
    assert_eq!(
        stats["last_tx_acknowledgment"]["result"],
        serde_json::Value::Null
    ); // SUCCESS is the default
    assert!(
        stats["remote_addr"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    let (status, _) = http(web, "GET", "/api/v1/gateways/nobody/connection-stats", "").await;
    assert_eq!(status, 404);

    // Malformed input, one of each: a datagram that is no GWMP, a station message that is no
    // JSON, an MQTT v3 uplink that is no protobuf.
    gateway.send(b"\xDE\xAD").await.unwrap();
    let request = format!("ws://127.0.0.1:{lbs}/traffic/eui-0000000000000044")
        .into_client_request()
        .unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", lbs)).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(request, tcp).await.unwrap();
    ws.send(Message::text("{not json")).await.unwrap();
    let mut gw_mqtt = TcpStream::connect(("127.0.0.1", mqtt)).await.unwrap();
    gw_mqtt
        .write_all(&connect_packet("mqtt-m", "mqtt-m", MQTT_KEY))
        .await
        .unwrap();
    gw_mqtt.read_exact(&mut connack).await.unwrap();
    assert_eq!(connack, [0x20, 2, 0, 0], "CONNACK accepted");
    let topic = b"v3/mqtt-m/up";
    let payload = [0xFF, 0xFF, 0xFF];
    let mut publish = vec![0x30, (2 + topic.len() + payload.len()) as u8, 0];
    publish.push(topic.len() as u8);
    publish.extend_from_slice(topic);
    publish.extend_from_slice(&payload);
    gw_mqtt.write_all(&publish).await.unwrap();

    // The listeners count asynchronously: scrape until all three moved (bounded).
    let decode =
        |protocol: &str| format!(r#"ttn_lw_gs_decode_errors_total{{protocol="{protocol}"}}"#);
    let mut after = scrape(web).await;
    for _ in 0..100 {
        if ["udp", "lbs", "mqtt-v3"]
            .iter()
            .all(|p| moved(&before, &after, &decode(p)) >= 1.0)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        after = scrape(web).await;
    }
    for (protocol, by) in [
        ("udp", 1.0),
        ("lbs", 1.0),
        ("mqtt-v3", 1.0),
        ("mqtt-v2", 0.0),
        ("tabs-hubs", 0.0),
    ] {
        let series = decode(protocol);
        assert!(after.contains_key(&series), "{series} missing: {after:?}");
        assert_eq!(moved(&before, &after, &series), by, "{series}");
    }
    let udp_label = r#"{protocol="udp"}"#;
    for (series, by) in [
        (format!("ttn_lw_gs_connections_connected{udp_label}"), 1.0),
        (
            format!("ttn_lw_gs_connections_started_total{udp_label}"),
            1.0,
        ),
        (format!("ttn_lw_gs_uplink_received_total{udp_label}"), 2.0),
        (format!("ttn_lw_gs_uplink_forwarded_total{udp_label}"), 2.0),
        (format!("ttn_lw_gs_status_received_total{udp_label}"), 1.0),
        (format!("ttn_lw_gs_status_forwarded_total{udp_label}"), 1.0),
        ("ttn_lw_gs_downlink_scheduled_total".into(), 2.0),
        ("ttn_lw_gs_downlink_sent_total".into(), 1.0),
        (
            r#"ttn_lw_gs_downlink_tx_failed_total{reason="refused"}"#.into(),
            1.0,
        ),
        (
            format!("ttn_lw_gs_downlink_tx_success_total{udp_label}"),
            1.0,
        ),
        (
            r#"ttn_lw_gs_tx_ack_received_total{protocol="udp",result="SUCCESS"}"#.into(),
            1.0,
        ),
        (
            r#"ttn_lw_gs_connections_refused_total{reason="unauthenticated"}"#.into(),
            1.0,
        ),
        (
            r#"ttn_lw_gs_connections_refused_total{reason="listener_full"}"#.into(),
            0.0,
        ),
        ("ttn_lw_gs_isolated_panics_total".into(), 0.0),
    ] {
        assert!(after.contains_key(&series), "{series} missing: {after:?}");
        assert_eq!(moved(&before, &after, &series), by, "{series}");
    }
}
