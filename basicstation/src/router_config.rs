//! The `router_config` message (LNS → station): the channel plan a station runs with.
//!
//! [`RouterConfig`] holds every field the reference station (2.0.6) parses, typed, and
//! serialises integers as JSON integer literals. Build one from a channel plan with
//! [`crate::channel_plan::build_router_config`]; a station applies a parsed one.
//!
//! Parsing is lenient where the station is: `JoinEUI` is accepted for `JoinEui` (and
//! remembered, because the station then changes its own output keys), the per-chip key may be
//! `sx1301_conf`, `SX1301_conf`, `sx1302_conf`, `SX1302_conf` or `radio_conf`, `null` means
//! "absent" for the filters. Hardware fields another server may send (`clksrc`, `rssi_offset`,
//! `tx_enable`, TX gain tables, ...) are kept verbatim in `hardware` maps, never interpreted.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::EncodeError;
use crate::region::{Modulation, modulation_from_station_dr, station_dr_table};

pub use crate::sx1301_conf::{
    ChannelSlot, FskChannel, IfChannel, LbtChannel, LbtConf, LoraStdChannel, RadioConf, Sx1301Conf,
};

/// One entry of `DRs`: `[sf, bw_khz, dnonly]`. `sf` < 0 marks an undefined DR, `sf` == 0 FSK.
/// The same type as [`crate::region::StationDr`], which the region tables produce.
pub type DrEntry = crate::region::StationDr;

/// One `upchannels` entry: `[freq_hz, min_dr, max_dr]` (DRs 0..=7).
pub type UpChannel = [u64; 3];

/// One `JoinEui` filter range `[lo, hi]`, inclusive, as u64 (bit-for-bit EUIs).
pub type JoinEuiRange = [u64; 2];

/// The largest websocket payload the station accepts from the LNS (no 64-bit length form); the
/// same limit as [`crate::json::MAX_MESSAGE_LEN`].
pub const MAX_FRAME_LEN: usize = crate::json::MAX_MESSAGE_LEN;

/// How many `JoinEui` ranges the station keeps.
pub const MAX_JOIN_EUI_RANGES: usize = 10;

/// How many `upchannels` entries the station accepts.
pub const MAX_UPCHANNELS: usize = 80;

/// How many beacon frequencies `bcning.freqs` may hold.
pub const MAX_BEACON_FREQS: usize = 8;

/// Spelling of the JoinEUI filter key; the station mirrors it in `jreq`/`dntxed`
/// (`JoinEUI` → it writes `JoinEUI`/`DevEUI`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum JoinEuiKey {
    /// `JoinEui` (the usual one).
    #[default]
    JoinEui,
    /// `JoinEUI`.
    JoinEUI,
}

/// Key the per-chip configuration array came under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChipConfKey {
    /// `sx1301_conf`.
    #[default]
    Sx1301,
    /// `SX1301_conf`.
    Sx1301Upper,
    /// `sx1302_conf`.
    Sx1302,
    /// `SX1302_conf`.
    Sx1302Upper,
    /// `radio_conf`.
    RadioConf,
}

/// Class B beaconing (`bcning`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Beaconing {
    /// Beacon data-rate index.
    #[serde(rename = "DR")]
    pub dr: u8,
    /// `[time_offset, infodesc_offset, beacon_len]` in bytes (by SF: SF9 `[2,8,17]`, ...).
    pub layout: [u32; 3],
    /// Beacon frequencies in Hz, at most [`MAX_BEACON_FREQS`].
    pub freqs: Vec<u64>,
}

/// An uplink channel a station listens on ([`RouterConfig::uplink_channels`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UplinkChannel {
    /// Centre frequency in Hz.
    pub freq: u64,
    /// DR indices an uplink on it may use, ascending.
    pub drs: Vec<u8>,
}

