//! What a listener is started with and gives back, shared by [`server`](super::server) (which
//! starts listeners) and every listener (which never imports the server): the registry bound,
//! the listener context, the clock reader, server statistics and panic isolation.

// Which items a listener uses depends on the enabled listener features.
#![cfg_attr(not(any(feature = "lbs", feature = "mqtt-server")), allow(dead_code))]

use std::future::Future;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::hub::{CommandRequest, Control, Hub, ListenerId};
use crate::error::CommandError;
use crate::event::DisconnectReason;
use crate::frontend::{Frontend, Now};
use crate::registry::{Authenticator, GatewayRegistry};

/// A registry that also authenticates: what every listener needs. Implemented for every type
/// that implements both traits (such as [`InMemoryRegistry`](crate::registry::InMemoryRegistry)).
pub trait Registry: GatewayRegistry + Authenticator {}

impl<T: GatewayRegistry + Authenticator + ?Sized> Registry for T {}

/// Everything a listener is started with.
// Which fields a listener reads depends on the listener (CUPS sends no events, Semtech UDP
// does not watch `shutdown`), so with some feature sets a field is unused.
#[allow(dead_code)]
pub(crate) struct ListenerContext {
    pub(crate) id: ListenerId,
    pub(crate) hub: Arc<Hub>,
    pub(crate) registry: Arc<dyn Registry>,
    pub(crate) commands: mpsc::Receiver<CommandRequest>,
    /// What the hub asks of this listener (close a gateway that connected elsewhere).
    pub(crate) controls: mpsc::UnboundedReceiver<Control>,
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) stats: Arc<Stats>,
    /// The server's count of connection tasks still running.
    pub(crate) connections: ConnectionTasks,
}

/// The TCP connection tasks of every listener still running. Each task holds a
/// [`LiveConnection`]; a stopping server waits for the count to reach zero, so that what a
/// connection writes after its gateway's final event (a station's close frame) is written
/// before the server is dropped and the process exits.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnectionTasks(Arc<watch::Sender<usize>>);

impl ConnectionTasks {
    /// Counts one more running connection task, until the guard is dropped.
    pub(crate) fn enter(&self) -> LiveConnection {
        self.0.send_modify(|n| *n += 1);
        LiveConnection(self.0.clone())
    }

    /// Returns once no connection task is running.
    pub(crate) async fn all_ended(&self) {
        let mut count = self.0.subscribe();
        // The sender is held by `self`: waiting cannot fail.
        let _ = count.wait_for(|n| *n == 0).await;
    }
}

/// One running connection task (see [`ConnectionTasks`]).
#[derive(Debug)]
pub(crate) struct LiveConnection(Arc<watch::Sender<usize>>);

impl Drop for LiveConnection {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// A started listener.
pub(crate) struct Started {
    pub(crate) local_addr: SocketAddr,
    pub(crate) tasks: Vec<JoinHandle<()>>,
}

/// The monotonic and wall clocks of an input, read once: the one clock reader of the
/// transports.
pub(crate) fn now() -> Now {
    let wall = loragw_ttnpb::time::system_time_to_timestamp(SystemTime::now()).unwrap_or_default();
    Now::new(Instant::now(), wall)
}

/// Why a TCP connection was refused or cut before it became a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefusalReason {
    /// The listener already holds its maximum of TCP connections.
    ListenerFull,
    /// The remote IP address already holds its maximum of TCP connections.
    AddressFull,
    /// TLS, websocket upgrade, HTTP request or MQTT CONNECT did not complete within the
    /// handshake deadline.
    HandshakeTimeout,
    /// Unknown gateway, missing or wrong key, or a key without the needed right.
    Unauthenticated,
    /// The listener already holds its maximum of gateway sessions.
    SessionsFull,
    /// The client speaks another protocol version (MQTT 3.1, MQTT 5, ...).
    UnsupportedProtocol,
}

const REFUSAL_REASONS: usize = 6;

impl RefusalReason {
    fn index(self) -> usize {
        match self {
            RefusalReason::ListenerFull => 0,
            RefusalReason::AddressFull => 1,
            RefusalReason::HandshakeTimeout => 2,
            RefusalReason::Unauthenticated => 3,
            RefusalReason::SessionsFull => 4,
            RefusalReason::UnsupportedProtocol => 5,
        }
    }
}

