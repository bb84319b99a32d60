//! Async transports (tokio) and the [`GatewayServer`] facade, each listener behind a cargo
//! feature: `udp` (Semtech UDP), `lbs` (Basics Station LNS websockets), `cups` (Basics Station
//! CUPS over HTTP), `mqtt-server` (The Things Stack MQTT v3 / v2 gateway listeners), `tls`
//! (rustls for the TCP listeners); and, without the facade, `mqtt-client` (gateway-side and
//! upstream-broker MQTT clients).
//!
//! Transports hold no protocol logic: they move bytes between sockets and the sans-IO machines
//! (`loragw_semtech_udp::Server`, the Basics Station frontend, the CUPS decision function) and
//! hand the one [`GatewayEvent`](crate::event::GatewayEvent) model to the application.
//!
//! Each listener runs one driver task that owns its protocol machine; connection-oriented
//! listeners add one task per connection that only reads and writes frames, and check
//! credentials (so a slow registry stalls only that connection, and nothing is allocated in a
//! frontend before a gateway is authenticated). Channels are bounded: when the application
//! stops reading events, drivers stop reading their sockets (UDP datagrams then queue in, and
//! overflow, the kernel buffer), while downlink commands and timers are still served.
//!
//! # Bounds of the TCP listeners
//!
//! Basics Station, CUPS and MQTT accept through one loop ([`accept`]) with the bounds of
//! [`TcpLimits`], each with a default: 10,000 TCP connections per listener and 64 per remote
//! IP address (more are closed at once, counted); a 10 s handshake deadline covering TLS and
//! the websocket upgrade / HTTP request / MQTT CONNECT together (a client sending one byte per
//! second is cut there); 10 s per write (a peer that stops reading is disconnected and blocks
//! nobody); 10,000 gateway sessions per listener. Downlinks in flight are bounded per gateway
//! (Basics Station 64, MQTT 16). `TCP_NODELAY` is set on every accepted socket. Refused clients
//! are logged at `info` at most once a second per listener (with the number suppressed), the
//! rest at `debug`, so a flood cannot fill a disk. [`GatewayServer::stats`] counts refusals by
//! [`RefusalReason`].
//!
//! # Routes, downlinks and failure
//!
//! A gateway has one route: a connection on any listener replaces the gateway's connection on
//! any other (closed, `Disconnected { reason: Replaced }`). Every downlink accepted by
//! `send_downlink` on Basics Station and MQTT ends in exactly one `GatewayEvent::TxAck`
//! (acknowledged, or failed with a [`TxFailure`](crate::event::TxFailure)). A panic while
//! handling one message or connection closes that connection
//! (`DisconnectReason::InternalError`, counted in [`ServerStats::isolated_panics`]) and the
//! listener serves on; a listener task that stops anyway is reported by
//! [`GatewayServer::next_event`] as [`ServerError::ListenerStopped`].

#[cfg(any(feature = "lbs", feature = "cups", feature = "mqtt-server"))]
pub mod accept;
#[cfg(feature = "server")]
mod hub;
#[cfg(feature = "server")]
mod listener;
#[cfg(feature = "server")]
mod server;

#[cfg(feature = "cups")]
pub mod cups;
#[cfg(feature = "lbs")]
pub mod lbs;
#[cfg(feature = "lbs")]
pub mod tabs;
#[cfg(feature = "tls")]
pub mod tls;
#[cfg(feature = "udp")]
pub mod udp;

#[cfg(feature = "mqtt-client")]
pub mod mqtt_client;
#[cfg(feature = "mqtt-client")]
mod mqtt_format;
#[cfg(feature = "mqtt-server")]
mod mqtt_link;
#[cfg(feature = "mqtt-server")]
pub mod mqtt_server;
#[cfg(feature = "mqtt-server")]
mod mqtt_session;
#[cfg(feature = "mqtt-server")]
mod mqtt_settings;
#[cfg(feature = "mqtt-client")]
pub mod mqtt_upstream;

#[cfg(any(feature = "lbs", feature = "cups", feature = "mqtt-server"))]
pub use accept::TcpLimits;
#[cfg(feature = "server")]
pub use listener::{RefusalReason, Registry, ServerStats};
#[cfg(feature = "server")]
pub use server::{
    DEFAULT_EVENT_CAPACITY, DownlinkSender, GatewayServer, GatewayServerBuilder, ListenerKind,
    ServerError, StatsHandle,
};
