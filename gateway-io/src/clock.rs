//! Concentrator clocks shared by every protocol: the 32-bit microsecond counter of Semtech UDP
//! and MQTT (`tmst` / `timestamp`), Basics Station's 64-bit `xtime`, and GPS time.
//!
//! [`ConcentratorClock`] extends the 32-bit counter, which wraps every 2^32 µs (about 71.6
//! minutes), to a 64-bit concentrator time using the server's monotonic clock, maps concentrator
//! time to server [`Instant`]s for scheduling, and, once the gateway reports GPS time with an
//! uplink, to GPS time. Time is always passed in (`now`); nothing here reads a clock.

use std::time::{Duration, Instant};

use loragw_ttnpb::time::timestamp_to_gps_micros;
use loragw_ttnpb::{Timestamp, UplinkMessage};

/// 2^32 µs: the period of the 32-bit concentrator counter.
pub const TIMESTAMP_PERIOD_US: i64 = 1 << 32;

/// A timestamp further than this from where the server clock expects it (in either direction)
/// means the concentrator restarted; the clock then re-anchors on it. Equal to The Things
/// Stack's rollover threshold (`0x3938700` µs = 60 s). Smaller backward steps are late,
/// reordered packets and never move the anchor back.
pub const RESET_THRESHOLD_US: i64 = 60_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Anchor {
    server: Instant,
    concentrator_us: i64,
}

/// How far (in µs, either direction) from the latest sync point an absolute time may lie to be
/// turned into a 32-bit `timestamp`: less than half the counter's period, so the timestamp
/// names exactly one instant near the sync point (2^31 µs ≈ 35.8 minutes).
pub const MAX_TIMESTAMP_DISTANCE_US: i64 = (1 << 31) - 1;

/// Why an absolute time has no concentrator `timestamp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClockError {
    /// No uplink has synced the clock yet.
    #[error("the concentrator clock has not been synced by an uplink yet")]
    NotSynced,
    /// The clock knows the concentrator counter but not the gateway's absolute (GPS) time.
    #[error("the gateway has reported no absolute time to relate the concentrator clock to")]
    NoAbsoluteTime,
    /// The time is before the GPS epoch or beyond what µs in an `i64` hold.
    #[error("the time is out of range (before 1980-01-06 or too far in the future)")]
    OutOfRange,
    /// The time is further from the latest sync point than [`MAX_TIMESTAMP_DISTANCE_US`]:
    /// a 32-bit timestamp would name a different instant (the counter wraps every 71.6 min).
    #[error(
        "the time is {distance_us} µs from the latest sync point; a 32-bit timestamp reaches \
         only ±{MAX_TIMESTAMP_DISTANCE_US} µs"
    )]
    OutsideCounterWindow {
        /// Concentrator time of the requested instant minus that of the latest sync point.
        distance_us: i64,
    },
}

/// The value `≡ timestamp (mod 2^32)` nearest to `reference`.
fn nearest(timestamp: u32, reference: i64) -> i64 {
    let low = i64::from(timestamp);
    let base = reference - reference.rem_euclid(TIMESTAMP_PERIOD_US);
    // Saturating: a reference within 2^32 of the i64 limits (never a real counter) must not
    // overflow; the candidates there are merely clamped.
    let candidates = [
        base.saturating_sub(TIMESTAMP_PERIOD_US).saturating_add(low),
        base.saturating_add(low),
        base.saturating_add(TIMESTAMP_PERIOD_US).saturating_add(low),
    ];
    let distance = |c: i64| c.abs_diff(reference);
    let mut best = candidates[1];
    for c in candidates {
        if distance(c) < distance(best) {
            best = c;
        }
    }
    best
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// Extends the 32-bit concentrator counter and relates it to server and GPS time.
///
/// ```
/// use std::time::{Duration, Instant};
/// use loragw_gateway_io::clock::ConcentratorClock;
///
/// let t0 = Instant::now();
/// let mut clock = ConcentratorClock::new();
/// assert_eq!(clock.sync(0xFFFF_FF00, t0), 0xFFFF_FF00);
/// // 1 ms later the counter has wrapped: the extended time keeps counting.
/// assert_eq!(clock.sync(0x2E8, t0 + Duration::from_millis(1)), (1 << 32) + 0x2E8);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConcentratorClock {
    anchor: Option<Anchor>,
    /// GPS time (µs since the GPS epoch) minus concentrator time, from the latest GPS sync.
    gps_offset_us: Option<i64>,
    resets: u32,
}

