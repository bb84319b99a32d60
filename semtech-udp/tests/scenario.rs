//! A `Forwarder` and a `Server` wired together through a seeded, lossy network on a virtual
//! clock: datagrams are lost, duplicated and reordered (random delays). Uplinks must arrive
//! once, downlinks must be acknowledged to the right downlink, and expiry must work once the
//! gateway falls silent.

// Test helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use loragw_semtech_udp::*;

/// xorshift64*, seeded: the network's dice.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn delay(&mut self) -> Duration {
        Duration::from_millis(1 + self.next() % 80)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum To {
    Server,
    Forwarder,
}

struct Network {
    dice: Dice,
    loss: u64,
    duplication: u64,
    in_flight: BTreeMap<(Instant, u64), (To, Vec<u8>)>,
    seq: u64,
}

impl Network {
    fn send(&mut self, now: Instant, to: To, bytes: &[u8]) {
        if self.dice.chance(self.loss) {
            return;
        }
        let copies = if self.dice.chance(self.duplication) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            self.seq += 1;
            let at = now + self.dice.delay();
            self.in_flight.insert((at, self.seq), (to, bytes.to_vec()));
        }
    }

    fn next_at(&self) -> Option<Instant> {
        self.in_flight.keys().next().map(|k| k.0)
    }
}

const EUI: GatewayEui = GatewayEui([0x00, 0x80, 0, 0, 0xA0, 0, 0x12, 0x34]);

fn uplink(tmst: u32) -> Rxpk {
    Rxpk {
        time: None,
        tmms: None,
        tmst,
        ftime: None,
        freq: Frequency::from_hz(868_300_000),
        chan: Some(1),
        rfch: Some(0),
        mid: None,
        brd: None,
        ant: None,
        stat: Some(CrcStatus::Ok),
        datr: DataRate::Lora {
            spreading_factor: 9,
            bandwidth: Bandwidth::Khz125,
        },
        codr: Some(CodingRate::Cr4_5),
        hpw: None,
        rssi: Some(-80.0),
        rssis: None,
        lsnr: Some(7.25),
        foff: None,
        aesk: None,
        rsig: vec![],
        data: tmst.to_be_bytes().to_vec(),
    }
}

fn reply(to: &Rxpk) -> Txpk {
    Txpk {
        timing: TxTiming::Timestamp(to.tmst.wrapping_add(1_000_000)),
        freq: to.freq,
        rfch: 0,
        powe: Some(14),
        ant: None,
        brd: None,
        datr: to.datr,
        codr: to.codr.clone(),
        fdev: None,
        ipol: Some(true),
        prea: None,
        ncrc: Some(true),
        nhdr: None,
        data: to.data.clone(),
    }
}

#[derive(Default)]
struct Outcome {
    pushed: Vec<u32>,
    received: Vec<u32>,
    push_acked: usize,
    push_failed: usize,
    downlinks_sent: BTreeSet<DownlinkId>,
    downlink_payload: BTreeMap<DownlinkId, Vec<u8>>,
    tx_acked: Vec<DownlinkId>,
    expired: Vec<DownlinkId>,
    gateway_transmitted: Vec<Vec<u8>>,
    path_expired: bool,
    disconnected: bool,
    admitted_at: Option<Instant>,
}

fn run(seed: u64, loss: u64, duplication: u64) -> Outcome {
    run_with(seed, loss, duplication, None)
}

