//! Decodes arbitrary bytes as the gateway messages of `loragw-ttnpb` and checks that whatever
//! decodes re-encodes to bytes that decode to the same value (decode ∘ encode is the identity on
//! decoded values), compared on the bytes of a second encoding so that a NaN float (`rssi` from
//! the wire, never equal to itself) does not count as a difference. The first byte picks the
//! message type; seeds are golden vectors with that prefix byte. Uplink bytes are also decoded
//! as an `UplinkToken`, and the hand-written encoders of both must write prost's bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loragw_ttnpb::prost::Message;
use loragw_ttnpb::{
    GatewayDown, GatewayStatus, GatewayUp, TxAcknowledgment, UplinkMessage, UplinkToken,
};

fn check<M: Message + Default + PartialEq + std::fmt::Debug>(bytes: &[u8]) {
    if let Ok(message) = M::decode(bytes) {
        let encoded = message.encode_to_vec();
        assert_eq!(encoded.len(), message.encoded_len());
        let again = M::decode(encoded.as_slice()).expect("re-encoded message decodes");
        assert_eq!(again.encode_to_vec(), encoded);
    }
}

/// The hand-written encoders write prost's bytes for whatever decodes.
fn check_hand_encoders(bytes: &[u8]) {
    if let Ok(message) = UplinkMessage::decode(bytes) {
        assert_eq!(
            loragw_ttnpb::encode_uplink(&message),
            message.encode_to_vec()
        );
    }
    if let Ok(token) = UplinkToken::decode(bytes) {
        assert_eq!(
            loragw_ttnpb::encode_uplink_token(&token),
            token.encode_to_vec()
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, bytes)) = data.split_first() else {
        return;
    };
    match selector % 5 {
        0 => {
            check::<UplinkMessage>(bytes);
            check_hand_encoders(bytes);
        }
        1 => check::<GatewayDown>(bytes),
        2 => check::<GatewayStatus>(bytes),
        3 => check::<TxAcknowledgment>(bytes),
        _ => check::<GatewayUp>(bytes),
    }
    // Text helpers must not panic either.
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = text.parse::<loragw_ttnpb::Timestamp>();
        let _ = text.parse::<loragw_ttnpb::Eui64>();
    }
});
