//! Frontends: the sans-IO protocol machines behind one interface, and [`Frontends`], which
//! merges their events and routes each command to the frontend the gateway is connected to.
//!
//! A new protocol plugs in by implementing [`Frontend`] (typically a protocol state machine plus
//! its adapter to ttnpb); nothing else changes. Protocol-specific inputs (datagrams, websocket
//! messages, MQTT publishes) go to the concrete frontend; what all share is the output side
//! ([`GatewayEvent`]s), downlink commands and timers.

pub mod lbs;
pub mod mqtt;
pub mod tabs;
pub mod udp;

mod timers;
mod ws_table;

use std::any::Any;
use std::collections::HashMap;
use std::time::Instant;

use loragw_ttnpb::Timestamp;

use crate::error::CommandError;
use crate::event::{GatewayCommand, GatewayEvent, Protocol};

/// The time of an input: the monotonic clock for timers, and the wall clock (UTC) for what
/// goes into messages (`received_at`, Basics Station `MuxTime`). Both come from the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Monotonic time, for timers.
    pub instant: Instant,
    /// Wall-clock time, UTC.
    pub wall: Timestamp,
}

impl Now {
    /// Both clocks.
    pub fn new(instant: Instant, wall: Timestamp) -> Self {
        Now { instant, wall }
    }

    /// This time advanced by `d` on both clocks.
    pub fn after(self, d: std::time::Duration) -> Self {
        let nanos = i64::from(self.wall.nanos) + i64::from(d.subsec_nanos());
        Now {
            instant: self.instant + d,
            wall: Timestamp {
                seconds: self.wall.seconds + d.as_secs() as i64 + nanos / 1_000_000_000,
                nanos: (nanos % 1_000_000_000) as i32,
            },
        }
    }

    /// Wall-clock seconds since the Unix epoch as a float (Basics Station's `MuxTime` unit).
    pub fn unix_seconds(&self) -> f64 {
        self.wall.seconds as f64 + f64::from(self.wall.nanos) / 1e9
    }
}

/// The time of a machine's latest input: what its `poll_timeout` answers while output is
/// queued, so a run loop that waits on `poll_timeout` never sleeps on queued output (such as the
/// downlink of a command given while handling an event).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LastInput(Option<Instant>);

impl LastInput {
    /// Remembers the time of an input (the latest one wins).
    pub(crate) fn record(&mut self, now: Instant) {
        self.0 = Some(self.0.map_or(now, |last| last.max(now)));
    }

    /// The earlier of `timer` and, when `queued`, the latest input's time.
    pub(crate) fn wake(self, timer: Option<Instant>, queued: bool) -> Option<Instant> {
        timer.into_iter().chain(self.0.filter(|_| queued)).min()
    }
}

/// A connection of a connection-oriented transport (websocket, MQTT), numbered by the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

/// A downlink scheduled at an absolute `time` only, rescheduled at the concentrator timestamp
/// of that time (for gateways that can only be told "at timestamp": `protocol` names them in
/// the error, e.g. "a Semtech UDP gateway without GPS"); others unchanged. Refused with
/// [`CommandError::Unschedulable`] when `clock` has no timestamp for the time (not synced, or
/// outside the 32-bit counter's window around the last sync).
pub(crate) fn with_timestamp(
    mut message: loragw_ttnpb::DownlinkMessage,
    clock: &crate::clock::ConcentratorClock,
    gateway: &str,
    protocol: &'static str,
) -> Result<loragw_ttnpb::DownlinkMessage, CommandError> {
    if let Some(loragw_ttnpb::downlink_message::Settings::Scheduled(s)) = &mut message.settings
        && s.timestamp == 0
        && let Some(time) = s.time
    {
        s.timestamp =
            clock
                .try_timestamp_for(&time)
                .map_err(|reason| CommandError::Unschedulable {
                    gateway: gateway.to_owned(),
                    protocol,
                    time,
                    reason,
                })?;
        s.time = None;
    }
    Ok(message)
}

