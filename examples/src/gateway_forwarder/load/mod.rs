//! `gateway-forwarder load`: drives a Gateway Server as hard as asked and measures what it
//! acknowledges: `gateways` gateways (distinct EUIs) send Semtech UDP PUSH_DATA, either as
//! fast as the server acknowledges with a fixed number in flight, or at a target rate (with
//! that number as a cap); bounded by a duration and optionally a count; to a loopback address
//! only (a load test floods its target: it is for a server on the same machine). The end:
//! sent, acknowledged and lost datagrams, p50 / p99 PUSH_ACK latency and, given the server's
//! pid, the CPU time it used and its peak RSS (Linux `/proc`).
//!
//! The uplinks are the simulator's ([`super::sim`]): one PUSH_DATA per gateway with a data
//! uplink, the token, `tmst` and FCnt changed per datagram (the MIC stays the first one's: a
//! Gateway Server holds no session keys to check it). All gateways share one socket (the
//! server keys Semtech UDP gateways by EUI, not address), so the load costs the client two
//! system calls per datagram and leaves the CPU to the server.
//!
//! With [`LoadProtocol::Lbs`] or [`LoadProtocol::MqttV3`] every gateway (`load-gw-{i}`) holds
//! a connection of its own to the server's Basics Station or MQTT v3 listener, with
//! [`LoadOptions::key`]; neither protocol acknowledges an uplink, so what arrived is counted
//! on the server, from its Prometheus [`LoadOptions::metrics`]; [`registry_toml`] writes the
//! gateways' entries of the server's config.
//!
//! With [`LoadOptions::events_from`], every protocol also measures each uplink from its
//! sending to its line in the server's event stream ([`EventLatency`], "sent → event line"):
//! every uplink names its gateway (DevAddr) and its number (FCnt); a fixed number of slots per
//! gateway bounds the memory, and an uplink whose line the server dropped is unmatched, not
//! lost. With
//! [`LoadOptions::datagram_len`], every PUSH_DATA is that many bytes.
//!
//! ```no_run
//! use loragw_examples::gateway_forwarder::load::{self, LoadOptions};
//!
//! # fn main() -> Result<(), loragw_examples::gateway_forwarder::RunError> {
//! let options = LoadOptions {
//!     gateways: 1000,
//!     in_flight: 64,
//!     ..LoadOptions::new("127.0.0.1:1700")
//! };
//! let summary = load::run(&options, &mut |p| eprintln!("{}", p.line()))?;
//! println!("{}", summary.to_json());
//! # Ok(())
//! # }
//! ```

mod counted;
mod events;
mod lbs;
mod mqtt;
mod proc;
mod udp;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::report::{Latency, LatencyHistogram};
use super::sim::{SimFrame, SimUplink};
use super::{ForwarderOptions, RunError};
use events::EventTracker;
pub use events::{EVENT_LATENCY_MEASURE, EventLatency, EventsFrom};
pub use udp::MAX_IN_FLIGHT;

/// The protocol of a load, and what counts an uplink as arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadProtocol {
    /// Semtech UDP PUSH_DATA, counted by their PUSH_ACKs (latency: to the PUSH_ACK).
    Udp,
    /// Basics Station `updf` on one websocket per gateway, counted by the server's
    /// `ttn_lw_gs_uplink_received_total{protocol="lbs"}` (the protocol acknowledges nothing).
    Lbs,
    /// MQTT v3 uplinks at QoS 1 on one connection per gateway, counted by the server's
    /// `ttn_lw_gs_uplink_received_total{protocol="mqtt-v3"}`.
    MqttV3,
}

