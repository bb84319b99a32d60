//! The `gateway-forwarder` example: the gateway side of every protocol.
//!
//! - [`bridge`]: a local Semtech UDP packet forwarder bridged to one or more network servers
//!   over Basics Station, MQTT v3, MQTT v2 or Semtech UDP.
//! - [`run`] (`gateway-forwarder simulate`): N simulated gateways sending LoRaWAN uplinks to a
//!   Gateway Server over Semtech UDP, MQTT v3, MQTT v2 or Basics Station LNS, acknowledging
//!   every downlink.
//!
//! Gateway `i` (from 0) has the EUI `eui_base + i` and the id `{id_prefix}-{i}` (or
//! `gateway_id` when there is a single gateway). It hears `devices` end devices on the
//! channels and data rates of a frequency plan ([`sim`]): each joins first (a join-request
//! with a valid MIC) and then sends unconfirmed data uplinks with valid MICs; RSSI and SNR
//! follow each device's distance. Every `status_interval` the gateway reports its status (UDP
//! `stat`, MQTT `status`; Basics Station has no status message beyond `version`). Every
//! downlink is answered with a successful TX acknowledgement (MQTT v2 has none).
//!
//! Semtech UDP and Basics Station gateways are known to the server by their EUI (Basics
//! Station sends the key as `Authorization`); MQTT gateways by their id (username) and key
//! (password).
//!
//! ```no_run
//! use loragw_examples::gateway_forwarder::{self, ForwarderOptions, SimProtocol};
//!
//! # async fn run() -> Result<(), gateway_forwarder::RunError> {
//! let options = ForwarderOptions {
//!     protocol: SimProtocol::Udp,
//!     gateways: 10,
//!     ..ForwarderOptions::new("127.0.0.1:1700")
//! };
//! let summary = gateway_forwarder::run(options, async {
//!     tokio::signal::ctrl_c().await.ok();
//! })
//! .await?;
//! println!("{}", summary.to_json());
//! # Ok(())
//! # }
//! ```

pub mod bridge;
pub mod frames;
mod lbs;
pub mod load;
mod mqtt;
mod net;
mod report;
pub mod sim;
mod tabs;
mod udp;
mod ws;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use loragw_semtech_udp::{Stat, Timestamp as UdpTime};
use tokio::sync::watch;
use tokio::time::Instant;

use report::{GatewayCounters, LatencyHistogram, ProtocolStats, RunStats};
pub use report::{GatewaySummary, Latency, ProtocolSummary, Summary};
use sim::{DEFAULT_FREQUENCY_PLAN, SimUplink, TrafficPlan, UplinkGenerator};

/// The gateway protocol the simulated gateways speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimProtocol {
    /// Semtech UDP packet forwarder (GWMP v2).
    Udp,
    /// The Things Stack MQTT v3 (ttnpb protobuf payloads), username the gateway id, password
    /// the API key.
    MqttV3,
    /// The Things Stack legacy MQTT v2 (TTN v2 protobuf payloads, no TX acknowledgements).
    MqttV2,
    /// LoRa Basics Station LNS (websocket, straight to `/traffic/eui-<EUI>`), the key as the
    /// `Authorization` header.
    Lbs,
    /// Tabs Hubs (a legacy Tabs hub: the Basics Station websocket with its own messages), the
    /// key as the `Authorization` header.
    TabsHubs,
}

impl SimProtocol {
    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            SimProtocol::Udp => "udp",
            SimProtocol::MqttV3 => "mqtt-v3",
            SimProtocol::MqttV2 => "mqtt-v2",
            SimProtocol::Lbs => "lbs",
            SimProtocol::TabsHubs => "tabs-hubs",
        }
    }
}

impl std::str::FromStr for SimProtocol {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "udp" => Ok(SimProtocol::Udp),
            "mqtt-v3" => Ok(SimProtocol::MqttV3),
            "mqtt-v2" => Ok(SimProtocol::MqttV2),
            "lbs" => Ok(SimProtocol::Lbs),
            "tabs-hubs" => Ok(SimProtocol::TabsHubs),
            other => Err(format!(
                "unknown protocol {other:?} (udp, mqtt-v3, mqtt-v2, lbs, tabs-hubs)"
            )),
        }
    }
}

