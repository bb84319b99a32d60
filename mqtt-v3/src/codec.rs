//! Decoding and encoding of the v3 payloads (ttn.lorawan.v3 protobuf), with a size bound.

use loragw_ttnpb::prost::Message;
use loragw_ttnpb::{GatewayDown, GatewayStatus, TxAcknowledgment, UplinkMessage};

use crate::topic::TopicKind;
use crate::validate::{self, RangeError};

/// Largest payload the decoders accept, in bytes (64 KiB).
///
/// An uplink carries at most a 255-byte LoRaWAN frame plus a few metadata entries; a status
/// is bounded by The Things Stack to 10 versions, 8 locations, 10 addresses and 32 metrics. The
/// free-form `advanced` structs are what could grow; 64 KiB leaves them plenty of room while
/// keeping a hostile client from making the server decode megabytes.
pub const MAX_PAYLOAD_LEN: usize = 64 * 1024;

/// Most `rx_metadata` entries (one per receiving antenna) an `UplinkMessage` may carry;
/// [`decode_uplink`] refuses more, and [`validate_uplink`] checks a message from elsewhere.
///
/// Real gateways report one entry per antenna: a Semtech UDP `rxpk` at most
/// `MAX_RSIG` (16) and a Basics Station uplink one. Without a bound, one 64 KiB payload of
/// empty entries becomes an uplink with thousands of receptions.
pub const MAX_RX_METADATA: usize = 16;

/// Why a v3 payload could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The payload is larger than [`MAX_PAYLOAD_LEN`].
    #[error("{message} payload is {len} bytes, more than the maximum of {MAX_PAYLOAD_LEN}")]
    TooLarge {
        /// The message type that was expected.
        message: &'static str,
        /// Payload length in bytes.
        len: usize,
    },
    /// The payload is not a valid protobuf encoding of the expected message.
    #[error("{message} payload is not valid protobuf: {source}")]
    Protobuf {
        /// The message type that was expected.
        message: &'static str,
        /// What prost reported.
        source: loragw_ttnpb::prost::DecodeError,
    },
    /// An `UplinkMessage` with more than [`MAX_RX_METADATA`] `rx_metadata` entries.
    #[error(
        "UplinkMessage.rx_metadata has {count} entries, more than the maximum of {MAX_RX_METADATA}"
    )]
    TooManyRxMetadata {
        /// How many entries the message has.
        count: usize,
    },
    /// A field the message cannot do without is absent or empty (an uplink without
    /// `raw_payload` or `settings`, which The Things Stack refuses too).
    #[error("{message} has no {field}")]
    MissingField {
        /// The message type.
        message: &'static str,
        /// The field, as named in the `.proto`.
        field: &'static str,
    },
    /// A number out of its range ([`validate`] lists the rules).
    #[error("{field}: {problem}")]
    OutOfRange {
        /// The field, with its path from the message (`UplinkMessage.rx_metadata[0].rssi`).
        field: String,
        /// What is wrong with its value.
        problem: RangeError,
    },
    /// The topic carries server-to-gateway traffic (`down`), which a gateway does not publish.
    #[error("topic kind {0:?} carries no gateway-to-server payload")]
    NotAnUpstreamTopic(TopicKind),
}

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
