//! The v2 ↔ v3 conversion vectors of The Things Stack's `format_protobufv2_test.go` (reference
//! notes §4.3), adjusted where this crate fixes a bug (each place says so), plus vectors for
//! the fixes themselves.

#![allow(clippy::unwrap_used, reason = "test helpers may unwrap")]

use loragw_mqtt_v2::convert::ConvertError;
use loragw_mqtt_v2::ttnpb::{
    DataRate, DownlinkMessage, FloatValue, GatewayIdentifiers, GatewayStatus, Location,
    LocationSource, RxMetadata, Timestamp, TxRequest, TxSettings, UplinkMessage, downlink_message,
    tx_settings,
};
use loragw_mqtt_v2::{codec, downlink_from_v3, pb, status_to_v3, uplink_to_v3};

fn ids() -> GatewayIdentifiers {
    GatewayIdentifiers {
        gateway_id: "gateway-id".into(),
        ..Default::default()
    }
}

fn scheduled(settings: TxSettings, raw: &[u8]) -> DownlinkMessage {
    DownlinkMessage {
        raw_payload: raw.to_vec(),
        settings: Some(downlink_message::Settings::Scheduled(settings)),
        ..Default::default()
    }
}

/// `YHBhYUoAAgABj9/clY414A`: unconfirmed downlink with FCnt 2.
const DOWN_PAYLOAD: [u8; 16] = [
    0x60, 0x70, 0x61, 0x61, 0x4a, 0x00, 0x02, 0x00, 0x01, 0x8f, 0xdf, 0xdc, 0x95, 0x8e, 0x35, 0xe0,
];

/// `TestProtobufV2Downlink`: the expected v2 message, marshalled. Same hand-written bytes as in
/// `wire_vectors.rs`.
#[rustfmt::skip]
const DOWNLINK_BYTES: &[u8] = &[
    0x0a, 0x10,                                     // 1 payload, 16 bytes
    0x60, 0x70, 0x61, 0x61, 0x4a, 0x00, 0x02, 0x00,
    0x01, 0x8f, 0xdf, 0xdc, 0x95, 0x8e, 0x35, 0xe0,
    0x5a, 0x14,                                     // 11 protocol_configuration
      0x0a, 0x12,                                   //   1 lorawan (modulation LORA = 0 omitted)
        0x62, 0x09, b'S', b'F', b'1', b'2', b'B', b'W', b'1', b'2', b'5', // 12 data_rate
        0x72, 0x03, b'4', b'/', b'5',               //     14 coding_rate
        0x78, 0x02,                                 //     15 f_cnt = 2
    0x62, 0x10,                                     // 12 gateway_configuration
      0x58, 0xe0, 0x5d,                             //   11 timestamp = 12000
      0xb0, 0x01, 0xc0, 0xab, 0xc1, 0x9b, 0x03,     //   22 frequency = 863000000
      0xb8, 0x01, 0x0e,                             //   23 power = 14 (16.15 − 2.15)
      0xf8, 0x01, 0x01,                             //   31 polarization_inversion = true
];

#[test]
fn reference_downlink() {
    let down = scheduled(
        TxSettings {
            data_rate: Some(DataRate::lora(12, 125_000, "4/5")),
            frequency: 863_000_000,
            timestamp: 12000,
            downlink: Some(tx_settings::Downlink {
                tx_power: 16.15,
                ..Default::default()
            }),
            ..Default::default()
        },
        &DOWN_PAYLOAD,
    );
    let v2 = downlink_from_v3(&down).unwrap();
    let mut buf = Vec::new();
    codec::encode(&v2, &mut buf);
    assert_eq!(buf, DOWNLINK_BYTES);
}

#[test]
fn fsk_downlink_carries_frequency_deviation() {
    // Bug fix: The Things Stack leaves frequency_deviation 0.
    let down = scheduled(
        TxSettings {
            data_rate: Some(DataRate::fsk(50_000)),
            frequency: 869_525_000,
            timestamp: 5_000_000,
            downlink: Some(tx_settings::Downlink {
                tx_power: 29.15,
                ..Default::default()
            }),
            ..Default::default()
        },
        &[0x60, 1, 2, 3, 4, 0, 7, 0],
    );
    let v2 = downlink_from_v3(&down).unwrap();
    let gc = v2.gateway_configuration.unwrap();
    assert_eq!(gc.frequency_deviation, 25_000);
    assert_eq!(gc.power, 27);
    assert_eq!(gc.frequency, 869_525_000);
    assert_eq!(gc.timestamp, 5_000_000);
    let lorawan = v2.protocol_configuration.unwrap().lorawan.unwrap();
    assert_eq!(lorawan.modulation, pb::Modulation::Fsk as i32);
    assert_eq!(lorawan.bit_rate, 50_000);
    assert_eq!(lorawan.data_rate, "");
}

