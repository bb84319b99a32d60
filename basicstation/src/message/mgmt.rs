//! Management messages: `version`, `runcmd`, `rmtsh` (JSON part), `error`, `event`, `alarm`.

use serde::Deserialize;

use crate::error::EncodeError;
use crate::json::{ObjWriter, write_json_str};

/// `version` station → LNS, the first message of a session.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct Version {
    /// Station version string, e.g. `2.0.6(linux/testsim)`.
    #[serde(default)]
    pub station: String,
    /// Firmware version (`null` when unknown).
    #[serde(default)]
    pub firmware: Option<String>,
    /// Package version (`null` when unknown).
    #[serde(default)]
    pub package: Option<String>,
    /// Build platform / model.
    #[serde(default)]
    pub model: String,
    /// Protocol version (2 for station 2.x).
    #[serde(default)]
    pub protocol: u32,
    /// Space-separated feature list (`rmtsh`, `prod`, `gps`).
    #[serde(default)]
    pub features: String,
}

impl Version {
    /// The features, split.
    pub fn features(&self) -> impl Iterator<Item = &str> {
        self.features.split_ascii_whitespace()
    }

    /// Whether the station announced feature `name`.
    pub fn has_feature(&self, name: &str) -> bool {
        self.features().any(|f| f == name)
    }

    pub(crate) fn write(&self, out: &mut String) -> Result<(), EncodeError> {
        let mut w = ObjWriter::message(out, "version");
        w.str("station", &self.station);
        w.opt_str("firmware", self.firmware.as_deref());
        w.opt_str("package", self.package.as_deref());
        w.str("model", &self.model);
        w.uint("protocol", u64::from(self.protocol));
        w.str("features", &self.features);
        w.end()
    }
}

/// `runcmd` LNS → station: run a command detached (no reply).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Runcmd {
    /// Command path or shell string.
    pub command: String,
    /// Arguments (the station takes up to 64).
    #[serde(default)]
    pub arguments: Vec<String>,
}

impl Runcmd {
    pub(crate) fn write(&self, out: &mut String) -> Result<(), EncodeError> {
        let mut w = ObjWriter::message(out, "runcmd");
        w.str("command", &self.command);
        w.key("arguments");
        let o = w.raw_out();
        o.push('[');
        for (i, a) in self.arguments.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            write_json_str(o, a);
        }
        o.push(']');
        w.end()
    }
}

/// `rmtsh` LNS → station (the JSON part; shell bytes travel in binary frames).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RmtshRequest {
    /// Start session `index` for `user` with terminal type `term`.
    Start {
        /// Session index (0..2 at the reference station).
        index: u8,
        /// User label.
        user: String,
        /// Terminal type, e.g. `xterm`.
        term: String,
    },
    /// Stop session `index`.
    Stop {
        /// Session index.
        index: u8,
    },
    /// Ask for the sessions' status.
    Status,
}

#[derive(Deserialize)]
pub(crate) struct RmtshRequestWire {
    #[serde(default)]
    start: Option<u8>,
    #[serde(default)]
    stop: Option<u8>,
    #[serde(default)]
    user: String,
    #[serde(default)]
    term: String,
}

impl RmtshRequestWire {
    pub(crate) fn into_message(self) -> RmtshRequest {
        match (self.start, self.stop) {
            (Some(index), _) => RmtshRequest::Start {
                index,
                user: self.user,
                term: self.term,
            },
            (None, Some(index)) => RmtshRequest::Stop { index },
            (None, None) => RmtshRequest::Status,
        }
    }
}

impl RmtshRequest {
    pub(crate) fn write(&self, out: &mut String) -> Result<(), EncodeError> {
        let mut w = ObjWriter::message(out, "rmtsh");
        match self {
            RmtshRequest::Start { index, user, term } => {
                w.uint("start", u64::from(*index));
                w.str("user", user);
                w.str("term", term);
            }
            RmtshRequest::Stop { index } => w.uint("stop", u64::from(*index)),
            RmtshRequest::Status => {}
        }
        w.end()
    }
}

