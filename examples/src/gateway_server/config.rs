//! The `gateway-server` config file.

use loragw_gateway_io::registry::{
    RegistryConfig, hash_key, parse_gateway_table, split_gateway_tables,
};
use serde::Deserialize;

/// The demo gateway's id.
pub const DEMO_GATEWAY_ID: &str = "demo-gateway";
/// The demo gateway's EUI.
pub const DEMO_GATEWAY_EUI: &str = "58-A0-CB-FF-FE-80-00-01";
/// The demo gateway's LNS key (Basics Station `tc.key`).
pub const DEMO_LNS_KEY: &str = "NNSXS.DEMO-LNS-KEY";
/// The demo gateway's CUPS key (Basics Station `cups.key`).
pub const DEMO_CUPS_KEY: &str = "NNSXS.DEMO-CUPS-KEY";
/// The demo's MQTT gateway of a tenant: the `GATEWAY_ID` of the seed documentation's
/// `mosquitto_pub` / `mosquitto_sub` examples.
pub const DEMO_MQTT_GATEWAY_ID: &str = "test-gtw@my-tenant";
/// The API key (link right) of [`DEMO_MQTT_GATEWAY_ID`]: the examples' `GATEWAY_API_KEY`.
pub const DEMO_MQTT_KEY: &str = "NNSXS.VEEBURF3KR77ZR.DEMO-TEST-GTW-KEY";
/// Where the demo listens: the loopback interface only. Serving other interfaces takes a
/// config file with `[listeners]`.
pub const DEMO_HOST: &str = "127.0.0.1";

/// The whole file.
///
/// ```toml
/// [listeners]            # "" disables one; TLS ones need [tls]
/// udp = "0.0.0.0:1700"
/// lbs = "0.0.0.0:1887"
/// lbs_tls = "0.0.0.0:8887"
/// cups = "0.0.0.0:1885"
/// cups_tls = "0.0.0.0:8885"
/// mqtt_v3 = "0.0.0.0:1882"
/// mqtt_v3_tls = "0.0.0.0:8882"
/// mqtt_v2 = "0.0.0.0:1881"
/// mqtt_v2_tls = "0.0.0.0:8881"
/// tabs_hubs = "0.0.0.0:1888"
/// tabs_hubs_tls = "0.0.0.0:8888"
///
/// [tls]
/// cert = "cert.pem"      # chain, leaf first
/// key = "key.pem"
/// # client_ca = "stations-ca.pem"   # LNS, CUPS, Tabs Hubs: stations may authenticate with a
/// #                                  # client certificate naming their EUI (registry `auth`)
///
/// [udp]
/// allow_unregistered = false
/// # idle_timeout_secs = 180         address_change_block_secs = 60   max_gateways = 100000
///
/// [lbs]
/// allow_unauthenticated = false
/// # ping_interval_secs = 30         traffic_uri_base = "wss://lns.example.com:8887"
///
/// [mqtt]
/// # idle_timeout_secs = 3600        publish_rate = 10   publish_burst = 20
///
/// [metrics]              # Prometheus /metrics, /healthz, JSON API; no authentication
/// # listen = "127.0.0.1:9090"
///
/// [upstream]             # scale-out on an MQTT broker (optional)
/// # url = "mqtts://broker.example.com:8883"   client_id = "gs-1"   prefix = "gs"
/// # qos = 1   encoding = "protobuf"   ca = "ca.pem"   username = "..."   password = "..."
///
/// [limits]               # every TCP listener (LNS, CUPS, MQTT)
/// # max_connections = 10000   max_connections_per_ip = 64   max_sessions = 10000
/// # handshake_timeout_secs = 10     write_timeout_secs = 10
///
/// [cups]
/// lns_uri = "ws://lns.example.com:1887"
/// # lns_trust_der = "ca.der"   # needed for a wss:// LNS
/// [[cups.gateway]]
/// id = "gw-one"
/// lns_key = "NNSXS...."  # handed to the station as its tc.key; or
/// # lns_key_file = "/run/secrets/gw-one-lns-key"   or   lns_key_env = "GW_ONE_LNS_KEY"
/// # [cups.update]       # a signed station update for the managed gateways
/// # version = "2.0.6-update1"   file = "update.sh"   signing_key = "sig.pem"
/// # (or a signature made elsewhere: signature = "update.sig"   key_crc = 1234567)
///
/// [[registry.gateway]]   # gateway-io's registry format
/// id = "gw-one"          # "gw-one@my-tenant" on multi-tenant deployments
/// eui = "58-A0-CB-FF-FE-80-00-01"
/// frequency_plans = ["EU_863_870"]
/// [[registry.gateway.key]]
/// name = "lns"
/// hash = "sha256:<salt hex>:<digest hex>"   # `gateway-server hash-key` prints one
/// rights = ["link"]
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Listen addresses.
    #[serde(default)]
    pub listeners: ListenerAddrs,
    /// Certificate and key for the TLS listeners.
    #[serde(default)]
    pub tls: Option<TlsFiles>,
    /// Semtech UDP options.
    #[serde(default)]
    pub udp: UdpOptions,
    /// Basics Station LNS options.
    #[serde(default)]
    pub lbs: LbsOptions,
    /// MQTT options.
    #[serde(default)]
    pub mqtt: MqttOptions,
    /// Bounds of the TCP listeners.
    #[serde(default)]
    pub limits: LimitsOptions,
    /// The operator's HTTP listener (metrics, health, API).
    #[serde(default)]
    pub metrics: MetricsOptions,
    /// The upstream MQTT broker (scale-out); absent: none.
    #[serde(default)]
    pub upstream: Option<UpstreamOptions>,
    /// What CUPS hands out.
    #[serde(default)]
    pub cups: CupsConfig,
    /// Gateways, keys and frequency plans.
    #[serde(default)]
    pub registry: RegistryConfig,
}

