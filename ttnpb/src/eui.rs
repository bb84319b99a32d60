//! The EUI-64 identifier carried as 8 bytes in `GatewayIdentifiers.eui` and friends.

use std::fmt;
use std::str::FromStr;

use crate::GatewayIdentifiers;

/// An EUI-64 (gateway EUI, DevEUI, JoinEUI), most significant byte first as on the wire of
/// `ttn.lorawan.v3` (`bytes eui = 2` holds these 8 bytes in this order).
///
/// [`Display`](fmt::Display) and [`UpperHex`](fmt::UpperHex) print 16 uppercase hex digits
/// (`"AA555A0000000101"`), as The Things Stack shows EUIs; [`LowerHex`](fmt::LowerHex) prints
/// lowercase. [`FromStr`] accepts 16 hex digits in either case, optionally with the bytes
/// separated by `-` or `:` (`"aa-55-5a-00-00-00-01-01"`).
///
/// ```
/// use loragw_ttnpb::Eui64;
/// let eui: Eui64 = "aa555a0000000101".parse()?;
/// assert_eq!(eui.to_string(), "AA555A0000000101");
/// assert_eq!(format!("{eui:x}"), "aa555a0000000101");
/// assert_eq!(eui.to_u64(), 0xAA55_5A00_0000_0101);
/// # Ok::<(), loragw_ttnpb::ParseEuiError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Eui64(pub [u8; 8]);

/// Why bytes or text are not an EUI-64.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseEuiError {
    /// The byte slice is not 8 bytes long.
    #[error("EUI-64: expected 8 bytes, got {0}")]
    ByteLength(usize),
    /// The text is not 16 hex digits (or 8 separated pairs).
    #[error(
        "EUI-64: expected 16 hex digits, optionally separated by `-` or `:`, got {0} characters"
    )]
    TextLength(usize),
    /// A character is not a hex digit, or a separator is misplaced.
    #[error("EUI-64: unexpected character at position {0}")]
    InvalidCharacter(usize),
}

impl Eui64 {
    /// The EUI from its 64-bit value (most significant byte first on the wire).
    pub const fn from_u64(value: u64) -> Self {
        Self(value.to_be_bytes())
    }

    /// The 64-bit value of the EUI.
    pub const fn to_u64(self) -> u64 {
        u64::from_be_bytes(self.0)
    }

    /// The 8 bytes, as carried in the protobuf `bytes` fields.
    pub const fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }

    /// The 8 bytes as a `Vec`, ready for a protobuf `bytes` field.
    pub fn to_vec(self) -> Vec<u8> {
        self.0.to_vec()
    }
}

impl From<[u8; 8]> for Eui64 {
    fn from(bytes: [u8; 8]) -> Self {
        Self(bytes)
    }
}

impl From<Eui64> for [u8; 8] {
    fn from(eui: Eui64) -> Self {
        eui.0
    }
}

impl From<Eui64> for Vec<u8> {
    fn from(eui: Eui64) -> Self {
        eui.to_vec()
    }
}

impl TryFrom<&[u8]> for Eui64 {
    type Error = ParseEuiError;

    fn try_from(bytes: &[u8]) -> Result<Self, Self::Error> {
        <[u8; 8]>::try_from(bytes)
            .map(Self)
            .map_err(|_| ParseEuiError::ByteLength(bytes.len()))
    }
}

impl fmt::UpperHex for Eui64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02X}"))
    }
}

impl fmt::LowerHex for Eui64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Display for Eui64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::UpperHex::fmt(self, f)
    }
}

