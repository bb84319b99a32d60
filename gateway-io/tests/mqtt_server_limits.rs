//! The MQTT listener's limits and moves, driven by the raw MQTT 3.1.1 client: MQTT 5 refused,
//! keep-alive 0 bounded, a gateway moving between listeners, a slow registry, connection and
//! session caps, a slowloris CONNECT, and a class A reply by uplink token.

#![cfg(feature = "mqtt-server")]
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod mqtt_support;

use std::time::Duration;

use bytes::BytesMut;
use loragw_gateway_io::event::{DisconnectReason, GatewayEvent, TxFailure};
use loragw_gateway_io::frontend::mqtt::MqttVersion;
use loragw_gateway_io::ids::GatewayIds;
use loragw_gateway_io::transport::mqtt_server::MqttSettings;
use loragw_gateway_io::transport::{GatewayServer, ListenerKind};
use loragw_gateway_io::ttnpb::prost::Message;
use mqtt_support::raw::{Raw, publish, start};
use mqtt_support::*;
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{ConnAck, Connect, ConnectReturnCode, Packet, Subscribe};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// An MQTT 5 CONNECT gets CONNACK 0x01 ("unacceptable protocol version"), then the close; it
/// is counted and produces no event.
#[tokio::test]
async fn mqtt5_connect_gets_connack_unacceptable_protocol() {
    let (mut server, port) = start().await;
    let mut raw = Raw::open(port).await;
    // Fixed header, `MQTT`, level 5, clean start, keep-alive 60, no properties, client id "c".
    raw.send_bytes(&[
        0x10, 14, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x02, 0x00, 0x3C, 0x00, 0x00, 0x01,
        b'c',
    ])
    .await;
    assert_eq!(
        raw.recv().await,
        Some(Packet::ConnAck(ConnAck::new(
            ConnectReturnCode::RefusedProtocolVersion,
            false
        )))
    );
    assert_eq!(raw.recv().await, None, "closed after the CONNACK");
    assert_eq!(server.stats().refused_unsupported_protocol, 1);
    let (_raw, ack) = Raw::connect(port, GW_ONE, KEY_ONE, 60).await;
    assert_eq!(ack.code, ConnectReturnCode::Success);
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Connected { .. }
    ));
}

/// Keep-alive 0 does not live forever: silence past `max_idle` closes the connection.
#[tokio::test]
async fn keep_alive_zero_is_bounded_by_max_idle() {
    let mut settings = MqttSettings::new(MqttVersion::V3);
    settings.frontend.max_idle = Duration::from_millis(500);
    let mut server = GatewayServer::builder()
        .shared_registry(registry())
        .mqtt_with("127.0.0.1:0", settings)
        .start()
        .await
        .unwrap();
    let port = server.local_addr(ListenerKind::MqttV3).unwrap().port();
    let started = std::time::Instant::now();
    let (mut raw, ack) = Raw::connect(port, GW_ONE, KEY_ONE, 0).await;
    assert_eq!(ack.code, ConnectReturnCode::Success);
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Connected { .. }
    ));
    assert_eq!(raw.recv().await, None);
    let idle = started.elapsed();
    assert!(idle >= Duration::from_millis(450), "{idle:?}");
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Disconnected {
            reason: DisconnectReason::Timeout,
            ..
        }
    ));
}

/// The same gateway on the v3 listener, then on the v2 listener: the v3 connection is closed
/// (`Replaced`) as soon as the v2 one is up, the route follows v2, and once v2 closes nothing
/// is left: no stale v3 connection delivering uplinks, downlinks refused "not connected".
#[tokio::test]
async fn a_gateway_moving_to_another_listener_replaces_its_connection_there() {
    let mut server = GatewayServer::builder()
        .shared_registry(registry())
        .mqtt_v3("127.0.0.1:0")
        .mqtt_v2("127.0.0.1:0")
        .start()
        .await
        .unwrap();
    let v3 = server.local_addr(ListenerKind::MqttV3).unwrap().port();
    let v2 = server.local_addr(ListenerKind::MqttV2).unwrap().port();
    let ids = GatewayIds::new(GW_ONE, None);

    let (mut old, ack) = Raw::connect(v3, GW_ONE, KEY_ONE, 60).await;
    assert_eq!(ack.code, ConnectReturnCode::Success);
    let mut subscribe = Subscribe::new("v3/gw-one/down", QoS::AtMostOnce);
    subscribe.pkid = 1;
    old.send(Packet::Subscribe(subscribe)).await;
    assert!(matches!(old.recv().await, Some(Packet::SubAck(_))));
    match next_server_event(&mut server).await {
        GatewayEvent::Connected { protocol, .. } => assert_eq!(protocol.name(), "mqtt-v3"),
        other => panic!("{other:?}"),
    }
    // A downlink on v3, written but never acknowledged.
    server.send_downlink(&ids, sample_downlink()).await.unwrap();
    assert!(matches!(old.recv().await, Some(Packet::Publish(_))));

    let (mut new, ack) = Raw::connect(v2, GW_ONE, KEY_ONE, 60).await;
    assert_eq!(ack.code, ConnectReturnCode::Success);
    // The old connection is closed by the server.
    assert_eq!(old.recv().await, None);
    let (mut connected, mut replaced, mut failed) = (false, false, false);
    while !(connected && replaced && failed) {
        match next_server_event(&mut server).await {
            GatewayEvent::Connected { protocol, .. } => {
                assert_eq!(protocol.name(), "mqtt-v2");
                connected = true;
            }
            GatewayEvent::Disconnected {
                protocol, reason, ..
            } => {
                assert_eq!(protocol.name(), "mqtt-v3");
                assert_eq!(reason, DisconnectReason::Replaced);
                replaced = true;
            }
            GatewayEvent::TxAck { failure, ack, .. } => {
                assert_eq!(ack.correlation_ids, ["app:test:1"]);
                assert_eq!(failure, Some(TxFailure::Replaced));
                failed = true;
            }
            other => panic!("{other:?}"),
        }
    }
    // Downlinks go to v2 now (queued until it subscribes: accepted).
    server.send_downlink(&ids, sample_downlink()).await.unwrap();

    // v2 closes: its queued downlink fails, the route is gone, downlinks are refused.
    new.send(Packet::Disconnect).await;
    assert_eq!(new.recv().await, None);
    match next_server_event(&mut server).await {
        GatewayEvent::TxAck { failure, .. } => assert_eq!(
            failure,
            Some(TxFailure::Disconnected(DisconnectReason::ClosedByGateway))
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Disconnected { .. }
    ));
    let refused = server.send_downlink(&ids, sample_downlink()).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("not connected")),
        "{refused:?}"
    );
}

