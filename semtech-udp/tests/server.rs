//! Server state machine on a virtual clock, including server-side cases users of other GWMP
//! servers ran into (6: TX_ACK from another port, 7: NAT port changes, 8: TX_ACK for an expired
//! token; 3: GWMP v1 answered in v1; numbered as in `regressions_wire.rs`).

// Test helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use loragw_semtech_udp::*;

const EUI: GatewayEui = GatewayEui([0xAA, 0x55, 0x5A, 0, 0, 0, 1, 1]);

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn dg(version: u8, token: u16, kind: u8, json: &[u8]) -> Vec<u8> {
    let [hi, lo] = token.to_be_bytes();
    let mut d = vec![version, hi, lo, kind];
    d.extend_from_slice(&EUI.0);
    d.extend_from_slice(json);
    d
}

const UPLINK: &[u8] =
    br#"{"rxpk":[{"tmst":1000000,"freq":868.1,"datr":"SF7BW125","codr":"4/5","data":"QAEC"}]}"#;

fn drain(s: &mut Server) -> (Vec<(Transmit, Vec<u8>)>, Vec<ServerEvent>) {
    let mut tx = Vec::new();
    let mut buf = Vec::new();
    while let Some(t) = s.poll_transmit(&mut buf) {
        tx.push((t, buf.clone()));
    }
    let mut ev = Vec::new();
    while let Some(e) = s.poll_event() {
        ev.push(e);
    }
    (tx, ev)
}

fn txpk(timing: TxTiming) -> Txpk {
    Txpk {
        timing,
        freq: Frequency::from_hz(869_525_000),
        rfch: 0,
        powe: Some(14),
        ant: None,
        brd: None,
        datr: DataRate::Lora {
            spreading_factor: 9,
            bandwidth: Bandwidth::Khz125,
        },
        codr: Some(CodingRate::Cr4_5),
        fdev: None,
        ipol: Some(true),
        prea: None,
        ncrc: None,
        nhdr: None,
        data: vec![1, 2, 3],
    }
}

fn token_of(pull_resp: &[u8]) -> u16 {
    u16::from_be_bytes([pull_resp[1], pull_resp[2]])
}

/// Connect a gateway with a PULL_DATA from `from` and return the server.
fn connected(config: ServerConfig, t0: Instant, from: SocketAddr) -> Server {
    let mut s = Server::new(config);
    s.handle_datagram(t0, from, &dg(2, 1, 2, b""));
    drain(&mut s);
    s
}

