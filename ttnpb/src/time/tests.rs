use super::*;
use proptest::prelude::*;

fn ts(seconds: i64, nanos: i32) -> Timestamp {
    Timestamp { seconds, nanos }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian), computed independently of the
/// table under test.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[test]
fn leap_second_table_matches_the_civil_dates() {
    // (year, month) of the midnight after each inserted leap second, from IERS Bulletin C.
    let dates = [
        (1981, 7),
        (1982, 7),
        (1983, 7),
        (1985, 7),
        (1988, 1),
        (1990, 1),
        (1991, 1),
        (1992, 7),
        (1993, 7),
        (1994, 7),
        (1996, 1),
        (1997, 7),
        (1999, 1),
        (2006, 1),
        (2009, 1),
        (2012, 7),
        (2015, 7),
        (2017, 1),
    ];
    for (i, ((start, offset), (year, month))) in LEAP_SECONDS.iter().zip(dates).enumerate() {
        assert_eq!(
            *start,
            days_from_civil(year, month, 1) * 86_400,
            "entry {i}"
        );
        assert_eq!(*offset, i as i64 + 1, "entry {i}");
    }
    assert_eq!(GPS_EPOCH_UNIX_SECONDS, days_from_civil(1980, 1, 6) * 86_400);
}

#[test]
fn gps_epoch() {
    assert_eq!(gps_micros_to_timestamp(0), Ok(ts(315_964_800, 0)));
    assert_eq!(gps_millis_to_timestamp(0), Ok(ts(315_964_800, 0)));
    assert_eq!(timestamp_to_gps_micros(&ts(315_964_800, 0)), Ok(0));
    assert_eq!(
        timestamp_to_gps_micros(&ts(315_964_799, 999_999_999)),
        Err(TimeError::BeforeGpsEpoch)
    );
}

#[test]
fn gps_billennium() {
    // GPS second 1e9: 2011-09-14T01:46:25Z, GPS - UTC = 15 s.
    assert_eq!(
        gps_micros_to_timestamp(1_000_000_000_000_000),
        Ok(ts(1_315_964_785, 0))
    );
    assert_eq!(
        gps_millis_to_timestamp(1_000_000_000_123),
        Ok(ts(1_315_964_785, 123_000_000))
    );
    assert_eq!(
        timestamp_to_gps_millis(&ts(1_315_964_785, 123_999_999)),
        Ok(1_000_000_000_123)
    );
    assert_eq!(
        timestamp_to_gps_micros(&ts(1_315_964_785, 123_999_999)),
        Ok(1_000_000_000_123_999)
    );
}

#[test]
fn leap_second_2017_boundary() {
    // 2016-12-31T23:59:59Z (unix 1483228799): GPS - UTC = 17 s.
    // GPS = 1483228799 - 315964800 + 17 = 1167264016.
    assert_eq!(gps_minus_utc_at_unix(1_483_228_799), 17);
    assert_eq!(
        timestamp_to_gps_micros(&ts(1_483_228_799, 0)),
        Ok(1_167_264_016_000_000)
    );
    assert_eq!(
        gps_micros_to_timestamp(1_167_264_016_000_000),
        Ok(ts(1_483_228_799, 0))
    );
    // GPS 1167264017 is the leap second 23:59:60; Unix time repeats the next midnight.
    assert_eq!(
        gps_micros_to_timestamp(1_167_264_017_500_000),
        Ok(ts(1_483_228_800, 500_000_000))
    );
    // 2017-01-01T00:00:00Z (unix 1483228800): GPS - UTC = 18 s, GPS 1167264018.
    assert_eq!(gps_minus_utc_at_unix(1_483_228_800), 18);
    assert_eq!(
        timestamp_to_gps_micros(&ts(1_483_228_800, 0)),
        Ok(1_167_264_018_000_000)
    );
    assert_eq!(
        gps_micros_to_timestamp(1_167_264_018_000_000),
        Ok(ts(1_483_228_800, 0))
    );
}

