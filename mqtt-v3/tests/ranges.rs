//! The range checks of `validate` through the decoders, at the bounds: frequencies, timestamps,
//! non-finite floats, locations, status metrics and the downlink a `TxAcknowledgment` echoes.

#![allow(clippy::unwrap_used, reason = "test helpers may unwrap")]

use loragw_mqtt_v3::TopicKind;
use loragw_mqtt_v3::codec::{self, PayloadError};
use loragw_mqtt_v3::ttnpb::{
    DownlinkMessage, Duration, FloatValue, GatewayStatus, Location, RxMetadata, Timestamp,
    TxAcknowledgment, TxRequest, TxSettings, UplinkMessage, downlink_message, tx_settings,
};
use loragw_mqtt_v3::validate::{self, MAX_FREQUENCY_HZ, RangeError};

/// 9999-12-31T23:59:59Z and 0001-01-01T00:00:00Z.
const MAX_SECONDS: i64 = 253_402_300_799;
const MIN_SECONDS: i64 = -62_135_596_800;

fn uplink() -> UplinkMessage {
    UplinkMessage {
        raw_payload: vec![0x40, 1, 2, 3, 4],
        settings: Some(TxSettings {
            frequency: 868_100_000,
            downlink: Some(tx_settings::Downlink {
                tx_power: 14.0,
                ..Default::default()
            }),
            ..Default::default()
        }),
        rx_metadata: vec![RxMetadata::default(), RxMetadata::default()],
        ..Default::default()
    }
}

fn decode(up: &UplinkMessage) -> Result<UplinkMessage, PayloadError> {
    let mut buf = Vec::new();
    codec::encode(up, &mut buf);
    codec::decode_uplink(&buf)
}

fn out_of_range(field: &str, problem: RangeError) -> PayloadError {
    PayloadError::OutOfRange {
        field: field.into(),
        problem,
    }
}

#[rustfmt::skip]
const UPLINK_AT_10_GHZ: &[u8] = &[
    0x0a, 0x01, 0x40,                               // 1 raw_payload
    0x22, 0x06,                                     // 4 settings, 6 bytes
      0x20, 0x80, 0xc8, 0xaf, 0xa0, 0x25,           //   4 frequency = 10000000000
];

#[test]
fn frequency_bounds() {
    assert_eq!(
        codec::decode_upstream(TopicKind::Up, UPLINK_AT_10_GHZ),
        Err(out_of_range(
            "UplinkMessage.settings.frequency",
            RangeError::Frequency(10_000_000_000)
        ))
    );
    assert_eq!(
        codec::decode_uplink(UPLINK_AT_10_GHZ)
            .unwrap_err()
            .to_string(),
        "UplinkMessage.settings.frequency: 10000000000 Hz is not a radio frequency \
         (1 ..= 9999999999 Hz)"
    );
    let mut up = uplink();
    up.settings.as_mut().unwrap().frequency = MAX_FREQUENCY_HZ;
    assert_eq!(decode(&up), Ok(up.clone()), "9,999,999,999 Hz is accepted");
    up.settings.as_mut().unwrap().frequency = 1;
    assert_eq!(decode(&up), Ok(up.clone()), "1 Hz is accepted");
    for hz in [0, 10_000_000_000, i64::MAX as u64, u64::MAX] {
        up.settings.as_mut().unwrap().frequency = hz;
        assert_eq!(
            decode(&up),
            Err(out_of_range(
                "UplinkMessage.settings.frequency",
                RangeError::Frequency(hz)
            ))
        );
    }
}

#[test]
fn empty_uplinks_are_refused() {
    // An empty payload decodes to the default message.
    assert_eq!(
        codec::decode_uplink(&[]),
        Err(PayloadError::MissingField {
            message: "UplinkMessage",
            field: "raw_payload"
        })
    );
    let mut up = uplink();
    up.settings = None;
    let err = decode(&up).unwrap_err();
    assert_eq!(err.to_string(), "UplinkMessage has no settings");
}

type TimeField = fn(&mut UplinkMessage) -> &mut Option<Timestamp>;

#[test]
fn timestamp_bounds() {
    let fields: [(&str, TimeField); 5] = [
        ("UplinkMessage.settings.time", |u| {
            &mut u.settings.as_mut().unwrap().time
        }),
        ("UplinkMessage.received_at", |u| &mut u.received_at),
        ("UplinkMessage.rx_metadata[1].time", |u| {
            &mut u.rx_metadata[1].time
        }),
        ("UplinkMessage.rx_metadata[1].gps_time", |u| {
            &mut u.rx_metadata[1].gps_time
        }),
        ("UplinkMessage.rx_metadata[1].received_at", |u| {
            &mut u.rx_metadata[1].received_at
        }),
    ];
    let ts = |seconds, nanos| Timestamp { seconds, nanos };
    for (field, get) in fields {
        for ok in [
            ts(MAX_SECONDS, 999_999_999),
            ts(MIN_SECONDS, 0),
            ts(0, 0),
            ts(-1, 999_999_999),
        ] {
            let mut up = uplink();
            *get(&mut up) = Some(ok);
            assert_eq!(decode(&up), Ok(up.clone()), "{field} = {ok:?}");
        }
        for bad in [
            ts(MAX_SECONDS + 1, 0),
            ts(MIN_SECONDS - 1, 999_999_999),
            ts(i64::MAX, 0),
            ts(i64::MIN, 0),
            ts(0, 1_000_000_000),
            ts(0, -1),
        ] {
            let mut up = uplink();
            *get(&mut up) = Some(bad);
            assert_eq!(
                decode(&up),
                Err(out_of_range(field, RangeError::Timestamp(bad))),
                "{field} = {bad:?}"
            );
        }
    }
    let mut up = uplink();
    up.received_at = Some(ts(MAX_SECONDS + 1, 0));
    assert_eq!(
        decode(&up).unwrap_err().to_string(),
        "UplinkMessage.received_at: { seconds: 253402300800, nanos: 0 } is not a valid Timestamp \
         (0001-01-01T00:00:00Z ..= 9999-12-31T23:59:59.999999999Z)"
    );
}

