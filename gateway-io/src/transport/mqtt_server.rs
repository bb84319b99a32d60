//! MQTT listeners for gateways (feature `mqtt-server`): The Things Stack's MQTT v3 (port 1882,
//! TLS 8882) and legacy v2 (port 1881, TLS 8881) gateway protocols, started through
//! [`GatewayServerBuilder::mqtt_v3`](super::GatewayServerBuilder::mqtt_v3),
//! [`mqtt_v2`](super::GatewayServerBuilder::mqtt_v2) and
//! [`mqtt_with`](super::GatewayServerBuilder::mqtt_with).
//!
//! This is not a general broker: each connection is one gateway. MQTT packets are framed,
//! decoded and encoded by `rumqttc`'s MQTT 3.1.1 codec (`rumqttc::mqttbytes::v4`); what they
//! mean (credentials, access rules, payloads, downlink tokens) is decided by the sans-IO
//! [`MqttFrontend`], which one driver task per listener owns. Connection tasks only frame
//! packets, keep time and write.
//!
//! # Behaviour
//!
//! * **CONNECT** must be the first packet and arrive within
//!   [`connect_timeout`](MqttSettings::connect_timeout), else the socket is closed without a
//!   CONNACK. CONNACK codes: `0x01` for anything but MQTT 3.1.1 (protocol name `MQTT`, level
//!   4; MQTT 3.1's `MQIsdp` included), `0x04` for a
//!   username that is not a gateway uid, an unknown gateway, a missing or wrong key, `0x05` for a
//!   key without the link right. A session is never resumed (`session_present = 0`); last wills
//!   are ignored (v2's `disconnect` will is only a courtesy).
//! * **Keep-alive**: the connection is closed (`DisconnectReason::Timeout`) when nothing arrives
//!   for 1.5 × the CONNECT keep-alive; a keep-alive of 0 disables the check, as MQTT says.
//! * **SUBSCRIBE**: a filter matching the gateway's own `down` topic is granted with the
//!   requested QoS (as The Things Stack does; downlinks still go out with QoS 0) and narrowed to
//!   exactly that topic; any other filter gets the failure code `0x80`. UNSUBSCRIBE is
//!   acknowledged and stops downlinks.
//! * **PUBLISH** of the gateway: an access violation (another gateway's topic, a topic that is
//!   not a gateway topic, the server-only `down` topic) **closes the connection**
//!   (`DisconnectReason::ProtocolError`), because MQTT 3.1.1 has no way to refuse one publish. A
//!   payload that does not decode is dropped (logged at debug level) and the connection stays
//!   up. QoS 1 is acknowledged with PUBACK once the frontend took the message; QoS 2 with
//!   PUBREC / PUBCOMP (handled on receipt, so at least once).
//! * **Downlinks** go out with QoS 0 on `v3/{uid}/down` (`GatewayDown` with the correlation id
//!   `gs:down:token:<n>`, which the acknowledgement echoes) or `{uid}/down` (v2). They wait in a
//!   bounded per-connection queue ([`downlink_queue`](MqttSettings::downlink_queue)) until the
//!   gateway has subscribed; a full queue refuses the command.
//! * A new connection of the same gateway **replaces** the old one (closed, reported
//!   `Disconnected { reason: Replaced }` before the new `Connected`).
//! * Bounds: packets larger than [`max_packet_size`](MqttSettings::max_packet_size) close the
//!   connection before they are read; writes that take longer than
//!   [`write_timeout`](MqttSettings::write_timeout) close it too.
//!
//! * **Rate limit** (optional, [`publish_rate_limit`](MqttSettings::publish_rate_limit)): a
//!   gateway publishing faster is disconnected (`DisconnectReason::ProtocolError`).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use loragw_gateway_io::event::GatewayEvent;
//! use loragw_gateway_io::registry::InMemoryRegistry;
//! use loragw_gateway_io::transport::{GatewayServer, ListenerKind};
//!
//! let registry = InMemoryRegistry::from_toml(&std::fs::read_to_string("gateways.toml")?)?;
//! let mut server = GatewayServer::builder()
//!     .registry(registry)
//!     .mqtt_v3("[::]:1882")
//!     .mqtt_v2("[::]:1881")
//!     .start()
//!     .await?;
//! let _v3 = server.local_addr(ListenerKind::MqttV3);
//! while let Some(event) = server.next_event().await {
//!     if let GatewayEvent::Uplink { gateway, message, .. } = event {
//!         # let reply = |_: &loragw_gateway_io::ttnpb::UplinkMessage| None;
//!         if let Some(downlink) = reply(&message) {
//!             server.send_downlink(&gateway, downlink).await?;
//!         }
//!     }
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use super::TlsOption;
use super::hub::{Publisher, now};
use super::mqtt_session;
use super::server::{ListenerContext, Registry, Started};
use crate::error::CommandError;
use crate::event::DisconnectReason;
use crate::frontend::mqtt::{MqttConfig, MqttError, MqttFrontend, MqttOutput, MqttVersion};
use crate::frontend::{ConnectionId, Frontend, Now};
use crate::ids::GatewayIds;

