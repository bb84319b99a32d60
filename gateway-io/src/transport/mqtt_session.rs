//! One gateway's MQTT connection: CONNECT and authentication, then packets in, events out,
//! downlinks out. See [`mqtt_server`](super::mqtt_server) for the behaviour.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::BytesMut;
use loragw_mqtt_v3::{Credentials, DownlinkTokens, GatewayUid};
use loragw_ttnpb::Timestamp;
use rumqttc::mqttbytes::v4::{
    ConnAck, ConnectReturnCode, Packet, PubAck, PubComp, PubRec, Publish, SubAck,
    SubscribeReasonCode, UnsubAck,
};
use rumqttc::mqttbytes::{Error as CodecError, QoS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep_until, timeout};

use crate::event::{DisconnectReason, GatewayEvent};
use crate::ids::GatewayIds;
use crate::registry::{AuthError, Credential, Right};
use crate::transport::mqtt_format::{Inbound, authorize_subscribe, handle_publish};
use crate::transport::mqtt_server::{Outgoing, Route, Shared};

/// How much the read buffer grows per read.
const READ_CHUNK: usize = 4096;

/// The connection's sockets and buffers.
struct Wire {
    reader: OwnedReadHalf,
    writer: OwnedWriteHalf,
    /// Received bytes not yet framed; at most one packet plus one read chunk.
    inbuf: BytesMut,
    outbuf: BytesMut,
    max_packet_size: usize,
    write_timeout: Duration,
}

/// Why reading a packet failed.
enum ReadError {
    Closed,
    Io(std::io::Error),
    Codec(CodecError),
}

impl From<ReadError> for DisconnectReason {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Closed => DisconnectReason::ClosedByGateway,
            ReadError::Io(e) => DisconnectReason::Transport(e.to_string()),
            ReadError::Codec(e) => DisconnectReason::ProtocolError(format!("MQTT packet: {e}")),
        }
    }
}

impl Wire {
    /// The next complete packet already in the buffer, if any.
    fn framed(&mut self) -> Result<Option<Packet>, ReadError> {
        match Packet::read(&mut self.inbuf, self.max_packet_size) {
            Ok(packet) => Ok(Some(packet)),
            Err(CodecError::InsufficientBytes(_)) => Ok(None),
            Err(e) => Err(ReadError::Codec(e)),
        }
    }

    /// Reads more bytes into the buffer (cancel safe).
    async fn fill(&mut self) -> Result<(), ReadError> {
        self.inbuf.reserve(READ_CHUNK);
        match self.reader.read_buf(&mut self.inbuf).await {
            Ok(0) => Err(ReadError::Closed),
            Ok(_) => Ok(()),
            Err(e) => Err(ReadError::Io(e)),
        }
    }

    async fn read_packet(&mut self) -> Result<Packet, ReadError> {
        loop {
            if let Some(packet) = self.framed()? {
                return Ok(packet);
            }
            self.fill().await?;
        }
    }

    async fn write(&mut self, packet: Packet) -> Result<(), DisconnectReason> {
        self.outbuf.clear();
        packet
            .write(&mut self.outbuf, self.max_packet_size)
            .map_err(|e| DisconnectReason::ProtocolError(format!("encoding a packet: {e}")))?;
        match timeout(self.write_timeout, self.writer.write_all(&self.outbuf)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(DisconnectReason::Transport(e.to_string())),
            Err(_) => Err(DisconnectReason::Transport("write timed out".into())),
        }
    }
}

fn now_timestamp() -> Option<Timestamp> {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
    crate::adapter::timestamp(i64::try_from(since.as_secs()).ok()?, since.subsec_nanos())
}

/// The CONNACK code for a CONNECT's credentials, and the gateway uid when accepted.
fn check_credentials(
    shared: &Shared,
    login: Option<&rumqttc::mqttbytes::v4::Login>,
) -> Result<(GatewayUid, GatewayIds), ConnectReturnCode> {
    let username = login.map(|l| l.username.as_str()).filter(|u| !u.is_empty());
    let password = login
        .map(|l| l.password.as_bytes())
        .filter(|p| !p.is_empty());
    let credentials = Credentials::from_connect(username, password)
        .map_err(|_| ConnectReturnCode::BadUserNamePassword)?;
    let uid = credentials
        .uid()
        .map_err(|_| ConnectReturnCode::BadUserNamePassword)?;
    // The registry is single-tenant: a `gateway@tenant` uid is authenticated by gateway id.
    match shared.auth.authenticate(
        &uid.gateway_id,
        Credential::Password(credentials.api_key()),
        Right::Link,
    ) {
        Ok(()) => {}
        Err(AuthError::MissingRight { .. }) => return Err(ConnectReturnCode::NotAuthorized),
        Err(_) => return Err(ConnectReturnCode::BadUserNamePassword),
    }
    let ids = shared
        .registry
        .as_ref()
        .and_then(|r| r.gateway_by_id(&uid.gateway_id))
        .map(|record| record.ids)
        .unwrap_or_else(|| GatewayIds::new(uid.gateway_id.clone(), None));
    Ok((uid, ids))
}

