//! Semtech UDP: decode and encode the four shared benchmark datagrams with
//! `loragw-semtech-udp` and, in the same run, with the published `semtech-udp` 0.12.

#![allow(missing_docs)]
// criterion's macros generate undocumented items
// A bench that cannot decode its own fixed inputs is broken: unwrap is the right answer.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
use loragw_benches::gwmp_datagrams as inputs;
use loragw_semtech_udp::Packet;
use semtech_udp::SerializablePacket;

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("semtech_udp/decode");
    for (name, bytes) in inputs() {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("loragw/{name}"), |b| {
            b.iter(|| Packet::decode(black_box(&bytes)).unwrap())
        });
        group.bench_function(format!("semtech-udp-0.12/{name}"), |b| {
            b.iter(|| semtech_udp::Packet::parse(black_box(&bytes)).unwrap())
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("semtech_udp/encode");
    for (name, bytes) in inputs() {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        let ours = Packet::decode(&bytes).unwrap();
        let mut out = Vec::with_capacity(4096);
        group.bench_function(format!("loragw/{name}"), |b| {
            b.iter(|| {
                black_box(&ours).encode(&mut out).unwrap();
                out.len()
            })
        });
        let theirs = semtech_udp::Packet::parse(&bytes).unwrap();
        let mut buf = vec![0u8; 8192];
        group.bench_function(format!("semtech-udp-0.12/{name}"), |b| {
            b.iter(|| black_box(&theirs).serialize(&mut buf).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, decode, encode);

/// Instruction-count mode for valgrind/callgrind, outside criterion: with
/// `SEMTECH_UDP_COUNT=<ours|theirs>/<decode|encode>/<datagram>/<iterations>` in the
/// environment the binary runs that one operation that many times and exits, so that
/// (instructions at N iterations − instructions at 0) / N is the cost of one operation with the
/// setup subtracted. See the README of `loragw-semtech-udp`.
fn count_mode(spec: &str) {
    let parts: Vec<&str> = spec.split('/').collect();
    let [side, op, name, n] = parts[..] else {
        panic!("SEMTECH_UDP_COUNT=<ours|theirs>/<decode|encode>/<datagram>/<iterations>");
    };
    let n: u64 = n.parse().unwrap();
    let bytes = inputs()
        .into_iter()
        .find(|(d, _)| *d == name)
        .map(|(_, b)| b)
        .unwrap();
    let mut sink = 0usize;
    match (side, op) {
        ("ours", "decode") => {
            for _ in 0..n {
                black_box(Packet::decode(black_box(&bytes)).unwrap());
            }
        }
        ("theirs", "decode") => {
            for _ in 0..n {
                black_box(semtech_udp::Packet::parse(black_box(&bytes)).unwrap());
            }
        }
        ("ours", "encode") => {
            let p = Packet::decode(&bytes).unwrap();
            let mut out = Vec::with_capacity(4096);
            for _ in 0..n {
                black_box(&p).encode(&mut out).unwrap();
                sink += out.len();
            }
        }
        ("theirs", "encode") => {
            let p = semtech_udp::Packet::parse(&bytes).unwrap();
            let mut buf = vec![0u8; 8192];
            for _ in 0..n {
                sink += black_box(&p).serialize(&mut buf).unwrap() as usize;
            }
        }
        _ => panic!("unknown side/operation `{side}/{op}`"),
    }
    black_box(sink);
}

fn main() {
    if let Ok(spec) = std::env::var("SEMTECH_UDP_COUNT") {
        return count_mode(&spec);
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
