//! [`Timestamp`]: UTC time as seconds and nanoseconds since the Unix epoch, read from both time
//! formats of the protocol documents.
//!
//! * "compact" ISO 8601 (`rxpk.time`): `2013-03-31T16:21:17.528002Z`, any number of fraction
//!   digits up to 9, `Z` or a `±HH:MM` offset;
//! * "expanded" (`stat.time`): `2014-01-12 08:59:28 GMT` (`UTC` and `Z` accepted too).
//!
//! Either form is accepted in either field, because forwarders mix them up.

use std::fmt;

/// A UTC instant with nanosecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z (leap seconds not counted, as in Unix time).
    pub unix_seconds: i64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub nanos: u32,
}

/// Why a time string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeError(&'static str);

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the well-known civil-date algorithm);
/// the reference for `days_from_civil_4digit`, which the parser uses.
#[cfg(test)]
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of `days_from_civil`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn digits(s: &[u8], what: &'static str) -> Result<u32, TimeError> {
    let mut v: u32 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return Err(TimeError(what));
        }
        v = v * 10 + u32::from(b - b'0');
    }
    Ok(v)
}

/// [`days_from_civil`] for years 0000 to 9999 and months 1 to 12, in unsigned arithmetic (the
/// year shifted by one 400-year era so that nothing is negative; divisions by constants).
fn days_from_civil_4digit(year: u32, month: u32, day: u32) -> i64 {
    let y = year + 400 - u32::from(month <= 2);
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i64::from(era * 146_097 + doe) - 719_468 - 146_097
}

/// Whether the lanes of `w` selected by `mask` (0xFF per lane) are all ASCII digits. Only sound
/// when no lane of `w` is 0xFA or above, which callers guarantee by checking the other lanes
/// for exact ASCII values in the same condition.
#[inline]
fn digit_lanes(w: u64, mask: u64) -> bool {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    const SIX: u64 = 0x0606_0606_0606_0606;
    // '0'..='9' is 0x30..=0x39: high nibble 3, and still 3 after adding 6.
    w & mask & HIGH == ZEROS & mask && w.wrapping_add(SIX) & mask & HIGH == ZEROS & mask
}

/// `YYYY-MM-DD?HH:MM:SS` read at fixed positions, two words at a time; `None` for anything else
/// (then [`fields_checked`] says what is wrong).
#[inline]
fn fields_fast(s: &[u8]) -> Option<[u32; 6]> {
    let a = u64::from_le_bytes(s.get(0..8)?.try_into().ok()?); // YYYY-MM-
    let b = u64::from_le_bytes(s.get(11..19)?.try_into().ok()?); // HH:MM:SS
    let (d8, d9) = (s[8].wrapping_sub(b'0'), s[9].wrapping_sub(b'0'));
    const SEP_A: u64 = 0xFF00_00FF_0000_0000;
    const SEP_B: u64 = 0x0000_FF00_00FF_0000;
    let ok = a & SEP_A == u64::from_le_bytes(*b"\0\0\0\0-\0\0-")
        && b & SEP_B == u64::from_le_bytes(*b"\0\0:\0\0:\0\0")
        && digit_lanes(a, !SEP_A)
        && digit_lanes(b, !SEP_B)
        && d8 < 10
        && d9 < 10;
    if !ok {
        return None;
    }
    let d = |i: usize| u32::from(s[i] - b'0');
    Some([
        d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3),
        d(5) * 10 + d(6),
        u32::from(d8) * 10 + u32::from(d9),
        d(11) * 10 + d(12),
        d(14) * 10 + d(15),
        d(17) * 10 + d(18),
    ])
}

