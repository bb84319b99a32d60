//! MQTT clients on rumqttc (feature `mqtt-client`).
//!
//! * [`MqttLink`]: a connection to any MQTT 3.1.1 broker that **reconnects by itself** at a
//!   configurable interval and **subscribes again after every reconnection** (brokers forget
//!   clean-session subscriptions when they restart; clients that subscribe only once stop
//!   receiving, a known pain point of other gateway bridges). Incoming publishes on the
//!   subscribed filters come out of [`MqttLink::next_publish`]; [`MqttLink::status`] tells
//!   whether the link is connected and subscribed.
//! * [`GatewayMqttClient`]: the gateway side of The Things Stack's MQTT v3 or v2 protocol over an
//!   [`MqttLink`]: publishes uplinks, status and (v3) transmission acknowledgements, yields the
//!   downlinks published on the gateway's `down` topic.
//! * [`UpstreamBroker`](super::mqtt_upstream::UpstreamBroker): a server-side helper that publishes gateway events to a broker and takes
//!   downlink commands from it, so several servers can share a broker.
//!
//! Publishes are handed to rumqttc's bounded request queue. QoS 0 publishes still queued when a
//! connection is lost are dropped (the gateway protocols are QoS 0 at heart; a forwarder should
//! not replay stale radio traffic); QoS 1 and 2 publishes the broker has not acknowledged are
//! sent again on the next connection (at least once: a receiver may see one twice).
//! [`MqttLink::try_publish`] never waits: a full queue drops the message and counts it.
//!
//! ```no_run
//! use loragw_gateway_io::frontend::mqtt::MqttVersion;
//! use loragw_gateway_io::transport::mqtt_client::{GatewayMqttClient, MqttClientConfig};
//! use loragw_mqtt_v3::GatewayUid;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let uid = GatewayUid::new("my-gateway")?;
//! let config = MqttClientConfig::new("eu1.cloud.thethings.network", 1882)
//!     .credentials(uid.to_string(), "NNSXS.API-KEY");
//! let mut client = GatewayMqttClient::connect(config, MqttVersion::V3, uid);
//! client.publish_uplink(&Default::default()).await?;
//! while let Some(downlink) = client.next_downlink().await {
//!     // hand `downlink` to the concentrator, then acknowledge it
//!     let ack = loragw_mqtt_v3::tx_ack_for(
//!         &downlink,
//!         loragw_gateway_io::ttnpb::tx_acknowledgment::Result::Success,
//!     );
//!     client.publish_tx_ack(&ack).await?;
//! }
//! # Ok(())
//! # }
//! ```

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use loragw_mqtt_v3::GatewayUid;
use loragw_ttnpb::{DownlinkMessage, GatewayStatus, TxAcknowledgment, UplinkMessage};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, SubscribeFilter};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use rumqttc::QoS;

use crate::error::TranslateError;
use crate::frontend::mqtt::MqttVersion;
use crate::transport::mqtt_format::{
    decode_downlink, down_topic, encode_status, encode_uplink, status_topic, tx_ack_topic, up_topic,
};

/// Largest packet the clients send or accept: 64 KiB of payload plus 1 KiB of header.
pub const MAX_CLIENT_PACKET_SIZE: usize = 65 * 1024;

/// Where and how an [`MqttLink`] connects.
#[derive(Clone)]
#[non_exhaustive]
pub struct MqttClientConfig {
    /// Broker host name or address.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// MQTT client id; default `loragw-<pid>-<n>`.
    pub client_id: String,
    /// CONNECT username and password (gateway uid and API key for a Gateway Server).
    pub credentials: Option<(String, String)>,
    /// Keep-alive, at least 1 s. Default 30 s.
    pub keep_alive: Duration,
    /// Wait between a lost or failed connection and the next attempt. Default 1 s.
    pub reconnect_interval: Duration,
    /// Time allowed for TCP connect plus CONNACK, whole seconds, at least 1. Default 5 s.
    pub connect_timeout: Duration,
    /// QoS of publishes. Default at most once (QoS 0), as The Things Stack's gateways use.
    pub publish_qos: QoS,
    /// Bound of the outgoing request queue and of the incoming publish queue (incoming
    /// publishes beyond it are dropped and counted). Default 64.
    pub queue_capacity: usize,
    /// QoS of subscriptions. Default at most once.
    pub subscribe_qos: QoS,
    /// The last will: (topic, payload, retained), published by the broker with
    /// [`publish_qos`](Self::publish_qos) when the link dies without disconnecting.
    pub last_will: Option<(String, Vec<u8>, bool)>,
    /// TLS (`mqtts://`; feature `mqtt-client-tls`).
    #[cfg(feature = "mqtt-client-tls")]
    pub tls: Option<ClientTls>,
}

