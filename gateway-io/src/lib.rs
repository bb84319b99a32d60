//! Glue for the LoRaWAN gateway protocols: ttnpb adapters, one event model, registry, and optional async transports.
//!
//! Skeleton: this crate does not implement anything yet.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
