//! What the local side and the upstream tasks exchange, the per-upstream counters and the
//! bounded uplink buffer.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use loragw_gateway_io::ttnpb::{GatewayStatus, UplinkMessage};
use loragw_semtech_udp::{Rxpk, Stat, Txpk, TxpkAck};
use serde_json::json;
use tokio::sync::mpsc;

/// One received frame, in both forms: as the forwarder sent it and as ttnpb.
#[derive(Debug)]
pub(crate) struct BridgedUplink {
    /// As received (the UDP relay forwards it unchanged).
    pub(crate) rxpk: Rxpk,
    /// Translated by gateway-io's UDP adapter (for the other protocols and the filters).
    pub(crate) message: UplinkMessage,
    /// When the bridge received it.
    pub(crate) received: std::time::Instant,
}

/// One status report, in both forms.
#[derive(Debug)]
pub(crate) struct BridgedStatus {
    /// As received.
    pub(crate) stat: Stat,
    /// Translated by gateway-io's UDP adapter.
    pub(crate) status: GatewayStatus,
}

/// From the local side to an upstream task.
#[derive(Debug, Clone)]
pub(crate) enum ToUpstream {
    /// An uplink that passed this upstream's filter.
    Uplink(Arc<BridgedUplink>),
    /// A status report.
    Status(Arc<BridgedStatus>),
    /// The local forwarder's verdict on downlink `key` (the upstream's own number).
    TxAck {
        /// The upstream's key of the downlink.
        key: u64,
        /// The verdict (a `Other` error for downlinks the bridge could not hand over).
        ack: TxpkAck,
    },
}

/// From an upstream task to the local side: transmit this.
#[derive(Debug)]
pub(crate) struct DownlinkOrder {
    /// Index of the upstream.
    pub(crate) upstream: usize,
    /// The upstream's key, echoed in [`ToUpstream::TxAck`].
    pub(crate) key: u64,
    /// What to send.
    pub(crate) txpk: Txpk,
}

/// What an upstream task needs from the bridge.
#[derive(Debug)]
pub(crate) struct UpstreamLink {
    /// Its index.
    pub(crate) index: usize,
    /// Its name (logs).
    pub(crate) name: String,
    /// Whether its downlinks are transmitted.
    pub(crate) downlink: bool,
    /// Commands from the local side.
    pub(crate) commands: mpsc::Receiver<ToUpstream>,
    /// Downlinks to the local side.
    pub(crate) downlinks: mpsc::Sender<DownlinkOrder>,
    /// Its counters.
    pub(crate) counters: Arc<UpstreamCounters>,
    /// Uplinks kept while down.
    pub(crate) buffer_capacity: usize,
    /// Reconnection backoff.
    pub(crate) backoff: super::config::Backoff,
}

impl UpstreamLink {
    /// Hands a downlink to the local side, or counts it refused when this upstream may not
    /// send downlinks. Returns whether it was handed over.
    pub(crate) fn order_downlink(&self, key: u64, txpk: Txpk) -> bool {
        if !self.downlink {
            UpstreamCounters::add(&self.counters.downlinks_refused);
            tracing::info!(upstream = %self.name, "downlink refused: upstream not downlink-capable");
            return false;
        }
        UpstreamCounters::add(&self.counters.downlinks_received);
        let order = DownlinkOrder {
            upstream: self.index,
            key,
            txpk,
        };
        if self.downlinks.try_send(order).is_err() {
            UpstreamCounters::add(&self.counters.downlinks_refused);
            return false;
        }
        true
    }
}

/// Counters of one upstream, updated by its task and read for the summary.
#[derive(Debug, Default)]
pub(crate) struct UpstreamCounters {
    pub(crate) uplinks_forwarded: AtomicU64,
    pub(crate) uplinks_filtered: AtomicU64,
    pub(crate) uplinks_dropped: AtomicU64,
    pub(crate) uplinks_failed: AtomicU64,
    pub(crate) uplinks_buffered: AtomicU64,
    pub(crate) statuses_forwarded: AtomicU64,
    pub(crate) downlinks_received: AtomicU64,
    pub(crate) downlinks_refused: AtomicU64,
    pub(crate) tx_acks_forwarded: AtomicU64,
    pub(crate) tx_failures_forwarded: AtomicU64,
    pub(crate) connections: AtomicU64,
    pub(crate) connected: AtomicBool,
}

impl UpstreamCounters {
    pub(crate) fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn set_connected(&self, connected: bool) {
        if connected && !self.connected.swap(true, Ordering::Relaxed) {
            Self::add(&self.connections);
        } else if !connected {
            self.connected.store(false, Ordering::Relaxed);
        }
    }

