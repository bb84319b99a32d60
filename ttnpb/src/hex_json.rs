//! JSON form of the identifier bytes (EUIs, DevAddr, NetID, nonces) that The Things Stack
//! prints as uppercase hex instead of base64. build.rs points the generated serde code here.

use std::borrow::Cow;

use serde::Deserialize;

const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// Uppercase hex when `bytes` has the field's length `LEN`; otherwise (an invalid value that
/// The Things Stack would reject) padded base64, so that it still round-trips.
pub(crate) fn encode<const LEN: usize>(bytes: &[u8]) -> String {
    if bytes.len() == LEN {
        bytes
            .iter()
            .flat_map(|b| {
                [
                    HEX_DIGITS[usize::from(b >> 4)],
                    HEX_DIGITS[usize::from(b & 0xF)],
                ]
            })
            .map(char::from)
            .collect()
    } else {
        use pbjson::private::base64::Engine as _;
        pbjson::private::base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

/// Reads `2 * LEN` hex digits (either case) as hex, and anything else as base64 (standard or
/// URL-safe, padding optional), the proto3 JSON form of bytes.
pub(crate) struct HexOrBase64<const LEN: usize>(pub(crate) Vec<u8>);

impl<'de, const LEN: usize> Deserialize<'de> for HexOrBase64<LEN> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        let digits = text.as_bytes();
        if digits.len() == 2 * LEN && digits.iter().all(u8::is_ascii_hexdigit) {
            let bytes = digits
                .chunks_exact(2)
                .map(|pair| hex_value(pair[0]) << 4 | hex_value(pair[1]))
                .collect();
            return Ok(Self(bytes));
        }
        let base64 = serde::de::value::StrDeserializer::<D::Error>::new(&text);
        pbjson::private::BytesDeserialize::<Vec<u8>>::deserialize(base64).map(|b| Self(b.0))
    }
}

/// The value of an ASCII hex digit (checked by the caller).
fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit.wrapping_sub(b'A').wrapping_add(10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<const LEN: usize>(json: &str) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::from_str::<HexOrBase64<LEN>>(json).map(|h| h.0)
    }

    #[test]
    fn encodes_hex_for_the_field_length_and_base64_otherwise() {
        assert_eq!(
            encode::<8>(&[0xAA, 0x55, 0x5A, 0, 0, 0, 1, 1]),
            "AA555A0000000101"
        );
        assert_eq!(encode::<4>(&[0x26, 0x0B, 0x12, 0x34]), "260B1234");
        assert_eq!(encode::<4>(&[0x26, 0x0B, 0x12]), "JgsS");
        assert_eq!(encode::<4>(&[]), "");
    }

    #[test]
    fn decodes_hex_and_base64() {
        assert_eq!(
            parse::<8>("\"AA555A0000000101\"").unwrap(),
            [0xAA, 0x55, 0x5A, 0, 0, 0, 1, 1]
        );
        assert_eq!(
            parse::<8>("\"aa555a0000000101\"").unwrap(),
            [0xAA, 0x55, 0x5A, 0, 0, 0, 1, 1]
        );
        assert_eq!(
            parse::<8>("\"qlVaAAAAAQE=\"").unwrap(),
            [0xAA, 0x55, 0x5A, 0, 0, 0, 1, 1]
        );
        assert_eq!(parse::<3>("\"000013\"").unwrap(), [0, 0, 0x13]);
        assert_eq!(parse::<4>("\"JgsS\"").unwrap(), [0x26, 0x0B, 0x12]);
        assert_eq!(parse::<4>("\"\"").unwrap(), Vec::<u8>::new());
        assert!(parse::<8>("\"not base64!\"").is_err());
        assert!(parse::<8>("42").is_err());
    }
}
