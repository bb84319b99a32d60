//! Byte-exact vectors. Every expected byte sequence was worked out by hand from the protobuf
//! wire format (key = field number << 3 | wire type; wire types 0 varint, 1 64-bit, 2 length
//! delimited, 5 32-bit; varints little-endian base 128; floats IEEE 754 little-endian) and is
//! written out below with a comment per field. prost writes fields in field-number order and,
//! with `BTreeMap` maps, map entries in key order, which is what these sequences assume.

use loragw_ttnpb::prost::Message as _;
use loragw_ttnpb::{
    BoolValue, DataRate, DownlinkMessage, FloatValue, GatewayDown, GatewayIdentifiers,
    GatewayStatus, Location, LocationSource, RxMetadata, Timestamp, TxAcknowledgment, TxSettings,
    UplinkMessage, downlink_message, tx_acknowledgment, tx_settings,
};

/// Encodes `message`, checks the bytes, and checks that the bytes decode back to `message`.
fn assert_vector<M: loragw_ttnpb::prost::Message + Default + PartialEq + std::fmt::Debug>(
    message: &M,
    expected: &[u8],
) {
    let encoded = message.encode_to_vec();
    assert_eq!(encoded.len(), message.encoded_len());
    assert_eq!(hex(&encoded), hex(expected), "encoding differs");
    assert_eq!(&M::decode(expected).expect("vector decodes"), message);
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// 2017-07-04T13:51:17.997099Z
fn rx_time() -> Timestamp {
    Timestamp {
        seconds: 1_499_176_277,
        nanos: 997_099_000,
    }
}

fn uplink() -> UplinkMessage {
    UplinkMessage {
        raw_payload: vec![
            0x40, 0x78, 0x56, 0x34, 0x12, 0x00, 0x01, 0x00, 0x01, 0xAA, 0xBB, 0xCC, 0xDD,
        ],
        settings: Some(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: 368_384_825,
            time: Some(rx_time()),
            ..Default::default()
        }),
        rx_metadata: vec![
            RxMetadata {
                gateway_ids: Some(GatewayIdentifiers {
                    gateway_id: "gtw-1".into(),
                    eui: vec![0xAA, 0x55, 0x5A, 0x00, 0x00, 0x00, 0x01, 0x01],
                }),
                time: Some(rx_time()),
                timestamp: 368_384_825,
                rssi: -107.0,
                channel_rssi: -107.0,
                snr: -11.0,
                channel_index: 2,
                gps_time: Some(rx_time()),
                ..Default::default()
            },
            RxMetadata {
                gateway_ids: Some(GatewayIdentifiers {
                    gateway_id: "gtw-1".into(),
                    eui: Vec::new(),
                }),
                antenna_index: 1,
                timestamp: 368_384_825,
                rssi: -95.0,
                channel_rssi: -95.0,
                snr: 7.25,
                frequency_offset: -8898,
                signal_rssi: Some(FloatValue { value: -92.0 }),
                channel_index: 23,
                ..Default::default()
            },
        ],
        received_at: Some(Timestamp {
            seconds: 1_499_176_278,
            nanos: 123_456_000,
        }),
        crc_status: Some(BoolValue { value: true }),
        ..Default::default()
    }
}