/// A listener whose malformed input is counted ([`ServerStats`]'s `decode_errors_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeListener {
    Udp,
    BasicStation,
    TabsHubs,
    MqttV3,
    MqttV2,
}

impl DecodeListener {
    fn index(self) -> usize {
        match self {
            DecodeListener::Udp => 0,
            DecodeListener::BasicStation => 1,
            DecodeListener::TabsHubs => 2,
            DecodeListener::MqttV3 => 3,
            DecodeListener::MqttV2 => 4,
        }
    }
}

/// Counters shared by every listener of a server (lock-free).
#[derive(Debug, Default)]
pub(crate) struct Stats {
    refused: [AtomicU64; REFUSAL_REASONS],
    refused_udp: AtomicU64,
    isolated_panics: AtomicU64,
    decode_errors: [AtomicU64; 5],
    sessions: AtomicUsize,
}

impl Stats {
    pub(crate) fn refused(&self, reason: RefusalReason) {
        self.refused[reason.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// `n` more Semtech UDP gateways refused.
    #[cfg_attr(not(feature = "udp"), allow(dead_code))]
    pub(crate) fn refused_udp(&self, n: u64) {
        self.refused_udp.fetch_add(n, Ordering::Relaxed);
    }

    /// `n` more malformed inputs on a `listener`.
    pub(crate) fn decode_errors(&self, listener: DecodeListener, n: u64) {
        if n > 0 {
            self.decode_errors[listener.index()].fetch_add(n, Ordering::Relaxed);
        }
    }

    pub(crate) fn panicked(&self) {
        self.isolated_panics.fetch_add(1, Ordering::Relaxed);
    }

    /// A panic caught while `listener` handled one `input`: logged at error level and counted.
    pub(crate) fn isolated_panic(&self, listener: &str, input: &str, panic: &str) {
        tracing::error!(
            listener,
            input,
            panic,
            "panic while handling an input (isolated)"
        );
        self.panicked();
    }

    /// Adds `delta` (may be negative) to the gateway sessions gauge.
    pub(crate) fn sessions_changed(&self, before: usize, after: usize) {
        if after > before {
            self.sessions.fetch_add(after - before, Ordering::Relaxed);
        } else {
            self.sessions.fetch_sub(before - after, Ordering::Relaxed);
        }
    }

    pub(crate) fn snapshot(&self) -> ServerStats {
        let r = |reason: RefusalReason| self.refused[reason.index()].load(Ordering::Relaxed);
        let d = |l: DecodeListener| self.decode_errors[l.index()].load(Ordering::Relaxed);
        ServerStats {
            refused_listener_full: r(RefusalReason::ListenerFull),
            refused_address_full: r(RefusalReason::AddressFull),
            refused_handshake_timeout: r(RefusalReason::HandshakeTimeout),
            refused_unauthenticated: r(RefusalReason::Unauthenticated),
            refused_sessions_full: r(RefusalReason::SessionsFull),
            refused_unsupported_protocol: r(RefusalReason::UnsupportedProtocol),
            refused_udp: self.refused_udp.load(Ordering::Relaxed),
            isolated_panics: self.isolated_panics.load(Ordering::Relaxed),
            decode_errors_udp: d(DecodeListener::Udp),
            decode_errors_basic_station: d(DecodeListener::BasicStation),
            decode_errors_tabs_hubs: d(DecodeListener::TabsHubs),
            decode_errors_mqtt_v3: d(DecodeListener::MqttV3),
            decode_errors_mqtt_v2: d(DecodeListener::MqttV2),
            sessions: self.sessions.load(Ordering::Relaxed),
        }
    }
}

/// A snapshot of the server's counters ([`GatewayServer::stats`](super::GatewayServer::stats)),
/// summed over every listener of a kind: the `refused_*` counters but `refused_udp` over the
/// TCP listeners (Basics Station, CUPS, MQTT), `refused_udp` over the Semtech UDP listeners.
/// Refused gateways are also reported as events (`GatewayEvent::Refused`, rate-limited) and
/// logged through `tracing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ServerStats {
    /// Connections closed at once because the listener was full.
    pub refused_listener_full: u64,
    /// Connections closed at once because their IP address held too many.
    pub refused_address_full: u64,
    /// Connections cut at the handshake deadline.
    pub refused_handshake_timeout: u64,
    /// Clients refused for an unknown gateway or a wrong, missing or insufficient key.
    pub refused_unauthenticated: u64,
    /// Gateways refused because the listener held its maximum of sessions.
    pub refused_sessions_full: u64,
    /// Clients refused for speaking another protocol version.
    pub refused_unsupported_protocol: u64,
    /// Semtech UDP gateways refused: an unregistered EUI (unless unregistered gateways are
    /// allowed), or a registry entry that requires an authenticated connection. A refused EUI
    /// is remembered for the server's `refusal_ttl` (60 s by default) and counted again only
    /// after that.
    pub refused_udp: u64,
    /// Panics caught while handling one message or connection; each closed that connection
    /// (`DisconnectReason::InternalError`) and the listener kept serving the others.
    pub isolated_panics: u64,
    /// Semtech UDP input that did not decode: undecodable datagrams (or parts of one) and
    /// `rxpk`s that do not translate into an uplink. Counted every time, also when the log
    /// line is suppressed.
    pub decode_errors_udp: u64,
    /// Basics Station LNS messages that did not parse (dropped; the session stays up).
    pub decode_errors_basic_station: u64,
    /// Tabs Hubs messages that did not parse.
    pub decode_errors_tabs_hubs: u64,
    /// MQTT v3 `up`, `status` and `down/ack` payloads that did not decode or translate
    /// (dropped; the connection stays up).
    pub decode_errors_mqtt_v3: u64,
    /// MQTT v2 payloads that did not decode or translate.
    pub decode_errors_mqtt_v2: u64,
    /// Gateway sessions open now on the Basics Station and MQTT listeners.
    pub sessions: usize,
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_owned()
    }
}

