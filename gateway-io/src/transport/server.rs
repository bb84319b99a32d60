//! [`GatewayServer`]: any subset of listeners behind one stream of [`GatewayEvent`]s, with
//! downlinks going the other way.

// With the `server` feature alone (no listener feature) nothing can be added to the builder.
#![cfg_attr(
    not(any(feature = "udp", feature = "lbs", feature = "cups")),
    allow(dead_code, unused_variables)
)]

use std::collections::HashMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use loragw_ttnpb::DownlinkMessage;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{AbortHandle, JoinHandle};

use super::hub::{COMMAND_CAPACITY, CommandRequest, Hub, ListenerId};
use super::listener::{ConnectionTasks, ListenerContext, Registry, ServerStats, Started, Stats};
use crate::error::CommandError;
use crate::event::{DisconnectReason, GatewayCommand, GatewayEvent};
use crate::freqplan::FrequencyPlan;
use crate::ids::{Eui64, GatewayIds};
use crate::registry::{
    AuthError, Authenticator, Credential, GatewayRecord, GatewayRegistry, Right,
};

/// Events buffered between the listeners and [`GatewayServer::next_event`] by default.
pub const DEFAULT_EVENT_CAPACITY: usize = 1024;

/// How long [`GatewayServer::shutdown`] waits, within its grace period, for connections to
/// write their last frames after their gateway's final event.
const GOODBYE_WINDOW: std::time::Duration = std::time::Duration::from_secs(1);

/// A listener of the server, to ask for its address with [`GatewayServer::local_addr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListenerKind {
    /// Semtech UDP.
    Udp,
    /// Basics Station LNS (discovery and traffic), plain websocket.
    BasicStation,
    /// Basics Station LNS over TLS.
    BasicStationTls,
    /// Basics Station CUPS over plain HTTP.
    Cups,
    /// Basics Station CUPS over HTTPS.
    CupsTls,
    /// The Things Stack MQTT v3 gateway protocol, plain TCP.
    MqttV3,
    /// MQTT v3 over TLS.
    MqttV3Tls,
    /// Legacy TTN v2 MQTT gateway protocol, plain TCP.
    MqttV2,
    /// MQTT v2 over TLS.
    MqttV2Tls,
    /// Tabs Hubs (discovery and traffic), plain websocket.
    TabsHubs,
    /// Tabs Hubs over TLS.
    TabsHubsTls,
}