/// What to simulate and where to send it.
/// Build it with struct-update syntax: `ForwarderOptions { gateways: 4, ..ForwarderOptions::new(server) }`.
#[derive(Debug, Clone)]
pub struct ForwarderOptions {
    /// The Gateway Server, `host:port`.
    pub server: String,
    /// The protocol.
    pub protocol: SimProtocol,
    /// Further protocols, each with its server address: gateways are spread round-robin over
    /// `protocol` and these (gateway `i` speaks number `i % (1 + mixed.len())`).
    pub mixed: Vec<(SimProtocol, String)>,
    /// Number of simulated gateways, 1 to [`MAX_GATEWAYS`].
    pub gateways: u32,
    /// End devices each gateway hears, 1 to [`MAX_DEVICES`].
    pub devices: u32,
    /// Frequency plan id of gateway-io's built-in plans (`EU_863_870`, `US_902_928_FSB_2`, ...).
    pub frequency_plan: String,
    /// Uplinks per second per gateway, above 0 and at most [`MAX_RATE`].
    pub rate: f64,
    /// Stop after this long (`None`: only when the stop future completes).
    pub duration: Option<Duration>,
    /// Uplinks per gateway before it goes quiet (it keeps answering downlinks); `None`: no limit.
    pub count: Option<u64>,
    /// Interval of status reports (`None`: none).
    pub status_interval: Option<Duration>,
    /// EUI of gateway 0; gateway `i` has `eui_base + i`.
    pub eui_base: u64,
    /// Gateway ids are `{id_prefix}-{i}`.
    pub id_prefix: String,
    /// The id of a single gateway (only with `gateways == 1`), instead of `{id_prefix}-0`.
    pub gateway_id: Option<String>,
    /// API key (MQTT password).
    pub key: Option<String>,
    /// Seed of the simulated traffic.
    pub seed: u64,
    /// After stopping, how long to wait for outstanding UDP PUSH_ACKs.
    pub drain: Duration,
}

/// Most simulated gateways.
pub const MAX_GATEWAYS: u32 = 10_000;
/// Most devices per gateway.
pub const MAX_DEVICES: u32 = 10_000;
/// Highest rate, uplinks per second per gateway.
pub const MAX_RATE: f64 = 1000.0;

impl ForwarderOptions {
    /// Defaults for `server`: one UDP gateway hearing 4 devices on EU868, one uplink per
    /// second, a status every 30 s, no time limit.
    pub fn new(server: impl Into<String>) -> Self {
        ForwarderOptions {
            server: server.into(),
            protocol: SimProtocol::Udp,
            mixed: Vec::new(),
            gateways: 1,
            devices: 4,
            frequency_plan: DEFAULT_FREQUENCY_PLAN.into(),
            rate: 1.0,
            duration: None,
            count: None,
            status_interval: Some(Duration::from_secs(30)),
            eui_base: 0x58A0_CBFF_FE90_0000,
            id_prefix: "sim-gateway".into(),
            gateway_id: None,
            key: None,
            seed: 1,
            drain: Duration::from_secs(1),
        }
    }

    /// The id of gateway `index`.
    pub fn gateway_id_of(&self, index: u32) -> String {
        match &self.gateway_id {
            Some(id) if self.gateways == 1 => id.clone(),
            _ => format!("{}-{index}", self.id_prefix),
        }
    }

    /// The protocol and server of gateway `index`.
    pub fn protocol_of(&self, index: u32) -> (SimProtocol, &str) {
        let n = 1 + self.mixed.len();
        match (index as usize) % n {
            0 => (self.protocol, &self.server),
            i => (self.mixed[i - 1].0, &self.mixed[i - 1].1),
        }
    }

    /// The EUI of gateway `index`.
    pub fn eui_of(&self, index: u32) -> [u8; 8] {
        self.eui_base.wrapping_add(u64::from(index)).to_be_bytes()
    }

    /// The traffic generator of gateway `index` (what it will send, for tests).
    pub fn generator_of(&self, index: u32) -> Result<UplinkGenerator, RunError> {
        let plan = TrafficPlan::builtin(&self.frequency_plan).map_err(RunError::Options)?;
        Ok(UplinkGenerator::new(
            self.seed,
            index,
            self.devices,
            Arc::new(plan),
        ))
    }

