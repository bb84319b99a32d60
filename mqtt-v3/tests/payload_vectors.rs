//! Byte-exact v3 payload vectors. Expected bytes are written out by hand from the field numbers
//! of ttn.lorawan.v3 (tag = field << 3 | wire type; floats are little-endian IEEE 754), not
//! produced by the code under test.

#![allow(clippy::unwrap_used, reason = "test helpers may unwrap")]

use loragw_mqtt_v3::codec::{self, MAX_PAYLOAD_LEN, PayloadError, UpstreamMessage};
use loragw_mqtt_v3::ttnpb::{
    DataRate, DownlinkMessage, GatewayIdentifiers, GatewayStatus, RxMetadata, Timestamp,
    TxAcknowledgment, TxSettings, UplinkMessage, downlink_message, tx_acknowledgment, tx_settings,
};
use loragw_mqtt_v3::{DownlinkTokens, TopicKind, gateway_down};

fn uplink() -> UplinkMessage {
    UplinkMessage {
        raw_payload: vec![0x40, 0x01, 0x02, 0x03, 0x04],
        settings: Some(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: 1000,
            ..Default::default()
        }),
        rx_metadata: vec![RxMetadata {
            gateway_ids: Some(GatewayIdentifiers {
                gateway_id: "gateway-id".into(),
                ..Default::default()
            }),
            timestamp: 1000,
            rssi: -107.0,
            channel_rssi: -107.0,
            snr: -11.0,
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[rustfmt::skip]
const UPLINK_BYTES: &[u8] = &[
    0x0a, 0x05, 0x40, 0x01, 0x02, 0x03, 0x04,       // 1 raw_payload
    0x22, 0x18,                                     // 4 settings, 24 bytes
      0x0a, 0x0d,                                   //   1 data_rate, 13 bytes
        0x0a, 0x0b,                                 //     1 lora, 11 bytes
          0x08, 0xc8, 0xd0, 0x07,                   //       1 bandwidth = 125000
          0x10, 0x07,                               //       2 spreading_factor = 7
          0x1a, 0x03, b'4', b'/', b'5',             //       3 coding_rate
      0x20, 0xa0, 0xcf, 0xf8, 0x9d, 0x03,           //   4 frequency = 868100000
      0x30, 0xe8, 0x07,                             //   6 timestamp = 1000
    0x2a, 0x20,                                     // 5 rx_metadata, 32 bytes
      0x0a, 0x0c,                                   //   1 gateway_ids, 12 bytes
        0x0a, 0x0a, b'g', b'a', b't', b'e', b'w', b'a', b'y', b'-', b'i', b'd',
      0x20, 0xe8, 0x07,                             //   4 timestamp = 1000
      0x45, 0x00, 0x00, 0xd6, 0xc2,                 //   8 rssi = -107.0 (0xc2d60000)
      0x4d, 0x00, 0x00, 0xd6, 0xc2,                 //   9 channel_rssi = -107.0
      0x5d, 0x00, 0x00, 0x30, 0xc1,                 //  11 snr = -11.0 (0xc1300000)
];

#[test]
fn uplink_vector() {
    assert_eq!(codec::decode_uplink(UPLINK_BYTES).unwrap(), uplink());
    let mut buf = Vec::new();
    codec::encode(&uplink(), &mut buf);
    assert_eq!(buf, UPLINK_BYTES);
    assert_eq!(
        codec::decode_upstream(TopicKind::Up, UPLINK_BYTES).unwrap(),
        UpstreamMessage::Uplink(uplink())
    );
}

#[rustfmt::skip]
const STATUS_BYTES: &[u8] = &[
    0x0a, 0x06,                                     // 1 time, 6 bytes
      0x08, 0x9a, 0xb7, 0xe4, 0xc9, 0x05,           //   1 seconds = 1496914842 (2017-06-08T09:40:42Z)
    0x1a, 0x09,                                     // 3 versions entry, 9 bytes
      0x0a, 0x04, b'f', b'p', b'g', b'a',           //   1 key
      0x12, 0x01, b'2',                             //   2 value
    0x32, 0x0b,                                     // 6 metrics entry, 11 bytes
      0x0a, 0x04, b'l', b'm', b'o', b'k',           //   1 key
      0x15, 0x00, 0x00, 0x40, 0x40,                 //   2 value = 3.0 (0x40400000)
];

#[test]
fn status_vector() {
    let status = GatewayStatus {
        time: Some(Timestamp {
            seconds: 1_496_914_842,
            nanos: 0,
        }),
        versions: [("fpga".to_string(), "2".to_string())].into(),
        metrics: [("lmok".to_string(), 3.0)].into(),
        ..Default::default()
    };
    assert_eq!(codec::decode_status(STATUS_BYTES).unwrap(), status);
    let mut buf = Vec::new();
    codec::encode(&status, &mut buf);
    assert_eq!(buf, STATUS_BYTES);
}

#[rustfmt::skip]
const TX_ACK_BYTES: &[u8] = &[
    0x0a, 0x0f,                                     // 1 correlation_ids[0], 15 bytes
      b'g', b's', b':', b'd', b'o', b'w', b'n', b':', b't', b'o', b'k', b'e', b'n', b':', b'7',
    0x10, 0x02,                                     // 2 result = TOO_LATE
];

#[test]
fn tx_ack_vector() {
    let ack = codec::decode_tx_ack(TX_ACK_BYTES).unwrap();
    assert_eq!(ack.correlation_ids, vec!["gs:down:token:7".to_string()]);
    assert_eq!(ack.result(), tx_acknowledgment::Result::TooLate);
    let mut buf = Vec::new();
    codec::encode(&ack, &mut buf);
    assert_eq!(buf, TX_ACK_BYTES);
    assert!(matches!(
        codec::decode_upstream(TopicKind::DownAck, TX_ACK_BYTES).unwrap(),
        UpstreamMessage::TxAck(_)
    ));
}

#[rustfmt::skip]
const DOWN_BYTES: &[u8] = &[
    0x0a, 0x44,                                     // 1 downlink_message, 68 bytes
      0x0a, 0x10,                                   //   1 raw_payload, 16 bytes
        0x60, 0x70, 0x61, 0x61, 0x4a, 0x00, 0x02, 0x00,
        0x01, 0x8f, 0xdf, 0xdc, 0x95, 0x8e, 0x35, 0xe0,
      0x2a, 0x1f,                                   //   5 scheduled, 31 bytes
        0x0a, 0x0d,                                 //     1 data_rate, 13 bytes
          0x0a, 0x0b,                               //       1 lora, 11 bytes
            0x08, 0xc8, 0xd0, 0x07,                 //         1 bandwidth = 125000
            0x10, 0x0c,                             //         2 spreading_factor = 12
            0x1a, 0x03, b'4', b'/', b'5',           //         3 coding_rate
        0x20, 0xc0, 0xab, 0xc1, 0x9b, 0x03,         //     4 frequency = 863000000
        0x30, 0xe0, 0x5d,                           //     6 timestamp = 12000
        0x42, 0x05,                                 //     8 downlink, 5 bytes
          0x15, 0x33, 0x33, 0x81, 0x41,             //       2 tx_power = 16.15 (0x41813333)
      0x32, 0x0f,                                   //   6 correlation_ids[0], 15 bytes
        b'g', b's', b':', b'd', b'o', b'w', b'n', b':', b't', b'o', b'k', b'e', b'n', b':', b'0',
];

#[test]
fn gateway_down_vector() {
    let mut downlink = DownlinkMessage {
        raw_payload: vec![
            0x60, 0x70, 0x61, 0x61, 0x4a, 0x00, 0x02, 0x00, 0x01, 0x8f, 0xdf, 0xdc, 0x95, 0x8e,
            0x35, 0xe0,
        ],
        settings: Some(downlink_message::Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(12, 125_000, "4/5")),
            frequency: 863_000_000,
            timestamp: 12000,
            downlink: Some(tx_settings::Downlink {
                tx_power: 16.15,
                ..Default::default()
            }),
            ..Default::default()
        })),
        ..Default::default()
    };
    let mut tokens = DownlinkTokens::new(16, 0);
    let token = tokens.insert_downlink(&mut downlink, ());
    assert_eq!(token, 0);
    let down = gateway_down(downlink);
    let mut buf = Vec::new();
    codec::encode_down(&down, &mut buf);
    assert_eq!(buf, DOWN_BYTES);
    assert_eq!(codec::decode_down(DOWN_BYTES).unwrap(), down);

    // The gateway echoes the correlation ids; the server finds the downlink again.
    let ack = TxAcknowledgment {
        correlation_ids: down.downlink_message.unwrap().correlation_ids,
        ..Default::default()
    };
    assert_eq!(tokens.take_for_ack(&ack), Some((0, ())));
}

