//! End to end: Debian's `mosquitto_pub` / `mosquitto_sub` act as gateways against our MQTT
//! server over loopback. Skipped (with a note) when the clients are not installed, unless `CI`
//! is set.

#![cfg(feature = "mqtt-server")]
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod mqtt_support;

use std::path::Path;
use std::process::Output;

use loragw_gateway_io::adapter::{mqtt_v2 as v2_adapter, mqtt_v3 as v3_adapter};
use loragw_gateway_io::event::{DisconnectReason, GatewayEvent, Protocol, TxFailure};
use loragw_gateway_io::ids::{Eui64, GatewayIds};
use loragw_gateway_io::transport::{GatewayServer, ListenerKind};
use loragw_gateway_io::ttnpb::prost::Message;
use loragw_gateway_io::ttnpb::{GatewayDown, TxAcknowledgment, tx_acknowledgment};
use mqtt_support::*;
use tokio::process::Command;

/// A server with one MQTT listener of `kind` on a free loopback port, and that port.
async fn start(kind: ListenerKind) -> (GatewayServer, u16) {
    let builder = GatewayServer::builder().shared_registry(registry());
    let builder = match kind {
        ListenerKind::MqttV3 => builder.mqtt_v3("127.0.0.1:0"),
        _ => builder.mqtt_v2("127.0.0.1:0"),
    };
    let server = builder.start().await.unwrap();
    let port = server.local_addr(kind).unwrap().port();
    (server, port)
}

fn gw_one() -> GatewayIds {
    GatewayIds::new(GW_ONE, Some(Eui64::from_u64(0x0102_0304_0506_0708)))
}

/// Runs a mosquitto client to completion, bounded by the step timeout.
async fn run(binary: &Path, port: u16, args: &[&str]) -> Output {
    let mut command = Command::new(binary);
    command
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-V", "mqttv311"])
        .args(args)
        .kill_on_drop(true);
    tokio::time::timeout(STEP, command.output())
        .await
        .expect("mosquitto client finished within the step timeout")
        .expect("mosquitto client started")
}

