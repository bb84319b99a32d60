//! The Semtech UDP `Forwarder` (gateway side) fed an arbitrary sequence of server datagrams
//! (raw bytes, or well-formed acknowledgements and PULL_RESPs echoing tokens it sent), uplink
//! pushes, status reports, TX acks and timeouts on a monotonic clock. Invariants: no panic;
//! every datagram it writes decodes as a gateway → server packet; after `handle_timeout(now)`
//! the next timeout is later than `now`.
#![no_main]

#[path = "common/numbers.rs"]
mod numbers;

use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use loragw_semtech_udp::{
    Forwarder, ForwarderConfig, GatewayEui, Packet, ProtocolVersion, Rxpk, Stat, TxpkAck,
};
use numbers::{Num, UDP, splice};

#[derive(Arbitrary, Debug)]
enum Step {
    /// Raw bytes from the server.
    Raw(Vec<u8>),
    /// A PUSH_ACK (type 1) or PULL_ACK (type 4) for the `which`-th token seen (or any token).
    Ack {
        pull: bool,
        which: u8,
        token: Option<u16>,
        version: bool,
    },
    /// A PULL_RESP whose txpk numbers are extreme.
    PullResp { token: u16, nums: Vec<Num> },
    /// Uplinks decoded from a PUSH_DATA template with extreme numbers.
    Push { nums: Vec<Num>, copies: u8 },
    /// A status report.
    Status {
        rxnb: Option<u32>,
        temp: Option<f64>,
    },
    /// A TX_ACK for the `which`-th downlink handed out.
    TxAck { which: u8, error: bool },
    /// Time passes, then the timer runs.
    Advance { ms: u32 },
}

fuzz_target!(|input: (u8, u64, Vec<Step>)| {
    let (max_len, seed, steps) = input;
    let t0 = Instant::now();
    let mut now = t0;
    let mut f = Forwarder::new(
        ForwarderConfig {
            gateway: GatewayEui([1, 2, 3, 4, 5, 6, 7, 8]),
            max_pending_pushes: 4,
            max_unacknowledged_downlinks: 4,
            // Small datagrams exercise the splitting of PUSH_DATA.
            max_datagram_len: 200 + usize::from(max_len) * 64,
            seed,
            ..ForwarderConfig::default()
        },
        now,
    );
    let mut tokens: Vec<(u16, bool)> = Vec::new();
    let mut downlinks: Vec<u16> = Vec::new();
    let mut buf = Vec::new();
    for step in steps.into_iter().take(128) {
        match step {
            Step::Raw(bytes) => f.handle_datagram(now, &bytes),
            Step::Ack {
                pull,
                which,
                token,
                version,
            } => {
                let token = token.unwrap_or_else(|| {
                    let want: Vec<u16> =
                        tokens.iter().filter(|t| t.1 == pull).map(|t| t.0).collect();
                    want.get(usize::from(which) % want.len().max(1))
                        .copied()
                        .unwrap_or(0)
                });
                let [hi, lo] = token.to_be_bytes();
                let v = if version { 1 } else { 2 };
                f.handle_datagram(now, &[v, hi, lo, if pull { 4 } else { 1 }]);
            }
            Step::PullResp { token, nums } => {
                let [hi, lo] = token.to_be_bytes();
                let mut d = vec![2, hi, lo, 3];
                d.extend_from_slice(splice(UDP[2].1, &nums[..nums.len().min(64)]).as_bytes());
                f.handle_datagram(now, &d);
            }
            Step::Push { nums, copies } => {
                let mut d = vec![2, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
                d.extend_from_slice(splice(UDP[0].1, &nums[..nums.len().min(64)]).as_bytes());
                if let Ok(Packet::PushData(p)) = Packet::decode(&d) {
                    let mut rxpk: Vec<Rxpk> = Vec::new();
                    for _ in 0..=copies % 8 {
                        rxpk.extend(p.rxpk.iter().cloned());
                    }
                    let _ = f.push_uplinks(now, rxpk);
                }
            }
            Step::Status { rxnb, temp } => {
                let stat = Stat {
                    rxnb,
                    temp,
                    ..Stat::default()
                };
                let _ = f.push_status(now, stat);
            }
            Step::TxAck { which, error } => {
                if let Some(&token) = downlinks.get(usize::from(which) % downlinks.len().max(1)) {
                    let ack = if error {
                        TxpkAck {
                            error: Some(loragw_semtech_udp::TxError::TooLate),
                            ..TxpkAck::success()
                        }
                    } else {
                        TxpkAck::success()
                    };
                    let _ = f.send_tx_ack(now, token, ack);
                }
            }
            Step::Advance { ms } => {
                now += Duration::from_millis(u64::from(ms % 120_000));
                f.handle_timeout(now);
                if let Some(t) = f.poll_timeout() {
                    assert!(t > now || f.has_output(), "timer due at or before now after handle_timeout");
                }
            }
        }
        while f.poll_transmit(&mut buf).is_some() {
            let p = Packet::decode(&buf).expect("the forwarder writes decodable datagrams");
            match p {
                Packet::PushData(p) => {
                    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
                    assert_eq!(p.version, ProtocolVersion::V2);
                    tokens.push((p.token, false));
                }
                Packet::PullData(p) => tokens.push((p.token, true)),
                Packet::TxAck(_) => {}
                other => panic!("a forwarder sent a server packet: {other:?}"),
            }
            if tokens.len() > 64 {
                tokens.remove(0);
            }
        }
        while let Some(e) = f.poll_event() {
            if let loragw_semtech_udp::ForwarderEvent::Downlink { token, .. } = e {
                downlinks.push(token);
                if downlinks.len() > 16 {
                    downlinks.remove(0);
                }
            }
        }
    }
});
