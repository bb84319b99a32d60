//! The MQTT frontend (v3 or v2): gateways connected to an MQTT server, seen through the one
//! model.
//!
//! The transport (an MQTT 3.1.1 server) decodes packets and calls:
//! [`handle_connect`](MqttFrontend::handle_connect) for CONNECT (username = gateway uid,
//! password = API key), [`handle_subscribe`](MqttFrontend::handle_subscribe),
//! [`handle_publish`](MqttFrontend::handle_publish), and
//! [`handle_disconnect`](MqttFrontend::handle_disconnect) when the connection ends. It writes
//! what [`poll_output`](MqttFrontend::poll_output) returns: PUBLISHes to gateways (downlinks)
//! and connections to close (replaced by a newer one, or a `Disconnect` command).
//!
//! Access rules are the protocol crates' (`authorize`): a gateway publishes only to its own
//! uplink topics and subscribes only to its own `down` topic. Bad payloads are reported to the
//! caller and dropped; the connection stays up.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use loragw_mqtt_v3::{Action, DownlinkTokens, GatewayUid};
use loragw_ttnpb::DownlinkMessage;

use super::{ConnectionId, Frontend, Now, with_timestamp};
use crate::adapter::{mqtt_v2, mqtt_v3};
use crate::clock::ConcentratorClock;
use crate::error::{CommandError, TranslateError};
use crate::event::{DisconnectReason, GatewayCommand, GatewayEvent, Protocol};
use crate::ids::GatewayIds;
use crate::registry::{AuthError, Authenticator, Credential, GatewayRegistry, authorize_link};

/// Which MQTT gateway protocol a listener speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MqttVersion {
    /// The Things Stack v3 (`v3/{uid}/…`, ttnpb payloads), port 1882.
    V3,
    /// Legacy TTN v2 (`{uid}/…`, v2 protobufs), port 1881.
    V2,
}

/// Settings of an [`MqttFrontend`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttConfig {
    /// The protocol.
    pub version: MqttVersion,
    /// Downlinks remembered per gateway for matching acknowledgements (v3).
    pub tokens_capacity: usize,
    /// First downlink token (reproducible runs).
    pub token_seed: u64,
}

impl MqttConfig {
    /// Defaults for `version`: 16 remembered downlinks, tokens from 1.
    pub fn new(version: MqttVersion) -> Self {
        MqttConfig {
            version,
            tokens_capacity: 16,
            token_seed: 1,
        }
    }
}

/// Something for the transport to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MqttOutput {
    /// Send a PUBLISH (QoS 0) to the gateway on `connection`.
    Publish {
        /// The connection.
        connection: ConnectionId,
        /// Topic name.
        topic: String,
        /// Payload.
        payload: Vec<u8>,
    },
    /// Close `connection`.
    Close {
        /// The connection.
        connection: ConnectionId,
    },
}

/// Why a CONNECT, SUBSCRIBE or PUBLISH was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MqttError {
    /// The username is not a gateway uid.
    #[error("username `{0}` is not a gateway id")]
    BadUsername(String),
    /// The gateway is unknown or its credential does not grant the link right (CONNACK "not
    /// authorized").
    #[error(transparent)]
    Unauthorized(#[from] AuthError),
    /// No gateway is connected on this connection.
    #[error("connection {0:?} has no gateway")]
    UnknownConnection(ConnectionId),
    /// The access rules deny the topic or filter.
    #[error("denied: {0}")]
    Denied(String),
    /// The payload does not decode or translate (dropped; the connection stays up).
    #[error(transparent)]
    Payload(#[from] TranslateError),
}

#[derive(Debug)]
struct Connection {
    ids: GatewayIds,
    uid: GatewayUid,
    /// The gateway's concentrator clock, synced on its uplinks: turns absolute-time downlinks
    /// into timestamps for v2, which cannot carry a time.
    clock: ConcentratorClock,
}

/// The token ring of `gateway_id` (created at its first connect; created here only if a caller
/// reaches it some other way).
fn gateway_tokens<'a>(
    tokens: &'a mut HashMap<String, DownlinkTokens<DownlinkMessage>>,
    config: &MqttConfig,
    gateway_id: &str,
) -> &'a mut DownlinkTokens<DownlinkMessage> {
    tokens
        .entry(gateway_id.to_owned())
        .or_insert_with(|| DownlinkTokens::new(config.tokens_capacity, config.token_seed))
}

/// Gateways on one MQTT listener. See the [module docs](self).
///
/// Drain order after every input: [`poll_output`](Self::poll_output), then
/// [`poll_event`](Frontend::poll_event), each until `None`.
#[derive(Debug)]
pub struct MqttFrontend<R: ?Sized> {
    config: MqttConfig,
    registry: Arc<R>,
    connections: HashMap<ConnectionId, Connection>,
    by_gateway: HashMap<String, ConnectionId>,
    /// Downlink correlation tokens per gateway, kept across reconnects: an acknowledgement sent
    /// over a new connection still finds its downlink, and tokens never restart, so a stale
    /// acknowledgement cannot match a newer downlink. One entry per gateway that ever connected
    /// (only registered gateways can), each holding at most `tokens_capacity` downlinks.
    tokens: HashMap<String, DownlinkTokens<DownlinkMessage>>,
    events: VecDeque<GatewayEvent>,
    outputs: VecDeque<MqttOutput>,
    buf: Vec<u8>,
}