    pub(crate) fn snapshot(&self, name: &str, protocol: &'static str) -> UpstreamSummary {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        UpstreamSummary {
            name: name.to_owned(),
            protocol,
            connected: self.connected.load(Ordering::Relaxed),
            connections: load(&self.connections),
            uplinks_forwarded: load(&self.uplinks_forwarded),
            uplinks_filtered: load(&self.uplinks_filtered),
            uplinks_buffered: load(&self.uplinks_buffered),
            uplinks_dropped: load(&self.uplinks_dropped),
            uplinks_failed: load(&self.uplinks_failed),
            statuses_forwarded: load(&self.statuses_forwarded),
            downlinks_received: load(&self.downlinks_received),
            downlinks_refused: load(&self.downlinks_refused),
            tx_acks_forwarded: load(&self.tx_acks_forwarded),
            tx_failures_forwarded: load(&self.tx_failures_forwarded),
        }
    }
}

/// What one upstream did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpstreamSummary {
    /// Its name.
    pub name: String,
    /// Its protocol.
    pub protocol: &'static str,
    /// Connected right now (UDP: the last PULL_DATA was acknowledged).
    pub connected: bool,
    /// Connections made (1 + reconnections).
    pub connections: u64,
    /// Uplinks handed to the connection.
    pub uplinks_forwarded: u64,
    /// Uplinks its filter did not let through.
    pub uplinks_filtered: u64,
    /// Uplinks that had to wait in the buffer while it was down.
    pub uplinks_buffered: u64,
    /// Uplinks dropped because the buffer was full.
    pub uplinks_dropped: u64,
    /// Uplinks that could not be converted or sent (UDP: no PUSH_ACK after all retries).
    pub uplinks_failed: u64,
    /// Status reports forwarded.
    pub statuses_forwarded: u64,
    /// Downlinks received from it and handed to the local forwarder.
    pub downlinks_received: u64,
    /// Downlinks not transmitted (upstream not downlink-capable, or not convertible).
    pub downlinks_refused: u64,
    /// Successful transmissions reported back.
    pub tx_acks_forwarded: u64,
    /// Failed transmissions reported back (where the protocol can carry them).
    pub tx_failures_forwarded: u64,
}

impl UpstreamSummary {
    /// As JSON.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "name": self.name,
            "protocol": self.protocol,
            "connected": self.connected,
            "connections": self.connections,
            "uplinks_forwarded": self.uplinks_forwarded,
            "uplinks_filtered": self.uplinks_filtered,
            "uplinks_buffered": self.uplinks_buffered,
            "uplinks_dropped": self.uplinks_dropped,
            "uplinks_failed": self.uplinks_failed,
            "statuses_forwarded": self.statuses_forwarded,
            "downlinks_received": self.downlinks_received,
            "downlinks_refused": self.downlinks_refused,
            "tx_acks_forwarded": self.tx_acks_forwarded,
            "tx_failures_forwarded": self.tx_failures_forwarded,
        })
    }
}

/// Uplinks waiting while an upstream is down, oldest first; when full the oldest is dropped
/// and counted.
#[derive(Debug)]
pub(crate) struct UplinkBuffer<T> {
    items: VecDeque<T>,
    capacity: usize,
}

impl<T> UplinkBuffer<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        UplinkBuffer {
            items: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Keeps `item`; returns true when an older one had to be dropped for it.
    pub(crate) fn push(&mut self, item: T, counters: &UpstreamCounters) -> bool {
        UpstreamCounters::add(&counters.uplinks_buffered);
        let dropped = self.items.len() >= self.capacity;
        if dropped {
            self.items.pop_front();
            UpstreamCounters::add(&counters.uplinks_dropped);
        }
        self.items.push_back(item);
        dropped
    }

    /// Takes everything, oldest first.
    pub(crate) fn drain(&mut self) -> std::collections::vec_deque::Drain<'_, T> {
        self.items.drain(..)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_buffer_drops_the_oldest_and_counts_it() {
        let counters = UpstreamCounters::default();
        let mut buffer = UplinkBuffer::new(2);
        assert!(!buffer.push(1, &counters));
        assert!(!buffer.push(2, &counters));
        assert!(buffer.push(3, &counters));
        assert_eq!(buffer.drain().collect::<Vec<_>>(), [2, 3]);
        assert!(buffer.is_empty());
        let s = counters.snapshot("x", "lbs");
        assert_eq!((s.uplinks_buffered, s.uplinks_dropped), (3, 1));
    }

    #[test]
    fn connections_count_transitions_to_connected() {
        let counters = UpstreamCounters::default();
        counters.set_connected(true);
        counters.set_connected(true);
        counters.set_connected(false);
        counters.set_connected(true);
        let s = counters.snapshot("x", "udp");
        assert!(s.connected);
        assert_eq!(s.connections, 2);
    }
}
