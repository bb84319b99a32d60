//! Peers that stop reading (part of the flood battery): an MQTT v3 gateway and a station
//! complete their handshakes, then never read again while downlinks pile up. Once a write to
//! them has been stuck for the write timeout, the server must give them up (`Disconnected`),
//! refuse or acknowledge each downlink at most once, and keep serving everyone else.

use std::time::{Duration, Instant};

use loragw_basicstation::station::StationEvent;
use loragw_gateway_io::event::GatewayEvent;
use rumqttc::mqttbytes::v4::{ConnectReturnCode, Packet};

use crate::clients::{RawMqtt, Station, tcp_small_receive_buffer};
use crate::fixtures::*;
use crate::support::{Harness, shared, summarize};

/// The write timeout the listeners promise (~10 s) with margin for a loaded machine, counted
/// from the end of the downlink burst.
const WRITE_BOUND: Duration = Duration::from_secs(25);
/// Downlinks sent to each stalled gateway at most (far more than the kernel buffers hold).
const MAX_DOWNLINKS: usize = 20_000;
/// Downlinks refused in a row after which the burst stops.
const REFUSALS: usize = 50;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateways_that_stop_reading_are_disconnected_after_the_write_timeout() {
    let _guard = shared().await;
    let mut h = Harness::start().await;

    let tcp = tcp_small_receive_buffer(h.addrs.mqtt3).await;
    let mut mqtt = RawMqtt::over(tcp);
    let ack = mqtt.login(MQTT3_ID, MQTT3_KEY).await;
    assert_eq!(ack.map(|a| a.code), Some(ConnectReturnCode::Success));
    assert!(matches!(
        mqtt.subscribe(&format!("v3/{MQTT3_ID}/down")).await,
        Some(Packet::SubAck(_))
    ));
    let tcp = tcp_small_receive_buffer(h.addrs.lbs).await;
    let mut station = Station::connect_over(tcp, h.addrs.lbs, LBS_EUI, LBS_KEY)
        .await
        .expect("station upgrade");
    let first = h.during(station.next_event_within(STEP)).await;
    assert!(
        matches!(first, Some(StationEvent::RouterConfig(_))),
        "{first:?}"
    );
    // From here on neither client reads.

    let downlinks = h.downlinks();
    let burst = h
        .during(async {
            let mut accepted: Vec<(&str, String)> = Vec::new();
            let mut first_refusals = Vec::new();
            for gateway in [MQTT3_ID, LBS_ID] {
                let mut refused_in_a_row = 0;
                for i in 0..MAX_DOWNLINKS {
                    let tag = format!("stall:{gateway}:{i}");
                    match downlinks.send(gateway, big_downlink(&tag)).await {
                        Ok(()) => {
                            refused_in_a_row = 0;
                            accepted.push((gateway, tag));
                        }
                        Err(e) if e.contains("did not return") => {
                            return Err(format!(
                                "send_downlink to {gateway} blocked for {STEP:?} after {i} \
                                 downlinks: a stalled gateway holds up the listener"
                            ));
                        }
                        Err(e) => {
                            if refused_in_a_row == 0 {
                                first_refusals.push(format!("{gateway} after {i}: {e}"));
                            }
                            refused_in_a_row += 1;
                            if refused_in_a_row >= REFUSALS {
                                break;
                            }
                        }
                    }
                }
            }
            Ok((accepted, first_refusals))
        })
        .await;
    let (accepted, refusals) = burst.unwrap_or_else(|e| panic!("{e}"));
    let burst_end = Instant::now();

    let mut gone = Vec::new();
    for gateway in [MQTT3_ID, LBS_ID] {
        let left = (burst_end + WRITE_BOUND).saturating_duration_since(Instant::now());
        let event = h
            .wait_for(left, |e| {
                matches!(e, GatewayEvent::Disconnected { gateway: g, .. } if g.gateway_id == gateway)
            })
            .await;
        gone.push((gateway, event.is_ok()));
    }
    let accepted_per = |g: &str| accepted.iter().filter(|(a, _)| *a == g).count();
    assert!(
        gone.iter().all(|(_, d)| *d),
        "gateways that stopped reading were not disconnected within {WRITE_BOUND:?} of the \
         burst ({} downlinks accepted for {MQTT3_ID}, {} for {LBS_ID}; refusals: {refusals:?}): \
         {gone:?}; the write timeout is missing",
        accepted_per(MQTT3_ID),
        accepted_per(LBS_ID),
    );
    for gateway in [MQTT3_ID, LBS_ID] {
        assert!(
            accepted_per(gateway) > 0,
            "test setup: no downlink accepted for {gateway}: {refusals:?}"
        );
    }
    let events = h.drain_for(Duration::from_millis(500)).await;
    let history = h.history().to_vec();
    let duplicated: Vec<&String> = accepted
        .iter()
        .filter(|(g, tag)| {
            history
                .iter()
                .filter(|e| matches!(e, GatewayEvent::TxAck { gateway, ack, .. } if gateway.gateway_id == *g && ack_carries(ack, tag)))
                .count()
                > 1
        })
        .map(|(_, t)| t)
        .take(5)
        .collect();
    assert!(
        duplicated.is_empty(),
        "downlinks acknowledged more than once: {duplicated:?}; events: {}",
        summarize(&events)
    );
    drop((mqtt, station));
    h.assert_all_protocols_healthy("gateways that stopped reading")
        .await;
}