    fn validate(&self) -> Result<(), RunError> {
        if self.gateways == 0 || self.gateways > MAX_GATEWAYS {
            return Err(RunError::Options(format!(
                "gateways must be 1 to {MAX_GATEWAYS}"
            )));
        }
        if self.devices == 0 || self.devices > MAX_DEVICES {
            return Err(RunError::Options(format!(
                "devices must be 1 to {MAX_DEVICES}"
            )));
        }
        if !(self.rate > 0.0 && self.rate <= MAX_RATE) {
            return Err(RunError::Options(format!(
                "rate must be above 0 and at most {MAX_RATE}"
            )));
        }
        if self.gateway_id.is_some() && self.gateways != 1 {
            return Err(RunError::Options(
                "gateway_id needs a single gateway".into(),
            ));
        }
        let mut protocols = vec![self.protocol];
        for (p, _) in &self.mixed {
            if protocols.contains(p) {
                return Err(RunError::Options(format!(
                    "protocol {} given twice",
                    p.name()
                )));
            }
            protocols.push(*p);
        }
        if self.status_interval.is_some_and(|d| d.is_zero()) {
            return Err(RunError::Options("status_interval must be above 0".into()));
        }
        TrafficPlan::builtin(&self.frequency_plan).map_err(RunError::Options)?;
        Ok(())
    }
}

