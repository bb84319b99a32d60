//! The fixed binary part of every datagram: version, token, packet type and (for the three
//! gateway-to-server types) the gateway EUI.
//!
//! ```text
//! byte 0      protocol version (1 or 2)
//! bytes 1-2   token (opaque; big-endian when read as a number)
//! byte 3      packet type
//! bytes 4-11  gateway EUI   (PUSH_DATA, PULL_DATA, TX_ACK only)
//! then        JSON body     (PUSH_DATA, PULL_RESP, TX_ACK only)
//! ```

use crate::error::DecodeError;
pub use crate::kinds::{GatewayEui, PacketType, ParseEuiError};

/// Length of the version/token/type prefix.
pub const HEADER_LEN: usize = 4;
/// Length of the prefix plus the gateway EUI.
pub const HEADER_WITH_EUI_LEN: usize = 12;

/// GWMP protocol version, byte 0 of every datagram.
///
/// Version 1 is spoken by old packet forwarders (for example some Multitech Conduits), version 2
/// by everything since packet_forwarder 2.x. The layouts are identical; version 1 forwarders do
/// not send TX_ACK. A server answers each datagram with the version it came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ProtocolVersion {
    /// Version 1.
    V1 = 1,
    /// Version 2 (the default for new datagrams).
    #[default]
    V2 = 2,
}

impl ProtocolVersion {
    /// Reads byte 0.
    pub fn from_byte(byte: u8) -> Result<Self, DecodeError> {
        match byte {
            1 => Ok(Self::V1),
            2 => Ok(Self::V2),
            other => Err(DecodeError::UnknownVersion(other)),
        }
    }

    /// The wire byte.
    pub fn to_byte(self) -> u8 {
        self as u8
    }
}

impl PacketType {
    /// Reads byte 3.
    pub fn from_byte(byte: u8) -> Result<Self, DecodeError> {
        Ok(match byte {
            0 => Self::PushData,
            1 => Self::PushAck,
            2 => Self::PullData,
            3 => Self::PullResp,
            4 => Self::PullAck,
            5 => Self::TxAck,
            other => return Err(DecodeError::UnknownPacketType(other)),
        })
    }
}

/// The fixed four-byte prefix of a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Byte 0.
    pub version: ProtocolVersion,
    /// Bytes 1–2, big-endian.
    pub token: u16,
    /// Byte 3.
    pub packet_type: PacketType,
}

impl Header {
    /// Reads the prefix and, for gateway-to-server types, the EUI. Returns the header, the EUI
    /// (if the type has one) and the bytes after them.
    pub fn parse(bytes: &[u8]) -> Result<(Header, Option<GatewayEui>, &[u8]), DecodeError> {
        let [version, token_hi, token_lo, kind, rest @ ..] = bytes else {
            return Err(DecodeError::TooShort {
                len: bytes.len(),
                needed: HEADER_LEN,
                what: "header",
            });
        };
        let version = ProtocolVersion::from_byte(*version)?;
        let packet_type = PacketType::from_byte(*kind)?;
        let header = Header {
            version,
            token: u16::from_be_bytes([*token_hi, *token_lo]),
            packet_type,
        };
        if !packet_type.has_gateway_eui() {
            return Ok((header, None, rest));
        }
        match rest.split_first_chunk::<8>() {
            Some((eui, body)) => Ok((header, Some(GatewayEui(*eui)), body)),
            None => Err(DecodeError::TooShort {
                len: bytes.len(),
                needed: HEADER_WITH_EUI_LEN,
                what: "header with gateway EUI",
            }),
        }
    }

    /// Appends the four prefix bytes.
    pub fn write(&self, out: &mut Vec<u8>) {
        let [hi, lo] = self.token.to_be_bytes();
        out.extend_from_slice(&[self.version.to_byte(), hi, lo, self.packet_type.to_byte()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_show_the_eui_in_hex() {
        let eui = GatewayEui::from_u64(0x58A0_CBFF_FE80_0001);
        assert_eq!(eui.to_string(), "58A0CBFFFE800001");
        assert_eq!(format!("{eui:?}"), "GatewayEui(58A0CBFFFE800001)");
        assert_eq!(
            format!("{:?}", Some(eui)),
            "Some(GatewayEui(58A0CBFFFE800001))"
        );
    }

    #[test]
    fn parses_push_data_header_with_eui_and_empty_body() {
        // TTS packet_test.go: a PUSH_DATA with an EUI and no JSON is valid.
        let bytes = [1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
        let (h, eui, body) = Header::parse(&bytes).unwrap();
        assert_eq!(h.version, ProtocolVersion::V1);
        assert_eq!(h.token, 0);
        assert_eq!(h.packet_type, PacketType::PushData);
        assert_eq!(eui, Some(GatewayEui([1, 2, 3, 4, 5, 6, 7, 8])));
        assert!(body.is_empty());
    }

    #[test]
    fn rejects_short_and_unknown() {
        assert!(matches!(
            Header::parse(&[1, 2]),
            Err(DecodeError::TooShort {
                len: 2,
                needed: 4,
                ..
            })
        ));
        assert!(matches!(
            Header::parse(&[1, 0, 0, 0, 1, 1, 1]),
            Err(DecodeError::TooShort { needed: 12, .. })
        ));
        assert_eq!(
            Header::parse(&[3, 0, 0, 0]).unwrap_err(),
            DecodeError::UnknownVersion(3)
        );
        assert_eq!(
            Header::parse(&[2, 0, 0, 6]).unwrap_err(),
            DecodeError::UnknownPacketType(6)
        );
    }

    #[test]
    fn eui_text_forms() {
        let eui: GatewayEui = "aa-bb-cc-dd-ee-ff-00-11".parse().unwrap();
        assert_eq!(eui.to_u64(), 0xAABB_CCDD_EEFF_0011);
        assert_eq!(eui.to_string(), "AABBCCDDEEFF0011");
        assert!("AABB".parse::<GatewayEui>().is_err());
    }
}
