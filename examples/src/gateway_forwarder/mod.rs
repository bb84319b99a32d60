//! The `gateway-forwarder` example: N simulated gateways sending LoRaWAN uplinks to a Gateway
//! Server over Semtech UDP, MQTT v3 or Basics Station LNS, acknowledging every downlink.
//!
//! Gateway `i` (from 0) has the EUI `eui_base + i` and the id `{id_prefix}-{i}` (or
//! `gateway_id` when there is a single gateway). It hears one end device, DevAddr
//! `0x260B0000 + i`, whose unconfirmed data-up frames count FCnt up from 0, on a random EU868
//! channel, SF7 to SF12, with random RSSI and SNR ([`sim`]). Every downlink is answered with a
//! successful TX acknowledgement.
//!
//! Semtech UDP and Basics Station gateways are known to the server by their EUI (Basics
//! Station sends the key as `Authorization`); MQTT v3 gateways by their id (username) and key
//! (password). Uplink frames carry random FRMPayload and MIC bytes: no device keys are
//! simulated.
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
mod lbs;
mod mqtt;
pub mod sim;
mod udp;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;
use tokio::time::Instant;

/// The gateway protocol the simulated gateways speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimProtocol {
    /// Semtech UDP packet forwarder (GWMP v2).
    Udp,
    /// The Things Stack MQTT v3 (ttnpb protobuf payloads), username the gateway id, password
    /// the API key.
    MqttV3,
    /// LoRa Basics Station LNS (websocket, straight to `/traffic/eui-<EUI>`), the key as the
    /// `Authorization` header.
    Lbs,
}

impl std::str::FromStr for SimProtocol {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "udp" => Ok(SimProtocol::Udp),
            "mqtt-v3" => Ok(SimProtocol::MqttV3),
            "lbs" => Ok(SimProtocol::Lbs),
            other => Err(format!("unknown protocol {other:?} (udp, mqtt-v3, lbs)")),
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
    /// Number of simulated gateways, 1 to [`MAX_GATEWAYS`].
    pub gateways: u32,
    /// Uplinks per second per gateway, above 0 and at most [`MAX_RATE`].
    pub rate: f64,
    /// Stop after this long (`None`: only when the stop future completes).
    pub duration: Option<Duration>,
    /// Uplinks per gateway before it goes quiet (it keeps answering downlinks); `None`: no limit.
    pub count: Option<u64>,
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
/// Highest rate, uplinks per second per gateway.
pub const MAX_RATE: f64 = 1000.0;

impl ForwarderOptions {
    /// Defaults for `server`: one UDP gateway, one uplink per second, no time limit.
    pub fn new(server: impl Into<String>) -> Self {
        ForwarderOptions {
            server: server.into(),
            protocol: SimProtocol::Udp,
            gateways: 1,
            rate: 1.0,
            duration: None,
            count: None,
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

    /// The EUI of gateway `index`.
    pub fn eui_of(&self, index: u32) -> [u8; 8] {
        self.eui_base.wrapping_add(u64::from(index)).to_be_bytes()
    }

    fn validate(&self) -> Result<(), RunError> {
        if self.gateways == 0 || self.gateways > MAX_GATEWAYS {
            return Err(RunError::Options(format!(
                "gateways must be 1 to {MAX_GATEWAYS}"
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

/// What the gateways did, summed over all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Uplinks handed to the transport.
    pub uplinks_sent: u64,
    /// Uplinks the server acknowledged (UDP PUSH_ACK); `None` for MQTT (QoS 0 publishes) and
    /// Basics Station, which have no uplink acknowledgement.
    pub uplinks_acked: Option<u64>,
    /// Downlinks received.
    pub downlinks_received: u64,
    /// TX acknowledgements sent.
    pub tx_acks_sent: u64,
}

impl Summary {
    /// The one-line JSON form:
    /// `{"uplinks_sent":..,"uplinks_acked":..,"downlinks_received":..,"tx_acks_sent":..}`.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "uplinks_sent": self.uplinks_sent,
            "uplinks_acked": self.uplinks_acked,
            "downlinks_received": self.downlinks_received,
            "tx_acks_sent": self.tx_acks_sent,
        })
    }
}

/// Counters shared by the gateway tasks.
#[derive(Debug, Default)]
struct Counters {
    uplinks_sent: AtomicU64,
    uplinks_acked: AtomicU64,
    downlinks_received: AtomicU64,
    tx_acks_sent: AtomicU64,
}

impl Counters {
    fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// One gateway's part of the simulation.
#[derive(Debug)]
struct GatewaySim {
    index: u32,
    gateway_id: String,
    eui: [u8; 8],
    generator: sim::UplinkGenerator,
    /// Uplinks left to send (`None`: unlimited).
    remaining: Option<u64>,
    /// When the first uplink goes out (gateways are staggered over one period).
    first_uplink: Instant,
    period: Duration,
    started: Instant,
    counters: Arc<Counters>,
    stop: watch::Receiver<bool>,
}

impl GatewaySim {
    /// The next uplink as ttnpb, timestamped with the concentrator clock (µs since start).
    fn next_uplink(&mut self) -> Option<loragw_ttnpb::UplinkMessage> {
        if self.remaining == Some(0) {
            return None;
        }
        if let Some(r) = &mut self.remaining {
            *r -= 1;
        }
        let up = self.generator.next_uplink();
        let timestamp = self.started.elapsed().as_micros() as u32;
        Some(up.to_ttnpb(&self.gateway_id, self.eui, timestamp))
    }
}

/// Runs the simulation until `options.duration` has passed or `stop` completes, whichever is
/// first; then returns the summed counts.
pub async fn run(
    options: ForwarderOptions,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<Summary, RunError> {
    options.validate()?;
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
    let counters = Arc::new(Counters::default());
    let period = Duration::from_secs_f64(1.0 / options.rate);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..options.gateways {
        let stagger = period.mul_f64(f64::from(index) / f64::from(options.gateways));
        let gateway = GatewaySim {
            index,
            gateway_id: options.gateway_id_of(index),
            eui: options.eui_of(index),
            generator: sim::UplinkGenerator::new(options.seed, index),
            remaining: options.count,
            first_uplink: started + stagger,
            period,
            started,
            counters: counters.clone(),
            stop: stop_rx.clone(),
        };
        match options.protocol {
            SimProtocol::Udp => {
                let socket = udp::connect(&options.server).await?;
                tasks.spawn(udp::run_gateway(gateway, socket, options.drain));
            }
            SimProtocol::MqttV3 => {
                let client = mqtt::connect(&options, &gateway)?;
                tasks.spawn(mqtt::run_gateway(gateway, client));
            }
            SimProtocol::Lbs => {
                let ws = lbs::connect(&options.server, gateway.eui, options.key.as_deref()).await?;
                tasks.spawn(lbs::run_gateway(gateway, ws));
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done {
            tracing::warn!(error = %e, "a gateway task failed");
        }
    }
    stopper.abort();
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    Ok(Summary {
        uplinks_sent: load(&counters.uplinks_sent),
        uplinks_acked: match options.protocol {
            SimProtocol::Udp => Some(load(&counters.uplinks_acked)),
            SimProtocol::MqttV3 | SimProtocol::Lbs => None,
        },
        downlinks_received: load(&counters.downlinks_received),
        tx_acks_sent: load(&counters.tx_acks_sent),
    })
}

/// Completes once the stop flag is set (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}
