//! The bridge's TOML config file and the upstream filters.

use std::time::Duration;

use loragw_gateway_io::ttnpb::UplinkMessage;
use loragw_gateway_io::ttnpb::message::Payload;
use loragw_semtech_udp::GatewayEui;
use serde::Deserialize;

use crate::gateway_forwarder::net::host_port;

/// The whole file.
///
/// ```toml
/// listen = "0.0.0.0:1700"           # where the local packet forwarder sends (UDP)
/// gateway_eui = "58A0CBFFFE800001"  # the local forwarder's EUI; other EUIs are refused
/// buffer = 1000                     # uplinks kept per upstream while it is down
/// reconnect_min_ms = 500            # backoff after a lost connection, doubling ...
/// reconnect_max_ms = 30000          # ... up to this
///
/// [[upstream]]
/// name = "tts-lbs"                  # for logs and the summary (default: the protocol)
/// protocol = "lbs"                  # lbs | mqtt-v3 | mqtt-v2 | udp
/// address = "ws://127.0.0.1:1887"   # lbs: ws:// or wss://host:port; mqtt and udp: host:port
/// key = "NNSXS...."                 # lbs: Authorization header; mqtt: password
/// # tls_ca = "ca.pem"               # lbs with wss://, or MQTT over TLS: the CA certificates to trust (PEM)
/// # gateway_id = "my-gateway"       # mqtt: username and topic id (required)
/// # eui = "..."                     # this upstream's gateway EUI (default gateway_eui)
/// # discovery = true                # lbs: ask /router-info for the traffic URI first
/// # downlink = true                 # take downlinks from this upstream
/// # dev_addr_prefixes = ["26000000/7"]                      # data uplinks: only these
/// # join_eui_ranges = [["0000000000000000", "00000000FFFFFFFF"]] # join-requests: only these
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BridgeConfig {
    /// Local UDP address the packet forwarder sends to. Default `0.0.0.0:1700`.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// EUI of the local packet forwarder (`gateway_ID` in its `local_conf.json`).
    pub gateway_eui: String,
    /// Uplinks kept per upstream while it is down; beyond it the oldest are dropped (and
    /// counted). Default 1000.
    #[serde(default = "default_buffer")]
    pub buffer: usize,
    /// First wait after a lost connection, in ms; it doubles per failed attempt. Default 500.
    #[serde(default = "default_reconnect_min")]
    pub reconnect_min_ms: u64,
    /// Longest wait between attempts, in ms. Default 30 000.
    #[serde(default = "default_reconnect_max")]
    pub reconnect_max_ms: u64,
    /// The network servers.
    #[serde(rename = "upstream", default)]
    pub upstreams: Vec<UpstreamConfig>,
}

fn default_listen() -> String {
    "0.0.0.0:1700".into()
}
fn default_buffer() -> usize {
    1000
}
fn default_reconnect_min() -> u64 {
    500
}
fn default_reconnect_max() -> u64 {
    30_000
}
fn default_true() -> bool {
    true
}

/// The protocol of an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum UpstreamProtocol {
    /// LoRa Basics Station LNS (the bridge acts as a station).
    Lbs,
    /// The Things Stack MQTT v3 (protobuf).
    MqttV3,
    /// The Things Stack MQTT v2 (legacy).
    MqttV2,
    /// Semtech UDP (a relay).
    Udp,
}

impl UpstreamProtocol {
    /// The config name (`lbs`, `mqtt-v3`, `mqtt-v2`, `udp`).
    pub fn name(self) -> &'static str {
        match self {
            UpstreamProtocol::Lbs => "lbs",
            UpstreamProtocol::MqttV3 => "mqtt-v3",
            UpstreamProtocol::MqttV2 => "mqtt-v2",
            UpstreamProtocol::Udp => "udp",
        }
    }
}

