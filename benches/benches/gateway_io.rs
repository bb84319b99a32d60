//! gateway-io adapters: what translating to ttnpb costs on top of decoding the wire format.
//!
//! Each group measures the protocol crate's decoding alone and decoding plus the adapter, so
//! the ratio of the two is the adapter's share (same run, same machine load).

use std::hint::black_box;

use criterion::{Criterion, criterion_group};
use loragw_basicstation::message::decode_up;
use loragw_basicstation::region::Region;
use loragw_benches::{
    UPDF, gateway, gwmp_datagrams, push_data_to_protobuf, push_data_to_uplinks, updf_to_uplink,
};
use loragw_gateway_io::adapter::{lbs, udp};
use loragw_gateway_io::ttnpb::downlink_message::Settings;
use loragw_gateway_io::ttnpb::{
    DataRate, DownlinkMessage, TxSettings, UplinkMessage, encode_exact, encode_uplink, tx_settings,
};
use loragw_semtech_udp::{Packet, ProtocolVersion, PullResp};

/// PUSH_DATA with eight `rxpk`, one of them with two `rsig` antennas.
fn push_data() -> Vec<u8> {
    let mut d = vec![2, 0x12, 0x34, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    let mut rxpk = Vec::new();
    for i in 0..7 {
        rxpk.push(format!(
            r#"{{"tmst":{},"tmms":1400000000{i:03},"chan":{i},"rfch":0,"freq":868.{},"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","lsnr":7.5,"rssi":-{},"size":23,"data":"QAQDAgGAKgAKAQIDBAUGBwgJCgsMoaKjpA=="}}"#,
            1_000_000 + i,
            1 + 2 * i,
            60 + i
        ));
    }
    rxpk.push(r#"{"tmst":879148780,"time":"2017-07-04T13:51:17.997099Z","aesk":42,"chan":7,"freq":867.9,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","size":24,"data":"gM+AMQcAvgQBlohnlJqUGOJKTDuTscQD","rsig":[{"ant":0,"chan":7,"lsnr":14,"etime":"42QMzOlYSSPMMeqVPrY0fQ==","rssis":-92,"rssic":-95,"rssisd":0,"ftime":1255738435,"foff":-8898},{"ant":1,"chan":23,"lsnr":13.5,"rssis":-88,"rssic":-93,"ftime":1252538436,"foff":-8894}]}"#.into());
    d.extend_from_slice(format!(r#"{{"rxpk":[{}]}}"#, rxpk.join(",")).as_bytes());
    d
}

fn downlink() -> DownlinkMessage {
    DownlinkMessage {
        raw_payload: vec![0x60; 33],
        correlation_ids: vec!["ns:downlink:01HZX".into()],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(9, 125_000, "4/5")),
            frequency: 868_300_000,
            timestamp: 1_001_000,
            downlink: Some(tx_settings::Downlink {
                antenna_index: 0,
                tx_power: 16.15,
                invert_polarization: true,
            }),
            ..Default::default()
        })),
        ..Default::default()
    }
}

fn udp_uplink(c: &mut Criterion) {
    let bytes = push_data();
    let gw = gateway();
    let mut g = c.benchmark_group("gateway_io/udp_push_data_8_rxpk");
    g.bench_function("decode", |b| b.iter(|| Packet::decode(black_box(&bytes))));
    g.bench_function("decode_translate", |b| {
        b.iter(|| {
            let Ok(Packet::PushData(p)) = Packet::decode(black_box(&bytes)) else {
                unreachable!("the bench datagram is a valid PUSH_DATA")
            };
            udp::rxpks_to_uplinks(&gw, &p.rxpk, None)
        })
    });
    g.finish();
}

fn lbs_uplink(c: &mut Criterion) {
    let gw = gateway();
    let mut g = c.benchmark_group("gateway_io/lbs_updf");
    g.bench_function("decode", |b| b.iter(|| decode_up(black_box(UPDF))));
    g.bench_function("decode_translate", |b| {
        b.iter(|| {
            let msg = decode_up(black_box(UPDF)).expect("the bench updf is valid");
            lbs::up_message_to_uplink(&gw, &msg, Region::Eu868, None)
        })
    });
    g.finish();
}

fn udp_downlink(c: &mut Criterion) {
    let down = downlink();
    let txpk = udp::downlink_to_txpk(&down).expect("the bench downlink translates");
    let mut out = Vec::with_capacity(512);
    let mut g = c.benchmark_group("gateway_io/udp_pull_resp");
    g.bench_function("encode", |b| {
        b.iter(|| {
            Packet::PullResp(PullResp {
                version: ProtocolVersion::V2,
                token: 7,
                txpk: black_box(&txpk).clone(),
            })
            .encode(&mut out)
        })
    });
    g.bench_function("translate_encode", |b| {
        b.iter(|| {
            let txpk = udp::downlink_to_txpk(black_box(&down)).expect("translates");
            Packet::PullResp(PullResp {
                version: ProtocolVersion::V2,
                token: 7,
                txpk,
            })
            .encode(&mut out)
        })
    });
    g.finish();
}

