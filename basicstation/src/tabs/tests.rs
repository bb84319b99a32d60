//! Byte-exact vectors (The Things Stack's Tabs Hubs formatter tests and the forms derived from
//! them) and round trips.

// Included from the parent under `#[cfg(test)]`; the attribute is repeated here so the CI
// clock check (which scans each file up to its first `#[cfg(test)]`) sees a test file.
#[cfg(test)]
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;
use crate::channel_plan::SingleDrChannelPlan;
use crate::channel_plan::{ChannelPlan, ConcentratorPlan, MultiSfChannelPlan, RadioPlan};
use crate::region::Region;
use crate::{Eui64, FrameError, SessionError};

const JREQ: &str = r#"{"msgtype":"jreq","MHdr":0,"JoinEui":"2222:2222:2222:2222","DevEui":"1111:1111:1111:1111","DevNonce":18000,"MIC":12345678,"RefTime":0,"DR":1,"Freq":868300000,"upinfo":{"rxtime":1548059982,"rtcx":0,"xtime":12666373963464220,"rssi":89,"snr":9.25}}"#;
const UPDF_TTS: &str = r#"{"msgtype":"updf","MHdr":64,"DevAddr":287454020,"FCtrl":48,"Fcnt":25,"FOpts":"FD","FPort":0,"FRMPayload":"Ymxhamthc25kJ3M=","MIC":12345678,"RefTime":0,"regionid":0,"DR":1,"Freq":868300000,"upinfo":{"rxtime":1548059982,"rtcx":0,"xtime":12666373963464220,"rssi":89,"snr":9.25}}"#;
const DNTXED: &str =
    r#"{"msgtype":"dntxed","seqno":35,"routerid":0,"DevEui":"1111:1111:1111:1111"}"#;
const VERSION: &str = r#"{"msgtype":"version","station":"test","firmware":"2.0.0"}"#;
const UPDF_REVERSE: &str = r#"{"msgtype":"updf","MHdr":64,"DevAddr":1124073471,"FCtrl":176,"Fcnt":65346,"FOpts":"feff","FPort":66,"FRMPayload":"feff","MIC":268435266,"RefTime":0,"regionid":0,"DR":1,"Freq":868300000,"upinfo":{"rxtime":1548059982,"rtcx":0,"xtime":11484700,"rssi":89,"snr":9.25}}"#;
const JREQ_REVERSE: &str = r#"{"msgtype":"jreq","MHdr":0,"JoinEui":"42ff:ffff:ffff:ffff","DevEui":"42ff:ffff:ffff:ffff","DevNonce":17151,"MIC":268435266,"RefTime":0,"DR":1,"Freq":868300000,"upinfo":{"rxtime":1548059982,"rtcx":0,"xtime":11484700,"rssi":89,"snr":9.25}}"#;
const DNFRAME: &str = r#"{"msgtype":"dnframe","DevEui":"00-00-00-00-00-00-00-00","seqno":1,"pdu":"596d7868616d74686332356b4a334d3d3d","DR":2,"Freq":868500000,"xtime":4785074605635452,"rctx":0,"MuxTime":1554300787.123456}"#;
const ROUTER_CONFIG_US: &str = r#"{"msgtype":"router_config","NetID":null,"JoinEui":null,"region":"US902","hwspec":"sx1301/1","freq_range":[909000000,925000000],"DRs":[[10,125,0],[9,125,0],[8,125,0],[7,125,0],[8,500,0],[0,0,0],[0,0,0],[0,0,0],[12,500,0],[11,500,0],[10,500,0],[9,500,0],[8,500,0],[7,500,0],[0,0,0],[0,0,0]],"sx1301_conf":[{"lorawan_public":true,"clksrc":0,"antenna_gain":0,"radio_0":{"enable":true,"freq":922300000,"rssi_offset":0,"tx_enable":true},"radio_1":{"enable":false,"freq":923000000,"rssi_offset":0,"tx_enable":false},"chan_multiSF_0":{"enable":false},"chan_multiSF_1":{"enable":false},"chan_multiSF_2":{"enable":false},"chan_multiSF_3":{"enable":false},"chan_multiSF_4":{"enable":false},"chan_multiSF_5":{"enable":false},"chan_multiSF_6":{"enable":false},"chan_multiSF_7":{"enable":false},"chan_Lora_std":{"enable":false},"chan_FSK":{"enable":false}}],"upchannels":null,"regionid":2,"MuxTime":0,"max_eirp":30,"protocol":1,"bcning":null,"config":{"region":"US902/tracknet"}}"#;
const ROUTER_CONFIG_EU: &str = r#"{"msgtype":"router_config","NetID":null,"JoinEui":null,"region":"EU863","hwspec":"sx1301/1","freq_range":[863000000,870000000],"DRs":[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[7,250,0],[0,0,0],[0,0,0],[0,0,0],[0,0,0],[0,0,0],[0,0,0],[0,0,0],[0,0,0],[0,0,0]],"sx1301_conf":[{"lorawan_public":true,"clksrc":1,"antenna_gain":0,"radio_0":{"enable":true,"freq":867500000,"rssi_offset":0,"tx_enable":true},"radio_1":{"enable":true,"freq":868500000,"rssi_offset":0,"tx_enable":false},"chan_multiSF_0":{"enable":true,"radio":1,"if":-400000},"chan_multiSF_1":{"enable":true,"radio":1,"if":-200000},"chan_multiSF_2":{"enable":true,"radio":1,"if":0},"chan_multiSF_3":{"enable":true,"radio":0,"if":-400000},"chan_multiSF_4":{"enable":true,"radio":0,"if":-200000},"chan_multiSF_5":{"enable":true,"radio":0,"if":0},"chan_multiSF_6":{"enable":true,"radio":0,"if":200000},"chan_multiSF_7":{"enable":true,"radio":0,"if":400000},"chan_Lora_std":{"enable":false},"chan_FSK":{"enable":false}}],"upchannels":[[868100000,0,5],[868300000,0,5],[868500000,0,5],[867100000,0,5],[867300000,0,5],[867500000,0,5],[867700000,0,5],[867900000,0,5]],"regionid":1,"MuxTime":1554300787.123456,"max_eirp":16,"protocol":1,"bcning":null,"config":{"region":"EU863/tracknet"}}"#;

