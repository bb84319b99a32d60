//! A packet forwarder's life on the frontend, datagrams written out by hand.

use std::time::{Duration, Instant};

use loragw_semtech_udp::{Packet, PacketType};
use loragw_ttnpb::downlink_message::Settings;
use loragw_ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_ttnpb::{DataRate, Timestamp, TxSettings, tx_settings};

use super::*;
use crate::registry::InMemoryRegistry;

const GW: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
const LOCKED: [u8; 8] = [9, 9, 9, 9, 9, 9, 9, 9];

fn registry() -> Arc<InMemoryRegistry> {
    let config = "[[gateway]]\nid = \"udp-gw\"\neui = \"0102030405060708\"\nfrequency_plans = [\"EU_863_870\"]\n\
                  [[gateway]]\nid = \"locked-gw\"\neui = \"0909090909090909\"\nfrequency_plans = [\"EU_863_870\"]\nrequire_authenticated_connection = true\n";
    Arc::new(InMemoryRegistry::from_toml(config).unwrap())
}

fn start() -> Now {
    Now::new(
        Instant::now(),
        Timestamp {
            seconds: 1_750_000_000,
            nanos: 0,
        },
    )
}

fn datagram(version: u8, token: u16, kind: u8, eui: [u8; 8], json: &str) -> Vec<u8> {
    let mut d = vec![version, (token >> 8) as u8, token as u8, kind];
    d.extend(eui);
    d.extend_from_slice(json.as_bytes());
    d
}

fn transmits(f: &mut UdpFrontend<InMemoryRegistry>) -> Vec<(Transmit, Vec<u8>)> {
    let mut out = Vec::new();
    loop {
        let mut buf = Vec::new();
        match f.poll_transmit(&mut buf) {
            Some(t) => out.push((t, buf)),
            None => return out,
        }
    }
}

fn events(f: &mut UdpFrontend<InMemoryRegistry>) -> Vec<GatewayEvent> {
    std::iter::from_fn(|| f.poll_event()).collect()
}