/// Default [`MqttSettings::max_packet_size`]: 64 KiB of payload (the payload codecs' bound)
/// plus 1 KiB for the topic and the variable header.
pub const DEFAULT_MAX_PACKET_SIZE: usize = 65 * 1024;

/// Inputs from connection tasks waiting for the driver.
const INPUT_CAPACITY: usize = 1024;

/// Settings of one MQTT listener.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MqttSettings {
    /// The frontend's settings, including the protocol version (v3 or v2).
    pub frontend: MqttConfig,
    /// Largest MQTT packet accepted, as the packet's "remaining length" (everything after the
    /// fixed header); a larger one closes the connection before it is read. Also bounds each
    /// connection's read buffer. Default [`DEFAULT_MAX_PACKET_SIZE`].
    pub max_packet_size: usize,
    /// Time allowed for the TLS handshake, and again from then to a complete CONNECT.
    /// Default 10 s.
    pub connect_timeout: Duration,
    /// Time a write to the gateway may take before the connection is given up. Default 10 s.
    pub write_timeout: Duration,
    /// Downlinks queued per connection (until subscribed, or while the socket is busy).
    /// Default 16.
    pub downlink_queue: usize,
    /// PUBLISHes a gateway may send: exceeding the rate closes the connection, as The Things
    /// Stack does. Default none (no limit).
    pub publish_rate_limit: Option<RateLimit>,
}

/// A token bucket: `burst` messages at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Messages per second, sustained.
    pub per_second: u32,
    /// Messages allowed at once.
    pub burst: u32,
}

impl MqttSettings {
    /// Defaults for `version`.
    pub fn new(version: MqttVersion) -> Self {
        MqttSettings {
            frontend: MqttConfig::new(version),
            max_packet_size: DEFAULT_MAX_PACKET_SIZE,
            connect_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            downlink_queue: 16,
            publish_rate_limit: None,
        }
    }

    /// Sets the publish rate limit.
    pub fn with_publish_rate_limit(mut self, limit: RateLimit) -> Self {
        self.publish_rate_limit = Some(limit);
        self
    }

    /// Sets the CONNECT timeout.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
}

/// A downlink PUBLISH for a connection task.
#[derive(Debug)]
pub(crate) struct Downlink {
    pub(crate) topic: String,
    pub(crate) payload: Bytes,
}

/// What a PUBLISH led to.
#[derive(Debug)]
pub(crate) enum PublishOutcome {
    /// Taken (or a payload dropped as undecodable): acknowledge, carry on.
    Accepted,
    /// The access rules refuse it: close the connection.
    Denied(String),
}

/// What connection tasks tell the driver.
#[derive(Debug)]
pub(crate) enum Input {
    Connect {
        connection: ConnectionId,
        username: String,
        password: Option<String>,
        remote: SocketAddr,
        downlinks: mpsc::Sender<Downlink>,
        /// Dropped by the driver to close the connection.
        open: oneshot::Sender<()>,
        reply: oneshot::Sender<Result<GatewayIds, MqttError>>,
    },
    Subscribe {
        connection: ConnectionId,
        filters: Vec<String>,
        /// Per filter: granted or not.
        reply: oneshot::Sender<Vec<bool>>,
    },
    Publish {
        connection: ConnectionId,
        topic: String,
        payload: Bytes,
        reply: oneshot::Sender<PublishOutcome>,
    },
    Closed {
        connection: ConnectionId,
        reason: DisconnectReason,
    },
}

/// What connection tasks share.
pub(crate) struct Shared {
    pub(crate) settings: MqttSettings,
    pub(crate) inputs: mpsc::Sender<Input>,
    next_connection: AtomicU64,
}

impl Shared {
    pub(crate) fn next_connection(&self) -> ConnectionId {
        ConnectionId(self.next_connection.fetch_add(1, Ordering::Relaxed))
    }
}

/// Binds `addr` and starts the listener's driver and accept loop.
pub(crate) async fn start(
    addr: SocketAddr,
    settings: MqttSettings,
    tls: TlsOption,
    ctx: ListenerContext,
) -> std::io::Result<Started> {
    let listener = TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    let (inputs_tx, inputs) = mpsc::channel(INPUT_CAPACITY);
    let frontend = MqttFrontend::new(settings.frontend.clone(), ctx.registry.clone());
    let shared = Arc::new(Shared {
        settings,
        inputs: inputs_tx,
        next_connection: AtomicU64::new(1),
    });
    let driver = tokio::spawn(drive(frontend, inputs, ctx));
    let acceptor = tokio::spawn(async move {
        loop {
            let (stream, remote) = match listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "MQTT accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let shared = shared.clone();
            // `Option<Infallible>` (Copy) without the `tls` feature.
            #[allow(clippy::clone_on_copy)]
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    #[cfg(feature = "tls")]
                    // The handshake counts against the CONNECT timeout.
                    Some(tls) => match tokio::time::timeout(
                        shared.settings.connect_timeout,
                        tls.accept(stream),
                    )
                    .await
                    {
                        Ok(Ok(stream)) => mqtt_session::serve(stream, remote, shared).await,
                        Ok(Err(e)) => tracing::debug!(%remote, error = %e, "MQTT TLS handshake"),
                        Err(_) => tracing::debug!(%remote, "MQTT TLS handshake timed out"),
                    },
                    #[cfg(not(feature = "tls"))]
                    Some(never) => match never {},
                    None => mqtt_session::serve(stream, remote, shared).await,
                }
            });
        }
    });
    Ok(Started {
        local_addr,
        tasks: vec![driver, acceptor],
    })
}

