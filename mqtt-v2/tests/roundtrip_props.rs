//! Property tests: v2 protobuf round trips and v2 ↔ v3 conversion round trips on everything
//! both formats can carry.

#![allow(clippy::unwrap_used, reason = "test helpers may unwrap")]

use loragw_mqtt_v2::ttnpb::{
    DataRate, DownlinkMessage, FloatValue, GatewayIdentifiers, RxMetadata, Timestamp, TxSettings,
    UplinkMessage, downlink_message, tx_settings,
};
use loragw_mqtt_v2::{
    codec, downlink_from_v3, downlink_to_v3, pb, status_from_v3, status_to_v3, uplink_from_v3,
    uplink_to_v3,
};
use proptest::prelude::*;

fn nonzero_f32() -> impl Strategy<Value = f32> {
    prop_oneof![-150.0f32..-0.5, 0.5f32..30.0]
}

fn v3_lora_or_fsk() -> impl Strategy<Value = DataRate> {
    prop_oneof![
        (
            5u32..=12,
            prop::sample::select(vec![125_000u32, 250_000, 500_000, 812_000]),
            "4/[5-8]"
        )
            .prop_map(|(sf, bw, cr)| DataRate::lora(sf, bw, cr)),
        (1u32..300_000).prop_map(DataRate::fsk),
    ]
}

fn time() -> impl Strategy<Value = Option<Timestamp>> {
    // v2 can carry Unix nanoseconds up to 2262; 0 means unset.
    proptest::option::of(
        (1i64..9_000_000_000, 0i32..1_000_000_000).prop_map(|(s, n)| Timestamp {
            seconds: s,
            nanos: n,
        }),
    )
}

fn ids() -> GatewayIdentifiers {
    GatewayIdentifiers {
        gateway_id: "gateway-id".into(),
        ..Default::default()
    }
}

prop_compose! {
    fn v3_uplink()(
        // Not empty: an uplink without a payload is refused.
        raw in prop::collection::vec(any::<u8>(), 1..64),
        dr in v3_lora_or_fsk(),
        frequency in 100_000u64..3_000_000_000,
        timestamp in any::<u32>(),
        time in time(),
        antennas in prop::collection::vec(
            (0u32..4, 0u32..16, nonzero_f32(), proptest::option::of(nonzero_f32()), -20.0f32..15.0,
             0f32..10.0, any::<i64>(), prop::collection::vec(any::<u8>(), 0..16), 0u64..(i64::MAX as u64)),
            1..4),
    ) -> UplinkMessage {
        UplinkMessage {
            raw_payload: raw,
            settings: Some(TxSettings { data_rate: Some(dr), frequency, timestamp, ..Default::default() }),
            rx_metadata: antennas.into_iter().map(|(antenna, channel, rssi, signal, snr, sd, foff, enc, fine)| RxMetadata {
                gateway_ids: Some(ids()),
                antenna_index: antenna,
                channel_index: channel,
                rssi,
                channel_rssi: rssi,
                signal_rssi: signal.map(|value| FloatValue { value }),
                snr,
                rssi_standard_deviation: sd,
                frequency_offset: foff,
                encrypted_fine_timestamp: enc,
                fine_timestamp: fine,
                time,
                timestamp,
                ..Default::default()
            }).collect(),
            ..Default::default()
        }
    }
}

prop_compose! {
    fn v3_downlink()(
        raw in prop::collection::vec(any::<u8>(), 0..64),
        dr in v3_lora_or_fsk(),
        frequency in 100_000u64..3_000_000_000,
        timestamp in any::<u32>(),
        power in -10i32..40,
    ) -> DownlinkMessage {
        DownlinkMessage {
            raw_payload: raw,
            settings: Some(downlink_message::Settings::Scheduled(TxSettings {
                data_rate: Some(dr),
                frequency,
                timestamp,
                downlink: Some(tx_settings::Downlink {
                    antenna_index: 0,
                    // Whole dBm ERP plus the dipole gain: what v2 can carry.
                    tx_power: (f64::from(power) + 2.15) as f32,
                    invert_polarization: true,
                }),
                ..Default::default()
            })),
            ..Default::default()
        }
    }
}

prop_compose! {
    fn v2_status()(
        counters in prop::array::uniform8(0u32..1_000_000),
        rtt in 0u32..10_000,
        os in proptest::option::of(prop::array::uniform6(0f32..100.0)),
        fpga in 0u32..100,
        dsp in 0u32..100,
        hal in "[a-z0-9.]{0,8}",
        platform in prop_oneof![
            Just(String::new()),
            "[ -~]{1,30}",
            "r[0-9]-[0-9a-f]{8}".prop_map(|bl| format!(
                "The Things Gateway v1 - BL {bl} (2017-01-01T00:00:00Z) - Firmware v1.0.0-abcdef01 (2017-01-01T00:00:00Z)")),
        ],
        time in any::<i64>(),
        boot in any::<i64>(),
        // Within ±89.9°: a polar latitude is dropped as implausible.
        location in proptest::option::of((-89.9f32..89.9, -180.0f32..180.0, any::<i32>(), any::<i32>(),
            prop::sample::select(vec![0i32, 1, 3, 4]))),
        ip in prop::collection::vec("[0-9.]{7,15}", 0..3),
    ) -> pb::StatusMessage {
        pb::StatusMessage {
            lm_nw: counters[0], lm_st: counters[1], lm_ok: counters[2], l_pps: counters[3],
            rx_in: counters[4], rx_ok: counters[5], tx_in: counters[6], tx_ok: counters[7],
            rtt,
            os: os.map(|o| pb::status_message::OsMetrics {
                load_1: o[0], load_5: o[1], load_15: o[2], cpu_percentage: o[3],
                memory_percentage: o[4], temperature: o[5],
            }),
            fpga, dsp, hal, platform, time, boot_time: boot,
            location: location.map(|(latitude, longitude, altitude, accuracy, source)| pb::LocationMetadata {
                time: 0, latitude, longitude, altitude, accuracy, source,
            }),
            ip,
            ..Default::default()
        }
    }
}

proptest! {
    #[test]
    fn v2_wire_round_trips(up in v3_uplink(), down in v3_downlink(), status in v2_status()) {
        let up = uplink_from_v3(&up, "gateway-id").unwrap();
        let mut buf = Vec::new();
        codec::encode(&up, &mut buf);
        prop_assert_eq!(codec::decode_uplink(&buf).unwrap(), up);

        let down = downlink_from_v3(&down).unwrap();
        buf.clear();
        codec::encode(&down, &mut buf);
        prop_assert_eq!(codec::decode_downlink(&buf).unwrap(), down);

        buf.clear();
        codec::encode(&status, &mut buf);
        prop_assert_eq!(codec::decode_status(&buf).unwrap(), status);
    }

    #[test]
    fn uplink_v3_v2_v3(up in v3_uplink()) {
        let v2 = uplink_from_v3(&up, "gateway-id").unwrap();
        prop_assert_eq!(uplink_to_v3(&v2, &ids()).unwrap(), up);
    }

    #[test]
    fn downlink_v3_v2_v3(down in v3_downlink()) {
        let v2 = downlink_from_v3(&down).unwrap();
        let back = downlink_to_v3(&v2).unwrap();
        prop_assert_eq!(back, down);
    }

    #[test]
    fn status_v2_v3_v2(status in v2_status()) {
        let v3 = status_to_v3(&status);
        prop_assert_eq!(status_from_v3(&v3).unwrap(), status);
    }
}
