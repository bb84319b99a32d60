// Included from the parent under `#[cfg(test)]`; the attribute is repeated here so the CI
// clock check (which scans each file up to its first `#[cfg(test)]`) sees a test file.
#[cfg(test)]
use super::*;
use crate::Eui64;

const CONFIG: &str = r#"{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","freq_range":[863000000,870000000],"DRs":[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[7,250,0],[0,0,0],[-1,0,0]],"JoinEUI":null,"MuxTime":1795585800.0}"#;

fn drain(s: &mut StationSession) -> (Vec<String>, Vec<StationEvent>) {
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

fn configured() -> (StationSession, Instant) {
    let t0 = Instant::now();
    let mut s = StationSession::new(
        StationConfig {
            version: Version {
                station: "2.0.6(linux/testsim)".into(),
                firmware: None,
                package: None,
                model: "linux".into(),
                protocol: 2,
                features: "rmtsh".into(),
            },
            ..StationConfig::default()
        },
        t0,
    );
    let (out, _) = drain(&mut s);
    assert_eq!(
        out,
        vec![r#"{"msgtype":"version","station":"2.0.6(linux/testsim)","firmware":null,"package":null,"model":"linux","protocol":2,"features":"rmtsh"}"#.to_owned()]
    );
    s.handle_message(t0, CONFIG);
    let (_, ev) = drain(&mut s);
    assert!(matches!(&ev[0], StationEvent::RouterConfig(c) if c.region == "EU868"));
    (s, t0)
}

use crate::message::Version;

fn frame(phy: &[u8], sf: u8) -> ReceivedFrame {
    ReceivedFrame {
        phy_payload: phy.to_vec(),
        freq: 868_300_000,
        modulation: Modulation::Lora {
            sf,
            bandwidth_khz: 125,
        },
        xtime: 41095346870193749,
        rctx: 0,
        gpstime: None,
        fts: None,
        rssi: -50,
        snr: 9.0,
        rxtime: 1795585800.783765,
    }
}

const JREQ_PHY: [u8; 23] = [
    0x00, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12,
    0x11, 0x22, 0x21, 0x34, 0x33, 0x32, 0x31,
];

#[test]
fn dr_lookup_follows_station_rules() {
    let drs = [
        [12, 125, 0],
        [7, 125, 0],
        [7, 250, 0],
        [0, 0, 0],
        [-1, 0, 0],
        [8, 500, 1],
        [8, 999, 0],
    ];
    let lora = |sf, bw| Modulation::Lora {
        sf,
        bandwidth_khz: bw,
    };
    assert_eq!(dr_index(&drs, lora(12, 125)), Some(0));
    assert_eq!(dr_index(&drs, lora(7, 250)), Some(2));
    assert_eq!(dr_index(&drs, Modulation::Fsk), Some(3));
    // Any other bandwidth means 500; the first match wins.
    assert_eq!(dr_index(&drs, lora(8, 500)), Some(5));
    assert_eq!(dr_index(&drs, lora(9, 125)), None);
    assert_eq!(Modulation::from_dr_entry([-1, 0, 0]), None);
}

#[test]
fn uplink_before_config_is_refused_and_jreq_matches_the_live_capture() {
    let t0 = Instant::now();
    let mut s = StationSession::new(StationConfig::default(), t0);
    assert!(matches!(
        s.send_uplink(t0, &frame(&JREQ_PHY, 10)),
        Err(SessionError::NotReady(_))
    ));
    // With the live capture's RefTime: MuxTime 1795585800.0 + 0.783759 s.
    let (mut s, t0) = configured();
    let t = t0 + Duration::from_micros(783_759);
    assert_eq!(s.send_uplink(t, &frame(&JREQ_PHY, 10)), Ok(true));
    let (out, _) = drain(&mut s);
    // The config used `JoinEUI`, so the station's keys switch to upper case.
    assert_eq!(
        out[0],
        r#"{"msgtype":"jreq","MHdr":0,"JoinEUI":"01-02-03-04-05-06-07-08","DevEUI":"11-12-13-14-15-16-17-18","DevNonce":8482,"MIC":825373492,"RefTime":1795585800.783759,"DR":2,"Freq":868300000,"upinfo":{"rctx":0,"xtime":41095346870193749,"gpstime":0,"fts":-1,"rssi":-50,"snr":9,"rxtime":1795585800.783765}}"#
    );
    assert!(matches!(
        s.send_uplink(t, &frame(&JREQ_PHY, 6)),
        Err(SessionError::UnknownDataRate(_))
    ));
    assert!(matches!(
        s.send_uplink(t, &frame(&[0x60; 12], 7)),
        Err(SessionError::Frame(_))
    ));
}

#[test]
fn dnmsg_becomes_transmit_request_and_dntxed() {
    let (mut s, t0) = configured();
    s.handle_message(
        t0,
        r#"{"msgtype":"dnmsg","dC":0,"priority":0,"RxDelay":1,"RX1DR":5,"RX1Freq":868100000,"RX2DR":0,"RX2Freq":869525000,"DevEui":"00-00-00-00-11-00-00-01","xtime":34902897382558425,"diid":0,"MuxTime":1795585595.81169,"rctx":0,"pdu":"0A0B0C0D0E0F"}"#,
    );
    let (_, ev) = drain(&mut s);
    let StationEvent::Transmit(tx) = &ev[0] else {
        panic!("{ev:?}")
    };
    assert!(tx.confirm);
    assert_eq!(tx.pdu, [0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F]);
    assert_eq!(
        tx.options,
        vec![
            TxOption {
                time: TxTime::Xtime(34902897383558425),
                dr: 5,
                freq: 868_100_000,
                modulation: Modulation::Lora {
                    sf: 7,
                    bandwidth_khz: 125
                }
            },
            TxOption {
                time: TxTime::Xtime(34902897384558425),
                dr: 0,
                freq: 869_525_000,
                modulation: Modulation::Lora {
                    sf: 12,
                    bandwidth_khz: 125
                }
            },
        ]
    );
    s.tx_started(
        t0 + Duration::from_micros(2_993_253_003),
        0,
        TxStarted {
            xtime: 34902897383558425,
            rctx: 0,
            dr: 5,
            freq: 868_100_000,
            gpstime: None,
        },
    )
    .unwrap();
    let (out, _) = drain(&mut s);
    assert_eq!(
        out[0],
        r#"{"msgtype":"dntxed","seqno":0,"diid":0,"DR":5,"Freq":868100000,"DevEUI":"00-00-00-00-11-00-00-01","rctx":0,"xtime":34902897383558425,"txtime":2993.253003,"gpstime":0}"#
    );
    assert!(
        s.tx_started(
            t0,
            0,
            TxStarted {
                xtime: 1,
                rctx: 0,
                dr: 0,
                freq: 0,
                gpstime: None
            }
        )
        .is_err()
    );
    // MuxTime from the dnmsg now drives RefTime.
    assert_eq!(
        s.ref_time(t0 + Duration::from_secs(1)),
        Some(1795585596.81169)
    );
}

#[test]
fn downlinks_the_station_would_drop() {
    let t0 = Instant::now();
    let mut s = StationSession::new(StationConfig::default(), t0);
    let c = r#"{"msgtype":"dnmsg","dC":2,"RX2DR":0,"RX2Freq":869525000,"DevEui":"00-00-00-00-11-00-00-01","seqno":7,"pdu":"00"}"#;
    s.handle_message(t0, c);
    let (_, ev) = drain(&mut s);
    assert_eq!(
        ev,
        vec![StationEvent::DownlinkDropped {
            diid: 7,
            reason: "before 'router_config' - dropped".into()
        }]
    );
    let (mut s, t0) = configured();
    for (text, reason) in [
        (
            r#"{"msgtype":"dnmsg","dC":0,"RX1DR":8,"RX1Freq":868100000,"DevEui":1,"diid":1,"xtime":1,"pdu":""}"#,
            "Illegal datarate value: DR8",
        ),
        (
            r#"{"msgtype":"dnmsg","dC":0,"RX1DR":0,"RX1Freq":923300000,"DevEui":1,"diid":2,"xtime":1,"pdu":""}"#,
            "Illegal frequency value: 923300000",
        ),
        (
            r#"{"msgtype":"dnmsg","dC":0,"RX1DR":0,"RX1Freq":868100000,"DevEui":1,"diid":3,"pdu":""}"#,
            "class A dnmsg without xtime",
        ),
        (
            r#"{"msgtype":"dnmsg","dC":1,"RX1DR":0,"RX1Freq":868100000,"DevEui":1,"diid":4,"pdu":""}"#,
            "class B dnmsg without gpstime",
        ),
    ] {
        s.handle_message(t0, text);
        let (_, ev) = drain(&mut s);
        assert!(
            matches!(&ev[0], StationEvent::DownlinkDropped { reason: r, .. } if r == reason),
            "{ev:?}"
        );
    }
    // Class C: ASAP on RX2, rctx 0, confirmed.
    s.handle_message(t0, c);
    let (_, ev) = drain(&mut s);
    let StationEvent::Transmit(tx) = &ev[0] else {
        panic!()
    };
    assert_eq!(tx.options[0].time, TxTime::Asap);
    assert_eq!((tx.diid, tx.confirm), (7, true));
}

#[test]
fn dnsched_timesync_getxtime_and_management() {
    let t0 = Instant::now();
    let mut s = StationSession::new(
        StationConfig {
            timesync_interval: Some(Duration::from_secs(5)),
            ..StationConfig::default()
        },
        t0,
    );
    drain(&mut s);
    s.handle_message(t0, CONFIG);
    assert_eq!(s.poll_timeout(), Some(t0));
    s.handle_timeout(t0 + Duration::from_micros(3_170_015_805));
    let (out, _) = drain(&mut s);
    assert_eq!(
        out,
        [r#"{"msgtype":"timesync","txtime":3170015805}"#.to_owned()]
    );
    s.handle_message(
        t0 + Duration::from_micros(3_170_055_805),
        r#"{"msgtype":"timesync","txtime":3170015805,"gpstime":1479620994059193,"MuxTime":1795585776.05}"#,
    );
    let (_, ev) = drain(&mut s);
    assert_eq!(
        ev,
        vec![StationEvent::TimeSynced {
            local_us: 3_170_035_805,
            gpstime: 1479620994059193,
            round_trip: Duration::from_millis(40)
        }]
    );
    assert_eq!(
        s.gps_time(t0 + Duration::from_micros(3_171_035_805)),
        Some(1479620995059193)
    );

    s.handle_message(t0, r#"{"msgtype":"dnsched","schedule":[{"DR":3,"Freq":869525000,"gpstime":1380000000000000,"pdu":"A0B1C2"},{"DR":3,"Freq":869525000,"ontime":1380000001.5,"pdu":"00"}]}"#);
    s.handle_message(t0, r#"{"msgtype":"timesync","xtime":52072870961909528,"gpstime":1479620994059193,"MuxTime":1795585776.0592089}"#);
    s.handle_message(t0, r#"{"msgtype":"getxtime","MuxTime":1795585773.55788}"#);
    s.handle_message(t0, r#"{"msgtype":"runcmd","command":"ls","arguments":[]}"#);
    s.handle_message(t0, r#"{"msgtype":"error","error":"text"}"#);
    s.handle_message(t0, r#"{"msgtype":"nope"}"#);
    let (_, ev) = drain(&mut s);
    let StationEvent::Transmit(a) = &ev[0] else {
        panic!()
    };
    assert_eq!(
        (a.options[0].time, a.confirm),
        (TxTime::Gps(1380000000000000), false)
    );
    let StationEvent::Transmit(b) = &ev[1] else {
        panic!()
    };
    assert_eq!(b.options[0].time, TxTime::Gps(1380000001500000));
    assert_eq!(
        ev[2],
        StationEvent::TimeTransfer {
            xtime: 52072870961909528,
            gpstime: 1479620994059193
        }
    );
    assert_eq!(
        ev[3],
        StationEvent::XtimeRequested {
            mux_time: Some(1795585773.55788)
        }
    );
    assert!(matches!(&ev[4], StationEvent::RunCommand(r) if r.command == "ls"));
    assert_eq!(ev[5], StationEvent::LnsError("text".into()));
    assert!(matches!(ev[6], StationEvent::InvalidMessage(_)));

    s.reply_xtime(
        t0 + Duration::from_micros(3_170_015_805),
        1795585773.558034,
        Some(1795585773.55788),
        &[52072870960908878, 0, 0, 0],
    )
    .unwrap();
    let (out, _) = drain(&mut s);
    assert_eq!(
        out[0],
        r#"{"msgtype":"getxtime","MuxTime":1795585773.55788,"ustime":3170.015805,"UTCtime":1795585773.558034,"xtimes":[52072870960908878,0,0,0]}"#
    );
    let _ = Eui64(0);
}

#[test]
fn router_config_filters_uplinks_like_the_station() {
    let t0 = Instant::now();
    let mut s = StationSession::new(StationConfig::default(), t0);
    s.handle_message(
        t0,
        r#"{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","DRs":[[7,125,0]],"NetID":[1,200],"JoinEui":[[72623859790382856,72623859790382856]]}"#,
    );
    drain(&mut s);
    // NwkID 1 (DevAddr 0x02xxxxxx) passes, NwkID 0 does not; 200 is beyond the 7-bit NwkID.
    let data = |top: u8| [0x40, 0x01, 0x00, 0x00, top, 0x00, 0, 0, 1, 2, 3, 4];
    assert_eq!(s.send_uplink(t0, &frame(&data(0x02), 7)), Ok(true));
    assert_eq!(s.send_uplink(t0, &frame(&data(0x00), 7)), Ok(false));
    // JoinEUI 01-02-03-04-05-06-07-08 = 72623859790382856 is in range; another is not.
    assert_eq!(s.send_uplink(t0, &frame(&JREQ_PHY, 7)), Ok(true));
    let mut other = JREQ_PHY;
    other[1] = 0x09;
    assert_eq!(s.send_uplink(t0, &frame(&other, 7)), Ok(false));
    let (out, _) = drain(&mut s);
    assert_eq!(out.len(), 2);
    // Device mode: downlink frames are reported as dndf.
    s.handle_message(t0, r#"{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","DRs":[[7,125,0]],"device_mode":true}"#);
    assert_eq!(s.send_uplink(t0, &frame(&[0x60; 12], 7)), Ok(true));
    let (out, _) = drain(&mut s);
    assert!(out[0].starts_with(r#"{"msgtype":"dndf""#), "{}", out[0]);
}