impl<R: GatewayRegistry + Authenticator + ?Sized> MqttFrontend<R> {
    /// A frontend that looks gateways up and checks keys in `registry`.
    pub fn new(config: MqttConfig, registry: Arc<R>) -> Self {
        MqttFrontend {
            config,
            registry,
            connections: HashMap::new(),
            by_gateway: HashMap::new(),
            tokens: HashMap::new(),
            events: VecDeque::new(),
            outputs: VecDeque::new(),
            buf: Vec::new(),
        }
    }

    fn protocol_id(&self) -> Protocol {
        match self.config.version {
            MqttVersion::V3 => Protocol::MqttV3,
            MqttVersion::V2 => Protocol::MqttV2,
        }
    }

    /// A CONNECT: `username` is the gateway uid (`gateway-id`, or `gateway-id@tenant-id`),
    /// `password` its API key, which must grant the link right. A connection of the same gateway
    /// that is still open is replaced (closed, with a `Disconnected { Replaced }` event). The
    /// registry is asked for the gateway id; a tenant part is kept for the topics only.
    pub fn handle_connect(
        &mut self,
        _now: Now,
        connection: ConnectionId,
        username: &str,
        password: Option<&str>,
        remote: Option<SocketAddr>,
    ) -> Result<GatewayIds, MqttError> {
        let uid = GatewayUid::parse(username)
            .map_err(|_| MqttError::BadUsername(username.chars().take(64).collect()))?;
        let record = self
            .registry
            .gateway_by_id(&uid.gateway_id)
            .ok_or_else(|| AuthError::UnknownGateway(uid.gateway_id.clone()))?;
        let credential = password.map_or(Credential::None, Credential::Password);
        authorize_link(&*self.registry, &record, credential, false)?;
        let ids = record.ids.clone();
        let (capacity, seed) = (self.config.tokens_capacity, self.config.token_seed);
        self.tokens
            .entry(ids.gateway_id.clone())
            .or_insert_with(|| DownlinkTokens::new(capacity, seed));
        if let Some(old) = self.by_gateway.insert(ids.gateway_id.clone(), connection)
            && old != connection
            && self.connections.remove(&old).is_some()
        {
            self.outputs
                .push_back(MqttOutput::Close { connection: old });
            self.events.push_back(GatewayEvent::Disconnected {
                gateway: ids.clone(),
                protocol: self.protocol_id(),
                reason: DisconnectReason::Replaced,
            });
        }
        self.connections.insert(
            connection,
            Connection {
                ids: ids.clone(),
                uid,
                clock: ConcentratorClock::new(),
            },
        );
        self.events.push_back(GatewayEvent::Connected {
            gateway: ids.clone(),
            protocol: self.protocol_id(),
            remote,
        });
        Ok(ids)
    }

    /// A SUBSCRIBE filter: returns the topic the client is subscribed to (always its own `down`
    /// topic, whatever matching filter it asked for).
    pub fn handle_subscribe(
        &mut self,
        connection: ConnectionId,
        filter: &str,
    ) -> Result<String, MqttError> {
        let conn = self
            .connections
            .get(&connection)
            .ok_or(MqttError::UnknownConnection(connection))?;
        match self.config.version {
            MqttVersion::V3 => {
                match loragw_mqtt_v3::authorize(&conn.uid, Action::Subscribe, filter) {
                    loragw_mqtt_v3::Access::Allow(topic) => Ok(topic.to_string()),
                    loragw_mqtt_v3::Access::Deny(reason) => {
                        Err(MqttError::Denied(reason.to_string()))
                    }
                }
            }
            MqttVersion::V2 => {
                match loragw_mqtt_v2::authorize(&conn.uid, Action::Subscribe, filter) {
                    loragw_mqtt_v2::Access::Allow(topic) => Ok(topic.to_string()),
                    loragw_mqtt_v2::Access::Deny(reason) => {
                        Err(MqttError::Denied(reason.to_string()))
                    }
                }
            }
        }
    }

