//! Basics Station codecs: `updf` decode + PHYPayload rebuild, and `dnmsg` encode, each next to
//! parsing the same text into `serde_json::Value` (the baseline a generic implementation pays).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use loragw_basicstation::Eui64;
use loragw_basicstation::message::{
    DeviceClass, Dnmsg, DownMessage, TxWindow, decode_down, decode_up,
};

const UPDF: &str = r#"{"msgtype":"updf","MHdr":64,"DevAddr":1,"FCtrl":0,"FCnt":0,"FOpts":"","FPort":1,"FRMPayload":"0102030405060708090A0B0C0D0E0F10","MIC":1,"RefTime":1795585801.287379,"DR":5,"Freq":868100000,"upinfo":{"rctx":0,"xtime":41095346870695287,"gpstime":0,"fts":-1,"rssi":-50,"snr":9,"rxtime":1795585801.28738}}"#;

fn dnmsg() -> DownMessage {
    DownMessage::Dnmsg(Dnmsg {
        dev_eui: Eui64(0x0000_0000_1100_0001),
        device_class: DeviceClass::A,
        diid: 42,
        pdu: (0u8..32).collect(),
        rx_delay: Some(1),
        rx1: Some(TxWindow {
            dr: 5,
            freq: 868_100_000,
        }),
        rx2: Some(TxWindow {
            dr: 0,
            freq: 869_525_000,
        }),
        xtime: Some(41095346870695287),
        rctx: Some(0),
        priority: Some(0),
        mux_time: Some(1795585595.81169),
        gpstime: None,
        preamble: None,
        addcrc: None,
        dnmode: None,
    })
}

fn updf(c: &mut Criterion) {
    let mut g = c.benchmark_group("lbs_updf");
    let mut phy = Vec::with_capacity(64);
    g.bench_function("decode_and_rebuild_phy_payload", |b| {
        b.iter(|| {
            let msg = decode_up(black_box(UPDF)).expect("valid updf");
            phy.clear();
            let radio = msg.write_phy_payload(&mut phy).expect("valid frame");
            black_box((&phy, radio));
        })
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| {
            let v: serde_json::Value = serde_json::from_str(black_box(UPDF)).expect("valid JSON");
            black_box(v);
        })
    });
    g.finish();
}

fn dnmsg_encode(c: &mut Criterion) {
    let msg = dnmsg();
    let mut text = String::with_capacity(512);
    msg.encode(&mut text).expect("encodes");
    let mut g = c.benchmark_group("lbs_dnmsg");
    g.bench_function("encode", |b| {
        b.iter(|| {
            black_box(&msg).encode(&mut text).expect("encodes");
            black_box(&text);
        })
    });
    g.bench_function("decode", |b| {
        b.iter(|| black_box(decode_down(black_box(&text)).expect("decodes")))
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| {
            let v: serde_json::Value = serde_json::from_str(black_box(&text)).expect("valid JSON");
            black_box(v);
        })
    });
    g.finish();
}

criterion_group!(benches, updf, dnmsg_encode);
criterion_main!(benches);
