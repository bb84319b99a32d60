//! Sans-IO LoRa Basics Station protocols (LNS websocket messages and CUPS), both sides.
//!
//! The package is `loragw-basicstation`; in code the crate is `loragw_basicstation`: hyphens become
//! underscores, as for every `loragw-*` package (`cargo add loragw-basicstation`, then
//! `use loragw_basicstation::...`).
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
//! After every input, drain `poll_transmit` (frames to write) and `poll_event`, again while
//! `has_output` says more came (handling an event may queue output: the `router_config`
//! answering `RouterConfigNeeded`, or the `dnmsg` of a class A reply, which must leave in the
//! same turn), then re-arm the timer from `poll_timeout` (which answers "now" while output is
//! queued, so a loop that waits on it cannot sleep on a downlink). The station side
//! ([`station::StationSession`]) has the same shape.
//!
//! This example runs: `turn` is one pass of the LNS loop for one websocket, and a
//! [`station::StationSession`] plays the station, so the `dnmsg` answering its uplink is read
//! after a single turn.
//!
//! ```
//! use std::time::{Instant, SystemTime, UNIX_EPOCH};
//! use loragw_basicstation::Eui64;
//! use loragw_basicstation::lns::{DownlinkRequest, DownlinkSchedule, LnsConfig, LnsEvent, LnsSession};
//! use loragw_basicstation::message::TxWindow;
//! use loragw_basicstation::router_config::RouterConfig;
//! use loragw_basicstation::station::{Modulation, ReceivedFrame, StationConfig, StationEvent, StationSession};
//!
//! fn unix_now() -> f64 {
//!     SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
//! }
//!
//! /// The gateway's `router_config`; a network server builds it from the gateway's frequency
//! /// plan with [`channel_plan::build_router_config`](loragw_basicstation::channel_plan::build_router_config).
//! fn router_config() -> RouterConfig {
//!     RouterConfig {
//!         region: "EU868".into(),
//!         hwspec: "sx1301/1".into(),
//!         freq_range: Some([863_000_000, 870_000_000]),
//!         drs: vec![[12, 125, 0], [11, 125, 0], [10, 125, 0], [9, 125, 0], [8, 125, 0], [7, 125, 0]],
//!         ..RouterConfig::default()
//!     }
//! }
//!
//! /// One pass: a text frame from the websocket (or the timer), then everything queued is
//! /// handled and written until nothing is left.
//! fn turn(session: &mut LnsSession, frame: Option<&str>, send_text: &mut impl FnMut(&str)) {
//!     match frame {
//!         Some(text) => session.handle_message(Instant::now(), unix_now(), text),
//!         None => session.handle_timeout(Instant::now(), unix_now()),
//!     }
//!     let mut buf = String::new();
//!     while session.has_output() {
//!         while session.poll_transmit(&mut buf) {
//!             send_text(&buf);
//!         }
//!         while let Some(event) = session.poll_event() {
//!             match event {
//!                 LnsEvent::RouterConfigNeeded => {
//!                     let sent = session.send_router_config(Instant::now(), unix_now(), router_config());
//!                     sent.expect("a router_config of this size encodes");
//!                 }
//!                 // A class A reply in RX1 (same channel and data rate as the uplink).
//!                 LnsEvent::Uplink(up) => {
//!                     let rx1 = TxWindow { dr: up.radio.dr, freq: up.radio.freq };
//!                     let request = DownlinkRequest {
//!                         dev_eui: Eui64(0x0004_A30B_001C_0530),
//!                         pdu: vec![0x60, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0],
//!                         priority: 0,
//!                         rctx: Some(up.radio.upinfo.rctx),
//!                         schedule: DownlinkSchedule::ClassA {
//!                             uplink_xtime: up.radio.upinfo.xtime,
//!                             rx_delay: 1,
//!                             rx1: Some(rx1),
//!                             rx2: None,
//!                         },
//!                     };
//!                     if let Err(_e) = session.send_downlink(Instant::now(), unix_now(), request) {
//!                         // log it: e.g. the station's xtime session changed
//!                     }
//!                 }
//!                 _ => {}
//!             }
//!         }
//!     }
//! }
//!
//! // The station, for this example, connected through two queues of text frames.
//! let mut station = StationSession::new(StationConfig::default(), Instant::now());
//! let mut session = LnsSession::new(LnsConfig::default());
//! let (mut to_lns, mut to_station, mut buf) = (Vec::new(), Vec::<String>::new(), String::new());
//! while station.poll_transmit(&mut buf) {
//!     to_lns.push(buf.clone()); // `version`
//! }
//! turn(&mut session, Some(&to_lns[0]), &mut |text| to_station.push(text.to_owned()));
//! station.handle_message(Instant::now(), &to_station.remove(0)); // `router_config`
//! let frame = ReceivedFrame {
//!     phy_payload: vec![0x40, 4, 3, 2, 1, 0x80, 1, 0, 0xAA, 0xBB, 0xCC, 0xDD],
//!     freq: 868_100_000,
//!     modulation: Modulation::Lora { spreading_factor: 7, bandwidth_khz: 125 },
//!     xtime: 0x0001_0000_0100_0000,
//!     rctx: 0,
//!     gpstime: None,
//!     fts: None,
//!     rssi: -40,
//!     snr: 9.0,
//!     rxtime: unix_now(),
//! };
//! assert!(station.send_uplink(Instant::now(), &frame).expect("router_config applied"));
//! while station.poll_transmit(&mut buf) {
//!     to_lns.push(buf.clone()); // `updf`
//! }
//! turn(&mut session, Some(&to_lns[1]), &mut |text| to_station.push(text.to_owned()));
//! assert_eq!(to_station.len(), 1, "the dnmsg left in the turn that handled the uplink");
//! station.handle_message(Instant::now(), &to_station[0]);
//! let tx = std::iter::from_fn(|| station.poll_event())
//!     .find_map(|event| match event {
//!         StationEvent::Transmit(tx) => Some(tx),
//!         _ => None, // the RouterConfig applied earlier
//!     })
//!     .expect("a transmit request");
//! assert_eq!(tx.pdu[0], 0x60);
//! ```
//!
//! # Panics
//!
//! No input panics: decoders return [`DecodeError`], sessions turn bad frames into
//! `InvalidMessage` events and go on.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

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
