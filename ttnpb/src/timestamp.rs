//! `google.protobuf.Timestamp`, with RFC 3339 text in the form The Things Stack prints.
//!
//! This crate has its own `Timestamp` (same fields, same wire format as the well-known type)
//! rather than `pbjson_types::Timestamp`, because the latter prints `+00:00` where the proto3
//! JSON mapping and The Things Stack print `Z`.

use std::fmt;
use std::str::FromStr;

/// A point in time: `google.protobuf.Timestamp`, seconds and nanoseconds since the Unix epoch
/// (UTC, leap seconds smeared as in Unix time).
///
/// The wire format is the well-known type's (`int64 seconds = 1; int32 nanos = 2;`). A valid
/// timestamp has `nanos` in `0..1_000_000_000` and lies between 0001-01-01T00:00:00Z and
/// 9999-12-31T23:59:59.999999999Z; decoding does not check this, formatting does.
///
/// [`Display`](fmt::Display) prints RFC 3339 in UTC with `Z` and 0, 3, 6 or 9 fractional
/// digits, as the proto3 JSON mapping and The Things Stack do (`2017-07-04T13:51:17.997099Z`);
/// [`FromStr`] parses RFC 3339 with any offset and up to 9 fractional digits. With the `serde`
/// feature, these are its JSON form.
///
/// ```
/// use loragw_ttnpb::Timestamp;
/// let ts: Timestamp = "2017-07-04T15:51:17.997099+02:00".parse()?;
/// assert_eq!(ts, Timestamp { seconds: 1_499_176_277, nanos: 997_099_000 });
/// assert_eq!(ts.to_string(), "2017-07-04T13:51:17.997099Z");
/// # Ok::<(), loragw_ttnpb::ParseTimestampError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Message)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds within the second, `0..1_000_000_000` (also for times before 1970).
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// Why text is not an RFC 3339 timestamp, or a [`Timestamp`] cannot be printed as one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseTimestampError {
    /// The text does not have the shape `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`.
    #[error("RFC 3339 timestamp: unexpected text at byte {0}")]
    Syntax(usize),
    /// A date or time field is out of range (month 13, February 30, hour 24, second 60...).
    #[error("RFC 3339 timestamp: {0} out of range")]
    FieldRange(&'static str),
    /// The time is outside 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z, or `nanos`
    /// is not in `0..1_000_000_000`.
    #[error("timestamp out of the range 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z")]
    OutOfRange,
}

const SECONDS_PER_DAY: i64 = 86_400;
const MIN_SECONDS: i64 = -62_135_596_800; // 0001-01-01T00:00:00Z
const MAX_SECONDS: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z

impl Timestamp {
    /// Whether the timestamp is in the valid range with `nanos` in `0..1_000_000_000`.
    pub fn is_valid(&self) -> bool {
        (MIN_SECONDS..=MAX_SECONDS).contains(&self.seconds)
            && (0..1_000_000_000).contains(&self.nanos)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (eras of 400 years, March-based years).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400; // 0..=399
    let month_from_march = i64::from((month + 9) % 12); // March = 0
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date `(year, month, day)` of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097; // 0..=146096
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32; // 1..=31
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with `Z`. An invalid timestamp prints its raw fields instead
    /// (`Timestamp(seconds, nanos)`), so `Display` never fails; serde rejects it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.is_valid() {
            return write!(f, "Timestamp({}, {})", self.seconds, self.nanos);
        }
        let days = self.seconds.div_euclid(SECONDS_PER_DAY);
        let second_of_day = self.seconds.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            second_of_day / 3600,
            second_of_day / 60 % 60,
            second_of_day % 60
        )?;
        let nanos = self.nanos;
        if nanos == 0 {
        } else if nanos % 1_000_000 == 0 {
            write!(f, ".{:03}", nanos / 1_000_000)?;
        } else if nanos % 1_000 == 0 {
            write!(f, ".{:06}", nanos / 1_000)?;
        } else {
            write!(f, ".{nanos:09}")?;
        }
        f.write_str("Z")
    }
}

