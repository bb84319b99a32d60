//! The network side: one [`Server`] serves many gateways on one socket.

mod admission;
mod cache;
mod config;
mod downlink;
mod event;
mod gateway;

pub use config::{Admission, RateLimit, ScheduleLate, ServerConfig};
pub use event::{
    DownlinkId, DownlinkPath, ExpiryReason, RejectReason, ServerEvent, Transmit, UnmatchedReason,
};

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use cache::{BoundedCache, Pending};
use gateway::{Gateway, Path};

use crate::error::DecodeError;
use crate::header::{GatewayEui, Header, PacketType, ProtocolVersion};
use crate::packet::Packet;
use crate::rng::{SplitMix64, fnv1a};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TimerKind {
    /// Liveness of the gateway and of its downlink path.
    Gateway(GatewayEui),
    /// A held (schedule-late) downlink is due.
    Release(GatewayEui, DownlinkId),
    /// A downlink in flight may have timed out.
    AckTimeout(GatewayEui, DownlinkId),
}

#[derive(Debug)]
enum Outgoing {
    Ack {
        destination: SocketAddr,
        gateway: GatewayEui,
        header: Header,
    },
    PullResp {
        destination: SocketAddr,
        gateway: GatewayEui,
        downlink: DownlinkId,
        bytes: Vec<u8>,
    },
}

/// Sans-IO Semtech UDP server (network side) for any number of gateways.
///
/// Feed it with [`handle_datagram`](Self::handle_datagram), [`send_downlink`](Self::send_downlink)
/// and [`handle_timeout`](Self::handle_timeout). After each input, drain in this order:
/// 1. [`poll_transmit`](Self::poll_transmit) until `None` (ACKs first, so gateways are answered
///    promptly, then PULL_RESPs),
/// 2. [`poll_event`](Self::poll_event) until `None`,
/// 3. again from 1 while [`has_output`](Self::has_output) (a `send_downlink` made while
///    handling an event queued a PULL_RESP),
/// 4. [`poll_timeout`](Self::poll_timeout) to know when to call `handle_timeout` next (it
///    answers the latest input's time while output is queued).
///
/// The crate docs have this loop as a running example.
///
/// No input panics; a malformed datagram becomes a [`ServerEvent::Malformed`] and never affects
/// other gateways. Memory is bounded by [`ServerConfig`].
///
/// # Identity before state
///
/// Nothing is allocated for a gateway before it is admitted. A datagram from an EUI the server
/// holds no state for is answered statelessly (PUSH_ACK / PULL_ACK, as The Things Stack
/// acknowledges everything) and, depending on [`ServerConfig::admission`]:
/// - [`Admission::AdmitAll`]: the gateway is admitted at once;
/// - [`Admission::Ask`]: a [`ServerEvent::AdmissionRequired`] is reported, and the embedder
///   answers with [`admit`](Self::admit) or [`refuse`](Self::refuse) when it knows;
/// - or, with [`handle_datagram_with`](Self::handle_datagram_with), a closure decides inline.
///
/// Pending requests and refusals live in two fixed-capacity tables with expiry
/// ([`ServerConfig::max_pending_admissions`], [`ServerConfig::max_refused_cached`]); a pending
/// request holds at most one PUSH_DATA of at most [`ServerConfig::max_held_push_len`] bytes,
/// reported once the gateway is admitted. So traffic from any number of unadmitted EUIs costs
/// O(1) memory in total (about 2 MiB with the defaults), and [`ServerConfig::max_gateways`]
/// counts admitted gateways only: unknown EUIs can never fill it.
#[derive(Debug)]
pub struct Server {
    config: ServerConfig,
    gateways: HashMap<GatewayEui, Gateway>,
    pending: BoundedCache<Pending>,
    refused: BoundedCache<()>,
    unadmitted_datagrams: u64,
    timers: BinaryHeap<Reverse<(Instant, u64, TimerKind)>>,
    timer_seq: u64,
    transmits: VecDeque<Outgoing>,
    events: VecDeque<ServerEvent>,
    rng: SplitMix64,
    next_downlink: u64,
    dropped_events: u64,
    dropped_transmits: u64,
    /// The latest time passed in: what [`Server::poll_timeout`] answers while output is queued.
    last_now: Option<Instant>,
}

