//! xtime, rctx and GPS-time helpers.
//!
//! An xtime is the station's 63-bit concentrator time:
//!
//! | bits | meaning |
//! |---|---|
//! | 63 | 0 |
//! | 62..56 | txunit (radio unit, 0..127) |
//! | 55..48 | session id, random and non-zero, new on every radio (re)start |
//! | 47..0 | µs since the concentrator started |
//!
//! Example: `41095346870695287` = `0x0092000010263577`: unit 0, session 0x92, 270,939,511 µs.
//!
//! GPS time is µs since 1980-01-06T00:00:00Z on the GPS timescale (no leap seconds), i.e.
//! UTC + 18 s since 2017. [`unix_to_gps_micros`] and [`gps_micros_to_unix`] convert using the
//! leap-second table below (complete up to its last entry, 2017-01-01; update it when the IERS
//! announces a new leap second).

/// Mask of the 48-bit microsecond counter.
pub const MICROS_MASK: i64 = 0xFFFF_FFFF_FFFF;

/// The session id (bits 55..48).
pub fn session_id(xtime: i64) -> u8 {
    ((xtime >> 48) & 0xFF) as u8 // masked to 8 bits: exact
}

/// The txunit (bits 62..56).
pub fn txunit(xtime: i64) -> u8 {
    ((xtime >> 56) & 0x7F) as u8 // masked to 7 bits: exact
}

/// The microsecond counter (bits 47..0).
pub fn micros(xtime: i64) -> i64 {
    xtime & MICROS_MASK
}

/// Builds an xtime from its parts (`txunit` is masked to 7 bits, `micros` to 48).
pub fn make(txunit: u8, session: u8, micros: i64) -> i64 {
    (i64::from(txunit & 0x7F) << 56) | (i64::from(session) << 48) | (micros & MICROS_MASK)
}

/// `xtime` shifted by `delta_us` microseconds, keeping txunit and session.
pub fn add_micros(xtime: i64, delta_us: i64) -> i64 {
    let us = micros(xtime).wrapping_add(delta_us);
    make(txunit(xtime), session_id(xtime), us)
}

/// The txunit named by an `rctx` (bits 6..0).
pub fn rctx_txunit(rctx: i64) -> u8 {
    (rctx & 0x7F) as u8 // masked to 7 bits: exact
}

/// The rctx the station derives from an xtime when a `dnmsg` carries none.
pub fn rctx_from_xtime(xtime: i64) -> i64 {
    i64::from(txunit(xtime))
}

/// Unix time of the GPS epoch, 1980-01-06T00:00:00Z.
pub const GPS_EPOCH_UNIX: i64 = 315_964_800;

/// Unix times (UTC) at which a leap second had been inserted, i.e. from which GPS − UTC grew
/// by one second. 18 entries: GPS − UTC = 18 s since 2017-01-01.
const LEAP_SECONDS_UNIX: [i64; 18] = [
    362_793_600,   // 1981-07-01
    394_329_600,   // 1982-07-01
    425_865_600,   // 1983-07-01
    489_024_000,   // 1985-07-01
    567_993_600,   // 1988-01-01
    631_152_000,   // 1990-01-01
    662_688_000,   // 1991-01-01
    709_948_800,   // 1992-07-01
    741_484_800,   // 1993-07-01
    773_020_800,   // 1994-07-01
    820_454_400,   // 1996-01-01
    867_715_200,   // 1997-07-01
    915_148_800,   // 1999-01-01
    1_136_073_600, // 2006-01-01
    1_230_768_000, // 2009-01-01
    1_341_100_800, // 2012-07-01
    1_435_708_800, // 2015-07-01
    1_483_228_800, // 2017-01-01
];

/// GPS − UTC in seconds at Unix time `unix_secs`.
pub fn leap_seconds_at(unix_secs: i64) -> i64 {
    LEAP_SECONDS_UNIX
        .iter()
        .filter(|&&t| unix_secs >= t)
        .count() as i64
}

