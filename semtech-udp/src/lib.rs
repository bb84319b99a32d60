//! Sans-IO Semtech UDP packet forwarder protocol (GWMP v1 and v2): the wire format, the
//! network-side [`Server`] and the gateway-side [`Forwarder`].
//!
//! The package is `loragw-semtech-udp`; in code the crate is `loragw_semtech_udp`: hyphens become
//! underscores, as for every `loragw-*` package (`cargo add loragw-semtech-udp`, then
//! `use loragw_semtech_udp::...`).
//!
//! What it does: decode and encode the six datagram types and their JSON bodies (`rxpk`,
//! `stat`, `txpk`, `txpk_ack`) with every field of Semtech's packet_forwarder and sx1302_hal
//! protocol documents, and run both ends of the protocol as deterministic state machines.
//! What it does not do: open sockets, read clocks, spawn tasks, or know about LoRaWAN
//! (frequency plans, MAC) or The Things Stack's messages: a transport crate feeds it bytes and
//! `now`, and an adapter crate maps its types to other models.
//!
//! ```text
//!  gateway (Forwarder)                              network (Server)
//!  PUSH_DATA {rxpk,stat} ─────────────────────────▶  PUSH_ACK, ServerEvent::Uplink / Status
//!  PULL_DATA (keepalive) ─────────────────────────▶  PULL_ACK, ServerEvent::DownlinkPath
//!  ForwarderEvent::Downlink ◀──────────────────────  PULL_RESP {txpk}   (Server::send_downlink)
//!  TX_ACK {txpk_ack} ─────────────────────────────▶  ServerEvent::TxAck { downlink, .. }
//! ```
//!
//! # Run loop
//!
//! Every input is followed by draining the outputs until nothing is left: transmits, then
//! events, and again while [`Server::has_output`] says more came (handling an event may queue
//! output: a [`Server::send_downlink`] made there queues its PULL_RESP, which must leave in the
//! same turn, not at the next datagram). [`Server::poll_timeout`] answers "now" while output is
//! queued, so a loop that waits on it cannot sleep on a PULL_RESP. The same shape drives a
//! [`Forwarder`].
//!
//! This example runs: `turn` is one pass of the server's loop (a real server calls it forever
//! on a socket bound to `[::]:1700`); a [`Forwarder`] on a second loopback socket plays the
//! gateway, and the PULL_RESP answering its uplink arrives after a single turn.
//!
//! ```
//! use std::net::UdpSocket;
//! use std::time::{Duration, Instant};
//! use loragw_semtech_udp::{
//!     Bandwidth, DataRate, Forwarder, ForwarderConfig, ForwarderEvent, Frequency, GatewayEui,
//!     Rxpk, Server, ServerConfig, ServerEvent, TxTiming, Txpk,
//! };
//!
//! /// One pass: wait for a datagram or the next timeout, hand it in, then send and handle
//! /// everything queued until nothing is left.
//! fn turn(
//!     socket: &UdpSocket,
//!     server: &mut Server,
//!     on_event: &mut impl FnMut(&mut Server, ServerEvent),
//! ) -> std::io::Result<()> {
//!     let mut rx = [0u8; loragw_semtech_udp::MAX_DATAGRAM_LEN];
//!     let wait = server.poll_timeout().map(|at| at.saturating_duration_since(Instant::now()));
//!     socket.set_read_timeout(wait.map(|d| d.max(Duration::from_millis(1))))?;
//!     match socket.recv_from(&mut rx) {
//!         Ok((len, from)) => server.handle_datagram(Instant::now(), from, &rx[..len]),
//!         Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
//!             server.handle_timeout(Instant::now())
//!         }
//!         Err(e) => return Err(e),
//!     }
//!     let mut tx = Vec::with_capacity(1024);
//!     while server.has_output() {
//!         // ACKs and PULL_RESPs
//!         while let Some(t) = server.poll_transmit(&mut tx) {
//!             socket.send_to(&tx, t.destination)?;
//!         }
//!         // Events; commands such as send_downlink queue more output, sent by the next pass.
//!         while let Some(event) = server.poll_event() {
//!             on_event(server, event);
//!         }
//!     }
//!     Ok(())
//! }
//!
//! # fn main() -> std::io::Result<()> {
//! let socket = UdpSocket::bind("127.0.0.1:0")?;
//! let mut server = Server::new(ServerConfig { seed: 0x1234, ..ServerConfig::default() });
//! // The application: answer every uplink in RX1, one second after it was received.
//! let mut on_event = |server: &mut Server, event: ServerEvent| {
//!     if let ServerEvent::Uplink { gateway, rxpk, .. } = event {
//!         for up in rxpk {
//!             let at = TxTiming::Timestamp(up.tmst.wrapping_add(1_000_000));
//!             let reply = Txpk::lorawan(at, up.freq, up.datr, 14, vec![0x60, 1, 2, 3, 4]);
//!             server.send_downlink(Instant::now(), gateway, reply).expect("gateway has a downlink path");
//!         }
//!     }
//! };
//!
//! // The gateway, for this example: a forwarder on another socket.
//! let gw_socket = UdpSocket::bind("127.0.0.1:0")?;
//! gw_socket.connect(socket.local_addr()?)?;
//! gw_socket.set_read_timeout(Some(Duration::from_secs(5)))?;
//! let config = ForwarderConfig { gateway: GatewayEui::from_u64(0x58A0_CBFF_FE80_0001), ..ForwarderConfig::default() };
//! let mut gateway = Forwarder::new(config, Instant::now());
//! let sf7 = DataRate::Lora { spreading_factor: 7, bandwidth: Bandwidth::Khz125 };
//! gateway.push_uplinks(Instant::now(), vec![Rxpk::new(2_000_000, Frequency::from_hz(868_100_000), sf7, vec![0x40; 13])])
//!     .expect("uplink fits a datagram");
//! let (mut buf, mut rx) = (Vec::new(), [0u8; 2048]);
//! while gateway.poll_transmit(&mut buf).is_some() {
//!     gw_socket.send(&buf)?; // PULL_DATA (downlink path), then PUSH_DATA (the uplink)
//! }
//!
//! turn(&socket, &mut server, &mut on_event)?; // PULL_DATA → PULL_ACK
//! turn(&socket, &mut server, &mut on_event)?; // PUSH_DATA → PUSH_ACK, Uplink → PULL_RESP
//! let mut downlink = None;
//! while downlink.is_none() {
//!     let len = gw_socket.recv(&mut rx)?;
//!     gateway.handle_datagram(Instant::now(), &rx[..len]);
//!     while let Some(event) = gateway.poll_event() {
//!         if let ForwarderEvent::Downlink { txpk, .. } = event {
//!             downlink = Some(txpk);
//!         }
//!     }
//! }
//! let txpk = downlink.expect("loop ends with one");
//! assert_eq!(txpk.timing, TxTiming::Timestamp(3_000_000));
//! assert_eq!((txpk.powe, txpk.ncrc), (Some(14), Some(true)));
//! # Ok(())
//! # }
//! ```
//!
//! # Panics and bounds
//!
//! No input panics. Datagrams are at most [`MAX_DATAGRAM_LEN`] bytes (PULL_RESP at most
//! [`MAX_PULL_RESP_LEN`], the reference forwarder's receive buffer); a PUSH_DATA keeps at most
//! [`MAX_RXPK`] `rxpk` and an `rxpk` at most [`MAX_RSIG`] `rsig` entries (beyond, reported in
//! [`PushData::rejected`]); a number out of its field's range rejects only its element, with
//! the field named. The server's gateway table,
//! per-gateway downlink tables and output queues are bounded by [`ServerConfig`], the
//! forwarder's by [`ForwarderConfig`]. The server allocates nothing for a gateway before it is
//! admitted ([`Admission`]): traffic from unknown EUIs costs O(1) memory in total (see
//! [`Server`]).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod forwarder;
pub mod header;
pub mod json;
mod kinds;
pub mod packet;
mod rng;
pub mod server;

pub use error::{DecodeError, Element, ElementError, EncodeError, Error};
pub use forwarder::{Forwarder, ForwarderConfig, ForwarderEvent};
pub use header::{GatewayEui, Header, PacketType, ProtocolVersion};
pub use json::{
    AckValue, Bandwidth, CodingRate, CrcStatus, DataRate, Frequency, HardwareVersions,
    MAX_FREQUENCY_HZ, MAX_RSIG, MAX_RXPK, MAX_RXPK_DATA, Modulation, Rsig, Rxpk, Stat, Timestamp,
    TxError, TxTiming, TxWarning, Txpk, TxpkAck,
};
pub use packet::{
    Ack, MAX_DATAGRAM_LEN, MAX_PULL_RESP_LEN, Packet, PullData, PullResp, PushData, TxAck,
};
pub use server::{
    Admission, DownlinkId, DownlinkPath, ExpiryReason, RateLimit, RejectReason, ScheduleLate,
    Server, ServerConfig, ServerEvent, Transmit, UnmatchedReason,
};
