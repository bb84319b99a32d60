//! Sans-IO legacy TTN v2 MQTT gateway protocol: topics, access rules, v2 protobufs and v2 <-> v3 conversion.
//!
//! Skeleton: this crate does not implement anything yet.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
