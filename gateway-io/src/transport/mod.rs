//! Async transports (tokio) and the [`GatewayServer`] facade, each listener behind a cargo
//! feature: `udp` (Semtech UDP), `lbs` (Basics Station LNS websockets), `cups` (Basics Station
//! CUPS over HTTP), `mqtt-server` (The Things Stack MQTT v3 / v2 gateway listeners), `tls`
//! (rustls for the TCP listeners); and, without the facade, `mqtt-client` (gateway-side and
//! upstream-broker MQTT clients).
//!
//! Transports hold no protocol logic: they move bytes between sockets and the sans-IO machines
//! (`semtech_udp::Server`, the Basics Station frontend, the CUPS decision function) and hand the
//! one [`GatewayEvent`](crate::event::GatewayEvent) model to the application.
//!
//! Each listener runs one driver task that owns its protocol machine; connection-oriented
//! listeners add one task per connection that only reads and writes frames. Channels are
//! bounded: when the application stops reading events, drivers stop reading their sockets
//! (UDP datagrams then queue in, and overflow, the kernel buffer), while downlink commands and
//! timers are still served.

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
#[cfg(feature = "tls")]
pub mod tls;
#[cfg(feature = "udp")]
pub mod udp;

#[cfg(feature = "mqtt-client")]
pub mod mqtt_client;
#[cfg(feature = "mqtt-client")]
mod mqtt_format;
#[cfg(feature = "mqtt-server")]
pub mod mqtt_server;
#[cfg(feature = "mqtt-server")]
mod mqtt_session;
#[cfg(feature = "mqtt-client")]
pub mod mqtt_upstream;

#[cfg(any(feature = "lbs", feature = "cups", feature = "mqtt-server"))]
pub use accept::TcpLimits;
#[cfg(feature = "server")]
pub use listener::{RefusalReason, Registry, ServerStats};
#[cfg(feature = "server")]
pub use server::{
    DEFAULT_EVENT_CAPACITY, DownlinkSender, GatewayServer, GatewayServerBuilder, ListenerKind,
    ServerError,
};

/// The TLS configuration of a TCP listener, if it uses TLS.
#[cfg(all(
    feature = "tls",
    any(feature = "lbs", feature = "cups", feature = "mqtt-server")
))]
pub(crate) type TlsOption = Option<tls::TlsConfig>;
/// Without the `tls` feature no listener can be given TLS.
#[cfg(all(
    not(feature = "tls"),
    any(feature = "lbs", feature = "cups", feature = "mqtt-server")
))]
pub(crate) type TlsOption = Option<std::convert::Infallible>;
