//! A raw MQTT 3.1.1 client on rumqttc's packet codec, for the tests of the MQTT listener's
//! protocol edges, and a v3 server with a short CONNECT timeout to point it at.

use std::time::Duration;

use bytes::BytesMut;
use loragw_gateway_io::frontend::mqtt::MqttVersion;
use loragw_gateway_io::transport::mqtt_server::MqttSettings;
use loragw_gateway_io::transport::{GatewayServer, ListenerKind};
use rumqttc::mqttbytes::v4::{ConnAck, Connect, Packet, Publish};
use rumqttc::mqttbytes::{Error as CodecError, QoS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::{STEP, registry};

/// A v3 server whose CONNECT timeout is short, and its port.
pub async fn start() -> (GatewayServer, u16) {
    let settings =
        MqttSettings::new(MqttVersion::V3).with_connect_timeout(Duration::from_millis(300));
    let server = GatewayServer::builder()
        .shared_registry(registry())
        .mqtt_with("127.0.0.1:0", settings)
        .start()
        .await
        .unwrap();
    let port = server.local_addr(ListenerKind::MqttV3).unwrap().port();
    (server, port)
}

/// A client that writes and reads raw MQTT packets.
pub struct Raw {
    pub stream: TcpStream,
    pub buf: BytesMut,
}

impl Raw {
    pub async fn open(port: u16) -> Raw {
        Raw {
            stream: TcpStream::connect(("127.0.0.1", port)).await.unwrap(),
            buf: BytesMut::new(),
        }
    }

    /// Opens and sends CONNECT as `user` / `pass`, returning the CONNACK code.
    pub async fn connect(port: u16, user: &str, pass: &str, keep_alive: u16) -> (Raw, ConnAck) {
        let mut raw = Raw::open(port).await;
        let mut connect = Connect::new(format!("raw-{user}"));
        connect.keep_alive = keep_alive;
        connect.set_login(user, pass);
        raw.send(Packet::Connect(connect)).await;
        match raw.recv().await {
            Some(Packet::ConnAck(ack)) => (raw, ack),
            other => panic!("expected CONNACK, got {other:?}"),
        }
    }

    pub async fn send(&mut self, packet: Packet) {
        let mut bytes = BytesMut::new();
        packet.write(&mut bytes, 1 << 20).unwrap();
        self.send_bytes(&bytes).await;
    }

    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// The next packet, or `None` when the server closed the connection.
    pub async fn recv(&mut self) -> Option<Packet> {
        timeout(STEP, async {
            loop {
                match Packet::read(&mut self.buf, 1 << 20) {
                    Ok(packet) => return Some(packet),
                    Err(CodecError::InsufficientBytes(_)) => {}
                    Err(e) => panic!("server sent a malformed packet: {e}"),
                }
                match self.stream.read_buf(&mut self.buf).await {
                    Ok(0) | Err(_) => return None,
                    Ok(_) => {}
                }
            }
        })
        .await
        .expect("a packet or a close within the step timeout")
    }
}

pub fn publish(topic: &str, qos: QoS, pkid: u16, payload: Vec<u8>) -> Packet {
    let mut publish = Publish::new(topic, qos, payload);
    publish.pkid = pkid;
    Packet::Publish(publish)
}
