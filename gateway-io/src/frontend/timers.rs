//! One deadline per connection, kept in a min-heap so the frontends answer `poll_timeout` and
//! find the due connections without walking every connection.
//!
//! Lazy deletion: [`Timers::set`] pushes a new heap entry and records the deadline; an entry
//! whose deadline is no longer the recorded one (reset, or the key removed) is stale and is
//! dropped when it reaches the top. The top is kept valid after every change, so
//! [`Timers::next`] only peeks. Stale entries are bounded: the heap is rebuilt from the
//! recorded deadlines when it grows past twice their number.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::Hash;
use std::time::Instant;

/// Heap entries allowed above twice the live deadlines before the heap is rebuilt.
const SLACK: usize = 32;

/// Deadlines by key, earliest first.
#[derive(Debug)]
pub(crate) struct Timers<K> {
    heap: BinaryHeap<Reverse<(Instant, K)>>,
    deadlines: HashMap<K, Instant>,
}

impl<K> Default for Timers<K> {
    fn default() -> Self {
        Timers {
            heap: BinaryHeap::new(),
            deadlines: HashMap::new(),
        }
    }
}

impl<K: Copy + Ord + Hash> Timers<K> {
    /// Sets the deadline of `key` (`None`: it has none), replacing any earlier one.
    pub(crate) fn set(&mut self, key: K, deadline: Option<Instant>) {
        let Some(deadline) = deadline else {
            self.remove(key);
            return;
        };
        if self.deadlines.insert(key, deadline) == Some(deadline) {
            return;
        }
        self.heap.push(Reverse((deadline, key)));
        if self.heap.len() > 2 * self.deadlines.len() + SLACK {
            self.heap = self
                .deadlines
                .iter()
                .map(|(k, d)| Reverse((*d, *k)))
                .collect();
        }
        self.drop_stale();
    }

    /// Forgets the deadline of `key`.
    pub(crate) fn remove(&mut self, key: K) {
        if self.deadlines.remove(&key).is_some() {
            self.drop_stale();
        }
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((deadline, _))| *deadline)
    }

    /// Removes and returns the keys whose deadline is at or before `now`, earliest first.
    /// Each needs [`set`](Self::set) again if it still has a deadline.
    pub(crate) fn take_due(&mut self, now: Instant) -> Vec<K> {
        let mut due = Vec::new();
        while let Some(Reverse((deadline, key))) = self.heap.peek().copied() {
            if deadline > now {
                break;
            }
            self.heap.pop();
            if self.deadlines.get(&key) == Some(&deadline) {
                self.deadlines.remove(&key);
                due.push(key);
            }
        }
        self.drop_stale();
        due
    }

    /// Pops stale entries off the top, so that the top (if any) is a live deadline.
    fn drop_stale(&mut self) {
        while let Some(Reverse((deadline, key))) = self.heap.peek() {
            if self.deadlines.get(key) == Some(deadline) {
                return;
            }
            self.heap.pop();
        }
    }

    /// Heap entries, live and stale (for the bound on stale ones).
    #[cfg(test)]
    fn entries(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn many_keys_fire_in_deadline_order_and_reset_or_removed_ones_do_not() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut timers = Timers::default();
        // 10,000 keys with deadlines 10_000 + (k * 7919 mod 10_000) seconds: all distinct.
        for k in 0..10_000u64 {
            timers.set(k, Some(at(10_000 + (k * 7919) % 10_000)));
        }
        let first = (0..10_000u64).min_by_key(|k| (k * 7919) % 10_000).unwrap();
        assert_eq!(timers.next(), Some(at(10_000)));
        // The earliest key is reset later, the next one removed: neither fires at its old time.
        let second = (0..10_000u64).find(|k| (k * 7919) % 10_000 == 1).unwrap();
        timers.set(first, Some(at(30_000)));
        timers.remove(second);
        assert_eq!(timers.next(), Some(at(10_002)));
        assert_eq!(timers.take_due(at(10_001)), Vec::<u64>::new());
        let due = timers.take_due(at(10_004));
        assert_eq!(due.len(), 3);
        assert!(!due.contains(&first) && !due.contains(&second));
        for pair in due.windows(2) {
            assert!((pair[0] * 7919) % 10_000 < (pair[1] * 7919) % 10_000);
        }
        // A key moved earlier fires at its new time.
        let last = (0..10_000u64)
            .find(|k| (k * 7919) % 10_000 == 9_999)
            .unwrap();
        timers.set(last, Some(at(5)));
        assert_eq!(timers.next(), Some(at(5)));
        assert_eq!(timers.take_due(at(5)), vec![last]);
        // Everything else, then the reset key, then nothing.
        assert_eq!(timers.take_due(at(19_999)).len(), 10_000 - 6);
        assert_eq!(timers.next(), Some(at(30_000)));
        assert_eq!(timers.take_due(at(30_000)), vec![first]);
        assert_eq!(timers.next(), None);
    }

    #[test]
    fn stale_entries_stay_bounded() {
        let t0 = Instant::now();
        let mut timers = Timers::default();
        for k in 0..100u32 {
            timers.set(k, Some(t0 + Duration::from_secs(1)));
        }
        // Each key pushed later a thousand times: the heap never holds more than twice the
        // live keys plus the slack.
        for round in 2..1_002u64 {
            for k in 0..100u32 {
                timers.set(k, Some(t0 + Duration::from_secs(round)));
                assert!(timers.entries() <= 2 * 100 + SLACK + 1);
            }
        }
        assert_eq!(timers.next(), Some(t0 + Duration::from_secs(1_001)));
        assert_eq!(
            timers.take_due(t0 + Duration::from_secs(1_000)),
            Vec::<u32>::new()
        );
        assert_eq!(timers.take_due(t0 + Duration::from_secs(1_001)).len(), 100);
        assert_eq!(timers.entries(), 0);
        timers.set(7, None);
        assert_eq!(timers.next(), None);
    }
}
