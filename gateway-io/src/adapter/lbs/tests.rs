//! Basics Station vectors from The Things Stack's LBS tests and the EU868 `router_config`
//! worked example, and round trips through the wire format.

use std::time::Instant;

use loragw_basicstation::channel_plan::RouterConfigOptions;
use loragw_basicstation::lns::{LnsConfig, LnsEvent, LnsSession};
use loragw_basicstation::message::{UpMessage, Version, decode_up};
use loragw_basicstation::region::Region;
use loragw_ttnpb::downlink_message::Settings;
use loragw_ttnpb::message::Payload;
use loragw_ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_ttnpb::{
    DataRate, DownlinkMessage, FCtrl, JoinRequestPayload, Timestamp, TxRequest, TxSettings,
    tx_settings,
};
use serde_json::{Value, json};

use super::*;
use crate::clock::XTime;
use crate::freqplan::FrequencyPlan;
use crate::ids::GatewayIds;

fn gw() -> GatewayIds {
    GatewayIds::new("station-1", None)
}

const XTIME: i64 = 12_666_373_963_464_220;

#[test]
fn jreq_vector() {
    let text = r#"{"msgtype":"jreq","MHdr":0,"JoinEui":"2222:2222:2222:2222","DevEui":"1111:1111:1111:1111","DevNonce":18000,"MIC":12345678,"RefTime":0,"DR":1,"Freq":868300000,"upinfo":{"rxtime":1548059982,"rtcx":0,"xtime":12666373963464220,"gpstime":0,"rssi":89,"snr":9.25}}"#;
    let up = up_message_to_uplink(&gw(), &decode_up(text).unwrap(), Region::Eu868, None).unwrap();
    let mut phy = vec![0x00];
    phy.extend([0x22; 8]);
    phy.extend([0x11; 8]);
    phy.extend([0x50, 0x46]); // DevNonce 18000 = 0x4650, little-endian on air
    phy.extend([0x4E, 0x61, 0xBC, 0x00]); // MIC 12345678 = 0x00BC614E, little-endian on air
    assert_eq!(up.raw_payload, phy);
    let payload = up.payload.as_ref().unwrap();
    assert_eq!(payload.mic, [0x4E, 0x61, 0xBC, 0x00]);
    assert_eq!(
        payload.payload,
        Some(Payload::JoinRequestPayload(JoinRequestPayload {
            join_eui: vec![0x22; 8],
            dev_eui: vec![0x11; 8],
            dev_nonce: vec![0x46, 0x50],
        }))
    );
    let settings = up.settings.as_ref().unwrap();
    assert_eq!(settings.data_rate, Some(DataRate::lora(11, 125_000, "4/5")));
    assert_eq!(settings.frequency, 868_300_000);
    assert_eq!(settings.timestamp, (XTIME & 0xFFFF_FFFF) as u32);
    let md = &up.rx_metadata[0];
    assert_eq!((md.rssi, md.channel_rssi, md.snr), (89.0, 89.0, 9.25));
    assert_eq!(
        md.time,
        Some(Timestamp {
            seconds: 1_548_059_982,
            nanos: 0
        })
    );
    assert_eq!(md.gps_time, None);
    assert_eq!(md.antenna_index, 0);
    assert_eq!(up.crc_status.map(|c| c.value), Some(true));
}

