//! The station session: the gateway side of a Basics Station LNS connection.
//!
//! On creation it queues `version`. It applies `router_config` (reported as
//! [`StationEvent::RouterConfig`]), turns received frames into `updf`/`jreq`/`rejoin`/`propdf`
//! ([`StationSession::send_uplink`]), turns `dnmsg`/`dnsched`/`dnframe` into
//! [`StationEvent::Transmit`] requests, confirms started transmissions with `dntxed`
//! ([`StationSession::tx_started`]) and, when configured, runs `timesync`.
//!
//! Drain order after each input: [`StationSession::poll_transmit`], then
//! [`StationSession::poll_event`], again while [`StationSession::has_output`] (e.g. a
//! [`StationSession::tx_started`] given while handling a transmit request queued its `dntxed`),
//! then re-arm the timer from [`StationSession::poll_timeout`] (due at once while output is
//! queued). The station's monotonic clock (`txtime`, `ustime`) counts
//! from the `now` given to [`StationSession::new`].

mod downlink;
mod filter;
mod types;

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

pub use crate::datarate::{Modulation, dr_index};
pub use types::{
    ReceivedFrame, StationConfig, StationEvent, TxOption, TxRequest, TxStarted, TxTime,
};

use crate::error::SessionError;
use crate::frame::{UplinkRadio, split_uplink};
use crate::message::{
    Dntxed, DownMessage, EuiKeyStyle, GetxtimeReply, RmtshStatus, ScheduledTime, TimesyncRequest,
    TxWindow, UpInfo, UpMessage, decode_down,
};
use crate::outbox::Outbox;
use crate::router_config::RouterConfig;
use crate::xtime;
use filter::{RouterFilter, RouterFilterWire};

#[derive(Debug, Clone, Copy)]
struct Confirm {
    dev_eui: crate::Eui64,
}

#[derive(Debug, Clone, Copy)]
struct GpsSync {
    local_us: i64,
    gpstime: i64,
}

/// The gateway side of one LNS connection. See the [module docs](self).
#[derive(Debug)]
pub struct StationSession {
    config: StationConfig,
    start: Instant,
    router_config: Option<RouterConfig>,
    eui_keys: EuiKeyStyle,
    filter: RouterFilter,
    mux: Option<(f64, Instant)>,
    xtime_session: Option<u8>,
    confirms: HashMap<i64, Confirm>,
    outbox: Outbox,
    events: VecDeque<StationEvent>,
    next_timesync: Option<Instant>,
    timesync_sent: Option<i64>,
    gps: Option<GpsSync>,
    /// The latest `now` passed in: what [`StationSession::poll_timeout`] answers while output
    /// is queued.
    last_now: Instant,
}

fn micros_between(later: Instant, earlier: Instant) -> i64 {
    i64::try_from(later.saturating_duration_since(earlier).as_micros()).unwrap_or(i64::MAX)
}

impl StationSession {
    /// A session on a freshly connected websocket; queues `version`.
    pub fn new(config: StationConfig, now: Instant) -> StationSession {
        let mut s = StationSession {
            next_timesync: config.timesync_interval.map(|_| now),
            config,
            start: now,
            router_config: None,
            eui_keys: EuiKeyStyle::Camel,
            filter: RouterFilter::default(),
            mux: None,
            xtime_session: None,
            confirms: HashMap::new(),
            outbox: Outbox::default(),
            events: VecDeque::new(),
            timesync_sent: None,
            gps: None,
            last_now: now,
        };
        let version = UpMessage::Version(s.config.version.clone());
        s.queue(&version);
        s
    }

    fn queue(&mut self, msg: &UpMessage) {
        // Station messages are small and their floats come from finite clocks.
        let _ = self.queue_checked(msg);
    }

    fn queue_checked(&mut self, msg: &UpMessage) -> Result<(), SessionError> {
        let mut out = String::new();
        msg.encode_with(&mut out, self.eui_keys)?;
        self.outbox.push(out);
        Ok(())
    }

    /// The active `router_config`.
    pub fn router_config(&self) -> Option<&RouterConfig> {
        self.router_config.as_ref()
    }

    /// Station monotonic µs at `now` (what `timesync.txtime` carries).
    pub fn local_micros(&self, now: Instant) -> i64 {
        micros_between(now, self.start)
    }

    /// `RefTime` at `now`: the last MuxTime plus the time elapsed since it arrived.
    pub fn ref_time(&self, now: Instant) -> Option<f64> {
        self.mux
            .map(|(m, at)| m + now.saturating_duration_since(at).as_secs_f64())
    }

    /// GPS time (µs) at `now`, once a `timesync` round trip succeeded; `None` when the
    /// LNS's `gpstime` plus the time elapsed since does not fit an `i64`.
    pub fn gps_time(&self, now: Instant) -> Option<i64> {
        let g = self.gps?;
        // `gpstime` comes from the wire and can be anything (i64::MAX): checked.
        self.local_micros(now)
            .checked_sub(g.local_us)
            .and_then(|elapsed| g.gpstime.checked_add(elapsed))
    }

