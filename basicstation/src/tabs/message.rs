//! The Tabs Hubs messages: `version`, `jreq`, `updf`, `dntxed` up; `dnframe` down (the
//! `router_config` lives in [`super::router_config`]).
//!
//! Decoding follows The Things Stack's reader: object keys are matched **case-insensitively**
//! (`Fcnt` = `FCnt`, `DevEUI` = `DevEui`), unknown keys are ignored, a missing key means zero,
//! integer fields reject fractions (and unsigned ones negative numbers). `upinfo` takes the
//! antenna as `rtcx` (The Things Stack's spelling) or `rctx` (the Basics Station's).
//!
//! Encoding writes the keys in The Things Stack's order, integers as integer literals, EUIs in
//! ID6 form, hex in lower case, times with microsecond precision.

use serde::Deserialize;

use crate::error::{DecodeError, EncodeError};
use crate::eui::Eui64;
use crate::json::{self, ObjWriter, check_len};
use crate::message::{JoinRequest, UpInfo, Updf};

use super::fold::{from_folded, parse_folded};
use super::router_config::TabsRouterConfig;

/// `dnframe.DevEui`: The Things Stack always writes this string (not an EUI it tracks).
pub const DNFRAME_DEV_EUI: &str = "00-00-00-00-00-00-00-00";

/// Radio metadata of a received frame (`upinfo`; no `gpstime` or `fts` in this dialect).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct TabsUpInfo {
    /// Receive time, Unix seconds (0 = unknown).
    pub rxtime: f64,
    /// Antenna index (`rtcx`, or `rctx`).
    pub rtcx: i64,
    /// Session id (top 16 bits) and concentrator µs counter (low 48 bits); 0 = none.
    pub xtime: i64,
    /// RSSI in dBm.
    pub rssi: f64,
    /// SNR in dB.
    pub snr: f64,
}

/// `RefTime`, `DR`, `Freq` and `upinfo` of an uplink.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TabsRadio {
    /// Echo of the latest `MuxTime`; `None` when 0.
    pub ref_time: Option<f64>,
    /// Uplink DR index of the region.
    pub dr: u8,
    /// Frequency in Hz.
    pub freq: u32,
    /// Radio metadata.
    pub upinfo: TabsUpInfo,
}

/// `version`: the hub's software versions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TabsVersion {
    /// Station software version.
    pub station: String,
    /// Firmware version.
    pub firmware: String,
}

/// `jreq`: a join-request as separate fields.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TabsJreq {
    /// MHDR byte.
    pub mhdr: u8,
    /// JoinEUI.
    pub join_eui: Eui64,
    /// DevEUI.
    pub dev_eui: Eui64,
    /// DevNonce, the little-endian value from the frame.
    pub dev_nonce: u16,
    /// MIC as the 32-bit pattern of the wire's signed integer (little endian on air).
    pub mic: u32,
    /// Radio metadata.
    pub radio: TabsRadio,
}

/// `updf`: a data uplink as separate fields.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TabsUpdf {
    /// MHDR byte.
    pub mhdr: u8,
    /// DevAddr (the wire's signed 32-bit integer as a bit pattern).
    pub dev_addr: u32,
    /// FCtrl byte; its FOptsLen nibble is not trusted (The Things Stack's hubs leave it 0)
    /// and is rebuilt from `fopts` in [`TabsUpdf::write_phy_payload`].
    pub fctrl: u8,
    /// 16-bit frame counter (`Fcnt`, or `FCnt`).
    pub fcnt: u16,
    /// Frame options.
    pub fopts: Vec<u8>,
    /// Port; `None` for `-1` (no port).
    pub fport: Option<u8>,
    /// Frame payload.
    pub frm_payload: Vec<u8>,
    /// MIC as a 32-bit pattern.
    pub mic: u32,
    /// `regionid` (informative only).
    pub region_id: i64,
    /// Radio metadata.
    pub radio: TabsRadio,
}

/// `dntxed`: the hub transmitted the `dnframe` with this `seqno`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TabsDntxed {
    /// The `dnframe`'s `seqno`.
    pub seqno: i64,
    /// The hub's id as a number (informative only).
    pub router_id: i64,
    /// A DevEUI (informative only).
    pub dev_eui: Eui64,
}

