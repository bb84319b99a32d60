//! Per-gateway state of the server: liveness, downlink path, rate limit, duplicate filter,
//! tokens in flight and in quarantine, and the concentrator clock learned from uplinks.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::event::{DownlinkId, DownlinkPath};
use crate::header::ProtocolVersion;
use crate::rng::SplitMix64;

/// Recent PUSH_DATA remembered for the duplicate filter.
const RECENT_PUSHES: usize = 16;

/// A concentrator counter value is trusted for schedule-late for this long after it was seen
/// (well under half of the 32-bit microsecond counter's 71.6-minute period).
const CLOCK_VALIDITY: Duration = Duration::from_secs(30 * 60);

#[derive(Debug, Clone, Copy)]
pub(super) struct Path {
    pub(super) path: DownlinkPath,
    pub(super) last_refresh: Instant,
}

#[derive(Debug, Clone)]
pub(super) struct InFlight {
    pub(super) token: u16,
    pub(super) id: DownlinkId,
    pub(super) sent_at: Instant,
    pub(super) expires_at: Instant,
    /// Sent to a version 1 gateway (no TX_ACK will come).
    pub(super) v1: bool,
}

#[derive(Debug, Clone)]
pub(super) struct Held {
    pub(super) token: u16,
    pub(super) id: DownlinkId,
    pub(super) bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct ClockAnchor {
    pub(super) tmst: u32,
    pub(super) at: Instant,
}

#[derive(Debug)]
pub(super) struct Gateway {
    pub(super) addr: SocketAddr,
    /// Protocol version of its latest datagram.
    pub(super) version: ProtocolVersion,
    pub(super) last_seen: Instant,
    pub(super) path: Option<Path>,
    arrivals: VecDeque<Instant>,
    recent_pushes: VecDeque<(u16, u64, Instant)>,
    pub(super) in_flight: Vec<InFlight>,
    pub(super) held: Vec<Held>,
    quarantine: VecDeque<(u16, Instant)>,
    pub(super) clock: Option<ClockAnchor>,
    pub(super) has_sent_tx_ack: bool,
    /// When the one live liveness timer of this gateway fires; older heap entries are stale.
    pub(super) check_at: Option<Instant>,
}

impl Gateway {
    pub(super) fn new(addr: SocketAddr, version: ProtocolVersion, now: Instant) -> Self {
        Self {
            addr,
            version,
            last_seen: now,
            path: None,
            arrivals: VecDeque::new(),
            recent_pushes: VecDeque::with_capacity(RECENT_PUSHES),
            in_flight: Vec::new(),
            held: Vec::new(),
            quarantine: VecDeque::new(),
            clock: None,
            has_sent_tx_ack: false,
            check_at: None,
        }
    }

    /// Records an arrival; `false` if it exceeds the limit (the datagram is then dropped and
    /// not recorded).
    pub(super) fn admit(&mut self, now: Instant, max: usize, window: Duration) -> bool {
        if max == 0 {
            return false;
        }
        if self.arrivals.len() >= max {
            let oldest = self.arrivals[0];
            if now.saturating_duration_since(oldest) < window {
                return false;
            }
            self.arrivals.pop_front();
        }
        self.arrivals.push_back(now);
        true
    }

    /// Whether this PUSH_DATA (token and body hash) was seen within `window`; records it if not.
    pub(super) fn is_duplicate_push(
        &mut self,
        token: u16,
        hash: u64,
        now: Instant,
        window: Duration,
    ) -> bool {
        if self.recent_pushes.iter().any(|&(t, h, at)| {
            t == token && h == hash && now.saturating_duration_since(at) < window
        }) {
            return true;
        }
        if self.recent_pushes.len() == RECENT_PUSHES {
            self.recent_pushes.pop_front();
        }
        self.recent_pushes.push_back((token, hash, now));
        false
    }

    fn token_busy(&self, token: u16, now: Instant) -> bool {
        self.in_flight.iter().any(|f| f.token == token)
            || self.held.iter().any(|h| h.token == token)
            || self
                .quarantine
                .iter()
                .any(|&(t, until)| t == token && until > now)
    }

    /// A token not in flight, held or quarantined for this gateway.
    pub(super) fn allocate_token(&self, rng: &mut SplitMix64, now: Instant) -> u16 {
        for _ in 0..64 {
            let t = rng.next_u16();
            if !self.token_busy(t, now) {
                return t;
            }
        }
        // At most max_pending + max_quarantined tokens are busy, far fewer than 65 536: a scan
        // from a random start always finds one.
        let start = rng.next_u16();
        (0..=u16::MAX)
            .map(|i| start.wrapping_add(i))
            .find(|&t| !self.token_busy(t, now))
            .unwrap_or(start)
    }

