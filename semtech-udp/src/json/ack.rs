//! `txpk_ack`: the gateway's verdict on a PULL_RESP (TX_ACK).

use std::fmt;

use super::write::ObjectWriter;
use crate::error::EncodeError;

/// Why a downlink was rejected (`txpk_ack.error`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TxError {
    /// `TOO_LATE`: too late to program the transmission.
    TooLate,
    /// `TOO_EARLY`: the timestamp is too far in the future.
    TooEarly,
    /// `COLLISION_PACKET`: another packet is already scheduled then.
    CollisionPacket,
    /// `COLLISION_BEACON`: a beacon is scheduled then.
    CollisionBeacon,
    /// `TX_FREQ`: the frequency is not supported by the RF chain.
    TxFreq,
    /// `TX_POWER`: the power is not supported (an error in protocol v1.4; a warning since 1.5).
    TxPower,
    /// `GPS_UNLOCKED`: GPS time requested but the GPS is not locked.
    GpsUnlocked,
    /// Any other text, for example `UNKNOWN`.
    Other(String),
}

impl TxError {
    /// The wire text.
    pub fn as_str(&self) -> &str {
        match self {
            TxError::TooLate => "TOO_LATE",
            TxError::TooEarly => "TOO_EARLY",
            TxError::CollisionPacket => "COLLISION_PACKET",
            TxError::CollisionBeacon => "COLLISION_BEACON",
            TxError::TxFreq => "TX_FREQ",
            TxError::TxPower => "TX_POWER",
            TxError::GpsUnlocked => "GPS_UNLOCKED",
            TxError::Other(s) => s,
        }
    }

    /// Parses the wire text; `NONE` and the empty string mean "no error" (`None`).
    pub fn from_wire(s: &str) -> Option<Self> {
        Some(match s {
            "" | "NONE" => return None,
            "TOO_LATE" => TxError::TooLate,
            "TOO_EARLY" => TxError::TooEarly,
            "COLLISION_PACKET" => TxError::CollisionPacket,
            "COLLISION_BEACON" => TxError::CollisionBeacon,
            "TX_FREQ" => TxError::TxFreq,
            "TX_POWER" => TxError::TxPower,
            "GPS_UNLOCKED" => TxError::GpsUnlocked,
            other => TxError::Other(other.to_owned()),
        })
    }
}

impl fmt::Display for TxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A limitation the gateway applied while accepting a downlink (`txpk_ack.warn`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TxWarning {
    /// `TX_POWER`: the power was changed; `value` holds the power used.
    TxPower,
    /// Any other text.
    Other(String),
}

impl TxWarning {
    /// The wire text.
    pub fn as_str(&self) -> &str {
        match self {
            TxWarning::TxPower => "TX_POWER",
            TxWarning::Other(s) => s,
        }
    }

    /// Parses the wire text; empty and `NONE` mean no warning.
    pub fn from_wire(s: &str) -> Option<Self> {
        match s {
            "" | "NONE" => None,
            "TX_POWER" => Some(TxWarning::TxPower),
            other => Some(TxWarning::Other(other.to_owned())),
        }
    }
}

/// Detail of a warning (`txpk_ack.value`): a number or a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AckValue {
    /// A number, for example the power actually used in dBm.
    Number(i64),
    /// A string.
    Text(String),
}

/// The acknowledgement of one PULL_RESP. The default value (no error, no warning) is a success,
/// which is also what a TX_ACK with no body, an empty body or a NUL byte means.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TxpkAck {
    /// Rejection reason; `None` when the downlink was accepted.
    pub error: Option<TxError>,
    /// Accepted with a limitation.
    pub warn: Option<TxWarning>,
    /// Detail of the warning.
    pub value: Option<AckValue>,
}

impl TxpkAck {
    /// Accepted without remarks.
    pub fn success() -> Self {
        Self::default()
    }

    /// Rejected for `error`.
    pub fn rejected(error: TxError) -> Self {
        Self {
            error: Some(error),
            ..Self::default()
        }
    }

    /// Whether the gateway accepted the downlink (possibly with a warning).
    pub fn is_success(&self) -> bool {
        self.error.is_none()
    }

    /// Whether there is nothing to report, in which case TX_ACK carries no JSON.
    pub fn is_plain_success(&self) -> bool {
        self.error.is_none() && self.warn.is_none() && self.value.is_none()
    }

    /// Appends the `txpk_ack` object.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let mut o = ObjectWriter::begin(out);
        if let Some(e) = &self.error {
            o.str("error", e.as_str());
        }
        if let Some(w) = &self.warn {
            o.str("warn", w.as_str());
        }
        match &self.value {
            Some(AckValue::Number(n)) => o.int("value", *n),
            Some(AckValue::Text(t)) => o.str("value", t),
            None => {}
        }
        o.end();
        Ok(())
    }
}