impl Server {
    /// A server with no gateways.
    pub fn new(config: ServerConfig) -> Self {
        Self {
            rng: SplitMix64::new(config.seed),
            pending: BoundedCache::new(config.max_pending_admissions),
            refused: BoundedCache::new(config.max_refused_cached),
            unadmitted_datagrams: 0,
            config,
            gateways: HashMap::new(),
            timers: BinaryHeap::new(),
            timer_seq: 0,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            next_downlink: 0,
            dropped_events: 0,
            dropped_transmits: 0,
            last_now: None,
        }
    }

    /// Remembers the time of an input (the latest one wins).
    fn input_at(&mut self, now: Instant) {
        self.last_now = Some(self.last_now.map_or(now, |last| last.max(now)));
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Admitted gateways currently tracked (at most [`ServerConfig::max_gateways`]).
    pub fn gateway_count(&self) -> usize {
        self.gateways.len()
    }

    /// Admission requests waiting for an answer (at most
    /// [`ServerConfig::max_pending_admissions`]).
    pub fn pending_admissions(&self) -> usize {
        self.pending.len()
    }

    /// Refused EUIs remembered (at most [`ServerConfig::max_refused_cached`]).
    pub fn refused_cached(&self) -> usize {
        self.refused.len()
    }

    /// Datagrams from gateways that were not admitted (pending or refused), acknowledged
    /// without being reported.
    pub fn unadmitted_datagrams(&self) -> u64 {
        self.unadmitted_datagrams
    }

    /// The protocol version of the admitted gateway's latest datagram.
    pub fn protocol_version(&self, gateway: GatewayEui) -> Option<ProtocolVersion> {
        self.gateways.get(&gateway).map(|g| g.version)
    }

    /// Whether the gateway is connected and has a live downlink path.
    pub fn downlink_path(&self, gateway: GatewayEui) -> Option<DownlinkPath> {
        self.gateways
            .get(&gateway)
            .and_then(|g| g.path.map(|p| p.path))
    }

    /// Events dropped because the event queue was full.
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events
    }

    /// Datagrams not sent because the transmit queue was full.
    pub fn dropped_transmits(&self) -> u64 {
        self.dropped_transmits
    }

    fn event(&mut self, e: ServerEvent) {
        if self.events.len() >= self.config.max_queued_events {
            self.events.pop_front();
            self.dropped_events += 1;
        }
        self.events.push_back(e);
    }

    fn transmit(&mut self, o: Outgoing) {
        if self.transmits.len() >= self.config.max_queued_transmits {
            self.dropped_transmits += 1;
            return;
        }
        self.transmits.push_back(o);
    }

    fn arm(&mut self, at: Instant, kind: TimerKind) {
        self.timer_seq += 1;
        self.timers.push(Reverse((at, self.timer_seq, kind)));
    }

    /// Makes sure the gateway's liveness check runs no later than `at`.
    fn arm_gateway(&mut self, eui: GatewayEui, at: Instant) {
        let Some(gw) = self.gateways.get_mut(&eui) else {
            return;
        };
        if gw.check_at.is_some_and(|current| current <= at) {
            return;
        }
        gw.check_at = Some(at);
        self.arm(at, TimerKind::Gateway(eui));
    }

    fn ack(&mut self, destination: SocketAddr, gateway: GatewayEui, h: Header, kind: PacketType) {
        self.transmit(Outgoing::Ack {
            destination,
            gateway,
            header: Header {
                version: h.version,
                token: h.token,
                packet_type: kind,
            },
        });
    }

