//! proptest: any `UplinkMessage` a protocol can carry survives the gateway-side translation,
//! the protocol's wire encoding, its decoding and the server-side translation unchanged.
//!
//! Each strategy generates only what its protocol can express (the limits are listed next to
//! it); the messages are in the normalized form the adapters produce (parsed `payload`,
//! `settings.time` = metadata time, connection gateway ids).

// Helpers outside `#[test]` functions unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use loragw_basicstation::message::decode_up;
use loragw_basicstation::region::Region;
use loragw_gateway_io::adapter::lorawan::parse_phy_payload;
use loragw_gateway_io::adapter::{lbs, mqtt_v2, mqtt_v3, udp};
use loragw_gateway_io::ids::{Eui64, GatewayIds};
use loragw_gateway_io::ttnpb::prost::Message as _;
use loragw_gateway_io::ttnpb::time::gps_micros_to_timestamp;
use loragw_gateway_io::ttnpb::{
    BoolValue, DataRate, FloatValue, RxMetadata, Timestamp, TxSettings, UplinkMessage,
};
use loragw_semtech_udp::{GatewayEui, Packet, ProtocolVersion, PushData};
use proptest::prelude::*;

fn gw() -> GatewayIds {
    GatewayIds::new("prop-gw", Some(Eui64::from_u64(0xAABB_CCDD_0011_2233)))
}

/// `up` after checking that every metadata entry got an uplink token, with the tokens cleared
/// (the generated messages carry none; the server adds them).
fn without_tokens(mut up: UplinkMessage) -> UplinkMessage {
    for md in &mut up.rx_metadata {
        let token = loragw_gateway_io::reply::decode_uplink_token(&md.uplink_token)
            .expect("an uplink token");
        assert_eq!(token.timestamp, md.timestamp);
        md.uplink_token.clear();
    }
    up
}

fn received() -> Option<Timestamp> {
    Some(Timestamp {
        seconds: 1_800_000_000,
        nanos: 1_000,
    })
}

/// Gateway time: GPS (µs precision rounded to `gps_unit_us`) → (time, gps_time), or Unix µs →
/// (time, None), or nothing.
fn times(gps_unit_us: u64) -> impl Strategy<Value = (Option<Timestamp>, Option<Timestamp>)> {
    prop_oneof![
        Just((None, None)),
        (1_000_000_000_000_000u64..1_600_000_000_000_000u64).prop_map(move |us| {
            let t = gps_micros_to_timestamp(us / gps_unit_us * gps_unit_us).unwrap();
            (Some(t), Some(t))
        }),
        (1_000_000_000i64..2_000_000_000i64, 0i32..1_000_000).prop_map(|(s, us)| {
            (
                Some(Timestamp {
                    seconds: s,
                    nanos: us * 1000,
                }),
                None,
            )
        }),
    ]
}

fn quarter_db(range: std::ops::RangeInclusive<i32>) -> impl Strategy<Value = f32> {
    range.prop_map(|q| q as f32 / 4.0)
}

fn whole_dbm() -> impl Strategy<Value = f32> {
    (-140i32..=-1).prop_map(|v| v as f32)
}

fn lora_or_fsk(coding_rates: &'static [&'static str]) -> impl Strategy<Value = DataRate> {
    prop_oneof![
        (
            7u32..=12,
            prop::sample::select(&[125_000u32, 250_000, 500_000][..]),
            prop::sample::select(coding_rates)
        )
            .prop_map(|(sf, bw, cr)| DataRate::lora(sf, bw, cr)),
        (1_000u32..300_000).prop_map(DataRate::fsk),
    ]
}

