//! `gateway-forwarder bridge` with several upstreams and restarts: uplinks split by DevAddr
//! prefix between two servers, downlinks only from the downlink-capable one; an upstream
//! restarted mid-run gets the uplinks it missed once it is back, none twice.

#![allow(clippy::unwrap_used)]

#[path = "gateway_forwarder_support/mod.rs"]
mod support;

use loragw_examples::gateway_forwarder::bridge::BridgeConfig;
use loragw_examples::gateway_server::{self, DEMO_GATEWAY_ID, DEMO_LNS_KEY};
use loragw_gateway_io::transport::ListenerKind;
use loragw_gateway_io::ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_semtech_udp::{TxTiming, TxpkAck};
use support::*;

fn fcnt(up: &loragw_gateway_io::ttnpb::UplinkMessage) -> u16 {
    u16::from_le_bytes([up.raw_payload[6], up.raw_payload[7]])
}

fn dev_addr(up: &loragw_gateway_io::ttnpb::UplinkMessage) -> u32 {
    u32::from_le_bytes(up.raw_payload[1..5].try_into().unwrap())
}

#[tokio::test]
async fn two_servers_split_by_dev_addr_and_only_one_sends_downlinks() {
    let mut a = start_server().await;
    let mut b = start_server().await;
    let a_addr = a.local_addr(ListenerKind::MqttV3).unwrap();
    let b_addr = b.local_addr(ListenerKind::Udp).unwrap();
    let bridge = start_bridge(&format!(
        r#"
[[upstream]]
name = "a"
protocol = "mqtt-v3"
address = "{a_addr}"
gateway_id = "{DEMO_GATEWAY_ID}"
key = "{DEMO_LNS_KEY}"
dev_addr_prefixes = ["26000000/8"]

[[upstream]]
name = "b"
protocol = "udp"
address = "{b_addr}"
eui = "58A0CBFFFE900001"
downlink = false
dev_addr_prefixes = ["27000000/8"]
"#
    ))
    .await;
    wait_summary(&bridge, |s| s.upstreams.iter().all(|u| u.connected)).await;
    let mut local = LocalForwarder::start(bridge.local_addr()).await;
    for n in 0..6u16 {
        let addr = if n % 2 == 0 { 0x2600_0001 } else { 0x2700_0001 };
        local.push(&rxpk(addr, n, 1_000_000 + u32::from(n) * 100_000));
    }
    let got_a = uplinks(&mut a, 3).await;
    let got_b = uplinks(&mut b, 3).await;
    no_uplink(&mut a).await;
    no_uplink(&mut b).await;
    assert!(got_a.iter().all(|(_, up)| dev_addr(up) == 0x2600_0001));
    assert!(got_b.iter().all(|(_, up)| dev_addr(up) == 0x2700_0001));
    let mut fcnts: Vec<u16> = got_a.iter().map(|(_, u)| fcnt(u)).collect();
    fcnts.sort_unstable();
    assert_eq!(fcnts, [0, 2, 4]);

    // B's downlink is refused (and B hears a failed TX_ACK); A's is transmitted.
    b.send_downlink(&got_b[0].0, downlink(5_000_000))
        .await
        .unwrap();
    let ack = tx_ack(&mut b).await;
    assert_ne!(ack.result, TxResult::Success as i32, "{ack:?}");
    local.no_downlink().await;
    a.send_downlink(&got_a[0].0, downlink(5_000_000))
        .await
        .unwrap();
    let (token, txpk) = local.next_downlink().await;
    assert_eq!(txpk.timing, TxTiming::Timestamp(5_000_000));
    local.ack(token, TxpkAck::success());
    assert_eq!(tx_ack(&mut a).await.result, TxResult::Success as i32);

    let summary = bridge.stop().await;
    let (sa, sb) = (&summary.upstreams[0], &summary.upstreams[1]);
    assert_eq!((sa.name.as_str(), sb.name.as_str()), ("a", "b"));
    assert_eq!((sa.uplinks_forwarded, sa.uplinks_filtered), (3, 3));
    assert_eq!((sb.uplinks_forwarded, sb.uplinks_filtered), (3, 3));
    assert_eq!((sa.downlinks_received, sb.downlinks_refused), (1, 1));
    assert_eq!(summary.downlinks_sent, 1);
}