/// One network server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct UpstreamConfig {
    /// Name in logs and the summary; default the protocol name.
    #[serde(default)]
    pub name: Option<String>,
    /// Protocol.
    pub protocol: UpstreamProtocol,
    /// `ws://host:port` (lbs) or `host:port` (mqtt, udp).
    pub address: String,
    /// Gateway id (MQTT username and topics; required for MQTT).
    #[serde(default)]
    pub gateway_id: Option<String>,
    /// This upstream's gateway EUI; default the local forwarder's.
    #[serde(default)]
    pub eui: Option<String>,
    /// API key: the LNS `Authorization` header or the MQTT password.
    #[serde(default)]
    pub key: Option<String>,
    /// Basics Station with `wss://`: PEM file of the CA certificates to trust (required: the
    /// bridge carries no built-in root store).
    #[serde(default)]
    pub tls_ca: Option<std::path::PathBuf>,
    /// Basics Station: ask `/router-info` for the traffic URI (default true); false connects
    /// straight to `{address}/traffic/eui-{EUI}`.
    #[serde(default = "default_true")]
    pub discovery: bool,
    /// Whether downlinks from this upstream are transmitted (default true). Mirrors that only
    /// receive uplinks set it to false.
    #[serde(default = "default_true")]
    pub downlink: bool,
    /// Data uplinks go to this upstream only when their DevAddr has one of these prefixes
    /// (`"26000000/7"`: hex address, prefix length in bits). Empty: all.
    #[serde(default)]
    pub dev_addr_prefixes: Vec<String>,
    /// Join-requests go to this upstream only when their JoinEUI is in one of these inclusive
    /// ranges (hex EUIs). Empty: all.
    #[serde(default)]
    pub join_eui_ranges: Vec<[String; 2]>,
}

