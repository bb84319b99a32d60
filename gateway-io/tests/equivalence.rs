//! One radio frame, five protocol paths, one `UplinkMessage`.
//!
//! The same reception (a data uplink at 868.1 MHz, SF7/125, GPS time, fine timestamp) is
//! written out by hand in each protocol's wire format, decoded by the protocol crate and
//! translated by the adapter. Every path must give the message a full-featured MQTT v3 gateway
//! would send (with the server's uplink token), except the fields the protocol cannot carry:
//!
//! | path | fields it cannot carry |
//! |---|---|
//! | Semtech UDP v1 (single-antenna `rxpk`) | – |
//! | Semtech UDP v2 (`rsig` multi-antenna form) | – |
//! | Basics Station `updf` | `channel_index` |
//! | MQTT v3 | – |
//! | MQTT v2 | `gps_time` (v2 has Unix `time` only), `crc_status` |

// Helpers outside `#[test]` functions unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use loragw_basicstation::message::decode_up;
use loragw_basicstation::region::Region;
use loragw_gateway_io::adapter::{lbs, mqtt_v2, mqtt_v3, udp};
use loragw_gateway_io::ids::{Eui64, GatewayIds};
use loragw_gateway_io::reply::stamp_uplink_tokens;
use loragw_gateway_io::ttnpb::message::Payload;
use loragw_gateway_io::ttnpb::prost::Message as _;
use loragw_gateway_io::ttnpb::{
    BoolValue, DataRate, RxMetadata, Timestamp, TxSettings, UplinkMessage,
};
use loragw_mqtt_v2::pb;
use loragw_semtech_udp::Packet;

/// Unconfirmed data up: DevAddr 01020304, FCtrl ADR, FCnt 42, FPort 10, FRMPayload 01020304,
/// MIC A1 B2 C3 D4.
const PHY: [u8; 17] = [
    0x40, 0x04, 0x03, 0x02, 0x01, 0x80, 0x2A, 0x00, 0x0A, 0x01, 0x02, 0x03, 0x04, 0xA1, 0xB2, 0xC3,
    0xD4,
];
/// `PHY` in base64.
const PHY_B64: &str = "QAQDAgGAKgAKAQIDBKGyw9Q=";
const TMST: u32 = 3_000_000_123;
/// GPS 1 400 000 000.250 s = Unix 1 715 964 782.250 s (18 leap seconds).
const GPS_MS: u64 = 1_400_000_000_250;
const TIME: Timestamp = Timestamp {
    seconds: 1_715_964_782,
    nanos: 250_000_000,
};
const FINE_NS: u64 = 123_456_789;
const RECEIVED: Timestamp = Timestamp {
    seconds: 1_715_964_783,
    nanos: 0,
};

fn gw() -> GatewayIds {
    GatewayIds::new("gw-equal", Some(Eui64::from_u64(0x0011_2233_4455_6677)))
}

/// What a full-featured gateway reports over MQTT v3, with the uplink token the server adds
/// (the same on every path: gateway, antenna 0, `TMST`, receive time, GPS time).
fn reference() -> UplinkMessage {
    let mut up = UplinkMessage {
        raw_payload: PHY.to_vec(),
        payload: loragw_gateway_io::adapter::lorawan::parse_phy_payload(&PHY),
        settings: Some(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: TMST,
            time: Some(TIME),
            ..Default::default()
        }),
        rx_metadata: vec![RxMetadata {
            gateway_ids: Some(gw().to_ttnpb()),
            antenna_index: 0,
            channel_index: 2,
            timestamp: TMST,
            time: Some(TIME),
            gps_time: Some(TIME),
            fine_timestamp: FINE_NS,
            rssi: -42.0,
            channel_rssi: -42.0,
            snr: 7.5,
            ..Default::default()
        }],
        received_at: Some(RECEIVED),
        crc_status: Some(BoolValue { value: true }),
        ..Default::default()
    };
    stamp_uplink_tokens(&mut up, None);
    up
}

