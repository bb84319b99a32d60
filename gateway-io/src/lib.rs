//! Glue for the LoRaWAN gateway protocols: one model for every protocol, a gateway registry with
//! authentication, frequency plans, and concentrator clocks.
//!
//! This is the sans-IO half of `gateway-io`: no sockets, no tokio, no clock reads.
//!
//! - [`freqplan`]: frequency plans as data (EU868, US915 FSB2, AU915 FSB2, AS923, KR920, IN865, …).
//! - [`registry`]: look gateways up by id or EUI, check API keys / tokens / passwords for a right;
//!   an in-memory implementation loaded from TOML with salted, hashed keys.
//! - [`clock`]: 32-bit timestamp rollover, Basics Station xtime, GPS time.
//! - [`ids`]: gateway ids and EUIs.
//! - `transport` (features `mqtt-server`, `mqtt-client`): tokio transports that own sockets and
//!   the clock, kept out of the sans-IO modules above.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod adapter;
pub mod clock;
pub mod error;
pub mod event;
pub mod freqplan;
pub mod frontend;
pub mod ids;
pub mod registry;
#[cfg(any(feature = "mqtt-server", feature = "mqtt-client"))]
pub mod transport;

pub use loragw_ttnpb as ttnpb;