    /// A PUBLISH from a gateway: an uplink, status or (v3) transmission acknowledgement.
    pub fn handle_publish(
        &mut self,
        now: Now,
        connection: ConnectionId,
        topic: &str,
        payload: &[u8],
    ) -> Result<(), MqttError> {
        let protocol = self.protocol_id();
        let conn = self
            .connections
            .get_mut(&connection)
            .ok_or(MqttError::UnknownConnection(connection))?;
        let gateway = conn.ids.clone();
        let received = Some(now.wall);
        let event = match self.config.version {
            MqttVersion::V3 => {
                use loragw_mqtt_v3::TopicKind;
                let topic = match loragw_mqtt_v3::authorize(&conn.uid, Action::Publish, topic) {
                    loragw_mqtt_v3::Access::Allow(t) => t,
                    loragw_mqtt_v3::Access::Deny(reason) => {
                        return Err(MqttError::Denied(reason.to_string()));
                    }
                };
                match topic.kind {
                    TopicKind::Up => GatewayEvent::Uplink {
                        message: mqtt_v3::uplink_from_publish(&gateway, payload, received)?,
                        gateway,
                        protocol,
                    },
                    TopicKind::Status => GatewayEvent::Status {
                        status: mqtt_v3::status_from_publish(payload)?,
                        gateway,
                        protocol,
                    },
                    TopicKind::DownAck => GatewayEvent::TxAck {
                        ack: mqtt_v3::tx_ack_from_publish(
                            payload,
                            gateway_tokens(&mut self.tokens, &self.config, &gateway.gateway_id),
                        )?,
                        gateway,
                        protocol,
                    },
                    _ => {
                        return Err(MqttError::Denied(format!(
                            "gateways do not publish to `{topic}`"
                        )));
                    }
                }
            }
            MqttVersion::V2 => {
                use loragw_mqtt_v2::Topic;
                let topic = match loragw_mqtt_v2::authorize(&conn.uid, Action::Publish, topic) {
                    loragw_mqtt_v2::Access::Allow(t) => t,
                    loragw_mqtt_v2::Access::Deny(reason) => {
                        return Err(MqttError::Denied(reason.to_string()));
                    }
                };
                match topic {
                    // Birth and last-will messages carry nothing the model needs.
                    Topic::Connect | Topic::Disconnect => return Ok(()),
                    Topic::Up(_) => GatewayEvent::Uplink {
                        message: mqtt_v2::uplink_from_publish(&gateway, payload, received)?,
                        gateway,
                        protocol,
                    },
                    Topic::Status(_) => GatewayEvent::Status {
                        status: mqtt_v2::status_from_publish(payload)?,
                        gateway,
                        protocol,
                    },
                    Topic::Down(_) => {
                        return Err(MqttError::Denied(format!(
                            "gateways do not publish to `{topic}`"
                        )));
                    }
                }
            }
        };
        if let GatewayEvent::Uplink { message, .. } = &event {
            // v2 reports only `time` (from GPS when the gateway has a fix).
            conn.clock
                .sync_uplink(message, now.instant, self.config.version == MqttVersion::V2);
        }
        self.events.push_back(event);
        Ok(())
    }

    /// The connection ended (DISCONNECT, TCP close, keep-alive expiry, ...).
    pub fn handle_disconnect(
        &mut self,
        _now: Now,
        connection: ConnectionId,
        reason: DisconnectReason,
    ) {
        if let Some(conn) = self.connections.remove(&connection) {
            if self.by_gateway.get(&conn.ids.gateway_id) == Some(&connection) {
                self.by_gateway.remove(&conn.ids.gateway_id);
            }
            self.events.push_back(GatewayEvent::Disconnected {
                gateway: conn.ids,
                protocol: self.protocol_id(),
                reason,
            });
        }
    }

    /// The next thing for the transport to do.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<MqttOutput> {
        self.outputs.pop_front()
    }

    /// Number of connected gateways.
    pub fn connected(&self) -> usize {
        self.connections.len()
    }
}

impl<R: GatewayRegistry + Authenticator + ?Sized + 'static> Frontend for MqttFrontend<R> {
    fn protocol(&self) -> Protocol {
        self.protocol_id()
    }

    fn handle_command(&mut self, now: Now, command: GatewayCommand) -> Result<(), CommandError> {
        let gateway_id = command.gateway().gateway_id.clone();
        let connection = *self
            .by_gateway
            .get(&gateway_id)
            .ok_or_else(|| CommandError::NotConnected(gateway_id.clone()))?;
        match command {
            GatewayCommand::Downlink { message, .. } => {
                let conn = self
                    .connections
                    .get_mut(&connection)
                    .ok_or_else(|| CommandError::NotConnected(gateway_id.clone()))?;
                let translate = |source| CommandError::Translate {
                    gateway: gateway_id.clone(),
                    source,
                };
                let topic = match self.config.version {
                    MqttVersion::V3 => mqtt_v3::downlink_publish(
                        &conn.uid,
                        &message,
                        gateway_tokens(&mut self.tokens, &self.config, &gateway_id),
                        &mut self.buf,
                    )
                    .map_err(translate)?
                    .to_string(),
                    MqttVersion::V2 => {
                        let message = with_timestamp(message, &conn.clock);
                        mqtt_v2::downlink_publish(&conn.uid, &message, &mut self.buf)
                            .map_err(translate)?
                            .to_string()
                    }
                };
                self.outputs.push_back(MqttOutput::Publish {
                    connection,
                    topic,
                    payload: self.buf.clone(),
                });
            }
            GatewayCommand::Disconnect { .. } => {
                self.outputs.push_back(MqttOutput::Close { connection });
                self.handle_disconnect(now, connection, DisconnectReason::Shutdown);
            }
        }
        Ok(())
    }

    fn handle_timeout(&mut self, _now: Now) {}

    fn poll_event(&mut self) -> Option<GatewayEvent> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        // Keep-alive is the MQTT transport's; the frontend has no timers.
        None
    }
}

#[cfg(test)]
mod tests;
