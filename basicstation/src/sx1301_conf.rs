//! The per-chip `sx1301_conf` object of `router_config`, typed.
//!
//! Only channel-plan fields are typed (`radio_N.{enable,freq,antenna_gain}`, `chan_multiSF_0..7`,
//! `chan_Lora_std`, `chan_FSK`, `lbt_cfg`). Everything else a server sends (hardware fields such as
//! `clksrc`, `rssi_offset`, `tx_enable`, `tx_gain_lut`) is kept verbatim in `hardware` maps so a
//! station can merge it with its local configuration; a builder never fills them.

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

/// A configuration slot that may be absent, explicitly disabled, or enabled with settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ChannelSlot<T> {
    /// Key not present: the station keeps its local value.
    #[default]
    Absent,
    /// `{"enable": false}` (other keys of a disabled slot are dropped).
    Disabled,
    /// `{"enable": true, ...}`.
    Enabled(T),
}

impl<T> ChannelSlot<T> {
    /// The settings when enabled.
    pub fn enabled(&self) -> Option<&T> {
        match self {
            ChannelSlot::Enabled(t) => Some(t),
            _ => None,
        }
    }
}

/// `radio_N`: one RF chain.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RadioConf {
    /// Centre frequency in Hz.
    pub freq: u64,
    /// Antenna gain in dBi (the station subtracts it from the TX power); optional.
    pub antenna_gain: Option<f64>,
    /// Other keys as received (`type`, `rssi_offset`, `tx_enable`, ...). Never built by us.
    pub hardware: Map<String, Value>,
}

impl RadioConf {
    /// A radio with just its centre frequency.
    pub fn new(freq: u64) -> Self {
        RadioConf {
            freq,
            antenna_gain: None,
            hardware: Map::new(),
        }
    }
}

/// `chan_multiSF_N`: a 125 kHz multi-SF channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfChannel {
    /// RF chain (0 or 1).
    pub radio: u8,
    /// IF offset from the radio centre in Hz (`if`).
    pub if_offset: i32,
}

/// `chan_Lora_std`: the single-SF fast LoRa channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoraStdChannel {
    /// RF chain.
    pub radio: u8,
    /// IF offset in Hz.
    pub if_offset: i32,
    /// Bandwidth in Hz (125000, 250000 or 500000).
    pub bandwidth: u32,
    /// Spreading factor 7..=12.
    pub spread_factor: u8,
}

/// `chan_FSK`: the FSK channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FskChannel {
    /// RF chain.
    pub radio: u8,
    /// IF offset in Hz.
    pub if_offset: i32,
    /// Bandwidth in Hz, if given (builders leave it out).
    pub bandwidth: Option<u32>,
    /// Bit rate in bit/s.
    pub datarate: u32,
}

/// One `lbt_cfg.chan_cfg` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LbtChannel {
    /// Frequency in Hz.
    pub freq_hz: u64,
    /// Scan time in µs (128 or 5000).
    pub scan_time_us: u32,
}

/// `lbt_cfg`: listen-before-talk settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LbtConf {
    /// Whether LBT is on.
    pub enable: bool,
    /// RSSI target in dBm (e.g. -80).
    pub rssi_target: i32,
    /// Channels to scan (at most 8).
    #[serde(default)]
    pub chan_cfg: Vec<LbtChannel>,
    /// RSSI offset of the SX127x LBT receiver in dB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sx127x_rssi_offset: Option<i32>,
}

/// One element of `sx1301_conf`: the configuration of one concentrator chip.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sx1301Conf {
    /// `lbt_cfg`, if present.
    pub lbt: Option<LbtConf>,
    /// `radio_0`, `radio_1`.
    pub radios: [ChannelSlot<RadioConf>; 2],
    /// `chan_multiSF_0` .. `chan_multiSF_7`.
    pub multi_sf: [ChannelSlot<IfChannel>; 8],
    /// `chan_Lora_std`.
    pub lora_std: ChannelSlot<LoraStdChannel>,
    /// `chan_FSK`.
    pub fsk: ChannelSlot<FskChannel>,
    /// Every other key as received (`clksrc`, `lorawan_public`, `device`, `pps`, ...). Never
    /// built by us.
    pub hardware: Map<String, Value>,
}

const RADIO_KEYS: [&str; 2] = ["radio_0", "radio_1"];
const MULTI_SF_KEYS: [&str; 8] = [
    "chan_multiSF_0",
    "chan_multiSF_1",
    "chan_multiSF_2",
    "chan_multiSF_3",
    "chan_multiSF_4",
    "chan_multiSF_5",
    "chan_multiSF_6",
    "chan_multiSF_7",
];

