//! GPS time and Unix time to and from [`Timestamp`].
//!
//! GPS time counts SI seconds since the GPS epoch, 1980-01-06T00:00:00Z, without leap
//! seconds; UTC (and so [`Timestamp`] and Unix time) skips the leap seconds. The two differ by
//! the number of leap seconds inserted since the epoch: 18 s since 2017-01-01. The table,
//! [`LEAP_SECONDS`], is complete up to the time of writing; a leap second announced later needs
//! a new entry (none is planned before 2035).
//!
//! Semtech UDP `tmms` is GPS milliseconds; LoRa Basics Station `gpstime` is GPS microseconds.
//!
//! During an inserted leap second (23:59:60 UTC) Unix time repeats: that GPS second and the
//! next both convert to the Unix second of the following midnight, and that Unix second converts
//! back to the later GPS second. Everywhere else the conversions are exact inverses (to the
//! microsecond).
//!
//! ```
//! use loragw_ttnpb::time::{gps_millis_to_timestamp, timestamp_to_gps_millis};
//!
//! // GPS second 1 000 000 000 was 2011-09-14T01:46:25Z (15 leap seconds then).
//! let ts = gps_millis_to_timestamp(1_000_000_000_000)?;
//! assert_eq!(ts.seconds, 1_315_964_785);
//! assert_eq!(timestamp_to_gps_millis(&ts)?, 1_000_000_000_000);
//! # Ok::<(), loragw_ttnpb::time::TimeError>(())
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use crate::Timestamp;

/// The GPS epoch, 1980-01-06T00:00:00Z, in Unix seconds.
pub const GPS_EPOCH_UNIX_SECONDS: i64 = 315_964_800;

/// Leap seconds since the GPS epoch: `(unix_seconds, gps_minus_utc)`, meaning that from Unix
/// second `unix_seconds` (the midnight after the inserted second) on, GPS time is ahead of UTC
/// by `gps_minus_utc` seconds. Before the first entry the difference is 0.
pub const LEAP_SECONDS: [(i64, i64); 18] = [
    (362_793_600, 1),    // 1981-07-01
    (394_329_600, 2),    // 1982-07-01
    (425_865_600, 3),    // 1983-07-01
    (489_024_000, 4),    // 1985-07-01
    (567_993_600, 5),    // 1988-01-01
    (631_152_000, 6),    // 1990-01-01
    (662_688_000, 7),    // 1991-01-01
    (709_948_800, 8),    // 1992-07-01
    (741_484_800, 9),    // 1993-07-01
    (773_020_800, 10),   // 1994-07-01
    (820_454_400, 11),   // 1996-01-01
    (867_715_200, 12),   // 1997-07-01
    (915_148_800, 13),   // 1999-01-01
    (1_136_073_600, 14), // 2006-01-01
    (1_230_768_000, 15), // 2009-01-01
    (1_341_100_800, 16), // 2012-07-01
    (1_435_708_800, 17), // 2015-07-01
    (1_483_228_800, 18), // 2017-01-01
];

/// The earliest valid [`Timestamp`] second, 0001-01-01T00:00:00Z.
const MIN_TIMESTAMP_SECONDS: i64 = -62_135_596_800;
/// The latest valid [`Timestamp`] second, 9999-12-31T23:59:59Z.
const MAX_TIMESTAMP_SECONDS: i64 = 253_402_300_799;

const NANOS_PER_SECOND: i64 = 1_000_000_000;
const MICROS_PER_SECOND: u64 = 1_000_000;

/// Why a time cannot be converted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// The time is before the GPS epoch (1980-01-06T00:00:00Z), so it has no GPS time.
    #[error("time is before the GPS epoch 1980-01-06T00:00:00Z")]
    BeforeGpsEpoch,
    /// The result is outside the range the target type can hold (for a [`Timestamp`],
    /// 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z).
    #[error("time is out of range for the target type")]
    OutOfRange,
    /// The [`Timestamp`] is invalid: its `nanos` is not in `0..1_000_000_000`.
    #[error("invalid Timestamp: nanos {0} not in 0..1000000000")]
    InvalidNanos(i32),
}

/// GPS − UTC in seconds at Unix second `unix_seconds` (0 before 1981-07-01, 18 since
/// 2017-01-01).
pub fn gps_minus_utc_at_unix(unix_seconds: i64) -> i64 {
    LEAP_SECONDS
        .iter()
        .rev()
        .find(|(start, _)| unix_seconds >= *start)
        .map_or(0, |(_, offset)| *offset)
}

/// GPS − UTC in seconds at GPS second `gps_seconds` (seconds since the GPS epoch).
fn gps_minus_utc_at_gps(gps_seconds: i64) -> i64 {
    LEAP_SECONDS
        .iter()
        .rev()
        .find(|(start, offset)| gps_seconds >= start - GPS_EPOCH_UNIX_SECONDS + offset)
        .map_or(0, |(_, offset)| *offset)
}

/// A [`Timestamp`] from GPS microseconds since the GPS epoch (LoRa Basics Station `gpstime`).
pub fn gps_micros_to_timestamp(gps_micros: u64) -> Result<Timestamp, TimeError> {
    // u64 microseconds are at most ~584 542 years: the seconds fit in i64 without overflow.
    let gps_seconds =
        i64::try_from(gps_micros / MICROS_PER_SECOND).map_err(|_| TimeError::OutOfRange)?;
    let micros = (gps_micros % MICROS_PER_SECOND) as i32; // < 1_000_000: fits
    let seconds = gps_seconds + GPS_EPOCH_UNIX_SECONDS - gps_minus_utc_at_gps(gps_seconds);
    checked_timestamp(seconds, micros * 1_000)
}

