//! Async transports (tokio), each behind a feature: they own the sockets and the clock and
//! drive the sans-IO protocol code of this crate and the protocol crates.

#[cfg(feature = "mqtt-client")]
pub mod mqtt_client;
#[cfg(any(feature = "mqtt-server", feature = "mqtt-client"))]
mod mqtt_format;
#[cfg(feature = "mqtt-server")]
pub mod mqtt_server;
#[cfg(feature = "mqtt-server")]
mod mqtt_session;
#[cfg(feature = "mqtt-client")]
pub mod mqtt_upstream;

#[cfg(any(feature = "mqtt-server", feature = "mqtt-client"))]
pub use mqtt_format::MqttFormat;
