//! What every listener shares: the one event channel, the gateway → listener routes, and the
//! command and control paths back to a listener's driver task.
//!
//! A gateway has at most one route. When it connects on listener B while it holds a route on
//! listener A, the route moves to B at once and A is told to close its connection
//! ([`Control::Replaced`], reported `Disconnected { reason: Replaced }`); A's late disconnect
//! never removes B's route. Within one listener the frontend replaces the older connection
//! itself, and a frontend reports `Disconnected` only for the connection that holds the
//! gateway there. Each route carries the epoch of the `Connected` that made it (a counter of
//! the hub), and a [`Control::Replaced`] carries the new route's epoch: a listener closes its
//! connection only if that connection is older, so a control that arrives after the gateway
//! reconnected to the same listener never closes the newest connection.

// With only CUPS (no frontend-driven listener), the event path is unused.
#![cfg_attr(not(any(feature = "udp", feature = "lbs")), allow(dead_code))]

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use crate::error::CommandError;
use crate::event::{GatewayCommand, GatewayEvent, Protocol};
use crate::ids::GatewayIds;

/// Events a driver holds back while the application is not reading; past this it stops taking
/// input from its sockets (backpressure) but keeps serving commands and timers.
pub(crate) const EVENT_BACKLOG: usize = 256;

/// Commands waiting for a driver (per listener).
pub(crate) const COMMAND_CAPACITY: usize = 256;

/// Index of a listener in the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ListenerId(pub(crate) usize);

/// A command with the channel its result goes back on.
#[derive(Debug)]
pub(crate) struct CommandRequest {
    pub(crate) command: GatewayCommand,
    pub(crate) reply: oneshot::Sender<Result<(), CommandError>>,
}

/// What the hub asks of a listener's driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Control {
    /// The gateway connected on another listener (the route of epoch `epoch`): close its
    /// connection here if it is older (reason `Replaced`, its downlinks in flight failed as
    /// replaced).
    Replaced { gateway_id: String, epoch: u64 },
}

/// Where a connected gateway is.
#[derive(Debug, Clone)]
struct Route {
    listener: ListenerId,
    ids: GatewayIds,
    protocol: Protocol,
}

/// The one event stream and the routes, shared by all drivers.
#[derive(Debug)]
pub(crate) struct Hub {
    events: mpsc::Sender<GatewayEvent>,
    /// gateway id → listener it is connected to, and the ids and protocol of its `Connected`
    /// event.
    routes: Mutex<HashMap<String, Route>>,
    /// The epoch of the last `Connected` tracked.
    epoch: std::sync::atomic::AtomicU64,
    /// Each listener's control channel, by listener index. Unbounded: one message per
    /// authenticated connection that replaces another, which the connection caps bound.
    controls: Mutex<Vec<Option<mpsc::UnboundedSender<Control>>>>,
}

impl Hub {
    pub(crate) fn new(events: mpsc::Sender<GatewayEvent>) -> Self {
        Hub {
            events,
            routes: Mutex::new(HashMap::new()),
            epoch: std::sync::atomic::AtomicU64::new(0),
            controls: Mutex::new(Vec::new()),
        }
    }

