//! Bridge mode: a local Semtech UDP packet forwarder (`lora_pkt_fwd`) points at the bridge, and
//! the bridge carries its traffic to one or more network servers over Basics Station, MQTT v3,
//! MQTT v2 or Semtech UDP.
//!
//! ```text
//!  lora_pkt_fwd ──UDP──▶ semtech_udp::Server ──rxpk → UplinkMessage (gateway-io adapter)──┐
//!                                                                                         ├─▶ lbs: StationSession (updf/jreq/propdf, dnmsg → txpk, dntxed)
//!                                                                                         ├─▶ mqtt-v3 / mqtt-v2: GatewayMqttClient (up, status, down, down/ack)
//!                                                                                         └─▶ udp: semtech_udp::Forwarder (rxpk and stat relayed unchanged)
//! ```
//!
//! - Uplinks are mirrored to every upstream whose filter ([`UplinkFilter`]) lets them through;
//!   an upstream that is down keeps them in a bounded buffer (oldest dropped and counted) and
//!   sends them once it is back.
//! - Downlinks are taken from upstreams marked `downlink = true`, sent to the forwarder as
//!   PULL_RESP, and its TX_ACK goes back to the upstream that sent the downlink: a success as
//!   `dntxed` (Basics Station), a `down/ack` (MQTT v3) or a TX_ACK (UDP); a failure, with its
//!   reason, as a failed `down/ack` (MQTT v3) or TX_ACK (UDP). Basics Station has no negative
//!   acknowledgement and MQTT v2 no acknowledgement at all. Downlinks from the other upstreams
//!   are refused the same way.
//! - `stat` goes to every upstream that carries a status: MQTT (`status` topic) and UDP.
//! - Timing: Basics Station's `xtime` is the concentrator's `tmst` extended past its 32-bit
//!   rollover (gateway-io's [`ConcentratorClock`](loragw_gateway_io::clock::ConcentratorClock))
//!   with the bridge's own session id; a `dnmsg`'s xtime gives back the `tmst`, a GPS time the
//!   `tmms`, class C `imme`. RX2 is tried when the forwarder refuses RX1.
//!
//! ```no_run
//! use loragw_examples::gateway_forwarder::bridge::{Bridge, BridgeConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = BridgeConfig::from_toml(&std::fs::read_to_string("bridge.toml")?)?;
//! let bridge = Bridge::start(config).await?;
//! tokio::signal::ctrl_c().await?;
//! let summary = bridge.stop().await;
//! println!("{}", summary.to_json());
//! # Ok(())
//! # }
//! ```

mod config;
mod lbs;
mod link;
mod mqtt;
mod udp;

pub use config::{
    BridgeConfig, ConfigError, DevAddrPrefix, UplinkFilter, UpstreamConfig, UpstreamProtocol,
};
pub use link::UpstreamSummary;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use loragw_gateway_io::adapter::udp::{rxpk_to_uplink, stat_to_status};
use loragw_gateway_io::ids::{Eui64, GatewayIds};
use loragw_semtech_udp::server::{Admission, DownlinkId, ServerConfig, ServerEvent};
use loragw_semtech_udp::{GatewayEui, Server, TxError, TxpkAck};
use serde_json::json;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use link::{
    BridgedStatus, BridgedUplink, DownlinkOrder, ToUpstream, UpstreamCounters, UpstreamLink,
};

/// Why the bridge could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum BridgeError {
    /// The config is not usable.
    Config(ConfigError),
    /// The local socket could not be bound.
    Io(String),
}

impl std::fmt::Display for BridgeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BridgeError::Config(e) => write!(f, "config: {e}"),
            BridgeError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for BridgeError {}

impl From<ConfigError> for BridgeError {
    fn from(e: ConfigError) -> Self {
        BridgeError::Config(e)
    }
}

