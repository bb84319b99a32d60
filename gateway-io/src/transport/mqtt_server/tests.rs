//! The MQTT listener with a fault injected: a panic while handling one gateway's PUBLISH
//! closes only that gateway's connection, reported and counted; the other gateway's uplinks
//! keep flowing.

use std::time::Duration;

use bytes::BytesMut;
use rumqttc::mqttbytes::v4::{Connect, ConnectReturnCode, Packet, Publish};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::event::{DisconnectReason, GatewayEvent};
use crate::registry::{InMemoryRegistry, hash_key};
use crate::transport::{GatewayServer, ListenerKind};

const STEP: Duration = Duration::from_secs(10);

fn registry() -> InMemoryRegistry {
    let gateway = |id: &str, key: &str| {
        format!(
            "[[gateway]]\nid = \"{id}\"\nfrequency_plans = [\"EU_863_870\"]\n[[gateway.key]]\nname = \"k\"\nhash = \"{}\"\nrights = [\"link\"]\n",
            hash_key(key, b"0123456789abcdef")
        )
    };
    InMemoryRegistry::from_toml(&[gateway("gw-a", "KEY-A"), gateway("gw-b", "KEY-B")].concat())
        .unwrap()
}

struct Raw(TcpStream, BytesMut);

impl Raw {
    async fn connect(port: u16, user: &str, key: &str) -> Raw {
        let mut raw = Raw(
            TcpStream::connect(("127.0.0.1", port)).await.unwrap(),
            BytesMut::new(),
        );
        let mut connect = Connect::new(user);
        connect.keep_alive = 60;
        connect.set_login(user, key);
        raw.send(Packet::Connect(connect)).await;
        match raw.recv().await {
            Some(Packet::ConnAck(ack)) => assert_eq!(ack.code, ConnectReturnCode::Success),
            other => panic!("{other:?}"),
        }
        raw
    }

    async fn send(&mut self, packet: Packet) {
        let mut bytes = BytesMut::new();
        packet.write(&mut bytes, 1 << 20).unwrap();
        self.0.write_all(&bytes).await.unwrap();
    }

    async fn publish(&mut self, topic: &str, payload: &[u8]) {
        let publish = Publish::new(topic, rumqttc::mqttbytes::QoS::AtMostOnce, payload.to_vec());
        self.send(Packet::Publish(publish)).await;
    }

    /// The next packet, or `None` once the server closed the connection.
    async fn recv(&mut self) -> Option<Packet> {
        timeout(STEP, async {
            loop {
                if let Ok(packet) = Packet::read(&mut self.1, 1 << 20) {
                    return Some(packet);
                }
                match self.0.read_buf(&mut self.1).await {
                    Ok(0) | Err(_) => return None,
                    Ok(_) => {}
                }
            }
        })
        .await
        .unwrap()
    }
}

async fn next(server: &mut GatewayServer) -> GatewayEvent {
    timeout(STEP, server.next_event()).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_panic_on_one_gateway_closes_only_that_gateway() {
    let mut server = GatewayServer::builder()
        .registry(registry())
        .mqtt_v3("127.0.0.1:0")
        .start()
        .await
        .unwrap();
    let port = server.local_addr(ListenerKind::MqttV3).unwrap().port();
    let mut a = Raw::connect(port, "gw-a", "KEY-A").await;
    assert!(matches!(
        next(&mut server).await,
        GatewayEvent::Connected { .. }
    ));
    let mut b = Raw::connect(port, "gw-b", "KEY-B").await;
    assert!(matches!(
        next(&mut server).await,
        GatewayEvent::Connected { .. }
    ));

    a.publish("v3/gw-a/up", b"test-fault:driver").await;
    assert_eq!(a.recv().await, None, "a is closed");
    match next(&mut server).await {
        GatewayEvent::Disconnected {
            gateway,
            reason: DisconnectReason::InternalError(text),
            ..
        } => {
            assert_eq!(gateway.gateway_id, "gw-a");
            assert!(text.contains("injected driver fault"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    let stats = server.stats();
    assert_eq!(stats.isolated_panics, 1);
    assert_eq!(stats.sessions, 1);

    // b's (empty, so default) status still goes through, and a may come back.
    b.publish("v3/gw-b/status", b"").await;
    match next(&mut server).await {
        GatewayEvent::Status { gateway, .. } => assert_eq!(gateway.gateway_id, "gw-b"),
        other => panic!("{other:?}"),
    }
    let _a = Raw::connect(port, "gw-a", "KEY-A").await;
    assert!(matches!(
        next(&mut server).await,
        GatewayEvent::Connected { .. }
    ));
}

#[tokio::test]
async fn an_undecodable_payload_is_counted_and_the_connection_stays_up() {
    let mut server = GatewayServer::builder()
        .registry(registry())
        .mqtt_v3("127.0.0.1:0")
        .start()
        .await
        .unwrap();
    let port = server.local_addr(ListenerKind::MqttV3).unwrap().port();
    let mut a = Raw::connect(port, "gw-a", "KEY-A").await;
    assert!(matches!(
        next(&mut server).await,
        GatewayEvent::Connected { .. }
    ));
    assert_eq!(server.stats().decode_errors_mqtt_v3, 0);

    // Not a protobuf `UplinkMessage`: dropped and counted.
    a.publish("v3/gw-a/up", &[0xFF, 0xFF, 0xFF]).await;
    // A status on the same connection, handled after it, still goes through.
    a.publish("v3/gw-a/status", b"").await;
    match next(&mut server).await {
        GatewayEvent::Status { gateway, .. } => assert_eq!(gateway.gateway_id, "gw-a"),
        other => panic!("{other:?}"),
    }
    let stats = server.stats();
    assert_eq!(stats.decode_errors_mqtt_v3, 1);
    assert_eq!(stats.decode_errors_mqtt_v2, 0);
    assert_eq!(stats.sessions, 1);
}

/// The 512-byte read chunks grow for a large packet: a PUBLISH with the largest payload the
/// codecs take (64 KiB) is framed whole (here it is no protobuf, so it is counted as a decode
/// error), and the connection goes on with small packets.
#[tokio::test]
async fn a_publish_of_the_largest_payload_is_read_whole_and_the_connection_goes_on() {
    let mut server = GatewayServer::builder()
        .registry(registry())
        .mqtt_v3("127.0.0.1:0")
        .start()
        .await
        .unwrap();
    let port = server.local_addr(ListenerKind::MqttV3).unwrap().port();
    let mut a = Raw::connect(port, "gw-a", "KEY-A").await;
    assert!(matches!(
        next(&mut server).await,
        GatewayEvent::Connected { .. }
    ));
    let large = vec![0xFF; loragw_mqtt_v3::codec::MAX_PAYLOAD_LEN];
    a.publish("v3/gw-a/up", &large).await;
    a.publish("v3/gw-a/status", b"").await;
    match next(&mut server).await {
        GatewayEvent::Status { gateway, .. } => assert_eq!(gateway.gateway_id, "gw-a"),
        other => panic!("{other:?}"),
    }
    let stats = server.stats();
    assert_eq!(
        stats.decode_errors_mqtt_v3, 1,
        "the large payload arrived whole"
    );
    assert_eq!(stats.sessions, 1);
}