/// The `router_config` message, without its `msgtype` tag (the message enum adds it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(from = "Wire", into = "Wire")]
pub struct RouterConfig {
    /// Region name the station knows (`EU863`, `US902`, `AS923-1`, ...).
    pub region: String,
    /// Hardware spec, `sx1301/N` with N concentrator chips.
    pub hwspec: String,
    /// Lowest and highest downlink frequency in Hz.
    pub freq_range: Option<[u64; 2]>,
    /// Data-rate table indexed by DR (`DRs`).
    pub drs: Vec<DrEntry>,
    /// The LNS's UTC time in seconds when the message was sent (`MuxTime`).
    pub mux_time: Option<f64>,
    /// `upchannels`: when present the station allocates IF channels itself.
    pub upchannels: Option<Vec<UpChannel>>,
    /// `NetID` uplink filter (only NwkID = DevAddr >> 25 matters); `None` = accept all.
    pub net_id: Option<Vec<u32>>,
    /// `JoinEui` ranges filter for join requests; `None` = accept all.
    pub join_eui: Option<Vec<JoinEuiRange>>,
    /// Which key `join_eui` is written under / was read from.
    pub join_eui_key: JoinEuiKey,
    /// `max_eirp` in dBm: lowers the region's default TX power.
    pub max_eirp: Option<f64>,
    /// Per-chip configuration, one entry per concentrator.
    pub sx1301_conf: Vec<Sx1301Conf>,
    /// The key `sx1301_conf` is written under / was read from.
    pub chip_conf_key: ChipConfKey,
    /// `nocca`: disable clear-channel assessment (ignored by `prod` stations).
    pub nocca: Option<bool>,
    /// `nodc`: disable duty-cycle limits (ignored by `prod` stations).
    pub nodc: Option<bool>,
    /// `nodwell`: disable dwell-time limits (ignored by `prod` stations).
    pub nodwell: Option<bool>,
    /// `device_mode`: the station also reports downlink-type frames.
    pub device_mode: Option<bool>,
    /// `bcning`: class B beaconing; `None` = no beacons.
    pub bcning: Option<Beaconing>,
}

impl RouterConfig {
    /// The number of concentrator chips in `hwspec` (`sx1301/N`), if it has that form.
    pub fn chip_count(&self) -> Option<u8> {
        self.hwspec.strip_prefix("sx1301/")?.parse().ok()
    }

    /// The station region this config selects; `None` when the station would not know it.
    pub fn station_region(&self) -> Option<crate::region::StationRegion> {
        crate::region::StationRegion::from_name(&self.region)
    }

    /// The uplink channels this config lets the station receive, with absolute frequencies and
    /// the DR indices usable on each (downlink-only and undefined DRs left out).
    ///
    /// With `upchannels` the station allocates from those entries, so they are the answer;
    /// otherwise the enabled `sx1301_conf` channels are (radio centre + IF): multi-SF channels
    /// carry every 125 kHz LoRa DR, the LoRa std channel the DRs of its SF/bandwidth, the FSK
    /// channel the FSK DRs. Channels on a missing or disabled radio, and channels no DR of the
    /// table fits, are left out.
    pub fn uplink_channels(&self) -> Vec<UplinkChannel> {
        let table: Vec<(u8, Option<Modulation>)> = station_dr_table(&self.drs)
            .iter()
            .enumerate()
            .filter(|(_, e)| e[2] == 0)
            .filter_map(|(i, e)| Some((u8::try_from(i).ok()?, modulation_from_station_dr(*e))))
            .collect();
        let drs_where = |f: &dyn Fn(Modulation) -> bool| -> Vec<u8> {
            table
                .iter()
                .filter(|(_, m)| m.is_some_and(f))
                .map(|(i, _)| *i)
                .collect()
        };
        if let Some(up) = &self.upchannels {
            return up
                .iter()
                .map(|&[freq, lo, hi]| UplinkChannel {
                    freq,
                    drs: table
                        .iter()
                        .filter(|(i, m)| m.is_some() && (lo..=hi).contains(&u64::from(*i)))
                        .map(|(i, _)| *i)
                        .collect(),
                })
                .filter(|c: &UplinkChannel| !c.drs.is_empty())
                .collect();
        }
        let mut out = Vec::new();
        for chip in &self.sx1301_conf {
            let at = |radio: u8, if_offset: i32| {
                let centre = chip.radios.get(usize::from(radio))?.enabled()?.freq;
                centre.checked_add_signed(i64::from(if_offset))
            };
            let lora125 = drs_where(&|m| {
                matches!(
                    m,
                    Modulation::Lora {
                        bandwidth_khz: 125,
                        ..
                    }
                )
            });
            for ch in chip.multi_sf.iter().filter_map(ChannelSlot::enabled) {
                if let Some(freq) = at(ch.radio, ch.if_offset) {
                    out.push(UplinkChannel {
                        freq,
                        drs: lora125.clone(),
                    });
                }
            }
            if let Some(ch) = chip.lora_std.enabled()
                && let Some(freq) = at(ch.radio, ch.if_offset)
            {
                let want = modulation_from_station_dr([
                    i32::from(ch.spread_factor),
                    i32::try_from(ch.bandwidth / 1000).unwrap_or(0),
                    0,
                ]);
                out.push(UplinkChannel {
                    freq,
                    drs: drs_where(&|m| Some(m) == want),
                });
            }
            if let Some(ch) = chip.fsk.enabled()
                && let Some(freq) = at(ch.radio, ch.if_offset)
            {
                out.push(UplinkChannel {
                    freq,
                    drs: drs_where(&|m| matches!(m, Modulation::Fsk { .. })),
                });
            }
        }
        out.retain(|c| !c.drs.is_empty());
        out
    }

