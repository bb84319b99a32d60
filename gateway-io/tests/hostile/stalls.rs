//! Peers that stop reading (part of the flood battery): an MQTT v3 gateway and a station
//! complete their handshakes, then never read again.
//!
//! First a burst of downlinks: the per-gateway in-flight cap (MQTT 16, Basics Station 64) must
//! refuse the rest with a clear error, and `send_downlink` must never block. Those downlinks
//! fit in the kernel's socket buffers, so they cannot prove the write timeout; the peers then
//! flood the server with cheap requests it must answer (MQTT PINGREQ → PINGRESP, Basics Station
//! `timesync` → `timesync`) while still never reading, until the server's writes to them are
//! stuck. The server must then give them up (`Disconnected`) within the write timeout, keep
//! serving everyone else meanwhile (other gateways on the same listeners, and the other
//! protocols), and end every accepted downlink in exactly one (failed) `TxAck`.
//!
//! The contrast: a station that bursts requests but reads every answer stays connected.

use std::time::{Duration, Instant};

use loragw_basicstation::station::StationEvent;
use loragw_gateway_io::event::{DisconnectReason, GatewayEvent, TxFailure};
use rumqttc::mqttbytes::v4::{ConnectReturnCode, Packet};
use tokio::sync::watch;

use crate::clients::{Flood, RawMqtt, RawWs, Station, duplicate, flood, tcp_small_receive_buffer};
use crate::fixtures::*;
use crate::support::{Harness, marker, shared, summarize};

/// The write timeout the listeners promise (10 s per write) with margin for a loaded machine,
/// counted from the flood's start. The client's writes stall once the server's receive buffer
/// is full, but the server still answers the requests already buffered until its own write
/// blocks (for MQTT's 2-byte PINGREQs, ~3 s), and the 10 s start there. Observed: Basics
/// Station ~11 s, MQTT 13–15 s.
const WRITE_BOUND: Duration = Duration::from_secs(25);
/// Downlinks sent to each stalled gateway at most (far more than the caps).
const MAX_DOWNLINKS: usize = 1_000;
/// Downlinks refused in a row after which the burst stops.
const REFUSALS: usize = 50;
/// The per-gateway in-flight caps of the default settings (MQTT `tokens_capacity`, Basics
/// Station `remembered_downlinks`).
const MQTT_CAP: usize = 16;
const LBS_CAP: usize = 64;
/// An MQTT PINGREQ: the server must answer each with a PINGRESP.
const PINGREQ: [u8; 2] = [0xC0, 0x00];
/// A station's `timesync`: the LNS answers each with a `timesync` of its own.
const TIMESYNC: &str = r#"{"msgtype":"timesync","txtime":1000}"#;

/// A downlink with a 200-byte payload, RX2 of EU868 at SF7 (which carries it).
fn big_downlink(tag: &str) -> loragw_gateway_io::ttnpb::DownlinkMessage {
    use loragw_gateway_io::ttnpb::downlink_message::Settings;
    use loragw_gateway_io::ttnpb::{DataRate, TxSettings};
    let mut d = lbs_downlink(tag);
    d.raw_payload.resize(200, 0xA5);
    if let Some(Settings::Scheduled(s)) = d.settings.as_mut() {
        *s = TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            ..s.clone()
        };
    }
    d
}

/// Downlinks to `gateway` until [`REFUSALS`] in a row are refused: the tags accepted and the
/// first refusal's text. `Err` if a `send_downlink` blocked.
async fn burst(
    downlinks: &crate::support::Downlinks,
    gateway: &str,
) -> Result<(Vec<String>, Option<String>), String> {
    let mut accepted = Vec::new();
    let mut first_refusal = None;
    let mut refused_in_a_row = 0;
    for i in 0..MAX_DOWNLINKS {
        let tag = format!("stall:{gateway}:{i}");
        match downlinks.send(gateway, big_downlink(&tag)).await {
            Ok(()) => {
                refused_in_a_row = 0;
                accepted.push(tag);
            }
            Err(e) if e.contains("did not return") => {
                return Err(format!(
                    "send_downlink to {gateway} blocked for {STEP:?} after {i} downlinks: a \
                     stalled gateway holds up the listener"
                ));
            }
            Err(e) => {
                first_refusal.get_or_insert(format!("after {i}: {e}"));
                refused_in_a_row += 1;
                if refused_in_a_row >= REFUSALS {
                    break;
                }
            }
        }
    }
    Ok((accepted, first_refusal))
}