/// TLS of an MQTT client (feature `mqtt-client-tls`).
#[cfg(feature = "mqtt-client-tls")]
#[derive(Clone)]
pub enum ClientTls {
    /// The operating system's trusted roots, no client certificate.
    NativeRoots,
    /// A rustls configuration (see [`ClientTls::from_pem`]).
    Config(std::sync::Arc<rustls::ClientConfig>),
}

#[cfg(feature = "mqtt-client-tls")]
impl ClientTls {
    /// Trusts the CA certificates of `ca_pem` (only those), and presents the client
    /// certificate chain and key of `client` (PEM) when given.
    pub fn from_pem(
        ca_pem: &[u8],
        client: Option<(&[u8], &[u8])>,
    ) -> Result<Self, crate::transport::tls::TlsError> {
        use crate::transport::tls::TlsError;
        use rustls::pki_types::pem::PemObject as _;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let pem_error = |what: &str| {
            let what = what.to_owned();
            move |e: rustls::pki_types::pem::Error| TlsError::Pem {
                what,
                reason: e.to_string(),
            }
        };
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem) {
            roots.add(cert.map_err(pem_error("CA certificate"))?)?;
        }
        if roots.is_empty() {
            return Err(TlsError::NoCertificate);
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots);
        let config = match client {
            None => builder.with_no_client_auth(),
            Some((chain, key)) => {
                let chain = CertificateDer::pem_slice_iter(chain)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(pem_error("client certificate"))?;
                let key = PrivateKeyDer::from_pem_slice(key).map_err(pem_error("client key"))?;
                builder.with_client_auth_cert(chain, key)?
            }
        };
        Ok(ClientTls::Config(std::sync::Arc::new(config)))
    }
}

#[cfg(feature = "mqtt-client-tls")]
impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ClientTls::NativeRoots => "ClientTls::NativeRoots",
            ClientTls::Config(_) => "ClientTls::Config(..)",
        })
    }
}

impl std::fmt::Debug for MqttClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttClientConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("client_id", &self.client_id)
            .field("username", &self.credentials.as_ref().map(|c| &c.0))
            .field("keep_alive", &self.keep_alive)
            .field("reconnect_interval", &self.reconnect_interval)
            .field("connect_timeout", &self.connect_timeout)
            .field("publish_qos", &self.publish_qos)
            .field("queue_capacity", &self.queue_capacity)
            .field("subscribe_qos", &self.subscribe_qos)
            .field("last_will", &self.last_will.as_ref().map(|w| &w.0))
            .finish_non_exhaustive()
    }
}

