//! Example gateway server and gateway forwarder built on the loragw crates.
//!
//! - [`gateway_server`]: the core of the `gateway-server` binary (config file, listeners on The
//!   Things Stack's default ports, events as JSON lines, downlinks as JSON lines), kept in the
//!   library so tests can run it on port 0.
//! - [`gateway_forwarder`]: the core of the `gateway-forwarder` binary: a bridge from a local
//!   Semtech UDP packet forwarder to Basics Station, MQTT v3/v2 and Semtech UDP servers, and
//!   simulated gateways sending uplinks over every protocol and acknowledging downlinks.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod gateway_forwarder;
pub mod gateway_server;