impl LoadProtocol {
    /// The command-line name, also the server's `protocol` label.
    pub fn name(self) -> &'static str {
        match self {
            LoadProtocol::Udp => "udp",
            LoadProtocol::Lbs => "lbs",
            LoadProtocol::MqttV3 => "mqtt-v3",
        }
    }

    /// What `acked` counts, for the summary.
    pub fn measure(self) -> &'static str {
        match self {
            LoadProtocol::Udp => "acked = PUSH_ACKs received",
            _ => "acked = uplinks the server counted (its /metrics), no per-uplink ack",
        }
    }
}

impl std::str::FromStr for LoadProtocol {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "udp" => Ok(LoadProtocol::Udp),
            "lbs" => Ok(LoadProtocol::Lbs),
            "mqtt-v3" => Ok(LoadProtocol::MqttV3),
            other => Err(format!(
                "unknown load protocol {other:?} (udp, lbs, mqtt-v3)"
            )),
        }
    }
}

/// What to drive and how hard.
/// Build it with struct-update syntax: `LoadOptions { gateways: 100, ..LoadOptions::new(server) }`.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The Gateway Server's listener of [`protocol`](Self::protocol), `ip:port`, a loopback
    /// address.
    pub server: String,
    /// The protocol.
    pub protocol: LoadProtocol,
    /// The gateways' key (Basics Station `Authorization`, MQTT password); one for all.
    pub key: Option<String>,
    /// The server's Prometheus `/metrics` URL, `http://host:port/metrics` (Basics Station
    /// and MQTT v3: where arrived uplinks are counted).
    pub metrics: Option<String>,
    /// Gateways (distinct EUIs from `eui_base`), 1 to [`super::MAX_GATEWAYS`].
    pub gateways: u32,
    /// Datagrams in flight: always this many without `rate`, at most this many with it;
    /// 1 to [`MAX_IN_FLIGHT`] (UDP only: the other protocols send on every connection as
    /// fast as it takes uplinks, or at their share of `rate`).
    pub in_flight: u32,
    /// Target datagrams per second over all gateways (`None`: as fast as acknowledged).
    pub rate: Option<f64>,
    /// How long to send.
    pub duration: Duration,
    /// Stop sending after this many datagrams (`None`: only the duration bounds the run).
    pub count: Option<u64>,
    /// A datagram not acknowledged within this long is lost.
    pub ack_timeout: Duration,
    /// EUI of gateway 0; gateway `i` has `eui_base + i` and the id `load-gw-{i}`.
    pub eui_base: u64,
    /// Seed of the simulated uplinks.
    pub seed: u64,
    /// The server's process, for its CPU time and peak RSS.
    pub server_pid: Option<u32>,
    /// A name for the run in the summary (e.g. `minimal`, `gateway-server`).
    pub label: String,
    /// The server's event lines, for the per-uplink latency "sent → event line" of every
    /// protocol ([`EventLatency`]; `None`: not measured).
    pub events_from: Option<EventsFrom>,
    /// Bytes of every PUSH_DATA (UDP only; `None`: as the simulator makes them, about 180):
    /// the FRMPayload grows or shrinks to fit (PHYPayload 13 to 255 bytes).
    pub datagram_len: Option<usize>,
}

impl LoadOptions {
    /// Defaults for `server`: 1,000 gateways, 64 in flight, as fast as acknowledged, 10 s,
    /// 1 s ack timeout.
    pub fn new(server: impl Into<String>) -> Self {
        LoadOptions {
            server: server.into(),
            protocol: LoadProtocol::Udp,
            key: None,
            metrics: None,
            gateways: 1000,
            in_flight: 64,
            rate: None,
            duration: Duration::from_secs(10),
            count: None,
            ack_timeout: Duration::from_secs(1),
            eui_base: 0x58A0_CBFF_FE90_0000,
            seed: 1,
            server_pid: None,
            label: "udp".into(),
            events_from: None,
            datagram_len: None,
        }
    }

