//! The connection table of the websocket frontends (Basics Station and Tabs Hubs): which
//! connection each gateway is on, what the transport must do next, the events, the sessions'
//! timers, and the lifecycle every such connection shares — connected (replacing the
//! gateway's older connection), closed (each downlink in flight failed, then `Disconnected`),
//! replaced from another listener, disconnected on command. Each frontend keeps what differs:
//! its session type and how its session's events become [`GatewayEvent`]s.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use loragw_ttnpb::DownlinkMessage;

use super::timers::Timers;
use super::{ConnectionId, LastInput, Now};
use crate::adapter::lbs::tx_timeout_to_ack;
use crate::error::CommandError;
use crate::event::{DisconnectReason, GatewayEvent, Protocol, TxFailure};
use crate::ids::GatewayIds;

/// Something for the transport to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LbsOutput {
    /// Send a text frame.
    Send {
        /// The connection.
        connection: ConnectionId,
        /// The JSON text.
        text: String,
    },
    /// Close the websocket.
    Close {
        /// The connection.
        connection: ConnectionId,
    },
}

/// What the table needs to know of a connection's state.
pub(super) trait WsGateway {
    /// The gateway on the connection.
    fn ids(&self) -> &GatewayIds;
    /// The downlinks sent and not yet acknowledged or expired, oldest first.
    fn downlinks_in_flight(&self) -> impl Iterator<Item = &DownlinkMessage>;
    /// The session's next deadline.
    fn poll_timeout(&self) -> Option<Instant>;
}

/// Connections of one websocket listener, by connection and by gateway.
#[derive(Debug)]
pub(super) struct WsTable<C> {
    protocol: Protocol,
    /// Boxed: a connection's state is large (session, plan, router configuration) and the map
    /// keeps spare slots.
    pub(super) connections: HashMap<ConnectionId, Box<C>>,
    pub(super) by_gateway: HashMap<String, ConnectionId>,
    /// Each connection's session timer, earliest first (no walk over the connections).
    timers: Timers<ConnectionId>,
    pub(super) events: VecDeque<GatewayEvent>,
    pub(super) outputs: VecDeque<LbsOutput>,
    last_input: LastInput,
    /// Messages that did not parse, since the frontend started.
    pub(super) decode_errors: u64,
}

impl<C: WsGateway> WsTable<C> {
    /// An empty table whose events name `protocol`.
    pub(super) fn new(protocol: Protocol) -> Self {
        WsTable {
            protocol,
            connections: HashMap::new(),
            by_gateway: HashMap::new(),
            timers: Timers::default(),
            events: VecDeque::new(),
            outputs: VecDeque::new(),
            last_input: LastInput::default(),
            decode_errors: 0,
        }
    }

    /// Remembers the time of an input, for [`poll_timeout`](Self::poll_timeout).
    pub(super) fn record_input(&mut self, now: Now) {
        self.last_input.record(now.instant);
    }

    /// An authenticated gateway's new connection. A connection of the same gateway still open
    /// is replaced (closed, `Disconnected { Replaced }`, its downlinks in flight failed) before
    /// this one reports `Connected`.
    pub(super) fn insert(
        &mut self,
        now: Now,
        connection: ConnectionId,
        state: C,
        remote: Option<SocketAddr>,
    ) -> GatewayIds {
        let ids = state.ids().clone();
        if let Some(old) = self.by_gateway.get(&ids.gateway_id).copied()
            && old != connection
        {
            self.outputs.push_back(LbsOutput::Close { connection: old });
            self.close(now, old, DisconnectReason::Replaced);
        }
        self.by_gateway.insert(ids.gateway_id.clone(), connection);
        self.timers.set(connection, state.poll_timeout());
        self.connections.insert(connection, Box::new(state));
        self.events.push_back(GatewayEvent::Connected {
            gateway: ids.clone(),
            protocol: self.protocol,
            remote,
        });
        ids
    }