#[test]
fn updf_vector() {
    // The reference's vector has FCtrl 48 with one FOpts byte, which only The Things Stack's
    // marshaller (recomputing FOptsLen) accepts; a station sends the frame's own FCtrl, 0x31.
    // FRMPayload is hex on the wire (the reference's expected value: 5F CC).
    let text = r#"{"msgtype":"updf","MHdr":64,"DevAddr":287454020,"FCtrl":49,"Fcnt":25,"FOpts":"FD","FPort":0,"FRMPayload":"5fcc","MIC":12345678,"RefTime":0,"DR":1,"Freq":868300000,"upinfo":{"rxtime":1548059982,"rctx":1,"xtime":12666373963464220,"gpstime":0,"fts":12345,"rssi":-89,"snr":9.25}}"#;
    let up = up_message_to_uplink(&gw(), &decode_up(text).unwrap(), Region::Eu868, None).unwrap();
    assert_eq!(
        up.raw_payload,
        [
            0x40, 0x44, 0x33, 0x22, 0x11, 0x31, 0x19, 0x00, 0xFD, 0x00, 0x5F, 0xCC, 0x4E, 0x61,
            0xBC, 0x00
        ]
    );
    let Some(Payload::MacPayload(mac)) = up.payload.and_then(|p| p.payload) else {
        panic!("no MACPayload")
    };
    assert_eq!(
        (mac.f_port, mac.frm_payload.as_slice()),
        (0, &[0x5F, 0xCC][..])
    );
    let fhdr = mac.f_hdr.unwrap();
    assert_eq!(fhdr.dev_addr, [0x11, 0x22, 0x33, 0x44]);
    assert_eq!(fhdr.f_opts, [0xFD]);
    assert_eq!(fhdr.f_cnt, 25);
    assert_eq!(
        fhdr.f_ctrl,
        Some(FCtrl {
            ack: true,
            class_b: true,
            ..Default::default()
        })
    );
    // rctx and fts, which The Things Stack drops (its `rtcx` typo), are kept.
    let md = &up.rx_metadata[0];
    assert_eq!(
        (md.antenna_index, md.fine_timestamp, md.rssi),
        (1, 12_345, -89.0)
    );
    assert_eq!(md.timestamp, (XTIME & 0xFFFF_FFFF) as u32);
}

#[test]
fn gpstime_sets_gps_time_and_time_and_propdf_is_forwarded() {
    // GPS 1_000_000_000.5 s = 2011-09-14T01:46:25.5Z (15 leap seconds then).
    let text = r#"{"msgtype":"propdf","FRMPayload":"E0010203","DR":5,"Freq":868100000,"upinfo":{"rctx":0,"xtime":1,"gpstime":1000000000500000,"fts":-1,"rssi":-50,"snr":9,"rxtime":1.5}}"#;
    let up = up_message_to_uplink(&gw(), &decode_up(text).unwrap(), Region::Eu868, None).unwrap();
    assert_eq!(up.raw_payload, [0xE0, 1, 2, 3]);
    let want = Some(Timestamp {
        seconds: 1_315_964_785,
        nanos: 500_000_000,
    });
    assert_eq!(
        (up.rx_metadata[0].time, up.rx_metadata[0].gps_time),
        (want, want)
    );
    assert_eq!(up.rx_metadata[0].fine_timestamp, 0);
    assert_eq!(
        up.settings.unwrap().data_rate,
        Some(DataRate::lora(7, 125_000, "4/5"))
    );
}

#[test]
fn unknown_dr_and_non_frames_are_refused() {
    let text =
        r#"{"msgtype":"propdf","FRMPayload":"E0","DR":12,"Freq":868100000,"upinfo":{"xtime":1}}"#;
    assert!(matches!(
        up_message_to_uplink(&gw(), &decode_up(text).unwrap(), Region::Eu868, None),
        Err(TranslateError::Invalid { field: "DR", .. })
    ));
    let ts = r#"{"msgtype":"timesync","txtime":123}"#;
    assert!(up_message_to_uplink(&gw(), &decode_up(ts).unwrap(), Region::Eu868, None).is_err());
}

fn eu_plan() -> FrequencyPlan {
    FrequencyPlan::builtin("EU_863_870").unwrap()
}