    /// The simulator's options for the same gateways (frames, EUIs, ids).
    fn forwarder_options(&self) -> ForwarderOptions {
        ForwarderOptions {
            gateways: self.gateways,
            devices: 1,
            eui_base: self.eui_base,
            seed: self.seed,
            id_prefix: GATEWAY_ID_PREFIX.into(),
            ..ForwarderOptions::new(self.server.clone())
        }
    }

    fn validate(&self) -> Result<(), RunError> {
        match self.server.parse::<std::net::SocketAddr>() {
            Ok(addr) if addr.ip().is_loopback() => {}
            Ok(addr) => {
                return Err(RunError::Options(format!(
                    "server {addr}: the load only goes to a loopback address"
                )));
            }
            Err(e) => {
                return Err(RunError::Options(format!(
                    "server {:?} is not ip:port: {e}",
                    self.server
                )));
            }
        }
        if self.gateways == 0 || self.gateways > super::MAX_GATEWAYS {
            return Err(RunError::Options(format!(
                "gateways must be 1 to {}",
                super::MAX_GATEWAYS
            )));
        }
        if self.in_flight == 0 || self.in_flight > MAX_IN_FLIGHT {
            return Err(RunError::Options(format!(
                "in_flight must be 1 to {MAX_IN_FLIGHT}"
            )));
        }
        if self.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
            return Err(RunError::Options("rate must be above 0".into()));
        }
        if self.duration.is_zero() || self.ack_timeout.is_zero() {
            return Err(RunError::Options(
                "duration and ack_timeout must be above 0".into(),
            ));
        }
        if let Some(EventsFrom::Path(path)) = &self.events_from
            && !path.exists()
        {
            return Err(RunError::Options(format!(
                "events_from {}: no such file or FIFO",
                path.display()
            )));
        }
        if self.datagram_len.is_some() && self.protocol != LoadProtocol::Udp {
            return Err(RunError::Options(
                "datagram_len is for the udp protocol only".into(),
            ));
        }
        Ok(())
    }
}

/// The data uplink every datagram of gateway `index` is made of: its generator's first data
/// uplink (after its device's join-request, and again after a rejoin), FCnt counting from
/// there until [`events::mark`]ed.
fn data_uplink(sim: &ForwarderOptions, index: u32) -> Result<SimUplink, RunError> {
    let mut generator = sim.generator_of(index)?;
    // A rejoin is one frame in 200: a data uplink comes long before this many.
    (0..1_000)
        .map(|_| generator.next_uplink())
        .find(|up| matches!(up.frame, SimFrame::Data { .. }))
        .ok_or_else(|| RunError::Options(format!("gateway {index}: no data uplink")))
}

/// The ids of the load's gateways: `load-gw-{i}`.
pub const GATEWAY_ID_PREFIX: &str = "load-gw";

/// The `[[registry.gateway]]` tables of `gateway-server`'s config for the load's gateways
/// (ids, EUIs) with `key` (a `link` key named `load`, hashed with a fresh random salt each,
/// as `gateway-server hash-key` does), so a server accepts them.
pub fn registry_toml(options: &LoadOptions, key: &str) -> Result<String, RunError> {
    let sim = options.forwarder_options();
    let mut out = String::new();
    for index in 0..options.gateways {
        let hash = crate::gateway_server::hash_new_key(key).map_err(RunError::Options)?;
        let eui = sim
            .eui_of(index)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join("-");
        out += &format!(
            "[[registry.gateway]]\nid = \"{}\"\neui = \"{eui}\"\nfrequency_plans = [\"{}\"]\n\n\
             [[registry.gateway.key]]\nname = \"load\"\nhash = \"{hash}\"\nrights = [\"link\"]\n\n",
            sim.gateway_id_of(index),
            sim.frequency_plan,
        );
    }
    Ok(out)
}

