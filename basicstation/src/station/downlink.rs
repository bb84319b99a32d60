//! Downlinks at the station: `dnmsg`, `dnsched` and `dnframe` become transmit requests, or are
//! dropped for the reasons the reference station drops them.

use super::{Confirm, StationEvent, StationSession, TxOption, TxRequest, TxTime};
use crate::datarate::Modulation;
use crate::message::{DeviceClass, Dnmsg, TxWindow};
use crate::xtime;

impl StationSession {
    pub(super) fn drop_downlink(&mut self, diid: i64, reason: impl Into<String>) {
        self.events.push_back(StationEvent::DownlinkDropped {
            diid,
            reason: reason.into(),
        });
    }

    pub(super) fn on_dnmsg(&mut self, d: Dnmsg) {
        let rx_delay = i64::from(d.rx_delay.unwrap_or(1).max(1));
        let mut opts: Vec<(TxTime, TxWindow)> = Vec::with_capacity(2);
        match d.device_class {
            DeviceClass::A => {
                let Some(x) = d.xtime.filter(|&x| x != 0) else {
                    return self.drop_downlink(d.diid, "class A dnmsg without xtime");
                };
                if let Some(s) = self.xtime_session
                    && xtime::session_id(x) != s
                {
                    return self.drop_downlink(
                        d.diid,
                        "xtime from another session (time conversion problems)",
                    );
                }
                if let Some(w) = d.rx1 {
                    opts.push((TxTime::Xtime(xtime::add_micros(x, rx_delay * 1_000_000)), w));
                }
                if let Some(w) = d.rx2 {
                    opts.push((
                        TxTime::Xtime(xtime::add_micros(x, (rx_delay + 1) * 1_000_000)),
                        w,
                    ));
                }
            }
            DeviceClass::B => {
                let Some(g) = d.gpstime else {
                    return self.drop_downlink(d.diid, "class B dnmsg without gpstime");
                };
                if let Some(w) = d.rx1.or(d.rx2) {
                    opts.push((TxTime::Gps(g), w));
                }
            }
            DeviceClass::C => {
                if let Some(w) = d.rx2.or(d.rx1) {
                    opts.push((TxTime::Asap, w));
                }
            }
        }
        if opts.is_empty() {
            return self.drop_downlink(d.diid, "dnmsg without a usable RX window");
        }
        let rctx = d
            .rctx
            .or_else(|| d.xtime.map(xtime::rctx_from_xtime))
            .unwrap_or(0);
        self.emit_tx(
            d.diid,
            d.dev_eui,
            Some(d.device_class),
            d.pdu,
            d.priority,
            rctx,
            &opts,
            d.preamble,
            d.addcrc,
        );
    }

    #[allow(clippy::too_many_arguments)] // internal: the fields of a TxRequest
    pub(super) fn emit_tx(
        &mut self,
        diid: i64,
        dev_eui: crate::Eui64,
        device_class: Option<DeviceClass>,
        pdu: Vec<u8>,
        priority: Option<u8>,
        rctx: i64,
        windows: &[(TxTime, TxWindow)],
        preamble: Option<u16>,
        addcrc: Option<bool>,
    ) {
        let Some(cfg) = &self.router_config else {
            return self.drop_downlink(diid, "before 'router_config' - dropped");
        };
        let mut options = Vec::with_capacity(windows.len());
        for &(time, w) in windows {
            let Some(modulation) = cfg
                .drs
                .get(usize::from(w.dr))
                .and_then(|&e| Modulation::from_dr_entry(e))
            else {
                return self.drop_downlink(diid, format!("Illegal datarate value: DR{}", w.dr));
            };
            if let Some([lo, hi]) = cfg.freq_range
                && !(lo..=hi).contains(&u64::from(w.freq))
            {
                return self.drop_downlink(diid, format!("Illegal frequency value: {}", w.freq));
            }
            options.push(TxOption {
                time,
                dr: w.dr,
                freq: w.freq,
                modulation,
            });
        }
        // The station confirms dnmsg/dnframe jobs that carry a non-zero DevEui; dnsched has none.
        let confirm = dev_eui.0 != 0;
        if confirm {
            self.confirms.insert(diid, Confirm { dev_eui });
        }
        self.events
            .push_back(StationEvent::Transmit(Box::new(TxRequest {
                diid,
                dev_eui,
                device_class,
                pdu,
                priority: priority.unwrap_or(0),
                rctx,
                options,
                preamble,
                addcrc,
                confirm,
            })));
    }
}