/// One protocol's sans-IO machine, seen through the common model.
///
/// Drain order after every input: [`poll_event`](Frontend::poll_event) and the concrete
/// frontend's output until both are empty (a command given while handling an event queues
/// output), then [`poll_timeout`](Frontend::poll_timeout) to learn when to call
/// [`handle_timeout`](Frontend::handle_timeout) next; it answers the latest input's time while
/// anything is queued.
pub trait Frontend: Any {
    /// The protocol this frontend speaks (for Semtech UDP, the version is per gateway; the
    /// events carry it).
    fn protocol(&self) -> Protocol;

    /// Carries out a command for a gateway connected to this frontend.
    fn handle_command(&mut self, now: Now, command: GatewayCommand) -> Result<(), CommandError>;

    /// Lets time pass: expiries, keep-alives, retransmissions.
    fn handle_timeout(&mut self, now: Now);

    /// The next event, if any.
    #[must_use]
    fn poll_event(&mut self) -> Option<GatewayEvent>;

    /// When [`handle_timeout`](Frontend::handle_timeout) should be called next.
    #[must_use]
    fn poll_timeout(&self) -> Option<Instant>;

    /// The gateway connected through another frontend: close its connection here, if any
    /// (reported `Disconnected { reason: Replaced }`, its downlinks in flight failed). The
    /// default does nothing (for protocols without connections).
    fn handle_replaced(&mut self, now: Now, gateway_id: &str) {
        let _ = (now, gateway_id);
    }
}

/// Index of a frontend in [`Frontends`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrontendId(pub usize);