/// Serves one accepted connection until it ends.
pub(crate) async fn run(shared: Arc<Shared>, stream: TcpStream, remote: SocketAddr) {
    let (reader, writer) = stream.into_split();
    let mut wire = Wire {
        reader,
        writer,
        inbuf: BytesMut::with_capacity(READ_CHUNK),
        outbuf: BytesMut::with_capacity(256),
        max_packet_size: shared.config.max_packet_size,
        write_timeout: shared.config.write_timeout,
    };

    let connect = match timeout(shared.config.connect_timeout, wire.read_packet()).await {
        Ok(Ok(Packet::Connect(connect))) => connect,
        Ok(Err(ReadError::Codec(CodecError::InvalidProtocolLevel(_)))) => {
            let refused = ConnAck::new(ConnectReturnCode::RefusedProtocolVersion, false);
            let _ = wire.write(Packet::ConnAck(refused)).await;
            return;
        }
        // Not a CONNECT, malformed, closed or too slow: MQTT says close without a CONNACK.
        _ => return,
    };
    if connect.protocol != rumqttc::mqttbytes::Protocol::V4 {
        let refused = ConnAck::new(ConnectReturnCode::RefusedProtocolVersion, false);
        let _ = wire.write(Packet::ConnAck(refused)).await;
        return;
    }
    let (uid, gateway) = match check_credentials(&shared, connect.login.as_ref()) {
        Ok(accepted) => accepted,
        Err(code) => {
            let _ = wire.write(Packet::ConnAck(ConnAck::new(code, false))).await;
            return;
        }
    };
    if wire
        .write(Packet::ConnAck(ConnAck::new(
            ConnectReturnCode::Success,
            false,
        )))
        .await
        .is_err()
    {
        return;
    }

    let conn_id = shared.next_conn_id();
    let (outbox, outbox_rx) = mpsc::channel(shared.config.downlink_queue.max(1));
    let (kill, kill_rx) = oneshot::channel();
    let tokens = shared.tokens(&gateway.gateway_id);
    let protocol = shared.config.format.protocol();
    let route = Route {
        conn_id,
        uid: uid.clone(),
        outbox,
        kill: Some(kill),
        tokens: tokens.clone(),
        gateway: gateway.clone(),
    };

    let gate = shared.gate(&gateway.gateway_id);
    {
        let _order = gate.lock().await;
        let replaced = shared.routes().insert(gateway.gateway_id.clone(), route);
        if let Some(mut old) = replaced {
            if let Some(kill) = old.kill.take() {
                let _ = kill.send(DisconnectReason::Replaced);
            }
            let _ = shared
                .events
                .send(GatewayEvent::Disconnected {
                    gateway: old.gateway,
                    protocol,
                    reason: DisconnectReason::Replaced,
                })
                .await;
        }
        let _ = shared
            .events
            .send(GatewayEvent::Connected {
                gateway: gateway.clone(),
                protocol,
                remote: Some(remote),
            })
            .await;
    }

    let mut session = Session {
        shared: shared.clone(),
        wire,
        uid,
        gateway: gateway.clone(),
        tokens,
        subscriptions: Vec::new(),
        keep_alive: (connect.keep_alive > 0)
            .then(|| Duration::from_millis(u64::from(connect.keep_alive) * 1500)),
    };
    let reason = session.serve(outbox_rx, kill_rx).await;
    let mut wire = session.wire;
    let _ = wire.writer.shutdown().await;

    let _order = gate.lock().await;
    let current = {
        let mut routes = shared.routes();
        let mine = routes
            .get(&gateway.gateway_id)
            .is_some_and(|r| r.conn_id == conn_id);
        if mine {
            routes.remove(&gateway.gateway_id);
        }
        mine
    };
    // A replaced connection was reported by its successor.
    if current {
        let _ = shared
            .events
            .send(GatewayEvent::Disconnected {
                gateway,
                protocol,
                reason,
            })
            .await;
    }
}

/// An accepted, registered connection.
struct Session {
    shared: Arc<Shared>,
    wire: Wire,
    uid: GatewayUid,
    gateway: GatewayIds,
    tokens: Arc<Mutex<DownlinkTokens<loragw_ttnpb::DownlinkMessage>>>,
    /// Filters the gateway subscribed with and was granted (all narrowed to its `down` topic).
    subscriptions: Vec<String>,
    /// 1.5 × the CONNECT keep-alive; `None` when the gateway asked for none.
    keep_alive: Option<Duration>,
}

