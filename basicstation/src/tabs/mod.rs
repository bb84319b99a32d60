//! The Tabs Hubs dialect: the websocket protocol of legacy Tabs Hub gateways (TBHB100), a
//! relative of the LNS protocol with its own message set, both sides.
//!
//! Shared with the LNS protocol rather than copied: the endpoints and discovery
//! (`GET /router-info` answered by [`crate::discovery::handle_request`], traffic on
//! `/traffic/eui-<16 hex>`), the EUI codec ([`crate::Eui64`]), the frame codec
//! ([`crate::frame`]: fields ↔ PHYPayload), the region tables and the channel-plan validation
//! ([`crate::channel_plan`]).
//!
//! Own to the dialect:
//! - [`message`]: `version`, `jreq`, `updf` (with `regionid`, `Fcnt`/`FCnt`), `dntxed` (`seqno`,
//!   `routerid`) up, `dnframe` (absolute `xtime`, `DR`, `Freq`, `seqno`) down; keys matched
//!   case-insensitively, `rtcx`/`rctx` both accepted;
//! - [`router_config`]: the Tabs `router_config` (`upchannels`, `regionid`, integer `max_eirp`,
//!   `protocol` 1, `config.region` = `<region>/tracknet`, one reduced `sx1301_conf`);
//! - [`xtime`]: session id << 48 | 40-bit concentrator µs;
//! - [`TabsSession`]: the network side; [`HubSession`]: the gateway side.
//!
//! ```text
//! hub                                        server
//!  | GET /router-info {"router":...}  -->     |  discovery::handle_request
//!  |  <--  {"router","muxs","uri"}            |
//!  | GET /traffic/eui-<EUI>: version  -->     |  TabsSession::handle_message
//!  |  <--  router_config                      |
//!  | jreq / updf                      -->     |  TabsEvent::Uplink (xtime → clock sync)
//!  |  <--  dnframe                            |  TabsSession::send_downlink
//!  | dntxed                           -->     |  TabsEvent::TxConfirmed (or TxTimeout)
//! ```
//!
//! # Run loop (network side)
//!
//! ```no_run
//! use std::time::Instant;
//! use loragw_basicstation::tabs::{TabsConfig, TabsEvent, TabsSession};
//!
//! # fn recv_text() -> Option<String> { None }
//! # fn send_text(_: &str) {}
//! # fn unix_now() -> f64 { 0.0 }
//! # fn plan_config() -> loragw_basicstation::tabs::TabsRouterConfig { unimplemented!() }
//! let mut session = TabsSession::new(TabsConfig {
//!     router_config: Some(plan_config()),
//!     ..TabsConfig::default()
//! });
//! let mut buf = String::new();
//! loop {
//!     match recv_text() {
//!         Some(text) => session.handle_message(unix_now(), &text),
//!         None => session.handle_timeout(Instant::now()),
//!     }
//!     while session.poll_transmit(&mut buf) {
//!         send_text(&buf);
//!     }
//!     while let Some(event) = session.poll_event() {
//!         if let TabsEvent::Uplink(up) = event { /* up.phy_payload, up.radio */ }
//!     }
//!     let _next_wakeup = session.poll_timeout();
//! }
//! ```

mod fold;
mod hub;
pub mod message;
pub mod router_config;
mod session;
pub mod xtime;

pub use hub::{HubConfig, HubEvent, HubSession};
pub use message::{
    TabsDnframe, TabsDntxed, TabsDown, TabsJreq, TabsRadio, TabsUp, TabsUpInfo, TabsUpdf,
    TabsVersion, decode_down, decode_up,
};
pub use router_config::{
    TabsRouterConfig, TabsRouterConfigOptions, build_tabs_router_config, tabs_region,
};
pub use session::{TabsConfig, TabsDownlink, TabsEvent, TabsSession, TabsUplink};

#[cfg(test)]
mod tests;
