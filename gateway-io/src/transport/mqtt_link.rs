//! What the MQTT listener's driver and its connection tasks exchange.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use loragw_mqtt_v3::GatewayUid;
use tokio::sync::{mpsc, oneshot};

use super::accept::RefusalLog;
use super::listener::{RefusalReason, Registry, Stats};
use super::mqtt_settings::MqttSettings;
use crate::event::DisconnectReason;
use crate::frontend::ConnectionId;
use crate::ids::GatewayIds;
use crate::registry::GatewayRecord;

/// A downlink PUBLISH for a connection task.
#[derive(Debug)]
pub(crate) struct Downlink {
    /// The frontend's number for it, reported back once written.
    pub(crate) id: u64,
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
    /// An authenticated gateway (checked in its connection task).
    Connect {
        connection: ConnectionId,
        uid: GatewayUid,
        record: Box<GatewayRecord>,
        remote: SocketAddr,
        /// The CONNECT's keep-alive, seconds.
        keep_alive: u16,
        downlinks: mpsc::Sender<Box<Downlink>>,
        /// Dropped by the driver to close the connection.
        open: oneshot::Sender<()>,
        reply: oneshot::Sender<Result<GatewayIds, RefusalReason>>,
    },
    /// A downlink PUBLISH was written.
    Written {
        connection: ConnectionId,
        downlink: u64,
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
    /// UNSUBSCRIBE filters.
    Unsubscribe {
        connection: ConnectionId,
        filters: Vec<String>,
    },
    /// Any other packet from the gateway (PINGREQ, PUBREL, ...): it is alive.
    Heard { connection: ConnectionId },
    Closed {
        connection: ConnectionId,
        reason: DisconnectReason,
    },
}

/// What connection tasks share.
pub(crate) struct Shared {
    pub(crate) settings: MqttSettings,
    pub(crate) inputs: mpsc::Sender<Input>,
    pub(crate) registry: Arc<dyn Registry>,
    pub(crate) stats: Arc<Stats>,
    pub(crate) log: Arc<RefusalLog>,
}