#[test]
fn bad_payloads_are_errors() {
    // A length-delimited field claiming 5 bytes with 1 present.
    assert!(matches!(
        codec::decode_uplink(&[0x0a, 0x05, 0x40]),
        Err(PayloadError::Protobuf {
            message: "ttn.lorawan.v3.UplinkMessage",
            ..
        })
    ));
    // Wire type 7 does not exist.
    assert!(matches!(
        codec::decode_status(&[0x0f]),
        Err(PayloadError::Protobuf { .. })
    ));
    // Invalid UTF-8 in correlation_ids.
    assert!(matches!(
        codec::decode_tx_ack(&[0x0a, 0x01, 0xff]),
        Err(PayloadError::Protobuf { .. })
    ));
    // A varint that never ends.
    assert!(matches!(
        codec::decode_down(&[0x08, 0xff, 0xff]),
        Err(PayloadError::Protobuf { .. })
    ));
    let big = vec![0u8; MAX_PAYLOAD_LEN + 1];
    assert_eq!(
        codec::decode_uplink(&big),
        Err(PayloadError::TooLarge {
            message: "ttn.lorawan.v3.UplinkMessage",
            len: MAX_PAYLOAD_LEN + 1
        })
    );
    assert_eq!(
        codec::decode_upstream(TopicKind::Down, DOWN_BYTES),
        Err(PayloadError::NotAnUpstreamTopic(TopicKind::Down))
    );
    let message = codec::decode_uplink(&[0x0a, 0x05, 0x40])
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("ttn.lorawan.v3.UplinkMessage payload is not valid protobuf"),
        "{message}"
    );
}
