//! Station → LNS uplinks: `updf`, `jreq`, `rejoin`, `propdf` (and `dndf`/`jacc` in device mode),
//! plus the `dntxed` transmit confirmation. The radio uplinks are read by `uplink_read.rs`.

use serde::Deserialize;

use crate::eui::Eui64;
use crate::json::{self, ObjWriter};

/// Radio metadata of a received frame (the `upinfo` object).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UpInfo {
    /// Radio context: the receiving txunit/antenna; echo it in a class A `dnmsg`.
    pub rctx: i64,
    /// Concentrator time of reception (see [`crate::xtime`]).
    pub xtime: i64,
    /// Microseconds since the GPS epoch; `None` when the station sent 0 (no GPS/time sync).
    pub gpstime: Option<i64>,
    /// Fine timestamp in nanoseconds within the second; `None` when the station sent -1.
    pub fts: Option<i64>,
    /// Received signal strength in dBm (floats from other peers are rounded).
    pub rssi: i32,
    /// Signal-to-noise ratio in dB.
    pub snr: f64,
    /// Station wall-clock UTC time of reception, in seconds.
    pub rxtime: f64,
}

impl UpInfo {
    /// When the frame was received, in Unix seconds: from `gpstime` when the station has GPS
    /// time (converted with leap seconds), else from `rxtime` (station wall clock) when
    /// non-zero.
    pub fn reception_unix(&self) -> Option<f64> {
        match self.gpstime {
            Some(g) => Some(crate::xtime::gps_micros_to_unix(g)),
            None => (self.rxtime != 0.0).then_some(self.rxtime),
        }
    }

    fn write(&self, w: &mut ObjWriter<'_>) {
        let mut u = w.nested("upinfo");
        u.int("rctx", self.rctx);
        u.int("xtime", self.xtime);
        u.int("gpstime", self.gpstime.unwrap_or(0));
        u.int("fts", self.fts.unwrap_or(-1));
        u.int("rssi", i64::from(self.rssi));
        u.num("snr", self.snr);
        u.time("rxtime", self.rxtime);
        // A nested writer's non-finite report is folded into the parent by the caller's checks.
        let _ = u.end();
    }
}

/// How the station spells the EUI keys of `jreq`/`dntxed`: `JoinEui`/`DevEui` normally,
/// `JoinEUI`/`DevEUI` after a `router_config` that used the `JoinEUI` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EuiKeyStyle {
    /// `JoinEui`, `DevEui`.
    #[default]
    Camel,
    /// `JoinEUI`, `DevEUI`.
    Upper,
}

impl EuiKeyStyle {
    pub(crate) fn join_eui(self) -> &'static str {
        match self {
            EuiKeyStyle::Camel => "JoinEui",
            EuiKeyStyle::Upper => "JoinEUI",
        }
    }
    pub(crate) fn dev_eui(self) -> &'static str {
        match self {
            EuiKeyStyle::Camel => "DevEui",
            EuiKeyStyle::Upper => "DevEUI",
        }
    }
}

fn write_tail(w: &mut ObjWriter<'_>, ref_time: Option<f64>, dr: u8, freq: u32, upinfo: &UpInfo) {
    w.time("RefTime", ref_time.unwrap_or(0.0));
    w.uint("DR", u64::from(dr));
    w.uint("Freq", u64::from(freq));
    upinfo.write(w);
}

fn check_upinfo(msgtype: &'static str, upinfo: &UpInfo) -> Result<(), crate::EncodeError> {
    if !upinfo.snr.is_finite() {
        return Err(crate::EncodeError::NonFinite {
            msgtype,
            field: "upinfo.snr",
        });
    }
    if !upinfo.rxtime.is_finite() {
        return Err(crate::EncodeError::NonFinite {
            msgtype,
            field: "upinfo.rxtime",
        });
    }
    Ok(())
}

