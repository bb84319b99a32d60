//! JSON plumbing shared by the message codecs: a small writer that emits integers as integer
//! literals, hex in upper case and times with microsecond precision, plus serde helpers for the
//! station's field conventions (signed 32-bit addresses, `-1`/`0` meaning absent, hex payloads).

use std::fmt::{self, Write as _};

use serde::de::{self, Deserializer, Visitor};

use crate::error::EncodeError;

/// Largest message, in bytes, accepted by the decoders and produced by the encoders: the
/// reference station accepts no websocket frame of 65,536 bytes or more.
pub const MAX_MESSAGE_LEN: usize = 65_535;

/// Writes one JSON object into a `String`, field by field, in the order called.
pub(crate) struct ObjWriter<'a> {
    out: &'a mut String,
    empty: bool,
    msgtype: &'static str,
    non_finite: Option<&'static str>,
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

impl<'a> ObjWriter<'a> {
    /// Clears `out` and starts an object with `"msgtype":"<msgtype>"` as its first field.
    pub(crate) fn message(out: &'a mut String, msgtype: &'static str) -> Self {
        out.clear();
        out.push('{');
        let mut w = ObjWriter {
            out,
            empty: true,
            msgtype,
            non_finite: None,
        };
        w.str("msgtype", msgtype);
        w
    }

    /// Starts a nested object as the value of `key`.
    pub(crate) fn nested(&mut self, key: &str) -> ObjWriter<'_> {
        self.key(key);
        self.out.push('{');
        ObjWriter {
            out: self.out,
            empty: true,
            msgtype: self.msgtype,
            non_finite: None,
        }
    }

    /// Starts an object that is an element of an array being written by the caller.
    pub(crate) fn element(out: &'a mut String, msgtype: &'static str) -> Self {
        out.push('{');
        ObjWriter {
            out,
            empty: true,
            msgtype,
            non_finite: None,
        }
    }

    pub(crate) fn key(&mut self, key: &str) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    pub(crate) fn raw_out(&mut self) -> &mut String {
        self.out
    }

    pub(crate) fn int(&mut self, key: &str, v: i64) {
        self.key(key);
        self.out.push_str(itoa::Buffer::new().format(v));
    }

    pub(crate) fn uint(&mut self, key: &str, v: u64) {
        self.key(key);
        self.out.push_str(itoa::Buffer::new().format(v));
    }

    pub(crate) fn bool(&mut self, key: &str, v: bool) {
        self.key(key);
        self.out.push_str(if v { "true" } else { "false" });
    }

    pub(crate) fn null(&mut self, key: &str) {
        self.key(key);
        self.out.push_str("null");
    }

    pub(crate) fn str(&mut self, key: &str, v: &str) {
        self.key(key);
        write_json_str(self.out, v);
    }

    pub(crate) fn opt_str(&mut self, key: &str, v: Option<&str>) {
        match v {
            Some(v) => self.str(key, v),
            None => self.null(key),
        }
    }

    /// Upper-case hex string, like the station writes payloads.
    pub(crate) fn hex(&mut self, key: &str, bytes: &[u8]) {
        self.key(key);
        self.out.push('"');
        write_hex_upper(self.out, bytes);
        self.out.push('"');
    }

    /// Dashed upper-case EUI string.
    pub(crate) fn eui(&mut self, key: &str, eui: crate::Eui64) {
        self.key(key);
        self.out.push('"');
        eui.write_dashed(self.out);
        self.out.push('"');
    }

    /// A time in seconds with microsecond precision (`%.6f`, trailing zeros dropped).
    pub(crate) fn time(&mut self, key: &'static str, v: f64) {
        if !v.is_finite() {
            self.non_finite.get_or_insert(key);
            self.null(key);
            return;
        }
        self.key(key);
        write_time(self.out, v);
    }

    /// A plain number: integral values without a fraction, others in shortest form (`%g`-like).
    pub(crate) fn num(&mut self, key: &'static str, v: f64) {
        if !v.is_finite() {
            self.non_finite.get_or_insert(key);
            self.null(key);
            return;
        }
        self.key(key);
        write_num(self.out, v);
    }

    /// Closes the object; reports the first non-finite float written.
    pub(crate) fn end(self) -> Result<(), EncodeError> {
        self.out.push('}');
        match self.non_finite {
            Some(field) => Err(EncodeError::NonFinite {
                msgtype: self.msgtype,
                field,
            }),
            None => Ok(()),
        }
    }
}

pub(crate) fn write_hex_upper(out: &mut String, bytes: &[u8]) {
    write_hex_with(out, bytes, HEX_UPPER);
}

/// Lower-case hex, as The Things Stack writes payloads in the Tabs Hubs dialect.
pub(crate) fn write_hex_lower(out: &mut String, bytes: &[u8]) {
    write_hex_with(out, bytes, b"0123456789abcdef");
}

fn write_hex_with(out: &mut String, bytes: &[u8], digits: &[u8; 16]) {
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(digits[usize::from(b >> 4)]));
        out.push(char::from(digits[usize::from(b & 15)]));
    }
}

