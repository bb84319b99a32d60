//! Example gateway server and gateway forwarder built on the loragw crates.
//!
//! Skeleton: this crate does not implement anything yet.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
