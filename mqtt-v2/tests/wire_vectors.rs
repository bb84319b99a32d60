//! Byte-exact v2 protobuf vectors. The expected bytes are written out by hand from the field
//! numbers of `proto/router.proto` (tag = field << 3 | wire type), not produced by the code.

#![allow(clippy::unwrap_used, reason = "test helpers may unwrap")]

use loragw_mqtt_v2::codec::{self, DecodeError, MAX_PAYLOAD_LEN, UpstreamMessage};
use loragw_mqtt_v2::{GatewayUid, Topic, pb};

/// `YHBhYUoAAgABj9/clY414A` (base64, unpadded): an unconfirmed downlink, FCnt 2.
const DOWN_PAYLOAD: [u8; 16] = [
    0x60, 0x70, 0x61, 0x61, 0x4a, 0x00, 0x02, 0x00, 0x01, 0x8f, 0xdf, 0xdc, 0x95, 0x8e, 0x35, 0xe0,
];

/// The v2 downlink of The Things Stack's `TestProtobufV2Downlink`.
pub fn reference_downlink() -> pb::DownlinkMessage {
    pb::DownlinkMessage {
        payload: DOWN_PAYLOAD.to_vec(),
        protocol_configuration: Some(pb::ProtocolTxConfiguration {
            lorawan: Some(pb::LoRaWanTxConfiguration {
                modulation: pb::Modulation::Lora as i32,
                data_rate: "SF12BW125".into(),
                bit_rate: 0,
                coding_rate: "4/5".into(),
                f_cnt: 2,
            }),
        }),
        gateway_configuration: Some(pb::GatewayTxConfiguration {
            timestamp: 12000,
            rf_chain: 0,
            frequency: 863_000_000,
            power: 14,
            polarization_inversion: true,
            frequency_deviation: 0,
        }),
        trace: None,
    }
}

#[rustfmt::skip]
const DOWNLINK_BYTES: &[u8] = &[
    0x0a, 0x10,                                     // 1 payload, 16 bytes
    0x60, 0x70, 0x61, 0x61, 0x4a, 0x00, 0x02, 0x00,
    0x01, 0x8f, 0xdf, 0xdc, 0x95, 0x8e, 0x35, 0xe0,
    0x5a, 0x14,                                     // 11 protocol_configuration, 20 bytes
      0x0a, 0x12,                                   //   1 lorawan, 18 bytes (modulation LORA = 0 omitted)
        0x62, 0x09, b'S', b'F', b'1', b'2', b'B', b'W', b'1', b'2', b'5', // 12 data_rate
        0x72, 0x03, b'4', b'/', b'5',               //     14 coding_rate
        0x78, 0x02,                                 //     15 f_cnt = 2
    0x62, 0x10,                                     // 12 gateway_configuration, 16 bytes
      0x58, 0xe0, 0x5d,                             //   11 timestamp = 12000
      0xb0, 0x01, 0xc0, 0xab, 0xc1, 0x9b, 0x03,     //   22 frequency = 863000000
      0xb8, 0x01, 0x0e,                             //   23 power = 14
      0xf8, 0x01, 0x01,                             //   31 polarization_inversion = true
];

#[test]
fn downlink_encodes_byte_exact() {
    let mut buf = Vec::new();
    codec::encode(&reference_downlink(), &mut buf);
    assert_eq!(buf, DOWNLINK_BYTES);
    assert_eq!(
        codec::decode_downlink(DOWNLINK_BYTES).unwrap(),
        reference_downlink()
    );
}

/// The v2 uplink of The Things Stack's `TestProtobufV2Uplinks` ("correct Input").
#[rustfmt::skip]
const UPLINK_BYTES: &[u8] = &[
    0x5a, 0x11,                                     // 11 protocol_metadata, 17 bytes
      0x0a, 0x0f,                                   //   1 lorawan, 15 bytes
        0x62, 0x08, b'S', b'F', b'7', b'B', b'W', b'1', b'2', b'5', // 12 data_rate
        0x72, 0x03, b'4', b'/', b'5',               //     14 coding_rate
    0x62, 0x1b,                                     // 12 gateway_metadata, 27 bytes
      0x0a, 0x0a, b'g', b'a', b't', b'e', b'w', b'a', b'y', b'-', b'i', b'd', // 1 gateway_id
      0x58, 0xe8, 0x07,                             //   11 timestamp = 1000
      0x85, 0x02, 0x00, 0x00, 0x00, 0xc0,           //   32 rssi = -2.0 (fixed32 LE)
      0x8d, 0x02, 0x00, 0x00, 0x96, 0xc2,           //   33 snr = -75.0
];

