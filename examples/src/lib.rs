//! Example gateway server and gateway forwarder built on the loragw crates.
//!
//! - [`gateway_server`]: the core of the `gateway-server` binary (config file, listeners on The
//!   Things Stack's default ports, events as JSON lines, downlinks as JSON lines), kept in the
//!   library so tests can run it on port 0.
//! - [`gateway_forwarder`]: the core of the `gateway-forwarder` binary (simulated gateways
//!   sending uplinks over Semtech UDP, MQTT v3 or Basics Station LNS and acknowledging
//!   downlinks).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod gateway_forwarder;
pub mod gateway_server;