#[test]
fn forwarder_session() {
    let t0 = start();
    let addr: SocketAddr = "192.0.2.10:41000".parse().unwrap();
    let mut f = UdpFrontend::new(UdpConfig::default(), registry());

    // PULL_DATA (v2) opens the downlink path.
    f.handle_datagram(t0, addr, &datagram(2, 0x0101, 2, GW, ""));
    let tx = transmits(&mut f);
    assert_eq!(tx[0].1, [2, 0x01, 0x01, 4]); // PULL_ACK
    let evs = events(&mut f);
    let [
        GatewayEvent::Connected {
            gateway,
            protocol,
            remote,
        },
    ] = &evs[..]
    else {
        panic!("{evs:?}")
    };
    assert_eq!(
        (gateway.gateway_id.as_str(), *protocol, *remote),
        ("udp-gw", Protocol::SemtechUdp { version: 2 }, Some(addr))
    );

    // PUSH_DATA with one frame received on two antennas, and a status.
    let t1 = t0.after(Duration::from_millis(20));
    let push = r#"{"rxpk":[
        {"tmst":1000,"chan":0,"freq":868.1,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-100,"lsnr":5,"size":3,"data":"QAEC"},
        {"tmst":1000,"ant":1,"chan":0,"freq":868.1,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-60,"lsnr":9,"size":3,"data":"QAEC"}],
        "stat":{"time":"2025-06-15 15:06:40 GMT","rxnb":2,"rxok":2,"rxfw":2,"ackr":100.0,"dwnb":0,"txnb":0}}"#;
    f.handle_datagram(t1, addr, &datagram(2, 0x0202, 0, GW, push));
    assert_eq!(transmits(&mut f)[0].1, [2, 0x02, 0x02, 1]); // PUSH_ACK
    let evs = events(&mut f);
    assert_eq!(evs.len(), 2, "{evs:?}");
    let GatewayEvent::Uplink { message, .. } = &evs[0] else {
        panic!("no uplink")
    };
    assert_eq!(message.settings.as_ref().unwrap().frequency, 868_100_000);
    assert_eq!(message.rx_metadata.len(), 2);
    assert_eq!(message.received_at, Some(t1.wall));
    let GatewayEvent::Status { status, .. } = &evs[1] else {
        panic!("no status")
    };
    assert_eq!(status.ip, ["192.0.2.10"]);

    // A downlink goes out as PULL_RESP; the TX_ACK with its token comes back matched.
    let ids = GatewayIds::new("udp-gw", Some(Eui64(GW)));
    let down = DownlinkMessage {
        raw_payload: vec![0x60, 1, 2],
        correlation_ids: vec!["ns:down:7".into()],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_300_000,
            timestamp: 1_001_000,
            downlink: Some(tx_settings::Downlink {
                tx_power: 16.15,
                invert_polarization: true,
                antenna_index: 0,
            }),
            ..Default::default()
        })),
        ..Default::default()
    };
    f.handle_command(
        t1,
        GatewayCommand::Downlink {
            gateway: ids.clone(),
            message: down.clone(),
        },
    )
    .unwrap();
    let tx = transmits(&mut f);
    assert_eq!(
        (tx[0].0.packet_type, tx[0].0.destination),
        (PacketType::PullResp, addr)
    );
    let Packet::PullResp(resp) = Packet::decode(&tx[0].1).unwrap() else {
        panic!("not PULL_RESP")
    };
    assert_eq!(resp.txpk.powe, Some(14));
    let token = resp.token;
    f.handle_datagram(
        t1.after(Duration::from_millis(50)),
        addr,
        &datagram(
            2,
            token,
            5,
            GW,
            r#"{"txpk_ack":{"warn":"TX_POWER","value":12}}"#,
        ),
    );
    let evs = events(&mut f);
    let [GatewayEvent::TxAck { ack, .. }] = &evs[..] else {
        panic!("{evs:?}")
    };
    assert_eq!(ack.result(), TxResult::Success);
    assert_eq!(ack.correlation_ids, ["ns:down:7"]);
    assert_eq!(ack.downlink_message.as_ref(), Some(&down));

    // LR-FHSS cannot be sent; the error says why.
    let mut lrfhss = down;
    if let Some(Settings::Scheduled(s)) = &mut lrfhss.settings {
        s.data_rate = Some(DataRate::lrfhss(0, 137_000, "1/3"));
    }
    assert!(matches!(
        f.handle_command(
            t1,
            GatewayCommand::Downlink {
                gateway: ids,
                message: lrfhss
            }
        ),
        Err(CommandError::Translate { .. })
    ));

    // After the connection expiry without traffic the gateway is disconnected.
    let late = t1.after(Duration::from_secs(400));
    f.handle_timeout(late);
    let evs = events(&mut f);
    assert!(
        evs.iter().any(|e| matches!(
            e,
            GatewayEvent::Disconnected {
                reason: DisconnectReason::Timeout,
                ..
            }
        )),
        "{evs:?}"
    );
    assert_eq!(f.connected(), 0);
}

#[test]
fn unknown_and_locked_gateways_are_acknowledged_but_not_served() {
    let t0 = start();
    let addr: SocketAddr = "192.0.2.11:41000".parse().unwrap();
    let mut f = UdpFrontend::new(UdpConfig::default(), registry());
    let push = r#"{"rxpk":[{"tmst":1,"freq":868.1,"datr":"SF7BW125","rssi":-70,"data":"QAEC"}]}"#;
    f.handle_datagram(t0, addr, &datagram(1, 1, 0, [0xEE; 8], push));
    f.handle_datagram(t0, addr, &datagram(1, 2, 0, LOCKED, push));
    assert_eq!(transmits(&mut f).len(), 2);
    // Not served; reported as one `Refused` per log window (the second one counted in the next).
    assert_eq!(
        events(&mut f),
        [GatewayEvent::Refused {
            gateway: GatewayIds::from_eui(Eui64([0xEE; 8])),
            protocol: Protocol::SemtechUdp { version: 2 },
            remote: Some(addr),
            reason: "gateway is not registered".into(),
            suppressed: 0,
        }]
    );
    assert_eq!(f.refused(), 2);
    f.handle_datagram(t0, addr, &datagram(1, 3, 0, [0xEF; 8], push));
    let later = t0.after(super::log::LOG_INTERVAL);
    f.handle_datagram(later, addr, &datagram(1, 4, 0, [0xED; 8], push));
    let evs = events(&mut f);
    assert!(
        matches!(&evs[..], [GatewayEvent::Refused { gateway, suppressed: 2, .. }] if gateway.eui == Some(Eui64([0xED; 8]))),
        "{evs:?}"
    );

    // With unregistered gateways allowed, the unknown one is served as eui-….
    let mut open = UdpFrontend::new(
        UdpConfig {
            allow_unregistered: true,
            ..Default::default()
        },
        registry(),
    );
    open.handle_datagram(t0, addr, &datagram(1, 3, 0, [0xEE; 8], push));
    let evs = events(&mut open);
    let GatewayEvent::Connected {
        gateway, protocol, ..
    } = &evs[0]
    else {
        panic!("{evs:?}")
    };
    assert_eq!(
        (gateway.gateway_id.as_str(), *protocol),
        ("eui-eeeeeeeeeeeeeeee", Protocol::SemtechUdp { version: 1 })
    );
    assert!(matches!(evs[1], GatewayEvent::Uplink { .. }));
}

