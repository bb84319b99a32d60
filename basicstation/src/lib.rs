//! Sans-IO LoRa Basics Station protocols (LNS websocket messages and CUPS), both sides.
//!
//! Work in progress: modules are being filled in.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod channel_plan;
pub mod cups;
pub mod discovery;
pub mod error;
pub mod eui;
pub mod frame;
mod json;
pub mod lns;
pub mod message;
pub mod region;
pub mod router_config;
mod sx1301_conf;
pub mod xtime;

pub use error::{DecodeError, EncodeError, FrameError, SessionError};
pub use eui::Eui64;