fn message(
    raw: Vec<u8>,
    data_rate: DataRate,
    frequency: u64,
    timestamp: u32,
    (time, gps_time): (Option<Timestamp>, Option<Timestamp>),
    rx_metadata: Vec<RxMetadata>,
    crc_status: Option<bool>,
) -> UplinkMessage {
    let ids = gw().to_ttnpb();
    UplinkMessage {
        payload: parse_phy_payload(&raw),
        raw_payload: raw,
        settings: Some(TxSettings {
            data_rate: Some(data_rate),
            frequency,
            timestamp,
            time,
            ..Default::default()
        }),
        rx_metadata: rx_metadata
            .into_iter()
            .map(|md| RxMetadata {
                gateway_ids: Some(ids.clone()),
                timestamp,
                time,
                gps_time,
                ..md
            })
            .collect(),
        received_at: received(),
        crc_status: crc_status.map(|value| BoolValue { value }),
        ..Default::default()
    }
}

// ---- Semtech UDP: every data rate kind incl. LR-FHSS, 1–3 antennas with every rsig field,
// ---- whole-dBm RSSI, GPS time in ms (`tmms`), u32 fine timestamps and offsets.

fn udp_metadata(encrypted: bool) -> impl Strategy<Value = RxMetadata> {
    (
        (
            0u32..4,
            0u32..16,
            whole_dbm(),
            prop::option::of(whole_dbm()),
            0u32..20,
        ),
        (
            quarter_db(-80..=60),
            any::<i32>(),
            any::<u32>(),
            any::<i32>(),
            prop::collection::vec(any::<u8>(), 16),
        ),
    )
        .prop_map(
            move |((ant, chan, rssi, signal, sd), (snr, foff, ftime, drift, etime))| RxMetadata {
                antenna_index: ant,
                channel_index: chan,
                rssi,
                channel_rssi: rssi,
                signal_rssi: signal.map(|value| FloatValue { value }),
                rssi_standard_deviation: sd as f32,
                snr,
                frequency_offset: i64::from(foff),
                fine_timestamp: u64::from(ftime),
                frequency_drift: drift,
                encrypted_fine_timestamp: if encrypted { etime } else { Vec::new() },
                encrypted_fine_timestamp_key_id: if encrypted { "7".into() } else { String::new() },
                ..Default::default()
            },
        )
}

fn udp_uplink() -> impl Strategy<Value = UplinkMessage> {
    let data_rate = prop_oneof![
        lora_or_fsk(&["4/5", "4/6", "4/7", "4/8"]),
        (
            prop::sample::select(&[137_000u32, 336_000, 1_523_000][..]),
            prop::sample::select(&["1/3", "2/3"][..])
        )
            .prop_map(|(ocw, cr)| DataRate::lrfhss(0, ocw, cr)),
    ];
    (
        (
            prop::collection::vec(any::<u8>(), 1..64),
            data_rate,
            100_000_000u64..3_000_000_000,
            any::<u32>(),
            times(1000),
        ),
        (
            prop::collection::vec(udp_metadata(false), 1..3),
            any::<bool>(),
            udp_metadata(true),
            prop::option::of(any::<bool>()),
        ),
        prop::option::of(1u32..100),
    )
        .prop_map(
            |((raw, dr, freq, tmst, t), (mut mds, with_etime, etime_md, crc), hpw)| {
                if with_etime {
                    mds.push(etime_md);
                }
                let mut m = message(raw, dr, freq, tmst, t, mds, crc);
                for md in &mut m.rx_metadata {
                    md.hopping_width = hpw.unwrap_or(0);
                }
                m
            },
        )
}

// ---- Basics Station: valid LoRaWAN frames (data, join-request, proprietary), EU868 DRs, one
// ---- antenna (rctx < 128), whole-dBm RSSI, GPS time in µs or rxtime in µs, CRC always OK.