impl MqttClientConfig {
    /// Defaults for a broker at `host:port`, without credentials.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        MqttClientConfig {
            host: host.into(),
            port,
            client_id: format!("loragw-{}-{n}", std::process::id()),
            credentials: None,
            keep_alive: Duration::from_secs(30),
            reconnect_interval: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(5),
            publish_qos: QoS::AtMostOnce,
            queue_capacity: 64,
            subscribe_qos: QoS::AtMostOnce,
            last_will: None,
            #[cfg(feature = "mqtt-client-tls")]
            tls: None,
        }
    }

    /// Sets the CONNECT username and password.
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((username.into(), password.into()));
        self
    }

    /// Sets the client id.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// Sets the wait between connection attempts.
    pub fn reconnect_interval(mut self, interval: Duration) -> Self {
        self.reconnect_interval = interval;
        self
    }

    /// Sets the keep-alive (raised to 1 s if shorter).
    pub fn keep_alive(mut self, keep_alive: Duration) -> Self {
        self.keep_alive = keep_alive;
        self
    }

    /// Sets the QoS of publishes.
    pub fn publish_qos(mut self, qos: QoS) -> Self {
        self.publish_qos = qos;
        self
    }

    /// Sets the QoS of subscriptions.
    pub fn subscribe_qos(mut self, qos: QoS) -> Self {
        self.subscribe_qos = qos;
        self
    }

    /// Sets the last will (published by the broker when the link dies without disconnecting).
    pub fn last_will(mut self, topic: impl Into<String>, payload: Vec<u8>, retain: bool) -> Self {
        self.last_will = Some((topic.into(), payload, retain));
        self
    }

    /// Sets the bound of the outgoing and incoming queues (at least 1).
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity.max(1);
        self
    }

    /// Connects over TLS (feature `mqtt-client-tls`).
    #[cfg(feature = "mqtt-client-tls")]
    pub fn tls(mut self, tls: ClientTls) -> Self {
        self.tls = Some(tls);
        self
    }
}

/// What an [`MqttLink`] is doing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkStatus {
    /// Connected to the broker (CONNACK accepted, no error since).
    pub connected: bool,
    /// The broker acknowledged every subscription on the current connection.
    pub subscribed: bool,
    /// Connections made so far (1 after the first CONNACK, 2 after the first reconnection...).
    pub connections: u64,
    /// Incoming publishes dropped because the incoming queue was full.
    pub dropped: u64,
    /// Outgoing publishes dropped because the outgoing queue was full (the broker was away
    /// too long, or slower than the traffic); see [`MqttLink::try_publish`].
    pub dropped_outgoing: u64,
    /// QoS 1 or 2 publishes not acknowledged when a connection was lost, sent again on the
    /// next connection.
    pub retried: u64,
    /// The last connection error or refused subscription, if any.
    pub last_error: Option<String>,
    /// The link sent DISCONNECT ([`MqttLink::disconnect`]).
    pub disconnected: bool,
}

impl LinkStatus {
    /// Connected and subscribed.
    pub fn is_ready(&self) -> bool {
        self.connected && self.subscribed
    }
}

/// Why a client operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The message cannot be expressed in the format.
    #[error("translating the message: {0}")]
    Translate(#[from] TranslateError),
    /// The link's connection task is gone.
    #[error("the MQTT link is closed")]
    Closed,
    /// The outgoing queue is full; the publish was dropped and counted.
    #[error("the MQTT link's outgoing queue is full")]
    Full,
}

/// A self-healing connection to an MQTT broker; see the [module docs](self).
pub struct MqttLink {
    client: AsyncClient,
    publish_qos: QoS,
    subscribe_qos: QoS,
    /// The filters subscribed to and the states published on every connection.
    session: Arc<Mutex<Session>>,
    incoming: mpsc::Receiver<(String, Bytes)>,
    status: watch::Receiver<LinkStatus>,
    status_tx: watch::Sender<LinkStatus>,
    driver: JoinHandle<()>,
}

impl std::fmt::Debug for MqttLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttLink")
            .field("status", &*self.status.borrow())
            .finish_non_exhaustive()
    }
}

