//! End to end: our rumqttc-based gateway client against our MQTT server, and our clients
//! against a real `mosquitto` broker started by the test, including a broker restart
//! (reconnection and re-subscription).

#![cfg(all(feature = "mqtt-server", feature = "mqtt-client"))]
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod mqtt_support;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use loragw_gateway_io::adapter::mqtt_v3 as v3_adapter;
use loragw_gateway_io::event::{GatewayCommand, GatewayEvent, Protocol};
use loragw_gateway_io::frontend::mqtt::MqttVersion;
use loragw_gateway_io::ids::{Eui64, GatewayIds};
use loragw_gateway_io::transport::mqtt_client::{
    ClientError, GatewayMqttClient, LinkStatus, MqttClientConfig, MqttLink, QoS,
};
use loragw_gateway_io::transport::mqtt_upstream::UpstreamBroker;
use loragw_gateway_io::transport::{GatewayServer, ListenerKind};
use loragw_gateway_io::ttnpb::prost::Message;
use loragw_gateway_io::ttnpb::{GatewayStatus, UplinkMessage, tx_acknowledgment};
use loragw_mqtt_v3::{GatewayUid, gateway_down, tx_ack_for};
use mqtt_support::*;
use tokio::process::{Child, Command};

fn gw_one() -> GatewayIds {
    GatewayIds::new(GW_ONE, Some(Eui64::from_u64(0x0102_0304_0506_0708)))
}

fn uid_one() -> GatewayUid {
    GatewayUid::new(GW_ONE).unwrap()
}

/// A server with one MQTT listener on a free loopback port, and that port.
async fn start_server(version: MqttVersion) -> (GatewayServer, u16) {
    let builder = GatewayServer::builder().shared_registry(registry());
    let (builder, kind) = match version {
        MqttVersion::V3 => (builder.mqtt_v3("127.0.0.1:0"), ListenerKind::MqttV3),
        MqttVersion::V2 => (builder.mqtt_v2("127.0.0.1:0"), ListenerKind::MqttV2),
    };
    let server = builder.start().await.unwrap();
    let port = server.local_addr(kind).unwrap().port();
    (server, port)
}

fn fast_config(port: u16) -> MqttClientConfig {
    MqttClientConfig::new("127.0.0.1", port).reconnect_interval(Duration::from_millis(100))
}

async fn ready(link: &MqttLink, connections: u64) -> LinkStatus {
    tokio::time::timeout(
        STEP,
        link.wait_for(|s| s.is_ready() && s.connections >= connections),
    )
    .await
    .unwrap_or_else(|_| panic!("link ready within the step timeout: {:?}", link.status()))
}

#[tokio::test]
async fn v3_client_against_our_server() {
    let (mut server, port) = start_server(MqttVersion::V3).await;
    let config = fast_config(port).credentials(GW_ONE, KEY_ONE);
    let mut client = GatewayMqttClient::connect(config, MqttVersion::V3, uid_one());
    ready(client.link(), 1).await;
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Connected {
            protocol: Protocol::MqttV3,
            ..
        }
    ));

    let sent = sample_uplink(1);
    client.publish_uplink(&sent).await.unwrap();
    match next_server_event(&mut server).await {
        GatewayEvent::Uplink { message, .. } => assert_eq!(
            message,
            v3_adapter::normalize_uplink(&gw_one(), sent, message.received_at)
        ),
        other => panic!("expected Uplink, got {other:?}"),
    }
    let status = GatewayStatus {
        ip: vec!["192.0.2.1".into()],
        ..Default::default()
    };
    client.publish_status(&status).await.unwrap();
    match next_server_event(&mut server).await {
        GatewayEvent::Status { status: got, .. } => assert_eq!(got, status),
        other => panic!("expected Status, got {other:?}"),
    }

    server
        .send_downlink(&gw_one(), sample_downlink())
        .await
        .unwrap();
    let downlink = tokio::time::timeout(STEP, client.next_downlink())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(downlink.raw_payload, sample_downlink().raw_payload);
    client
        .publish_tx_ack(&tx_ack_for(&downlink, tx_acknowledgment::Result::Success))
        .await
        .unwrap();
    match next_server_event(&mut server).await {
        GatewayEvent::TxAck { ack, .. } => {
            assert_eq!(ack.downlink_message, Some(sample_downlink()));
            // The ack's own ids (what the gateway echoed, token included) are kept.
            assert_eq!(ack.correlation_ids, downlink.correlation_ids);
            assert_eq!(ack.correlation_ids[0], "app:test:1");
            assert_eq!(ack.correlation_ids.len(), 2);
        }
        other => panic!("expected TxAck, got {other:?}"),
    }

    // A second connection of the same gateway replaces the first; the first reconnects and
    // replaces the second in turn, so only check the first replacement's order.
    let config = fast_config(port)
        .credentials(GW_ONE, KEY_ONE)
        .client_id("second");
    let second = GatewayMqttClient::connect(config, MqttVersion::V3, uid_one());
    ready(second.link(), 1).await;
    match next_server_event(&mut server).await {
        GatewayEvent::Disconnected { reason, .. } => {
            assert_eq!(reason, loragw_gateway_io::event::DisconnectReason::Replaced)
        }
        other => panic!("expected the old connection's Disconnected, got {other:?}"),
    }
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Connected { .. }
    ));
}

