//! Translation vectors of The Things Stack's Semtech UDP translation tests (examples 1–6) and
//! round trips through the wire format.

use loragw_semtech_udp::{
    Packet, ProtocolVersion, PullResp, Rxpk, Stat, TxError, TxWarning, Txpk, TxpkAck,
};
use loragw_ttnpb::data_rate::Modulation;
use loragw_ttnpb::downlink_message::Settings;
use loragw_ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_ttnpb::{
    BoolValue, DataRate, DownlinkMessage, FloatValue, LocationSource, RxMetadata, Timestamp,
    TxSettings, tx_settings,
};
use serde_json::{Value, json};

use super::*;
use crate::error::TranslateError;
use crate::ids::{Eui64, GatewayIds};

fn gw() -> GatewayIds {
    GatewayIds::new("test-gateway", Some(Eui64::from_u64(0x0102030405060708)))
}

/// Decodes the JSON of one `rxpk` the way a server receives it: in a PUSH_DATA datagram.
fn push_data(body: Value) -> loragw_semtech_udp::PushData {
    let mut d = vec![2, 0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    d.extend_from_slice(body.to_string().as_bytes());
    let Packet::PushData(p) = Packet::decode(&d).unwrap() else {
        panic!("not PUSH_DATA")
    };
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    p
}

fn rxpk(v: Value) -> Rxpk {
    push_data(json!({ "rxpk": [v] })).rxpk.remove(0)
}

fn stat(v: Value) -> Stat {
    *push_data(json!({ "stat": v })).stat.unwrap()
}

/// Decodes the JSON of one `txpk` the way a gateway receives it: in a PULL_RESP datagram.
fn decode_txpk(v: Value) -> Txpk {
    let mut d = vec![2, 0, 1, 3];
    d.extend_from_slice(json!({ "txpk": v }).to_string().as_bytes());
    let Packet::PullResp(p) = Packet::decode(&d).unwrap() else {
        panic!("not PULL_RESP")
    };
    p.txpk
}

fn ts(seconds: i64, nanos: i32) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos })
}

/// The JSON object of a PULL_RESP's `txpk`, as the wire crate encodes it.
fn txpk_json(txpk: Txpk) -> Value {
    let mut out = Vec::new();
    Packet::PullResp(PullResp {
        version: ProtocolVersion::V2,
        token: 1,
        txpk,
    })
    .encode(&mut out)
    .unwrap();
    let body: Value = serde_json::from_slice(&out[4..]).unwrap();
    body["txpk"].clone()
}

#[test]
fn example_1_status() {
    let stat = stat(
        json!({"rxfw":0,"hal":"5.1.0","fpga":2,"dsp":31,"lpps":2,"lmnw":3,"lmst":1,"lmok":3,"temp":30.5,"lati":52.34223,"long":5.29685,"txnb":0,"dwnb":0,"alti":66,"rxok":0,"boot":"2017-06-07 09:40:42 GMT","time":"2017-06-08 09:40:42 GMT","rxnb":0,"ackr":0.0}),
    );
    let status = stat_to_status(&stat, Some("192.0.2.7".parse().unwrap()));
    // 2017-06-08T09:40:42Z and 2017-06-07T09:40:42Z.
    assert_eq!(status.time, ts(1_496_914_842, 0));
    assert_eq!(status.boot_time, ts(1_496_828_442, 0));
    let versions: Vec<(&str, &str)> = status
        .versions
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        versions,
        [
            ("dsp", "31"),
            ("fpga", "2"),
            ("hal", "5.1.0"),
            (GATEWAY_SERVER_VERSION_KEY, env!("CARGO_PKG_VERSION"))
        ]
    );
    let metrics: Vec<(&str, f32)> = status
        .metrics
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        metrics,
        [
            ("ackr", 0.0),
            ("lmnw", 3.0),
            ("lmok", 3.0),
            ("lmst", 1.0),
            ("lpps", 2.0),
            ("rxfw", 0.0),
            ("rxin", 0.0),
            ("rxok", 0.0),
            ("temp", 30.5),
            ("txin", 0.0),
            ("txok", 0.0)
        ]
    );
    assert_eq!(status.antenna_locations.len(), 1);
    let loc = &status.antenna_locations[0];
    assert_eq!(
        (loc.latitude, loc.longitude, loc.altitude),
        (52.34223, 5.29685, 66)
    );
    assert_eq!(loc.source(), LocationSource::SourceGps);
    assert_eq!(status.ip, ["192.0.2.7"]);
}