fn lorawan_frame() -> impl Strategy<Value = Vec<u8>> {
    let data = (
        prop::sample::select(&[0x40u8, 0x80][..]),
        any::<[u8; 4]>(),
        any::<u8>(),
        any::<u16>(),
        prop::collection::vec(any::<u8>(), 0..=15),
        prop::option::of((any::<u8>(), prop::collection::vec(any::<u8>(), 0..40))),
        any::<[u8; 4]>(),
    )
        .prop_map(|(mhdr, addr, flags, fcnt, fopts, port, mic)| {
            let mut f = vec![mhdr];
            f.extend(addr);
            f.push((flags & 0xF0) | fopts.len() as u8);
            f.extend(fcnt.to_le_bytes());
            f.extend(&fopts);
            if let Some((p, frm)) = port {
                f.push(p);
                f.extend(frm);
            }
            f.extend(mic);
            f
        });
    let join = prop::collection::vec(any::<u8>(), 22).prop_map(|b| [vec![0x00], b].concat());
    let proprietary =
        prop::collection::vec(any::<u8>(), 0..30).prop_map(|b| [vec![0xE0], b].concat());
    prop_oneof![data, join, proprietary]
}

fn lbs_uplink() -> impl Strategy<Value = UplinkMessage> {
    (
        (
            lorawan_frame(),
            0u8..=11,
            100_000_000u64..4_000_000_000,
            any::<u32>(),
            times(1),
        ),
        (
            0u32..128,
            prop::option::of(1u64..1_000_000_000),
            whole_dbm(),
            quarter_db(-80..=60),
        ),
    )
        .prop_map(|((raw, dr, freq, tmst, t), (ant, fts, rssi, snr))| {
            let data_rate = lbs::data_rate_of_index(Region::Eu868, dr).unwrap();
            let md = RxMetadata {
                antenna_index: ant,
                fine_timestamp: fts.unwrap_or(0),
                rssi,
                channel_rssi: rssi,
                snr,
                ..Default::default()
            };
            message(raw, data_rate, freq, tmst, t, vec![md], Some(true))
        })
}

// ---- MQTT v2: LoRa/FSK, antennas with channel, RSSI, signal RSSI, SNR, offset, deviation,
// ---- fine and encrypted time (no key id); Unix time only; no CRC status.

fn v2_uplink() -> impl Strategy<Value = UplinkMessage> {
    let md = (
        (
            0u32..4,
            0u32..16,
            whole_dbm(),
            prop::option::of(whole_dbm()),
        ),
        (
            quarter_db(-80..=60),
            any::<i32>(),
            0u32..20,
            0u64..1_000_000_000,
            prop::collection::vec(any::<u8>(), 0..=16),
        ),
    )
        .prop_map(
            |((ant, chan, rssi, signal), (snr, foff, sd, fine, etime))| RxMetadata {
                antenna_index: ant,
                channel_index: chan,
                rssi,
                channel_rssi: rssi,
                signal_rssi: signal.map(|value| FloatValue { value }),
                snr,
                frequency_offset: i64::from(foff),
                rssi_standard_deviation: sd as f32,
                fine_timestamp: fine,
                encrypted_fine_timestamp: etime,
                ..Default::default()
            },
        );
    let unix_time = prop_oneof![
        Just((None, None)),
        (1_000_000_000i64..2_000_000_000i64, 0i32..1_000_000_000).prop_map(|(s, n)| (
            Some(Timestamp {
                seconds: s,
                nanos: n
            }),
            None
        )),
    ];
    (
        prop::collection::vec(any::<u8>(), 1..64),
        lora_or_fsk(&["4/5", "4/6", "4/7", "4/8"]),
        100_000_000u64..3_000_000_000,
        1u32..,
        unix_time,
        prop::collection::vec(md, 1..3),
    )
        .prop_map(|(raw, dr, freq, tmst, t, mds)| message(raw, dr, freq, tmst, t, mds, None))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn semtech_udp_round_trip(up in udp_uplink(), v1 in any::<bool>()) {
        let rxpk = udp::uplink_to_rxpk(&up).unwrap();
        let packet = Packet::PushData(PushData {
            version: if v1 { ProtocolVersion::V1 } else { ProtocolVersion::V2 },
            token: 7,
            gateway: GatewayEui::from_u64(0xAABB_CCDD_0011_2233),
            rxpk: vec![rxpk],
            stat: None,
            rejected: Vec::new(),
        });
        let mut datagram = Vec::new();
        packet.encode(&mut datagram).unwrap();
        let Packet::PushData(decoded) = Packet::decode(&datagram).unwrap() else { panic!("not PUSH_DATA") };
        prop_assert_eq!(decoded.rejected.len(), 0);
        let back = udp::rxpk_to_uplink(&gw(), &decoded.rxpk[0], received()).unwrap();
        prop_assert_eq!(without_tokens(back), up);
    }

    #[test]
    fn basics_station_round_trip(up in lbs_uplink(), session in 1u8..) {
        let msg = lbs::uplink_to_up_message(&up, Region::Eu868, session, Some(1_800_000_000.5)).unwrap();
        let mut text = String::new();
        msg.encode(&mut text).unwrap();
        let decoded = decode_up(&text).unwrap();
        let back = lbs::up_message_to_uplink(&gw(), &decoded, Region::Eu868, received()).unwrap();
        prop_assert_eq!(without_tokens(back), up);
    }

    #[test]
    fn mqtt_v3_round_trip(up in udp_uplink()) {
        let back = mqtt_v3::uplink_from_publish(&gw(), &up.encode_to_vec(), received()).unwrap();
        prop_assert_eq!(without_tokens(back), up);
    }

    #[test]
    fn mqtt_v2_round_trip(up in v2_uplink()) {
        let v2 = loragw_mqtt_v2::uplink_from_v3(&up, "prop-gw").unwrap();
        let back = mqtt_v2::uplink_from_publish(&gw(), &v2.encode_to_vec(), received()).unwrap();
        prop_assert_eq!(without_tokens(back), up);
    }
}

