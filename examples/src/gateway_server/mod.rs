//! The `gateway-server` example: every gateway protocol this workspace serves, on The Things
//! Stack's default ports, with gateways and keys from a TOML file.
//!
//! Listeners of a config file (the demo, [`ServerConfig::demo`], serves 127.0.0.1 only):
//!
//! | listener | default | |
//! |---|---|---|
//! | Semtech UDP | `0.0.0.0:1700` | |
//! | Basics Station LNS | `0.0.0.0:1887` | `0.0.0.0:8887` when listed (needs `[tls]`) |
//! | Basics Station CUPS | `0.0.0.0:1885` | `0.0.0.0:8885` when listed (needs `[tls]`) |
//! | MQTT v3 | `0.0.0.0:1882` | `0.0.0.0:8882` when listed (needs `[tls]`) |
//! | MQTT v2 (legacy) | `0.0.0.0:1881` | `0.0.0.0:8881` when listed (needs `[tls]`) |
//! | Tabs Hubs | `0.0.0.0:1888` | `0.0.0.0:8888` when listed (needs `[tls]`) |
//!
//! Every [`GatewayEvent`] becomes one JSON line ([`event_line`]) with ttnpb's JSON (original
//! field names), unless the events are only counted ([`EventFormat::None`]); downlinks come in as JSON lines ([`parse_downlink`]):
//!
//! ```text
//! {"gateway_id":"demo-gateway","downlink":{"raw_payload":"YAQDAgEAAQCqu8zd","scheduled":{...}}}
//! ```
//!
//! The config file ([`ServerConfig`]) embeds gateway-io's registry format under `[registry]`.
//! Around the listeners: [`run`] (the binary's loop: clean stop on SIGTERM / Ctrl-C, event
//! lines on their own thread), [`http`] (`[metrics]`: Prometheus, health, downlink and
//! connection-stats API), [`upstream`] (`[upstream]`: scale-out on an MQTT broker),
//! [`demo_tls`] (the demo's certificates), [`ttnpb_tool`] (`gateway-server ttnpb`), and the
//! key helpers [`hash_new_key`], [`cups_lns_key`], [`cups_update`].

mod config;
mod connections;
pub mod demo_tls;
pub mod http;
mod keys;
mod metrics;
mod run;
pub mod ttnpb_tool;
pub mod upstream;

pub use connections::{ConnectionStats, ConnectionTable};
pub use keys::{cups_lns_key, cups_update, hash_new_key};
pub use metrics::Metrics;
pub use run::{EventFormat, EventOutput, SHUTDOWN_GRACE, run, run_with};

pub use config::{
    CupsConfig, CupsGateway, CupsUpdate, DEMO_CUPS_KEY, DEMO_GATEWAY_EUI, DEMO_GATEWAY_ID,
    DEMO_HOST, DEMO_LNS_KEY, DEMO_MQTT_GATEWAY_ID, DEMO_MQTT_KEY, LbsOptions, LimitsOptions,
    ListenerAddrs, MetricsOptions, MqttOptions, ServerConfig, TlsFiles, UdpOptions,
    UpstreamEncoding, UpstreamOptions,
};

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use loragw_basicstation::cups::{Credentials, CupsTarget, UpdateInfoRequest};
use loragw_gateway_io::event::GatewayEvent;
use loragw_gateway_io::frontend::lbs::LbsConfig;
use loragw_gateway_io::frontend::mqtt::MqttVersion;
use loragw_gateway_io::frontend::tabs::TabsFrontendConfig;
use loragw_gateway_io::frontend::udp::UdpConfig;
use loragw_gateway_io::ids::GatewayIds;
use loragw_gateway_io::registry::{GatewayRecord, InMemoryRegistry};
use loragw_gateway_io::transport::TcpLimits;
use loragw_gateway_io::transport::cups::CupsSettings;
use loragw_gateway_io::transport::lbs::LbsSettings;
use loragw_gateway_io::transport::mqtt_server::{MqttSettings, RateLimit};
use loragw_gateway_io::transport::tabs::TabsSettings;
use loragw_gateway_io::transport::tls::TlsConfig;
use loragw_gateway_io::transport::udp::UdpSettings;
use loragw_gateway_io::transport::{GatewayServer, ServerError};
use loragw_ttnpb::DownlinkMessage;
use serde_json::{Value, json};

