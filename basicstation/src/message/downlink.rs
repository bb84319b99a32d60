//! LNS → station downlinks: `dnmsg` (class A, B, C), `dnsched` and the obsolete `dnframe`.

use serde::Deserialize;

use crate::error::{DecodeError, EncodeError};
use crate::eui::Eui64;
use crate::json::{self, ObjWriter};

/// Largest `pdu` the station accepts, in bytes.
pub const MAX_PDU_LEN: usize = 255;

/// LoRaWAN device class of a `dnmsg` (`dC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceClass {
    /// `dC` 0: class A, relative to an uplink's `xtime`.
    A,
    /// `dC` 1: class B ping slot at `gpstime`.
    B,
    /// `dC` 2: class C, as soon as possible on RX2 (or at an `xtime`).
    C,
}

impl DeviceClass {
    /// The `dC` value.
    pub fn code(self) -> u8 {
        match self {
            DeviceClass::A => 0,
            DeviceClass::B => 1,
            DeviceClass::C => 2,
        }
    }

    /// From a `dC` value.
    pub fn from_code(code: u8) -> Option<DeviceClass> {
        match code {
            0 => Some(DeviceClass::A),
            1 => Some(DeviceClass::B),
            2 => Some(DeviceClass::C),
            _ => None,
        }
    }
}

/// One transmit opportunity: data-rate index (into the station's `DRs`) and frequency in Hz.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TxWindow {
    /// Data-rate index.
    pub dr: u8,
    /// Frequency in Hz.
    pub freq: u32,
}

/// `dnmsg`: one downlink for a device.
///
/// Validity as the station checks it: class A needs `xtime` and at least one of `rx1`/`rx2`;
/// class B needs `gpstime`; class C needs `rx2` (or `rx1`) and may omit `xtime`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dnmsg {
    /// DevEUI (`DevEui`/`DevEUI`); the station sends a `dntxed` only for a non-zero EUI.
    pub dev_eui: Eui64,
    /// Device class (`dC`).
    pub device_class: DeviceClass,
    /// Downlink id echoed in `dntxed` (`diid`, legacy `seqno`).
    pub diid: i64,
    /// The PHYPayload to send (at most [`MAX_PDU_LEN`] bytes).
    pub pdu: Vec<u8>,
    /// RX1 delay in seconds (0..=15, 0 meaning 1). Decoding a `DR`/`Freq` pair without
    /// `RxDelay` sets 0, as the station does.
    pub rx_delay: Option<u8>,
    /// RX1 window (`RX1DR`/`RX1Freq`, or `DR`/`Freq`).
    pub rx1: Option<TxWindow>,
    /// RX2 window (`RX2DR`/`RX2Freq`).
    pub rx2: Option<TxWindow>,
    /// The uplink's xtime (class A), or the time base for class C.
    pub xtime: Option<i64>,
    /// Radio context (txunit) to transmit on; the station derives it from `xtime` if absent.
    pub rctx: Option<i64>,
    /// Priority 0..=255.
    pub priority: Option<u8>,
    /// LNS UTC time in seconds when sent.
    pub mux_time: Option<f64>,
    /// Class B transmit time, µs since the GPS epoch.
    pub gpstime: Option<i64>,
    /// Preamble length in symbols.
    pub preamble: Option<u16>,
    /// Whether to append a CRC.
    pub addcrc: Option<bool>,
    /// `dnmode` (`"updn"` or `"dn"`), ignored by the station.
    pub dnmode: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct DnmsgWire {
    #[serde(rename = "DevEui", alias = "DevEUI", default)]
    dev_eui: Option<Eui64>,
    #[serde(rename = "dC", default)]
    dc: Option<u8>,
    #[serde(default)]
    diid: Option<i64>,
    #[serde(default)]
    seqno: Option<i64>,
    #[serde(default, deserialize_with = "opt_hex")]
    pdu: Option<Vec<u8>>,
    #[serde(rename = "RxDelay", default)]
    rx_delay: Option<u8>,
    #[serde(rename = "RX1DR", default)]
    rx1_dr: Option<u8>,
    #[serde(rename = "RX1Freq", default)]
    rx1_freq: Option<u32>,
    #[serde(rename = "DR", default)]
    dr: Option<u8>,
    #[serde(rename = "Freq", default)]
    freq: Option<u32>,
    #[serde(rename = "RX2DR", default)]
    rx2_dr: Option<u8>,
    #[serde(rename = "RX2Freq", default)]
    rx2_freq: Option<u32>,
    #[serde(default)]
    xtime: Option<i64>,
    #[serde(default)]
    rctx: Option<i64>,
    #[serde(default)]
    priority: Option<u8>,
    #[serde(rename = "MuxTime", default)]
    mux_time: Option<f64>,
    #[serde(default, deserialize_with = "json::gpstime")]
    gpstime: Option<i64>,
    #[serde(default)]
    preamble: Option<u16>,
    #[serde(default)]
    addcrc: Option<bool>,
    #[serde(default)]
    dnmode: Option<String>,
}

