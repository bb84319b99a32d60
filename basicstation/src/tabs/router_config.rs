//! The Tabs Hubs `router_config`: one reduced `sx1301_conf`, `upchannels`, `regionid`,
//! `max_eirp`, `protocol` 1 and `config.region` = `"<region>/tracknet"`.
//!
//! [`build_tabs_router_config`] validates the channel plan with the Basics Station builder
//! ([`crate::channel_plan::build_router_config`]: radios enabled, IF offsets in range, uplink
//! DRs defined) and then writes the Tabs form, fixing what The Things Stack gets wrong where a
//! hub tolerates it: `DRs` has `-1` for undefined DRs and the `dnonly` flag on downlink-only DRs
//! (The Things Stack sends `[0,0,0]` and never sets `dnonly`), and the LoRa standard channel is
//! enabled when the plan has one (The Things Stack before 3.13.1 always disabled it). The FSK
//! channel stays disabled, as at The Things Stack.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::channel_plan::{
    ChannelPlan, RouterConfigError, RouterConfigOptions, build_router_config,
};
use crate::error::{DecodeError, EncodeError};
use crate::json::{ObjWriter, check_len};
use crate::region::Region;
use crate::router_config::{DrEntry, FskChannel, IfChannel, LbtConf, LoraStdChannel, UpChannel};

use super::fold::from_folded;

/// `hwspec`: always one SX1301.
pub const HWSPEC: &str = "sx1301/1";
/// `protocol`: always 1.
pub const PROTOCOL: i64 = 1;
/// Multi-SF channel slots written at least (disabled ones pad the plan's channels).
pub const MIN_MULTI_SF_SLOTS: usize = 8;
/// Most `lbt_cfg.chan_cfg` entries.
pub const MAX_LBT_CHANNELS: usize = 8;

/// The Tabs region name and `regionid` of a region; `None` for regions the dialect has no
/// number for (they are sent with `regionid` 0 and the band's own name).
///
/// | region | name | id |
/// |---|---|---|
/// | EU868 | `EU863` | 1 |
/// | US915 | `US902` | 2 |
/// | EU433 | `EU433` | 3 |
/// | AU915 | `AU915` | 4 |
/// | CN470 | `CN470` | 5 |
/// | CN779 | `CN779` | 6 |
/// | AS923 (all) | `AS923` | 7 |
/// | KR920 | `KR920` | 8 |
/// | IN865 | `IN865` | 9 |
/// | IL915 | `IL915` | 10 |
/// | RU864 | `RU864` | 11 |
pub fn tabs_region(region: Region) -> (&'static str, i64) {
    match region {
        Region::Eu868 => ("EU863", 1),
        Region::Us915 => ("US902", 2),
        Region::Eu433 => ("EU433", 3),
        Region::Au915 => ("AU915", 4),
        Region::Cn470 | Region::Cn470Rp001 => ("CN470", 5),
        Region::Cn779 => ("CN779", 6),
        Region::As923_1 | Region::As923_2 | Region::As923_3 | Region::As923_4 => ("AS923", 7),
        Region::Kr920 => ("KR920", 8),
        Region::In865 => ("IN865", 9),
        Region::Il915 => ("IL915", 10),
        Region::Ru864 => ("RU864", 11),
    }
}

/// One `radio_N` of the reduced `sx1301_conf` (`rssi_offset` is always written as 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TabsRadioConf {
    /// `enable`.
    pub enable: bool,
    /// Centre frequency in Hz.
    pub freq: u64,
    /// `tx_enable` (radio 0 only, when built).
    pub tx_enable: bool,
}

/// The one `sx1301_conf` element.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TabsSx1301Conf {
    /// `clksrc`.
    pub clksrc: i64,
    /// `lbt_cfg`, if the plan has LBT.
    pub lbt: Option<LbtConf>,
    /// `radio_0`, `radio_1`, ...
    pub radios: Vec<TabsRadioConf>,
    /// `chan_multiSF_0`, ...: `None` is `{"enable":false}`.
    pub multi_sf: Vec<Option<IfChannel>>,
    /// `chan_Lora_std`.
    pub lora_std: Option<LoraStdChannel>,
    /// `chan_FSK`.
    pub fsk: Option<FskChannel>,
}

