//! Battery 3: forged identities. Semtech UDP datagrams naming a keyed gateway, CONNECTs with
//! another gateway's name, LNS upgrades and CUPS requests probing which gateways exist, and
//! gateways publishing or subscribing on another gateway's topics.

use std::time::Duration;

use loragw_gateway_io::event::{GatewayEvent, Protocol};
use loragw_gateway_io::ttnpb::prost::Message as _;
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{ConnectReturnCode, Packet, SubscribeReasonCode};

use crate::clients::{self, PULL_RESP, PUSH_DATA, RawMqtt, UdpGateway};
use crate::fixtures::*;
use crate::support::{Harness, marker, shared, summarize};

/// How long to watch for something that must not happen.
const QUIET: Duration = Duration::from_secs(1);

async fn mqtt3_gateway(h: &Harness) -> RawMqtt<tokio::net::TcpStream> {
    let (mut raw, ack) = RawMqtt::connect(h.addrs.mqtt3, MQTT3_ID, MQTT3_KEY).await;
    assert_eq!(
        ack.map(|a| a.code),
        Some(ConnectReturnCode::Success),
        "MQTT v3 gateway CONNECT"
    );
    assert!(matches!(
        raw.subscribe(&format!("v3/{MQTT3_ID}/down")).await,
        Some(Packet::SubAck(_))
    ));
    raw
}