fn opt_hex<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    json::hex(d).map(Some)
}

fn window(
    msgtype: &'static str,
    field: &'static str,
    dr: Option<u8>,
    freq: Option<u32>,
) -> Result<Option<TxWindow>, DecodeError> {
    match (dr, freq) {
        (Some(dr), Some(freq)) => Ok(Some(TxWindow { dr, freq })),
        (None, None) => Ok(None),
        _ => Err(DecodeError::field(
            msgtype,
            field,
            "DR and Freq must come together",
        )),
    }
}

fn check_pdu(msgtype: &'static str, pdu: Option<Vec<u8>>) -> Result<Vec<u8>, DecodeError> {
    let pdu = pdu.ok_or_else(|| DecodeError::field(msgtype, "pdu", "missing"))?;
    if pdu.len() > MAX_PDU_LEN {
        return Err(DecodeError::field(
            msgtype,
            "pdu",
            format_args!("{} bytes, more than {MAX_PDU_LEN}", pdu.len()),
        ));
    }
    Ok(pdu)
}

impl DnmsgWire {
    pub(crate) fn into_message(self) -> Result<Dnmsg, DecodeError> {
        const M: &str = "dnmsg";
        let dev_eui = self
            .dev_eui
            .ok_or_else(|| DecodeError::field(M, "DevEui", "missing"))?;
        let dc = self
            .dc
            .ok_or_else(|| DecodeError::field(M, "dC", "missing"))?;
        let device_class = DeviceClass::from_code(dc)
            .ok_or_else(|| DecodeError::field(M, "dC", format_args!("{dc} is not 0, 1 or 2")))?;
        let diid = self
            .diid
            .or(self.seqno)
            .ok_or_else(|| DecodeError::field(M, "diid", "missing (no diid or seqno)"))?;
        let pdu = check_pdu(M, self.pdu)?;
        let mut rx_delay = self.rx_delay;
        if let Some(d) = rx_delay
            && d > 15
        {
            return Err(DecodeError::field(
                M,
                "RxDelay",
                format_args!("{d} is above 15"),
            ));
        }
        let mut rx1 = window(M, "RX1DR", self.rx1_dr, self.rx1_freq)?;
        if rx1.is_none() {
            rx1 = window(M, "DR", self.dr, self.freq)?;
            if rx1.is_some() && rx_delay.is_none() {
                rx_delay = Some(0);
            }
        }
        let rx2 = window(M, "RX2DR", self.rx2_dr, self.rx2_freq)?;
        Ok(Dnmsg {
            dev_eui,
            device_class,
            diid,
            pdu,
            rx_delay,
            rx1,
            rx2,
            xtime: self.xtime,
            rctx: self.rctx,
            priority: self.priority,
            mux_time: self.mux_time,
            gpstime: self.gpstime,
            preamble: self.preamble,
            addcrc: self.addcrc,
            dnmode: self.dnmode,
        })
    }
}

