//! `gateway-forwarder bridge` end to end on loopback: a local packet forwarder (a
//! `semtech_udp::Forwarder`) pushes frames to the bridge, which carries them to the example
//! server over Basics Station, MQTT v3, MQTT v2 and Semtech UDP. Every uplink arrives exactly
//! once with the radio metadata it would have had over UDP directly; a downlink comes back as a
//! PULL_RESP with the right `tmst`, and its TX_ACK returns to the server as a TX ack.

#![allow(clippy::unwrap_used)]

#[path = "gateway_forwarder_support/mod.rs"]
mod support;

use loragw_examples::gateway_server::{DEMO_GATEWAY_ID, DEMO_LNS_KEY};
use loragw_gateway_io::adapter::udp::rxpk_to_uplink;
use loragw_gateway_io::transport::ListenerKind;
use loragw_gateway_io::ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_semtech_udp::{Stat, TxError, TxTiming, TxpkAck};
use support::*;

const FRAMES: u16 = 5;

fn upstream_toml(protocol: &str, addr: std::net::SocketAddr) -> String {
    match protocol {
        "lbs" => format!(
            "[[upstream]]\nprotocol = \"lbs\"\naddress = \"ws://{addr}\"\nkey = \"{DEMO_LNS_KEY}\"\n"
        ),
        // The demo gateway has keys, so the UDP listener refuses its EUI: another one.
        "udp" => format!(
            "[[upstream]]\nprotocol = \"udp\"\naddress = \"{addr}\"\neui = \"58A0CBFFFE900001\"\n"
        ),
        mqtt => format!(
            "[[upstream]]\nprotocol = \"{mqtt}\"\naddress = \"{addr}\"\ngateway_id = \"{DEMO_GATEWAY_ID}\"\nkey = \"{DEMO_LNS_KEY}\"\n"
        ),
    }
}

/// Uplinks, a status, a class A downlink and its acknowledgement through one protocol.
async fn through(protocol: &str, kind: ListenerKind) {
    let mut server = start_server().await;
    let addr = server.local_addr(kind).unwrap();
    let bridge = start_bridge(&upstream_toml(protocol, addr)).await;
    let mut local = LocalForwarder::start(bridge.local_addr()).await;

    let frames: Vec<_> = (0..FRAMES)
        .map(|n| rxpk(0x260B_0001, n, 4_000_000 + u32::from(n) * 250_000))
        .collect();
    for frame in &frames {
        local.push(frame);
    }
    let mut got = uplinks(&mut server, frames.len()).await;
    no_uplink(&mut server).await;
    got.sort_by_key(|(_, up)| up.raw_payload[6]);
    // Basics Station cannot carry the channel index, MQTT v2 no GPS time.
    let channel = protocol != "lbs";
    let gps = protocol != "mqtt-v2";
    for ((gateway, up), frame) in got.iter().zip(&frames) {
        let direct = rxpk_to_uplink(gateway, frame, None).unwrap();
        assert!(direct.rx_metadata[0].gps_time.is_some());
        assert_eq!(
            radio(up, channel, gps),
            radio(&direct, channel, gps),
            "{protocol}"
        );
    }

    // A downlink 1 s after the last uplink comes back with that tmst.
    let gateway = got[0].0.clone();
    let tmst = frames.last().unwrap().tmst + 1_000_000;
    server
        .send_downlink(&gateway, downlink(tmst))
        .await
        .unwrap();
    let (token, txpk) = local.next_downlink().await;
    assert_eq!(txpk.timing, TxTiming::Timestamp(tmst), "{protocol}");
    assert_eq!(txpk.data, downlink(tmst).raw_payload);
    assert_eq!(txpk.freq.hz(), 868_100_000);
    local.ack(token, TxpkAck::success());
    if protocol != "mqtt-v2" {
        let ack = tx_ack(&mut server).await;
        assert_eq!(ack.result, TxResult::Success as i32, "{protocol}: {ack:?}");
    }
    wait_summary(&bridge, |s| s.tx_acks_received == 1).await;

    let summary = bridge.stop().await;
    let up = &summary.upstreams[0];
    assert_eq!(summary.uplinks_received, u64::from(FRAMES));
    assert_eq!(up.uplinks_forwarded, u64::from(FRAMES), "{summary:?}");
    assert_eq!((up.uplinks_dropped, up.uplinks_failed), (0, 0));
    assert_eq!(up.downlinks_received, 1);
    assert_eq!(summary.downlinks_sent, 1);
    assert_eq!(summary.tx_acks_received, 1);
    let acked = u64::from(protocol != "mqtt-v2");
    assert_eq!(up.tx_acks_forwarded, acked, "{summary:?}");
}

#[tokio::test]
async fn bridge_over_basics_station() {
    through("lbs", ListenerKind::BasicStation).await;
}

#[tokio::test]
async fn bridge_over_mqtt_v3() {
    through("mqtt-v3", ListenerKind::MqttV3).await;
}

#[tokio::test]
async fn bridge_over_mqtt_v2() {
    through("mqtt-v2", ListenerKind::MqttV2).await;
}

#[tokio::test]
async fn bridge_over_udp() {
    through("udp", ListenerKind::Udp).await;
}