#[rustfmt::skip]
const UPLINK_BYTES: &[u8] = &[
    // 1 raw_payload, LEN 13
    0x0A, 0x0D, 0x40, 0x78, 0x56, 0x34, 0x12, 0x00, 0x01, 0x00, 0x01, 0xAA, 0xBB, 0xCC, 0xDD,
    // 4 settings, LEN 41
    0x22, 0x29,
        // 1 data_rate, LEN 13
        0x0A, 0x0D,
            // 1 lora, LEN 11
            0x0A, 0x0B,
                0x08, 0xC8, 0xD0, 0x07,       // 1 bandwidth = 125000
                0x10, 0x07,                   // 2 spreading_factor = 7
                0x1A, 0x03, 0x34, 0x2F, 0x35, // 3 coding_rate = "4/5"
        0x20, 0xA0, 0xCF, 0xF8, 0x9D, 0x03,   // 4 frequency = 868100000
        0x30, 0xB9, 0xB6, 0xD4, 0xAF, 0x01,   // 6 timestamp = 368384825
        // 7 time, LEN 12
        0x3A, 0x0C,
            0x08, 0xD5, 0xBA, 0xEE, 0xCA, 0x05, // 1 seconds = 1499176277
            0x10, 0xF8, 0x8B, 0xBA, 0xDB, 0x03, // 2 nanos = 997099000
    // 5 rx_metadata[0], LEN 72
    0x2A, 0x48,
        // 1 gateway_ids, LEN 17
        0x0A, 0x11,
            0x0A, 0x05, 0x67, 0x74, 0x77, 0x2D, 0x31, // 1 gateway_id = "gtw-1"
            0x12, 0x08, 0xAA, 0x55, 0x5A, 0x00, 0x00, 0x00, 0x01, 0x01, // 2 eui
        // 3 time, LEN 12
        0x1A, 0x0C,
            0x08, 0xD5, 0xBA, 0xEE, 0xCA, 0x05,
            0x10, 0xF8, 0x8B, 0xBA, 0xDB, 0x03,
        0x20, 0xB9, 0xB6, 0xD4, 0xAF, 0x01,   // 4 timestamp = 368384825
        0x45, 0x00, 0x00, 0xD6, 0xC2,         // 8 rssi = -107.0 (32-bit)
        0x4D, 0x00, 0x00, 0xD6, 0xC2,         // 9 channel_rssi = -107.0
        0x5D, 0x00, 0x00, 0x30, 0xC1,         // 11 snr = -11.0
        0x88, 0x01, 0x02,                     // 17 channel_index = 2 (key 136 takes 2 bytes)
        // 21 gps_time, LEN 12 (key 170)
        0xAA, 0x01, 0x0C,
            0x08, 0xD5, 0xBA, 0xEE, 0xCA, 0x05,
            0x10, 0xF8, 0x8B, 0xBA, 0xDB, 0x03,
    // 5 rx_metadata[1], LEN 54
    0x2A, 0x36,
        // 1 gateway_ids, LEN 7
        0x0A, 0x07,
            0x0A, 0x05, 0x67, 0x74, 0x77, 0x2D, 0x31, // 1 gateway_id = "gtw-1"
        0x10, 0x01,                           // 2 antenna_index = 1
        0x20, 0xB9, 0xB6, 0xD4, 0xAF, 0x01,   // 4 timestamp = 368384825
        0x45, 0x00, 0x00, 0xBE, 0xC2,         // 8 rssi = -95.0
        0x4D, 0x00, 0x00, 0xBE, 0xC2,         // 9 channel_rssi = -95.0
        0x5D, 0x00, 0x00, 0xE8, 0x40,         // 11 snr = 7.25
        // 12 frequency_offset = -8898 (int64: two's complement, 10-byte varint)
        0x60, 0xBE, 0xBA, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
        // 16 signal_rssi, LEN 5 (key 130): FloatValue { 1 value = -92.0 }
        0x82, 0x01, 0x05, 0x0D, 0x00, 0x00, 0xB8, 0xC2,
        0x88, 0x01, 0x17,                     // 17 channel_index = 23
    // 6 received_at, LEN 11
    0x32, 0x0B,
        0x08, 0xD6, 0xBA, 0xEE, 0xCA, 0x05,   // 1 seconds = 1499176278
        0x10, 0x80, 0x94, 0xEF, 0x3A,         // 2 nanos = 123456000
    // 11 crc_status, LEN 2: BoolValue { 1 value = true }
    0x5A, 0x02, 0x08, 0x01,
];

#[test]
fn uplink_message_with_two_rx_metadata() {
    assert_eq!(UPLINK_BYTES.len(), 205);
    assert_vector(&uplink(), UPLINK_BYTES);
}

#[test]
fn uplink_message_ignores_reserved_and_unknown_fields() {
    // A sender that still fills the reserved field 3 (end_device_ids, LEN 2: { 1 device_id = "" })
    // and a field from a newer schema (50, varint 1, key 400 = 0x90 0x03).
    let mut bytes = UPLINK_BYTES.to_vec();
    bytes.extend_from_slice(&[0x1A, 0x02, 0x0A, 0x00, 0x90, 0x03, 0x01]);
    assert_eq!(UplinkMessage::decode(bytes.as_slice()).unwrap(), uplink());
}

#[test]
fn uplink_message_truncated_is_an_error() {
    for len in [1, 20, 100, 204] {
        assert!(
            UplinkMessage::decode(&UPLINK_BYTES[..len]).is_err(),
            "prefix of {len} bytes"
        );
    }
}