#[tokio::test]
async fn a_restarted_upstream_gets_the_buffered_uplinks_once() {
    // Basics Station upstream on a fixed port, so the restarted server is found again.
    let mut config = demo_on_port_zero();
    let mut server = gateway_server::start(config.clone()).await.unwrap();
    let addr = server.local_addr(ListenerKind::BasicStation).unwrap();
    config.listeners.lbs = Some(addr.to_string());
    let bridge = start_bridge(&format!(
        "[[upstream]]\nprotocol = \"lbs\"\naddress = \"ws://{addr}\"\nkey = \"{DEMO_LNS_KEY}\"\n"
    ))
    .await;
    let local = LocalForwarder::start(bridge.local_addr()).await;
    for n in 0..3u16 {
        local.push(&rxpk(0x2600_0001, n, 1_000_000 + u32::from(n) * 100_000));
    }
    let before = uplinks(&mut server, 3).await;
    // Uplinks that came before the first `router_config` waited too.
    let waited = bridge.summary().upstreams[0].uplinks_buffered;

    drop(server);
    wait_summary(&bridge, |s| !s.upstreams[0].connected).await;
    for n in 3..8u16 {
        local.push(&rxpk(0x2600_0001, n, 1_000_000 + u32::from(n) * 100_000));
    }
    wait_summary(&bridge, |s| s.upstreams[0].uplinks_buffered == waited + 5).await;

    // Same port again: the bridge reconnects and sends what it kept.
    config.listeners.udp = Some("127.0.0.1:0".into());
    let mut server = gateway_server::start(config).await.unwrap();
    let after = uplinks(&mut server, 5).await;
    no_uplink(&mut server).await;
    let mut fcnts: Vec<u16> = before.iter().chain(&after).map(|(_, u)| fcnt(u)).collect();
    fcnts.sort_unstable();
    assert_eq!(fcnts, (0..8).collect::<Vec<_>>());

    let summary = bridge.stop().await;
    let up = &summary.upstreams[0];
    assert_eq!(up.uplinks_forwarded, 8, "{summary:?}");
    assert_eq!((up.uplinks_buffered, up.uplinks_dropped), (waited + 5, 0));
    assert!(up.connections >= 2, "{summary:?}");
}

#[tokio::test]
async fn a_full_buffer_drops_the_oldest_uplinks_and_counts_them() {
    // An MQTT upstream that never connects (nothing listens on the port).
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = unused.local_addr().unwrap().port();
    drop(unused);
    let text = format!(
        "listen = \"127.0.0.1:0\"\ngateway_eui = \"{DEMO_EUI:016X}\"\nbuffer = 2\n\
         [[upstream]]\nprotocol = \"mqtt-v3\"\naddress = \"127.0.0.1:{port}\"\ngateway_id = \"gw-full\"\n"
    );
    let bridge = loragw_examples::gateway_forwarder::bridge::Bridge::start(
        BridgeConfig::from_toml(&text).unwrap(),
    )
    .await
    .unwrap();
    let local = LocalForwarder::start(bridge.local_addr()).await;
    for n in 0..5u16 {
        local.push(&rxpk(0x2600_0001, n, u32::from(n)));
    }
    wait_summary(&bridge, |s| s.upstreams[0].uplinks_buffered == 5).await;
    let summary = bridge.stop().await;
    let up = &summary.upstreams[0];
    assert_eq!((up.uplinks_dropped, up.uplinks_forwarded), (3, 0));
    assert!(!up.connected);
}