/// The `router_config` a Tabs hub gets in answer to `version`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TabsRouterConfig {
    /// Region name (`EU863`, ...); `config.region` is this plus `/tracknet`.
    pub region: String,
    /// TX frequency range in Hz.
    pub freq_range: [u64; 2],
    /// `DRs`: `[sf, bw_khz, dnonly]` per DR index.
    pub drs: Vec<DrEntry>,
    /// The concentrator configuration.
    pub sx1301_conf: TabsSx1301Conf,
    /// `[freq_hz, min_dr, max_dr]` per uplink channel; `None` is `null`.
    pub upchannels: Option<Vec<UpChannel>>,
    /// Numeric region ([`tabs_region`]).
    pub region_id: i64,
    /// Server time in Unix seconds.
    pub mux_time: f64,
    /// Maximum EIRP in dBm (an integer in this dialect).
    pub max_eirp: i64,
    /// `protocol` ([`PROTOCOL`]).
    pub protocol: i64,
}

/// Knobs of [`build_tabs_router_config`] that are not part of the channel plan.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TabsRouterConfigOptions {
    /// `clksrc`: the radio that clocks the concentrator.
    pub clksrc: u8,
    /// `MuxTime` (a session sets it when it sends the message).
    pub mux_time: f64,
}

/// Builds the Tabs `router_config` for a one-chip channel plan (see the [module docs](self)).
pub fn build_tabs_router_config(
    plan: &ChannelPlan,
    options: &TabsRouterConfigOptions,
) -> Result<TabsRouterConfig, RouterConfigError> {
    if plan.concentrators.len() != 1 {
        return Err(RouterConfigError::ConcentratorCount(
            plan.concentrators.len(),
        ));
    }
    // Validation (and IF offsets) by the Basics Station builder.
    let checked = build_router_config(
        plan,
        &RouterConfigOptions {
            mux_time: Some(options.mux_time),
            ..RouterConfigOptions::default()
        },
    )?;
    let chip = &plan.concentrators[0];
    let conf = &checked.sx1301_conf[0];
    let radios = chip
        .radios
        .iter()
        .enumerate()
        .map(|(i, r)| TabsRadioConf {
            enable: r.is_some(),
            freq: r.as_ref().map_or(0, |r| r.freq),
            tx_enable: i == 0 && r.is_some(),
        })
        .collect();
    let mut multi_sf: Vec<Option<IfChannel>> =
        conf.multi_sf.iter().map(|s| s.enabled().copied()).collect();
    multi_sf.truncate(chip.multi_sf.len().max(MIN_MULTI_SF_SLOTS));
    let lbt = chip.lbt.clone().map(|mut l| {
        l.chan_cfg.truncate(MAX_LBT_CHANNELS);
        l
    });
    let upchannels: Vec<UpChannel> = chip
        .multi_sf
        .iter()
        .map(|c| [c.freq, u64::from(c.min_dr), u64::from(c.max_dr)])
        .collect();
    let (region, region_id) = tabs_region(plan.region);
    let eirp = plan
        .max_eirp_dbm
        .unwrap_or_else(|| plan.region.default_max_eirp_dbm());
    #[allow(clippy::cast_possible_truncation)] // finite (checked by the builder), dBm
    let max_eirp = eirp.trunc() as i64;
    Ok(TabsRouterConfig {
        region: region.to_owned(),
        freq_range: plan.tx_freq_range,
        drs: plan.region.station_drs().to_vec(),
        sx1301_conf: TabsSx1301Conf {
            clksrc: i64::from(options.clksrc),
            lbt,
            radios,
            multi_sf,
            lora_std: conf.lora_std.enabled().copied(),
            fsk: None,
        },
        upchannels: (!upchannels.is_empty()).then_some(upchannels),
        region_id,
        mux_time: options.mux_time,
        max_eirp,
        protocol: PROTOCOL,
    })
}