/// A message from the hub.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TabsUp {
    /// `version`.
    Version(TabsVersion),
    /// `jreq`.
    Jreq(TabsJreq),
    /// `updf`.
    Updf(TabsUpdf),
    /// `dntxed`.
    Dntxed(TabsDntxed),
    /// Any other `msgtype` (`propdf`, `timesync`, ...): ignored by the network side.
    Other(String),
}

/// `dnframe`: a downlink at an absolute concentrator time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TabsDnframe {
    /// Downlink token, echoed by `dntxed`.
    pub seqno: i64,
    /// PHYPayload.
    pub pdu: Vec<u8>,
    /// TX DR index.
    pub dr: u8,
    /// TX frequency in Hz.
    pub freq: u32,
    /// Absolute TX time: session id << 48 | concentrator µs (40 bits).
    pub xtime: i64,
    /// Antenna (The Things Stack always sends 0).
    pub rctx: i64,
    /// Server time in Unix seconds.
    pub mux_time: f64,
}

/// A message to the hub.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TabsDown {
    /// `router_config`.
    RouterConfig(Box<TabsRouterConfig>),
    /// `dnframe`.
    Dnframe(TabsDnframe),
    /// Any other `msgtype` (ignored by a hub).
    Other(String),
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RadioWire {
    #[serde(deserialize_with = "json::ref_time")]
    reftime: Option<f64>,
    dr: u8,
    freq: u32,
    upinfo: TabsUpInfo,
}

