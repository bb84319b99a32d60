//! What the server remembers about gateways it has not admitted: a bounded set of pending
//! admission requests and a bounded cache of refusals, both with expiry.
//!
//! Both are fixed-capacity tables keyed by EUI; when full, the oldest entry goes. So traffic from
//! any number of unadmitted EUIs costs at most `capacity` entries of each, in total.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use crate::header::{GatewayEui, ProtocolVersion};

/// The most recent PULL_DATA of a gateway waiting for admission: its downlink path once
/// admitted.
#[derive(Debug, Clone, Copy)]
pub(super) struct PendingPull {
    pub(super) addr: SocketAddr,
    pub(super) version: ProtocolVersion,
}

/// A gateway waiting for [`Server::admit`](super::Server::admit) or
/// [`Server::refuse`](super::Server::refuse).
/// The first PUSH_DATA of a gateway waiting for admission, processed once admitted.
#[derive(Debug, Clone)]
pub(super) struct HeldPush {
    pub(super) at: Instant,
    pub(super) from: SocketAddr,
    pub(super) bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub(super) struct Pending {
    /// Source of its latest datagram.
    pub(super) addr: SocketAddr,
    /// Its latest PULL_DATA, if any.
    pub(super) pull: Option<PendingPull>,
    /// Its first PUSH_DATA, if not larger than
    /// [`ServerConfig::max_held_push_len`](super::ServerConfig::max_held_push_len).
    pub(super) push: Option<HeldPush>,
}

/// A map from EUI to `V` holding at most `capacity` entries, each until its expiry; the oldest
/// entry is evicted when a new one does not fit. Entries are expected to be inserted with
/// non-decreasing expiry (a constant time-to-live on a monotonic clock), so the oldest is also
/// the first to expire.
#[derive(Debug)]
pub(super) struct BoundedCache<V> {
    capacity: usize,
    entries: HashMap<GatewayEui, (u64, Instant, V)>,
    /// Insertion order: (EUI, sequence). A sequence that no longer matches the map entry is a
    /// stale record of a removed or re-inserted entry. At most `2 * capacity` records.
    order: VecDeque<(GatewayEui, u64)>,
    seq: u64,
}

impl<V> BoundedCache<V> {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: HashMap::new(),
            order: VecDeque::new(),
            seq: 0,
        }
    }

    /// Live entries (expired ones not yet swept included).
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    fn pop_oldest(&mut self) {
        if let Some((eui, seq)) = self.order.pop_front()
            && self.entries.get(&eui).is_some_and(|e| e.0 == seq)
        {
            self.entries.remove(&eui);
        }
    }

    /// Drops expired entries from the front.
    fn sweep(&mut self, now: Instant) {
        while let Some(&(eui, seq)) = self.order.front() {
            match self.entries.get(&eui) {
                Some(e) if e.0 == seq && e.1 > now => break,
                _ => self.pop_oldest(),
            }
        }
    }

    /// Inserts or replaces the entry of `eui`, valid until `until`.
    pub(super) fn insert(&mut self, now: Instant, eui: GatewayEui, until: Instant, value: V) {
        if self.capacity == 0 {
            return;
        }
        self.sweep(now);
        // A replaced or removed entry leaves a stale order record. When stale records are as
        // many as the capacity, drop them all (amortized O(1) per insertion).
        self.entries.remove(&eui);
        if self.order.len() >= 2 * self.capacity {
            let entries = &self.entries;
            self.order
                .retain(|(e, seq)| entries.get(e).is_some_and(|x| x.0 == *seq));
        }
        while self.entries.len() >= self.capacity {
            self.pop_oldest();
        }
        self.seq += 1;
        self.entries.insert(eui, (self.seq, until, value));
        self.order.push_back((eui, self.seq));
    }

    /// The live entry of `eui`.
    pub(super) fn get_mut(&mut self, now: Instant, eui: GatewayEui) -> Option<&mut V> {
        match self.entries.get_mut(&eui) {
            Some(e) if e.1 > now => Some(&mut e.2),
            _ => None,
        }
    }

    /// Removes the entry of `eui` (live or expired) and returns it if it was live.
    pub(super) fn remove(&mut self, now: Instant, eui: GatewayEui) -> Option<V> {
        let (_, until, value) = self.entries.remove(&eui)?;
        // The stale order record goes when it reaches the front.
        self.sweep(now);
        (until > now).then_some(value)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn eui(n: u64) -> GatewayEui {
        GatewayEui(n.to_be_bytes())
    }

    #[test]
    fn bounded_and_expiring() {
        let t0 = Instant::now();
        let ttl = Duration::from_secs(10);
        let mut c = BoundedCache::new(3);
        for n in 0..5 {
            c.insert(t0, eui(n), t0 + ttl, n);
        }
        assert_eq!(c.len(), 3);
        assert!(c.order.len() <= 3);
        assert_eq!(c.get_mut(t0, eui(1)), None, "oldest evicted");
        assert_eq!(c.get_mut(t0, eui(4)).copied(), Some(4));
        assert_eq!(c.get_mut(t0 + ttl, eui(4)), None, "expired");
        // Re-insertion and removal leave no stale entries behind beyond the capacity.
        for _ in 0..100 {
            c.insert(t0, eui(2), t0 + ttl, 20);
            assert_eq!(c.remove(t0, eui(2)), Some(20));
        }
        assert!(c.order.len() <= 6);
        assert_eq!(c.len(), 2);
        c.insert(t0 + ttl, eui(9), t0 + ttl + ttl, 9);
        assert_eq!(c.len(), 1, "expired ones swept");
    }
}
