//! MQTT 3.1.1 server for gateways (feature `mqtt-server`): The Things Stack's MQTT v3 (port
//! 1882) or legacy v2 (port 1881) gateway protocol on tokio.
//!
//! This is not a general broker. Each connection is one gateway: the CONNECT username is the
//! gateway uid, the password an API key, checked through an [`Authenticator`] for
//! [`Right::Link`](crate::registry::Right::Link). The gateway publishes uplinks, status and
//! (v3) transmission acknowledgements, which become [`GatewayEvent`]s; it subscribes to its
//! own `down` topic, on which [`MqttServerHandle::send_command`] publishes downlinks. MQTT
//! packets are framed, decoded and encoded by `rumqttc`'s MQTT 3.1.1 codec
//! (`rumqttc::mqttbytes::v4`); topics, access rules and payloads by `loragw-mqtt-v3` /
//! `loragw-mqtt-v2` and this crate's adapters.
//!
//! # Behaviour
//!
//! * **CONNECT** must be the first packet and arrive within
//!   [`connect_timeout`](MqttServerConfig::connect_timeout), else the socket is closed. CONNACK
//!   codes: `0x01` for a protocol level other than 4 (MQTT 3.1.1), `0x04` for a missing or
//!   malformed username / password, an unknown gateway or a wrong key, `0x05` for a key without
//!   the link right. A session is never resumed (`session_present = 0`); last wills are ignored.
//! * **Keep-alive**: the connection is closed (`DisconnectReason::Timeout`) when nothing arrives
//!   for 1.5 × the CONNECT keep-alive; a keep-alive of 0 disables the check, as MQTT says.
//! * **SUBSCRIBE**: each filter goes through the format's access rules; a filter matching the
//!   gateway's own `down` topic is granted (with the requested QoS, as The Things Stack does)
//!   and narrowed to exactly that topic; anything else gets the failure code `0x80`.
//! * **PUBLISH** of the gateway: an access violation (another gateway's topic, a topic that is
//!   not a gateway topic, the server-only `down` topic) **closes the connection**
//!   (`DisconnectReason::ProtocolError`), because MQTT 3.1.1 has no way to refuse a single
//!   publish. A payload that does not decode is dropped and the connection stays up (as in The
//!   Things Stack). QoS 1 is acknowledged with PUBACK after the event is queued; QoS 2 with
//!   PUBREC / PUBCOMP (the message is delivered on receipt, so at least once).
//! * **Downlinks** are published with QoS 0 on `v3/{uid}/down` (a `GatewayDown` carrying the
//!   correlation id `gs:down:token:<n>`, which the acknowledgement echoes so the
//!   [`GatewayEvent::TxAck`] carries the downlink; the last
//!   [`downlink_tokens`](MqttServerConfig::downlink_tokens) downlinks of each gateway are
//!   remembered across reconnections) or `{uid}/down` (v2). They wait in a bounded
//!   per-connection queue ([`downlink_queue`](MqttServerConfig::downlink_queue)) until the
//!   gateway has subscribed; a full queue refuses the command.
//! * A new connection of the same gateway **replaces** the old one: the old one is closed and
//!   reported `Disconnected { reason: Replaced }` before the new one is reported `Connected`.
//!   All events of one gateway are emitted in order.
//! * Bounds: packets larger than [`max_packet_size`](MqttServerConfig::max_packet_size) close
//!   the connection; at most [`max_connections`](MqttServerConfig::max_connections) connections
//!   (more are closed on accept); writes that do not finish within
//!   [`write_timeout`](MqttServerConfig::write_timeout) close the connection.
//!
//! Not done here: TLS (ports 8882/8881), per-gateway rate limits.
//!
//! ```no_run
//! use std::sync::Arc;
//! use loragw_gateway_io::event::{GatewayCommand, GatewayEvent};
//! use loragw_gateway_io::registry::InMemoryRegistry;
//! use loragw_gateway_io::transport::MqttFormat;
//! use loragw_gateway_io::transport::mqtt_server::{MqttServer, MqttServerConfig};
//!
//! # async fn run(registry: InMemoryRegistry) -> std::io::Result<()> {
//! let registry = Arc::new(registry);
//! let (events_tx, mut events) = tokio::sync::mpsc::channel(1024);
//! let server = MqttServer::builder(MqttServerConfig::new(MqttFormat::V3), registry.clone())
//!     .registry(registry)
//!     .bind("[::]:1882".parse().expect("a valid address"), events_tx)
//!     .await?;
//! let handle = server.handle();
//! while let Some(event) = events.recv().await {
//!     if let GatewayEvent::Uplink { gateway, .. } = &event {
//!         let downlink = Default::default(); // a scheduled DownlinkMessage
//!         let command = GatewayCommand::Downlink { gateway: gateway.clone(), message: downlink };
//!         if let Err(_e) = handle.send_command(command) {
//!             // not connected, not expressible in the format, or the queue is full
//!         }
//!     }
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use loragw_mqtt_v3::{DEFAULT_TOKENS_CAPACITY, DownlinkTokens, GatewayUid};
use loragw_ttnpb::DownlinkMessage;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::error::CommandError;
use crate::event::{DisconnectReason, GatewayCommand, GatewayEvent};
use crate::ids::GatewayIds;
use crate::registry::{Authenticator, GatewayRegistry};
use crate::transport::MqttFormat;
use crate::transport::mqtt_format::encode_downlink;
use crate::transport::mqtt_session;