    /// A control channel for listener `id`.
    pub(crate) fn register(&self, id: ListenerId) -> mpsc::UnboundedReceiver<Control> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut controls = self.controls.lock().unwrap_or_else(PoisonError::into_inner);
        if controls.len() <= id.0 {
            controls.resize(id.0 + 1, None);
        }
        controls[id.0] = Some(tx);
        rx
    }

    /// Puts an event that belongs to no session (a refused client) on the stream if there is
    /// room, without waiting: such events are rate-limited signals, and the counters in
    /// `GatewayServer::stats()` stay exact when one is dropped.
    #[cfg_attr(not(any(feature = "lbs", feature = "mqtt-server")), allow(dead_code))]
    pub(crate) fn try_publish(&self, event: GatewayEvent) {
        let _ = self.events.try_send(event);
    }

    fn control(&self, id: ListenerId, control: Control) {
        let controls = self.controls.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(Some(tx)) = controls.get(id.0) {
            // A listener that stopped has no connection left to close.
            let _ = tx.send(control);
        }
    }

    /// The listener a gateway is connected to.
    pub(crate) fn route(&self, gateway_id: &str) -> Option<ListenerId> {
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(gateway_id)
            .map(|r| r.listener)
    }

    /// Drops a gateway's route (the server stops and the gateway's protocol has no
    /// connection to close).
    pub(crate) fn forget(&self, gateway_id: &str) {
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(gateway_id);
    }

    /// The ids and protocol of every gateway with a route (connected now).
    pub(crate) fn connected(&self) -> Vec<(GatewayIds, Protocol)> {
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|r| (r.ids.clone(), r.protocol))
            .collect()
    }

    /// Follows connects and disconnects: a newer connection (on any listener) takes the route
    /// and the listener that held it is told to close its connection; only the listener
    /// holding the route may drop it, so a late disconnect of a replaced connection cannot cut
    /// the new one.
    /// Returns the epoch of a `Connected`.
    fn track(&self, from: ListenerId, event: &GatewayEvent) -> Option<u64> {
        if !matches!(
            event,
            GatewayEvent::Connected { .. } | GatewayEvent::Disconnected { .. }
        ) {
            // Uplinks, statuses and acknowledgements leave the routes alone: no lock for them.
            return None;
        }
        let id = &event.gateway().gateway_id;
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        match event {
            GatewayEvent::Connected {
                gateway, protocol, ..
            } => {
                let epoch = self.epoch.fetch_add(1, Ordering::Relaxed) + 1;
                let route = Route {
                    listener: from,
                    ids: gateway.clone(),
                    protocol: *protocol,
                };
                let old = routes.insert(id.clone(), route).map(|r| r.listener);
                drop(routes);
                if let Some(old) = old.filter(|old| *old != from) {
                    self.control(
                        old,
                        Control::Replaced {
                            gateway_id: id.clone(),
                            epoch,
                        },
                    );
                }
                Some(epoch)
            }
            GatewayEvent::Disconnected { .. }
                if routes.get(id).is_some_and(|r| r.listener == from) =>
            {
                routes.remove(id);
                None
            }
            _ => None,
        }
    }
}

/// A driver's side of the event stream: events are queued locally, routes updated at once, and
/// delivered as the application reads.
#[derive(Debug)]
pub(crate) struct Publisher {
    hub: Arc<Hub>,
    id: ListenerId,
    pending: VecDeque<GatewayEvent>,
    /// The epoch of each gateway connected on this listener (one entry per session).
    epochs: HashMap<String, u64>,
}

impl Publisher {
    pub(crate) fn new(hub: Arc<Hub>, id: ListenerId) -> Self {
        Publisher {
            hub,
            id,
            pending: VecDeque::new(),
            epochs: HashMap::new(),
        }
    }

    /// Queues an event (and updates the routes, so downlinks reach a gateway the application
    /// has not yet heard of).
    pub(crate) fn push(&mut self, event: GatewayEvent) {
        let epoch = self.hub.track(self.id, &event);
        match &event {
            GatewayEvent::Connected { gateway, .. } => {
                if let Some(epoch) = epoch {
                    self.epochs.insert(gateway.gateway_id.clone(), epoch);
                }
            }
            GatewayEvent::Disconnected { gateway, .. } => {
                self.epochs.remove(&gateway.gateway_id);
            }
            _ => {}
        }
        self.pending.push_back(event);
    }

    /// The gateway to close for a hub control, if its connection here is older than the route
    /// that replaced it.
    #[cfg_attr(not(any(feature = "lbs", feature = "mqtt-server")), allow(dead_code))]
    pub(crate) fn replaced<'c>(&self, control: &'c Control) -> Option<&'c str> {
        match control {
            Control::Replaced { gateway_id, epoch } => self
                .epochs
                .get(gateway_id)
                .is_some_and(|mine| mine < epoch)
                .then_some(gateway_id.as_str()),
        }
    }

    /// Whether events wait for delivery.
    pub(crate) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Whether the driver should stop reading input until the application catches up.
    pub(crate) fn is_backlogged(&self) -> bool {
        self.pending.len() >= EVENT_BACKLOG
    }

    /// Delivers queued events, oldest first, while the event channel has room, without
    /// waiting. When the application dropped the server, queued events are discarded.
    #[cfg_attr(not(feature = "udp"), allow(dead_code))]
    pub(crate) fn deliver_ready(&mut self) {
        while let Some(event) = self.pending.pop_front() {
            match self.hub.events.try_send(event) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(event)) => {
                    self.pending.push_front(event);
                    return;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    self.pending.clear();
                    return;
                }
            }
        }
    }

    /// Waits for room in the event channel and delivers the oldest event. Cancel-safe: an event
    /// leaves the queue only once it is in the channel. When the application dropped the
    /// server, queued events are discarded.
    pub(crate) async fn deliver(&mut self) {
        match self.hub.events.reserve().await {
            Ok(permit) => {
                if let Some(event) = self.pending.pop_front() {
                    permit.send(event);
                }
            }
            Err(_) => self.pending.clear(),
        }
    }
}

