//! The network side of one Tabs hub websocket.
//!
//! Same shape as [`crate::lns::LnsSession`]: feed [`TabsSession::handle_message`] (each text
//! frame), [`TabsSession::handle_timeout`] and commands; after each input drain
//! [`TabsSession::poll_transmit`], then [`TabsSession::poll_event`], then re-arm the timer from
//! [`TabsSession::poll_timeout`]. The session never reads a clock.
//!
//! Differences from the LNS session, all from the dialect: `version` is answered with a Tabs
//! `router_config`; uplinks without an `xtime` are dropped (the hub sends them before its
//! radio clock runs); a downlink is a `dnframe` at an absolute concentrator time, which needs
//! the xtime session id of an earlier uplink ([`SessionError::NoXtimeSession`] otherwise); no
//! time synchronisation messages exist. Unlike The Things Stack, a malformed message does not
//! end the session (it becomes [`TabsEvent::InvalidMessage`]), and a `dnframe` that is never
//! confirmed is reported ([`TabsEvent::TxTimeout`]).

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use super::message::{
    TabsDnframe, TabsDntxed, TabsDown, TabsRadio, TabsUp, TabsVersion, decode_up,
};
use super::router_config::TabsRouterConfig;
use super::xtime::{downlink_xtime, session_of};
use crate::datarate::{Modulation, modulation_of};
use crate::error::{DecodeError, FrameError, SessionError};
use crate::lns::UplinkKind;
use crate::message::MAX_PDU_LEN;
use crate::outbox::Outbox;

/// Settings of a [`TabsSession`].
#[derive(Debug, Clone, PartialEq)]
pub struct TabsConfig {
    /// The `router_config` to answer `version` with; `None`: the session emits
    /// [`TabsEvent::RouterConfigNeeded`] and waits for [`TabsSession::send_router_config`].
    pub router_config: Option<TabsRouterConfig>,
    /// How long after sending a `dnframe` a missing `dntxed` is reported as
    /// [`TabsEvent::TxTimeout`].
    pub tx_confirm_timeout: Duration,
    /// Largest round trip accepted from an uplink's `RefTime`.
    pub max_round_trip: Duration,
    /// First `seqno` (The Things Stack: 1); then counting up, wrapping at 65536.
    pub seqno_seed: u16,
}

impl Default for TabsConfig {
    fn default() -> Self {
        TabsConfig {
            router_config: None,
            tx_confirm_timeout: Duration::from_secs(10),
            max_round_trip: Duration::from_secs(10),
            seqno_seed: 1,
        }
    }
}

/// A downlink to send with [`TabsSession::send_downlink`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabsDownlink {
    /// PHYPayload (at most 255 bytes).
    pub pdu: Vec<u8>,
    /// TX DR index of the region.
    pub dr: u8,
    /// TX frequency in Hz.
    pub freq: u32,
    /// TX time on the hub's concentrator µs counter (only its low 40 bits are sent).
    pub concentrator_micros: i64,
}

/// An uplink frame with its radio metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct TabsUplink {
    /// [`UplinkKind::Data`] or [`UplinkKind::JoinRequest`].
    pub kind: UplinkKind,
    /// The PHYPayload rebuilt from the fields.
    pub phy_payload: Vec<u8>,
    /// `RefTime`, `DR`, `Freq`, `upinfo`.
    pub radio: TabsRadio,
    /// What `DR` means in the `router_config` sent (`None` before one or for an undefined DR).
    pub modulation: Option<Modulation>,
    /// Round trip from `RefTime`, when plausible.
    pub round_trip: Option<Duration>,
}