/// Default [`MqttServerConfig::max_packet_size`]: 64 KiB of payload (the payload codecs'
/// bound) plus 1 KiB for the topic and the variable header.
pub const DEFAULT_MAX_PACKET_SIZE: usize = 65 * 1024;

/// Settings of one MQTT listener.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MqttServerConfig {
    /// The gateway format the listener speaks.
    pub format: MqttFormat,
    /// Largest MQTT packet accepted, as the packet's "remaining length" (everything after the
    /// fixed header); a larger one closes the connection before it is read. Also bounds each
    /// connection's read buffer. Default [`DEFAULT_MAX_PACKET_SIZE`].
    pub max_packet_size: usize,
    /// Time from accept to a complete CONNECT. Default 10 s.
    pub connect_timeout: Duration,
    /// Time a write to the gateway may take before the connection is given up. Default 10 s.
    pub write_timeout: Duration,
    /// Downlinks queued per connection (until subscribed, or while the socket is busy).
    /// Default 16.
    pub downlink_queue: usize,
    /// v3 downlinks remembered per connection for matching acknowledgements. Default
    /// [`DEFAULT_TOKENS_CAPACITY`].
    pub downlink_tokens: usize,
    /// Connections served at once; more are closed on accept. Default 10 000.
    pub max_connections: usize,
}

impl MqttServerConfig {
    /// The defaults for `format`.
    pub fn new(format: MqttFormat) -> Self {
        MqttServerConfig {
            format,
            max_packet_size: DEFAULT_MAX_PACKET_SIZE,
            connect_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            downlink_queue: 16,
            downlink_tokens: DEFAULT_TOKENS_CAPACITY,
            max_connections: 10_000,
        }
    }
}

/// What a connection task is told from outside.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// Publish this (QoS 0) on this topic.
    Publish { topic: String, payload: Bytes },
}

/// A connected gateway, as the router sees it.
pub(crate) struct Route {
    pub(crate) conn_id: u64,
    pub(crate) uid: GatewayUid,
    pub(crate) outbox: mpsc::Sender<Outgoing>,
    /// Ends the connection with this reason; taken when used.
    pub(crate) kill: Option<oneshot::Sender<DisconnectReason>>,
    pub(crate) tokens: Arc<Mutex<DownlinkTokens<DownlinkMessage>>>,
    /// The ids the connection's events carry.
    pub(crate) gateway: GatewayIds,
}