fn reencode_up(text: &str) -> String {
    let mut out = String::new();
    decode_up(text).unwrap().encode(&mut out).unwrap();
    out
}

fn reencode_down(text: &str) -> String {
    let mut out = String::new();
    decode_down(text).unwrap().encode(&mut out).unwrap();
    out
}

fn radio(xtime: i64) -> TabsRadio {
    TabsRadio {
        ref_time: None,
        dr: 1,
        freq: 868_300_000,
        upinfo: TabsUpInfo {
            rxtime: 1_548_059_982.0,
            rtcx: 0,
            xtime,
            rssi: 89.0,
            snr: 9.25,
        },
    }
}

#[test]
fn upstream_vectors_are_byte_exact() {
    let jreq = TabsUp::Jreq(TabsJreq {
        mhdr: 0,
        join_eui: Eui64(0x2222_2222_2222_2222),
        dev_eui: Eui64(0x1111_1111_1111_1111),
        dev_nonce: 18000,
        mic: 12_345_678,
        radio: radio(12_666_373_963_464_220),
    });
    let mut out = String::new();
    jreq.encode(&mut out).unwrap();
    assert_eq!(out, JREQ);
    assert_eq!(decode_up(JREQ).unwrap(), jreq);
    for text in [JREQ, DNTXED, VERSION, UPDF_REVERSE, JREQ_REVERSE] {
        assert_eq!(reencode_up(text), text);
    }
    assert_eq!(
        decode_up(DNTXED).unwrap(),
        TabsUp::Dntxed(TabsDntxed {
            seqno: 35,
            router_id: 0,
            dev_eui: Eui64(0x1111_1111_1111_1111),
        })
    );
    assert_eq!(decode_up(VERSION).unwrap().msgtype(), "version");
}

/// The Things Stack's `updf` encoding test carries a base64 string as `FRMPayload` (its
/// struct field is a plain string); on the wire that is not hex and is refused, naming the
/// field. With a hex payload the same message round-trips (hex written in lower case).
#[test]
fn updf_vector_with_a_non_hex_payload_is_refused() {
    let err = decode_up(UPDF_TTS).unwrap_err().to_string();
    assert!(err.starts_with("updf:") && err.contains("hex"), "{err}");
    let hex = UPDF_TTS
        .replace("Ymxhamthc25kJ3M=", "5fcc")
        .replace("\"FD\"", "\"fd\"");
    assert_eq!(reencode_up(&hex), hex);
}

