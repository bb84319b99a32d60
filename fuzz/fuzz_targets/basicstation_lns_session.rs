//! The Basics Station LNS session fed an arbitrary sequence of station frames, timeouts and
//! downlink commands with monotonic time. Invariants: no panic; every frame the session writes
//! decodes as an LNS → station message; a timeout never lies in the past after handle_timeout.
#![no_main]

use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use loragw_basicstation::Eui64;
use loragw_basicstation::lns::{DownlinkRequest, DownlinkSchedule, LnsConfig, LnsSession};
use loragw_basicstation::message::{TxWindow, decode_down};
use loragw_basicstation::router_config::RouterConfig;

#[derive(Arbitrary, Debug)]
enum Op {
    /// A frame from the station: one of the templates with a number spliced in, or raw text.
    Template {
        which: u8,
        value: i64,
    },
    Raw(String),
    Advance {
        millis: u16,
    },
    Downlink {
        class: u8,
        xtime: i64,
        dr: u8,
        freq: u32,
        eui: u64,
        pdu_len: u8,
    },
    Config,
}

const TEMPLATES: &[&str] = &[
    r#"{"msgtype":"version","station":"2.0.6","firmware":null,"package":null,"model":"linux","protocol":2,"features":"rmtsh"}"#,
    r#"{"msgtype":"updf","MHdr":64,"DevAddr":1,"FCtrl":0,"FCnt":0,"FOpts":"","FPort":1,"FRMPayload":"0102","MIC":1,"RefTime":1795585801.287379,"DR":5,"Freq":868100000,"upinfo":{"rctx":0,"xtime":VALUE,"gpstime":0,"fts":-1,"rssi":-50,"snr":9,"rxtime":1795585801.28738}}"#,
    r#"{"msgtype":"jreq","MHdr":0,"JoinEui":"01-02-03-04-05-06-07-08","DevEui":"11-12-13-14-15-16-17-18","DevNonce":8482,"MIC":VALUE,"RefTime":1795585800.783759,"DR":2,"Freq":868300000,"upinfo":{"rctx":0,"xtime":41095346870193749,"gpstime":0,"fts":-1,"rssi":-50,"snr":9,"rxtime":1795585800.783765}}"#,
    r#"{"msgtype":"dntxed","seqno":VALUE,"diid":VALUE,"DR":5,"Freq":868100000,"DevEui":"00-00-00-00-11-00-00-01","rctx":0,"xtime":34902897383558425,"txtime":2993.253003,"gpstime":0}"#,
    r#"{"msgtype":"timesync","txtime":VALUE}"#,
    r#"{"msgtype":"getxtime","MuxTime":1795585800,"ustime":3170.015805,"UTCtime":1795585773.558034,"xtimes":[VALUE,0,0,0]}"#,
    r#"{"msgtype":"propdf","FRMPayload":"E0DEADBEEF","RefTime":VALUE,"DR":3,"Freq":868500000,"upinfo":{}}"#,
];

fuzz_target!(|ops: Vec<Op>| {
    let t0 = Instant::now();
    let mut now = t0;
    let wall = |now: Instant| 1_795_585_800.0 + (now - t0).as_secs_f64();
    let mut s = LnsSession::new(LnsConfig {
        router_config: Some(
            RouterConfig {
                region: "EU868".into(),
                hwspec: "sx1301/1".into(),
                ..RouterConfig::default()
            }
            .into(),
        ),
        ..LnsConfig::default()
    });
    let mut buf = String::new();
    for op in ops.into_iter().take(64) {
        match op {
            Op::Template { which, value } => {
                let t = TEMPLATES[usize::from(which) % TEMPLATES.len()];
                let text = t.replace("VALUE", &value.to_string());
                s.handle_message(now, wall(now), &text);
            }
            Op::Raw(text) => s.handle_message(now, wall(now), &text),
            Op::Advance { millis } => {
                now += Duration::from_millis(u64::from(millis));
                s.handle_timeout(now, wall(now));
                if let Some(t) = s.poll_timeout() {
                    assert!(
                        t > now || s.has_output(),
                        "timer due at or before now after handle_timeout"
                    );
                }
            }
            Op::Downlink {
                class,
                xtime,
                dr,
                freq,
                eui,
                pdu_len,
            } => {
                let window = TxWindow { dr, freq };
                let schedule = match class % 4 {
                    0 => DownlinkSchedule::ClassA {
                        uplink_xtime: xtime,
                        rx_delay: dr % 16,
                        rx1: Some(window),
                        rx2: None,
                    },
                    1 => DownlinkSchedule::ClassB {
                        gpstime: xtime,
                        window,
                    },
                    2 => DownlinkSchedule::ClassC { window },
                    _ => DownlinkSchedule::ConcentratorTime {
                        micros: xtime,
                        txunit: dr,
                        window,
                    },
                };
                let _ = s.send_downlink(
                    now,
                    wall(now),
                    DownlinkRequest {
                        dev_eui: Eui64(eui),
                        pdu: vec![0; usize::from(pdu_len)],
                        priority: 0,
                        rctx: None,
                        schedule,
                    },
                );
            }
            Op::Config => {
                let _ = s.send_router_config(now, wall(now), RouterConfig::default());
            }
        }
        while s.poll_transmit(&mut buf) {
            decode_down(&buf).expect("the LNS writes decodable messages");
        }
        while s.poll_event().is_some() {}
    }
});