/// Why the server could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The registry section is invalid.
    Registry(loragw_gateway_io::registry::RegistryConfigError),
    /// The TLS files could not be loaded.
    Tls(loragw_gateway_io::transport::tls::TlsError),
    /// A TLS listener is configured without `[tls]`.
    NoTls(&'static str),
    /// A file could not be read.
    Io(String, std::io::Error),
    /// A listener could not start.
    Server(ServerError),
    /// A config value is unusable.
    Config(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Registry(e) => write!(f, "registry: {e}"),
            StartError::Tls(e) => write!(f, "tls: {e}"),
            StartError::NoTls(l) => write!(f, "listeners.{l} needs a [tls] section"),
            StartError::Io(p, e) => write!(f, "{p}: {e}"),
            StartError::Server(e) => write!(f, "{e}"),
            StartError::Config(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for StartError {}

/// The CUPS policy of the config: gateways listed under `[[cups.gateway]]` get the LNS URI
/// and their LNS key; others are not managed.
fn cups_settings(cups: &CupsConfig, limits: TcpLimits) -> Result<CupsSettings, StartError> {
    let trust = match &cups.lns_trust_der {
        Some(path) => Some(std::fs::read(path).map_err(|e| StartError::Io(path.clone(), e))?),
        None => None,
    };
    let uri = cups.lns_uri.clone();
    let update = cups
        .update
        .as_ref()
        .map(cups_update)
        .transpose()
        .map_err(StartError::Config)?;
    let keys: HashMap<String, String> = cups
        .gateways
        .iter()
        .map(|g| Ok((g.id.clone(), cups_lns_key(g)?)))
        .collect::<Result<_, String>>()
        .map_err(StartError::Config)?;
    let mut settings = CupsSettings::new(move |gateway: &GatewayRecord, _: &UpdateInfoRequest| {
        let key = keys.get(&gateway.ids.gateway_id)?;
        Some(CupsTarget {
            tc_uri: Some(uri.clone()),
            tc_credentials: Some(Credentials::token(trust.clone(), key)),
            update: update.clone(),
            ..Default::default()
        })
    });
    settings.limits = limits;
    Ok(settings)
}

/// The TCP bounds of `[limits]` over gateway-io's defaults.
fn tcp_limits(options: &LimitsOptions) -> TcpLimits {
    let mut limits = TcpLimits::default();
    if let Some(n) = options.max_connections {
        limits.max_connections = n;
    }
    if let Some(n) = options.max_connections_per_ip {
        limits.max_connections_per_ip = n;
    }
    if let Some(n) = options.max_sessions {
        limits.max_sessions = n;
    }
    if let Some(secs) = options.handshake_timeout_secs {
        limits.handshake_timeout = Duration::from_secs(secs);
    }
    if let Some(secs) = options.write_timeout_secs {
        limits.write_timeout = Duration::from_secs(secs);
    }
    limits
}

/// The Semtech UDP listener of `[udp]` over gateway-io's defaults.
fn udp_settings(options: &UdpOptions) -> UdpSettings {
    let mut udp = UdpConfig {
        allow_unregistered: options.allow_unregistered,
        ..Default::default()
    };
    if let Some(secs) = options.idle_timeout_secs {
        udp.server.connection_expiry = Duration::from_secs(secs);
    }
    udp.server.address_change_block = options.address_change_block_secs.map(Duration::from_secs);
    if let Some(n) = options.max_gateways {
        udp.server.max_gateways = n;
    }
    UdpSettings::new(udp)
}

/// An MQTT listener of `[mqtt]` and `[limits]` over gateway-io's defaults.
fn mqtt_settings(
    version: MqttVersion,
    options: &MqttOptions,
    limits: TcpLimits,
) -> Result<MqttSettings, StartError> {
    let mut settings = MqttSettings::new(version).with_limits(limits);
    if let Some(secs) = options.idle_timeout_secs {
        settings = settings.with_max_idle(Duration::from_secs(secs));
    }
    match (options.publish_rate, options.publish_burst) {
        (None, None) => {}
        (Some(per_second), Some(burst)) if per_second > 0 && burst > 0 => {
            settings = settings.with_publish_rate_limit(RateLimit { per_second, burst });
        }
        _ => {
            return Err(StartError::Config(
                "mqtt: publish_rate and publish_burst go together, both above 0".into(),
            ));
        }
    }
    Ok(settings)
}

/// Starts every configured listener.
pub async fn start(config: ServerConfig) -> Result<GatewayServer, StartError> {
    let registry = InMemoryRegistry::from_config(config.registry).map_err(StartError::Registry)?;
    let tls = match &config.tls {
        Some(files) => {
            Some(TlsConfig::from_pem_files(&files.cert, &files.key).map_err(StartError::Tls)?)
        }
        None => None,
    };
    // Basics Station (LNS, CUPS) and Tabs Hubs: also client certificates with `client_ca`.
    let station_tls = match (&tls, config.tls.as_ref().and_then(|f| f.client_ca.as_ref())) {
        (Some(tls), Some(ca)) => Some(
            tls.clone()
                .with_client_ca_file(ca)
                .map_err(StartError::Tls)?,
        ),
        _ => tls.clone(),
    };
    let enabled = |a: &Option<String>| a.clone().filter(|a| !a.is_empty());
    let listeners = &config.listeners;
    let limits = tcp_limits(&config.limits);
    let mut builder = GatewayServer::builder().shared_registry(Arc::new(registry));
    if let Some(addr) = enabled(&listeners.udp) {
        builder = builder.udp_with(addr.as_str(), udp_settings(&config.udp));
    }
    let mut lbs = LbsSettings::new(LbsConfig {
        allow_unauthenticated: config.lbs.allow_unauthenticated,
        ..Default::default()
    });
    lbs.limits = limits;
    if let Some(secs) = config.lbs.ping_interval_secs {
        lbs.ping_interval = Duration::from_secs(secs);
    }
    lbs.traffic_base = config.lbs.traffic_uri_base.clone();
    if let Some(addr) = enabled(&listeners.lbs) {
        builder = builder.basic_station_with(addr.as_str(), lbs.clone());
    }
    if let Some(addr) = enabled(&listeners.lbs_tls) {
        let tls = station_tls.clone().ok_or(StartError::NoTls("lbs_tls"))?;
        builder = builder.basic_station_tls(addr.as_str(), lbs.clone(), tls);
    }
    // Tabs Hubs share the Basics Station knobs: ping interval, traffic base, connection caps.
    let tabs = TabsSettings::new(TabsFrontendConfig {
        allow_unauthenticated: config.lbs.allow_unauthenticated,
        ..Default::default()
    })
    .with_websocket(lbs.clone());
    if let Some(addr) = enabled(&listeners.tabs_hubs) {
        builder = builder.tabs_hubs_with(addr.as_str(), tabs.clone());
    }
    if let Some(addr) = enabled(&listeners.tabs_hubs_tls) {
        let tls = station_tls
            .clone()
            .ok_or(StartError::NoTls("tabs_hubs_tls"))?;
        builder = builder.tabs_hubs_tls(addr.as_str(), tabs, tls);
    }
    if let Some(addr) = enabled(&listeners.cups) {
        builder = builder.cups(addr.as_str(), cups_settings(&config.cups, limits)?);
    }
    if let Some(addr) = enabled(&listeners.cups_tls) {
        let tls = station_tls.clone().ok_or(StartError::NoTls("cups_tls"))?;
        builder = builder.cups_tls(addr.as_str(), cups_settings(&config.cups, limits)?, tls);
    }
    let mqtt = [
        (&listeners.mqtt_v3, MqttVersion::V3, None),
        (&listeners.mqtt_v3_tls, MqttVersion::V3, Some("mqtt_v3_tls")),
        (&listeners.mqtt_v2, MqttVersion::V2, None),
        (&listeners.mqtt_v2_tls, MqttVersion::V2, Some("mqtt_v2_tls")),
    ];
    for (addr, version, tls_name) in mqtt {
        let Some(addr) = enabled(addr) else { continue };
        let settings = mqtt_settings(version, &config.mqtt, limits)?;
        builder = match tls_name {
            None => builder.mqtt_with(addr.as_str(), settings),
            Some(name) => {
                let tls = tls.clone().ok_or(StartError::NoTls(name))?;
                builder.mqtt_tls(addr.as_str(), settings, tls)
            }
        };
    }
    builder.start().await.map_err(StartError::Server)
}

/// One event as a JSON object: gateway-io's JSON form of events (`event`, `gateway_id`, `eui`,
/// `protocol`, and `message` / `status` / `ack` in ttnpb's JSON mapping, or `remote` / `reason`),
/// plus `tenant_id` for a tenant's gateway (whose `gateway_id` is `gateway-id@tenant-id`).
/// The value of [`event_line`].
pub fn event_json(event: &GatewayEvent) -> Value {
    serde_json::from_str(&event_line(event)).unwrap_or_else(|e| json!({ "error": e.to_string() }))
}

/// One event as its JSON line (no newline), as [`event_json`] describes it, serialised
/// straight into the string: no intermediate `serde_json::Value` (a map and a string per
/// field), which made event output cost more than the Semtech UDP path that produced the event.
/// `tenant_id` comes first, the event's own fields after it in gateway-io's order.
pub fn event_line(event: &GatewayEvent) -> String {
    let body = serde_json::to_string(event)
        .unwrap_or_else(|e| json!({ "error": e.to_string() }).to_string());
    match event.gateway().tenant_id() {
        // `body` is an object with at least `event`: the tenant goes in front of its fields.
        Some(tenant) if body.starts_with('{') && body.len() > 2 => {
            let tenant = serde_json::to_string(tenant).unwrap_or_else(|_| "\"\"".into());
            format!("{{\"tenant_id\":{tenant},{}", &body[1..])
        }
        _ => body,
    }
}

/// A downlink line: `{"gateway_id": "...", "downlink": <ttnpb DownlinkMessage JSON>}`.
pub fn parse_downlink(line: &str) -> Result<(GatewayIds, DownlinkMessage), String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Line {
        gateway_id: String,
        downlink: DownlinkMessage,
    }
    let line: Line = serde_json::from_str(line).map_err(|e| e.to_string())?;
    Ok((GatewayIds::new(line.gateway_id, None), line.downlink))
}
