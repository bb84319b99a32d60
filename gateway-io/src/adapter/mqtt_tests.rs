//! MQTT v3 and v2 adapter tests: The Things Stack's v2 conversion vectors and v3 token
//! matching.

use loragw_mqtt_v2::pb;
use loragw_mqtt_v3::codec::{decode_down, encode};
use loragw_mqtt_v3::{DownlinkTokens, GatewayUid};
use loragw_ttnpb::downlink_message::Settings;
use loragw_ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_ttnpb::{
    DataRate, DownlinkMessage, GatewayIdentifiers, RxMetadata, TxAcknowledgment, TxSettings,
    UplinkMessage, tx_settings,
};

use super::{mqtt_v2, mqtt_v3};
use crate::ids::GatewayIds;

fn gw() -> GatewayIds {
    GatewayIds::new("mqtt-gw", None)
}

fn uid() -> GatewayUid {
    GatewayUid::new("mqtt-gw").unwrap()
}

fn bytes<M: loragw_ttnpb::prost::Message>(m: &M) -> Vec<u8> {
    m.encode_to_vec()
}

#[test]
fn v2_uplink_vector_without_the_1970_bug() {
    let v2 = pb::UplinkMessage {
        payload: vec![0x40, 1, 2, 3],
        protocol_metadata: Some(pb::ProtocolRxMetadata {
            lorawan: Some(pb::LoRaWanMetadata {
                modulation: pb::Modulation::Lora as i32,
                data_rate: "SF7BW125".into(),
                coding_rate: "4/5".into(),
                ..Default::default()
            }),
        }),
        gateway_metadata: Some(pb::GatewayRxMetadata {
            rssi: -2.0,
            snr: -75.0,
            timestamp: 1000,
            frequency: 868_100_000,
            ..Default::default()
        }),
        ..Default::default()
    };
    let up = mqtt_v2::uplink_from_publish(&gw(), &bytes(&v2), None).unwrap();
    let settings = up.settings.as_ref().unwrap();
    assert_eq!(settings.timestamp, 1000);
    assert_eq!(settings.data_rate, Some(DataRate::lora(7, 125_000, "4/5")));
    assert_eq!(
        without_tokens(&up.rx_metadata),
        [RxMetadata {
            gateway_ids: Some(gw().to_ttnpb()),
            rssi: -2.0,
            channel_rssi: -2.0,
            snr: -75.0,
            timestamp: 1000,
            // The Things Stack sets 1970-01-01 here; a v2 time of 0 stays unset.
            time: None,
            ..Default::default()
        }]
    );
    assert!(mqtt_v2::uplink_from_publish(&gw(), &[0xFF, 0xFF], None).is_err());
}

#[test]
fn v2_downlink_vector() {
    // raw "YHBhYUoAAgABj9/clY414A": 60 70 61 61 4a 00 02 00 01 8f df dc 95 8e 35 e0 (FCnt 2).
    let raw = vec![
        0x60, 0x70, 0x61, 0x61, 0x4a, 0x00, 0x02, 0x00, 0x01, 0x8f, 0xdf, 0xdc, 0x95, 0x8e, 0x35,
        0xe0,
    ];
    let down = DownlinkMessage {
        raw_payload: raw.clone(),
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(12, 125_000, "4/5")),
            frequency: 863_000_000,
            timestamp: 12_000,
            downlink: Some(tx_settings::Downlink {
                tx_power: 16.15,
                ..Default::default()
            }),
            ..Default::default()
        })),
        ..Default::default()
    };
    let mut buf = Vec::new();
    let topic = mqtt_v2::downlink_publish(&uid(), &down, &mut buf).unwrap();
    assert_eq!(topic.to_string(), "mqtt-gw/down");
    let v2 = loragw_mqtt_v2::codec::decode_downlink(&buf).unwrap();
    assert_eq!(v2.payload, raw);
    assert_eq!(
        v2.gateway_configuration,
        Some(pb::GatewayTxConfiguration {
            frequency: 863_000_000,
            power: 14,
            polarization_inversion: true,
            timestamp: 12_000,
            ..Default::default()
        })
    );
    let lorawan = v2.protocol_configuration.unwrap().lorawan.unwrap();
    assert_eq!(
        (
            lorawan.coding_rate.as_str(),
            lorawan.data_rate.as_str(),
            lorawan.f_cnt,
            lorawan.modulation
        ),
        ("4/5", "SF12BW125", 2, pb::Modulation::Lora as i32)
    );
}

#[test]
fn v2_status_kickstarter_platform() {
    let v2 = pb::StatusMessage {
        platform: "The Things Gateway v1 - BL r9-12345678 (2006-01-02T15:04:05Z) - Firmware v1.2.3-12345678 (2006-01-02T15:04:05Z)".into(),
        ..Default::default()
    };
    let status = mqtt_v2::status_from_publish(&bytes(&v2)).unwrap();
    assert_eq!(
        status.versions.get("model").map(String::as_str),
        Some("The Things Kickstarter Gateway v1")
    );
    assert_eq!(
        status.versions.get("firmware").map(String::as_str),
        Some("v1.2.3-12345678")
    );
}