/// What the bridge did: the local side's counts and one summary per upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BridgeSummary {
    /// Frames received from the local forwarder.
    pub uplinks_received: u64,
    /// Status reports received from the local forwarder.
    pub statuses_received: u64,
    /// Downlinks sent to the local forwarder (PULL_RESP).
    pub downlinks_sent: u64,
    /// TX_ACKs received from the local forwarder.
    pub tx_acks_received: u64,
    /// Per upstream, in config order.
    pub upstreams: Vec<UpstreamSummary>,
}

impl BridgeSummary {
    /// As JSON: the local counts and an `upstreams` array.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "uplinks_received": self.uplinks_received,
            "statuses_received": self.statuses_received,
            "downlinks_sent": self.downlinks_sent,
            "tx_acks_received": self.tx_acks_received,
            "upstreams": self.upstreams.iter().map(UpstreamSummary::to_json).collect::<Vec<_>>(),
        })
    }
}

#[derive(Debug, Default)]
struct LocalCounters {
    uplinks_received: AtomicU64,
    statuses_received: AtomicU64,
    downlinks_sent: AtomicU64,
    tx_acks_received: AtomicU64,
}

#[derive(Debug)]
struct UpstreamHandle {
    name: String,
    protocol: UpstreamProtocol,
    filter: UplinkFilter,
    commands: mpsc::Sender<ToUpstream>,
    counters: Arc<UpstreamCounters>,
}

/// A running bridge; see the [module docs](self).
#[derive(Debug)]
pub struct Bridge {
    local_addr: SocketAddr,
    local: Arc<LocalCounters>,
    upstreams: Vec<(String, UpstreamProtocol, Arc<UpstreamCounters>)>,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

/// Most downlinks queued from the upstreams to the local side.
const DOWNLINK_QUEUE: usize = 256;

impl Bridge {
    /// Binds the local UDP port and starts connecting to every upstream.
    pub async fn start(config: BridgeConfig) -> Result<Bridge, BridgeError> {
        config.validate()?;
        let eui = config.local_eui()?;
        let socket = UdpSocket::bind(&config.listen)
            .await
            .map_err(|e| BridgeError::Io(format!("binding {}: {e}", config.listen)))?;
        let local_addr = socket
            .local_addr()
            .map_err(|e| BridgeError::Io(e.to_string()))?;
        let (stop, stop_rx) = watch::channel(false);
        let (down_tx, down_rx) = mpsc::channel(DOWNLINK_QUEUE);
        let mut tasks = JoinSet::new();
        let mut handles = Vec::new();
        for (index, up) in config.upstreams.iter().enumerate() {
            let counters = Arc::new(UpstreamCounters::default());
            let (tx, rx) = mpsc::channel(config.buffer + 64);
            let link = UpstreamLink {
                index,
                name: up.display_name(),
                downlink: up.downlink,
                commands: rx,
                downlinks: down_tx.clone(),
                counters: counters.clone(),
                buffer_capacity: config.buffer,
                backoff: config.backoff(),
            };
            let up_eui = up.eui(eui).map_err(ConfigError)?;
            let stop = stop_rx.clone();
            match up.protocol {
                UpstreamProtocol::Lbs => {
                    tasks.spawn(lbs::run(link, up.clone(), up_eui, stop));
                }
                UpstreamProtocol::MqttV3 | UpstreamProtocol::MqttV2 => {
                    tasks.spawn(mqtt::run(link, up.clone(), stop));
                }
                UpstreamProtocol::Udp => {
                    tasks.spawn(udp::run(link, up.clone(), up_eui, stop));
                }
            }
            handles.push(UpstreamHandle {
                name: up.display_name(),
                protocol: up.protocol,
                filter: up.filter().map_err(ConfigError)?,
                commands: tx,
                counters,
            });
        }
        let local = Arc::new(LocalCounters::default());
        let upstreams = handles
            .iter()
            .map(|h| (h.name.clone(), h.protocol, h.counters.clone()))
            .collect();
        let side = LocalSide {
            server: Server::new(ServerConfig {
                admission: Admission::Ask,
                ..ServerConfig::default()
            }),
            eui,
            upstreams: handles,
            pending: HashMap::new(),
            counters: local.clone(),
        };
        tasks.spawn(side.run(socket, down_rx, stop_rx));
        tracing::info!(%local_addr, gateway = %eui, "bridge listening");
        Ok(Bridge {
            local_addr,
            local,
            upstreams,
            stop,
            tasks,
        })
    }

