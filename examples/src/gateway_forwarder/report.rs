//! The simulator's counters and summary: per-gateway counts, totals per protocol, and latency
//! percentiles from a log-scale histogram.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::json;

/// Histogram buckets per power of two (resolution about 4 %).
const SUB_BUCKETS: u32 = 16;
/// Buckets: 2^0 µs up to 2^40 µs (12 days).
const BUCKETS: usize = 40 * SUB_BUCKETS as usize;

/// Latencies in a fixed-size log-scale histogram (lock-free, bounded memory).
#[derive(Debug)]
pub(crate) struct LatencyHistogram {
    buckets: Vec<AtomicU64>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

fn bucket_of(micros: u64) -> usize {
    let micros = micros.max(1);
    let log2 = 63 - micros.leading_zeros();
    // The 4 bits below the leading one choose the sub-bucket.
    let sub = if log2 >= 4 {
        (micros >> (log2 - 4)) & 0xF
    } else {
        (micros << (4 - log2)) & 0xF
    };
    ((log2 * SUB_BUCKETS) as usize + sub as usize).min(BUCKETS - 1)
}

/// The lowest latency that falls into `bucket`.
fn lower_bound(bucket: usize) -> u64 {
    let log2 = bucket as u32 / SUB_BUCKETS;
    let sub = u64::from(bucket as u32 % SUB_BUCKETS);
    if log2 >= 4 {
        (16 + sub) << (log2 - 4)
    } else {
        (16 + sub) >> (4 - log2)
    }
}

impl LatencyHistogram {
    pub(crate) fn record(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.buckets[bucket_of(micros)].fetch_add(1, Ordering::Relaxed);
    }

    fn counts(&self) -> Vec<u64> {
        self.buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect()
    }

    /// p50 and p99, `None` without samples.
    pub(crate) fn percentiles(&self) -> Option<Latency> {
        let counts = self.counts();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let at = |p: f64| {
            let rank = ((total as f64 * p).ceil() as u64).max(1);
            let mut seen = 0;
            for (i, c) in counts.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    return Duration::from_micros(lower_bound(i));
                }
            }
            Duration::from_micros(lower_bound(BUCKETS - 1))
        };
        Some(Latency {
            samples: total,
            p50: at(0.50),
            p99: at(0.99),
        })
    }
}

/// Latency percentiles of uplink → acknowledgement (UDP PUSH_ACK) or uplink → downlink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Latency {
    /// Samples.
    pub samples: u64,
    /// Median (lower bound of its histogram bucket, within about 4 %).
    pub p50: Duration,
    /// 99th percentile (same resolution).
    pub p99: Duration,
}

/// Counters of one simulated gateway.
#[derive(Debug, Default)]
pub(crate) struct GatewayCounters {
    pub(crate) uplinks_sent: AtomicU64,
    pub(crate) uplinks_acked: AtomicU64,
    pub(crate) uplinks_lost: AtomicU64,
    pub(crate) statuses_sent: AtomicU64,
    pub(crate) downlinks_received: AtomicU64,
    pub(crate) tx_acks_sent: AtomicU64,
}

impl GatewayCounters {
    pub(crate) fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// What one gateway did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GatewaySummary {
    /// Its id.
    pub gateway_id: String,
    /// Its protocol (`udp`, `mqtt-v3`, `mqtt-v2`, `lbs`).
    pub protocol: &'static str,
    /// Uplinks handed to the transport.
    pub uplinks_sent: u64,
    /// Uplinks acknowledged (UDP PUSH_ACK); 0 for protocols without acknowledgement.
    pub uplinks_acked: u64,
    /// PUSH_DATA (uplinks or status reports) sent but never acknowledged (UDP only: no
    /// PUSH_ACK after all retries, or none by the end of the drain time).
    pub uplinks_lost: u64,
    /// Status reports sent.
    pub statuses_sent: u64,
    /// Downlinks received.
    pub downlinks_received: u64,
    /// TX acknowledgements sent.
    pub tx_acks_sent: u64,
}

impl GatewaySummary {
    /// Things sent and lost: pushes never acknowledged (UDP) plus downlinks received and not
    /// acknowledged where the protocol has TX acknowledgements (not MQTT v2).
    pub fn lost(&self) -> u64 {
        let unacked_downlinks = if self.protocol == "mqtt-v2" {
            0
        } else {
            self.downlinks_received.saturating_sub(self.tx_acks_sent)
        };
        self.uplinks_lost + unacked_downlinks
    }
}

/// Loads one gateway's counters.
pub(crate) fn gateway_summary(
    gateway_id: &str,
    protocol: &'static str,
    c: &GatewayCounters,
) -> GatewaySummary {
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    GatewaySummary {
        gateway_id: gateway_id.to_owned(),
        protocol,
        uplinks_sent: load(&c.uplinks_sent),
        uplinks_acked: load(&c.uplinks_acked),
        uplinks_lost: load(&c.uplinks_lost),
        statuses_sent: load(&c.statuses_sent),
        downlinks_received: load(&c.downlinks_received),
        tx_acks_sent: load(&c.tx_acks_sent),
    }
}

