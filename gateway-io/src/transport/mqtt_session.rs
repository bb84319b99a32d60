//! One gateway's MQTT connection: frames packets with rumqttc's codec, answers what MQTT itself
//! asks for (CONNACK, SUBACK, PUBACK, PINGRESP), passes every packet to the listener's driver
//! (CONNECT, SUBSCRIBE, UNSUBSCRIBE, PUBLISH, and the others as "heard") and writes the
//! downlinks it is given. Keep-alive, the publish rate limit and holding downlinks until the
//! gateway subscribed are the sans-IO frontend's; the driver closes this connection when the
//! frontend says so. See [`mqtt_server`](super::mqtt_server).

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use rumqttc::mqttbytes::v4::{
    ConnAck, ConnectReturnCode, Login, Packet, PubAck, PubComp, PubRec, Publish, SubAck,
    SubscribeReasonCode, UnsubAck,
};
use rumqttc::mqttbytes::{Error as CodecError, QoS};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{mpsc, oneshot};
use tokio::time::timeout;

use super::accept::Accepted;
use super::listener::RefusalReason;
use super::mqtt_link::{Downlink, Input, PublishOutcome, Shared};
use crate::event::DisconnectReason;
use crate::frontend::ConnectionId;
use crate::frontend::mqtt::{MqttError, MqttVersion, authenticate_connect};
use crate::ids::GatewayIds;
use crate::registry::AuthError;

/// How much the read buffer grows per read: small, since an idle connection keeps this much
/// (a large packet grows the buffer as it arrives, see [`Wire::fill`]).
const READ_CHUNK: usize = 512;

/// An empty read buffer larger than this (left by a large packet) is released before the next
/// read, so a connection that once received a large PUBLISH does not keep its buffer.
const KEPT_READ_CAPACITY: usize = 4 * READ_CHUNK;

/// The connection's stream halves and buffers.
struct Wire<S> {
    reader: ReadHalf<S>,
    writer: WriteHalf<S>,
    /// Received bytes not yet framed: at most about twice one packet (reads double the
    /// buffer), since a packet over the bound is refused from its header.
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

impl<S: AsyncRead + AsyncWrite> Wire<S> {
    /// The next complete packet already in the buffer, if any.
    fn framed(&mut self) -> Result<Option<Packet>, ReadError> {
        match Packet::read(&mut self.inbuf, self.max_packet_size) {
            Ok(packet) => Ok(Some(packet)),
            Err(CodecError::InsufficientBytes(_)) => Ok(None),
            Err(e) => Err(ReadError::Codec(e)),
        }
    }

