//! Forwarder state machine on a virtual clock.

// Test helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use loragw_semtech_udp::*;

const EUI: GatewayEui = GatewayEui([0xAA, 0x55, 0x5A, 0, 0, 0, 1, 1]);

fn config() -> ForwarderConfig {
    ForwarderConfig {
        gateway: EUI,
        ..ForwarderConfig::default()
    }
}

fn drain(f: &mut Forwarder) -> (Vec<Vec<u8>>, Vec<ForwarderEvent>) {
    let mut tx = Vec::new();
    let mut buf = Vec::new();
    while let Some(n) = f.poll_transmit(&mut buf) {
        assert_eq!(n, buf.len());
        tx.push(buf.clone());
    }
    let mut ev = Vec::new();
    while let Some(e) = f.poll_event() {
        ev.push(e);
    }
    (tx, ev)
}

fn rxpk(tmst: u32, stat: CrcStatus) -> Rxpk {
    Rxpk {
        time: None,
        tmms: None,
        tmst,
        ftime: None,
        freq: Frequency::from_hz(868_100_000),
        chan: Some(0),
        rfch: Some(0),
        mid: None,
        brd: None,
        ant: None,
        stat: Some(stat),
        datr: DataRate::Lora {
            spreading_factor: 7,
            bandwidth: Bandwidth::Khz125,
        },
        codr: Some(CodingRate::Cr4_5),
        hpw: None,
        rssi: Some(-50.0),
        rssis: None,
        lsnr: Some(9.5),
        foff: None,
        aesk: None,
        rsig: vec![],
        data: vec![0x40; 23],
    }
}

fn ack(kind: u8, token: u16) -> Vec<u8> {
    let [hi, lo] = token.to_be_bytes();
    vec![2, hi, lo, kind]
}

#[test]
fn keepalive_at_start_and_every_interval() {
    let t0 = Instant::now();
    let mut f = Forwarder::new(config(), t0);
    let (tx, _) = drain(&mut f);
    assert_eq!(tx.len(), 1);
    assert_eq!(tx[0].len(), 12);
    assert_eq!((tx[0][0], tx[0][3]), (2, 2));
    assert_eq!(tx[0][4..], EUI.0);
    let token = u16::from_be_bytes([tx[0][1], tx[0][2]]);
    f.handle_datagram(t0 + Duration::from_millis(30), &ack(4, token));
    let (_, ev) = drain(&mut f);
    assert_eq!(
        ev,
        vec![ForwarderEvent::PullAcknowledged {
            token,
            round_trip: Duration::from_millis(30)
        }]
    );
    assert_eq!(f.poll_timeout(), Some(t0 + Duration::from_secs(10)));
    f.handle_timeout(t0 + Duration::from_secs(10));
    let (tx, ev) = drain(&mut f);
    assert_eq!(tx.len(), 1);
    assert!(ev.is_empty());
    // Unanswered: reported at the next keepalive.
    f.handle_timeout(t0 + Duration::from_secs(20));
    let (_, ev) = drain(&mut f);
    assert!(matches!(ev[0], ForwarderEvent::PullUnacknowledged { .. }));
}

#[test]
fn push_retries_then_fails() {
    let t0 = Instant::now();
    let mut f = Forwarder::new(config(), t0);
    drain(&mut f);
    f.push_uplinks(t0, vec![rxpk(1, CrcStatus::Ok)]).unwrap();
    let (tx, _) = drain(&mut f);
    let first = tx[0].clone();
    assert_eq!(f.poll_timeout(), Some(t0 + Duration::from_secs(1)));
    f.handle_timeout(t0 + Duration::from_secs(1));
    let (tx, _) = drain(&mut f);
    assert_eq!(tx, vec![first.clone()], "same bytes, same token");
    f.handle_timeout(t0 + Duration::from_secs(2));
    assert_eq!(drain(&mut f).0.len(), 1);
    f.handle_timeout(t0 + Duration::from_secs(3));
    let (tx, ev) = drain(&mut f);
    assert!(tx.is_empty());
    let token = u16::from_be_bytes([first[1], first[2]]);
    assert_eq!(ev, vec![ForwarderEvent::PushFailed { token, attempts: 3 }]);
}