impl ConcentratorClock {
    /// A clock that has seen no timestamp yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a timestamp has been seen.
    pub fn is_synced(&self) -> bool {
        self.anchor.is_some()
    }

    /// How often the concentrator was found to have restarted.
    pub fn resets(&self) -> u32 {
        self.resets
    }

    /// Records that the concentrator counter read `timestamp` at server time `now` (an uplink's
    /// `tmst`) and returns the 64-bit concentrator time of that reading.
    pub fn sync(&mut self, timestamp: u32, now: Instant) -> i64 {
        let Some(anchor) = self.anchor else {
            let concentrator_us = i64::from(timestamp);
            self.anchor = Some(Anchor {
                server: now,
                concentrator_us,
            });
            return concentrator_us;
        };
        let expected = match now.checked_duration_since(anchor.server) {
            Some(d) => anchor.concentrator_us.saturating_add(micros(d)),
            None => anchor
                .concentrator_us
                .saturating_sub(micros(anchor.server - now)),
        };
        let value = nearest(timestamp, expected);
        if value.abs_diff(expected) > RESET_THRESHOLD_US.unsigned_abs() {
            // The counter restarted: the old relation to server and GPS time is void.
            self.resets = self.resets.saturating_add(1);
            self.gps_offset_us = None;
            self.anchor = Some(Anchor {
                server: now,
                concentrator_us: value,
            });
        } else if value >= anchor.concentrator_us && now >= anchor.server {
            self.anchor = Some(Anchor {
                server: now,
                concentrator_us: value,
            });
        }
        value
    }

    /// Like [`sync`](Self::sync), and also records that the gateway's GPS receiver read
    /// `gps_time_us` (µs since 1980-01-06) at that moment. A GPS time so far from the
    /// concentrator time that their difference overflows is not recorded (and forgets the
    /// previous GPS relation).
    pub fn sync_gps(&mut self, timestamp: u32, now: Instant, gps_time_us: i64) -> i64 {
        let concentrator_us = self.sync(timestamp, now);
        self.gps_offset_us = gps_time_us.checked_sub(concentrator_us);
        concentrator_us
    }

    /// The 64-bit concentrator time of a 32-bit `timestamp` near the latest sync point.
    pub fn extend(&self, timestamp: u32) -> Option<i64> {
        self.anchor.map(|a| nearest(timestamp, a.concentrator_us))
    }

    /// The concentrator time at server time `now`.
    pub fn concentrator_time_at(&self, now: Instant) -> Option<i64> {
        let a = self.anchor?;
        Some(match now.checked_duration_since(a.server) {
            Some(d) => a.concentrator_us.saturating_add(micros(d)),
            None => a.concentrator_us.saturating_sub(micros(a.server - now)),
        })
    }

    /// The 32-bit counter value at server time `now` (what a `tmst` sent now would name).
    pub fn timestamp_at(&self, now: Instant) -> Option<u32> {
        self.concentrator_time_at(now).map(low_32_bits)
    }

    /// The server time at which the concentrator reaches 64-bit time `concentrator_us`.
    pub fn server_time_of(&self, concentrator_us: i64) -> Option<Instant> {
        let a = self.anchor?;
        let delta = concentrator_us.checked_sub(a.concentrator_us)?;
        let d = Duration::from_micros(delta.unsigned_abs());
        if delta >= 0 {
            a.server.checked_add(d)
        } else {
            a.server.checked_sub(d)
        }
    }

    /// The server time of the 32-bit `timestamp` nearest the latest sync point.
    pub fn server_time_of_timestamp(&self, timestamp: u32) -> Option<Instant> {
        self.server_time_of(self.extend(timestamp)?)
    }

    /// GPS time (µs since the GPS epoch) of a concentrator time, once GPS-synced; `None` also
    /// when the sum overflows.
    pub fn gps_time_of(&self, concentrator_us: i64) -> Option<i64> {
        concentrator_us.checked_add(self.gps_offset_us?)
    }

    /// The concentrator time at GPS time `gps_time_us`, once GPS-synced (class B and
    /// absolute-time downlinks to gateways that take a timestamp only); `None` also when the
    /// difference overflows.
    pub fn concentrator_time_of_gps(&self, gps_time_us: i64) -> Option<i64> {
        gps_time_us.checked_sub(self.gps_offset_us?)
    }

