//! Configuration, commands and events of the LNS session.

use std::sync::Arc;
use std::time::Duration;

use crate::error::DecodeError;
use crate::eui::Eui64;
use crate::frame::UplinkRadio;
use crate::message::{Alarm, Dntxed, Event, GetxtimeReply, RmtshStatus, TxWindow, Version};
use crate::router_config::RouterConfig;

/// Settings of one [`super::LnsSession`].
#[derive(Debug, Clone, PartialEq)]
pub struct LnsConfig {
    /// The `router_config` to answer `version` with. `None`: the session emits
    /// [`LnsEvent::RouterConfigNeeded`] and waits for [`super::LnsSession::send_router_config`].
    /// Shared: stations with equal configurations may hold one copy (the `MuxTime` each one
    /// is sent with is the session's, see [`super::LnsSession::router_config_sent_at`]).
    pub router_config: Option<Arc<RouterConfig>>,
    /// How long after a downlink's expected transmit time a missing `dntxed` is reported as
    /// [`LnsEvent::TxTimeout`] (the station sends no negative acknowledgement).
    pub tx_confirm_timeout: Duration,
    /// Interval of LNS-initiated time transfer (`getxtime`, then `timesync` with `xtime` and
    /// `gpstime`); `None` disables it. It also stops once the station sends its own `timesync`
    /// (the station has PPS and asks itself). A `getxtime` answered with every `xtimes` entry 0
    /// is asked again after [`super::TIME_TRANSFER_RETRY`] (5 s).
    pub time_transfer_interval: Option<Duration>,
    /// Largest `getxtime` round trip for which a time transfer is still sent (the transfer's
    /// error is up to half of it).
    pub time_transfer_max_rtt: Duration,
    /// Largest round trip accepted as a sample from an uplink's `RefTime`.
    pub max_round_trip: Duration,
    /// First downlink id (`diid`); ids then count up. Makes runs reproducible.
    pub diid_seed: i64,
}

impl Default for LnsConfig {
    fn default() -> Self {
        LnsConfig {
            router_config: None,
            tx_confirm_timeout: Duration::from_secs(10),
            time_transfer_interval: Some(Duration::from_secs(200)),
            time_transfer_max_rtt: Duration::from_millis(300),
            max_round_trip: Duration::from_secs(10),
            diid_seed: 1,
        }
    }
}

/// When and how a [`DownlinkRequest`] is transmitted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DownlinkSchedule {
    /// Class A: relative to the uplink received at `uplink_xtime`; RX1 after `rx_delay` seconds
    /// (0 means 1), RX2 one second later. At least one window is needed.
    ClassA {
        /// The uplink's `upinfo.xtime`.
        uplink_xtime: i64,
        /// RX1 delay in seconds (0..=15).
        rx_delay: u8,
        /// RX1 window.
        rx1: Option<TxWindow>,
        /// RX2 window.
        rx2: Option<TxWindow>,
    },
    /// Class B (or any absolute GPS time): `dC` 1 with `gpstime`.
    ClassB {
        /// Transmit time, µs since the GPS epoch.
        gpstime: i64,
        /// Data rate and frequency.
        window: TxWindow,
    },
    /// Class C: as soon as possible in RX2. Needs no xtime, so it works before the first
    /// uplink of a session.
    ClassC {
        /// The RX2 window.
        window: TxWindow,
    },
    /// At an absolute concentrator time: the 48-bit µs counter of `txunit` in the current xtime
    /// session (sent as class A with `RxDelay` 1 and `xtime` one second earlier). Needs an
    /// xtime session ([`crate::SessionError::NoXtimeSession`] otherwise).
    ConcentratorTime {
        /// Concentrator µs (bits 47..0 of an xtime).
        micros: i64,
        /// Radio unit.
        txunit: u8,
        /// Data rate and frequency.
        window: TxWindow,
    },
}