fn push_data(version: u8, rxpk: &str) -> Vec<u8> {
    let mut d = vec![
        version, 0x12, 0x34, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
    ];
    d.extend_from_slice(format!(r#"{{"rxpk":[{rxpk}]}}"#).as_bytes());
    d
}

fn via_udp(datagram: &[u8]) -> UplinkMessage {
    let Packet::PushData(p) = Packet::decode(datagram).unwrap() else {
        panic!("not PUSH_DATA")
    };
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    let (ups, errors) = udp::rxpks_to_uplinks(&gw(), &p.rxpk, Some(RECEIVED));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(ups.len(), 1);
    ups.into_iter().next().unwrap()
}

#[test]
fn the_payload_is_parsed_the_same_everywhere() {
    let Some(Payload::MacPayload(mac)) = reference().payload.unwrap().payload else {
        panic!("not a MACPayload")
    };
    assert_eq!((mac.f_port, mac.full_f_cnt), (10, 42));
}

#[test]
fn semtech_udp_v1_single_antenna() {
    let rxpk = format!(
        r#"{{"tmst":{TMST},"tmms":{GPS_MS},"ftime":{FINE_NS},"chan":2,"rfch":1,"freq":868.1,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-42,"lsnr":7.5,"size":17,"data":"{PHY_B64}"}}"#
    );
    assert_eq!(via_udp(&push_data(1, &rxpk)), reference());
}

#[test]
fn semtech_udp_v2_rsig() {
    let rxpk = format!(
        r#"{{"tmst":{TMST},"tmms":{GPS_MS},"chan":2,"rfch":1,"freq":868.100000,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","size":17,"data":"{PHY_B64}","rsig":[{{"ant":0,"chan":2,"rssic":-42,"lsnr":7.5,"ftime":{FINE_NS}}}]}}"#
    );
    assert_eq!(via_udp(&push_data(2, &rxpk)), reference());
}

#[test]
fn basics_station_updf() {
    // MIC A1 B2 C3 D4 little-endian = 0xD4C3B2A1, sent as a signed 32-bit integer.
    let text = format!(
        r#"{{"msgtype":"updf","MHdr":64,"DevAddr":16909060,"FCtrl":128,"FCnt":42,"FOpts":"","FPort":10,"FRMPayload":"01020304","MIC":-725372255,"RefTime":0,"DR":5,"Freq":868100000,"upinfo":{{"rctx":0,"xtime":{xtime},"gpstime":{gps_us},"fts":{FINE_NS},"rssi":-42,"snr":7.5,"rxtime":1715964782.25}}}}"#,
        xtime = (0x23_i64 << 48) | i64::from(TMST),
        gps_us = GPS_MS * 1000,
    );
    let up = lbs::up_message_to_uplink(
        &gw(),
        &decode_up(&text).unwrap(),
        Region::Eu868,
        Some(RECEIVED),
    )
    .unwrap();
    let mut want = reference();
    want.rx_metadata[0].channel_index = 0;
    assert_eq!(up, want);
}

#[test]
fn mqtt_v3() {
    let up =
        mqtt_v3::uplink_from_publish(&gw(), &reference().encode_to_vec(), Some(RECEIVED)).unwrap();
    assert_eq!(up, reference());
    // A gateway that sends the bare minimum (no parsed payload, no settings.time) gets the
    // same message.
    let mut bare = reference();
    bare.payload = None;
    bare.settings.as_mut().unwrap().time = None;
    bare.received_at = None;
    let up = mqtt_v3::uplink_from_publish(&gw(), &bare.encode_to_vec(), Some(RECEIVED)).unwrap();
    assert_eq!(up, reference());
}

#[test]
fn mqtt_v2() {
    let v2 = pb::UplinkMessage {
        payload: PHY.to_vec(),
        protocol_metadata: Some(pb::ProtocolRxMetadata {
            lorawan: Some(pb::LoRaWanMetadata {
                modulation: pb::Modulation::Lora as i32,
                data_rate: "SF7BW125".into(),
                coding_rate: "4/5".into(),
                f_cnt: 42,
                ..Default::default()
            }),
        }),
        gateway_metadata: Some(pb::GatewayRxMetadata {
            gateway_id: "whatever".into(),
            timestamp: TMST,
            time: 1_715_964_782_250_000_000,
            channel: 2,
            frequency: 868_100_000,
            rssi: -42.0,
            snr: 7.5,
            antennas: vec![pb::gateway_rx_metadata::Antenna {
                antenna: 0,
                channel: 2,
                rssi: -42.0,
                snr: 7.5,
                fine_time: FINE_NS as i64,
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    };
    let up = mqtt_v2::uplink_from_publish(&gw(), &v2.encode_to_vec(), Some(RECEIVED)).unwrap();
    let mut want = reference();
    want.rx_metadata[0].gps_time = None;
    want.crc_status = None;
    // Without GPS time the token has no gateway time.
    want.rx_metadata[0].uplink_token.clear();
    stamp_uplink_tokens(&mut want, None);
    assert_eq!(up, want);
}
