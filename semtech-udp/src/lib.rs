//! Sans-IO Semtech UDP packet forwarder protocol (GWMP v1/v2): wire format, server and forwarder state machines.
//!
//! Skeleton: this crate does not implement anything yet.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