#[test]
fn absolute_time_downlinks_use_tmst_for_gateways_without_gps() {
    use loragw_semtech_udp::TxTiming;
    let t0 = start();
    let addr: SocketAddr = "192.0.2.12:41000".parse().unwrap();
    let mut f = UdpFrontend::new(UdpConfig::default(), registry());
    f.handle_datagram(t0, addr, &datagram(2, 1, 2, GW, ""));
    // An uplink at tmst 7 000 000 stamped 2025-06-15T15:06:40Z by the gateway's clock.
    let push = r#"{"rxpk":[{"tmst":7000000,"time":"2025-06-15T15:06:40Z","freq":868.1,"datr":"SF7BW125","rssi":-70,"data":"QAEC"}]}"#;
    f.handle_datagram(t0, addr, &datagram(2, 2, 0, GW, push));
    let _ = transmits(&mut f);
    let _ = events(&mut f);
    let absolute = |seconds| DownlinkMessage {
        raw_payload: vec![0x60],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(12, 125_000, "4/5")),
            frequency: 869_525_000,
            time: Some(Timestamp { seconds, nanos: 0 }),
            ..Default::default()
        })),
        ..Default::default()
    };
    let ids = GatewayIds::new("udp-gw", Some(Eui64(GW)));
    f.handle_command(
        t0,
        GatewayCommand::Downlink {
            gateway: ids.clone(),
            message: absolute(1_750_000_003),
        },
    )
    .unwrap();
    let tx = transmits(&mut f);
    let Packet::PullResp(resp) = Packet::decode(&tx[0].1).unwrap() else {
        panic!("not PULL_RESP")
    };
    // 3 s after the uplink's time: tmst 10 000 000 (2025-06-15T15:06:40Z is Unix 1750000000).
    assert_eq!(resp.txpk.timing, TxTiming::Timestamp(10_000_000));

    // A gateway whose uplinks carry GPS time is told the GPS time itself.
    let gps_push = r#"{"rxpk":[{"tmst":8000000,"tmms":1434035218000,"freq":868.1,"datr":"SF7BW125","rssi":-70,"data":"QAEC"}]}"#;
    f.handle_datagram(t0, addr, &datagram(2, 3, 0, GW, gps_push));
    let _ = transmits(&mut f);
    let _ = events(&mut f);
    f.handle_command(
        t0,
        GatewayCommand::Downlink {
            gateway: ids,
            message: absolute(1_750_000_003),
        },
    )
    .unwrap();
    let tx = transmits(&mut f);
    let Packet::PullResp(resp) = Packet::decode(&tx[0].1).unwrap() else {
        panic!("not PULL_RESP")
    };
    assert!(matches!(resp.txpk.timing, TxTiming::GpsTime(_)));
}

/// A time-only downlink for a gateway without GPS, `seconds` Unix.
fn absolute(seconds: i64) -> DownlinkMessage {
    DownlinkMessage {
        raw_payload: vec![0x60],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(12, 125_000, "4/5")),
            frequency: 869_525_000,
            time: Some(Timestamp { seconds, nanos: 0 }),
            ..Default::default()
        })),
        ..Default::default()
    }
}