    /// Handles one received datagram; a gateway without state is admitted as
    /// [`ServerConfig::admission`] says.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        match self.config.admission {
            Admission::AdmitAll => self.process(now, from, bytes, Some(|_, _| true)),
            Admission::Ask => self.process(now, from, bytes, None::<fn(_, _) -> bool>),
        }
    }

    /// Handles one received datagram; a gateway without state (and not in the refusal cache)
    /// is admitted at once if `decide(eui, source)` says so, and remembered as refused
    /// otherwise. `decide` is called at most once, and only for such a gateway.
    pub fn handle_datagram_with(
        &mut self,
        now: Instant,
        from: SocketAddr,
        bytes: &[u8],
        decide: impl FnOnce(GatewayEui, SocketAddr) -> bool,
    ) {
        self.process(now, from, bytes, Some(decide));
    }

    fn process<F: FnOnce(GatewayEui, SocketAddr) -> bool>(
        &mut self,
        now: Instant,
        from: SocketAddr,
        bytes: &[u8],
        decide: Option<F>,
    ) {
        self.input_at(now);
        let (header, eui) = match Header::parse(bytes) {
            Ok((h, Some(eui), _)) => (h, eui),
            Ok((h, None, _)) => {
                return self.event(ServerEvent::Malformed {
                    from,
                    gateway: None,
                    error: DecodeError::WrongDirection(h.packet_type),
                });
            }
            Err(error) => {
                return self.event(ServerEvent::Malformed {
                    from,
                    gateway: None,
                    error,
                });
            }
        };
        let admitted = if self.gateways.contains_key(&eui) {
            self.guard(now, from, eui)
        } else {
            self.admit_unknown(now, from, header, bytes, eui, decide)
        };
        if admitted {
            self.dispatch(now, from, header, eui, bytes, true);
        }
    }

    /// Processes a datagram of an admitted gateway; `ack_push` is false for a PUSH_DATA that
    /// was acknowledged while the gateway waited for admission.
    fn dispatch(
        &mut self,
        now: Instant,
        from: SocketAddr,
        header: Header,
        eui: GatewayEui,
        bytes: &[u8],
        ack_push: bool,
    ) {
        if let Some(gw) = self.gateways.get_mut(&eui) {
            gw.version = header.version;
        }
        match header.packet_type {
            PacketType::PushData => {
                if ack_push {
                    self.ack(from, eui, header, PacketType::PushAck);
                }
                let hash = fnv1a(bytes);
                let window = self.config.duplicate_window;
                let gw = self
                    .gateways
                    .get_mut(&eui)
                    .expect("admitted gateway exists");
                if gw.is_duplicate_push(header.token, hash, now, window) {
                    return;
                }
                match Packet::decode(bytes) {
                    Ok(Packet::PushData(p)) => {
                        gw.learn_clock(p.rxpk.iter().map(|r| r.tmst), now);
                        for e in p.rejected {
                            self.event(ServerEvent::Malformed {
                                from,
                                gateway: Some(eui),
                                error: DecodeError::Element(e),
                            });
                        }
                        if !p.rxpk.is_empty() {
                            self.event(ServerEvent::Uplink {
                                gateway: eui,
                                addr: from,
                                rxpk: p.rxpk,
                            });
                        }
                        if let Some(stat) = p.stat {
                            self.event(ServerEvent::Status {
                                gateway: eui,
                                addr: from,
                                stat,
                            });
                        }
                    }
                    Ok(_) => {}
                    Err(error) => self.event(ServerEvent::Malformed {
                        from,
                        gateway: Some(eui),
                        error,
                    }),
                }
            }
            PacketType::PullData => {
                if let Err(error) = Packet::decode(bytes) {
                    return self.event(ServerEvent::Malformed {
                        from,
                        gateway: Some(eui),
                        error,
                    });
                }
                self.ack(from, eui, header, PacketType::PullAck);
                let gw = self
                    .gateways
                    .get_mut(&eui)
                    .expect("admitted gateway exists");
                let path = DownlinkPath {
                    addr: from,
                    version: header.version,
                };
                let previous = gw.path.map(|p| p.path);
                gw.path = Some(Path {
                    path,
                    last_refresh: now,
                });
                if previous.is_none() {
                    let at = now + self.config.downlink_path_expiry;
                    self.arm_gateway(eui, at);
                }
                if previous != Some(path) {
                    self.event(ServerEvent::DownlinkPath {
                        gateway: eui,
                        path,
                        previous,
                    });
                }
            }
            PacketType::TxAck => match Packet::decode(bytes) {
                Ok(Packet::TxAck(t)) => self.handle_tx_ack(now, eui, t.token, t.ack),
                Ok(_) => {}
                Err(error) => self.event(ServerEvent::Malformed {
                    from,
                    gateway: Some(eui),
                    error,
                }),
            },
            other => self.event(ServerEvent::Malformed {
                from,
                gateway: Some(eui),
                error: DecodeError::WrongDirection(other),
            }),
        }
    }

    /// Applies the guards to an admitted gateway and refreshes its liveness.
    fn guard(&mut self, now: Instant, from: SocketAddr, eui: GatewayEui) -> bool {
        let gw = self.gateways.get_mut(&eui).expect("caller checked");
        let blocked = self.config.address_change_block.and_then(|block| {
            (gw.addr.ip() != from.ip() && now.saturating_duration_since(gw.last_seen) < block)
                .then_some(RejectReason::AddressChange {
                    connected: gw.addr.ip(),
                })
        });
        let limited = self.config.rate_limit.and_then(|rl| {
            (!gw.admit(now, rl.max_datagrams, rl.window)).then_some(RejectReason::RateLimited)
        });
        if let Some(reason) = limited.or(blocked) {
            self.event(ServerEvent::Rejected {
                from,
                gateway: eui,
                reason,
            });
            return false;
        }
        gw.last_seen = now;
        gw.addr = from;
        true
    }

    /// Handles expired timers: TX_ACK timeouts, held downlinks that are due, downlink path
    /// expiry and gateway disconnection.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.input_at(now);
        while let Some(Reverse((at, _, kind))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            match kind {
                TimerKind::Gateway(eui) => self.check_gateway(now, at, eui),
                TimerKind::Release(eui, id) => self.release(now, eui, id),
                TimerKind::AckTimeout(eui, id) => self.ack_timeout(now, eui, id),
            }
        }
    }

    fn check_gateway(&mut self, now: Instant, at: Instant, eui: GatewayEui) {
        let conn = self.config.connection_expiry;
        let path_expiry = self.config.downlink_path_expiry;
        let Some(gw) = self.gateways.get_mut(&eui) else {
            return;
        };
        if gw.check_at != Some(at) {
            return; // superseded by an earlier check
        }
        gw.check_at = None;
        if now.saturating_duration_since(gw.last_seen) >= conn {
            let gw = self.gateways.remove(&eui).expect("present above");
            let ids = gw.in_flight.iter().map(|f| f.id);
            for downlink in ids.chain(gw.held.iter().map(|h| h.id)) {
                self.event(ServerEvent::DownlinkExpired {
                    gateway: eui,
                    downlink,
                    reason: ExpiryReason::Disconnected,
                });
            }
            self.event(ServerEvent::Disconnected { gateway: eui });
            return;
        }
        let mut expired_held = Vec::new();
        let mut path_expired = false;
        if let Some(p) = gw.path
            && now.saturating_duration_since(p.last_refresh) >= path_expiry
        {
            gw.path = None;
            path_expired = true;
            expired_held = std::mem::take(&mut gw.held);
        }
        let next = gw.next_check(conn, path_expiry);
        if path_expired {
            for h in expired_held {
                self.event(ServerEvent::DownlinkExpired {
                    gateway: eui,
                    downlink: h.id,
                    reason: ExpiryReason::PathExpired,
                });
            }
            self.event(ServerEvent::DownlinkPathExpired { gateway: eui });
        }
        if let Some(at) = next {
            self.arm_gateway(eui, at.max(now));
        }
    }

    /// Writes the next datagram to send into `buf` (cleared first) and says where it goes.
    #[must_use]
    pub fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> Option<Transmit> {
        let o = self.transmits.pop_front()?;
        buf.clear();
        Some(match o {
            Outgoing::Ack {
                destination,
                gateway,
                header,
            } => {
                header.write(buf);
                Transmit {
                    destination,
                    gateway,
                    packet_type: header.packet_type,
                    downlink: None,
                }
            }
            Outgoing::PullResp {
                destination,
                gateway,
                downlink,
                bytes,
            } => {
                buf.extend_from_slice(&bytes);
                Transmit {
                    destination,
                    gateway,
                    packet_type: PacketType::PullResp,
                    downlink: Some(downlink),
                }
            }
        })
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called next: the earliest timer,
    /// or, while a transmit or an event is still queued, the time of the latest input (already
    /// due), so a run loop that waits on this never sleeps on queued output, such as the
    /// PULL_RESP of a [`send_downlink`](Self::send_downlink) made while handling an event.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let timer = self.timers.peek().map(|Reverse((at, _, _))| *at);
        let queued = !self.transmits.is_empty() || !self.events.is_empty();
        match (timer, self.last_now.filter(|_| queued)) {
            (Some(t), Some(n)) => Some(t.min(n)),
            (t, n) => t.or(n),
        }
    }

    /// Whether a transmit or an event is queued (what [`poll_transmit`](Self::poll_transmit)
    /// and [`poll_event`](Self::poll_event) would return).
    #[must_use]
    pub fn has_output(&self) -> bool {
        !self.transmits.is_empty() || !self.events.is_empty()
    }
}
