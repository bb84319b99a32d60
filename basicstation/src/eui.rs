//! EUI-64 identifiers in every textual form Basics Station peers use.
//!
//! Accepted on input ([`Eui64::parse`], and the serde `Deserialize` impl, which also takes a bare
//! JSON integer):
//! - dashed: `01-02-03-04-05-06-07-08` (what the station sends);
//! - colon-separated bytes: `01:02:03:04:05:06:07:08`;
//! - 16 plain hex digits, optionally after a prefix: `0102030405060708`, `eui-0102030405060708`;
//! - ID6 (four 16-bit groups, `::` compression, optional `prefix-`): `::1`, `f::1`, `1::`,
//!   `b827:ebff:fe61:5e1c`, `router-80::fd46`, `muxs-::0`.
//!
//! Hex digits may be either case. On output the station's forms are used: dashed upper-case for
//! device EUIs ([`Eui64`]'s `Display`), ID6 lower-case for router ids ([`Eui64::id6`]).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A 64-bit EUI (DevEUI, JoinEUI, router id), held as its big-endian integer value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Eui64(pub u64);

/// Why a string is not an EUI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("invalid EUI `{text}`: {reason}")]
pub struct EuiError {
    /// The rejected text (at most 64 characters kept).
    pub text: String,
    /// What is wrong.
    pub reason: &'static str,
}

fn eui_err(text: &str, reason: &'static str) -> EuiError {
    EuiError {
        text: text.chars().take(64).collect(),
        reason,
    }
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses 1..=16 hex digits.
fn parse_hex_u64(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    s.bytes()
        .try_fold(0u64, |acc, b| hex_val(b).map(|v| (acc << 4) | u64::from(v)))
}

/// Parses `n` byte groups of exactly two hex digits separated by `sep`.
fn parse_separated(s: &str, sep: u8) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 23 {
        return None;
    }
    let mut v = 0u64;
    for i in 0..8 {
        let hi = hex_val(b[i * 3])?;
        let lo = hex_val(b[i * 3 + 1])?;
        if i < 7 && b[i * 3 + 2] != sep {
            return None;
        }
        v = (v << 8) | u64::from(hi << 4 | lo);
    }
    Some(v)
}

fn parse_id6(text: &str, s: &str) -> Result<u64, EuiError> {
    let group = |g: &str| -> Result<u64, EuiError> {
        if g.is_empty() || g.len() > 4 {
            return Err(eui_err(text, "ID6 group must have 1 to 4 hex digits"));
        }
        parse_hex_u64(g).ok_or_else(|| eui_err(text, "ID6 group is not hex"))
    };
    let mut groups = [0u64; 4];
    if let Some((left, right)) = s.split_once("::") {
        if right.contains("::") {
            return Err(eui_err(text, "more than one `::` in ID6"));
        }
        let left: Vec<&str> = if left.is_empty() {
            Vec::new()
        } else {
            left.split(':').collect()
        };
        let right: Vec<&str> = if right.is_empty() {
            Vec::new()
        } else {
            right.split(':').collect()
        };
        if left.len() + right.len() > 4 {
            return Err(eui_err(text, "more than four ID6 groups"));
        }
        for (i, g) in left.iter().enumerate() {
            groups[i] = group(g)?;
        }
        let start = 4 - right.len();
        for (i, g) in right.iter().enumerate() {
            groups[start + i] = group(g)?;
        }
    } else {
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() != 4 {
            return Err(eui_err(text, "ID6 needs four groups or `::`"));
        }
        for (i, g) in parts.iter().enumerate() {
            groups[i] = group(g)?;
        }
    }
    Ok(groups[0] << 48 | groups[1] << 32 | groups[2] << 16 | groups[3])
}

impl Eui64 {
    /// Parses any of the textual forms listed in the [module docs](self).
    pub fn parse(text: &str) -> Result<Eui64, EuiError> {
        if let Some(v) = parse_separated(text, b'-') {
            return Ok(Eui64(v));
        }
        if let Some(v) = parse_separated(text, b':') {
            return Ok(Eui64(v));
        }
        // Optional `prefix-` (letters only).
        let body = match text.split_once('-') {
            Some((prefix, rest))
                if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_alphabetic()) =>
            {
                rest
            }
            _ => text,
        };
        if body.contains(':') {
            return parse_id6(text, body).map(Eui64);
        }
        if body.len() == 16 {
            return parse_hex_u64(body)
                .map(Eui64)
                .ok_or_else(|| eui_err(text, "not 16 hex digits"));
        }
        Err(eui_err(text, "not a dashed, colon, hex or ID6 EUI"))
    }

    /// The eight bytes, most significant first (the order EUIs are written in).
    pub fn to_be_bytes(self) -> [u8; 8] {
        self.0.to_be_bytes()
    }

    /// The eight bytes in LoRaWAN over-the-air order (least significant first).
    pub fn to_le_bytes(self) -> [u8; 8] {
        self.0.to_le_bytes()
    }

    /// Builds the EUI from LoRaWAN over-the-air bytes (least significant first).
    pub fn from_le_bytes(bytes: [u8; 8]) -> Eui64 {
        Eui64(u64::from_le_bytes(bytes))
    }

    /// The ID6 form (lower-case, `::` compression), e.g. `::1` or `b827:ebff:fe61:5e1c`.
    pub fn id6(self) -> Id6 {
        Id6(self)
    }

    /// Writes the dashed upper-case form (`01-02-03-04-05-06-07-08`) into `out`.
    pub fn write_dashed(self, out: &mut String) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        for (i, b) in self.to_be_bytes().iter().enumerate() {
            if i > 0 {
                out.push('-');
            }
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

/// Dashed upper-case hex, the form the reference station writes and reads.
impl fmt::Display for Eui64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(23);
        self.write_dashed(&mut s);
        f.write_str(&s)
    }
}

