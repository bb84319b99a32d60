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
//! Publishes are handed to rumqttc's bounded request queue; the ones still queued when a
//! connection is lost are dropped when the next clean session starts (the gateway protocols are
//! QoS 0 at heart; a forwarder should not replay stale radio traffic).
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
    /// The last connection error or refused subscription, if any.
    pub last_error: Option<String>,
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
}

/// A self-healing connection to an MQTT broker; see the [module docs](self).
pub struct MqttLink {
    client: AsyncClient,
    publish_qos: QoS,
    incoming: mpsc::Receiver<(String, Bytes)>,
    status: watch::Receiver<LinkStatus>,
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
    /// to `filters` with QoS 0 on every connection.
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
        let capacity = config.queue_capacity.max(1);
        let (client, mut eventloop) = AsyncClient::new(options, capacity);
        let mut network = eventloop.network_options();
        network.set_connection_timeout(config.connect_timeout.as_secs().max(1));
        network.set_tcp_nodelay(true);
        eventloop.set_network_options(network);
        let (incoming_tx, incoming) = mpsc::channel(capacity);
        let (status_tx, status) = watch::channel(LinkStatus::default());
        let driver = tokio::spawn(drive(
            eventloop,
            client.clone(),
            filters,
            config.reconnect_interval,
            incoming_tx,
            status_tx,
        ));
        MqttLink {
            client,
            publish_qos: config.publish_qos,
            incoming,
            status,
            driver,
        }
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

/// Polls rumqttc's event loop for the lifetime of the link: subscribes after each CONNACK,
/// forwards publishes, keeps the status, waits `reconnect_interval` after each failure.
async fn drive(
    mut eventloop: EventLoop,
    client: AsyncClient,
    filters: Vec<String>,
    reconnect_interval: Duration,
    incoming: mpsc::Sender<(String, Bytes)>,
    status: watch::Sender<LinkStatus>,
) {
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                let subscribed = filters.is_empty();
                status.send_modify(|s| {
                    s.connected = true;
                    s.subscribed = subscribed;
                    s.connections += 1;
                });
                if !subscribed {
                    let request: Vec<_> = filters
                        .iter()
                        .map(|f| SubscribeFilter::new(f.clone(), QoS::AtMostOnce))
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
            Ok(_) => {}
            Err(e) => {
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