#[test]
fn uplink_decodes_byte_exact() {
    let up = codec::decode_uplink(UPLINK_BYTES).unwrap();
    let md = up.gateway_metadata.as_ref().unwrap();
    assert_eq!(md.gateway_id, "gateway-id");
    assert_eq!(md.timestamp, 1000);
    assert_eq!(md.rssi, -2.0);
    assert_eq!(md.snr, -75.0);
    let lorawan = up
        .protocol_metadata
        .as_ref()
        .unwrap()
        .lorawan
        .as_ref()
        .unwrap();
    assert_eq!(lorawan.data_rate, "SF7BW125");
    assert_eq!(lorawan.coding_rate, "4/5");
    assert_eq!(lorawan.modulation, pb::Modulation::Lora as i32);
    let mut buf = Vec::new();
    codec::encode(&up, &mut buf);
    assert_eq!(buf, UPLINK_BYTES);
}

#[rustfmt::skip]
const STATUS_BYTES: &[u8] = &[
    0x62, 0x6f,                                     // 12 platform, 111 bytes
    b'T', b'h', b'e', b' ', b'T', b'h', b'i', b'n', b'g', b's', b' ', b'G', b'a', b't', b'e', b'w',
    b'a', b'y', b' ', b'v', b'1', b' ', b'-', b' ', b'B', b'L', b' ', b'r', b'9', b'-', b'1', b'2',
    b'3', b'4', b'5', b'6', b'7', b'8', b' ', b'(', b'2', b'0', b'0', b'6', b'-', b'0', b'1', b'-',
    b'0', b'2', b'T', b'1', b'5', b':', b'0', b'4', b':', b'0', b'5', b'Z', b')', b' ', b'-', b' ',
    b'F', b'i', b'r', b'm', b'w', b'a', b'r', b'e', b' ', b'v', b'1', b'.', b'2', b'.', b'3', b'-',
    b'1', b'2', b'3', b'4', b'5', b'6', b'7', b'8', b' ', b'(', b'2', b'0', b'0', b'6', b'-', b'0',
    b'1', b'-', b'0', b'2', b'T', b'1', b'5', b':', b'0', b'4', b':', b'0', b'5', b'Z', b')',
    0x90, 0x01, 0x04,                               // 18 fpga = 4
    0x98, 0x01, 0x03,                               // 19 dsp = 3
    0xa2, 0x01, 0x04, b'v', b'1', b'.', b'1',       // 20 hal = "v1.1"
];

#[test]
fn status_decodes_byte_exact() {
    let status = codec::decode_status(STATUS_BYTES).unwrap();
    assert_eq!(
        status.platform,
        "The Things Gateway v1 - BL r9-12345678 (2006-01-02T15:04:05Z) - Firmware v1.2.3-12345678 (2006-01-02T15:04:05Z)"
    );
    assert_eq!(
        (status.fpga, status.dsp, status.hal.as_str()),
        (4, 3, "v1.1")
    );
    let mut buf = Vec::new();
    codec::encode(&status, &mut buf);
    assert_eq!(buf, STATUS_BYTES);
}

#[test]
fn bad_payloads_are_errors() {
    // Truncated: a length-delimited field that claims more bytes than there are.
    assert!(matches!(
        codec::decode_uplink(&[0x0a, 0x05, 0x01]),
        Err(DecodeError::Protobuf {
            message: "router.UplinkMessage",
            ..
        })
    ));
    // Wire type 7 does not exist.
    assert!(matches!(
        codec::decode_status(&[0x0f]),
        Err(DecodeError::Protobuf { .. })
    ));
    // Invalid UTF-8 in a string field (StatusMessage.platform).
    assert!(matches!(
        codec::decode_status(&[0x62, 0x01, 0xff]),
        Err(DecodeError::Protobuf { .. })
    ));
    let big = vec![0u8; MAX_PAYLOAD_LEN + 1];
    assert_eq!(
        codec::decode_downlink(&big),
        Err(DecodeError::TooLarge {
            message: "router.DownlinkMessage",
            len: MAX_PAYLOAD_LEN + 1
        })
    );
    // Empty input is the all-default message, as in protobuf.
    assert_eq!(
        codec::decode_uplink(&[]).unwrap(),
        pb::UplinkMessage::default()
    );
}

#[test]
fn upstream_by_topic() {
    let uid = GatewayUid::parse("gateway-id").unwrap();
    assert_eq!(
        codec::decode_upstream(&Topic::Connect, b"anything").unwrap(),
        UpstreamMessage::Connect
    );
    assert_eq!(
        codec::decode_upstream(&Topic::Disconnect, &[0xff]).unwrap(),
        UpstreamMessage::Disconnect
    );
    assert!(matches!(
        codec::decode_upstream(&Topic::Up(uid.clone()), UPLINK_BYTES).unwrap(),
        UpstreamMessage::Uplink(_)
    ));
    assert!(matches!(
        codec::decode_upstream(&Topic::Status(uid.clone()), STATUS_BYTES).unwrap(),
        UpstreamMessage::Status(_)
    ));
    assert!(matches!(
        codec::decode_upstream(&Topic::Down(uid), DOWNLINK_BYTES),
        Err(DecodeError::NotAnUpstreamTopic(_))
    ));
}
