//! Wire-compatible prost messages of The Things Stack's ttn.lorawan.v3 package used by the gateway protocols.
//!
//! Skeleton: this crate does not implement anything yet.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
