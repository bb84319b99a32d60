//! Property tests: every payload decodes back to what was encoded, and the token ring always
//! matches the newest `capacity` downlinks.

#![allow(clippy::unwrap_used, reason = "test helpers may unwrap")]

use loragw_mqtt_v3::codec;
use loragw_mqtt_v3::ttnpb::{
    DataRate, DownlinkMessage, FloatValue, GatewayIdentifiers, GatewayStatus, Location, RxMetadata,
    Timestamp, TxAcknowledgment, TxSettings, UplinkMessage, downlink_message, tx_settings,
};
use loragw_mqtt_v3::{DownlinkTokens, format_correlation_id, gateway_down};
use proptest::prelude::*;

fn finite() -> impl Strategy<Value = f32> {
    -1000.0f32..1000.0
}

fn timestamp() -> impl Strategy<Value = Option<Timestamp>> {
    proptest::option::of(
        (0i64..4_000_000_000, 0i32..1_000_000_000)
            .prop_map(|(seconds, nanos)| Timestamp { seconds, nanos }),
    )
}

fn data_rate() -> impl Strategy<Value = DataRate> {
    prop_oneof![
        (
            5u32..=12,
            prop::sample::select(vec![125_000u32, 250_000, 500_000]),
            "4/[5-8]"
        )
            .prop_map(|(sf, bw, cr)| DataRate::lora(sf, bw, cr)),
        (1u32..300_000).prop_map(DataRate::fsk),
        (
            0u32..2,
            prop::sample::select(vec![137_000u32, 336_000, 1_523_000]),
            "[12]/3"
        )
            .prop_map(|(m, w, cr)| DataRate::lrfhss(m, w, cr)),
    ]
}

fn settings() -> impl Strategy<Value = TxSettings> {
    (
        data_rate(),
        100_000u64..3_000_000_000,
        any::<u32>(),
        timestamp(),
        any::<bool>(),
    )
        .prop_map(|(dr, frequency, timestamp, time, enable_crc)| TxSettings {
            data_rate: Some(dr),
            frequency,
            timestamp,
            time,
            enable_crc,
            ..Default::default()
        })
}

fn rx_metadata() -> impl Strategy<Value = RxMetadata> {
    (
        "[a-z0-9]{3,12}",
        0u32..8,
        any::<u32>(),
        timestamp(),
        finite(),
        finite(),
        proptest::option::of(finite()),
        any::<u64>(),
        prop::collection::vec(any::<u8>(), 0..16),
        0u32..256,
        any::<i64>(),
    )
        .prop_map(
            |(id, antenna, ts, time, rssi, snr, signal, fine, enc, channel, foff)| RxMetadata {
                gateway_ids: Some(GatewayIdentifiers {
                    gateway_id: id,
                    ..Default::default()
                }),
                antenna_index: antenna,
                timestamp: ts,
                time,
                rssi,
                channel_rssi: rssi,
                signal_rssi: signal.map(|value| FloatValue { value }),
                snr,
                fine_timestamp: fine,
                encrypted_fine_timestamp: enc,
                channel_index: channel,
                frequency_offset: foff,
                ..Default::default()
            },
        )
}

fn uplink() -> impl Strategy<Value = UplinkMessage> {
    (
        // Not empty: an uplink without a payload is refused.
        prop::collection::vec(any::<u8>(), 1..64),
        settings(),
        prop::collection::vec(rx_metadata(), 0..4),
        prop::collection::vec("[ -~]{0,40}", 0..3),
    )
        .prop_map(|(raw, settings, md, cids)| UplinkMessage {
            raw_payload: raw,
            settings: Some(settings),
            rx_metadata: md,
            correlation_ids: cids,
            ..Default::default()
        })
}

fn status() -> impl Strategy<Value = GatewayStatus> {
    (
        timestamp(),
        timestamp(),
        prop::collection::btree_map("[a-z]{3,10}", "[ -~]{0,20}", 0..5),
        prop::collection::btree_map("[a-z]{3,10}", finite(), 0..8),
        prop::collection::vec(
            (-90.0f64..90.0, -180.0f64..180.0, any::<i32>(), 0i32..5).prop_map(
                |(latitude, longitude, altitude, source)| Location {
                    latitude,
                    longitude,
                    altitude,
                    source,
                    ..Default::default()
                },
            ),
            0..3,
        ),
        prop::collection::vec("[0-9.]{7,15}", 0..3),
    )
        .prop_map(
            |(time, boot_time, versions, metrics, locs, ip)| GatewayStatus {
                time,
                boot_time,
                versions,
                metrics,
                antenna_locations: locs,
                ip,
                advanced: None,
            },
        )
}

proptest! {
    #[test]
    fn uplink_round_trip(up in uplink()) {
        let mut buf = Vec::new();
        codec::encode(&up, &mut buf);
        prop_assert_eq!(codec::decode_uplink(&buf).unwrap(), up);
    }

    #[test]
    fn status_round_trip(status in status()) {
        let mut buf = Vec::new();
        codec::encode(&status, &mut buf);
        prop_assert_eq!(codec::decode_status(&buf).unwrap(), status);
    }

    #[test]
    fn tx_ack_round_trip(ids in prop::collection::vec("[ -~]{0,40}", 0..4), result in 0i32..9) {
        let ack = TxAcknowledgment { correlation_ids: ids, result, downlink_message: None };
        let mut buf = Vec::new();
        codec::encode(&ack, &mut buf);
        prop_assert_eq!(codec::decode_tx_ack(&buf).unwrap(), ack);
    }

    #[test]
    fn down_round_trip(
        raw in prop::collection::vec(any::<u8>(), 0..64),
        settings in settings(),
        tx_power in finite(),
        first in any::<u64>(),
    ) {
        let mut downlink = DownlinkMessage {
            raw_payload: raw,
            settings: Some(downlink_message::Settings::Scheduled(TxSettings {
                downlink: Some(tx_settings::Downlink { tx_power, invert_polarization: true, antenna_index: 0 }),
                ..settings
            })),
            ..Default::default()
        };
        let mut tokens = DownlinkTokens::new(4, first);
        let token = tokens.insert_downlink(&mut downlink, ());
        let down = gateway_down(downlink);
        let mut buf = Vec::new();
        codec::encode_down(&down, &mut buf);
        let decoded = codec::decode_down(&buf).unwrap();
        prop_assert_eq!(&decoded, &down);
        let ack = TxAcknowledgment {
            correlation_ids: decoded.downlink_message.unwrap().correlation_ids,
            ..Default::default()
        };
        prop_assert_eq!(tokens.take_for_ack(&ack), Some((token, ())));
    }

    #[test]
    fn ring_keeps_the_newest(
        capacity in 1usize..10,
        count in 0usize..30,
        first in prop_oneof![any::<u64>(), (u64::MAX - 40)..=u64::MAX],
    ) {
        let mut ring = DownlinkTokens::new(capacity, first);
        let tokens: Vec<u64> = (0..count).map(|i| ring.insert(i)).collect();
        for (i, token) in tokens.iter().enumerate() {
            let kept = i + capacity >= count;
            let ids = [format_correlation_id(*token)];
            prop_assert_eq!(ring.take_matching(&ids).map(|(_, v)| v), kept.then_some(i));
        }
        prop_assert!(ring.is_empty());
    }
}
