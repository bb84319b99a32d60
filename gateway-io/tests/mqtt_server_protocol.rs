//! The MQTT listener's protocol edges, driven by a raw MQTT 3.1.1 client built on rumqttc's
//! packet codec: CONNACK codes, SUBACK grants, bad payloads, access violations, keep-alive,
//! CONNECT timeout, packet-size bound, replacement and the disconnect command.

#![cfg(feature = "mqtt-server")]
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod mqtt_support;

use bytes::BytesMut;
use loragw_gateway_io::event::{
    DisconnectReason, GatewayCommand, GatewayEvent, Protocol, TxFailure,
};
use loragw_gateway_io::frontend::mqtt::MqttVersion;
use loragw_gateway_io::ids::GatewayIds;
use loragw_gateway_io::transport::mqtt_server::MqttSettings;
use loragw_gateway_io::transport::{GatewayServer, ListenerKind};
use loragw_gateway_io::ttnpb::prost::Message;
use mqtt_support::raw::{Raw, publish, start};
use mqtt_support::*;
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{
    ConnAck, ConnectReturnCode, Packet, PubAck, Subscribe, SubscribeFilter, SubscribeReasonCode,
};

#[tokio::test]
async fn connack_codes() {
    let (mut server, port) = start().await;
    for (user, pass, code) in [
        (
            GW_ONE,
            "NNSXS.WRONG",
            ConnectReturnCode::BadUserNamePassword,
        ),
        (
            "gw-unknown",
            KEY_ONE,
            ConnectReturnCode::BadUserNamePassword,
        ),
        ("Not A Uid", KEY_ONE, ConnectReturnCode::BadUserNamePassword),
        (GW_ONE, "", ConnectReturnCode::BadUserNamePassword),
        (GW_INFO, KEY_INFO, ConnectReturnCode::NotAuthorized),
    ] {
        let (mut raw, ack) = Raw::connect(port, user, pass, 60).await;
        assert_eq!(ack.code, code, "{user}");
        assert_eq!(raw.recv().await, None, "{user}: closed after the refusal");
    }

    // MQTT 3.1 (`MQIsdp`, level 3): "unacceptable protocol version". Bytes written out: fixed
    // header, protocol name, level 3, flags (clean session), keep-alive 60, client id "c".
    let mut raw = Raw::open(port).await;
    raw.send_bytes(&[
        0x10, 15, 0x00, 0x06, b'M', b'Q', b'I', b's', b'd', b'p', 0x03, 0x02, 0x00, 0x3C, 0x00,
        0x01, b'c',
    ])
    .await;
    // CONNACK: type 2, remaining length 2, no session, code 1.
    assert_eq!(
        raw.recv().await,
        Some(Packet::ConnAck(ConnAck::new(
            ConnectReturnCode::RefusedProtocolVersion,
            false
        )))
    );

    // A first packet that is not CONNECT, and silence: closed without a CONNACK.
    let mut raw = Raw::open(port).await;
    raw.send(Packet::PingReq).await;
    assert_eq!(raw.recv().await, None);
    let mut raw = Raw::open(port).await;
    assert_eq!(raw.recv().await, None, "closed after the CONNECT timeout");

    // None of the above produced a session; the refused credentials were reported as
    // `Refused` (at most one a second, the first naming the username that was refused).
    let stats = server.stats();
    assert_eq!(stats.sessions, 0, "{stats:?}");
    assert_eq!(stats.refused_unauthenticated, 5, "{stats:?}");
    let (_raw, ack) = Raw::connect(port, GW_ONE, KEY_ONE, 60).await;
    assert_eq!(ack.code, ConnectReturnCode::Success);
    assert!(!ack.session_present);
    let mut refusals = 0;
    loop {
        match next_server_event(&mut server).await {
            GatewayEvent::Refused {
                gateway,
                protocol,
                remote,
                suppressed,
                ..
            } => {
                if refusals == 0 {
                    assert_eq!(gateway.gateway_id, GW_ONE);
                    assert_eq!(protocol, Protocol::MqttV3);
                    assert!(remote.is_some_and(|r| r.ip().is_loopback()));
                }
                refusals += 1 + suppressed;
            }
            GatewayEvent::Connected { .. } => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!((1..=5).contains(&refusals), "{refusals}");
}

#[tokio::test]
async fn subscriptions_payloads_and_access() {
    let (mut server, port) = start().await;
    let (mut raw, ack) = Raw::connect(port, GW_ONE, KEY_ONE, 60).await;
    assert_eq!(ack.code, ConnectReturnCode::Success);
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Connected { .. }
    ));

    let mut subscribe = Subscribe::new("v3/gw-one/down", QoS::AtLeastOnce);
    subscribe.pkid = 7;
    subscribe.filters.push(SubscribeFilter::new(
        "v3/gw-two/down".into(),
        QoS::AtMostOnce,
    ));
    subscribe
        .filters
        .push(SubscribeFilter::new("#".into(), QoS::AtMostOnce));
    subscribe
        .filters
        .push(SubscribeFilter::new("v3/gw-one/up".into(), QoS::AtMostOnce));
    raw.send(Packet::Subscribe(subscribe)).await;
    match raw.recv().await {
        Some(Packet::SubAck(suback)) => {
            assert_eq!(suback.pkid, 7);
            assert_eq!(
                suback.return_codes,
                [
                    SubscribeReasonCode::Success(QoS::AtLeastOnce),
                    SubscribeReasonCode::Failure,
                    SubscribeReasonCode::Success(QoS::AtMostOnce),
                    SubscribeReasonCode::Failure,
                ]
            );
        }
        other => panic!("expected SUBACK, got {other:?}"),
    }

    // Garbage on the uplink topic: acknowledged, dropped, the connection stays.
    raw.send(publish("v3/gw-one/up", QoS::AtLeastOnce, 1, vec![0xFF; 9]))
        .await;
    assert_eq!(raw.recv().await, Some(Packet::PubAck(PubAck::new(1))));
    raw.send(Packet::PingReq).await;
    assert_eq!(raw.recv().await, Some(Packet::PingResp));
    let up = sample_uplink(9).encode_to_vec();
    raw.send(publish("v3/gw-one/up", QoS::AtLeastOnce, 2, up))
        .await;
    assert_eq!(raw.recv().await, Some(Packet::PubAck(PubAck::new(2))));
    match next_server_event(&mut server).await {
        GatewayEvent::Uplink { message, .. } => {
            assert_eq!(message.raw_payload, sample_uplink(9).raw_payload);
        }
        other => panic!("expected the valid uplink only, got {other:?}"),
    }

    // A downlink arrives as a QoS 0 PUBLISH on the own down topic.
    let ids = GatewayIds::new(GW_ONE, None);
    server.send_downlink(&ids, sample_downlink()).await.unwrap();
    match raw.recv().await {
        Some(Packet::Publish(p)) => {
            assert_eq!(p.topic, "v3/gw-one/down");
            assert_eq!(p.qos, QoS::AtMostOnce);
            let down = loragw_mqtt_v3::codec::decode_down(&p.payload).unwrap();
            assert_eq!(
                down.downlink_message.unwrap().raw_payload,
                sample_downlink().raw_payload
            );
        }
        other => panic!("expected the downlink, got {other:?}"),
    }

    // Publishing on the server-only down topic ends the connection.
    raw.send(publish("v3/gw-one/down", QoS::AtMostOnce, 0, vec![]))
        .await;
    assert_eq!(raw.recv().await, None);
    // The downlink it never acknowledged ends in a failed TxAck, then the disconnect.
    match next_server_event(&mut server).await {
        GatewayEvent::TxAck { ack, failure, .. } => {
            assert_eq!(ack.correlation_ids, ["app:test:1"]);
            assert!(
                matches!(
                    failure,
                    Some(TxFailure::Disconnected(DisconnectReason::ProtocolError(_)))
                ),
                "{failure:?}"
            );
        }
        other => panic!("expected a failed TxAck, got {other:?}"),
    }
    match next_server_event(&mut server).await {
        GatewayEvent::Disconnected {
            reason: DisconnectReason::ProtocolError(text),
            ..
        } => assert!(text.contains("v3/gw-one/down"), "{text}"),
        other => panic!("expected a protocol-error disconnect, got {other:?}"),
    }
}

