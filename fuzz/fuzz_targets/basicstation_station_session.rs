//! The Basics Station station session (gateway side) fed an arbitrary sequence of LNS frames
//! (templates of every LNS → station message with extreme numbers, or raw text), received radio
//! frames, TX start/failure reports, xtime replies and timeouts with monotonic time.
//! Invariants: no panic; every frame the session writes decodes as a station → LNS message;
//! after `handle_timeout(now)` the next timeout is later than `now`.
#![no_main]

#[path = "common/numbers.rs"]
mod numbers;

use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use loragw_basicstation::datarate::Modulation;
use loragw_basicstation::message::decode_up;
use loragw_basicstation::station::{
    ReceivedFrame, StationConfig, StationEvent, StationSession, TxStarted,
};
use numbers::{LBS_DOWN, Num, splice};

#[derive(Arbitrary, Debug)]
enum Op {
    /// An LNS frame: a template with numbers spliced in.
    Template { which: u8, nums: Vec<Num> },
    /// Raw text from the LNS.
    Raw(String),
    /// A frame the radio received.
    Uplink {
        phy: Vec<u8>,
        freq: u32,
        sf: u8,
        xtime: i64,
        rctx: i64,
        gpstime: Option<i64>,
        rssi: i32,
        snr: f64,
        rxtime: f64,
    },
    /// The `which`-th pending transmit started (or failed).
    TxStarted {
        which: u8,
        failed: bool,
        xtime: i64,
        rctx: i64,
        dr: u8,
        freq: u32,
        gpstime: Option<i64>,
    },
    /// Answer a getxtime request.
    Xtime { now_unix: f64, xtimes: Vec<i64> },
    /// Time passes, then the timer runs.
    Advance { ms: u32 },
}

const CONFIG: &str = r#"{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","freq_range":[863000000,870000000],"DRs":[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[7,250,0],[0,0,0]],"MuxTime":1795585800.0}"#;

fuzz_target!(|input: (bool, Vec<Op>)| {
    let (configure, ops) = input;
    let t0 = Instant::now();
    let mut now = t0;
    let mut s = StationSession::new(
        StationConfig {
            timesync_interval: Some(Duration::from_secs(5)),
            ..StationConfig::default()
        },
        now,
    );
    if configure {
        s.handle_message(now, CONFIG);
    }
    let mut pending: Vec<i64> = Vec::new();
    let mut buf = String::new();
    for op in ops.into_iter().take(64) {
        match op {
            Op::Template { which, nums } => {
                let t = LBS_DOWN[usize::from(which) % LBS_DOWN.len()];
                s.handle_message(now, &splice(t, &nums[..nums.len().min(64)]));
            }
            Op::Raw(text) => s.handle_message(now, &text),
            Op::Uplink {
                phy,
                freq,
                sf,
                xtime,
                rctx,
                gpstime,
                rssi,
                snr,
                rxtime,
            } => {
                let frame = ReceivedFrame {
                    phy_payload: phy,
                    freq,
                    modulation: Modulation::Lora {
                        spreading_factor: sf,
                        bandwidth_khz: 125,
                    },
                    xtime,
                    rctx,
                    gpstime,
                    fts: None,
                    rssi,
                    snr,
                    rxtime,
                };
                let _ = s.send_uplink(now, &frame);
            }
            Op::TxStarted {
                which,
                failed,
                xtime,
                rctx,
                dr,
                freq,
                gpstime,
            } => {
                if !pending.is_empty() {
                    let diid = pending.remove(usize::from(which) % pending.len());
                    if failed {
                        s.tx_failed(diid);
                    } else {
                        let _ = s.tx_started(
                            now,
                            diid,
                            TxStarted {
                                xtime,
                                rctx,
                                dr,
                                freq,
                                gpstime,
                            },
                        );
                    }
                }
            }
            Op::Xtime { now_unix, xtimes } => {
                let _ = s.reply_xtime(
                    now,
                    now_unix,
                    s.ref_time(now),
                    &xtimes[..xtimes.len().min(8)],
                );
            }
            Op::Advance { ms } => {
                now += Duration::from_millis(u64::from(ms % 600_000));
                s.handle_timeout(now);
                if let Some(t) = s.poll_timeout() {
                    assert!(t > now || s.has_output(), "timer due at or before now after handle_timeout");
                }
                let _ = s.gps_time(now);
                let _ = s.ref_time(now);
            }
        }
        while s.poll_transmit(&mut buf) {
            decode_up(&buf).expect("the station writes decodable messages");
        }
        while let Some(e) = s.poll_event() {
            if let StationEvent::Transmit(tx) = e
                && tx.confirm
            {
                pending.push(tx.diid);
            }
        }
        pending.truncate(16);
    }
});