#[test]
fn downlink_errors() {
    let lora = || TxSettings {
        data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
        frequency: 868_100_000,
        ..Default::default()
    };
    // Not scheduled: a TxRequest, or no settings.
    let request = DownlinkMessage {
        settings: Some(downlink_message::Settings::Request(TxRequest::default())),
        ..Default::default()
    };
    assert_eq!(downlink_from_v3(&request), Err(ConvertError::NotScheduled));
    assert_eq!(
        downlink_from_v3(&DownlinkMessage::default()),
        Err(ConvertError::NotScheduled)
    );
    // Absolute time without a concentrator timestamp: The Things Stack would send timestamp 0.
    let absolute = scheduled(
        TxSettings {
            time: Some(Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
            ..lora()
        },
        &[],
    );
    assert_eq!(
        downlink_from_v3(&absolute),
        Err(ConvertError::AbsoluteTimeOnly)
    );
    let lrfhss = scheduled(
        TxSettings {
            data_rate: Some(DataRate::lrfhss(0, 137_000, "2/3")),
            timestamp: 1,
            ..lora()
        },
        &[],
    );
    assert_eq!(
        downlink_from_v3(&lrfhss),
        Err(ConvertError::UnsupportedModulation("LR-FHSS"))
    );
    let no_dr = scheduled(
        TxSettings {
            data_rate: None,
            timestamp: 1,
            ..lora()
        },
        &[],
    );
    assert!(matches!(
        downlink_from_v3(&no_dr),
        Err(ConvertError::MissingDataRate(_))
    ));
}

fn v2_lorawan() -> pb::ProtocolRxMetadata {
    pb::ProtocolRxMetadata {
        lorawan: Some(pb::LoRaWanMetadata {
            coding_rate: "4/5".into(),
            data_rate: "SF7BW125".into(),
            modulation: pb::Modulation::Lora as i32,
            ..Default::default()
        }),
    }
}

/// The reference vectors' uplinks have no payload and no frequency, which The Things Stack's
/// conversion passes on and its Gateway Server refuses later; here the conversion refuses them
/// ([`loragw_mqtt_v3::validate::uplink`]), so the vectors get both.
const PAYLOAD: [u8; 5] = [0x40, 1, 2, 3, 4];
const FREQUENCY: u64 = 868_100_000;

fn expected_v3_uplink() -> UplinkMessage {
    UplinkMessage {
        raw_payload: PAYLOAD.to_vec(),
        settings: Some(TxSettings {
            frequency: FREQUENCY,
            timestamp: 1000,
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            ..Default::default()
        }),
        rx_metadata: vec![RxMetadata {
            gateway_ids: Some(ids()),
            channel_rssi: -2.0,
            rssi: -2.0,
            snr: -75.0,
            // Bug fix: The Things Stack sets `time` to 1970-01-01T00:00:00Z here because the v2
            // time is 0; it stays unset.
            time: None,
            timestamp: 1000,
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[test]
fn reference_uplinks() {
    // "correct Input" (with a payload and a frequency, see `PAYLOAD`)
    let up = pb::UplinkMessage {
        payload: PAYLOAD.to_vec(),
        protocol_metadata: Some(v2_lorawan()),
        gateway_metadata: Some(pb::GatewayRxMetadata {
            gateway_id: "gateway-id".into(),
            frequency: FREQUENCY,
            rssi: -2.0,
            snr: -75.0,
            timestamp: 1000,
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(uplink_to_v3(&up, &ids()).unwrap(), expected_v3_uplink());

    // "correct Input with Rsig": one antenna with rssi and snr only.
    let up = pb::UplinkMessage {
        payload: PAYLOAD.to_vec(),
        protocol_metadata: Some(v2_lorawan()),
        gateway_metadata: Some(pb::GatewayRxMetadata {
            gateway_id: "gateway-id".into(),
            frequency: FREQUENCY,
            antennas: vec![pb::gateway_rx_metadata::Antenna {
                rssi: -2.0,
                snr: -75.0,
                ..Default::default()
            }],
            timestamp: 1000,
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(uplink_to_v3(&up, &ids()).unwrap(), expected_v3_uplink());

    // "empty Input"
    assert_eq!(
        uplink_to_v3(&pb::UplinkMessage::default(), &ids()),
        Err(ConvertError::MissingLorawanMetadata)
    );

    // "incorrect modulation"
    let mut bad = up.clone();
    bad.protocol_metadata = Some(pb::ProtocolRxMetadata {
        lorawan: Some(pb::LoRaWanMetadata {
            modulation: 3252,
            ..v2_lorawan().lorawan.unwrap()
        }),
    });
    assert_eq!(
        uplink_to_v3(&bad, &ids()),
        Err(ConvertError::UnknownModulation(3252))
    );

    let mut bad = up;
    bad.protocol_metadata = Some(pb::ProtocolRxMetadata {
        lorawan: Some(pb::LoRaWanMetadata {
            data_rate: "SF13BW125".into(),
            ..v2_lorawan().lorawan.unwrap()
        }),
    });
    assert_eq!(
        uplink_to_v3(&bad, &ids()),
        Err(ConvertError::BadDataRate("SF13BW125".into()))
    );
}

#[test]
fn antennas_keep_fine_time_encrypted_time_and_channel() {
    // Bug fix: The Things Stack drops channel, fine_time and encrypted_time.
    let up = pb::UplinkMessage {
        payload: vec![0x40, 1, 2, 3, 4],
        protocol_metadata: Some(v2_lorawan()),
        gateway_metadata: Some(pb::GatewayRxMetadata {
            timestamp: 879_148_780,
            time: 1_499_176_277_997_099_000, // 2017-07-04T13:51:17.997099Z
            frequency: 868_100_000,
            antennas: vec![
                pb::gateway_rx_metadata::Antenna {
                    antenna: 0,
                    channel: 7,
                    rssi: -92.0,
                    channel_rssi: -95.0,
                    snr: 14.0,
                    frequency_offset: -8898,
                    fine_time: 1_255_738_435,
                    encrypted_time: vec![0xe3, 0x64, 0x0c, 0xcc],
                    ..Default::default()
                },
                pb::gateway_rx_metadata::Antenna {
                    antenna: 1,
                    channel: 23,
                    rssi: -88.0,
                    snr: 12.0,
                    fine_time: 1_252_538_436,
                    ..Default::default()
                },
            ],
            ..Default::default()
        }),
        ..Default::default()
    };
    let v3 = uplink_to_v3(&up, &ids()).unwrap();
    assert_eq!(v3.raw_payload, vec![0x40, 1, 2, 3, 4]);
    let settings = v3.settings.unwrap();
    assert_eq!(settings.frequency, 868_100_000);
    assert_eq!(settings.time, None);
    let time = Some(Timestamp {
        seconds: 1_499_176_277,
        nanos: 997_099_000,
    });
    let expected = vec![
        RxMetadata {
            gateway_ids: Some(ids()),
            antenna_index: 0,
            channel_index: 7,
            rssi: -95.0,
            channel_rssi: -95.0,
            signal_rssi: Some(FloatValue { value: -92.0 }),
            snr: 14.0,
            frequency_offset: -8898,
            fine_timestamp: 1_255_738_435,
            encrypted_fine_timestamp: vec![0xe3, 0x64, 0x0c, 0xcc],
            time,
            timestamp: 879_148_780,
            ..Default::default()
        },
        RxMetadata {
            gateway_ids: Some(ids()),
            antenna_index: 1,
            channel_index: 23,
            // No channel RSSI: the antenna RSSI is the channel RSSI, no signal RSSI.
            rssi: -88.0,
            channel_rssi: -88.0,
            signal_rssi: None,
            snr: 12.0,
            fine_timestamp: 1_252_538_436,
            time,
            timestamp: 879_148_780,
            ..Default::default()
        },
    ];
    assert_eq!(v3.rx_metadata, expected);
}

fn counters(extra: &[(&str, f32)], rx: (f32, f32), tx: (f32, f32)) -> Vec<(String, f32)> {
    let mut m: Vec<(String, f32)> = [
        ("lmnw", 0.0),
        ("lmst", 0.0),
        ("lmok", 0.0),
        ("lpps", 0.0),
        ("rxin", rx.0),
        ("rxok", rx.1),
        ("txin", tx.0),
        ("txok", tx.1),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| (k.to_string(), *v))
    .collect();
    m.sort_by(|a, b| a.0.cmp(&b.0));
    m
}

// In all four status vectors The Things Stack also sets `boot_time` and `time` to
// 1970-01-01T00:00:00Z because the v2 values are 0. Bug fix: they stay unset.

#[test]
fn reference_status_simple() {
    let v2 = pb::StatusMessage {
        tx_in: 5,
        tx_ok: 3,
        rx_in: 15,
        rx_ok: 14,
        ..Default::default()
    };
    let expected = GatewayStatus {
        metrics: counters(&[], (15.0, 14.0), (5.0, 3.0))
            .into_iter()
            .collect(),
        ..Default::default()
    };
    assert_eq!(status_to_v3(&v2), expected);
}

#[test]
fn reference_status_with_versions() {
    let platform = "The Things Gateway v1 - BL r9-12345678 (2006-01-02T15:04:05Z) - Firmware v1.2.3-12345678 (2006-01-02T15:04:05Z)";
    let v2 = pb::StatusMessage {
        platform: platform.into(),
        dsp: 3,
        hal: "v1.1".into(),
        fpga: 4,
        ..Default::default()
    };
    let expected = GatewayStatus {
        metrics: counters(&[], (0.0, 0.0), (0.0, 0.0)).into_iter().collect(),
        versions: [
            ("platform", platform),
            ("dsp", "3"),
            ("fpga", "4"),
            ("hal", "v1.1"),
            ("model", "The Things Kickstarter Gateway v1"),
            ("firmware", "v1.2.3-12345678"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        ..Default::default()
    };
    assert_eq!(status_to_v3(&v2), expected);
}

#[test]
fn reference_status_with_metrics() {
    let v2 = pb::StatusMessage {
        os: Some(pb::status_message::OsMetrics {
            cpu_percentage: 10.0,
            load_1: 30.0,
            load_5: 40.0,
            load_15: 50.0,
            memory_percentage: 20.0,
            temperature: 30.0,
        }),
        rtt: 3,
        ..Default::default()
    };
    let extra = [
        ("cpu_percentage", 10.0),
        ("load_1", 30.0),
        ("load_5", 40.0),
        ("load_15", 50.0),
        ("memory_percentage", 20.0),
        ("temp", 30.0),
        ("rtt_ms", 3.0),
    ];
    let expected = GatewayStatus {
        metrics: counters(&extra, (0.0, 0.0), (0.0, 0.0))
            .into_iter()
            .collect(),
        ..Default::default()
    };
    assert_eq!(status_to_v3(&v2), expected);
}

#[test]
fn reference_status_with_location() {
    let v2 = pb::StatusMessage {
        location: Some(pb::LocationMetadata {
            latitude: 10.0,
            longitude: 10.0,
            altitude: 10,
            source: pb::location_metadata::LocationSource::Gps as i32,
            ..Default::default()
        }),
        ..Default::default()
    };
    let expected = GatewayStatus {
        metrics: counters(&[], (0.0, 0.0), (0.0, 0.0)).into_iter().collect(),
        antenna_locations: vec![Location {
            altitude: 10,
            latitude: 10.0,
            longitude: 10.0,
            source: LocationSource::SourceGps as i32,
            ..Default::default()
        }],
        ..Default::default()
    };
    assert_eq!(status_to_v3(&v2), expected);
}

#[test]
fn status_times_sources_and_bad_locations() {
    let v2 = pb::StatusMessage {
        time: 1_496_914_842_000_000_000,
        boot_time: 1_496_828_442_000_000_000,
        ip: vec!["192.0.2.1".into()],
        platform: "IMST + Rpi".into(),
        location: Some(pb::LocationMetadata {
            latitude: 91.0,
            longitude: 10.0,
            ..Default::default()
        }),
        ..Default::default()
    };
    let v3 = status_to_v3(&v2);
    assert_eq!(
        v3.time,
        Some(Timestamp {
            seconds: 1_496_914_842,
            nanos: 0
        })
    );
    assert_eq!(
        v3.boot_time,
        Some(Timestamp {
            seconds: 1_496_828_442,
            nanos: 0
        })
    );
    assert_eq!(v3.ip, vec!["192.0.2.1".to_string()]);
    // Not a Kickstarter platform: no model or firmware.
    assert_eq!(v3.versions.len(), 1);
    assert_eq!(v3.versions["platform"], "IMST + Rpi");
    // Latitude out of range: no location.
    assert!(v3.antenna_locations.is_empty());

    use pb::location_metadata::LocationSource as V2;
    for (v2_source, v3_source) in [
        (V2::Unknown, LocationSource::SourceUnknown),
        (V2::Gps, LocationSource::SourceGps),
        (V2::Config, LocationSource::SourceRegistry),
        (V2::Registry, LocationSource::SourceRegistry),
        (V2::IpGeolocation, LocationSource::SourceIpGeolocation),
    ] {
        // Not at (0, 0), which is dropped as a placeholder.
        let v2 = pb::StatusMessage {
            location: Some(pb::LocationMetadata {
                source: v2_source as i32,
                latitude: 46.5,
                longitude: 6.25,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            status_to_v3(&v2).antenna_locations[0].source,
            v3_source as i32,
            "{v2_source:?}"
        );
    }
}