const MSGTYPE: &str = "router_config";

fn disabled(w: &mut ObjWriter<'_>, key: &str) {
    w.key(key);
    w.raw_out().push_str("{\"enable\":false}");
}

impl TabsSx1301Conf {
    fn write(&self, out: &mut String) -> Result<(), EncodeError> {
        let mut w = ObjWriter::element(out, MSGTYPE);
        w.bool("lorawan_public", true);
        w.int("clksrc", self.clksrc);
        w.int("antenna_gain", 0);
        // Integers only: serialising cannot fail.
        if let Some(lbt) = &self.lbt
            && let Ok(text) = serde_json::to_string(lbt)
        {
            w.key("lbt_cfg");
            w.raw_out().push_str(&text);
        }
        for (i, r) in self.radios.iter().enumerate() {
            let mut n = w.nested(&format!("radio_{i}"));
            n.bool("enable", r.enable);
            n.uint("freq", r.freq);
            n.int("rssi_offset", 0);
            n.bool("tx_enable", r.tx_enable);
            n.end()?;
        }
        for (i, c) in self.multi_sf.iter().enumerate() {
            let key = format!("chan_multiSF_{i}");
            match c {
                Some(c) => {
                    let mut n = w.nested(&key);
                    n.bool("enable", true);
                    n.uint("radio", u64::from(c.radio));
                    n.int("if", i64::from(c.if_offset));
                    n.end()?;
                }
                None => disabled(&mut w, &key),
            }
        }
        match &self.lora_std {
            Some(c) => {
                let mut n = w.nested("chan_Lora_std");
                n.bool("enable", true);
                n.uint("radio", u64::from(c.radio));
                n.int("if", i64::from(c.if_offset));
                n.uint("bandwidth", u64::from(c.bandwidth));
                n.uint("spread_factor", u64::from(c.spread_factor));
                n.end()?;
            }
            None => disabled(&mut w, "chan_Lora_std"),
        }
        match &self.fsk {
            Some(c) => {
                let mut n = w.nested("chan_FSK");
                n.bool("enable", true);
                n.uint("radio", u64::from(c.radio));
                n.int("if", i64::from(c.if_offset));
                if let Some(bw) = c.bandwidth {
                    n.uint("bandwidth", u64::from(bw));
                }
                n.uint("datarate", u64::from(c.datarate));
                n.end()?;
            }
            None => disabled(&mut w, "chan_FSK"),
        }
        w.end()
    }

