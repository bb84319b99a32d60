//! Sans-IO LoRa Basics Station protocols (LNS websocket messages and CUPS), both sides.
//!
//! What this crate does:
//! - [`message`]: every LNS message in both directions, decoded from and encoded to the exact
//!   JSON the reference station (Basics Station 2.0.6) reads and writes;
//! - [`eui`]: EUIs in every form peers use (dashed, colon, hex, ID6, bare integers), for the
//!   LNS messages and the CUPS router id alike;
//! - [`frame`]: LoRaWAN PHYPayload ↔ `updf`/`jreq`/`rejoin`/`propdf` fields, byte-exact;
//! - [`xtime`]: xtime/rctx bit fields and GPS time with leap seconds (the crate's one
//!   leap-second table);
//! - [`discovery`]: the `/router-info` exchange;
//! - [`lns::LnsSession`]: the network side of one station websocket;
//! - [`station::StationSession`]: the gateway side (forwarders, simulators);
//! - [`region`]: the LoRaWAN regional-parameters tables (DR index ↔ LoRa (SF, BW), FSK or
//!   LR-FHSS for EU868, US915, AU915, AS923-1..4, KR920, IN865, CN470, RU864, ...), The Things
//!   Stack band ids, and the six region names the station's `router_config` parser knows
//!   ([`region::Region::station_region`] never picks another);
//! - [`channel_plan`]: a gateway's channel plan with absolute frequencies (one chip with 8
//!   multi-SF channels or two chips with 16) and [`channel_plan::build_router_config`], which
//!   turns it into the `router_config` the LNS sends: `-1` for undefined DRs, `dnonly` flags,
//!   IF offsets checked, no hardware fields, at most 65,535 bytes;
//! - [`router_config`]: the typed `router_config` message (`DRs`, `sx1301_conf`, filters,
//!   beaconing) and what a station makes of it ([`router_config::RouterConfig::uplink_channels`]);
//! - [`datarate`]: the sessions' view of a received `DRs` table: the DR a received (SF, BW) gets
//!   and the modulation a downlink DR means, decoded the way the station decodes it (the same
//!   [`region::Modulation`] type the region tables use);
//! - [`tabs`]: the Tabs Hubs dialect (legacy Tabs Hub gateways), both sides, sharing the
//!   EUI codec, discovery, the frame codec and the channel-plan checks with the LNS protocol;
//! - [`cups`]: the Configuration and Update Server protocol: the `update-info` request, the
//!   binary response in the station's layout (and The Things Stack's), credential blobs and
//!   their CRCs, the server's decision what to send, and ECDSA P-256/SHA-512 update signatures
//!   (feature `cups-signing`).
//!
//! What it does not do: no sockets, no websocket framing, no HTTP or TLS, no clock reads, no
//! threads, no file system (CUPS credentials and updates are bytes in, bytes out). The caller
//! owns the websocket (one text frame = one message, at most [`message::MAX_MESSAGE_LEN`]
//! bytes) and passes time in: `now: Instant` for timers and, where a wall clock matters
//! (`MuxTime`, GPS time), `now_unix: f64` seconds. Remote-shell data (binary frames) is not
//! handled; only its JSON control messages are.
//!
//! # Message flow
//!
//! ```text
//! station                                   CUPS server
//!   | POST /update-info {"router",...,"cupsCredCrc","tcCredCrc","keys"}
//!   |                                  -->    |  cups::UpdateInfoRequest::parse, cups::decide_update
//!   |  <--  binary: URIs, credentials,        |  cups::UpdateInfoResponse::to_bytes
//!   |       signed update (empty = no change) |
//!   | cups::StationActions::from_response: store credentials, switch URIs, run the update
//!
//! station                                   LNS
//!   | GET /router-info  {"router":...}  -->   |  discovery::handle_request
//!   |  <--  {"router","muxs","uri"}           |
//!   | GET <uri>: version               -->    |  LnsSession::handle_message
//!   |  <--  router_config                     |    (answers version; built by
//!   |                                         |     channel_plan::build_router_config)
//!   | updf / jreq / propdf             -->    |  LnsEvent::Uplink (DR → region::Modulation)
//!   |  <--  dnmsg / dnsched                   |  LnsSession::send_downlink
//!   | dntxed                           -->    |  LnsEvent::TxConfirmed (or TxTimeout)
//!   | timesync / getxtime              <->    |  answered / periodic time transfer
//! ```
//!
//! A station polls CUPS at start and then regularly ([`cups::CUPS_REGULAR_INTERVAL`]); the
//! answer tells it which LNS to connect to and with which credentials. A CUPS server keeps, per
//! router, a [`cups::CupsTarget`] (URIs, credentials, optional signed update) and answers each
//! request with [`cups::decide_update`], which sends credentials only when their CRC differs
//! from the one the station reported.
//!
//! # Run loop (network side)
//!
//! After every input, drain `poll_transmit` (frames to write), then `poll_event`, then re-arm
//! the timer from `poll_timeout`. The station side ([`station::StationSession`]) has the same
//! shape.
//!
//! ```no_run
//! use std::time::{Instant, SystemTime, UNIX_EPOCH};
//! use loragw_basicstation::channel_plan::{ChannelPlan, RouterConfigOptions, build_router_config};
//! use loragw_basicstation::lns::{LnsConfig, LnsEvent, LnsSession};
//!
//! # fn gateway_plan() -> ChannelPlan { unimplemented!() }
//! # fn recv_text() -> Option<String> { None }
//! # fn send_text(_: &str) {}
//! fn unix_now() -> f64 {
//!     SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
//! }
//!
//! let mut session = LnsSession::new(LnsConfig::default());
//! let mut buf = String::new();
//! loop {
//!     // Wait for a frame or the session's timer (a real driver selects on both).
//!     match recv_text() {
//!         Some(text) => session.handle_message(Instant::now(), unix_now(), &text),
//!         None => session.handle_timeout(Instant::now(), unix_now()),
//!     }
//!     while let Some(event) = session.poll_event() {
//!         match event {
//!             LnsEvent::RouterConfigNeeded => {
//!                 // The gateway's channel plan, from the network's configuration.
//!                 match build_router_config(&gateway_plan(), &RouterConfigOptions::default()) {
//!                     Ok(config) => {
//!                         session.send_router_config(Instant::now(), unix_now(), config).ok();
//!                     }
//!                     Err(_plan_error) => { /* log it and close the websocket */ }
//!                 }
//!             }
//!             LnsEvent::Uplink(uplink) => { /* hand uplink.phy_payload + uplink.radio on */ }
//!             _ => {}
//!         }
//!     }
//!     while session.poll_transmit(&mut buf) {
//!         send_text(&buf);
//!     }
//!     let _next_wakeup = session.poll_timeout();
//! }
//! ```
//!
//! # Panics
//!
//! No input panics: decoders return [`DecodeError`], sessions turn bad frames into
//! `InvalidMessage` events and go on.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod channel_plan;
pub mod cups;
pub mod datarate;
pub mod discovery;
pub mod error;
pub mod eui;
pub mod frame;
mod json;
pub mod lns;
pub mod message;
mod outbox;
pub mod region;
pub mod router_config;
pub mod station;
mod sx1301_conf;
pub mod tabs;
pub mod xtime;

pub use error::{DecodeError, EncodeError, FrameError, SessionError};
pub use eui::Eui64;