// ---- Semtech UDP downlinks: LoRa (any coding rate) or FSK, timestamp, GPS time (ms) or
// ---- immediate, whole-dB ERP, antenna; the gateway side gets back what the server meant.

fn udp_downlink() -> impl Strategy<Value = loragw_gateway_io::ttnpb::DownlinkMessage> {
    use loragw_gateway_io::adapter::udp::ERP_EIRP_DELTA_DB;
    use loragw_gateway_io::ttnpb::downlink_message::Settings;
    use loragw_gateway_io::ttnpb::{DownlinkMessage, tx_settings};
    let timing = prop_oneof![
        (1u32..).prop_map(|t| (t, None)),
        (1_000_000_000_000u64..1_600_000_000_000u64)
            .prop_map(|ms| (0, Some(gps_micros_to_timestamp(ms * 1000).unwrap()))),
        Just((0, None)),
    ];
    (
        prop::collection::vec(any::<u8>(), 0..=230),
        lora_or_fsk(&["4/5", "4/6", "4/7", "4/8"]),
        100_000_000u64..3_000_000_000,
        timing,
        (-10i32..=30, 0u32..4, any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(raw, dr, frequency, (timestamp, time), (erp, antenna, ipol, crc))| {
                let lora = dr.as_lora().is_some();
                DownlinkMessage {
                    raw_payload: raw,
                    settings: Some(Settings::Scheduled(TxSettings {
                        data_rate: Some(dr),
                        frequency,
                        // FSK carries neither: `ncrc` and `ipol` are LoRa fields.
                        enable_crc: if lora { crc } else { true },
                        timestamp,
                        time,
                        downlink: Some(tx_settings::Downlink {
                            antenna_index: antenna,
                            tx_power: erp as f32 + ERP_EIRP_DELTA_DB,
                            invert_polarization: lora && ipol,
                        }),
                        concentrator_timestamp: 0,
                    })),
                    ..Default::default()
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn semtech_udp_downlink_round_trip(down in udp_downlink()) {
        use loragw_semtech_udp::PullResp;
        let txpk = udp::downlink_to_txpk(&down).unwrap();
        let mut datagram = Vec::new();
        Packet::PullResp(PullResp { version: ProtocolVersion::V2, token: 9, txpk }).encode(&mut datagram).unwrap();
        let Packet::PullResp(resp) = Packet::decode(&datagram).unwrap() else { panic!("not PULL_RESP") };
        prop_assert_eq!(udp::txpk_to_downlink(&resp.txpk).unwrap(), down);
    }
}