    /// Handles one text frame from the LNS.
    pub fn handle_message(&mut self, now: Instant, text: &str) {
        self.last_now = self.last_now.max(now);
        let msg = match decode_down(text) {
            Ok(m) => m,
            Err(e) => {
                self.events.push_back(StationEvent::InvalidMessage(e));
                return;
            }
        };
        match msg {
            DownMessage::RouterConfig(cfg) => {
                if let Some(m) = cfg.mux_time {
                    self.mux = Some((m, now));
                }
                self.eui_keys = if text.contains("\"JoinEUI\"") {
                    EuiKeyStyle::Upper
                } else {
                    EuiKeyStyle::Camel
                };
                self.filter = serde_json::from_str::<RouterFilterWire>(text)
                    .map(RouterFilter::from)
                    .unwrap_or_default();
                self.router_config = Some((*cfg).clone());
                self.events.push_back(StationEvent::RouterConfig(cfg));
            }
            DownMessage::Dnmsg(d) => {
                self.note_mux(d.mux_time, now);
                self.on_dnmsg(d);
            }
            DownMessage::Dnsched(s) => {
                self.note_mux(s.mux_time, now);
                for e in s.schedule {
                    let diid = e.diid.unwrap_or(0);
                    let time = match e.time {
                        ScheduledTime::Ontime(secs) => {
                            // An `ontime` no i64 of µs can hold (1e300, NaN) is not a time:
                            // the entry is skipped, as a station cannot schedule it.
                            let Some(us) = crate::xtime::secs_to_micros(secs) else {
                                continue;
                            };
                            TxTime::Gps(us)
                        }
                        ScheduledTime::Gpstime(g) => TxTime::Gps(g),
                        ScheduledTime::Xtime(x) => TxTime::Xtime(x),
                    };
                    let rctx = e.rctx.unwrap_or(0);
                    self.emit_tx(
                        diid,
                        crate::Eui64(0),
                        None,
                        e.pdu,
                        e.priority,
                        rctx,
                        &[(time, e.window)],
                        e.preamble,
                        e.addcrc,
                    );
                }
            }
            DownMessage::Dnframe(f) => {
                self.note_mux(f.mux_time, now);
                let time = if f.asap == Some(true) {
                    TxTime::Asap
                } else {
                    TxTime::Xtime(f.xtime)
                };
                let rctx = f.rctx.unwrap_or_else(|| xtime::rctx_from_xtime(f.xtime));
                let window = TxWindow {
                    dr: f.dr,
                    freq: f.freq,
                };
                self.emit_tx(
                    f.diid,
                    f.dev_eui,
                    None,
                    f.pdu,
                    None,
                    rctx,
                    &[(time, window)],
                    None,
                    None,
                );
            }
            DownMessage::TimesyncReply(r) => {
                self.note_mux(r.mux_time, now);
                let now_us = self.local_micros(now);
                if self.timesync_sent == Some(r.txtime) {
                    self.timesync_sent = None;
                    let rtt = now_us - r.txtime;
                    let round_trip = Duration::from_micros(u64::try_from(rtt).unwrap_or(0));
                    if rtt >= 0 && round_trip <= self.config.timesync_max_rtt {
                        let local_us = r.txtime + rtt / 2;
                        self.gps = Some(GpsSync {
                            local_us,
                            gpstime: r.gpstime,
                        });
                        self.events.push_back(StationEvent::TimeSynced {
                            local_us,
                            gpstime: r.gpstime,
                            round_trip,
                        });
                    }
                }
            }
            DownMessage::TimeTransfer(t) => {
                self.note_mux(t.mux_time, now);
                if let (Some(xtime), Some(gpstime)) = (t.xtime, t.gpstime) {
                    self.events
                        .push_back(StationEvent::TimeTransfer { xtime, gpstime });
                }
            }
            DownMessage::Getxtime(g) => {
                self.events.push_back(StationEvent::XtimeRequested {
                    mux_time: g.mux_time,
                });
            }
            DownMessage::Runcmd(r) => self.events.push_back(StationEvent::RunCommand(r)),
            DownMessage::Rmtsh(r) => self.events.push_back(StationEvent::RemoteShell(r)),
            DownMessage::Error(e) => self.events.push_back(StationEvent::LnsError(e.error)),
            // `DownMessage` is non_exhaustive only for other crates.
        }
    }

    fn note_mux(&mut self, mux_time: Option<f64>, now: Instant) {
        if let Some(m) = mux_time {
            self.mux = Some((m, now));
        }
    }