    /// Remembers a finished token until `until`.
    pub(super) fn quarantine(&mut self, token: u16, until: Instant, max: usize) {
        if max == 0 {
            return;
        }
        while self.quarantine.len() >= max {
            self.quarantine.pop_front();
        }
        self.quarantine.push_back((token, until));
    }

    pub(super) fn is_quarantined(&self, token: u16, now: Instant) -> bool {
        self.quarantine
            .iter()
            .any(|&(t, until)| t == token && until > now)
    }

    pub(super) fn pending(&self) -> usize {
        self.in_flight.len() + self.held.len()
    }

    /// Learns the concentrator clock from the `tmst` values of one PUSH_DATA.
    pub(super) fn learn_clock(&mut self, tmsts: impl Iterator<Item = u32>, now: Instant) {
        let mut latest: Option<u32> = None;
        for t in tmsts {
            latest = Some(match latest {
                // Later in wrapping order (within half the counter range).
                Some(l) if (t.wrapping_sub(l) as i32) <= 0 => l,
                _ => t,
            });
        }
        if let Some(tmst) = latest {
            self.clock = Some(ClockAnchor { tmst, at: now });
        }
    }

    /// When the concentrator counter reads `tmst`, in server time; `None` without a recent
    /// enough clock anchor.
    pub(super) fn instant_of_tmst(&self, tmst: u32, now: Instant) -> Option<Instant> {
        let anchor = self.clock?;
        if now.saturating_duration_since(anchor.at) > CLOCK_VALIDITY {
            return None;
        }
        let delta = tmst.wrapping_sub(anchor.tmst) as i32;
        let magnitude = Duration::from_micros(u64::from(delta.unsigned_abs()));
        if delta >= 0 {
            anchor.at.checked_add(magnitude)
        } else {
            anchor.at.checked_sub(magnitude)
        }
    }

    /// The next instant a liveness check is due.
    pub(super) fn next_check(
        &self,
        connection_expiry: Duration,
        path_expiry: Duration,
    ) -> Option<Instant> {
        let conn = self.last_seen.checked_add(connection_expiry);
        let path = self
            .path
            .and_then(|p| p.last_refresh.checked_add(path_expiry));
        match (conn, path) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_handles_rollover() {
        let t0 = Instant::now();
        let mut g = Gateway::new("127.0.0.1:1".parse().unwrap(), ProtocolVersion::V2, t0);
        g.learn_clock([u32::MAX - 1_000_000, 5].into_iter(), t0);
        assert_eq!(g.clock.unwrap().tmst, 5);
        // 2 s after the anchor, across the wrap.
        assert_eq!(
            g.instant_of_tmst(2_000_005, t0),
            Some(t0 + Duration::from_secs(2))
        );
        // Before the wrap: in the past.
        assert_eq!(
            g.instant_of_tmst(u32::MAX - 999_994, t0 + Duration::from_secs(1)),
            t0.checked_sub(Duration::from_secs(1))
        );
        assert_eq!(g.instant_of_tmst(1, t0 + Duration::from_secs(3600)), None);
    }

    #[test]
    fn rate_limit_window() {
        let t0 = Instant::now();
        let mut g = Gateway::new("127.0.0.1:1".parse().unwrap(), ProtocolVersion::V2, t0);
        for _ in 0..10 {
            assert!(g.admit(t0, 10, Duration::from_millis(10)));
        }
        assert!(!g.admit(t0 + Duration::from_millis(9), 10, Duration::from_millis(10)));
        assert!(g.admit(
            t0 + Duration::from_millis(10),
            10,
            Duration::from_millis(10)
        ));
    }

    #[test]
    fn tokens_avoid_busy_ones() {
        let t0 = Instant::now();
        let mut g = Gateway::new("127.0.0.1:1".parse().unwrap(), ProtocolVersion::V2, t0);
        let mut rng = SplitMix64::new(1);
        let first = g.allocate_token(&mut SplitMix64::new(1), t0);
        g.quarantine(first, t0 + Duration::from_secs(60), 256);
        assert_ne!(g.allocate_token(&mut rng, t0), first);
        assert!(g.is_quarantined(first, t0));
        assert!(!g.is_quarantined(first, t0 + Duration::from_secs(60)));
    }
}
