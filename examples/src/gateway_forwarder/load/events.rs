//! Per-uplink latency from the server's event stream, for every protocol: `gateway-server`
//! writes each event as one JSON line (`gateway_server::event_line`); a thread of the load
//! reads those lines ([`EventsFrom`]) and matches each uplink event to the uplink the load
//! sent. Latency = the line read − the uplink sent ("sent → event line").
//!
//! Every uplink of the load is identifiable: gateway `i` sends data uplinks of its one
//! simulated device (DevAddr [`dev_addr_of`]`(i)`), and its `n`th uplink carries FCnt
//! `n mod 65 536` ([`mark`]). PHYPayload bytes 6 to 8 (FCnt, FPort) are one base64 group of
//! the JSON's `raw_payload` (characters 8 to 11), so the reader decodes the first twelve
//! characters only, and the UDP load patches four characters of its datagram.
//!
//! Memory is fixed when the run starts: per gateway a window of slots (a power of two, all
//! gateways together at most [`SLOT_BUDGET`] slots, 8 bytes each) indexed by FCnt; a slot
//! holds the send time and FCnt of the gateway's latest uplink with those low bits. An event
//! that arrives after its gateway has sent a whole window more uplinks finds its slot taken
//! and stays unmatched, as does an uplink whose line the server dropped (its event writer
//! drops lines rather than block): unmatched is not lost.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::gateway_forwarder::RunError;
use crate::gateway_forwarder::report::{Latency, LatencyHistogram};
use crate::gateway_forwarder::sim::dev_addr_of;

/// What the event latency measures (the summary names it).
pub const EVENT_LATENCY_MEASURE: &str = "sent → event line";

/// Slots of all gateways together (8 MiB).
pub(super) const SLOT_BUDGET: usize = 1 << 20;

/// Fewest slots per gateway.
const MIN_WINDOW: usize = 16;

/// How long the event lines may stop coming at the end before the rest is unmatched.
const SETTLE: Duration = Duration::from_secs(1);

/// At most this long is waited for the last event lines.
const SETTLE_MAX: Duration = Duration::from_secs(10);

/// The first byte of a PHYPayload the marker's base64 group covers (a multiple of 3).
const GROUP_AT: usize = 6;

/// The base64 characters that cover PHYPayload bytes 0 to 8 (MHDR, DevAddr, FCtrl, FCnt,
/// FPort): three whole groups.
const PREFIX_CHARS: usize = 12;

/// MHDR of an unconfirmed data uplink.
const MHDR_UNCONFIRMED_UP: u8 = 0x40;

/// Where the event lines come from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventsFrom {
    /// Standard input (`-`): `gateway-server … | gateway-forwarder load … --events-from -`.
    Stdin,
    /// A file or FIFO, opened by the reading thread (a FIFO's open waits for its writer).
    Path(PathBuf),
}

impl std::str::FromStr for EventsFrom {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "" => Err("--events-from needs a path or -".into()),
            "-" => Ok(EventsFrom::Stdin),
            path => Ok(EventsFrom::Path(path.into())),
        }
    }
}

/// The event latency of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventLatency {
    /// Uplinks sent whose event line was read.
    pub matched: u64,
    /// Uplinks sent without a matching line (the server dropped it, or it came too late).
    pub unmatched: u64,
    /// Event lines read.
    pub lines: u64,
    /// Uplink event lines that matched no uplink in flight (another client's, a duplicate,
    /// or late past the window).
    pub foreign: u64,
    /// Percentiles of "sent → event line".
    pub latency: Option<Latency>,
}

/// Writes the per-gateway sequence `seq` into a data uplink's FCnt (PHYPayload bytes 6 and
/// 7, little endian; the MIC is not recomputed: a Gateway Server holds no session keys).
pub(super) fn mark(phy: &mut [u8], seq: u32) {
    phy[GROUP_AT..GROUP_AT + 2].copy_from_slice(&fcnt_of(seq));
}

/// The FCnt bytes of uplink number `seq`.
fn fcnt_of(seq: u32) -> [u8; 2] {
    (seq as u16).to_le_bytes()
}