/// Listen addresses; `None` or `""` disables a listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListenerAddrs {
    /// Semtech UDP.
    pub udp: Option<String>,
    /// Basics Station LNS, plain websocket.
    pub lbs: Option<String>,
    /// Basics Station LNS over TLS.
    pub lbs_tls: Option<String>,
    /// CUPS over HTTP.
    pub cups: Option<String>,
    /// CUPS over HTTPS.
    pub cups_tls: Option<String>,
    /// MQTT v3 (ttnpb payloads).
    pub mqtt_v3: Option<String>,
    /// MQTT v3 over TLS.
    pub mqtt_v3_tls: Option<String>,
    /// Legacy MQTT v2 (TTN v2 payloads).
    pub mqtt_v2: Option<String>,
    /// Legacy MQTT v2 over TLS.
    pub mqtt_v2_tls: Option<String>,
    /// Tabs Hubs (legacy Tabs hubs), plain websocket; same keys and `[lbs]` options as the
    /// Basics Station listener.
    pub tabs_hubs: Option<String>,
    /// Tabs Hubs over TLS.
    pub tabs_hubs_tls: Option<String>,
}

impl Default for ListenerAddrs {
    /// The Things Stack's plain ports; TLS listeners only when listed (they need `[tls]`).
    fn default() -> Self {
        ListenerAddrs {
            udp: Some("0.0.0.0:1700".into()),
            lbs: Some("0.0.0.0:1887".into()),
            lbs_tls: None,
            cups: Some("0.0.0.0:1885".into()),
            cups_tls: None,
            mqtt_v3: Some("0.0.0.0:1882".into()),
            mqtt_v3_tls: None,
            mqtt_v2: Some("0.0.0.0:1881".into()),
            mqtt_v2_tls: None,
            tabs_hubs: Some("0.0.0.0:1888".into()),
            tabs_hubs_tls: None,
        }
    }
}