/// What the gateways of one protocol did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProtocolSummary {
    /// The protocol (`udp`, `mqtt-v3`, `mqtt-v2`, `lbs`).
    pub protocol: &'static str,
    /// Gateways speaking it.
    pub gateways: u64,
    /// Uplinks handed to the transport.
    pub uplinks_sent: u64,
    /// Uplinks the server acknowledged (UDP PUSH_ACK); `None` for MQTT (QoS 0 publishes) and
    /// Basics Station, which have no uplink acknowledgement.
    pub uplinks_acked: Option<u64>,
    /// Pushes known lost (UDP only; see [`GatewaySummary::uplinks_lost`]).
    pub uplinks_lost: u64,
    /// Status reports sent.
    pub statuses_sent: u64,
    /// Downlinks received.
    pub downlinks_received: u64,
    /// TX acknowledgements sent.
    pub tx_acks_sent: u64,
    /// Uplink → PUSH_ACK (UDP) or uplink → downlink (the others) latency.
    pub latency: Option<Latency>,
    /// Sent and lost ([`GatewaySummary::lost`] summed).
    pub lost: u64,
}

/// What the simulated gateways did: per protocol and per gateway.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Per protocol, in the order of the options.
    pub protocols: Vec<ProtocolSummary>,
    /// Per gateway, by index.
    pub gateways: Vec<GatewaySummary>,
}

impl Summary {
    /// The summary of `protocol`, if it was simulated.
    pub fn protocol(&self, protocol: &str) -> Option<&ProtocolSummary> {
        self.protocols.iter().find(|p| p.protocol == protocol)
    }

    /// Uplinks sent over every protocol.
    pub fn uplinks_sent(&self) -> u64 {
        self.protocols.iter().map(|p| p.uplinks_sent).sum()
    }

    /// Things sent and lost over every protocol ([`GatewaySummary::lost`] summed). Non-zero
    /// makes the binary exit with status 2.
    pub fn lost(&self) -> u64 {
        self.protocols.iter().map(|p| p.lost).sum()
    }

    /// The one-line progress form, one part per protocol.
    pub fn progress_line(&self) -> String {
        let parts: Vec<String> = self
            .protocols
            .iter()
            .map(|p| {
                let acked = p
                    .uplinks_acked
                    .map_or(String::new(), |a| format!(" acked {a}"));
                format!(
                    "{}: sent {}{acked} lost {} status {} down {} txack {}",
                    p.protocol,
                    p.uplinks_sent,
                    p.lost,
                    p.statuses_sent,
                    p.downlinks_received,
                    p.tx_acks_sent
                )
            })
            .collect();
        parts.join(" | ")
    }

    /// The JSON form: per protocol (latency in ms), per gateway, and the total lost.
    pub fn to_json(&self) -> serde_json::Value {
        let protocols: serde_json::Map<String, serde_json::Value> = self
            .protocols
            .iter()
            .map(|p| {
                let latency = p.latency.map(|l| {
                    json!({
                        "samples": l.samples,
                        "p50_ms": l.p50.as_secs_f64() * 1e3,
                        "p99_ms": l.p99.as_secs_f64() * 1e3,
                    })
                });
                let value = json!({
                    "gateways": p.gateways,
                    "uplinks_sent": p.uplinks_sent,
                    "uplinks_acked": p.uplinks_acked,
                    "uplinks_lost": p.uplinks_lost,
                    "statuses_sent": p.statuses_sent,
                    "downlinks_received": p.downlinks_received,
                    "tx_acks_sent": p.tx_acks_sent,
                    "latency": latency,
                    "lost": p.lost,
                });
                (p.protocol.to_owned(), value)
            })
            .collect();
        json!({
            "protocols": protocols,
            "gateways": self.gateways.iter().map(|g| json!({
                "gateway_id": g.gateway_id,
                "protocol": g.protocol,
                "uplinks_sent": g.uplinks_sent,
                "uplinks_acked": g.uplinks_acked,
                "uplinks_lost": g.uplinks_lost,
                "statuses_sent": g.statuses_sent,
                "downlinks_received": g.downlinks_received,
                "tx_acks_sent": g.tx_acks_sent,
            })).collect::<Vec<_>>(),
            "lost": self.lost(),
        })
    }
}

/// One simulated protocol of a run: its name, whether it acknowledges uplinks, its latency.
#[derive(Debug)]
pub(crate) struct ProtocolStats {
    pub(crate) protocol: &'static str,
    pub(crate) acked: bool,
    pub(crate) latency: LatencyHistogram,
}