#[test]
fn push_data_is_acked_and_reported_once() {
    let t0 = Instant::now();
    let mut s = Server::new(ServerConfig::default());
    let from = addr("10.0.0.1:40000");
    s.handle_datagram(t0, from, &dg(2, 0xBEEF, 0, UPLINK));
    let (tx, ev) = drain(&mut s);
    assert_eq!(tx.len(), 1);
    assert_eq!(tx[0].0.destination, from);
    assert_eq!(tx[0].0.packet_type, PacketType::PushAck);
    assert_eq!(tx[0].1, [2, 0xBE, 0xEF, 1]);
    assert!(matches!(ev[0], ServerEvent::Connected { gateway: EUI, .. }));
    let ServerEvent::Uplink { rxpk, .. } = &ev[1] else {
        panic!("{ev:?}")
    };
    assert_eq!(rxpk[0].data, [0x40, 1, 2]);
    assert_eq!(ev.len(), 2);

    // The forwarder retransmits (its PUSH_ACK was lost): acked again, not reported again.
    s.handle_datagram(
        t0 + Duration::from_millis(500),
        from,
        &dg(2, 0xBEEF, 0, UPLINK),
    );
    let (tx, ev) = drain(&mut s);
    assert_eq!(tx.len(), 1);
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn case3_v1_gateway_answered_in_v1() {
    let t0 = Instant::now();
    let mut s = Server::new(ServerConfig::default());
    let from = addr("10.0.0.1:40000");
    s.handle_datagram(t0, from, &dg(1, 7, 2, b""));
    let (tx, ev) = drain(&mut s);
    assert_eq!(tx[0].1, [1, 0, 7, 4]);
    assert!(matches!(
        ev[1],
        ServerEvent::DownlinkPath {
            path: DownlinkPath {
                version: ProtocolVersion::V1,
                ..
            },
            previous: None,
            ..
        }
    ));
    let id = s.send_downlink(t0, EUI, txpk(TxTiming::Immediate)).unwrap();
    let (tx, _) = drain(&mut s);
    assert_eq!(tx[0].0.downlink, Some(id));
    assert_eq!(tx[0].1[0], 1, "PULL_RESP in the gateway's version");
    assert_eq!(tx[0].1[3], 3);
    // No TX_ACK from v1 gateways: the downlink ends after the TX-ACK timeout with its own
    // reason (so an embedder can forget it without reporting a failure), and only once.
    s.handle_timeout(t0 + Duration::from_secs(9));
    assert!(drain(&mut s).1.is_empty());
    s.handle_timeout(t0 + Duration::from_secs(10));
    let (_, ev) = drain(&mut s);
    assert_eq!(
        ev,
        [ServerEvent::DownlinkExpired {
            gateway: EUI,
            downlink: id,
            reason: ExpiryReason::NoTxAckInV1
        }]
    );
    s.handle_timeout(t0 + Duration::from_secs(60));
    let (_, ev) = drain(&mut s);
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn downlink_needs_a_path() {
    let t0 = Instant::now();
    let mut s = Server::new(ServerConfig::default());
    assert_eq!(
        s.send_downlink(t0, EUI, txpk(TxTiming::Immediate)),
        Err(Error::UnknownGateway(EUI))
    );
    // PUSH_DATA alone does not open a downlink path.
    s.handle_datagram(t0, addr("10.0.0.1:1"), &dg(2, 1, 0, UPLINK));
    assert_eq!(
        s.send_downlink(t0, EUI, txpk(TxTiming::Immediate)),
        Err(Error::NoDownlinkPath(EUI))
    );
}

#[test]
fn case6_tx_ack_from_upstream_port_matches() {
    let t0 = Instant::now();
    let down = addr("10.0.0.1:50001");
    let mut s = connected(ServerConfig::default(), t0, down);
    let id = s
        .send_downlink(t0, EUI, txpk(TxTiming::Timestamp(5_000_000)))
        .unwrap();
    let (tx, _) = drain(&mut s);
    assert_eq!(tx[0].0.destination, down);
    let token = token_of(&tx[0].1);
    // Tektelic sends the TX_ACK from its upstream socket (another port).
    let t1 = t0 + Duration::from_millis(40);
    s.handle_datagram(t1, addr("10.0.0.1:50000"), &dg(2, token, 5, b""));
    let (tx, ev) = drain(&mut s);
    assert!(tx.is_empty());
    assert_eq!(
        ev,
        vec![ServerEvent::TxAck {
            gateway: EUI,
            downlink: id,
            ack: TxpkAck::success(),
            round_trip: Duration::from_millis(40),
        }]
    );
    // The same with the address-change guard on: the port is ignored, only the IP counts.
    let config = ServerConfig {
        address_change_block: Some(Duration::from_secs(60)),
        ..ServerConfig::default()
    };
    let mut s = connected(config, t0, down);
    s.send_downlink(t0, EUI, txpk(TxTiming::Immediate)).unwrap();
    let (tx, _) = drain(&mut s);
    s.handle_datagram(
        t1,
        addr("10.0.0.1:50000"),
        &dg(2, token_of(&tx[0].1), 5, b"\0"),
    );
    let (_, ev) = drain(&mut s);
    assert!(matches!(ev[0], ServerEvent::TxAck { .. }), "{ev:?}");
    // ...while another IP is refused.
    s.handle_datagram(t1, addr("10.9.9.9:50000"), &dg(2, 9, 2, b""));
    let (tx, ev) = drain(&mut s);
    assert!(tx.is_empty());
    assert!(matches!(
        ev[0],
        ServerEvent::Rejected {
            reason: RejectReason::AddressChange { .. },
            ..
        }
    ));
}

#[test]
fn case7_nat_rebinding_moves_the_path() {
    let t0 = Instant::now();
    let mut s = connected(ServerConfig::default(), t0, addr("192.0.2.1:40000"));
    let t1 = t0 + Duration::from_secs(10);
    s.handle_datagram(t1, addr("192.0.2.1:41234"), &dg(2, 2, 2, b""));
    let (tx, ev) = drain(&mut s);
    assert_eq!(tx[0].0.destination, addr("192.0.2.1:41234"));
    let ServerEvent::DownlinkPath { path, previous, .. } = ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(path.addr, addr("192.0.2.1:41234"));
    assert_eq!(previous.unwrap().addr, addr("192.0.2.1:40000"));
    s.send_downlink(t1, EUI, txpk(TxTiming::Immediate)).unwrap();
    let (tx, _) = drain(&mut s);
    assert_eq!(tx[0].0.destination, addr("192.0.2.1:41234"));
}

#[test]
fn case8_late_and_duplicate_tx_ack_never_match_another_downlink() {
    let t0 = Instant::now();
    let from = addr("10.0.0.1:1700");
    let mut s = connected(ServerConfig::default(), t0, from);
    let first = s.send_downlink(t0, EUI, txpk(TxTiming::Immediate)).unwrap();
    let (tx, _) = drain(&mut s);
    let first_token = token_of(&tx[0].1);
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(10)));
    let t1 = t0 + Duration::from_secs(10);
    s.handle_timeout(t1);
    let (_, ev) = drain(&mut s);
    assert_eq!(
        ev,
        vec![ServerEvent::DownlinkExpired {
            gateway: EUI,
            downlink: first,
            reason: ExpiryReason::NoTxAck
        }]
    );
    // Many new downlinks: none reuses the expired token.
    let mut tokens = Vec::new();
    for i in 0..20 {
        s.handle_datagram(t1, from, &dg(2, 100 + i, 2, b""));
        let id = s.send_downlink(t1, EUI, txpk(TxTiming::Immediate)).unwrap();
        assert_ne!(id, first);
        let (tx, _) = drain(&mut s);
        let pr = tx
            .iter()
            .find(|(t, _)| t.packet_type == PacketType::PullResp)
            .unwrap();
        tokens.push(token_of(&pr.1));
        if tokens.len() == 10 {
            // acknowledge a few to free slots
            for tk in tokens.drain(..) {
                assert_ne!(tk, first_token);
                s.handle_datagram(t1, from, &dg(2, tk, 5, b""));
            }
            drain(&mut s);
        }
    }
    // The late TX_ACK for the expired downlink is reported unmatched.
    s.handle_datagram(
        t1 + Duration::from_secs(1),
        from,
        &dg(2, first_token, 5, b""),
    );
    let (_, ev) = drain(&mut s);
    assert_eq!(
        ev,
        vec![ServerEvent::TxAckUnmatched {
            gateway: EUI,
            token: first_token,
            ack: TxpkAck::success(),
            reason: UnmatchedReason::LateOrDuplicate,
        }]
    );
    // A token never used.
    let unused = (0..=u16::MAX)
        .find(|t| *t != first_token && !tokens.contains(t))
        .unwrap();
    s.handle_datagram(t1 + Duration::from_secs(1), from, &dg(2, unused, 5, b""));
    let (_, ev) = drain(&mut s);
    assert!(matches!(
        ev[0],
        ServerEvent::TxAckUnmatched {
            reason: UnmatchedReason::UnknownToken,
            ..
        }
    ));
}