/// An LNS session that has answered `version` and seen an uplink of xtime session 0x11.
fn running_session() -> (LnsSession, Instant) {
    let t0 = Instant::now();
    let config = router_config(&[eu_plan()], None, &RouterConfigOptions::default()).unwrap();
    let mut s = LnsSession::new(LnsConfig {
        router_config: Some(config.into()),
        time_transfer_interval: None,
        ..Default::default()
    });
    s.handle_message(t0, 1_554_300_787.0, r#"{"msgtype":"version","station":"2.0.6","firmware":null,"package":null,"model":"linux","protocol":2,"features":"prod"}"#);
    let up = format!(
        r#"{{"msgtype":"propdf","FRMPayload":"E0","DR":5,"Freq":868100000,"upinfo":{{"rctx":0,"xtime":{},"rssi":-50,"snr":9}}}}"#,
        XTime::from_parts(0, 0x11, 1_553_000_000).0
    );
    s.handle_message(t0, 1_554_300_787.0, &up);
    let mut buf = String::new();
    assert!(s.poll_transmit(&mut buf), "router_config");
    assert!(buf.contains("router_config"));
    while s.poll_event().is_some() {}
    (s, t0)
}

fn send(
    s: &mut LnsSession,
    t0: Instant,
    message: &DownlinkMessage,
    ctx: &DownlinkContext,
) -> Value {
    let req = downlink_to_request(message, ctx).unwrap();
    s.send_downlink(t0, 1_554_300_787.123_456, req).unwrap();
    let mut buf = String::new();
    assert!(s.poll_transmit(&mut buf));
    serde_json::from_str(&buf).unwrap()
}

fn scheduled(settings: TxSettings, payload: &[u8]) -> DownlinkMessage {
    DownlinkMessage {
        raw_payload: payload.to_vec(),
        settings: Some(Settings::Scheduled(settings)),
        correlation_ids: vec!["test:down:1".into()],
        ..Default::default()
    }
}

fn ctx() -> DownlinkContext {
    DownlinkContext {
        region: Region::Eu868,
        reference_xtime: Some(XTime::from_parts(0, 0x11, 1_553_000_000).0),
    }
}

#[test]
fn class_a_downlink_vectors() {
    let (mut s, t0) = running_session();
    // The Things Stack's test: Rx1 SF7/125 at 868.1 MHz, payload "Ymxhamthc25kJ3M==" (ASCII).
    let down = scheduled(
        TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: 1_553_300_787,
            downlink: Some(tx_settings::Downlink {
                tx_power: 16.15,
                invert_polarization: true,
                antenna_index: 0,
            }),
            ..Default::default()
        },
        b"Ymxhamthc25kJ3M==",
    );
    let v = send(&mut s, t0, &down, &ctx());
    for (k, want) in [
        ("msgtype", json!("dnmsg")),
        ("DevEui", json!("00-00-00-00-00-00-00-01")),
        ("dC", json!(0)),
        ("diid", json!(1)),
        ("pdu", json!("596D7868616D74686332356B4A334D3D3D")),
        ("priority", json!(25)),
        ("RxDelay", json!(1)),
        ("RX1DR", json!(5)),
        ("RX1Freq", json!(868_100_000)),
        ("rctx", json!(0)),
        // ConcentratorTimeToXTime(0x11, 1553300787) − 1000000
        ("xtime", json!((0x11_i64 << 48) + 1_553_300_787 - 1_000_000)),
        ("MuxTime", json!(1_554_300_787.123_456)),
    ] {
        assert_eq!(
            v[k].to_string().to_uppercase(),
            want.to_string().to_uppercase(),
            "{k}"
        );
    }
    // downstream_test.go: SF10/125 at 868.5 MHz on antenna 2. The xtime names txunit 2 (the
    // unit whose counter the timestamp is in); The Things Stack leaves bits 62..56 at 0.
    let mut down = down;
    if let Some(Settings::Scheduled(s)) = &mut down.settings {
        s.data_rate = Some(DataRate::lora(10, 125_000, "4/5"));
        s.frequency = 868_500_000;
        s.downlink.as_mut().unwrap().antenna_index = 2;
    }
    let v = send(&mut s, t0, &down, &ctx());
    assert_eq!(
        (v["dC"].clone(), v["diid"].clone(), v["rctx"].clone()),
        (json!(0), json!(2), json!(2))
    );
    assert_eq!(
        (v["RX1DR"].clone(), v["RX1Freq"].clone()),
        (json!(2), json!(868_500_000))
    );
    assert_eq!(
        v["xtime"],
        json!((2_i64 << 56) + (0x11_i64 << 48) + 1_553_300_787 - 1_000_000)
    );
}

