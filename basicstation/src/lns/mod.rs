//! The LNS session: the network side of one station websocket.
//!
//! Feed it with [`LnsSession::handle_message`] (each text frame), [`LnsSession::handle_timeout`]
//! (when [`LnsSession::poll_timeout`] says) and commands ([`LnsSession::send_downlink`], ...).
//! After each input drain, in this order, [`LnsSession::poll_transmit`] (text frames to write)
//! and [`LnsSession::poll_event`] (what happened), again while [`LnsSession::has_output`] (a
//! command given while handling an event queued a frame), then re-arm the timer from
//! [`LnsSession::poll_timeout`] (due at once while output is queued). The crate docs have this
//! loop as a running example.
//!
//! Time comes in twice: `now: Instant` (monotonic; timers) and `now_unix: f64` (the LNS's wall
//! clock in Unix seconds; `MuxTime`, round trips, GPS time). The session never reads a clock.
//!
//! One session per websocket: on reconnect, drop the old session and start a new one (the
//! station picks a new xtime session id when its radio restarts; class A downlinks from the
//! old session are refused with a clear error rather than silently dropped by the station).

mod downlink;
mod types;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use types::{DownlinkRequest, DownlinkSchedule, LnsConfig, LnsEvent, Uplink, UplinkKind};

use crate::datarate::modulation_of;
use crate::error::SessionError;
use crate::message::{
    DownMessage, GetxtimeRequest, LnsError, RmtshRequest, Runcmd, TimeTransfer, TimesyncReply,
    UpMessage, decode_up,
};
use crate::outbox::Outbox;
use crate::router_config::RouterConfig;
use crate::xtime;

/// How soon the periodic time transfer asks again when the station answered its `getxtime`
/// with every `xtimes` entry 0 (the radio clock is not up yet, e.g. just after the station
/// started): 5 s, instead of a whole [`LnsConfig::time_transfer_interval`].
pub const TIME_TRANSFER_RETRY: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitingVersion,
    AwaitingRouterConfig,
    Running,
}

#[derive(Debug, Clone, Copy)]
struct PendingTx {
    deadline: Instant,
    dev_eui: crate::Eui64,
}

/// The network side of one Basics Station connection. See the [module docs](self).
#[derive(Debug)]
pub struct LnsSession {
    config: LnsConfig,
    phase: Phase,
    version: Option<crate::message::Version>,
    /// The `router_config` last sent, as given (shared, not copied per session)...
    router_config: Option<Arc<RouterConfig>>,
    /// ... and the `MuxTime` it went out with.
    router_config_sent_at: Option<f64>,
    xtime_session: Option<u8>,
    next_diid: i64,
    pending: BTreeMap<i64, PendingTx>,
    outbox: Outbox,
    events: VecDeque<LnsEvent>,
    next_time_transfer: Option<Instant>,
    time_transfer_enabled: bool,
    /// The `MuxTime` of the periodic `getxtime` in flight, as written on the wire (µs).
    periodic_getxtime: Option<f64>,
    last_round_trip: Option<Duration>,
    scratch: Vec<u8>,
    /// The latest `now` passed in: what [`LnsSession::poll_timeout`] answers while output is
    /// queued.
    last_now: Option<Instant>,
}

/// A non-negative number of seconds as a `Duration`; `None` for negative, NaN, infinite or
/// too large values (the difference of two wire times can be anything, e.g. `MuxTime: -1e300`).
fn secs(d: f64) -> Option<Duration> {
    if d < 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(d).ok()
}

impl LnsSession {
    /// A session for a websocket that has just been accepted.
    pub fn new(config: LnsConfig) -> LnsSession {
        LnsSession {
            next_diid: config.diid_seed,
            time_transfer_enabled: config.time_transfer_interval.is_some(),
            config,
            phase: Phase::AwaitingVersion,
            version: None,
            router_config: None,
            router_config_sent_at: None,
            xtime_session: None,
            pending: BTreeMap::new(),
            outbox: Outbox::default(),
            events: VecDeque::new(),
            next_time_transfer: None,
            periodic_getxtime: None,
            last_round_trip: None,
            scratch: Vec::new(),
            last_now: None,
        }
    }

    /// Remembers the time of an input (the latest one wins).
    fn input_at(&mut self, now: Instant) {
        self.last_now = Some(self.last_now.map_or(now, |last| last.max(now)));
    }

    /// The station's `version`, once received.
    pub fn version(&self) -> Option<&crate::message::Version> {
        self.version.as_ref()
    }