/// A registry that takes a second to answer for `gw-two`.
struct SlowRegistry(std::sync::Arc<loragw_gateway_io::registry::InMemoryRegistry>);

impl loragw_gateway_io::registry::GatewayRegistry for SlowRegistry {
    fn gateway_by_id(&self, id: &str) -> Option<loragw_gateway_io::registry::GatewayRecord> {
        if id == GW_TWO {
            std::thread::sleep(Duration::from_secs(1));
        }
        self.0.gateway_by_id(id)
    }
    fn gateway_by_eui(
        &self,
        eui: loragw_gateway_io::ids::Eui64,
    ) -> Option<loragw_gateway_io::registry::GatewayRecord> {
        self.0.gateway_by_eui(eui)
    }
}

impl loragw_gateway_io::registry::Authenticator for SlowRegistry {
    fn authenticate(
        &self,
        gateway_id: &str,
        credential: loragw_gateway_io::registry::Credential<'_>,
        right: loragw_gateway_io::registry::Right,
    ) -> Result<(), loragw_gateway_io::registry::AuthError> {
        self.0.authenticate(gateway_id, credential, right)
    }
}

/// A registry that takes a second for one gateway stalls only that gateway: another connects
/// and gets an uplink through meanwhile.
#[tokio::test]
async fn a_slow_registry_stalls_nobody_else() {
    let mut server = GatewayServer::builder()
        .registry(SlowRegistry(registry()))
        .mqtt_v3("127.0.0.1:0")
        .start()
        .await
        .unwrap();
    let port = server.local_addr(ListenerKind::MqttV3).unwrap().port();
    let slow = tokio::spawn(async move { Raw::connect(port, GW_TWO, KEY_TWO, 60).await });
    // Let the slow CONNECT reach the registry first.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    let (mut fast, ack) = Raw::connect(port, GW_ONE, KEY_ONE, 60).await;
    assert_eq!(ack.code, ConnectReturnCode::Success);
    fast.send(publish(
        "v3/gw-one/up",
        QoS::AtLeastOnce,
        1,
        sample_uplink(1).encode_to_vec(),
    ))
    .await;
    assert!(matches!(fast.recv().await, Some(Packet::PubAck(_))));
    match next_server_event(&mut server).await {
        GatewayEvent::Connected { gateway, .. } => assert_eq!(gateway.gateway_id, GW_ONE),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Uplink { .. }
    ));
    let took = started.elapsed();
    assert!(took < Duration::from_millis(800), "{took:?}");
    let (_slow, ack) = slow.await.unwrap();
    assert_eq!(ack.code, ConnectReturnCode::Success);
    match next_server_event(&mut server).await {
        GatewayEvent::Connected { gateway, .. } => assert_eq!(gateway.gateway_id, GW_TWO),
        other => panic!("{other:?}"),
    }
}

