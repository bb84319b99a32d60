//! The packet type and the gateway EUI: the names both the header codec and the errors use.

use std::fmt;
use std::str::FromStr;

/// Packet type, byte 3 of every datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// 0x00, gateway → server: uplinks and status.
    PushData = 0,
    /// 0x01, server → gateway: acknowledges a PUSH_DATA.
    PushAck = 1,
    /// 0x02, gateway → server: keepalive that opens the downlink path.
    PullData = 2,
    /// 0x03, server → gateway: a downlink (`txpk`).
    PullResp = 3,
    /// 0x04, server → gateway: acknowledges a PULL_DATA.
    PullAck = 4,
    /// 0x05, gateway → server: result of a PULL_RESP.
    TxAck = 5,
}

impl PacketType {
    /// The wire byte.
    pub fn to_byte(self) -> u8 {
        self as u8
    }

    /// Whether bytes 4..12 hold the gateway EUI (PUSH_DATA, PULL_DATA, TX_ACK).
    pub fn has_gateway_eui(self) -> bool {
        matches!(self, Self::PushData | Self::PullData | Self::TxAck)
    }

    /// Whether the type is sent by a gateway (the same three as [`Self::has_gateway_eui`]).
    pub fn is_from_gateway(self) -> bool {
        self.has_gateway_eui()
    }

    /// The name used in Semtech's protocol documents, for example `PUSH_DATA`.
    pub fn name(self) -> &'static str {
        match self {
            Self::PushData => "PUSH_DATA",
            Self::PushAck => "PUSH_ACK",
            Self::PullData => "PULL_DATA",
            Self::PullResp => "PULL_RESP",
            Self::PullAck => "PULL_ACK",
            Self::TxAck => "TX_ACK",
        }
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A gateway's 64-bit EUI ("MAC address" in Semtech's documents), in wire (big-endian) order.
///
/// `Display` and `Debug` both show sixteen upper-case hex digits (`Debug` as
/// `GatewayEui(0102030405060708)`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct GatewayEui(pub [u8; 8]);

impl fmt::Debug for GatewayEui {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GatewayEui({self})")
    }
}

impl GatewayEui {
    /// From the EUI read as a big-endian number.
    pub fn from_u64(value: u64) -> Self {
        Self(value.to_be_bytes())
    }

    /// The EUI as a big-endian number.
    pub fn to_u64(self) -> u64 {
        u64::from_be_bytes(self.0)
    }
}

impl fmt::Display for GatewayEui {
    /// Sixteen upper-case hex digits, for example `0102030405060708`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016X}", self.to_u64())
    }
}

/// Error from parsing a [`GatewayEui`] from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid gateway EUI `{0}`: expected 16 hex digits, optionally separated by `-` or `:`")]
pub struct ParseEuiError(pub String);

impl FromStr for GatewayEui {
    type Err = ParseEuiError;

    /// Accepts `0102030405060708`, `01-02-…` and `01:02:…`, any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits: String = s.chars().filter(|c| *c != '-' && *c != ':').collect();
        if digits.len() != 16 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ParseEuiError(s.to_owned()));
        }
        u64::from_str_radix(&digits, 16)
            .map(Self::from_u64)
            .map_err(|_| ParseEuiError(s.to_owned()))
    }
}
