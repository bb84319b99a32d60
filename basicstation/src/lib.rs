//! Sans-IO LoRa Basics Station protocols (LNS websocket messages and CUPS), both sides.
//!
//! What this crate does:
//! - [`message`]: every LNS message in both directions, decoded from and encoded to the exact
//!   JSON the reference station (Basics Station 2.0.6) reads and writes;
//! - [`eui`]: EUIs in every form peers use (dashed, colon, hex, ID6, bare integers);
//! - [`frame`]: LoRaWAN PHYPayload ↔ `updf`/`jreq`/`rejoin`/`propdf` fields, byte-exact;
//! - [`xtime`]: xtime/rctx bit fields and GPS time with leap seconds;
//! - [`discovery`]: the `/router-info` exchange;
//! - [`lns::LnsSession`]: the network side of one station websocket;
//! - [`station::StationSession`]: the gateway side (forwarders, simulators).
//!
//! What it does not do: no sockets, no websocket framing, no TLS, no clock reads, no
//! threads. The caller owns the websocket (one text frame = one message, at most
//! [`message::MAX_MESSAGE_LEN`] bytes) and passes time in: `now: Instant` for timers and, where
//! a wall clock matters (`MuxTime`, GPS time), `now_unix: f64` seconds. Remote-shell data
//! (binary frames) is not handled; only its JSON control messages are.
//!
//! # Message flow
//!
//! ```text
//! station                                   LNS
//!   | GET /router-info  {"router":...}  -->   |  discovery::handle_request
//!   |  <--  {"router","muxs","uri"}           |
//!   | GET <uri>: version               -->    |  LnsSession::handle_message
//!   |  <--  router_config                     |    (answers version)
//!   | updf / jreq / propdf             -->    |  LnsEvent::Uplink
//!   |  <--  dnmsg / dnsched                   |  LnsSession::send_downlink
//!   | dntxed                           -->    |  LnsEvent::TxConfirmed (or TxTimeout)
//!   | timesync / getxtime              <->    |  answered / periodic time transfer
//! ```
//!
//! # Run loop (network side)
//!
//! After every input, drain `poll_transmit` (frames to write), then `poll_event`, then re-arm
//! the timer from `poll_timeout`. The station side ([`station::StationSession`]) has the same
//! shape.
//!
//! ```no_run
//! use std::time::{Instant, SystemTime, UNIX_EPOCH};
//! use loragw_basicstation::lns::{LnsConfig, LnsEvent, LnsSession};
//!
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
//!                 let config = Default::default(); // build it from the gateway's channel plan
//!                 session.send_router_config(Instant::now(), unix_now(), config).ok();
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
pub mod region;
pub mod router_config;
pub mod station;
mod sx1301_conf;
pub mod xtime;

pub use error::{DecodeError, EncodeError, FrameError, SessionError};
pub use eui::Eui64;
