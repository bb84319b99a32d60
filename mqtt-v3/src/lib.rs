//! Sans-IO The Things Stack MQTT v3 gateway protocol: topics, access rules and ttnpb payload codec.
//!
//! Skeleton: this crate does not implement anything yet.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
