//! Configuration, inputs, transmit requests and events of the station session.

use std::time::Duration;

use crate::datarate::Modulation;
use crate::error::DecodeError;
use crate::eui::Eui64;
use crate::message::{DeviceClass, RmtshRequest, Runcmd, Version};
use crate::router_config::RouterConfig;

/// Settings of one [`super::StationSession`].
#[derive(Debug, Clone, PartialEq)]
pub struct StationConfig {
    /// The `version` message sent on connect.
    pub version: Version,
    /// Interval of `timesync` requests; `None` for a station without PPS (the reference
    /// station only runs timesync with PPS).
    pub timesync_interval: Option<Duration>,
    /// Largest round trip for which a `timesync` reply is used (2 s at the reference station).
    pub timesync_max_rtt: Duration,
}

impl Default for StationConfig {
    fn default() -> Self {
        StationConfig {
            version: Version {
                station: concat!("loragw-basicstation ", env!("CARGO_PKG_VERSION")).to_owned(),
                firmware: None,
                package: None,
                model: "loragw".to_owned(),
                protocol: 2,
                features: String::new(),
            },
            timesync_interval: None,
            timesync_max_rtt: Duration::from_secs(2),
        }
    }
}

/// A frame the concentrator received, handed to [`super::StationSession::send_uplink`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedFrame {
    /// The PHYPayload.
    pub phy_payload: Vec<u8>,
    /// Frequency in Hz.
    pub freq: u32,
    /// Modulation; mapped to a DR index through the active `router_config`.
    pub modulation: Modulation,
    /// Concentrator time of reception.
    pub xtime: i64,
    /// Receiving txunit/antenna.
    pub rctx: i64,
    /// GPS time of reception, if known.
    pub gpstime: Option<i64>,
    /// Fine timestamp (ns), if known.
    pub fts: Option<i64>,
    /// RSSI in dBm.
    pub rssi: i32,
    /// SNR in dB.
    pub snr: f64,
    /// Station wall-clock time of reception, Unix seconds.
    pub rxtime: f64,
}

/// When to transmit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TxTime {
    /// At this concentrator time.
    Xtime(i64),
    /// At this GPS time (µs).
    Gps(i64),
    /// As soon as possible.
    Asap,
}

/// One way to send a downlink; options are tried in order (RX1, then RX2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TxOption {
    /// When.
    pub time: TxTime,
    /// DR index.
    pub dr: u8,
    /// Frequency in Hz.
    pub freq: u32,
    /// The DR's modulation in the active `router_config`.
    pub modulation: Modulation,
}

/// A downlink for the radio, from `dnmsg`, `dnsched` or `dnframe`.
#[derive(Debug, Clone, PartialEq)]
pub struct TxRequest {
    /// Downlink id (0 for schedule entries without one).
    pub diid: i64,
    /// DevEUI (zero for `dnsched` entries).
    pub dev_eui: Eui64,
    /// Device class (`dnmsg` only).
    pub device_class: Option<DeviceClass>,
    /// PHYPayload.
    pub pdu: Vec<u8>,
    /// Priority.
    pub priority: u8,
    /// Radio context (txunit) to use.
    pub rctx: i64,
    /// Transmit options in order of preference.
    pub options: Vec<TxOption>,
    /// Preamble length, if set.
    pub preamble: Option<u16>,
    /// CRC flag, if set.
    pub addcrc: Option<bool>,
    /// Whether a `dntxed` is expected: call [`super::StationSession::tx_started`] when the
    /// transmission starts.
    pub confirm: bool,
}

/// What was actually transmitted, reported with [`super::StationSession::tx_started`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TxStarted {
    /// Concentrator time of the transmission.
    pub xtime: i64,
    /// The txunit used.
    pub rctx: i64,
    /// DR index used.
    pub dr: u8,
    /// Frequency used.
    pub freq: u32,
    /// GPS time of the transmission (class B).
    pub gpstime: Option<i64>,
}

/// Something that happened on the station session; drained with
/// [`super::StationSession::poll_event`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StationEvent {
    /// A `router_config` arrived and is now active: configure the radio from it.
    RouterConfig(Box<RouterConfig>),
    /// Transmit this downlink.
    Transmit(Box<TxRequest>),
    /// A downlink was dropped, as the reference station would drop it.
    DownlinkDropped {
        /// Its id.
        diid: i64,
        /// Why.
        reason: String,
    },
    /// The LNS says concentrator time `xtime` is GPS time `gpstime`.
    TimeTransfer {
        /// Concentrator time.
        xtime: i64,
        /// GPS µs.
        gpstime: i64,
    },
    /// A `timesync` round trip completed: GPS time `gpstime` was current at station monotonic
    /// time `local_us` (µs since the session started).
    TimeSynced {
        /// Station monotonic µs.
        local_us: i64,
        /// GPS µs.
        gpstime: i64,
        /// The round trip.
        round_trip: Duration,
    },
    /// The LNS asked for xtimes: answer with [`super::StationSession::reply_xtime`].
    XtimeRequested {
        /// The MuxTime to echo.
        mux_time: Option<f64>,
    },
    /// `runcmd`.
    RunCommand(Runcmd),
    /// `rmtsh`.
    RemoteShell(RmtshRequest),
    /// An `error` text from the LNS.
    LnsError(String),
    /// A text frame that could not be decoded.
    InvalidMessage(DecodeError),
}
