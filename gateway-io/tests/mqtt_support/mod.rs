//! Shared pieces of the MQTT end-to-end tests: a registry with test gateways, the sample
//! messages, event waiting with timeouts, and locating the mosquitto binaries.

#![allow(dead_code, unreachable_pub)] // each test file uses a different subset
#![allow(clippy::print_stderr)] // the skip note

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use loragw_gateway_io::event::GatewayEvent;
use loragw_gateway_io::registry::{InMemoryRegistry, hash_key};
use loragw_gateway_io::ttnpb::downlink_message::Settings;
use loragw_gateway_io::ttnpb::{
    DataRate, DownlinkMessage, GatewayIdentifiers, RxMetadata, TxSettings, UplinkMessage,
    tx_settings,
};
use tokio::sync::mpsc;

#[cfg(feature = "mqtt-server")]
pub mod raw;

/// How long any single step of a test may take (a loaded 2-core machine is slow).
pub const STEP: Duration = Duration::from_secs(10);

pub const GW_ONE: &str = "gw-one";
pub const KEY_ONE: &str = "NNSXS.ONE-SECRET";
pub const GW_TWO: &str = "gw-two";
pub const KEY_TWO: &str = "NNSXS.TWO-SECRET";
/// Registered with a key that has only the info right (no link).
pub const GW_INFO: &str = "gw-info";
pub const KEY_INFO: &str = "NNSXS.INFO-ONLY";

pub fn registry() -> Arc<InMemoryRegistry> {
    Arc::new(in_memory_registry())
}

pub fn in_memory_registry() -> InMemoryRegistry {
    let toml = format!(
        r#"
[[gateway]]
id = "{GW_ONE}"
eui = "0102030405060708"
frequency_plans = ["EU_863_870"]
[[gateway.key]]
name = "one"
hash = "{}"
rights = ["link"]

[[gateway]]
id = "{GW_TWO}"
frequency_plans = ["EU_863_870"]
[[gateway.key]]
name = "two"
hash = "{}"
rights = ["all"]

[[gateway]]
id = "{GW_INFO}"
frequency_plans = ["EU_863_870"]
[[gateway.key]]
name = "info"
hash = "{}"
rights = ["info"]
"#,
        hash_key(KEY_ONE, b"salt-one"),
        hash_key(KEY_TWO, b"salt-two"),
        hash_key(KEY_INFO, b"salt-info"),
    );
    InMemoryRegistry::from_toml(&toml).expect("test registry config")
}

/// An uplink as a gateway would publish it (data frame, one metadata entry).
pub fn sample_uplink(fcnt: u8) -> UplinkMessage {
    UplinkMessage {
        raw_payload: vec![
            0x40, 0x04, 0x03, 0x02, 0x01, 0x80, fcnt, 0x00, 0x01, 0xAA, 0xBB, 0xCC, 0xDD, 0x11,
            0x22, 0x33, 0x44,
        ],
        settings: Some(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: 1_000_000 + u32::from(fcnt),
            ..Default::default()
        }),
        rx_metadata: vec![RxMetadata {
            gateway_ids: Some(GatewayIdentifiers {
                gateway_id: "whoever".into(),
                eui: vec![],
            }),
            rssi: -42.0,
            channel_rssi: -42.0,
            snr: 9.5,
            timestamp: 1_000_000 + u32::from(fcnt),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// A scheduled downlink, as the application sends it.
pub fn sample_downlink() -> DownlinkMessage {
    DownlinkMessage {
        raw_payload: vec![
            0x60, 0x04, 0x03, 0x02, 0x01, 0x00, 0x02, 0x00, 0x01, 0x8f, 0xdf, 0xdc, 0x95,
        ],
        correlation_ids: vec!["app:test:1".into()],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: 6_000_000,
            downlink: Some(tx_settings::Downlink {
                tx_power: 16.15,
                ..Default::default()
            }),
            ..Default::default()
        })),
        ..Default::default()
    }
}

/// The next event, failing the test after [`STEP`].
pub async fn next_event(events: &mut mpsc::Receiver<GatewayEvent>) -> GatewayEvent {
    tokio::time::timeout(STEP, events.recv())
        .await
        .expect("an event within the step timeout")
        .expect("the event channel is open")
}

/// The next event of a server, failing the test after [`STEP`].
#[cfg(feature = "server")]
pub async fn next_server_event(
    server: &mut loragw_gateway_io::transport::GatewayServer,
) -> GatewayEvent {
    tokio::time::timeout(STEP, server.next_event())
        .await
        .expect("an event within the step timeout")
        .expect("the server is running")
}

/// A binary by name, looked for on `PATH` and in the sbin directories (mosquitto lives in
/// `/usr/sbin`).
pub fn find_binary(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The mosquitto binaries a test needs. Missing binaries fail the test when `CI` is set and
/// skip it (returning `None`, with a note on stderr) otherwise.
pub fn mosquitto_tools(names: &[&str]) -> Option<Vec<PathBuf>> {
    let found: Vec<_> = names.iter().map(|n| find_binary(n)).collect();
    if found.iter().all(Option::is_some) {
        return Some(found.into_iter().flatten().collect());
    }
    let missing: Vec<_> = names
        .iter()
        .zip(&found)
        .filter(|(_, f)| f.is_none())
        .map(|(n, _)| *n)
        .collect();
    if std::env::var_os("CI").is_some() {
        panic!("CI: {missing:?} not installed (apt-get install mosquitto mosquitto-clients)");
    }
    eprintln!("skipping: {missing:?} not installed (apt-get install mosquitto mosquitto-clients)");
    None
}

/// A file in a fresh temporary directory, removed with it.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("loragw-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    pub fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("temp file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Lower-case hex to bytes (mosquitto_sub `-F %x` output).
pub fn from_hex(text: &str) -> Vec<u8> {
    let text = text.trim();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digits"))
        .collect()
}