/// Where a run is, once a second.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct LoadProgress {
    /// Since the first datagram.
    pub elapsed: Duration,
    /// Datagrams sent.
    pub sent: u64,
    /// PUSH_ACKs matched, or uplinks the server counted so far.
    pub acked: u64,
    /// Datagrams lost (not acknowledged within the ack timeout; 0 until the end of a counted
    /// load).
    pub lost: u64,
    /// PUSH_ACKs (uplinks counted) per second since the previous report.
    pub acked_per_second: f64,
}

impl LoadProgress {
    /// The progress line (for stderr).
    pub fn line(&self) -> String {
        format!(
            "{:>5.1} s  sent {}  acked {}  lost {}  {:.0} acked/s",
            self.elapsed.as_secs_f64(),
            self.sent,
            self.acked,
            self.lost,
            self.acked_per_second
        )
    }
}

/// What the server used during the run ([`LoadOptions::server_pid`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerUsage {
    /// User plus system CPU time, all threads, from the first datagram to the last PUSH_ACK.
    pub cpu: Duration,
    /// Peak resident set (`VmHWM`) at the end, KiB.
    pub peak_rss_kib: u64,
}

/// What a run measured.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LoadSummary {
    /// [`LoadOptions::label`].
    pub label: String,
    /// The protocol (and so what `acked` counts: [`LoadProtocol::measure`]).
    pub protocol: LoadProtocol,
    /// Gateways.
    pub gateways: u32,
    /// Datagrams in flight (the cap with a rate).
    pub in_flight: u32,
    /// Target rate, datagrams per second.
    pub rate: Option<f64>,
    /// Bytes of a PUSH_DATA (of gateway 0; 0 for the other protocols).
    pub datagram_len: usize,
    /// Datagrams sent.
    pub sent: u64,
    /// PUSH_ACKs matched (UDP) or uplinks the server counted, at most `sent`.
    pub acked: u64,
    /// Datagrams (uplinks) lost.
    pub lost: u64,
    /// PUSH_ACKs that matched nothing in flight (UDP), or uplinks the server counted beyond
    /// `sent` (another client's).
    pub unexpected: u64,
    /// From the first datagram to the last PUSH_ACK.
    pub elapsed: Duration,
    /// PUSH_ACK latency.
    pub latency: Option<Latency>,
    /// Latency from each uplink sent to its line in the server's event stream
    /// ([`LoadOptions::events_from`]).
    pub events: Option<EventLatency>,
    /// The server's CPU time and peak RSS.
    pub server: Option<ServerUsage>,
}