    /// The whole message as the LNS sends it, `msgtype` first (the same text as
    /// [`DownMessage::encode`](crate::message::DownMessage::encode) writes).
    pub fn to_message_json(&self) -> Result<String, EncodeError> {
        let mut out = String::new();
        self.write_message_json(&mut out)?;
        Ok(out)
    }

    /// Clears `out` and writes the whole message into it, `msgtype` first. Fails when a float
    /// (`MuxTime`, `max_eirp`, an `antenna_gain`) is NaN or infinite (JSON has no literal for
    /// it) or the text is longer than [`MAX_FRAME_LEN`].
    pub fn write_message_json(&self, out: &mut String) -> Result<(), EncodeError> {
        const MSGTYPE: &str = "router_config";
        let non_finite = |field| EncodeError::NonFinite {
            msgtype: MSGTYPE,
            field,
        };
        let finite = |v: Option<f64>| v.is_none_or(f64::is_finite);
        if !finite(self.mux_time) {
            return Err(non_finite("MuxTime"));
        }
        if !finite(self.max_eirp) {
            return Err(non_finite("max_eirp"));
        }
        let gains = self.sx1301_conf.iter().flat_map(|c| c.radios.iter());
        if !gains
            .filter_map(|r| r.enabled())
            .all(|r| finite(r.antenna_gain))
        {
            return Err(non_finite("antenna_gain"));
        }
        // Only floats can make serde_json fail, and they were checked above.
        let body = serde_json::to_string(self).map_err(|_| non_finite("?"))?;
        // `body` is a JSON object with at least `region` and `hwspec`, so it starts with `{"`.
        let rest = body.strip_prefix('{').unwrap_or(&body);
        out.clear();
        out.push_str("{\"msgtype\":\"router_config\",");
        out.push_str(rest);
        if out.len() > MAX_FRAME_LEN {
            return Err(EncodeError::TooLarge {
                msgtype: MSGTYPE,
                len: out.len(),
                max: MAX_FRAME_LEN,
            });
        }
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct Wire {
    #[serde(rename = "NetID", default, skip_serializing_if = "Option::is_none")]
    net_id: Option<Vec<u32>>,
    #[serde(
        rename = "JoinEui",
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    join_eui: Option<Option<Vec<JoinEuiRange>>>,
    #[serde(
        rename = "JoinEUI",
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    join_eui_upper: Option<Option<Vec<JoinEuiRange>>>,
    #[serde(default)]
    region: String,
    #[serde(default)]
    hwspec: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    freq_range: Option<[u64; 2]>,
    #[serde(rename = "DRs", default)]
    drs: Vec<DrEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    upchannels: Option<Vec<UpChannel>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_dbm"
    )]
    max_eirp: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sx1301_conf: Option<Vec<Sx1301Conf>>,
    #[serde(
        rename = "SX1301_conf",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    sx1301_conf_upper: Option<Vec<Sx1301Conf>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sx1302_conf: Option<Vec<Sx1301Conf>>,
    #[serde(
        rename = "SX1302_conf",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    sx1302_conf_upper: Option<Vec<Sx1301Conf>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    radio_conf: Option<Vec<Sx1301Conf>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nocca: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nodc: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nodwell: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device_mode: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bcning: Option<Beaconing>,
    #[serde(rename = "MuxTime", default, skip_serializing_if = "Option::is_none")]
    mux_time: Option<f64>,
}

