//! Three protocol frontends behind one `Frontends`: events merged, each downlink routed to the
//! connection the gateway used last, protocol input fed through `downcast_mut`.

// Helpers outside `#[test]` functions unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use loragw_gateway_io::event::{DisconnectReason, GatewayCommand, GatewayEvent, Protocol};
use loragw_gateway_io::frontend::lbs::{LbsConfig, LbsFrontend};
use loragw_gateway_io::frontend::mqtt::{MqttConfig, MqttFrontend, MqttOutput, MqttVersion};
use loragw_gateway_io::frontend::udp::{UdpConfig, UdpFrontend};
use loragw_gateway_io::frontend::{ConnectionId, Frontend, Frontends, Now};
use loragw_gateway_io::ids::{Eui64, GatewayIds};
use loragw_gateway_io::registry::{InMemoryRegistry, hash_key};
use loragw_gateway_io::ttnpb::downlink_message::Settings;
use loragw_gateway_io::ttnpb::{DataRate, DownlinkMessage, Timestamp, TxSettings};
use loragw_semtech_udp::PacketType;

type Registry = InMemoryRegistry;

// A keyed gateway is served over Semtech UDP only when its entry says so explicitly (here: a
// gateway migrating from a packet forwarder to MQTT).
fn registry() -> Arc<Registry> {
    let toml = format!(
        "[[gateway]]\nid = \"multi-gw\"\neui = \"0102030405060708\"\nfrequency_plans = [\"EU_863_870\"]\nrequire_authenticated_connection = false\n\
         [[gateway.key]]\nname = \"k\"\nhash = \"{}\"\nrights = [\"link\"]\n",
        hash_key("KEY", b"0123456789abcdef")
    );
    Arc::new(InMemoryRegistry::from_toml(&toml).unwrap())
}

fn downlink() -> DownlinkMessage {
    DownlinkMessage {
        raw_payload: vec![0x60, 1, 2, 3],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(9, 125_000, "4/5")),
            frequency: 869_525_000,
            timestamp: 2_000_000,
            ..Default::default()
        })),
        ..Default::default()
    }
}

#[test]
fn a_gateway_moving_between_protocols() {
    let t0 = Now::new(
        Instant::now(),
        Timestamp {
            seconds: 1_760_000_000,
            nanos: 0,
        },
    );
    let reg = registry();
    let mut set: Frontends<Box<dyn Frontend>> = Frontends::new();
    let udp = set.add(Box::new(UdpFrontend::new(
        UdpConfig::default(),
        reg.clone(),
    )));
    let lbs = set.add(Box::new(LbsFrontend::new(
        LbsConfig::default(),
        reg.clone(),
    )));
    let mqtt = set.add(Box::new(MqttFrontend::new(
        MqttConfig::new(MqttVersion::V3),
        reg,
    )));
    let gw = GatewayIds::new("multi-gw", Some(Eui64::from_u64(0x0102_0304_0506_0708)));
    let command = || GatewayCommand::Downlink {
        gateway: gw.clone(),
        message: downlink(),
    };

    // The gateway starts as a Semtech UDP packet forwarder.
    let addr: SocketAddr = "198.51.100.4:1700".parse().unwrap();
    let pull = [2, 0, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8];
    set.downcast_mut::<UdpFrontend<Registry>>(udp)
        .unwrap()
        .handle_datagram(t0, addr, &pull);
    let evs: Vec<_> = std::iter::from_fn(|| set.poll_event()).collect();
    assert!(matches!(
        evs[..],
        [GatewayEvent::Connected {
            protocol: Protocol::SemtechUdp { version: 2 },
            ..
        }]
    ));
    assert_eq!(set.route("multi-gw"), Some(udp));
    set.handle_command(t0, command()).unwrap();
    let f = set.downcast_mut::<UdpFrontend<Registry>>(udp).unwrap();
    let mut buf = Vec::new();
    let kinds: Vec<_> = std::iter::from_fn(|| f.poll_transmit(&mut buf))
        .map(|t| t.packet_type)
        .collect();
    assert_eq!(kinds, [PacketType::PullAck, PacketType::PullResp]);

    // It switches to MQTT v3: downlinks follow.
    let t1 = t0.after(Duration::from_secs(10));
    let m = set.downcast_mut::<MqttFrontend<Registry>>(mqtt).unwrap();
    m.handle_connect(t1, ConnectionId(1), "multi-gw", Some("KEY"), None)
        .unwrap();
    // Downlinks wait for the gateway's SUBSCRIBE.
    m.handle_subscribe(ConnectionId(1), "v3/multi-gw/down")
        .unwrap();
    while set.poll_event().is_some() {}
    assert_eq!(set.route("multi-gw"), Some(mqtt));
    set.handle_command(t1, command()).unwrap();
    let m = set.downcast_mut::<MqttFrontend<Registry>>(mqtt).unwrap();
    assert!(
        matches!(m.poll_output(), Some(MqttOutput::Publish { topic, .. }) if topic == "v3/multi-gw/down")
    );

    // The UDP side expires later; the MQTT route stays.
    let t2 = t0.after(Duration::from_secs(600));
    set.handle_timeout(t2);
    let evs: Vec<_> = std::iter::from_fn(|| set.poll_event()).collect();
    assert!(evs.iter().any(|e| matches!(
        e,
        GatewayEvent::Disconnected {
            protocol: Protocol::SemtechUdp { .. },
            reason: DisconnectReason::Timeout,
            ..
        }
    )));
    assert_eq!(set.route("multi-gw"), Some(mqtt));
    assert!(
        set.downcast_mut::<UdpFrontend<Registry>>(lbs).is_none(),
        "wrong type"
    );
}
