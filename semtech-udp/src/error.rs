//! Errors: [`DecodeError`] for bytes that cannot be read, [`EncodeError`] for values that cannot
//! be written, [`Error`] for commands the state machines refuse.

use std::fmt;

use crate::kinds::{GatewayEui, PacketType};

/// A datagram (or one element of its JSON body) could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer bytes than the fixed part of the datagram needs.
    #[error("datagram too short: {len} bytes, a {what} needs at least {needed}")]
    TooShort {
        /// Bytes received.
        len: usize,
        /// Bytes the fixed part needs.
        needed: usize,
        /// What was being read (for example "header" or "PUSH_DATA header with gateway EUI").
        what: &'static str,
    },
    /// More bytes than [`MAX_DATAGRAM_LEN`](crate::MAX_DATAGRAM_LEN).
    #[error("datagram too long: {len} bytes, at most {max} accepted")]
    TooLong {
        /// Bytes received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Byte 0 is neither 1 nor 2.
    #[error("byte 0: unknown protocol version {0} (expected 1 or 2)")]
    UnknownVersion(u8),
    /// Byte 3 is not one of the six packet types.
    #[error("byte 3: unknown packet type 0x{0:02x}")]
    UnknownPacketType(u8),
    /// A packet type that carries no body has bytes after its header.
    #[error("{packet_type}: {extra} unexpected bytes after the header")]
    TrailingBytes {
        /// The packet type.
        packet_type: PacketType,
        /// How many bytes follow the header.
        extra: usize,
    },
    /// A packet type that only flows the other way (for example PUSH_ACK sent to a server).
    #[error("{0} is not expected in this direction")]
    WrongDirection(PacketType),
    /// The JSON body is missing where the packet type requires one.
    #[error("{0}: missing JSON body")]
    MissingBody(PacketType),
    /// The JSON body is not valid JSON or does not have the expected shape.
    #[error("{packet_type} body: {message}")]
    Json {
        /// The packet type.
        packet_type: PacketType,
        /// What serde_json reported, with line and column.
        message: String,
    },
    /// One element of a PUSH_DATA body (an `rxpk` or the `stat`) was rejected; the rest of the
    /// datagram was kept.
    #[error("{0}")]
    Element(ElementError),
}

/// Which element of a PUSH_DATA body an [`ElementError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Element {
    /// `rxpk[i]`.
    Rxpk(usize),
    /// The `stat` object.
    Stat,
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Element::Rxpk(i) => write!(f, "rxpk[{i}]"),
            Element::Stat => f.write_str("stat"),
        }
    }
}

/// One rejected element of a PUSH_DATA body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{element}: {message}")]
pub struct ElementError {
    /// Which element.
    pub element: Element,
    /// What was wrong with it, with line and column of the datagram's JSON.
    pub message: String,
}

/// A value cannot be written to the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A float field holds NaN or an infinity, which JSON cannot carry.
    #[error("{field}: not a finite number")]
    NotFinite {
        /// JSON path of the field, for example `rxpk.lsnr`.
        field: &'static str,
    },
    /// A field holds a value its wire form cannot express.
    #[error("{field}: {reason}")]
    InvalidValue {
        /// JSON path of the field.
        field: &'static str,
        /// Why it cannot be written.
        reason: &'static str,
    },
    /// The encoded datagram would exceed its size limit.
    #[error("encoded {packet_type} is {len} bytes, more than the limit of {max}")]
    TooLong {
        /// The packet type.
        packet_type: PacketType,
        /// Encoded length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// A command given to [`Server`](crate::Server) or [`Forwarder`](crate::Forwarder) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server has never heard from this gateway, or it was disconnected.
    #[error("gateway {0} is not connected")]
    UnknownGateway(GatewayEui),
    /// The gateway has not sent PULL_DATA within the downlink path expiry.
    #[error("gateway {0} has no downlink path (no recent PULL_DATA)")]
    NoDownlinkPath(GatewayEui),
    /// The gateway already has the configured maximum of downlinks in flight or held.
    #[error("gateway {gateway}: {limit} downlinks already pending")]
    TooManyPendingDownlinks {
        /// The gateway.
        gateway: GatewayEui,
        /// The configured limit.
        limit: usize,
    },
    /// The forwarder already waits for the configured maximum of PUSH_ACKs.
    #[error("{limit} PUSH_DATA datagrams already wait for an acknowledgement")]
    TooManyPendingPushes {
        /// The configured limit.
        limit: usize,
    },
    /// The forwarder has no downlink with this token to acknowledge.
    #[error("no received PULL_RESP with token {0:#06x} to acknowledge")]
    UnknownDownlinkToken(u16),
    /// The message cannot be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}