    /// The `router_config` last sent, as it was given (its `MuxTime` on the wire is
    /// [`router_config_sent_at`](Self::router_config_sent_at)).
    pub fn router_config(&self) -> Option<&RouterConfig> {
        self.router_config.as_deref()
    }

    /// The `MuxTime` the last `router_config` was sent with.
    pub fn router_config_sent_at(&self) -> Option<f64> {
        self.router_config_sent_at
    }

    /// The current xtime session id, once an uplink, `dntxed` or `getxtime` reply showed one.
    pub fn xtime_session(&self) -> Option<u8> {
        self.xtime_session
    }

    /// The latest round-trip sample (from `RefTime` or a `getxtime` reply).
    pub fn round_trip(&self) -> Option<Duration> {
        self.last_round_trip
    }

    /// Whether `router_config` was sent (downlinks are accepted from then on).
    pub fn is_running(&self) -> bool {
        self.phase == Phase::Running
    }

    /// Downlinks sent and not yet confirmed or timed out.
    pub fn pending_downlinks(&self) -> usize {
        self.pending.len()
    }

    /// Handles one text frame from the station.
    pub fn handle_message(&mut self, now: Instant, now_unix: f64, text: &str) {
        self.input_at(now);
        let msg = match decode_up(text) {
            Ok(m) => m,
            Err(e) => {
                self.events.push_back(LnsEvent::InvalidMessage(e));
                return;
            }
        };
        match msg {
            UpMessage::Version(v) => {
                self.version = Some(v.clone());
                self.events.push_back(LnsEvent::Connected(v));
                // Once sent, the configured `router_config` is kept only as the one sent
                // (one copy per session, not two); a later `version` gets that one again.
                let configured = self.config.router_config.take();
                match configured.clone().or_else(|| self.router_config.clone()) {
                    Some(cfg) => {
                        if let Err(e) = self.send_router_config(now, now_unix, cfg) {
                            self.config.router_config = configured;
                            self.events.push_back(LnsEvent::RouterConfigFailed(e));
                        }
                    }
                    None => {
                        self.phase = Phase::AwaitingRouterConfig;
                        self.events.push_back(LnsEvent::RouterConfigNeeded);
                    }
                }
            }
            UpMessage::Updf(_)
            | UpMessage::Dndf(_)
            | UpMessage::Jreq(_)
            | UpMessage::Rejoin(_)
            | UpMessage::Propdf(_)
            | UpMessage::Jacc(_) => self.on_uplink(now_unix, &msg),
            UpMessage::Dntxed(d) => {
                if d.xtime != 0 {
                    self.track_xtime(d.xtime);
                }
                match self.pending.remove(&d.diid) {
                    Some(_) => self.events.push_back(LnsEvent::TxConfirmed {
                        diid: d.diid,
                        dntxed: d,
                    }),
                    None => self.events.push_back(LnsEvent::TxUnmatched(d)),
                }
            }
            UpMessage::Timesync(t) => {
                let gpstime = xtime::unix_to_gps_micros(now_unix);
                self.time_transfer_enabled = false;
                self.next_time_transfer = None;
                self.queue(DownMessage::TimesyncReply(TimesyncReply {
                    txtime: t.txtime,
                    gpstime,
                    mux_time: Some(now_unix),
                }));
                self.events.push_back(LnsEvent::TimesyncAnswered {
                    txtime: t.txtime,
                    gpstime,
                });
            }
            UpMessage::Getxtime(reply) => self.on_getxtime(now, now_unix, reply),
            UpMessage::Rmtsh(s) => self.events.push_back(LnsEvent::RemoteShell(s)),
            UpMessage::Event(e) => self.events.push_back(LnsEvent::StationEvent(e)),
            UpMessage::Alarm(a) => self.events.push_back(LnsEvent::Alarm(a)),
        }
    }

    fn track_xtime(&mut self, x: i64) {
        let session = xtime::session_id(x);
        if self.xtime_session != Some(session) {
            let previous = self.xtime_session.replace(session);
            self.events
                .push_back(LnsEvent::XtimeSession { session, previous });
        }
    }

