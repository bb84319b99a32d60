//! Scale-out on a real broker: two `gateway-server` instances share a mosquitto broker started
//! by the test. Instance A serves a Semtech UDP gateway (JSON payloads upstream), instance B an
//! MQTT v3 gateway of a tenant (protobuf upstream). A consumer (`mosquitto_sub` with a
//! persistent session) sees both gateways' uplinks and states; downlinks published on the
//! broker reach the right gateway exactly once and their acknowledgements come back; a broker
//! restart loses no uplink and keeps the command subscriptions; stopping B marks its gateway
//! and itself offline, killing A fires A's last will.

#![allow(clippy::unwrap_used)]

mod gateway_server_support;

use std::time::Duration;

use gateway_server_support::*;
use loragw_ttnpb::prost::Message as _;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;

const MQTT_GW: &str = "mqtt-gw@tenant-b";
const MQTT_KEY: &str = "NNSXS.TENANT-B-GW";
const UDP_GW: &str = "eui-0000000000000044";
const UDP_EUI: [u8; 8] = [0, 0, 0, 0, 0, 0, 0, 0x44];

fn varint(mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let mut byte = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if n == 0 {
            return out;
        }
    }
}

fn string(s: &str) -> Vec<u8> {
    let mut v = (s.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(s.as_bytes());
    v
}

fn packet(header: u8, body: Vec<u8>) -> Vec<u8> {
    let mut p = vec![header];
    p.extend(varint(body.len()));
    p.extend(body);
    p
}

async fn read_packet(stream: &mut TcpStream) -> (u8, Vec<u8>) {
    let header = stream.read_u8().await.unwrap();
    let (mut len, mut shift) = (0usize, 0);
    loop {
        let b = stream.read_u8().await.unwrap();
        len |= usize::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            break;
        }
    }
    let mut body = vec![0; len];
    stream.read_exact(&mut body).await.unwrap();
    (header, body)
}

/// The MQTT v3 gateway on instance B: connected and subscribed to its `down` topic.
async fn mqtt_gateway(port: u16) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(&connect_packet("mqtt-gw", MQTT_GW, MQTT_KEY))
        .await
        .unwrap();
    assert_eq!(read_packet(&mut s).await, (0x20, vec![0, 0]));
    let mut body = vec![0, 1];
    body.extend(string(&format!("v3/{MQTT_GW}/down")));
    body.push(0);
    s.write_all(&packet(0x82, body)).await.unwrap();
    assert_eq!(read_packet(&mut s).await.0, 0x90);
    s
}

async fn mqtt_publish(s: &mut TcpStream, topic: &str, payload: &[u8]) {
    let mut body = string(topic);
    body.extend_from_slice(payload);
    s.write_all(&packet(0x30, body)).await.unwrap();
}

/// The next downlink PUBLISH the MQTT gateway gets.
async fn mqtt_downlink(s: &mut TcpStream) -> loragw_ttnpb::GatewayDown {
    let (header, body) = tokio::time::timeout(STEP, read_packet(s)).await.unwrap();
    assert_eq!(header & 0xf0, 0x30, "PUBLISH");
    let topic_len = usize::from(u16::from_be_bytes([body[0], body[1]]));
    assert_eq!(
        &body[2..2 + topic_len],
        format!("v3/{MQTT_GW}/down").as_bytes()
    );
    loragw_ttnpb::GatewayDown::decode(&body[2 + topic_len..]).unwrap()
}

fn udp_datagram(kind: u8, token: [u8; 2], json: &str) -> Vec<u8> {
    let mut d = vec![2, token[0], token[1], kind];
    d.extend_from_slice(&UDP_EUI);
    d.extend_from_slice(json.as_bytes());
    d
}

fn push_data(data: &str) -> String {
    format!(
        r#"{{"rxpk":[{{"tmst":1000,"chan":0,"rfch":0,"freq":868.3,"stat":1,"modu":"LORA","datr":"SF9BW125","codr":"4/5","lsnr":7.0,"rssi":-80,"size":4,"data":"{data}"}}]}}"#
    )
}

