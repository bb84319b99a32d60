//! The gateway side of the dialect: what a Tabs hub (or a simulator playing one) does on its
//! traffic websocket.
//!
//! [`HubSession::start`] queues `version`; the server answers with `router_config`
//! ([`HubEvent::Configured`]). Received frames go up with [`HubSession::send_uplink`] (split
//! into `jreq`/`updf` fields by the Basics Station frame codec; `RefTime` echoes the latest
//! `MuxTime`). A `dnframe` comes out as [`HubEvent::Downlink`]; confirm its transmission with
//! [`HubSession::confirm`]. Drain [`HubSession::poll_transmit`] then [`HubSession::poll_event`]
//! after each input. No timers, no clock reads.
//!
//! Discovery (`/router-info`) uses the shared Basics Station messages:
//! [`crate::discovery::DiscoveryRequest`] and [`crate::discovery::DiscoveryResponse`].

use std::collections::VecDeque;

use super::message::{
    TabsDnframe, TabsDntxed, TabsDown, TabsJreq, TabsRadio, TabsUp, TabsUpInfo, TabsUpdf,
    TabsVersion, decode_down,
};
use super::router_config::TabsRouterConfig;
use crate::datarate::{Modulation, dr_index};
use crate::error::{DecodeError, SessionError};
use crate::eui::Eui64;
use crate::frame::{UplinkRadio, split_uplink};
use crate::message::UpMessage;
use crate::outbox::Outbox;

/// Settings of a [`HubSession`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HubConfig {
    /// The hub's EUI (sent as `dntxed.routerid`).
    pub router: Eui64,
    /// `version.station`.
    pub station: String,
    /// `version.firmware`.
    pub firmware: String,
}

/// Something the server sent.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum HubEvent {
    /// A `router_config` arrived (uplinks may be sent from now on).
    Configured(Box<TabsRouterConfig>),
    /// A `dnframe` to transmit at its `xtime`; confirm with [`HubSession::confirm`].
    Downlink(TabsDnframe),
    /// A message type a hub does not use.
    Ignored(String),
    /// A text frame that could not be decoded.
    InvalidMessage(DecodeError),
}

/// The gateway side of one Tabs traffic connection: `version` out, `router_config` in,
/// uplinks out as `jreq`/`updf`, `dnframe` in, `dntxed` out (see [`crate::tabs`]).
#[derive(Debug)]
pub struct HubSession {
    config: HubConfig,
    router_config: Option<TabsRouterConfig>,
    last_mux_time: Option<f64>,
    outbox: Outbox,
    events: VecDeque<HubEvent>,
}

impl HubSession {
    /// A session for a traffic websocket that has just been opened.
    pub fn new(config: HubConfig) -> HubSession {
        HubSession {
            config,
            router_config: None,
            last_mux_time: None,
            outbox: Outbox::default(),
            events: VecDeque::new(),
        }
    }

    /// Queues `version` (the first message of a connection).
    pub fn start(&mut self) -> Result<(), SessionError> {
        self.queue(&TabsUp::Version(TabsVersion {
            station: self.config.station.clone(),
            firmware: self.config.firmware.clone(),
        }))
    }

    /// The `router_config` received, if any.
    pub fn router_config(&self) -> Option<&TabsRouterConfig> {
        self.router_config.as_ref()
    }

    /// The DR index the hub reports for a frame with this modulation (from the `DRs` table of
    /// the `router_config`).
    pub fn uplink_dr(&self, modulation: Modulation) -> Option<u8> {
        self.router_config
            .as_ref()
            .and_then(|c| dr_index(&c.drs, modulation))
    }

    fn queue(&mut self, msg: &TabsUp) -> Result<(), SessionError> {
        let mut out = String::new();
        msg.encode(&mut out)?;
        self.outbox.push(out);
        Ok(())
    }

    /// Handles one text frame from the server.
    pub fn handle_message(&mut self, text: &str) {
        match decode_down(text) {
            Ok(TabsDown::RouterConfig(c)) => {
                if c.mux_time != 0.0 {
                    self.last_mux_time = Some(c.mux_time);
                }
                self.router_config = Some((*c).clone());
                self.events.push_back(HubEvent::Configured(c));
            }
            Ok(TabsDown::Dnframe(d)) => {
                if d.mux_time != 0.0 {
                    self.last_mux_time = Some(d.mux_time);
                }
                self.events.push_back(HubEvent::Downlink(d));
            }
            Ok(TabsDown::Other(m)) => self.events.push_back(HubEvent::Ignored(m)),
            Err(e) => self.events.push_back(HubEvent::InvalidMessage(e)),
        }
    }

    /// Sends a received frame as `jreq` or `updf` (other frame types have no message in this
    /// dialect and are refused).
    pub fn send_uplink(
        &mut self,
        phy: &[u8],
        dr: u8,
        freq: u32,
        upinfo: TabsUpInfo,
    ) -> Result<(), SessionError> {
        let radio = TabsRadio {
            ref_time: self.last_mux_time,
            dr,
            freq,
            upinfo,
        };
        let msg = match split_uplink(phy, false, UplinkRadio::default())? {
            UpMessage::Jreq(j) => TabsUp::Jreq(TabsJreq {
                mhdr: j.mhdr,
                join_eui: j.join_eui,
                dev_eui: j.dev_eui,
                dev_nonce: j.dev_nonce,
                mic: j.mic,
                radio,
            }),
            UpMessage::Updf(u) => TabsUp::Updf(TabsUpdf {
                mhdr: u.mhdr,
                dev_addr: u.dev_addr,
                fctrl: u.fctrl,
                fcnt: u.fcnt,
                fopts: u.fopts,
                fport: u.fport,
                frm_payload: u.frm_payload,
                mic: u.mic,
                region_id: self.router_config.as_ref().map_or(0, |c| c.region_id),
                radio,
            }),
            other => {
                return Err(SessionError::InvalidArgument(format!(
                    "Tabs hubs send only jreq and updf, not {}",
                    up_kind(&other)
                )));
            }
        };
        self.queue(&msg)
    }

    /// Confirms that `dnframe` `seqno` was transmitted (`dntxed`).
    pub fn confirm(&mut self, seqno: i64) -> Result<(), SessionError> {
        self.queue(&TabsUp::Dntxed(TabsDntxed {
            seqno,
            router_id: self.config.router.0.cast_signed(),
            dev_eui: Eui64(0),
        }))
    }

    /// The next text frame to write: clears `buf`, fills it, returns true; false when none.
    #[must_use]
    pub fn poll_transmit(&mut self, buf: &mut String) -> bool {
        self.outbox.pop_into(buf)
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<HubEvent> {
        self.events.pop_front()
    }
}

fn up_kind(m: &UpMessage) -> &'static str {
    match m {
        UpMessage::Rejoin(_) => "rejoin",
        UpMessage::Propdf(_) => "propdf",
        _ => "this frame type",
    }
}
