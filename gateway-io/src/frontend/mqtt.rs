//! The MQTT frontend (v3 or v2): gateways connected to an MQTT server, seen through the one
//! model.
//!
//! The transport (an MQTT 3.1.1 server) decodes packets and calls:
//! [`handle_connect`](MqttFrontend::handle_connect) for CONNECT (username = gateway uid,
//! password = API key) and [`set_keep_alive`](MqttFrontend::set_keep_alive) with its
//! keep-alive, [`handle_subscribe`](MqttFrontend::handle_subscribe) /
//! [`handle_unsubscribe`](MqttFrontend::handle_unsubscribe),
//! [`handle_publish`](MqttFrontend::handle_publish),
//! [`handle_activity`](MqttFrontend::handle_activity) for any other packet, and
//! [`handle_disconnect`](MqttFrontend::handle_disconnect) when the connection ends. It writes
//! what [`poll_output`](MqttFrontend::poll_output) returns: PUBLISHes to gateways (downlinks)
//! and connections to close (replaced by a newer one, a `Disconnect` command, silence past the
//! keep-alive, or the publish rate limit exceeded).
//!
//! The frontend is the whole machine: its timers (keep-alive, downlink expiry) come out of
//! [`poll_timeout`](Frontend::poll_timeout), the publish rate limit
//! ([`MqttConfig::publish_rate_limit`]) runs on the `now` passed in, and downlinks for a gateway
//! that has not subscribed yet wait in the frontend (bounded by the downlinks in flight,
//! [`MqttConfig::tokens_capacity`]) until it does. A transport only moves packets.
//!
//! Access rules are the protocol crates' (`authorize`): a gateway publishes only to its own
//! uplink topics and subscribes only to its own `down` topic. Bad payloads are reported to the
//! caller ([`MqttError::Payload`], which the transport logs at debug level) and dropped; the
//! connection stays up. A payload is bad when it does not decode, or when one of its numbers is
//! out of range (`loragw_mqtt_v3::validate`, applied to v3 payloads and to converted v2 ones:
//! NaN, invalid timestamps, frequencies of 0 or 10 GHz and more, uplinks without payload or
//! settings); non-finite status metrics and locations off the globe are dropped, the rest kept.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use loragw_mqtt_v3::{Action, DownlinkTokens, GatewayUid};
use loragw_ttnpb::DownlinkMessage;

mod liveness;

pub use liveness::RateLimit;

use self::liveness::{Bucket, keep_alive_window};
use super::timers::Timers;
use super::{ConnectionId, Frontend, LastInput, Now, with_timestamp};
use crate::adapter::lbs::tx_timeout_to_ack;
use crate::adapter::{mqtt_v2, mqtt_v3};
use crate::clock::ConcentratorClock;
use crate::error::{CommandError, TranslateError};
use crate::event::{DisconnectReason, GatewayCommand, GatewayEvent, Protocol, TxFailure};
use crate::ids::GatewayIds;
use crate::registry::{
    AuthError, Authenticator, Credential, GatewayRecord, GatewayRegistry, authorize_link,
};
use crate::reply::resolve_command;

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
    /// Downlinks remembered per gateway for matching acknowledgements (v3), and the most
    /// downlinks in flight per gateway (v3: not yet acknowledged; v2: not yet written); a
    /// downlink past this is refused (`CommandError::Rejected`). Default 16.
    pub tokens_capacity: usize,
    /// First downlink token (reproducible runs).
    pub token_seed: u64,
    /// How long a downlink may stay in flight before it ends in a `TxAck` failed as
    /// [`TxFailure::Expired`]: v3 gateways acknowledge after transmitting, v2 downlinks must
    /// at least be written (the gateway must have subscribed). Default 60 s.
    pub downlink_ack_timeout: Duration,
    /// Longest silence of a gateway that connected with keep-alive 0 (which MQTT would let
    /// live forever), and of one whose keep-alive was not set. Default 1 hour, as The Things
    /// Stack.
    pub max_idle: Duration,
    /// PUBLISHes a gateway may send: exceeding the rate closes the connection
    /// (`Disconnected { reason: ProtocolError }`), as The Things Stack does. Default none.
    pub publish_rate_limit: Option<RateLimit>,
}