/// Marks a key as present even when its value is `null`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// dBm values: whole numbers as integer literals (`16`), others as floats (`12.15`).
fn ser_dbm<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) => crate::sx1301_conf::dbm_number(*x).serialize(s),
        None => s.serialize_none(),
    }
}

impl From<Wire> for RouterConfig {
    fn from(w: Wire) -> Self {
        let (join_eui, join_eui_key) = match (w.join_eui, w.join_eui_upper) {
            (Some(v), _) => (v, JoinEuiKey::JoinEui),
            (None, Some(v)) => (v, JoinEuiKey::JoinEUI),
            (None, None) => (None, JoinEuiKey::JoinEui),
        };
        let (sx1301_conf, chip_conf_key) = [
            (w.sx1301_conf, ChipConfKey::Sx1301),
            (w.sx1301_conf_upper, ChipConfKey::Sx1301Upper),
            (w.sx1302_conf, ChipConfKey::Sx1302),
            (w.sx1302_conf_upper, ChipConfKey::Sx1302Upper),
            (w.radio_conf, ChipConfKey::RadioConf),
        ]
        .into_iter()
        .find_map(|(v, k)| v.map(|v| (v, k)))
        .unwrap_or_default();
        RouterConfig {
            region: w.region,
            hwspec: w.hwspec,
            freq_range: w.freq_range,
            drs: w.drs,
            mux_time: w.mux_time,
            upchannels: w.upchannels,
            net_id: w.net_id,
            join_eui,
            join_eui_key,
            max_eirp: w.max_eirp,
            sx1301_conf,
            chip_conf_key,
            nocca: w.nocca,
            nodc: w.nodc,
            nodwell: w.nodwell,
            device_mode: w.device_mode,
            bcning: w.bcning,
        }
    }
}