/// A time as the peer reads it after [`ObjWriter::time`] wrote it: `v` rounded to microseconds,
/// parsed back by the same JSON parser that decodes the peer's messages. A station echoes this
/// value (`MuxTime`), not `v`. A non-finite `v` is returned unchanged.
pub(crate) fn wire_time(v: f64) -> f64 {
    if !v.is_finite() {
        return v;
    }
    let mut s = String::new();
    write_time(&mut s, v);
    serde_json::from_str(&s).unwrap_or(v)
}

pub(crate) fn write_time(out: &mut String, v: f64) {
    // Fast path: below 2^31 s the product with 1e6 stays within a quarter unit of the exact
    // value, so rounding it gives the same six decimals as `{:.6}`.
    if v.abs() < 2_147_483_648.0 {
        #[allow(clippy::cast_possible_truncation)] // |v * 1e6| < 2^52
        let us = (v * 1e6).round() as i64;
        let (whole, frac) = (us / 1_000_000, (us % 1_000_000).abs());
        if us < 0 && whole == 0 {
            out.push('-');
        }
        out.push_str(itoa::Buffer::new().format(whole));
        if frac != 0 {
            let mut digits = [b'0'; 6];
            let mut f = frac;
            for d in digits.iter_mut().rev() {
                *d = b'0' + (f % 10) as u8;
                f /= 10;
            }
            let len = 6 - digits.iter().rev().take_while(|&&d| d == b'0').count();
            out.push('.');
            for &d in &digits[..len] {
                out.push(char::from(d));
            }
        }
        return;
    }
    let start = out.len();
    let _ = write!(out, "{v:.6}");
    if out[start..].contains('.') {
        let trimmed = out[start..]
            .trim_end_matches('0')
            .trim_end_matches('.')
            .len();
        out.truncate(start + trimmed);
    }
    if &out[start..] == "-0" {
        out.truncate(start);
        out.push('0');
    }
}

pub(crate) fn write_num(out: &mut String, v: f64) {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation)] // integral and below 2^53 (checked above)
        let i = v as i64;
        out.push_str(itoa::Buffer::new().format(i));
    } else {
        let _ = write!(out, "{v}");
    }
}

pub(crate) fn write_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Checks the 65,535-byte frame limit after encoding.
pub(crate) fn check_len(msgtype: &'static str, out: &str) -> Result<(), EncodeError> {
    if out.len() > MAX_MESSAGE_LEN {
        return Err(EncodeError::TooLarge {
            msgtype,
            len: out.len(),
            max: MAX_MESSAGE_LEN,
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Deserialisation helpers (used with `#[serde(deserialize_with = ...)]`).

/// The value of each byte as a hex digit (either case), [`NOT_HEX`] for other bytes: one
/// table lookup per digit instead of three range tests.
const HEX_VALUES: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// [`HEX_VALUES`] of a byte that is not a hex digit (above every digit's value, 15).
const NOT_HEX: u8 = 0xFF;

/// The value of one hex digit, either case.
pub(crate) fn hex_val(b: u8) -> Option<u8> {
    let v = HEX_VALUES[usize::from(b)];
    (v != NOT_HEX).then_some(v)
}

/// Decodes a hex string of even length, either case.
pub(crate) fn decode_hex(s: impl AsRef<[u8]>) -> Result<Vec<u8>, &'static str> {
    let b = s.as_ref();
    if !b.len().is_multiple_of(2) {
        return Err("hex string of odd length");
    }
    let mut out = Vec::with_capacity(b.len() / 2);
    for pair in b.chunks_exact(2) {
        let (h, l) = (
            HEX_VALUES[usize::from(pair[0])],
            HEX_VALUES[usize::from(pair[1])],
        );
        // Both are digits (at most 15) exactly when neither is `NOT_HEX`.
        if (h | l) > 0x0F {
            return Err("not a hex string");
        }
        out.push(h << 4 | l);
    }
    Ok(out)
}

struct HexVisitor;

impl Visitor<'_> for HexVisitor {
    type Value = Vec<u8>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a hex string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        decode_hex(v).map_err(E::custom)
    }
}

/// A hex string → bytes.
pub(crate) fn hex<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    d.deserialize_str(HexVisitor)
}

/// A hex string, or `null` → empty.
pub(crate) fn hex_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let v: Option<Hex> = serde::Deserialize::deserialize(d)?;
    Ok(v.map(|h| h.0).unwrap_or_default())
}

struct Hex(Vec<u8>);

impl<'de> serde::Deserialize<'de> for Hex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        hex(d).map(Hex)
    }
}

/// An integer in `min..=max` read with `deserialize_any` (floats rounded when
/// `lenient_float`); the field conventions below are built on it.
pub(crate) struct IntVisitor {
    pub(crate) min: i64,
    pub(crate) max: i64,
    pub(crate) lenient_float: bool,
    pub(crate) what: &'static str,
}