fn uplink_bytes(fcnt: u8) -> Vec<u8> {
    loragw_ttnpb::UplinkMessage {
        raw_payload: vec![0x40, 1, 2, 3, 4, 0, fcnt, 0, 1, 0xAA],
        settings: Some(loragw_ttnpb::TxSettings {
            data_rate: Some(loragw_ttnpb::DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: 42,
            ..Default::default()
        }),
        rx_metadata: vec![loragw_ttnpb::RxMetadata {
            timestamp: 42,
            rssi: -70.0,
            ..Default::default()
        }],
        ..Default::default()
    }
    .encode_to_vec()
}

fn from_hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// What the consumer printed: (topic, payload), in order.
struct Consumer {
    lines: mpsc::UnboundedReceiver<(String, Vec<u8>)>,
    seen: Vec<(String, Vec<u8>)>,
    _child: tokio::process::Child,
}

impl Consumer {
    async fn start(binary: &std::path::Path, port: u16) -> Consumer {
        let mut child = tokio::process::Command::new(binary)
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-V", "mqttv311"])
            .args([
                "-c",
                "-i",
                "consumer-1",
                "-q",
                "1",
                "-t",
                "lora/#",
                "-F",
                "%t %x",
            ])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(Some(line)) = out.next_line().await {
                let (topic, hex) = line.split_once(' ').unwrap_or((&line, ""));
                let _ = tx.send((topic.to_owned(), from_hex(hex)));
            }
        });
        Consumer {
            lines,
            seen: Vec::new(),
            _child: child,
        }
    }

    /// Waits for a message on `topic` whose payload satisfies `check`.
    async fn expect(&mut self, topic: &str, check: impl Fn(&[u8]) -> bool) -> Vec<u8> {
        if let Some((_, p)) = self.seen.iter().find(|(t, p)| t == topic && check(p)) {
            return p.clone();
        }
        let found = tokio::time::timeout(STEP * 2, async {
            loop {
                let (t, p) = self.lines.recv().await.expect("consumer running");
                self.seen.push((t.clone(), p.clone()));
                if t == topic && check(&p) {
                    return p;
                }
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("no {topic} on the broker; seen: {:?}", self.topics()))
    }

    fn topics(&self) -> Vec<String> {
        self.seen
            .iter()
            .map(|(t, p)| format!("{t} {}", String::from_utf8_lossy(p)))
            .collect()
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    String::from_utf8_lossy(haystack).contains(needle)
}

fn instance_config(
    dir: &TempDir,
    name: &str,
    listeners: &str,
    broker: u16,
    encoding: &str,
) -> std::path::PathBuf {
    dir.file(
        &format!("{name}.toml"),
        format!(
            r#"
[listeners]
lbs = ""
cups = ""
mqtt_v2 = ""
tabs_hubs = ""
{listeners}

[udp]
allow_unregistered = true

[upstream]
url = "mqtt://127.0.0.1:{broker}"
client_id = "{name}"
prefix = "lora"
qos = 1
encoding = "{encoding}"

[[registry.gateway]]
id = "{MQTT_GW}"
frequency_plans = ["EU_863_870"]
[[registry.gateway.key]]
name = "link"
hash = "{}"
rights = ["link"]
"#,
            loragw_gateway_io::registry::hash_key(MQTT_KEY, b"salt-tenant-b-gw")
        )
        .as_bytes(),
    )
}

#[tokio::test]
async fn two_instances_share_a_broker() {
    let Some(tools) = mosquitto_tools(&["mosquitto", "mosquitto_sub", "mosquitto_pub"]) else {
        return;
    };
    let (mosquitto, mosquitto_sub, mosquitto_pub) = (&tools[0], &tools[1], &tools[2]);
    let mut broker = Broker::start(mosquitto).await;
    let mut consumer = Consumer::start(mosquitto_sub, broker.port).await;
    let dir = TempDir::new("upstream");
    let (udp_a, mqtt_b) = (free_port(), free_port());
    let a = instance_config(
        &dir,
        "gs-a",
        &format!("udp = \"127.0.0.1:{udp_a}\"\nmqtt_v3 = \"\""),
        broker.port,
        "json",
    );
    let b = instance_config(
        &dir,
        "gs-b",
        &format!("udp = \"\"\nmqtt_v3 = \"127.0.0.1:{mqtt_b}\""),
        broker.port,
        "protobuf",
    );
    let mut instance_a = spawn_server(&a);
    let mut instance_b = spawn_server(&b);
    // Their event lines and logs, shown when the test fails.
    for (name, child) in [("a", &mut instance_a), ("b", &mut instance_b)] {
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = out.next_line().await {
                eprintln!("{name} stdout: {line}");
            }
        });
        tokio::spawn(async move {
            while let Ok(Some(line)) = err.next_line().await {
                eprintln!("{name} stderr: {line}");
            }
        });
    }
    for name in ["gs-a", "gs-b"] {
        consumer
            .expect(&format!("lora/instance/{name}/state/conn"), |p| {
                contains(p, r#""state":"ONLINE""#)
            })
            .await;
    }

    // A UDP gateway on A, an MQTT gateway on B; both uplinks on the broker.
    wait_for_tcp(mqtt_b).await;
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    udp.connect(("127.0.0.1", udp_a)).await.unwrap();
    udp.send(&udp_datagram(0, [1, 1], &push_data("AQIDBA==")))
        .await
        .unwrap();
    udp.send(&udp_datagram(2, [1, 2], "")).await.unwrap();
    let mut gw = mqtt_gateway(mqtt_b).await;
    mqtt_publish(&mut gw, &format!("v3/{MQTT_GW}/up"), &uplink_bytes(7)).await;

    let state = consumer
        .expect(&format!("lora/gateway/{UDP_GW}/state/conn"), |_| true)
        .await;
    assert_eq!(
        String::from_utf8(state).unwrap(),
        format!(
            r#"{{"gateway_id":"{UDP_GW}","state":"ONLINE","instance":"gs-a","protocol":"udp"}}"#
        )
    );
    let up = consumer
        .expect(&format!("lora/gateway/{UDP_GW}/event/up"), |_| true)
        .await;
    let up: serde_json::Value = serde_json::from_slice(&up).unwrap();
    assert_eq!(up["raw_payload"], "AQIDBA==");
    consumer
        .expect(&format!("lora/gateway/{MQTT_GW}/state/conn"), |p| {
            contains(
                p,
                r#""state":"ONLINE","instance":"gs-b","protocol":"mqtt-v3""#,
            )
        })
        .await;
    let up = consumer
        .expect(&format!("lora/gateway/{MQTT_GW}/event/up"), |_| true)
        .await;
    let up = loragw_ttnpb::UplinkMessage::decode(up.as_slice()).unwrap();
    assert_eq!(up.raw_payload, [0x40, 1, 2, 3, 4, 0, 7, 0, 1, 0xAA]);

    // Downlinks published on the broker reach the right gateway, once, and are acknowledged.
    let down_json = r#"{"raw_payload":"YAQDAgEAAQCqu8zd","scheduled":{"data_rate":{"lora":{"bandwidth":125000,"spreading_factor":9,"coding_rate":"4/5"}},"frequency":"869525000","timestamp":1000000}}"#;
    let broker_port = broker.port;
    let publish = |topic: String, args: Vec<String>| {
        let bin = mosquitto_pub.clone();
        let port = broker_port.to_string();
        async move {
            let mut all = vec!["-h", "127.0.0.1", "-p", &port, "-q", "1", "-t", &topic];
            all.extend(args.iter().map(String::as_str));
            let out = run(&bin, &all).await;
            assert!(out.status.success(), "{out:?}");
        }
    };
    publish(
        format!("lora/gateway/{UDP_GW}/command/down"),
        vec!["-m".into(), down_json.into()],
    )
    .await;
    let mut buf = [0u8; 2048];
    let n = tokio::time::timeout(STEP, udp.recv(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let n = if buf[3] == 1 || buf[3] == 4 {
        // A late PUSH_ACK / PULL_ACK first.
        let mut n = n;
        while buf[3] != 3 {
            n = tokio::time::timeout(STEP, udp.recv(&mut buf))
                .await
                .unwrap()
                .unwrap();
        }
        n
    } else {
        n
    };
    assert_eq!(buf[3], 3, "PULL_RESP");
    assert!(contains(&buf[4..n], "YAQDAgEAAQCqu8zd"));
    udp.send(&udp_datagram(
        5,
        [buf[1], buf[2]],
        r#"{"txpk_ack":{"error":"NONE"}}"#,
    ))
    .await
    .unwrap();
    consumer
        .expect(&format!("lora/gateway/{UDP_GW}/event/ack"), |_| true)
        .await;

    let down: loragw_ttnpb::DownlinkMessage = serde_json::from_str(down_json).unwrap();
    let file = dir.file("down.bin", &down.encode_to_vec());
    publish(
        format!("lora/gateway/{MQTT_GW}/command/down"),
        vec!["-f".into(), file.to_str().unwrap().into()],
    )
    .await;
    let got = mqtt_downlink(&mut gw).await.downlink_message.unwrap();
    assert_eq!(got.raw_payload, down.raw_payload);
    let ack = loragw_ttnpb::TxAcknowledgment {
        correlation_ids: got.correlation_ids.clone(),
        ..Default::default()
    };
    mqtt_publish(
        &mut gw,
        &format!("v3/{MQTT_GW}/down/ack"),
        &ack.encode_to_vec(),
    )
    .await;
    let acked = consumer
        .expect(&format!("lora/gateway/{MQTT_GW}/event/ack"), |_| true)
        .await;
    let acked = loragw_ttnpb::TxAcknowledgment::decode(acked.as_slice()).unwrap();
    assert_eq!(acked.correlation_ids, got.correlation_ids);
    // Exactly once: nothing more reached either gateway.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), udp.recv(&mut buf))
            .await
            .is_err(),
        "a second PULL_RESP"
    );
    let mut one = [0u8; 1];
    assert!(
        tokio::time::timeout(Duration::from_millis(200), gw.read(&mut one))
            .await
            .is_err(),
        "a second downlink"
    );

    // The broker restarts; an uplink made while it is away arrives afterwards, and B's
    // command subscription is back.
    broker.stop().await;
    udp.send(&udp_datagram(0, [1, 3], &push_data("AQIDBg==")))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    broker.restart().await;
    let up = consumer
        .expect(&format!("lora/gateway/{UDP_GW}/event/up"), |p| {
            contains(p, "AQIDBg==")
        })
        .await;
    assert!(contains(&up, r#""raw_payload":"AQIDBg==""#));
    let resent = tokio::time::timeout(STEP, async {
        loop {
            publish(
                format!("lora/gateway/{MQTT_GW}/command/down"),
                vec!["-f".into(), file.to_str().unwrap().into()],
            )
            .await;
            if let Ok(down) =
                tokio::time::timeout(Duration::from_millis(500), mqtt_downlink(&mut gw)).await
            {
                return down;
            }
        }
    })
    .await
    .expect("B subscribed again after the restart");
    assert_eq!(
        resent.downlink_message.unwrap().raw_payload,
        down.raw_payload
    );

    // Stopping B: its gateway and itself go offline, cleanly. (The broker's own restart
    // published both wills; only what comes from now on counts.)
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Ok(message) = consumer.lines.try_recv() {
        consumer.seen.push(message);
    }
    consumer.seen.clear();
    terminate(&instance_b);
    consumer
        .expect(&format!("lora/gateway/{MQTT_GW}/state/conn"), |p| {
            contains(p, r#""state":"OFFLINE","instance":"gs-b""#)
        })
        .await;
    let offline = consumer
        .expect("lora/instance/gs-b/state/conn", |p| contains(p, "OFFLINE"))
        .await;
    assert_eq!(
        String::from_utf8(offline).unwrap(),
        r#"{"instance":"gs-b","state":"OFFLINE"}"#,
        "a clean stop, not the last will"
    );
    let status = tokio::time::timeout(STEP, instance_b.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");

    // Killing A: the broker publishes A's last will; A's gateway's retained state names A.
    instance_a.kill().await.unwrap();
    consumer
        .expect("lora/instance/gs-a/state/conn", |p| {
            contains(p, "connection lost")
        })
        .await;
}