/// Something that happened; drained with [`TabsSession::poll_event`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TabsEvent {
    /// The hub sent `version`.
    Connected(TabsVersion),
    /// No `router_config` is configured: call [`TabsSession::send_router_config`].
    RouterConfigNeeded,
    /// The configured `router_config` could not be encoded.
    RouterConfigFailed(SessionError),
    /// An uplink.
    Uplink(Box<TabsUplink>),
    /// A `jreq`/`updf` without `xtime`, dropped (the hub's clock is not running yet).
    UplinkWithoutXtime(UplinkKind),
    /// The hub transmitted `dnframe` `seqno`.
    TxConfirmed {
        /// The seqno returned by `send_downlink`.
        seqno: u16,
        /// The confirmation.
        dntxed: TabsDntxed,
    },
    /// A `dntxed` for no pending downlink (timed out already, or unknown).
    TxUnmatched(TabsDntxed),
    /// No `dntxed` came in time for `dnframe` `seqno`.
    TxTimeout {
        /// The seqno.
        seqno: u16,
    },
    /// A new xtime session id was seen.
    XtimeSession {
        /// The new id (top 16 bits of `xtime`, signed).
        session: i64,
        /// The previous one.
        previous: Option<i64>,
    },
    /// A message type this dialect does not use (`propdf`, `timesync`, ...), ignored.
    Ignored(String),
    /// A text frame that could not be decoded (the session goes on).
    InvalidMessage(DecodeError),
    /// Uplink fields that do not form a PHYPayload (`updf` MType not data up, bad FOpts, ...).
    InvalidFrame(FrameError),
}

/// The network side of one Tabs hub connection. Drain [`TabsSession::poll_transmit`], then
/// [`TabsSession::poll_event`] after each input, then re-arm from [`TabsSession::poll_timeout`]
/// (see [`crate::tabs`] for the run loop).
#[derive(Debug)]
pub struct TabsSession {
    config: TabsConfig,
    version: Option<TabsVersion>,
    router_config: Option<TabsRouterConfig>,
    xtime_session: Option<i64>,
    last_xtime: Option<i64>,
    next_seqno: u16,
    pending: BTreeMap<u16, Instant>,
    outbox: Outbox,
    events: VecDeque<TabsEvent>,
}

impl TabsSession {
    /// A session for a websocket that has just been accepted.
    pub fn new(config: TabsConfig) -> TabsSession {
        TabsSession {
            next_seqno: config.seqno_seed,
            config,
            version: None,
            router_config: None,
            xtime_session: None,
            last_xtime: None,
            pending: BTreeMap::new(),
            outbox: Outbox::default(),
            events: VecDeque::new(),
        }
    }

    /// The hub's `version`, once received.
    pub fn version(&self) -> Option<&TabsVersion> {
        self.version.as_ref()
    }

    /// The `router_config` last sent.
    pub fn router_config(&self) -> Option<&TabsRouterConfig> {
        self.router_config.as_ref()
    }

    /// The xtime session id, once an uplink showed one.
    pub fn xtime_session(&self) -> Option<i64> {
        self.xtime_session
    }

    /// The `xtime` of the latest accepted uplink (the clock-sync reference).
    pub fn last_xtime(&self) -> Option<i64> {
        self.last_xtime
    }

    /// Downlinks sent and not yet confirmed or timed out.
    pub fn pending_downlinks(&self) -> usize {
        self.pending.len()
    }

    /// Handles one text frame from the hub.
    pub fn handle_message(&mut self, now_unix: f64, text: &str) {
        let msg = match decode_up(text) {
            Ok(m) => m,
            Err(e) => {
                self.events.push_back(TabsEvent::InvalidMessage(e));
                return;
            }
        };
        match msg {
            TabsUp::Version(v) => {
                self.version = Some(v.clone());
                self.events.push_back(TabsEvent::Connected(v));
                match self.config.router_config.clone() {
                    Some(cfg) => {
                        if let Err(e) = self.send_router_config(now_unix, cfg) {
                            self.events.push_back(TabsEvent::RouterConfigFailed(e));
                        }
                    }
                    None => self.events.push_back(TabsEvent::RouterConfigNeeded),
                }
            }
            TabsUp::Jreq(j) => {
                let mut phy = Vec::new();
                j.write_phy_payload(&mut phy);
                self.on_uplink(now_unix, UplinkKind::JoinRequest, phy, j.radio);
            }
            TabsUp::Updf(u) => {
                let mut phy = Vec::new();
                let mtype = crate::frame::mtype(u.mhdr);
                // Data up only: unconfirmed (2) or confirmed (4).
                if mtype != 2 && mtype != 4 {
                    self.events
                        .push_back(TabsEvent::InvalidFrame(FrameError::BadMhdr(u.mhdr)));
                    return;
                }
                if let Err(e) = u.write_phy_payload(&mut phy) {
                    self.events.push_back(TabsEvent::InvalidFrame(e));
                    return;
                }
                self.on_uplink(now_unix, UplinkKind::Data, phy, u.radio);
            }
            TabsUp::Dntxed(d) => {
                let seqno = u16::try_from(d.seqno).ok();
                match seqno.and_then(|s| self.pending.remove(&s).map(|_| s)) {
                    Some(seqno) => self
                        .events
                        .push_back(TabsEvent::TxConfirmed { seqno, dntxed: d }),
                    None => self.events.push_back(TabsEvent::TxUnmatched(d)),
                }
            }
            TabsUp::Other(m) => self.events.push_back(TabsEvent::Ignored(m)),
        }
    }

