//! The `rx_metadata` bound of `UplinkMessage`, exactly at the limit.

use loragw_mqtt_v3::TopicKind;
use loragw_mqtt_v3::codec::{self, MAX_RX_METADATA, PayloadError};
use loragw_mqtt_v3::ttnpb::{RxMetadata, TxSettings, UplinkMessage};

fn uplink(n: usize) -> Vec<u8> {
    let message = UplinkMessage {
        raw_payload: vec![0x40, 1, 2, 3, 4, 0, 0, 0, 1, 2, 3, 4],
        settings: Some(TxSettings {
            frequency: 868_100_000,
            ..Default::default()
        }),
        rx_metadata: vec![RxMetadata::default(); n],
        ..Default::default()
    };
    let mut buf = Vec::new();
    codec::encode(&message, &mut buf);
    buf
}

#[test]
fn rx_metadata_bound_is_exact() {
    let ok = codec::decode_uplink(&uplink(MAX_RX_METADATA)).expect("16 entries decode");
    assert_eq!(ok.rx_metadata.len(), 16);
    assert_eq!(codec::validate_uplink(&ok), Ok(()));

    let err = codec::decode_uplink(&uplink(MAX_RX_METADATA + 1)).expect_err("17 entries");
    assert_eq!(err, PayloadError::TooManyRxMetadata { count: 17 });
    assert_eq!(
        err.to_string(),
        "UplinkMessage.rx_metadata has 17 entries, more than the maximum of 16"
    );
    assert_eq!(
        codec::decode_upstream(TopicKind::Up, &uplink(MAX_RX_METADATA + 1)),
        Err(PayloadError::TooManyRxMetadata { count: 17 })
    );
}

/// A 60 KB payload of empty `rx_metadata` entries (2 bytes each) is refused, not turned into an
/// uplink with 30,000 receptions.
#[test]
fn sixty_kilobytes_of_empty_rx_metadata_is_refused() {
    let bytes = uplink(30_000);
    assert!(bytes.len() > 60_000 && bytes.len() <= codec::MAX_PAYLOAD_LEN);
    assert_eq!(
        codec::decode_uplink(&bytes),
        Err(PayloadError::TooManyRxMetadata { count: 30_000 })
    );
}