impl LoadSummary {
    /// PUSH_ACKs per second.
    pub fn acked_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.acked as f64 / secs
        } else {
            0.0
        }
    }

    /// Human-readable lines (for stderr).
    pub fn lines(&self) -> String {
        let mut out = format!(
            "{} ({}): {} gateways, {}{}\n{}\nsent {}  acked {}  lost {}  unexpected {}  in {:.2} s: {:.0} acked/s",
            self.label,
            self.protocol.name(),
            self.gateways,
            match self.protocol {
                LoadProtocol::Udp => format!(
                    "{} in flight, {} B PUSH_DATA",
                    self.in_flight, self.datagram_len
                ),
                _ => "one connection each".into(),
            },
            self.rate
                .map_or(String::new(), |r| format!(", target {r:.0}/s")),
            self.protocol.measure(),
            self.sent,
            self.acked,
            self.lost,
            self.unexpected,
            self.elapsed.as_secs_f64(),
            self.acked_per_second(),
        );
        if let Some(l) = self.latency {
            out += &format!(
                "\nack latency p50 {} µs  p99 {} µs",
                l.p50.as_micros(),
                l.p99.as_micros()
            );
        }
        if let Some(e) = self.events {
            out += &format!(
                "\nevent latency ({EVENT_LATENCY_MEASURE}) {}matched {} of {}  unmatched {}  lines {}  foreign {}",
                e.latency.map_or(String::new(), |l| format!(
                    "p50 {} µs  p99 {} µs  ",
                    l.p50.as_micros(),
                    l.p99.as_micros()
                )),
                e.matched,
                self.sent,
                e.unmatched,
                e.lines,
                e.foreign,
            );
        }
        if let Some(s) = self.server {
            out += &format!(
                "\nserver cpu {:.2} s ({:.1} µs per ack)  peak rss {} KiB",
                s.cpu.as_secs_f64(),
                self.cpu_micros_per_ack().unwrap_or(0.0),
                s.peak_rss_kib
            );
        }
        out
    }

    fn cpu_micros_per_ack(&self) -> Option<f64> {
        let s = self.server?;
        (self.acked > 0).then(|| s.cpu.as_secs_f64() * 1e6 / self.acked as f64)
    }

    /// The JSON form (one line of the `--json` results file).
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "label": self.label,
            "protocol": self.protocol.name(),
            "measure": self.protocol.measure(),
            "gateways": self.gateways,
            "in_flight": self.in_flight,
            "rate": self.rate,
            "datagram_len": self.datagram_len,
            "sent": self.sent,
            "acked": self.acked,
            "lost": self.lost,
            "unexpected": self.unexpected,
            "elapsed_s": self.elapsed.as_secs_f64(),
            "acked_per_s": self.acked_per_second(),
            "latency": self.latency.map(|l| json!({
                "samples": l.samples,
                "p50_us": l.p50.as_micros() as u64,
                "p99_us": l.p99.as_micros() as u64,
            })),
            "event_latency": self.events.map(|e| json!({
                "measure": EVENT_LATENCY_MEASURE,
                "matched": e.matched,
                "unmatched": e.unmatched,
                "lines": e.lines,
                "foreign": e.foreign,
                "samples": e.latency.map(|l| l.samples),
                "p50_us": e.latency.map(|l| l.p50.as_micros() as u64),
                "p99_us": e.latency.map(|l| l.p99.as_micros() as u64),
            })),
            "server": self.server.map(|s| json!({
                "cpu_s": s.cpu.as_secs_f64(),
                "cpu_us_per_ack": self.cpu_micros_per_ack(),
                "peak_rss_kib": s.peak_rss_kib,
            })),
        })
    }
}