/// Why the server could not start or a command could not be carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// [`GatewayServerBuilder::registry`] was not called.
    #[error("no gateway registry configured")]
    NoRegistry,
    /// A listen address did not resolve.
    #[error("{listener:?}: listen address `{addr}`: {reason}")]
    Address {
        /// The listener.
        listener: ListenerKind,
        /// The address as given.
        addr: String,
        /// Why.
        reason: String,
    },
    /// A socket could not be bound.
    #[error("{listener:?}: cannot listen on {addr}: {source}")]
    Bind {
        /// The listener.
        listener: ListenerKind,
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The command could not be carried out (gateway not connected, downlink not expressible in
    /// its protocol, queue full, ...).
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The server is shutting down.
    #[error("the server has stopped")]
    Stopped,
    /// A listener's task ended (a bug that escaped the per-connection isolation, or a
    /// runtime shutting down): that listener no longer serves anyone. Returned once per task by
    /// [`GatewayServer::next_event`]; the other listeners keep running.
    #[error("{listener:?} listener stopped: {reason}")]
    ListenerStopped {
        /// The listener.
        listener: ListenerKind,
        /// Why (the panic message, or how the task ended).
        reason: String,
    },
}

/// The registry with extra frequency plans (given to the builder) consulted first.
struct WithPlans {
    inner: Arc<dyn Registry>,
    plans: HashMap<String, FrequencyPlan>,
}

impl GatewayRegistry for WithPlans {
    fn gateway_by_id(&self, gateway_id: &str) -> Option<GatewayRecord> {
        self.inner.gateway_by_id(gateway_id)
    }
    fn gateway_by_eui(&self, eui: Eui64) -> Option<GatewayRecord> {
        self.inner.gateway_by_eui(eui)
    }
    fn frequency_plan(&self, id: &str) -> Option<FrequencyPlan> {
        self.plans
            .get(id)
            .cloned()
            .or_else(|| self.inner.frequency_plan(id))
    }
}

impl Authenticator for WithPlans {
    fn authenticate(
        &self,
        gateway_id: &str,
        credential: Credential<'_>,
        right: Right,
    ) -> Result<(), AuthError> {
        self.inner.authenticate(gateway_id, credential, right)
    }
}

/// A listener to start, with its settings.
// Built once per listener at configuration time: boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
enum ListenerSpec {
    #[cfg(feature = "udp")]
    Udp(super::udp::UdpSettings),
    #[cfg(feature = "lbs")]
    Lbs(super::lbs::LbsSettings, super::accept::TlsOption),
    #[cfg(feature = "lbs")]
    Tabs(super::tabs::TabsSettings, super::accept::TlsOption),
    #[cfg(feature = "cups")]
    Cups(super::cups::CupsSettings, super::accept::TlsOption),
    #[cfg(feature = "mqtt-server")]
    Mqtt(super::mqtt_server::MqttSettings, super::accept::TlsOption),
}

impl ListenerSpec {
    fn kind(&self) -> ListenerKind {
        match *self {
            #[cfg(feature = "udp")]
            ListenerSpec::Udp(_) => ListenerKind::Udp,
            #[cfg(feature = "lbs")]
            ListenerSpec::Lbs(_, ref tls) if tls.is_some() => ListenerKind::BasicStationTls,
            #[cfg(feature = "lbs")]
            ListenerSpec::Lbs(..) => ListenerKind::BasicStation,
            #[cfg(feature = "lbs")]
            ListenerSpec::Tabs(_, ref tls) if tls.is_some() => ListenerKind::TabsHubsTls,
            #[cfg(feature = "lbs")]
            ListenerSpec::Tabs(..) => ListenerKind::TabsHubs,
            #[cfg(feature = "cups")]
            ListenerSpec::Cups(_, ref tls) if tls.is_some() => ListenerKind::CupsTls,
            #[cfg(feature = "cups")]
            ListenerSpec::Cups(..) => ListenerKind::Cups,
            #[cfg(feature = "mqtt-server")]
            ListenerSpec::Mqtt(ref settings, ref tls) => {
                use crate::frontend::mqtt::MqttVersion;
                match (settings.frontend.version, tls.is_some()) {
                    (MqttVersion::V3, false) => ListenerKind::MqttV3,
                    (MqttVersion::V3, true) => ListenerKind::MqttV3Tls,
                    (MqttVersion::V2, false) => ListenerKind::MqttV2,
                    (MqttVersion::V2, true) => ListenerKind::MqttV2Tls,
                }
            }
        }
    }

    async fn start(self, addr: SocketAddr, ctx: ListenerContext) -> std::io::Result<Started> {
        match self {
            #[cfg(feature = "udp")]
            ListenerSpec::Udp(settings) => super::udp::start(addr, settings, ctx).await,
            #[cfg(feature = "lbs")]
            ListenerSpec::Lbs(settings, tls) => super::lbs::start(addr, settings, tls, ctx).await,
            #[cfg(feature = "lbs")]
            ListenerSpec::Tabs(settings, tls) => super::tabs::start(addr, settings, tls, ctx).await,
            #[cfg(feature = "cups")]
            ListenerSpec::Cups(settings, tls) => super::cups::start(addr, settings, tls, ctx).await,
            #[cfg(feature = "mqtt-server")]
            ListenerSpec::Mqtt(settings, tls) => {
                super::mqtt_server::start(addr, settings, tls, ctx).await
            }
        }
    }
}

/// Configures and starts a [`GatewayServer`].
pub struct GatewayServerBuilder {
    registry: Option<Arc<dyn Registry>>,
    plans: HashMap<String, FrequencyPlan>,
    event_capacity: usize,
    listeners: Vec<(Result<SocketAddr, String>, String, ListenerSpec)>,
}

impl std::fmt::Debug for GatewayServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayServerBuilder")
            .field("plans", &self.plans.keys().collect::<Vec<_>>())
            .field("event_capacity", &self.event_capacity)
            .field(
                "listeners",
                &self
                    .listeners
                    .iter()
                    .map(|(_, a, s)| (s.kind(), a))
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

fn resolve(addr: impl ToSocketAddrs) -> Result<SocketAddr, String> {
    addr.to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or_else(|| "resolves to no address".to_owned())
}

impl GatewayServerBuilder {
    /// Who the gateways are and which keys they hold (required).
    pub fn registry<R: Registry + 'static>(mut self, registry: R) -> Self {
        self.registry = Some(Arc::new(registry));
        self
    }

    /// As [`registry`](Self::registry), for a registry already shared.
    pub fn shared_registry(mut self, registry: Arc<dyn Registry>) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Frequency plans looked up before the registry's own (which default to the built-in
    /// plans).
    pub fn frequency_plans(mut self, plans: impl IntoIterator<Item = FrequencyPlan>) -> Self {
        self.plans
            .extend(plans.into_iter().map(|p| (p.id.clone(), p)));
        self
    }

    /// Events buffered for [`GatewayServer::next_event`] ([`DEFAULT_EVENT_CAPACITY`]); when
    /// full, listeners stop reading their sockets until the application catches up.
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.event_capacity = capacity.max(1);
        self
    }

    fn push(mut self, addr: impl ToSocketAddrs + std::fmt::Debug, spec: ListenerSpec) -> Self {
        let text = format!("{addr:?}");
        self.listeners.push((resolve(addr), text, spec));
        self
    }

    /// A Semtech UDP listener (The Things Stack's port: 1700) with default settings.
    #[cfg(feature = "udp")]
    pub fn udp(self, addr: impl ToSocketAddrs + std::fmt::Debug) -> Self {
        self.udp_with(addr, super::udp::UdpSettings::default())
    }

    /// A Semtech UDP listener with the given settings.
    #[cfg(feature = "udp")]
    pub fn udp_with(
        self,
        addr: impl ToSocketAddrs + std::fmt::Debug,
        settings: super::udp::UdpSettings,
    ) -> Self {
        self.push(addr, ListenerSpec::Udp(settings))
    }

    /// A Basics Station LNS listener, plain websocket (The Things Stack's port: 1887).
    #[cfg(feature = "lbs")]
    pub fn basic_station(self, addr: impl ToSocketAddrs + std::fmt::Debug) -> Self {
        self.basic_station_with(addr, super::lbs::LbsSettings::default())
    }

    /// A Basics Station LNS listener with the given settings.
    #[cfg(feature = "lbs")]
    pub fn basic_station_with(
        self,
        addr: impl ToSocketAddrs + std::fmt::Debug,
        settings: super::lbs::LbsSettings,
    ) -> Self {
        self.push(addr, ListenerSpec::Lbs(settings, None))
    }

    /// A Basics Station LNS listener over TLS (The Things Stack's port: 8887).
    #[cfg(all(feature = "lbs", feature = "tls"))]
    pub fn basic_station_tls(
        self,
        addr: impl ToSocketAddrs + std::fmt::Debug,
        settings: super::lbs::LbsSettings,
        tls: super::tls::TlsConfig,
    ) -> Self {
        self.push(addr, ListenerSpec::Lbs(settings, Some(tls)))
    }

    /// A Tabs Hubs listener, plain websocket (The Things Stack's port: 1888).
    #[cfg(feature = "lbs")]
    pub fn tabs_hubs(self, addr: impl ToSocketAddrs + std::fmt::Debug) -> Self {
        self.tabs_hubs_with(addr, super::tabs::TabsSettings::default())
    }

    /// A Tabs Hubs listener with the given settings.
    #[cfg(feature = "lbs")]
    pub fn tabs_hubs_with(
        self,
        addr: impl ToSocketAddrs + std::fmt::Debug,
        settings: super::tabs::TabsSettings,
    ) -> Self {
        self.push(addr, ListenerSpec::Tabs(settings, None))
    }

    /// A Tabs Hubs listener over TLS (The Things Stack's port: 8888).
    #[cfg(all(feature = "lbs", feature = "tls"))]
    pub fn tabs_hubs_tls(
        self,
        addr: impl ToSocketAddrs + std::fmt::Debug,
        settings: super::tabs::TabsSettings,
        tls: super::tls::TlsConfig,
    ) -> Self {
        self.push(addr, ListenerSpec::Tabs(settings, Some(tls)))
    }

    /// A CUPS listener over plain HTTP. The Things Stack serves CUPS on its web port (1885 in
    /// its default deployment, 443 with TLS).
    #[cfg(feature = "cups")]
    pub fn cups(
        self,
        addr: impl ToSocketAddrs + std::fmt::Debug,
        settings: super::cups::CupsSettings,
    ) -> Self {
        self.push(addr, ListenerSpec::Cups(settings, None))
    }

    /// A CUPS listener over HTTPS.
    #[cfg(all(feature = "cups", feature = "tls"))]
    pub fn cups_tls(
        self,
        addr: impl ToSocketAddrs + std::fmt::Debug,
        settings: super::cups::CupsSettings,
        tls: super::tls::TlsConfig,
    ) -> Self {
        self.push(addr, ListenerSpec::Cups(settings, Some(tls)))
    }

    /// An MQTT v3 gateway listener (The Things Stack's port: 1882) with default settings.
    #[cfg(feature = "mqtt-server")]
    pub fn mqtt_v3(self, addr: impl ToSocketAddrs + std::fmt::Debug) -> Self {
        use crate::frontend::mqtt::MqttVersion;
        self.mqtt_with(addr, super::mqtt_server::MqttSettings::new(MqttVersion::V3))
    }

    /// A legacy v2 MQTT gateway listener (The Things Stack's port: 1881) with default settings.
    #[cfg(feature = "mqtt-server")]
    pub fn mqtt_v2(self, addr: impl ToSocketAddrs + std::fmt::Debug) -> Self {
        use crate::frontend::mqtt::MqttVersion;
        self.mqtt_with(addr, super::mqtt_server::MqttSettings::new(MqttVersion::V2))
    }

    /// An MQTT gateway listener with the given settings (the version is in
    /// `settings.frontend`).
    #[cfg(feature = "mqtt-server")]
    pub fn mqtt_with(
        self,
        addr: impl ToSocketAddrs + std::fmt::Debug,
        settings: super::mqtt_server::MqttSettings,
    ) -> Self {
        self.push(addr, ListenerSpec::Mqtt(settings, None))
    }

    /// An MQTT gateway listener over TLS (The Things Stack's ports: 8882 for v3, 8881 for v2).
    #[cfg(all(feature = "mqtt-server", feature = "tls"))]
    pub fn mqtt_tls(
        self,
        addr: impl ToSocketAddrs + std::fmt::Debug,
        settings: super::mqtt_server::MqttSettings,
        tls: super::tls::TlsConfig,
    ) -> Self {
        self.push(addr, ListenerSpec::Mqtt(settings, Some(tls)))
    }

    /// Binds every listener and starts serving. Must run inside a tokio runtime.
    pub async fn start(self) -> Result<GatewayServer, ServerError> {
        let inner = self.registry.ok_or(ServerError::NoRegistry)?;
        let registry: Arc<dyn Registry> = if self.plans.is_empty() {
            inner
        } else {
            Arc::new(WithPlans {
                inner,
                plans: self.plans,
            })
        };
        let (events_tx, events) = mpsc::channel(self.event_capacity);
        let hub = Arc::new(Hub::new(events_tx));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let stats = Arc::new(Stats::default());
        let connections = ConnectionTasks::default();
        let mut listeners = Vec::with_capacity(self.listeners.len());
        let mut commands = Vec::with_capacity(self.listeners.len());
        let mut tasks: Vec<(ListenerKind, Vec<JoinHandle<()>>)> = Vec::new();
        for (i, (addr, text, spec)) in self.listeners.into_iter().enumerate() {
            let kind = spec.kind();
            let addr = addr.map_err(|reason| ServerError::Address {
                listener: kind,
                addr: text,
                reason,
            })?;
            let (command_tx, command_rx) = mpsc::channel(COMMAND_CAPACITY);
            // Only listeners with connections to close read controls; the others get a closed
            // channel, so nothing piles up for them.
            let controls = match kind {
                ListenerKind::Udp | ListenerKind::Cups | ListenerKind::CupsTls => {
                    mpsc::unbounded_channel().1
                }
                _ => hub.register(ListenerId(i)),
            };
            let ctx = ListenerContext {
                id: ListenerId(i),
                hub: hub.clone(),
                registry: registry.clone(),
                commands: command_rx,
                controls,
                shutdown: shutdown_rx.clone(),
                stats: stats.clone(),
                connections: connections.clone(),
            };
            let started = spec.start(addr, ctx).await.map_err(|source| {
                // Listeners started so far stop with `tasks` when this returns.
                ServerError::Bind {
                    listener: kind,
                    addr,
                    source,
                }
            });
            let started = match started {
                Ok(s) => s,
                Err(e) => {
                    tasks
                        .iter()
                        .flat_map(|(_, t)| t)
                        .for_each(JoinHandle::abort);
                    return Err(e);
                }
            };
            tracing::info!(listener = ?kind, addr = %started.local_addr, "listening");
            listeners.push((kind, started.local_addr));
            commands.push(command_tx);
            tasks.push((kind, started.tasks));
        }
        // One watcher per listener task reports its end and stops the listener's other tasks
        // (a listener without its driver must not accept connections it cannot serve; their
        // cancellation is not reported again). Every task is aborted through its handle when
        // the server is dropped.
        let (stopped_tx, stopped) = mpsc::channel(tasks.len().max(1));
        let mut aborts = Vec::new();
        for (kind, handles) in tasks {
            let siblings: Vec<AbortHandle> = handles.iter().map(JoinHandle::abort_handle).collect();
            aborts.extend(siblings.iter().cloned());
            for task in handles {
                let stopped_tx = stopped_tx.clone();
                let siblings = siblings.clone();
                tokio::spawn(async move {
                    let reason = match task.await {
                        Ok(()) => "the task returned".to_owned(),
                        Err(e) if e.is_cancelled() => return,
                        Err(e) => match e.try_into_panic() {
                            Ok(p) => format!("panic: {}", super::listener::panic_message(&*p)),
                            Err(e) => e.to_string(),
                        },
                    };
                    siblings.iter().for_each(AbortHandle::abort);
                    tracing::error!(listener = ?kind, %reason, "listener task stopped");
                    let _ = stopped_tx
                        .send(ServerError::ListenerStopped {
                            listener: kind,
                            reason,
                        })
                        .await;
                });
            }
        }
        Ok(GatewayServer {
            events,
            stopped,
            all_stopped: false,
            sender: DownlinkSender {
                hub,
                commands: Arc::new(commands),
            },
            listeners,
            tasks: aborts,
            stats,
            connections,
            _shutdown: shutdown,
        })
    }
}

