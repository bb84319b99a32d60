//! The JSON shape matches what The Things Stack prints (the `serde` feature).
#![cfg(feature = "serde")]

use loragw_ttnpb::{
    BoolValue, DataRate, FloatValue, GatewayIdentifiers, GatewayStatus, Location, LocationSource,
    RxMetadata, Timestamp, TxAcknowledgment, TxSettings, UplinkMessage, tx_acknowledgment,
};
use serde_json::json;

/// The multi-antenna uplink of the Semtech UDP notes (`rsig` with two antennas).
fn uplink() -> UplinkMessage {
    let time = Timestamp {
        seconds: 1_499_176_277,
        nanos: 997_099_000,
    };
    let antenna =
        |antenna_index, channel_index, rssi, signal_rssi, snr, fine_timestamp| RxMetadata {
            gateway_ids: Some(GatewayIdentifiers {
                gateway_id: "gtw-1".into(),
                eui: vec![0xAA, 0x55, 0x5A, 0x00, 0x00, 0x00, 0x01, 0x01],
            }),
            antenna_index,
            time: Some(time),
            timestamp: 879_148_780,
            fine_timestamp,
            encrypted_fine_timestamp: vec![
                0xE3, 0x64, 0x0C, 0xCC, 0xE9, 0x58, 0x49, 0x23, 0xCC, 0x31, 0xEA, 0x95, 0x3E, 0xB6,
                0x34, 0x7D,
            ],
            encrypted_fine_timestamp_key_id: "42".into(),
            rssi,
            channel_rssi: rssi,
            snr,
            frequency_offset: -8898,
            signal_rssi: Some(FloatValue { value: signal_rssi }),
            channel_index,
            ..Default::default()
        };
    UplinkMessage {
        raw_payload: vec![
            0x80, 0xCF, 0x80, 0x31, 0x07, 0x00, 0xBE, 0x04, 0x01, 0x96, 0x88, 0x67, 0x94, 0x9A,
            0x94, 0x18, 0xE2, 0x4A, 0x4C, 0x3B, 0x93, 0xB1, 0xC4, 0x03,
        ],
        settings: Some(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_300_000,
            timestamp: 879_148_780,
            time: Some(time),
            ..Default::default()
        }),
        rx_metadata: vec![
            antenna(0, 7, -95.0, -92.0, 14.0, 1_255_738_435),
            antenna(1, 23, -93.0, -88.0, 13.5, 1_252_538_436),
        ],
        received_at: Some(Timestamp {
            seconds: 1_499_176_278,
            nanos: 123_456_000,
        }),
        crc_status: Some(BoolValue { value: true }),
        ..Default::default()
    }
}

fn expected_uplink_json() -> serde_json::Value {
    let antenna = |antenna_index: u32,
                   channel_index: u32,
                   rssi: f32,
                   signal_rssi: f32,
                   snr: f32,
                   fine: &str| {
        let mut md = json!({
            "gateway_ids": { "gateway_id": "gtw-1", "eui": "AA555A0000000101" },
            "time": "2017-07-04T13:51:17.997099Z",
            "timestamp": 879148780,
            "fine_timestamp": fine,
            "encrypted_fine_timestamp": "42QMzOlYSSPMMeqVPrY0fQ==",
            "encrypted_fine_timestamp_key_id": "42",
            "rssi": rssi,
            "channel_rssi": rssi,
            "snr": snr,
            "frequency_offset": "-8898",
            "signal_rssi": signal_rssi,
            "channel_index": channel_index,
        });
        if antenna_index != 0 {
            md["antenna_index"] = json!(antenna_index);
        }
        md
    };
    json!({
        "raw_payload": "gM+AMQcAvgQBlohnlJqUGOJKTDuTscQD",
        "settings": {
            "data_rate": { "lora": { "bandwidth": 125000, "spreading_factor": 7, "coding_rate": "4/5" } },
            "frequency": "868300000",
            "timestamp": 879148780,
            "time": "2017-07-04T13:51:17.997099Z"
        },
        "rx_metadata": [
            antenna(0, 7, -95.0, -92.0, 14.0, "1255738435"),
            antenna(1, 23, -93.0, -88.0, 13.5, "1252538436"),
        ],
        "received_at": "2017-07-04T13:51:18.123456Z",
        "crc_status": true
    })
}

