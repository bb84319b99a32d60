//! Extreme numbers from the wire (±1e300, i64 limits, -1) reach the sessions without a panic
//! (debug builds: overflow checks on), and the fuzz crash kept in the repository root is a test.

use std::time::{Duration, Instant};

use loragw_basicstation::Eui64;
use loragw_basicstation::lns::{
    DownlinkRequest, DownlinkSchedule, LnsConfig, LnsEvent, LnsSession,
};
use loragw_basicstation::message::{DownMessage, TxWindow, decode_down};
use loragw_basicstation::router_config::RouterConfig;
use loragw_basicstation::station::{StationConfig, StationEvent, StationSession};

const T0_UNIX: f64 = 1_795_585_800.0;
const VERSION: &str = r#"{"msgtype":"version","station":"2.0.6","firmware":null,"package":null,"model":"linux","protocol":2,"features":"rmtsh"}"#;

fn running() -> (LnsSession, Instant) {
    let t0 = Instant::now();
    let mut s = LnsSession::new(LnsConfig {
        router_config: Some(
            RouterConfig {
                region: "EU868".into(),
                hwspec: "sx1301/1".into(),
                drs: vec![[12, 125, 0], [11, 125, 0]],
                ..RouterConfig::default()
            }
            .into(),
        ),
        ..LnsConfig::default()
    });
    s.handle_message(t0, T0_UNIX, VERSION);
    let mut buf = String::new();
    while s.poll_transmit(&mut buf) {}
    while s.poll_event().is_some() {}
    (s, t0)
}