/// Reads a server's counters from any task ([`GatewayServer::stats_handle`]).
#[derive(Debug, Clone)]
pub struct StatsHandle(Arc<Stats>);

impl StatsHandle {
    /// The counters now ([`GatewayServer::stats`]).
    pub fn snapshot(&self) -> ServerStats {
        self.0.snapshot()
    }
}

/// A cloneable handle that sends downlinks and other commands to gateways, from any task.
#[derive(Debug, Clone)]
pub struct DownlinkSender {
    hub: Arc<Hub>,
    commands: Arc<Vec<mpsc::Sender<CommandRequest>>>,
}

impl DownlinkSender {
    /// Sends a downlink to a gateway, over whichever protocol it is connected with. Returns once
    /// the protocol machine accepted it (written or queued); its transmission result comes as a
    /// [`GatewayEvent::TxAck`].
    ///
    /// The settings are either `scheduled` (the window is chosen) or a `request` (`TxRequest`,
    /// e.g. from [`reply::class_a`](crate::reply::class_a)), which is resolved for the
    /// gateway first ([`reply::schedule`](crate::reply::schedule): RX1, else RX2, or class
    /// B / C at `absolute_time`); a request with no possible window is refused
    /// ([`CommandError::Request`](crate::error::CommandError::Request)). `tx_power` is EIRP in
    /// dBm (requests get the plan's maximum EIRP); Semtech UDP gateways are sent ERP, 2.15 dB
    /// less, rounded down ([`ERP_EIRP_DELTA_DB`](crate::adapter::udp::ERP_EIRP_DELTA_DB)).
    /// `enable_crc` defaults to false, as LoRaWAN downlinks carry no payload CRC (Semtech UDP
    /// `ncrc` true); resolved requests set it false.
    pub async fn send_downlink(
        &self,
        gateway: &GatewayIds,
        message: DownlinkMessage,
    ) -> Result<(), ServerError> {
        self.send_command(GatewayCommand::Downlink {
            gateway: gateway.clone(),
            message,
        })
        .await
    }