/// Several frontends behind one event stream, routing each command to the frontend the gateway
/// last connected to (a newer connection replaces an older one, whatever the protocol: the
/// frontend that held the gateway is told to close its connection
/// ([`Frontend::handle_replaced`]) at the next [`handle_timeout`](Frontends::handle_timeout)
/// or [`handle_command`](Frontends::handle_command), and [`poll_timeout`](Frontends::poll_timeout)
/// says so).
///
/// With `Box<dyn Frontend>` the set holds frontends of different protocols; reach one with
/// [`downcast_mut`](Frontends::downcast_mut) to feed it its protocol's input.
///
/// After every input, drain until nothing is left: events (a command given while handling one
/// queues output in a frontend) and each concrete frontend's output
/// ([`UdpFrontend::poll_transmit`](udp::UdpFrontend::poll_transmit),
/// [`LbsFrontend::poll_output`](lbs::LbsFrontend::poll_output),
/// [`MqttFrontend::poll_output`](mqtt::MqttFrontend::poll_output)); then wait until
/// [`poll_timeout`](Frontends::poll_timeout), which is due at once while anything is queued.
/// This example runs, with one Semtech UDP frontend:
///
/// ```
/// use std::net::SocketAddr;
/// use std::sync::Arc;
/// use std::time::{Instant, SystemTime};
/// use loragw_gateway_io::frontend::udp::{UdpConfig, UdpFrontend};
/// use loragw_gateway_io::frontend::FrontendId;
/// use loragw_gateway_io::ttnpb::time::system_time_to_timestamp;
/// use loragw_gateway_io::ttnpb::{DownlinkMessage, downlink_message::Settings, TxSettings};
/// use loragw_gateway_io::{Frontend, Frontends, GatewayCommand, GatewayEvent, InMemoryRegistry, Now};
///
/// type Udp = UdpFrontend<InMemoryRegistry>;
///
/// /// Events (answered by `reply`) and output, until nothing is left.
/// fn drain(
///     frontends: &mut Frontends<Box<dyn Frontend>>,
///     udp: FrontendId,
///     now: Now,
///     reply: impl Fn(&GatewayEvent) -> Option<GatewayCommand>,
///     send: &mut impl FnMut(SocketAddr, &[u8]),
/// ) {
///     let mut out = Vec::new();
///     loop {
///         let udp = frontends.downcast_mut::<Udp>(udp).expect("a UdpFrontend");
///         while let Some(t) = udp.poll_transmit(&mut out) {
///             send(t.destination, &out);
///         }
///         let Some(event) = frontends.poll_event() else { return };
///         if let Some(command) = reply(&event) {
///             if let Err(_e) = frontends.handle_command(now, command) {
///                 // log it: the gateway went away, or the downlink does not fit its protocol
///             }
///         }
///     }
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = InMemoryRegistry::from_toml(
///     "[[gateway]]\nid = \"my-gateway\"\neui = \"58A0CBFFFE800001\"\nfrequency_plans = [\"EU_863_870\"]",
/// )?;
/// let mut frontends: Frontends<Box<dyn Frontend>> = Frontends::new();
/// let udp = frontends.add(Box::new(Udp::new(UdpConfig::default(), Arc::new(registry))));
/// // Answer every uplink one second after it.
/// let reply = |event: &GatewayEvent| match event {
///     GatewayEvent::Uplink { gateway, message, .. } => Some(GatewayCommand::Downlink {
///         gateway: gateway.clone(),
///         message: DownlinkMessage {
///             raw_payload: vec![0x60, 4, 3, 2, 1, 0, 0, 0],
///             settings: Some(Settings::Scheduled(TxSettings {
///                 timestamp: message.settings.as_ref()?.timestamp + 1_000_000,
///                 ..message.settings.clone()?
///             })),
///             ..Default::default()
///         },
///     }),
///     _ => None,
/// };
/// let wall = system_time_to_timestamp(SystemTime::now()).expect("clock after 1970");
/// let now = Now::new(Instant::now(), wall);
/// let from: SocketAddr = "192.0.2.1:1700".parse()?;
/// let header = |token: u8, kind: u8| vec![2, 0, token, kind, 0x58, 0xA0, 0xCB, 0xFF, 0xFE, 0x80, 0x00, 0x01];
/// let rxpk = br#"{"rxpk":[{"tmst":2000000,"freq":868.1,"datr":"SF7BW125","codr":"4/5","rssi":-40,"lsnr":9.5,"data":"QAQDAgGAAQCqu8zd"}]}"#;
/// let mut sent = Vec::new();
/// for datagram in [header(1, 2), [header(2, 0), rxpk.to_vec()].concat()] {
///     let frontend = frontends.downcast_mut::<Udp>(udp).expect("added above");
///     frontend.handle_datagram(now, from, &datagram);
///     drain(&mut frontends, udp, now, reply, &mut |to, bytes| sent.push((to, bytes.to_vec())));
/// }
/// // PULL_ACK, PUSH_ACK, then the PULL_RESP answering the uplink, all in the same drain.
/// let kinds: Vec<u8> = sent.iter().map(|(_, d)| d[3]).collect();
/// assert_eq!(kinds, [4, 1, 3]);
/// assert!(frontends.poll_timeout().is_some_and(|t| t > now.instant), "nothing left queued");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct Frontends<F> {
    frontends: Vec<F>,
    /// gateway id → frontend it is connected to.
    routes: HashMap<String, FrontendId>,
    next: usize,
    /// Gateways that moved: the frontend to close them on.
    replaced: Vec<(FrontendId, String)>,
    /// The time of the last input, when replacements wait.
    last: Option<Instant>,
}

impl<F: Frontend> Frontends<F> {
    /// An empty set.
    pub fn new() -> Self {
        Frontends {
            frontends: Vec::new(),
            routes: HashMap::new(),
            next: 0,
            replaced: Vec::new(),
            last: None,
        }
    }

    /// Adds a frontend.
    pub fn add(&mut self, frontend: F) -> FrontendId {
        self.frontends.push(frontend);
        FrontendId(self.frontends.len() - 1)
    }

    /// The frontend with this id.
    pub fn get_mut(&mut self, id: FrontendId) -> Option<&mut F> {
        self.frontends.get_mut(id.0)
    }

    /// The frontend a gateway is connected to.
    pub fn route(&self, gateway_id: &str) -> Option<FrontendId> {
        self.routes.get(gateway_id).copied()
    }

    /// Sends a command to the frontend the gateway is connected to.
    pub fn handle_command(
        &mut self,
        now: Now,
        command: GatewayCommand,
    ) -> Result<(), CommandError> {
        self.apply_replaced(now);
        let gateway_id = command.gateway().gateway_id.clone();
        let id = self
            .route(&gateway_id)
            .ok_or(CommandError::NotConnected(gateway_id))?;
        self.frontends[id.0].handle_command(now, command)
    }