/// State shared by the listener, its connections and the handles.
pub(crate) struct Shared {
    pub(crate) config: MqttServerConfig,
    pub(crate) auth: Arc<dyn Authenticator>,
    pub(crate) registry: Option<Arc<dyn GatewayRegistry>>,
    pub(crate) events: mpsc::Sender<GatewayEvent>,
    /// gateway id → its current connection.
    pub(crate) routes: Mutex<HashMap<String, Route>>,
    /// gateway id → the lock that orders its `Connected` / `Disconnected` events.
    gates: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// gateway id → its downlinks awaiting acknowledgement, kept across reconnections (an
    /// acknowledgement may come over a new connection). One bounded entry per gateway that
    /// ever connected.
    tokens: Mutex<HashMap<String, Arc<Mutex<DownlinkTokens<DownlinkMessage>>>>>,
    next_conn: AtomicU64,
    pub(crate) shutdown: watch::Receiver<bool>,
}

impl Shared {
    pub(crate) fn routes(&self) -> std::sync::MutexGuard<'_, HashMap<String, Route>> {
        self.routes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The lock serialising the lifecycle events of `gateway_id`.
    pub(crate) fn gate(&self, gateway_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut gates = self.gates.lock().unwrap_or_else(PoisonError::into_inner);
        // Drop gates nobody holds, so the map tracks live gateways only.
        if gates.len() > 64 && gates.len() > 2 * self.routes().len() {
            gates.retain(|_, g| Arc::strong_count(g) > 1);
        }
        gates.entry(gateway_id.to_owned()).or_default().clone()
    }

    /// The downlink tokens of `gateway_id`, created on first use. Tokens of different gateways
    /// start far apart, so an acknowledgement cannot match another gateway's downlink.
    pub(crate) fn tokens(&self, gateway_id: &str) -> Arc<Mutex<DownlinkTokens<DownlinkMessage>>> {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        let seed = (tokens.len() as u64) << 32;
        tokens
            .entry(gateway_id.to_owned())
            .or_insert_with(|| {
                Arc::new(Mutex::new(DownlinkTokens::new(
                    self.config.downlink_tokens,
                    seed,
                )))
            })
            .clone()
    }

    pub(crate) fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }
}

/// Builds an [`MqttServer`].
pub struct MqttServerBuilder {
    config: MqttServerConfig,
    auth: Arc<dyn Authenticator>,
    registry: Option<Arc<dyn GatewayRegistry>>,
}

impl MqttServerBuilder {
    /// Looks connecting gateways up in `registry`, so events carry their EUI.
    pub fn registry(mut self, registry: Arc<dyn GatewayRegistry>) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Binds `addr` (port 0 picks a free one) and starts accepting; events go to `events`.
    pub async fn bind(
        self,
        addr: SocketAddr,
        events: mpsc::Sender<GatewayEvent>,
    ) -> io::Result<MqttServer> {
        let listener = TcpListener::bind(addr).await?;
        Ok(self.serve(listener, events))
    }

    /// Serves gateways on an already bound listener; events go to `events`.
    pub fn serve(self, listener: TcpListener, events: mpsc::Sender<GatewayEvent>) -> MqttServer {
        let local_addr = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let (shutdown_tx, shutdown) = watch::channel(false);
        let shared = Arc::new(Shared {
            config: self.config,
            auth: self.auth,
            registry: self.registry,
            events,
            routes: Mutex::new(HashMap::new()),
            gates: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(1),
            shutdown,
        });
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        MqttServer {
            local_addr,
            handle: MqttServerHandle { shared },
            shutdown: shutdown_tx,
            accept,
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let permits = Arc::new(Semaphore::new(shared.config.max_connections));
    let mut shutdown = shared.shutdown.clone();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => return,
        };
        let (stream, remote) = match accepted {
            Ok(accepted) => accepted,
            // Out of file descriptors and the like: back off briefly instead of spinning.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            drop(stream); // over the connection limit
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            mqtt_session::run(shared, stream, remote).await;
            drop(permit);
        });
    }
}