#[test]
fn consumed_airtime_bounds() {
    let mut up = uplink();
    for (seconds, nanos) in [(315_576_000_000, 999_999_999), (-1, -5), (0, -5), (1, 0)] {
        up.consumed_airtime = Some(Duration { seconds, nanos });
        assert_eq!(decode(&up), Ok(up.clone()), "{seconds} s {nanos} ns");
    }
    for (seconds, nanos) in [(315_576_000_001, 0), (1, -5), (-1, 5), (0, 1_000_000_000)] {
        up.consumed_airtime = Some(Duration { seconds, nanos });
        assert_eq!(
            decode(&up),
            Err(out_of_range(
                "UplinkMessage.consumed_airtime",
                RangeError::Duration { seconds, nanos }
            ))
        );
    }
}

type FloatField = fn(&mut UplinkMessage, f32);

#[test]
fn non_finite_floats_are_refused() {
    let fields: [(&str, FloatField); 6] = [
        ("UplinkMessage.rx_metadata[1].rssi", |u, v| {
            u.rx_metadata[1].rssi = v
        }),
        ("UplinkMessage.rx_metadata[1].channel_rssi", |u, v| {
            u.rx_metadata[1].channel_rssi = v
        }),
        ("UplinkMessage.rx_metadata[1].snr", |u, v| {
            u.rx_metadata[1].snr = v
        }),
        (
            "UplinkMessage.rx_metadata[1].rssi_standard_deviation",
            |u, v| u.rx_metadata[1].rssi_standard_deviation = v,
        ),
        ("UplinkMessage.rx_metadata[1].signal_rssi", |u, v| {
            u.rx_metadata[1].signal_rssi = Some(FloatValue { value: v })
        }),
        ("UplinkMessage.settings.downlink.tx_power", |u, v| {
            u.settings
                .as_mut()
                .unwrap()
                .downlink
                .as_mut()
                .unwrap()
                .tx_power = v
        }),
    ];
    for (field, set) in fields {
        for (value, text) in [
            (f32::NAN, "NaN"),
            (f32::INFINITY, "inf"),
            (f32::NEG_INFINITY, "-inf"),
        ] {
            let mut up = uplink();
            set(&mut up, value);
            assert_eq!(
                decode(&up),
                Err(out_of_range(field, RangeError::NotFinite(text.into()))),
                "{field} = {text}"
            );
        }
        let mut up = uplink();
        set(&mut up, f32::MAX);
        assert_eq!(decode(&up), Ok(up.clone()), "{field} = f32::MAX is finite");
    }
}

#[rustfmt::skip]
const NAN_RSSI: &[u8] = &[
    0x0a, 0x01, 0x40,                               // 1 raw_payload
    0x22, 0x06,                                     // 4 settings, 6 bytes
      0x20, 0xa0, 0xcf, 0xf8, 0x9d, 0x03,           //   4 frequency = 868100000
    0x2a, 0x05,                                     // 5 rx_metadata, 5 bytes
      0x45, 0x00, 0x00, 0xc0, 0x7f,                 //   8 rssi = NaN (0x7fc00000)
];

#[test]
fn nan_on_the_wire_names_the_field() {
    assert_eq!(
        codec::decode_uplink(NAN_RSSI).unwrap_err().to_string(),
        "UplinkMessage.rx_metadata[0].rssi: NaN is not a finite number"
    );
}

#[test]
fn locations_off_the_globe_are_dropped() {
    let on = Location {
        latitude: -90.0,
        longitude: 180.0,
        altitude: 400,
        ..Default::default()
    };
    let mut up = uplink();
    up.rx_metadata[0].location = Some(on);
    assert_eq!(decode(&up), Ok(up.clone()));
    for (latitude, longitude) in [
        (f64::NAN, 6.25),
        (46.5, f64::NAN),
        (90.000_001, 0.0),
        (0.0, -180.000_001),
        (f64::INFINITY, 0.0),
    ] {
        let mut up = uplink();
        up.rx_metadata[1].location = Some(Location {
            latitude,
            longitude,
            ..on
        });
        let decoded = decode(&up).unwrap();
        assert_eq!(
            decoded.rx_metadata[1].location, None,
            "({latitude}, {longitude})"
        );
        up.rx_metadata[1].location = None;
        assert_eq!(decoded, up, "only the location is dropped");
    }
}

