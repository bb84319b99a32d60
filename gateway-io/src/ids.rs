//! Gateway identifiers: the registry's gateway id and the 64-bit EUI.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest gateway id The Things Stack accepts.
pub const MAX_GATEWAY_ID_LEN: usize = 36;

/// A 64-bit extended unique identifier (gateway EUI), most significant byte first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Eui64(pub [u8; 8]);

impl Eui64 {
    /// The EUI as a big-endian integer.
    pub fn to_u64(self) -> u64 {
        u64::from_be_bytes(self.0)
    }

    /// The EUI of a big-endian integer.
    pub fn from_u64(value: u64) -> Self {
        Eui64(value.to_be_bytes())
    }

    /// The EUI of an 8-byte slice; `None` for any other length.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 8]>::try_from(bytes).ok().map(Eui64)
    }

    /// Whether all bytes are zero.
    pub fn is_zero(self) -> bool {
        self.0 == [0; 8]
    }
}

/// Prints 16 upper-case hex digits, the form The Things Stack shows.
impl fmt::Display for Eui64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

/// An EUI string that is not 16 hex digits (optionally separated by `-` or `:` every two).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid EUI `{0}`: expected 16 hex digits, optionally in dash- or colon-separated pairs")]
pub struct InvalidEui(pub String);

/// Parses `0102030405060708`, `01-02-03-04-05-06-07-08` or `01:02:03:04:05:06:07:08`
/// (either case).
impl FromStr for Eui64 {
    type Err = InvalidEui;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || InvalidEui(s.chars().take(40).collect());
        let digits: Vec<u8> = if s.len() == 23 {
            let sep = s.as_bytes()[2];
            if sep != b'-' && sep != b':' {
                return Err(err());
            }
            let mut out = Vec::with_capacity(16);
            for (i, part) in s.split(char::from(sep)).enumerate() {
                if i >= 8 || part.len() != 2 {
                    return Err(err());
                }
                out.extend_from_slice(part.as_bytes());
            }
            out
        } else if s.len() == 16 {
            s.as_bytes().to_vec()
        } else {
            return Err(err());
        };
        if digits.len() != 16 {
            return Err(err());
        }
        let mut bytes = [0u8; 8];
        for (i, pair) in digits.chunks(2).enumerate() {
            let hi = hex_value(pair[0]).ok_or_else(err)?;
            let lo = hex_value(pair[1]).ok_or_else(err)?;
            bytes[i] = (hi << 4) | lo;
        }
        Ok(Eui64(bytes))
    }
}

pub(crate) fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl Serialize for Eui64 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Eui64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A gateway id that breaks The Things Stack's rule `^[a-z0-9](?:[-]?[a-z0-9]){2,}$`, at most
/// 36 characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid gateway id `{0}`: 3 to 36 characters of a-z and 0-9, single dashes between them")]
pub struct InvalidGatewayId(pub String);

/// Checks a gateway id against The Things Stack's rule.
pub fn validate_gateway_id(id: &str) -> Result<(), InvalidGatewayId> {
    let b = id.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok = (3..=MAX_GATEWAY_ID_LEN).contains(&b.len())
        && alnum(b[0])
        && alnum(b[b.len() - 1])
        && b.iter().all(|&c| alnum(c) || c == b'-')
        && !b.windows(2).any(|w| w == b"--");
    if ok {
        Ok(())
    } else {
        Err(InvalidGatewayId(id.chars().take(64).collect()))
    }
}

/// Who a gateway is: its registry id and, when known, its EUI.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct GatewayIds {
    /// The gateway id (`^[a-z0-9](?:[-]?[a-z0-9]){2,}$`).
    pub gateway_id: String,
    /// The gateway EUI, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eui: Option<Eui64>,
}

impl GatewayIds {
    /// Ids from a gateway id and an optional EUI.
    pub fn new(gateway_id: impl Into<String>, eui: Option<Eui64>) -> Self {
        GatewayIds {
            gateway_id: gateway_id.into(),
            eui,
        }
    }

    /// The id The Things Stack gives an unregistered gateway: `eui-` and 16 lower-case hex digits.
    pub fn from_eui(eui: Eui64) -> Self {
        GatewayIds {
            gateway_id: format!("eui-{}", eui.to_string().to_ascii_lowercase()),
            eui: Some(eui),
        }
    }
}

impl fmt::Display for GatewayIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.eui {
            Some(eui) => write!(f, "{} ({eui})", self.gateway_id),
            None => f.write_str(&self.gateway_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eui_parses_every_separator_form_and_prints_upper_hex() {
        let want = Eui64([0x01, 0x02, 0x03, 0x04, 0xaa, 0xbb, 0xcc, 0xdd]);
        for s in [
            "01020304aabbccdd",
            "01-02-03-04-AA-BB-CC-DD",
            "01:02:03:04:aa:bb:cc:dd",
        ] {
            assert_eq!(s.parse::<Eui64>().unwrap(), want, "{s}");
        }
        assert_eq!(want.to_string(), "01020304AABBCCDD");
        assert_eq!(want.to_u64(), 0x01020304aabbccdd);
        assert_eq!(Eui64::from_u64(0x01020304aabbccdd), want);
        for bad in [
            "",
            "0102",
            "01020304aabbccdg",
            "01-02-03-04-aa-bb-cc:dd",
            "01-02-03-04-aa-bb-ccdd-",
        ] {
            assert!(bad.parse::<Eui64>().is_err(), "{bad}");
        }
    }

    #[test]
    fn gateway_ids_follow_the_tts_rule() {
        for ok in ["abc", "my-gateway-1", "eui-0102030405060708", "a1b"] {
            validate_gateway_id(ok).unwrap();
        }
        for bad in ["ab", "-abc", "abc-", "a--b", "ABC", "a_bc", &"a".repeat(37)] {
            assert!(validate_gateway_id(bad).is_err(), "{bad}");
        }
        assert_eq!(
            GatewayIds::from_eui(Eui64::from_u64(0xAA)).gateway_id,
            "eui-00000000000000aa"
        );
    }
}
