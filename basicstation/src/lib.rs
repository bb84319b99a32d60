//! Sans-IO LoRa Basics Station protocols (LNS websocket messages and CUPS), both sides.
//!
//! Skeleton: this crate does not implement anything yet.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
