//! Downlink commands of the LNS session: `dnmsg` for class A, B, C and absolute concentrator
//! time, and `dnsched`, each checked against the `router_config` that was sent.

use std::time::{Duration, Instant};

use super::{DownlinkRequest, DownlinkSchedule, LnsSession, PendingTx, secs};
use crate::datarate::modulation_of;
use crate::error::SessionError;
use crate::message::{
    DeviceClass, Dnmsg, Dnsched, DownMessage, MAX_PDU_LEN, ScheduledTx, TxWindow,
};
use crate::xtime;

impl LnsSession {
    /// Refuses a window the station would drop: a DR undefined in the sent `DRs` or a
    /// frequency outside `freq_range` (checked only when the config has them).
    fn check_window(&self, w: TxWindow) -> Result<(), SessionError> {
        let Some(cfg) = &self.router_config else {
            return Ok(());
        };
        if !cfg.drs.is_empty() && modulation_of(&cfg.drs, w.dr).is_none() {
            return Err(SessionError::UnknownDataRate(format!(
                "DR{} is not defined in the router_config sent",
                w.dr
            )));
        }
        if let Some([lo, hi]) = cfg.freq_range
            && !(lo..=hi).contains(&u64::from(w.freq))
        {
            return Err(SessionError::InvalidArgument(format!(
                "frequency {} Hz outside the router_config freq_range {lo}..={hi}",
                w.freq
            )));
        }
        Ok(())
    }

    /// Queues a `dnmsg`. Returns its `diid`; a [`super::LnsEvent::TxConfirmed`] or
    /// [`super::LnsEvent::TxTimeout`] with that id follows (unless `dev_eui` is zero).
    pub fn send_downlink(
        &mut self,
        now: Instant,
        now_unix: f64,
        req: DownlinkRequest,
    ) -> Result<i64, SessionError> {
        self.input_at(now);
        self.require_running()?;
        if req.pdu.len() > MAX_PDU_LEN {
            return Err(SessionError::InvalidArgument(format!(
                "pdu of {} bytes, more than {MAX_PDU_LEN}",
                req.pdu.len()
            )));
        }
        let diid = self.next_diid;
        let mut msg = Dnmsg {
            dev_eui: req.dev_eui,
            device_class: DeviceClass::A,
            diid,
            pdu: req.pdu,
            rx_delay: None,
            rx1: None,
            rx2: None,
            xtime: None,
            rctx: req.rctx,
            priority: Some(req.priority),
            mux_time: Some(now_unix),
            gpstime: None,
            preamble: None,
            addcrc: None,
            dnmode: None,
        };
        let lead;
        match req.schedule {
            DownlinkSchedule::ClassA {
                uplink_xtime,
                rx_delay,
                rx1,
                rx2,
            } => {
                if rx1.is_none() && rx2.is_none() {
                    return Err(SessionError::InvalidArgument(
                        "class A downlink needs an RX1 or RX2 window".into(),
                    ));
                }
                if rx_delay > 15 {
                    return Err(SessionError::InvalidArgument(format!(
                        "RxDelay {rx_delay} is above 15"
                    )));
                }
                if uplink_xtime == 0 {
                    return Err(SessionError::InvalidArgument(
                        "class A downlink needs the uplink's xtime (0 is invalid)".into(),
                    ));
                }
                if let Some(s) = self.xtime_session
                    && xtime::session_id(uplink_xtime) != s
                {
                    return Err(SessionError::InvalidArgument(format!(
                        "uplink xtime is from xtime session 0x{:02X}, the station now runs 0x{s:02X}",
                        xtime::session_id(uplink_xtime)
                    )));
                }
                msg.rx_delay = Some(rx_delay);
                msg.rx1 = rx1;
                msg.rx2 = rx2;
                msg.xtime = Some(uplink_xtime);
                lead = Duration::from_secs(u64::from(rx_delay.max(1)) + 1);
            }
            DownlinkSchedule::ClassB { gpstime, window } => {
                msg.device_class = DeviceClass::B;
                msg.gpstime = Some(gpstime);
                msg.rx1 = Some(window);
                msg.rx_delay = Some(0);
                let ahead = xtime::gps_micros_to_unix(gpstime) - now_unix;
                lead = secs(ahead.min(3600.0)).unwrap_or_default();
            }
            DownlinkSchedule::ClassC { window } => {
                msg.device_class = DeviceClass::C;
                msg.rx_delay = Some(0);
                msg.rx2 = Some(window);
                lead = Duration::ZERO;
            }
            DownlinkSchedule::ConcentratorTime {
                micros,
                txunit,
                window,
            } => {
                let session = self.xtime_session.ok_or(SessionError::NoXtimeSession)?;
                msg.rx_delay = Some(1);
                msg.rx1 = Some(window);
                let rx1_micros = micros.checked_sub(1_000_000).ok_or_else(|| {
                    SessionError::InvalidArgument(format!(
                        "concentrator time {micros} µs is out of range"
                    ))
                })?;
                msg.xtime = Some(xtime::make(txunit, session, rx1_micros));
                lead = Duration::from_secs(2);
            }
        }
        for w in [msg.rx1, msg.rx2].into_iter().flatten() {
            self.check_window(w)?;
        }
        let dev_eui = msg.dev_eui;
        self.queue_checked(&DownMessage::Dnmsg(msg))?;
        self.next_diid = self.next_diid.wrapping_add(1);
        if dev_eui.0 != 0 {
            self.pending.insert(
                diid,
                PendingTx {
                    deadline: now + lead + self.config.tx_confirm_timeout,
                    dev_eui,
                },
            );
        }
        Ok(diid)
    }

    /// Queues a `dnsched` (no `dntxed` follows for scheduled entries).
    pub fn send_schedule(
        &mut self,
        now_unix: f64,
        schedule: Vec<ScheduledTx>,
    ) -> Result<(), SessionError> {
        self.require_running()?;
        for e in &schedule {
            self.check_window(e.window)?;
        }
        self.queue_checked(&DownMessage::Dnsched(Dnsched {
            mux_time: Some(now_unix),
            schedule,
        }))
    }
}