impl MqttLink {
    /// Starts connecting (in a spawned task; call from within a tokio runtime) and subscribes
    /// to `filters` (and those added with [`subscribe`](Self::subscribe)) with the
    /// configured subscription QoS on every connection.
    pub fn connect(config: MqttClientConfig, filters: Vec<String>) -> MqttLink {
        let mut options =
            MqttOptions::new(config.client_id.clone(), config.host.clone(), config.port);
        options
            .set_keep_alive(config.keep_alive.max(Duration::from_secs(1)))
            .set_clean_session(true)
            .set_max_packet_size(MAX_CLIENT_PACKET_SIZE, MAX_CLIENT_PACKET_SIZE);
        if let Some((username, password)) = &config.credentials {
            options.set_credentials(username.clone(), password.clone());
        }
        if let Some((topic, payload, retain)) = &config.last_will {
            options.set_last_will(rumqttc::LastWill::new(
                topic.clone(),
                payload.clone(),
                config.publish_qos,
                *retain,
            ));
        }
        #[cfg(feature = "mqtt-client-tls")]
        if let Some(tls) = &config.tls {
            let tls = match tls {
                ClientTls::NativeRoots => rumqttc::TlsConfiguration::default(),
                ClientTls::Config(c) => rumqttc::TlsConfiguration::Rustls(c.clone()),
            };
            options.set_transport(rumqttc::Transport::tls_with_config(tls));
        }
        let capacity = config.queue_capacity.max(1);
        let (client, mut eventloop) = AsyncClient::new(options, capacity);
        let mut network = eventloop.network_options();
        network.set_connection_timeout(config.connect_timeout.as_secs().max(1));
        network.set_tcp_nodelay(true);
        eventloop.set_network_options(network);
        let (incoming_tx, incoming) = mpsc::channel(capacity);
        let (status_tx, status) = watch::channel(LinkStatus::default());
        let session = Arc::new(Mutex::new(Session {
            filters,
            states: Vec::new(),
            subscribe_qos: config.subscribe_qos,
            publish_qos: config.publish_qos,
        }));
        let driver = tokio::spawn(drive(
            eventloop,
            client.clone(),
            session.clone(),
            config.reconnect_interval,
            incoming_tx,
            status_tx.clone(),
        ));
        MqttLink {
            client,
            publish_qos: config.publish_qos,
            subscribe_qos: config.subscribe_qos,
            session,
            incoming,
            status,
            status_tx,
            driver,
        }
    }

    /// Adds a filter, subscribed to now (when connected) and on every later connection.
    pub fn subscribe(&self, filter: &str) {
        let mut session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        if !session.filters.iter().any(|f| f == filter) {
            session.filters.push(filter.to_owned());
        }
        drop(session);
        // Queued behind the publishes; when the queue is full, the next connection's
        // subscription of every filter covers it.
        let _ = self.client.try_subscribe(filter, self.subscribe_qos);
    }

    /// Removes a filter: unsubscribed now (when connected) and not subscribed again.
    pub fn unsubscribe(&self, filter: &str) {
        self.session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .filters
            .retain(|f| f != filter);
        let _ = self.client.try_unsubscribe(filter);
    }

    /// Publishes a retained state on `topic` now (through [`try_publish`](Self::try_publish));
    /// with `keep`, publishes it again on every later connection (a restarted broker, or one
    /// that published this link's last will meanwhile, learns it again), else stops doing so
    /// for this topic.
    pub fn publish_state(
        &self,
        topic: &str,
        payload: Vec<u8>,
        keep: bool,
    ) -> Result<(), ClientError> {
        let mut session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        session.states.retain(|(t, _)| t != topic);
        if keep {
            session.states.push((topic.to_owned(), payload.clone()));
        }
        drop(session);
        self.try_publish(topic.to_owned(), payload, true)
    }

    /// Publishes without waiting: the message joins the bounded outgoing queue (sent once
    /// connected; QoS 1 and 2 are sent again after a lost connection until acknowledged), or
    /// is dropped and counted ([`LinkStatus::dropped_outgoing`]) when the queue is full.
    pub fn try_publish(
        &self,
        topic: String,
        payload: Vec<u8>,
        retain: bool,
    ) -> Result<(), ClientError> {
        match self
            .client
            .try_publish(topic, self.publish_qos, retain, payload)
        {
            Ok(()) => Ok(()),
            Err(_) if self.driver.is_finished() => Err(ClientError::Closed),
            Err(_) => {
                self.status_tx.send_modify(|s| s.dropped_outgoing += 1);
                Err(ClientError::Full)
            }
        }
    }