    fn on_uplink(&mut self, now_unix: f64, kind: UplinkKind, phy: Vec<u8>, radio: TabsRadio) {
        let xtime = radio.upinfo.xtime;
        if xtime == 0 {
            self.events.push_back(TabsEvent::UplinkWithoutXtime(kind));
            return;
        }
        let session = session_of(xtime);
        if self.xtime_session != Some(session) {
            let previous = self.xtime_session.replace(session);
            self.events
                .push_back(TabsEvent::XtimeSession { session, previous });
        }
        self.last_xtime = Some(xtime);
        let round_trip = radio.ref_time.and_then(|r| {
            let d = now_unix - r;
            (d > 0.0)
                .then(|| Duration::try_from_secs_f64(d).ok())
                .flatten()
                .filter(|rtt| *rtt <= self.config.max_round_trip)
        });
        let modulation = self
            .router_config
            .as_ref()
            .and_then(|c| modulation_of(&c.drs, radio.dr));
        self.events
            .push_back(TabsEvent::Uplink(Box::new(TabsUplink {
                kind,
                phy_payload: phy,
                radio,
                modulation,
                round_trip,
            })));
    }

    /// Sends `router_config` (its `MuxTime` set to `now_unix`); downlinks are accepted from
    /// then on.
    pub fn send_router_config(
        &mut self,
        now_unix: f64,
        mut config: TabsRouterConfig,
    ) -> Result<(), SessionError> {
        config.mux_time = now_unix;
        let mut out = String::new();
        TabsDown::RouterConfig(Box::new(config.clone())).encode(&mut out)?;
        self.outbox.push(out);
        self.router_config = Some(config);
        Ok(())
    }

    /// Sends a `dnframe`; returns its `seqno`. Needs a `router_config` sent and an xtime
    /// session id from an earlier uplink.
    pub fn send_downlink(
        &mut self,
        now: Instant,
        now_unix: f64,
        downlink: TabsDownlink,
    ) -> Result<u16, SessionError> {
        if self.router_config.is_none() {
            return Err(SessionError::NotReady(
                "router_config not sent yet: the hub would drop the downlink",
            ));
        }
        let session = self.xtime_session.ok_or(SessionError::NoXtimeSession)?;
        if downlink.pdu.len() > MAX_PDU_LEN {
            return Err(SessionError::InvalidArgument(format!(
                "pdu of {} bytes, at most {MAX_PDU_LEN}",
                downlink.pdu.len()
            )));
        }
        let seqno = self.next_seqno;
        let frame = TabsDnframe {
            seqno: i64::from(seqno),
            pdu: downlink.pdu,
            dr: downlink.dr,
            freq: downlink.freq,
            xtime: downlink_xtime(session, downlink.concentrator_micros),
            rctx: 0,
            mux_time: now_unix,
        };
        let mut out = String::new();
        TabsDown::Dnframe(frame).encode(&mut out)?;
        self.outbox.push(out);
        self.next_seqno = seqno.wrapping_add(1);
        self.pending
            .insert(seqno, now + self.config.tx_confirm_timeout);
        Ok(seqno)
    }

    /// Reports downlinks whose confirmation is overdue.
    pub fn handle_timeout(&mut self, now: Instant) {
        let expired: Vec<u16> = self
            .pending
            .iter()
            .filter(|(_, d)| **d <= now)
            .map(|(s, _)| *s)
            .collect();
        for seqno in expired {
            self.pending.remove(&seqno);
            self.events.push_back(TabsEvent::TxTimeout { seqno });
        }
    }

    /// The next text frame to write: clears `buf`, fills it, returns true; false when none.
    #[must_use]
    pub fn poll_transmit(&mut self, buf: &mut String) -> bool {
        self.outbox.pop_into(buf)
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<TabsEvent> {
        self.events.pop_front()
    }

    /// When to call [`TabsSession::handle_timeout`] next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending.values().min().copied()
    }
}
