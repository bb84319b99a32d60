//! The CUPS error type.

use thiserror::Error;

/// What went wrong decoding, encoding or deciding a CUPS exchange.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CupsError {
    /// The response ended inside a segment.
    #[error("CUPS response: {field}: needs {needed} bytes, {available} left")]
    Truncated {
        /// Which length or segment (`cupsUriLen`, `tcCred`, ...).
        field: &'static str,
        /// Bytes it needs.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// Bytes after the update data.
    #[error("CUPS response: {0} bytes after the update data")]
    TrailingBytes(usize),
    /// `sigLen` is neither 0 nor in 8..=132.
    #[error("CUPS response: sigLen {0} is invalid (0, or 4-byte key CRC + 4..=128 bytes of DER)")]
    InvalidSigLen(u32),
    /// A URI is not UTF-8.
    #[error("CUPS response: {0} is not valid UTF-8")]
    InvalidUtf8(&'static str),
    /// A value is longer than its length field allows.
    #[error("{field}: {len} bytes, at most {max}")]
    TooLong {
        /// Which field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// `Some` with an empty value: an empty segment means "no change" on the wire.
    #[error("{0}: empty value (use None for \"no change\")")]
    EmptySegment(&'static str),
    /// The `update-info` request body is not what the station sends.
    #[error("update-info request: {0}")]
    Request(String),
    /// A router id in none of the accepted forms.
    #[error("router id `{0}`: not an ID6, EUI-64 (dashed, colon or plain hex) or integer")]
    InvalidRouterId(String),
    /// A credentials blob or one of its parts is malformed.
    #[error("{field}: {reason}")]
    Credentials {
        /// Which part (`cupsCred.trust`, `tcCred.key`, ...).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The server configuration lacks something the answer needs.
    #[error("cannot answer update-info for router {router}: {missing}")]
    Missing {
        /// The router id (ID6).
        router: String,
        /// What is missing, in words.
        missing: String,
    },
    /// The update data is unsigned but the station only runs signed updates, or no
    /// signature is by a key the station has.
    #[error("update {version}: {reason}")]
    Unsigned {
        /// The update version.
        version: String,
        /// Why no usable signature.
        reason: String,
    },
    /// A signature does not verify, or a key or signature is malformed.
    #[error("signature: {0}")]
    Signature(String),
}