/// PEM files for the TLS listeners.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// Certificate chain, leaf first.
    pub cert: String,
    /// Private key.
    pub key: String,
    /// CA certificates (PEM) that issue stations' TLS client certificates: the Basics Station
    /// LNS, CUPS and Tabs Hubs TLS listeners then ask for one, and a station whose certificate
    /// names its EUI needs no key where its registry entry has
    /// `auth = ["client-certificate"]` (stations without a certificate still use keys). The
    /// MQTT listeners do not ask for client certificates.
    #[serde(default)]
    pub client_ca: Option<String>,
}

/// Semtech UDP options; an absent value keeps gateway-io's default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct UdpOptions {
    /// Serve gateways that are not in the registry (as `eui-<hex>`).
    pub allow_unregistered: bool,
    /// A gateway is disconnected after this many seconds without a datagram (default 180).
    pub idle_timeout_secs: Option<u64>,
    /// The address guard: refuse a gateway's datagrams from another IP address while it was
    /// heard from within this many seconds (default: off, NAT rebinding is normal).
    pub address_change_block_secs: Option<u64>,
    /// Most gateways served at once (default 100,000).
    pub max_gateways: Option<usize>,
}

/// Basics Station LNS options; an absent value keeps gateway-io's default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct LbsOptions {
    /// Accept stations without an `Authorization` header (unless their entry requires one).
    pub allow_unauthenticated: bool,
    /// Seconds between websocket pings (default 30).
    pub ping_interval_secs: Option<u64>,
    /// The `scheme://host:port` of the traffic URI in discovery answers (default: from the
    /// request's `Host` header), e.g. `wss://lns.example.com:8887` behind a proxy.
    pub traffic_uri_base: Option<String>,
}

/// MQTT options (v3 and v2 listeners); an absent value keeps gateway-io's default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct MqttOptions {
    /// Longest silence, in seconds, of a gateway that connected with keep-alive 0 (default
    /// 3600).
    pub idle_timeout_secs: Option<u64>,
    /// PUBLISHes per second a gateway may send, sustained; faster closes the connection
    /// (default: no limit). Needs `publish_burst`.
    pub publish_rate: Option<u32>,
    /// PUBLISHes allowed at once under `publish_rate`.
    pub publish_burst: Option<u32>,
}

/// The operator's HTTP listener: Prometheus `/metrics`, `/healthz` and the JSON API (see
/// the `http` module of `gateway_server`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct MetricsOptions {
    /// Listen address, e.g. `127.0.0.1:9090`; absent or `""`: no listener. It has no
    /// authentication: keep it on a private interface.
    pub listen: Option<String>,
}

/// The upstream MQTT broker: events out, downlinks in, in the ChirpStack Gateway Bridge topic
/// layout (see `loragw_gateway_io::transport::mqtt_upstream`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct UpstreamOptions {
    /// `mqtt://host:port` or `mqtts://host:port` (ports default to 1883 / 8883).
    pub url: String,
    /// Client id, which names this instance in the state topics and its last will. Every
    /// instance needs its own.
    pub client_id: String,
    /// Username.
    #[serde(default)]
    pub username: Option<String>,
    /// Password.
    #[serde(default)]
    pub password: Option<String>,
    /// Topic prefix (default `gs`).
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// QoS of publishes and subscriptions: 0 or 1 (default 1: nothing the broker
    /// acknowledged is lost, unacknowledged publishes are sent again after a reconnection).
    #[serde(default = "default_qos")]
    pub qos: u8,
    /// `protobuf` (default) or `json` (ttnpb's proto3 JSON).
    #[serde(default)]
    pub encoding: UpstreamEncoding,
    /// PEM file of the CA that signed the broker's certificate (`mqtts://`); absent: the
    /// system's roots.
    #[serde(default)]
    pub ca: Option<String>,
    /// PEM client certificate chain, for brokers that authenticate clients by certificate.
    #[serde(default)]
    pub client_cert: Option<String>,
    /// PEM client key (with `client_cert`).
    #[serde(default)]
    pub client_key: Option<String>,
    /// Messages buffered while the broker is away (default 4096); more are dropped and
    /// counted (`ttn_lw_gs_upstream_publish_failures_total`).
    #[serde(default = "default_queue")]
    pub queue: usize,
}