    /// Syncs on an uplink received at `now`: its first metadata entry's `timestamp`, and its
    /// `gps_time` when present. With `trust_gateway_time`, a `time` without `gps_time` is taken
    /// as the gateway's absolute time too (MQTT v2 gateways report only `time`, from GPS when
    /// they have a fix); its accuracy is then that of the gateway's clock. Returns the 64-bit
    /// concentrator time of the uplink.
    pub fn sync_uplink(
        &mut self,
        message: &UplinkMessage,
        now: Instant,
        trust_gateway_time: bool,
    ) -> Option<i64> {
        let md = message.rx_metadata.first();
        let timestamp = md.map_or(0, |m| m.timestamp);
        let timestamp = if timestamp == 0 {
            message.settings.as_ref().map_or(0, |s| s.timestamp)
        } else {
            timestamp
        };
        if timestamp == 0 {
            return None;
        }
        let absolute = md.and_then(|m| {
            m.gps_time.as_ref().or(if trust_gateway_time {
                m.time.as_ref()
            } else {
                None
            })
        });
        match absolute
            .and_then(|t| timestamp_to_gps_micros(t).ok())
            .and_then(|us| i64::try_from(us).ok())
        {
            Some(gps_us) => Some(self.sync_gps(timestamp, now, gps_us)),
            None => Some(self.sync(timestamp, now)),
        }
    }

    /// The 32-bit `timestamp` at which the concentrator reaches UTC `time`, once the clock knows
    /// the gateway's absolute time (see [`sync_uplink`](Self::sync_uplink)); `None` in every
    /// case [`try_timestamp_for`](Self::try_timestamp_for) explains.
    pub fn timestamp_for(&self, time: &Timestamp) -> Option<u32> {
        self.try_timestamp_for(time).ok()
    }

    /// The 32-bit `timestamp` at which the concentrator reaches UTC `time`, or why there is
    /// none. Times further than [`MAX_TIMESTAMP_DISTANCE_US`] from the latest sync point are
    /// refused rather than wrapped: the 32-bit counter would name another instant.
    pub fn try_timestamp_for(&self, time: &Timestamp) -> Result<u32, ClockError> {
        let anchor = self.anchor.ok_or(ClockError::NotSynced)?;
        let offset = self.gps_offset_us.ok_or(ClockError::NoAbsoluteTime)?;
        let gps_us = timestamp_to_gps_micros(time)
            .ok()
            .and_then(|us| i64::try_from(us).ok())
            .ok_or(ClockError::OutOfRange)?;
        let concentrator_us = gps_us.checked_sub(offset).ok_or(ClockError::OutOfRange)?;
        let distance_us = concentrator_us.saturating_sub(anchor.concentrator_us);
        if distance_us.unsigned_abs() > MAX_TIMESTAMP_DISTANCE_US.unsigned_abs() {
            return Err(ClockError::OutsideCounterWindow { distance_us });
        }
        Ok(low_32_bits(concentrator_us))
    }
}

/// The 32-bit counter reading of a 64-bit concentrator time: its value modulo 2^32, which is
/// what the wire's `tmst` / `timestamp` means (the counter wraps).
fn low_32_bits(concentrator_us: i64) -> u32 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // modulo 2^32 wanted
    let low = concentrator_us as u32;
    low
}

/// Basics Station's 64-bit concentrator time.
///
/// | bits | meaning |
/// |---|---|
/// | 63 | 0 |
/// | 62..56 | transmit unit (antenna / radio unit) |
/// | 55..48 | session id, new on every radio restart, never 0 |
/// | 47..0 | µs since the concentrator started |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct XTime(pub i64);

impl XTime {
    /// Mask of the 48-bit microsecond counter.
    pub const COUNTER_MASK: i64 = 0xFFFF_FFFF_FFFF;

    /// An xtime from its parts; `txunit` is cut to 7 bits.
    pub fn from_parts(txunit: u8, session: u8, concentrator_us: i64) -> Self {
        XTime(
            (i64::from(txunit & 0x7F) << 56)
                | (i64::from(session) << 48)
                | (concentrator_us & Self::COUNTER_MASK),
        )
    }