/// The connection and session caps, each at its bound: a third TCP connection on a listener
/// capped at two is closed at once; a second gateway on a listener capped at one session gets
/// CONNACK 0x03, while the first gateway may still reconnect (replacing itself).
#[tokio::test]
async fn connection_and_session_caps() {
    let mut limits = loragw_gateway_io::transport::TcpLimits::default();
    limits.max_connections = 2;
    limits.max_sessions = 1;
    let settings = MqttSettings::new(MqttVersion::V3).with_limits(limits);
    let mut server = GatewayServer::builder()
        .shared_registry(registry())
        .mqtt_with("127.0.0.1:0", settings)
        .start()
        .await
        .unwrap();
    let port = server.local_addr(ListenerKind::MqttV3).unwrap().port();

    let (one, ack) = Raw::connect(port, GW_ONE, KEY_ONE, 60).await;
    assert_eq!(ack.code, ConnectReturnCode::Success);
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Connected { .. }
    ));
    let (mut two, ack) = Raw::connect(port, GW_TWO, KEY_TWO, 60).await;
    assert_eq!(ack.code, ConnectReturnCode::ServiceUnavailable);
    assert_eq!(two.recv().await, None);
    assert_eq!(server.stats().refused_sessions_full, 1);

    // Two connections open (one, and an idle one): the third is closed without a byte.
    let _idle = Raw::open(port).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = Raw::open(port).await;
    assert_eq!(third.recv().await, None);
    assert_eq!(server.stats().refused_listener_full, 1);
    drop(_idle);
    drop(one);
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Disconnected { .. }
    ));
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Room again: the first gateway reconnects, and replaces itself within the session cap.
    let (_one, ack) = Raw::connect(port, GW_ONE, KEY_ONE, 60).await;
    assert_eq!(ack.code, ConnectReturnCode::Success);
    let (_again, ack) = Raw::connect(port, GW_ONE, KEY_ONE, 60).await;
    assert_eq!(ack.code, ConnectReturnCode::Success);
    assert_eq!(server.stats().sessions, 1);
}

/// A client that sends its CONNECT one byte every 100 ms (a slowloris) is cut at the
/// handshake deadline, although it keeps sending.
#[tokio::test]
async fn a_slow_connect_is_cut_at_the_handshake_deadline() {
    let settings =
        MqttSettings::new(MqttVersion::V3).with_connect_timeout(Duration::from_millis(500));
    let server = GatewayServer::builder()
        .shared_registry(registry())
        .mqtt_with("127.0.0.1:0", settings)
        .start()
        .await
        .unwrap();
    let port = server.local_addr(ListenerKind::MqttV3).unwrap().port();
    let mut connect = Connect::new("slow");
    connect.set_login(GW_ONE, KEY_ONE);
    let mut bytes = BytesMut::new();
    Packet::Connect(connect).write(&mut bytes, 1 << 20).unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let started = std::time::Instant::now();
    let mut cut = None;
    for byte in bytes.iter() {
        if stream.write_all(&[*byte]).await.is_err() {
            cut = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut buf = [0u8; 8];
        if let Ok(Ok(0) | Err(_)) = timeout(Duration::from_millis(1), stream.read(&mut buf)).await {
            cut = Some(started.elapsed());
            break;
        }
    }
    let cut = cut.expect("the slow CONNECT was never cut");
    assert!(
        cut >= Duration::from_millis(450) && cut < Duration::from_secs(2),
        "{cut:?}"
    );
    assert_eq!(server.stats().refused_handshake_timeout, 1);
}

/// An MQTT v3 gateway's uplink gets an uplink token; the class A answer built from it with
/// `reply::class_a` reaches the gateway with scheduled settings: RX1 one second after the
/// uplink's timestamp, on its channel and data rate.
#[tokio::test]
async fn class_a_reply_by_uplink_token() {
    use loragw_gateway_io::freqplan::FrequencyPlan;
    use loragw_gateway_io::reply;
    use loragw_gateway_io::ttnpb::downlink_message::Settings;

    let (mut server, port) = start().await;
    let (mut raw, ack) = Raw::connect(port, GW_ONE, KEY_ONE, 60).await;
    assert_eq!(ack.code, ConnectReturnCode::Success);
    raw.send(Packet::Subscribe(Subscribe::new(
        "v3/gw-one/down",
        QoS::AtMostOnce,
    )))
    .await;
    assert!(matches!(raw.recv().await, Some(Packet::SubAck(_))));
    let up = sample_uplink(9).encode_to_vec();
    raw.send(publish("v3/gw-one/up", QoS::AtMostOnce, 0, up))
        .await;
    let uplink = loop {
        if let GatewayEvent::Uplink { message, .. } = next_server_event(&mut server).await {
            break message;
        }
    };
    let token = reply::decode_uplink_token(&uplink.rx_metadata[0].uplink_token).unwrap();
    assert_eq!(token.timestamp, 1_000_009);
    let plan = FrequencyPlan::builtin("EU_863_870").unwrap();
    let down = reply::class_a(&uplink, &plan, vec![0x60, 1]).unwrap();
    server
        .send_downlink(&GatewayIds::new(GW_ONE, None), down)
        .await
        .unwrap();
    let Some(Packet::Publish(p)) = raw.recv().await else {
        panic!("no downlink")
    };
    let down = loragw_mqtt_v3::codec::decode_down(&p.payload)
        .unwrap()
        .downlink_message
        .unwrap();
    let Some(Settings::Scheduled(s)) = down.settings else {
        panic!("not scheduled: {down:?}")
    };
    assert_eq!(
        (s.timestamp, s.frequency, s.data_rate),
        (
            2_000_009,
            868_100_000,
            Some(loragw_gateway_io::ttnpb::DataRate::lora(7, 125_000, "4/5"))
        )
    );
    assert_eq!(s.downlink.map(|d| d.tx_power), Some(16.0));
}
