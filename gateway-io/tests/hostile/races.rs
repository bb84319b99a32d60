//! Battery 6: replacement races. One gateway connects concurrently over MQTT v3, MQTT v2 and
//! (by its EUI) Basics Station, round after round, while downlinks are sent to it. At the end
//! exactly one connection is left routed, a downlink reaches it, and every accepted downlink
//! ended in exactly one TxAck.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use loragw_basicstation::station::{StationEvent, TxStarted};
use loragw_gateway_io::event::GatewayEvent;
use loragw_gateway_io::ttnpb::prost::Message as _;
use loragw_gateway_io::ttnpb::{DownlinkMessage, GatewayDown, TxAcknowledgment};
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{ConnectReturnCode, Packet};
use tokio::sync::watch;

use crate::clients::{RawMqtt, Station};
use crate::fixtures::*;
use crate::support::{Addrs, Harness, shared, summarize};

const ROUNDS: u8 = 8;
/// Index of the downlink sent after the race.
const FINAL: u8 = 200;
/// Byte of the PHYPayload that carries the downlink's index.
const INDEX_AT: usize = 9;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    MqttV3,
    MqttV2,
    Lbs,
}

#[derive(Default)]
struct Board {
    /// Connections accepted and not (yet) closed by the server.
    open: HashMap<usize, Via>,
    /// Downlinks received: (client, via, index).
    got: Vec<(usize, Via, u8)>,
}

type Shared = Arc<Mutex<Board>>;

fn race_downlink(index: u8) -> DownlinkMessage {
    let mut d = lbs_downlink(&format!("race:{index}"));
    d.raw_payload[INDEX_AT] = index;
    d
}

fn board(b: &Shared) -> std::sync::MutexGuard<'_, Board> {
    b.lock().expect("board lock")
}

/// One connection of the race gateway that stays until the server closes it or the test
/// stops, acknowledging every downlink it gets (MQTT v2 cannot).
async fn client(
    id: usize,
    via: Via,
    addrs: Addrs,
    board_: Shared,
    mut stop: watch::Receiver<bool>,
) {
    let tick = Duration::from_millis(100);
    match via {
        Via::MqttV3 | Via::MqttV2 => {
            let (addr, down) = match via {
                Via::MqttV3 => (addrs.mqtt3, format!("v3/{RACE_ID}/down")),
                _ => (addrs.mqtt2, format!("{RACE_ID}/down")),
            };
            let (mut raw, ack) = RawMqtt::connect(addr, RACE_ID, RACE_KEY).await;
            if ack.map(|a| a.code) != Some(ConnectReturnCode::Success) {
                return;
            }
            board(&board_).open.insert(id, via);
            if !matches!(raw.subscribe(&down).await, Some(Packet::SubAck(_))) && raw.closed {
                board(&board_).open.remove(&id);
                return;
            }
            while !*stop.borrow_and_update() {
                match raw.recv_within(tick).await {
                    Some(Packet::Publish(p)) if p.topic == down => {
                        let index = p.payload.len();
                        let (index, ids) = if via == Via::MqttV3 {
                            let d = GatewayDown::decode(&p.payload[..])
                                .ok()
                                .and_then(|d| d.downlink_message)
                                .unwrap_or_default();
                            (d.raw_payload.get(INDEX_AT).copied(), d.correlation_ids)
                        } else {
                            let d = loragw_mqtt_v2::codec::decode_downlink(&p.payload).ok();
                            (
                                d.and_then(|d| d.payload.get(INDEX_AT).copied()),
                                vec![index.to_string()],
                            )
                        };
                        if let Some(index) = index {
                            board(&board_).got.push((id, via, index));
                        }
                        if via == Via::MqttV3 {
                            let ack = TxAcknowledgment {
                                correlation_ids: ids,
                                result: 0,
                                downlink_message: None,
                            };
                            raw.publish(
                                &format!("v3/{RACE_ID}/down/ack"),
                                QoS::AtMostOnce,
                                0,
                                ack.encode_to_vec(),
                            )
                            .await;
                        }
                    }
                    _ if raw.closed => break,
                    _ => {}
                }
            }
        }
        Via::Lbs => {
            let Ok(mut station) = Station::connect(addrs.lbs, RACE_EUI, RACE_KEY).await else {
                return;
            };
            board(&board_).open.insert(id, via);
            while !*stop.borrow_and_update() {
                match station.next_event_within(tick).await {
                    Some(StationEvent::Transmit(request)) => {
                        if let Some(index) = request.pdu.get(INDEX_AT) {
                            board(&board_).got.push((id, via, *index));
                        }
                        let started = TxStarted {
                            xtime: 0x0023_0000_2234_5678,
                            rctx: 0,
                            dr: request.options[0].dr,
                            freq: request.options[0].freq,
                            gpstime: None,
                        };
                        let _ = station.session.tx_started(
                            std::time::Instant::now(),
                            request.diid,
                            started,
                        );
                        let _ = station.flush().await;
                    }
                    _ if station.closed => break,
                    _ => {}
                }
            }
        }
    }
    if !*stop.borrow() {
        board(&board_).open.remove(&id);
    }
}

