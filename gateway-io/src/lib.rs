//! Glue for the LoRaWAN gateway protocols: every protocol to and from The Things Stack's ttnpb
//! messages, one event model, a gateway registry with authentication, frequency plans and
//! concentrator clocks.
//!
//! The package is `loragw-gateway-io`; in code the crate is `loragw_gateway_io`: hyphens become
//! underscores, as for every `loragw-*` package (`cargo add loragw-gateway-io`, then
//! `use loragw_gateway_io::...`).
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
//! - [`event`]: [`GatewayEvent`] (`Connected`, `Uplink`, `Status`,
//!   `TxAck`, `Disconnected`), each with the gateway's ids and [`Protocol`];
//!   [`GatewayCommand`] (downlinks) the other way.
//! - [`frontend`]: the [`Frontend`] trait every protocol machine
//!   implements ([`frontend::udp`], [`frontend::lbs`], [`frontend::mqtt`]), and
//!   [`Frontends`], which merges their events and routes each command to
//!   the frontend the gateway is connected to. A new protocol is one more `Frontend`.
//! - [`registry`]: look gateways up by id or EUI, check API keys / tokens / passwords for a
//!   right; [`InMemoryRegistry`] loads gateways and salted SHA-256
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
//! - `serde`: `serde::Serialize` for [`GatewayEvent`], one JSON object per
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
//! tokio). After every input, write the transmits and handle the events until nothing is left:
//! a downlink commanded while handling an uplink queues its PULL_RESP, which must leave in the
//! same turn (class A RX1 opens one second after the uplink). `poll_timeout` answers "now"
//! while anything is queued, so a loop that waits on it never sleeps on a downlink.
//!
//! This example runs: `turn` is one pass of the loop (a real server calls it forever on a
//! socket bound to `[::]:1700`), and a packet forwarder on a second loopback socket gets the
//! answer to its uplink after one turn.
//!
//! ```
//! use std::net::UdpSocket;
//! use std::sync::Arc;
//! use std::time::{Duration, Instant, SystemTime};
//!
//! use loragw_gateway_io::frontend::udp::{UdpConfig, UdpFrontend};
//! use loragw_gateway_io::ttnpb::downlink_message::Settings;
//! use loragw_gateway_io::ttnpb::time::system_time_to_timestamp;
//! use loragw_gateway_io::ttnpb::{DownlinkMessage, TxSettings, UplinkMessage, tx_settings};
//! use loragw_gateway_io::{Frontend, GatewayCommand, GatewayEvent, InMemoryRegistry, Now};
//!
//! fn now() -> Now {
//!     Now::new(Instant::now(), system_time_to_timestamp(SystemTime::now()).expect("after 1970"))
//! }
//!
//! /// A class A reply in RX1: the uplink's channel and data rate, 1 s (1,000,000 µs of the
//! /// gateway's counter) after it. `tx_power` is EIRP: Semtech UDP sends ERP (`"powe"`,
//! /// 2.15 dB less, so 16.15 dBm → 14); `enable_crc` defaults to false (`"ncrc":true`), as
//! /// LoRaWAN downlinks carry no physical-layer CRC.
//! fn rx1_reply(up: &UplinkMessage, payload: Vec<u8>) -> Option<DownlinkMessage> {
//!     let rx = up.settings.as_ref()?;
//!     Some(DownlinkMessage {
//!         raw_payload: payload,
//!         settings: Some(Settings::Scheduled(TxSettings {
//!             data_rate: rx.data_rate.clone(),
//!             frequency: rx.frequency,
//!             timestamp: rx.timestamp.wrapping_add(1_000_000),
//!             downlink: Some(tx_settings::Downlink {
//!                 tx_power: 16.15,
//!                 invert_polarization: true,
//!                 ..Default::default()
//!             }),
//!             ..Default::default()
//!         })),
//!         ..Default::default()
//!     })
//! }
//!
//! /// One pass: a datagram (or the timer), then transmits and events until nothing is left.
//! fn turn(socket: &UdpSocket, udp: &mut UdpFrontend<InMemoryRegistry>) -> std::io::Result<()> {
//!     let mut datagram = [0u8; 65_535];
//!     let wait = udp.poll_timeout().map(|t| t.saturating_duration_since(Instant::now()));
//!     socket.set_read_timeout(wait.map(|d| d.max(Duration::from_millis(1))))?;
//!     match socket.recv_from(&mut datagram) {
//!         Ok((len, from)) => udp.handle_datagram(now(), from, &datagram[..len]),
//!         Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
//!             udp.handle_timeout(now())
//!         }
//!         Err(e) => return Err(e),
//!     }
//!     let mut out = Vec::new();
//!     loop {
//!         while let Some(transmit) = udp.poll_transmit(&mut out) {
//!             socket.send_to(&out, transmit.destination)?;
//!         }
//!         match udp.poll_event() {
//!             Some(GatewayEvent::Uplink { gateway, message, .. }) => {
//!                 if let Some(down) = rx1_reply(&message, vec![0x60, 4, 3, 2, 1, 0, 0, 0]) {
//!                     let command = GatewayCommand::Downlink { gateway, message: down };
//!                     if let Err(_e) = udp.handle_command(now(), command) {
//!                         // log it: the gateway went away, or the downlink does not fit UDP
//!                     }
//!                 }
//!             }
//!             Some(GatewayEvent::Refused { gateway, remote, .. }) => {
//!                 let _ = (gateway, remote); // e.g. a forwarder with a mistyped EUI
//!             }
//!             Some(_) => {}
//!             None => return Ok(()),
//!         }
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = r#"
//!     [[gateway]]
//!     id = "my-gateway"
//!     eui = "58A0CBFFFE800001"
//!     frequency_plans = ["EU_863_870"]
//! "#;
//! let registry = Arc::new(InMemoryRegistry::from_toml(config)?);
//! let mut udp = UdpFrontend::new(UdpConfig::default(), registry);
//! let socket = UdpSocket::bind("127.0.0.1:0")?;
//!
//! // The gateway, for this example: raw GWMP v2 datagrams from another socket.
//! let gateway = UdpSocket::bind("127.0.0.1:0")?;
//! gateway.connect(socket.local_addr()?)?;
//! gateway.set_read_timeout(Some(Duration::from_secs(5)))?;
//! let header = |token: u8, kind: u8| [2, 0, token, kind, 0x58, 0xA0, 0xCB, 0xFF, 0xFE, 0x80, 0x00, 0x01];
//! gateway.send(&header(1, 2))?; // PULL_DATA: the downlink path
//! let rxpk = br#"{"rxpk":[{"tmst":2000000,"freq":868.1,"rfch":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-40,"lsnr":9.5,"size":12,"data":"QAQDAgGAAQCqu8zd"}]}"#;
//! gateway.send(&[&header(2, 0)[..], rxpk].concat())?; // PUSH_DATA: the uplink
//!
//! turn(&socket, &mut udp)?; // PULL_DATA → PULL_ACK, Connected
//! turn(&socket, &mut udp)?; // PUSH_DATA → PUSH_ACK, Uplink → PULL_RESP
//! let mut buf = [0u8; 1024];
//! let mut received = Vec::new();
//! while received.len() < 3 {
//!     let len = gateway.recv(&mut buf)?;
//!     received.push(buf[..len].to_vec());
//! }
//! let pull_resp = received.iter().find(|d| d[3] == 3).expect("a PULL_RESP");
//! let txpk = std::str::from_utf8(&pull_resp[4..])?;
//! assert!(txpk.contains(r#""tmst":3000000"#), "{txpk}");
//! assert!(txpk.contains(r#""powe":14"#) && txpk.contains(r#""ncrc":true"#), "{txpk}");
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

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

// The types a first program meets, at the crate root.
pub use error::CommandError;
pub use event::{DisconnectReason, GatewayCommand, GatewayEvent, Protocol, TxFailure};
pub use frontend::{Frontend, Frontends, Now};
pub use ids::{Eui64, GatewayIds};
pub use registry::{GatewayRecord, GatewayRegistry, InMemoryRegistry, hash_key};
#[cfg(feature = "server")]
pub use transport::{GatewayServer, GatewayServerBuilder, ListenerKind, ServerError, ServerStats};