    /// Carries out any command (downlink, disconnect).
    pub async fn send_command(&self, command: GatewayCommand) -> Result<(), ServerError> {
        let gateway_id = &command.gateway().gateway_id;
        let listener = self
            .hub
            .route(gateway_id)
            .ok_or_else(|| CommandError::NotConnected(gateway_id.clone()))?;
        let commands = self.commands.get(listener.0).ok_or(ServerError::Stopped)?;
        let (reply, result) = oneshot::channel();
        commands
            .send(CommandRequest { command, reply })
            .await
            .map_err(|_| ServerError::Stopped)?;
        Ok(result.await.map_err(|_| ServerError::Stopped)??)
    }
}

/// Running listeners behind one event stream. Dropping it stops every listener and closes
/// every connection.
///
/// ```no_run
/// # #[cfg(feature = "udp")]
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use loragw_gateway_io::event::GatewayEvent;
/// use loragw_gateway_io::registry::InMemoryRegistry;
/// use loragw_gateway_io::transport::GatewayServer;
///
/// let registry = InMemoryRegistry::from_toml(&std::fs::read_to_string("gateways.toml")?)?;
/// let mut server = GatewayServer::builder()
///     .registry(registry)
///     .udp("[::]:1700")
///     .start()
///     .await?;
/// loop {
///     // An error: a listener stopped (the others keep serving) or the server is gone.
///     let event = server.next_event().await?;
///     if let GatewayEvent::Uplink { gateway, message, .. } = event {
///         # let reply = |_: &loragw_gateway_io::ttnpb::UplinkMessage| None;
///         if let Some(downlink) = reply(&message) {
///             server.send_downlink(&gateway, downlink).await?;
///         }
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct GatewayServer {
    events: mpsc::Receiver<GatewayEvent>,
    stopped: mpsc::Receiver<ServerError>,
    /// Every listener task has ended (and was reported).
    all_stopped: bool,
    sender: DownlinkSender,
    listeners: Vec<(ListenerKind, SocketAddr)>,
    tasks: Vec<AbortHandle>,
    stats: Arc<Stats>,
    connections: ConnectionTasks,
    _shutdown: watch::Sender<bool>,
}

