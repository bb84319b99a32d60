//! Decoding and encoding of v2 payloads, with a size bound.

use prost::Message;

use crate::pb;
use crate::topic::Topic;

/// Largest payload the decoders accept, in bytes (64 KiB).
///
/// A v2 uplink carries at most a 255-byte LoRaWAN frame plus metadata and a trace, a status a
/// few hundred bytes; anything near this bound is not from a real gateway.
pub const MAX_PAYLOAD_LEN: usize = 64 * 1024;

/// Why a v2 payload could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
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
        source: prost::DecodeError,
    },
    /// Gateways publish nothing that the server must decode on this topic.
    #[error("topic `{0}` carries no gateway-to-server payload")]
    NotAnUpstreamTopic(Topic),
}

fn decode<M: Message + Default>(message: &'static str, bytes: &[u8]) -> Result<M, DecodeError> {
    if bytes.len() > MAX_PAYLOAD_LEN {
        return Err(DecodeError::TooLarge {
            message,
            len: bytes.len(),
        });
    }
    M::decode(bytes).map_err(|source| DecodeError::Protobuf { message, source })
}

/// Decodes a `router.UplinkMessage` published on `{uid}/up`.
pub fn decode_uplink(bytes: &[u8]) -> Result<pb::UplinkMessage, DecodeError> {
    decode("router.UplinkMessage", bytes)
}

/// Decodes a `router.StatusMessage` published on `{uid}/status`.
pub fn decode_status(bytes: &[u8]) -> Result<pb::StatusMessage, DecodeError> {
    decode("router.StatusMessage", bytes)
}

/// Decodes a `router.DownlinkMessage` received on `{uid}/down` (gateway side).
pub fn decode_downlink(bytes: &[u8]) -> Result<pb::DownlinkMessage, DecodeError> {
    decode("router.DownlinkMessage", bytes)
}

/// Appends the protobuf encoding of any v2 message to `buf` (the caller's buffer, reused).
pub fn encode<M: Message>(message: &M, buf: &mut Vec<u8>) {
    buf.reserve(message.encoded_len());
    message.encode_raw(buf);
}

/// What a gateway published, decoded according to its topic.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum UpstreamMessage {
    /// `connect` (birth); the payload is ignored.
    Connect,
    /// `disconnect` (last will); the payload is ignored.
    Disconnect,
    /// `{uid}/up`.
    Uplink(pb::UplinkMessage),
    /// `{uid}/status`.
    Status(pb::StatusMessage),
}

/// Decodes the payload of a PUBLISH from a gateway on `topic` (server side; the topic should
/// first have passed [`authorize`](crate::authorize)).
pub fn decode_upstream(topic: &Topic, bytes: &[u8]) -> Result<UpstreamMessage, DecodeError> {
    match topic {
        Topic::Connect => Ok(UpstreamMessage::Connect),
        Topic::Disconnect => Ok(UpstreamMessage::Disconnect),
        Topic::Up(_) => decode_uplink(bytes).map(UpstreamMessage::Uplink),
        Topic::Status(_) => decode_status(bytes).map(UpstreamMessage::Status),
        Topic::Down(_) => Err(DecodeError::NotAnUpstreamTopic(topic.clone())),
    }
}