    /// The bound local UDP address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The counts so far.
    pub fn summary(&self) -> BridgeSummary {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        BridgeSummary {
            uplinks_received: load(&self.local.uplinks_received),
            statuses_received: load(&self.local.statuses_received),
            downlinks_sent: load(&self.local.downlinks_sent),
            tx_acks_received: load(&self.local.tx_acks_received),
            upstreams: self
                .upstreams
                .iter()
                .map(|(name, protocol, c)| c.snapshot(name, protocol.name()))
                .collect(),
        }
    }

    /// Stops every task and returns the final counts.
    pub async fn stop(mut self) -> BridgeSummary {
        self.stop.send_replace(true);
        let deadline = tokio::time::sleep(Duration::from_secs(2));
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                next = self.tasks.join_next() => if next.is_none() { break },
                () = &mut deadline => {
                    self.tasks.abort_all();
                    break;
                }
            }
        }
        self.summary()
    }
}

/// The local side: the Semtech UDP server the forwarder talks to.
struct LocalSide {
    server: Server,
    eui: GatewayEui,
    upstreams: Vec<UpstreamHandle>,
    /// Downlinks sent to the forwarder: which upstream and key they came with.
    pending: HashMap<DownlinkId, (usize, u64)>,
    counters: Arc<LocalCounters>,
}