    /// Disconnects cleanly after what is queued (the broker then does not publish the last
    /// will), waiting at most `timeout`.
    pub async fn disconnect(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.client.disconnect()).await;
        let _ = tokio::time::timeout(timeout, self.wait_for(|s| s.disconnected)).await;
    }

    /// The link's current status.
    pub fn status(&self) -> LinkStatus {
        self.status.borrow().clone()
    }

    /// Waits until `ready` holds for the status (checked at once and on every change).
    pub async fn wait_for(&self, mut ready: impl FnMut(&LinkStatus) -> bool) -> LinkStatus {
        let mut status = self.status.clone();
        match status.wait_for(|s| ready(s)).await {
            Ok(s) => s.clone(),
            // The driver is gone; report what it left.
            Err(_) => self.status(),
        }
    }

    /// Publishes `payload` on `topic` with the configured QoS; waits while the request queue
    /// is full.
    pub async fn publish(&self, topic: String, payload: Vec<u8>) -> Result<(), ClientError> {
        self.client
            .publish(topic, self.publish_qos, false, payload)
            .await
            .map_err(|_| ClientError::Closed)
    }

    /// The next publish received on a subscribed filter, as (topic, payload).
    pub async fn next_publish(&mut self) -> Option<(String, Bytes)> {
        self.incoming.recv().await
    }
}

impl Drop for MqttLink {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// How long a disconnecting link waits for the broker to close the connection.
const DISCONNECT_LINGER: Duration = Duration::from_secs(2);

/// What a link re-establishes on every connection.
#[derive(Debug)]
struct Session {
    /// Subscribed to.
    filters: Vec<String>,
    /// Retained states (topic, payload), published again.
    states: Vec<(String, Vec<u8>)>,
    subscribe_qos: QoS,
    publish_qos: QoS,
}

/// Polls rumqttc's event loop for the lifetime of the link: subscribes after each CONNACK,
/// forwards publishes, keeps the status, waits `reconnect_interval` after each failure.
///
/// QoS 1 and 2 publishes that were in flight (or still queued) when a connection broke are
/// kept here and sent first on the next connection: rumqttc forgets them when the broker
/// starts a clean session, which a restarted broker always does.
async fn drive(
    mut eventloop: EventLoop,
    client: AsyncClient,
    session: Arc<Mutex<Session>>,
    reconnect_interval: Duration,
    incoming: mpsc::Sender<(String, Bytes)>,
    status: watch::Sender<LinkStatus>,
) {
    let mut unacknowledged: Vec<rumqttc::Request> = Vec::new();
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                let retried = unacknowledged.len() as u64;
                for request in unacknowledged.drain(..).rev() {
                    eventloop.pending.push_front(request);
                }
                let (filters, states, subscribe_qos, publish_qos) = {
                    let session = session.lock().unwrap_or_else(PoisonError::into_inner);
                    (
                        session.filters.clone(),
                        session.states.clone(),
                        session.subscribe_qos,
                        session.publish_qos,
                    )
                };
                if !states.is_empty() {
                    // From a task of its own, as the subscriptions below.
                    let client = client.clone();
                    tokio::spawn(async move {
                        for (topic, payload) in states {
                            let _ = client.publish(topic, publish_qos, true, payload).await;
                        }
                    });
                }
                let subscribed = filters.is_empty();
                status.send_modify(|s| {
                    s.connected = true;
                    s.subscribed = subscribed;
                    s.connections += 1;
                    s.retried += retried;
                });
                if !subscribed {
                    let request: Vec<_> = filters
                        .into_iter()
                        .map(|f| SubscribeFilter::new(f, subscribe_qos))
                        .collect();
                    // From a task of its own: awaiting room in the request queue here would
                    // stop the event loop that makes the room.
                    let client = client.clone();
                    tokio::spawn(async move { client.subscribe_many(request).await });
                }
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                let granted = ack
                    .return_codes
                    .iter()
                    .all(|c| matches!(c, rumqttc::SubscribeReasonCode::Success(_)));
                status.send_modify(|s| {
                    s.subscribed = granted;
                    if !granted {
                        s.last_error = Some("the broker refused a subscription".into());
                    }
                });
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                // Never block the event loop (it also answers pings): drop when full.
                if incoming.try_send((publish.topic, publish.payload)).is_err() {
                    status.send_modify(|s| s.dropped += 1);
                }
            }
            Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) => {
                // Read until the broker closes the connection: closing it here with
                // acknowledgements unread would reset it, and the broker could lose the last
                // publishes and the DISCONNECT (and then publish the last will).
                let linger = tokio::time::Instant::now() + DISCONNECT_LINGER;
                while let Ok(Ok(_)) = tokio::time::timeout_at(linger, eventloop.poll()).await {}
                status.send_modify(|s| {
                    s.connected = false;
                    s.disconnected = true;
                });
                return;
            }
            Ok(_) => {}
            Err(e) => {
                // Keep the publishes that need an acknowledgement; pings, acknowledgements and
                // subscriptions are made again by the next connection.
                unacknowledged.extend(eventloop.pending.drain(..).filter(
                    |r| matches!(r, rumqttc::Request::Publish(p) if p.qos != QoS::AtMostOnce),
                ));
                status.send_modify(|s| {
                    s.connected = false;
                    s.subscribed = false;
                    s.last_error = Some(e.to_string());
                });
                tokio::time::sleep(reconnect_interval).await;
            }
        }
    }
}