/// Runs `f`, turning a panic into `Err(message)`: the driver's isolation of one input.
pub(crate) fn isolate<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| panic_message(&*p))
}

/// A driver serves a command, in isolation: a panic is counted and answered as `Rejected`
/// ("internal error"); a caller that stopped waiting is not an error.
pub(crate) fn serve_command<F: Frontend + ?Sized>(
    frontend: &mut F,
    stats: &Stats,
    listener: &str,
    request: CommandRequest,
) {
    let gateway = request.command.gateway().gateway_id.clone();
    let result =
        isolate(|| frontend.handle_command(now(), request.command)).unwrap_or_else(|panic| {
            stats.isolated_panic(listener, "command", &panic);
            Err(CommandError::Rejected {
                gateway,
                reason: "internal error".into(),
            })
        });
    let _ = request.reply.send(result);
}

/// A driver tells its frontend, in isolation, that `gateway_id` connected on another listener.
pub(crate) fn serve_replaced<F: Frontend + ?Sized>(
    frontend: &mut F,
    stats: &Stats,
    listener: &str,
    gateway_id: &str,
) {
    if let Err(panic) = isolate(|| frontend.handle_replaced(now(), gateway_id)) {
        stats.isolated_panic(listener, "replaced", &panic);
    }
}

/// A driver runs its frontend's due timers, in isolation.
pub(crate) fn serve_timeout<F: Frontend + ?Sized>(frontend: &mut F, stats: &Stats, listener: &str) {
    if let Err(panic) = isolate(|| frontend.handle_timeout(now())) {
        stats.isolated_panic(listener, "timer", &panic);
    }
}

/// A connection's input panicked (`panic`): counted, then `close` (forget the connection's
/// handle, which closes it, and tell the frontend) runs with `InternalError`, isolated too; a
/// panic there is only counted.
pub(crate) fn close_after_panic(
    stats: &Stats,
    listener: &str,
    panic: String,
    close: impl FnOnce(DisconnectReason),
) {
    stats.isolated_panic(listener, "connection input", &panic);
    if isolate(|| close(DisconnectReason::InternalError(panic))).is_err() {
        stats.panicked();
    }
}

/// A future whose panic becomes `Err(message)` (each connection task runs in one, so the
/// driver learns that the connection ended).
pub(crate) struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> CatchUnwind<F> {
    pub(crate) fn new(future: F) -> Self {
        CatchUnwind(Box::pin(future))
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(p) => Poll::Ready(Err(panic_message(&*p))),
        }
    }
}
