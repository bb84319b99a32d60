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

/// Days since 1970-01-01 of a proleptic Gregorian date (the well-known civil-date algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
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

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
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

    /// [`Timestamp::parse`] on bytes.
    pub fn parse_bytes(s: &[u8]) -> Result<Self, TimeError> {
        if s.len() < 19 {
            return Err(TimeError("time too short (expected YYYY-MM-DDTHH:MM:SS…)"));
        }
        if s[4] != b'-' || s[7] != b'-' || s[13] != b':' || s[16] != b':' {
            return Err(TimeError("time not in YYYY-MM-DDTHH:MM:SS form"));
        }
        let year = i64::from(digits(&s[0..4], "bad year")?);
        let month = digits(&s[5..7], "bad month")?;
        let day = digits(&s[8..10], "bad day")?;
        let hour = digits(&s[11..13], "bad hour")?;
        let minute = digits(&s[14..16], "bad minute")?;
        let second = digits(&s[17..19], "bad second")?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
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
        let days = days_from_civil(year, month, day);
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