/// A data frame (`updf`; `dndf` for downlink data frames in device mode).
///
/// Integers keep their wire meaning: `dev_addr` and `mic` hold the 32-bit pattern of the
/// station's signed integers; `fcnt` is the 16-bit counter from the frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Updf {
    /// MHDR byte.
    pub mhdr: u8,
    /// Device address (sent as a signed 32-bit integer).
    pub dev_addr: u32,
    /// FCtrl byte.
    pub fctrl: u8,
    /// 16-bit frame counter (`FCnt`, or `Fcnt` as The Things Stack spells it).
    pub fcnt: u16,
    /// Frame options.
    pub fopts: Vec<u8>,
    /// Frame port; `None` when the station sent -1 (no port byte).
    pub fport: Option<u8>,
    /// Frame payload (still encrypted).
    pub frm_payload: Vec<u8>,
    /// Message integrity code (sent as a signed 32-bit integer; little endian on air).
    pub mic: u32,
    /// The station's `RefTime`; `None` when it sent 0 (no MuxTime received yet).
    pub ref_time: Option<f64>,
    /// Data-rate index in the station's `DRs` table.
    pub dr: u8,
    /// Frequency in Hz.
    pub freq: u32,
    /// Radio metadata.
    pub upinfo: UpInfo,
}

impl Updf {
    pub(crate) fn write(
        &self,
        out: &mut String,
        msgtype: &'static str,
    ) -> Result<(), crate::EncodeError> {
        check_upinfo(msgtype, &self.upinfo)?;
        let mut w = ObjWriter::message(out, msgtype);
        w.uint("MHdr", u64::from(self.mhdr));
        w.int("DevAddr", i64::from(self.dev_addr.cast_signed()));
        w.uint("FCtrl", u64::from(self.fctrl));
        w.uint("FCnt", u64::from(self.fcnt));
        w.hex("FOpts", &self.fopts);
        w.int("FPort", self.fport.map_or(-1, i64::from));
        w.hex("FRMPayload", &self.frm_payload);
        w.int("MIC", i64::from(self.mic.cast_signed()));
        write_tail(&mut w, self.ref_time, self.dr, self.freq, &self.upinfo);
        w.end()
    }
}

/// A join-request (`jreq`) or rejoin-request (`rejoin`, same 23-byte layout at the station).
#[derive(Debug, Clone, PartialEq)]
pub struct JoinRequest {
    /// MHDR byte.
    pub mhdr: u8,
    /// JoinEUI (`JoinEui` or `JoinEUI`).
    pub join_eui: Eui64,
    /// DevEUI (`DevEui` or `DevEUI`).
    pub dev_eui: Eui64,
    /// DevNonce as the little-endian integer from the frame.
    pub dev_nonce: u16,
    /// Message integrity code (32-bit pattern of the station's signed integer).
    pub mic: u32,
    /// The station's `RefTime`; `None` when 0.
    pub ref_time: Option<f64>,
    /// Data-rate index.
    pub dr: u8,
    /// Frequency in Hz.
    pub freq: u32,
    /// Radio metadata.
    pub upinfo: UpInfo,
}

impl JoinRequest {
    pub(crate) fn write(
        &self,
        out: &mut String,
        msgtype: &'static str,
        keys: EuiKeyStyle,
    ) -> Result<(), crate::EncodeError> {
        check_upinfo(msgtype, &self.upinfo)?;
        let mut w = ObjWriter::message(out, msgtype);
        w.uint("MHdr", u64::from(self.mhdr));
        w.eui(keys.join_eui(), self.join_eui);
        w.eui(keys.dev_eui(), self.dev_eui);
        w.uint("DevNonce", u64::from(self.dev_nonce));
        w.int("MIC", i64::from(self.mic.cast_signed()));
        write_tail(&mut w, self.ref_time, self.dr, self.freq, &self.upinfo);
        w.end()
    }
}