    /// Lets time pass in every frontend (and closes the connections of gateways that moved).
    pub fn handle_timeout(&mut self, now: Now) {
        self.apply_replaced(now);
        for f in &mut self.frontends {
            f.handle_timeout(now);
        }
    }

    fn apply_replaced(&mut self, now: Now) {
        self.last = Some(now.instant);
        for (id, gateway_id) in std::mem::take(&mut self.replaced) {
            // Only if the gateway did not come back to that frontend meanwhile.
            if self.routes.get(&gateway_id) != Some(&id) {
                self.frontends[id.0].handle_replaced(now, &gateway_id);
            }
        }
    }

    /// The next event of any frontend, taking them in turn so none starves the others.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<GatewayEvent> {
        let n = self.frontends.len();
        for i in 0..n {
            let idx = (self.next + i) % n;
            if let Some(event) = self.frontends[idx].poll_event() {
                self.next = (idx + 1) % n;
                self.track(FrontendId(idx), &event);
                return Some(event);
            }
        }
        None
    }

    /// The earliest timeout of any frontend; the last input's time when a gateway that moved
    /// waits to be closed on its old frontend.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let pending = self.last.filter(|_| !self.replaced.is_empty());
        self.frontends
            .iter()
            .filter_map(|f| f.poll_timeout())
            .chain(pending)
            .min()
    }

    fn track(&mut self, from: FrontendId, event: &GatewayEvent) {
        let id = &event.gateway().gateway_id;
        match event {
            GatewayEvent::Connected { .. } => {
                if let Some(old) = self.routes.insert(id.clone(), from)
                    && old != from
                {
                    self.replaced.push((old, id.clone()));
                }
            }
            // Only the frontend that holds the route may drop it: a late disconnect of a
            // replaced connection must not cut the new one.
            GatewayEvent::Disconnected { .. } if self.routes.get(id) == Some(&from) => {
                self.routes.remove(id);
            }
            _ => {}
        }
    }
}

impl Frontends<Box<dyn Frontend>> {
    /// The frontend with this id as its concrete type, to feed it protocol input (datagrams,
    /// websocket frames, MQTT packets).
    pub fn downcast_mut<T: Frontend>(&mut self, id: FrontendId) -> Option<&mut T> {
        let frontend: &mut dyn Frontend = self.frontends.get_mut(id.0)?.as_mut();
        (frontend as &mut dyn Any).downcast_mut::<T>()
    }
}