/// Converts Unix seconds (UTC, fractional) to GPS µs.
///
/// Saturates at `i64::MIN` / `i64::MAX` µs for times beyond ±292,000 years; NaN gives the
/// value of Unix time 0. Never panics.
pub fn unix_to_gps_micros(unix_secs: f64) -> i64 {
    let whole = unix_secs.floor();
    // `as` saturates a float (NaN → 0); the arithmetic below saturates too.
    #[allow(clippy::cast_possible_truncation)]
    let whole_i = whole as i64;
    #[allow(clippy::cast_possible_truncation)] // 0 <= fraction < 1: at most 1e6
    let frac_us = ((unix_secs - whole) * 1e6).round() as i64;
    whole_i
        .saturating_sub(GPS_EPOCH_UNIX)
        .saturating_add(leap_seconds_at(whole_i))
        .saturating_mul(1_000_000)
        .saturating_add(frac_us)
}

/// Seconds (a JSON float such as `ontime`) as whole µs, rounded; `None` when NaN, infinite or
/// beyond the ±2^63 µs an `i64` holds.
pub fn secs_to_micros(secs: f64) -> Option<i64> {
    let us = (secs * 1e6).round();
    // 2^63 is exactly representable; anything in (-2^63, 2^63) converts without saturating.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    #[allow(clippy::cast_possible_truncation)] // range checked on the line before
    (us.is_finite() && us > -LIMIT && us < LIMIT).then_some(us as i64)
}

/// Converts GPS µs to Unix seconds (UTC, fractional).
pub fn gps_micros_to_unix(gps_us: i64) -> f64 {
    let gps_secs = gps_us.div_euclid(1_000_000);
    let frac = gps_us.rem_euclid(1_000_000);
    // Guess with the current offset, then correct once near a leap second.
    let mut unix = gps_secs + GPS_EPOCH_UNIX - 18;
    for _ in 0..2 {
        unix = gps_secs + GPS_EPOCH_UNIX - leap_seconds_at(unix);
    }
    #[allow(clippy::cast_precision_loss)] // seconds below 2^53
    let v = unix as f64 + frac as f64 / 1e6;
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_reference_xtime() {
        let x = 41095346870695287;
        assert_eq!(x, 0x0092000010263577);
        assert_eq!(txunit(x), 0);
        assert_eq!(session_id(x), 0x92);
        assert_eq!(micros(x), 270_939_511);
        assert_eq!(make(0, 0x92, 270_939_511), x);
        assert_eq!(add_micros(x, 1_000_000), 41095346871695287);
        assert_eq!(make(3, 0x11, 5), 0x0311_0000_0000_0005);
        assert_eq!(rctx_from_xtime(0x0311_0000_0000_0005), 3);
    }

    #[test]
    fn gps_conversion_uses_leap_seconds() {
        // GPS epoch.
        assert_eq!(unix_to_gps_micros(315_964_800.0), 0);
        // 2017-01-01 and later: 18 s.
        assert_eq!(leap_seconds_at(1_795_585_776), 18);
        // From the live capture: gpstime 1479620994059193 ≈ MuxTime 1795585776.059.
        let unix = gps_micros_to_unix(1_479_620_994_059_193);
        assert!((unix - 1_795_585_776.059_193).abs() < 1e-5, "{unix}");
        assert_eq!(
            unix_to_gps_micros(1_795_585_776.059_193),
            1_479_620_994_059_193
        );
        // Before the first leap second: offset 0; between 1999 and 2006: 13.
        assert_eq!(leap_seconds_at(362_793_599), 0);
        assert_eq!(secs_to_micros(1.5), Some(1_500_000));
        assert_eq!(secs_to_micros(-2.0), Some(-2_000_000));
        assert_eq!(secs_to_micros(1e300), None);
        assert_eq!(secs_to_micros(-1e300), None);
        assert_eq!(secs_to_micros(f64::NAN), None);
        assert_eq!(secs_to_micros(9.3e12), None);
        // Extreme inputs saturate instead of overflowing (debug builds panicked).
        assert_eq!(unix_to_gps_micros(1e300), i64::MAX);
        assert_eq!(unix_to_gps_micros(-1e300), i64::MIN);
        assert_eq!(unix_to_gps_micros(f64::INFINITY), i64::MAX);
        assert_eq!(unix_to_gps_micros(f64::NAN), -GPS_EPOCH_UNIX * 1_000_000);
        assert!(gps_micros_to_unix(i64::MAX) > 9.2e12);
        assert!(gps_micros_to_unix(i64::MIN) < -9.2e12);
        assert_eq!(leap_seconds_at(1_000_000_000), 13);
    }
}