/// Why a config is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl BridgeConfig {
    /// Parses and checks a config file's text.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: BridgeConfig = toml::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// The local forwarder's EUI.
    pub fn local_eui(&self) -> Result<GatewayEui, ConfigError> {
        self.gateway_eui
            .parse()
            .map_err(|_| ConfigError(format!("gateway_eui {:?} is not an EUI", self.gateway_eui)))
    }

    /// The reconnection backoff.
    pub(crate) fn backoff(&self) -> Backoff {
        Backoff::new(
            Duration::from_millis(self.reconnect_min_ms.max(1)),
            Duration::from_millis(self.reconnect_max_ms.max(self.reconnect_min_ms).max(1)),
        )
    }

    /// Checks everything that can be checked without connecting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.local_eui()?;
        if self.upstreams.is_empty() {
            return Err(ConfigError("no [[upstream]]".into()));
        }
        if self.buffer == 0 {
            return Err(ConfigError("buffer must be at least 1".into()));
        }
        for (i, up) in self.upstreams.iter().enumerate() {
            let at = |e: String| ConfigError(format!("upstream[{i}]: {e}"));
            up.filter().map_err(at)?;
            up.eui(self.local_eui()?).map_err(at)?;
            match up.protocol {
                UpstreamProtocol::MqttV3 | UpstreamProtocol::MqttV2 => {
                    let Some(id) = &up.gateway_id else {
                        return Err(at("gateway_id is required for MQTT".into()));
                    };
                    loragw_mqtt_v3::GatewayUid::new(id.clone())
                        .map_err(|e| at(format!("gateway_id {id:?}: {e}")))?;
                    host_port(&up.address).map_err(at)?;
                }
                UpstreamProtocol::Udp => {
                    if up.tls_ca.is_some() {
                        return Err(at("tls_ca: Semtech UDP has no TLS".into()));
                    }
                    host_port(&up.address).map_err(at)?;
                }
                UpstreamProtocol::Lbs => {
                    if up.address.starts_with("wss://") {
                        if up.tls_ca.is_none() {
                            return Err(
                                at("wss:// needs tls_ca (the CA certificates, PEM)".into()),
                            );
                        }
                    } else if !up.address.starts_with("ws://") {
                        return Err(at(format!(
                            "address {:?} must be ws:// or wss://host:port",
                            up.address
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

impl UpstreamConfig {
    /// The name in logs and the summary.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| self.protocol.name().to_owned())
    }

    /// The gateway EUI this upstream knows the gateway by.
    pub fn eui(&self, local: GatewayEui) -> Result<GatewayEui, String> {
        match &self.eui {
            Some(e) => e.parse().map_err(|_| format!("eui {e:?} is not an EUI")),
            None => Ok(local),
        }
    }

    /// The uplink filter.
    pub fn filter(&self) -> Result<UplinkFilter, String> {
        let dev_addr_prefixes = self
            .dev_addr_prefixes
            .iter()
            .map(|p| DevAddrPrefix::parse(p))
            .collect::<Result<_, _>>()?;
        let join_eui_ranges = self
            .join_eui_ranges
            .iter()
            .map(|[lo, hi]| {
                let parse = |s: &String| {
                    s.parse::<GatewayEui>()
                        .map(GatewayEui::to_u64)
                        .map_err(|_| format!("join_eui_ranges: {s:?} is not an EUI"))
                };
                let (lo, hi) = (parse(lo)?, parse(hi)?);
                if lo > hi {
                    return Err(format!("join_eui_ranges: {lo:016X} is above {hi:016X}"));
                }
                Ok((lo, hi))
            })
            .collect::<Result<_, _>>()?;
        Ok(UplinkFilter {
            dev_addr_prefixes,
            join_eui_ranges,
        })
    }
}

/// A DevAddr prefix: the top `bits` bits of `addr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevAddrPrefix {
    /// The address (bits below the prefix are ignored).
    pub addr: u32,
    /// Prefix length, 0 to 32.
    pub bits: u8,
}

impl DevAddrPrefix {
    /// Parses `"26000000/7"`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("dev_addr_prefixes: {text:?} is not like \"26000000/7\"");
        let (addr, bits) = text.split_once('/').ok_or_else(bad)?;
        let addr = u32::from_str_radix(addr, 16).map_err(|_| bad())?;
        let bits = bits
            .parse::<u8>()
            .ok()
            .filter(|b| *b <= 32)
            .ok_or_else(bad)?;
        Ok(DevAddrPrefix { addr, bits })
    }

    /// Whether `dev_addr` has this prefix.
    pub fn matches(&self, dev_addr: u32) -> bool {
        let mask = u32::MAX.checked_shl(32 - u32::from(self.bits)).unwrap_or(0);
        (dev_addr ^ self.addr) & mask == 0
    }
}

/// Which uplinks an upstream gets, as packet multiplexers filter them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UplinkFilter {
    /// Data uplinks: DevAddr prefixes (empty: all).
    pub dev_addr_prefixes: Vec<DevAddrPrefix>,
    /// Join-requests: inclusive JoinEUI ranges (empty: all).
    pub join_eui_ranges: Vec<(u64, u64)>,
}

fn be_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

impl UplinkFilter {
    /// Whether `uplink` passes, judged from its parsed LoRaWAN payload (ttnpb byte order: big
    /// endian). Data uplinks are checked against the DevAddr prefixes, join-requests against
    /// the JoinEUI ranges; other frames (proprietary, rejoin, unparsable) always pass.
    pub fn accepts(&self, uplink: &UplinkMessage) -> bool {
        let payload = uplink.payload.as_ref().and_then(|m| m.payload.as_ref());
        match payload {
            Some(Payload::MacPayload(mac)) if !self.dev_addr_prefixes.is_empty() => {
                let dev_addr = mac
                    .f_hdr
                    .as_ref()
                    .and_then(|f| <[u8; 4]>::try_from(f.dev_addr.as_slice()).ok())
                    .map(u32::from_be_bytes);
                dev_addr.is_some_and(|a| self.dev_addr_prefixes.iter().any(|p| p.matches(a)))
            }
            Some(Payload::JoinRequestPayload(join)) if !self.join_eui_ranges.is_empty() => {
                be_u64(&join.join_eui).is_some_and(|eui| {
                    self.join_eui_ranges
                        .iter()
                        .any(|(lo, hi)| (*lo..=*hi).contains(&eui))
                })
            }
            _ => true,
        }
    }
}

/// Exponential reconnection backoff.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub(crate) fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max,
            next: min,
        }
    }

    /// The wait before the next attempt (doubling up to the maximum).
    pub(crate) fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        wait
    }

    /// After a successful connection.
    pub(crate) fn reset(&mut self) {
        self.next = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loragw_gateway_io::adapter::lorawan::parse_phy_payload;

    fn uplink(phy: &[u8]) -> UplinkMessage {
        UplinkMessage {
            raw_payload: phy.to_vec(),
            payload: parse_phy_payload(phy),
            ..Default::default()
        }
    }

    #[test]
    fn dev_addr_prefixes_filter_data_uplinks_only() {
        let up = |addr: u32| {
            let mut phy = vec![0x40];
            phy.extend_from_slice(&addr.to_le_bytes());
            phy.extend_from_slice(&[0, 1, 0, 1, 0xAA, 1, 2, 3, 4]);
            uplink(&phy)
        };
        let filter = UplinkFilter {
            dev_addr_prefixes: vec![DevAddrPrefix::parse("26000000/7").unwrap()],
            join_eui_ranges: vec![],
        };
        assert!(filter.accepts(&up(0x260B_0001)));
        assert!(filter.accepts(&up(0x27FF_FFFF)));
        assert!(!filter.accepts(&up(0x2800_0000)));
        assert!(!filter.accepts(&up(0x0000_0001)));
        // A join-request is not a data uplink: the DevAddr filter lets it through.
        let mut join = vec![0x00];
        join.extend_from_slice(&[0u8; 22]);
        assert!(filter.accepts(&uplink(&join)));
        assert_eq!(
            DevAddrPrefix::parse("0/0").map(|p| p.matches(0xFFFF_FFFF)),
            Ok(true)
        );
        assert!(DevAddrPrefix::parse("26000000/33").is_err());
        assert!(DevAddrPrefix::parse("26000000").is_err());
    }

    #[test]
    fn join_eui_ranges_filter_join_requests() {
        let join = |eui: u64| {
            let mut phy = vec![0x00];
            phy.extend_from_slice(&eui.to_le_bytes());
            phy.extend_from_slice(&[0x11; 8]);
            phy.extend_from_slice(&[1, 2, 9, 9, 9, 9]);
            uplink(&phy)
        };
        let filter = UplinkFilter {
            dev_addr_prefixes: vec![],
            join_eui_ranges: vec![(0x70B3_D57E_D000_0000, 0x70B3_D57E_D0FF_FFFF)],
        };
        assert!(filter.accepts(&join(0x70B3_D57E_D000_0000)));
        assert!(filter.accepts(&join(0x70B3_D57E_D0FF_FFFF)));
        assert!(!filter.accepts(&join(0x70B3_D57E_D100_0000)));
    }

    #[test]
    fn config_is_checked() {
        let ok = r#"
gateway_eui = "58A0CBFFFE800001"
[[upstream]]
protocol = "mqtt-v3"
address = "127.0.0.1:1882"
gateway_id = "gw-one"
dev_addr_prefixes = ["26000000/7"]
"#;
        let config = BridgeConfig::from_toml(ok).unwrap();
        assert_eq!(config.listen, "0.0.0.0:1700");
        assert_eq!(config.buffer, 1000);
        assert!(config.upstreams[0].downlink);
        let no_id = ok.replace("gateway_id = \"gw-one\"\n", "");
        let err = BridgeConfig::from_toml(&no_id).unwrap_err();
        assert!(err.0.contains("gateway_id"), "{err}");
        let bad_id = ok.replace("gw-one", "-");
        assert!(BridgeConfig::from_toml(&bad_id).is_err());
        let bad_prefix = ok.replace("26000000/7", "xyz");
        assert!(BridgeConfig::from_toml(&bad_prefix).is_err());
        let wss = "gateway_eui = \"0000000000000001\"\n[[upstream]]\nprotocol = \"lbs\"\naddress = \"wss://lns:8887\"\n";
        let err = BridgeConfig::from_toml(wss).unwrap_err();
        assert!(err.0.contains("tls_ca"), "{err}");
        assert!(BridgeConfig::from_toml(&format!("{wss}tls_ca = \"ca.pem\"\n")).is_ok());
        let unknown = ok.replace("mqtt-v3", "carrier-pigeon");
        assert!(BridgeConfig::from_toml(&unknown).is_err());
    }

    #[test]
    fn the_readme_example_config_is_valid() {
        let readme = include_str!("../../../../README.md");
        let start = readme.find("```toml\n# bridge.toml\n").unwrap() + "```toml\n".len();
        let end = start + readme[start..].find("```").unwrap();
        let config = BridgeConfig::from_toml(&readme[start..end]).unwrap();
        let protocols: Vec<_> = config.upstreams.iter().map(|u| u.protocol).collect();
        assert_eq!(
            protocols,
            [
                UpstreamProtocol::Lbs,
                UpstreamProtocol::MqttV3,
                UpstreamProtocol::Udp
            ]
        );
        let relay = config.upstreams[2].filter().unwrap();
        assert_eq!(relay.dev_addr_prefixes.len(), 1);
        assert_eq!(relay.join_eui_ranges.len(), 1);
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let waits: Vec<u64> = (0..4).map(|_| b.next_wait().as_millis() as u64).collect();
        assert_eq!(waits, [100, 200, 350, 350]);
        b.reset();
        assert_eq!(b.next_wait(), Duration::from_millis(100));
    }
}