impl GatewayServer {
    /// A builder with no listeners.
    pub fn builder() -> GatewayServerBuilder {
        GatewayServerBuilder {
            registry: None,
            plans: HashMap::new(),
            event_capacity: DEFAULT_EVENT_CAPACITY,
            listeners: Vec::new(),
        }
    }

    /// The next event of any listener, or why the server cannot go on as before:
    ///
    /// - [`ServerError::ListenerStopped`] when a listener's task ended (never silently: a
    ///   panic while handling one message or connection is isolated and closes only that
    ///   connection, so this means a bug escaped the isolation). Reported once per task; the
    ///   other listeners keep running and later calls return their events.
    /// - [`ServerError::Stopped`] when every listener is gone.
    pub async fn next_event(&mut self) -> Result<GatewayEvent, ServerError> {
        if self.all_stopped {
            // Every listener task ended: only what they queued before is left.
            return self.events.try_recv().map_err(|_| ServerError::Stopped);
        }
        tokio::select! {
            biased;
            stopped = self.stopped.recv() => match stopped {
                Some(stopped) => Err(stopped),
                None => {
                    self.all_stopped = true;
                    self.events.try_recv().map_err(|_| ServerError::Stopped)
                }
            },
            event = self.events.recv() => event.ok_or(ServerError::Stopped),
        }
    }

