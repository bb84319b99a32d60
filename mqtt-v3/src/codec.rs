//! Decoding and encoding of the v3 payloads (ttn.lorawan.v3 protobuf), with a size bound.

use loragw_ttnpb::prost::Message;
use loragw_ttnpb::{GatewayDown, GatewayStatus, TxAcknowledgment, UplinkMessage};

pub use crate::limits::{MAX_PAYLOAD_LEN, MAX_RX_METADATA, PayloadError};
use crate::topic::TopicKind;
use crate::validate;

fn decode<M: Message + Default>(message: &'static str, bytes: &[u8]) -> Result<M, PayloadError> {
    if bytes.len() > MAX_PAYLOAD_LEN {
        return Err(PayloadError::TooLarge {
            message,
            len: bytes.len(),
        });
    }
    M::decode(bytes).map_err(|source| PayloadError::Protobuf { message, source })
}

/// Decodes the `ttn.lorawan.v3.UplinkMessage` published on `v3/{uid}/up` (one message, not a
/// `GatewayUp`).
///
/// Range-checked with [`validate::uplink`]: refuses more than [`MAX_RX_METADATA`]
/// `rx_metadata` entries, a message without `raw_payload` or `settings` and numbers out of
/// range; drops `rx_metadata` locations off the globe.
pub fn decode_uplink(bytes: &[u8]) -> Result<UplinkMessage, PayloadError> {
    let mut message = decode("ttn.lorawan.v3.UplinkMessage", bytes)?;
    validate::uplink(&mut message)?;
    Ok(message)
}

/// Checks the bound [`decode_uplink`] enforces on the size of an `UplinkMessage` that came
/// another way (an adapter, a bridge): at most [`MAX_RX_METADATA`] `rx_metadata` entries. The
/// range checks on its numbers are [`validate::uplink`].
pub fn validate_uplink(message: &UplinkMessage) -> Result<(), PayloadError> {
    let count = message.rx_metadata.len();
    if count > MAX_RX_METADATA {
        return Err(PayloadError::TooManyRxMetadata { count });
    }
    Ok(())
}

/// Decodes the `ttn.lorawan.v3.GatewayStatus` published on `v3/{uid}/status`.
///
/// Range-checked with [`validate::status`]: refuses an invalid `time` or `boot_time`; drops
/// non-finite metrics and antenna locations off the globe.
pub fn decode_status(bytes: &[u8]) -> Result<GatewayStatus, PayloadError> {
    let mut status = decode("ttn.lorawan.v3.GatewayStatus", bytes)?;
    validate::status(&mut status)?;
    Ok(status)
}

/// Decodes the `ttn.lorawan.v3.TxAcknowledgment` published on `v3/{uid}/down/ack`.
///
/// Range-checked with [`validate::tx_ack`]: the echoed downlink's settings must be in range.
pub fn decode_tx_ack(bytes: &[u8]) -> Result<TxAcknowledgment, PayloadError> {
    let ack = decode("ttn.lorawan.v3.TxAcknowledgment", bytes)?;
    validate::tx_ack(&ack)?;
    Ok(ack)
}

/// Decodes the `ttn.lorawan.v3.GatewayDown` received on `v3/{uid}/down` (gateway side).
pub fn decode_down(bytes: &[u8]) -> Result<GatewayDown, PayloadError> {
    decode("ttn.lorawan.v3.GatewayDown", bytes)
}

/// Appends the encoding of the `GatewayDown` to publish on `v3/{uid}/down` to `buf`.
///
/// Encoding is not bounded: the server builds the message. Give the downlink its correlation
/// id first, with [`DownlinkTokens::insert_downlink`](crate::DownlinkTokens::insert_downlink).
pub fn encode_down(down: &GatewayDown, buf: &mut Vec<u8>) {
    encode(down, buf);
}

/// Appends the protobuf encoding of any message to `buf` (gateway side: `UplinkMessage`,
/// `GatewayStatus`, `TxAcknowledgment`).
pub fn encode<M: Message>(message: &M, buf: &mut Vec<u8>) {
    buf.reserve(message.encoded_len());
    message.encode_raw(buf);
}

/// What a gateway published, decoded according to its topic kind.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "short-lived value matched right after decoding; boxing would cost an allocation per message"
)]
pub enum UpstreamMessage {
    /// From `v3/{uid}/up`.
    Uplink(UplinkMessage),
    /// From `v3/{uid}/status`.
    Status(GatewayStatus),
    /// From `v3/{uid}/down/ack`.
    TxAck(TxAcknowledgment),
}

/// Decodes the payload of a PUBLISH from a gateway on a topic of `kind` (server side; the topic
/// should first have passed [`authorize`](crate::authorize)).
pub fn decode_upstream(kind: TopicKind, bytes: &[u8]) -> Result<UpstreamMessage, PayloadError> {
    match kind {
        TopicKind::Up => decode_uplink(bytes).map(UpstreamMessage::Uplink),
        TopicKind::Status => decode_status(bytes).map(UpstreamMessage::Status),
        TopicKind::DownAck => decode_tx_ack(bytes).map(UpstreamMessage::TxAck),
        TopicKind::Down => Err(PayloadError::NotAnUpstreamTopic(kind)),
    }
}