impl From<RadioWire> for TabsRadio {
    fn from(w: RadioWire) -> Self {
        TabsRadio {
            ref_time: w.reftime,
            dr: w.dr,
            freq: w.freq,
            upinfo: w.upinfo,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JreqWire {
    mhdr: u8,
    joineui: Eui64,
    deveui: Eui64,
    devnonce: u16,
    #[serde(deserialize_with = "json::signed_u32")]
    mic: u32,
    #[serde(flatten)]
    radio: RadioWire,
}

#[derive(Deserialize)]
#[serde(default)]
struct UpdfWire {
    mhdr: u8,
    #[serde(deserialize_with = "json::signed_u32")]
    devaddr: u32,
    fctrl: u8,
    fcnt: u16,
    #[serde(deserialize_with = "json::hex_or_null")]
    fopts: Vec<u8>,
    #[serde(deserialize_with = "json::fport")]
    fport: Option<u8>,
    #[serde(deserialize_with = "json::hex_or_null")]
    frmpayload: Vec<u8>,
    #[serde(deserialize_with = "json::signed_u32")]
    mic: u32,
    regionid: i64,
    #[serde(flatten)]
    radio: RadioWire,
}

impl Default for UpdfWire {
    fn default() -> Self {
        UpdfWire {
            mhdr: 0,
            devaddr: 0,
            fctrl: 0,
            fcnt: 0,
            fopts: Vec::new(),
            // A missing FPort is 0, as at The Things Stack (`-1` is the explicit "none").
            fport: Some(0),
            frmpayload: Vec::new(),
            mic: 0,
            regionid: 0,
            radio: RadioWire::default(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DntxedWire {
    seqno: i64,
    routerid: i64,
    deveui: Eui64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct VersionWire {
    station: String,
    firmware: String,
}

#[derive(Deserialize)]
#[serde(default)]
struct DnframeWire {
    seqno: i64,
    #[serde(deserialize_with = "json::hex_or_null")]
    pdu: Vec<u8>,
    dr: u8,
    freq: u32,
    xtime: i64,
    rctx: i64,
    muxtime: f64,
}

impl Default for DnframeWire {
    fn default() -> Self {
        DnframeWire {
            seqno: 0,
            pdu: Vec::new(),
            dr: 0,
            freq: 0,
            xtime: 0,
            rctx: 0,
            muxtime: 0.0,
        }
    }
}

/// Decodes a hub → server message. Unknown `msgtype`s decode to [`TabsUp::Other`].
pub fn decode_up(text: &str) -> Result<TabsUp, DecodeError> {
    let (value, msgtype) = parse_folded(text)?;
    Ok(match msgtype.as_str() {
        "version" => {
            let w: VersionWire = from_folded("version", value)?;
            TabsUp::Version(TabsVersion {
                station: w.station,
                firmware: w.firmware,
            })
        }
        "jreq" => {
            let w: JreqWire = from_folded("jreq", value)?;
            TabsUp::Jreq(TabsJreq {
                mhdr: w.mhdr,
                join_eui: w.joineui,
                dev_eui: w.deveui,
                dev_nonce: w.devnonce,
                mic: w.mic,
                radio: w.radio.into(),
            })
        }
        "updf" => {
            let w: UpdfWire = from_folded("updf", value)?;
            TabsUp::Updf(TabsUpdf {
                mhdr: w.mhdr,
                dev_addr: w.devaddr,
                fctrl: w.fctrl,
                fcnt: w.fcnt,
                fopts: w.fopts,
                fport: w.fport,
                frm_payload: w.frmpayload,
                mic: w.mic,
                region_id: w.regionid,
                radio: w.radio.into(),
            })
        }
        "dntxed" => {
            let w: DntxedWire = from_folded("dntxed", value)?;
            TabsUp::Dntxed(TabsDntxed {
                seqno: w.seqno,
                router_id: w.routerid,
                dev_eui: w.deveui,
            })
        }
        _ => TabsUp::Other(msgtype),
    })
}

/// Decodes a server → hub message. Unknown `msgtype`s decode to [`TabsDown::Other`].
pub fn decode_down(text: &str) -> Result<TabsDown, DecodeError> {
    let (value, msgtype) = parse_folded(text)?;
    Ok(match msgtype.as_str() {
        "router_config" => TabsDown::RouterConfig(Box::new(TabsRouterConfig::from_folded(value)?)),
        "dnframe" => {
            let w: DnframeWire = from_folded("dnframe", value)?;
            TabsDown::Dnframe(TabsDnframe {
                seqno: w.seqno,
                pdu: w.pdu,
                dr: w.dr,
                freq: w.freq,
                xtime: w.xtime,
                rctx: w.rctx,
                mux_time: w.muxtime,
            })
        }
        _ => TabsDown::Other(msgtype),
    })
}

fn hex_lower(w: &mut ObjWriter<'_>, key: &str, bytes: &[u8]) {
    w.key(key);
    let out = w.raw_out();
    out.push('"');
    json::write_hex_lower(out, bytes);
    out.push('"');
}

fn write_radio(w: &mut ObjWriter<'_>, radio: &TabsRadio) -> Result<(), EncodeError> {
    w.uint("DR", u64::from(radio.dr));
    w.uint("Freq", u64::from(radio.freq));
    let u = &radio.upinfo;
    let mut n = w.nested("upinfo");
    n.time("rxtime", u.rxtime);
    n.int("rtcx", u.rtcx);
    n.int("xtime", u.xtime);
    n.num("rssi", u.rssi);
    n.num("snr", u.snr);
    n.end()
}

impl TabsUp {
    /// The `msgtype` of this message.
    pub fn msgtype(&self) -> &str {
        match self {
            TabsUp::Version(_) => "version",
            TabsUp::Jreq(_) => "jreq",
            TabsUp::Updf(_) => "updf",
            TabsUp::Dntxed(_) => "dntxed",
            TabsUp::Other(m) => m,
        }
    }

    /// Encodes the message the way The Things Stack's hub simulator writes it (key order,
    /// `Fcnt`, `rtcx`, ID6 EUIs, lower-case hex). [`TabsUp::Other`] becomes `{"msgtype":…}`.
    pub fn encode(&self, out: &mut String) -> Result<(), EncodeError> {
        let result = match self {
            TabsUp::Version(v) => {
                let mut w = ObjWriter::message(out, "version");
                w.str("station", &v.station);
                w.str("firmware", &v.firmware);
                w.end()
            }
            TabsUp::Jreq(j) => {
                let mut w = ObjWriter::message(out, "jreq");
                w.uint("MHdr", u64::from(j.mhdr));
                w.str("JoinEui", &j.join_eui.id6().to_string());
                w.str("DevEui", &j.dev_eui.id6().to_string());
                w.uint("DevNonce", u64::from(j.dev_nonce));
                w.int("MIC", i64::from(j.mic.cast_signed()));
                w.time("RefTime", j.radio.ref_time.unwrap_or(0.0));
                let nested = write_radio(&mut w, &j.radio);
                w.end().and(nested)
            }
            TabsUp::Updf(u) => {
                let mut w = ObjWriter::message(out, "updf");
                w.uint("MHdr", u64::from(u.mhdr));
                w.int("DevAddr", i64::from(u.dev_addr.cast_signed()));
                w.uint("FCtrl", u64::from(u.fctrl));
                w.uint("Fcnt", u64::from(u.fcnt));
                hex_lower(&mut w, "FOpts", &u.fopts);
                w.int("FPort", u.fport.map_or(-1, i64::from));
                hex_lower(&mut w, "FRMPayload", &u.frm_payload);
                w.int("MIC", i64::from(u.mic.cast_signed()));
                w.time("RefTime", u.radio.ref_time.unwrap_or(0.0));
                w.int("regionid", u.region_id);
                let nested = write_radio(&mut w, &u.radio);
                w.end().and(nested)
            }
            TabsUp::Dntxed(d) => {
                let mut w = ObjWriter::message(out, "dntxed");
                w.int("seqno", d.seqno);
                w.int("routerid", d.router_id);
                w.str("DevEui", &d.dev_eui.id6().to_string());
                w.end()
            }
            TabsUp::Other(_) => {
                out.clear();
                out.push_str("{\"msgtype\":");
                json::write_json_str(out, self.msgtype());
                out.push('}');
                Ok(())
            }
        };
        result?;
        check_len("tabs", out)
    }
}

impl TabsDown {
    /// Encodes the message with The Things Stack's key order.
    pub fn encode(&self, out: &mut String) -> Result<(), EncodeError> {
        match self {
            TabsDown::RouterConfig(c) => c.encode(out)?,
            TabsDown::Dnframe(d) => {
                let mut w = ObjWriter::message(out, "dnframe");
                w.str("DevEui", DNFRAME_DEV_EUI);
                w.int("seqno", d.seqno);
                hex_lower(&mut w, "pdu", &d.pdu);
                w.uint("DR", u64::from(d.dr));
                w.uint("Freq", u64::from(d.freq));
                w.int("xtime", d.xtime);
                w.int("rctx", d.rctx);
                w.time("MuxTime", d.mux_time);
                w.end()?;
            }
            TabsDown::Other(m) => {
                out.clear();
                out.push_str("{\"msgtype\":");
                json::write_json_str(out, m);
                out.push('}');
            }
        }
        check_len("tabs", out)
    }
}

impl TabsJreq {
    /// The 23-byte PHYPayload, through the Basics Station frame codec.
    pub fn write_phy_payload(&self, out: &mut Vec<u8>) {
        JoinRequest {
            mhdr: self.mhdr,
            join_eui: self.join_eui,
            dev_eui: self.dev_eui,
            dev_nonce: self.dev_nonce,
            mic: self.mic,
            ref_time: None,
            dr: 0,
            freq: 0,
            upinfo: UpInfo::default(),
        }
        .write_phy_payload(out);
    }
}

impl TabsUpdf {
    /// The PHYPayload, through the Basics Station frame codec, with FCtrl's FOptsLen nibble
    /// set from `fopts` (fails for more than 15 option bytes, or a payload without a port).
    pub fn write_phy_payload(&self, out: &mut Vec<u8>) -> Result<(), crate::FrameError> {
        let fopts_len = u8::try_from(self.fopts.len()).unwrap_or(u8::MAX).min(15);
        Updf {
            mhdr: self.mhdr,
            dev_addr: self.dev_addr,
            fctrl: (self.fctrl & 0xF0) | fopts_len,
            fcnt: self.fcnt,
            fopts: self.fopts.clone(),
            fport: self.fport,
            frm_payload: self.frm_payload.clone(),
            mic: self.mic,
            ref_time: None,
            dr: 0,
            freq: 0,
            upinfo: UpInfo::default(),
        }
        .write_phy_payload(out)
    }
}
