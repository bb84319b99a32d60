//! Prometheus series named after The Things Stack's gateway-server metrics (`ttn_lw_gs_…`),
//! fed by the events the server sees, the downlinks it is asked to send, and gateway-io's
//! [`ServerStats`] (refusals, decode errors, isolated panics), which are read at each scrape.

use std::sync::Mutex;

use loragw_gateway_io::event::GatewayEvent;
use loragw_gateway_io::transport::ServerStats;
use loragw_ttnpb::tx_acknowledgment;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// A `protocol` label (`udp`, `lbs`, `tabs-hubs`, `mqtt-v3`, `mqtt-v2`).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProtocolLabel {
    protocol: &'static str,
}

/// A `reason` label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

/// A `protocol` and `result` label (TX acknowledgements).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    protocol: &'static str,
    result: &'static str,
}

type ByProtocol = Family<ProtocolLabel, Counter>;

/// Every series of the server.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    connected: Family<ProtocolLabel, Gauge>,
    connections_started: ByProtocol,
    connections_ended: ByProtocol,
    uplink_received: ByProtocol,
    uplink_forwarded: ByProtocol,
    uplink_dropped: ByProtocol,
    status_received: ByProtocol,
    status_forwarded: ByProtocol,
    status_dropped: ByProtocol,
    tx_ack_received: Family<ResultLabel, Counter>,
    downlink_scheduled: Counter,
    downlink_sent: Counter,
    downlink_acknowledged: ByProtocol,
    downlink_failed: Family<ReasonLabel, Counter>,
    refused: Family<ReasonLabel, Counter>,
    isolated_panics: Counter,
    decode_errors: ByProtocol,
    upstream_publish_failures: Counter,
    /// The last [`ServerStats`] folded in, so counters move by the difference.
    last_stats: Mutex<ServerStats>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every series at zero.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let mut m = Metrics {
            registry: Registry::default(),
            connected: Family::default(),
            connections_started: Family::default(),
            connections_ended: Family::default(),
            uplink_received: Family::default(),
            uplink_forwarded: Family::default(),
            uplink_dropped: Family::default(),
            status_received: Family::default(),
            status_forwarded: Family::default(),
            status_dropped: Family::default(),
            tx_ack_received: Family::default(),
            downlink_scheduled: Counter::default(),
            downlink_sent: Counter::default(),
            downlink_acknowledged: Family::default(),
            downlink_failed: Family::default(),
            refused: Family::default(),
            isolated_panics: Counter::default(),
            decode_errors: Family::default(),
            upstream_publish_failures: Counter::default(),
            last_stats: Mutex::new(ServerStats::default()),
        };
        let r = &mut registry;
        let gs = |name: &str| format!("ttn_lw_gs_{name}");
        r.register(
            gs("connections_connected"),
            "Gateways connected now, by protocol",
            m.connected.clone(),
        );
        for (name, help, family) in [
            (
                "connections_started",
                "Gateway connections started",
                &m.connections_started,
            ),
            (
                "connections_ended",
                "Gateway connections ended",
                &m.connections_ended,
            ),
            (
                "uplink_received",
                "Uplinks received from gateways",
                &m.uplink_received,
            ),
            (
                "uplink_forwarded",
                "Uplinks handed on (output, upstream)",
                &m.uplink_forwarded,
            ),
            (
                "uplink_dropped",
                "Uplinks dropped because the output was full",
                &m.uplink_dropped,
            ),
            (
                "status_received",
                "Gateway statuses received",
                &m.status_received,
            ),
            (
                "status_forwarded",
                "Gateway statuses handed on",
                &m.status_forwarded,
            ),
            (
                "status_dropped",
                "Gateway statuses dropped",
                &m.status_dropped,
            ),
            (
                "downlink_tx_success",
                "Downlinks the gateway acknowledged as transmitted",
                &m.downlink_acknowledged,
            ),
        ] {
            r.register(gs(name), help, family.clone());
        }
        r.register(
            gs("tx_ack_received"),
            "TX acknowledgements, by protocol and result",
            m.tx_ack_received.clone(),
        );
        r.register(
            gs("downlink_scheduled"),
            "Downlinks asked for (API, standard input, upstream)",
            m.downlink_scheduled.clone(),
        );
        r.register(
            gs("downlink_sent"),
            "Downlinks the gateway's protocol accepted (written or queued)",
            m.downlink_sent.clone(),
        );
        r.register(
            gs("downlink_tx_failed"),
            "Downlinks that failed, by reason",
            m.downlink_failed.clone(),
        );
        r.register(
            gs("connections_refused"),
            "Connections refused before they became a gateway session, by reason",
            m.refused.clone(),
        );
        r.register(
            gs("isolated_panics"),
            "Panics caught while handling one input (the connection was closed)",
            m.isolated_panics.clone(),
        );
        r.register(
            gs("decode_errors"),
            "Malformed input dropped, by the protocol of the listener that received it",
            m.decode_errors.clone(),
        );
        r.register(
            gs("upstream_publish_failures"),
            "Messages the upstream broker link could not publish or buffer",
            m.upstream_publish_failures.clone(),
        );
        m.registry = registry;
        m
    }

    /// One event: `forwarded` tells whether it was handed on (false: dropped).
    pub fn observe(&self, event: &GatewayEvent, forwarded: bool) {
        let protocol = ProtocolLabel {
            protocol: event.protocol().name(),
        };
        let (fwd, drop) = match event {
            GatewayEvent::Connected { .. } => {
                self.connected.get_or_create(&protocol).inc();
                self.connections_started.get_or_create(&protocol).inc();
                return;
            }
            GatewayEvent::Disconnected { .. } => {
                self.connected.get_or_create(&protocol).dec();
                self.connections_ended.get_or_create(&protocol).inc();
                return;
            }
            GatewayEvent::Uplink { .. } => {
                self.uplink_received.get_or_create(&protocol).inc();
                (&self.uplink_forwarded, &self.uplink_dropped)
            }
            GatewayEvent::Status { .. } => {
                self.status_received.get_or_create(&protocol).inc();
                (&self.status_forwarded, &self.status_dropped)
            }
            GatewayEvent::TxAck { ack, failure, .. } => {
                let result = match failure {
                    Some(_) => "NOT_ACKNOWLEDGED",
                    None => ack.result().as_str_name(),
                };
                self.tx_ack_received
                    .get_or_create(&ResultLabel {
                        protocol: protocol.protocol,
                        result,
                    })
                    .inc();
                if failure.is_none() && ack.result() == tx_acknowledgment::Result::Success {
                    self.downlink_acknowledged.get_or_create(&protocol).inc();
                } else {
                    let reason = if failure.is_some() {
                        "not_acknowledged"
                    } else {
                        "gateway_error"
                    };
                    self.downlink_failed
                        .get_or_create(&ReasonLabel { reason })
                        .inc();
                }
                return;
            }
            _ => return,
        };
        if forwarded {
            fwd.get_or_create(&protocol).inc();
        } else {
            drop.get_or_create(&protocol).inc();
        }
    }

    /// A downlink was asked for; `accepted` tells whether the gateway's protocol took it.
    pub fn downlink(&self, accepted: bool) {
        self.downlink_scheduled.inc();
        if accepted {
            self.downlink_sent.inc();
        } else {
            self.downlink_failed
                .get_or_create(&ReasonLabel { reason: "refused" })
                .inc();
        }
    }

    /// The upstream link lost a message.
    pub fn upstream_publish_failed(&self) {
        self.upstream_publish_failures.inc();
    }

    /// Folds in gateway-io's counters (at each scrape).
    pub fn sync(&self, stats: ServerStats) {
        let mut last = self
            .last_stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (reason, now, before) in [
            (
                "listener_full",
                stats.refused_listener_full,
                last.refused_listener_full,
            ),
            (
                "address_full",
                stats.refused_address_full,
                last.refused_address_full,
            ),
            (
                "handshake_timeout",
                stats.refused_handshake_timeout,
                last.refused_handshake_timeout,
            ),
            (
                "unauthenticated",
                stats.refused_unauthenticated,
                last.refused_unauthenticated,
            ),
            (
                "sessions_full",
                stats.refused_sessions_full,
                last.refused_sessions_full,
            ),
            (
                "unsupported_protocol",
                stats.refused_unsupported_protocol,
                last.refused_unsupported_protocol,
            ),
        ] {
            // Registered at zero even before the first refusal, so dashboards see the series.
            let counter = self.refused.get_or_create(&ReasonLabel { reason });
            counter.inc_by(now.saturating_sub(before));
        }
        self.isolated_panics
            .inc_by(stats.isolated_panics.saturating_sub(last.isolated_panics));
        for (protocol, now, before) in [
            ("udp", stats.decode_errors_udp, last.decode_errors_udp),
            (
                "lbs",
                stats.decode_errors_basic_station,
                last.decode_errors_basic_station,
            ),
            (
                "tabs-hubs",
                stats.decode_errors_tabs_hubs,
                last.decode_errors_tabs_hubs,
            ),
            (
                "mqtt-v3",
                stats.decode_errors_mqtt_v3,
                last.decode_errors_mqtt_v3,
            ),
            (
                "mqtt-v2",
                stats.decode_errors_mqtt_v2,
                last.decode_errors_mqtt_v2,
            ),
        ] {
            // Registered at zero, like the refusals.
            let counter = self
                .decode_errors
                .get_or_create(&ProtocolLabel { protocol });
            counter.inc_by(now.saturating_sub(before));
        }
        *last = stats;
    }

    /// The Prometheus text exposition of every series.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