fn now_both() -> Now {
    let (instant, wall) = now();
    Now::new(instant, wall)
}

/// A connection as the driver sees it.
struct Connection {
    downlinks: mpsc::Sender<Downlink>,
    /// Dropping it closes the connection.
    _open: oneshot::Sender<()>,
}

/// Owns the frontend: serves commands first, then delivers events, then takes connection
/// inputs (only while the application keeps up with the events).
async fn drive(
    mut frontend: MqttFrontend<dyn Registry>,
    mut inputs: mpsc::Receiver<Input>,
    ctx: ListenerContext,
) {
    let ListenerContext {
        id,
        hub,
        mut commands,
        ..
    } = ctx;
    let mut publisher = Publisher::new(hub, id);
    let mut connections: HashMap<ConnectionId, Connection> = HashMap::new();
    let mut commands_open = true;
    loop {
        tokio::select! {
            biased;
            request = commands.recv(), if commands_open => match request {
                Some(request) => {
                    let gateway = request.command.gateway().gateway_id.clone();
                    let mut result = frontend.handle_command(now_both(), request.command);
                    // The outputs now queued are this command's: a downlink that finds the
                    // connection's queue full fails the command.
                    if !route_outputs(&mut frontend, &mut connections) && result.is_ok() {
                        result = Err(CommandError::Rejected {
                            gateway,
                            reason: "downlink queue full (the gateway has not subscribed to \
                                     its down topic, or does not read)"
                                .into(),
                        });
                    }
                    let _ = request.reply.send(result);
                }
                None => commands_open = false,
            },
            () = publisher.deliver(), if publisher.has_pending() => {}
            input = inputs.recv(), if !publisher.is_backlogged() => match input {
                Some(input) => handle_input(&mut frontend, &mut connections, input),
                // The accept loop is gone: the server is shutting down.
                None => return,
            },
        }
        route_outputs(&mut frontend, &mut connections);
        while let Some(event) = frontend.poll_event() {
            publisher.push(event);
        }
    }
}

/// Hands the frontend's outputs to the connections; `false` when a downlink found its
/// connection's queue full and was dropped.
fn route_outputs(
    frontend: &mut MqttFrontend<dyn Registry>,
    connections: &mut HashMap<ConnectionId, Connection>,
) -> bool {
    let mut all_queued = true;
    while let Some(output) = frontend.poll_output() {
        match output {
            MqttOutput::Publish {
                connection,
                topic,
                payload,
            } => {
                let Some(conn) = connections.get(&connection) else {
                    continue;
                };
                let downlink = Downlink {
                    topic,
                    payload: Bytes::from(payload),
                };
                if conn.downlinks.try_send(downlink).is_err() {
                    all_queued = false;
                }
            }
            MqttOutput::Close { connection } => {
                connections.remove(&connection);
            }
            // Outputs added to the frontend later are ignored until handled here.
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
    all_queued
}

fn handle_input(
    frontend: &mut MqttFrontend<dyn Registry>,
    connections: &mut HashMap<ConnectionId, Connection>,
    input: Input,
) {
    let now = now_both();
    match input {
        Input::Connect {
            connection,
            username,
            password,
            remote,
            downlinks,
            open,
            reply,
        } => {
            let result = frontend.handle_connect(
                now,
                connection,
                &username,
                password.as_deref(),
                Some(remote),
            );
            if result.is_ok() {
                connections.insert(
                    connection,
                    Connection {
                        downlinks,
                        _open: open,
                    },
                );
            }
            let _ = reply.send(result);
        }
        Input::Subscribe {
            connection,
            filters,
            reply,
        } => {
            let granted = filters
                .iter()
                .map(|f| frontend.handle_subscribe(connection, f).is_ok())
                .collect();
            let _ = reply.send(granted);
        }
        Input::Publish {
            connection,
            topic,
            payload,
            reply,
        } => {
            let outcome = match frontend.handle_publish(now, connection, &topic, &payload) {
                Ok(()) => PublishOutcome::Accepted,
                Err(MqttError::Payload(e)) => {
                    tracing::debug!(?connection, %topic, error = %e, "MQTT payload dropped");
                    PublishOutcome::Accepted
                }
                Err(e) => PublishOutcome::Denied(e.to_string()),
            };
            let _ = reply.send(outcome);
        }
        Input::Closed { connection, reason } => {
            connections.remove(&connection);
            frontend.handle_disconnect(now, connection, reason);
        }
    }
}