/// Sleeps until `deadline`, or forever without one (for `select!` branches).
pub(crate) async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{DisconnectReason, Protocol};
    use crate::ids::GatewayIds;

    fn connected(id: &str) -> GatewayEvent {
        GatewayEvent::Connected {
            gateway: GatewayIds::new(id, None),
            protocol: Protocol::BasicStation,
            remote: None,
        }
    }

    fn disconnected(id: &str) -> GatewayEvent {
        GatewayEvent::Disconnected {
            gateway: GatewayIds::new(id, None),
            protocol: Protocol::BasicStation,
            reason: DisconnectReason::Replaced,
        }
    }

    #[tokio::test]
    async fn routes_follow_the_newest_listener_and_events_keep_their_order() {
        let (tx, mut rx) = mpsc::channel(1);
        let hub = Arc::new(Hub::new(tx));
        let mut udp = Publisher::new(hub.clone(), ListenerId(0));
        let mut lbs = Publisher::new(hub.clone(), ListenerId(1));
        let mut udp_controls = hub.register(ListenerId(0));
        let mut lbs_controls = hub.register(ListenerId(1));

        udp.push(connected("gw"));
        assert_eq!(
            hub.route("gw"),
            Some(ListenerId(0)),
            "routed before delivery"
        );
        lbs.push(connected("gw"));
        // The listener that held the route is told to close its connection, only that one.
        let control = udp_controls.try_recv().unwrap();
        assert_eq!(udp.replaced(&control), Some("gw"));
        assert!(lbs_controls.try_recv().is_err());
        // Had the gateway reconnected to the first listener meanwhile, the late control would
        // not close that newer connection.
        let mut again = Publisher::new(hub.clone(), ListenerId(0));
        again.push(connected("gw"));
        assert_eq!(again.replaced(&control), None);
        let _ = lbs_controls.try_recv().unwrap();
        lbs.push(connected("gw"));
        assert!(udp_controls.try_recv().is_ok());
        // The late disconnect from the replaced listener keeps the new route.
        udp.push(disconnected("gw"));
        assert_eq!(hub.route("gw"), Some(ListenerId(1)));

        // Channel of one: deliver, read, deliver, read; order per publisher is kept.
        udp.deliver().await;
        assert!(matches!(
            rx.recv().await,
            Some(GatewayEvent::Connected { .. })
        ));
        udp.deliver().await;
        assert!(matches!(
            rx.recv().await,
            Some(GatewayEvent::Disconnected { .. })
        ));
        assert!(!udp.has_pending());

        lbs.push(disconnected("gw"));
        assert_eq!(hub.route("gw"), None);

        // Without waiting: as many as the channel has room for, in order, the rest kept
        // (a channel of one: one at a time).
        let mut other = Publisher::new(hub.clone(), ListenerId(2));
        other.push(connected("gw-2"));
        other.push(disconnected("gw-2"));
        other.deliver_ready();
        assert!(other.has_pending());
        let first = rx.recv().await.unwrap();
        assert!(matches!(first, GatewayEvent::Connected { .. }), "{first:?}");
        other.deliver_ready();
        assert!(!other.has_pending());
        let second = rx.recv().await.unwrap();
        assert!(
            matches!(second, GatewayEvent::Disconnected { .. }),
            "{second:?}"
        );

        // Once the application is gone, queued events are dropped instead of blocking.
        drop(rx);
        lbs.deliver().await;
        assert!(!lbs.has_pending());
    }
}