#[tokio::test]
async fn v2_client_against_our_server() {
    let (mut server, port) = start_server(MqttVersion::V2).await;
    let config = fast_config(port).credentials(GW_ONE, KEY_ONE);
    let mut client = GatewayMqttClient::connect(config, MqttVersion::V2, uid_one());
    ready(client.link(), 1).await;
    assert!(matches!(
        next_server_event(&mut server).await,
        GatewayEvent::Connected {
            protocol: Protocol::MqttV2,
            ..
        }
    ));
    client.publish_uplink(&sample_uplink(2)).await.unwrap();
    match next_server_event(&mut server).await {
        GatewayEvent::Uplink { message, .. } => {
            assert_eq!(message.raw_payload, sample_uplink(2).raw_payload);
            assert_eq!(message.settings, sample_uplink(2).settings);
            assert_eq!(message.rx_metadata[0].rssi, -42.0);
        }
        other => panic!("expected Uplink, got {other:?}"),
    }
    server
        .send_downlink(&gw_one(), sample_downlink())
        .await
        .unwrap();
    let downlink = tokio::time::timeout(STEP, client.next_downlink())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(downlink.raw_payload, sample_downlink().raw_payload);
    assert!(matches!(
        client
            .publish_tx_ack(&tx_ack_for(&downlink, tx_acknowledgment::Result::Success))
            .await,
        Err(ClientError::Translate(_))
    ));
}

#[tokio::test]
async fn client_refused_by_our_server_keeps_retrying_and_reports_why() {
    let (server, port) = start_server(MqttVersion::V3).await;
    let config = fast_config(port).credentials(GW_ONE, "NNSXS.WRONG");
    let client = GatewayMqttClient::connect(config, MqttVersion::V3, uid_one());
    let status = tokio::time::timeout(STEP, client.link().wait_for(|s| s.last_error.is_some()))
        .await
        .unwrap();
    assert!(!status.connected);
    assert!(
        status
            .last_error
            .as_deref()
            .unwrap()
            .contains("BadUserNamePassword"),
        "{status:?}"
    );
    drop(server);
}

/// A mosquitto broker on a free loopback port, killed on drop.
struct Broker {
    binary: std::path::PathBuf,
    dir: TempDir,
    port: u16,
    child: Option<Child>,
}

impl Broker {
    /// Starts mosquitto on a free port; when another process takes the port first (mosquitto
    /// exits), tries again with a new one.
    async fn start(binary: &Path) -> Broker {
        let mut broker = Broker {
            binary: binary.to_owned(),
            dir: TempDir::new("mosquitto"),
            port: 0,
            child: None,
        };
        for _ in 0..5 {
            // A free port: bind, read, release. mosquitto binds with SO_REUSEADDR.
            broker.port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            broker.spawn();
            if broker.listening().await {
                return broker;
            }
        }
        panic!("mosquitto did not start listening");
    }