    /// The gateway connected on another listener: closes its connection here, if any.
    pub(super) fn replaced(&mut self, now: Now, gateway_id: &str) {
        if let Some(connection) = self.by_gateway.get(gateway_id).copied() {
            self.outputs.push_back(LbsOutput::Close { connection });
            self.close(now, connection, DisconnectReason::Replaced);
        }
    }

    /// The websocket closed: each downlink still in flight ends in a failed `TxAck`, then the
    /// gateway is reported `Disconnected`.
    pub(super) fn close(&mut self, now: Now, connection: ConnectionId, reason: DisconnectReason) {
        self.record_input(now);
        let Some(state) = self.connections.remove(&connection) else {
            return;
        };
        self.timers.remove(connection);
        let ids = state.ids();
        if self.by_gateway.get(&ids.gateway_id) == Some(&connection) {
            self.by_gateway.remove(&ids.gateway_id);
        }
        let failure = TxFailure::from_disconnect(&reason);
        for down in state.downlinks_in_flight() {
            self.events.push_back(GatewayEvent::TxAck {
                gateway: ids.clone(),
                protocol: self.protocol,
                ack: tx_timeout_to_ack(Some(down)),
                failure: Some(failure.clone()),
            });
        }
        self.events.push_back(GatewayEvent::Disconnected {
            gateway: ids.clone(),
            protocol: self.protocol,
            reason,
        });
    }

    /// The connection of `gateway_id`, for a command.
    pub(super) fn connection_of(&self, gateway_id: &str) -> Result<ConnectionId, CommandError> {
        self.by_gateway
            .get(gateway_id)
            .copied()
            .ok_or_else(|| CommandError::NotConnected(gateway_id.to_owned()))
    }

    /// A `Disconnect` command: the transport closes the websocket, the gateway is reported
    /// `Disconnected { Shutdown }`.
    pub(super) fn disconnect(&mut self, now: Now, connection: ConnectionId) {
        self.outputs.push_back(LbsOutput::Close { connection });
        self.close(now, connection, DisconnectReason::Shutdown);
    }

    /// Sets the connection's timer from its session (after the session was touched).
    pub(super) fn rearm(&mut self, connection: ConnectionId) {
        let deadline = self
            .connections
            .get(&connection)
            .and_then(|c| c.poll_timeout());
        self.timers.set(connection, deadline);
    }

    /// The connections whose timer is due at `now` (their timers cleared; [`rearm`](Self::rearm)
    /// each after handling it).
    pub(super) fn take_due(&mut self, now: Now) -> Vec<ConnectionId> {
        self.record_input(now);
        self.timers.take_due(now.instant)
    }

    /// Whether the gateway has a connection here.
    pub(super) fn is_connected(&self, gateway_id: &str) -> bool {
        self.by_gateway.contains_key(gateway_id)
    }

    /// Downlinks in flight over all connections.
    pub(super) fn downlinks_in_flight(&self) -> usize {
        self.connections
            .values()
            .map(|c| c.downlinks_in_flight().count())
            .sum()
    }

    /// The sessions' earliest timer; or, while an output or an event is queued, the latest
    /// input's time (already due).
    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        let queued = !self.outputs.is_empty() || !self.events.is_empty();
        self.last_input.wake(self.timers.next(), queued)
    }
}

/// Queues for `connection` each text `poll_transmit` (a session's) yields.
pub(super) fn queue_transmits(
    outputs: &mut VecDeque<LbsOutput>,
    connection: ConnectionId,
    mut poll_transmit: impl FnMut(&mut String) -> bool,
) {
    let mut text = String::new();
    while poll_transmit(&mut text) {
        outputs.push_back(LbsOutput::Send {
            connection,
            text: std::mem::take(&mut text),
        });
    }
}

/// Removes and returns the downlink in flight sent as `key` (a `diid`, a `seqno`).
pub(super) fn take_downlink<K: PartialEq>(
    downlinks: &mut VecDeque<(K, DownlinkMessage)>,
    key: K,
) -> Option<DownlinkMessage> {
    let at = downlinks.iter().position(|(k, _)| *k == key)?;
    downlinks.remove(at).map(|(_, m)| m)
}