#[tokio::test]
async fn a_forwarder_with_another_eui_is_refused() {
    let mut server = start_server().await;
    let addr = server.local_addr(ListenerKind::MqttV3).unwrap();
    let bridge = start_bridge(&format!(
        "[[upstream]]\nprotocol = \"mqtt-v3\"\naddress = \"{addr}\"\ngateway_id = \"{DEMO_GATEWAY_ID}\"\nkey = \"{DEMO_LNS_KEY}\"\n"
    ))
    .await;
    wait_summary(&bridge, |s| s.upstreams[0].connected).await;
    let stranger = LocalForwarder::start_with_eui(bridge.local_addr(), DEMO_EUI + 1).await;
    stranger.push(&rxpk(0x2600_0001, 0, 1_000));
    no_uplink(&mut server).await;
    // The configured forwarder is still served.
    let local = LocalForwarder::start(bridge.local_addr()).await;
    local.push(&rxpk(0x2600_0001, 1, 2_000));
    let got = uplinks(&mut server, 1).await;
    assert_eq!(fcnt(&got[0].1), 1);
    let summary = bridge.stop().await;
    assert_eq!(summary.uplinks_received, 1);
}

#[tokio::test]
async fn an_mqtt_upstream_without_downlinks_answers_a_downlink_with_a_failed_ack() {
    let mut server = start_server().await;
    let addr = server.local_addr(ListenerKind::MqttV3).unwrap();
    let bridge = start_bridge(&format!(
        "[[upstream]]\nprotocol = \"mqtt-v3\"\naddress = \"{addr}\"\ngateway_id = \"{DEMO_GATEWAY_ID}\"\nkey = \"{DEMO_LNS_KEY}\"\ndownlink = false\n"
    ))
    .await;
    wait_summary(&bridge, |s| s.upstreams[0].connected).await;
    let mut local = LocalForwarder::start(bridge.local_addr()).await;
    local.push(&rxpk(0x2600_0001, 0, 1_000_000));
    let got = uplinks(&mut server, 1).await;
    server
        .send_downlink(&got[0].0, downlink(2_000_000))
        .await
        .unwrap();
    let ack = tx_ack(&mut server).await;
    assert_eq!(ack.result, TxResult::UnknownError as i32, "{ack:?}");
    assert!(
        ack.correlation_ids.iter().any(|c| c == "test:bridge:1"),
        "{ack:?}"
    );
    local.no_downlink().await;
    let summary = bridge.stop().await;
    let up = &summary.upstreams[0];
    assert_eq!((up.downlinks_refused, up.tx_failures_forwarded), (1, 1));
}

#[tokio::test]
async fn a_restarted_mqtt_server_gets_the_buffered_uplinks_once() {
    let mut config = demo_on_port_zero();
    let mut server = gateway_server::start(config.clone()).await.unwrap();
    let addr = server.local_addr(ListenerKind::MqttV3).unwrap();
    config.listeners.mqtt_v3 = Some(addr.to_string());
    let bridge = start_bridge(&format!(
        "[[upstream]]\nprotocol = \"mqtt-v3\"\naddress = \"{addr}\"\ngateway_id = \"{DEMO_GATEWAY_ID}\"\nkey = \"{DEMO_LNS_KEY}\"\n"
    ))
    .await;
    wait_summary(&bridge, |s| s.upstreams[0].connected).await;
    let local = LocalForwarder::start(bridge.local_addr()).await;
    local.push(&rxpk(0x2600_0001, 0, 1_000_000));
    let before = uplinks(&mut server, 1).await;

    drop(server);
    wait_summary(&bridge, |s| !s.upstreams[0].connected).await;
    for n in 1..4u16 {
        local.push(&rxpk(0x2600_0001, n, 1_000_000 + u32::from(n) * 100_000));
    }
    wait_summary(&bridge, |s| s.upstreams[0].uplinks_buffered == 3).await;
    let mut server = gateway_server::start(config).await.unwrap();
    let after = uplinks(&mut server, 3).await;
    no_uplink(&mut server).await;
    let mut fcnts: Vec<u16> = before.iter().chain(&after).map(|(_, u)| fcnt(u)).collect();
    fcnts.sort_unstable();
    assert_eq!(fcnts, [0, 1, 2, 3]);
    let summary = bridge.stop().await;
    let up = &summary.upstreams[0];
    assert_eq!((up.uplinks_forwarded, up.uplinks_dropped), (4, 0));
    assert!(up.connections >= 2, "{summary:?}");
}