fn events(s: &mut LnsSession) -> Vec<LnsEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// The fuzz crash once stored as `crash-f0dfbf57…` in the repository root: a `router_config`
/// whose `MuxTime` did not survive decode → encode → decode (serde_json's default float parser
/// was one ULP off; fixed with its `float_roundtrip` feature), with a `[-1,0,0]` DR entry.
#[test]
fn fuzz_crash_router_config_mux_time_round_trips() {
    let text = r#"{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","DRs":[[12,125,0],[-1,0,0]],"freq_range":[863000000,870000000],"MuxTime":3591165186.7817085}"#;
    let msg = decode_down(text).expect("the crash input decodes");
    let DownMessage::RouterConfig(cfg) = &msg else {
        panic!("not a router_config: {msg:?}");
    };
    assert_eq!(cfg.mux_time, Some(3_591_165_186.781_708_5));
    assert_eq!(cfg.drs, vec![[12, 125, 0], [-1, 0, 0]]);
    let mut first = String::new();
    msg.encode(&mut first).expect("encodes");
    // The shortest text that parses back to the same f64.
    assert!(
        first.ends_with(r#""MuxTime":3591165186.7817087}"#),
        "{first}"
    );
    let again = decode_down(&first).expect("the encoding decodes");
    let mut second = String::new();
    again.encode(&mut second).expect("encodes again");
    assert_eq!(first, second);
}

/// Integers out of their field's range are decode errors that name the field.
#[test]
fn out_of_range_integers_name_the_field() {
    use loragw_basicstation::message::decode_up;
    let updf = r#"{"msgtype":"updf","MHdr":64,"DevAddr":1,"FCtrl":0,"FCnt":0,"FOpts":"","FPort":1,"FRMPayload":"0102","MIC":1,"RefTime":0,"DR":#,"Freq":868100000,"upinfo":{"rctx":0,"xtime":1,"gpstime":0,"fts":-1,"rssi":-50,"snr":9,"rxtime":0}}"#;
    for (value, field) in [
        ("-1", "DR"),
        ("256", "DR"),
        ("1e300", "DR"),
        ("18446744073709551616", "DR"),
    ] {
        let err = decode_up(&updf.replace('#', value))
            .expect_err(value)
            .to_string();
        assert!(
            err.starts_with(&format!("updf: {field}: ")),
            "{value}: {err}"
        );
    }
    let err = decode_up(
        &updf
            .replace("\"Freq\":868100000", "\"Freq\":-868100000")
            .replace('#', "0"),
    )
    .expect_err("negative Freq")
    .to_string();
    assert!(
        err.starts_with("updf: Freq: invalid value: integer `-868100000`"),
        "{err}"
    );
    let err = decode_down(r#"{"msgtype":"dnmsg","DevEui":"00-00-00-00-00-00-00-01","dC":0,"diid":1,"pdu":"00","RxDelay":300,"RX1DR":5,"RX1Freq":868100000,"xtime":1}"#)
        .expect_err("RxDelay 300")
        .to_string();
    assert!(err.starts_with("dnmsg: RxDelay: "), "{err}");
}

/// `getxtime` with `MuxTime: ±1e300` panicked in `Duration::from_secs_f64`.
#[test]
fn getxtime_with_extreme_mux_time_gives_no_round_trip() {
    for mux in ["-1e300", "1e300", "-1", "0", "1.7976931348623157e308"] {
        let (mut s, t0) = running();
        let text = format!(
            r#"{{"msgtype":"getxtime","MuxTime":{mux},"ustime":1,"UTCtime":1,"xtimes":[52072870960908878,0,0,0]}}"#
        );
        s.handle_message(t0, T0_UNIX, &text);
        let ev = events(&mut s);
        assert!(
            matches!(
                ev.as_slice(),
                [
                    LnsEvent::XtimeSession { .. },
                    LnsEvent::Xtime {
                        round_trip: None,
                        ..
                    }
                ]
            ),
            "MuxTime {mux}: {ev:?}"
        );
        assert_eq!(s.round_trip(), None);
    }
}

/// An uplink whose `RefTime` is ±1e300 is delivered without a round-trip sample.
#[test]
fn uplink_with_extreme_ref_time_is_delivered() {
    for rt in ["-1e300", "1e300", "-1"] {
        let (mut s, t0) = running();
        let text = format!(
            r#"{{"msgtype":"updf","MHdr":64,"DevAddr":1,"FCtrl":0,"FCnt":0,"FOpts":"","FPort":1,"FRMPayload":"0102","MIC":1,"RefTime":{rt},"DR":0,"Freq":868100000,"upinfo":{{"rctx":0,"xtime":41095346870695287,"gpstime":9223372036854775807,"fts":-1,"rssi":-50,"snr":9,"rxtime":1e300}}}}"#
        );
        s.handle_message(t0, T0_UNIX, &text);
        let ev = events(&mut s);
        let [LnsEvent::XtimeSession { .. }, LnsEvent::Uplink(up)] = ev.as_slice() else {
            panic!("RefTime {rt}: {ev:?}");
        };
        assert_eq!(up.round_trip, None);
        assert_eq!(up.radio.upinfo.gpstime, Some(i64::MAX));
    }
}

/// A concentrator-time downlink at `i64::MIN` µs overflowed `micros - 1_000_000`.
#[test]
fn concentrator_time_downlink_at_i64_min_is_refused() {
    let (mut s, t0) = running();
    s.handle_message(
        t0,
        T0_UNIX,
        r#"{"msgtype":"getxtime","MuxTime":1795585800,"ustime":1,"UTCtime":1,"xtimes":[52072870960908878,0,0,0]}"#,
    );
    let err = s
        .send_downlink(
            t0,
            T0_UNIX,
            DownlinkRequest {
                dev_eui: Eui64(1),
                pdu: vec![0; 12],
                priority: 0,
                rctx: None,
                schedule: DownlinkSchedule::ConcentratorTime {
                    micros: i64::MIN,
                    txunit: 0,
                    window: TxWindow {
                        dr: 0,
                        freq: 868_100_000,
                    },
                },
            },
        )
        .expect_err("i64::MIN µs cannot be scheduled");
    assert!(err.to_string().contains("out of range"), "{err}");
}

/// A class B downlink at GPS time `i64::MAX` / `i64::MIN` does not overflow the lead time.
#[test]
fn class_b_downlink_at_extreme_gps_time_does_not_panic() {
    for gpstime in [i64::MAX, i64::MIN, -1] {
        let (mut s, t0) = running();
        let r = s.send_downlink(
            t0,
            T0_UNIX,
            DownlinkRequest {
                dev_eui: Eui64(1),
                pdu: vec![0; 12],
                priority: 0,
                rctx: None,
                schedule: DownlinkSchedule::ClassB {
                    gpstime,
                    window: TxWindow {
                        dr: 0,
                        freq: 868_100_000,
                    },
                },
            },
        );
        assert!(r.is_ok(), "gpstime {gpstime}: {r:?}");
        let mut buf = String::new();
        assert!(s.poll_transmit(&mut buf));
        assert!(buf.contains(&format!(r#""gpstime":{gpstime}"#)), "{buf}");
    }
}

const STATION_CONFIG: &str = r#"{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","freq_range":[863000000,870000000],"DRs":[[12,125,0],[11,125,0],[10,125,0],[9,125,0]],"MuxTime":1795585800.0}"#;

fn station() -> (StationSession, Instant) {
    let t0 = Instant::now();
    let mut s = StationSession::new(
        StationConfig {
            timesync_interval: Some(Duration::from_secs(5)),
            ..StationConfig::default()
        },
        t0,
    );
    s.handle_message(t0, STATION_CONFIG);
    let mut buf = String::new();
    while s.poll_transmit(&mut buf) {}
    while s.poll_event().is_some() {}
    (s, t0)
}

/// A timesync reply with `gpstime: i64::MAX` overflowed `gps_time` a second later.
#[test]
fn station_gps_time_from_extreme_timesync_is_none() {
    let (mut s, t0) = station();
    let sent = t0 + Duration::from_micros(3_170_015_805);
    s.handle_timeout(sent);
    let mut buf = String::new();
    assert!(s.poll_transmit(&mut buf));
    assert_eq!(buf, r#"{"msgtype":"timesync","txtime":3170015805}"#);
    s.handle_message(
        sent + Duration::from_millis(40),
        r#"{"msgtype":"timesync","txtime":3170015805,"gpstime":9223372036854775807,"MuxTime":-1e300}"#,
    );
    let ev: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(
        matches!(
            ev.as_slice(),
            [StationEvent::TimeSynced {
                gpstime: i64::MAX,
                ..
            }]
        ),
        "{ev:?}"
    );
    assert_eq!(s.gps_time(sent + Duration::from_secs(1)), None);
    assert_eq!(
        s.gps_time(sent + Duration::from_millis(20)),
        Some(i64::MAX),
        "the sync point itself still fits"
    );
    // RefTime after MuxTime -1e300 is a float: no panic, just a useless value.
    assert!(s.ref_time(sent + Duration::from_secs(1)).is_some());
}

/// `dnsched` entries whose `ontime` no i64 of µs can hold are skipped; the others are sent.
#[test]
fn station_dnsched_with_extreme_ontime_skips_the_entry() {
    let (mut s, t0) = station();
    s.handle_message(
        t0,
        r#"{"msgtype":"dnsched","schedule":[{"DR":3,"Freq":869525000,"ontime":1e300,"pdu":"00"},{"DR":3,"Freq":869525000,"ontime":-1e300,"pdu":"00"},{"DR":3,"Freq":869525000,"ontime":1380000001.5,"pdu":"01"}]}"#,
    );
    let ev: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    let [StationEvent::Transmit(tx)] = ev.as_slice() else {
        panic!("{ev:?}");
    };
    assert_eq!(tx.pdu, vec![1]);
}