    /// Turns a received frame into its uplink message and queues it; returns false when the
    /// `router_config` filters drop it (`NetID` on data frames, `JoinEui` ranges on
    /// join-requests), as the station does. Needs the active `router_config` (for the DR
    /// index); frames the station would not forward (bad MHDR or length, downlink types
    /// outside `device_mode`) are refused with [`SessionError::Frame`].
    pub fn send_uplink(
        &mut self,
        now: Instant,
        frame: &ReceivedFrame,
    ) -> Result<bool, SessionError> {
        self.last_now = self.last_now.max(now);
        let cfg = self
            .router_config
            .as_ref()
            .ok_or(SessionError::NotReady("no router_config received yet"))?;
        let dr = dr_index(&cfg.drs, frame.modulation)
            .ok_or_else(|| SessionError::UnknownDataRate(format!("{:?}", frame.modulation)))?;
        let radio = UplinkRadio {
            ref_time: self.ref_time(now),
            dr,
            freq: frame.freq,
            upinfo: UpInfo {
                rctx: frame.rctx,
                xtime: frame.xtime,
                gpstime: frame.gpstime,
                fts: frame.fts,
                rssi: frame.rssi,
                snr: frame.snr,
                rxtime: frame.rxtime,
            },
        };
        let msg = split_uplink(&frame.phy_payload, self.filter.device_mode, radio)?;
        if frame.xtime != 0 {
            self.xtime_session = Some(xtime::session_id(frame.xtime));
        }
        if !self.filter.accepts(&msg) {
            return Ok(false);
        }
        self.queue_checked(&msg)?;
        Ok(true)
    }

    /// Reports that the radio started transmitting downlink `diid`; queues its `dntxed`.
    pub fn tx_started(
        &mut self,
        now: Instant,
        diid: i64,
        tx: TxStarted,
    ) -> Result<(), SessionError> {
        self.last_now = self.last_now.max(now);
        let c = self.confirms.remove(&diid).ok_or_else(|| {
            SessionError::InvalidArgument(format!("no downlink {diid} awaiting confirmation"))
        })?;
        let txtime = now.saturating_duration_since(self.start).as_secs_f64();
        self.queue_checked(&UpMessage::Dntxed(Dntxed {
            diid,
            dev_eui: c.dev_eui,
            rctx: tx.rctx,
            xtime: tx.xtime,
            txtime,
            gpstime: tx.gpstime,
            dr: Some(tx.dr),
            freq: Some(tx.freq),
        }))
    }

    /// Forgets a downlink the radio could not send (the protocol has no negative ack).
    pub fn tx_failed(&mut self, diid: i64) {
        self.confirms.remove(&diid);
    }

    /// Answers a [`StationEvent::XtimeRequested`] with the current xtime of each txunit
    /// (0 for absent units).
    pub fn reply_xtime(
        &mut self,
        now: Instant,
        now_unix: f64,
        mux_time: Option<f64>,
        xtimes: &[i64],
    ) -> Result<(), SessionError> {
        self.last_now = self.last_now.max(now);
        self.queue_checked(&UpMessage::Getxtime(GetxtimeReply {
            mux_time,
            ustime: now.saturating_duration_since(self.start).as_secs_f64(),
            utc_time: now_unix,
            xtimes: xtimes.to_vec(),
        }))
    }

    /// Sends a remote-shell status.
    pub fn send_rmtsh_status(&mut self, status: RmtshStatus) -> Result<(), SessionError> {
        self.queue_checked(&UpMessage::Rmtsh(status))
    }

    /// Sends any other station message (`event`, `alarm`, ...).
    pub fn send_message(&mut self, msg: &UpMessage) -> Result<(), SessionError> {
        self.queue_checked(msg)
    }

    /// Runs the `timesync` timer.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.last_now = self.last_now.max(now);
        if let (Some(at), Some(interval)) = (self.next_timesync, self.config.timesync_interval)
            && at <= now
        {
            let txtime = self.local_micros(now);
            self.timesync_sent = Some(txtime);
            self.queue(&UpMessage::Timesync(TimesyncRequest { txtime }));
            self.next_timesync = Some(now + interval);
        }
    }

    /// The next text frame to write: clears `buf`, fills it and returns true; false when
    /// nothing is queued.
    #[must_use]
    pub fn poll_transmit(&mut self, buf: &mut String) -> bool {
        self.outbox.pop_into(buf)
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<StationEvent> {
        self.events.pop_front()
    }

    /// When to call [`StationSession::handle_timeout`] next: the `timesync` timer, or, while a
    /// frame or an event is still queued, the `now` of the latest input that took one (already
    /// due), so a run loop that waits on this never sleeps on queued output, such as the
    /// `dntxed` of a [`tx_started`](StationSession::tx_started) made while handling an event.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let queued = self.has_output().then_some(self.last_now);
        [self.next_timesync, queued].into_iter().flatten().min()
    }

    /// Whether a frame or an event is queued (what
    /// [`poll_transmit`](StationSession::poll_transmit) and
    /// [`poll_event`](StationSession::poll_event) would return).
    #[must_use]
    pub fn has_output(&self) -> bool {
        !self.outbox.is_empty() || !self.events.is_empty()
    }
}

#[cfg(test)]
mod tests;
