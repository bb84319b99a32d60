//! MQTT v3 and v2: topic parsing and access checks, v3 payload codec, v2 conversion.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use loragw_mqtt_v2::ttnpb::{
    DataRate, DownlinkMessage, GatewayIdentifiers, RxMetadata, TxSettings, UplinkMessage,
    downlink_message, tx_settings,
};
use loragw_mqtt_v3::{Action, GatewayUid, Topic, authorize, codec};

fn uplink() -> UplinkMessage {
    UplinkMessage {
        raw_payload: vec![0x40; 23],
        settings: Some(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: 368_384_825,
            ..Default::default()
        }),
        rx_metadata: vec![RxMetadata {
            gateway_ids: Some(GatewayIdentifiers {
                gateway_id: "gateway-id".into(),
                ..Default::default()
            }),
            rssi: -107.0,
            channel_rssi: -107.0,
            snr: -11.0,
            timestamp: 368_384_825,
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn downlink() -> DownlinkMessage {
    DownlinkMessage {
        raw_payload: vec![0x60; 16],
        settings: Some(downlink_message::Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(12, 125_000, "4/5")),
            frequency: 869_525_000,
            timestamp: 12_000,
            downlink: Some(tx_settings::Downlink {
                tx_power: 16.15,
                ..Default::default()
            }),
            ..Default::default()
        })),
        correlation_ids: vec!["gs:down:token:1".into()],
        ..Default::default()
    }
}

fn topics(c: &mut Criterion) {
    let mut g = c.benchmark_group("mqtt/topics");
    let uid = GatewayUid::parse("gateway-id@tenant-id").expect("valid uid");
    g.bench_function("v3 parse", |b| {
        b.iter(|| Topic::parse(black_box("v3/gateway-id@tenant-id/down/ack")))
    });
    g.bench_function("v3 authorize publish", |b| {
        b.iter(|| {
            authorize(
                &uid,
                Action::Publish,
                black_box("v3/gateway-id@tenant-id/up"),
            )
        })
    });
    g.bench_function("v3 authorize subscribe #", |b| {
        b.iter(|| authorize(&uid, Action::Subscribe, black_box("v3/+/#")))
    });
    g.bench_function("v2 authorize publish", |b| {
        b.iter(|| {
            loragw_mqtt_v2::authorize(&uid, Action::Publish, black_box("gateway-id@tenant-id/up"))
        })
    });
    g.finish();
}

fn v3_codec(c: &mut Criterion) {
    let mut g = c.benchmark_group("mqtt/v3 codec");
    let mut up_bytes = Vec::new();
    codec::encode(&uplink(), &mut up_bytes);
    g.bench_function("decode uplink", |b| {
        b.iter(|| codec::decode_uplink(black_box(&up_bytes)))
    });
    let down = loragw_mqtt_v3::gateway_down(downlink());
    let mut buf = Vec::with_capacity(256);
    g.bench_function("encode down", |b| {
        b.iter(|| {
            buf.clear();
            codec::encode_down(black_box(&down), &mut buf);
        })
    });
    g.finish();
}

fn v2_convert(c: &mut Criterion) {
    let mut g = c.benchmark_group("mqtt/v2 convert");
    let v2_up = loragw_mqtt_v2::uplink_from_v3(&uplink(), "gateway-id").expect("LoRa uplink");
    let mut up_bytes = Vec::new();
    loragw_mqtt_v2::codec::encode(&v2_up, &mut up_bytes);
    let ids = GatewayIdentifiers {
        gateway_id: "gateway-id".into(),
        ..Default::default()
    };
    g.bench_function("decode + uplink_to_v3", |b| {
        b.iter(|| {
            let up =
                loragw_mqtt_v2::codec::decode_uplink(black_box(&up_bytes)).expect("valid uplink");
            loragw_mqtt_v2::uplink_to_v3(&up, &ids)
        })
    });
    let down = downlink();
    let mut buf = Vec::with_capacity(256);
    g.bench_function("downlink_from_v3 + encode", |b| {
        b.iter(|| {
            let v2 = loragw_mqtt_v2::downlink_from_v3(black_box(&down)).expect("scheduled");
            buf.clear();
            loragw_mqtt_v2::codec::encode(&v2, &mut buf);
        })
    });
    g.finish();
}

criterion_group!(benches, topics, v3_codec, v2_convert);
criterion_main!(benches);