impl Session {
    async fn serve(
        &mut self,
        mut outbox: mpsc::Receiver<Outgoing>,
        mut kill: oneshot::Receiver<DisconnectReason>,
    ) -> DisconnectReason {
        let mut shutdown = self.shared.shutdown.clone();
        if *shutdown.borrow() {
            return DisconnectReason::Shutdown;
        }
        let mut last_heard = Instant::now();
        loop {
            // Packets that arrived together with earlier ones (or right after CONNECT).
            loop {
                match self.wire.framed() {
                    Ok(Some(packet)) => {
                        if let Err(reason) = self.handle_packet(packet).await {
                            return reason;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => return e.into(),
                }
            }
            let deadline = self.keep_alive.map(|k| last_heard + k);
            let subscribed = !self.subscriptions.is_empty();
            tokio::select! {
                reason = &mut kill => return reason.unwrap_or(DisconnectReason::Shutdown),
                _ = shutdown.changed() => return DisconnectReason::Shutdown,
                read = self.wire.fill() => {
                    if let Err(e) = read {
                        return e.into();
                    }
                    last_heard = Instant::now();
                }
                Some(Outgoing::Publish { topic, payload }) = outbox.recv(), if subscribed => {
                    let publish = Publish::from_bytes(topic, QoS::AtMostOnce, payload);
                    if let Err(reason) = self.wire.write(Packet::Publish(publish)).await {
                        return reason;
                    }
                }
                () = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    return DisconnectReason::Timeout;
                }
            }
        }
    }

    async fn emit(&self, event: GatewayEvent) {
        let _ = self.shared.events.send(event).await;
    }

    async fn handle_packet(&mut self, packet: Packet) -> Result<(), DisconnectReason> {
        match packet {
            Packet::Publish(publish) => self.handle_publish(publish).await,
            Packet::PubRel(rel) => {
                self.wire
                    .write(Packet::PubComp(PubComp::new(rel.pkid)))
                    .await
            }
            Packet::Subscribe(subscribe) => {
                let format = self.shared.config.format;
                let codes = subscribe
                    .filters
                    .iter()
                    .map(
                        |filter| match authorize_subscribe(format, &self.uid, &filter.path) {
                            Ok(_narrowed) => {
                                if !self.subscriptions.contains(&filter.path) {
                                    self.subscriptions.push(filter.path.clone());
                                }
                                SubscribeReasonCode::Success(filter.qos)
                            }
                            Err(_reason) => SubscribeReasonCode::Failure,
                        },
                    )
                    .collect();
                let suback = SubAck::new(subscribe.pkid, codes);
                self.wire.write(Packet::SubAck(suback)).await
            }
            Packet::Unsubscribe(unsubscribe) => {
                self.subscriptions
                    .retain(|f| !unsubscribe.topics.contains(f));
                let unsuback = UnsubAck::new(unsubscribe.pkid);
                self.wire.write(Packet::UnsubAck(unsuback)).await
            }
            Packet::PingReq => self.wire.write(Packet::PingResp).await,
            Packet::Disconnect => Err(DisconnectReason::ClosedByGateway),
            // Downlinks go out with QoS 0, so acknowledgements are unexpected but harmless.
            Packet::PubAck(_) | Packet::PubRec(_) | Packet::PubComp(_) => Ok(()),
            Packet::Connect(_) => Err(DisconnectReason::ProtocolError("a second CONNECT".into())),
            Packet::ConnAck(_) | Packet::SubAck(_) | Packet::UnsubAck(_) | Packet::PingResp => Err(
                DisconnectReason::ProtocolError("a server-to-client packet from the client".into()),
            ),
        }
    }

    async fn handle_publish(&mut self, publish: Publish) -> Result<(), DisconnectReason> {
        let handled = handle_publish(
            self.shared.config.format,
            &self.uid,
            &self.gateway,
            &publish.topic,
            &publish.payload,
            &self.tokens,
            now_timestamp(),
        );
        let protocol = self.shared.config.format.protocol();
        match handled {
            // MQTT 3.1.1 cannot refuse one publish: the connection ends.
            Err(denied) => {
                return Err(DisconnectReason::ProtocolError(format!(
                    "publish to `{}` refused: {}",
                    publish.topic, denied.0
                )));
            }
            // A bad payload is dropped; the connection stays up.
            Ok(Err(_undecodable)) => {}
            Ok(Ok(inbound)) => {
                let gateway = self.gateway.clone();
                let event = match inbound {
                    Inbound::Uplink(message) => Some(GatewayEvent::Uplink {
                        gateway,
                        protocol,
                        message,
                    }),
                    Inbound::Status(status) => Some(GatewayEvent::Status {
                        gateway,
                        protocol,
                        status,
                    }),
                    Inbound::TxAck(ack) => Some(GatewayEvent::TxAck {
                        gateway,
                        protocol,
                        ack,
                    }),
                    Inbound::Ignored => None,
                };
                if let Some(event) = event {
                    self.emit(event).await;
                }
            }
        }
        match publish.qos {
            QoS::AtMostOnce => Ok(()),
            QoS::AtLeastOnce => {
                self.wire
                    .write(Packet::PubAck(PubAck::new(publish.pkid)))
                    .await
            }
            QoS::ExactlyOnce => {
                self.wire
                    .write(Packet::PubRec(PubRec::new(publish.pkid)))
                    .await
            }
        }
    }
}
