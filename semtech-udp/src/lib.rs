//! Sans-IO Semtech UDP packet forwarder protocol (GWMP v1 and v2): the wire format, the
//! network-side [`Server`] and the gateway-side [`Forwarder`].
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
//! Every input is followed by draining the outputs in a fixed order: transmits, then events,
//! then the next timeout. The same shape drives a [`Forwarder`].
//!
//! ```no_run
//! use std::net::{SocketAddr, UdpSocket};
//! use std::time::{Duration, Instant};
//! use loragw_semtech_udp::{Server, ServerConfig, ServerEvent};
//!
//! # fn main() -> std::io::Result<()> {
//! let socket = UdpSocket::bind("[::]:1700")?;
//! let mut server = Server::new(ServerConfig::default());
//! let mut rx = [0u8; 65_535];
//! let mut tx = Vec::with_capacity(1024);
//! loop {
//!     // 1. Wait for a datagram or the next timeout.
//!     let wait = server
//!         .poll_timeout()
//!         .map(|at| at.saturating_duration_since(Instant::now()));
//!     socket.set_read_timeout(wait.map(|d| d.max(Duration::from_millis(1))))?;
//!     match socket.recv_from(&mut rx) {
//!         Ok((len, from)) => server.handle_datagram(Instant::now(), from, &rx[..len]),
//!         Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
//!             server.handle_timeout(Instant::now())
//!         }
//!         Err(e) => return Err(e),
//!     }
//!     // 2. Send everything queued (ACKs, PULL_RESPs).
//!     while let Some(t) = server.poll_transmit(&mut tx) {
//!         socket.send_to(&tx, t.destination)?;
//!     }
//!     // 3. Handle events; commands such as send_downlink are inputs too (drain again after).
//!     while let Some(event) = server.poll_event() {
//!         if let ServerEvent::Uplink { gateway, rxpk, .. } = event {
//!             let _ = (gateway, rxpk); // hand over to the application
//!         }
//!     }
//! }
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