impl LocalSide {
    async fn run(
        mut self,
        socket: UdpSocket,
        mut downlinks: mpsc::Receiver<DownlinkOrder>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut out = Vec::with_capacity(2048);
        let mut buf = vec![0u8; 65_536];
        loop {
            while let Some(t) = self.server.poll_transmit(&mut out) {
                if let Err(e) = socket.send_to(&out, t.destination).await {
                    tracing::debug!(error = %e, "sending to the forwarder failed");
                }
            }
            let mut handled = false;
            while let Some(event) = self.server.poll_event() {
                self.handle_event(event);
                handled = true;
            }
            if handled {
                // Handling may have queued datagrams (an admission answers a held PULL_DATA).
                continue;
            }
            let wake = self
                .server
                .poll_timeout()
                .map(Instant::from_std)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                received = socket.recv_from(&mut buf) => match received {
                    Ok((n, from)) => self.server.handle_datagram(std::time::Instant::now(), from, &buf[..n]),
                    Err(e) => tracing::debug!(error = %e, "receive failed"),
                },
                () = tokio::time::sleep_until(wake) => self.server.handle_timeout(std::time::Instant::now()),
                // Upstream tasks that ended (bad config) take their senders along; the
                // others keep theirs until the bridge stops.
                Some(order) = downlinks.recv() => self.send_downlink(order),
                () = crate::gateway_forwarder::stopped(&mut stop) => return,
            }
        }
    }

    /// Hands `command` to upstream `index`; when its queue is full (or its task ended) an
    /// uplink is counted dropped, anything else logged.
    fn to_upstream(&self, index: usize, command: ToUpstream) {
        let Some(up) = self.upstreams.get(index) else {
            return;
        };
        if let Err(e) = up.commands.try_send(command) {
            match e.into_inner() {
                ToUpstream::Uplink(_) => UpstreamCounters::add(&up.counters.uplinks_dropped),
                other => {
                    tracing::warn!(upstream = %up.name, command = ?other, "upstream busy: dropped")
                }
            }
        }
    }

    fn handle_event(&mut self, event: ServerEvent) {
        let now = std::time::Instant::now();
        match event {
            ServerEvent::AdmissionRequired { gateway, addr } => {
                if gateway == self.eui {
                    self.server.admit(now, gateway);
                } else {
                    tracing::warn!(%gateway, %addr, "refused: not the configured gateway_eui");
                    self.server.refuse(now, gateway);
                }
            }
            ServerEvent::Uplink { gateway, rxpk, .. } => {
                let ids = GatewayIds::from_eui(Eui64(gateway.0));
                for rxpk in rxpk {
                    self.counters
                        .uplinks_received
                        .fetch_add(1, Ordering::Relaxed);
                    let message = match rxpk_to_uplink(&ids, &rxpk, None) {
                        Ok(m) => m,
                        Err(e) => {
                            tracing::warn!(error = %e, "rxpk not translated");
                            continue;
                        }
                    };
                    let crc_failed = message.crc_status.as_ref().is_some_and(|c| !c.value);
                    let uplink = Arc::new(BridgedUplink {
                        rxpk,
                        message,
                        received: now,
                    });
                    for (i, up) in self.upstreams.iter().enumerate() {
                        // Only a relay carries frames with a bad CRC (as the forwarder did).
                        let crc_ok = !crc_failed || up.protocol == UpstreamProtocol::Udp;
                        if crc_ok && up.filter.accepts(&uplink.message) {
                            self.to_upstream(i, ToUpstream::Uplink(uplink.clone()));
                        } else {
                            UpstreamCounters::add(&up.counters.uplinks_filtered);
                        }
                    }
                }
            }
            ServerEvent::Status { stat, addr, .. } => {
                self.counters
                    .statuses_received
                    .fetch_add(1, Ordering::Relaxed);
                let status = stat_to_status(&stat, Some(addr.ip()));
                let status = Arc::new(BridgedStatus {
                    stat: *stat,
                    status,
                });
                for i in 0..self.upstreams.len() {
                    self.to_upstream(i, ToUpstream::Status(status.clone()));
                }
            }
            ServerEvent::TxAck { downlink, ack, .. } => {
                self.counters
                    .tx_acks_received
                    .fetch_add(1, Ordering::Relaxed);
                if let Some((index, key)) = self.pending.remove(&downlink) {
                    self.to_upstream(index, ToUpstream::TxAck { key, ack });
                }
            }
            ServerEvent::DownlinkExpired {
                downlink, reason, ..
            } => {
                if let Some((index, key)) = self.pending.remove(&downlink) {
                    let ack = TxpkAck::rejected(TxError::Other(format!("NO_TX_ACK ({reason:?})")));
                    self.to_upstream(index, ToUpstream::TxAck { key, ack });
                }
            }
            ServerEvent::Connected { addr, .. } => tracing::info!(%addr, "forwarder connected"),
            ServerEvent::Disconnected { .. } => tracing::warn!("forwarder disconnected"),
            ServerEvent::Malformed { from, error, .. } => {
                tracing::warn!(%from, %error, "malformed datagram from the forwarder");
            }
            other => tracing::debug!(event = ?other, "local event"),
        }
    }

    fn send_downlink(&mut self, order: DownlinkOrder) {
        let now = std::time::Instant::now();
        match self.server.send_downlink(now, self.eui, order.txpk) {
            Ok(id) => {
                self.counters.downlinks_sent.fetch_add(1, Ordering::Relaxed);
                self.pending.insert(id, (order.upstream, order.key));
            }
            Err(e) => {
                tracing::warn!(error = %e, "downlink not sent to the forwarder");
                let ack = TxpkAck::rejected(TxError::Other(e.to_string()));
                self.to_upstream(
                    order.upstream,
                    ToUpstream::TxAck {
                        key: order.key,
                        ack,
                    },
                );
            }
        }
    }
}