    fn on_uplink(&mut self, now_unix: f64, msg: &UpMessage) {
        self.scratch.clear();
        let radio = match msg.write_phy_payload(&mut self.scratch) {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) => {
                self.events.push_back(LnsEvent::InvalidFrame(e));
                return;
            }
        };
        let kind = match msg {
            UpMessage::Updf(_) => UplinkKind::Data,
            UpMessage::Dndf(_) => UplinkKind::DownlinkData,
            UpMessage::Jreq(_) => UplinkKind::JoinRequest,
            UpMessage::Rejoin(_) => UplinkKind::Rejoin,
            UpMessage::Jacc(_) => UplinkKind::JoinAccept,
            _ => UplinkKind::Proprietary,
        };
        if radio.upinfo.xtime != 0 {
            self.track_xtime(radio.upinfo.xtime);
        }
        let round_trip = radio
            .ref_time
            .and_then(|r| self.round_trip_since(now_unix, r));
        if round_trip.is_some() {
            self.last_round_trip = round_trip;
        }
        let modulation = self
            .router_config
            .as_ref()
            .and_then(|c| modulation_of(&c.drs, radio.dr));
        self.events.push_back(LnsEvent::Uplink(Box::new(Uplink {
            kind,
            phy_payload: self.scratch.clone(),
            radio,
            modulation,
            round_trip,
        })));
    }

    /// The round trip from an echoed wall time (`RefTime`, a `getxtime` reply's `MuxTime`) to
    /// `now_unix`, when plausible: positive and at most `max_round_trip`. Wire values such as
    /// `-1e300` or `-1` give `None`.
    fn round_trip_since(&self, now_unix: f64, echoed: f64) -> Option<Duration> {
        secs(now_unix - echoed).filter(|rtt| !rtt.is_zero() && *rtt <= self.config.max_round_trip)
    }

    fn on_getxtime(&mut self, now: Instant, now_unix: f64, reply: crate::message::GetxtimeReply) {
        for &x in &reply.xtimes {
            if x != 0 {
                self.track_xtime(x);
                break;
            }
        }
        let round_trip = reply
            .mux_time
            .and_then(|m| self.round_trip_since(now_unix, m));
        if round_trip.is_some() {
            self.last_round_trip = round_trip;
        }
        let periodic = self.periodic_getxtime.take();
        if periodic.is_some() && self.time_transfer_enabled && reply.xtimes.iter().all(|&x| x == 0)
        {
            // The radio clock is not up yet: ask again soon rather than after a whole interval.
            let retry = now + TIME_TRANSFER_RETRY;
            self.next_time_transfer = Some(self.next_time_transfer.map_or(retry, |t| t.min(retry)));
        }
        if let (Some(sent), Some(echo), Some(rtt)) = (periodic, reply.mux_time, round_trip)
            && sent == echo
            && self.time_transfer_enabled
            && rtt <= self.config.time_transfer_max_rtt
            && let Some(&x) = reply.xtimes.iter().find(|&&x| x != 0)
        {
            // The station sampled its xtime about half a round trip after we sent the request.
            let gpstime = xtime::unix_to_gps_micros(sent + rtt.as_secs_f64() / 2.0);
            self.queue(DownMessage::TimeTransfer(TimeTransfer {
                xtime: Some(x),
                gpstime: Some(gpstime),
                mux_time: Some(now_unix),
            }));
            self.events
                .push_back(LnsEvent::TimeTransferred { xtime: x, gpstime });
        }
        self.events.push_back(LnsEvent::Xtime { reply, round_trip });
    }

    fn queue(&mut self, msg: DownMessage) {
        let mut out = String::new();
        // Every message queued here is small and finite by construction.
        if msg.encode(&mut out).is_ok() {
            self.outbox.push(out);
        }
    }

    fn queue_checked(&mut self, msg: &DownMessage) -> Result<(), SessionError> {
        let mut out = String::new();
        msg.encode(&mut out)?;
        self.outbox.push(out);
        Ok(())
    }

    /// Sends `router_config` (its `MuxTime` set to `now_unix`) and starts accepting downlinks.
    /// Can be called again later to reconfigure the station. The session keeps `config` as
    /// given: an `Arc` shared with other sessions stays one copy.
    pub fn send_router_config(
        &mut self,
        now: Instant,
        now_unix: f64,
        config: impl Into<Arc<RouterConfig>>,
    ) -> Result<(), SessionError> {
        self.input_at(now);
        let config = config.into();
        let mut sent = RouterConfig::clone(&config);
        sent.mux_time = Some(now_unix);
        self.queue_checked(&DownMessage::RouterConfig(Box::new(sent)))?;
        self.router_config = Some(config);
        self.router_config_sent_at = Some(now_unix);
        self.phase = Phase::Running;
        if self.time_transfer_enabled && self.next_time_transfer.is_none() {
            self.next_time_transfer = Some(now);
        }
        Ok(())
    }

    fn require_running(&self) -> Result<(), SessionError> {
        if self.phase != Phase::Running {
            return Err(SessionError::NotReady(
                "router_config not sent yet: the station would drop the downlink",
            ));
        }
        Ok(())
    }

    /// Asks for the station's current xtimes; the reply comes as [`LnsEvent::Xtime`].
    pub fn request_xtime(&mut self, now_unix: f64) -> Result<(), SessionError> {
        self.queue_checked(&DownMessage::Getxtime(GetxtimeRequest {
            mux_time: Some(now_unix),
        }))
    }

    /// Tells the station that concentrator time `xtime` is GPS time `gpstime` (µs).
    pub fn transfer_time(
        &mut self,
        now_unix: f64,
        xtime: i64,
        gpstime: i64,
    ) -> Result<(), SessionError> {
        self.queue_checked(&DownMessage::TimeTransfer(TimeTransfer {
            xtime: Some(xtime),
            gpstime: Some(gpstime),
            mux_time: Some(now_unix),
        }))
    }

    /// Runs a command on the station (`runcmd`; no reply).
    pub fn run_command(&mut self, command: &str, arguments: &[&str]) -> Result<(), SessionError> {
        self.queue_checked(&DownMessage::Runcmd(Runcmd {
            command: command.to_owned(),
            arguments: arguments.iter().map(|&a| a.to_owned()).collect(),
        }))
    }

    /// Sends a remote-shell control message (the status reply comes as
    /// [`LnsEvent::RemoteShell`]).
    pub fn remote_shell(&mut self, request: RmtshRequest) -> Result<(), SessionError> {
        self.queue_checked(&DownMessage::Rmtsh(request))
    }

    /// Sends an `error` text the station logs.
    pub fn send_error(&mut self, text: &str) -> Result<(), SessionError> {
        self.queue_checked(&DownMessage::Error(LnsError {
            error: text.to_owned(),
        }))
    }

    /// Handles expired timers: unconfirmed downlinks and periodic time transfer.
    pub fn handle_timeout(&mut self, now: Instant, now_unix: f64) {
        self.input_at(now);
        let expired: Vec<i64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(&d, _)| d)
            .collect();
        for diid in expired {
            if let Some(p) = self.pending.remove(&diid) {
                self.events.push_back(LnsEvent::TxTimeout {
                    diid,
                    dev_eui: p.dev_eui,
                });
            }
        }
        if let Some(at) = self.next_time_transfer
            && at <= now
        {
            match self.config.time_transfer_interval {
                Some(interval) if self.time_transfer_enabled => {
                    // Keep the value as written (rounded to µs): the station echoes that, and
                    // the reply is matched by equality.
                    self.periodic_getxtime = Some(crate::json::wire_time(now_unix));
                    self.queue(DownMessage::Getxtime(GetxtimeRequest {
                        mux_time: Some(now_unix),
                    }));
                    self.next_time_transfer = Some(now + interval);
                }
                _ => self.next_time_transfer = None,
            }
        }
    }

    /// The next text frame to write to the websocket: clears `buf`, fills it and returns true;
    /// false when nothing is queued.
    #[must_use]
    pub fn poll_transmit(&mut self, buf: &mut String) -> bool {
        self.outbox.pop_into(buf)
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<LnsEvent> {
        let event = self.events.pop_front();
        if self.events.is_empty() && self.events.capacity() > 0 {
            // An idle session keeps no event queue (events are large; sessions are many).
            self.events = VecDeque::new();
        }
        event
    }

    /// When to call [`LnsSession::handle_timeout`] next: the earliest timer, or, while a frame
    /// or an event is still queued, the `now` of the latest input that took one (already due),
    /// so a run loop that waits on this never sleeps on queued output, such as the `dnmsg` of
    /// a [`send_downlink`](LnsSession::send_downlink) made while handling an event.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let tx = self.pending.values().map(|p| p.deadline).min();
        let queued = self.last_now.filter(|_| self.has_output());
        [tx, self.next_time_transfer, queued]
            .into_iter()
            .flatten()
            .min()
    }

    /// Whether a frame or an event is queued (what [`poll_transmit`](LnsSession::poll_transmit)
    /// and [`poll_event`](LnsSession::poll_event) would return).
    #[must_use]
    pub fn has_output(&self) -> bool {
        !self.outbox.is_empty() || !self.events.is_empty()
    }
}

#[cfg(test)]
mod tests;
