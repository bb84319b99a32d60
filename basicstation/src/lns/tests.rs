// Included from the parent under `#[cfg(test)]`; the attribute is repeated here so the CI
// clock check (which scans each file up to its first `#[cfg(test)]`) sees a test file.
#[cfg(test)]
use super::*;
use crate::EncodeError;
use crate::Eui64;
use crate::message::{DeviceClass, TxWindow, decode_down};

const T0_UNIX: f64 = 1_795_585_800.0;

fn eu868() -> RouterConfig {
    RouterConfig {
        region: "EU868".into(),
        hwspec: "sx1301/1".into(),
        freq_range: Some([863_000_000, 870_000_000]),
        drs: vec![
            [12, 125, 0],
            [11, 125, 0],
            [10, 125, 0],
            [9, 125, 0],
            [8, 125, 0],
            [7, 125, 0],
        ],
        // `mux_time` and the fields the router_config builder adds stay at their defaults.
        ..RouterConfig::default()
    }
}

fn drain(s: &mut LnsSession) -> (Vec<String>, Vec<LnsEvent>) {
    let mut out = Vec::new();
    let mut buf = String::new();
    while s.poll_transmit(&mut buf) {
        out.push(buf.clone());
    }
    let mut ev = Vec::new();
    while let Some(e) = s.poll_event() {
        ev.push(e);
    }
    (out, ev)
}

const VERSION: &str = r#"{"msgtype":"version","station":"2.0.6(linux/testsim)","firmware":null,"package":null,"model":"linux","protocol":2,"features":"rmtsh"}"#;
const UPDF: &str = r#"{"msgtype":"updf","MHdr":64,"DevAddr":1,"FCtrl":0,"FCnt":0,"FOpts":"","FPort":1,"FRMPayload":"0102","MIC":1,"RefTime":1795585799.95,"DR":5,"Freq":868100000,"upinfo":{"rctx":0,"xtime":41095346870695287,"gpstime":0,"fts":-1,"rssi":-50,"snr":9,"rxtime":1795585801.28738}}"#;

fn running(config: LnsConfig) -> (LnsSession, Instant) {
    let t0 = Instant::now();
    let mut s = LnsSession::new(LnsConfig {
        router_config: Some(eu868().into()),
        ..config
    });
    s.handle_message(t0, T0_UNIX, VERSION);
    (s, t0)
}

#[test]
fn version_is_answered_with_router_config() {
    let (mut s, _) = running(LnsConfig::default());
    let (out, ev) = drain(&mut s);
    assert_eq!(out.len(), 1);
    // The station requires a chip-configuration key, so even an empty one is sent.
    assert_eq!(
        out[0],
        r#"{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","freq_range":[863000000,870000000],"DRs":[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0]],"sx1301_conf":[],"MuxTime":1795585800.0}"#
    );
    assert!(matches!(&ev[0], LnsEvent::Connected(v) if v.station == "2.0.6(linux/testsim)"));
    assert!(s.is_running());
}

#[test]
fn a_second_version_gets_the_router_config_again_from_the_one_copy_kept() {
    let (mut s, t0) = running(LnsConfig::default());
    drain(&mut s);
    assert!(
        s.config.router_config.is_none(),
        "kept once, as the one sent"
    );
    s.handle_message(t0, T0_UNIX + 60.0, VERSION);
    let (out, ev) = drain(&mut s);
    assert_eq!(
        out,
        [
            r#"{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","freq_range":[863000000,870000000],"DRs":[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0]],"sx1301_conf":[],"MuxTime":1795585860.0}"#
        ]
    );
    assert!(matches!(&ev[..], [LnsEvent::Connected(_)]), "{ev:?}");
    assert_eq!(s.router_config_sent_at(), Some(T0_UNIX + 60.0));
    assert_eq!(s.router_config(), Some(&eu868()), "kept as given");
    // Drained, the session keeps no event queue.
    assert_eq!(s.events.capacity(), 0);
}