impl Visitor<'_> for IntVisitor {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in {}..={}", self.what, self.min, self.max)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        if v < self.min || v > self.max {
            return Err(E::invalid_value(de::Unexpected::Signed(v), &self));
        }
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        match i64::try_from(v) {
            Ok(v) => self.visit_i64(v),
            Err(_) => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        #[allow(clippy::cast_precision_loss)] // bounds comparison only
        let in_range = v.is_finite() && v >= self.min as f64 && v <= self.max as f64;
        if self.lenient_float && in_range {
            #[allow(clippy::cast_possible_truncation)] // range checked above
            return Ok(v.round() as i64);
        }
        Err(E::invalid_value(de::Unexpected::Float(v), &self))
    }
}

/// A signed 32-bit value as the station sends `DevAddr`/`MIC`, also accepting the unsigned
/// form; returned as the 32-bit pattern.
pub(crate) fn signed_u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = d.deserialize_any(IntVisitor {
        min: i64::from(i32::MIN),
        max: i64::from(u32::MAX),
        lenient_float: false,
        what: "a 32-bit integer",
    })?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // bit pattern wanted
    Ok(v as u32)
}

/// `FPort`: -1 (or absent) means no port.
pub(crate) fn fport<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    let v = d.deserialize_any(IntVisitor {
        min: -1,
        max: 255,
        lenient_float: false,
        what: "FPort",
    })?;
    Ok(u8::try_from(v).ok())
}

/// `gpstime`: 0 means no GPS time.
pub(crate) fn gpstime<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v: Option<i64> = serde::Deserialize::deserialize(d)?;
    Ok(v.filter(|&v| v != 0))
}

/// `RefTime`: 0 means the station never received a MuxTime.
pub(crate) fn ref_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v: Option<f64> = serde::Deserialize::deserialize(d)?;
    Ok(v.filter(|&v| v != 0.0))
}

/// An integer that some peers send as a float (`rssi`, TTS's `timesync.txtime`): rounded.
pub(crate) fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_any(IntVisitor {
        min: i64::MIN,
        max: i64::MAX,
        lenient_float: true,
        what: "an integer",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_format_matches_station() {
        let f = |v: f64| {
            let mut s = String::new();
            write_time(&mut s, v);
            s
        };
        assert_eq!(f(1795585801.287379), "1795585801.287379");
        assert_eq!(f(1795585801.28738), "1795585801.28738");
        assert_eq!(f(2993.253003), "2993.253003");
        assert_eq!(f(0.0), "0");
        assert_eq!(f(1700000000.0), "1700000000");
        assert_eq!(f(-0.5), "-0.5");
        assert_eq!(f(-1.25), "-1.25");
        assert_eq!(f(-0.0000001), "0");
        assert_eq!(f(1e12 + 0.5), "1000000000000.5");
    }

    proptest::proptest! {
        #[test]
        fn fast_time_path_matches_printf(us in -4_000_000_000_000_000i64..4_000_000_000_000_000) {
            let v = us as f64 / 1e6;
            let mut fast = String::new();
            write_time(&mut fast, v);
            let mut slow = format!("{v:.6}");
            if slow.contains('.') {
                slow = slow.trim_end_matches('0').trim_end_matches('.').to_owned();
            }
            if slow == "-0" {
                slow = "0".to_owned();
            }
            proptest::prop_assert_eq!(fast, slow);
        }
    }

    #[test]
    fn num_format() {
        let f = |v: f64| {
            let mut s = String::new();
            write_num(&mut s, v);
            s
        };
        assert_eq!(f(9.0), "9");
        assert_eq!(f(9.25), "9.25");
        assert_eq!(f(-7.5), "-7.5");
    }

    #[test]
    fn escapes_strings() {
        let mut s = String::new();
        write_json_str(&mut s, "a\"b\\c\nd\u{1}");
        assert_eq!(s, r#""a\"b\\c\nd\u0001""#);
    }

    #[test]
    fn hex_decoding() {
        assert_eq!(decode_hex("0aFF"), Ok(vec![0x0a, 0xff]));
        assert!(decode_hex("0").is_err());
        assert!(decode_hex("zz").is_err());
        for b in 0..=u8::MAX {
            let digit = char::from(b)
                .to_digit(16)
                .and_then(|d| u8::try_from(d).ok());
            assert_eq!(hex_val(b), digit, "byte {b:#04x}");
        }
    }

    proptest::proptest! {
        /// The table-driven decoder agrees with a per-pair `u8::from_str_radix` on strings of
        /// hex digits, near-misses (`g`, `G`, `/`, `:`, `@`, backtick) and non-ASCII text.
        #[test]
        fn hex_decoding_matches_from_str_radix(s in "[0-9a-fA-F/:@`gG\u{e9}]{0,12}") {
            let reference: Result<Vec<u8>, &str> = if s.len() % 2 != 0 {
                Err("hex string of odd length")
            } else {
                s.as_bytes()
                    .chunks_exact(2)
                    .map(|p| {
                        std::str::from_utf8(p)
                            .ok()
                            .filter(|t| t.bytes().all(|c| c.is_ascii_hexdigit()))
                            .and_then(|t| u8::from_str_radix(t, 16).ok())
                            .ok_or("not a hex string")
                    })
                    .collect()
            };
            proptest::prop_assert_eq!(decode_hex(&s), reference);
        }
    }
}