/// A cursor over the ASCII bytes of an RFC 3339 string.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, count: usize) -> Result<u32, ParseTimestampError> {
        let mut value = 0u32;
        for _ in 0..count {
            match self.bytes.get(self.at) {
                Some(c @ b'0'..=b'9') => value = value * 10 + u32::from(c - b'0'),
                _ => return Err(ParseTimestampError::Syntax(self.at)),
            }
            self.at += 1;
        }
        Ok(value)
    }

    fn expect(&mut self, accepted: &[u8]) -> Result<u8, ParseTimestampError> {
        match self.bytes.get(self.at) {
            Some(c) if accepted.contains(c) => {
                self.at += 1;
                Ok(*c)
            }
            _ => Err(ParseTimestampError::Syntax(self.at)),
        }
    }
}

fn in_range(value: u32, max: u32, field: &'static str) -> Result<u32, ParseTimestampError> {
    if value <= max {
        Ok(value)
    } else {
        Err(ParseTimestampError::FieldRange(field))
    }
}

impl FromStr for Timestamp {
    type Err = ParseTimestampError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut c = Cursor {
            bytes: text.as_bytes(),
            at: 0,
        };
        let year = i64::from(c.digits(4)?);
        c.expect(b"-")?;
        let month = c.digits(2)?;
        if !(1..=12).contains(&month) {
            return Err(ParseTimestampError::FieldRange("month"));
        }
        c.expect(b"-")?;
        let day = c.digits(2)?;
        if day == 0 || day > days_in_month(year, month) {
            return Err(ParseTimestampError::FieldRange("day"));
        }
        c.expect(b"Tt ")?;
        let hour = in_range(c.digits(2)?, 23, "hour")?;
        c.expect(b":")?;
        let minute = in_range(c.digits(2)?, 59, "minute")?;
        c.expect(b":")?;
        let second = in_range(c.digits(2)?, 59, "second")?;
        let mut nanos = 0u32;
        if c.bytes.get(c.at) == Some(&b'.') {
            c.at += 1;
            let start = c.at;
            while c.at - start < 9 && c.bytes.get(c.at).is_some_and(u8::is_ascii_digit) {
                nanos = nanos * 10 + u32::from(c.bytes[c.at] - b'0');
                c.at += 1;
            }
            let len = c.at - start;
            if len == 0 {
                return Err(ParseTimestampError::Syntax(c.at));
            }
            nanos *= 10u32.pow(9 - len as u32); // len is 1..=9
        }
        let offset_seconds = match c.expect(b"Zz+-")? {
            b'+' | b'-' => {
                let sign = if c.bytes[c.at - 1] == b'-' { -1 } else { 1 };
                let hours = in_range(c.digits(2)?, 23, "offset hours")?;
                c.expect(b":")?;
                let minutes = in_range(c.digits(2)?, 59, "offset minutes")?;
                sign * i64::from(hours * 3600 + minutes * 60)
            }
            _ => 0,
        };
        if c.at != c.bytes.len() {
            return Err(ParseTimestampError::Syntax(c.at));
        }
        let seconds = days_from_civil(year, month, day) * SECONDS_PER_DAY
            + i64::from(hour * 3600 + minute * 60 + second)
            - offset_seconds;
        // nanos < 1e9: fits in i32.
        let timestamp = Self {
            seconds,
            nanos: nanos as i32,
        };
        if timestamp.is_valid() {
            Ok(timestamp)
        } else {
            Err(ParseTimestampError::OutOfRange)
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !self.is_valid() {
            return Err(serde::ser::Error::custom(ParseTimestampError::OutOfRange));
        }
        serializer.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(seconds: i64, nanos: i32) -> Timestamp {
        Timestamp { seconds, nanos }
    }

    #[test]
    fn formats_like_the_things_stack() {
        assert_eq!(ts(0, 0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(
            ts(1_499_176_277, 997_099_000).to_string(),
            "2017-07-04T13:51:17.997099Z"
        );
        assert_eq!(ts(1_496_914_842, 0).to_string(), "2017-06-08T09:40:42Z");
        assert_eq!(
            ts(1_496_914_842, 500_000_000).to_string(),
            "2017-06-08T09:40:42.500Z"
        );
        assert_eq!(
            ts(1_496_914_842, 1).to_string(),
            "2017-06-08T09:40:42.000000001Z"
        );
        assert_eq!(ts(951_782_400, 0).to_string(), "2000-02-29T00:00:00Z");
        assert_eq!(
            ts(-1, 999_999_999).to_string(),
            "1969-12-31T23:59:59.999999999Z"
        );
        assert_eq!(ts(MIN_SECONDS, 0).to_string(), "0001-01-01T00:00:00Z");
        assert_eq!(ts(MAX_SECONDS, 0).to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(
            ts(MAX_SECONDS + 1, 0).to_string(),
            "Timestamp(253402300800, 0)"
        );
        assert_eq!(ts(0, -1).to_string(), "Timestamp(0, -1)");
    }

    #[test]
    fn parses_rfc3339() {
        assert_eq!(
            "2017-07-04T13:51:17.997099Z".parse(),
            Ok(ts(1_499_176_277, 997_099_000))
        );
        assert_eq!(
            "2017-07-04t13:51:17.9z".parse(),
            Ok(ts(1_499_176_277, 900_000_000))
        );
        assert_eq!("2017-07-04 13:51:17Z".parse(), Ok(ts(1_499_176_277, 0)));
        assert_eq!(
            "2017-07-04T15:51:17+02:00".parse(),
            Ok(ts(1_499_176_277, 0))
        );
        assert_eq!(
            "2017-07-04T10:21:17.000000001-03:30".parse(),
            Ok(ts(1_499_176_277, 1))
        );
        assert_eq!("1969-12-31T23:59:59.5Z".parse(), Ok(ts(-1, 500_000_000)));
        assert_eq!("2000-02-29T00:00:00Z".parse(), Ok(ts(951_782_400, 0)));
    }

    #[test]
    fn rejects_malformed_rfc3339() {
        let syntax = |at| Err(ParseTimestampError::Syntax(at));
        assert_eq!("".parse::<Timestamp>(), syntax(0));
        assert_eq!("2017-07-04".parse::<Timestamp>(), syntax(10));
        assert_eq!("2017-07-04T13:51:17".parse::<Timestamp>(), syntax(19));
        assert_eq!("2017-07-04T13:51:17.Z".parse::<Timestamp>(), syntax(20));
        assert_eq!(
            "2017-07-04T13:51:17.1234567891Z".parse::<Timestamp>(),
            syntax(29)
        );
        assert_eq!("2017-07-04T13:51:17Zjunk".parse::<Timestamp>(), syntax(20));
        assert_eq!("2017-07-04T13:51:17+0200".parse::<Timestamp>(), syntax(22));
        assert_eq!("2017-7-04T13:51:17Z".parse::<Timestamp>(), syntax(6));
        assert_eq!("2017-07-04T13:51:1é".parse::<Timestamp>(), syntax(18));
        let range = |field| Err(ParseTimestampError::FieldRange(field));
        assert_eq!("2017-13-04T13:51:17Z".parse::<Timestamp>(), range("month"));
        assert_eq!("2017-02-29T13:51:17Z".parse::<Timestamp>(), range("day"));
        assert_eq!("1900-02-29T13:51:17Z".parse::<Timestamp>(), range("day"));
        assert_eq!("2017-07-04T24:00:00Z".parse::<Timestamp>(), range("hour"));
        assert_eq!("2016-12-31T23:59:60Z".parse::<Timestamp>(), range("second"));
        assert_eq!(
            "2017-07-04T13:51:17+24:00".parse::<Timestamp>(),
            range("offset hours")
        );
        assert_eq!(
            "0001-01-01T00:00:00+00:01".parse::<Timestamp>(),
            Err(ParseTimestampError::OutOfRange)
        );
        assert_eq!(
            "9999-12-31T23:59:59-00:01".parse::<Timestamp>(),
            Err(ParseTimestampError::OutOfRange)
        );
    }

    proptest! {
        #[test]
        fn text_round_trip(seconds in MIN_SECONDS..=MAX_SECONDS, nanos in 0i32..1_000_000_000) {
            let timestamp = ts(seconds, nanos);
            prop_assert_eq!(timestamp.to_string().parse::<Timestamp>(), Ok(timestamp));
        }

        #[test]
        fn civil_round_trip(days in -719_162i64..2_932_897) {
            let (year, month, day) = civil_from_days(days);
            prop_assert!((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month));
            prop_assert_eq!(days_from_civil(year, month, day), days);
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,40}") {
            let _ = text.parse::<Timestamp>();
        }
    }
}