impl From<RouterConfig> for Wire {
    fn from(c: RouterConfig) -> Self {
        let (join_eui, join_eui_upper) = match (c.join_eui, c.join_eui_key) {
            (Some(v), JoinEuiKey::JoinEui) => (Some(Some(v)), None),
            (None, JoinEuiKey::JoinEui) => (None, None),
            // The upper-case spelling is meaningful even with `null`: keep the key.
            (v, JoinEuiKey::JoinEUI) => (None, Some(v)),
        };
        let conf = Some(c.sx1301_conf);
        let mut w = Wire {
            net_id: c.net_id,
            join_eui,
            join_eui_upper,
            region: c.region,
            hwspec: c.hwspec,
            freq_range: c.freq_range,
            drs: c.drs,
            upchannels: c.upchannels,
            max_eirp: c.max_eirp,
            sx1301_conf: None,
            sx1301_conf_upper: None,
            sx1302_conf: None,
            sx1302_conf_upper: None,
            radio_conf: None,
            nocca: c.nocca,
            nodc: c.nodc,
            nodwell: c.nodwell,
            device_mode: c.device_mode,
            bcning: c.bcning,
            mux_time: c.mux_time,
        };
        match c.chip_conf_key {
            ChipConfKey::Sx1301 => w.sx1301_conf = conf,
            ChipConfKey::Sx1301Upper => w.sx1301_conf_upper = conf,
            ChipConfKey::Sx1302 => w.sx1302_conf = conf,
            ChipConfKey::Sx1302Upper => w.sx1302_conf_upper = conf,
            ChipConfKey::RadioConf => w.radio_conf = conf,
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// The `router_config` Basics Station's own mock LNS sends, accepted by a live station.
    const MOCK_EU868: &str = r#"{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1",
 "DRs":[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[7,250,0],[0,0,0],
        [-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0]],
 "max_eirp":16.0,"freq_range":[863000000,870000000],"JoinEui":null,"NetID":null,"bcning":null,"nodc":true,
 "sx1301_conf":[{"chan_FSK":{"enable":false},"chan_Lora_std":{"enable":false},
   "chan_multiSF_0":{"enable":true,"if":-375000,"radio":0},"chan_multiSF_1":{"enable":true,"if":-175000,"radio":0},
   "chan_multiSF_2":{"enable":true,"if":25000,"radio":0},"chan_multiSF_3":{"enable":true,"if":375000,"radio":0},
   "chan_multiSF_4":{"enable":true,"if":-237500,"radio":1},"chan_multiSF_5":{"enable":true,"if":237500,"radio":1},
   "chan_multiSF_6":{"enable":false},"chan_multiSF_7":{"enable":false},
   "radio_0":{"enable":true,"freq":868475000},"radio_1":{"enable":true,"freq":869287500}}],
 "upchannels":[[868100000,0,5],[868300000,0,5],[868500000,0,5],[868850000,0,5],[869050000,0,5],[869525000,0,5]],
 "MuxTime":1795585593.7817085}"#;

    #[test]
    fn parses_mock_lns_eu868() {
        let c: RouterConfig = serde_json::from_str(MOCK_EU868).unwrap();
        assert_eq!(c.region, "EU868");
        assert_eq!(c.chip_count(), Some(1));
        assert_eq!(
            c.station_region(),
            Some(crate::region::StationRegion::Eu868)
        );
        assert_eq!(c.freq_range, Some([863_000_000, 870_000_000]));
        assert_eq!(c.drs.len(), 16);
        assert_eq!(c.drs[7], [0, 0, 0]);
        assert_eq!(c.drs[8], [-1, 0, 0]);
        assert_eq!(c.max_eirp, Some(16.0));
        assert_eq!(c.net_id, None);
        assert_eq!(c.join_eui, None);
        assert_eq!(c.join_eui_key, JoinEuiKey::JoinEui);
        assert_eq!(c.bcning, None);
        assert_eq!(c.nodc, Some(true));
        assert_eq!(c.mux_time, Some(1_795_585_593.781_708_5));
        assert_eq!(c.upchannels.as_ref().unwrap()[5], [869_525_000, 0, 5]);
        let chip = &c.sx1301_conf[0];
        assert_eq!(
            chip.radios[1],
            ChannelSlot::Enabled(RadioConf::new(869_287_500))
        );
        assert_eq!(
            chip.multi_sf[4],
            ChannelSlot::Enabled(IfChannel {
                radio: 1,
                if_offset: -237_500
            })
        );
        assert_eq!(chip.multi_sf[6], ChannelSlot::Disabled);
        assert_eq!(chip.lora_std, ChannelSlot::Disabled);
        assert_eq!(chip.fsk, ChannelSlot::Disabled);
    }

    #[test]
    fn serialises_integers_as_integer_literals() {
        let c: RouterConfig = serde_json::from_str(MOCK_EU868).unwrap();
        let text = c.to_message_json().unwrap();
        assert!(text.starts_with(r#"{"msgtype":"router_config","#), "{text}");
        assert!(
            text.contains(r#""freq_range":[863000000,870000000]"#),
            "{text}"
        );
        assert!(
            text.contains(r#""radio_1":{"enable":true,"freq":869287500}"#),
            "{text}"
        );
        assert!(
            text.contains(r#""chan_multiSF_5":{"enable":true,"radio":1,"if":237500}"#),
            "{text}"
        );
        assert!(text.contains(r#""max_eirp":16,"#), "{text}");
        assert!(!text.contains(".0,"), "{text}");
        // Every field of the original survives (nulls mean absent).
        let mut expected: Value = serde_json::from_str(MOCK_EU868).unwrap();
        let obj = expected.as_object_mut().unwrap();
        for k in ["JoinEui", "NetID", "bcning"] {
            obj.remove(k);
        }
        let mut got: Value = serde_json::from_str(&text).unwrap();
        // 16.0 is written as 16; compare numerically.
        assert_eq!(got["max_eirp"].as_f64(), Some(16.0));
        got["max_eirp"] = expected["max_eirp"].clone();
        assert_eq!(got, expected);
    }

    #[test]
    fn join_eui_u64_and_spelling_survive() {
        let text = r#"{"region":"KR920","hwspec":"sx1301/1","JoinEUI":[[0,18446744073709551615]],"NetID":[0,19],
            "radio_conf":[{}],"bcning":{"DR":3,"layout":[2,8,17],"freqs":[923100000]}}"#;
        let c: RouterConfig = serde_json::from_str(text).unwrap();
        assert_eq!(c.join_eui, Some(vec![[0, u64::MAX]]));
        assert_eq!(c.join_eui_key, JoinEuiKey::JoinEUI);
        assert_eq!(c.chip_conf_key, ChipConfKey::RadioConf);
        assert_eq!(c.net_id, Some(vec![0, 19]));
        assert_eq!(
            c.bcning,
            Some(Beaconing {
                dr: 3,
                layout: [2, 8, 17],
                freqs: vec![923_100_000]
            })
        );
        let out = serde_json::to_string(&c).unwrap();
        assert!(
            out.contains(r#""JoinEUI":[[0,18446744073709551615]]"#),
            "{out}"
        );
        assert!(out.contains(r#""radio_conf":[{}]"#), "{out}");
        assert_eq!(serde_json::from_str::<RouterConfig>(&out).unwrap(), c);
        // `"JoinEUI": null` still switches the spelling.
        let c: RouterConfig =
            serde_json::from_str(r#"{"hwspec":"sx1301/1","JoinEUI":null}"#).unwrap();
        assert_eq!(
            (c.join_eui.clone(), c.join_eui_key),
            (None, JoinEuiKey::JoinEUI)
        );
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["JoinEUI"], Value::Null);
        assert!(v.as_object().unwrap().contains_key("JoinEUI"));
    }

    #[test]
    fn uplink_channels_from_conf_and_upchannels() {
        let mut c: RouterConfig = serde_json::from_str(MOCK_EU868).unwrap();
        let up = c.uplink_channels();
        assert_eq!(up.len(), 6);
        assert_eq!(
            up[5],
            UplinkChannel {
                freq: 869_525_000,
                drs: vec![0, 1, 2, 3, 4, 5]
            }
        );
        c.upchannels = None;
        let conf = c.uplink_channels();
        let freqs: Vec<u64> = conf.iter().map(|u| u.freq).collect();
        assert_eq!(
            freqs,
            [
                868_100_000,
                868_300_000,
                868_500_000,
                868_850_000,
                869_050_000,
                869_525_000
            ]
        );
        assert!(conf.iter().all(|u| u.drs == [0, 1, 2, 3, 4, 5]));
        // US915 with a LoRa std channel: SF8/500 is DR4 for uplinks (DR12 is downlink-only).
        let us = serde_json::json!({"hwspec":"sx1301/1",
            "DRs":[[10,125,0],[9,125,0],[8,125,0],[7,125,0],[8,500,0],[-1,0,0],[-1,0,0],[-1,0,0],
                   [12,500,1],[11,500,1],[10,500,1],[9,500,1],[8,500,1],[7,500,1],[-1,0,0],[-1,0,0]],
            "sx1301_conf":[{"radio_0":{"enable":true,"freq":904300000},"radio_1":{"enable":false},
                "chan_multiSF_0":{"enable":true,"radio":0,"if":-400000},
                "chan_multiSF_1":{"enable":true,"radio":1,"if":0},
                "chan_Lora_std":{"enable":true,"radio":0,"if":300000,"bandwidth":500000,"spread_factor":8},
                "chan_FSK":{"enable":true,"radio":0,"if":100000,"datarate":50000}}]});
        let c: RouterConfig = serde_json::from_value(us).unwrap();
        assert_eq!(
            c.uplink_channels(),
            [
                UplinkChannel {
                    freq: 903_900_000,
                    drs: vec![0, 1, 2, 3]
                },
                UplinkChannel {
                    freq: 904_600_000,
                    drs: vec![4]
                },
            ]
        );
    }

    /// The message enum embeds `RouterConfig` in an internally tagged enum; the custom
    /// (de)serialisation must survive serde's buffering there, u64 values included.
    #[test]
    fn works_inside_an_internally_tagged_enum() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "msgtype")]
        enum Msg {
            #[serde(rename = "router_config")]
            RouterConfig(RouterConfig),
        }
        let Msg::RouterConfig(c) = serde_json::from_str::<Msg>(MOCK_EU868).unwrap();
        assert_eq!(c, serde_json::from_str::<RouterConfig>(MOCK_EU868).unwrap());
        let text = r#"{"msgtype":"router_config","hwspec":"sx1301/1","JoinEUI":[[1,18446744073709551615]],"sx1302_conf":[{"radio_0":{"enable":true,"freq":867500000}}]}"#;
        let msg: Msg = serde_json::from_str(text).unwrap();
        let Msg::RouterConfig(c) = &msg;
        assert_eq!(c.join_eui, Some(vec![[1, u64::MAX]]));
        assert_eq!(c.chip_conf_key, ChipConfKey::Sx1302);
        let out = serde_json::to_string(&msg).unwrap();
        assert!(out.starts_with(r#"{"msgtype":"router_config","#), "{out}");
        assert_eq!(serde_json::from_str::<Msg>(&out).unwrap(), msg);
        assert_eq!(out, c.to_message_json().unwrap());
    }

    #[test]
    fn rejects_float_join_eui_bounds() {
        let r =
            serde_json::from_str::<RouterConfig>(r#"{"hwspec":"sx1301/1","JoinEui":[[1.0,2]]}"#);
        assert!(r.is_err());
    }

    #[test]
    fn tts_style_config_parses() {
        // What The Things Stack sends: [0,0,0] for undefined DRs, antenna_gain, null filters.
        let v = json!({"msgtype":"router_config","NetID":null,"JoinEui":null,"region":"EU863","hwspec":"sx1301/1",
            "freq_range":[863000000,870000000],"DRs":[[12,125,0],[0,0,0]],
            "sx1301_conf":[{"radio_0":{"enable":true,"freq":867500000,"antenna_gain":3},
                "radio_1":{"enable":true,"freq":868500000,"rssi_offset":-166,"tx_enable":false},
                "chan_multiSF_0":{"enable":true,"radio":1,"if":-400000},
                "chan_Lora_std":{"enable":true,"radio":1,"if":-200000,"bandwidth":250000,"spread_factor":7},
                "chan_FSK":{"enable":true,"radio":1,"if":300000,"datarate":50000},
                "clksrc":1}],
            "nocca":true,"nodc":true,"nodwell":true,"MuxTime":1554300787.123456,"bcning":null});
        let c: RouterConfig = serde_json::from_value(v).unwrap();
        let chip = &c.sx1301_conf[0];
        let ChannelSlot::Enabled(r0) = &chip.radios[0] else {
            panic!()
        };
        assert_eq!(r0.antenna_gain, Some(3.0));
        let ChannelSlot::Enabled(r1) = &chip.radios[1] else {
            panic!()
        };
        assert_eq!(r1.hardware.get("rssi_offset"), Some(&json!(-166)));
        assert_eq!(chip.hardware.get("clksrc"), Some(&json!(1)));
        assert_eq!(
            chip.lora_std,
            ChannelSlot::Enabled(LoraStdChannel {
                radio: 1,
                if_offset: -200_000,
                bandwidth: 250_000,
                spread_factor: 7
            })
        );
        assert_eq!(
            chip.fsk,
            ChannelSlot::Enabled(FskChannel {
                radio: 1,
                if_offset: 300_000,
                bandwidth: None,
                datarate: 50_000
            })
        );
        assert_eq!(chip.multi_sf[1], ChannelSlot::Absent);
    }
}