/// `YYYY-MM-DD?HH:MM:SS` read field by field, with the error for the first bad one.
#[cold]
#[inline(never)]
fn fields_checked(s: &[u8]) -> Result<[u32; 6], TimeError> {
    if s.len() < 19 {
        return Err(TimeError("time too short (expected YYYY-MM-DDTHH:MM:SS…)"));
    }
    if s[4] != b'-' || s[7] != b'-' || s[13] != b':' || s[16] != b':' {
        return Err(TimeError("time not in YYYY-MM-DDTHH:MM:SS form"));
    }
    Ok([
        digits(&s[0..4], "bad year")?,
        digits(&s[5..7], "bad month")?,
        digits(&s[8..10], "bad day")?,
        digits(&s[11..13], "bad hour")?,
        digits(&s[14..16], "bad minute")?,
        digits(&s[17..19], "bad second")?,
    ])
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Unix seconds of fixed-position UTC date and time fields, `None` when one is out of range
/// (second 60, a leap second, folds into the next second as Unix time does).
#[inline]
fn unix_seconds_of([year, month, day, hour, minute, second]: [u32; 6]) -> Option<i64> {
    if !(1..=12).contains(&month)
        || day == 0
        || (day > 28 && day > days_in_month(i64::from(year), month))
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil_4digit(year, month, day);
    Some(days * 86_400 + i64::from(hour * 3600 + minute * 60 + second))
}

impl Timestamp {
    /// From Unix seconds and nanoseconds; `None` if `nanos` is not below one second.
    pub fn new(unix_seconds: i64, nanos: u32) -> Option<Self> {
        (nanos < 1_000_000_000).then_some(Self {
            unix_seconds,
            nanos,
        })
    }

    /// Parses either time format (see the module docs).
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        Self::parse_bytes(text.as_bytes())
    }

    /// Fast path for the usual `stat.time` as JSON text: `"YYYY-MM-DD HH:MM:SS GMT"` with its
    /// quotes at the start of `json` (25 bytes). `None` when the text differs in any way (then the
    /// general reader decides, with the same result for this form).
    #[inline]
    pub(crate) fn parse_quoted_expanded(json: &[u8]) -> Option<Self> {
        // Three words, `"YYYY-MM`, `-DD HH:M` and `M:SS GMT`, and the closing quote. Each word
        // is XORed with its layout (digits as `0`): every lane must then be zero, or below 10
        // where the layout has a digit. No escape or control character can hide in there.
        const LO: u64 = 0x0101_0101_0101_0101;
        const LAYOUT: [u64; 3] = [
            u64::from_le_bytes(*b"\"0000-00"),
            u64::from_le_bytes(*b"-00 00:0"),
            u64::from_le_bytes(*b"0:00 GMT"),
        ];
        // The digit lanes of each word.
        const DIGITS: [u64; 3] = [
            0xFFFF_00FF_FFFF_FF00,
            0xFF00_FFFF_00FF_FF00,
            0x0000_0000_FFFF_00FF,
        ];
        let q = json.get(..25)?;
        if q[24] != b'"' {
            return None;
        }
        let mut t = [0u64; 3];
        let mut bad = 0;
        for i in 0..3 {
            let mut w = [0u8; 8];
            w.copy_from_slice(&q[8 * i..8 * i + 8]);
            let x = u64::from_le_bytes(w) ^ LAYOUT[i];
            // Lanes at 10 or above get their high bit (no carry crosses a lane).
            bad |= (x & !DIGITS[i]) | ((((x & (LO * 0x7F)) + LO * 0x76) | x) & (LO * 0x80));
            t[i] = x;
        }
        if bad != 0 {
            return None;
        }
        // Every lane is a digit value or zero: lane k of `pair` is 10 × lane k + lane k+1.
        let pair = |x: u64| x * 10 + (x >> 8);
        let lane = |x: u64, k: u32| (x >> (8 * k)) as u32 & 0xFF;
        let [a, b, c] = t;
        let (pa, pb) = (pair(a), pair(b));
        let fields = [
            lane(pa, 1) * 100 + lane(pa, 3),
            lane(pa, 6),
            lane(pb, 1),
            lane(pb, 4),
            lane(b, 7) * 10 + lane(c, 0),
            lane(pair(c), 2),
        ];
        Some(Self {
            unix_seconds: unix_seconds_of(fields)?,
            nanos: 0,
        })
    }

    /// Fast path for the usual `rxpk.time` as JSON text: `"YYYY-MM-DDTHH:MM:SS.ffffffZ"`
    /// (microseconds, UTC, as the reference forwarder writes it) with its quotes at the start
    /// of `json` (29 bytes). `None` when the text differs in any way (then the general reader
    /// decides, with the same result for this form).
    #[inline]
    pub(crate) fn parse_quoted_compact_micros(json: &[u8]) -> Option<Self> {
        let q = json.get(..29)?;
        // No escape or control character can hide in there: every byte is checked.
        if q[0] != b'"' || q[11] != b'T' || q[20] != b'.' || q[27..] != *b"Z\"" {
            return None;
        }
        let fields = fields_fast(&q[1..20])?;
        let mut micros = 0u32;
        for &b in &q[21..27] {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            micros = micros * 10 + u32::from(d);
        }
        Some(Self {
            unix_seconds: unix_seconds_of(fields)?,
            nanos: micros * 1000,
        })
    }

    /// [`Timestamp::parse`] on bytes.
    pub fn parse_bytes(s: &[u8]) -> Result<Self, TimeError> {
        let [year, month, day, hour, minute, second] = match fields_fast(s) {
            Some(f) => f,
            None => fields_checked(s)?,
        };
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(i64::from(year), month) {
            return Err(TimeError("date out of range"));
        }
        // 60 is a leap second, folded into the next second as Unix time does.
        if hour > 23 || minute > 59 || second > 60 {
            return Err(TimeError("time of day out of range"));
        }
        let mut rest = &s[19..];
        let mut nanos: u32 = 0;
        let offset_seconds: i64;
        match s[10] {
            b'T' | b't' => {
                if let [b'.', tail @ ..] = rest {
                    let n = tail.iter().take_while(|b| b.is_ascii_digit()).count();
                    if n == 0 || n > 9 {
                        return Err(TimeError("fraction of second must have 1 to 9 digits"));
                    }
                    nanos = digits(&tail[..n], "bad fraction")? * 10u32.pow(9 - n as u32);
                    rest = &tail[n..];
                }
                offset_seconds = match rest {
                    b"Z" | b"z" => 0,
                    [sign @ (b'+' | b'-'), hh @ .., b':', m1, m2] if hh.len() == 2 => {
                        let h = i64::from(digits(hh, "bad offset")?);
                        let m = i64::from(digits(&[*m1, *m2], "bad offset")?);
                        let off = h * 3600 + m * 60;
                        if *sign == b'-' { -off } else { off }
                    }
                    _ => return Err(TimeError("expected `Z` or `±HH:MM` after the time")),
                };
            }
            b' ' => {
                offset_seconds = 0;
                match rest {
                    b" GMT" | b" UTC" | b"Z" | b" Z" | b"" => {}
                    _ => return Err(TimeError("expected ` GMT` after the time")),
                }
            }
            _ => return Err(TimeError("expected `T` or a space between date and time")),
        }
        // `year` has four digits and `month` is checked above: the unsigned form applies.
        let days = days_from_civil_4digit(year, month, day);
        let secs =
            days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)
                - offset_seconds;
        Ok(Self {
            unix_seconds: secs,
            nanos,
        })
    }

    fn civil(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.unix_seconds.div_euclid(86_400);
        let sod = self.unix_seconds.rem_euclid(86_400) as u32;
        let (y, mo, d) = civil_from_days(days);
        (y, mo, d, sod / 3600, sod / 60 % 60, sod % 60)
    }

    /// Appends the compact form with microseconds (or nanoseconds when the value has them):
    /// `2013-03-31T16:21:17.528002Z`.
    pub(crate) fn write_compact(self, out: &mut Vec<u8>) {
        let (y, mo, d, h, mi, s) = self.civil();
        // Years outside 0..=9999 cannot be written in this format; clamp the digits.
        let y = y.clamp(0, 9999) as u32;
        push_num(out, y, 4);
        out.push(b'-');
        push_num(out, mo, 2);
        out.push(b'-');
        push_num(out, d, 2);
        out.push(b'T');
        push_num(out, h, 2);
        out.push(b':');
        push_num(out, mi, 2);
        out.push(b':');
        push_num(out, s, 2);
        out.push(b'.');
        if self.nanos.is_multiple_of(1000) {
            push_num(out, self.nanos / 1000, 6);
        } else {
            push_num(out, self.nanos, 9);
        }
        out.push(b'Z');
    }

    /// Appends the expanded form `2014-01-12 08:59:28 GMT`, or the compact form if the value
    /// has a fraction of a second (so that decoding gives the same value back).
    pub(crate) fn write_expanded(self, out: &mut Vec<u8>) {
        if self.nanos != 0 {
            return self.write_compact(out);
        }
        let (y, mo, d, h, mi, s) = self.civil();
        let y = y.clamp(0, 9999) as u32;
        push_num(out, y, 4);
        out.push(b'-');
        push_num(out, mo, 2);
        out.push(b'-');
        push_num(out, d, 2);
        out.push(b' ');
        push_num(out, h, 2);
        out.push(b':');
        push_num(out, mi, 2);
        out.push(b':');
        push_num(out, s, 2);
        out.extend_from_slice(b" GMT");
    }

    /// Whether the value can be written in the wire formats (years 0000 to 9999).
    pub fn is_writable(self) -> bool {
        // -62167219200 is 0000-01-01T00:00:00Z, 253402300799 is 9999-12-31T23:59:59Z.
        (-62_167_219_200..=253_402_300_799).contains(&self.unix_seconds)
            && self.nanos < 1_000_000_000
    }
}

