//! The `router_config` message (LNS → station): the channel plan a station runs with.
//!
//! Owned by the region/router_config work: this first version fixes the wire names of the fields
//! every other module relies on; the builder from a channel plan and the typed per-chip
//! configuration are added next to it.

use serde::{Deserialize, Serialize};

/// One entry of `DRs`: `[sf, bw_khz, dnonly]`. `sf` < 0 marks an undefined DR, `sf` == 0 FSK.
pub type DrEntry = [i32; 3];

/// The `router_config` message, without its `msgtype` tag (the message enum adds it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RouterConfig {
    /// Region name the station knows (`EU863`, `US902`, `AS923-1`, ...).
    pub region: String,
    /// Hardware spec, `sx1301/N` with N concentrator chips.
    pub hwspec: String,
    /// Lowest and highest downlink frequency in Hz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freq_range: Option<[u64; 2]>,
    /// Data-rate table indexed by DR.
    #[serde(rename = "DRs", default)]
    pub drs: Vec<DrEntry>,
    /// The LNS's UTC time in seconds when the message was sent.
    #[serde(rename = "MuxTime", default, skip_serializing_if = "Option::is_none")]
    pub mux_time: Option<f64>,
}