fn slot_value<T>(slot: &ChannelSlot<T>, f: impl FnOnce(&T) -> Value) -> Option<Value> {
    match slot {
        ChannelSlot::Absent => None,
        ChannelSlot::Disabled => Some(json!({"enable": false})),
        ChannelSlot::Enabled(t) => Some(f(t)),
    }
}

impl Serialize for Sx1301Conf {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(lbt) = &self.lbt {
            m.serialize_entry("lbt_cfg", lbt)?;
        }
        for (key, slot) in RADIO_KEYS.iter().zip(&self.radios) {
            let v = slot_value(slot, |r| {
                let mut o = Map::new();
                o.insert("enable".into(), Value::Bool(true));
                o.insert("freq".into(), Value::from(r.freq));
                if let Some(g) = r.antenna_gain {
                    o.insert("antenna_gain".into(), number(g));
                }
                for (k, v) in &r.hardware {
                    o.entry(k.clone()).or_insert_with(|| v.clone());
                }
                Value::Object(o)
            });
            if let Some(v) = v {
                m.serialize_entry(key, &OrderedObject(&v))?;
            }
        }
        for (key, slot) in MULTI_SF_KEYS.iter().zip(&self.multi_sf) {
            if let Some(v) = slot_value(
                slot,
                |c| json!({"enable": true, "radio": c.radio, "if": c.if_offset}),
            ) {
                m.serialize_entry(key, &OrderedObject(&v))?;
            }
        }
        let std = slot_value(&self.lora_std, |c| {
            json!({"enable": true, "radio": c.radio, "if": c.if_offset,
                   "bandwidth": c.bandwidth, "spread_factor": c.spread_factor})
        });
        if let Some(v) = std {
            m.serialize_entry("chan_Lora_std", &OrderedObject(&v))?;
        }
        let fsk = slot_value(&self.fsk, |c| {
            let mut v = json!({"enable": true, "radio": c.radio, "if": c.if_offset, "datarate": c.datarate});
            if let (Some(bw), Some(o)) = (c.bandwidth, v.as_object_mut()) {
                o.insert("bandwidth".into(), Value::from(bw));
            }
            v
        });
        if let Some(v) = fsk {
            m.serialize_entry("chan_FSK", &OrderedObject(&v))?;
        }
        for (k, v) in &self.hardware {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Writes an object's keys in a readable order: `enable`, `radio`, `if`, `freq`, then the rest.
struct OrderedObject<'a>(&'a Value);

impl Serialize for OrderedObject<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Some(obj) = self.0.as_object() else {
            return self.0.serialize(s);
        };
        const FIRST: [&str; 4] = ["enable", "radio", "if", "freq"];
        let mut m = s.serialize_map(Some(obj.len()))?;
        for k in FIRST {
            if let Some(v) = obj.get(k) {
                m.serialize_entry(k, v)?;
            }
        }
        for (k, v) in obj.iter().filter(|(k, _)| !FIRST.contains(&k.as_str())) {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// A dBm/dB value: whole numbers as integer literals.
fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation)] // whole and far inside i64
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

fn get_int<T: TryFrom<i64> + TryFrom<u64>>(
    o: &Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<T, String> {
    let v = o.get(key).ok_or_else(|| format!("{path}.{key}: missing"))?;
    let n = v
        .as_number()
        .ok_or_else(|| format!("{path}.{key}: expected an integer, got {v}"))?;
    let converted = if let Some(u) = n.as_u64() {
        T::try_from(u).ok()
    } else if let Some(i) = n.as_i64() {
        T::try_from(i).ok()
    } else {
        return Err(format!(
            "{path}.{key}: expected an integer literal, got {n}"
        ));
    };
    converted.ok_or_else(|| format!("{path}.{key}: {n} out of range"))
}

fn get_opt_int<T: TryFrom<i64> + TryFrom<u64>>(
    o: &Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<Option<T>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => get_int(o, path, key).map(Some),
    }
}

/// Parse a slot object: `Ok(None)` when disabled.
fn slot<T>(
    v: Option<&Value>,
    path: &str,
    f: impl FnOnce(&Map<String, Value>) -> Result<T, String>,
) -> Result<ChannelSlot<T>, String> {
    let Some(v) = v else {
        return Ok(ChannelSlot::Absent);
    };
    let o = v
        .as_object()
        .ok_or_else(|| format!("{path}: expected an object"))?;
    match o.get("enable") {
        Some(Value::Bool(true)) => f(o).map(ChannelSlot::Enabled),
        Some(Value::Bool(false)) => Ok(ChannelSlot::Disabled),
        Some(other) => Err(format!(
            "{path}.enable: expected true or false, got {other}"
        )),
        None => Err(format!("{path}.enable: missing")),
    }
}

fn if_channel(o: &Map<String, Value>, path: &str) -> Result<IfChannel, String> {
    Ok(IfChannel {
        radio: get_int(o, path, "radio")?,
        if_offset: get_int(o, path, "if")?,
    })
}