    fn from_map(mut m: Map<String, Value>) -> Result<Self, DecodeError> {
        let mut take = |key: &str| m.remove(key);
        let clksrc = match take("clksrc") {
            Some(v) => from_folded(MSGTYPE, v)?,
            None => 0,
        };
        let lbt = match take("lbt_cfg") {
            Some(Value::Null) | None => None,
            Some(v) => Some(from_folded(MSGTYPE, v)?),
        };
        let mut radios = Vec::new();
        while let Some(v) = take(&format!("radio_{}", radios.len())) {
            let r: RadioWire = from_folded(MSGTYPE, v)?;
            radios.push(TabsRadioConf {
                enable: r.enable,
                freq: r.freq,
                tx_enable: r.tx_enable,
            });
        }
        let mut multi_sf = Vec::new();
        while let Some(v) = take(&format!("chan_multisf_{}", multi_sf.len())) {
            let c: ChanWire = from_folded(MSGTYPE, v)?;
            multi_sf.push(c.enable.then_some(IfChannel {
                radio: c.radio,
                if_offset: c.if_offset,
            }));
        }
        let lora_std = match take("chan_lora_std") {
            Some(v) => {
                let c: ChanWire = from_folded(MSGTYPE, v)?;
                c.enable.then_some(LoraStdChannel {
                    radio: c.radio,
                    if_offset: c.if_offset,
                    bandwidth: c.bandwidth.unwrap_or(0),
                    spread_factor: c.spread_factor,
                })
            }
            None => None,
        };
        let fsk = match take("chan_fsk") {
            Some(v) => {
                let c: ChanWire = from_folded(MSGTYPE, v)?;
                c.enable.then_some(FskChannel {
                    radio: c.radio,
                    if_offset: c.if_offset,
                    bandwidth: c.bandwidth,
                    datarate: c.datarate,
                })
            }
            None => None,
        };
        Ok(TabsSx1301Conf {
            clksrc,
            lbt,
            radios,
            multi_sf,
            lora_std,
            fsk,
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RadioWire {
    enable: bool,
    freq: u64,
    tx_enable: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChanWire {
    enable: bool,
    radio: u8,
    #[serde(rename = "if")]
    if_offset: i32,
    bandwidth: Option<u32>,
    spread_factor: u8,
    datarate: u32,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RouterConfigWire {
    region: String,
    freq_range: [u64; 2],
    drs: Vec<DrEntry>,
    sx1301_conf: Vec<Map<String, Value>>,
    upchannels: Option<Vec<UpChannel>>,
    regionid: i64,
    muxtime: f64,
    max_eirp: i64,
    protocol: i64,
}

impl TabsRouterConfig {
    /// `config.region`: the region name with `/tracknet`.
    pub fn config_region(&self) -> String {
        format!("{}/tracknet", self.region)
    }

    /// Encodes the message in The Things Stack's key order.
    pub fn encode(&self, out: &mut String) -> Result<(), EncodeError> {
        let mut w = ObjWriter::message(out, MSGTYPE);
        w.null("NetID");
        w.null("JoinEui");
        w.str("region", &self.region);
        w.str("hwspec", HWSPEC);
        w.key("freq_range");
        let o = w.raw_out();
        o.push('[');
        o.push_str(itoa::Buffer::new().format(self.freq_range[0]));
        o.push(',');
        o.push_str(itoa::Buffer::new().format(self.freq_range[1]));
        o.push(']');
        w.key("DRs");
        write_rows(w.raw_out(), &self.drs);
        w.key("sx1301_conf");
        w.raw_out().push('[');
        let nested = self.sx1301_conf.write(w.raw_out());
        w.raw_out().push(']');
        match &self.upchannels {
            Some(up) => {
                w.key("upchannels");
                write_rows(w.raw_out(), up);
            }
            None => w.null("upchannels"),
        }
        w.int("regionid", self.region_id);
        w.time("MuxTime", self.mux_time);
        w.int("max_eirp", self.max_eirp);
        w.int("protocol", self.protocol);
        w.null("bcning");
        let mut c = w.nested("config");
        c.str("region", &self.config_region());
        c.end()?;
        w.end().and(nested)?;
        check_len(MSGTYPE, out)
    }

    /// Reads a key-folded `router_config` object (from [`super::decode_down`]).
    pub(crate) fn from_folded(value: Value) -> Result<Self, DecodeError> {
        let w: RouterConfigWire = from_folded(MSGTYPE, value)?;
        let first = w.sx1301_conf.into_iter().next().unwrap_or_default();
        Ok(TabsRouterConfig {
            region: w.region,
            freq_range: w.freq_range,
            drs: w.drs,
            sx1301_conf: TabsSx1301Conf::from_map(first)?,
            upchannels: w.upchannels,
            region_id: w.regionid,
            mux_time: w.muxtime,
            max_eirp: w.max_eirp,
            protocol: w.protocol,
        })
    }
}

fn write_rows<T: itoa::Integer + Copy, const N: usize>(out: &mut String, rows: &[[T; N]]) {
    out.push('[');
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        for (j, v) in row.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str(itoa::Buffer::new().format(*v));
        }
        out.push(']');
    }
    out.push(']');
}
