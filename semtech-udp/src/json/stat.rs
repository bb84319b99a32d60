//! `stat`: the gateway status report (PUSH_DATA).

use super::time::Timestamp;
use super::write::{ObjectWriter, write_escaped};
use crate::error::EncodeError;

/// Maximum number of vendor fields kept from one `stat` object; more are ignored.
pub const MAX_STAT_EXTRAS: usize = 32;

/// Hardware versions (`hver`) reported by some forwarders.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HardwareVersions {
    /// FPGA version (`fpga`).
    pub fpga: Option<u32>,
    /// First DSP version (`dsp0`).
    pub dsp0: Option<u32>,
    /// Second DSP version (`dsp1`).
    pub dsp1: Option<u32>,
}

/// Gateway status (`stat`). Every field is optional: real forwarders omit `time`, add vendor
/// fields, and send the Semtech counters only.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stat {
    /// Gateway system time (`time`), written in the "expanded" format.
    pub time: Option<Timestamp>,
    /// Boot time (`boot`).
    pub boot: Option<Timestamp>,
    /// Latitude in degrees, north positive (`lati`).
    pub lati: Option<f64>,
    /// Longitude in degrees, east positive (`long`).
    pub long: Option<f64>,
    /// Altitude in metres (`alti`).
    pub alti: Option<i32>,
    /// Radio packets received (`rxnb`).
    pub rxnb: Option<u32>,
    /// Radio packets received with a valid CRC (`rxok`).
    pub rxok: Option<u32>,
    /// Radio packets forwarded (`rxfw`).
    pub rxfw: Option<u32>,
    /// Percentage of upstream datagrams acknowledged (`ackr`).
    pub ackr: Option<f64>,
    /// Downlink datagrams received (`dwnb`).
    pub dwnb: Option<u32>,
    /// Packets emitted (`txnb`).
    pub txnb: Option<u32>,
    /// Temperature in °C (`temp`).
    pub temp: Option<f64>,
    /// Lost PPS (`lpps`, beacon-capable forwarders).
    pub lpps: Option<u32>,
    /// Local-monitor counter `lmnw`.
    pub lmnw: Option<u32>,
    /// Local-monitor counter `lmst`.
    pub lmst: Option<u32>,
    /// Local-monitor counter `lmok`.
    pub lmok: Option<u32>,
    /// HAL version (`hal`).
    pub hal: Option<String>,
    /// FPGA version (`fpga`).
    pub fpga: Option<u32>,
    /// DSP version (`dsp`).
    pub dsp: Option<u32>,
    /// Hardware versions (`hver`).
    pub hver: Option<HardwareVersions>,
    /// Platform description (`pfrm`).
    pub pfrm: Option<String>,
    /// Contact e-mail (`mail`).
    pub mail: Option<String>,
    /// Free-form description (`desc`).
    pub desc: Option<String>,
    /// Any other field, in order of appearance (at most [`MAX_STAT_EXTRAS`]): the key and the
    /// raw JSON text of its value (fields whose value is `null` are dropped).
    pub extra: Vec<(String, String)>,
}

static KNOWN_KEYS: [&str; 23] = [
    "time", "boot", "lati", "long", "alti", "rxnb", "rxok", "rxfw", "ackr", "dwnb", "txnb", "temp",
    "lpps", "lmnw", "lmst", "lmok", "hal", "fpga", "dsp", "hver", "pfrm", "mail", "desc",
];

impl Stat {
    /// Appends the JSON object.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let mut o = ObjectWriter::begin(out);
        for (key, t) in [("time", self.time), ("boot", self.boot)] {
            if let Some(t) = t {
                if !t.is_writable() {
                    return Err(EncodeError::InvalidValue {
                        field: "stat.time",
                        reason: "year outside 0000..=9999",
                    });
                }
                let b = o.key(key);
                b.push(b'"');
                t.write_expanded(b);
                b.push(b'"');
            }
        }
        o.opt_float("lati", self.lati, "stat.lati")?;
        o.opt_float("long", self.long, "stat.long")?;
        o.opt_int("alti", self.alti);
        o.opt_uint("rxnb", self.rxnb);
        o.opt_uint("rxok", self.rxok);
        o.opt_uint("rxfw", self.rxfw);
        o.opt_float("ackr", self.ackr, "stat.ackr")?;
        o.opt_uint("dwnb", self.dwnb);
        o.opt_uint("txnb", self.txnb);
        o.opt_float("temp", self.temp, "stat.temp")?;
        o.opt_uint("lpps", self.lpps);
        o.opt_uint("lmnw", self.lmnw);
        o.opt_uint("lmst", self.lmst);
        o.opt_uint("lmok", self.lmok);
        if let Some(hal) = &self.hal {
            o.str("hal", hal);
        }
        o.opt_uint("fpga", self.fpga);
        o.opt_uint("dsp", self.dsp);
        if let Some(h) = &self.hver {
            let mut ho = ObjectWriter::begin(o.key("hver"));
            ho.opt_uint("fpga", h.fpga);
            ho.opt_uint("dsp0", h.dsp0);
            ho.opt_uint("dsp1", h.dsp1);
            ho.end();
        }
        for (key, v) in [
            ("pfrm", &self.pfrm),
            ("mail", &self.mail),
            ("desc", &self.desc),
        ] {
            if let Some(v) = v {
                o.str(key, v);
            }
        }
        for (key, value) in &self.extra {
            if KNOWN_KEYS.contains(&key.as_str()) || value.trim() == "null" {
                continue;
            }
            if !is_one_json_value(value) {
                return Err(EncodeError::InvalidValue {
                    field: "stat.extra",
                    reason: "not one JSON value",
                });
            }
            // The key is arbitrary text: write it escaped, then the raw value.
            let b = o.key_escaped(key);
            b.extend_from_slice(value.trim().as_bytes());
        }
        o.end();
        Ok(())
    }
}

impl ObjectWriter<'_> {
    /// Like `key` for a key that may need escaping.
    fn key_escaped(&mut self, key: &str) -> &mut Vec<u8> {
        let b = self.key("");
        // `key("")` wrote `"":`; replace it by the escaped key.
        b.truncate(b.len() - 3);
        write_escaped(b, key);
        b.push(b':');
        b
    }
}

fn is_one_json_value(text: &str) -> bool {
    let mut lx = loragw_json_lex::Lexer::new(text.as_bytes());
    lx.raw_value().is_ok() && lx.finish().is_ok()
}