#[test]
fn stat_counts_what_happened() {
    let t0 = Instant::now();
    let mut f = Forwarder::new(config(), t0);
    drain(&mut f);
    f.push_uplinks(t0, vec![rxpk(1, CrcStatus::Ok), rxpk(2, CrcStatus::Fail)])
        .unwrap();
    f.push_uplinks(t0, vec![rxpk(3, CrcStatus::Ok)]).unwrap();
    let (tx, _) = drain(&mut f);
    // Acknowledge only the first datagram: 1 of 2 → ackr 50 %.
    f.handle_datagram(
        t0 + Duration::from_millis(5),
        &ack(1, u16::from_be_bytes([tx[0][1], tx[0][2]])),
    );
    let (_, ev) = drain(&mut f);
    assert_eq!(
        ev[0],
        ForwarderEvent::PushAcknowledged {
            token: u16::from_be_bytes([tx[0][1], tx[0][2]]),
            round_trip: Duration::from_millis(5)
        }
    );
    // A downlink, acknowledged with success.
    let mut resp = vec![2, 0x77, 0x01, 3];
    resp.extend_from_slice(br#"{"txpk":{"imme":true,"freq":869.525,"rfch":0,"powe":14,"modu":"LORA","datr":"SF9BW125","codr":"4/5","ipol":true,"size":1,"data":"AQ=="}}"#);
    f.handle_datagram(t0, &resp);
    f.send_tx_ack(t0, 0x7701, TxpkAck::success()).unwrap();
    drain(&mut f);
    f.push_status(t0, Stat::default()).unwrap();
    let (tx, _) = drain(&mut f);
    let Packet::PushData(p) = Packet::decode(&tx[0]).unwrap() else {
        panic!()
    };
    let s = p.stat.unwrap();
    assert_eq!((s.rxnb, s.rxok, s.rxfw), (Some(3), Some(2), Some(3)));
    assert_eq!((s.dwnb, s.txnb), (Some(1), Some(1)));
    assert_eq!(s.ackr, Some(50.0));
}

#[test]
fn pull_resp_becomes_one_downlink_and_tx_ack() {
    let t0 = Instant::now();
    let mut f = Forwarder::new(config(), t0);
    drain(&mut f);
    let mut resp = vec![2, 0x12, 0x34, 3];
    resp.extend_from_slice(br#"{"txpk":{"tmst":1000,"freq":868.1,"rfch":0,"modu":"LORA","datr":"SF7BW125","size":1,"data":"AQ=="}}"#);
    f.handle_datagram(t0, &resp);
    let (_, ev) = drain(&mut f);
    let [
        ForwarderEvent::Downlink {
            token: 0x1234,
            txpk,
        },
    ] = &ev[..]
    else {
        panic!("{ev:?}")
    };
    assert_eq!(txpk.timing, TxTiming::Timestamp(1000));
    f.send_tx_ack(
        t0,
        0x1234,
        TxpkAck {
            warn: Some(TxWarning::TxPower),
            value: Some(AckValue::Number(20)),
            ..TxpkAck::default()
        },
    )
    .unwrap();
    let (tx, _) = drain(&mut f);
    let mut expected = vec![2, 0x12, 0x34, 5];
    expected.extend_from_slice(&EUI.0);
    expected.extend_from_slice(br#"{"txpk_ack":{"warn":"TX_POWER","value":20}}"#);
    assert_eq!(tx, vec![expected.clone()]);
    // A repeated PULL_RESP is not a second downlink; the TX_ACK is sent again.
    f.handle_datagram(t0, &resp);
    let (tx, ev) = drain(&mut f);
    assert!(ev.is_empty());
    assert_eq!(tx, vec![expected]);
    assert_eq!(
        f.send_tx_ack(t0, 0x1234, TxpkAck::success()),
        Err(Error::UnknownDownlinkToken(0x1234))
    );
}

#[test]
fn large_batches_are_split() {
    let t0 = Instant::now();
    let mut f = Forwarder::new(
        ForwarderConfig {
            max_datagram_len: 700,
            ..config()
        },
        t0,
    );
    drain(&mut f);
    let batch: Vec<Rxpk> = (0..8).map(|i| rxpk(i, CrcStatus::Ok)).collect();
    f.push_uplinks(t0, batch).unwrap();
    let (tx, _) = drain(&mut f);
    assert!(tx.len() > 1);
    let mut tmsts = Vec::new();
    for d in &tx {
        assert!(d.len() <= 700);
        let Packet::PushData(p) = Packet::decode(d).unwrap() else {
            panic!()
        };
        tmsts.extend(p.rxpk.iter().map(|r| r.tmst));
    }
    assert_eq!(tmsts, (0..8).collect::<Vec<_>>());
}