fn gateway_down() -> GatewayDown {
    GatewayDown {
        downlink_message: Some(DownlinkMessage {
            raw_payload: vec![
                0x60, 0x78, 0x56, 0x34, 0x12, 0x20, 0x01, 0x00, 0xA1, 0xB2, 0xC3, 0xD4,
            ],
            settings: Some(downlink_message::Settings::Scheduled(TxSettings {
                data_rate: Some(DataRate::lora(10, 500_000, "4/5")),
                frequency: 925_700_000,
                timestamp: 1_886_440_700,
                downlink: Some(tx_settings::Downlink {
                    antenna_index: 0,
                    tx_power: 20.0,
                    invert_polarization: true,
                }),
                ..Default::default()
            })),
            correlation_ids: vec!["gs:down:token:1".into()],
            ..Default::default()
        }),
    }
}

#[rustfmt::skip]
const GATEWAY_DOWN_BYTES: &[u8] = &[
    // 1 downlink_message, LEN 69
    0x0A, 0x45,
        // 1 raw_payload, LEN 12
        0x0A, 0x0C, 0x60, 0x78, 0x56, 0x34, 0x12, 0x20, 0x01, 0x00, 0xA1, 0xB2, 0xC3, 0xD4,
        // 5 scheduled (oneof settings), LEN 36
        0x2A, 0x24,
            // 1 data_rate, LEN 13
            0x0A, 0x0D,
                // 1 lora, LEN 11
                0x0A, 0x0B,
                    0x08, 0xA0, 0xC2, 0x1E,       // 1 bandwidth = 500000
                    0x10, 0x0A,                   // 2 spreading_factor = 10
                    0x1A, 0x03, 0x34, 0x2F, 0x35, // 3 coding_rate = "4/5"
            0x20, 0xA0, 0x9F, 0xB4, 0xB9, 0x03,   // 4 frequency = 925700000
            0x30, 0xFC, 0x99, 0xC3, 0x83, 0x07,   // 6 timestamp = 1886440700
            // 8 downlink, LEN 7 (antenna_index 0 is the default: not written)
            0x42, 0x07,
                0x15, 0x00, 0x00, 0xA0, 0x41,     // 2 tx_power = 20.0
                0x18, 0x01,                       // 3 invert_polarization = true
        // 6 correlation_ids[0], LEN 15 = "gs:down:token:1"
        0x32, 0x0F, 0x67, 0x73, 0x3A, 0x64, 0x6F, 0x77, 0x6E, 0x3A, 0x74, 0x6F, 0x6B, 0x65, 0x6E,
        0x3A, 0x31,
];

#[test]
fn gateway_down_scheduled_lora() {
    assert_eq!(GATEWAY_DOWN_BYTES.len(), 71);
    assert_vector(&gateway_down(), GATEWAY_DOWN_BYTES);
}

#[test]
fn tx_acknowledgment_too_late() {
    let ack = TxAcknowledgment {
        correlation_ids: vec!["gs:down:token:1".into()],
        result: tx_acknowledgment::Result::TooLate as i32,
        downlink_message: None,
    };
    #[rustfmt::skip]
    let expected = [
        // 1 correlation_ids[0], LEN 15 = "gs:down:token:1"
        0x0A, 0x0F, 0x67, 0x73, 0x3A, 0x64, 0x6F, 0x77, 0x6E, 0x3A, 0x74, 0x6F, 0x6B, 0x65, 0x6E,
        0x3A, 0x31,
        0x10, 0x02, // 2 result = TOO_LATE (2)
    ];
    assert_vector(&ack, &expected);
    assert_eq!(
        TxAcknowledgment::decode(&expected[..]).unwrap().result(),
        tx_acknowledgment::Result::TooLate
    );
}

#[test]
fn tx_acknowledgment_success_and_unknown_result() {
    // SUCCESS is the enum default (0): not written.
    let ack = TxAcknowledgment {
        correlation_ids: vec!["gs:down:token:1".into()],
        ..Default::default()
    };
    #[rustfmt::skip]
    let expected = [
        // 1 correlation_ids[0], LEN 15 = "gs:down:token:1"; no field 2
        0x0A, 0x0F, 0x67, 0x73, 0x3A, 0x64, 0x6F, 0x77, 0x6E, 0x3A, 0x74, 0x6F, 0x6B, 0x65, 0x6E,
        0x3A, 0x31,
    ];
    assert_vector(&ack, &expected);
    // A result number from a newer schema (42) survives as a number; the getter falls back to
    // the default.
    let decoded = TxAcknowledgment::decode(&[0x10, 0x2A][..]).unwrap();
    assert_eq!(decoded.result, 42);
    assert_eq!(decoded.result(), tx_acknowledgment::Result::Success);
    assert_eq!(decoded.encode_to_vec(), [0x10, 0x2A]);
}