#[test]
fn class_b_and_c_downlinks() {
    let (mut s, t0) = running_session();
    // Absolute time Unix(0x42424242 s, 0x42424242 ns), normalised as Go's time.Unix does:
    // 1111638595.111638594 (2005, 13 leap seconds): GPS 1111638595 − 315964800 + 13 =
    // 795673808 s, µs truncated.
    let down = scheduled(
        TxSettings {
            data_rate: Some(DataRate::lora(10, 125_000, "4/5")),
            frequency: 869_525_000,
            time: Some(Timestamp {
                seconds: 0x4242_4242 + 1,
                nanos: 0x4242_4242 - 1_000_000_000,
            }),
            ..Default::default()
        },
        &[1, 2, 3],
    );
    let v = send(&mut s, t0, &down, &ctx());
    // The Things Stack writes `DR`/`Freq`; the station crate writes the equivalent `RX1DR`/`RX1Freq`
    // (the station reads either).
    assert_eq!(
        (v["dC"].clone(), v["RX1DR"].clone(), v["RX1Freq"].clone()),
        (json!(1), json!(2), json!(869_525_000))
    );
    assert_eq!(v["gpstime"], json!(795_673_808_111_638_i64));
    // Class C "now": RX2 with dC 2, no xtime needed.
    let now = scheduled(
        TxSettings {
            data_rate: Some(DataRate::lora(12, 125_000, "4/5")),
            frequency: 869_525_000,
            ..Default::default()
        },
        &[4],
    );
    let no_session = DownlinkContext {
        region: Region::Eu868,
        reference_xtime: None,
    };
    let v = send(&mut s, t0, &now, &no_session);
    assert_eq!(
        (v["dC"].clone(), v["RX2DR"].clone(), v["RX2Freq"].clone()),
        (json!(2), json!(0), json!(869_525_000))
    );
    assert_eq!(v.get("xtime"), None);
    // A timestamp needs a session.
    let mut ts = now.clone();
    if let Some(Settings::Scheduled(s)) = &mut ts.settings {
        s.timestamp = 5;
    }
    assert!(downlink_to_request(&ts, &no_session).is_err());
}

#[test]
fn tx_request_is_resolved_before_the_adapter() {
    let down = DownlinkMessage {
        raw_payload: vec![0x60, 1, 2],
        settings: Some(Settings::Request(TxRequest {
            rx1_frequency: 868_100_000,
            ..Default::default()
        })),
        ..Default::default()
    };
    let err = downlink_to_request(&down, &ctx()).unwrap_err();
    assert!(
        matches!(&err, TranslateError::Invalid { field: "settings", reason } if reason.contains("reply::schedule")),
        "{err}"
    );
}

#[test]
fn dntxed_and_timeout_acks_carry_the_downlink() {
    let down = scheduled(TxSettings::default(), &[1]);
    let ack = tx_confirmed_to_ack(Some(&down));
    assert_eq!(ack.result(), TxResult::Success);
    assert_eq!(ack.correlation_ids, ["test:down:1"]);
    assert_eq!(ack.downlink_message.as_ref(), Some(&down));
    assert_eq!(
        tx_timeout_to_ack(Some(&down)).result(),
        TxResult::UnknownError
    );
    assert_eq!(tx_confirmed_to_ack(None), Default::default());
    // The reference dntxed decodes and is matched by diid by the session.
    let UpMessage::Dntxed(d) = decode_up(r#"{"msgtype":"dntxed","diid":35,"DevEui":"1111:1111:1111:1111","rctx":0,"xtime":1552906698,"txtime":1552906698,"gpstime":1552906698}"#).unwrap() else {
        panic!("not dntxed")
    };
    assert_eq!(d.diid, 35);
}

#[test]
fn version_becomes_status_versions() {
    let v = Version {
        station: "2.0.6(rpi/std)".into(),
        firmware: Some("1.0.0".into()),
        package: None,
        model: "rpi".into(),
        protocol: 2,
        features: "rmtsh gps".into(),
    };
    let status = version_to_status(&v);
    let got: Vec<(&str, &str)> = status
        .versions
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("features", "rmtsh gps"),
            ("firmware", "1.0.0"),
            ("model", "rpi"),
            ("platform", "rpi - Firmware 1.0.0 - Protocol 2"),
            ("protocol", "2"),
            ("station", "2.0.6(rpi/std)")
        ]
    );
}