fn decode_status(status: &GatewayStatus) -> Result<GatewayStatus, PayloadError> {
    let mut buf = Vec::new();
    codec::encode(status, &mut buf);
    codec::decode_status(&buf)
}

#[test]
fn status_metrics_and_locations_are_cleaned() {
    let location = |latitude, longitude| Location {
        latitude,
        longitude,
        ..Default::default()
    };
    let status = GatewayStatus {
        time: Some(Timestamp {
            seconds: MAX_SECONDS,
            nanos: 999_999_999,
        }),
        boot_time: Some(Timestamp {
            seconds: MIN_SECONDS,
            nanos: 0,
        }),
        metrics: [
            ("rxin".to_string(), 3.0f32),
            ("temp".to_string(), f32::NAN),
            ("load_1".to_string(), f32::INFINITY),
            ("load_5".to_string(), f32::NEG_INFINITY),
            ("big".to_string(), f32::MAX),
        ]
        .into(),
        antenna_locations: vec![
            location(46.5, 6.25),
            location(f64::NAN, 6.25),
            location(91.0, 0.0),
            location(0.0, 0.0),
        ],
        ..Default::default()
    };
    let decoded = decode_status(&status).unwrap();
    let expected = GatewayStatus {
        metrics: [("rxin".to_string(), 3.0f32), ("big".to_string(), f32::MAX)].into(),
        antenna_locations: vec![location(46.5, 6.25), location(0.0, 0.0)],
        ..status.clone()
    };
    assert_eq!(decoded, expected);
    let mut cleaned = status;
    assert_eq!(validate::status(&mut cleaned), Ok(()));
    assert_eq!(cleaned, expected);
}

#[test]
fn status_timestamps_are_refused() {
    let bad = Timestamp {
        seconds: i64::MAX,
        nanos: 0,
    };
    let status = GatewayStatus {
        time: Some(bad),
        ..Default::default()
    };
    assert_eq!(
        decode_status(&status),
        Err(out_of_range(
            "GatewayStatus.time",
            RangeError::Timestamp(bad)
        ))
    );
    let bad = Timestamp {
        seconds: MAX_SECONDS + 1,
        nanos: 0,
    };
    let status = GatewayStatus {
        boot_time: Some(bad),
        ..Default::default()
    };
    assert_eq!(
        decode_status(&status),
        Err(out_of_range(
            "GatewayStatus.boot_time",
            RangeError::Timestamp(bad)
        ))
    );
}

fn decode_ack(downlink: DownlinkMessage) -> Result<TxAcknowledgment, PayloadError> {
    let ack = TxAcknowledgment {
        correlation_ids: vec!["gs:down:token:1".into()],
        result: 2,
        downlink_message: Some(downlink),
    };
    let mut buf = Vec::new();
    codec::encode(&ack, &mut buf);
    codec::decode_tx_ack(&buf)
}

#[test]
fn tx_ack_echoed_downlink_is_checked() {
    let scheduled = |s: TxSettings| DownlinkMessage {
        settings: Some(downlink_message::Settings::Scheduled(s)),
        ..Default::default()
    };
    let good = TxSettings {
        frequency: 869_525_000,
        downlink: Some(tx_settings::Downlink {
            tx_power: 14.0,
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(
        decode_ack(scheduled(good.clone()))
            .unwrap()
            .downlink_message,
        Some(scheduled(good.clone()))
    );
    let mut nan = good.clone();
    nan.downlink.as_mut().unwrap().tx_power = f32::NAN;
    assert_eq!(
        decode_ack(scheduled(nan)).unwrap_err().to_string(),
        "TxAcknowledgment.downlink_message.settings.scheduled.downlink.tx_power: NaN is not a \
         finite number"
    );
    let far = TxSettings {
        frequency: i64::MAX as u64,
        ..good.clone()
    };
    assert_eq!(
        decode_ack(scheduled(far)),
        Err(out_of_range(
            "TxAcknowledgment.downlink_message.settings.scheduled.frequency",
            RangeError::Frequency(i64::MAX as u64)
        ))
    );
    let request = |r: TxRequest| DownlinkMessage {
        settings: Some(downlink_message::Settings::Request(r)),
        ..Default::default()
    };
    // RX2 only: an RX1 frequency of 0 is "none".
    let ok = TxRequest {
        rx2_frequency: 869_525_000,
        ..Default::default()
    };
    assert_eq!(
        decode_ack(request(ok.clone())).unwrap().downlink_message,
        Some(request(ok))
    );
    let bad = Timestamp {
        seconds: i64::MIN,
        nanos: 0,
    };
    assert_eq!(
        decode_ack(request(TxRequest {
            absolute_time: Some(bad),
            ..Default::default()
        })),
        Err(out_of_range(
            "TxAcknowledgment.downlink_message.settings.request.absolute_time",
            RangeError::Timestamp(bad)
        ))
    );
}
