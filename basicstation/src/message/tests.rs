//! Vectors from live station captures, Basics Station's documentation and The Things Stack's
//! tests, plus round trips.

// Included from the parent under `#[cfg(test)]`; the attribute is repeated here so the CI
// clock check (which scans each file up to its first `#[cfg(test)]`) sees a test file.
#[cfg(test)]
use super::*;
use crate::eui::Eui64;

fn up_round_trip(text: &str) -> UpMessage {
    let msg = decode_up(text).unwrap();
    let mut out = String::new();
    msg.encode(&mut out).unwrap();
    assert_eq!(out, text, "re-encoding {}", msg.msgtype());
    msg
}

fn down_round_trip(text: &str) -> DownMessage {
    let msg = decode_down(text).unwrap();
    let mut out = String::new();
    msg.encode(&mut out).unwrap();
    assert_eq!(out, text, "re-encoding {}", msg.msgtype());
    msg
}

pub(super) const UPDF_LIVE: &str = r#"{"msgtype":"updf","MHdr":64,"DevAddr":1,"FCtrl":0,"FCnt":0,"FOpts":"","FPort":1,"FRMPayload":"0102","MIC":1,"RefTime":1795585801.287379,"DR":5,"Freq":868100000,"upinfo":{"rctx":0,"xtime":41095346870695287,"gpstime":0,"fts":-1,"rssi":-50,"snr":9,"rxtime":1795585801.28738}}"#;
pub(super) const JREQ_LIVE: &str = r#"{"msgtype":"jreq","MHdr":0,"JoinEui":"01-02-03-04-05-06-07-08","DevEui":"11-12-13-14-15-16-17-18","DevNonce":8482,"MIC":825373492,"RefTime":1795585800.783759,"DR":2,"Freq":868300000,"upinfo":{"rctx":0,"xtime":41095346870193749,"gpstime":0,"fts":-1,"rssi":-50,"snr":9,"rxtime":1795585800.783765}}"#;
pub(super) const PROPDF_LIVE: &str = r#"{"msgtype":"propdf","FRMPayload":"E0DEADBEEF","RefTime":1795585800.783773,"DR":3,"Freq":868500000,"upinfo":{"rctx":0,"xtime":41095346870193816,"gpstime":0,"fts":-1,"rssi":-50,"snr":9,"rxtime":1795585800.783773}}"#;

#[test]
fn updf_live_capture() {
    let UpMessage::Updf(m) = up_round_trip(UPDF_LIVE) else {
        panic!("not updf")
    };
    assert_eq!(m.mhdr, 0x40);
    assert_eq!(m.dev_addr, 1);
    assert_eq!(m.fcnt, 0);
    assert_eq!(m.fopts, Vec::<u8>::new());
    assert_eq!(m.fport, Some(1));
    assert_eq!(m.frm_payload, vec![1, 2]);
    assert_eq!(m.mic, 1);
    assert_eq!(m.ref_time, Some(1795585801.287379));
    assert_eq!((m.dr, m.freq), (5, 868_100_000));
    assert_eq!(m.upinfo.xtime, 41095346870695287);
    assert_eq!(m.upinfo.gpstime, None);
    assert_eq!(m.upinfo.fts, None);
    assert_eq!(m.upinfo.rssi, -50);
    assert_eq!(m.upinfo.snr, 9.0);
    assert_eq!(m.upinfo.rxtime, 1795585801.28738);
}

#[test]
fn jreq_live_capture() {
    let UpMessage::Jreq(m) = up_round_trip(JREQ_LIVE) else {
        panic!("not jreq")
    };
    assert_eq!(m.join_eui, Eui64(0x0102030405060708));
    assert_eq!(m.dev_eui, Eui64(0x1112131415161718));
    assert_eq!(m.dev_nonce, 8482);
    assert_eq!(m.mic, 825373492);
}

#[test]
fn propdf_live_capture() {
    let UpMessage::Propdf(m) = up_round_trip(PROPDF_LIVE) else {
        panic!("not propdf")
    };
    assert_eq!(m.frm_payload, vec![0xE0, 0xDE, 0xAD, 0xBE, 0xEF]);
}

