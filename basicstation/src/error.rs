//! Errors: one for decoding wire text, one for encoding, one for state-machine commands.

use std::fmt;

/// The key of the innermost `"key":` that starts before 1-based `line`/`column` of `text`.
fn field_before(text: &str, line: usize, column: usize) -> Option<&str> {
    let l = text.lines().nth(line.checked_sub(1)?)?;
    let prefix = l.get(..column.min(l.len()))?;
    let colon = prefix.rfind("\":")?;
    let key = &prefix[..colon];
    let start = key.rfind('"')?;
    let key = &key[start + 1..];
    (!key.is_empty() && key.len() <= 32 && !key.contains('\\')).then_some(key)
}

/// Why a JSON message (or an EUI inside one) could not be decoded.
///
/// Every variant says what was wrong; [`DecodeError::Json`] carries serde_json's message, which
/// names the field and the column (for the radio uplinks, read without serde, the field and
/// what was wrong with it, or the byte offset of a syntax error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The text is longer than [`crate::message::MAX_MESSAGE_LEN`].
    #[error("message is {len} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// Length of the input.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The text is not valid JSON, or a field has the wrong type.
    #[error("{msgtype}: {detail}")]
    Json {
        /// The `msgtype` being decoded (`"?"` before it was known).
        msgtype: &'static str,
        /// What was wrong: serde_json's description with line and column, or for the radio
        /// uplinks `<field>: <reason>` or a syntax error with its byte offset.
        detail: String,
    },
    /// The object has no `msgtype` field.
    #[error("no `msgtype` field")]
    MissingMsgtype,
    /// The `msgtype` is not one this direction carries.
    #[error("unknown msgtype `{0}`")]
    UnknownMsgtype(String),
    /// A field is missing or has a value the protocol forbids.
    #[error("{msgtype}.{field}: {reason}")]
    InvalidField {
        /// The message type.
        msgtype: &'static str,
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl DecodeError {
    /// serde_json's error on `text`; a value error (out of range, wrong type) is prefixed with
    /// the name of the field it is in (`DR: invalid value: integer `-1`, expected u8 at ...`),
    /// found as the nearest `"key":` before the error's position.
    pub(crate) fn json(msgtype: &'static str, err: &serde_json::Error, text: &str) -> Self {
        let field = (err.classify() == serde_json::error::Category::Data)
            .then(|| field_before(text, err.line(), err.column()))
            .flatten();
        DecodeError::Json {
            msgtype,
            detail: match field {
                Some(f) => format!("{f}: {err}"),
                None => err.to_string(),
            },
        }
    }

    pub(crate) fn field(
        msgtype: &'static str,
        field: &'static str,
        reason: impl fmt::Display,
    ) -> Self {
        DecodeError::InvalidField {
            msgtype,
            field,
            reason: reason.to_string(),
        }
    }
}

/// Why a message could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The encoded text would exceed the 65,535-byte websocket frame limit of the station.
    #[error("encoded {msgtype} is {len} bytes, more than the {max}-byte frame limit")]
    TooLarge {
        /// The message type.
        msgtype: &'static str,
        /// Encoded length.
        len: usize,
        /// The limit ([`crate::message::MAX_MESSAGE_LEN`]).
        max: usize,
    },
    /// A floating-point field is NaN or infinite, which JSON cannot carry.
    #[error("{msgtype}.{field}: not a finite number")]
    NonFinite {
        /// The message type.
        msgtype: &'static str,
        /// The field.
        field: &'static str,
    },
}

/// Why a LoRaWAN PHYPayload could not be split into message fields or rebuilt from them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The frame is empty.
    #[error("empty PHYPayload")]
    Empty,
    /// MHDR has a non-zero major version or RFU bits (and is not proprietary).
    #[error("MHDR 0x{0:02X}: not a LoRaWAN R1 frame")]
    BadMhdr(u8),
    /// The frame length does not fit its type.
    #[error("{kind} frame of {len} bytes: {reason}")]
    BadLength {
        /// Frame kind (`"data"`, `"join-request"`, `"rejoin"`).
        kind: &'static str,
        /// Actual length.
        len: usize,
        /// Expected length or bound.
        reason: &'static str,
    },
    /// A downlink-type frame (join-accept, downlink data) outside device mode.
    #[error("MHDR 0x{0:02X}: downlink frame type in an uplink")]
    DownlinkType(u8),
    /// The fields cannot form a frame (FOpts longer than 15 bytes, payload without port).
    #[error("cannot rebuild frame: {0}")]
    Fields(&'static str),
}

/// Why a command given to a session was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The message could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The session has not reached the state the command needs.
    #[error("{0}")]
    NotReady(&'static str),
    /// A downlink that needs the xtime session id was requested before any xtime was seen.
    #[error("no xtime session known yet (no uplink, dntxed or getxtime reply since connect)")]
    NoXtimeSession,
    /// The data rate is not defined in the active router_config.
    #[error("no DR in router_config matches {0}")]
    UnknownDataRate(String),
    /// The frame could not be split into uplink fields.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// An argument is out of range.
    #[error("{0}")]
    InvalidArgument(String),
}