#[tokio::test]
async fn v3_uplink_downlink_and_ack_through_mosquitto_clients() {
    let Some(tools) = mosquitto_tools(&["mosquitto_pub", "mosquitto_sub"]) else {
        return;
    };
    let (pub_bin, sub_bin) = (&tools[0], &tools[1]);
    let (mut server, port) = start(ListenerKind::MqttV3).await;
    let events = &mut server;
    let dir = TempDir::new("mqtt-v3");

    // Uplink with QoS 1: the client waits for our PUBACK before it exits 0.
    let sent = sample_uplink(7);
    let file = dir.file("up.bin", &sent.encode_to_vec());
    let out = run(
        pub_bin,
        port,
        &[
            "-u",
            GW_ONE,
            "-P",
            KEY_ONE,
            "-i",
            "gw-one-pub",
            "-q",
            "1",
            "-t",
            "v3/gw-one/up",
            "-f",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert!(out.status.success(), "mosquitto_pub: {out:?}");
    match next_server_event(events).await {
        GatewayEvent::Connected {
            gateway, protocol, ..
        } => {
            assert_eq!(gateway, gw_one());
            assert_eq!(protocol, Protocol::MqttV3);
        }
        other => panic!("expected Connected, got {other:?}"),
    }
    match next_server_event(events).await {
        GatewayEvent::Uplink {
            gateway, message, ..
        } => {
            assert_eq!(gateway, gw_one());
            assert!(message.received_at.is_some());
            let expected = v3_adapter::normalize_uplink(&gw_one(), sent, message.received_at);
            assert_eq!(message, expected);
            assert_eq!(
                message.rx_metadata[0]
                    .gateway_ids
                    .as_ref()
                    .unwrap()
                    .gateway_id,
                GW_ONE
            );
        }
        other => panic!("expected Uplink, got {other:?}"),
    }
    assert!(matches!(
        next_server_event(events).await,
        GatewayEvent::Disconnected {
            reason: DisconnectReason::ClosedByGateway,
            ..
        }
    ));

    // Downlink: mosquitto_sub waits for one message and prints it as hex.
    let sub_port = port.to_string();
    let mut sub = Command::new(sub_bin);
    sub.args(["-h", "127.0.0.1", "-p", &sub_port, "-V", "mqttv311"])
        .args(["-u", GW_ONE, "-P", KEY_ONE, "-i", "gw-one-sub"])
        .args(["-t", "v3/gw-one/down", "-C", "1", "-F", "%x"])
        .kill_on_drop(true);
    let sub = tokio::spawn(async move { tokio::time::timeout(STEP, sub.output()).await });
    assert!(matches!(
        next_server_event(events).await,
        GatewayEvent::Connected { .. }
    ));
    // Queued until the subscription is in, so no race with SUBSCRIBE.
    events
        .send_downlink(&gw_one(), sample_downlink())
        .await
        .unwrap();
    let out = sub
        .await
        .unwrap()
        .expect("mosquitto_sub got the downlink in time")
        .unwrap();
    assert!(out.status.success(), "mosquitto_sub: {out:?}");
    let down = GatewayDown::decode(&*from_hex(&String::from_utf8(out.stdout).unwrap())).unwrap();
    let downlink = down.downlink_message.unwrap();
    assert_eq!(downlink.raw_payload, sample_downlink().raw_payload);
    assert_eq!(downlink.correlation_ids[0], "app:test:1");
    assert!(
        downlink.correlation_ids[1].starts_with("gs:down:token:"),
        "{:?}",
        downlink.correlation_ids
    );
    // mosquitto_sub leaves after one message, before acknowledging: the downlink ends in a
    // failed TxAck (every accepted downlink ends in exactly one), then the disconnect.
    match next_server_event(events).await {
        GatewayEvent::TxAck { ack, failure, .. } => {
            assert_eq!(ack.result, tx_acknowledgment::Result::UnknownError as i32);
            assert_eq!(ack.correlation_ids, ["app:test:1"]);
            assert_eq!(
                failure,
                Some(TxFailure::Disconnected(DisconnectReason::ClosedByGateway))
            );
        }
        other => panic!("expected a failed TxAck, got {other:?}"),
    }
    assert!(matches!(
        next_server_event(events).await,
        GatewayEvent::Disconnected { .. }
    ));

    // A late acknowledgement over a new connection (another mosquitto_pub) is dropped: the
    // downlink already ended.
    let ack = TxAcknowledgment {
        correlation_ids: downlink.correlation_ids.clone(),
        result: tx_acknowledgment::Result::Success as i32,
        downlink_message: None,
    };
    let file = dir.file("ack.bin", &ack.encode_to_vec());
    let out = run(
        pub_bin,
        port,
        &[
            "-u",
            GW_ONE,
            "-P",
            KEY_ONE,
            "-q",
            "1",
            "-t",
            "v3/gw-one/down/ack",
            "-f",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert!(out.status.success(), "mosquitto_pub: {out:?}");
    assert!(matches!(
        next_server_event(events).await,
        GatewayEvent::Connected { .. }
    ));
    match next_server_event(events).await {
        GatewayEvent::Disconnected { .. } => {}
        other => panic!("expected no second TxAck, got {other:?}"),
    }
}

/// The README recipe: `mosquitto_sub` holds the gateway's downlinks, then a `mosquitto_pub`
/// of the same gateway connects and replaces it. The downlink the subscriber received but
/// never acknowledged ends in a TxAck failed as `Replaced`.
#[tokio::test]
async fn v3_replacing_the_subscriber_fails_its_downlink_as_replaced() {
    let Some(tools) = mosquitto_tools(&["mosquitto_pub", "mosquitto_sub"]) else {
        return;
    };
    let (pub_bin, sub_bin) = (&tools[0], &tools[1]);
    let (mut server, port) = start(ListenerKind::MqttV3).await;
    let events = &mut server;
    let sub_port = port.to_string();
    let mut sub = Command::new(sub_bin);
    sub.args(["-h", "127.0.0.1", "-p", &sub_port, "-V", "mqttv311"])
        .args(["-u", GW_ONE, "-P", KEY_ONE, "-i", "gw-one-sub"])
        .args(["-t", "v3/gw-one/down", "-F", "%x"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut sub = sub.spawn().unwrap();
    assert!(matches!(
        next_server_event(events).await,
        GatewayEvent::Connected { .. }
    ));
    events
        .send_downlink(&gw_one(), sample_downlink())
        .await
        .unwrap();
    // Wait until mosquitto_sub printed it (it was written and read).
    let mut stdout = sub.stdout.take().unwrap();
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\n") {
        use tokio::io::AsyncReadExt;
        let n = tokio::time::timeout(STEP, stdout.read(&mut byte))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 1, "mosquitto_sub ended early");
        line.push(byte[0]);
    }
    let out = run(
        pub_bin,
        port,
        &[
            "-u",
            GW_ONE,
            "-P",
            KEY_ONE,
            "-t",
            "v3/gw-one/status",
            "-m",
            "",
        ],
    )
    .await;
    assert!(out.status.success(), "mosquitto_pub: {out:?}");
    // The subscriber's end (failed downlink, then Disconnected Replaced) comes before the
    // publisher's Connected.
    let mut replaced = None;
    loop {
        match next_server_event(events).await {
            GatewayEvent::TxAck { ack, failure, .. } => {
                assert_eq!(ack.correlation_ids, ["app:test:1"]);
                assert!(replaced.is_none(), "a second TxAck");
                replaced = failure;
            }
            GatewayEvent::Disconnected { reason, .. } => {
                assert_eq!(reason, DisconnectReason::Replaced)
            }
            GatewayEvent::Connected { .. } => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(replaced, Some(TxFailure::Replaced));
    let _ = sub.kill().await;
}

#[tokio::test]
async fn v3_refusals_through_mosquitto_clients() {
    let Some(tools) = mosquitto_tools(&["mosquitto_pub"]) else {
        return;
    };
    let pub_bin = &tools[0];
    let (mut server, port) = start(ListenerKind::MqttV3).await;
    let events = &mut server;

    // Wrong password, unknown gateway, key without the link right: CONNACK refused.
    for (user, pass) in [
        (GW_ONE, "NNSXS.WRONG"),
        ("gw-unknown", KEY_ONE),
        (GW_INFO, KEY_INFO),
    ] {
        let out = run(
            pub_bin,
            port,
            &["-u", user, "-P", pass, "-t", "v3/gw-one/up", "-m", "x"],
        )
        .await;
        assert!(!out.status.success(), "{user}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr).to_lowercase();
        assert!(
            stderr.contains("not authori") || stderr.contains("bad user"),
            "{user}: {stderr}"
        );
    }

    // An MQTT 3.1 client: "unacceptable protocol version" (mosquitto_pub's -V comes last).
    let out = run(
        pub_bin,
        port,
        &[
            "-u",
            GW_ONE,
            "-P",
            KEY_ONE,
            "-t",
            "v3/gw-one/up",
            "-m",
            "x",
            "-V",
            "mqttv31",
        ],
    )
    .await;
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(stderr.contains("protocol version"), "{stderr}");

    // An MQTT 5 client gets CONNACK 0x01 too (not silence): mosquitto_pub reports it and
    // exits at once.
    let out = run(
        pub_bin,
        port,
        &[
            "-u",
            GW_ONE,
            "-P",
            KEY_ONE,
            "-t",
            "v3/gw-one/up",
            "-m",
            "x",
            "-V",
            "mqttv5",
        ],
    )
    .await;
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(
        stderr.contains("protocol version") || stderr.contains("unsupported"),
        "{stderr}"
    );
    assert_eq!(events.stats().refused_unsupported_protocol, 2);

    // Publishing to another gateway's topic: connected, then disconnected. Before it, the
    // three refused credentials were reported as `Refused` (at most one a second, the first
    // naming the username); the protocol-version refusals are counted only.
    let _ = run(
        pub_bin,
        port,
        &[
            "-u",
            GW_ONE,
            "-P",
            KEY_ONE,
            "-q",
            "1",
            "-t",
            "v3/gw-two/up",
            "-m",
            "x",
        ],
    )
    .await;
    let mut refused = 0;
    loop {
        match next_server_event(events).await {
            GatewayEvent::Refused {
                gateway, protocol, ..
            } => {
                if refused == 0 {
                    assert_eq!(gateway.gateway_id, GW_ONE);
                }
                assert_eq!(protocol, Protocol::MqttV3);
                refused += 1;
            }
            GatewayEvent::Connected { .. } => break,
            other => panic!("expected Refused or Connected, got {other:?}"),
        }
    }
    assert!((1..=3).contains(&refused), "{refused}");
    match next_server_event(events).await {
        GatewayEvent::Disconnected {
            reason: DisconnectReason::ProtocolError(text),
            gateway,
            ..
        } => {
            assert_eq!(gateway.gateway_id, GW_ONE);
            assert!(text.contains("v3/gw-two/up"), "{text}");
        }
        other => panic!("expected a protocol-error disconnect, got {other:?}"),
    }
}

#[tokio::test]
async fn v2_uplink_and_downlink_through_mosquitto_clients() {
    let Some(tools) = mosquitto_tools(&["mosquitto_pub", "mosquitto_sub"]) else {
        return;
    };
    let (pub_bin, sub_bin) = (&tools[0], &tools[1]);
    let (mut server, port) = start(ListenerKind::MqttV2).await;
    let events = &mut server;
    let dir = TempDir::new("mqtt-v2");

    let v2_up = loragw_mqtt_v2::uplink_from_v3(&sample_uplink(3), GW_ONE).unwrap();
    let bytes = v2_up.encode_to_vec();
    let file = dir.file("up.bin", &bytes);
    let out = run(
        pub_bin,
        port,
        &[
            "-u",
            GW_ONE,
            "-P",
            KEY_ONE,
            "-q",
            "1",
            "-t",
            "gw-one/up",
            "-f",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert!(out.status.success(), "mosquitto_pub: {out:?}");
    match next_server_event(events).await {
        GatewayEvent::Connected { protocol, .. } => assert_eq!(protocol, Protocol::MqttV2),
        other => panic!("expected Connected, got {other:?}"),
    }
    match next_server_event(events).await {
        GatewayEvent::Uplink { message, .. } => {
            let expected =
                v2_adapter::uplink_from_publish(&gw_one(), &bytes, message.received_at).unwrap();
            assert_eq!(message, expected);
            assert_eq!(message.raw_payload, sample_uplink(3).raw_payload);
        }
        other => panic!("expected Uplink, got {other:?}"),
    }
    assert!(matches!(
        next_server_event(events).await,
        GatewayEvent::Disconnected { .. }
    ));

    let sub_port = port.to_string();
    let mut sub = Command::new(sub_bin);
    sub.args(["-h", "127.0.0.1", "-p", &sub_port, "-V", "mqttv311"])
        .args([
            "-u", GW_ONE, "-P", KEY_ONE, "-t", "+/down", "-C", "1", "-F", "%x",
        ])
        .kill_on_drop(true);
    let sub = tokio::spawn(async move { tokio::time::timeout(STEP, sub.output()).await });
    assert!(matches!(
        next_server_event(events).await,
        GatewayEvent::Connected { .. }
    ));
    events
        .send_downlink(&gw_one(), sample_downlink())
        .await
        .unwrap();
    let out = sub
        .await
        .unwrap()
        .expect("mosquitto_sub got the downlink in time")
        .unwrap();
    assert!(out.status.success(), "mosquitto_sub: {out:?}");
    let v2_down =
        loragw_mqtt_v2::codec::decode_downlink(&from_hex(&String::from_utf8(out.stdout).unwrap()))
            .unwrap();
    assert_eq!(v2_down.payload, sample_downlink().raw_payload);
    assert_eq!(v2_down.gateway_configuration.unwrap().timestamp, 6_000_000);
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn v3_uplink_over_tls_through_mosquitto_pub() {
    use loragw_gateway_io::frontend::mqtt::MqttVersion;
    use loragw_gateway_io::transport::mqtt_server::MqttSettings;
    use loragw_gateway_io::transport::tls::TlsConfig;

    let Some(tools) = mosquitto_tools(&["mosquitto_pub"]) else {
        return;
    };
    let dir = TempDir::new("mqtt-tls");
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = dir.file("cert.pem", certified.cert.pem().as_bytes());
    let key = dir.file("key.pem", certified.signing_key.serialize_pem().as_bytes());
    let tls = TlsConfig::from_pem_files(&cert, &key).unwrap();
    let mut server = GatewayServer::builder()
        .shared_registry(registry())
        .mqtt_tls("127.0.0.1:0", MqttSettings::new(MqttVersion::V3), tls)
        .start()
        .await
        .unwrap();
    let port = server.local_addr(ListenerKind::MqttV3Tls).unwrap().port();

    let sent = sample_uplink(11);
    let file = dir.file("up.bin", &sent.encode_to_vec());
    // The certificate names `localhost`; `--insecure` skips only the host name check.
    let out = run(
        &tools[0],
        port,
        &[
            "--cafile",
            cert.to_str().unwrap(),
            "--insecure",
            "-u",
            GW_ONE,
            "-P",
            KEY_ONE,
            "-q",
            "1",
            "-t",
            "v3/gw-one/up",
            "-f",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert!(out.status.success(), "mosquitto_pub over TLS: {out:?}");
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Connected { .. }
    ));
    match next_server_event(&mut server).await {
        GatewayEvent::Uplink { message, .. } => {
            assert_eq!(message.raw_payload, sent.raw_payload);
        }
        other => panic!("expected Uplink, got {other:?}"),
    }
}
