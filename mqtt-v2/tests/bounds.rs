//! A v2 uplink's antennas become `rx_metadata` entries: bounded like a v3 uplink's.

use loragw_mqtt_v2::convert::ConvertError;
use loragw_mqtt_v2::ttnpb::GatewayIdentifiers;
use loragw_mqtt_v2::{pb, uplink_to_v3};
use loragw_mqtt_v3::codec::MAX_RX_METADATA;

fn up(antennas: usize) -> pb::UplinkMessage {
    pb::UplinkMessage {
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
