//! Time messages: `timesync` in both directions (reply and LNS-initiated transfer) and
//! `getxtime` (request and reply).

use serde::Deserialize;

use crate::error::{DecodeError, EncodeError};
use crate::json::{self, ObjWriter};

/// `timesync` station → LNS: the station's monotonic time in µs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct TimesyncRequest {
    /// Station monotonic µs (an integer; a float from other peers is rounded).
    #[serde(deserialize_with = "json::lenient_i64")]
    pub txtime: i64,
}

impl TimesyncRequest {
    pub(crate) fn write(&self, out: &mut String) -> Result<(), EncodeError> {
        let mut w = ObjWriter::message(out, "timesync");
        w.int("txtime", self.txtime);
        w.end()
    }
}

/// `timesync` LNS → station in reply to a [`TimesyncRequest`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimesyncReply {
    /// The request's `txtime`, echoed as an integer.
    pub txtime: i64,
    /// GPS time (µs since the GPS epoch) at which the LNS received the request.
    pub gpstime: i64,
    /// LNS UTC time in seconds.
    pub mux_time: Option<f64>,
}

/// `timesync` LNS → station without `txtime`: "this xtime is this GPS time" (or only a MuxTime).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeTransfer {
    /// A concentrator time.
    pub xtime: Option<i64>,
    /// The GPS time (µs) that `xtime` corresponds to; `None` when 0.
    pub gpstime: Option<i64>,
    /// LNS UTC time in seconds.
    pub mux_time: Option<f64>,
}

#[derive(Deserialize)]
pub(crate) struct TimesyncDownWire {
    #[serde(default)]
    txtime: Option<i64>,
    #[serde(default)]
    xtime: Option<i64>,
    #[serde(default, deserialize_with = "json::gpstime")]
    gpstime: Option<i64>,
    #[serde(rename = "MuxTime", default)]
    mux_time: Option<f64>,
}

/// The two forms a `timesync` from the LNS takes.
pub(crate) enum TimesyncDown {
    Reply(TimesyncReply),
    Transfer(TimeTransfer),
}

impl TimesyncDownWire {
    pub(crate) fn into_message(self) -> Result<TimesyncDown, DecodeError> {
        match self.txtime {
            Some(txtime) => Ok(TimesyncDown::Reply(TimesyncReply {
                txtime,
                gpstime: self
                    .gpstime
                    .ok_or_else(|| DecodeError::field("timesync", "gpstime", "missing in reply"))?,
                mux_time: self.mux_time,
            })),
            None => Ok(TimesyncDown::Transfer(TimeTransfer {
                xtime: self.xtime,
                gpstime: self.gpstime,
                mux_time: self.mux_time,
            })),
        }
    }
}

impl TimesyncReply {
    pub(crate) fn write(&self, out: &mut String) -> Result<(), EncodeError> {
        let mut w = ObjWriter::message(out, "timesync");
        w.int("txtime", self.txtime);
        w.int("gpstime", self.gpstime);
        if let Some(t) = self.mux_time {
            w.time("MuxTime", t);
        }
        w.end()
    }
}

impl TimeTransfer {
    pub(crate) fn write(&self, out: &mut String) -> Result<(), EncodeError> {
        let mut w = ObjWriter::message(out, "timesync");
        if let Some(x) = self.xtime {
            w.int("xtime", x);
        }
        if let Some(g) = self.gpstime {
            w.int("gpstime", g);
        }
        if let Some(t) = self.mux_time {
            w.time("MuxTime", t);
        }
        w.end()
    }
}

/// `getxtime` LNS → station: ask for the current xtime of every txunit.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct GetxtimeRequest {
    /// LNS UTC time in seconds, echoed in the reply (lets the LNS measure the round trip).
    #[serde(rename = "MuxTime", default)]
    pub mux_time: Option<f64>,
}

impl GetxtimeRequest {
    pub(crate) fn write(&self, out: &mut String) -> Result<(), EncodeError> {
        let mut w = ObjWriter::message(out, "getxtime");
        if let Some(t) = self.mux_time {
            w.time("MuxTime", t);
        }
        w.end()
    }
}

/// `getxtime` station → LNS reply.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GetxtimeReply {
    /// The request's MuxTime, echoed.
    #[serde(rename = "MuxTime", default)]
    pub mux_time: Option<f64>,
    /// Station monotonic time in seconds.
    #[serde(default)]
    pub ustime: f64,
    /// Station UTC time in seconds.
    #[serde(rename = "UTCtime", default)]
    pub utc_time: f64,
    /// Current xtime per txunit (4 entries at the reference station, 0 for absent units).
    #[serde(default)]
    pub xtimes: Vec<i64>,
}

impl GetxtimeReply {
    pub(crate) fn write(&self, out: &mut String) -> Result<(), EncodeError> {
        let mut w = ObjWriter::message(out, "getxtime");
        if let Some(t) = self.mux_time {
            w.time("MuxTime", t);
        }
        w.time("ustime", self.ustime);
        w.time("UTCtime", self.utc_time);
        w.key("xtimes");
        let o = w.raw_out();
        o.push('[');
        for (i, x) in self.xtimes.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            o.push_str(&x.to_string());
        }
        o.push(']');
        w.end()
    }
}