    /// Whether the station could have sent it: non-zero, bit 63 clear, session non-zero.
    pub fn is_valid(self) -> bool {
        self.0 > 0 && self.session() != 0
    }

    /// The transmit unit (bits 62..56).
    pub fn txunit(self) -> u8 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // masked to 7 bits
        let unit = ((self.0 >> 56) & 0x7F) as u8;
        unit
    }

    /// The session id (bits 55..48).
    pub fn session(self) -> u8 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // masked to 8 bits
        let session = ((self.0 >> 48) & 0xFF) as u8;
        session
    }

    /// The session-and-unit part (bits 62..48) The Things Stack calls the session id.
    pub fn session_id(self) -> i32 {
        #[allow(clippy::cast_possible_truncation)] // an i64 shifted right by 48 fits 16 bits
        let id = (self.0 >> 48) as i32;
        id
    }

    /// Microseconds since the concentrator started (bits 47..0).
    pub fn concentrator_time(self) -> i64 {
        self.0 & Self::COUNTER_MASK
    }

    /// The low 32 bits: the Semtech UDP `tmst` / ttnpb `timestamp` of the same instant.
    pub fn timestamp(self) -> u32 {
        low_32_bits(self.0)
    }

    /// The xtime of concentrator time `concentrator_us` in the same unit and session.
    pub fn with_concentrator_time(self, concentrator_us: i64) -> Self {
        XTime((self.0 & !Self::COUNTER_MASK) | (concentrator_us & Self::COUNTER_MASK))
    }

    /// The xtime in the same session of the 32-bit `timestamp` nearest to this one (a ttnpb
    /// downlink `timestamp` scheduled after an uplink at `self`).
    pub fn with_timestamp(self, timestamp: u32) -> Self {
        self.with_concentrator_time(nearest(timestamp, self.concentrator_time()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn rollover_is_counted_from_server_time() {
        let t0 = Instant::now();
        let mut clock = ConcentratorClock::new();
        assert_eq!(clock.sync(4_294_000_000, t0), 4_294_000_000);
        // 2 s later the counter wrapped once.
        let v = clock.sync(1_032_704, t0 + ms(2000));
        assert_eq!(v, TIMESTAMP_PERIOD_US + 1_032_704);
        assert_eq!(clock.timestamp_at(t0 + ms(2000)), Some(1_032_704));
        // Three hours of silence: two whole periods elapsed, counted from server time.
        let later = t0 + Duration::from_secs(3 * 3600);
        let expected = 4_294_000_000 + 3 * 3600 * 1_000_000;
        let v = clock.sync(expected as u32, later);
        assert_eq!(v, expected);
        assert_eq!(clock.resets(), 0);
    }

    #[test]
    fn reordered_packets_do_not_move_the_anchor_back() {
        let t0 = Instant::now();
        let mut clock = ConcentratorClock::new();
        clock.sync(10_000_000, t0);
        clock.sync(11_000_000, t0 + ms(1000));
        // A packet received late carries an older timestamp (100 ms jitter).
        assert_eq!(clock.sync(10_900_000, t0 + ms(1001)), 10_900_000);
        assert_eq!(clock.concentrator_time_at(t0 + ms(1000)), Some(11_000_000));
        assert_eq!(
            clock.server_time_of_timestamp(12_000_000),
            Some(t0 + ms(2000))
        );
        assert_eq!(clock.server_time_of(10_000_000), Some(t0));
    }

    #[test]
    fn a_restarted_concentrator_re_anchors_and_forgets_gps() {
        let t0 = Instant::now();
        let mut clock = ConcentratorClock::new();
        clock.sync_gps(500_000_000, t0, 1_000_000_000_000);
        assert_eq!(clock.gps_time_of(500_001_000), Some(1_000_000_001_000));
        assert_eq!(
            clock.concentrator_time_of_gps(1_000_000_002_000),
            Some(500_002_000)
        );
        // Gateway rebooted: counter back near zero after 10 s.
        let v = clock.sync(3_000_000, t0 + Duration::from_secs(10));
        assert_eq!(v as u32, 3_000_000);
        assert_eq!(clock.resets(), 1);
        assert_eq!(clock.gps_time_of(v), None);
        assert_eq!(
            clock.concentrator_time_at(t0 + Duration::from_secs(11)),
            Some(v + 1_000_000)
        );
    }

    #[test]
    fn unsynced_clock_knows_nothing() {
        let clock = ConcentratorClock::new();
        assert!(!clock.is_synced());
        assert_eq!(clock.extend(5), None);
        assert_eq!(clock.timestamp_at(Instant::now()), None);
        assert_eq!(clock.gps_time_of(0), None);
    }

    #[test]
    fn uplinks_sync_the_clock_and_absolute_times_become_timestamps() {
        use loragw_ttnpb::RxMetadata;
        let t0 = Instant::now();
        // 2017-01-01T00:00:18Z UTC is GPS second 1167264018 (18 leap seconds).
        let time = Timestamp {
            seconds: 1_483_228_818,
            nanos: 0,
        };
        let up = UplinkMessage {
            rx_metadata: vec![RxMetadata {
                timestamp: 4_000_000_000,
                time: Some(time),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut clock = ConcentratorClock::new();
        assert_eq!(clock.sync_uplink(&up, t0, false), Some(4_000_000_000));
        assert_eq!(
            clock.timestamp_for(&time),
            None,
            "time alone is not trusted"
        );
        assert_eq!(clock.sync_uplink(&up, t0, true), Some(4_000_000_000));
        // Two seconds later.
        let later = Timestamp {
            seconds: 1_483_228_820,
            nanos: 0,
        };
        assert_eq!(clock.timestamp_for(&later), Some(4_002_000_000));
        let mut gps_up = up.clone();
        gps_up.rx_metadata[0].time = None;
        gps_up.rx_metadata[0].gps_time = Some(time);
        let mut clock = ConcentratorClock::new();
        clock.sync_uplink(&gps_up, t0, false);
        assert_eq!(clock.timestamp_for(&time), Some(4_000_000_000));
        assert_eq!(
            ConcentratorClock::new().sync_uplink(&UplinkMessage::default(), t0, true),
            None
        );
    }

    /// Issue 14: an absolute time far from the sync point wrapped into a wrong `tmst`
    /// (`as u32`); it is refused now, at exactly the window's edge.
    #[test]
    fn absolute_times_outside_the_counter_window_are_refused() {
        use loragw_ttnpb::RxMetadata;
        let t0 = Instant::now();
        let sync_time = Timestamp {
            seconds: 1_700_000_000,
            nanos: 0,
        };
        let up = UplinkMessage {
            rx_metadata: vec![RxMetadata {
                timestamp: 4_000_000_000,
                gps_time: Some(sync_time),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut clock = ConcentratorClock::new();
        let at = |secs: i64, nanos: i32| Timestamp {
            seconds: 1_700_000_000 + secs,
            nanos,
        };
        assert_eq!(
            clock.try_timestamp_for(&at(1, 0)),
            Err(ClockError::NotSynced)
        );
        clock.sync(1, t0);
        assert_eq!(
            clock.try_timestamp_for(&at(1, 0)),
            Err(ClockError::NoAbsoluteTime)
        );
        let mut clock = ConcentratorClock::new();
        clock.sync_uplink(&up, t0, false);
        assert_eq!(clock.try_timestamp_for(&at(1, 0)), Ok(4_001_000_000));
        // +300 s crosses the 32-bit wrap: the low 32 bits of 4_300_000_000.
        assert_eq!(
            clock.try_timestamp_for(&at(300, 0)),
            Ok((4_300_000_000_u64 - (1 << 32)) as u32)
        );
        // The window's edges: 2^31 - 1 µs accepted either way, one µs more refused.
        let edge = MAX_TIMESTAMP_DISTANCE_US; // 2147.483647 s
        let (s, us) = (edge / 1_000_000, edge % 1_000_000);
        let plus_edge = at(s, (us * 1000) as i32);
        assert_eq!(
            clock.try_timestamp_for(&plus_edge),
            Ok(((4_000_000_000 + edge) % (1 << 32)) as u32)
        );
        let past_edge = at(s, ((us + 1) * 1000) as i32);
        assert_eq!(
            clock.try_timestamp_for(&past_edge),
            Err(ClockError::OutsideCounterWindow {
                distance_us: edge + 1
            })
        );
        let minus_edge = at(-s - 1, ((1_000_000 - us) * 1000) as i32);
        assert_eq!(
            clock.try_timestamp_for(&minus_edge),
            Ok((4_000_000_000 - edge) as u32)
        );
        // The issue's cases: +10 h, -1 h, +6 years.
        for (secs, distance_us) in [
            (10 * 3600, 36_000_000_000),
            (-3600, -3_600_000_000),
            (6 * 365 * 86_400 + 86_400, 189_302_400_000_000),
        ] {
            assert_eq!(
                clock.try_timestamp_for(&at(secs, 0)),
                Err(ClockError::OutsideCounterWindow { distance_us }),
                "{secs} s"
            );
            assert_eq!(clock.timestamp_for(&at(secs, 0)), None);
        }
        // Before the GPS epoch, and the far future.
        for seconds in [0, i64::MIN, i64::MAX] {
            assert_eq!(
                clock.try_timestamp_for(&Timestamp { seconds, nanos: 0 }),
                Err(ClockError::OutOfRange),
                "{seconds}"
            );
        }
    }

    /// GPS times at the i64 limits (from a hostile uplink) must not overflow the offset.
    #[test]
    fn extreme_gps_times_do_not_overflow() {
        let t0 = Instant::now();
        let mut clock = ConcentratorClock::new();
        clock.sync_gps(4_000_000_000, t0, i64::MIN);
        assert_eq!(clock.gps_time_of(4_000_000_000), None);
        clock.sync_gps(4_000_000_000, t0, i64::MAX);
        assert_eq!(clock.gps_time_of(4_000_000_000), Some(i64::MAX));
        assert_eq!(clock.gps_time_of(4_000_000_001), None);
        assert_eq!(clock.concentrator_time_of_gps(i64::MIN), None);
        assert_eq!(clock.server_time_of(i64::MIN), None);
        // An MQTT uplink's gps_time at the Timestamp limits: no GPS relation, no overflow.
        for seconds in [i64::MAX, i64::MIN, 9_223_372_036_854] {
            let up = UplinkMessage {
                rx_metadata: vec![loragw_ttnpb::RxMetadata {
                    timestamp: 5,
                    gps_time: Some(Timestamp { seconds, nanos: 0 }),
                    ..Default::default()
                }],
                ..Default::default()
            };
            let mut clock = ConcentratorClock::new();
            assert_eq!(clock.sync_uplink(&up, t0, true), Some(5));
            let near = Timestamp {
                seconds: seconds.saturating_add(1),
                nanos: 0,
            };
            let expected = if seconds == 9_223_372_036_854 {
                // Still inside i64 µs: a real GPS relation, one second later is 1e6 µs on.
                Ok(1_000_005)
            } else {
                Err(ClockError::NoAbsoluteTime)
            };
            assert_eq!(clock.try_timestamp_for(&near), expected, "{seconds}");
        }
        // Far-away server instants saturate.
        let far = t0 + Duration::from_secs(400_000 * 365 * 86_400);
        assert_eq!(clock.concentrator_time_at(far), Some(i64::MAX));
        let v = clock.sync(7, far);
        assert!(v > i64::MAX - (1 << 33), "{v}");
    }

    #[test]
    fn xtime_parts_match_the_station_example() {
        // Basics Station's xtime layout: 0x0092000010263577 → unit 0, session 0x92, 270 939 511 µs.
        let x = XTime(41_095_346_870_695_287);
        assert_eq!(x.0, 0x0092_0000_1026_3577);
        assert_eq!((x.txunit(), x.session()), (0, 0x92));
        assert_eq!(x.concentrator_time(), 270_939_511);
        assert_eq!(x.session_id(), 0x92);
        assert!(x.is_valid());
        assert_eq!(XTime::from_parts(0, 0x92, 270_939_511), x);
        assert_eq!(x.timestamp(), 0x1026_3577);
        assert_eq!(x.with_timestamp(0x1026_3577 + 1_000_000).0, x.0 + 1_000_000);
        assert!(!XTime(0).is_valid());
        // The Things Stack's test vector: xtime 12666373963464220 → timestamp.
        assert_eq!(
            XTime(12_666_373_963_464_220).timestamp(),
            (12_666_373_963_464_220_i64 & 0xFFFF_FFFF) as u32
        );
        // Crossing a 32-bit boundary inside the 48-bit counter.
        let x = XTime::from_parts(1, 7, 0x1_FFFF_FF00);
        assert_eq!(x.with_timestamp(0x100).concentrator_time(), 0x2_0000_0100);
        assert_eq!(x.txunit(), 1);
    }
}