#[test]
fn path_and_connection_expire() {
    let t0 = Instant::now();
    let from = addr("10.0.0.1:1700");
    let mut s = connected(ServerConfig::default(), t0, from);
    // Keep pushing (liveness) but stop pulling: the path expires at 90 s, the gateway stays.
    for sec in [30u64, 60, 89] {
        s.handle_datagram(
            t0 + Duration::from_secs(sec),
            from,
            &dg(2, sec as u16, 0, b""),
        );
    }
    s.handle_timeout(t0 + Duration::from_secs(90));
    let (_, ev) = drain(&mut s);
    assert_eq!(ev, vec![ServerEvent::DownlinkPathExpired { gateway: EUI }]);
    assert_eq!(
        s.send_downlink(t0 + Duration::from_secs(90), EUI, txpk(TxTiming::Immediate)),
        Err(Error::NoDownlinkPath(EUI))
    );
    assert_eq!(s.gateway_count(), 1);
    // Silence: disconnected 3 min after the last datagram.
    let deadline = t0 + Duration::from_secs(89 + 180);
    s.handle_timeout(deadline - Duration::from_millis(1));
    assert!(drain(&mut s).1.is_empty());
    assert_eq!(s.poll_timeout(), Some(deadline));
    s.handle_timeout(deadline);
    let (_, ev) = drain(&mut s);
    assert_eq!(ev, vec![ServerEvent::Disconnected { gateway: EUI }]);
    assert_eq!(s.gateway_count(), 0);
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn tx_ack_keeps_the_path_alive() {
    let t0 = Instant::now();
    let from = addr("10.0.0.1:1700");
    let mut s = connected(ServerConfig::default(), t0, from);
    let t1 = t0 + Duration::from_secs(80);
    s.send_downlink(t1, EUI, txpk(TxTiming::Immediate)).unwrap();
    let (tx, _) = drain(&mut s);
    s.handle_datagram(t1, from, &dg(2, token_of(&tx[0].1), 5, b""));
    s.handle_timeout(t0 + Duration::from_secs(100));
    let (_, ev) = drain(&mut s);
    assert!(
        !ev.contains(&ServerEvent::DownlinkPathExpired { gateway: EUI }),
        "{ev:?}"
    );
    assert!(s.downlink_path(EUI).is_some());
}

#[test]
fn rate_limit_drops_the_eleventh_datagram_within_10ms() {
    let t0 = Instant::now();
    let from = addr("10.0.0.1:1700");
    let mut s = Server::new(ServerConfig::default());
    for i in 0..11u16 {
        s.handle_datagram(
            t0 + Duration::from_micros(u64::from(i) * 100),
            from,
            &dg(2, i, 2, b""),
        );
    }
    let (tx, ev) = drain(&mut s);
    assert_eq!(tx.len(), 10);
    assert!(matches!(
        ev.last(),
        Some(ServerEvent::Rejected {
            reason: RejectReason::RateLimited,
            ..
        })
    ));
    s.handle_datagram(t0 + Duration::from_millis(11), from, &dg(2, 99, 2, b""));
    assert_eq!(drain(&mut s).0.len(), 1);
}

#[test]
fn schedule_late_holds_until_lead_time() {
    let t0 = Instant::now();
    let from = addr("10.0.0.1:1700");
    let config = ServerConfig {
        schedule_late: Some(ScheduleLate::default()),
        ..ServerConfig::default()
    };
    let mut s = connected(config, t0, from);
    // Uplink with tmst near the top of the 32-bit counter: the downlink's tmst wraps.
    let up = br#"{"rxpk":[{"tmst":4294000000,"freq":868.1,"datr":"SF7BW125","data":"QAEC"}]}"#;
    s.handle_datagram(t0, from, &dg(2, 5, 0, up));
    drain(&mut s);
    let tmst = 4_294_000_000u32.wrapping_add(5_000_000);
    let id = s
        .send_downlink(t0, EUI, txpk(TxTiming::Timestamp(tmst)))
        .unwrap();
    let (tx, _) = drain(&mut s);
    assert!(tx.is_empty(), "held");
    let due = t0 + Duration::from_millis(4200);
    assert_eq!(s.poll_timeout(), Some(due));
    s.handle_timeout(due);
    let (tx, _) = drain(&mut s);
    assert_eq!(tx[0].0.downlink, Some(id));
    // Once the gateway has shown a JIT queue (a TX_ACK), downlinks go out at once.
    s.handle_datagram(due, from, &dg(2, token_of(&tx[0].1), 5, b""));
    drain(&mut s);
    s.send_downlink(
        due,
        EUI,
        txpk(TxTiming::Timestamp(tmst.wrapping_add(1_000_000))),
    )
    .unwrap();
    assert_eq!(drain(&mut s).0.len(), 1);
}

#[test]
fn malformed_input_is_reported_and_isolated() {
    let t0 = Instant::now();
    let from = addr("10.0.0.1:1700");
    let mut s = Server::new(ServerConfig::default());
    s.handle_datagram(t0, from, &[2, 0]);
    s.handle_datagram(t0, from, &[2, 0, 0, 1]);
    s.handle_datagram(t0, from, &dg(2, 1, 0, b"{\"rxpk\":[{]"));
    let bad_rxpk =
        br#"{"rxpk":[{"tmst":1,"freq":868.1,"datr":"SF7BW125","data":"AA=="},{"tmst":2}]}"#;
    s.handle_datagram(t0, from, &dg(2, 2, 0, bad_rxpk));
    let (tx, ev) = drain(&mut s);
    assert!(matches!(
        ev[0],
        ServerEvent::Malformed {
            gateway: None,
            error: DecodeError::TooShort { .. },
            ..
        }
    ));
    assert!(matches!(
        ev[1],
        ServerEvent::Malformed {
            error: DecodeError::WrongDirection(PacketType::PushAck),
            ..
        }
    ));
    assert!(matches!(ev[2], ServerEvent::Connected { .. }));
    assert!(matches!(
        ev[3],
        ServerEvent::Malformed {
            gateway: Some(EUI),
            error: DecodeError::Json { .. },
            ..
        }
    ));
    assert!(
        matches!(&ev[4], ServerEvent::Malformed { error: DecodeError::Element(e), .. } if e.element == Element::Rxpk(1))
    );
    assert!(matches!(&ev[5], ServerEvent::Uplink { rxpk, .. } if rxpk.len() == 1));
    // Both PUSH_DATA were acknowledged (the datagram arrived; retrying would not help).
    assert_eq!(tx.len(), 2);
}

#[test]
fn tokens_are_reproducible_from_the_seed() {
    let t0 = Instant::now();
    let run = |seed| {
        let config = ServerConfig {
            seed,
            ..ServerConfig::default()
        };
        let mut s = connected(config, t0, addr("10.0.0.1:1700"));
        s.send_downlink(t0, EUI, txpk(TxTiming::Immediate)).unwrap();
        token_of(&drain(&mut s).0[0].1)
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Arbitrary datagrams (with valid-looking headers half of the time), downlinks and
    /// timeouts on a monotonic clock: no panic; while output is queued `poll_timeout` is due
    /// (so no run loop sleeps on it), and after `handle_timeout` and draining no timer is due.
    #[test]
    fn server_survives_arbitrary_input(steps in proptest::collection::vec(
        (0u8..4, 0u64..5_000, proptest::prelude::any::<bool>(), 0u8..6,
         proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)), 0..60)) {
        let t0 = Instant::now();
        let mut now = t0;
        let mut s = Server::new(ServerConfig {
            schedule_late: Some(ScheduleLate::default()),
            ..ServerConfig::default()
        });
        for (from, advance, framed, kind, body) in steps {
            now += Duration::from_millis(advance * 50);
            let bytes = if framed { dg(2, u16::from(from), kind, &body) } else { body };
            s.handle_datagram(now, addr(&format!("10.0.0.{from}:1700")), &bytes);
            let _ = s.send_downlink(now, EUI, txpk(TxTiming::Timestamp(u32::from(from) << 20)));
            s.handle_timeout(now);
            if s.has_output() {
                proptest::prop_assert!(s.poll_timeout().is_some_and(|at| at <= now));
            }
            drain(&mut s);
            proptest::prop_assert!(!s.has_output());
            if let Some(next) = s.poll_timeout() {
                proptest::prop_assert!(next > now);
            }
        }
    }
}

fn dg_from(eui: GatewayEui, version: u8, token: u16, kind: u8, json: &[u8]) -> Vec<u8> {
    let mut d = dg(version, token, kind, json);
    d[4..12].copy_from_slice(&eui.0);
    d
}

fn ask() -> ServerConfig {
    ServerConfig {
        admission: Admission::Ask,
        ..ServerConfig::default()
    }
}

#[test]
fn ask_mode_allocates_nothing_before_admit() {
    let t0 = Instant::now();
    let mut s = Server::new(ask());
    let from = addr("10.0.0.1:40000");
    // PULL_DATA then PUSH_DATA while the embedder decides: both acked, one request, no state.
    s.handle_datagram(t0, from, &dg(2, 7, 2, b""));
    s.handle_datagram(t0, from, &dg(2, 8, 0, UPLINK));
    let (tx, ev) = drain(&mut s);
    let sent: Vec<&[u8]> = tx.iter().map(|(_, b)| &b[..]).collect();
    assert_eq!(sent, [&[2, 0, 7, 4][..], &[2, 0, 8, 1][..]]);
    assert_eq!(
        ev,
        [ServerEvent::AdmissionRequired {
            gateway: EUI,
            addr: from
        }]
    );
    assert_eq!(
        (
            s.gateway_count(),
            s.pending_admissions(),
            s.unadmitted_datagrams()
        ),
        (0, 1, 2)
    );
    assert_eq!(
        s.send_downlink(t0, EUI, txpk(TxTiming::Immediate)),
        Err(Error::UnknownGateway(EUI))
    );

    // Admitted: connected, with the downlink path of the PULL_DATA seen meanwhile, and the
    // PUSH_DATA held meanwhile reported (not acknowledged twice).
    assert!(s.admit(t0, EUI));
    let (tx, mut ev) = drain(&mut s);
    assert!(tx.is_empty());
    let path = DownlinkPath {
        addr: from,
        version: ProtocolVersion::V2,
    };
    let Some(ServerEvent::Uplink { rxpk, .. }) = ev.pop() else {
        panic!("{ev:?}")
    };
    assert_eq!(rxpk[0].data, [0x40, 1, 2]);
    assert_eq!(
        ev,
        [
            ServerEvent::Connected {
                gateway: EUI,
                addr: from
            },
            ServerEvent::DownlinkPath {
                gateway: EUI,
                path,
                previous: None
            }
        ]
    );
    assert_eq!((s.gateway_count(), s.pending_admissions()), (1, 0));
    assert_eq!(s.downlink_path(EUI), Some(path));
    assert!(s.send_downlink(t0, EUI, txpk(TxTiming::Immediate)).is_ok());
    // Later datagrams are served as usual.
    s.handle_datagram(t0 + Duration::from_millis(100), from, &dg(2, 9, 0, UPLINK));
    let (_, ev) = drain(&mut s);
    assert!(
        matches!(ev[..], [ServerEvent::Uplink { gateway: EUI, .. }]),
        "{ev:?}"
    );
    // An answer to nothing does nothing.
    assert!(!s.admit(t0, GatewayEui([7; 8])));
    assert_eq!(s.gateway_count(), 1);
}

#[test]
fn refusals_are_remembered_then_forgotten() {
    let t0 = Instant::now();
    let mut s = Server::new(ask());
    let from = addr("10.0.0.2:40000");
    s.handle_datagram(t0, from, &dg(2, 1, 0, UPLINK));
    assert_eq!(drain(&mut s).1.len(), 1);
    s.refuse(t0, EUI);
    assert_eq!((s.pending_admissions(), s.refused_cached()), (0, 1));
    // Refused: acknowledged, not asked again, not reported.
    s.handle_datagram(t0 + Duration::from_secs(1), from, &dg(2, 2, 0, UPLINK));
    let (tx, ev) = drain(&mut s);
    assert_eq!(tx[0].1, [2, 0, 2, 1]);
    assert!(ev.is_empty(), "{ev:?}");
    // After the refusal TTL the gateway asks again (it may have been registered meanwhile).
    s.handle_datagram(t0 + Duration::from_secs(60), from, &dg(2, 3, 0, UPLINK));
    let (_, ev) = drain(&mut s);
    assert!(
        matches!(ev[..], [ServerEvent::AdmissionRequired { .. }]),
        "{ev:?}"
    );
    // A request not answered in time is forgotten: the next datagram asks again.
    s.handle_datagram(t0 + Duration::from_secs(69), from, &dg(2, 4, 0, UPLINK));
    assert!(drain(&mut s).1.is_empty());
    s.handle_datagram(t0 + Duration::from_secs(70), from, &dg(2, 5, 0, UPLINK));
    let (_, ev) = drain(&mut s);
    assert!(
        matches!(ev[..], [ServerEvent::AdmissionRequired { .. }]),
        "{ev:?}"
    );
    assert!(!s.admit(t0 + Duration::from_secs(81), EUI), "timed out");
    // So is a cancelled one.
    s.handle_datagram(t0 + Duration::from_secs(82), from, &dg(2, 6, 0, UPLINK));
    assert_eq!(drain(&mut s).1.len(), 1);
    s.cancel_admission(t0 + Duration::from_secs(82), EUI);
    s.handle_datagram(t0 + Duration::from_secs(82), from, &dg(2, 7, 0, UPLINK));
    assert_eq!(drain(&mut s).1.len(), 1);
}

/// 150 000 PULL_DATA from distinct random EUIs, all refused: the tables stay within their
/// configured bounds, `max_gateways` is not touched, and a registered gateway is served after.
#[test]
fn unadmitted_flood_costs_bounded_memory() {
    let t0 = Instant::now();
    let config = ServerConfig {
        max_gateways: 1,
        ..ask()
    };
    let (max_pending, max_refused) = (config.max_pending_admissions, config.max_refused_cached);
    let mut s = Server::new(config);
    let from = addr("203.0.113.9:1700");
    let mut x: u64 = 0x1234_5678;
    let mut buf = Vec::new();
    for i in 0..150_000u32 {
        // xorshift: distinct random EUIs.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let eui = GatewayEui(x.to_be_bytes());
        let now = t0 + Duration::from_micros(u64::from(i));
        s.handle_datagram(now, from, &dg_from(eui, 2, 1, 2, b""));
        while s.poll_transmit(&mut buf).is_some() {}
        while let Some(e) = s.poll_event() {
            let ServerEvent::AdmissionRequired { gateway, .. } = e else {
                panic!("{e:?}")
            };
            // Every other one is answered; the rest stay pending until evicted.
            if i % 2 == 0 {
                s.refuse(now, gateway);
            }
        }
        assert!(s.pending_admissions() <= max_pending);
        assert!(s.refused_cached() <= max_refused);
    }
    assert_eq!(s.gateway_count(), 0);
    assert_eq!(s.pending_admissions(), max_pending);
    assert_eq!(s.refused_cached(), max_refused);
    assert_eq!(s.unadmitted_datagrams(), 150_000);

    // A registered gateway still gets in.
    let later = t0 + Duration::from_secs(1);
    let gw = addr("10.0.0.1:40000");
    s.handle_datagram(later, gw, &dg(2, 1, 2, b""));
    drain(&mut s);
    assert!(s.admit(later, EUI));
    s.handle_datagram(later, gw, &dg(2, 2, 0, UPLINK));
    let (_, ev) = drain(&mut s);
    assert!(
        ev.iter()
            .any(|e| matches!(e, ServerEvent::Uplink { gateway: EUI, .. })),
        "{ev:?}"
    );

    // The same with the inline decision: refusals are cached and bounded.
    let mut s = Server::new(ServerConfig {
        max_gateways: 1,
        ..ServerConfig::default()
    });
    let mut asked = 0u32;
    for i in 0..20_000u64 {
        let eui = GatewayEui((i + 1_000_000).to_be_bytes());
        for _ in 0..2 {
            s.handle_datagram_with(t0, from, &dg_from(eui, 2, 1, 0, UPLINK), |_, _| {
                asked += 1;
                false
            });
        }
        while s.poll_transmit(&mut buf).is_some() {}
        assert!(s.poll_event().is_none());
    }
    assert_eq!(asked, 20_000, "a cached refusal is not asked again");
    assert_eq!((s.gateway_count(), s.refused_cached()), (0, max_refused));
    s.handle_datagram_with(t0, gw, &dg(2, 3, 0, UPLINK), |eui, _| eui == EUI);
    let (_, ev) = drain(&mut s);
    assert!(matches!(ev[0], ServerEvent::Connected { gateway: EUI, .. }));
    assert!(matches!(ev[1], ServerEvent::Uplink { gateway: EUI, .. }));
}