#[test]
fn without_config_the_session_asks_for_one() {
    let t0 = Instant::now();
    let mut s = LnsSession::new(LnsConfig::default());
    // Downlinks before router_config are refused: the station would drop them.
    let req = DownlinkRequest {
        dev_eui: Eui64(1),
        pdu: vec![1],
        priority: 0,
        rctx: None,
        schedule: DownlinkSchedule::ClassC {
            window: TxWindow {
                dr: 0,
                freq: 869_525_000,
            },
        },
    };
    assert!(matches!(
        s.send_downlink(t0, T0_UNIX, req.clone()),
        Err(SessionError::NotReady(_))
    ));
    s.handle_message(t0, T0_UNIX, VERSION);
    let (out, ev) = drain(&mut s);
    assert!(out.is_empty());
    assert_eq!(ev.last(), Some(&LnsEvent::RouterConfigNeeded));
    s.send_router_config(t0, T0_UNIX + 0.5, eu868()).unwrap();
    let (out, _) = drain(&mut s);
    assert!(out[0].ends_with(r#""MuxTime":1795585800.5}"#), "{}", out[0]);
    // Class C works before the first uplink (no xtime session needed).
    assert_eq!(s.send_downlink(t0, T0_UNIX, req), Ok(1));
    let (out, _) = drain(&mut s);
    assert_eq!(
        out[0],
        r#"{"msgtype":"dnmsg","DevEui":"00-00-00-00-00-00-00-01","dC":2,"diid":1,"pdu":"01","RxDelay":0,"RX2DR":0,"RX2Freq":869525000,"priority":0,"MuxTime":1795585800}"#
    );
    // An absolute concentrator time needs the xtime session.
    let err = s.send_downlink(
        t0,
        T0_UNIX,
        DownlinkRequest {
            dev_eui: Eui64(1),
            pdu: vec![],
            priority: 0,
            rctx: None,
            schedule: DownlinkSchedule::ConcentratorTime {
                micros: 5_000_000,
                txunit: 0,
                window: TxWindow {
                    dr: 5,
                    freq: 868_100_000,
                },
            },
        },
    );
    assert_eq!(err, Err(SessionError::NoXtimeSession));
}

#[test]
fn uplink_event_has_payload_metadata_and_rtt() {
    let (mut s, t0) = running(LnsConfig::default());
    drain(&mut s);
    s.handle_message(t0, T0_UNIX, UPDF);
    let (_, ev) = drain(&mut s);
    assert_eq!(
        ev[0],
        LnsEvent::XtimeSession {
            session: 0x92,
            previous: None
        }
    );
    let LnsEvent::Uplink(up) = &ev[1] else {
        panic!("{ev:?}")
    };
    assert_eq!(up.kind, UplinkKind::Data);
    assert_eq!(
        up.phy_payload,
        [0x40, 1, 0, 0, 0, 0, 0, 0, 1, 1, 2, 1, 0, 0, 0]
    );
    assert_eq!(up.radio.dr, 5);
    assert_eq!(up.radio.freq, 868_100_000);
    assert_eq!(up.radio.upinfo.xtime, 41095346870695287);
    assert_eq!(up.radio.upinfo.rssi, -50);
    let rtt = up.round_trip.unwrap();
    assert!((rtt.as_secs_f64() - 0.05).abs() < 1e-4, "{rtt:?}");
    assert_eq!(s.round_trip(), Some(rtt));
    assert_eq!(s.xtime_session(), Some(0x92));
}

#[test]
fn class_a_downlink_is_confirmed_by_diid_or_times_out() {
    let (mut s, t0) = running(LnsConfig {
        diid_seed: 100,
        ..LnsConfig::default()
    });
    drain(&mut s);
    s.handle_message(t0, T0_UNIX, UPDF);
    drain(&mut s);
    let a = |pdu: u8| DownlinkRequest {
        dev_eui: Eui64(0x11000001),
        pdu: vec![pdu],
        priority: 0,
        rctx: Some(0),
        schedule: DownlinkSchedule::ClassA {
            uplink_xtime: 41095346870695287,
            rx_delay: 1,
            rx1: Some(TxWindow {
                dr: 5,
                freq: 868_100_000,
            }),
            rx2: Some(TxWindow {
                dr: 0,
                freq: 869_525_000,
            }),
        },
    };
    assert_eq!(s.send_downlink(t0, T0_UNIX, a(1)), Ok(100));
    assert_eq!(s.send_downlink(t0, T0_UNIX, a(2)), Ok(101));
    let (out, _) = drain(&mut s);
    assert_eq!(
        out[0],
        r#"{"msgtype":"dnmsg","DevEui":"00-00-00-00-11-00-00-01","dC":0,"diid":100,"pdu":"01","RxDelay":1,"RX1DR":5,"RX1Freq":868100000,"RX2DR":0,"RX2Freq":869525000,"xtime":41095346870695287,"rctx":0,"priority":0,"MuxTime":1795585800}"#
    );
    assert_eq!(s.pending_downlinks(), 2);
    s.handle_message(
        t0 + Duration::from_secs(1),
        T0_UNIX + 1.0,
        r#"{"msgtype":"dntxed","seqno":100,"diid":100,"DR":5,"Freq":868100000,"DevEui":"00-00-00-00-11-00-00-01","rctx":0,"xtime":41095346871695287,"txtime":2993.253003,"gpstime":0}"#,
    );
    let (_, ev) = drain(&mut s);
    assert!(
        matches!(&ev[0], LnsEvent::TxConfirmed { diid: 100, dntxed } if dntxed.xtime == 41095346871695287)
    );
    // 101 is never confirmed.
    s.handle_timeout(t0 + Duration::from_secs(11), T0_UNIX + 11.0);
    assert!(
        !drain(&mut s)
            .1
            .iter()
            .any(|e| matches!(e, LnsEvent::TxTimeout { .. }))
    );
    s.handle_timeout(t0 + Duration::from_secs(12), T0_UNIX + 12.0);
    let (_, ev) = drain(&mut s);
    assert!(
        ev.contains(&LnsEvent::TxTimeout {
            diid: 101,
            dev_eui: Eui64(0x11000001)
        }),
        "{ev:?}"
    );
    assert_eq!(s.pending_downlinks(), 0);
    // A late dntxed is reported unmatched, not lost.
    s.handle_message(t0 + Duration::from_secs(13), T0_UNIX + 13.0, r#"{"msgtype":"dntxed","diid":101,"DevEui":"00-00-00-00-11-00-00-01","rctx":0,"xtime":41095346871695287,"txtime":1,"gpstime":0}"#);
    assert!(matches!(&drain(&mut s).1[0], LnsEvent::TxUnmatched(d) if d.diid == 101));
}

#[test]
fn class_a_with_stale_xtime_session_is_refused() {
    let (mut s, t0) = running(LnsConfig::default());
    s.handle_message(t0, T0_UNIX, UPDF);
    drain(&mut s);
    let err = s
        .send_downlink(
            t0,
            T0_UNIX,
            DownlinkRequest {
                dev_eui: Eui64(1),
                pdu: vec![],
                priority: 0,
                rctx: None,
                schedule: DownlinkSchedule::ClassA {
                    uplink_xtime: xtime::make(0, 0x17, 5),
                    rx_delay: 1,
                    rx1: Some(TxWindow {
                        dr: 5,
                        freq: 868_100_000,
                    }),
                    rx2: None,
                },
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("0x17"), "{err}");
}

#[test]
fn class_b_and_concentrator_time() {
    let (mut s, t0) = running(LnsConfig::default());
    s.handle_message(t0, T0_UNIX, UPDF);
    drain(&mut s);
    let gps = xtime::unix_to_gps_micros(T0_UNIX + 64.0);
    let d = s
        .send_downlink(
            t0,
            T0_UNIX,
            DownlinkRequest {
                dev_eui: Eui64(2),
                pdu: vec![0xAA],
                priority: 10,
                rctx: Some(0),
                schedule: DownlinkSchedule::ClassB {
                    gpstime: gps,
                    window: TxWindow {
                        dr: 3,
                        freq: 869_525_000,
                    },
                },
            },
        )
        .unwrap();
    s.send_downlink(
        t0,
        T0_UNIX,
        DownlinkRequest {
            dev_eui: Eui64(2),
            pdu: vec![0xBB],
            priority: 10,
            rctx: None,
            schedule: DownlinkSchedule::ConcentratorTime {
                micros: 300_000_000,
                txunit: 0,
                window: TxWindow {
                    dr: 5,
                    freq: 868_100_000,
                },
            },
        },
    )
    .unwrap();
    let (out, _) = drain(&mut s);
    let DownMessage::Dnmsg(b) = decode_down(&out[0]).unwrap() else {
        panic!()
    };
    assert_eq!(
        (b.device_class, b.gpstime, b.diid),
        (DeviceClass::B, Some(gps), d)
    );
    let DownMessage::Dnmsg(c) = decode_down(&out[1]).unwrap() else {
        panic!()
    };
    // TTS-style absolute concentrator time: RxDelay 1, xtime one second earlier, same session.
    assert_eq!(c.xtime, Some(xtime::make(0, 0x92, 299_000_000)));
    assert_eq!(c.rx_delay, Some(1));
    // The class B deadline is after its GPS time plus the timeout (64 s + 10 s).
    s.handle_timeout(t0 + Duration::from_secs(70), T0_UNIX + 70.0);
    let (_, ev) = drain(&mut s);
    assert!(
        !ev.iter()
            .any(|e| matches!(e, LnsEvent::TxTimeout { diid, .. } if *diid == d)),
        "{ev:?}"
    );
}

#[test]
fn timesync_is_answered_and_stops_periodic_transfer() {
    let (mut s, t0) = running(LnsConfig::default());
    drain(&mut s);
    assert_eq!(s.poll_timeout(), Some(t0));
    s.handle_message(t0, T0_UNIX, r#"{"msgtype":"timesync","txtime":3170015805}"#);
    let (out, ev) = drain(&mut s);
    let gps = xtime::unix_to_gps_micros(T0_UNIX);
    assert_eq!(
        out[0],
        format!(
            r#"{{"msgtype":"timesync","txtime":3170015805,"gpstime":{gps},"MuxTime":1795585800}}"#
        )
    );
    assert_eq!(
        ev[0],
        LnsEvent::TimesyncAnswered {
            txtime: 3170015805,
            gpstime: gps
        }
    );
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn periodic_time_transfer_via_getxtime() {
    let (mut s, t0) = running(LnsConfig::default());
    drain(&mut s);
    s.handle_timeout(t0, T0_UNIX);
    let (out, _) = drain(&mut s);
    assert_eq!(
        out,
        vec![r#"{"msgtype":"getxtime","MuxTime":1795585800}"#.to_owned()]
    );
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(200)));
    // Reply 40 ms later: xtime sampled ~20 ms after the request was sent.
    s.handle_message(
        t0 + Duration::from_millis(40),
        T0_UNIX + 0.04,
        r#"{"msgtype":"getxtime","MuxTime":1795585800,"ustime":3170.015805,"UTCtime":1795585800.02,"xtimes":[52072870960908878,0,0,0]}"#,
    );
    let (out, ev) = drain(&mut s);
    let gps = xtime::unix_to_gps_micros(T0_UNIX + 0.02);
    assert_eq!(
        out[0],
        format!(
            r#"{{"msgtype":"timesync","xtime":52072870960908878,"gpstime":{gps},"MuxTime":1795585800.04}}"#
        )
    );
    assert!(ev.contains(&LnsEvent::TimeTransferred {
        xtime: 52072870960908878,
        gpstime: gps
    }));
    assert!(ev.iter().any(|e| matches!(e, LnsEvent::Xtime { round_trip: Some(r), .. } if (r.as_secs_f64() - 0.04).abs() < 1e-6)));
}

/// The LNS writes `MuxTime` rounded to microseconds; a station (without PPS) echoes the text it
/// received. The echo must match what was sent, not the unrounded clock value.
#[test]
fn getxtime_echo_of_the_rounded_mux_time_is_accepted() {
    let (mut s, t0) = running(LnsConfig::default());
    drain(&mut s);
    let sent_unix = T0_UNIX + 0.123_456_789;
    s.handle_timeout(t0, sent_unix);
    let (out, _) = drain(&mut s);
    assert_eq!(
        out,
        vec![r#"{"msgtype":"getxtime","MuxTime":1795585800.123457}"#.to_owned()]
    );
    s.handle_message(
        t0 + Duration::from_millis(40),
        sent_unix + 0.04,
        r#"{"msgtype":"getxtime","MuxTime":1795585800.123457,"ustime":3170.015805,"UTCtime":1795585800.14,"xtimes":[52072870960908878,0,0,0]}"#,
    );
    let (out, ev) = drain(&mut s);
    // Half the measured round trip (from the echoed, rounded value) after the rounded send time.
    let echoed = 1_795_585_800.123_457;
    let gps = xtime::unix_to_gps_micros(echoed + (sent_unix + 0.04 - echoed) / 2.0);
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(
        out[0].starts_with(r#"{"msgtype":"timesync","xtime":52072870960908878,"gpstime":"#),
        "{}",
        out[0]
    );
    assert!(ev.contains(&LnsEvent::TimeTransferred {
        xtime: 52072870960908878,
        gpstime: gps
    }));
}

/// A station whose radio clock is not up yet answers `getxtime` with every xtime 0: the LNS asks
/// again after `TIME_TRANSFER_RETRY` (5 s), not after the 200 s interval.
#[test]
fn getxtime_with_zero_xtimes_is_retried_soon() {
    let (mut s, t0) = running(LnsConfig::default());
    drain(&mut s);
    s.handle_timeout(t0, T0_UNIX);
    drain(&mut s);
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(200)));
    s.handle_message(
        t0 + Duration::from_millis(40),
        T0_UNIX + 0.04,
        r#"{"msgtype":"getxtime","MuxTime":1795585800,"ustime":1.5,"UTCtime":1795585800.02,"xtimes":[0,0,0,0]}"#,
    );
    let (out, ev) = drain(&mut s);
    assert!(out.is_empty(), "{out:?}");
    assert!(
        !ev.iter()
            .any(|e| matches!(e, LnsEvent::TimeTransferred { .. }))
    );
    let retry = t0 + Duration::from_millis(40) + Duration::from_secs(5);
    assert_eq!(TIME_TRANSFER_RETRY, Duration::from_secs(5));
    assert_eq!(s.poll_timeout(), Some(retry));
    // Nothing before the retry time.
    s.handle_timeout(retry - Duration::from_millis(1), T0_UNIX + 5.039);
    assert!(drain(&mut s).0.is_empty());
    s.handle_timeout(retry, T0_UNIX + 5.04);
    let (out, _) = drain(&mut s);
    assert_eq!(
        out,
        vec![r#"{"msgtype":"getxtime","MuxTime":1795585805.04}"#.to_owned()]
    );
    // Now the radio is up: the transfer happens and the next one is a full interval away.
    s.handle_message(
        retry + Duration::from_millis(40),
        T0_UNIX + 5.08,
        r#"{"msgtype":"getxtime","MuxTime":1795585805.04,"ustime":6.5,"UTCtime":1795585805.06,"xtimes":[52072870960908878,0,0,0]}"#,
    );
    let (_, ev) = drain(&mut s);
    assert!(ev.iter().any(|e| matches!(
        e,
        LnsEvent::TimeTransferred {
            xtime: 52072870960908878,
            ..
        }
    )));
    assert_eq!(s.poll_timeout(), Some(retry + Duration::from_secs(200)));
}

#[test]
fn slow_getxtime_reply_gives_no_transfer() {
    let (mut s, t0) = running(LnsConfig::default());
    drain(&mut s);
    s.handle_timeout(t0, T0_UNIX);
    drain(&mut s);
    s.handle_message(t0 + Duration::from_secs(1), T0_UNIX + 1.0, r#"{"msgtype":"getxtime","MuxTime":1795585800,"ustime":1,"UTCtime":1,"xtimes":[52072870960908878,0,0,0]}"#);
    let (out, _) = drain(&mut s);
    assert!(out.is_empty());
}

#[test]
fn commands_and_bad_input() {
    let (mut s, t0) = running(LnsConfig::default());
    drain(&mut s);
    s.run_command("reboot", &["now"]).unwrap();
    s.remote_shell(RmtshRequest::Status).unwrap();
    s.send_error("go away").unwrap();
    s.request_xtime(T0_UNIX).unwrap();
    let (out, _) = drain(&mut s);
    assert_eq!(
        out,
        vec![
            r#"{"msgtype":"runcmd","command":"reboot","arguments":["now"]}"#.to_owned(),
            r#"{"msgtype":"rmtsh"}"#.to_owned(),
            r#"{"msgtype":"error","error":"go away"}"#.to_owned(),
            r#"{"msgtype":"getxtime","MuxTime":1795585800}"#.to_owned(),
        ]
    );
    s.handle_message(t0, T0_UNIX, "{oops");
    s.handle_message(t0, T0_UNIX, r#"{"msgtype":"updf","MHdr":64}"#);
    s.handle_message(t0, T0_UNIX, r#"{"msgtype":"updf","MHdr":64,"DevAddr":1,"FCtrl":0,"FCnt":0,"FOpts":"","FPort":-1,"FRMPayload":"01","MIC":1,"DR":0,"Freq":1}"#);
    let (_, ev) = drain(&mut s);
    assert!(matches!(ev[0], LnsEvent::InvalidMessage(_)));
    assert!(matches!(ev[1], LnsEvent::InvalidMessage(_)));
    assert!(matches!(ev[2], LnsEvent::InvalidFrame(_)));
}

/// ecosystem cases 14 and 18: uplink time from `gpstime` or `rxtime` alone, and the fine
/// timestamp (`fts`) reaches the application instead of being dropped.
#[test]
fn uplink_time_sources_and_fine_timestamp() {
    let (mut s, t0) = running(LnsConfig::default());
    drain(&mut s);
    let gps = xtime::unix_to_gps_micros(1_795_585_801.5);
    s.handle_message(
        t0,
        T0_UNIX,
        &format!(
            r#"{{"msgtype":"updf","MHdr":64,"DevAddr":1,"FCtrl":0,"FCnt":0,"FOpts":"","FPort":1,"FRMPayload":"01","MIC":1,"DR":5,"Freq":868100000,"upinfo":{{"rctx":2,"xtime":41095346870695287,"gpstime":{gps},"fts":123456789,"rssi":-50,"snr":9}}}}"#
        ),
    );
    s.handle_message(t0, T0_UNIX, UPDF);
    let ups: Vec<_> = drain(&mut s)
        .1
        .into_iter()
        .filter_map(|e| match e {
            LnsEvent::Uplink(u) => Some(u),
            _ => None,
        })
        .collect();
    let with_gps = &ups[0].radio.upinfo;
    assert_eq!((with_gps.fts, with_gps.rctx), (Some(123_456_789), 2));
    assert!((with_gps.reception_unix().unwrap() - 1_795_585_801.5).abs() < 1e-6);
    // No RefTime in that message: no round-trip sample.
    assert_eq!(ups[0].round_trip, None);
    let rx_only = &ups[1].radio.upinfo;
    assert_eq!(rx_only.gpstime, None);
    assert_eq!(rx_only.reception_unix(), Some(1795585801.28738));
}

#[test]
fn tts_style_downlinks() {
    // TTS §2.8: Rx1 SF7/125 at 868.1 MHz with a lower-case pdu decodes as the same dnmsg.
    let DownMessage::Dnmsg(d) = decode_down(
        r#"{"msgtype":"dnmsg","DevEui":"00-00-00-00-00-00-00-01","dC":0,"pdu":"596d7868616d74686332356b4a334d3d3d","diid":1,"priority":25,"RxDelay":1,"RX1Freq":868100000,"RX1DR":5}"#,
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(d.pdu, b"Ymxhamthc25kJ3M==");
    assert_eq!(
        d.rx1,
        Some(TxWindow {
            dr: 5,
            freq: 868_100_000
        })
    );
    assert_eq!(d.priority, Some(25));
    // An absolute concentrator time on session 0x11, antenna 2: xtime one second earlier and
    // RxDelay 1, like TTS's downstream test.
    let (mut s, t0) = running(LnsConfig::default());
    s.handle_message(
        t0,
        T0_UNIX,
        &UPDF.replace("41095346870695287", "4785074604181152"),
    );
    drain(&mut s);
    assert_eq!(s.xtime_session(), Some(0x11));
    s.send_downlink(
        t0,
        1554300787.123456,
        DownlinkRequest {
            dev_eui: Eui64(1),
            pdu: vec![1],
            priority: 25,
            rctx: Some(2),
            schedule: DownlinkSchedule::ConcentratorTime {
                micros: 1_553_300_787,
                txunit: 0,
                window: TxWindow {
                    dr: 2,
                    freq: 868_500_000,
                },
            },
        },
    )
    .unwrap();
    let (out, _) = drain(&mut s);
    assert_eq!(
        out[0],
        r#"{"msgtype":"dnmsg","DevEui":"00-00-00-00-00-00-00-01","dC":0,"diid":1,"pdu":"01","RxDelay":1,"RX1DR":2,"RX1Freq":868500000,"xtime":4785076156381939,"rctx":2,"priority":25,"MuxTime":1554300787.123456}"#
    );
}

#[test]
fn configured_router_config_too_large_is_reported() {
    let t0 = Instant::now();
    let mut s = LnsSession::new(LnsConfig {
        router_config: Some(
            RouterConfig {
                region: "x".repeat(70_000),
                ..eu868()
            }
            .into(),
        ),
        ..LnsConfig::default()
    });
    s.handle_message(t0, T0_UNIX, VERSION);
    let (out, ev) = drain(&mut s);
    assert!(out.is_empty());
    assert!(
        matches!(
            ev[1],
            LnsEvent::RouterConfigFailed(SessionError::Encode(EncodeError::TooLarge { .. }))
        ),
        "{ev:?}"
    );
    assert!(!s.is_running());
}

#[test]
fn downlinks_the_station_would_drop_are_refused_early() {
    let (mut s, t0) = running(LnsConfig::default());
    drain(&mut s);
    let c = |dr, freq| DownlinkRequest {
        dev_eui: Eui64(1),
        pdu: vec![],
        priority: 0,
        rctx: None,
        schedule: DownlinkSchedule::ClassC {
            window: TxWindow { dr, freq },
        },
    };
    assert!(matches!(
        s.send_downlink(t0, T0_UNIX, c(6, 869_525_000)),
        Err(SessionError::UnknownDataRate(_))
    ));
    let e = s.send_downlink(t0, T0_UNIX, c(0, 923_300_000)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "frequency 923300000 Hz outside the router_config freq_range 863000000..=870000000"
    );
    assert!(s.send_downlink(t0, T0_UNIX, c(0, 869_525_000)).is_ok());
    // Uplinks carry the DR's meaning from the config that was sent.
    s.handle_message(t0, T0_UNIX, UPDF);
    let up = drain(&mut s).1.into_iter().find_map(|e| match e {
        LnsEvent::Uplink(u) => Some(u),
        _ => None,
    });
    assert_eq!(
        up.unwrap().modulation,
        Some(crate::datarate::Modulation::Lora {
            spreading_factor: 7,
            bandwidth_khz: 125
        })
    );
}