fn push_num(out: &mut Vec<u8>, mut v: u32, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for i in (0..width).rev() {
        out[start + i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

impl fmt::Display for Timestamp {
    /// The compact ISO 8601 form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(32);
        self.write_compact(&mut out);
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_both_formats() {
        let t = Timestamp::parse("2013-03-31T16:21:17.528002Z").unwrap();
        assert_eq!(t.unix_seconds, 1_364_746_877);
        assert_eq!(t.nanos, 528_002_000);
        let t = Timestamp::parse("2014-01-12 08:59:28 GMT").unwrap();
        assert_eq!(t.unix_seconds, 1_389_517_168);
        assert_eq!(t.nanos, 0);
        // Offsets and short fractions.
        let t = Timestamp::parse("2017-07-04T15:51:17.9+02:00").unwrap();
        assert_eq!(t.unix_seconds, 1_499_176_277);
        assert_eq!(t.nanos, 900_000_000);
        let t = Timestamp::parse("1970-01-01T00:00:00Z").unwrap();
        assert_eq!(t, Timestamp::default());
    }

    #[test]
    fn fixed_position_fields_agree_with_the_checked_reader() {
        for text in [
            "2024-05-14 09:21:17 GMT",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:60Z",
            "2014-0a-12 08:59:28 GMT",
            "2014-01-12 08:5:28 GMT",
            "2014/01/12 08:59:28 GMT",
            "2014-01-12 08-59-28 GMT",
            "20\u{ff}4-01-12 08:59:28 GMT",
            "2014-01-1: 08:59:28 GMT",
            "2014-01-12 08:59:2",
            "\u{fa}014-01-12 08:59:28 GMT",
            "2014-01-12 08:59:\u{ff}",
        ] {
            let s = text.as_bytes();
            match fields_fast(s) {
                Some(f) => assert_eq!(fields_checked(s).unwrap(), f, "{text}"),
                None => assert!(fields_checked(s).is_err(), "{text}"),
            }
        }
    }

    #[test]
    fn quoted_compact_fast_path_agrees_with_the_parser() {
        for text in [
            "2024-05-14T09:21:17.528002Z",
            "0000-01-01T00:00:00.000000Z",
            "9999-12-31T23:59:60.999999Z",
            "2024-02-29T00:00:00.000001Z",
        ] {
            let json = format!("\"{text}\",");
            assert_eq!(
                Timestamp::parse_quoted_compact_micros(json.as_bytes()),
                Some(Timestamp::parse(text).unwrap()),
                "{text}"
            );
        }
        // Anything else is left to the general reader.
        for json in [
            "\"2023-02-29T00:00:00.000000Z\"",
            "\"2024-05-14T24:00:00.000000Z\"",
            "\"2024-05-14 09:21:17.528002Z\"",
            "\"2024-05-14T09:21:17.52800Z\"",
            "\"2024-05-14T09:21:17.5280021Z\"",
            "\"2024-05-14T09:21:17.52800aZ\"",
            "\"2024-05-14T09:21:17,528002Z\"",
            "\"2024-05-14T09:21:17.528002z\"",
            "\"2024-05-14T09:21:17.528002Z",
            "\"2024-05-14T09:21:17.528002+00:00\"",
            "2024-05-14T09:21:17.528002Z\"",
        ] {
            assert_eq!(
                Timestamp::parse_quoted_compact_micros(json.as_bytes()),
                None,
                "{json}"
            );
        }
    }

    #[test]
    fn quoted_expanded_fast_path_agrees_with_the_parser() {
        for text in [
            "2024-05-14 09:21:17 GMT",
            "2014-01-12 08:59:28 GMT",
            "0000-01-01 00:00:00 GMT",
            "9999-12-31 23:59:60 GMT",
            "2024-02-29 00:00:00 GMT",
        ] {
            let json = format!("\"{text}\",");
            assert_eq!(
                Timestamp::parse_quoted_expanded(json.as_bytes()),
                Some(Timestamp::parse(text).unwrap()),
                "{text}"
            );
        }
        // Anything else is left to the general reader.
        for json in [
            "\"2023-02-29 00:00:00 GMT\"",
            "\"2024-05-14 24:00:00 GMT\"",
            "\"2024-05-14T09:21:17 GMT\"",
            "\"2024-05-14 09:21:17 UTC\"",
            "\"2024-05-14 09:21:17 GMT",
            "\"2024-05-14 09:21:17 GMTX\"",
            "\"2024-05-14 09:21:17Z\"",
            "2024-05-14 09:21:17 GMT\"",
        ] {
            assert_eq!(
                Timestamp::parse_quoted_expanded(json.as_bytes()),
                None,
                "{json}"
            );
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "2014-01-12",
            "2014-13-12 08:59:28 GMT",
            "2014-02-30 08:59:28 GMT",
            "2014-01-12X08:59:28Z",
            "2014-01-12T08:59:28",
            "2014-01-12T08:59:28.Z",
            "2014-01-12T08:59:28.1234567890Z",
            "2014-01-12 08:59:28 CET",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn writes_both_formats() {
        let t = Timestamp::parse("2024-05-14T09:21:17.528002Z").unwrap();
        let mut out = Vec::new();
        t.write_compact(&mut out);
        assert_eq!(out, b"2024-05-14T09:21:17.528002Z");
        let t = Timestamp::parse("2017-06-08 09:40:42 GMT").unwrap();
        let mut out = Vec::new();
        t.write_expanded(&mut out);
        assert_eq!(out, b"2017-06-08 09:40:42 GMT");
    }

    proptest! {
        #[test]
        fn unsigned_day_count_agrees(year in 0u32..=9999, month in 1u32..=12, day in 1u32..=31) {
            prop_assert_eq!(
                days_from_civil_4digit(year, month, day),
                days_from_civil(i64::from(year), month, day)
            );
        }

        #[test]
        fn fixed_position_fields_agree(
            digits in proptest::collection::vec(b'0'..=b'9', 19),
            at in 0usize..24,
            byte in any::<u8>(),
            len in 17usize..24,
        ) {
            // A valid `YYYY-MM-DD HH:MM:SS GMT` with random digits, one byte replaced, cut.
            let mut s = b"0000-00-00 00:00:00 GMT".to_vec();
            for (i, d) in digits.iter().enumerate() {
                if s[i].is_ascii_digit() {
                    s[i] = *d;
                }
            }
            if at < s.len() {
                s[at] = byte;
            }
            s.truncate(len);
            match fields_fast(&s) {
                Some(f) => prop_assert_eq!(fields_checked(&s).unwrap(), f),
                None => prop_assert!(fields_checked(&s).is_err()),
            }
        }

        /// The word-at-a-time `stat.time` reader takes a text only when it is the quoted
        /// expanded layout, and gives what the general parser gives for it; it takes every
        /// valid time in that layout.
        #[test]
        fn quoted_expanded_agrees_with_the_parser(
            date in (0u32..=9999, 0u32..=13, 0u32..=32),
            time in (0u32..=24, 0u32..=60, 0u32..=61),
            change in proptest::option::weighted(0.5, (0usize..26, any::<u8>())),
        ) {
            let ((y, mo, d), (h, mi, s)) = (date, time);
            let text = format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} GMT");
            let mut json = format!("\"{text}\",").into_bytes();
            if let Some((at, b)) = change {
                json[at] = b;
            }
            match Timestamp::parse_quoted_expanded(&json) {
                Some(t) => {
                    prop_assert!(json[0] == b'"' && json[24] == b'"');
                    prop_assert_eq!(Timestamp::parse_bytes(&json[1..24]), Ok(t));
                    prop_assert!(json[1..24].iter().all(|b| b.is_ascii_graphic() || *b == b' '));
                    prop_assert!(json[20..24] == *b" GMT");
                }
                None => prop_assert!(
                    change.is_some() || Timestamp::parse(&text).is_err(),
                    "{} missed", text
                ),
            }
        }

        #[test]
        fn round_trips(secs in -62_167_219_200i64..=253_402_300_799, nanos in 0u32..1_000_000_000) {
            let t = Timestamp::new(secs, nanos).unwrap();
            let mut a = Vec::new();
            t.write_compact(&mut a);
            prop_assert_eq!(Timestamp::parse(std::str::from_utf8(&a).unwrap()).unwrap(), t);
            let mut b = Vec::new();
            t.write_expanded(&mut b);
            prop_assert_eq!(Timestamp::parse(std::str::from_utf8(&b).unwrap()).unwrap(), t);
        }
    }
}