#[tokio::test]
async fn keep_alive_packet_bound_replacement_and_disconnect_command() {
    let (mut server, port) = start().await;

    // Keep-alive 1 s and silence: closed after 1.5 s.
    let (mut quiet, _) = Raw::connect(port, GW_ONE, KEY_ONE, 1).await;
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Connected { .. }
    ));
    assert_eq!(quiet.recv().await, None);
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Disconnected {
            reason: DisconnectReason::Timeout,
            ..
        }
    ));

    // A packet announcing more than the bound is refused from its header alone.
    let (mut big, _) = Raw::connect(port, GW_ONE, KEY_ONE, 60).await;
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Connected { .. }
    ));
    // PUBLISH with remaining length 2 MiB (varint 0x80 0x80 0x80 0x01), no body sent.
    big.send_bytes(&[0x30, 0x80, 0x80, 0x80, 0x01]).await;
    assert_eq!(big.recv().await, None);
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Disconnected {
            reason: DisconnectReason::ProtocolError(_),
            ..
        }
    ));

    // A second connection of the gateway replaces the first.
    let (mut first, _) = Raw::connect(port, GW_ONE, KEY_ONE, 60).await;
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Connected { .. }
    ));
    let (mut second, _) = Raw::connect(port, GW_ONE, KEY_ONE, 60).await;
    assert_eq!(
        first.recv().await,
        None,
        "the replaced connection is closed"
    );
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Disconnected {
            reason: DisconnectReason::Replaced,
            ..
        }
    ));
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Connected { .. }
    ));

    // The application disconnects the gateway.
    server
        .send_command(GatewayCommand::Disconnect {
            gateway: GatewayIds::new(GW_ONE, None),
        })
        .await
        .unwrap();
    assert_eq!(second.recv().await, None);
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Disconnected {
            reason: DisconnectReason::Shutdown,
            ..
        }
    ));
}

