//! The limits of the v3 payloads and the errors their decoders and checks report, below both
//! [`codec`](crate::codec) and [`validate`](crate::validate), which re-export them.

use loragw_ttnpb::Timestamp;

use crate::topic::TopicKind;

/// Largest payload the decoders accept, in bytes (64 KiB).
///
/// An uplink carries at most a 255-byte LoRaWAN frame plus a few metadata entries; a status
/// is bounded by The Things Stack to 10 versions, 8 locations, 10 addresses and 32 metrics. The
/// free-form `advanced` structs are what could grow; 64 KiB leaves them plenty of room while
/// keeping a hostile client from making the server decode megabytes.
pub const MAX_PAYLOAD_LEN: usize = 64 * 1024;

/// Most `rx_metadata` entries (one per receiving antenna) an `UplinkMessage` may carry;
/// [`decode_uplink`](crate::codec::decode_uplink) refuses more, and
/// [`validate_uplink`](crate::codec::validate_uplink) checks a message from elsewhere.
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
    /// A number out of its range ([`validate`](crate::validate) lists the rules).
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

/// Highest frequency accepted, in Hz (9,999,999,999 Hz: every LoRa and FSK band is far below
/// 10 GHz).
pub const MAX_FREQUENCY_HZ: u64 = 9_999_999_999;

/// Why one number of a message is out of its range (the field is named by
/// [`PayloadError::OutOfRange`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RangeError {
    /// A float that is NaN or infinite; the value as Rust prints it (`NaN`, `inf`, `-inf`).
    #[error("{0} is not a finite number")]
    NotFinite(String),
    /// A timestamp outside 0001-01-01T00:00:00Z ..= 9999-12-31T23:59:59.999999999Z, or with
    /// `nanos` outside `0..1_000_000_000`.
    #[error(
        "{{ seconds: {}, nanos: {} }} is not a valid Timestamp (0001-01-01T00:00:00Z ..= \
         9999-12-31T23:59:59.999999999Z)",
        .0.seconds,
        .0.nanos
    )]
    Timestamp(Timestamp),
    /// A duration beyond ±315,576,000,000 s, with `nanos` beyond ±999,999,999 or of the other
    /// sign than `seconds`.
    #[error("{{ seconds: {seconds}, nanos: {nanos} }} is not a valid Duration")]
    Duration {
        /// The seconds.
        seconds: i64,
        /// The nanoseconds.
        nanos: i32,
    },
    /// A frequency of 0 (where one is required) or above [`MAX_FREQUENCY_HZ`].
    #[error("{0} Hz is not a radio frequency (1 ..= {MAX_FREQUENCY_HZ} Hz)")]
    Frequency(u64),
}