    /// Waits until the broker accepts connections; `false` if it exited instead.
    async fn listening(&mut self) -> bool {
        let deadline = tokio::time::Instant::now() + STEP;
        while tokio::time::Instant::now() < deadline {
            if let Some(child) = &mut self.child
                && child.try_wait().unwrap().is_some()
            {
                return false;
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return true;
            }
            // Readiness polling of a process we do not control, not synchronisation of ours.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    fn spawn(&mut self) {
        let config = format!(
            "listener {} 127.0.0.1\nallow_anonymous true\npersistence false\n",
            self.port
        );
        let config = self.dir.file("mosquitto.conf", config.as_bytes());
        let child = Command::new(&self.binary)
            .arg("-c")
            .arg(config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("mosquitto starts");
        self.child = Some(child);
    }

    async fn restart(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.unwrap();
        }
        self.spawn();
        assert!(
            self.listening().await,
            "mosquitto restarted on port {}",
            self.port
        );
    }
}

#[tokio::test]
async fn gateway_client_through_mosquitto_survives_a_broker_restart() {
    let Some(tools) = mosquitto_tools(&["mosquitto"]) else {
        return;
    };
    let mut broker = Broker::start(&tools[0]).await;
    // The gateway, and a stand-in for a server that reads uplinks and writes downlinks.
    let mut gateway =
        GatewayMqttClient::connect(fast_config(broker.port), MqttVersion::V3, uid_one());
    let mut server = MqttLink::connect(
        fast_config(broker.port).publish_qos(QoS::AtLeastOnce),
        vec!["v3/+/up".into()],
    );

    for round in 1..=2u8 {
        ready(gateway.link(), u64::from(round)).await;
        ready(&server, u64::from(round)).await;

        gateway.publish_uplink(&sample_uplink(round)).await.unwrap();
        let (topic, payload) = tokio::time::timeout(STEP, server.next_publish())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(topic, "v3/gw-one/up");
        assert_eq!(
            UplinkMessage::decode(payload).unwrap(),
            sample_uplink(round)
        );

        let mut down = sample_downlink();
        down.correlation_ids = vec![format!("round:{round}")];
        server
            .publish(
                "v3/gw-one/down".into(),
                gateway_down(down.clone()).encode_to_vec(),
            )
            .await
            .unwrap();
        // QoS 1 is at least once: a downlink of round 1 whose PUBACK the restart cut off is
        // sent again after the reconnection and may come first.
        let got = loop {
            let got = tokio::time::timeout(STEP, gateway.next_downlink())
                .await
                .unwrap()
                .unwrap();
            if round == 2 && got.correlation_ids == ["round:1"] {
                continue;
            }
            break got;
        };
        assert_eq!(got, down, "round {round}");

        if round == 1 {
            broker.restart().await;
        }
    }
}

#[tokio::test]
async fn upstream_broker_publishes_events_and_takes_downlinks() {
    let Some(tools) = mosquitto_tools(&["mosquitto"]) else {
        return;
    };
    let broker = Broker::start(&tools[0]).await;
    let mut upstream = UpstreamBroker::connect(fast_config(broker.port).client_id("gs-a"), "gs");
    let mut peer = MqttLink::connect(
        fast_config(broker.port),
        vec![
            "gs/gateway/+/event/up".into(),
            "gs/gateway/+/state/conn".into(),
        ],
    );
    tokio::time::timeout(STEP, upstream.link().wait_for(|s| s.connected))
        .await
        .unwrap();
    ready(&peer, 1).await;

    // Connected: the retained state, and the command subscription.
    let connected = GatewayEvent::Connected {
        gateway: gw_one(),
        protocol: Protocol::MqttV3,
        remote: None,
    };
    upstream.publish_event(&connected).unwrap();
    let (topic, payload) = tokio::time::timeout(STEP, peer.next_publish())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(topic, "gs/gateway/gw-one/state/conn");
    assert_eq!(
        &payload[..],
        br#"{"gateway_id":"gw-one","state":"ONLINE","instance":"gs-a","protocol":"mqtt-v3"}"#
    );
    tokio::time::timeout(STEP, upstream.link().wait_for(|s| s.is_ready()))
        .await
        .unwrap();

    let event = GatewayEvent::Uplink {
        gateway: gw_one(),
        protocol: Protocol::MqttV3,
        message: sample_uplink(5),
    };
    upstream.publish_event(&event).unwrap();
    let (topic, payload) = tokio::time::timeout(STEP, peer.next_publish())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(topic, "gs/gateway/gw-one/event/up");
    assert_eq!(UplinkMessage::decode(payload).unwrap(), sample_uplink(5));

    // The subscription may still be on its way: publish until the command arrives.
    let command = tokio::time::timeout(STEP, async {
        loop {
            peer.publish(
                "gs/gateway/gw-one/command/down".into(),
                sample_downlink().encode_to_vec(),
            )
            .await
            .unwrap();
            if let Ok(command) =
                tokio::time::timeout(Duration::from_millis(200), upstream.next_command()).await
            {
                return command.unwrap();
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(
        command,
        GatewayCommand::Downlink {
            gateway: GatewayIds::new(GW_ONE, None),
            message: sample_downlink(),
        }
    );
}

/// `mqtts://`: a link trusting the broker's CA connects over TLS and exchanges a QoS 1
/// message; a link trusting another CA is refused by the TLS handshake.
#[cfg(feature = "mqtt-client-tls")]
#[tokio::test]
async fn links_reach_a_tls_broker_with_its_ca() {
    use loragw_gateway_io::transport::mqtt_client::ClientTls;

    let Some(tools) = mosquitto_tools(&["mosquitto"]) else {
        return;
    };
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let dir = TempDir::new("mosquitto-tls");
    let cert = dir.file("cert.pem", certified.cert.pem().as_bytes());
    let key = dir.file("key.pem", certified.signing_key.serialize_pem().as_bytes());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.file(
        "mosquitto.conf",
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\ncertfile {}\nkeyfile {}\n",
            cert.display(),
            key.display()
        )
        .as_bytes(),
    );
    let _broker = Command::new(&tools[0])
        .arg("-c")
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let trusted = ClientTls::from_pem(certified.cert.pem().as_bytes(), None).unwrap();
    let mut link = MqttLink::connect(
        fast_config(port).tls(trusted).publish_qos(QoS::AtLeastOnce),
        vec!["t/#".into()],
    );
    ready(&link, 1).await;
    link.publish("t/x".into(), b"over tls".to_vec())
        .await
        .unwrap();
    let (topic, payload) = tokio::time::timeout(STEP, link.next_publish())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((topic.as_str(), &payload[..]), ("t/x", &b"over tls"[..]));

    let untrusted = ClientTls::from_pem(other.cert.pem().as_bytes(), None).unwrap();
    let refused = MqttLink::connect(fast_config(port).tls(untrusted), vec![]);
    let status = tokio::time::timeout(STEP, refused.wait_for(|s| s.last_error.is_some()))
        .await
        .unwrap();
    assert!(!status.connected, "{status:?}");
    assert_eq!(status.connections, 0);
    assert!(ClientTls::from_pem(b"not pem", None).is_err());
}
