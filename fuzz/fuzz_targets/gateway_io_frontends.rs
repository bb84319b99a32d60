//! The gateway-io frontends (Semtech UDP, Basics Station, MQTT v3 and v2) behind one
//! `Frontends`, with an `InMemoryRegistry` from a small TOML, fed arbitrary datagrams, websocket
//! frames, MQTT connects/subscribes/publishes, downlink commands (extreme timestamps, times,
//! frequencies) and timeouts with monotonic time. Only the public API is used, so this target
//! stays small: the invariant is "no input panics" (overflow checks on).
#![no_main]

#[path = "common/numbers.rs"]
mod numbers;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use loragw_gateway_io::event::{DisconnectReason, GatewayCommand};
use loragw_gateway_io::frontend::lbs::{LbsConfig, LbsFrontend};
use loragw_gateway_io::frontend::mqtt::{MqttConfig, MqttFrontend, MqttVersion};
use loragw_gateway_io::frontend::udp::{UdpConfig, UdpFrontend};
use loragw_gateway_io::frontend::{ConnectionId, Frontend, Frontends, Now};
use loragw_gateway_io::ids::{Eui64, GatewayIds};
use loragw_gateway_io::registry::{InMemoryRegistry, hash_key};
use loragw_gateway_io::ttnpb::downlink_message::Settings;
use loragw_gateway_io::ttnpb::{DataRate, DownlinkMessage, Timestamp, TxSettings};
use numbers::{LBS_UP, Num, UDP, splice};

type Registry = InMemoryRegistry;

fn registry() -> Arc<Registry> {
    static REGISTRY: std::sync::OnceLock<Arc<Registry>> = std::sync::OnceLock::new();
    REGISTRY
        .get_or_init(|| {
            let toml = format!(
                "[[gateway]]\nid = \"fuzz-gw\"\neui = \"0102030405060708\"\nfrequency_plans = [\"EU_863_870\"]\n\
                 [[gateway.key]]\nname = \"k\"\nhash = \"{}\"\nrights = [\"link\"]\n",
                hash_key("KEY", b"0123456789abcdef")
            );
            Arc::new(InMemoryRegistry::from_toml(&toml).expect("the registry parses"))
        })
        .clone()
}

#[derive(Arbitrary, Debug)]
enum Step {
    UdpRaw {
        from: u8,
        bytes: Vec<u8>,
    },
    UdpTemplate {
        from: u8,
        which: bool,
        nums: Vec<Num>,
    },
    UdpPull {
        from: u8,
        token: u16,
    },
    LbsConnect {
        conn: u8,
        known: bool,
    },
    LbsTemplate {
        conn: u8,
        which: u8,
        nums: Vec<Num>,
    },
    LbsRaw {
        conn: u8,
        text: String,
    },
    LbsClose {
        conn: u8,
    },
    MqttConnect {
        conn: u8,
        v2: bool,
        user: bool,
    },
    MqttSubscribe {
        conn: u8,
        v2: bool,
        filter: String,
    },
    MqttPublish {
        conn: u8,
        v2: bool,
        topic: u8,
        payload: Vec<u8>,
    },
    MqttDisconnect {
        conn: u8,
        v2: bool,
    },
    Downlink {
        timestamp: u32,
        time: Option<(i64, i32)>,
        frequency: u64,
        sf: u8,
        payload_len: u8,
    },
    Disconnect,
    Advance {
        ms: u32,
    },
}