impl std::str::FromStr for Eui64 {
    type Err = EuiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Eui64::parse(s)
    }
}

impl From<u64> for Eui64 {
    fn from(v: u64) -> Self {
        Eui64(v)
    }
}

/// Display adapter writing an EUI in ID6 form; see [`Eui64::id6`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id6(pub Eui64);

impl fmt::Display for Id6 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = (self.0).0;
        let g = [v >> 48, (v >> 32) & 0xFFFF, (v >> 16) & 0xFFFF, v & 0xFFFF];
        if v == 0 {
            return f.write_str("::0");
        }
        // Longest run of at least two zero groups (leftmost wins) becomes `::`.
        let mut best: Option<(usize, usize)> = None;
        let mut i = 0;
        while i < 4 {
            if g[i] == 0 {
                let start = i;
                while i < 4 && g[i] == 0 {
                    i += 1;
                }
                let len = i - start;
                if len >= 2 && best.is_none_or(|(_, l)| len > l) {
                    best = Some((start, len));
                }
            } else {
                i += 1;
            }
        }
        let join = |f: &mut fmt::Formatter<'_>, groups: &[u64]| -> fmt::Result {
            for (i, x) in groups.iter().enumerate() {
                if i > 0 {
                    f.write_str(":")?;
                }
                write!(f, "{x:x}")?;
            }
            Ok(())
        };
        match best {
            None => join(f, &g),
            Some((start, len)) => {
                join(f, &g[..start])?;
                f.write_str("::")?;
                join(f, &g[start + len..])
            }
        }
    }
}

struct EuiVisitor;

impl Visitor<'_> for EuiVisitor {
    type Value = Eui64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an EUI string (dashed, colon, hex or ID6) or a non-negative integer")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Eui64, E> {
        Ok(Eui64(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Eui64, E> {
        u64::try_from(v)
            .map(Eui64)
            .map_err(|_| E::custom("negative EUI integer"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Eui64, E> {
        Eui64::parse(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Eui64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EuiVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        let cases = [
            ("01-02-03-04-05-06-07-08", 0x0102030405060708),
            ("aa-bb-cc-01-02-03-42-ff", 0xaabbcc01020342ff),
            ("AA:BB:CC:01:02:03:42:FF", 0xaabbcc01020342ff),
            ("aabbcc01020342ff", 0xaabbcc01020342ff),
            ("eui-AABBCC01020342FF", 0xaabbcc01020342ff),
            ("::0", 0),
            ("::1", 1),
            ("f::1", 0x000f000000000001),
            ("1::", 0x0001000000000000),
            ("router-80::fd46", 0x008000000000fd46),
            ("aabb:01::", 0xaabb000100000000),
            ("muxs-::0", 0),
            ("b827:ebff:fe61:5e1c", 0xb827ebfffe615e1c),
            ("aabb:1:203:42ff", 0xaabb0001020342ff),
        ];
        for (text, want) in cases {
            assert_eq!(Eui64::parse(text), Ok(Eui64(want)), "{text}");
        }
    }

    #[test]
    fn rejects_garbage() {
        for text in [
            "",
            "1:2:3",
            "1:2:3:4:5",
            "12345:1::",
            "01-02-03",
            "0102030405060708090a",
            "g::1",
            "1::2::3",
            "xx-yy-zz-01-02-03-04-05",
        ] {
            assert!(Eui64::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn json_integer_and_string() {
        let e: Eui64 = serde_json::from_str("12302426811387609088").unwrap();
        assert_eq!(e, Eui64(0xaabb000100000000));
        let e: Eui64 = serde_json::from_str("18446744073709551615").unwrap();
        assert_eq!(e, Eui64(u64::MAX));
        assert!(serde_json::from_str::<Eui64>("-1").is_err());
        let e: Eui64 = serde_json::from_str("\"11-12-13-14-15-16-17-18\"").unwrap();
        assert_eq!(e, Eui64(0x1112131415161718));
    }

    #[test]
    fn writes_station_forms() {
        assert_eq!(
            Eui64(0x0000000011000001).to_string(),
            "00-00-00-00-11-00-00-01"
        );
        assert_eq!(
            Eui64(0xaabbcc01020342ff).to_string(),
            "AA-BB-CC-01-02-03-42-FF"
        );
        let id6 = |v: u64| Eui64(v).id6().to_string();
        assert_eq!(id6(0), "::0");
        assert_eq!(id6(1), "::1");
        assert_eq!(id6(0xb827ebfffe615e1c), "b827:ebff:fe61:5e1c");
        assert_eq!(id6(0xaabb0001020342ff), "aabb:1:203:42ff");
        assert_eq!(id6(0x000f000000000001), "f::1");
        assert_eq!(id6(0x0001000000000000), "1::");
        assert_eq!(id6(0x0001000000020000), "1:0:2:0");
        assert_eq!(id6(0x0000000100000000), "0:1::");
    }

    proptest::proptest! {
        #[test]
        fn id6_and_dashed_round_trip(v: u64) {
            proptest::prop_assert_eq!(Eui64::parse(&Eui64(v).id6().to_string()), Ok(Eui64(v)));
            proptest::prop_assert_eq!(Eui64::parse(&Eui64(v).to_string()), Ok(Eui64(v)));
        }
    }
}