/// Runs the load (blocking: call it from a thread, or `spawn_blocking`), reporting progress
/// about once a second.
pub fn run(
    options: &LoadOptions,
    progress: &mut dyn FnMut(&LoadProgress),
) -> Result<LoadSummary, RunError> {
    options.validate()?;
    let latency = LatencyHistogram::default();
    let cpu_before = options
        .server_pid
        .map(proc::cpu_time)
        .transpose()
        .map_err(RunError::Io)?;
    let events = match &options.events_from {
        Some(from) => {
            let tracker = Arc::new(EventTracker::new(options.gateways));
            tracker.spawn_reader(from)?;
            Some(tracker)
        }
        None => None,
    };
    let (counts, datagram_len) = match options.protocol {
        LoadProtocol::Udp => {
            let templates = udp::templates(options)?;
            let len = templates[0].len();
            let counts = udp::run(options, templates, &latency, events.as_deref(), progress)?;
            (counts, len)
        }
        LoadProtocol::Lbs => (lbs::run(options, events.clone(), progress)?, 0),
        LoadProtocol::MqttV3 => (mqtt::run(options, events.clone(), progress)?, 0),
    };
    let events = events.map(|e| e.finish(counts.sent));
    let server = match (options.server_pid, cpu_before) {
        (Some(pid), Some(before)) => Some(ServerUsage {
            cpu: proc::cpu_time(pid)
                .map_err(RunError::Io)?
                .saturating_sub(before),
            peak_rss_kib: proc::peak_rss_kib(pid).map_err(RunError::Io)?,
        }),
        _ => None,
    };
    Ok(LoadSummary {
        label: options.label.clone(),
        protocol: options.protocol,
        gateways: options.gateways,
        in_flight: options.in_flight,
        rate: options.rate,
        datagram_len,
        sent: counts.sent,
        acked: counts.acked,
        lost: counts.lost,
        unexpected: counts.unexpected,
        elapsed: counts.elapsed,
        latency: latency.percentiles(),
        events,
        server,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked_before_anything_is_sent() {
        let ok = LoadOptions::new("127.0.0.1:1700");
        assert!(ok.validate().is_ok());
        let from_stdin = LoadOptions {
            events_from: Some("-".parse().unwrap()),
            datagram_len: Some(321),
            ..ok.clone()
        };
        assert_eq!(from_stdin.events_from, Some(EventsFrom::Stdin));
        assert!(from_stdin.validate().is_ok());
        assert!(LoadOptions::new("[::1]:1700").validate().is_ok());
        for bad in [
            LoadOptions::new("192.0.2.1:1700"),
            LoadOptions::new("localhost"),
            LoadOptions {
                gateways: 0,
                ..ok.clone()
            },
            LoadOptions {
                in_flight: MAX_IN_FLIGHT + 1,
                ..ok.clone()
            },
            LoadOptions {
                rate: Some(0.0),
                ..ok.clone()
            },
            LoadOptions {
                duration: Duration::ZERO,
                ..ok.clone()
            },
            LoadOptions {
                events_from: Some(EventsFrom::Path("/nonexistent/events.fifo".into())),
                ..ok.clone()
            },
            LoadOptions {
                protocol: LoadProtocol::Lbs,
                datagram_len: Some(321),
                ..ok.clone()
            },
        ] {
            assert!(
                matches!(bad.validate(), Err(RunError::Options(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn every_gateway_sends_a_data_uplink_of_its_device() {
        let options = LoadOptions::new("127.0.0.1:1700");
        let sim = options.forwarder_options();
        // Gateway 177's device (seed 1) joins again right after its first join-request.
        let mut generator = sim.generator_of(177).unwrap();
        let _join = generator.next_uplink();
        assert!(matches!(
            generator.next_uplink().frame,
            SimFrame::Join { .. }
        ));
        for index in 0..options.gateways {
            let up = data_uplink(&sim, index).unwrap();
            match up.frame {
                SimFrame::Data { dev_addr, .. } => {
                    assert_eq!(dev_addr, super::super::sim::dev_addr_of(u64::from(index)));
                }
                other => panic!("gateway {index}: {other:?}"),
            }
            assert_eq!(up.phy_payload[0], 0x40);
        }
    }

    #[test]
    fn templates_are_distinct_gateways_and_tokens_patch_in_place() {
        let options = LoadOptions {
            gateways: 3,
            ..LoadOptions::new("127.0.0.1:1700")
        };
        let mut templates = udp::templates(&options).unwrap();
        let euis: Vec<_> = templates
            .iter()
            .map(|t| {
                loragw_semtech_udp::Packet::decode(t.bytes())
                    .unwrap()
                    .gateway()
            })
            .collect();
        assert_eq!(euis.len(), 3);
        assert!(euis[0] != euis[1] && euis[1] != euis[2]);
        let first = templates[0].write(0x1234, 7).to_vec();
        let again = templates[0].write(0x1234, 8).to_vec();
        assert_eq!(first.len(), again.len());
        assert_ne!(first, again, "tmst differs per datagram");
        match loragw_semtech_udp::Packet::decode(&first).unwrap() {
            loragw_semtech_udp::Packet::PushData(push) => {
                assert_eq!(push.token, 0x1234);
                assert_eq!(push.rxpk.len(), 1);
                assert_eq!(push.rxpk[0].tmst, 1_000_000_007);
                // The uplink's FCnt is the gateway's datagram number (low 16 bits).
                let phy = &push.rxpk[0].data;
                assert_eq!(u16::from_le_bytes([phy[6], phy[7]]), 7);
            }
            other => panic!("{other:?}"),
        }
    }
}