#[test]
fn first_leap_second_1981() {
    // 1981-06-30T23:59:59Z (unix 362793599) has no leap second yet: GPS = 362793599 - 315964800.
    assert_eq!(
        timestamp_to_gps_millis(&ts(362_793_599, 0)),
        Ok(46_828_799_000)
    );
    // 1981-07-01T00:00:00Z: one leap second, GPS = 46828800 + 1.
    assert_eq!(
        timestamp_to_gps_millis(&ts(362_793_600, 0)),
        Ok(46_828_801_000)
    );
    assert_eq!(
        gps_millis_to_timestamp(46_828_801_000),
        Ok(ts(362_793_600, 0))
    );
    assert_eq!(
        gps_millis_to_timestamp(46_828_799_000),
        Ok(ts(362_793_599, 0))
    );
}

#[test]
fn gps_out_of_range() {
    assert_eq!(
        gps_millis_to_timestamp(u64::MAX),
        Err(TimeError::OutOfRange)
    );
    assert_eq!(
        gps_micros_to_timestamp(u64::MAX),
        Err(TimeError::OutOfRange)
    );
    assert_eq!(
        timestamp_to_gps_micros(&ts(1_500_000_000, -1)),
        Err(TimeError::InvalidNanos(-1))
    );
    assert_eq!(
        timestamp_to_gps_micros(&ts(1_500_000_000, 1_000_000_000)),
        Err(TimeError::InvalidNanos(1_000_000_000))
    );
}

#[test]
fn unix_nanos_and_micros() {
    assert_eq!(
        unix_nanos_to_timestamp(1_499_176_277_997_099_000),
        ts(1_499_176_277, 997_099_000)
    );
    assert_eq!(unix_nanos_to_timestamp(-1), ts(-1, 999_999_999));
    assert_eq!(timestamp_to_unix_nanos(&ts(-1, 999_999_999)), Ok(-1));
    assert_eq!(
        timestamp_to_unix_nanos(&ts(i64::MAX / 1_000_000_000 + 1, 0)),
        Err(TimeError::OutOfRange)
    );
    assert_eq!(unix_micros_to_timestamp(-1), Ok(ts(-1, 999_999_000)));
    assert_eq!(
        unix_micros_to_timestamp(i64::MAX),
        Err(TimeError::OutOfRange)
    );
    assert_eq!(timestamp_to_unix_micros(&ts(1, 999_999)), Ok(1_000_999));
}

#[test]
fn system_time() {
    use std::time::Duration;
    let after = UNIX_EPOCH + Duration::new(1_499_176_277, 997_099_000);
    assert_eq!(
        system_time_to_timestamp(after),
        Ok(ts(1_499_176_277, 997_099_000))
    );
    assert_eq!(
        timestamp_to_system_time(&ts(1_499_176_277, 997_099_000)),
        Ok(after)
    );
    let before = UNIX_EPOCH - Duration::new(1, 250_000_000);
    assert_eq!(system_time_to_timestamp(before), Ok(ts(-2, 750_000_000)));
    assert_eq!(timestamp_to_system_time(&ts(-2, 750_000_000)), Ok(before));
    assert_eq!(
        timestamp_to_system_time(&ts(0, -5)),
        Err(TimeError::InvalidNanos(-5))
    );
}

proptest! {
    #[test]
    fn gps_micros_round_trip(gps_micros in 0u64..8_000_000_000_000_000) {
        let timestamp = gps_micros_to_timestamp(gps_micros).unwrap();
        let back = timestamp_to_gps_micros(&timestamp).unwrap();
        let gps_seconds = (gps_micros / 1_000_000) as i64;
        let in_leap_second = LEAP_SECONDS
            .iter()
            .any(|(start, offset)| gps_seconds == start - GPS_EPOCH_UNIX_SECONDS + offset - 1);
        if in_leap_second {
            prop_assert_eq!(back, gps_micros + 1_000_000);
        } else {
            prop_assert_eq!(back, gps_micros);
        }
    }

    #[test]
    fn unix_nanos_round_trip(nanos in any::<i64>()) {
        prop_assert_eq!(timestamp_to_unix_nanos(&unix_nanos_to_timestamp(nanos)), Ok(nanos));
    }
}