#[test]
fn absolute_times_outside_the_counter_window_are_refused() {
    use crate::clock::ClockError;
    use loragw_semtech_udp::TxTiming;
    let t0 = start();
    let addr: SocketAddr = "192.0.2.13:41000".parse().unwrap();
    let mut f = UdpFrontend::new(UdpConfig::default(), registry());
    f.handle_datagram(t0, addr, &datagram(2, 1, 2, GW, ""));
    let ids = GatewayIds::new("udp-gw", Some(Eui64(GW)));
    let down = |f: &mut UdpFrontend<InMemoryRegistry>, seconds| {
        f.handle_command(
            t0,
            GatewayCommand::Downlink {
                gateway: ids.clone(),
                message: absolute(seconds),
            },
        )
    };
    let time = |seconds| Timestamp { seconds, nanos: 0 };

    // No uplink yet: nothing to relate the time to.
    let err = down(&mut f, 1_750_000_001).unwrap_err();
    assert_eq!(
        err,
        CommandError::Unschedulable {
            gateway: "udp-gw".into(),
            protocol: "a Semtech UDP gateway without GPS",
            time: time(1_750_000_001),
            reason: ClockError::NotSynced,
        }
    );
    assert_eq!(
        err.to_string(),
        "gateway `udp-gw`: absolute time 2025-06-15T15:06:41Z cannot be scheduled on a Semtech \
         UDP gateway without GPS: the concentrator clock has not been synced by an uplink yet"
    );

    // Synced: tmst 7 000 000 is 2025-06-15T15:06:40Z (Unix 1 750 000 000).
    let push = r#"{"rxpk":[{"tmst":7000000,"time":"2025-06-15T15:06:40Z","freq":868.1,"datr":"SF7BW125","rssi":-70,"data":"QAEC"}]}"#;
    f.handle_datagram(t0, addr, &datagram(2, 2, 0, GW, push));
    let _ = transmits(&mut f);
    let _ = events(&mut f);

    // +10 h and -1 h: beyond the ±2^31 µs a 32-bit timestamp can name.
    let err = down(&mut f, 1_750_036_000).unwrap_err();
    assert_eq!(
        err,
        CommandError::Unschedulable {
            gateway: "udp-gw".into(),
            protocol: "a Semtech UDP gateway without GPS",
            time: time(1_750_036_000),
            reason: ClockError::OutsideCounterWindow {
                distance_us: 36_000_000_000
            },
        }
    );
    assert_eq!(
        err.to_string(),
        "gateway `udp-gw`: absolute time 2025-06-16T01:06:40Z is 36000 s after the gateway's \
         clock sync; a Semtech UDP gateway without GPS cannot be scheduled more than 2147 s \
         from it"
    );
    let err = down(&mut f, 1_749_996_400).unwrap_err();
    assert_eq!(
        err.to_string(),
        "gateway `udp-gw`: absolute time 2025-06-15T14:06:40Z is 3600 s before the gateway's \
         clock sync; a Semtech UDP gateway without GPS cannot be scheduled more than 2147 s \
         from it"
    );
    assert!(
        matches!(
            err,
            CommandError::Unschedulable {
                reason: ClockError::OutsideCounterWindow {
                    distance_us: -3_600_000_000
                },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        transmits(&mut f).len(),
        0,
        "nothing sent for a refused downlink"
    );

    // +1 s: tmst 8 000 000.
    assert_eq!(down(&mut f, 1_750_000_001), Ok(()));
    let tx = transmits(&mut f);
    assert_eq!(tx.len(), 1);
    let Packet::PullResp(resp) = Packet::decode(&tx[0].1).unwrap() else {
        panic!("not PULL_RESP")
    };
    assert_eq!(resp.txpk.timing, TxTiming::Timestamp(8_000_000));
}

fn class_a_down(correlation: &str) -> DownlinkMessage {
    DownlinkMessage {
        raw_payload: vec![0x60, 1, 2],
        correlation_ids: vec![correlation.into()],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_300_000,
            timestamp: 1_001_000,
            ..Default::default()
        })),
        ..Default::default()
    }
}

fn send(f: &mut UdpFrontend<InMemoryRegistry>, now: Now, correlation: &str) -> u16 {
    f.handle_command(
        now,
        GatewayCommand::Downlink {
            gateway: GatewayIds::new("udp-gw", Some(Eui64(GW))),
            message: class_a_down(correlation),
        },
    )
    .unwrap();
    let tx = transmits(f);
    let Packet::PullResp(resp) = Packet::decode(&tx[0].1).unwrap() else {
        panic!("not PULL_RESP")
    };
    resp.token
}

