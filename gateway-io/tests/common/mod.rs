//! Shared fixtures of the end-to-end tests: a registry with two gateways and their keys.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::time::Duration;

use loragw_gateway_io::ids::{Eui64, GatewayIds};
use loragw_gateway_io::registry::{GatewayRecord, InMemoryRegistry, Right};

/// Every wait in the end-to-end tests is bounded by this (generous for a loaded machine).
pub const STEP: Duration = Duration::from_secs(10);

pub const GW_EUI: u64 = 0x0102_0304_0506_0708;
pub const GW_ID: &str = "gw-one";
pub const LNS_KEY: &str = "NNSXS.LNS-KEY-FOR-TESTS";
pub const CUPS_KEY: &str = "NNSXS.CUPS-KEY-FOR-TESTS";

/// A UDP-only gateway (no key, no authentication required).
pub const UDP_EUI: u64 = 0xAA55_5A00_0000_0101;
pub const UDP_ID: &str = "gw-udp";

pub fn gateway_ids() -> GatewayIds {
    GatewayIds::new(GW_ID, Some(Eui64::from_u64(GW_EUI)))
}

/// `gw-one` (EU868, LNS key with `link`, CUPS key with the CUPS rights, authentication
/// required) and `gw-udp` (EU868, no keys).
pub fn registry() -> InMemoryRegistry {
    let mut record = GatewayRecord::new(gateway_ids(), vec!["EU_863_870".into()]);
    record.require_authenticated_connection = true;
    let mut registry = InMemoryRegistry::default();
    registry
        .add_gateway(record, "lns", LNS_KEY, b"salt-for-lns-key", &[Right::Link])
        .unwrap();
    registry
        .add_gateway(
            GatewayRecord::new(
                GatewayIds::new(UDP_ID, Some(Eui64::from_u64(UDP_EUI))),
                vec!["EU_863_870".into()],
            ),
            "unused",
            "UNUSED-KEY",
            b"salt-for-unused!",
            &[Right::Link],
        )
        .unwrap();
    registry
}

/// As [`registry`], with the CUPS key configured through TOML (a second key on `gw-one`).
pub fn registry_with_cups_key() -> InMemoryRegistry {
    use loragw_gateway_io::registry::hash_key;
    let text = format!(
        r#"
[[gateway]]
id = "{GW_ID}"
eui = "01-02-03-04-05-06-07-08"
frequency_plans = ["EU_863_870"]
require_authenticated_connection = true

[[gateway.key]]
name = "lns"
hash = "{lns}"
rights = ["link"]

[[gateway.key]]
name = "cups"
hash = "{cups}"
rights = ["info", "settings_basic", "read_secrets"]
"#,
        lns = hash_key(LNS_KEY, b"salt-for-lns-key"),
        cups = hash_key(CUPS_KEY, b"salt-for-cup-key"),
    );
    InMemoryRegistry::from_toml(&text).unwrap()
}
