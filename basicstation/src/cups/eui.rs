//! Router ids as the CUPS request carries them (a private helper; the LNS messages have the
//! crate's full EUI codec): ID6, EUI-64 text or a JSON integer.
//!
//! Accepted on input: ID6 (`::1`, `b827:ebff:fe61:5e1c`, `f::1`, `1::`, with an optional
//! lower-case `prefix-` such as `router-`), dashed (`B8-27-EB-FF-FE-61-5E-1C`), colon
//! (`b8:27:eb:ff:fe:61:5e:1c`) and plain 16-digit hex, any case. Output: ID6, what the station
//! sends.

use super::CupsError;

/// Parse a router id in any of the forms stations and servers use.
pub(crate) fn parse_router_id(text: &str) -> Result<u64, CupsError> {
    let bad = || CupsError::InvalidRouterId(text.chars().take(64).collect());
    let s = text.trim();
    if s.is_empty() || s.len() > 64 {
        return Err(bad());
    }
    if s.contains(':') {
        let groups: Vec<&str> = s.split(':').collect();
        if groups.len() == 8 && groups.iter().all(|g| g.len() == 2) {
            return hex_groups(&groups, 8).ok_or_else(bad);
        }
        // ID6, possibly with a `prefix-`.
        let id6 = match s.split_once('-') {
            Some((prefix, rest))
                if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_alphabetic()) =>
            {
                rest
            }
            Some(_) => return Err(bad()),
            None => s,
        };
        return parse_id6(id6).ok_or_else(bad);
    }
    if s.contains('-') {
        let groups: Vec<&str> = s.split('-').collect();
        if groups.len() == 8 && groups.iter().all(|g| g.len() == 2) {
            return hex_groups(&groups, 8).ok_or_else(bad);
        }
        return Err(bad());
    }
    if s.len() == 16 {
        return u64::from_str_radix(s, 16).map_err(|_| bad());
    }
    Err(bad())
}

fn hex_groups(groups: &[&str], bits_per_digit_pair: u32) -> Option<u64> {
    groups.iter().try_fold(0u64, |acc, g| {
        if !g.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let v = u64::from_str_radix(g, 16).ok()?;
        Some((acc << bits_per_digit_pair) | v)
    })
}

fn parse_group(g: &str) -> Option<u64> {
    if g.is_empty() || g.len() > 4 || !g.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(g, 16).ok()
}

fn parse_id6(s: &str) -> Option<u64> {
    let groups: Vec<u64> = match s.split_once("::") {
        Some((head, tail)) => {
            let part = |p: &str| -> Option<Vec<u64>> {
                if p.is_empty() {
                    Some(Vec::new())
                } else {
                    p.split(':').map(parse_group).collect()
                }
            };
            let (h, t) = (part(head)?, part(tail)?);
            if h.len() + t.len() > 3 {
                return None;
            }
            let mut g = h;
            g.resize(4 - t.len(), 0);
            g.extend(t);
            g
        }
        None => s.split(':').map(parse_group).collect::<Option<Vec<_>>>()?,
    };
    if groups.len() != 4 {
        return None;
    }
    Some(groups.iter().fold(0, |acc, g| (acc << 16) | g))
}

/// Format a router id as ID6, the way the reference station does (`::1`, `1::`, `f::1`,
/// `b827:ebff:fe61:5e1c`).
pub(crate) fn format_id6(id: u64) -> String {
    let g = [
        (id >> 48) & 0xFFFF,
        (id >> 32) & 0xFFFF,
        (id >> 16) & 0xFFFF,
        id & 0xFFFF,
    ];
    match g {
        [0, 0, 0, d] => format!("::{d:x}"),
        [0, 0, c, d] => format!("::{c:x}:{d:x}"),
        [a, 0, 0, 0] => format!("{a:x}::"),
        [a, b, 0, 0] => format!("{a:x}:{b:x}::"),
        [a, 0, 0, d] => format!("{a:x}::{d:x}"),
        [a, b, c, d] => format!("{a:x}:{b:x}:{c:x}:{d:x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn forms() {
        let cases: [(&str, u64); 13] = [
            ("::0", 0),
            ("::1", 1),
            ("b827:ebff:fe61:5e1c", 0xB827_EBFF_FE61_5E1C),
            ("58a0:cbff:fe80:19", 0x58A0_CBFF_FE80_0019),
            ("f::1", 0x000F_0000_0000_0001),
            ("1::", 0x0001_0000_0000_0000),
            ("router-80::fd46", 0x0080_0000_0000_FD46),
            ("muxs-::0", 0),
            ("aabb:01::", 0xAABB_0001_0000_0000),
            ("aa-bb-cc-01-02-03-42-ff", 0xAABB_CC01_0203_42FF),
            ("AA:BB:CC:01:02:03:42:FF", 0xAABB_CC01_0203_42FF),
            ("aabbcc01020342ff", 0xAABB_CC01_0203_42FF),
            ("::a:b", 0x0000_0000_000A_000B),
        ];
        for (text, id) in cases {
            assert_eq!(parse_router_id(text), Ok(id), "{text}");
        }
        for bad in [
            "",
            ":::",
            "1:2:3:4:5",
            "12345::",
            "aa-bb",
            "x::1",
            "1-::1",
            "aabbcc01020342f",
            "1::2::3",
            "g::",
        ] {
            assert!(parse_router_id(bad).is_err(), "{bad}");
        }
        assert_eq!(format_id6(0), "::0");
        assert_eq!(format_id6(1), "::1");
        assert_eq!(format_id6(0x0001_0000_0000_0000), "1::");
        assert_eq!(format_id6(0x000F_0000_0000_0001), "f::1");
        assert_eq!(format_id6(0x0000_0000_000A_000B), "::a:b");
        assert_eq!(format_id6(0xB827_EBFF_FE61_5E1C), "b827:ebff:fe61:5e1c");
        assert_eq!(format_id6(0x000F_A123_00F8_0100), "f:a123:f8:100");
    }

    proptest! {
        #[test]
        fn id6_round_trip(id in any::<u64>()) {
            prop_assert_eq!(parse_router_id(&format_id6(id)), Ok(id));
        }
    }
}