/// A proprietary frame (`propdf`; `jacc` for join-accepts in device mode): `frm_payload` is
/// the whole PHYPayload, MHDR included.
#[derive(Debug, Clone, PartialEq)]
pub struct Propdf {
    /// The whole PHYPayload.
    pub frm_payload: Vec<u8>,
    /// The station's `RefTime`; `None` when 0.
    pub ref_time: Option<f64>,
    /// Data-rate index.
    pub dr: u8,
    /// Frequency in Hz.
    pub freq: u32,
    /// Radio metadata.
    pub upinfo: UpInfo,
}

impl Propdf {
    pub(crate) fn write(
        &self,
        out: &mut String,
        msgtype: &'static str,
    ) -> Result<(), crate::EncodeError> {
        check_upinfo(msgtype, &self.upinfo)?;
        let mut w = ObjWriter::message(out, msgtype);
        w.hex("FRMPayload", &self.frm_payload);
        write_tail(&mut w, self.ref_time, self.dr, self.freq, &self.upinfo);
        w.end()
    }
}

/// `dntxed`: the station started transmitting a `dnmsg`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dntxed {
    /// The downlink id from the `dnmsg` (`diid`, or legacy `seqno`).
    pub diid: i64,
    /// The DevEUI echoed from the `dnmsg`.
    pub dev_eui: Eui64,
    /// The txunit used.
    pub rctx: i64,
    /// Concentrator time of the transmission.
    pub xtime: i64,
    /// Station monotonic time of the transmission, in seconds.
    pub txtime: f64,
    /// GPS time of the transmission (class B only); `None` when 0.
    pub gpstime: Option<i64>,
    /// Data-rate index used (the station sends it; The Things Stack's test vectors omit it).
    pub dr: Option<u8>,
    /// Frequency used in Hz (likewise optional).
    pub freq: Option<u32>,
}

#[derive(Deserialize)]
pub(crate) struct DntxedWire {
    #[serde(default)]
    diid: Option<i64>,
    #[serde(default)]
    seqno: Option<i64>,
    #[serde(rename = "DevEui", alias = "DevEUI", default)]
    dev_eui: Option<Eui64>,
    #[serde(default)]
    rctx: i64,
    #[serde(default)]
    xtime: i64,
    #[serde(default)]
    txtime: f64,
    #[serde(default, deserialize_with = "json::gpstime")]
    gpstime: Option<i64>,
    #[serde(rename = "DR", default)]
    dr: Option<u8>,
    #[serde(rename = "Freq", default)]
    freq: Option<u32>,
}

impl DntxedWire {
    pub(crate) fn into_message(self) -> Result<Dntxed, crate::DecodeError> {
        let diid = self.diid.or(self.seqno).ok_or_else(|| {
            crate::DecodeError::field("dntxed", "diid", "missing (no diid or seqno)")
        })?;
        Ok(Dntxed {
            diid,
            dev_eui: self.dev_eui.unwrap_or_default(),
            rctx: self.rctx,
            xtime: self.xtime,
            txtime: self.txtime,
            gpstime: self.gpstime,
            dr: self.dr,
            freq: self.freq,
        })
    }
}

impl Dntxed {
    pub(crate) fn write(
        &self,
        out: &mut String,
        keys: EuiKeyStyle,
    ) -> Result<(), crate::EncodeError> {
        let mut w = ObjWriter::message(out, "dntxed");
        w.int("seqno", self.diid);
        w.int("diid", self.diid);
        if let Some(dr) = self.dr {
            w.uint("DR", u64::from(dr));
        }
        if let Some(freq) = self.freq {
            w.uint("Freq", u64::from(freq));
        }
        w.eui(keys.dev_eui(), self.dev_eui);
        w.int("rctx", self.rctx);
        w.int("xtime", self.xtime);
        w.time("txtime", self.txtime);
        w.int("gpstime", self.gpstime.unwrap_or(0));
        w.end()
    }
}