#[test]
fn eu868_router_config_from_the_plan() {
    let rc = router_config(&[eu_plan()], Some(3.0), &RouterConfigOptions::default()).unwrap();
    let v: Value = serde_json::from_str(&rc.to_message_json().unwrap()).unwrap();
    assert_eq!(v["region"], json!("EU863"));
    assert_eq!(v["hwspec"], json!("sx1301/1"));
    assert_eq!(v["freq_range"], json!([863_000_000, 870_000_000]));
    assert_eq!(
        v["DRs"],
        json!([
            [12, 125, 0],
            [11, 125, 0],
            [10, 125, 0],
            [9, 125, 0],
            [8, 125, 0],
            [7, 125, 0],
            [7, 250, 0],
            [0, 0, 0],
            [-1, 0, 0],
            [-1, 0, 0],
            [-1, 0, 0],
            [-1, 0, 0],
            [-1, 0, 0],
            [-1, 0, 0],
            [-1, 0, 0],
            [-1, 0, 0]
        ])
    );
    let conf = &v["sx1301_conf"][0];
    assert_eq!(
        conf["radio_0"],
        json!({"enable": true, "freq": 867_500_000, "antenna_gain": 3})
    );
    assert_eq!(conf["radio_1"]["freq"], json!(868_500_000));
    let ifs: Vec<(i64, i64)> = (0..8)
        .map(|i| {
            let c = &conf[format!("chan_multiSF_{i}")];
            (c["radio"].as_i64().unwrap(), c["if"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(
        ifs,
        [
            (1, -400_000),
            (1, -200_000),
            (1, 0),
            (0, -400_000),
            (0, -200_000),
            (0, 0),
            (0, 200_000),
            (0, 400_000)
        ]
    );
    assert_eq!(
        conf["chan_Lora_std"],
        json!({"enable": true, "radio": 1, "if": -200_000, "bandwidth": 250_000, "spread_factor": 7})
    );
    assert_eq!(
        conf["chan_FSK"],
        json!({"enable": true, "radio": 1, "if": 300_000, "datarate": 50_000})
    );
    for hw in ["clksrc", "rssi_offset", "tx_enable", "lorawan_public"] {
        assert!(!rc.to_message_json().unwrap().contains(hw), "{hw}");
    }
}

#[test]
fn us915_and_two_chip_plans() {
    let us = FrequencyPlan::builtin("US_902_928_FSB_2").unwrap();
    let rc = router_config(
        std::slice::from_ref(&us),
        None,
        &RouterConfigOptions::default(),
    )
    .unwrap();
    let v: Value = serde_json::from_str(&rc.to_message_json().unwrap()).unwrap();
    assert_eq!(v["region"], json!("US902"));
    assert_eq!(v["freq_range"], json!([923_000_000, 928_000_000]));
    assert_eq!(
        v["DRs"],
        json!([
            [10, 125, 0],
            [9, 125, 0],
            [8, 125, 0],
            [7, 125, 0],
            [8, 500, 0],
            [-1, 0, 0],
            [-1, 0, 0],
            [-1, 0, 0],
            [12, 500, 1],
            [11, 500, 1],
            [10, 500, 1],
            [9, 500, 1],
            [8, 500, 1],
            [7, 500, 1],
            [-1, 0, 0],
            [-1, 0, 0]
        ])
    );
    assert_eq!(v["sx1301_conf"][0]["chan_Lora_std"]["if"], json!(300_000));
    // Two plans = two chips; plans of different bands are refused.
    let rc = router_config(
        &[us.clone(), us.clone()],
        None,
        &RouterConfigOptions::default(),
    )
    .unwrap();
    assert_eq!(
        rc.to_message_json()
            .unwrap()
            .matches("chan_multiSF_7")
            .count(),
        2
    );
    assert!(router_config(&[us, eu_plan()], None, &RouterConfigOptions::default()).is_err());
    // Every built-in plan yields a router_config with a region name the station knows.
    for plan in FrequencyPlan::builtin_all() {
        let rc = router_config(
            std::slice::from_ref(&plan),
            None,
            &RouterConfigOptions::default(),
        )
        .unwrap();
        assert!(rc.station_region().is_some(), "{}", plan.id);
    }
}

#[test]
fn station_side_round_trip() {
    let text = r#"{"msgtype":"updf","MHdr":128,"DevAddr":287454020,"FCtrl":0,"FCnt":7,"FOpts":"","FPort":3,"FRMPayload":"0102","MIC":-1,"RefTime":0,"DR":0,"Freq":867100000,"upinfo":{"rctx":0,"xtime":5066549581971456,"gpstime":1000000000500000,"fts":7,"rssi":-120,"snr":-7.25,"rxtime":0}}"#;
    let up = up_message_to_uplink(&gw(), &decode_up(text).unwrap(), Region::Eu868, None).unwrap();
    let msg = uplink_to_up_message(&up, Region::Eu868, 0x12, None).unwrap();
    assert_eq!(
        up_message_to_uplink(&gw(), &msg, Region::Eu868, None).unwrap(),
        up
    );
    let mut out = String::new();
    msg.encode(&mut out).unwrap();
    assert_eq!(
        up_message_to_uplink(&gw(), &decode_up(&out).unwrap(), Region::Eu868, None).unwrap(),
        up
    );
    let _ = LnsEvent::RouterConfigNeeded;
}