/// A running MQTT listener. Dropping it stops accepting and closes every connection (each
/// reported `Disconnected { reason: Shutdown }`).
pub struct MqttServer {
    local_addr: SocketAddr,
    handle: MqttServerHandle,
    shutdown: watch::Sender<bool>,
    accept: JoinHandle<()>,
}

impl MqttServer {
    /// A builder for a listener with `config`, checking credentials with `auth`.
    pub fn builder(config: MqttServerConfig, auth: Arc<dyn Authenticator>) -> MqttServerBuilder {
        MqttServerBuilder {
            config,
            auth,
            registry: None,
        }
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle for sending commands to the listener's gateways.
    pub fn handle(&self) -> MqttServerHandle {
        self.handle.clone()
    }

    /// Stops accepting and closes every connection.
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
    }
}

impl Drop for MqttServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.accept.abort();
    }
}

impl std::fmt::Debug for MqttServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttServer")
            .field("local_addr", &self.local_addr)
            .field("format", &self.handle.shared.config.format)
            .finish_non_exhaustive()
    }
}

/// Sends commands to the gateways of one [`MqttServer`]; cheap to clone.
#[derive(Clone)]
pub struct MqttServerHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for MqttServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttServerHandle")
            .field("format", &self.shared.config.format)
            .finish_non_exhaustive()
    }
}

impl MqttServerHandle {
    /// Whether the gateway is connected to this listener.
    pub fn is_connected(&self, gateway_id: &str) -> bool {
        self.shared.routes().contains_key(gateway_id)
    }

    /// Carries out a command without waiting: a downlink is encoded and queued for the
    /// gateway's connection (published once the gateway has subscribed to its `down` topic);
    /// a disconnect closes the connection, reported `Disconnected { reason: Shutdown }`.
    ///
    /// Errors: the gateway is not connected here, the downlink cannot be expressed in the
    /// format (v3 and v2 need `scheduled` settings; v2 cannot carry absolute time or
    /// LR-FHSS), or the connection's queue is full.
    pub fn send_command(&self, command: GatewayCommand) -> Result<(), CommandError> {
        let gateway_id = command.gateway().gateway_id.clone();
        let mut routes = self.shared.routes();
        let Some(route) = routes.get_mut(&gateway_id) else {
            return Err(CommandError::NotConnected(gateway_id));
        };
        match command {
            GatewayCommand::Downlink { message, .. } => {
                let mut buf = Vec::new();
                let topic = encode_downlink(
                    self.shared.config.format,
                    &route.uid,
                    &message,
                    &route.tokens,
                    &mut buf,
                )
                .map_err(|source| CommandError::Translate {
                    gateway: gateway_id.clone(),
                    source,
                })?;
                let outgoing = Outgoing::Publish {
                    topic,
                    payload: Bytes::from(buf),
                };
                route.outbox.try_send(outgoing).map_err(|e| {
                    let reason = match e {
                        mpsc::error::TrySendError::Full(_) => "downlink queue is full",
                        mpsc::error::TrySendError::Closed(_) => "connection is closing",
                    };
                    CommandError::Rejected {
                        gateway: gateway_id,
                        reason: reason.into(),
                    }
                })
            }
            GatewayCommand::Disconnect { .. } => {
                if let Some(kill) = route.kill.take() {
                    let _ = kill.send(DisconnectReason::Shutdown);
                }
                Ok(())
            }
            // Commands added to the model later are refused until this listener learns them.
            #[allow(unreachable_patterns)]
            _ => Err(CommandError::Rejected {
                gateway: gateway_id,
                reason: "command not supported over MQTT".into(),
            }),
        }
    }
}
