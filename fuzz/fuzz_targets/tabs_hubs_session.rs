//! The Tabs Hubs network session fed an arbitrary sequence of hub frames, timeouts and
//! downlink commands with monotonic time, its output played into a hub session. Invariants: no
//! panic; every frame the network side writes decodes as a server → hub message and the hub
//! session reads it without an `InvalidMessage`; a timer is never due at or before `now` after
//! `handle_timeout`; every downlink accepted ends in exactly one confirmation or timeout.
#![no_main]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use loragw_basicstation::tabs::{
    HubConfig, HubEvent, HubSession, TabsConfig, TabsDownlink, TabsEvent, TabsRouterConfig,
    TabsSession, decode_down,
};

#[derive(Arbitrary, Debug)]
enum Op {
    /// A frame from the hub: one of the templates with a number spliced in, or raw text.
    Template { which: u8, value: i64 },
    Raw(String),
    Advance { millis: u16 },
    Downlink { micros: i64, dr: u8, freq: u32, pdu_len: u16 },
}

const TEMPLATES: &[&str] = &[
    r#"{"msgtype":"version","station":"test","firmware":"2.0.0"}"#,
    r#"{"msgtype":"updf","MHdr":64,"DevAddr":1,"FCtrl":0,"Fcnt":0,"FOpts":"","FPort":1,"FRMPayload":"0102","MIC":1,"RefTime":0,"regionid":1,"DR":5,"Freq":868100000,"upinfo":{"rxtime":1795585801.28738,"rtcx":0,"xtime":VALUE,"rssi":-50,"snr":9}}"#,
    r#"{"msgtype":"jreq","MHdr":0,"JoinEui":"0102:0304:0506:0708","DevEui":"1112:1314:1516:1718","DevNonce":8482,"MIC":1,"RefTime":VALUE,"DR":2,"Freq":868300000,"upinfo":{"rxtime":0,"rctx":0,"xtime":12666373963464220,"rssi":-50,"snr":9}}"#,
    r#"{"msgtype":"dntxed","seqno":VALUE,"routerid":0,"DevEui":"::0"}"#,
    r#"{"msgtype":"propdf","FRMPayload":"E0","DR":VALUE}"#,
];

fuzz_target!(|ops: Vec<Op>| {
    let t0 = Instant::now();
    let mut now = t0;
    let wall = |now: Instant| 1_795_585_800.0 + (now - t0).as_secs_f64();
    let mut s = TabsSession::new(TabsConfig {
        router_config: Some(TabsRouterConfig {
            region: "EU863".into(),
            drs: vec![[12, 125, 0], [7, 250, 0], [-1, 0, 0]],
            protocol: 1,
            ..TabsRouterConfig::default()
        }),
        ..TabsConfig::default()
    });
    let mut hub = HubSession::new(HubConfig::default());
    let mut in_flight: HashSet<u16> = HashSet::new();
    let mut buf = String::new();
    for op in ops.into_iter().take(64) {
        match op {
            Op::Template { which, value } => {
                let t = TEMPLATES[usize::from(which) % TEMPLATES.len()];
                s.handle_message(wall(now), &t.replace("VALUE", &value.to_string()));
            }
            Op::Raw(text) => s.handle_message(wall(now), &text),
            Op::Advance { millis } => {
                now += Duration::from_millis(u64::from(millis));
                s.handle_timeout(now);
                if let Some(t) = s.poll_timeout() {
                    assert!(t > now, "timer due at or before now after handle_timeout");
                }
            }
            Op::Downlink { micros, dr, freq, pdu_len } => {
                let d = TabsDownlink {
                    pdu: vec![0x60; usize::from(pdu_len % 300)],
                    dr,
                    freq,
                    concentrator_micros: micros,
                };
                if let Ok(seqno) = s.send_downlink(now, wall(now), d) {
                    // A seqno reused after 65,536 downlinks replaces the old one.
                    in_flight.insert(seqno);
                }
            }
        }
        while s.poll_transmit(&mut buf) {
            decode_down(&buf).expect("the session writes decodable messages");
            hub.handle_message(&buf);
        }
        while let Some(e) = hub.poll_event() {
            assert!(!matches!(e, HubEvent::InvalidMessage(_)), "{e:?}");
        }
        while let Some(e) = s.poll_event() {
            match e {
                TabsEvent::TxConfirmed { seqno, .. } | TabsEvent::TxTimeout { seqno } => {
                    assert!(in_flight.remove(&seqno), "seqno {seqno} ended twice");
                }
                _ => {}
            }
        }
    }
    assert_eq!(in_flight.len(), s.pending_downlinks());
});
