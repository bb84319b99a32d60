//! Battery 1: garbage, truncated and oversized frames on every listener.

use std::time::Duration;

use loragw_gateway_io::event::GatewayEvent;
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{ConnectReturnCode, Packet};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::Rng;
use crate::clients::{self, PUSH_DATA, RawMqtt, RawWs, UdpGateway, gwmp};
use crate::fixtures::*;
use crate::support::{Harness, shared};

/// No gateway has more receive chains or antennas than this: an uplink event with more
/// `rx_metadata` entries means the `rsig` count was not bounded.
const MAX_PLAUSIBLE_RX_METADATA: usize = 64;

/// JSON nested `depth` deep.
fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_garbage_truncated_and_oversized_datagrams() {
    let _guard = shared().await;
    let mut h = Harness::start().await;
    let addr = h.addrs.udp;
    let mut rng = Rng::new(0x5EED_0001);
    let attacker = UdpGateway::new(addr, UNKNOWN_EUI).await;
    let mut datagrams: Vec<(String, Vec<u8>)> = Vec::new();
    for len in [0, 1, 2, 3, 4, 11, 12, 13, 100, 1500, 9000, 65_507] {
        datagrams.push((format!("{len} random bytes"), rng.bytes(len)));
    }
    for kind in 0..=6u8 {
        let full = gwmp(7, kind, UDP_EUI, "{}");
        for cut in [1, 3, 4, 5, 11] {
            datagrams.push((
                format!("type {kind} cut to {cut} bytes"),
                full[..cut].to_vec(),
            ));
        }
    }
    for version in [0u8, 1, 3, 255] {
        let mut d = gwmp(9, PUSH_DATA, UDP_EUI, "{}");
        d[0] = version;
        datagrams.push((format!("GWMP version {version}"), d));
    }
    let mut invalid_utf8 = gwmp(10, PUSH_DATA, UDP_EUI, r#"{"rxpk":[{"data":""#);
    invalid_utf8.extend_from_slice(&[0xFF, 0xFE, 0xC0, 0x80, 0xED, 0xA0, 0x80]);
    invalid_utf8.extend_from_slice(br#""}]}"#);
    datagrams.push(("invalid UTF-8 in the JSON".into(), invalid_utf8));
    let deep = format!(r#"{{"rxpk":{}}}"#, nested(32_000));
    datagrams.push((
        "JSON nested 32,000 deep".into(),
        gwmp(11, PUSH_DATA, UDP_EUI, &deep),
    ));
    datagrams.push((
        "truncated JSON".into(),
        gwmp(
            12,
            PUSH_DATA,
            UDP_EUI,
            r#"{"rxpk":[{"tmst":1,"freq":868.1,"#,
        ),
    ));
    // One rxpk with 2,000 rsig entries, and 400 rxpk in one datagram (both under 65,507 bytes).
    let rsig = vec![r#"{"ant":0,"chan":1,"rssic":-40,"lsnr":5.5}"#; 1_400].join(",");
    let many_rsig = format!(
        r#"{{"rxpk":[{{"tmst":1,"freq":868.1,"chan":1,"rfch":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","size":17,"data":"{}","rsig":[{rsig}]}}]}}"#,
        clients::base64(&phy(1))
    );
    datagrams.push((
        "1,400 rsig entries".into(),
        gwmp(13, PUSH_DATA, UDP_EUI, &many_rsig),
    ));
    let one = clients::rxpk_json(&phy(2));
    let one = &one[9..one.len() - 2];
    let many_rxpk = format!(r#"{{"rxpk":[{}]}}"#, vec![one; 300].join(","));
    datagrams.push(("300 rxpk".into(), gwmp(14, PUSH_DATA, UDP_EUI, &many_rxpk)));
    let mut huge = gwmp(15, PUSH_DATA, UDP_EUI, r#"{"stat":{"desc":""#);
    huge.resize(65_507 - 4, b'x');
    huge.extend_from_slice(br#""}}"#);
    datagrams.push(("65,507-byte PUSH_DATA".into(), huge));

    let mut gateway = UdpGateway::new(addr, UDP_EUI).await;
    let stalled = h
        .during(async {
            for (what, d) in &datagrams {
                if d.len() <= 65_507 {
                    attacker.send(d).await;
                }
                // Under the server's per-gateway rate limit (10 datagrams in 10 ms).
                tokio::time::sleep(std::time::Duration::from_millis(3)).await;
                if !gateway.pull(STEP).await {
                    return Some(what.clone());
                }
            }
            None
        })
        .await;
    assert_eq!(
        stalled, None,
        "the UDP listener stopped answering after this datagram"
    );
    let bloated: Vec<usize> = h
        .history()
        .iter()
        .filter_map(|e| match e {
            GatewayEvent::Uplink { message, .. } => Some(message.rx_metadata.len()),
            _ => None,
        })
        .filter(|&n| n > MAX_PLAUSIBLE_RX_METADATA)
        .collect();
    assert!(
        bloated.is_empty(),
        "uplinks with {bloated:?} rx_metadata entries: the rsig count is not bounded"
    );
    h.assert_events_sane("UDP garbage");
    h.assert_all_protocols_healthy("UDP garbage").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lbs_garbage_http_and_websocket_frames() {
    let _guard = shared().await;
    let mut h = Harness::start().await;
    let addr = h.addrs.lbs;
    let mut rng = Rng::new(0x5EED_0002);

    // HTTP-level garbage: the server answers with an error or closes; it must not hang on to
    // a request it cannot parse.
    for (what, bytes) in [
        ("random bytes", rng.bytes(4096)),
        ("binary request line", b"\x00\xFF\xFE GET / HTTP/1.1\r\n\r\n".to_vec()),
        (
            "a 100 KiB header",
            format!("GET /router-info HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(100 * 1024)).into_bytes(),
        ),
        (
            "invalid UTF-8 in the path",
            b"GET /traffic/eui-\xFF\xFE HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".to_vec(),
        ),
    ] {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        let _ = tcp.write_all(&bytes).await;
        assert!(
            clients::closed_within(&mut tcp, STEP).await,
            "LBS: the server kept a connection open for {STEP:?} after {what}"
        );
    }

    // Websocket-level garbage after a valid upgrade. `must_close`: the frame breaks the
    // websocket rules or the message bound, so the server must end the connection.
    let path = format!("/traffic/eui-{LBS_EUI:016X}");
    let one_mib = RawWs::frame(0x1, &vec![b' '; 1 << 20]);
    let mut unfinished = RawWs::frame(0x1, b"{\"msgtype\":");
    unfinished[0] = 0x01; // FIN clear: a first fragment, never continued
    // Random bytes start with a reserved opcode (FIN + 0x3), so they cannot pass for the
    // header of a long frame still arriving.
    let mut not_a_frame = rng.bytes(2048);
    not_a_frame[0] = 0x83;
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("random bytes instead of a frame", not_a_frame, true),
        ("a 1 MiB text frame", one_mib, true),
        (
            "a frame header announcing 2^63 bytes",
            vec![
                0x81, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0,
            ],
            true,
        ),
        (
            "text frame with invalid UTF-8",
            RawWs::frame(0x1, &[b'{', 0xFF, 0xC0, 0x80, b'}']),
            true,
        ),
        (
            "binary frame of random bytes",
            RawWs::frame(0x2, &rng.bytes(512)),
            false,
        ),
        (
            "JSON nested 30,000 deep",
            RawWs::frame(
                0x1,
                format!(r#"{{"msgtype":"updf","x":{}}}"#, nested(30_000)).as_bytes(),
            ),
            false,
        ),
        ("truncated frame header", vec![0x81, 0xFE, 0x01], false),
        (
            "a 200-byte ping (control frames carry 125 at most)",
            RawWs::frame(0x9, &[0; 200]),
            true,
        ),
        ("a text fragment never finished", unfinished, false),
        (
            "unknown msgtype",
            RawWs::frame(0x1, br#"{"msgtype":"\u0000\uFFFF"}"#),
            false,
        ),
        (
            "JSON that is not an object",
            RawWs::frame(0x1, b"[1,2,3]"),
            false,
        ),
    ];
    for (what, bytes, must_close) in cases {
        let mut ws = match RawWs::open(addr, &path, LBS_KEY).await {
            Ok(ws) => ws,
            Err(e) => panic!("LBS: a valid upgrade was refused before sending {what}: {e}"),
        };
        ws.send(&bytes).await;
        if must_close {
            assert!(
                clients::closed_within(&mut ws.tcp, STEP).await,
                "LBS: the server kept the websocket open for {STEP:?} after {what}"
            );
        }
    }
    h.drain_for(Duration::from_millis(200)).await;
    h.assert_all_protocols_healthy("LBS garbage").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cups_garbage_requests() {
    let _guard = shared().await;
    let mut h = Harness::start().await;
    let addr = h.addrs.cups;
    let mut rng = Rng::new(0x5EED_0003);
    let post = |body: &[u8], extra: &str| {
        let mut r = format!(
            "POST /update-info HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {CUPS_KEY}\r\nContent-Type: application/json\r\n{extra}\r\n"
        )
        .into_bytes();
        r.extend_from_slice(body);
        r
    };
    let deep = format!(r#"{{"router":{}}}"#, nested(30_000));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "deep JSON nesting",
            post(
                deep.as_bytes(),
                &format!("Content-Length: {}\r\n", deep.len()),
            ),
        ),
        (
            "invalid UTF-8 body",
            post(b"{\"router\":\"\xFF\xFE\"}", "Content-Length: 15\r\n"),
        ),
        (
            "Content-Length of 1 GiB",
            post(b"{}", "Content-Length: 1073741824\r\n"),
        ),
        (
            "Content-Length of u64::MAX + 1",
            post(b"{}", "Content-Length: 18446744073709551616\r\n"),
        ),
        (
            "garbage chunked body",
            post(b"zz\r\nxx\r\n", "Transfer-Encoding: chunked\r\n"),
        ),
        (
            "negative Content-Length",
            post(b"{}", "Content-Length: -1\r\n"),
        ),
    ];
    for (what, request) in cases {
        let status = clients::http_status(addr, &request).await;
        assert!(
            (400..500).contains(&status),
            "CUPS answered {what} with {status} (0: nothing within {STEP:?}); expected a 4xx refusal"
        );
    }
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let _ = tcp.write_all(&rng.bytes(4096)).await;
    assert!(
        clients::closed_within(&mut tcp, STEP).await,
        "CUPS kept a connection open for {STEP:?} after random bytes"
    );
    assert_eq!(
        h.cups_status().await,
        200,
        "CUPS no longer serves a valid update-info"
    );
    h.assert_all_protocols_healthy("CUPS garbage").await;
}

async fn mqtt_garbage_on(
    name: &str,
    addr: std::net::SocketAddr,
    user: &str,
    key: &str,
    up_topic: &str,
) {
    let mut rng = Rng::new(0x5EED_0004);
    // Before CONNECT: each of these ends the connection, promptly.
    // Random bytes start with a reserved packet type here (0x00), so that they cannot pass for
    // the header of a long packet still arriving.
    let mut garbage = rng.bytes(1024);
    garbage[0] = 0x00;
    let before: Vec<(&str, Vec<u8>)> = vec![
        ("random bytes", garbage.clone()),
        (
            "CONNECT with remaining length 256 MiB",
            vec![0x10, 0xFF, 0xFF, 0xFF, 0x7F],
        ),
        (
            "a 5-byte remaining length",
            vec![0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
        ),
        (
            "CONNECT with a truncated protocol name",
            vec![0x10, 0x04, 0x00, 0x04, b'M', b'Q'],
        ),
        (
            "CONNECT with invalid UTF-8 in the client id",
            vec![
                0x10, 15, 0, 4, b'M', b'Q', b'T', b'T', 4, 2, 0, 60, 0, 3, 0xFF, 0xC0, 0x80,
            ],
        ),
    ];
    for (what, bytes) in before {
        let mut raw = RawMqtt::open(addr).await;
        raw.send_bytes(&bytes).await;
        assert!(
            raw.closed_within(STEP).await,
            "{name}: the server kept the connection open for {STEP:?} after {what}"
        );
    }
    // After a valid CONNECT.
    let after: Vec<(&str, Vec<u8>, bool)> = vec![
        (
            "PUBLISH with remaining length 256 MiB",
            vec![0x30, 0xFF, 0xFF, 0xFF, 0x7F],
            true,
        ),
        (
            "PUBLISH with an invalid UTF-8 topic",
            vec![0x30, 5, 0, 3, 0xFF, 0xC0, 0x80],
            true,
        ),
        ("random bytes", garbage, true),
        ("reserved packet type 15", vec![0xF0, 0x00], true),
        (
            "a second CONNECT",
            vec![0x10, 12, 0, 4, b'M', b'Q', b'T', b'T', 4, 2, 0, 60, 0, 0],
            true,
        ),
    ];
    for (what, bytes, must_close) in after {
        let (mut raw, ack) = RawMqtt::connect(addr, user, key).await;
        assert_eq!(
            ack.map(|a| a.code),
            Some(ConnectReturnCode::Success),
            "{name}: a valid CONNECT was refused before sending {what}"
        );
        raw.send_bytes(&bytes).await;
        if must_close {
            assert!(
                raw.closed_within(STEP).await,
                "{name}: the server kept the connection open for {STEP:?} after {what}"
            );
        }
    }
    // Payloads that are not the protocol's messages: dropped, and the connection stays.
    let (mut raw, _) = RawMqtt::connect(addr, user, key).await;
    let mut deep = Vec::new();
    for _ in 0..200 {
        let mut outer = vec![0x2A]; // field 5, length-delimited
        let mut len = deep.len();
        loop {
            let b = (len & 0x7F) as u8;
            len >>= 7;
            outer.push(if len > 0 { b | 0x80 } else { b });
            if len == 0 {
                break;
            }
        }
        outer.extend_from_slice(&deep);
        deep = outer;
    }
    for (i, payload) in [
        rng.bytes(300),
        vec![
            0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
        ],
        deep,
        vec![0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F],
        Vec::new(),
    ]
    .into_iter()
    .enumerate()
    {
        let pkid = i as u16 + 1;
        raw.publish(up_topic, QoS::AtLeastOnce, pkid, payload).await;
        let answer = raw.recv_within(STEP).await;
        assert!(
            matches!(answer, Some(Packet::PubAck(_))),
            "{name}: undecodable payload {i} on {up_topic} was not acknowledged and dropped: {answer:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_garbage_packets() {
    let _guard = shared().await;
    let mut h = Harness::start().await;
    let (v3, v2) = (h.addrs.mqtt3, h.addrs.mqtt2);
    mqtt_garbage_on(
        "MQTT v3",
        v3,
        MQTT3_ID,
        MQTT3_KEY,
        &format!("v3/{MQTT3_ID}/up"),
    )
    .await;
    mqtt_garbage_on(
        "MQTT v2",
        v2,
        MQTT2_ID,
        MQTT2_KEY,
        &format!("{MQTT2_ID}/up"),
    )
    .await;
    h.drain_for(Duration::from_millis(200)).await;
    h.assert_all_protocols_healthy("MQTT garbage").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt5_connect_gets_connack_unacceptable_protocol_version() {
    let _guard = shared().await;
    let h = Harness::start().await;
    for (name, addr) in [("MQTT v3", h.addrs.mqtt3), ("MQTT v2", h.addrs.mqtt2)] {
        let mut raw = RawMqtt::open(addr).await;
        // MQTT 5 CONNECT: name "MQTT", level 5, clean start, keep-alive 60, no properties,
        // client id "c".
        raw.send_bytes(&[
            0x10, 14, 0, 4, b'M', b'Q', b'T', b'T', 5, 0x02, 0, 60, 0, 0, 1, b'c',
        ])
        .await;
        let mut answer = [0u8; 4];
        let read = tokio::time::timeout(STEP, async {
            use tokio::io::AsyncReadExt;
            raw.stream.read_exact(&mut answer).await
        })
        .await;
        assert!(
            matches!(read, Ok(Ok(_))) && answer == [0x20, 0x02, 0x00, 0x01],
            "{name}: an MQTT 5 CONNECT must get CONNACK 0x01 (unacceptable protocol version); got {answer:02x?} ({read:?})"
        );
        assert!(
            raw.closed_within(STEP).await,
            "{name}: open after refusing MQTT 5"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_listeners_survive_garbage_handshakes() {
    let _guard = shared().await;
    let mut h = Harness::start().await;
    let mut rng = Rng::new(0x5EED_0005);
    for (name, addr) in [
        ("LBS/TLS", h.addrs.lbs_tls),
        ("CUPS/TLS", h.addrs.cups_tls),
        ("MQTT v3/TLS", h.addrs.mqtt3_tls),
        ("MQTT v2/TLS", h.addrs.mqtt2_tls),
    ] {
        for (what, bytes) in [
            (
                "random bytes instead of a ClientHello",
                [vec![0x00], rng.bytes(1023)].concat(),
            ),
            (
                "plain HTTP on the TLS port",
                b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            ),
            (
                "a handshake record announcing 16 KiB then garbage",
                [vec![0x16, 3, 1, 0x40, 0], rng.bytes(16 * 1024)].concat(),
            ),
        ] {
            let mut tcp = TcpStream::connect(addr).await.unwrap();
            let _ = tcp.write_all(&bytes).await;
            assert!(
                clients::closed_within(&mut tcp, STEP).await,
                "{name}: the server kept the connection open for {STEP:?} after {what}"
            );
        }
    }
    // TLS still works: an MQTT v3 gateway over TLS is accepted.
    let stream = clients::tls_connect(&h.tls, h.addrs.mqtt3_tls)
        .await
        .expect("TLS handshake with the MQTT v3/TLS listener after the garbage");
    let mut raw = RawMqtt::over(stream);
    let ack = raw.login(MQTT3_ID, MQTT3_KEY).await;
    assert_eq!(
        ack.map(|a| a.code),
        Some(ConnectReturnCode::Success),
        "MQTT v3 over TLS"
    );
    drop(raw);
    h.drain_for(Duration::from_millis(200)).await;
    h.assert_all_protocols_healthy("TLS garbage").await;
}