/// `stat` becomes a gateway status over MQTT and UDP; a TX_ACK error becomes a failed
/// acknowledgement with the reason.
#[tokio::test]
async fn status_and_a_failed_tx_ack_over_mqtt_v3_and_udp() {
    for (protocol, kind) in [
        ("mqtt-v3", ListenerKind::MqttV3),
        ("udp", ListenerKind::Udp),
    ] {
        let mut server = start_server().await;
        let addr = server.local_addr(kind).unwrap();
        let bridge = start_bridge(&upstream_toml(protocol, addr)).await;
        wait_summary(&bridge, |s| s.upstreams[0].connected).await;
        let mut local = LocalForwarder::start(bridge.local_addr()).await;
        local.status(Stat {
            rxnb: Some(7),
            rxok: Some(6),
            txnb: Some(2),
            ..Stat::default()
        });
        let status = status(&mut server).await;
        assert_eq!(
            status.metrics.get("rxin"),
            Some(&7.0),
            "{protocol}: {status:?}"
        );
        assert_eq!(
            status.metrics.get("rxok"),
            Some(&6.0),
            "{protocol}: {status:?}"
        );

        // The gateway must be known downstream first: one uplink.
        local.push(&rxpk(0x260B_0001, 0, 9_000_000));
        let got = uplinks(&mut server, 1).await;
        server
            .send_downlink(&got[0].0, downlink(10_000_000))
            .await
            .unwrap();
        let (token, _) = local.next_downlink().await;
        local.ack(token, TxpkAck::rejected(TxError::TooLate));
        let ack = tx_ack(&mut server).await;
        assert_eq!(ack.result, TxResult::TooLate as i32, "{protocol}: {ack:?}");
        let summary = bridge.stop().await;
        assert_eq!(summary.upstreams[0].tx_failures_forwarded, 1);
        assert_eq!(summary.upstreams[0].statuses_forwarded, 1);
    }
}

/// Basics Station over `wss://`, trusting the server's self-signed certificate as the CA.
#[tokio::test]
async fn bridge_over_basics_station_with_tls() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = std::env::temp_dir().join(format!("loragw-bridge-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let mut config = demo_on_port_zero();
    config.listeners.lbs_tls = Some("127.0.0.1:0".into());
    config.tls = Some(loragw_examples::gateway_server::TlsFiles {
        cert: cert.display().to_string(),
        key: key.display().to_string(),
        client_ca: None,
    });
    let mut server = loragw_examples::gateway_server::start(config)
        .await
        .unwrap();
    let port = server
        .local_addr(ListenerKind::BasicStationTls)
        .unwrap()
        .port();
    let bridge = start_bridge(&format!(
        "[[upstream]]\nprotocol = \"lbs\"\naddress = \"wss://localhost:{port}\"\nkey = \"{DEMO_LNS_KEY}\"\ntls_ca = \"{}\"\n",
        cert.display()
    ))
    .await;
    wait_summary(&bridge, |s| s.upstreams[0].connected).await;
    let local = LocalForwarder::start(bridge.local_addr()).await;
    let frame = rxpk(0x260B_0001, 0, 3_000_000);
    local.push(&frame);
    let got = uplinks(&mut server, 1).await;
    let direct = rxpk_to_uplink(&got[0].0, &frame, None).unwrap();
    assert_eq!(radio(&got[0].1, false, true), radio(&direct, false, true));
    bridge.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// MQTT v3 over TLS (`tls_ca` on an MQTT upstream), trusting the server's self-signed
/// certificate as the CA: uplinks arrive as over UDP directly, and a bridge that trusts another
/// CA never connects.
#[tokio::test]
async fn bridge_over_mqtt_v3_with_tls() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = std::env::temp_dir().join(format!("loragw-bridge-mqtts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key, wrong) = (
        dir.join("cert.pem"),
        dir.join("key.pem"),
        dir.join("other.pem"),
    );
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    std::fs::write(&wrong, other.cert.pem()).unwrap();
    let mut config = demo_on_port_zero();
    config.listeners.mqtt_v3_tls = Some("127.0.0.1:0".into());
    config.tls = Some(loragw_examples::gateway_server::TlsFiles {
        cert: cert.display().to_string(),
        key: key.display().to_string(),
        client_ca: None,
    });
    let mut server = loragw_examples::gateway_server::start(config)
        .await
        .unwrap();
    let port = server.local_addr(ListenerKind::MqttV3Tls).unwrap().port();
    let upstream = |ca: &std::path::Path| {
        format!(
            "[[upstream]]\nprotocol = \"mqtt-v3\"\naddress = \"localhost:{port}\"\ngateway_id = \"{DEMO_GATEWAY_ID}\"\nkey = \"{DEMO_LNS_KEY}\"\ntls_ca = \"{}\"\n",
            ca.display()
        )
    };

    // Trusting another CA: the handshake fails, the upstream never connects.
    let refused = start_bridge(&upstream(&wrong)).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let summary = refused.stop().await;
    assert!(!summary.upstreams[0].connected, "{summary:?}");

    let bridge = start_bridge(&upstream(&cert)).await;
    wait_summary(&bridge, |s| s.upstreams[0].connected).await;
    let local = LocalForwarder::start(bridge.local_addr()).await;
    let frame = rxpk(0x260B_0001, 0, 3_000_000);
    local.push(&frame);
    let got = uplinks(&mut server, 1).await;
    let direct = rxpk_to_uplink(&got[0].0, &frame, None).unwrap();
    assert_eq!(radio(&got[0].1, true, true), radio(&direct, true, true));
    bridge.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