impl Dnmsg {
    pub(crate) fn write(&self, out: &mut String) -> Result<(), EncodeError> {
        let mut w = ObjWriter::message(out, "dnmsg");
        w.eui("DevEui", self.dev_eui);
        w.uint("dC", u64::from(self.device_class.code()));
        w.int("diid", self.diid);
        w.hex("pdu", &self.pdu);
        if let Some(d) = self.rx_delay {
            w.uint("RxDelay", u64::from(d));
        }
        if let Some(rx1) = self.rx1 {
            w.uint("RX1DR", u64::from(rx1.dr));
            w.uint("RX1Freq", u64::from(rx1.freq));
        }
        if let Some(rx2) = self.rx2 {
            w.uint("RX2DR", u64::from(rx2.dr));
            w.uint("RX2Freq", u64::from(rx2.freq));
        }
        if let Some(x) = self.xtime {
            w.int("xtime", x);
        }
        if let Some(r) = self.rctx {
            w.int("rctx", r);
        }
        if let Some(p) = self.priority {
            w.uint("priority", u64::from(p));
        }
        if let Some(g) = self.gpstime {
            w.int("gpstime", g);
        }
        if let Some(p) = self.preamble {
            w.uint("preamble", u64::from(p));
        }
        if let Some(c) = self.addcrc {
            w.bool("addcrc", c);
        }
        if let Some(m) = &self.dnmode {
            w.str("dnmode", m);
        }
        if let Some(t) = self.mux_time {
            w.time("MuxTime", t);
        }
        w.end()
    }
}

/// When a `dnsched` entry is sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScheduledTime {
    /// `ontime`: GPS time in seconds.
    Ontime(f64),
    /// `gpstime`: µs since the GPS epoch.
    Gpstime(i64),
    /// `xtime`: concentrator time.
    Xtime(i64),
}

/// One entry of a `dnsched` schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledTx {
    /// Optional downlink id (no `dntxed` is sent for schedule entries).
    pub diid: Option<i64>,
    /// Priority 0..=255.
    pub priority: Option<u8>,
    /// Data rate and frequency (`DR`, `Freq`).
    pub window: TxWindow,
    /// When to transmit.
    pub time: ScheduledTime,
    /// The PHYPayload.
    pub pdu: Vec<u8>,
    /// Radio context (txunit).
    pub rctx: Option<i64>,
    /// Preamble length in symbols.
    pub preamble: Option<u16>,
    /// Whether to append a CRC.
    pub addcrc: Option<bool>,
}

/// `dnsched`: a list of scheduled transmissions (multicast, beacon-like frames).
#[derive(Debug, Clone, PartialEq)]
pub struct Dnsched {
    /// LNS UTC time in seconds when sent.
    pub mux_time: Option<f64>,
    /// The entries.
    pub schedule: Vec<ScheduledTx>,
}

#[derive(Deserialize)]
struct ScheduledTxWire {
    #[serde(default)]
    diid: Option<i64>,
    #[serde(default)]
    priority: Option<u8>,
    #[serde(rename = "DR", default)]
    dr: Option<u8>,
    #[serde(rename = "Freq", default)]
    freq: Option<u32>,
    #[serde(default)]
    ontime: Option<f64>,
    #[serde(default)]
    gpstime: Option<i64>,
    #[serde(default)]
    xtime: Option<i64>,
    #[serde(default, deserialize_with = "opt_hex")]
    pdu: Option<Vec<u8>>,
    #[serde(default)]
    rctx: Option<i64>,
    #[serde(default)]
    preamble: Option<u16>,
    #[serde(default)]
    addcrc: Option<bool>,
}

#[derive(Deserialize)]
pub(crate) struct DnschedWire {
    #[serde(rename = "MuxTime", default)]
    mux_time: Option<f64>,
    #[serde(default)]
    schedule: Vec<ScheduledTxWire>,
}