/// The base64 characters of PHYPayload bytes 6 to 8 after [`mark`]ing `seq`: `group` is the
/// unmarked bytes 6 to 8, the result replaces characters 8 to 11 of the payload's base64.
pub(super) fn marked_group(group: [u8; 3], seq: u32) -> [u8; 4] {
    let mut bytes = group;
    bytes[..2].copy_from_slice(&fcnt_of(seq));
    let mut chars = [0u8; 4];
    // Three bytes always make four characters.
    let _ = STANDARD.encode_slice(bytes, &mut chars);
    chars
}

/// The base64 character offset of [`marked_group`] in an encoded PHYPayload.
pub(super) const GROUP_CHARS_AT: usize = GROUP_AT / 3 * 4;

/// The sent uplinks' slots and what the reader matched.
#[derive(Debug)]
pub(super) struct EventTracker {
    start: Instant,
    gateways: u32,
    window: usize,
    /// `((µs since start + 1) << 16) | FCnt`, 0 when empty.
    slots: Box<[AtomicU64]>,
    matched: AtomicU64,
    lines: AtomicU64,
    foreign: AtomicU64,
    latency: LatencyHistogram,
}

impl EventTracker {
    /// Slots for `gateways` gateways.
    pub(super) fn new(gateways: u32) -> Self {
        let per_gateway = (SLOT_BUDGET / gateways.max(1) as usize).max(MIN_WINDOW);
        // A power of two that divides the FCnt space, so FCnt mod window is a slot.
        let window = (1usize << per_gateway.ilog2()).min(1 << 16);
        EventTracker {
            start: Instant::now(),
            gateways,
            window,
            slots: (0..window * gateways as usize)
                .map(|_| AtomicU64::new(0))
                .collect(),
            matched: AtomicU64::new(0),
            lines: AtomicU64::new(0),
            foreign: AtomicU64::new(0),
            latency: LatencyHistogram::default(),
        }
    }

    /// Slots per gateway.
    #[cfg(test)]
    pub(super) fn window(&self) -> usize {
        self.window
    }

    fn slot(&self, gateway: u32, fcnt: u16) -> &AtomicU64 {
        &self.slots[gateway as usize * self.window + usize::from(fcnt) % self.window]
    }

    /// Gateway `gateway` sends its uplink number `seq` ([`mark`]ed) at `at`.
    pub(super) fn sent(&self, gateway: u32, seq: u32, at: Instant) {
        if gateway >= self.gateways {
            return;
        }
        let micros = at.saturating_duration_since(self.start).as_micros() as u64;
        let fcnt = seq as u16;
        self.slot(gateway, fcnt)
            .store(((micros + 1) << 16) | u64::from(fcnt), Ordering::Relaxed);
    }