fn gateway_status() -> GatewayStatus {
    GatewayStatus {
        // 2017-06-08T09:40:42Z
        time: Some(Timestamp {
            seconds: 1_496_914_842,
            nanos: 0,
        }),
        // 2017-06-07T09:40:42Z
        boot_time: Some(Timestamp {
            seconds: 1_496_828_442,
            nanos: 0,
        }),
        versions: [("hal", "5.1.0"), ("fpga", "2"), ("dsp", "31")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        antenna_locations: vec![Location {
            latitude: 52.34223,
            longitude: 5.29685,
            altitude: 66,
            accuracy: 0,
            source: LocationSource::SourceGps as i32,
        }],
        ip: vec!["192.0.2.1".into()],
        metrics: [("temp", 30.5f32), ("rxin", 4.0)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        advanced: None,
    }
}

#[rustfmt::skip]
const GATEWAY_STATUS_BYTES: &[u8] = &[
    // 1 time, LEN 6: { 1 seconds = 1496914842 }
    0x0A, 0x06, 0x08, 0x9A, 0xB7, 0xE4, 0xC9, 0x05,
    // 2 boot_time, LEN 6: { 1 seconds = 1496828442 }
    0x12, 0x06, 0x08, 0x9A, 0x94, 0xDF, 0xC9, 0x05,
    // 3 versions: one LEN entry per pair, keys in order; entry = { 1 key, 2 value }
    0x1A, 0x09, 0x0A, 0x03, 0x64, 0x73, 0x70, 0x12, 0x02, 0x33, 0x31,             // "dsp" = "31"
    0x1A, 0x09, 0x0A, 0x04, 0x66, 0x70, 0x67, 0x61, 0x12, 0x01, 0x32,             // "fpga" = "2"
    0x1A, 0x0C, 0x0A, 0x03, 0x68, 0x61, 0x6C, 0x12, 0x05, 0x35, 0x2E, 0x31, 0x2E, 0x30, // "hal" = "5.1.0"
    // 4 antenna_locations[0], LEN 22
    0x22, 0x16,
        0x09, 0xE4, 0xDA, 0x50, 0x31, 0xCE, 0x2B, 0x4A, 0x40, // 1 latitude = 52.34223 (64-bit)
        0x11, 0x39, 0x45, 0x47, 0x72, 0xF9, 0x2F, 0x15, 0x40, // 2 longitude = 5.29685
        0x18, 0x42,                                           // 3 altitude = 66
        0x28, 0x01,                                           // 5 source = SOURCE_GPS (1)
    // 5 ip[0], LEN 9 = "192.0.2.1"
    0x2A, 0x09, 0x31, 0x39, 0x32, 0x2E, 0x30, 0x2E, 0x32, 0x2E, 0x31,
    // 6 metrics: entry = { 1 key, 2 value (32-bit float) }
    0x32, 0x0B, 0x0A, 0x04, 0x72, 0x78, 0x69, 0x6E, 0x15, 0x00, 0x00, 0x80, 0x40, // "rxin" = 4.0
    0x32, 0x0B, 0x0A, 0x04, 0x74, 0x65, 0x6D, 0x70, 0x15, 0x00, 0x00, 0xF4, 0x41, // "temp" = 30.5
];

#[test]
fn gateway_status_with_maps_and_location() {
    assert_eq!(GATEWAY_STATUS_BYTES.len(), 113);
    assert_vector(&gateway_status(), GATEWAY_STATUS_BYTES);
}

#[test]
fn gateway_status_map_entries_in_any_order_decode() {
    // Other encoders may write map entries in any order: "temp" before "rxin" decodes the same.
    let mut bytes = GATEWAY_STATUS_BYTES[..GATEWAY_STATUS_BYTES.len() - 26].to_vec();
    bytes.extend_from_slice(&GATEWAY_STATUS_BYTES[GATEWAY_STATUS_BYTES.len() - 13..]);
    bytes.extend_from_slice(
        &GATEWAY_STATUS_BYTES[GATEWAY_STATUS_BYTES.len() - 26..GATEWAY_STATUS_BYTES.len() - 13],
    );
    assert_eq!(
        GatewayStatus::decode(bytes.as_slice()).unwrap(),
        gateway_status()
    );
}