#[tokio::test]
async fn publishing_faster_than_the_rate_limit_disconnects() {
    use loragw_gateway_io::transport::mqtt_server::RateLimit;

    // Burst 3, refilled at 1 per second: the fourth publish of a quick run is one too many.
    let settings = MqttSettings::new(MqttVersion::V3).with_publish_rate_limit(RateLimit {
        per_second: 1,
        burst: 3,
    });
    let mut server = GatewayServer::builder()
        .shared_registry(registry())
        .mqtt_with("127.0.0.1:0", settings)
        .start()
        .await
        .unwrap();
    let port = server.local_addr(ListenerKind::MqttV3).unwrap().port();
    let (mut raw, _) = Raw::connect(port, GW_ONE, KEY_ONE, 60).await;
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Connected { .. }
    ));
    // Six publishes in one write: processed within microseconds, so at most a refill or two
    // (even on a slow machine) lets more than the burst of 3 through before the disconnect.
    let mut bytes = BytesMut::new();
    for fcnt in 1..=6u8 {
        let up = sample_uplink(fcnt).encode_to_vec();
        publish("v3/gw-one/up", QoS::AtLeastOnce, u16::from(fcnt), up)
            .write(&mut bytes, 1 << 20)
            .unwrap();
    }
    raw.send_bytes(&bytes).await;
    let mut acked = 0;
    while let Some(packet) = raw.recv().await {
        assert_eq!(packet, Packet::PubAck(PubAck::new(acked + 1)));
        acked += 1;
    }
    assert!((3..6).contains(&acked), "{acked} publishes acknowledged");
    for _ in 0..acked {
        assert!(matches!(
            next_server_event(&mut server).await,
            GatewayEvent::Uplink { .. }
        ));
    }
    match next_server_event(&mut server).await {
        GatewayEvent::Disconnected {
            reason: DisconnectReason::ProtocolError(text),
            ..
        } => assert!(text.contains("rate limit"), "{text}"),
        other => panic!("expected the rate-limit disconnect, got {other:?}"),
    }
}

#[tokio::test]
async fn downlinks_wait_for_the_subscription_in_a_bounded_queue() {
    let (mut server, port) = start().await;
    let (mut raw, _) = Raw::connect(port, GW_ONE, KEY_ONE, 60).await;
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Connected { .. }
    ));
    // Not subscribed yet: 16 downlinks may be in flight (queued), the 17th is refused.
    let ids = GatewayIds::new(GW_ONE, None);
    for _ in 0..16 {
        server.send_downlink(&ids, sample_downlink()).await.unwrap();
    }
    let refused = server.send_downlink(&ids, sample_downlink()).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("already in flight")),
        "{refused:?}"
    );
    // Subscribing releases the queued ones, in order, after the SUBACK.
    let mut subscribe = Subscribe::new("v3/gw-one/#", QoS::AtMostOnce);
    subscribe.pkid = 1;
    raw.send(Packet::Subscribe(subscribe)).await;
    assert!(matches!(raw.recv().await, Some(Packet::SubAck(_))));
    let mut tokens = Vec::new();
    for _ in 0..16 {
        match raw.recv().await {
            Some(Packet::Publish(p)) => {
                let down = loragw_mqtt_v3::codec::decode_down(&p.payload).unwrap();
                let ids = down.downlink_message.unwrap().correlation_ids;
                tokens.push(loragw_mqtt_v3::find_token(&ids).unwrap());
            }
            other => panic!("expected a queued downlink, got {other:?}"),
        }
    }
    assert!(tokens.windows(2).all(|w| w[0] < w[1]), "{tokens:?}");
}