#[test]
fn v3_uplink_takes_the_connection_ids() {
    let up = UplinkMessage {
        raw_payload: vec![
            0x40, 0x44, 0x33, 0x22, 0x11, 0x00, 0x01, 0x00, 0x01, 0xAA, 1, 2, 3, 4,
        ],
        settings: Some(TxSettings {
            data_rate: Some(DataRate::lora(9, 125_000, "4/5")),
            frequency: 868_500_000,
            timestamp: 7,
            ..Default::default()
        }),
        rx_metadata: vec![RxMetadata {
            gateway_ids: Some(GatewayIdentifiers {
                gateway_id: "someone-else".into(),
                eui: vec![],
            }),
            timestamp: 7,
            ..Default::default()
        }],
        ..Default::default()
    };
    let got = mqtt_v3::uplink_from_publish(&gw(), &bytes(&up), None).unwrap();
    assert_eq!(got.rx_metadata[0].gateway_ids, Some(gw().to_ttnpb()));
    assert!(got.payload.is_some());
    assert!(mqtt_v3::uplink_from_publish(&gw(), &[0x0A, 0xFF], None).is_err());
    let status = loragw_ttnpb::GatewayStatus::default();
    assert_eq!(
        mqtt_v3::status_from_publish(&bytes(&status)).unwrap(),
        status
    );
}

/// A matched ack keeps its own correlation ids and gains the downlink's, without duplicates.
#[test]
fn v3_matched_ack_keeps_its_own_correlation_ids() {
    let mut tokens = DownlinkTokens::new(16, 7);
    let down = DownlinkMessage {
        raw_payload: vec![1],
        correlation_ids: vec!["ns:downlink:1".into(), "as:up:2".into()],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 869_525_000,
            timestamp: 1,
            ..Default::default()
        })),
        ..Default::default()
    };
    let mut buf = Vec::new();
    mqtt_v3::downlink_publish(&uid(), &down, &mut tokens, &mut buf).unwrap();
    // The gateway sends its own ids, the token and one of the downlink's.
    let ack = TxAcknowledgment {
        correlation_ids: vec![
            "gw:ack:9".into(),
            "gs:down:token:7".into(),
            "as:up:2".into(),
        ],
        result: TxResult::Success as i32,
        downlink_message: None,
    };
    let mut ack_bytes = Vec::new();
    encode(&ack, &mut ack_bytes);
    let got = mqtt_v3::tx_ack_from_publish(&ack_bytes, &mut tokens).unwrap();
    assert_eq!(
        got.correlation_ids,
        ["gw:ack:9", "gs:down:token:7", "as:up:2", "ns:downlink:1"]
    );
    assert_eq!(got.downlink_message, Some(down));
}

#[test]
fn v3_downlink_token_matches_the_ack() {
    let mut tokens = DownlinkTokens::new(16, 100);
    let down = DownlinkMessage {
        raw_payload: vec![1, 2, 3],
        correlation_ids: vec!["ns:downlink:1".into()],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 869_525_000,
            timestamp: 1,
            ..Default::default()
        })),
        ..Default::default()
    };
    let mut buf = Vec::new();
    let topic = mqtt_v3::downlink_publish(&uid(), &down, &mut tokens, &mut buf).unwrap();
    assert_eq!(topic.to_string(), "v3/mqtt-gw/down");
    let published = decode_down(&buf).unwrap().downlink_message.unwrap();
    assert_eq!(
        published.correlation_ids,
        ["ns:downlink:1", "gs:down:token:100"]
    );
    // The gateway echoes the correlation ids.
    let ack = TxAcknowledgment {
        correlation_ids: published.correlation_ids.clone(),
        result: TxResult::TooLate as i32,
        downlink_message: None,
    };
    let mut ack_bytes = Vec::new();
    encode(&ack, &mut ack_bytes);
    let got = mqtt_v3::tx_ack_from_publish(&ack_bytes, &mut tokens).unwrap();
    assert_eq!(got.result(), TxResult::TooLate);
    // The ack's own ids are kept; the downlink's are already among them.
    assert_eq!(got.correlation_ids, ["ns:downlink:1", "gs:down:token:100"]);
    assert_eq!(got.downlink_message, Some(down.clone()));
    // A second ack for the same token is unmatched but still reported.
    let again = mqtt_v3::tx_ack_from_publish(&ack_bytes, &mut tokens).unwrap();
    assert_eq!(again.downlink_message, None);
    let request = DownlinkMessage {
        settings: Some(Settings::Request(Default::default())),
        ..down
    };
    assert!(mqtt_v3::downlink_publish(&uid(), &request, &mut tokens, &mut buf).is_err());
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