/// Why the simulation could not run.
#[derive(Debug)]
#[non_exhaustive]
pub enum RunError {
    /// Invalid options.
    Options(String),
    /// A socket or connection could not be set up.
    Io(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Options(e) => write!(f, "options: {e}"),
            RunError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for RunError {}

/// One gateway's part of the simulation.
#[derive(Debug)]
struct GatewaySim {
    index: u32,
    /// Index of its protocol in the run's protocols.
    protocol: usize,
    gateway_id: String,
    eui: [u8; 8],
    generator: UplinkGenerator,
    /// Uplinks left to send (`None`: unlimited).
    remaining: Option<u64>,
    /// When the first uplink goes out (gateways are staggered over one period).
    first_uplink: Instant,
    period: Duration,
    status_interval: Option<Duration>,
    started: Instant,
    /// When the latest uplink went out (uplink → downlink latency).
    last_uplink: Option<std::time::Instant>,
    counters: Arc<GatewayCounters>,
    stats: Arc<RunStats>,
    stop: watch::Receiver<bool>,
}

impl GatewaySim {
    /// The next simulated reception, `None` once `count` uplinks were made.
    fn next_sim_uplink(&mut self) -> Option<SimUplink> {
        if self.remaining == Some(0) {
            return None;
        }
        if let Some(r) = &mut self.remaining {
            *r -= 1;
        }
        Some(self.generator.next_uplink())
    }

    /// The next uplink as ttnpb, timestamped with the concentrator clock (µs since start).
    fn next_uplink(&mut self) -> Option<loragw_ttnpb::UplinkMessage> {
        let up = self.next_sim_uplink()?;
        let timestamp = self.started.elapsed().as_micros() as u32;
        Some(up.to_ttnpb(&self.gateway_id, self.eui, timestamp))
    }

    /// Counts a sent uplink (and remembers when, for the downlink latency).
    fn uplink_sent(&mut self) {
        GatewayCounters::add(&self.counters.uplinks_sent);
        self.last_uplink = Some(std::time::Instant::now());
    }

    /// Its protocol's statistics.
    fn protocol_stats(&self) -> &ProtocolStats {
        &self.stats.protocols[self.protocol]
    }

    /// Counts a received downlink and, for protocols without uplink acknowledgements, its
    /// latency from the latest uplink.
    fn downlink_received(&self) {
        GatewayCounters::add(&self.counters.downlinks_received);
        if self.protocol_stats().acked {
            return;
        }
        if let Some(at) = self.last_uplink {
            self.protocol_stats().latency.record(at.elapsed());
        }
    }

    /// Ticks at the status interval (never without one).
    fn status_ticks(&self) -> tokio::time::Interval {
        let period = self
            .status_interval
            .unwrap_or(Duration::from_secs(86_400 * 365));
        let mut ticks = tokio::time::interval_at(self.first_uplink + period, period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks
    }

    /// A status report as a packet forwarder writes it: the time and the counts since start
    /// (the UDP forwarder fills in its own per-interval counts instead).
    fn stat(&self, with_counts: bool) -> Stat {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let load = |c: &std::sync::atomic::AtomicU64| {
            let v = c.load(std::sync::atomic::Ordering::Relaxed);
            with_counts.then(|| u32::try_from(v).unwrap_or(u32::MAX))
        };
        Stat {
            time: UdpTime::new(now.as_secs() as i64, 0),
            rxnb: load(&self.counters.uplinks_sent),
            rxok: load(&self.counters.uplinks_sent),
            rxfw: load(&self.counters.uplinks_sent),
            dwnb: load(&self.counters.downlinks_received),
            txnb: load(&self.counters.tx_acks_sent),
            ..Stat::default()
        }
    }
}

/// Runs the simulation until `options.duration` has passed or `stop` completes, whichever is
/// first; then returns the counts.
pub async fn run(
    options: ForwarderOptions,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<Summary, RunError> {
    run_with_progress(options, stop, Duration::from_secs(3600), |_| {}).await
}

/// Like [`run`], calling `progress` with the counts so far every `interval`.
pub async fn run_with_progress(
    options: ForwarderOptions,
    stop: impl Future<Output = ()> + Send + 'static,
    interval: Duration,
    mut progress: impl FnMut(&Summary) + Send + 'static,
) -> Result<Summary, RunError> {
    options.validate()?;
    let plan = Arc::new(TrafficPlan::builtin(&options.frequency_plan).map_err(RunError::Options)?);
    let (stop_tx, stop_rx) = watch::channel(false);
    let duration = options.duration;
    let stopper = tokio::spawn(async move {
        match duration {
            Some(d) => {
                tokio::select! {
                    () = stop => {}
                    () = tokio::time::sleep(d) => {}
                }
            }
            None => stop.await,
        }
        stop_tx.send_replace(true);
    });
    let protocols: Vec<SimProtocol> = std::iter::once(options.protocol)
        .chain(options.mixed.iter().map(|(p, _)| *p))
        .collect();
    let gateways: Vec<(String, usize, Arc<GatewayCounters>)> = (0..options.gateways)
        .map(|i| {
            let protocol = i as usize % protocols.len();
            (
                options.gateway_id_of(i),
                protocol,
                Arc::new(GatewayCounters::default()),
            )
        })
        .collect();
    let stats = Arc::new(RunStats {
        protocols: protocols
            .iter()
            .map(|p| ProtocolStats {
                protocol: p.name(),
                acked: *p == SimProtocol::Udp,
                latency: LatencyHistogram::default(),
            })
            .collect(),
        gateways: gateways.clone(),
    });
    let reporter = {
        let stats = stats.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval.max(Duration::from_millis(10)));
            ticks.tick().await;
            loop {
                ticks.tick().await;
                progress(&stats.summary());
            }
        })
    };
    let period = Duration::from_secs_f64(1.0 / options.rate);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (index, (gateway_id, protocol, counters)) in (0..options.gateways).zip(gateways) {
        let stagger = period.mul_f64(f64::from(index) / f64::from(options.gateways));
        let gateway = GatewaySim {
            index,
            protocol,
            gateway_id,
            eui: options.eui_of(index),
            generator: UplinkGenerator::new(options.seed, index, options.devices, plan.clone()),
            remaining: options.count,
            first_uplink: started + stagger,
            period,
            status_interval: options.status_interval,
            started,
            last_uplink: None,
            counters,
            stats: stats.clone(),
            stop: stop_rx.clone(),
        };
        let (protocol, server) = options.protocol_of(index);
        match protocol {
            SimProtocol::Udp => {
                let socket = udp::connect(server).await?;
                tasks.spawn(udp::run_gateway(gateway, socket, options.drain));
            }
            SimProtocol::MqttV3 | SimProtocol::MqttV2 => {
                let client = mqtt::connect(server, protocol, options.key.as_deref(), &gateway)?;
                tasks.spawn(mqtt::run_gateway(gateway, client));
            }
            SimProtocol::Lbs => {
                let ws = lbs::connect(server, gateway.eui, options.key.as_deref()).await?;
                tasks.spawn(lbs::run_gateway(gateway, ws));
            }
            SimProtocol::TabsHubs => {
                let ws = lbs::connect(server, gateway.eui, options.key.as_deref()).await?;
                tasks.spawn(tabs::run_gateway(gateway, ws));
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done {
            tracing::warn!(error = %e, "a gateway task failed");
        }
    }
    stopper.abort();
    reporter.abort();
    Ok(stats.summary())
}

/// Completes once the stop flag is set (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}