impl Sx1301Conf {
    fn from_map(mut o: Map<String, Value>) -> Result<Self, String> {
        let mut conf = Sx1301Conf::default();
        if let Some(lbt) = o.remove("lbt_cfg") {
            conf.lbt =
                Some(serde_json::from_value(lbt).map_err(|e| format!("sx1301_conf.lbt_cfg: {e}"))?);
        }
        for (i, key) in RADIO_KEYS.iter().enumerate() {
            let path = format!("sx1301_conf.{key}");
            let v = o.remove(*key);
            conf.radios[i] = slot(v.as_ref(), &path, |r| {
                let freq = get_int(r, &path, "freq")?;
                let antenna_gain = match r.get("antenna_gain") {
                    None | Some(Value::Null) => None,
                    Some(g) => Some(
                        g.as_f64()
                            .ok_or_else(|| format!("{path}.antenna_gain: expected a number"))?,
                    ),
                };
                let hardware = r
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "enable" | "freq" | "antenna_gain"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Ok(RadioConf {
                    freq,
                    antenna_gain,
                    hardware,
                })
            })?;
        }
        for (i, key) in MULTI_SF_KEYS.iter().enumerate() {
            let path = format!("sx1301_conf.{key}");
            let v = o.remove(*key);
            conf.multi_sf[i] = slot(v.as_ref(), &path, |c| if_channel(c, &path))?;
        }
        let v = o.remove("chan_Lora_std");
        conf.lora_std = slot(v.as_ref(), "sx1301_conf.chan_Lora_std", |c| {
            let p = "sx1301_conf.chan_Lora_std";
            let ch = if_channel(c, p)?;
            Ok(LoraStdChannel {
                radio: ch.radio,
                if_offset: ch.if_offset,
                bandwidth: get_int(c, p, "bandwidth")?,
                spread_factor: get_int(c, p, "spread_factor")?,
            })
        })?;
        let v = o.remove("chan_FSK");
        conf.fsk = slot(v.as_ref(), "sx1301_conf.chan_FSK", |c| {
            let p = "sx1301_conf.chan_FSK";
            let ch = if_channel(c, p)?;
            Ok(FskChannel {
                radio: ch.radio,
                if_offset: ch.if_offset,
                bandwidth: get_opt_int(c, p, "bandwidth")?.filter(|&b: &u32| b != 0),
                datarate: get_int(c, p, "datarate")?,
            })
        })?;
        conf.hardware = o;
        Ok(conf)
    }
}

impl<'de> Deserialize<'de> for Sx1301Conf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        Sx1301Conf::from_map(map).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_field() {
        let e = serde_json::from_str::<Sx1301Conf>(
            r#"{"chan_multiSF_3":{"enable":true,"radio":0,"if":1.5}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("sx1301_conf.chan_multiSF_3.if"), "{e}");
        let e = serde_json::from_str::<Sx1301Conf>(r#"{"radio_0":{"enable":1,"freq":1}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("radio_0.enable"), "{e}");
        let e = serde_json::from_str::<Sx1301Conf>(
            r#"{"chan_FSK":{"enable":true,"radio":300,"if":0,"datarate":50000}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("chan_FSK.radio: 300 out of range"), "{e}");
    }

    #[test]
    fn exact_bytes() {
        let mut c = Sx1301Conf::default();
        c.radios[0] = ChannelSlot::Enabled(RadioConf::new(867_500_000));
        c.radios[1] = ChannelSlot::Disabled;
        c.multi_sf[0] = ChannelSlot::Enabled(IfChannel {
            radio: 0,
            if_offset: -400_000,
        });
        c.multi_sf[1] = ChannelSlot::Disabled;
        c.fsk = ChannelSlot::Enabled(FskChannel {
            radio: 1,
            if_offset: 300_000,
            bandwidth: None,
            datarate: 50_000,
        });
        c.lbt = Some(LbtConf {
            enable: true,
            rssi_target: -80,
            chan_cfg: vec![LbtChannel {
                freq_hz: 922_100_000,
                scan_time_us: 128,
            }],
            sx127x_rssi_offset: Some(-4),
        });
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            concat!(
                r#"{"lbt_cfg":{"enable":true,"rssi_target":-80,"chan_cfg":[{"freq_hz":922100000,"scan_time_us":128}],"sx127x_rssi_offset":-4},"#,
                r#""radio_0":{"enable":true,"freq":867500000},"radio_1":{"enable":false},"#,
                r#""chan_multiSF_0":{"enable":true,"radio":0,"if":-400000},"chan_multiSF_1":{"enable":false},"#,
                r#""chan_FSK":{"enable":true,"radio":1,"if":300000,"datarate":50000}}"#
            )
        );
        let back: Sx1301Conf = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
}