fn default_prefix() -> String {
    "gs".into()
}

fn default_qos() -> u8 {
    1
}

fn default_queue() -> usize {
    4096
}

/// Upstream payload encoding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamEncoding {
    /// Binary ttnpb messages.
    #[default]
    Protobuf,
    /// ttnpb's proto3 JSON.
    Json,
}

/// Bounds of every TCP listener (Basics Station, CUPS, MQTT); an absent value keeps
/// gateway-io's default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct LimitsOptions {
    /// TCP connections per listener (default 10,000).
    pub max_connections: Option<usize>,
    /// TCP connections per IP address and listener (default 64).
    pub max_connections_per_ip: Option<usize>,
    /// Gateway sessions per listener (default 10,000).
    pub max_sessions: Option<usize>,
    /// Seconds from accept to a complete handshake (TLS, websocket upgrade, HTTP request or
    /// MQTT CONNECT; default 10).
    pub handshake_timeout_secs: Option<u64>,
    /// Seconds one write to a peer may take (default 10).
    pub write_timeout_secs: Option<u64>,
}

/// What CUPS hands out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CupsConfig {
    /// The LNS URI stations are told to use.
    pub lns_uri: String,
    /// DER file of the CA that signed the LNS certificate (needed for `wss://`).
    pub lns_trust_der: Option<String>,
    /// Gateways managed by CUPS, with the LNS key each gets.
    #[serde(rename = "gateway")]
    pub gateways: Vec<CupsGateway>,
    /// A station update handed to the managed gateways.
    pub update: Option<CupsUpdate>,
}

/// A station update CUPS hands out (`[cups.update]`): sent to a managed gateway while its
/// `package` differs from `version`, with the signature by a key the station has.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CupsUpdate {
    /// The version a station reports (`package`) once it runs the update.
    pub version: String,
    /// The update data (a file the station runs, e.g. a shell script or a package).
    pub file: String,
    /// PEM file of the P-256 signing key (SEC1 or PKCS#8): the update is signed at start, for
    /// the stations that have its public key as a `sig-N.key` (their `keys` list its CRC).
    #[serde(default)]
    pub signing_key: Option<String>,
    /// A signature made elsewhere: DER file (ECDSA P-256 over SHA-512 of the data) ...
    #[serde(default)]
    pub signature: Option<String>,
    /// ... and the CRC32 of the station's raw public key it verifies with.
    #[serde(default)]
    pub key_crc: Option<u32>,
}

impl Default for CupsConfig {
    fn default() -> Self {
        CupsConfig {
            lns_uri: "ws://localhost:1887".into(),
            lns_trust_der: None,
            gateways: Vec::new(),
            update: None,
        }
    }
}

/// A gateway managed by CUPS, with the LNS key handed to the station (`tc.key`): exactly one
/// of `lns_key`, `lns_key_file`, `lns_key_env`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CupsGateway {
    /// Gateway id (as in the registry; `gateway-id@tenant-id` for a tenant's gateway).
    pub id: String,
    /// The key in plain text.
    #[serde(default)]
    pub lns_key: Option<String>,
    /// A file holding the key (surrounding whitespace is ignored).
    #[serde(default)]
    pub lns_key_file: Option<String>,
    /// An environment variable holding the key.
    #[serde(default)]
    pub lns_key_env: Option<String>,
}

impl ServerConfig {
    /// [`demo`](Self::demo) with TLS listeners on [`DEMO_HOST`]: Basics Station LNS on 8887,
    /// CUPS on 8885, MQTT v3 on 8882, with the certificate of `tls`.
    pub fn demo_with_tls(tls: &super::demo_tls::DemoTls) -> Self {
        let mut config = Self::demo();
        config.listeners.lbs_tls = Some(format!("{DEMO_HOST}:8887"));
        config.listeners.cups_tls = Some(format!("{DEMO_HOST}:8885"));
        config.listeners.mqtt_v3_tls = Some(format!("{DEMO_HOST}:8882"));
        config.tls = Some(TlsFiles {
            cert: tls.cert.display().to_string(),
            key: tls.key.display().to_string(),
            client_ca: None,
        });
        config
    }