    /// Stops the server cleanly within `grace`: the TCP listeners stop accepting (their
    /// listening sockets close), every connected gateway is sent
    /// [`GatewayCommand::Disconnect`] (Basics Station stations get a websocket close frame,
    /// MQTT connections are closed after what was queued for them, Semtech UDP gateways are
    /// forgotten), the events that follow (their final `Disconnected`, with
    /// `DisconnectReason::Shutdown`, and any last uplink or TX acknowledgement) are collected
    /// until no gateway is connected or `grace` has passed, the connections get until the end
    /// of `grace` (at most one second more) to write their last frames, and then every
    /// listener stops (CUPS first finishes the requests it is serving) and the server is
    /// dropped. Returns those events, for the caller to deliver before it exits.
    ///
    /// A Semtech UDP gateway heard again during the grace period is dropped with the listeners.
    pub async fn shutdown(mut self, grace: std::time::Duration) -> Vec<GatewayEvent> {
        let deadline = tokio::time::Instant::now() + grace;
        let _ = self._shutdown.send(true);
        let mut events = Vec::new();
        // The gateways whose final `Disconnected` is still to come.
        let mut closing = std::collections::HashSet::new();
        for (gateway, protocol) in self.sender.hub.connected() {
            let command = GatewayCommand::Disconnect {
                gateway: gateway.clone(),
            };
            match tokio::time::timeout_at(deadline, self.send_command(command)).await {
                Ok(Ok(())) => {
                    closing.insert(gateway.gateway_id);
                }
                // Semtech UDP has no connection to close: the gateway is forgotten here.
                Ok(Err(ServerError::Command(CommandError::Rejected { .. }))) => {
                    self.sender.hub.forget(&gateway.gateway_id);
                    events.push(GatewayEvent::Disconnected {
                        gateway,
                        protocol,
                        reason: DisconnectReason::Shutdown,
                    });
                }
                // Gone meanwhile, or out of time.
                _ => {}
            }
        }
        // The events come through the listeners' publishers, after the routes changed.
        while !closing.is_empty() {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => {
                    if let GatewayEvent::Disconnected { gateway, .. } = &event {
                        closing.remove(&gateway.gateway_id);
                    }
                    events.push(event);
                }
                Ok(None) | Err(_) => break,
            }
        }
        // A connection writes its last frames after its gateway's final event (a station's
        // close frame): they get until the end of the grace period, at most
        // `GOODBYE_WINDOW`, before the listeners are dropped. Connections that were never a
        // gateway (a handshake in progress) do not hold the stop longer than that.
        let goodbye = deadline.min(tokio::time::Instant::now() + GOODBYE_WINDOW);
        let _ = tokio::time::timeout_at(goodbye, self.connections.all_ended()).await;
        while let Ok(event) = self.events.try_recv() {
            events.push(event);
        }
        events
    }

    /// The server's counters: connections refused by reason (TCP listeners) and Semtech UDP
    /// gateways refused, isolated panics, open sessions. Refused gateways are also reported as
    /// [`GatewayEvent::Refused`] (rate-limited), and logged through `tracing`: install a
    /// subscriber (e.g. `tracing-subscriber`) to see the logs.
    pub fn stats(&self) -> ServerStats {
        self.stats.snapshot()
    }

    /// A cloneable handle that reads [`stats`](Self::stats) from other tasks (a metrics
    /// endpoint).
    pub fn stats_handle(&self) -> StatsHandle {
        StatsHandle(self.stats.clone())
    }

    /// Sends a downlink to a gateway ([`DownlinkSender::send_downlink`]).
    pub async fn send_downlink(
        &self,
        gateway: &GatewayIds,
        message: DownlinkMessage,
    ) -> Result<(), ServerError> {
        self.sender.send_downlink(gateway, message).await
    }

    /// Carries out a command ([`DownlinkSender::send_command`]).
    pub async fn send_command(&self, command: GatewayCommand) -> Result<(), ServerError> {
        self.sender.send_command(command).await
    }

    /// A handle for sending downlinks from other tasks.
    pub fn downlink_sender(&self) -> DownlinkSender {
        self.sender.clone()
    }

    /// The bound address of the first listener of this kind (useful after binding port 0).
    pub fn local_addr(&self, kind: ListenerKind) -> Option<SocketAddr> {
        self.listeners
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, a)| *a)
    }

    /// Every listener with its bound address, in the order they were added.
    pub fn listeners(&self) -> &[(ListenerKind, SocketAddr)] {
        &self.listeners
    }
}

impl Drop for GatewayServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