fuzz_target!(|steps: Vec<Step>| {
    let registry = registry();
    let mut now = Now::new(
        Instant::now(),
        Timestamp {
            seconds: 1_760_000_000,
            nanos: 0,
        },
    );
    let mut set: Frontends<Box<dyn Frontend>> = Frontends::new();
    let udp = set.add(Box::new(UdpFrontend::new(
        UdpConfig::default(),
        registry.clone(),
    )));
    let lbs = set.add(Box::new(LbsFrontend::new(
        LbsConfig::default(),
        registry.clone(),
    )));
    let mqtt3 = set.add(Box::new(MqttFrontend::new(
        MqttConfig::new(MqttVersion::V3),
        registry.clone(),
    )));
    let mqtt2 = set.add(Box::new(MqttFrontend::new(
        MqttConfig::new(MqttVersion::V2),
        registry,
    )));
    let gw = GatewayIds::new("fuzz-gw", Some(Eui64::from_u64(0x0102_0304_0506_0708)));
    let addr = |from: u8| SocketAddr::from(([10, 0, 0, from % 3], 1700));
    let mut buf = Vec::new();
    for step in steps.into_iter().take(64) {
        match step {
            Step::UdpRaw { from, bytes } => {
                let f = set.downcast_mut::<UdpFrontend<Registry>>(udp).expect("udp");
                f.handle_datagram(now, addr(from), &bytes);
            }
            Step::UdpTemplate { from, which, nums } => {
                let mut d = vec![2, 0, 7, 0, 1, 2, 3, 4, 5, 6, 7, 8];
                let t = UDP[usize::from(which)].1;
                d.extend_from_slice(splice(t, &nums[..nums.len().min(64)]).as_bytes());
                let f = set.downcast_mut::<UdpFrontend<Registry>>(udp).expect("udp");
                f.handle_datagram(now, addr(from), &d);
            }
            Step::UdpPull { from, token } => {
                let [hi, lo] = token.to_be_bytes();
                let d = [2, hi, lo, 2, 1, 2, 3, 4, 5, 6, 7, 8];
                let f = set.downcast_mut::<UdpFrontend<Registry>>(udp).expect("udp");
                f.handle_datagram(now, addr(from), &d);
            }
            Step::LbsConnect { conn, known } => {
                let eui = Eui64::from_u64(if known { 0x0102_0304_0506_0708 } else { 9 });
                let f = set.downcast_mut::<LbsFrontend<Registry>>(lbs).expect("lbs");
                let _ = f.handle_connect(now, ConnectionId(u64::from(conn % 3)), eui, None, None);
                let _ = f.handle_message(
                    now,
                    ConnectionId(u64::from(conn % 3)),
                    r#"{"msgtype":"version","station":"2.0.6","firmware":null,"package":null,"model":"linux","protocol":2,"features":""}"#,
                );
            }
            Step::LbsTemplate { conn, which, nums } => {
                let t = LBS_UP[usize::from(which) % LBS_UP.len()];
                let f = set.downcast_mut::<LbsFrontend<Registry>>(lbs).expect("lbs");
                let _ = f.handle_message(
                    now,
                    ConnectionId(u64::from(conn % 3)),
                    &splice(t, &nums[..nums.len().min(64)]),
                );
            }
            Step::LbsRaw { conn, text } => {
                let f = set.downcast_mut::<LbsFrontend<Registry>>(lbs).expect("lbs");
                let _ = f.handle_message(now, ConnectionId(u64::from(conn % 3)), &text);
            }
            Step::LbsClose { conn } => {
                let f = set.downcast_mut::<LbsFrontend<Registry>>(lbs).expect("lbs");
                f.handle_close(
                    now,
                    ConnectionId(u64::from(conn % 3)),
                    DisconnectReason::ClosedByGateway,
                );
            }
            Step::MqttConnect { conn, v2, user } => {
                let id = if v2 { mqtt2 } else { mqtt3 };
                let f = set
                    .downcast_mut::<MqttFrontend<Registry>>(id)
                    .expect("mqtt");
                let name = if user { "fuzz-gw" } else { "other" };
                let _ = f.handle_connect(
                    now,
                    ConnectionId(u64::from(conn % 3)),
                    name,
                    Some(if user { "KEY" } else { "x" }),
                    None,
                );
            }
            Step::MqttSubscribe { conn, v2, filter } => {
                let id = if v2 { mqtt2 } else { mqtt3 };
                let f = set
                    .downcast_mut::<MqttFrontend<Registry>>(id)
                    .expect("mqtt");
                let _ = f.handle_subscribe(ConnectionId(u64::from(conn % 3)), &filter);
            }
            Step::MqttPublish {
                conn,
                v2,
                topic,
                payload,
            } => {
                let id = if v2 { mqtt2 } else { mqtt3 };
                let topic = match (v2, topic % 4) {
                    (false, 0) => "v3/fuzz-gw/up",
                    (false, 1) => "v3/fuzz-gw/status",
                    (false, 2) => "v3/fuzz-gw/down/ack",
                    (true, 0) => "fuzz-gw/up",
                    (true, 1) => "fuzz-gw/status",
                    _ => "connect",
                };
                let f = set
                    .downcast_mut::<MqttFrontend<Registry>>(id)
                    .expect("mqtt");
                let _ = f.handle_publish(now, ConnectionId(u64::from(conn % 3)), topic, &payload);
            }
            Step::MqttDisconnect { conn, v2 } => {
                let id = if v2 { mqtt2 } else { mqtt3 };
                let f = set
                    .downcast_mut::<MqttFrontend<Registry>>(id)
                    .expect("mqtt");
                f.handle_disconnect(
                    now,
                    ConnectionId(u64::from(conn % 3)),
                    DisconnectReason::ClosedByGateway,
                );
            }
            Step::Downlink {
                timestamp,
                time,
                frequency,
                sf,
                payload_len,
            } => {
                let message = DownlinkMessage {
                    raw_payload: vec![0x60; usize::from(payload_len)],
                    settings: Some(Settings::Scheduled(TxSettings {
                        data_rate: Some(DataRate::lora(u32::from(sf % 16), 125_000, "4/5")),
                        frequency,
                        timestamp,
                        time: time.map(|(seconds, nanos)| Timestamp { seconds, nanos }),
                        ..Default::default()
                    })),
                    ..Default::default()
                };
                let _ = set.handle_command(
                    now,
                    GatewayCommand::Downlink {
                        gateway: gw.clone(),
                        message,
                    },
                );
            }
            Step::Disconnect => {
                let _ = set.handle_command(
                    now,
                    GatewayCommand::Disconnect {
                        gateway: gw.clone(),
                    },
                );
            }
            Step::Advance { ms } => {
                now = now.after(Duration::from_millis(u64::from(ms % 600_000)));
                set.handle_timeout(now);
            }
        }
        while set.poll_event().is_some() {}
        let f = set.downcast_mut::<UdpFrontend<Registry>>(udp).expect("udp");
        while f.poll_transmit(&mut buf).is_some() {}
        let f = set.downcast_mut::<LbsFrontend<Registry>>(lbs).expect("lbs");
        while f.poll_output().is_some() {}
        for id in [mqtt2, mqtt3] {
            let f = set
                .downcast_mut::<MqttFrontend<Registry>>(id)
                .expect("mqtt");
            while f.poll_output().is_some() {}
        }
    }
});