    /// One event line, read at `at`.
    pub(super) fn line(&self, line: &str, at: Instant) {
        self.lines.fetch_add(1, Ordering::Relaxed);
        let Some((gateway, fcnt)) = uplink_of(line) else {
            return;
        };
        if gateway >= self.gateways {
            self.foreign.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let slot = self.slot(gateway, fcnt);
        let value = slot.load(Ordering::Relaxed);
        if value == 0
            || value as u16 != fcnt
            || slot
                .compare_exchange(value, 0, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            self.foreign.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let sent = self.start + Duration::from_micros((value >> 16) - 1);
        self.latency.record(at.saturating_duration_since(sent));
        self.matched.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads `from` on a thread of its own until its end (the thread outlives the run when
    /// the input stays open: it only reads and matches).
    pub(super) fn spawn_reader(
        self: &std::sync::Arc<Self>,
        from: &EventsFrom,
    ) -> Result<(), RunError> {
        let tracker = self.clone();
        let from = from.clone();
        std::thread::Builder::new()
            .name("load-events".into())
            .spawn(move || {
                let result = match &from {
                    EventsFrom::Stdin => tracker.read(std::io::stdin().lock()),
                    EventsFrom::Path(path) => std::fs::File::open(path)
                        .and_then(|f| tracker.read(std::io::BufReader::new(f))),
                };
                if let Err(e) = result {
                    tracing::warn!(from = ?from, error = %e, "cannot read the event lines");
                }
            })
            .map(|_| ())
            .map_err(|e| RunError::Io(format!("event reader thread: {e}")))
    }

    fn read(&self, mut input: impl std::io::BufRead) -> std::io::Result<()> {
        let mut line = String::new();
        loop {
            line.clear();
            if input.read_line(&mut line)? == 0 {
                return Ok(());
            }
            self.line(&line, Instant::now());
        }
    }

    /// Waits for the last lines of `sent` uplinks (until all matched, or the lines stop
    /// coming for a second, at most ten), then sums up.
    pub(super) fn finish(&self, sent: u64) -> EventLatency {
        self.settle(sent);
        self.summary(sent)
    }

    fn settle(&self, sent: u64) {
        let begin = Instant::now();
        let mut lines = self.lines.load(Ordering::Relaxed);
        let mut changed = begin;
        while self.matched.load(Ordering::Relaxed) < sent
            && changed.elapsed() < SETTLE
            && begin.elapsed() < SETTLE_MAX
        {
            std::thread::sleep(Duration::from_millis(20));
            let now = self.lines.load(Ordering::Relaxed);
            if now != lines {
                lines = now;
                changed = Instant::now();
            }
        }
    }

    /// What was matched of `sent` uplinks so far.
    fn summary(&self, sent: u64) -> EventLatency {
        let matched = self.matched.load(Ordering::Relaxed).min(sent);
        EventLatency {
            matched,
            unmatched: sent - matched,
            lines: self.lines.load(Ordering::Relaxed),
            foreign: self.foreign.load(Ordering::Relaxed),
            latency: self.latency.percentiles(),
        }
    }
}

/// The gateway index and FCnt of an uplink event line of one of the load's uplinks: the line
/// is an `uplink` event, its `raw_payload` an unconfirmed data uplink of a load device.
fn uplink_of(line: &str) -> Option<(u32, u16)> {
    // `tenant_id` may come first; the event's own fields start with `event`.
    if !(line.starts_with(r#"{"event":"uplink","#) || line.contains(r#","event":"uplink","#)) {
        return None;
    }
    const FIELD: &str = r#""raw_payload":""#;
    let at = line.find(FIELD)? + FIELD.len();
    let chars = line.as_bytes().get(at..at + PREFIX_CHARS)?;
    let mut phy = [0u8; PREFIX_CHARS / 4 * 3];
    if STANDARD.decode_slice(chars, &mut phy).ok()? != phy.len() || phy[0] != MHDR_UNCONFIRMED_UP {
        return None;
    }
    let dev_addr = u32::from_le_bytes([phy[1], phy[2], phy[3], phy[4]]);
    let index = dev_addr.wrapping_sub(dev_addr_of(0));
    if dev_addr_of(u64::from(index)) != dev_addr {
        return None;
    }
    Some((index, u16::from_le_bytes([phy[6], phy[7]])))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event line of gateway `index`'s uplink with FCnt `fcnt`, as `event_line` writes it.
    fn line_of(index: u32, fcnt: u16, tenant: bool) -> String {
        let mut phy = vec![MHDR_UNCONFIRMED_UP];
        phy.extend_from_slice(&dev_addr_of(u64::from(index)).to_le_bytes());
        phy.push(0);
        phy.extend_from_slice(&fcnt.to_le_bytes());
        phy.extend_from_slice(&[1, 0xAA, 0xBB, 1, 2, 3, 4]);
        let tenant = if tenant { r#"{"tenant_id":"t","# } else { "{" };
        format!(
            r#"{tenant}"event":"uplink","gateway_id":"load-gw-{index}","protocol":"lbs","message":{{"raw_payload":"{}","settings":{{}}}}}}"#,
            STANDARD.encode(&phy)
        )
    }

    #[test]
    fn uplink_lines_name_the_gateway_and_fcnt() {
        assert_eq!(uplink_of(&line_of(7, 0x1234, false)), Some((7, 0x1234)));
        assert_eq!(uplink_of(&line_of(9_999, 3, true)), Some((9_999, 3)));
        for other in [
            r#"{"event":"connected","gateway_id":"load-gw-1","protocol":"lbs"}"#.to_owned(),
            r#"{"event":"tx_ack","gateway_id":"g","ack":{"downlink_message":{"raw_payload":"QAEAACYAAAAB"}}}"#.to_owned(),
            // A join-request, and a foreign DevAddr.
            line_of(1, 1, false).replace(r#""raw_payload":"Q"#, r#""raw_payload":"A"#),
            r#"{"event":"uplink","message":{"raw_payload":"QAEAAAEAAAAB"}}"#.to_owned(),
            r#"{"event":"uplink","message":{"raw_payload":"QAE"}}"#.to_owned(),
            "not json".to_owned(),
        ] {
            assert_eq!(uplink_of(&other), None, "{other}");
        }
    }

    #[test]
    fn the_marked_group_is_the_base64_of_the_marked_bytes() {
        let mut phy = b"\x40\x01\x00\x00\x26\x00\x00\x00\x01abc".to_vec();
        mark(&mut phy, 0x0001_0203);
        assert_eq!(u16::from_le_bytes([phy[6], phy[7]]), 0x0203);
        let encoded = STANDARD.encode(&phy);
        let group = marked_group([0, 0, 1], 0x0001_0203);
        assert_eq!(
            &encoded.as_bytes()[GROUP_CHARS_AT..GROUP_CHARS_AT + 4],
            &group
        );
    }

    #[test]
    fn each_sent_uplink_matches_once_and_late_or_dropped_ones_stay_unmatched() {
        let tracker = EventTracker::new(3);
        assert_eq!(tracker.window(), 65_536);
        let t0 = Instant::now();
        for seq in 0..10 {
            tracker.sent(2, seq, t0);
        }
        // Seq 4's line was dropped by the server; seq 7's comes twice.
        for seq in (0..10).filter(|s| *s != 4).chain([7]) {
            tracker.line(
                &line_of(2, seq as u16, false),
                t0 + Duration::from_millis(5),
            );
        }
        // Gateway 1 sent nothing; gateway 3 does not exist.
        tracker.line(&line_of(1, 0, false), t0);
        tracker.line(&line_of(3, 0, false), t0);
        tracker.line(r#"{"event":"connected"}"#, t0);
        let summary = tracker.summary(10);
        assert_eq!((summary.matched, summary.unmatched), (9, 1));
        assert_eq!((summary.lines, summary.foreign), (13, 3));
        let latency = summary.latency.unwrap();
        assert_eq!(latency.samples, 9);
        let ms = latency.p50.as_secs_f64() * 1e3;
        assert!((4.7..=5.0).contains(&ms), "{latency:?}");
    }

    #[test]
    fn windows_share_a_fixed_budget_and_wrap_with_fcnt() {
        let many = EventTracker::new(crate::gateway_forwarder::MAX_GATEWAYS);
        assert_eq!(many.window(), 64);
        assert!(many.slots.len() <= SLOT_BUDGET);
        assert_eq!(EventTracker::new(1_000).window(), 1_024);
        // The window's slot of seq s is reused by s + window: the older uplink is unmatched.
        let tracker = EventTracker::new(MAX_GATEWAYS_FOR_16);
        assert_eq!(tracker.window(), MIN_WINDOW);
        let t0 = Instant::now();
        tracker.sent(0, 1, t0);
        tracker.sent(0, 1 + MIN_WINDOW as u32, t0);
        tracker.line(&line_of(0, 1, false), t0);
        tracker.line(&line_of(0, 1 + MIN_WINDOW as u16, false), t0);
        let summary = tracker.summary(2);
        assert_eq!((summary.matched, summary.foreign), (1, 1));
    }

    /// Enough gateways for the smallest window.
    const MAX_GATEWAYS_FOR_16: u32 = (SLOT_BUDGET / MIN_WINDOW) as u32;
}
