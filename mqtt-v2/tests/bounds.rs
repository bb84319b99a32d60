//! A v2 uplink's antennas become `rx_metadata` entries: bounded like a v3 uplink's. Its
//! numbers, and a status's, are range-checked like a v3 message's.

use loragw_mqtt_v2::convert::{ConvertError, location_is_plausible};
use loragw_mqtt_v2::ttnpb::GatewayIdentifiers;
use loragw_mqtt_v2::{pb, status_to_v3, uplink_to_v3};
use loragw_mqtt_v3::codec::{MAX_RX_METADATA, PayloadError};
use loragw_mqtt_v3::validate::{MAX_FREQUENCY_HZ, RangeError};

fn up(antennas: usize) -> pb::UplinkMessage {
    pb::UplinkMessage {
        payload: vec![0x40, 1, 2, 3, 4, 0, 0, 0, 1, 2, 3, 4],
        protocol_metadata: Some(pb::ProtocolRxMetadata {
            lorawan: Some(pb::LoRaWanMetadata {
                coding_rate: "4/5".into(),
                data_rate: "SF7BW125".into(),
                modulation: pb::Modulation::Lora as i32,
                ..Default::default()
            }),
        }),
        gateway_metadata: Some(pb::GatewayRxMetadata {
            antennas: vec![
                pb::gateway_rx_metadata::Antenna {
                    rssi: -2.0,
                    ..Default::default()
                };
                antennas
            ],
            timestamp: 1000,
            time: i64::MIN,
            frequency: 868_100_000,
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn antenna_bound_is_exact() {
    let ids = GatewayIdentifiers {
        gateway_id: "gw".into(),
        ..Default::default()
    };
    let v3 = uplink_to_v3(&up(MAX_RX_METADATA), &ids).expect("16 antennas convert");
    assert_eq!(v3.rx_metadata.len(), 16);
    // i64::MIN Unix nanoseconds is 1677-09-21T00:12:43.145224192Z: in range, no overflow.
    let time = v3.rx_metadata[0].time.expect("time");
    assert_eq!((time.seconds, time.nanos), (-9_223_372_037, 145_224_192));
    let err = uplink_to_v3(&up(MAX_RX_METADATA + 1), &ids).expect_err("17 antennas");
    assert_eq!(err, ConvertError::TooManyAntennas(17));
    assert_eq!(
        err.to_string(),
        "v2 uplink has 17 antennas, more than the maximum of 16"
    );
}

fn ids() -> GatewayIdentifiers {
    GatewayIdentifiers {
        gateway_id: "gw".into(),
        ..Default::default()
    }
}

fn out_of_range(field: &str, problem: RangeError) -> ConvertError {
    ConvertError::Invalid(PayloadError::OutOfRange {
        field: field.into(),
        problem,
    })
}

#[test]
fn frequency_bounds() {
    let mut v2 = up(1);
    let gm = v2.gateway_metadata.as_mut().expect("gateway metadata");
    gm.frequency = MAX_FREQUENCY_HZ;
    assert_eq!(MAX_FREQUENCY_HZ, 9_999_999_999);
    let v3 = uplink_to_v3(&v2, &ids()).expect("9,999,999,999 Hz is accepted");
    assert_eq!(v3.settings.expect("settings").frequency, 9_999_999_999);
    for hz in [10_000_000_000, i64::MAX as u64, u64::MAX, 0] {
        v2.gateway_metadata
            .as_mut()
            .expect("gateway metadata")
            .frequency = hz;
        let err = uplink_to_v3(&v2, &ids()).expect_err("out of range");
        assert_eq!(
            err,
            out_of_range(
                "UplinkMessage.settings.frequency",
                RangeError::Frequency(hz)
            )
        );
    }
    assert_eq!(
        uplink_to_v3(&v2, &ids()).expect_err("0 Hz").to_string(),
        "converted v3 uplink: UplinkMessage.settings.frequency: 0 Hz is not a radio frequency \
         (1 ..= 9999999999 Hz)"
    );
}

#[test]
fn non_finite_antenna_numbers_are_refused() {
    type Set = fn(&mut pb::gateway_rx_metadata::Antenna, f32);
    let cases: [(&str, Set); 4] = [
        ("rssi", |a, v| a.rssi = v),
        ("snr", |a, v| a.snr = v),
        ("rssi_standard_deviation", |a, v| {
            a.rssi_standard_deviation = v
        }),
        // A channel RSSI moves the antenna RSSI to `signal_rssi`: NaN != 0 is reported.
        ("rssi", |a, v| a.channel_rssi = v),
    ];
    for (field, set) in cases {
        for (value, text) in [
            (f32::NAN, "NaN"),
            (f32::INFINITY, "inf"),
            (f32::NEG_INFINITY, "-inf"),
        ] {
            let mut v2 = up(2);
            let gm = v2.gateway_metadata.as_mut().expect("gateway metadata");
            set(&mut gm.antennas[1], value);
            let err = uplink_to_v3(&v2, &ids()).expect_err("non-finite");
            assert_eq!(
                err,
                out_of_range(
                    &format!("UplinkMessage.rx_metadata[1].{field}"),
                    RangeError::NotFinite(text.into())
                ),
                "{field} = {text}"
            );
        }
    }
    // Without antennas, the gateway metadata's own RSSI and SNR.
    let mut v2 = up(0);
    v2.gateway_metadata.as_mut().expect("gateway metadata").snr = f32::NAN;
    assert_eq!(
        uplink_to_v3(&v2, &ids()).expect_err("NaN snr").to_string(),
        "converted v3 uplink: UplinkMessage.rx_metadata[0].snr: NaN is not a finite number"
    );
}

#[test]
fn empty_payload_is_refused() {
    let mut v2 = up(1);
    v2.payload.clear();
    assert_eq!(
        uplink_to_v3(&v2, &ids()),
        Err(ConvertError::Invalid(PayloadError::MissingField {
            message: "UplinkMessage",
            field: "raw_payload"
        }))
    );
}

fn status() -> pb::StatusMessage {
    pb::StatusMessage {
        time: 1_700_000_000_000_000_000,
        location: Some(pb::LocationMetadata {
            latitude: 46.5,
            longitude: 6.25,
            altitude: 400,
            ..Default::default()
        }),
        os: Some(pb::status_message::OsMetrics {
            load_1: 1.5,
            load_5: f32::NAN,
            load_15: f32::INFINITY,
            cpu_percentage: f32::NEG_INFINITY,
            memory_percentage: 20.0,
            temperature: f32::NAN,
        }),
        ..Default::default()
    }
}

#[test]
fn non_finite_status_metrics_are_dropped() {
    let v3 = status_to_v3(&status());
    let keys: Vec<(&str, f32)> = v3.metrics.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        keys,
        [
            ("lmnw", 0.0),
            ("lmok", 0.0),
            ("lmst", 0.0),
            ("load_1", 1.5),
            ("lpps", 0.0),
            ("memory_percentage", 20.0),
            ("rxin", 0.0),
            ("rxok", 0.0),
            ("txin", 0.0),
            ("txok", 0.0),
        ]
    );
    assert_eq!(v3.antenna_locations.len(), 1);
    assert_eq!(v3.antenna_locations[0].latitude, 46.5);
}

#[test]
fn placeholder_and_polar_status_locations_are_dropped() {
    for (lat, lon, kept) in [
        (46.5, 6.25, true),
        (0.0, 0.0, false),
        (-0.0, 0.0, false),
        (10.0, 20.0, false),
        (10.0, 0.0, true),
        (0.0, 20.0, true),
        (89.98, 0.0, true),
        (89.99, 0.0, false),
        (-89.99, 0.0, false),
        (-90.0, 0.0, false),
        (45.0, 180.0, true),
        (45.0, 180.01, false),
        (f32::NAN, 6.25, false),
        (46.5, f32::INFINITY, false),
    ] {
        let mut s = status();
        let l = s.location.as_mut().expect("location");
        (l.latitude, l.longitude) = (lat, lon);
        assert_eq!(location_is_plausible(l), kept, "({lat}, {lon})");
        let v3 = status_to_v3(&s);
        assert_eq!(
            v3.antenna_locations.len(),
            usize::from(kept),
            "({lat}, {lon})"
        );
    }
}
