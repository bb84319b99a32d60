//! proptest round trips: protobuf binary always, proto3 JSON with the `serde` feature.

mod strategies;

use loragw_ttnpb::prost::Message as _;
use loragw_ttnpb::{GatewayDown, GatewayStatus, GatewayUp, TxAcknowledgment, UplinkMessage};
use proptest::prelude::*;
use strategies::*;

/// decode(encode(x)) == x, the encoding is as long as `encoded_len` says, and
/// `encode_exact` gives the same bytes as prost's `encode_to_vec`.
fn binary_round_trip<M>(message: &M) -> Result<(), TestCaseError>
where
    M: loragw_ttnpb::prost::Message + Default + PartialEq + std::fmt::Debug,
{
    let bytes = message.encode_to_vec();
    prop_assert_eq!(bytes.len(), message.encoded_len());
    prop_assert_eq!(&loragw_ttnpb::encode_exact(message), &bytes);
    prop_assert_eq!(&M::decode(bytes.as_slice())?, message);
    Ok(())
}

/// from_json(to_json(x)) == x.
#[cfg(feature = "serde")]
fn json_round_trip<M>(message: &M) -> Result<(), TestCaseError>
where
    M: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(message).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: M =
        serde_json::from_str(&json).map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
    prop_assert_eq!(&back, message, "{}", json);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn uplink_message_binary(message in uplink_message()) {
        binary_round_trip(&message)?;
    }

    #[test]
    fn gateway_down_binary(message in gateway_down()) {
        binary_round_trip(&message)?;
    }

    #[test]
    fn tx_acknowledgment_binary(message in tx_acknowledgment()) {
        binary_round_trip(&message)?;
    }

    #[test]
    fn tx_acknowledgment_unknown_result_binary(message in tx_acknowledgment(), result in any::<i32>()) {
        binary_round_trip(&TxAcknowledgment { result, ..message })?;
    }

    #[test]
    fn gateway_status_binary(message in gateway_status()) {
        binary_round_trip(&message)?;
    }

    #[test]
    fn gateway_up_binary(message in gateway_up()) {
        binary_round_trip(&message)?;
    }

    /// The hand-written uplink encoder writes prost's bytes, also for the values the typed
    /// strategies avoid: unknown enum numbers, NaN, infinities and -0.0, negative `nanos`,
    /// empty optional messages, every payload kind.
    #[test]
    fn encode_uplink_is_prost_on_wild_messages(message in wild_uplink_message()) {
        prop_assert_eq!(loragw_ttnpb::encode_uplink(&message), message.encode_to_vec());
    }

    #[test]
    fn encode_uplink_token_is_prost(token in uplink_token()) {
        prop_assert_eq!(loragw_ttnpb::encode_uplink_token(&token), token.encode_to_vec());
    }

    /// What decodes re-encodes to bytes that decode to the same value (the fuzz invariant), and
    /// the hand-written uplink encoder writes prost's bytes for any decoded uplink.
    #[test]
    fn arbitrary_bytes_decode_and_re_encode(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(message) = UplinkMessage::decode(bytes.as_slice()) {
            prop_assert_eq!(loragw_ttnpb::encode_uplink(&message), message.encode_to_vec());
            prop_assert_eq!(UplinkMessage::decode(message.encode_to_vec().as_slice())?, message);
        }
        if let Ok(token) = loragw_ttnpb::UplinkToken::decode(bytes.as_slice()) {
            prop_assert_eq!(loragw_ttnpb::encode_uplink_token(&token), token.encode_to_vec());
        }
        if let Ok(message) = GatewayStatus::decode(bytes.as_slice()) {
            prop_assert_eq!(GatewayStatus::decode(message.encode_to_vec().as_slice())?, message);
        }
        if let Ok(message) = GatewayDown::decode(bytes.as_slice()) {
            prop_assert_eq!(GatewayDown::decode(message.encode_to_vec().as_slice())?, message);
        }
        if let Ok(message) = GatewayUp::decode(bytes.as_slice()) {
            prop_assert_eq!(GatewayUp::decode(message.encode_to_vec().as_slice())?, message);
        }
    }
}

#[cfg(feature = "serde")]
proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn uplink_message_json(message in uplink_message()) {
        json_round_trip(&message)?;
    }

    #[test]
    fn gateway_down_json(message in gateway_down()) {
        json_round_trip(&message)?;
    }

    #[test]
    fn tx_acknowledgment_json(message in tx_acknowledgment()) {
        json_round_trip(&message)?;
    }

    #[test]
    fn gateway_status_json(message in gateway_status()) {
        json_round_trip(&message)?;
    }

    #[test]
    fn gateway_up_json(message in gateway_up()) {
        json_round_trip(&message)?;
    }
}