/// A [`Timestamp`] from GPS milliseconds since the GPS epoch (Semtech UDP `tmms`).
pub fn gps_millis_to_timestamp(gps_millis: u64) -> Result<Timestamp, TimeError> {
    let micros = gps_millis.checked_mul(1_000).ok_or(TimeError::OutOfRange)?;
    gps_micros_to_timestamp(micros)
}

/// GPS microseconds since the GPS epoch of a [`Timestamp`]; nanoseconds are truncated.
pub fn timestamp_to_gps_micros(timestamp: &Timestamp) -> Result<u64, TimeError> {
    let nanos = valid_nanos(timestamp)?;
    if timestamp.seconds < GPS_EPOCH_UNIX_SECONDS {
        return Err(TimeError::BeforeGpsEpoch);
    }
    let gps_seconds =
        timestamp.seconds - GPS_EPOCH_UNIX_SECONDS + gps_minus_utc_at_unix(timestamp.seconds);
    // gps_seconds >= 0 here.
    let gps_seconds = u64::try_from(gps_seconds).map_err(|_| TimeError::BeforeGpsEpoch)?;
    gps_seconds
        .checked_mul(MICROS_PER_SECOND)
        .and_then(|micros| micros.checked_add(u64::from(nanos) / 1_000))
        .ok_or(TimeError::OutOfRange)
}

/// GPS milliseconds since the GPS epoch of a [`Timestamp`]; sub-millisecond time is truncated.
pub fn timestamp_to_gps_millis(timestamp: &Timestamp) -> Result<u64, TimeError> {
    timestamp_to_gps_micros(timestamp).map(|micros| micros / 1_000)
}

/// A [`Timestamp`] from nanoseconds since the Unix epoch (the MQTT v2 `time` fields). Every
/// `i64` is in range (1677 to 2262).
pub fn unix_nanos_to_timestamp(unix_nanos: i64) -> Timestamp {
    Timestamp {
        seconds: unix_nanos.div_euclid(NANOS_PER_SECOND),
        // In 0..1_000_000_000: fits.
        nanos: unix_nanos.rem_euclid(NANOS_PER_SECOND) as i32,
    }
}

/// Nanoseconds since the Unix epoch of a [`Timestamp`]; an error outside 1677 to 2262.
pub fn timestamp_to_unix_nanos(timestamp: &Timestamp) -> Result<i64, TimeError> {
    let nanos = valid_nanos(timestamp)?;
    timestamp
        .seconds
        .checked_mul(NANOS_PER_SECOND)
        .and_then(|n| n.checked_add(i64::from(nanos)))
        .ok_or(TimeError::OutOfRange)
}

/// A [`Timestamp`] from microseconds since the Unix epoch.
pub fn unix_micros_to_timestamp(unix_micros: i64) -> Result<Timestamp, TimeError> {
    let micros_per_second = MICROS_PER_SECOND as i64;
    checked_timestamp(
        unix_micros.div_euclid(micros_per_second),
        // In 0..1_000_000: fits.
        unix_micros.rem_euclid(micros_per_second) as i32 * 1_000,
    )
}

/// Microseconds since the Unix epoch of a [`Timestamp`]; nanoseconds are truncated (towards
/// the past).
pub fn timestamp_to_unix_micros(timestamp: &Timestamp) -> Result<i64, TimeError> {
    let nanos = valid_nanos(timestamp)?;
    timestamp
        .seconds
        .checked_mul(MICROS_PER_SECOND as i64)
        .and_then(|micros| micros.checked_add(i64::from(nanos / 1_000)))
        .ok_or(TimeError::OutOfRange)
}

/// A [`Timestamp`] from a [`SystemTime`] (the caller reads the clock, this crate never does).
pub fn system_time_to_timestamp(time: SystemTime) -> Result<Timestamp, TimeError> {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => {
            let seconds = i64::try_from(after.as_secs()).map_err(|_| TimeError::OutOfRange)?;
            // subsec_nanos() < 1_000_000_000: fits.
            checked_timestamp(seconds, after.subsec_nanos() as i32)
        }
        Err(before) => {
            let before = before.duration();
            let seconds = i64::try_from(before.as_secs()).map_err(|_| TimeError::OutOfRange)?;
            let nanos = before.subsec_nanos() as i32;
            if nanos == 0 {
                checked_timestamp(-seconds, 0)
            } else {
                checked_timestamp(-seconds - 1, 1_000_000_000 - nanos)
            }
        }
    }
}

/// The [`SystemTime`] of a [`Timestamp`].
pub fn timestamp_to_system_time(timestamp: &Timestamp) -> Result<SystemTime, TimeError> {
    let nanos = valid_nanos(timestamp)?;
    let whole = std::time::Duration::from_secs(timestamp.seconds.unsigned_abs());
    let at_second = if timestamp.seconds >= 0 {
        UNIX_EPOCH.checked_add(whole)
    } else {
        UNIX_EPOCH.checked_sub(whole)
    };
    at_second
        .and_then(|t| t.checked_add(std::time::Duration::from_nanos(u64::from(nanos))))
        .ok_or(TimeError::OutOfRange)
}

fn valid_nanos(timestamp: &Timestamp) -> Result<u32, TimeError> {
    u32::try_from(timestamp.nanos)
        .ok()
        .filter(|nanos| i64::from(*nanos) < NANOS_PER_SECOND)
        .ok_or(TimeError::InvalidNanos(timestamp.nanos))
}

fn checked_timestamp(seconds: i64, nanos: i32) -> Result<Timestamp, TimeError> {
    if (MIN_TIMESTAMP_SECONDS..=MAX_TIMESTAMP_SECONDS).contains(&seconds) {
        Ok(Timestamp { seconds, nanos })
    } else {
        Err(TimeError::OutOfRange)
    }
}

#[cfg(test)]
mod tests;