/// One remote-shell slot in an `rmtsh` status reply.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RmtshSession {
    /// User label.
    #[serde(default)]
    pub user: String,
    /// Whether the shell runs.
    #[serde(default)]
    pub started: bool,
    /// Age in seconds (-1 when unused).
    #[serde(default)]
    pub age: i64,
    /// Process id (0 when unused).
    #[serde(default)]
    pub pid: i64,
}

/// `rmtsh` station → LNS: status of the remote-shell slots.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RmtshStatus {
    /// One entry per slot.
    #[serde(rename = "rmtsh", default)]
    pub sessions: Vec<RmtshSession>,
}

impl RmtshStatus {
    pub(crate) fn write(&self, out: &mut String) -> Result<(), EncodeError> {
        let mut w = ObjWriter::message(out, "rmtsh");
        w.key("rmtsh");
        w.raw_out().push('[');
        for (i, s) in self.sessions.iter().enumerate() {
            if i > 0 {
                w.raw_out().push(',');
            }
            let mut o = ObjWriter::element(w.raw_out(), "rmtsh");
            o.str("user", &s.user);
            o.bool("started", s.started);
            o.int("age", s.age);
            o.int("pid", s.pid);
            o.end()?;
        }
        w.raw_out().push(']');
        w.end()
    }
}

/// `error` LNS → station: a text the station logs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LnsError {
    /// The text.
    #[serde(default)]
    pub error: String,
}

impl LnsError {
    pub(crate) fn write(&self, out: &mut String) -> Result<(), EncodeError> {
        let mut w = ObjWriter::message(out, "error");
        w.str("error", &self.error);
        w.end()
    }
}

/// The body of an `event` (`evmsg`); the GPS events carry these fields.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
pub struct EventBody {
    /// `fix`, `move`, `nofix`, ...
    #[serde(default)]
    pub evtype: String,
    /// Latitude in degrees.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude in degrees.
    #[serde(default)]
    pub lon: Option<f64>,
    /// Altitude in metres.
    #[serde(default)]
    pub alt: Option<f64>,
    /// Dilution of precision.
    #[serde(default)]
    pub dilution: Option<f64>,
    /// Satellites in view.
    #[serde(default)]
    pub satellites: Option<i64>,
    /// Fix quality.
    #[serde(default)]
    pub quality: Option<i64>,
    /// For `nofix`: µs since the fix was lost.
    #[serde(default)]
    pub since: Option<i64>,
}

/// `event` station → LNS (GPS events at the reference station).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Event {
    /// Event category, e.g. `gps`.
    #[serde(default)]
    pub evcat: String,
    /// Event body.
    #[serde(default)]
    pub evmsg: EventBody,
}

impl Event {
    pub(crate) fn write(&self, out: &mut String) -> Result<(), EncodeError> {
        let mut w = ObjWriter::message(out, "event");
        w.str("evcat", &self.evcat);
        let b = &self.evmsg;
        let mut o = w.nested("evmsg");
        o.str("evtype", &b.evtype);
        for (k, v) in [
            ("lat", b.lat),
            ("lon", b.lon),
            ("alt", b.alt),
            ("dilution", b.dilution),
        ] {
            if let Some(v) = v {
                o.num(k, v);
            }
        }
        for (k, v) in [
            ("satellites", b.satellites),
            ("quality", b.quality),
            ("since", b.since),
        ] {
            if let Some(v) = v {
                o.int(k, v);
            }
        }
        o.end()?;
        w.end()
    }
}

/// `alarm` station → LNS: a text.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Alarm {
    /// The text.
    #[serde(default)]
    pub text: String,
}

impl Alarm {
    pub(crate) fn write(&self, out: &mut String) -> Result<(), EncodeError> {
        let mut w = ObjWriter::message(out, "alarm");
        w.str("text", &self.text);
        w.end()
    }
}