fn tx_acks_for(events: &[GatewayEvent], index: u8) -> usize {
    let tag = format!("race:{index}");
    events
        .iter()
        .filter(|e| matches!(e, GatewayEvent::TxAck { gateway, ack, .. } if gateway.gateway_id == RACE_ID && ack_carries(ack, &tag)))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_gateway_racing_over_three_listeners_keeps_exactly_one_route() {
    let _guard = shared().await;
    let mut h = Harness::start().await;
    let shared_board: Shared = Arc::default();
    let (stop_tx, stop_rx) = watch::channel(false);
    let downlinks = h.downlinks();
    let addrs = h.addrs;
    let mut tasks = Vec::new();
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for round in 0..ROUNDS {
        for (k, via) in [Via::MqttV3, Via::MqttV2, Via::Lbs].into_iter().enumerate() {
            let id = usize::from(round) * 3 + k;
            tasks.push(tokio::spawn(client(
                id,
                via,
                addrs,
                shared_board.clone(),
                stop_rx.clone(),
            )));
        }
        h.during(tokio::time::sleep(Duration::from_millis(150)))
            .await;
        match h
            .during(downlinks.send(RACE_ID, race_downlink(round)))
            .await
        {
            Ok(()) => accepted.push(round),
            Err(e) => refused.push((round, e)),
        }
    }
    // Let the replacements settle.
    h.during(tokio::time::sleep(Duration::from_secs(3))).await;
    let open: Vec<(usize, Via)> = board(&shared_board)
        .open
        .iter()
        .map(|(k, v)| (*k, *v))
        .collect();
    let events: Vec<GatewayEvent> = h.history().to_vec();
    let connected = events
        .iter()
        .filter(|e| matches!(e, GatewayEvent::Connected { gateway, .. } if gateway.gateway_id == RACE_ID))
        .count();
    let disconnected: Vec<GatewayEvent> = events
        .iter()
        .filter(|e| matches!(e, GatewayEvent::Disconnected { gateway, .. } if gateway.gateway_id == RACE_ID))
        .cloned()
        .collect();
    assert_eq!(
        open.len(),
        1,
        "after {ROUNDS} rounds of concurrent connections of {RACE_ID} over MQTT v3, MQTT v2 and \
         LBS, {} connections are still open: {open:?}; a new connection on any listener must \
         close the one it replaces",
        open.len()
    );
    assert_eq!(
        connected.saturating_sub(disconnected.len()),
        1,
        "{connected} Connected and {} Disconnected events for {RACE_ID}: every replaced connection \
         is reported once: {}",
        disconnected.len(),
        summarize(&disconnected)
    );

    // The survivor gets the next downlink (or the send fails cleanly).
    let survivor = open[0];
    if h.send_downlink(RACE_ID, race_downlink(FINAL)).await.is_ok() {
        accepted.push(FINAL);
        let reached = h
            .during(async {
                for _ in 0..(STEP.as_millis() / 100) {
                    if board(&shared_board).got.iter().any(|g| g.2 == FINAL) {
                        return true;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                false
            })
            .await;
        let got: Vec<_> = board(&shared_board)
            .got
            .iter()
            .filter(|g| g.2 == FINAL)
            .copied()
            .collect();
        assert!(
            reached && got.iter().all(|g| g.0 == survivor.0),
            "the downlink after the race did not reach the one open connection {survivor:?}: {got:?}"
        );
    }

    // Every accepted downlink ends in exactly one TxAck (those delivered over MQTT v2, which
    // cannot acknowledge, in at most one).
    let got = board(&shared_board).got.clone();
    let needs_ack = |i: &u8| !got.iter().any(|g| g.2 == *i && g.1 == Via::MqttV2);
    h.during(async {
        for _ in 0..(STEP.as_millis() / 200) {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    let events = h.history().to_vec();
    let counts: Vec<(u8, usize, bool)> = accepted
        .iter()
        .map(|i| (*i, tx_acks_for(&events, *i), needs_ack(i)))
        .collect();
    let wrong: Vec<_> = counts
        .iter()
        .filter(|(_, n, needs)| *n > 1 || (*needs && *n != 1))
        .collect();
    assert!(
        wrong.is_empty(),
        "accepted downlinks must each end in exactly one TxAck; (index, TxAcks, must be acked): \
         {wrong:?}; received by clients: {got:?}; refused: {refused:?}"
    );
    stop_tx.send(true).ok();
    for t in tasks {
        let _ = t.await;
    }
    h.assert_all_protocols_healthy("replacement races").await;
}