    /// Parses a config file.
    ///
    /// The `[[registry.gateway]]` tables are parsed one at a time (see gateway-io's
    /// `registry::split_gateway_tables`), so the parser never holds a large registry whole.
    /// Where that cut is unsure, or anything in the file is wrong, the whole text is parsed
    /// instead: the result and the error are the same either way.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        if let Some(config) = Self::from_toml_by_gateway(text) {
            return Ok(config);
        }
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// [`from_toml`](Self::from_toml) one gateway table at a time; `None` on anything unsure
    /// or wrong.
    fn from_toml_by_gateway(text: &str) -> Option<Self> {
        const TABLE: &str = "registry.gateway";
        let tables = split_gateway_tables(text, TABLE)?;
        let mut config: ServerConfig = toml::from_str(&tables.rest).ok()?;
        if !config.registry.gateways.is_empty() {
            return None;
        }
        config.registry.gateways = tables
            .gateways
            .iter()
            .map(|table| parse_gateway_table(table, TABLE))
            .collect::<Option<_>>()?;
        Some(config)
    }

    /// The built-in demo: The Things Stack's plain ports on [`DEMO_HOST`] (loopback) only; one
    /// gateway ([`DEMO_GATEWAY_ID`], EU868) reachable over every protocol that carries a key,
    /// with [`DEMO_LNS_KEY`] / [`DEMO_CUPS_KEY`] (having keys, it is not served over Semtech
    /// UDP, which has no credentials); the MQTT gateway [`DEMO_MQTT_GATEWAY_ID`] of tenant
    /// `my-tenant` with [`DEMO_MQTT_KEY`]; and any other Semtech UDP forwarder accepted as
    /// `eui-…`.
    pub fn demo() -> Self {
        let text = format!(
            r#"
[listeners]
udp = "{DEMO_HOST}:1700"
lbs = "{DEMO_HOST}:1887"
cups = "{DEMO_HOST}:1885"
mqtt_v3 = "{DEMO_HOST}:1882"
mqtt_v2 = "{DEMO_HOST}:1881"
tabs_hubs = "{DEMO_HOST}:1888"

[udp]
allow_unregistered = true

[cups]
lns_uri = "ws://localhost:1887"
[[cups.gateway]]
id = "{DEMO_GATEWAY_ID}"
lns_key = "{DEMO_LNS_KEY}"

[[registry.gateway]]
id = "{DEMO_GATEWAY_ID}"
eui = "{DEMO_GATEWAY_EUI}"
frequency_plans = ["EU_863_870"]

[[registry.gateway.key]]
name = "lns"
hash = "{lns}"
rights = ["link"]

[[registry.gateway.key]]
name = "cups"
hash = "{cups}"
rights = ["info", "settings_basic", "read_secrets"]

[[registry.gateway]]
id = "{DEMO_MQTT_GATEWAY_ID}"
frequency_plans = ["EU_863_870"]

[[registry.gateway.key]]
name = "link"
hash = "{mqtt}"
rights = ["link"]
"#,
            mqtt = hash_key(DEMO_MQTT_KEY, b"demo-salt-mqtt-1"),
            lns = hash_key(DEMO_LNS_KEY, b"demo-salt-lns-01"),
            cups = hash_key(DEMO_CUPS_KEY, b"demo-salt-cups-1"),
        );
        Self::from_toml(&text).expect("the built-in demo config is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The path before the streaming one: the whole text at once.
    fn whole(text: &str) -> Result<ServerConfig, String> {
        toml::from_str(text).map_err(|e: toml::de::Error| e.to_string())
    }

    /// Every section, with gateway tables between and after them.
    fn config(n: usize) -> String {
        let mut text = String::from("[listeners]\nudp = \"127.0.0.1:1700\"\n\n[udp]\n");
        text.push_str("allow_unregistered = true\n\n[registry]\n\n");
        for i in 0..n {
            text.push_str(&format!(
                "[[registry.gateway]]\nid = \"gw-{i}\"\ntenant = \"t{}\"\n\
                 frequency_plans = [\"EU_863_870\"]\nauth = [\"api-key\"]\n",
                i % 3
            ));
            for k in 0..i % 3 {
                text.push_str(&format!(
                    "  [[registry.gateway.key]] # {k}\n  name = \"k{k}\"\n  \
                     hash = \"{}\"\n  rights = [\"link\"]\n",
                    hash_key(&format!("KEY-{i}-{k}"), b"salt-salt-salt-1")
                ));
            }
            if i == n / 2 {
                text.push_str("\n[cups]\nlns_uri = \"ws://lns:1887\"\n[[cups.gateway]]\n");
                text.push_str("id = \"gw-0@t0\"\nlns_key = \"K\"\n\n");
                text.push_str("[[registry.frequency_plan]]\nid = \"P\"\n");
                text.push_str("band_id = \"EU_863_870\"\ndownlink_channels = [868100000]\n");
                text.push_str("radios = [{ frequency = 868500000, tx = { min = 863000000, max = 870000000 } }]\n");
                text.push_str("uplink_channels = [{ frequency = 868100000, radio = 0, min_data_rate = 0, max_data_rate = 5 }]\n");
                text.push_str("rx2 = { frequency = 869525000, data_rate = 0 }\n\n");
            }
        }
        text.push_str("[mqtt]\nidle_timeout_secs = 60\n");
        text
    }

    #[test]
    fn streamed_config_equals_the_whole_text_one() {
        let text = config(30);
        let streamed = ServerConfig::from_toml_by_gateway(&text).expect("streamed");
        let expected = whole(&text).unwrap();
        assert_eq!(format!("{streamed:?}"), format!("{expected:?}"));
        assert_eq!(streamed.registry.gateways.len(), 30);
        assert_eq!(streamed.registry.gateways[29].keys.len(), 2);
        assert_eq!(streamed.registry.frequency_plans[0].id, "P");
        assert_eq!(streamed.cups.gateways[0].id, "gw-0@t0");
        assert_eq!(streamed.mqtt.idle_timeout_secs, Some(60));
    }

    #[test]
    fn errors_are_those_of_the_whole_text() {
        let good = config(8);
        let cases = [
            good.replacen("id = \"gw-5\"", "id = \"gw-5", 1),
            good.replacen("id = \"gw-2\"", "id = \"gw-2\"\ncolour = 1", 1),
            good.replacen("idle_timeout_secs = 60", "idle_timeout_secs = \"x\"", 1),
            format!("[registry]\ngateway = [{{ id = \"x\", frequency_plans = [] }}]\n{good}"),
        ];
        for text in &cases {
            assert_eq!(
                ServerConfig::from_toml(text).unwrap_err(),
                whole(text).unwrap_err()
            );
        }
        let line = cases[0].lines().position(|l| l == "id = \"gw-5").unwrap() + 1;
        let error = ServerConfig::from_toml(&cases[0]).unwrap_err();
        assert!(error.contains(&format!("line {line}")), "{error}");
    }

    #[test]
    fn unsure_cuts_parse_the_whole_text() {
        let good = config(4);
        let multi = format!("# '''\n{good}");
        assert!(ServerConfig::from_toml_by_gateway(&multi).is_none());
        let spaced = good.replacen("[[registry.gateway]]", "[[ registry.gateway ]]", 1);
        assert!(ServerConfig::from_toml_by_gateway(&spaced).is_none());
        for text in [multi, spaced] {
            let parsed = ServerConfig::from_toml(&text).unwrap();
            assert_eq!(parsed.registry.gateways.len(), 4);
            assert_eq!(
                format!("{parsed:?}"),
                format!("{:?}", whole(&text).unwrap())
            );
        }
    }
}
