//! Criterion benchmarks of the loragw crates against peer crates.
//!
//! This library holds what several bench targets share: the benchmark inputs, the codec paths
//! measured end to end (wire bytes to ttnpb), and the allocation counter. `src/bin/` has the
//! server throughput tools: the `udp_minimal_server` yardstick and `throughput_chart`, which
//! draws the README's chart from the results of `gateway-forwarder load`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::alloc::System;

use loragw_basicstation::message::decode_up;
use loragw_basicstation::region::Region;
use loragw_gateway_io::adapter::{lbs, udp};
use loragw_gateway_io::ids::{Eui64, GatewayIds};
use loragw_gateway_io::ttnpb::{UplinkMessage, encode_uplink};
use loragw_semtech_udp::Packet;
use stats_alloc::{Region as AllocRegion, StatsAlloc};

/// Gateway EUI of the GWMP bench datagrams.
pub const GWMP_EUI: [u8; 8] = [0xAA, 0x55, 0x5A, 0x00, 0x00, 0x00, 0x01, 0x01];

fn datagram(kind: u8, json: &str) -> Vec<u8> {
    let mut d = vec![0x02, 0x12, 0x34, kind];
    if kind == 0x00 {
        d.extend_from_slice(&GWMP_EUI);
    }
    d.extend_from_slice(json.trim_end().as_bytes());
    d
}

/// The four GWMP bench datagrams (the JSON bodies of `semtech-udp/tests/data/`), by name:
/// PUSH_DATA with 1 `rxpk`, with 8 `rxpk`, with a `stat`, and a PULL_RESP.
pub fn gwmp_datagrams() -> [(&'static str, Vec<u8>); 4] {
    [
        (
            "push_data_1rxpk",
            datagram(
                0x00,
                include_str!("../../semtech-udp/tests/data/push_data_1rxpk.json"),
            ),
        ),
        (
            "push_data_8rxpk",
            datagram(
                0x00,
                include_str!("../../semtech-udp/tests/data/push_data_8rxpk.json"),
            ),
        ),
        (
            "push_data_stat",
            datagram(
                0x00,
                include_str!("../../semtech-udp/tests/data/push_data_stat.json"),
            ),
        ),
        (
            "pull_resp_txpk",
            datagram(
                0x03,
                include_str!("../../semtech-udp/tests/data/pull_resp_txpk.json"),
            ),
        ),
    ]
}

/// A Basics Station `updf` as a station with GPS time sends it.
pub const UPDF: &str = r#"{"msgtype":"updf","MHdr":64,"DevAddr":16909060,"FCtrl":128,"FCnt":42,"FOpts":"","FPort":10,"FRMPayload":"0102030405060708090A0B0C","MIC":-725372255,"RefTime":1715964782.1,"DR":5,"Freq":868100000,"upinfo":{"rctx":0,"xtime":9851627184873083,"gpstime":1400000000250000,"fts":123456789,"rssi":-42,"snr":7.5,"rxtime":1715964782.25}}"#;

/// The gateway the bench messages come from.
pub fn gateway() -> GatewayIds {
    GatewayIds::new("bench-gw", Some(Eui64::from_u64(0x0102_0304_0506_0708)))
}

/// A PUSH_DATA datagram all the way to what a Gateway Server hands on: one protobuf-encoded
/// `ttnpb.UplinkMessage` per reception (GWMP decode, gateway-io's UDP adapter as the UDP
/// frontend calls it, `encode_uplink` as the upstream publisher encodes).
///
/// # Panics
///
/// When `datagram` is not a PUSH_DATA or one of its `rxpk` does not translate (bench inputs are
/// valid).
pub fn push_data_to_protobuf(gateway: &GatewayIds, datagram: &[u8]) -> Vec<Vec<u8>> {
    push_data_to_uplinks(gateway, datagram)
        .iter()
        .map(encode_uplink)
        .collect()
}

/// A PUSH_DATA datagram to its `ttnpb.UplinkMessage`s, before encoding: the first two steps
/// of [`push_data_to_protobuf`].
///
/// # Panics
///
/// As [`push_data_to_protobuf`].
pub fn push_data_to_uplinks(gateway: &GatewayIds, datagram: &[u8]) -> Vec<UplinkMessage> {
    let Ok(Packet::PushData(p)) = Packet::decode(datagram) else {
        panic!("the bench datagram is a valid PUSH_DATA")
    };
    let (uplinks, errors) = udp::rxpks_into_uplinks(gateway, p.rxpk, None);
    assert!(errors.is_empty(), "bench rxpk translate: {errors:?}");
    uplinks
}

/// A Basics Station `updf` text to its `ttnpb.UplinkMessage` (basicstation decode,
/// gateway-io's LBS adapter), in the EU868 DR table.
///
/// # Panics
///
/// When `text` is not a valid uplink frame message (bench inputs are valid).
pub fn updf_to_uplink(gateway: &GatewayIds, text: &str) -> UplinkMessage {
    let message = decode_up(text).expect("the bench updf decodes");
    lbs::up_message_to_uplink(gateway, &message, Region::Eu868, None)
        .expect("the bench updf translates")
}

/// Heap allocations per call of `f` (mean over `iterations` calls; reallocations counted as
/// allocations too), counted by `alloc`, which must be the binary's global allocator.
pub fn allocations_per_call<T>(
    alloc: &StatsAlloc<System>,
    iterations: u32,
    mut f: impl FnMut() -> T,
) -> f64 {
    let region = AllocRegion::new(alloc);
    for _ in 0..iterations {
        std::hint::black_box(f());
    }
    let stats = region.change();
    (stats.allocations + stats.reallocations) as f64 / f64::from(iterations)
}
