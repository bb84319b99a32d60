//! Heap allocations per message on the codec paths, ours next to the reference each is
//! compared with in the criterion benches. Not a criterion bench: it prints one table.
//!
//! `cargo bench -p loragw-benches --bench allocations`

#![allow(missing_docs)]
// A bench that cannot decode its own fixed inputs is broken: unwrap is the right answer.
#![allow(clippy::unwrap_used)]
// The table is this binary's output.
#![allow(clippy::print_stdout)]

use std::alloc::System;
use std::hint::black_box;

use loragw_basicstation::message::decode_up;
use loragw_benches::{
    UPDF, allocations_per_call, gateway, gwmp_datagrams, push_data_to_protobuf, updf_to_uplink,
};
use loragw_semtech_udp::Packet;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const N: u32 = 1000;

fn row(path: &str, input: &str, ours: f64, reference: &str, theirs: Option<f64>) {
    let theirs = theirs.map_or_else(|| "-".to_owned(), |t| format!("{t:.1}"));
    println!("| {path} | {input} | {ours:.1} | {reference} | {theirs} |");
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a criterion-style filter we ignore.
    println!("| path | input | allocations (loragw) | reference | allocations (reference) |");
    println!("|---|---|---:|---|---:|");
    let gw = gateway();
    for (name, bytes) in gwmp_datagrams() {
        let ours = allocations_per_call(GLOBAL, N, || Packet::decode(black_box(&bytes)).unwrap());
        let theirs = allocations_per_call(GLOBAL, N, || {
            semtech_udp::Packet::parse(black_box(&bytes)).unwrap()
        });
        row(
            "GWMP decode",
            name,
            ours,
            "`semtech-udp` 0.12 decode",
            Some(theirs),
        );
    }
    for (name, bytes) in gwmp_datagrams().into_iter().take(2) {
        let ours =
            allocations_per_call(GLOBAL, N, || push_data_to_protobuf(&gw, black_box(&bytes)));
        let theirs = allocations_per_call(GLOBAL, N, || {
            semtech_udp::Packet::parse(black_box(&bytes)).unwrap()
        });
        row(
            "PUSH_DATA → protobuf `UplinkMessage`s",
            name,
            ours,
            "`semtech-udp` 0.12 decode",
            Some(theirs),
        );
    }
    let decode = allocations_per_call(GLOBAL, N, || decode_up(black_box(UPDF)).unwrap());
    row("Basics Station `updf` decode", "updf", decode, "", None);
    let ours = allocations_per_call(GLOBAL, N, || updf_to_uplink(&gw, black_box(UPDF)));
    let value = allocations_per_call(GLOBAL, N, || {
        serde_json::from_str::<serde_json::Value>(black_box(UPDF)).unwrap()
    });
    row(
        "Basics Station `updf` → `UplinkMessage`",
        "updf",
        ours,
        "`serde_json::Value` parse",
        Some(value),
    );
}