/// The downlink tagged `tag` arrives on this MQTT v3 connection within `STEP`.
async fn receives(raw: &mut RawMqtt<tokio::net::TcpStream>, tag: &str) -> bool {
    let deadline = tokio::time::Instant::now() + STEP;
    while let Some(p) = raw
        .recv_within(deadline - tokio::time::Instant::now())
        .await
    {
        if let Packet::Publish(p) = p {
            let down = loragw_gateway_io::ttnpb::GatewayDown::decode(&p.payload[..]).ok();
            if down
                .and_then(|d| d.downlink_message)
                .is_some_and(|d| d.correlation_ids.iter().any(|c| c == tag))
            {
                return true;
            }
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_datagrams_cannot_take_the_route_of_a_keyed_mqtt_gateway() {
    let _guard = shared().await;
    let mut h = Harness::start().await;
    let mut mqtt = mqtt3_gateway(&h).await;
    let connected = h
        .wait_for(STEP, |e| matches!(e, GatewayEvent::Connected { gateway, .. } if gateway.gateway_id == MQTT3_ID))
        .await;
    assert!(connected.is_ok(), "MQTT v3 gateway: {connected:?}");

    // The forger names the MQTT gateway's EUI over Semtech UDP.
    let mut forger = UdpGateway::new(h.addrs.udp, MQTT3_EUI).await;
    let m = marker();
    forger
        .send_kind(PUSH_DATA, &clients::rxpk_json(&phy(m)))
        .await;
    forger.pull(STEP).await;
    let seen = h.drain_for(QUIET).await;
    let taken: Vec<&GatewayEvent> = seen
        .iter()
        .filter(|e| {
            e.gateway().gateway_id == MQTT3_ID
                && matches!(e.protocol(), Protocol::SemtechUdp { .. })
        })
        .collect();
    assert!(
        taken.is_empty(),
        "unauthenticated Semtech UDP datagrams were accepted for the keyed gateway {MQTT3_ID}: {}",
        summarize(&taken.into_iter().cloned().collect::<Vec<_>>())
    );

    // The route stayed with MQTT: the downlink reaches the MQTT client, not the forger.
    let tag = format!("forged:udp:{m}");
    let sent = h.send_downlink(MQTT3_ID, downlink(&tag)).await;
    assert_eq!(sent, Ok(()), "downlink to the MQTT gateway");
    assert!(
        forger.expect_reply(PULL_RESP, 0, QUIET).await.is_none(),
        "a downlink for {MQTT3_ID} went to the Semtech UDP forger"
    );
    assert!(
        receives(&mut mqtt, &tag).await,
        "the downlink for {MQTT3_ID} did not reach its MQTT connection after the forged PULL_DATA"
    );
    h.assert_all_protocols_healthy("forged Semtech UDP datagrams")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_connect_with_a_wrong_key_neither_replaces_nor_reveals() {
    let _guard = shared().await;
    let mut h = Harness::start().await;
    let mut mqtt = mqtt3_gateway(&h).await;
    for (name, addr) in [("MQTT v3", h.addrs.mqtt3), ("MQTT v2", h.addrs.mqtt2)] {
        let (mut wrong_key, a) = RawMqtt::connect(addr, MQTT3_ID, "NNSXS.WRONG").await;
        let (mut other_key, b) = RawMqtt::connect(addr, MQTT3_ID, MQTT2_KEY).await;
        let (mut unknown, c) = RawMqtt::connect(addr, "gw-nobody", "NNSXS.WRONG").await;
        let codes = [a.map(|a| a.code), b.map(|b| b.code), c.map(|c| c.code)];
        assert!(
            codes
                .iter()
                .all(|c| c.is_some() && *c != Some(ConnectReturnCode::Success)),
            "{name}: forged CONNECTs must be refused with a CONNACK: {codes:?}"
        );
        assert!(
            codes[0] == codes[2] && codes[1] == codes[2],
            "{name}: the CONNACK for a wrong key differs from the one for an unknown gateway, \
             revealing which gateways exist: {codes:?}"
        );
        for raw in [&mut wrong_key, &mut other_key, &mut unknown] {
            assert!(
                raw.closed_within(STEP).await,
                "{name}: open after a refused CONNECT"
            );
        }
    }
    let events = h.drain_for(QUIET).await;
    assert!(
        !events.iter().any(|e| matches!(e, GatewayEvent::Disconnected { gateway, .. } if gateway.gateway_id == MQTT3_ID)),
        "a refused CONNECT disconnected the real {MQTT3_ID}: {}",
        summarize(&events)
    );
    let tag = format!("forged:connect:{}", marker());
    assert_eq!(h.send_downlink(MQTT3_ID, downlink(&tag)).await, Ok(()));
    assert!(
        receives(&mut mqtt, &tag).await,
        "the real {MQTT3_ID} lost its downlinks"
    );
    h.assert_all_protocols_healthy("forged MQTT CONNECTs").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lns_upgrade_does_not_reveal_which_gateways_exist() {
    let _guard = shared().await;
    let mut h = Harness::start().await;
    let addr = h.addrs.lbs;
    let unknown = clients::ws_connect(
        addr,
        &format!("/traffic/eui-{UNKNOWN_EUI:016X}"),
        Some(LBS_KEY),
    )
    .await;
    let wrong_key = clients::ws_connect(
        addr,
        &format!("/traffic/eui-{LBS_EUI:016X}"),
        Some("NNSXS.WRONG"),
    )
    .await;
    let no_key = clients::ws_connect(addr, &format!("/traffic/eui-{LBS_EUI:016X}"), None).await;
    let status = |r: &Result<clients::Ws, u16>| r.as_ref().err().copied();
    let (unknown, wrong_key, no_key) = (status(&unknown), status(&wrong_key), status(&no_key));
    assert_eq!(
        (unknown, wrong_key, no_key),
        (Some(401), Some(401), Some(401)),
        "LNS upgrade: unknown EUI, wrong key and no key must all be 401 (None: upgraded), \
         or the answer reveals which gateways exist"
    );
    h.assert_all_protocols_healthy("LNS upgrade probing").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cups_does_not_reveal_which_gateways_exist() {
    let _guard = shared().await;
    let h = Harness::start().await;
    let addr = h.addrs.cups;
    let ask = |eui: u64, key: &'static str| async move {
        let body = clients::update_info_body(eui);
        clients::http_status(addr, &clients::update_info_request(addr, key, &body)).await
    };
    let unknown = ask(UNKNOWN_EUI, CUPS_KEY).await;
    let wrong_key = ask(LBS_EUI, "NNSXS.WRONG").await;
    assert_eq!(
        unknown, wrong_key,
        "CUPS: an unknown EUI ({unknown}) and a wrong key ({wrong_key}) get different answers, \
         revealing which gateways exist"
    );
    assert_eq!(
        h.cups_status().await,
        200,
        "CUPS still serves the real gateway"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateways_cannot_publish_or_subscribe_on_another_gateways_topics() {
    let _guard = shared().await;
    let mut h = Harness::start().await;
    let mut victim = mqtt3_gateway(&h).await;
    // gw-mqtt2 holds a valid key, so it may connect to the v3 listener as itself; nothing more.
    let (mut intruder, ack) = RawMqtt::connect(h.addrs.mqtt3, MQTT2_ID, MQTT2_KEY).await;
    assert_eq!(ack.map(|a| a.code), Some(ConnectReturnCode::Success));
    let answer = intruder.subscribe(&format!("v3/{MQTT3_ID}/down")).await;
    assert!(
        matches!(&answer, Some(Packet::SubAck(s)) if s.return_codes == [SubscribeReasonCode::Failure])
            || answer.is_none(),
        "subscribing to another gateway's down topic must fail: {answer:?}"
    );
    let m = marker();
    intruder
        .publish(
            &format!("v3/{MQTT3_ID}/up"),
            QoS::AtMostOnce,
            0,
            uplink(m).encode_to_vec(),
        )
        .await;
    // v2: gw-race (valid key) publishes a v2 uplink as gw-mqtt2.
    let (mut intruder2, ack) = RawMqtt::connect(h.addrs.mqtt2, RACE_ID, RACE_KEY).await;
    assert_eq!(ack.map(|a| a.code), Some(ConnectReturnCode::Success));
    let v2 = loragw_mqtt_v2::uplink_from_v3(&uplink(m), MQTT2_ID).unwrap();
    intruder2
        .publish(
            &format!("{MQTT2_ID}/up"),
            QoS::AtMostOnce,
            0,
            v2.encode_to_vec(),
        )
        .await;
    let seen = h.drain_for(QUIET).await;
    let forged: Vec<GatewayEvent> = seen
        .into_iter()
        .filter(
            |e| matches!(e, GatewayEvent::Uplink { message, .. } if message.raw_payload == phy(m)),
        )
        .collect();
    assert!(
        forged.is_empty(),
        "uplinks published on another gateway's topic were accepted: {}",
        summarize(&forged)
    );
    let tag = format!("forged:topic:{m}");
    assert_eq!(h.send_downlink(MQTT3_ID, downlink(&tag)).await, Ok(()));
    assert!(
        receives(&mut victim, &tag).await,
        "the victim lost its downlink"
    );
    let leaked = intruder.recv_within(QUIET).await;
    assert!(
        !matches!(leaked, Some(Packet::Publish(_))),
        "another gateway received {MQTT3_ID}'s downlink: {leaked:?}"
    );
    h.assert_all_protocols_healthy("publishing on another gateway's topics")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_and_spoofed_tx_acks_end_in_one_tx_ack() {
    let _guard = shared().await;
    let mut h = Harness::start().await;
    let mut gw = UdpGateway::new(h.addrs.udp, UDP_EUI).await;
    assert!(gw.pull(STEP).await, "PULL_ACK");
    // The first datagram of a gateway is acknowledged at once and admitted after the registry
    // answered (off the driver task): downlinks wait for its `Connected`.
    h.wait_for(
        STEP,
        |e| matches!(e, GatewayEvent::Connected { gateway, .. } if gateway.gateway_id == UDP_ID),
    )
    .await
    .expect("the UDP gateway is admitted after its PULL_DATA");
    let tag = format!("forged:txack:{}", marker());
    assert_eq!(h.send_downlink(UDP_ID, downlink(&tag)).await, Ok(()));
    let resp = gw
        .expect_reply(PULL_RESP, 0, STEP)
        .await
        .expect("PULL_RESP for the downlink");
    let token = u16::from_be_bytes([resp[1], resp[2]]);
    // The gateway acknowledges three times; a spoofer (another source port) twice more.
    let spoofer = UdpGateway::new(h.addrs.udp, UDP_EUI).await;
    for (sender, error) in [
        (&gw, "NONE"),
        (&gw, "NONE"),
        (&spoofer, "TOO_LATE"),
        (&gw, "NONE"),
        (&spoofer, "COLLISION_PACKET"),
    ] {
        let body = format!(r#"{{"txpk_ack":{{"error":"{error}"}}}}"#);
        sender
            .send(&clients::gwmp(token, clients::TX_ACK, UDP_EUI, &body))
            .await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let events = h.drain_for(QUIET).await;
    let acks: Vec<GatewayEvent> = events
        .into_iter()
        .filter(|e| matches!(e, GatewayEvent::TxAck { ack, .. } if ack_carries(ack, &tag)))
        .collect();
    assert_eq!(
        acks.len(),
        1,
        "five TX_ACKs (three replays, two spoofed) for one downlink must end in exactly one \
         TxAck: {}",
        summarize(&acks)
    );
    h.assert_all_protocols_healthy("replayed and spoofed TX_ACKs")
        .await;
}