/// With `admission_delay`, the server asks before serving the gateway and the embedder answers
/// after that long (a slow registry).
fn run_with(seed: u64, loss: u64, duplication: u64, admission_delay: Option<Duration>) -> Outcome {
    let t0 = Instant::now();
    let mut admit_at: Option<Instant> = None;
    let gw_addr: SocketAddr = "198.51.100.7:33000".parse().unwrap();
    let mut net = Network {
        dice: Dice(seed | 1),
        loss,
        duplication,
        in_flight: BTreeMap::new(),
        seq: 0,
    };
    let mut server = Server::new(ServerConfig {
        seed,
        admission: if admission_delay.is_some() {
            Admission::Ask
        } else {
            Admission::AdmitAll
        },
        ..ServerConfig::default()
    });
    let mut fwd = Forwarder::new(
        ForwarderConfig {
            gateway: EUI,
            seed: seed.rotate_left(17),
            ..ForwarderConfig::default()
        },
        t0,
    );
    let mut out = Outcome::default();
    let mut buf = Vec::new();
    let mut now = t0;
    let uplinks: u32 = 150;
    let active_until = t0 + Duration::from_secs(u64::from(uplinks) * 2 + 5);
    let mut next_uplink = t0 + Duration::from_secs(1);
    let mut next_status = t0 + Duration::from_secs(30);
    let mut n = 0u32;
    let end = active_until + Duration::from_secs(300);

    while now < end {
        // Gateway-side application: uplinks every 2 s and a status every 30 s while active.
        if now < active_until {
            if now >= next_uplink && n < uplinks {
                n += 1;
                let tmst = n * 2_000_000;
                out.pushed.push(tmst);
                fwd.push_uplinks(now, vec![uplink(tmst)]).unwrap();
                next_uplink += Duration::from_secs(2);
            }
            if now >= next_status {
                fwd.push_status(now, Stat::default()).unwrap();
                next_status += Duration::from_secs(30);
            }
            if fwd.poll_timeout().is_some_and(|t| t <= now) {
                fwd.handle_timeout(now);
            }
        }
        if server.poll_timeout().is_some_and(|t| t <= now) {
            server.handle_timeout(now);
        }
        if admit_at.is_some_and(|t| t <= now) {
            admit_at = None;
            assert!(server.admit(now, EUI));
            out.admitted_at = Some(now);
        }
        // Deliver everything due.
        while let Some(at) = net.next_at() {
            if at > now {
                break;
            }
            let (key, (to, bytes)) = net.in_flight.pop_first().unwrap();
            let _ = key;
            match to {
                To::Server => server.handle_datagram(now, gw_addr, &bytes),
                // A silent gateway also stops listening.
                To::Forwarder if now < active_until => fwd.handle_datagram(now, &bytes),
                To::Forwarder => {}
            }
        }
        // Drain both sides.
        loop {
            let mut progressed = false;
            while let Some(t) = server.poll_transmit(&mut buf) {
                assert_eq!(t.destination, gw_addr);
                net.send(now, To::Forwarder, &buf);
                progressed = true;
            }
            while let Some(e) = server.poll_event() {
                progressed = true;
                match e {
                    ServerEvent::Uplink { gateway, rxpk, .. } => {
                        assert_eq!(gateway, EUI);
                        for r in rxpk {
                            out.received.push(r.tmst);
                            if let Ok(id) = server.send_downlink(now, EUI, reply(&r)) {
                                out.downlinks_sent.insert(id);
                                out.downlink_payload.insert(id, r.data.clone());
                            }
                        }
                    }
                    ServerEvent::TxAck { downlink, ack, .. } => {
                        assert!(ack.is_success());
                        out.tx_acked.push(downlink);
                    }
                    ServerEvent::DownlinkExpired { downlink, .. } => out.expired.push(downlink),
                    ServerEvent::DownlinkPathExpired { .. } => out.path_expired = true,
                    ServerEvent::Disconnected { .. } => out.disconnected = true,
                    ServerEvent::Malformed { error, .. } => panic!("malformed: {error}"),
                    ServerEvent::Rejected { reason, .. } => panic!("rejected: {reason:?}"),
                    ServerEvent::AdmissionRequired { gateway, .. } => {
                        assert_eq!(gateway, EUI);
                        assert!(out.admitted_at.is_none(), "asked again after admission");
                        admit_at = Some(now + admission_delay.expect("asked only in Ask mode"));
                    }
                    _ => {}
                }
            }
            while let Some(len) = fwd.poll_transmit(&mut buf) {
                assert_eq!(len, buf.len());
                net.send(now, To::Server, &buf);
                progressed = true;
            }
            while let Some(e) = fwd.poll_event() {
                progressed = true;
                match e {
                    ForwarderEvent::Downlink { token, txpk } => {
                        out.gateway_transmitted.push(txpk.data.clone());
                        fwd.send_tx_ack(now, token, TxpkAck::success()).unwrap();
                    }
                    ForwarderEvent::PushAcknowledged { .. } => out.push_acked += 1,
                    ForwarderEvent::PushFailed { .. } => out.push_failed += 1,
                    ForwarderEvent::Malformed { error } => panic!("malformed: {error}"),
                    _ => {}
                }
            }
            if !progressed {
                break;
            }
        }
        // Advance the virtual clock to the next thing that happens.
        let mut next = [
            server.poll_timeout(),
            net.next_at(),
            (now < active_until).then_some(next_uplink.min(next_status)),
            admit_at,
            if now < active_until {
                fwd.poll_timeout()
            } else {
                None
            },
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(end);
        if next <= now {
            next = now + Duration::from_millis(1);
        }
        now = next;
    }
    out
}

fn check(out: &Outcome, min_delivery: f64) {
    // Uplinks arrive at most once each, and only what was pushed.
    let unique: HashSet<u32> = out.received.iter().copied().collect();
    assert_eq!(unique.len(), out.received.len(), "an uplink arrived twice");
    let pushed: HashSet<u32> = out.pushed.iter().copied().collect();
    assert!(unique.is_subset(&pushed));
    assert!(
        unique.len() as f64 >= min_delivery * out.pushed.len() as f64,
        "delivered {} of {}",
        unique.len(),
        out.pushed.len()
    );
    assert!(out.push_acked + out.push_failed > 0);
    // Every downlink ends exactly once: acknowledged or expired, never both, never twice.
    let acked: HashSet<DownlinkId> = out.tx_acked.iter().copied().collect();
    assert_eq!(
        acked.len(),
        out.tx_acked.len(),
        "a downlink acknowledged twice"
    );
    let expired: HashSet<DownlinkId> = out.expired.iter().copied().collect();
    assert_eq!(expired.len(), out.expired.len());
    assert!(acked.is_disjoint(&expired));
    let ended: BTreeSet<DownlinkId> = acked.union(&expired).copied().collect();
    assert_eq!(ended, out.downlinks_sent);
    // Each acknowledged downlink was really transmitted by the gateway (matched, not confused).
    for id in &acked {
        let payload = &out.downlink_payload[id];
        assert!(out.gateway_transmitted.contains(payload));
    }
    // The gateway transmitted each downlink at most once despite duplicated PULL_RESPs.
    let tx: HashSet<&Vec<u8>> = out.gateway_transmitted.iter().collect();
    assert_eq!(tx.len(), out.gateway_transmitted.len());
    assert!(
        acked.len() as f64 >= min_delivery * 0.8 * out.downlinks_sent.len() as f64,
        "acked {} of {}",
        acked.len(),
        out.downlinks_sent.len()
    );
    // After the gateway fell silent: path expired, then disconnected.
    assert!(out.path_expired);
    assert!(out.disconnected);
}

#[test]
fn perfect_network() {
    let out = run(1, 0, 0);
    assert_eq!(out.received.len(), 150);
    assert_eq!(out.push_failed, 0);
    assert!(out.expired.is_empty());
    check(&out, 1.0);
}

#[test]
fn lossy_duplicating_reordering_network() {
    for seed in [7, 42, 1234] {
        let out = run(seed, 10, 10);
        check(&out, 0.9);
    }
}

/// The server asks before serving the gateway and the answer takes 300 ms: nothing is lost (the
/// first PUSH_DATA is held and reported once admitted), and the gateway is asked about once.
#[test]
fn slow_admission_loses_nothing() {
    let out = run_with(3, 0, 0, Some(Duration::from_millis(300)));
    assert!(out.admitted_at.is_some());
    assert_eq!(out.received.len(), 150);
    assert_eq!(out.push_failed, 0);
    check(&out, 1.0);
}
