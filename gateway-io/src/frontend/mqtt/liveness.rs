//! What keeps one MQTT connection in bounds, on the caller's clock: its keep-alive (silence
//! past it ends the connection) and its publish rate limit (a token bucket).

use std::time::{Duration, Instant};

/// A publish rate limit: `burst` PUBLISHes at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Messages per second, sustained.
    pub per_second: u32,
    /// Messages allowed at once.
    pub burst: u32,
}

/// A token bucket on the monotonic clock passed in.
#[derive(Debug, Clone)]
pub(super) struct Bucket {
    limit: RateLimit,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket at `now`.
    pub(super) fn new(limit: RateLimit, now: Instant) -> Self {
        Bucket {
            limit,
            tokens: f64::from(limit.burst),
            at: now,
        }
    }

    /// Takes a token at `now`; `false` when the rate is exceeded.
    pub(super) fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        let refill = elapsed * f64::from(self.limit.per_second);
        self.tokens = (self.tokens + refill).min(f64::from(self.limit.burst));
        self.at = self.at.max(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The longest silence MQTT allows for a CONNECT's keep-alive (seconds): one and a half times
/// it, or `max_idle` for keep-alive 0 (which MQTT would let live forever).
pub(super) fn keep_alive_window(keep_alive_secs: u16, max_idle: Duration) -> Duration {
    if keep_alive_secs == 0 {
        max_idle
    } else {
        Duration::from_millis(u64::from(keep_alive_secs) * 1500)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_allows_its_burst_then_its_rate() {
        let t0 = Instant::now();
        let mut b = Bucket::new(
            RateLimit {
                per_second: 2,
                burst: 3,
            },
            t0,
        );
        assert!((0..3).all(|_| b.take(t0)));
        assert!(!b.take(t0));
        assert!(b.take(t0 + Duration::from_millis(500)));
        assert!(!b.take(t0 + Duration::from_millis(500)));
        // Refills stop at the burst.
        let later = t0 + Duration::from_secs(60);
        assert!((0..3).all(|_| b.take(later)));
        assert!(!b.take(later));
    }

    #[test]
    fn keep_alive_is_one_and_a_half_times_or_max_idle() {
        let hour = Duration::from_secs(3600);
        assert_eq!(keep_alive_window(60, hour), Duration::from_secs(90));
        assert_eq!(keep_alive_window(0, hour), hour);
    }
}