/// Other gateways, on the stalled peers' own listeners and on the other protocols, while the
/// stalled peers' writes are stuck: each failure described.
async fn others_served(h: &mut Harness) -> Vec<String> {
    let mut failures = Vec::new();
    let addrs = h.addrs;
    // Another station on the same Basics Station listener: router_config and a timesync.
    match h
        .during(Station::connect(addrs.lbs, RACE_EUI, RACE_KEY))
        .await
    {
        Ok(mut station) => {
            match h.during(station.next_event_within(STEP)).await {
                Some(StationEvent::RouterConfig(_)) => {
                    if !h.during(station.probe(u32::from(marker()), STEP)).await {
                        failures.push("another station's timesync went unanswered".to_owned());
                    }
                }
                other => failures.push(format!("another station got no router_config: {other:?}")),
            }
            let _ = h
                .during(tokio::time::timeout(STEP, station.ws.close(None)))
                .await;
        }
        Err(status) => failures.push(format!("another station was refused (HTTP {status})")),
    }
    // Another gateway on the same MQTT v3 listener: CONNACK and a PINGREQ round trip.
    let (mut raw, ack) = h
        .during(RawMqtt::connect(addrs.mqtt3, RACE_ID, RACE_KEY))
        .await;
    if ack.as_ref().map(|a| a.code) != Some(ConnectReturnCode::Success) {
        failures.push(format!("another MQTT v3 gateway was not accepted: {ack:?}"));
    } else {
        raw.send(Packet::PingReq).await;
        match h.during(raw.recv_within(STEP)).await {
            Some(Packet::PingResp) => {}
            other => failures.push(format!(
                "another MQTT v3 gateway got no PINGRESP: {other:?}"
            )),
        }
        raw.send(Packet::Disconnect).await;
    }
    if let Err(e) = h.udp_healthy().await {
        failures.push(format!("Semtech UDP: {e}"));
    }
    if let Err(e) = h.mqtt2_healthy().await {
        failures.push(format!("MQTT v2: {e}"));
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateways_that_stop_reading_are_disconnected_after_the_write_timeout() {
    let _guard = shared().await;
    let mut h = Harness::start().await;

    let tcp = tcp_small_receive_buffer(h.addrs.mqtt3).await;
    let mqtt_flood = duplicate(&tcp);
    let mut mqtt = RawMqtt::over(tcp);
    let ack = mqtt.login(MQTT3_ID, MQTT3_KEY).await;
    assert_eq!(ack.map(|a| a.code), Some(ConnectReturnCode::Success));
    assert!(matches!(
        mqtt.subscribe(&format!("v3/{MQTT3_ID}/down")).await,
        Some(Packet::SubAck(_))
    ));
    let tcp = tcp_small_receive_buffer(h.addrs.lbs).await;
    let lbs_flood = duplicate(&tcp);
    let mut station = Station::connect_over(tcp, h.addrs.lbs, LBS_EUI, LBS_KEY)
        .await
        .expect("station upgrade");
    let first = h.during(station.next_event_within(STEP)).await;
    assert!(
        matches!(first, Some(StationEvent::RouterConfig(_))),
        "{first:?}"
    );
    // From here on neither client reads.

    // 1. A burst of downlinks: the in-flight cap refuses the rest, nothing blocks.
    let downlinks = h.downlinks();
    let mut accepted: Vec<(&str, String)> = Vec::new();
    for (gateway, cap) in [(MQTT3_ID, MQTT_CAP), (LBS_ID, LBS_CAP)] {
        let (tags, refusal) = h
            .during(burst(&downlinks, gateway))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            tags.len(),
            cap,
            "downlinks accepted for {gateway} before the in-flight cap refused (first refusal: \
             {refusal:?})"
        );
        let refusal = refusal.unwrap_or_default();
        assert!(
            refusal.contains(&format!("after {cap}:"))
                && refusal.contains(&format!("{cap} downlinks already in flight")),
            "the refusal for {gateway} does not name the in-flight cap: {refusal:?}"
        );
        accepted.extend(tags.into_iter().map(|t| (gateway, t)));
    }

    // 2. Cheap requests the server must answer, written without ever reading.
    let flood_start = Instant::now();
    let until = flood_start + WRITE_BOUND;
    let (mqtt_stuck_tx, mqtt_stuck) = watch::channel(None);
    let (lbs_stuck_tx, lbs_stuck) = watch::channel(None);
    let mqtt_task = tokio::spawn(flood(mqtt_flood, PINGREQ.to_vec(), until, mqtt_stuck_tx));
    let lbs_task = tokio::spawn(flood(
        lbs_flood,
        RawWs::frame(0x1, TIMESYNC.as_bytes()),
        until,
        lbs_stuck_tx,
    ));
    // Until the server stopped reading both (its writes are stuck) or closed them.
    h.during(async {
        let blocked = |stuck: &watch::Receiver<Option<Instant>>,
                       task: &tokio::task::JoinHandle<Flood>| {
            stuck.borrow().is_some() || task.is_finished()
        };
        let deadline = Instant::now() + STEP;
        while Instant::now() < deadline
            && !(blocked(&mqtt_stuck, &mqtt_task) && blocked(&lbs_stuck, &lbs_task))
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let stuck_after = flood_start.elapsed();

    // 3. Everyone else is served while those writes are stuck.
    let others_start = Instant::now();
    let others = others_served(&mut h).await;
    let others_took = others_start.elapsed();

    // 4. Both stalled peers are given up within the bound.
    let mut gone = Vec::new();
    for gateway in [MQTT3_ID, LBS_ID] {
        let left = until.saturating_duration_since(Instant::now());
        let event = h
            .wait_for(left, |e| {
                matches!(e, GatewayEvent::Disconnected { gateway: g, .. } if g.gateway_id == gateway)
            })
            .await;
        let is_it = |e: &GatewayEvent| matches!(e, GatewayEvent::Disconnected { gateway: g, .. } if g.gateway_id == gateway);
        let outcome = match event {
            Ok(GatewayEvent::Disconnected { reason, .. }) => {
                let at = h.received_at(is_it).unwrap_or_else(Instant::now);
                Ok((at.duration_since(flood_start), reason))
            }
            Ok(other) => Err(format!("{other:?}")),
            Err(e) => Err(e),
        };
        gone.push((gateway, outcome));
    }
    let floods = [
        tokio::time::timeout(STEP, mqtt_task).await,
        tokio::time::timeout(STEP, lbs_task).await,
    ];
    let floods: Vec<Option<Flood>> = floods.into_iter().map(|f| f.ok()?.ok()).collect();
    eprintln!(
        "stalls: writes stuck after {stuck_after:?}; floods {floods:?}; disconnects (since the \
         flood started) {gone:?}; others served meanwhile in {others_took:?}: {others:?}"
    );
    assert!(
        others.is_empty(),
        "while two peers' writes were stuck, other gateways were not served: {others:#?}"
    );
    for (gateway, outcome) in &gone {
        match outcome {
            Ok((_, DisconnectReason::Transport(_))) => {}
            Ok((after, reason)) => panic!(
                "{gateway} stopped reading and was disconnected after {after:?} for another \
                 reason: {reason}"
            ),
            Err(e) => panic!(
                "{gateway} stopped reading (its writes stuck {stuck_after:?} into the flood; \
                 floods {floods:?}) and was not disconnected within {WRITE_BOUND:?} of the \
                 flood's start: the write timeout is missing: {e}"
            ),
        }
    }
    for (flood, gateway) in floods.iter().zip([MQTT3_ID, LBS_ID]) {
        let flood = flood.unwrap_or_else(|| panic!("the flood on {gateway} did not end"));
        assert!(
            flood.requests > 0,
            "test setup: no request written to {gateway}: {flood:?}"
        );
    }

    // 5. Every accepted downlink ended in exactly one TxAck, a failure (none was delivered).
    let events = h.drain_for(Duration::from_millis(500)).await;
    let history = h.history().to_vec();
    let wrong: Vec<String> = accepted
        .iter()
        .filter_map(|(g, tag)| {
            let acks: Vec<&Option<TxFailure>> = history
                .iter()
                .filter_map(|e| match e {
                    GatewayEvent::TxAck {
                        gateway,
                        ack,
                        failure,
                        ..
                    } if gateway.gateway_id == *g && ack_carries(ack, tag) => Some(failure),
                    _ => None,
                })
                .collect();
            (acks.len() != 1 || acks[0].is_none()).then(|| format!("{tag}: {acks:?}"))
        })
        .take(8)
        .collect();
    assert!(
        wrong.is_empty(),
        "accepted downlinks of disconnected gateways not ended in exactly one failed TxAck: \
         {wrong:#?}; events: {}",
        summarize(&events)
    );
    drop((mqtt, station));
    h.assert_all_protocols_healthy("gateways that stopped reading")
        .await;
}

/// Requests in the burst of a station that reads its answers.
const BURST: usize = 2_000;

/// The contrast: a station that sends a burst of `timesync` requests at once and reads every
/// answer is served, not taken for one that stopped reading (its answers used to pile up in
/// the connection's queue while the connection task kept reading, and it was disconnected as
/// "station does not read its messages" after about 65 answers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_that_reads_its_answers_survives_a_burst_of_requests() {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    use tokio_tungstenite::tungstenite::Message;

    let _guard = shared().await;
    let mut h = Harness::start().await;
    let tcp = tokio::net::TcpStream::connect(h.addrs.lbs).await.unwrap();
    let mut writer = duplicate(&tcp);
    let mut station = Station::connect_over(tcp, h.addrs.lbs, LBS_EUI, LBS_KEY)
        .await
        .expect("station upgrade");
    let first = h.during(station.next_event_within(STEP)).await;
    assert!(
        matches!(first, Some(StationEvent::RouterConfig(_))),
        "{first:?}"
    );
    let burst = RawWs::frame(0x1, TIMESYNC.as_bytes()).repeat(BURST);
    let read = async {
        let mut answers = 0usize;
        let deadline = tokio::time::Instant::now() + STEP;
        while answers < BURST {
            match tokio::time::timeout_at(deadline, station.ws.next()).await {
                Ok(Some(Ok(Message::Text(text)))) if text.as_str().contains("timesync") => {
                    answers += 1
                }
                Ok(Some(Ok(_))) => {}
                other => return (answers, Some(format!("{other:?}"))),
            }
        }
        (answers, None)
    };
    let write = async {
        match tokio::time::timeout(STEP, writer.write_all(&burst)).await {
            Ok(Ok(())) => None,
            other => Some(format!("{other:?}")),
        }
    };
    let ((answers, read_end), write_end) = h.during(async { tokio::join!(read, write) }).await;
    let events = h.drain_for(Duration::from_millis(300)).await;
    assert_eq!(
        (answers, read_end, write_end),
        (BURST, None, None),
        "timesync answers read, and how reading and writing ended; events: {}",
        summarize(&events)
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, GatewayEvent::Disconnected { .. })),
        "a station that reads its answers was disconnected: {}",
        summarize(&events)
    );
    // Still served afterwards.
    assert!(h.during(station.probe(u32::from(marker()), STEP)).await);
}