impl MqttConfig {
    /// Defaults for `version`: 16 downlinks in flight, tokens from 1, 60 s to acknowledge, 1 hour
    /// of silence at most, no publish rate limit.
    pub fn new(version: MqttVersion) -> Self {
        MqttConfig {
            version,
            tokens_capacity: 16,
            token_seed: 1,
            downlink_ack_timeout: Duration::from_secs(60),
            max_idle: Duration::from_secs(3600),
            publish_rate_limit: None,
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
        /// The downlink's number in this frontend: report it written with
        /// [`handle_written`](MqttFrontend::handle_written).
        downlink: u64,
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
    /// The gateway published faster than [`MqttConfig::publish_rate_limit`]: its connection
    /// is closed.
    #[error("publish rate limit exceeded")]
    RateLimited,
}

#[derive(Debug)]
struct Connection {
    ids: GatewayIds,
    uid: GatewayUid,
    /// The gateway's concentrator clock, synced on its uplinks: turns absolute-time downlinks
    /// into timestamps for v2, which cannot carry a time.
    clock: ConcentratorClock,
    /// Downlinks sent on this connection and not yet ended (acknowledged, written for v2,
    /// failed), oldest first.
    in_flight: VecDeque<InFlight>,
    /// Longest silence allowed ([`keep_alive_window`]).
    keep_alive: Duration,
    /// When the gateway was last heard from.
    last_heard: Instant,
    /// The publish rate limit, when configured.
    bucket: Option<Bucket>,
    /// Filters the gateway subscribed with and was granted (its `down` topic).
    subscriptions: Vec<String>,
    /// Downlink PUBLISHes waiting for the first SUBSCRIBE (at most the downlinks in flight).
    waiting: VecDeque<MqttOutput>,
}

impl Connection {
    /// Its keep-alive or its first downlink expiry (in deadline order, since the timeout is
    /// the same for all), whichever is earlier.
    fn deadline(&self) -> Option<Instant> {
        let silence = self.last_heard.checked_add(self.keep_alive);
        [self.in_flight.front().map(|d| d.deadline), silence]
            .into_iter()
            .flatten()
            .min()
    }
}

/// A downlink waiting for its end.
#[derive(Debug)]
struct InFlight {
    /// The frontend's number for it ([`MqttOutput::Publish::downlink`]).
    id: u64,
    /// v3: its token (the message stays in the token ring until acknowledged or failed).
    token: Option<u64>,
    /// v2: the message itself.
    message: Option<DownlinkMessage>,
    deadline: Instant,
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

/// Checks a CONNECT's credentials without touching any frontend state: `username` must be a
/// gateway uid of a registered gateway and `password` an API key with the link right. Returns
/// the parsed uid and the gateway's record, for
/// [`MqttFrontend::connect_authenticated`]. Safe to run on another thread (a slow registry
/// then stalls only this connection).
pub fn authenticate_connect<R: GatewayRegistry + Authenticator + ?Sized>(
    registry: &R,
    username: &str,
    password: Option<&str>,
) -> Result<(GatewayUid, GatewayRecord), MqttError> {
    let uid = GatewayUid::parse(username)
        .map_err(|_| MqttError::BadUsername(username.chars().take(64).collect()))?;
    // The registry knows tenants' gateways by their unique id (`gateway-id@tenant-id`): a
    // username with another tenant (or none) finds no entry and so cannot use the key.
    let unique_id = uid.to_string();
    let record = registry
        .gateway_by_id(&unique_id)
        .ok_or(AuthError::UnknownGateway(unique_id))?;
    let credential = password.map_or(Credential::None, Credential::Password);
    authorize_link(registry, &record, credential, false)?;
    Ok((uid, record))
}

/// Gateways on one MQTT listener. See the [module docs](self).
///
/// Drain order after every input: [`poll_output`](Self::poll_output), then
/// [`poll_event`](Frontend::poll_event), each until `None`, and again while handling an event
/// queued more (a downlink command queues its PUBLISH); then
/// [`poll_timeout`](Frontend::poll_timeout), which is due at once while anything is queued.
#[derive(Debug)]
pub struct MqttFrontend<R: ?Sized> {
    config: MqttConfig,
    registry: Arc<R>,
    connections: HashMap<ConnectionId, Connection>,
    by_gateway: HashMap<String, ConnectionId>,
    /// Each connection's [`Connection::deadline`], earliest first.
    timers: Timers<ConnectionId>,
    /// Downlink correlation tokens per gateway, kept across reconnects: an acknowledgement sent
    /// over a new connection still finds its downlink, and tokens never restart, so a stale
    /// acknowledgement cannot match a newer downlink. One entry per gateway that ever connected
    /// (only registered gateways can), each holding at most `tokens_capacity` downlinks.
    tokens: HashMap<String, DownlinkTokens<DownlinkMessage>>,
    events: VecDeque<GatewayEvent>,
    outputs: VecDeque<MqttOutput>,
    buf: Vec<u8>,
    next_downlink: u64,
    last_input: LastInput,
}

impl<R: GatewayRegistry + Authenticator + ?Sized> MqttFrontend<R> {
    /// A frontend that looks gateways up and checks keys in `registry`.
    pub fn new(config: MqttConfig, registry: Arc<R>) -> Self {
        MqttFrontend {
            config,
            registry,
            connections: HashMap::new(),
            by_gateway: HashMap::new(),
            timers: Timers::default(),
            tokens: HashMap::new(),
            events: VecDeque::new(),
            outputs: VecDeque::new(),
            buf: Vec::new(),
            next_downlink: 1,
            last_input: LastInput::default(),
        }
    }

    fn protocol_id(&self) -> Protocol {
        match self.config.version {
            MqttVersion::V3 => Protocol::MqttV3,
            MqttVersion::V2 => Protocol::MqttV2,
        }
    }

    /// A CONNECT: `username` is the gateway uid (`gateway-id`, or `gateway-id@tenant-id`),
    /// `password` its API key, which must grant the link right. The registry is asked for the
    /// whole uid (a tenant's gateway is registered as `gateway-id@tenant-id`), and topics must
    /// carry the same uid; then
    /// [`connect_authenticated`](Self::connect_authenticated). No state is created for a
    /// gateway that is refused.
    pub fn handle_connect(
        &mut self,
        now: Now,
        connection: ConnectionId,
        username: &str,
        password: Option<&str>,
        remote: Option<SocketAddr>,
    ) -> Result<GatewayIds, MqttError> {
        let (uid, record) = authenticate_connect(&*self.registry, username, password)?;
        Ok(self.connect_authenticated(now, connection, uid, &record, remote))
    }

    /// A gateway the caller already authenticated with [`authenticate_connect`] (for a
    /// transport that checks keys off its driver task). A connection of the same gateway that
    /// is still open is replaced (closed, `Disconnected { Replaced }`, its downlinks in flight
    /// failed as replaced).
    pub fn connect_authenticated(
        &mut self,
        now: Now,
        connection: ConnectionId,
        uid: GatewayUid,
        record: &GatewayRecord,
        remote: Option<SocketAddr>,
    ) -> GatewayIds {
        self.last_input.record(now.instant);
        let ids = record.ids.clone();
        let (capacity, seed) = (self.config.tokens_capacity, self.config.token_seed);
        self.tokens
            .entry(ids.gateway_id.clone())
            .or_insert_with(|| DownlinkTokens::new(capacity, seed));
        if let Some(old) = self.by_gateway.get(&ids.gateway_id).copied()
            && old != connection
        {
            self.outputs
                .push_back(MqttOutput::Close { connection: old });
            self.handle_disconnect(now, old, DisconnectReason::Replaced);
        }
        self.by_gateway.insert(ids.gateway_id.clone(), connection);
        self.connections.insert(
            connection,
            Connection {
                ids: ids.clone(),
                uid,
                clock: ConcentratorClock::new(),
                in_flight: VecDeque::new(),
                keep_alive: self.config.max_idle,
                last_heard: now.instant,
                bucket: self
                    .config
                    .publish_rate_limit
                    .map(|limit| Bucket::new(limit, now.instant)),
                subscriptions: Vec::new(),
                waiting: VecDeque::new(),
            },
        );
        self.reschedule(connection);
        self.events.push_back(GatewayEvent::Connected {
            gateway: ids.clone(),
            protocol: self.protocol_id(),
            remote,
        });
        ids
    }

    /// The gateway connected on another listener: closes its connection here, if any
    /// (`Disconnected { Replaced }`, downlinks in flight failed as replaced).
    pub fn handle_replaced(&mut self, now: Now, gateway_id: &str) {
        if let Some(connection) = self.by_gateway.get(gateway_id).copied() {
            self.outputs.push_back(MqttOutput::Close { connection });
            self.handle_disconnect(now, connection, DisconnectReason::Replaced);
        }
    }

    /// The transport wrote the PUBLISH of downlink `downlink` to the gateway. For v2, which
    /// has no acknowledgements, this ends the downlink (no event); for v3 the downlink waits
    /// for the gateway's `down/ack`.
    pub fn handle_written(&mut self, connection: ConnectionId, downlink: u64) {
        if self.config.version != MqttVersion::V2 {
            return;
        }
        if let Some(conn) = self.connections.get_mut(&connection) {
            conn.in_flight.retain(|d| d.id != downlink);
        }
        self.reschedule(connection);
    }

    /// Files the connection's deadline with the timers (after any change of it).
    fn reschedule(&mut self, connection: ConnectionId) {
        let deadline = self
            .connections
            .get(&connection)
            .and_then(Connection::deadline);
        self.timers.set(connection, deadline);
    }

    /// Downlinks in flight, over all connections.
    pub fn downlinks_in_flight(&self) -> usize {
        self.connections.values().map(|c| c.in_flight.len()).sum()
    }

    /// Ends downlink `d` of `gateway` with a failed `TxAck`.
    fn fail(&mut self, gateway: &GatewayIds, d: InFlight, failure: TxFailure) {
        let message = match d.token {
            Some(token) => self
                .tokens
                .get_mut(&gateway.gateway_id)
                .and_then(|t| t.take(token)),
            None => d.message,
        };
        self.events.push_back(GatewayEvent::TxAck {
            gateway: gateway.clone(),
            protocol: self.protocol_id(),
            ack: tx_timeout_to_ack(message.as_ref()),
            failure: Some(failure),
        });
    }

    /// The CONNECT's keep-alive (seconds): the connection is closed
    /// (`Disconnected { reason: Timeout }`) after one and a half times it without a packet, or
    /// after [`MqttConfig::max_idle`] for 0. Until set, `max_idle` applies.
    pub fn set_keep_alive(&mut self, connection: ConnectionId, keep_alive_secs: u16) {
        if let Some(conn) = self.connections.get_mut(&connection) {
            conn.keep_alive = keep_alive_window(keep_alive_secs, self.config.max_idle);
        }
        self.reschedule(connection);
    }

    /// A packet from the gateway that needs nothing else from the frontend (PINGREQ, PUBREL,
    /// ...): it keeps the connection alive. (PUBLISH and SUBSCRIBE count as heard too.)
    pub fn handle_activity(&mut self, now: Now, connection: ConnectionId) {
        self.last_input.record(now.instant);
        if let Some(conn) = self.connections.get_mut(&connection) {
            conn.last_heard = conn.last_heard.max(now.instant);
        }
        self.reschedule(connection);
    }

    /// An UNSUBSCRIBE filter: once no filter is left, downlinks wait again until the next
    /// SUBSCRIBE.
    pub fn handle_unsubscribe(&mut self, connection: ConnectionId, filter: &str) {
        if let Some(conn) = self.connections.get_mut(&connection) {
            conn.subscriptions.retain(|f| f != filter);
        }
    }

    /// A SUBSCRIBE filter: returns the topic the client is subscribed to (always its own `down`
    /// topic, whatever matching filter it asked for). The first granted filter releases the
    /// downlinks that waited for it.
    pub fn handle_subscribe(
        &mut self,
        connection: ConnectionId,
        filter: &str,
    ) -> Result<String, MqttError> {
        let topic = self.authorize_subscribe(connection, filter)?;
        let conn = self
            .connections
            .get_mut(&connection)
            .ok_or(MqttError::UnknownConnection(connection))?;
        if !conn.subscriptions.iter().any(|f| f == filter) {
            conn.subscriptions.push(filter.to_owned());
        }
        self.outputs.extend(conn.waiting.drain(..));
        Ok(topic)
    }

    fn authorize_subscribe(
        &self,
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

    /// A PUBLISH from a gateway: an uplink, status or (v3) transmission acknowledgement. A
    /// payload that does not decode or has a number out of range is an
    /// [`MqttError::Payload`]: no event, the connection stays up.
    pub fn handle_publish(
        &mut self,
        now: Now,
        connection: ConnectionId,
        topic: &str,
        payload: &[u8],
    ) -> Result<(), MqttError> {
        self.last_input.record(now.instant);
        let protocol = self.protocol_id();
        let conn = self
            .connections
            .get_mut(&connection)
            .ok_or(MqttError::UnknownConnection(connection))?;
        conn.last_heard = conn.last_heard.max(now.instant);
        self.timers.set(connection, conn.deadline());
        if let Some(bucket) = &mut conn.bucket
            && !bucket.take(now.instant)
        {
            self.outputs.push_back(MqttOutput::Close { connection });
            let reason = DisconnectReason::ProtocolError(MqttError::RateLimited.to_string());
            self.handle_disconnect(now, connection, reason);
            return Err(MqttError::RateLimited);
        }
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
                    TopicKind::DownAck => {
                        let tokens =
                            gateway_tokens(&mut self.tokens, &self.config, &gateway.gateway_id);
                        let (ack, matched) = mqtt_v3::tx_ack_and_match(payload, tokens)?;
                        // The downlinks in flight whose token the acknowledgement took.
                        let before = conn.in_flight.len();
                        conn.in_flight
                            .retain(|d| d.token.is_none_or(|t| tokens.get(t).is_some()));
                        self.timers.set(connection, conn.deadline());
                        if before == conn.in_flight.len()
                            && !matched
                            && loragw_mqtt_v3::find_token(&ack.correlation_ids).is_some()
                        {
                            // A downlink that already ended (failed or expired): its one
                            // `TxAck` was reported.
                            tracing::debug!(gateway = %gateway, "late MQTT acknowledgement dropped");
                            return Ok(());
                        }
                        GatewayEvent::TxAck {
                            ack,
                            gateway,
                            protocol,
                            failure: None,
                        }
                    }
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

    /// The connection ended (DISCONNECT, TCP close, keep-alive expiry, ...): the gateway is
    /// reported `Disconnected` and each downlink still in flight ends in a failed `TxAck`.
    pub fn handle_disconnect(
        &mut self,
        now: Now,
        connection: ConnectionId,
        reason: DisconnectReason,
    ) {
        self.last_input.record(now.instant);
        if let Some(mut conn) = self.connections.remove(&connection) {
            self.timers.remove(connection);
            if self.by_gateway.get(&conn.ids.gateway_id) == Some(&connection) {
                self.by_gateway.remove(&conn.ids.gateway_id);
            }
            let failure = TxFailure::from_disconnect(&reason);
            for d in std::mem::take(&mut conn.in_flight) {
                self.fail(&conn.ids, d, failure.clone());
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

    /// Whether the gateway is connected here.
    pub fn is_connected(&self, gateway_id: &str) -> bool {
        self.by_gateway.contains_key(gateway_id)
    }
}

impl<R: GatewayRegistry + Authenticator + ?Sized + 'static> Frontend for MqttFrontend<R> {
    fn protocol(&self) -> Protocol {
        self.protocol_id()
    }

    fn handle_command(&mut self, now: Now, command: GatewayCommand) -> Result<(), CommandError> {
        self.last_input.record(now.instant);
        let gateway_id = command.gateway().gateway_id.clone();
        let connection = *self
            .by_gateway
            .get(&gateway_id)
            .ok_or_else(|| CommandError::NotConnected(gateway_id.clone()))?;
        match command {
            GatewayCommand::Downlink { gateway, message } => {
                let message = resolve_command(&*self.registry, &gateway, None, message, now.wall)?;
                let conn = self
                    .connections
                    .get_mut(&connection)
                    .ok_or_else(|| CommandError::NotConnected(gateway_id.clone()))?;
                let cap = self.config.tokens_capacity.max(1);
                if conn.in_flight.len() >= cap {
                    return Err(CommandError::Rejected {
                        gateway: gateway_id,
                        reason: format!("{cap} downlinks already in flight"),
                    });
                }
                let mut token = None;
                let mut kept = None;
                let translate = |source| CommandError::Translate {
                    gateway: gateway_id.clone(),
                    source,
                };
                let topic = match self.config.version {
                    MqttVersion::V3 => {
                        let tokens = gateway_tokens(&mut self.tokens, &self.config, &gateway_id);
                        let topic =
                            mqtt_v3::downlink_publish(&conn.uid, &message, tokens, &mut self.buf)
                                .map_err(translate)?;
                        // The adapter keeps the token it assigned in what it encoded (and
                        // nowhere else it returns): read it back, to end this downlink later.
                        token = loragw_mqtt_v3::find_token(
                            &loragw_mqtt_v3::codec::decode_down(&self.buf)
                                .ok()
                                .and_then(|d| d.downlink_message)
                                .map(|m| m.correlation_ids)
                                .unwrap_or_default(),
                        );
                        topic.to_string()
                    }
                    MqttVersion::V2 => {
                        let message = with_timestamp(
                            message,
                            &conn.clock,
                            &gateway_id,
                            "an MQTT v2 gateway",
                        )?;
                        let topic = mqtt_v2::downlink_publish(&conn.uid, &message, &mut self.buf)
                            .map_err(translate)?
                            .to_string();
                        kept = Some(message);
                        topic
                    }
                };
                let id = self.next_downlink;
                self.next_downlink += 1;
                conn.in_flight.push_back(InFlight {
                    id,
                    token,
                    message: kept,
                    deadline: now.instant + self.config.downlink_ack_timeout,
                });
                self.timers.set(connection, conn.deadline());
                let publish = MqttOutput::Publish {
                    connection,
                    topic,
                    payload: self.buf.clone(),
                    downlink: id,
                };
                // No downlink before the gateway subscribed: it would not receive it.
                if conn.subscriptions.is_empty() {
                    conn.waiting.push_back(publish);
                } else {
                    self.outputs.push_back(publish);
                }
            }
            GatewayCommand::Disconnect { .. } => {
                self.outputs.push_back(MqttOutput::Close { connection });
                self.handle_disconnect(now, connection, DisconnectReason::Shutdown);
            }
        }
        Ok(())
    }

    fn handle_timeout(&mut self, now: Now) {
        self.last_input.record(now.instant);
        let mut expired = Vec::new();
        let mut silent = Vec::new();
        let due = self.timers.take_due(now.instant);
        for id in &due {
            let Some(conn) = self.connections.get_mut(id) else {
                continue;
            };
            if now.instant.saturating_duration_since(conn.last_heard) >= conn.keep_alive {
                silent.push(*id);
                continue;
            }
            while conn
                .in_flight
                .front()
                .is_some_and(|d| d.deadline <= now.instant)
            {
                let d = conn.in_flight.pop_front().expect("front checked above");
                // Expired while waiting for the SUBSCRIBE: it is not sent at all.
                conn.waiting.retain(
                    |o| !matches!(o, MqttOutput::Publish { downlink, .. } if *downlink == d.id),
                );
                expired.push((conn.ids.clone(), d));
            }
        }
        for (gateway, d) in expired {
            self.fail(&gateway, d, TxFailure::Expired);
        }
        for id in due {
            self.reschedule(id);
        }
        // Silent past the keep-alive: closed, as MQTT says.
        silent.sort();
        for connection in silent {
            self.outputs.push_back(MqttOutput::Close { connection });
            self.handle_disconnect(now, connection, DisconnectReason::Timeout);
        }
    }

    fn poll_event(&mut self) -> Option<GatewayEvent> {
        self.events.pop_front()
    }

    fn handle_replaced(&mut self, now: Now, gateway_id: &str) {
        MqttFrontend::handle_replaced(self, now, gateway_id)
    }

    /// The earliest keep-alive or downlink expiry; or, while an output or an event is queued,
    /// the latest input's time (already due).
    fn poll_timeout(&self) -> Option<Instant> {
        let timers = self.timers.next();
        let queued = !self.outputs.is_empty() || !self.events.is_empty();
        self.last_input.wake(timers, queued)
    }
}

#[cfg(test)]
mod tests;
