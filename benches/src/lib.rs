//! Criterion benchmarks of the loragw crates against peer crates.
//!
//! Skeleton: this crate does not implement anything yet.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