#[test]
fn placeholder_locations_are_dropped() {
    for (lat, lon) in [(0.0, 0.0), (10.0005, 19.9995), (91.0, 0.0)] {
        let stat = stat(json!({"lati": lat, "long": lon, "alti": 5}));
        assert!(
            stat_to_status(&stat, None).antenna_locations.is_empty(),
            "{lat},{lon}"
        );
    }
    let only_lat = stat(json!({"lati": 52.0}));
    assert!(stat_to_status(&only_lat, None).antenna_locations.is_empty());
}

#[test]
fn example_2_lora_rxpk() {
    let up = rxpk_to_uplink(
        &gw(),
        &rxpk(json!({"tmst":368384825,"chan":0,"rfch":0,"freq":868.100000,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","lsnr":-11,"rssi":-107,"size":4,"data":"QAECAw=="})),
        ts(1_700_000_000, 5),
    )
    .unwrap();
    assert_eq!(up.raw_payload, [0x40, 0x01, 0x02, 0x03]);
    let settings = up.settings.as_ref().unwrap();
    assert_eq!(settings.data_rate, Some(DataRate::lora(7, 125_000, "4/5")));
    assert_eq!(settings.frequency, 868_100_000);
    assert_eq!(settings.timestamp, 368_384_825);
    assert_eq!(settings.time, None);
    assert_eq!(up.crc_status, Some(BoolValue { value: true }));
    assert_eq!(up.received_at, ts(1_700_000_000, 5));
    assert_eq!(
        without_tokens(&up.rx_metadata),
        [RxMetadata {
            gateway_ids: Some(gw().to_ttnpb()),
            timestamp: 368_384_825,
            rssi: -107.0,
            channel_rssi: -107.0,
            snr: -11.0,
            ..Default::default()
        }]
    );
}

#[test]
fn frequency_is_rounded_not_truncated() {
    // 868.3 * 1e6 = 868299999.9999999 in binary floating point: The Things Stack stores 868299999.
    let up = rxpk_to_uplink(
        &gw(),
        &rxpk(json!({"tmst":1,"freq":868.3,"datr":"SF7BW125","data":"AA=="})),
        None,
    )
    .unwrap();
    assert_eq!(up.settings.unwrap().frequency, 868_300_000);
}

#[test]
fn example_3_lr_fhss() {
    let up = rxpk_to_uplink(
        &gw(),
        &rxpk(json!({"tmst":1,"freq":868.1,"stat":-1,"modu":"LR-FHSS","datr":"M0CW125","codr":"4/6","hpw":52,"rssi":-90,"data":"AA=="})),
        None,
    )
    .unwrap();
    assert_eq!(
        up.settings.as_ref().unwrap().data_rate,
        Some(DataRate::lrfhss(0, 125_000, "2/3"))
    );
    assert_eq!(up.rx_metadata[0].hopping_width, 52);
    assert_eq!(up.crc_status, Some(BoolValue { value: false }));
}

#[test]
fn fsk_and_coding_rate_reductions() {
    let up = rxpk_to_uplink(
        &gw(),
        &rxpk(json!({"tmst":1,"freq":868.8,"modu":"FSK","datr":50000,"data":"AA=="})),
        None,
    )
    .unwrap();
    assert_eq!(up.settings.unwrap().data_rate, Some(DataRate::fsk(50_000)));
    for (codr, want) in [("4/8", "1/2"), ("2/6", "1/3"), ("1/3", "1/3")] {
        let up = rxpk_to_uplink(
            &gw(),
            &rxpk(json!({"tmst":1,"freq":868.1,"datr":"M0CW137","codr":codr,"data":"AA=="})),
            None,
        )
        .unwrap();
        assert_eq!(
            up.settings.unwrap().data_rate,
            Some(DataRate::lrfhss(0, 137_000, want))
        );
    }
}

#[test]
fn example_4_multi_antenna_rsig() {
    let up = rxpk_to_uplink(
        &gw(),
        &rxpk(json!({
            "tmst":879148780,"time":"2017-07-04T13:51:17.997099Z","aesk":42,"chan":7,"rfch":0,"freq":867.9,
            "stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","size":24,
            "data":"gM+AMQcAvgQBlohnlJqUGOJKTDuTscQD",
            "rsig":[
                {"ant":0,"chan":7,"lsnr":14,"etime":"42QMzOlYSSPMMeqVPrY0fQ==","rssis":-92,"rssic":-95,"rssisd":0,"ftime":1255738435,"foff":-8898},
                {"ant":1,"chan":23,"lsnr":13.5,"rssis":-88,"rssic":-93,"rssisd":1,"ftime":1252538436,"foff":-8894,"fdri":12}
            ]})),
        None,
    )
    .unwrap();
    assert_eq!(
        up.raw_payload,
        [
            0x80, 0xcf, 0x80, 0x31, 0x07, 0x00, 0xbe, 0x04, 0x01, 0x96, 0x88, 0x67, 0x94, 0x9a,
            0x94, 0x18, 0xe2, 0x4a, 0x4c, 0x3b, 0x93, 0xb1, 0xc4, 0x03
        ]
    );
    let time = ts(1_499_176_277, 997_099_000);
    assert_eq!(up.settings.as_ref().unwrap().time, time);
    let base = RxMetadata {
        gateway_ids: Some(gw().to_ttnpb()),
        timestamp: 879_148_780,
        time,
        ..Default::default()
    };
    assert_eq!(
        without_tokens(&up.rx_metadata),
        [
            RxMetadata {
                antenna_index: 0,
                channel_index: 7,
                rssi: -95.0,
                channel_rssi: -95.0,
                signal_rssi: Some(FloatValue { value: -92.0 }),
                snr: 14.0,
                encrypted_fine_timestamp: vec![
                    0xe3, 0x64, 0x0c, 0xcc, 0xe9, 0x58, 0x49, 0x23, 0xcc, 0x31, 0xea, 0x95, 0x3e,
                    0xb6, 0x34, 0x7d
                ],
                encrypted_fine_timestamp_key_id: "42".into(),
                fine_timestamp: 1_255_738_435,
                frequency_offset: -8898,
                ..base.clone()
            },
            RxMetadata {
                antenna_index: 1,
                channel_index: 23,
                rssi: -93.0,
                channel_rssi: -93.0,
                signal_rssi: Some(FloatValue { value: -88.0 }),
                rssi_standard_deviation: 1.0,
                snr: 13.5,
                fine_timestamp: 1_252_538_436,
                frequency_offset: -8894,
                frequency_drift: 12,
                ..base
            }
        ]
    );
}

#[test]
fn tmms_sets_gps_time_and_time() {
    // 1_000_000_000_000 GPS ms = 2011-09-14T01:46:25Z (15 leap seconds then); `time` is ignored.
    let up = rxpk_to_uplink(
        &gw(),
        &rxpk(json!({"tmst":1,"tmms":1_000_000_000_123_u64,"time":"2000-01-01T00:00:00Z","freq":868.1,"datr":"SF7BW125","data":"AA=="})),
        None,
    )
    .unwrap();
    let want = ts(1_315_964_785, 123_000_000);
    assert_eq!(up.rx_metadata[0].gps_time, want);
    assert_eq!(up.rx_metadata[0].time, want);
    assert_eq!(up.settings.unwrap().time, want);
}

#[test]
fn only_copies_of_one_reception_merge() {
    // One frame on two antennas (same frequency and data rate): one uplink, two metadata.
    let a = rxpk(
        json!({"tmst":1,"ant":0,"chan":0,"freq":868.1,"datr":"SF7BW125","rssi":-110,"data":"AQID"}),
    );
    let b = rxpk(
        json!({"tmst":1,"ant":1,"chan":0,"freq":868.1,"datr":"SF7BW125","rssi":-60,"data":"AQID"}),
    );
    // The same antenna reported twice: the better RSSI stays.
    let b_again = rxpk(
        json!({"tmst":1,"ant":1,"chan":0,"freq":868.1,"datr":"SF7BW125","rssi":-80,"data":"AQID"}),
    );
    // Equal bytes as FSK on 868.8 MHz and as LoRa on 868.3 MHz: other radio frames.
    let fsk = rxpk(
        json!({"tmst":1,"chan":8,"freq":868.8,"modu":"FSK","datr":50000,"rssi":-70,"data":"AQID"}),
    );
    let other_channel =
        rxpk(json!({"tmst":1,"chan":1,"freq":868.3,"datr":"SF7BW125","rssi":-70,"data":"AQID"}));
    let other_dr =
        rxpk(json!({"tmst":1,"chan":0,"freq":868.1,"datr":"SF9BW125","rssi":-70,"data":"AQID"}));
    let (ups, errors) =
        rxpks_to_uplinks(&gw(), &[a, b, b_again, fsk, other_channel, other_dr], None);
    assert!(errors.is_empty());
    let summary: Vec<(u64, usize)> = ups
        .iter()
        .map(|u| (u.settings.as_ref().unwrap().frequency, u.rx_metadata.len()))
        .collect();
    assert_eq!(
        summary,
        [
            (868_100_000, 2),
            (868_800_000, 1),
            (868_300_000, 1),
            (868_100_000, 1)
        ]
    );
    let rssi: Vec<(u32, f32)> = ups[0]
        .rx_metadata
        .iter()
        .map(|m| (m.antenna_index, m.rssi))
        .collect();
    assert_eq!(rssi, [(0, -110.0), (1, -60.0)]);
    assert_eq!(
        ups[1].settings.as_ref().unwrap().data_rate,
        Some(DataRate::fsk(50_000))
    );
}

fn scheduled(settings: TxSettings, payload: &[u8]) -> DownlinkMessage {
    DownlinkMessage {
        raw_payload: payload.to_vec(),
        settings: Some(Settings::Scheduled(settings)),
        ..Default::default()
    }
}

#[test]
fn example_5_immediate_downlink_json() {
    let payload = [
        0x1f, 0x73, 0xf7, 0x37, 0x68, 0xbd, 0xa9, 0xce, 0x32, 0xb7, 0xba, 0xca, 0xee, 0x57, 0x6a,
        0xa1, 0xe0, 0x95, 0x24, 0x60, 0x72, 0x6f, 0x33, 0xd8, 0xe6, 0x1d, 0x43, 0x77, 0xb3, 0xfb,
        0xa7, 0xcb,
    ];
    let down = scheduled(
        TxSettings {
            data_rate: Some(DataRate::lora(11, 125_000, "4/6")),
            frequency: 864_123_456,
            downlink: Some(tx_settings::Downlink {
                tx_power: 16.15,
                ..Default::default()
            }),
            enable_crc: true,
            ..Default::default()
        },
        &payload,
    );
    let txpk = downlink_to_txpk(&down).unwrap();
    // The reference's unpadded base64 decodes to the same bytes; we write it padded.
    assert_eq!(
        txpk_json(txpk.clone()),
        json!({"imme":true,"freq":864.123456,"rfch":0,"powe":14,"modu":"LORA","datr":"SF11BW125","codr":"4/6","ipol":false,"ncrc":false,"size":32,"data":"H3P3N2i9qc4yt7rK7ldqoeCVJGBybzPY5h1Dd7P7p8s="})
    );
    let parsed = decode_txpk(
        json!({"imme":true,"freq":864.123456,"rfch":0,"powe":14,"modu":"LORA","datr":"SF11BW125","codr":"4/6","ipol":false,"size":32,"data":"H3P3N2i9qc4yt7rK7ldqoeCVJGBybzPY5h1Dd7P7p8v"}),
    );
    assert_eq!(parsed.data, payload);
}

#[test]
fn example_6_class_a_and_fsk_downlinks() {
    let down = scheduled(
        TxSettings {
            data_rate: Some(DataRate::lora(10, 500_000, "4/5")),
            frequency: 925_700_000,
            timestamp: 1_886_440_700,
            downlink: Some(tx_settings::Downlink {
                tx_power: 20.0,
                invert_polarization: true,
                antenna_index: 0,
            }),
            ..Default::default()
        },
        &[0x7d, 0xf3, 0x8e],
    );
    assert_eq!(
        txpk_json(downlink_to_txpk(&down).unwrap()),
        json!({"imme":false,"tmst":1886440700,"freq":925.7,"rfch":0,"powe":17,"modu":"LORA","datr":"SF10BW500","codr":"4/5","ipol":true,"ncrc":true,"size":3,"data":"ffOO"})
    );
    let fsk = scheduled(
        TxSettings {
            data_rate: Some(DataRate::fsk(50_000)),
            frequency: 869_525_000,
            timestamp: 5,
            downlink: Some(tx_settings::Downlink {
                tx_power: 16.15,
                antenna_index: 1,
                invert_polarization: false,
            }),
            ..Default::default()
        },
        &[1],
    );
    let txpk = downlink_to_txpk(&fsk).unwrap();
    assert_eq!(txpk.fdev, Some(25_000));
    assert_eq!(txpk.ant, Some(1));
    assert_eq!(txpk.ipol, None);
    assert_eq!(txpk.ncrc, None);
    assert_eq!(
        txpk_json(txpk),
        json!({"imme":false,"tmst":5,"freq":869.525,"rfch":0,"powe":14,"ant":1,"modu":"FSK","datr":50000,"fdev":25000,"size":1,"data":"AQ=="})
    );
}

/// The Things Stack's ISM 2400 band calls `BW812` 812000 Hz and refuses a downlink with 812500:
/// ttnpb values carry 812000, and both values are accepted on the way in.
#[test]
fn bw812_is_812000_hz_in_ttnpb() {
    let up = rxpk_to_uplink(
        &gw(),
        &rxpk(json!({"tmst":1,"freq":2425.0,"datr":"SF12BW812","codr":"4/8LI","rssi":-80,"lsnr":5,"data":"QAECAw=="})),
        None,
    )
    .unwrap();
    assert_eq!(
        up.settings.unwrap().data_rate,
        Some(DataRate::lora(12, 812_000, "4/8LI"))
    );
    for hz in [812_000, 812_500] {
        let down = scheduled(
            TxSettings {
                data_rate: Some(DataRate::lora(12, hz, "4/8LI")),
                frequency: 2_425_000_000,
                timestamp: 7,
                ..Default::default()
            },
            &[1],
        );
        let txpk = downlink_to_txpk(&down).unwrap();
        assert_eq!(txpk_json(txpk.clone())["datr"], "SF12BW812", "{hz}");
        // Back to ttnpb: 812000 whichever value came in.
        let back = txpk_to_downlink(&txpk).unwrap();
        let Some(Settings::Scheduled(s)) = back.settings else {
            panic!("not scheduled")
        };
        assert_eq!(s.data_rate, Some(DataRate::lora(12, 812_000, "4/8LI")));
    }
}

#[test]
fn absolute_time_downlinks_use_tmms() {
    let down = scheduled(
        TxSettings {
            data_rate: Some(DataRate::lora(12, 125_000, "4/5")),
            frequency: 869_525_000,
            time: ts(1_315_964_785, 500_000_000),
            ..Default::default()
        },
        &[1],
    );
    let txpk = downlink_to_txpk(&down).unwrap();
    assert_eq!(
        txpk.timing,
        loragw_semtech_udp::TxTiming::GpsTime(1_000_000_000_500)
    );
    assert_eq!(txpk.powe, None);
    assert_eq!(
        txpk_to_downlink(&txpk).unwrap().settings,
        down.settings.map(|s| match s {
            Settings::Scheduled(mut s) => {
                s.downlink = Some(Default::default());
                Settings::Scheduled(s)
            }
            other => other,
        })
    );
}

#[test]
fn lr_fhss_and_unscheduled_downlinks_are_refused() {
    let down = scheduled(
        TxSettings {
            data_rate: Some(DataRate::lrfhss(0, 137_000, "1/3")),
            frequency: 868_100_000,
            ..Default::default()
        },
        &[1],
    );
    assert_eq!(
        downlink_to_txpk(&down),
        Err(TranslateError::Unsupported {
            protocol: "Semtech UDP",
            what: "LR-FHSS downlinks"
        })
    );
    let request = DownlinkMessage {
        settings: Some(Settings::Request(Default::default())),
        ..Default::default()
    };
    assert!(matches!(
        downlink_to_txpk(&request),
        Err(TranslateError::Invalid {
            field: "settings",
            ..
        })
    ));
    assert_eq!(
        downlink_to_txpk(&DownlinkMessage::default()),
        Err(TranslateError::Missing("settings.scheduled"))
    );
}

#[test]
fn every_txpk_ack_result_and_warn_is_success() {
    let cases = [
        (TxpkAck::success(), TxResult::Success),
        (TxpkAck::rejected(TxError::TooLate), TxResult::TooLate),
        (TxpkAck::rejected(TxError::TooEarly), TxResult::TooEarly),
        (
            TxpkAck::rejected(TxError::CollisionPacket),
            TxResult::CollisionPacket,
        ),
        (
            TxpkAck::rejected(TxError::CollisionBeacon),
            TxResult::CollisionBeacon,
        ),
        (TxpkAck::rejected(TxError::TxFreq), TxResult::TxFreq),
        (TxpkAck::rejected(TxError::TxPower), TxResult::TxPower),
        (
            TxpkAck::rejected(TxError::GpsUnlocked),
            TxResult::GpsUnlocked,
        ),
        (
            TxpkAck::rejected(TxError::Other("UNKNOWN".into())),
            TxResult::UnknownError,
        ),
        (
            TxpkAck {
                warn: Some(TxWarning::TxPower),
                value: Some(loragw_semtech_udp::AckValue::Number(14)),
                ..TxpkAck::default()
            },
            TxResult::Success,
        ),
    ];
    for (ack, want) in cases {
        let got = txpk_ack_to_tx_ack(&ack);
        assert_eq!(got.result(), want, "{ack:?}");
        if ack.warn.is_none() {
            assert_eq!(tx_ack_to_txpk_ack(&got), ack);
        }
    }
    // The sx1302 forwarder's power warning, as it arrives on the wire.
    let mut dgram = vec![2, 0, 7, 5, 1, 2, 3, 4, 5, 6, 7, 8];
    dgram.extend_from_slice(br#"{"txpk_ack":{"warn":"TX_POWER","value":14}}"#);
    let Packet::TxAck(ack) = Packet::decode(&dgram).unwrap() else {
        panic!("not a TX_ACK")
    };
    assert_eq!(txpk_ack_to_tx_ack(&ack.ack).result(), TxResult::Success);
}

#[test]
fn uplink_to_rxpk_inverts_rxpk_to_uplink() {
    for v in [
        json!({"tmst":368384825,"chan":3,"freq":868.1,"stat":1,"datr":"SF7BW125","codr":"4/5","lsnr":-11.25,"rssi":-107,"rssis":-109,"foff":-120,"ftime":999,"ant":2,"data":"QAECAw=="}),
        json!({"tmst":1,"tmms":1_000_000_000_123_u64,"freq":868.8,"datr":50000,"rssi":-50,"lsnr":0,"chan":0,"data":"AA=="}),
        json!({"tmst":879148780,"time":"2017-07-04T13:51:17.997099Z","aesk":42,"freq":867.9,"datr":"SF7BW125","codr":"4/5","data":"gM+A","rsig":[
            {"ant":0,"chan":7,"lsnr":14,"etime":"42QMzOlYSSPMMeqVPrY0fQ==","rssis":-92,"rssic":-95,"ftime":1255738435,"foff":-8898},
            {"ant":1,"chan":23,"lsnr":13.5,"rssic":-93,"rssisd":1}]}),
    ] {
        let up = rxpk_to_uplink(&gw(), &rxpk(v), None).unwrap();
        let back = uplink_to_rxpk(&up).unwrap();
        assert_eq!(rxpk_to_uplink(&gw(), &back, None).unwrap(), up);
    }
    let m = rxpk_to_uplink(
        &gw(),
        &rxpk(json!({"tmst":1,"freq":868.1,"datr":"SF7BW125","data":"AA=="})),
        None,
    )
    .unwrap();
    assert!(matches!(
        m.settings.unwrap().data_rate.unwrap().modulation,
        Some(Modulation::Lora(_))
    ));
}

#[test]
fn status_to_stat_inverts_stat_to_status() {
    let stat = stat(
        json!({"rxfw":4,"hal":"5.1.0","fpga":2,"dsp":31,"lpps":2,"lmnw":3,"lmst":1,"lmok":3,"temp":30.5,"lati":52.34223,"long":5.29685,"txnb":7,"dwnb":8,"alti":66,"rxok":5,"boot":"2017-06-07 09:40:42 GMT","time":"2017-06-08 09:40:42 GMT","rxnb":6,"ackr":100.0,"pfrm":"IMST + Rpi","hver":{"dsp0":4,"dsp1":5}}),
    );
    let status = stat_to_status(&stat, None);
    assert_eq!(
        status.versions.get("platform").map(String::as_str),
        Some("IMST + Rpi")
    );
    assert_eq!(stat_to_status(&status_to_stat(&status), None), status);
}

/// The metadata with their uplink tokens checked (each names the entry's gateway, antenna and
/// timestamp) and cleared, for comparing the rest field by field.
fn without_tokens(mds: &[RxMetadata]) -> Vec<RxMetadata> {
    mds.iter()
        .map(|m| {
            let t = crate::reply::decode_uplink_token(&m.uplink_token).expect("an uplink token");
            let ids = t.ids.expect("antenna ids");
            assert_eq!(
                (ids.gateway_ids, ids.antenna_index, t.timestamp),
                (m.gateway_ids.clone(), m.antenna_index, m.timestamp)
            );
            RxMetadata {
                uplink_token: Vec::new(),
                ..m.clone()
            }
        })
        .collect()
}

/// `rxpks_into_uplinks` (owned `rxpk`s, `data` moved) gives what `rxpks_to_uplinks` gives:
/// merged copies, several antennas, `rsig`, FSK, a join-request, an unparsable frame, and
/// an `rxpk` that does not translate (its index reported alike).
#[test]
fn owned_rxpks_translate_as_borrowed_ones() {
    let rxpks: Vec<Rxpk> = [
        json!({"tmst":1,"ant":0,"chan":0,"freq":868.1,"datr":"SF7BW125","codr":"4/5","rssi":-110,"lsnr":7.5,"data":"QAQDAgGAKgAKAQIDBAUGBwgJCgsMoaKjpA=="}),
        json!({"tmst":1,"ant":1,"chan":0,"freq":868.1,"datr":"SF7BW125","codr":"4/5","rssi":-60,"lsnr":9,"data":"QAQDAgGAKgAKAQIDBAUGBwgJCgsMoaKjpA=="}),
        json!({"tmst":2,"chan":8,"freq":868.8,"modu":"FSK","datr":50000,"rssi":-70,"data":"AQID"}),
        json!({"tmst":3,"tmms":1_000_000_000_123_u64,"freq":868.3,"datr":"SF12BW125","codr":"4/6","data":"AAEBAQEBAQEBAgICAgICAgIDBAUGBwg="}),
        json!({"tmst":4,"freq":868.5,"datr":"SF9BW125","lsnr":1e300,"data":"AQID"}),
        json!({"tmst":879148780,"time":"2017-07-04T13:51:17.997099Z","aesk":42,"freq":867.9,"stat":1,"datr":"SF7BW125","codr":"4/5","data":"gM+AMQcAvgQBlohnlJqUGOJKTDuTscQD","rsig":[
            {"ant":0,"chan":7,"lsnr":14,"etime":"42QMzOlYSSPMMeqVPrY0fQ==","rssis":-92,"rssic":-95,"ftime":1255738435,"foff":-8898},
            {"ant":1,"chan":23,"lsnr":13.5,"rssic":-93,"rssisd":1}]}),
        json!({"tmst":5,"freq":869.525,"stat":-1,"datr":"SF10BW125","data":"4AEC"}),
    ]
    .into_iter()
    .map(rxpk)
    .collect();
    let received = Some(Timestamp {
        seconds: 1_700_000_000,
        nanos: 5,
    });
    for n in 0..=rxpks.len() {
        let (borrowed, borrowed_errors) = rxpks_to_uplinks(&gw(), &rxpks[..n], received);
        let (owned, owned_errors) = rxpks_into_uplinks(&gw(), rxpks[..n].to_vec(), received);
        assert_eq!(owned, borrowed, "first {n} rxpks");
        assert_eq!(owned_errors, borrowed_errors);
    }
    let (all, errors) = rxpks_to_uplinks(&gw(), &rxpks, received);
    let indices: Vec<usize> = errors.iter().map(|(i, _)| *i).collect();
    assert_eq!((all.len(), indices), (5, vec![4]));
    assert_eq!(all[0].rx_metadata.len(), 2, "the two antennas merge");
}