/// The shared state of a run, for the final summary and progress reports.
#[derive(Debug)]
pub(crate) struct RunStats {
    pub(crate) protocols: Vec<ProtocolStats>,
    /// Per gateway: id, index into `protocols`, counters.
    pub(crate) gateways: Vec<(String, usize, Arc<GatewayCounters>)>,
}

impl RunStats {
    pub(crate) fn summary(&self) -> Summary {
        let gateways: Vec<GatewaySummary> = self
            .gateways
            .iter()
            .map(|(id, p, c)| gateway_summary(id, self.protocols[*p].protocol, c))
            .collect();
        let protocols = self
            .protocols
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mine: Vec<&GatewaySummary> = self
                    .gateways
                    .iter()
                    .zip(&gateways)
                    .filter(|((_, index, _), _)| *index == i)
                    .map(|(_, g)| g)
                    .collect();
                let sum = |f: fn(&GatewaySummary) -> u64| mine.iter().map(|g| f(g)).sum::<u64>();
                ProtocolSummary {
                    protocol: p.protocol,
                    gateways: mine.len() as u64,
                    uplinks_sent: sum(|g| g.uplinks_sent),
                    uplinks_acked: p.acked.then(|| sum(|g| g.uplinks_acked)),
                    uplinks_lost: sum(|g| g.uplinks_lost),
                    statuses_sent: sum(|g| g.statuses_sent),
                    downlinks_received: sum(|g| g.downlinks_received),
                    tx_acks_sent: sum(|g| g.tx_acks_sent),
                    latency: p.latency.percentiles(),
                    lost: sum(GatewaySummary::lost),
                }
            })
            .collect();
        Summary {
            protocols,
            gateways,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_tight() {
        let mut last = 0;
        for micros in [
            1u64,
            2,
            15,
            16,
            17,
            100,
            1_000,
            65_432,
            1_000_000,
            3_600_000_000,
        ] {
            let b = bucket_of(micros);
            assert!(b >= last);
            last = b;
            let low = lower_bound(b);
            assert!(low <= micros, "{micros}: {low}");
            assert!(micros - low <= micros / 16 + 1, "{micros}: {low}");
        }
    }

    #[test]
    fn percentiles_of_a_known_distribution() {
        let h = LatencyHistogram::default();
        assert_eq!(h.percentiles(), None);
        for _ in 0..98 {
            h.record(Duration::from_millis(2));
        }
        h.record(Duration::from_millis(100));
        h.record(Duration::from_millis(100));
        let l = h.percentiles().unwrap();
        assert_eq!(l.samples, 100);
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        assert!((1.9..=2.0).contains(&ms(l.p50)), "{l:?}");
        assert!((94.0..=100.0).contains(&ms(l.p99)), "{l:?}");
    }

    #[test]
    fn lost_counts_unacknowledged_pushes_and_downlinks_per_protocol() {
        let counters = |lost: u64, down: u64, acks: u64| {
            let c = GatewayCounters::default();
            c.uplinks_sent.store(10, Ordering::Relaxed);
            c.uplinks_acked.store(10 - lost, Ordering::Relaxed);
            c.uplinks_lost.store(lost, Ordering::Relaxed);
            c.downlinks_received.store(down, Ordering::Relaxed);
            c.tx_acks_sent.store(acks, Ordering::Relaxed);
            Arc::new(c)
        };
        let stats = RunStats {
            protocols: vec![
                ProtocolStats {
                    protocol: "udp",
                    acked: true,
                    latency: LatencyHistogram::default(),
                },
                ProtocolStats {
                    protocol: "mqtt-v2",
                    acked: false,
                    latency: LatencyHistogram::default(),
                },
            ],
            gateways: vec![
                ("a".into(), 0, counters(1, 2, 1)),
                ("b".into(), 1, counters(0, 3, 0)),
                ("c".into(), 0, counters(0, 1, 1)),
            ],
        };
        let summary = stats.summary();
        let udp = summary.protocol("udp").unwrap();
        assert_eq!(
            (udp.gateways, udp.uplinks_sent, udp.uplinks_acked),
            (2, 20, Some(19))
        );
        assert_eq!(udp.lost, 2);
        // MQTT v2 has no TX acknowledgements to miss, nor uplink acknowledgements.
        let v2 = summary.protocol("mqtt-v2").unwrap();
        assert_eq!((v2.uplinks_acked, v2.lost), (None, 0));
        assert_eq!(summary.lost(), 2);
        assert_eq!(summary.uplinks_sent(), 30);
        let json = summary.to_json();
        assert_eq!(json["protocols"]["udp"]["uplinks_acked"], 19);
        assert_eq!(json["gateways"][1]["protocol"], "mqtt-v2");
        assert!(
            summary
                .progress_line()
                .contains("udp: sent 20 acked 19 lost 2")
        );
        assert!(
            summary
                .progress_line()
                .contains(" | mqtt-v2: sent 10 lost 0")
        );
    }
}