    /// Reads more bytes into the buffer (cancel safe). The buffer grows by at least
    /// [`READ_CHUNK`] per read (doubling as a large packet arrives) and goes back to that once
    /// it is empty.
    async fn fill(&mut self) -> Result<(), ReadError> {
        if self.inbuf.is_empty() && self.inbuf.capacity() > KEPT_READ_CAPACITY {
            self.inbuf = BytesMut::new();
        }
        self.inbuf.reserve(READ_CHUNK.max(self.inbuf.len()));
        match self.reader.read_buf(&mut self.inbuf).await {
            Ok(0) => Err(ReadError::Closed),
            Ok(_) => Ok(()),
            Err(e) => Err(ReadError::Io(e)),
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

/// The CONNACK code for a refused CONNECT: `0x04` for every unknown gateway or bad key alike
/// (an unauthenticated client cannot tell them apart), `0x05` for a valid key without the link
/// right.
fn refusal_code(e: &MqttError) -> ConnectReturnCode {
    match e {
        MqttError::Unauthorized(AuthError::MissingRight { .. }) => ConnectReturnCode::NotAuthorized,
        MqttError::BadUsername(_) | MqttError::Unauthorized(_) => {
            ConnectReturnCode::BadUserNamePassword
        }
        _ => ConnectReturnCode::ServiceUnavailable,
    }
}

/// The protocol level of the CONNECT at the start of `buf`, once its bytes up to the level
/// have arrived: `None` while incomplete or when `buf` does not start with a CONNECT (the
/// codec then says what is wrong). Read before rumqttc's 3.1.1 codec, which fails on an MQTT 5
/// body before its own protocol-level check.
fn connect_level(buf: &[u8]) -> Option<u8> {
    if buf.first()? >> 4 != 1 {
        return None;
    }
    // The remaining length: 1 to 4 bytes, 7 bits each, high bit "more".
    let mut at = 1;
    loop {
        let b = *buf.get(at)?;
        at += 1;
        if b & 0x80 == 0 {
            break;
        }
        if at > 4 {
            return None;
        }
    }
    let name_len = usize::from(u16::from_be_bytes([*buf.get(at)?, *buf.get(at + 1)?]));
    buf.get(at + 2 + name_len).copied()
}

/// The username and password of a CONNECT; rumqttc reads an absent one as empty.
fn login_parts(login: Option<Login>) -> (String, Option<String>) {
    match login {
        Some(Login { username, password }) => (username, Some(password).filter(|p| !p.is_empty())),
        None => (String::new(), None),
    }
}

/// Reads the CONNECT: `Ok(None)` when the socket should just be closed (not a CONNECT,
/// malformed, closed, too slow), `Err(())` after a CONNACK refusing the protocol version.
async fn read_connect<S: AsyncRead + AsyncWrite>(
    wire: &mut Wire<S>,
) -> Result<Option<rumqttc::mqttbytes::v4::Connect>, ()> {
    let refuse = Packet::ConnAck(ConnAck::new(
        ConnectReturnCode::RefusedProtocolVersion,
        false,
    ));
    loop {
        // MQTT 5 (level 5) and any level but 3.1.1's 4: "unacceptable protocol version".
        if let Some(level) = connect_level(&wire.inbuf)
            && level != 4
        {
            let _ = wire.write(refuse).await;
            return Err(());
        }
        match wire.framed() {
            Ok(Some(Packet::Connect(connect))) => {
                if connect.protocol != rumqttc::mqttbytes::Protocol::V4 {
                    let _ = wire.write(refuse).await;
                    return Err(());
                }
                return Ok(Some(connect));
            }
            // MQTT 3.1 (`MQIsdp`, level 3) and other names.
            Err(ReadError::Codec(
                CodecError::InvalidProtocolLevel(_) | CodecError::InvalidProtocol,
            )) => {
                let _ = wire.write(refuse).await;
                return Err(());
            }
            Ok(Some(_)) | Err(_) => return Ok(None),
            Ok(None) => {}
        }
        if wire.fill().await.is_err() {
            return Ok(None);
        }
    }
}

/// Serves one accepted connection until it ends.
pub(crate) async fn serve(accepted: Accepted, shared: Arc<Shared>) {
    let Accepted {
        id: connection,
        stream,
        remote,
        deadline,
        ..
    } = accepted;
    let (reader, writer) = tokio::io::split(stream);
    let settings = &shared.settings;
    let mut wire = Wire {
        reader,
        writer,
        inbuf: BytesMut::with_capacity(READ_CHUNK),
        outbuf: BytesMut::with_capacity(256),
        max_packet_size: settings.max_packet_size,
        write_timeout: settings.limits.write_timeout,
    };

    let refuse = |code| Packet::ConnAck(ConnAck::new(code, false));
    let connect = match tokio::time::timeout_at(deadline, read_connect(&mut wire)).await {
        Ok(Ok(Some(connect))) => connect,
        Ok(Ok(None)) => return,
        Ok(Err(())) => {
            shared.stats.refused(RefusalReason::UnsupportedProtocol);
            shared
                .log
                .refused(remote, RefusalReason::UnsupportedProtocol, "MQTT version");
            return;
        }
        Err(_) => {
            shared.stats.refused(RefusalReason::HandshakeTimeout);
            shared
                .log
                .refused(remote, RefusalReason::HandshakeTimeout, "CONNECT");
            return;
        }
    };

    // The key check runs off the driver (and off this runtime's workers): a slow registry
    // stalls only this client.
    let (username, password) = login_parts(connect.login);
    // The identity claimed, for the refusal report (bounded: the username is the client's).
    let claimed = GatewayIds::new(username.chars().take(64).collect::<String>(), None);
    let registry = shared.registry.clone();
    let checked = tokio::task::spawn_blocking(move || {
        authenticate_connect(&*registry, &username, password.as_deref())
    })
    .await;
    let (uid, record) = match checked {
        Ok(Ok(ok)) => ok,
        Ok(Err(e)) => {
            shared.stats.refused(RefusalReason::Unauthenticated);
            shared.log.gateway_refused(remote, claimed, &e.to_string());
            let _ = wire.write(refuse(refusal_code(&e))).await;
            return;
        }
        Err(e) => {
            // The registry panicked: the connection goes, the listener stays.
            tracing::error!(%remote, error = %e, "MQTT registry lookup failed");
            if e.is_panic() {
                shared.stats.panicked();
            }
            let _ = wire
                .write(refuse(ConnectReturnCode::ServiceUnavailable))
                .await;
            return;
        }
    };

    let queue = settings.frontend.tokens_capacity.max(1);
    let (downlinks_tx, downlinks) = mpsc::channel(queue);
    let (open, closed) = oneshot::channel();
    let (reply, connected) = oneshot::channel();
    let input = Input::Connect {
        connection,
        uid,
        record: Box::new(record),
        remote,
        keep_alive: connect.keep_alive,
        downlinks: downlinks_tx,
        open,
        reply,
    };
    if shared.inputs.send(input).await.is_err() {
        return;
    }
    match connected.await {
        Ok(Ok(gateway)) => {
            tracing::debug!(%remote, %gateway, ?connection, "MQTT gateway connected")
        }
        Ok(Err(reason)) => {
            shared.stats.refused(reason);
            shared.log.refused(remote, reason, "MQTT CONNECT");
            let _ = wire
                .write(refuse(ConnectReturnCode::ServiceUnavailable))
                .await;
            return;
        }
        Err(_) => return,
    }
    if let Err(reason) = wire
        .write(Packet::ConnAck(ConnAck::new(
            ConnectReturnCode::Success,
            false,
        )))
        .await
    {
        let _ = shared
            .inputs
            .send(Input::Closed { connection, reason })
            .await;
        return;
    }

    let mut session = Session {
        shared: &shared,
        wire,
        connection,
    };
    let reason = session.run(downlinks, closed).await;
    let _ = timeout(
        settings.limits.write_timeout,
        session.wire.writer.shutdown(),
    )
    .await;
    if let Some(reason) = reason {
        tracing::debug!(%remote, ?connection, %reason, "MQTT gateway disconnected");
        let _ = shared
            .inputs
            .send(Input::Closed { connection, reason })
            .await;
    }
}

/// An accepted connection.
struct Session<'a, S> {
    shared: &'a Shared,
    wire: Wire<S>,
    connection: ConnectionId,
}

impl<S: AsyncRead + AsyncWrite> Session<'_, S> {
    /// Serves packets until the connection ends; the reason, or `None` when the driver closed
    /// it (it already knows why).
    async fn run(
        &mut self,
        mut downlinks: mpsc::Receiver<Box<Downlink>>,
        mut closed: oneshot::Receiver<()>,
    ) -> Option<DisconnectReason> {
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
                    Err(e) => return Some(e.into()),
                }
            }
            tokio::select! {
                _ = &mut closed => return None,
                read = self.wire.fill() => {
                    if let Err(e) = read {
                        return Some(e.into());
                    }
                }
                Some(downlink) = downlinks.recv() => {
                    let Downlink { id, topic, payload } = *downlink;
                    let publish = Publish::from_bytes(topic, QoS::AtMostOnce, payload);
                    if let Err(reason) = self.wire.write(Packet::Publish(publish)).await {
                        return Some(reason);
                    }
                    // Only v2 downlinks end when written (v3 ones wait for the gateway's ack).
                    if self.shared.settings.frontend.version == MqttVersion::V2 {
                        let written = Input::Written { connection: self.connection, downlink: id };
                        if self.shared.inputs.send(written).await.is_err() {
                            return Some(DisconnectReason::Shutdown);
                        }
                    }
                }
            }
        }
    }

    /// Asks the driver; `Err(None)` when it is gone (shutting down).
    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Input,
    ) -> Result<T, Option<DisconnectReason>> {
        let (reply, answer) = oneshot::channel();
        if self.shared.inputs.send(make(reply)).await.is_err() {
            return Err(Some(DisconnectReason::Shutdown));
        }
        answer.await.map_err(|_| Some(DisconnectReason::Shutdown))
    }

    async fn handle_packet(&mut self, packet: Packet) -> Result<(), Option<DisconnectReason>> {
        let connection = self.connection;
        match packet {
            Packet::Publish(publish) => {
                let outcome = self
                    .ask(|reply| Input::Publish {
                        connection,
                        topic: publish.topic,
                        payload: publish.payload,
                        reply,
                    })
                    .await?;
                if let PublishOutcome::Denied(reason) = outcome {
                    // MQTT 3.1.1 cannot refuse one publish: the connection ends.
                    return Err(Some(DisconnectReason::ProtocolError(format!(
                        "publish refused: {reason}"
                    ))));
                }
                let ack = match publish.qos {
                    QoS::AtMostOnce => return Ok(()),
                    QoS::AtLeastOnce => Packet::PubAck(PubAck::new(publish.pkid)),
                    QoS::ExactlyOnce => Packet::PubRec(PubRec::new(publish.pkid)),
                };
                self.write(ack).await
            }
            Packet::PubRel(rel) => {
                self.heard().await?;
                self.write(Packet::PubComp(PubComp::new(rel.pkid))).await
            }
            Packet::Subscribe(subscribe) => {
                let filters: Vec<String> =
                    subscribe.filters.iter().map(|f| f.path.clone()).collect();
                let granted = self
                    .ask(|reply| Input::Subscribe {
                        connection,
                        filters,
                        reply,
                    })
                    .await?;
                let codes = subscribe
                    .filters
                    .iter()
                    .zip(granted)
                    .map(|(filter, granted)| {
                        if granted {
                            SubscribeReasonCode::Success(filter.qos)
                        } else {
                            SubscribeReasonCode::Failure
                        }
                    })
                    .collect();
                self.write(Packet::SubAck(SubAck::new(subscribe.pkid, codes)))
                    .await
            }
            Packet::Unsubscribe(unsubscribe) => {
                let filters = unsubscribe.topics;
                let input = Input::Unsubscribe {
                    connection,
                    filters,
                };
                if self.shared.inputs.send(input).await.is_err() {
                    return Err(Some(DisconnectReason::Shutdown));
                }
                self.write(Packet::UnsubAck(UnsubAck::new(unsubscribe.pkid)))
                    .await
            }
            Packet::PingReq => {
                self.heard().await?;
                self.write(Packet::PingResp).await
            }
            Packet::Disconnect => Err(Some(DisconnectReason::ClosedByGateway)),
            // Downlinks go out with QoS 0, so acknowledgements are unexpected but harmless.
            Packet::PubAck(_) | Packet::PubRec(_) | Packet::PubComp(_) => self.heard().await,
            Packet::Connect(_) => Err(Some(DisconnectReason::ProtocolError(
                "a second CONNECT".into(),
            ))),
            Packet::ConnAck(_) | Packet::SubAck(_) | Packet::UnsubAck(_) | Packet::PingResp => {
                Err(Some(DisconnectReason::ProtocolError(
                    "a server-to-client packet from the client".into(),
                )))
            }
        }
    }

    /// Tells the driver the gateway sent a packet (it keeps the connection alive).
    async fn heard(&self) -> Result<(), Option<DisconnectReason>> {
        let input = Input::Heard {
            connection: self.connection,
        };
        if self.shared.inputs.send(input).await.is_err() {
            return Err(Some(DisconnectReason::Shutdown));
        }
        Ok(())
    }

    async fn write(&mut self, packet: Packet) -> Result<(), Option<DisconnectReason>> {
        self.wire.write(packet).await.map_err(Some)
    }
}
