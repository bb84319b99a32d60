//! Criterion benchmarks of the loragw crates against peer crates.
//!
//! The benches live in `benches/`; `src/bin/` has the server throughput tools: the
//! `udp_minimal_server` yardstick and `throughput_chart`, which draws the README's chart from
//! the results of `gateway-forwarder load`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