impl DnschedWire {
    pub(crate) fn into_message(self) -> Result<Dnsched, DecodeError> {
        const M: &str = "dnsched";
        let mut schedule = Vec::with_capacity(self.schedule.len());
        for e in self.schedule {
            let window = window(M, "schedule[].DR", e.dr, e.freq)?
                .ok_or_else(|| DecodeError::field(M, "schedule[].DR", "missing"))?;
            let time = match (e.ontime, e.gpstime, e.xtime) {
                (Some(t), _, _) => ScheduledTime::Ontime(t),
                (None, Some(g), _) => ScheduledTime::Gpstime(g),
                (None, None, Some(x)) => ScheduledTime::Xtime(x),
                (None, None, None) => {
                    return Err(DecodeError::field(
                        M,
                        "schedule[]",
                        "needs one of ontime, gpstime or xtime",
                    ));
                }
            };
            schedule.push(ScheduledTx {
                diid: e.diid,
                priority: e.priority,
                window,
                time,
                pdu: check_pdu(M, e.pdu)?,
                rctx: e.rctx,
                preamble: e.preamble,
                addcrc: e.addcrc,
            });
        }
        Ok(Dnsched {
            mux_time: self.mux_time,
            schedule,
        })
    }
}

impl Dnsched {
    pub(crate) fn write(&self, out: &mut String) -> Result<(), EncodeError> {
        let mut w = ObjWriter::message(out, "dnsched");
        if let Some(t) = self.mux_time {
            w.time("MuxTime", t);
        }
        w.key("schedule");
        w.raw_out().push('[');
        let mut result = Ok(());
        for (i, e) in self.schedule.iter().enumerate() {
            if i > 0 {
                w.raw_out().push(',');
            }
            let mut o = ObjWriter::element(w.raw_out(), "dnsched");
            if let Some(d) = e.diid {
                o.int("diid", d);
            }
            if let Some(p) = e.priority {
                o.uint("priority", u64::from(p));
            }
            o.uint("DR", u64::from(e.window.dr));
            o.uint("Freq", u64::from(e.window.freq));
            match e.time {
                ScheduledTime::Ontime(t) => o.time("ontime", t),
                ScheduledTime::Gpstime(g) => o.int("gpstime", g),
                ScheduledTime::Xtime(x) => o.int("xtime", x),
            }
            o.hex("pdu", &e.pdu);
            if let Some(r) = e.rctx {
                o.int("rctx", r);
            }
            if let Some(p) = e.preamble {
                o.uint("preamble", u64::from(p));
            }
            if let Some(c) = e.addcrc {
                o.bool("addcrc", c);
            }
            if let Err(e) = o.end() {
                result = Err(e);
            }
        }
        w.raw_out().push(']');
        let end = w.end();
        result.and(end)
    }
}

/// `dnframe` (obsolete but still parsed by the station): a frame at an absolute xtime.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Dnframe {
    /// Data-rate index.
    #[serde(rename = "DR")]
    pub dr: u8,
    /// Frequency in Hz.
    #[serde(rename = "Freq")]
    pub freq: u32,
    /// DevEUI.
    #[serde(rename = "DevEui", alias = "DevEUI")]
    pub dev_eui: Eui64,
    /// Absolute transmit xtime.
    pub xtime: i64,
    /// Downlink id (`diid`, or `seqno`).
    #[serde(alias = "seqno")]
    pub diid: i64,
    /// The PHYPayload.
    #[serde(deserialize_with = "json::hex")]
    pub pdu: Vec<u8>,
    /// Radio context.
    #[serde(default)]
    pub rctx: Option<i64>,
    /// LNS UTC time in seconds.
    #[serde(rename = "MuxTime", default)]
    pub mux_time: Option<f64>,
    /// Send as soon as possible.
    #[serde(default)]
    pub asap: Option<bool>,
}

impl Dnframe {
    pub(crate) fn write(&self, out: &mut String) -> Result<(), EncodeError> {
        let mut w = ObjWriter::message(out, "dnframe");
        w.uint("DR", u64::from(self.dr));
        w.uint("Freq", u64::from(self.freq));
        w.eui("DevEui", self.dev_eui);
        w.int("xtime", self.xtime);
        w.int("diid", self.diid);
        w.hex("pdu", &self.pdu);
        if let Some(r) = self.rctx {
            w.int("rctx", r);
        }
        if let Some(t) = self.mux_time {
            w.time("MuxTime", t);
        }
        if let Some(a) = self.asap {
            w.bool("asap", a);
        }
        w.end()
    }
}