/// The gateway side of The Things Stack's MQTT protocol (v3 or v2); see the
/// [module docs](self).
#[derive(Debug)]
pub struct GatewayMqttClient {
    link: MqttLink,
    version: MqttVersion,
    uid: GatewayUid,
    down_topic: String,
}

impl GatewayMqttClient {
    /// Connects as the gateway `uid` (the config's credentials should be the uid and an API
    /// key) and subscribes to its `down` topic, again after every reconnection.
    pub fn connect(config: MqttClientConfig, version: MqttVersion, uid: GatewayUid) -> Self {
        let down_topic = down_topic(version, &uid);
        let link = MqttLink::connect(config, vec![down_topic.clone()]);
        GatewayMqttClient {
            link,
            version,
            uid,
            down_topic,
        }
    }

    /// The underlying link (status, waiting for readiness).
    pub fn link(&self) -> &MqttLink {
        &self.link
    }

    /// Publishes an uplink on `v3/{uid}/up` (v3) or, converted, on `{uid}/up` (v2).
    pub async fn publish_uplink(&self, uplink: &UplinkMessage) -> Result<(), ClientError> {
        let mut buf = Vec::new();
        encode_uplink(self.version, &self.uid, uplink, &mut buf)?;
        self.link
            .publish(up_topic(self.version, &self.uid), buf)
            .await
    }

    /// Publishes a status message on the gateway's `status` topic.
    pub async fn publish_status(&self, status: &GatewayStatus) -> Result<(), ClientError> {
        let mut buf = Vec::new();
        encode_status(self.version, status, &mut buf)?;
        self.link
            .publish(status_topic(self.version, &self.uid), buf)
            .await
    }

    /// Publishes a transmission acknowledgement on `v3/{uid}/down/ack`; v2 has none.
    pub async fn publish_tx_ack(&self, ack: &TxAcknowledgment) -> Result<(), ClientError> {
        let topic = tx_ack_topic(self.version, &self.uid).ok_or(TranslateError::Unsupported {
            protocol: "mqtt-v2",
            what: "transmission acknowledgements",
        })?;
        let mut buf = Vec::new();
        loragw_mqtt_v3::codec::encode(ack, &mut buf);
        self.link.publish(topic, buf).await
    }

    /// The next downlink published on the gateway's `down` topic; payloads that do not decode
    /// are skipped. `None` once the link is closed.
    pub async fn next_downlink(&mut self) -> Option<DownlinkMessage> {
        loop {
            let (topic, payload) = self.link.next_publish().await?;
            if topic != self.down_topic {
                continue;
            }
            if let Ok(downlink) = decode_downlink(self.version, &payload) {
                return Some(downlink);
            }
        }
    }
}