/// The codec targets of the performance issue, each next to its reference in one group:
/// a PUSH_DATA datagram to protobuf-encoded `UplinkMessage` bytes against the `semtech-udp`
/// 0.12 crate's decode alone, and a `updf` to its `UplinkMessage` against a
/// `serde_json::Value` parse of the same text.
fn wire_to_ttnpb(c: &mut Criterion) {
    let gw = gateway();
    let mut g = c.benchmark_group("gateway_io/push_data_to_protobuf");
    for (name, bytes) in gwmp_datagrams().into_iter().take(2) {
        g.bench_function(format!("loragw/{name}"), |b| {
            b.iter(|| push_data_to_protobuf(&gw, black_box(&bytes)))
        });
        g.bench_function(format!("semtech-udp-0.12-decode/{name}"), |b| {
            b.iter(|| semtech_udp::Packet::parse(black_box(&bytes)).expect("valid datagram"))
        });
    }
    g.finish();
    // The last step of that path alone: the bench uplink (1 rxpk) to protobuf bytes, by the
    // hand-written encoder and by prost's generated one.
    let [(_, bytes), ..] = gwmp_datagrams();
    let uplink = push_data_to_uplinks(&gw, &bytes).swap_remove(0);
    let mut g = c.benchmark_group("gateway_io/uplink_to_protobuf");
    g.bench_function("encode_uplink", |b| {
        b.iter(|| encode_uplink(black_box(&uplink)))
    });
    g.bench_function("prost_encode_exact", |b| {
        b.iter(|| encode_exact(black_box(&uplink)))
    });
    g.finish();
    let mut g = c.benchmark_group("gateway_io/lbs_updf_to_uplink");
    g.bench_function("loragw", |b| {
        b.iter(|| updf_to_uplink(&gw, black_box(UPDF)))
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(UPDF)).expect("valid JSON"))
    });
    g.finish();
}

criterion_group!(benches, wire_to_ttnpb, udp_uplink, lbs_uplink, udp_downlink);

/// Instruction-count mode for valgrind/callgrind, outside criterion: with
/// `GATEWAY_IO_COUNT=<operation>/<iterations>` in the environment the binary runs one operation
/// of the `wire_to_ttnpb` groups that many times on the bench's input and exits, so that
/// (instructions at N − instructions at 0) / N is the cost of one operation with the set-up
/// subtracted (the method of `semtech-udp/README.md`). Operations:
/// `push_data_to_protobuf:<datagram>`, `semtech-udp-0.12-decode:<datagram>` (datagram
/// `push_data_1rxpk` or `push_data_8rxpk`), `updf_to_uplink`, `serde_json_value:updf`, and
/// the first uplink of a datagram encoded alone: `encode_uplink:<datagram>`,
/// `prost_encode_exact:<datagram>`.
fn count_mode(spec: &str) {
    let (op, n) = spec
        .rsplit_once('/')
        .expect("GATEWAY_IO_COUNT=<operation>/<iterations>");
    let n: u64 = n.parse().expect("iterations are a number");
    let gw = gateway();
    let datagram = |name: &str| {
        gwmp_datagrams()
            .into_iter()
            .find(|(d, _)| *d == name)
            .map(|(_, b)| b)
            .expect("a known datagram name")
    };
    match op.split_once(':').unwrap_or((op, "")) {
        ("push_data_to_protobuf", name) => {
            let bytes = datagram(name);
            for _ in 0..n {
                black_box(push_data_to_protobuf(&gw, black_box(&bytes)));
            }
        }
        ("semtech-udp-0.12-decode", name) => {
            let bytes = datagram(name);
            for _ in 0..n {
                black_box(semtech_udp::Packet::parse(black_box(&bytes)).expect("valid datagram"));
            }
        }
        (encoder @ ("encode_uplink" | "prost_encode_exact"), name) => {
            let uplink = push_data_to_uplinks(&gw, &datagram(name)).swap_remove(0);
            let encode: fn(&UplinkMessage) -> Vec<u8> = if encoder == "encode_uplink" {
                encode_uplink
            } else {
                encode_exact
            };
            for _ in 0..n {
                black_box(encode(black_box(&uplink)));
            }
        }
        ("updf_to_uplink", _) => {
            for _ in 0..n {
                black_box(updf_to_uplink(&gw, black_box(UPDF)));
            }
        }
        ("serde_json_value", _) => {
            for _ in 0..n {
                black_box(
                    serde_json::from_str::<serde_json::Value>(black_box(UPDF)).expect("valid JSON"),
                );
            }
        }
        _ => panic!("unknown operation `{op}`"),
    }
}

fn main() {
    if let Ok(spec) = std::env::var("GATEWAY_IO_COUNT") {
        return count_mode(&spec);
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