/// A downlink to send with [`super::LnsSession::send_downlink`].
#[derive(Debug, Clone, PartialEq)]
pub struct DownlinkRequest {
    /// Device EUI; the station confirms with `dntxed` only when it is non-zero, so a zero EUI
    /// disables confirmation tracking for this downlink.
    pub dev_eui: Eui64,
    /// PHYPayload (at most 255 bytes).
    pub pdu: Vec<u8>,
    /// Priority 0..=255.
    pub priority: u8,
    /// Radio context (antenna/txunit); for class A use the uplink's `upinfo.rctx`.
    pub rctx: Option<i64>,
    /// When to send.
    pub schedule: DownlinkSchedule,
}

/// What kind of frame an [`Uplink`] carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UplinkKind {
    /// `updf`: a data uplink.
    Data,
    /// `jreq`.
    JoinRequest,
    /// `rejoin`.
    Rejoin,
    /// `propdf`.
    Proprietary,
    /// `jacc` (device mode).
    JoinAccept,
    /// `dndf` (device mode).
    DownlinkData,
}

/// An uplink frame with its radio metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Uplink {
    /// The message type it came in.
    pub kind: UplinkKind,
    /// The PHYPayload rebuilt byte-exactly from the message fields.
    pub phy_payload: Vec<u8>,
    /// `RefTime`, `DR`, `Freq` and `upinfo` (xtime, rctx, gpstime, fts, rssi, snr, rxtime).
    pub radio: UplinkRadio,
    /// What `DR` means in the `router_config` this session sent (`None` before one was sent
    /// or for an undefined DR).
    pub modulation: Option<crate::datarate::Modulation>,
    /// Round trip measured from `RefTime` (LNS wall time minus `RefTime`), when plausible.
    pub round_trip: Option<Duration>,
}

/// Something that happened on the session; drained with [`super::LnsSession::poll_event`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LnsEvent {
    /// The station sent `version`.
    Connected(Version),
    /// No `router_config` is configured: call [`super::LnsSession::send_router_config`].
    RouterConfigNeeded,
    /// The configured `router_config` could not be encoded (over 65,535 bytes or a non-finite
    /// number); the session keeps waiting for [`super::LnsSession::send_router_config`].
    RouterConfigFailed(crate::error::SessionError),
    /// An uplink.
    Uplink(Box<Uplink>),
    /// The station transmitted downlink `diid`.
    TxConfirmed {
        /// The downlink id returned by `send_downlink`.
        diid: i64,
        /// The station's confirmation.
        dntxed: Dntxed,
    },
    /// A `dntxed` for no pending downlink (already timed out, or another session's).
    TxUnmatched(Dntxed),
    /// No `dntxed` arrived for downlink `diid` in time: the station dropped it (too late, duty
    /// cycle, CCA, wrong xtime session, ...).
    TxTimeout {
        /// The downlink id.
        diid: i64,
        /// Its device.
        dev_eui: Eui64,
    },
    /// A new xtime session id was seen (radio restart or a new connection).
    XtimeSession {
        /// The new session id.
        session: u8,
        /// The one it replaces.
        previous: Option<u8>,
    },
    /// The station answered `getxtime`.
    Xtime {
        /// The reply.
        reply: GetxtimeReply,
        /// Round trip from the echoed MuxTime.
        round_trip: Option<Duration>,
    },
    /// The station sent its own `timesync`, answered automatically; periodic transfer stops.
    TimesyncAnswered {
        /// The request's txtime.
        txtime: i64,
        /// The GPS time sent back.
        gpstime: i64,
    },
    /// The LNS sent a time transfer (`timesync` with `xtime` and `gpstime`).
    TimeTransferred {
        /// Concentrator time.
        xtime: i64,
        /// GPS time it was mapped to.
        gpstime: i64,
    },
    /// Remote-shell status.
    RemoteShell(RmtshStatus),
    /// A station `event`.
    StationEvent(Event),
    /// A station `alarm`.
    Alarm(Alarm),
    /// A text frame that could not be decoded (the session goes on).
    InvalidMessage(DecodeError),
    /// A station uplink frame whose fields do not form a PHYPayload.
    InvalidFrame(crate::error::FrameError),
}
