//! Sans-IO LoRa Basics Station protocols (LNS websocket messages and CUPS), both sides.
//!
//! Work in progress: modules are being filled in.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod channel_plan;
pub mod cups;
pub mod region;
pub mod router_config;
mod sx1301_conf;
