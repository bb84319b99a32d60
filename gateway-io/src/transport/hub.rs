//! What every listener shares: the one event channel, the gateway → listener routes, and the
//! command path back to a listener's driver task.

// With only CUPS (no frontend-driven listener), the event path is unused.
#![cfg_attr(not(any(feature = "udp", feature = "lbs")), allow(dead_code))]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime};

use tokio::sync::{mpsc, oneshot};

use crate::error::CommandError;
use crate::event::{GatewayCommand, GatewayEvent};

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

/// The one event stream and the routes, shared by all drivers.
#[derive(Debug)]
pub(crate) struct Hub {
    events: mpsc::Sender<GatewayEvent>,
    /// gateway id → listener it is connected to.
    routes: Mutex<HashMap<String, ListenerId>>,
}

impl Hub {
    pub(crate) fn new(events: mpsc::Sender<GatewayEvent>) -> Self {
        Hub {
            events,
            routes: Mutex::new(HashMap::new()),
        }
    }

    /// The listener a gateway is connected to.
    pub(crate) fn route(&self, gateway_id: &str) -> Option<ListenerId> {
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(gateway_id)
            .copied()
    }

    /// Follows connects and disconnects: a newer connection (on any listener) takes the route;
    /// only the listener holding the route may drop it, so a late disconnect of a replaced
    /// connection cannot cut the new one.
    fn track(&self, from: ListenerId, event: &GatewayEvent) {
        let id = &event.gateway().gateway_id;
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        match event {
            GatewayEvent::Connected { .. } => {
                routes.insert(id.clone(), from);
            }
            GatewayEvent::Disconnected { .. } if routes.get(id) == Some(&from) => {
                routes.remove(id);
            }
            _ => {}
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
}

impl Publisher {
    pub(crate) fn new(hub: Arc<Hub>, id: ListenerId) -> Self {
        Publisher {
            hub,
            id,
            pending: VecDeque::new(),
        }
    }

    /// Queues an event (and updates the routes, so downlinks reach a gateway the application
    /// has not yet heard of).
    pub(crate) fn push(&mut self, event: GatewayEvent) {
        self.hub.track(self.id, &event);
        self.pending.push_back(event);
    }

    /// Whether events wait for delivery.
    pub(crate) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Whether the driver should stop reading input until the application catches up.
    pub(crate) fn is_backlogged(&self) -> bool {
        self.pending.len() >= EVENT_BACKLOG
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

/// The monotonic and wall clocks of an input, read once.
pub(crate) fn now() -> (Instant, loragw_ttnpb::Timestamp) {
    let wall = loragw_ttnpb::time::system_time_to_timestamp(SystemTime::now()).unwrap_or_default();
    (Instant::now(), wall)
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

        udp.push(connected("gw"));
        assert_eq!(
            hub.route("gw"),
            Some(ListenerId(0)),
            "routed before delivery"
        );
        lbs.push(connected("gw"));
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

        // Once the application is gone, queued events are dropped instead of blocking.
        drop(rx);
        lbs.deliver().await;
        assert!(!lbs.has_pending());
    }
}