impl FromStr for Eui64 {
    type Err = ParseEuiError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let chars = text.as_bytes();
        // 16 digits, or 8 pairs with 7 separators of one kind between them.
        let separator = match chars.len() {
            16 => None,
            23 => Some(chars[2]),
            len => return Err(ParseEuiError::TextLength(len)),
        };
        if let Some(sep) = separator
            && sep != b'-'
            && sep != b':'
        {
            return Err(ParseEuiError::InvalidCharacter(2));
        }
        let stride = if separator.is_some() { 3 } else { 2 };
        let mut bytes = [0u8; 8];
        for (i, byte) in bytes.iter_mut().enumerate() {
            let at = i * stride;
            if let Some(sep) = separator
                && i > 0
                && chars[at - 1] != sep
            {
                return Err(ParseEuiError::InvalidCharacter(at - 1));
            }
            let high = hex_value(chars[at]).ok_or(ParseEuiError::InvalidCharacter(at))?;
            let low = hex_value(chars[at + 1]).ok_or(ParseEuiError::InvalidCharacter(at + 1))?;
            *byte = high << 4 | low;
        }
        Ok(Self(bytes))
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl GatewayIdentifiers {
    /// The gateway EUI: `Ok(None)` when the `eui` field is empty, an error when it is neither
    /// empty nor 8 bytes long.
    pub fn eui64(&self) -> Result<Option<Eui64>, ParseEuiError> {
        if self.eui.is_empty() {
            Ok(None)
        } else {
            Eui64::try_from(self.eui.as_slice()).map(Some)
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Eui64 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Eui64 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EUI: Eui64 = Eui64([0xAA, 0x55, 0x5A, 0x00, 0x00, 0x00, 0x01, 0x01]);

    #[test]
    fn formats_upper_and_lower_hex() {
        assert_eq!(EUI.to_string(), "AA555A0000000101");
        assert_eq!(format!("{EUI:X}"), "AA555A0000000101");
        assert_eq!(format!("{EUI:x}"), "aa555a0000000101");
        assert_eq!(
            Eui64::from_u64(0x0102_0304_0506_0708).to_string(),
            "0102030405060708"
        );
    }

    #[test]
    fn parses_plain_and_separated_text() {
        assert_eq!("AA555A0000000101".parse(), Ok(EUI));
        assert_eq!("aa555a0000000101".parse(), Ok(EUI));
        assert_eq!("aa-55-5a-00-00-00-01-01".parse(), Ok(EUI));
        assert_eq!("AA:55:5A:00:00:00:01:01".parse(), Ok(EUI));
    }

    #[test]
    fn rejects_malformed_text() {
        assert_eq!("".parse::<Eui64>(), Err(ParseEuiError::TextLength(0)));
        assert_eq!(
            "AA555A00000001".parse::<Eui64>(),
            Err(ParseEuiError::TextLength(14))
        );
        assert_eq!(
            "AA555A000000010G".parse::<Eui64>(),
            Err(ParseEuiError::InvalidCharacter(15))
        );
        assert_eq!(
            "aa-55:5a-00-00-00-01-01".parse::<Eui64>(),
            Err(ParseEuiError::InvalidCharacter(5))
        );
        assert_eq!(
            "aa.55.5a.00.00.00.01.01".parse::<Eui64>(),
            Err(ParseEuiError::InvalidCharacter(2))
        );
        // A multi-byte character must not split the text mid-character (no panic).
        assert_eq!(
            "AA555A00000001é".parse::<Eui64>(),
            Err(ParseEuiError::InvalidCharacter(14))
        );
    }

    #[test]
    fn converts_bytes_and_gateway_identifiers() {
        assert_eq!(
            Eui64::try_from(&[1u8, 2, 3][..]),
            Err(ParseEuiError::ByteLength(3))
        );
        assert_eq!(EUI.to_u64(), 0xAA55_5A00_0000_0101);
        assert_eq!(Eui64::from_u64(EUI.to_u64()), EUI);
        let mut ids = GatewayIdentifiers {
            gateway_id: "gw".into(),
            eui: EUI.to_vec(),
        };
        assert_eq!(ids.eui64(), Ok(Some(EUI)));
        ids.eui.clear();
        assert_eq!(ids.eui64(), Ok(None));
        ids.eui = vec![1];
        assert_eq!(ids.eui64(), Err(ParseEuiError::ByteLength(1)));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_uses_uppercase_hex() {
        let json = serde_json::to_string(&EUI).unwrap();
        assert_eq!(json, "\"AA555A0000000101\"");
        assert_eq!(
            serde_json::from_str::<Eui64>("\"aa555a0000000101\"").unwrap(),
            EUI
        );
        assert!(serde_json::from_str::<Eui64>("\"aa55\"").is_err());
    }
}