impl<F: Frontend + ?Sized> Frontend for Box<F> {
    fn protocol(&self) -> Protocol {
        (**self).protocol()
    }
    fn handle_command(&mut self, now: Now, command: GatewayCommand) -> Result<(), CommandError> {
        (**self).handle_command(now, command)
    }
    fn handle_timeout(&mut self, now: Now) {
        (**self).handle_timeout(now)
    }
    fn poll_event(&mut self) -> Option<GatewayEvent> {
        (**self).poll_event()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        (**self).poll_timeout()
    }
    fn handle_replaced(&mut self, now: Now, gateway_id: &str) {
        (**self).handle_replaced(now, gateway_id)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::time::Duration;

    use super::*;
    use crate::event::DisconnectReason;
    use crate::ids::GatewayIds;

    /// A frontend whose events are scripted and which records the commands it gets.
    struct Scripted {
        protocol: Protocol,
        events: VecDeque<GatewayEvent>,
        commands: Vec<GatewayCommand>,
        timeout: Option<Instant>,
        replaced: Vec<String>,
    }

    impl Scripted {
        fn new(protocol: Protocol) -> Self {
            Scripted {
                protocol,
                events: VecDeque::new(),
                commands: Vec::new(),
                timeout: None,
                replaced: Vec::new(),
            }
        }
    }

    impl Frontend for Scripted {
        fn protocol(&self) -> Protocol {
            self.protocol
        }
        fn handle_command(&mut self, _: Now, command: GatewayCommand) -> Result<(), CommandError> {
            self.commands.push(command);
            Ok(())
        }
        fn handle_timeout(&mut self, _: Now) {}
        fn poll_event(&mut self) -> Option<GatewayEvent> {
            self.events.pop_front()
        }
        fn poll_timeout(&self) -> Option<Instant> {
            self.timeout
        }
        fn handle_replaced(&mut self, _: Now, gateway_id: &str) {
            self.replaced.push(gateway_id.to_owned());
        }
    }

    fn connected(id: &str, protocol: Protocol) -> GatewayEvent {
        GatewayEvent::Connected {
            gateway: GatewayIds::new(id, None),
            protocol,
            remote: None,
        }
    }

    fn disconnect(id: &str, protocol: Protocol) -> GatewayEvent {
        GatewayEvent::Disconnected {
            gateway: GatewayIds::new(id, None),
            protocol,
            reason: DisconnectReason::Replaced,
        }
    }

    fn downlink(id: &str) -> GatewayCommand {
        GatewayCommand::Downlink {
            gateway: GatewayIds::new(id, None),
            message: Default::default(),
        }
    }

    #[test]
    fn commands_follow_the_latest_connection() {
        let now = Now::new(
            Instant::now(),
            Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            },
        );
        let t0 = now.instant;
        let udp = Protocol::SemtechUdp { version: 2 };
        let mut set = Frontends::new();
        let a = set.add(Scripted::new(udp));
        let b = set.add(Scripted::new(Protocol::BasicStation));
        set.get_mut(a).unwrap().timeout = Some(t0 + Duration::from_secs(5));
        set.get_mut(b).unwrap().timeout = Some(t0 + Duration::from_secs(3));
        assert_eq!(set.poll_timeout(), Some(t0 + Duration::from_secs(3)));

        assert_eq!(
            set.handle_command(now, downlink("gw-1")),
            Err(CommandError::NotConnected("gw-1".into()))
        );
        set.get_mut(a)
            .unwrap()
            .events
            .push_back(connected("gw-1", udp));
        assert_eq!(set.poll_event().unwrap().protocol(), udp);
        set.handle_command(now, downlink("gw-1")).unwrap();
        assert_eq!(set.get_mut(a).unwrap().commands.len(), 1);

        // The gateway moves to Basics Station; the old connection's late disconnect keeps the
        // new route.
        set.get_mut(b)
            .unwrap()
            .events
            .push_back(connected("gw-1", Protocol::BasicStation));
        set.get_mut(a)
            .unwrap()
            .events
            .push_back(disconnect("gw-1", udp));
        while set.poll_event().is_some() {}
        assert_eq!(set.route("gw-1"), Some(b));
        // The frontend that held the gateway is told to close it, once, with the next input.
        assert_eq!(set.poll_timeout(), Some(now.instant));
        set.handle_command(now, downlink("gw-1")).unwrap();
        assert_eq!(set.get_mut(b).unwrap().commands.len(), 1);
        assert_eq!(set.get_mut(a).unwrap().replaced, ["gw-1"]);
        assert!(set.get_mut(b).unwrap().replaced.is_empty());
        assert_eq!(set.poll_timeout(), Some(t0 + Duration::from_secs(3)));

        set.get_mut(b)
            .unwrap()
            .events
            .push_back(disconnect("gw-1", Protocol::BasicStation));
        while set.poll_event().is_some() {}
        assert_eq!(set.route("gw-1"), None);
    }

    #[test]
    fn events_are_taken_in_turn() {
        let mut set = Frontends::new();
        let a = set.add(Scripted::new(Protocol::MqttV3));
        let b = set.add(Scripted::new(Protocol::MqttV2));
        for i in 0..3 {
            set.get_mut(a)
                .unwrap()
                .events
                .push_back(connected(&format!("gw-a{i}"), Protocol::MqttV3));
            set.get_mut(b)
                .unwrap()
                .events
                .push_back(connected(&format!("gw-b{i}"), Protocol::MqttV2));
        }
        let order: Vec<_> = std::iter::from_fn(|| set.poll_event())
            .map(|e| e.protocol())
            .collect();
        assert_eq!(
            order,
            [
                Protocol::MqttV3,
                Protocol::MqttV2,
                Protocol::MqttV3,
                Protocol::MqttV2,
                Protocol::MqttV3,
                Protocol::MqttV2
            ]
        );
    }
}
