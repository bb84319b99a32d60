//! Glue for the LoRaWAN gateway protocols: every protocol to and from The Things Stack's ttnpb
//! messages, one event model, a gateway registry with authentication, frequency plans and
//! concentrator clocks.
//!
//! Without features this crate is sans-IO: no sockets, no async runtime, no clock reads. Time
//! comes in as [`frontend::Now`] (monotonic and wall clock); bytes come in and go out through
//! the frontends' `handle_*` / `poll_*` methods. The async transports (module `transport`: tokio
//! UDP, websockets, HTTP, MQTT, TLS, and the `GatewayServer` facade) are a layer on top, each
//! behind a cargo feature.
//!
//! # What is here
//!
//! - [`adapter`]: pure translations, field by field as The Things Stack maps them (with its
//!   known bugs fixed): [`adapter::udp`] (Semtech UDP `rxpk`/`stat`/`txpk`/`txpk_ack`),
//!   [`adapter::lbs`] (Basics Station `updf`/`jreq`/`rejoin`/`propdf`/`dnmsg`/`dntxed`/`version`,
//!   `router_config`), [`adapter::mqtt_v3`], [`adapter::mqtt_v2`], and
//!   [`adapter::lorawan`] (the parsed LoRaWAN view of a frame). The same radio frame gives the
//!   same `UplinkMessage` whichever protocol carried it.
//! - [`event`]: [`GatewayEvent`](event::GatewayEvent) (`Connected`, `Uplink`, `Status`,
//!   `TxAck`, `Disconnected`), each with the gateway's ids and [`Protocol`](event::Protocol);
//!   [`GatewayCommand`](event::GatewayCommand) (downlinks) the other way.
//! - [`frontend`]: the [`Frontend`](frontend::Frontend) trait every protocol machine
//!   implements ([`frontend::udp`], [`frontend::lbs`], [`frontend::mqtt`]), and
//!   [`Frontends`](frontend::Frontends), which merges their events and routes each command to
//!   the frontend the gateway is connected to. A new protocol is one more `Frontend`.
//! - [`registry`]: look gateways up by id or EUI, check API keys / tokens / passwords for a
//!   right; [`InMemoryRegistry`](registry::InMemoryRegistry) loads gateways and salted SHA-256
//!   key hashes from TOML.
//! - [`freqplan`]: frequency plans as data (EU868, US915 FSB2, AU915 FSB2, AS923, KR920,
//!   IN865, RU864, ...), from which Basics Station's `router_config` is built.
//! - [`clock`]: the 32-bit concentrator counter extended across rollovers, Basics Station xtime,
//!   GPS time.
//!
//! # Features
//!
//! All off by default, additive:
//!
//! - `serde`: `serde::Serialize` for [`GatewayEvent`](event::GatewayEvent), one JSON object per
//!   event with the ttnpb messages in The Things Stack's JSON mapping.
//! - `server`: the async `GatewayServer` facade (tokio); every listener feature turns it on.
//! - `udp`: Semtech UDP listener. `lbs`: Basics Station discovery and traffic websockets
//!   (tokio-tungstenite). `cups`: CUPS `POST /update-info` (hyper). `mqtt-server`: MQTT 3.1.1
//!   listener for v3 and v2 gateways (rumqttc's packet codec). `tls`: rustls for the TCP
//!   listeners.
//! - `mqtt-client`: gateway-side and upstream-broker MQTT clients (rumqttc), reconnecting and
//!   re-subscribing.
//!
//! # Message flow
//!
//! ```text
//! datagram / websocket text / MQTT publish
//!   -> frontend (protocol state machine + registry/auth)  -> adapter (protocol -> ttnpb)
//!   -> GatewayEvent::Uplink { gateway, protocol, message: UplinkMessage }  -> application
//! application -> GatewayCommand::Downlink { gateway, message: DownlinkMessage }
//!   -> Frontends (route by gateway) -> adapter (ttnpb -> txpk / dnmsg / GatewayDown)
//!   -> protocol state machine -> bytes; the gateway's acknowledgement -> GatewayEvent::TxAck
//! ```
//!
//! # Run loop
//!
//! One Semtech UDP listener driven by a blocking socket (the async transports do the same with
//! tokio). Drain order after every input: transmits, then events, then the next timeout.
//!
//! ```no_run
//! use std::net::UdpSocket;
//! use std::sync::Arc;
//! use std::time::{Duration, Instant, SystemTime};
//!
//! use loragw_gateway_io::event::{GatewayCommand, GatewayEvent};
//! use loragw_gateway_io::frontend::udp::{UdpConfig, UdpFrontend};
//! use loragw_gateway_io::frontend::{Frontend, Now};
//! use loragw_gateway_io::registry::InMemoryRegistry;
//! use loragw_gateway_io::ttnpb::time::system_time_to_timestamp;
//!
//! # fn reply_to(_: &loragw_gateway_io::ttnpb::UplinkMessage) -> Option<loragw_gateway_io::ttnpb::DownlinkMessage> { None }
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let registry = Arc::new(InMemoryRegistry::from_toml(&std::fs::read_to_string("gateways.toml")?)?);
//!     let mut udp = UdpFrontend::new(UdpConfig::default(), registry);
//!     let socket = UdpSocket::bind("[::]:1700")?;
//!     let mut datagram = [0u8; 65_535];
//!     let mut out = Vec::new();
//!     loop {
//!         let now = || Now::new(Instant::now(), system_time_to_timestamp(SystemTime::now()).expect("after 1970"));
//!         let wait = udp.poll_timeout().map(|t| t.saturating_duration_since(Instant::now()));
//!         socket.set_read_timeout(Some(wait.unwrap_or(Duration::from_secs(1)).max(Duration::from_millis(1))))?;
//!         match socket.recv_from(&mut datagram) {
//!             Ok((len, from)) => udp.handle_datagram(now(), from, &datagram[..len]),
//!             Err(_) => udp.handle_timeout(now()),
//!         }
//!         while let Some(transmit) = udp.poll_transmit(&mut out) {
//!             socket.send_to(&out, transmit.destination)?;
//!         }
//!         while let Some(event) = udp.poll_event() {
//!             if let GatewayEvent::Uplink { gateway, message, .. } = event {
//!                 if let Some(down) = reply_to(&message) {
//!                     // An error says why (not connected, not expressible in the protocol).
//!                     let _ = udp.handle_command(now(), GatewayCommand::Downlink { gateway, message: down });
//!                 }
//!             }
//!         }
//!     }
//! }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod adapter;
pub mod clock;
pub mod error;
pub mod event;
pub mod freqplan;
pub mod frontend;
pub mod ids;
mod log_limit;
pub mod registry;
pub mod reply;
#[cfg(any(feature = "server", feature = "mqtt-client"))]
pub mod transport;

pub use loragw_ttnpb as ttnpb;