fn tx_acks(evs: &[GatewayEvent]) -> Vec<(TxResult, Vec<String>)> {
    evs.iter()
        .filter_map(|e| match e {
            GatewayEvent::TxAck { ack, .. } => Some((ack.result(), ack.correlation_ids.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn every_downlink_ends_once_and_stray_acks_are_not_reported() {
    let t0 = start();
    let addr: SocketAddr = "192.0.2.20:41000".parse().unwrap();
    let mut f = UdpFrontend::new(UdpConfig::default(), registry());
    f.handle_datagram(t0, addr, &datagram(2, 1, 2, GW, ""));
    let _ = (transmits(&mut f), events(&mut f));

    // An acknowledgement nobody asked for: no event (it used to be a SUCCESS without ids).
    f.handle_datagram(
        t0,
        addr,
        &datagram(2, 0x4242, 5, GW, r#"{"txpk_ack":{"error":"NONE"}}"#),
    );
    assert!(events(&mut f).is_empty());

    // A downlink that gets no TX_ACK ends with one failure carrying its correlation ids; the
    // TX_ACK arriving after that is ignored, not reported as a second outcome.
    let token = send(&mut f, t0, "ns:late");
    assert_eq!(f.pending_downlinks(), 1);
    let expired = t0.after(Duration::from_secs(10));
    f.handle_timeout(expired);
    assert_eq!(
        tx_acks(&events(&mut f)),
        [(TxResult::UnknownError, vec!["ns:late".to_string()])]
    );
    assert_eq!(f.pending_downlinks(), 0);
    f.handle_datagram(
        expired,
        addr,
        &datagram(2, token, 5, GW, r#"{"txpk_ack":{}}"#),
    );
    assert!(events(&mut f).is_empty());

    // A rejection keeps its result; a warning keeps SUCCESS, both with the ids.
    let refresh = expired.after(Duration::from_secs(1));
    f.handle_datagram(refresh, addr, &datagram(2, 2, 2, GW, ""));
    let _ = transmits(&mut f);
    let token = send(&mut f, refresh, "ns:late-2");
    f.handle_datagram(
        refresh,
        addr,
        &datagram(2, token, 5, GW, r#"{"txpk_ack":{"error":"TOO_LATE"}}"#),
    );
    let token = send(&mut f, refresh, "ns:warn");
    f.handle_datagram(
        refresh,
        addr,
        &datagram(
            2,
            token,
            5,
            GW,
            r#"{"txpk_ack":{"warn":"TX_POWER","value":12}}"#,
        ),
    );
    // Repeated: ignored.
    f.handle_datagram(
        refresh,
        addr,
        &datagram(
            2,
            token,
            5,
            GW,
            r#"{"txpk_ack":{"warn":"TX_POWER","value":12}}"#,
        ),
    );
    assert_eq!(
        tx_acks(&events(&mut f)),
        [
            (TxResult::TooLate, vec!["ns:late-2".to_string()]),
            (TxResult::Success, vec!["ns:warn".to_string()])
        ]
    );
    assert_eq!(f.pending_downlinks(), 0);

    // Downlinks outstanding when the gateway is disconnected end with a failure too.
    let _ = send(&mut f, refresh, "ns:disc");
    f.handle_timeout(refresh.after(Duration::from_secs(400)));
    let evs = events(&mut f);
    assert_eq!(
        tx_acks(&evs),
        [(TxResult::UnknownError, vec!["ns:disc".to_string()])]
    );
    assert!(matches!(
        evs.last(),
        Some(GatewayEvent::Disconnected { .. })
    ));
    assert_eq!(f.pending_downlinks(), 0);
}

#[test]
fn v1_downlinks_are_forgotten_after_their_window() {
    let t0 = start();
    let addr: SocketAddr = "192.0.2.21:41000".parse().unwrap();
    let mut f = UdpFrontend::new(UdpConfig::default(), registry());
    f.handle_datagram(t0, addr, &datagram(1, 1, 2, GW, ""));
    let _ = (transmits(&mut f), events(&mut f));
    for i in 0..3 {
        let _ = send(&mut f, t0, &format!("ns:v1:{i}"));
    }
    assert_eq!(f.pending_downlinks(), 3);
    f.handle_timeout(t0.after(Duration::from_secs(10)));
    // No outcome is invented for a protocol without acknowledgements, and nothing is kept.
    assert!(events(&mut f).is_empty());
    assert_eq!(f.pending_downlinks(), 0);
}

#[test]
fn deferred_admission_waits_for_the_answer() {
    let t0 = start();
    let addr: SocketAddr = "192.0.2.22:41000".parse().unwrap();
    let reg = registry();
    let mut f = UdpFrontend::deferred(UdpConfig::default(), reg.clone());
    let push = r#"{"rxpk":[{"tmst":1,"freq":868.1,"datr":"SF7BW125","rssi":-70,"data":"QAEC"}]}"#;
    f.handle_datagram(t0, addr, &datagram(2, 1, 2, GW, ""));
    f.handle_datagram(t0, addr, &datagram(2, 2, 0, GW, push));
    f.handle_datagram(t0, addr, &datagram(2, 3, 0, LOCKED, push));
    f.handle_datagram(t0, addr, &datagram(2, 4, 0, [0xEE; 8], push));
    assert_eq!(transmits(&mut f).len(), 4, "everything is acknowledged");
    assert!(events(&mut f).is_empty());
    let requests: Vec<_> = std::iter::from_fn(|| f.poll_admission()).collect();
    assert_eq!(
        requests.iter().map(|r| r.eui.0).collect::<Vec<_>>(),
        [GW, LOCKED, [0xEE; 8]]
    );
    assert_eq!(f.connected(), 0);
    for r in requests {
        f.handle_admission(t0, r.eui, reg.gateway_by_eui(r.eui));
    }
    // Only the registered gateway without the authentication requirement is served, with its
    // downlink path from the PULL_DATA and the uplink of the PUSH_DATA that came before the
    // answer.
    // The two refusals are reported once (one log window), with the gateway's address.
    let evs = events(&mut f);
    let [
        GatewayEvent::Connected { gateway, .. },
        GatewayEvent::Uplink { message, .. },
        GatewayEvent::Refused {
            gateway: refused,
            remote,
            ..
        },
    ] = &evs[..]
    else {
        panic!("{evs:?}")
    };
    assert_eq!(refused.eui, Some(Eui64(LOCKED)));
    assert_eq!(*remote, Some(addr));
    assert_eq!(f.refused(), 2);
    assert_eq!(gateway.gateway_id, "udp-gw");
    assert_eq!(message.raw_payload, [0x40, 1, 2]);
    assert_eq!(f.connected(), 1);
    assert_eq!(f.server().refused_cached(), 2);
    let _ = send(&mut f, t0, "ns:1");
    // Refused gateways are not asked about again.
    f.handle_datagram(t0, addr, &datagram(2, 5, 0, LOCKED, push));
    assert!(f.poll_admission().is_none());
    f.handle_datagram(t0, addr, &datagram(2, 6, 0, GW, push));
    assert!(matches!(events(&mut f)[..], [GatewayEvent::Uplink { .. }]));
}

/// The issue's flood: 150 000 PULL_DATA from random unregistered EUIs. Nothing is stored per
/// EUI beyond the server's bounded refusal cache, and the registered gateway is served after.
#[test]
fn unregistered_flood_is_bounded() {
    let t0 = start();
    let attacker: SocketAddr = "198.51.100.7:1700".parse().unwrap();
    let config = UdpConfig {
        server: ServerConfig {
            max_gateways: 1,
            ..ServerConfig::default()
        },
        ..UdpConfig::default()
    };
    let max_refused = config.server.max_refused_cached;
    let mut f = UdpFrontend::new(config, registry());
    let mut x: u64 = 0x9E37_79B9;
    let mut buf = Vec::new();
    for _ in 0..150_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        f.handle_datagram(t0, attacker, &datagram(2, 1, 2, x.to_be_bytes(), ""));
        while f.poll_transmit(&mut buf).is_some() {}
        // One `Refused` for the whole flood (one log window), the rest counted.
        assert!(
            std::iter::from_fn(|| f.poll_event())
                .all(|e| matches!(e, GatewayEvent::Refused { suppressed: 0, .. }))
        );
    }
    assert_eq!(f.refused(), 150_000);
    let s = f.server();
    assert_eq!(
        (
            s.gateway_count(),
            s.pending_admissions(),
            s.refused_cached()
        ),
        (0, 0, max_refused)
    );
    assert_eq!(f.connected(), 0);
    let addr: SocketAddr = "192.0.2.30:41000".parse().unwrap();
    f.handle_datagram(t0, addr, &datagram(2, 1, 2, GW, ""));
    let evs = events(&mut f);
    assert!(
        matches!(evs[..], [GatewayEvent::Connected { .. }]),
        "{evs:?}"
    );

    // Deferred: requests nobody answers stay within the pending bound, answered ones within
    // the refusal cache.
    let config = UdpConfig::default();
    let (max_pending, max_refused) = (
        config.server.max_pending_admissions,
        config.server.max_refused_cached,
    );
    let reg = registry();
    let mut f = UdpFrontend::deferred(config, reg.clone());
    for i in 0..150_000u32 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        f.handle_datagram(t0, attacker, &datagram(2, 1, 2, x.to_be_bytes(), ""));
        while f.poll_transmit(&mut buf).is_some() {}
        if i % 2 == 0 {
            while let Some(r) = f.poll_admission() {
                f.handle_admission(t0, r.eui, reg.gateway_by_eui(r.eui));
            }
        }
        let events: Vec<_> = std::iter::from_fn(|| f.poll_event()).collect();
        assert!(
            events.len() <= usize::from(i == 0),
            "one Refused per window: {events:?}"
        );
    }
    let s = f.server();
    assert!(s.pending_admissions() <= max_pending);
    assert_eq!((s.gateway_count(), s.refused_cached()), (0, max_refused));
    assert!(f.admissions.len() <= max_pending);
    f.handle_datagram(t0, addr, &datagram(2, 1, 2, GW, ""));
    let r = std::iter::from_fn(|| f.poll_admission())
        .find(|r| r.eui == Eui64(GW))
        .expect("the registered gateway is asked about");
    f.handle_admission(t0, r.eui, reg.gateway_by_eui(r.eui));
    let evs = events(&mut f);
    assert!(
        matches!(evs[..], [GatewayEvent::Connected { .. }]),
        "{evs:?}"
    );
}

/// A gateway with a key is not served over Semtech UDP (no `Connected`, so no route for a
/// forger who knows its EUI) unless its entry says so explicitly.
#[test]
fn keyed_gateways_are_not_served_over_udp_by_default() {
    let hash = crate::registry::hash_key("LNS", b"salt-for-udp-tst");
    let config = |explicit: &str| {
        format!(
            "[[gateway]]\nid = \"keyed\"\neui = \"0102030405060708\"\nfrequency_plans = [\"EU_863_870\"]\n{explicit}\n\
             [[gateway.key]]\nname = \"lns\"\nhash = \"{hash}\"\nrights = [\"link\"]\n"
        )
    };
    let t0 = start();
    let forger: SocketAddr = "203.0.113.66:1700".parse().unwrap();
    let ids = GatewayIds::new("keyed", Some(Eui64(GW)));

    let reg = Arc::new(InMemoryRegistry::from_toml(&config("")).unwrap());
    let mut f = UdpFrontend::new(UdpConfig::default(), reg);
    f.handle_datagram(t0, forger, &datagram(2, 1, 2, GW, ""));
    assert_eq!(transmits(&mut f).len(), 1, "acknowledged like any datagram");
    assert!(
        matches!(&events(&mut f)[..], [GatewayEvent::Refused { reason, .. }] if reason == "gateway requires an authenticated connection")
    );
    assert_eq!(
        f.server().downlink_path(loragw_semtech_udp::GatewayEui(GW)),
        None
    );
    assert!(matches!(
        f.handle_command(
            t0,
            GatewayCommand::Downlink {
                gateway: ids.clone(),
                message: class_a_down("ns:x"),
            }
        ),
        Err(CommandError::NotConnected(_))
    ));

    let explicit = "require_authenticated_connection = false";
    let reg = Arc::new(InMemoryRegistry::from_toml(&config(explicit)).unwrap());
    let mut f = UdpFrontend::new(UdpConfig::default(), reg);
    f.handle_datagram(t0, forger, &datagram(2, 1, 2, GW, ""));
    let evs = events(&mut f);
    assert!(
        matches!(&evs[..], [GatewayEvent::Connected { gateway, .. }] if *gateway == ids),
        "{evs:?}"
    );
    assert!(
        f.server()
            .downlink_path(loragw_semtech_udp::GatewayEui(GW))
            .is_some()
    );
}