#[test]
fn keys_are_case_insensitive_and_rctx_is_rtcx() {
    let lbs_spelling = JREQ
        .replace("JoinEui", "JoinEUI")
        .replace("DevEui", "DEVEUI")
        .replace("\"rtcx\":0", "\"rctx\":2")
        .replace("\"Freq\"", "\"freq\"");
    let TabsUp::Jreq(j) = decode_up(&lbs_spelling).unwrap() else {
        panic!("not a jreq");
    };
    assert_eq!(j.join_eui, Eui64(0x2222_2222_2222_2222));
    assert_eq!(j.dev_eui, Eui64(0x1111_1111_1111_1111));
    assert_eq!(j.radio.upinfo.rtcx, 2);
    assert_eq!(j.radio.freq, 868_300_000);
    // FCnt as the LoRa Basics Station spells it.
    let fcnt = UPDF_REVERSE.replace("Fcnt", "FCnt");
    let TabsUp::Updf(u) = decode_up(&fcnt).unwrap() else {
        panic!("not an updf");
    };
    assert_eq!(u.fcnt, 0xff42);
    // Missing keys are zero; unknown keys and message types are ignored.
    assert_eq!(
        decode_up(r#"{"msgtype":"dntxed","extra":[1]}"#).unwrap(),
        TabsUp::Dntxed(TabsDntxed::default())
    );
    assert_eq!(
        decode_up(r#"{"msgtype":"timesync","txtime":1.5}"#).unwrap(),
        TabsUp::Other("timesync".into())
    );
    // Fractions in integer fields are refused.
    assert!(decode_up(r#"{"msgtype":"dntxed","seqno":1.5}"#).is_err());
    assert!(decode_up(r#"{"msgtype":"jreq","DR":-1}"#).is_err());
}

#[test]
fn uplinks_rebuild_the_air_frame() {
    // §10.3: FCtrl 0x30 with one FOpts byte: FOptsLen is rebuilt (0x31).
    let text = UPDF_TTS
        .replace("Ymxhamthc25kJ3M=", "5fcc")
        .replace("\"FD\"", "\"fd\"");
    let TabsUp::Updf(u) = decode_up(&text).unwrap() else {
        panic!("not an updf");
    };
    let mut phy = Vec::new();
    u.write_phy_payload(&mut phy).unwrap();
    assert_eq!(
        phy,
        [
            0x40, 0x44, 0x33, 0x22, 0x11, 0x31, 25, 0, 0xfd, 0, 0x5f, 0xcc, 0x4e, 0x61, 0xbc, 0
        ]
    );
    // §10.4: the reverse vector's FCtrl 0xb0 (FOptsLen left out) gives the original frame.
    let TabsUp::Updf(u) = decode_up(UPDF_REVERSE).unwrap() else {
        panic!("not an updf");
    };
    phy.clear();
    u.write_phy_payload(&mut phy).unwrap();
    assert_eq!(
        phy,
        [
            0x40, 0xff, 0xff, 0xff, 0x42, 0xb2, 0x42, 0xff, 0xfe, 0xff, 0x42, 0xfe, 0xff, 0x42,
            0xff, 0xff, 0x0f
        ]
    );
    let TabsUp::Jreq(j) = decode_up(JREQ).unwrap() else {
        panic!("not a jreq");
    };
    phy.clear();
    j.write_phy_payload(&mut phy);
    assert_eq!(phy.len(), 23);
    assert_eq!(&phy[17..], [0x50, 0x46, 0x4e, 0x61, 0xbc, 0x00]);
}

#[test]
fn hub_splits_frames_into_the_reverse_vectors() {
    let mut hub = HubSession::new(HubConfig::default());
    let upinfo = radio(11_484_700).upinfo;
    let updf = [
        0x40, 0xff, 0xff, 0xff, 0x42, 0xb2, 0x42, 0xff, 0xfe, 0xff, 0x42, 0xfe, 0xff, 0x42, 0xff,
        0xff, 0x0f,
    ];
    let jreq = [
        0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x42, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x42, 0xff, 0x42, 0x42, 0xff, 0xff, 0x0f,
    ];
    hub.send_uplink(&updf, 1, 868_300_000, upinfo.clone())
        .unwrap();
    hub.send_uplink(&jreq, 1, 868_300_000, upinfo.clone())
        .unwrap();
    let mut buf = String::new();
    assert!(hub.poll_transmit(&mut buf));
    // The real FCtrl byte goes out (The Things Stack drops FOptsLen: 176).
    assert_eq!(buf, UPDF_REVERSE.replace("\"FCtrl\":176", "\"FCtrl\":178"));
    assert!(hub.poll_transmit(&mut buf));
    assert_eq!(buf, JREQ_REVERSE);
    // No message for proprietary frames.
    assert!(matches!(
        hub.send_uplink(&[0xe0, 1, 2], 1, 868_300_000, upinfo),
        Err(SessionError::InvalidArgument(_))
    ));
}

fn eu_plan(lora_std: Option<SingleDrChannelPlan>) -> ChannelPlan {
    let ch = |freq, radio| MultiSfChannelPlan {
        freq,
        radio,
        min_dr: 0,
        max_dr: 5,
    };
    ChannelPlan {
        region: Region::Eu868,
        tx_freq_range: [863_000_000, 870_000_000],
        max_eirp_dbm: None,
        concentrators: vec![ConcentratorPlan {
            radios: [
                Some(RadioPlan {
                    freq: 867_500_000,
                    antenna_gain: None,
                }),
                Some(RadioPlan {
                    freq: 868_500_000,
                    antenna_gain: None,
                }),
            ],
            multi_sf: vec![
                ch(868_100_000, 1),
                ch(868_300_000, 1),
                ch(868_500_000, 1),
                ch(867_100_000, 0),
                ch(867_300_000, 0),
                ch(867_500_000, 0),
                ch(867_700_000, 0),
                ch(867_900_000, 0),
            ],
            lora_std,
            fsk: None,
            lbt: None,
        }],
        beacon: None,
    }
}

const TTS_EU_DRS: &str = "[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[7,250,0],[0,0,0],[0,0,0],[0,0,0],[0,0,0],[0,0,0],[0,0,0],[0,0,0],[0,0,0],[0,0,0]]";
const FIXED_EU_DRS: &str = "[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[7,250,0],[0,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0]]";

#[test]
fn router_config_vectors() {
    assert_eq!(reencode_down(ROUTER_CONFIG_US), ROUTER_CONFIG_US);
    assert_eq!(reencode_down(ROUTER_CONFIG_EU), ROUTER_CONFIG_EU);
    let options = TabsRouterConfigOptions {
        clksrc: 1,
        mux_time: 1_554_300_787.123_456,
    };
    let built = build_tabs_router_config(&eu_plan(None), &options).unwrap();
    let mut out = String::new();
    built.encode(&mut out).unwrap();
    // Identical but for the fixed DRs table: -1 for undefined DRs.
    assert_eq!(out, ROUTER_CONFIG_EU.replace(TTS_EU_DRS, FIXED_EU_DRS));
    assert_eq!(built.config_region(), "EU863/tracknet");
}

#[test]
fn router_config_fixes() {
    // US915: DR8..13 carry the downlink-only flag, undefined DRs are -1.
    let us = Region::Us915.station_drs();
    assert_eq!(us[8], [12, 500, 1]);
    assert_eq!(us[14], [-1, 0, 0]);
    // A LoRa standard channel in the plan is enabled (SF7/250 kHz on radio 1).
    let plan = eu_plan(Some(SingleDrChannelPlan {
        freq: 868_300_000,
        radio: 1,
        dr: 6,
    }));
    let built = build_tabs_router_config(&plan, &TabsRouterConfigOptions::default()).unwrap();
    let mut out = String::new();
    built.encode(&mut out).unwrap();
    assert!(out.contains(r#""chan_Lora_std":{"enable":true,"radio":1,"if":-200000,"bandwidth":250000,"spread_factor":7},"chan_FSK":{"enable":false}"#), "{out}");
    // The plan is checked by the shared builder: a channel off its radio is refused.
    let mut bad = eu_plan(None);
    bad.concentrators[0].multi_sf[0].freq = 869_900_000;
    assert!(build_tabs_router_config(&bad, &TabsRouterConfigOptions::default()).is_err());
    assert_eq!(tabs_region(Region::As923_2), ("AS923", 7));
    assert_eq!(tabs_region(Region::Ru864), ("RU864", 11));
}

/// §10.6: session 0x11 (from an uplink), concentrator µs 1554300 → the derived `dnframe`.
#[test]
fn dnframe_vector_and_seqnos() {
    let now = Instant::now();
    let mut s = TabsSession::new(TabsConfig::default());
    s.send_router_config(0.0, decode_router_config(ROUTER_CONFIG_EU))
        .unwrap();
    let downlink = TabsDownlink {
        pdu: b"Ymxhamthc25kJ3M==".to_vec(),
        dr: 2,
        freq: 868_500_000,
        concentrator_micros: 1_554_300,
    };
    assert_eq!(
        s.send_downlink(now, 1.0, downlink.clone()),
        Err(SessionError::NoXtimeSession)
    );
    let up = JREQ.replace("12666373963464220", &(0x11_i64 << 48 | 5).to_string());
    s.handle_message(1.0, &up);
    let seqno = s
        .send_downlink(now, 1_554_300_787.123_456, downlink.clone())
        .unwrap();
    assert_eq!(seqno, 1);
    let mut buf = String::new();
    assert!(s.poll_transmit(&mut buf)); // router_config
    assert!(s.poll_transmit(&mut buf));
    assert_eq!(buf, DNFRAME);
    assert_eq!(s.send_downlink(now, 0.0, downlink).unwrap(), 2);
    // The hub reads it back.
    let Ok(TabsDown::Dnframe(d)) = decode_down(DNFRAME) else {
        panic!("not a dnframe");
    };
    assert_eq!(d.pdu, b"Ymxhamthc25kJ3M==");
    assert_eq!((d.seqno, d.dr, d.freq, d.rctx), (1, 2, 868_500_000, 0));
    assert_eq!(reencode_down(DNFRAME), DNFRAME);
}

fn decode_router_config(text: &str) -> TabsRouterConfig {
    match decode_down(text).unwrap() {
        TabsDown::RouterConfig(c) => *c,
        other => panic!("not a router_config: {other:?}"),
    }
}

#[test]
fn session_drops_and_refuses_what_tts_gets_wrong() {
    let mut s = TabsSession::new(TabsConfig::default());
    // No xtime: dropped, as at The Things Stack.
    s.handle_message(1.0, &JREQ.replace("12666373963464220", "0"));
    assert_eq!(
        s.poll_event(),
        Some(TabsEvent::UplinkWithoutXtime(
            crate::lns::UplinkKind::JoinRequest
        ))
    );
    // FPort -1 with a payload is not turned into port 0: the frame is refused.
    let no_port = UPDF_TTS
        .replace("Ymxhamthc25kJ3M=", "5fcc")
        .replace("\"FPort\":0", "\"FPort\":-1");
    s.handle_message(1.0, &no_port);
    assert!(matches!(
        s.poll_event(),
        Some(TabsEvent::InvalidFrame(FrameError::Fields(_)))
    ));
    // MType 0 in an updf.
    s.handle_message(1.0, r#"{"msgtype":"updf","upinfo":{"xtime":1}}"#);
    assert_eq!(
        s.poll_event(),
        Some(TabsEvent::InvalidFrame(FrameError::BadMhdr(0)))
    );
    // Garbage does not end the session.
    s.handle_message(1.0, "{");
    assert!(matches!(s.poll_event(), Some(TabsEvent::InvalidMessage(_))));
    // An unknown seqno is reported, not acknowledged.
    s.handle_message(1.0, DNTXED);
    assert!(matches!(s.poll_event(), Some(TabsEvent::TxUnmatched(_))));
    s.handle_timeout(Instant::now() + Duration::from_secs(60));
    assert_eq!(s.poll_event(), None);
}

fn upinfo_strategy() -> impl Strategy<Value = TabsUpInfo> {
    (
        0i64..4_000_000_000_000_000,
        any::<i64>(),
        any::<i64>(),
        -200i32..50,
        -30i32..30,
    )
        .prop_map(|(rx_us, rtcx, xtime, rssi, snr4)| TabsUpInfo {
            rxtime: rx_us as f64 / 1e6,
            rtcx,
            xtime,
            rssi: f64::from(rssi),
            snr: f64::from(snr4) / 4.0,
        })
}

fn radio_strategy() -> impl Strategy<Value = TabsRadio> {
    (
        proptest::option::of(1i64..4_000_000_000_000_000),
        any::<u8>(),
        any::<u32>(),
        upinfo_strategy(),
    )
        .prop_map(|(r, dr, freq, upinfo)| TabsRadio {
            ref_time: r.map(|us| us as f64 / 1e6),
            dr,
            freq,
            upinfo,
        })
}

fn up_strategy() -> impl Strategy<Value = TabsUp> {
    let bytes = |n| proptest::collection::vec(any::<u8>(), 0..n);
    prop_oneof![
        (
            any::<u8>(),
            any::<u64>(),
            any::<u64>(),
            any::<u16>(),
            any::<u32>(),
            radio_strategy()
        )
            .prop_map(
                |(mhdr, j, d, dev_nonce, mic, radio)| TabsUp::Jreq(TabsJreq {
                    mhdr,
                    join_eui: Eui64(j),
                    dev_eui: Eui64(d),
                    dev_nonce,
                    mic,
                    radio
                })
            ),
        (
            (any::<u8>(), any::<u32>(), any::<u8>(), any::<u16>()),
            (
                bytes(16),
                proptest::option::of(any::<u8>()),
                bytes(64),
                any::<u32>()
            ),
            any::<i64>(),
            radio_strategy()
        )
            .prop_map(
                |(
                    (mhdr, dev_addr, fctrl, fcnt),
                    (fopts, fport, frm_payload, mic),
                    region_id,
                    radio,
                )| {
                    TabsUp::Updf(TabsUpdf {
                        mhdr,
                        dev_addr,
                        fctrl,
                        fcnt,
                        fopts,
                        fport,
                        frm_payload,
                        mic,
                        region_id,
                        radio,
                    })
                }
            ),
        (any::<i64>(), any::<i64>(), any::<u64>()).prop_map(|(seqno, router_id, e)| {
            TabsUp::Dntxed(TabsDntxed {
                seqno,
                router_id,
                dev_eui: Eui64(e),
            })
        }),
        ("[ -~]{0,12}", "[ -~]{0,12}")
            .prop_map(|(station, firmware)| TabsUp::Version(TabsVersion { station, firmware })),
    ]
}

proptest! {
    #[test]
    fn up_messages_round_trip(msg in up_strategy()) {
        let mut out = String::new();
        msg.encode(&mut out).unwrap();
        prop_assert_eq!(decode_up(&out).unwrap(), msg);
    }

    #[test]
    fn dnframes_round_trip(seqno: i64, pdu in proptest::collection::vec(any::<u8>(), 0..255),
                           dr: u8, freq: u32, xtime: i64, rctx: i64,
                           mux_us in 0i64..4_000_000_000_000_000) {
        let msg = TabsDown::Dnframe(TabsDnframe {
            seqno, pdu, dr, freq, xtime, rctx, mux_time: mux_us as f64 / 1e6,
        });
        let mut out = String::new();
        msg.encode(&mut out).unwrap();
        prop_assert_eq!(decode_down(&out).unwrap(), msg);
    }

    #[test]
    fn built_router_configs_round_trip(n in 0usize..=8, clksrc in 0u8..2, mux_us in 0i64..4_000_000_000_000_000,
                                       std in any::<bool>()) {
        let mut plan = eu_plan(std.then_some(SingleDrChannelPlan { freq: 868_300_000, radio: 1, dr: 6 }));
        plan.concentrators[0].multi_sf.truncate(n);
        let built = build_tabs_router_config(
            &plan,
            &TabsRouterConfigOptions { clksrc, mux_time: mux_us as f64 / 1e6 },
        ).unwrap();
        let mut out = String::new();
        TabsDown::RouterConfig(Box::new(built.clone())).encode(&mut out).unwrap();
        prop_assert_eq!(decode_router_config(&out), built);
    }
}