#[test]
fn uplink_json_has_the_things_stack_shape() {
    let value = serde_json::to_value(uplink()).unwrap();
    assert_eq!(value, expected_uplink_json());
    // The paths the issue names, spelled out.
    assert_eq!(
        value["settings"]["data_rate"]["lora"]["spreading_factor"],
        7
    );
    assert_eq!(value["raw_payload"], "gM+AMQcAvgQBlohnlJqUGOJKTDuTscQD");
    assert!(value.get("rawPayload").is_none());
}

#[test]
fn uplink_json_parses_back() {
    let parsed: UplinkMessage = serde_json::from_value(expected_uplink_json()).unwrap();
    assert_eq!(parsed, uplink());
}

#[test]
fn parsing_accepts_camel_case_base64_eui_and_unknown_fields() {
    let json = r#"{
        "rawPayload": "QHhWNBIAAQABqrvM3Q==",
        "settings": { "dataRate": { "lora": { "bandwidth": 125000, "spreadingFactor": 7, "codingRate": "4/5" } },
                      "frequency": 868100000 },
        "rx_metadata": [{ "gateway_ids": { "gateway_id": "gtw-1", "eui": "qlVaAAAAAQE=" },
                          "time": "2017-07-04T15:51:17.997099+02:00",
                          "some_future_field": { "x": 1 } }],
        "crc_status": false
    }"#;
    let up: UplinkMessage = serde_json::from_str(json).unwrap();
    assert_eq!(
        up.raw_payload,
        [
            0x40, 0x78, 0x56, 0x34, 0x12, 0x00, 0x01, 0x00, 0x01, 0xAA, 0xBB, 0xCC, 0xDD
        ]
    );
    let settings = up.settings.unwrap();
    assert_eq!(settings.frequency, 868_100_000);
    assert_eq!(
        settings
            .data_rate
            .unwrap()
            .as_lora()
            .unwrap()
            .spreading_factor,
        7
    );
    let md = &up.rx_metadata[0];
    assert_eq!(
        md.gateway_ids.as_ref().unwrap().eui,
        [0xAA, 0x55, 0x5A, 0, 0, 0, 1, 1]
    );
    assert_eq!(
        md.time,
        Some(Timestamp {
            seconds: 1_499_176_277,
            nanos: 997_099_000
        })
    );
    assert_eq!(up.crc_status, Some(BoolValue { value: false }));
}

#[test]
fn gateway_status_json() {
    let status = GatewayStatus {
        time: Some(Timestamp {
            seconds: 1_496_914_842,
            nanos: 0,
        }),
        boot_time: Some(Timestamp {
            seconds: 1_496_828_442,
            nanos: 0,
        }),
        versions: [("fpga", "2"), ("hal", "5.1.0")]
            .map(|(k, v)| (k.into(), v.into()))
            .into(),
        antenna_locations: vec![Location {
            latitude: 52.34223,
            longitude: 5.29685,
            altitude: 66,
            accuracy: 0,
            source: LocationSource::SourceGps as i32,
        }],
        ip: vec!["192.0.2.1".into()],
        metrics: [("rxin".to_string(), 4.0f32), ("temp".to_string(), 30.5)].into(),
        advanced: None,
    };
    let value = serde_json::to_value(&status).unwrap();
    assert_eq!(
        value,
        json!({
            "time": "2017-06-08T09:40:42Z",
            "boot_time": "2017-06-07T09:40:42Z",
            "versions": { "fpga": "2", "hal": "5.1.0" },
            "antenna_locations": [{ "latitude": 52.34223, "longitude": 5.29685, "altitude": 66, "source": "SOURCE_GPS" }],
            "ip": ["192.0.2.1"],
            "metrics": { "rxin": 4.0, "temp": 30.5 }
        })
    );
    assert_eq!(
        serde_json::from_value::<GatewayStatus>(value).unwrap(),
        status
    );
}

#[test]
fn tx_acknowledgment_json_uses_enum_names() {
    let ack = TxAcknowledgment {
        correlation_ids: vec!["gs:down:token:1".into()],
        result: tx_acknowledgment::Result::TooLate as i32,
        downlink_message: None,
    };
    let value = serde_json::to_value(&ack).unwrap();
    assert_eq!(
        value,
        json!({ "correlation_ids": ["gs:down:token:1"], "result": "TOO_LATE" })
    );
    // Enum numbers are accepted on input, as the proto3 JSON mapping requires.
    let by_number: TxAcknowledgment = serde_json::from_value(json!({ "result": 2 })).unwrap();
    assert_eq!(by_number.result(), tx_acknowledgment::Result::TooLate);
    // An enum value this schema does not know is an error on output, not a silent number.
    let unknown = TxAcknowledgment { result: 42, ..ack };
    assert!(serde_json::to_value(&unknown).is_err());
}