#[test]
fn station_control_messages_live() {
    let v = up_round_trip(
        r#"{"msgtype":"version","station":"2.0.6(linux/testsim)","firmware":null,"package":null,"model":"linux","protocol":2,"features":"rmtsh"}"#,
    );
    let UpMessage::Version(v) = v else { panic!() };
    assert_eq!(v.protocol, 2);
    assert!(v.has_feature("rmtsh") && !v.has_feature("prod"));

    let d = up_round_trip(
        r#"{"msgtype":"dntxed","seqno":0,"diid":0,"DR":5,"Freq":868100000,"DevEui":"00-00-00-00-11-00-00-01","rctx":0,"xtime":34902897383558425,"txtime":2993.253003,"gpstime":0}"#,
    );
    assert_eq!(
        d,
        UpMessage::Dntxed(Dntxed {
            diid: 0,
            dev_eui: Eui64(0x11000001),
            rctx: 0,
            xtime: 34902897383558425,
            txtime: 2993.253003,
            gpstime: None,
            dr: Some(5),
            freq: Some(868_100_000),
        })
    );

    assert_eq!(
        up_round_trip(r#"{"msgtype":"timesync","txtime":3170015805}"#),
        UpMessage::Timesync(TimesyncRequest { txtime: 3170015805 })
    );
    let g = up_round_trip(
        r#"{"msgtype":"getxtime","MuxTime":1795585773.55788,"ustime":3170.015805,"UTCtime":1795585773.558034,"xtimes":[52072870960908878,0,0,0]}"#,
    );
    let UpMessage::Getxtime(g) = g else { panic!() };
    assert_eq!(g.xtimes, vec![52072870960908878, 0, 0, 0]);
    assert_eq!(g.mux_time, Some(1795585773.55788));

    let r = up_round_trip(
        r#"{"msgtype":"rmtsh","rmtsh":[{"user":"Test session","started":true,"age":0,"pid":1234},{"user":"","started":false,"age":-1,"pid":0}]}"#,
    );
    let UpMessage::Rmtsh(r) = r else { panic!() };
    assert_eq!(r.sessions.len(), 2);
    assert!(r.sessions[0].started);

    let e = up_round_trip(
        r#"{"msgtype":"event","evcat":"gps","evmsg":{"evtype":"fix","lat":46.5,"lon":6.25,"alt":400,"dilution":1.5,"satellites":7,"quality":1}}"#,
    );
    let UpMessage::Event(e) = e else { panic!() };
    assert_eq!(e.evmsg.satellites, Some(7));
    up_round_trip(
        r#"{"msgtype":"event","evcat":"gps","evmsg":{"evtype":"nofix","since":12000000}}"#,
    );
    up_round_trip(r#"{"msgtype":"alarm","text":"GPS fix: lat 46.5"}"#);
}

#[test]
fn the_things_stack_encodings_decode() {
    // The Things Stack's test uplink: ID6 EUIs, `rtcx` typo (so rctx defaults to 0), no `fts`.
    let m = decode_up(
        r#"{"msgtype":"jreq","MHdr":0,"JoinEui":"2222:2222:2222:2222","DevEui":"1111:1111:1111:1111","DevNonce":18000,"MIC":12345678,"RefTime":0,"DR":1,"Freq":868300000,"upinfo":{"rxtime":1548059982,"rtcx":0,"xtime":12666373963464220,"gpstime":0,"rssi":89,"snr":9.25}}"#,
    )
    .unwrap();
    let UpMessage::Jreq(j) = m else { panic!() };
    assert_eq!(j.join_eui, Eui64(0x2222222222222222));
    assert_eq!(j.dev_eui, Eui64(0x1111111111111111));
    assert_eq!(j.dev_nonce, 18000);
    assert_eq!(j.ref_time, None);
    assert_eq!(j.upinfo.rssi, 89);
    assert_eq!(j.upinfo.snr, 9.25);
    assert_eq!(j.upinfo.fts, None);
    assert_eq!(j.upinfo.rxtime, 1548059982.0);

    let d = decode_up(
        r#"{"msgtype":"dntxed","diid":35,"DevEui":"1111:1111:1111:1111","rctx":0,"xtime":1552906698,"txtime":1552906698,"gpstime":1552906698}"#,
    )
    .unwrap();
    let UpMessage::Dntxed(d) = d else { panic!() };
    assert_eq!((d.diid, d.gpstime, d.dr), (35, Some(1552906698), None));

    // TTS writes timesync txtime as a float.
    assert_eq!(
        decode_up(r#"{"msgtype":"timesync","txtime":123.456}"#).unwrap(),
        UpMessage::Timesync(TimesyncRequest { txtime: 123 })
    );
}

#[test]
fn aliases_and_absent_markers() {
    let m = decode_up(
        r#"{"msgtype":"updf","MHdr":64,"DevAddr":-1,"FCtrl":48,"Fcnt":25,"FOpts":"fd","FPort":-1,"FRMPayload":"","MIC":-2,"RefTime":0,"DR":1,"Freq":868300000,"upinfo":{"rctx":1,"xtime":1,"gpstime":1234,"fts":5000,"rssi":-100.4,"snr":-7.5,"rxtime":1.5}}"#,
    )
    .unwrap();
    let UpMessage::Updf(u) = &m else { panic!() };
    assert_eq!(u.dev_addr, 0xFFFF_FFFF);
    assert_eq!(u.mic, 0xFFFF_FFFE);
    assert_eq!(u.fcnt, 25);
    assert_eq!(u.fopts, vec![0xFD]);
    assert_eq!(u.fport, None);
    assert_eq!(u.ref_time, None);
    assert_eq!(u.upinfo.gpstime, Some(1234));
    assert_eq!(u.upinfo.fts, Some(5000));
    assert_eq!(u.upinfo.rssi, -100);
    let mut out = String::new();
    m.encode(&mut out).unwrap();
    assert_eq!(
        out,
        r#"{"msgtype":"updf","MHdr":64,"DevAddr":-1,"FCtrl":48,"FCnt":25,"FOpts":"FD","FPort":-1,"FRMPayload":"","MIC":-2,"RefTime":0,"DR":1,"Freq":868300000,"upinfo":{"rctx":1,"xtime":1,"gpstime":1234,"fts":5000,"rssi":-100,"snr":-7.5,"rxtime":1.5}}"#
    );

    // Unsigned DevAddr (as some LNS emulators write it) is the same address.
    let m = decode_up(
        r#"{"msgtype":"updf","MHdr":64,"DevAddr":4294967295,"FCtrl":0,"FCnt":1,"FOpts":"","FPort":1,"FRMPayload":"00","MIC":0,"DR":0,"Freq":868100000}"#,
    )
    .unwrap();
    let UpMessage::Updf(u) = m else { panic!() };
    assert_eq!(u.dev_addr, 0xFFFF_FFFF);

    // Upper-case EUI keys; EUIs above i64::MAX as bare integers.
    let m = decode_up(
        r#"{"msgtype":"jreq","MHdr":0,"JoinEUI":18446744073709551615,"DevEUI":"FF-FF-FF-FF-FF-FF-FF-FE","DevNonce":1,"MIC":1,"DR":0,"Freq":868100000,"upinfo":{}}"#,
    )
    .unwrap();
    let UpMessage::Jreq(j) = &m else { panic!() };
    assert_eq!(j.join_eui, Eui64(u64::MAX));
    assert_eq!(j.dev_eui, Eui64(u64::MAX - 1));
    let mut out = String::new();
    m.encode_with(&mut out, EuiKeyStyle::Upper).unwrap();
    assert!(
        out.contains(r#""JoinEUI":"FF-FF-FF-FF-FF-FF-FF-FF","DevEUI":"FF-FF-FF-FF-FF-FF-FF-FE""#),
        "{out}"
    );
}

#[test]
fn integers_must_be_integer_literals() {
    let err = decode_down(
        r#"{"msgtype":"dnmsg","DevEui":"00-00-00-00-00-00-00-01","dC":0,"diid":1,"pdu":"00","RxDelay":1,"RX1DR":5,"RX1Freq":868100000.0,"xtime":1}"#,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::Json {
                msgtype: "dnmsg",
                ..
            }
        ),
        "{err}"
    );
    assert!(decode_down(r#"{"msgtype":"timesync","txtime":1.5,"gpstime":1}"#).is_err());
}

#[test]
fn decode_errors_say_what() {
    assert_eq!(
        decode_up(r#"{"msgtype":"bogus"}"#),
        Err(DecodeError::UnknownMsgtype("bogus".into()))
    );
    assert_eq!(decode_up(r#"{"x":1}"#), Err(DecodeError::MissingMsgtype));
    // msgtype not first, and a nested msgtype that must not count.
    assert!(matches!(
        decode_up(r#"{"evmsg":{"msgtype":"updf"},"x":1}"#),
        Err(DecodeError::MissingMsgtype)
    ));
    assert!(matches!(
        decode_up(r#"{"text":"hi","msgtype":"alarm"}"#),
        Ok(UpMessage::Alarm(_))
    ));
    let big = format!(
        r#"{{"msgtype":"alarm","text":"{}"}}"#,
        "a".repeat(MAX_MESSAGE_LEN)
    );
    assert!(matches!(decode_up(&big), Err(DecodeError::TooLarge { .. })));
    assert!(matches!(
        decode_up("not json"),
        Err(DecodeError::Json { .. })
    ));
    let e = decode_down(
        r#"{"msgtype":"dnmsg","DevEui":"00-00-00-00-00-00-00-01","dC":3,"diid":1,"pdu":""}"#,
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "dnmsg.dC: 3 is not 0, 1 or 2");
    let e =
        decode_down(r#"{"msgtype":"dnmsg","DevEui":"00-00-00-00-00-00-00-01","dC":0,"pdu":""}"#)
            .unwrap_err();
    assert_eq!(e.to_string(), "dnmsg.diid: missing (no diid or seqno)");
}

#[test]
fn dnmsg_class_a_from_mock_lns() {
    let m = decode_down(
        r#"{"msgtype":"dnmsg","dC":0,"priority":0,"RxDelay":1,"RX1DR":5,"RX1Freq":868100000,"DevEui":"00-00-00-00-11-00-00-01","xtime":34902897382558425,"diid":0,"MuxTime":1795585595.81169,"rctx":0,"pdu":"0A0B0C0D0E0F"}"#,
    )
    .unwrap();
    let DownMessage::Dnmsg(d) = &m else { panic!() };
    assert_eq!(d.device_class, DeviceClass::A);
    assert_eq!(
        d.rx1,
        Some(TxWindow {
            dr: 5,
            freq: 868_100_000
        })
    );
    assert_eq!(d.rx2, None);
    assert_eq!(d.rx_delay, Some(1));
    assert_eq!(d.xtime, Some(34902897382558425));
    assert_eq!(d.pdu, vec![0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F]);
    let mut out = String::new();
    m.encode(&mut out).unwrap();
    assert_eq!(
        out,
        r#"{"msgtype":"dnmsg","DevEui":"00-00-00-00-11-00-00-01","dC":0,"diid":0,"pdu":"0A0B0C0D0E0F","RxDelay":1,"RX1DR":5,"RX1Freq":868100000,"xtime":34902897382558425,"rctx":0,"priority":0,"MuxTime":1795585595.81169}"#
    );
}

#[test]
fn dnmsg_class_c_and_b_and_aliases() {
    let m = decode_down(
        r#"{"msgtype":"dnmsg","dC":2,"dnmode":"dn","priority":0,"RxDelay":0,"RX2DR":0,"RX2Freq":869525000,"DevEui":"00-00-00-00-11-00-00-01","seqno":7,"MuxTime":1700000000.0,"rctx":0,"pdu":"0001020304"}"#,
    )
    .unwrap();
    let DownMessage::Dnmsg(d) = &m else { panic!() };
    assert_eq!(d.device_class, DeviceClass::C);
    assert_eq!(d.diid, 7);
    assert_eq!(d.rx1, None);
    assert_eq!(
        d.rx2,
        Some(TxWindow {
            dr: 0,
            freq: 869_525_000
        })
    );
    assert_eq!(d.xtime, None);
    assert_eq!(d.dnmode.as_deref(), Some("dn"));

    // The Things Stack's absolute-time form: DR/Freq + gpstime, implying RxDelay 0.
    let m = decode_down(
        r#"{"msgtype":"dnmsg","DevEUI":"00-00-00-00-00-00-00-01","dC":1,"diid":1,"pdu":"AA","priority":25,"rctx":2,"DR":2,"Freq":869525000,"gpstime":1234567890123456,"MuxTime":1554300787.123456}"#,
    )
    .unwrap();
    let DownMessage::Dnmsg(d) = &m else { panic!() };
    assert_eq!(d.device_class, DeviceClass::B);
    assert_eq!(
        d.rx1,
        Some(TxWindow {
            dr: 2,
            freq: 869_525_000
        })
    );
    assert_eq!(d.rx_delay, Some(0));
    assert_eq!(d.gpstime, Some(1234567890123456));
    let mut out = String::new();
    m.encode(&mut out).unwrap();
    assert_eq!(
        out,
        r#"{"msgtype":"dnmsg","DevEui":"00-00-00-00-00-00-00-01","dC":1,"diid":1,"pdu":"AA","RxDelay":0,"RX1DR":2,"RX1Freq":869525000,"rctx":2,"priority":25,"gpstime":1234567890123456,"MuxTime":1554300787.123456}"#
    );
    // RX1 and RX2 together.
    down_round_trip(
        r#"{"msgtype":"dnmsg","DevEui":"01-02-03-04-05-06-07-08","dC":0,"diid":9223372036854775807,"pdu":"","RxDelay":5,"RX1DR":3,"RX1Freq":868300000,"RX2DR":0,"RX2Freq":869525000,"xtime":41095346870695287,"rctx":0,"priority":255,"preamble":8,"addcrc":true}"#,
    );
    // RX1DR without RX1Freq is invalid.
    assert!(
        decode_down(r#"{"msgtype":"dnmsg","DevEui":1,"dC":0,"diid":1,"pdu":"","RX1DR":1}"#)
            .is_err()
    );
    // pdu above 255 bytes.
    let long = format!(
        r#"{{"msgtype":"dnmsg","DevEui":1,"dC":2,"diid":1,"pdu":"{}"}}"#,
        "00".repeat(256)
    );
    assert!(decode_down(&long).is_err());
}

#[test]
fn dnsched_dnframe_and_time_messages() {
    let m = decode_down(
        r#"{"msgtype":"dnsched","MuxTime":1700000000.0,"schedule":[{"diid":77,"priority":0,"DR":3,"Freq":869525000,"gpstime":1380000000000000,"pdu":"A0B1C2","rctx":0},{"diid":78,"DR":3,"Freq":869525000,"xtime":41095346870193816,"pdu":"A0B1C2"}]}"#,
    )
    .unwrap();
    let DownMessage::Dnsched(s) = &m else {
        panic!()
    };
    assert_eq!(s.schedule.len(), 2);
    assert_eq!(s.schedule[0].time, ScheduledTime::Gpstime(1380000000000000));
    assert_eq!(s.schedule[1].time, ScheduledTime::Xtime(41095346870193816));
    let mut out = String::new();
    m.encode(&mut out).unwrap();
    assert_eq!(
        out,
        r#"{"msgtype":"dnsched","MuxTime":1700000000,"schedule":[{"diid":77,"priority":0,"DR":3,"Freq":869525000,"gpstime":1380000000000000,"pdu":"A0B1C2","rctx":0},{"diid":78,"DR":3,"Freq":869525000,"xtime":41095346870193816,"pdu":"A0B1C2"}]}"#
    );
    down_round_trip(
        r#"{"msgtype":"dnsched","schedule":[{"DR":0,"Freq":869525000,"ontime":1380000000.5,"pdu":"00"}]}"#,
    );

    let m = down_round_trip(
        r#"{"msgtype":"dnframe","DR":5,"Freq":868100000,"DevEui":"00-00-00-00-11-00-00-01","xtime":41095346871695287,"diid":3,"pdu":"60","rctx":0}"#,
    );
    let DownMessage::Dnframe(f) = m else { panic!() };
    assert_eq!(f.xtime, 41095346871695287);
    assert!(
        decode_down(
            r#"{"msgtype":"dnframe","DR":5,"Freq":1,"DevEui":1,"xtime":1,"seqno":4,"pdu":""}"#
        )
        .is_ok()
    );

    let r = down_round_trip(
        r#"{"msgtype":"timesync","txtime":3170015805,"gpstime":1479620994059193,"MuxTime":1795585776.05}"#,
    );
    assert_eq!(
        r,
        DownMessage::TimesyncReply(TimesyncReply {
            txtime: 3170015805,
            gpstime: 1479620994059193,
            mux_time: Some(1795585776.05),
        })
    );
    let t = decode_down(
        r#"{"msgtype":"timesync","xtime":52072870961909528,"gpstime":1479620994059193,"MuxTime":1795585776.0592089}"#,
    )
    .unwrap();
    let mut out = String::new();
    t.encode(&mut out).unwrap();
    assert_eq!(
        out,
        r#"{"msgtype":"timesync","xtime":52072870961909528,"gpstime":1479620994059193,"MuxTime":1795585776.059209}"#
    );
    // TTS's periodic MuxTime-only transfer.
    assert_eq!(
        decode_down(r#"{"msgtype":"timesync","gpstime":0,"MuxTime":1.5}"#).unwrap(),
        DownMessage::TimeTransfer(TimeTransfer {
            xtime: None,
            gpstime: None,
            mux_time: Some(1.5)
        })
    );
    down_round_trip(r#"{"msgtype":"getxtime","MuxTime":1795585773.55788}"#);
}

#[test]
fn management_down_messages() {
    let r = down_round_trip(
        r#"{"msgtype":"runcmd","command":"/path/or/shell string","arguments":["1","2"]}"#,
    );
    assert_eq!(
        r,
        DownMessage::Runcmd(Runcmd {
            command: "/path/or/shell string".into(),
            arguments: vec!["1".into(), "2".into()],
        })
    );
    assert_eq!(
        down_round_trip(r#"{"msgtype":"rmtsh","start":0,"user":"Test session","term":"xterm"}"#),
        DownMessage::Rmtsh(RmtshRequest::Start {
            index: 0,
            user: "Test session".into(),
            term: "xterm".into()
        })
    );
    assert_eq!(
        down_round_trip(r#"{"msgtype":"rmtsh","stop":0}"#),
        DownMessage::Rmtsh(RmtshRequest::Stop { index: 0 })
    );
    assert_eq!(
        down_round_trip(r#"{"msgtype":"rmtsh"}"#),
        DownMessage::Rmtsh(RmtshRequest::Status)
    );
    down_round_trip(r#"{"msgtype":"error","error":"text"}"#);
}

#[test]
fn router_config_from_mock_lns() {
    let text = r#"{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1",
 "DRs":[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[7,250,0],[0,0,0],
        [-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0]],
 "max_eirp":16.0,"freq_range":[863000000,870000000],"JoinEui":null,"NetID":null,"bcning":null,"nodc":true,
 "sx1301_conf":[{"chan_FSK":{"enable":false},"radio_0":{"enable":true,"freq":868475000}}],
 "upchannels":[[868100000,0,5],[868300000,0,5]],
 "MuxTime":1795585593.7817085}"#;
    let DownMessage::RouterConfig(c) = decode_down(text).unwrap() else {
        panic!()
    };
    assert_eq!(c.region, "EU868");
    assert_eq!(c.hwspec, "sx1301/1");
    assert_eq!(c.freq_range, Some([863_000_000, 870_000_000]));
    assert_eq!(c.drs.len(), 16);
    assert_eq!(c.drs[6], [7, 250, 0]);
    assert_eq!(c.drs[8], [-1, 0, 0]);
    assert_eq!(c.mux_time, Some(1795585593.7817085));
    let mut out = String::new();
    DownMessage::RouterConfig(c.clone())
        .encode(&mut out)
        .unwrap();
    assert!(
        out.starts_with(r#"{"msgtype":"router_config","region":"EU868","#),
        "{out}"
    );
    assert!(
        out.contains(r#""freq_range":[863000000,870000000]"#),
        "{out}"
    );
    assert_eq!(decode_down(&out).unwrap(), DownMessage::RouterConfig(c));
}

#[test]
fn encoder_enforces_frame_limit_and_finite_numbers() {
    let m = DownMessage::Error(LnsError {
        error: "x".repeat(MAX_MESSAGE_LEN),
    });
    let mut out = String::new();
    assert!(matches!(
        m.encode(&mut out),
        Err(EncodeError::TooLarge {
            msgtype: "error",
            ..
        })
    ));
    let m = DownMessage::Getxtime(GetxtimeRequest {
        mux_time: Some(f64::NAN),
    });
    assert_eq!(
        m.encode(&mut out),
        Err(EncodeError::NonFinite {
            msgtype: "getxtime",
            field: "MuxTime"
        })
    );
}

/// `rejoin`, `jacc` and `dndf` have no live capture: these vectors follow the notes' layouts
/// (`jreq` layout for a 23-byte rejoin, `propdf` layout for `jacc`, `updf` layout for `dndf`)
/// with the live `updf`'s radio tail. Frame → message → exact text → message → frame.
#[test]
fn rejoin_jacc_and_dndf_vectors() {
    use crate::frame::{UplinkRadio, split_uplink};
    let radio = UplinkRadio {
        ref_time: Some(1_795_585_801.287_379),
        dr: 5,
        freq: 868_100_000,
        upinfo: UpInfo {
            rctx: 0,
            xtime: 41_095_346_870_695_287,
            gpstime: None,
            fts: None,
            rssi: -50,
            snr: 9.0,
            rxtime: 1_795_585_801.287_38,
        },
    };
    const TAIL: &str = r#""RefTime":1795585801.287379,"DR":5,"Freq":868100000,"upinfo":{"rctx":0,"xtime":41095346870695287,"gpstime":0,"fts":-1,"rssi":-50,"snr":9,"rxtime":1795585801.28738}}"#;
    let rejoin: [u8; 23] = [
        0xC0, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x18, 0x17, 0x16, 0x15, 0x14, 0x13,
        0x12, 0x11, 0x22, 0x21, 0x34, 0x33, 0x32, 0x31,
    ];
    let jacc: [u8; 17] = [
        0x20, 0x49, 0x3E, 0xEB, 0x51, 0xFB, 0xA2, 0x11, 0x6F, 0x81, 0x0E, 0xDB, 0x37, 0x42, 0x97,
        0x51, 0x42,
    ];
    let dndf: [u8; 14] = [
        0x60, 0x04, 0x03, 0x02, 0x81, 0x21, 0x0A, 0x00, 0x06, 0x05, 0xC1, 0xD2, 0xE3, 0xF4,
    ];
    let cases: [(&[u8], String); 3] = [
        (
            &rejoin,
            format!(
                r#"{{"msgtype":"rejoin","MHdr":192,"JoinEui":"01-02-03-04-05-06-07-08","DevEui":"11-12-13-14-15-16-17-18","DevNonce":8482,"MIC":825373492,{TAIL}"#
            ),
        ),
        (
            &jacc,
            format!(
                r#"{{"msgtype":"jacc","FRMPayload":"20493EEB51FBA2116F810EDB3742975142",{TAIL}"#
            ),
        ),
        (
            // DevAddr 0x81020304 is negative as a signed 32-bit integer, MIC 0xF4E3D2C1 too.
            &dndf,
            format!(
                r#"{{"msgtype":"dndf","MHdr":96,"DevAddr":-2130574588,"FCtrl":33,"FCnt":10,"FOpts":"06","FPort":5,"FRMPayload":"","MIC":-186395967,{TAIL}"#
            ),
        ),
    ];
    for (phy, text) in cases {
        let msg = split_uplink(phy, true, radio.clone()).unwrap();
        let mut out = String::new();
        msg.encode(&mut out).unwrap();
        assert_eq!(out, text);
        let back = decode_up(&text).unwrap();
        assert_eq!(back, msg);
        let mut rebuilt = Vec::new();
        assert_eq!(
            back.write_phy_payload(&mut rebuilt),
            Ok(Some(radio.clone()))
        );
        assert_eq!(rebuilt, phy);
    }
}

/// `router_config` as the LNS sends it, every byte: the typed config through
/// `DownMessage::encode` and `RouterConfig::to_message_json` (one encoder), key order as the
/// serialiser writes it, integers as integer literals, `max_eirp` fraction kept; in
/// `sx1301_conf` a disabled slot is `{"enable":false}` and an absent one is left out (the
/// station then keeps its local `station.conf` value).
#[test]
fn router_config_exact_text() {
    use crate::router_config::{ChannelSlot, IfChannel, RadioConf, Sx1301Conf};
    let mut chip = Sx1301Conf::default();
    chip.radios[0] = ChannelSlot::Enabled(RadioConf::new(867_500_000));
    chip.multi_sf[0] = ChannelSlot::Enabled(IfChannel {
        radio: 0,
        if_offset: -400_000,
    });
    chip.fsk = ChannelSlot::Disabled;
    let c = RouterConfig {
        region: "EU863".into(),
        hwspec: "sx1301/1".into(),
        freq_range: Some([863_000_000, 870_000_000]),
        drs: vec![
            [12, 125, 0],
            [7, 250, 0],
            [0, 0, 0],
            [-1, 0, 0],
            [8, 500, 1],
        ],
        mux_time: Some(1_795_585_593.781_708),
        net_id: Some(vec![0x13]),
        max_eirp: Some(12.15),
        sx1301_conf: vec![chip],
        ..RouterConfig::default()
    };
    let want = concat!(
        r#"{"msgtype":"router_config","NetID":[19],"region":"EU863","hwspec":"sx1301/1","#,
        r#""freq_range":[863000000,870000000],"DRs":[[12,125,0],[7,250,0],[0,0,0],[-1,0,0],[8,500,1]],"#,
        r#""max_eirp":12.15,"sx1301_conf":[{"radio_0":{"enable":true,"freq":867500000},"#,
        r#""chan_multiSF_0":{"enable":true,"radio":0,"if":-400000},"chan_FSK":{"enable":false}}],"#,
        r#""MuxTime":1795585593.781708}"#,
    );
    let mut out = String::new();
    DownMessage::RouterConfig(Box::new(c.clone()))
        .encode(&mut out)
        .unwrap();
    assert_eq!(out, want);
    assert_eq!(c.to_message_json().unwrap(), want);
    assert_eq!(
        decode_down(want).unwrap(),
        DownMessage::RouterConfig(Box::new(c.clone()))
    );
    // A NaN cannot be written as JSON: both entry points refuse it, naming the field.
    let nan = RouterConfig {
        max_eirp: Some(f64::NAN),
        ..c
    };
    let err = EncodeError::NonFinite {
        msgtype: "router_config",
        field: "max_eirp",
    };
    assert_eq!(
        DownMessage::RouterConfig(Box::new(nan.clone())).encode(&mut out),
        Err(err.clone())
    );
    assert_eq!(nan.to_message_json(), Err(err));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn upinfo() -> impl Strategy<Value = UpInfo> {
        (
            any::<i64>(),
            0..i64::MAX,
            proptest::option::of(1..i64::MAX),
            proptest::option::of(0..1_000_000_000i64),
            any::<i32>(),
            -200i32..200,
            0..2_000_000_000_000_000i64,
        )
            .prop_map(|(rctx, xtime, gpstime, fts, rssi, snr4, rx_us)| UpInfo {
                rctx,
                xtime,
                gpstime,
                fts,
                rssi,
                snr: f64::from(snr4) / 4.0,
                rxtime: rx_us as f64 / 1e6,
            })
    }

    fn ref_time() -> impl Strategy<Value = Option<f64>> {
        proptest::option::of((1..2_000_000_000_000_000i64).prop_map(|us| us as f64 / 1e6))
    }

    prop_compose! {
        fn updf()(mhdr: u8, dev_addr: u32, fctrl: u8, fcnt: u16,
                  fopts in proptest::collection::vec(any::<u8>(), 0..16),
                  fport: Option<u8>,
                  frm_payload in proptest::collection::vec(any::<u8>(), 0..64),
                  mic: u32, ref_time in ref_time(), dr: u8, freq: u32, upinfo in upinfo()) -> Updf {
            Updf { mhdr, dev_addr, fctrl, fcnt, fopts, fport, frm_payload, mic, ref_time, dr, freq, upinfo }
        }
    }

    prop_compose! {
        fn dnmsg()(dev_eui: u64, dc in 0u8..3, diid: i64,
                   pdu in proptest::collection::vec(any::<u8>(), 0..=255),
                   rx_delay in proptest::option::of(0u8..16),
                   rx1 in proptest::option::of((any::<u8>(), any::<u32>())),
                   rx2 in proptest::option::of((any::<u8>(), any::<u32>())),
                   xtime: Option<i64>, rctx: Option<i64>, priority: Option<u8>,
                   mux_time in ref_time(), gpstime in proptest::option::of(1..i64::MAX),
                   preamble: Option<u16>, addcrc: Option<bool>) -> Dnmsg {
            Dnmsg {
                dev_eui: Eui64(dev_eui),
                device_class: DeviceClass::from_code(dc).unwrap(),
                diid, pdu,
                // DR/Freq aliases aside, an absent RxDelay with RX1 stays absent.
                rx_delay,
                rx1: rx1.map(|(dr, freq)| TxWindow { dr, freq }),
                rx2: rx2.map(|(dr, freq)| TxWindow { dr, freq }),
                xtime, rctx, priority, mux_time, gpstime, preamble, addcrc, dnmode: None,
            }
        }
    }

    proptest! {
        #[test]
        fn updf_round_trips(u in updf()) {
            let m = UpMessage::Updf(u);
            let mut out = String::new();
            m.encode(&mut out).unwrap();
            prop_assert_eq!(decode_up(&out).unwrap(), m);
        }

        #[test]
        fn jreq_round_trips(mhdr: u8, je: u64, de: u64, nonce: u16, mic: u32,
                            ref_time in ref_time(), dr: u8, freq: u32, upinfo in upinfo(), upper: bool) {
            let m = UpMessage::Jreq(JoinRequest {
                mhdr, join_eui: Eui64(je), dev_eui: Eui64(de), dev_nonce: nonce, mic, ref_time, dr, freq, upinfo,
            });
            let mut out = String::new();
            let keys = if upper { EuiKeyStyle::Upper } else { EuiKeyStyle::Camel };
            m.encode_with(&mut out, keys).unwrap();
            prop_assert_eq!(decode_up(&out).unwrap(), m);
        }

        #[test]
        fn dnmsg_round_trips(d in dnmsg()) {
            let m = DownMessage::Dnmsg(d);
            let mut out = String::new();
            m.encode(&mut out).unwrap();
            prop_assert_eq!(decode_down(&out).unwrap(), m);
        }

        #[test]
        fn dntxed_round_trips(diid: i64, eui: u64, rctx: i64, xtime: i64, us in 0..1_000_000_000_000i64,
                              gpstime in proptest::option::of(1..i64::MAX), dr: Option<u8>, freq: Option<u32>) {
            let m = UpMessage::Dntxed(Dntxed {
                diid, dev_eui: Eui64(eui), rctx, xtime, txtime: us as f64 / 1e6, gpstime, dr, freq,
            });
            let mut out = String::new();
            m.encode(&mut out).unwrap();
            prop_assert_eq!(decode_up(&out).unwrap(), m);
        }

        #[test]
        fn strings_round_trip(text in ".{0,40}", args in proptest::collection::vec(".{0,8}", 0..4)) {
            let m = DownMessage::Runcmd(Runcmd { command: text.clone(), arguments: args });
            let mut out = String::new();
            m.encode(&mut out).unwrap();
            prop_assert_eq!(decode_down(&out).unwrap(), m);
            let a = UpMessage::Alarm(Alarm { text });
            a.encode(&mut out).unwrap();
            prop_assert_eq!(decode_up(&out).unwrap(), a);
        }

        #[test]
        fn dnsched_round_trips(entries in proptest::collection::vec(
            (proptest::option::of(any::<i64>()), proptest::option::of(any::<u8>()), any::<u8>(), any::<u32>(),
             0u8..3, 1..i64::MAX, proptest::collection::vec(any::<u8>(), 0..20), proptest::option::of(any::<i64>())),
            0..4), mux_time in ref_time()) {
            let schedule = entries.into_iter().map(|(diid, priority, dr, freq, kind, t, pdu, rctx)| ScheduledTx {
                diid, priority, window: TxWindow { dr, freq },
                time: match kind {
                    0 => ScheduledTime::Ontime((t % 2_000_000_000_000_000) as f64 / 1e6),
                    1 => ScheduledTime::Gpstime(t),
                    _ => ScheduledTime::Xtime(t),
                },
                pdu, rctx, preamble: None, addcrc: None,
            }).collect();
            let m = DownMessage::Dnsched(Dnsched { mux_time, schedule });
            let mut out = String::new();
            m.encode(&mut out).unwrap();
            prop_assert_eq!(decode_down(&out).unwrap(), m);
        }

        #[test]
        fn time_messages_round_trip(txtime: i64, gpstime in 1..i64::MAX, xtime: Option<i64>,
                                    mux_time in ref_time(), xtimes in proptest::collection::vec(any::<i64>(), 0..5),
                                    us in 0..1_000_000_000_000i64) {
            let mut out = String::new();
            for m in [
                DownMessage::TimesyncReply(TimesyncReply { txtime, gpstime, mux_time }),
                DownMessage::TimeTransfer(TimeTransfer { xtime, gpstime: Some(gpstime), mux_time }),
                DownMessage::Getxtime(GetxtimeRequest { mux_time }),
            ] {
                m.encode(&mut out).unwrap();
                prop_assert_eq!(decode_down(&out).unwrap(), m);
            }
            for m in [
                UpMessage::Timesync(TimesyncRequest { txtime }),
                UpMessage::Getxtime(GetxtimeReply { mux_time, ustime: us as f64 / 1e6, utc_time: us as f64 / 1e6, xtimes }),
            ] {
                m.encode(&mut out).unwrap();
                prop_assert_eq!(decode_up(&out).unwrap(), m);
            }
        }

        #[test]
        fn decoders_never_panic(text in ".{0,200}") {
            let _ = decode_up(&text);
            let _ = decode_down(&text);
        }
    }
}
