//! The one accept loop of the TCP listeners (Basics Station, CUPS, MQTT v3 and v2): caps on
//! connections per listener and per remote IP address, `TCP_NODELAY`, TLS within the
//! handshake deadline, rate-limited logs of refusals, and one task per connection whose panic
//! is caught and reported to the listener.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

use super::hub::Hub;
use super::listener::{CatchUnwind, ConnectionTasks, RefusalReason, Stats};
use crate::event::{GatewayEvent, Protocol};
use crate::frontend::ConnectionId;
use crate::ids::{Eui64, GatewayIds};
use crate::log_limit::LogWindow;

/// The TLS configuration of a TCP listener, if it uses TLS.
#[cfg(feature = "tls")]
pub(crate) type TlsOption = Option<super::tls::TlsConfig>;
/// Without the `tls` feature no listener can be given TLS.
#[cfg(not(feature = "tls"))]
pub(crate) type TlsOption = Option<std::convert::Infallible>;

/// Default [`TcpLimits::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// Default [`TcpLimits::max_connections_per_ip`].
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 64;
/// Default [`TcpLimits::handshake_timeout`].
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`TcpLimits::write_timeout`].
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`TcpLimits::max_sessions`].
pub const DEFAULT_MAX_SESSIONS: usize = 10_000;

/// Bounds of a TCP listener (Basics Station, CUPS, MQTT), each with its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TcpLimits {
    /// TCP connections open at once on the listener, in any state; one more is closed at once
    /// (counted as [`RefusalReason::ListenerFull`]). Default [`DEFAULT_MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// TCP connections open at once from one IP address; one more is closed at once
    /// ([`RefusalReason::AddressFull`]). Default [`DEFAULT_MAX_CONNECTIONS_PER_IP`] (a NAT may
    /// hide several gateways).
    pub max_connections_per_ip: usize,
    /// Time from accept to a complete handshake: TLS, then the websocket upgrade (Basics
    /// Station), the HTTP request (CUPS) or the MQTT CONNECT, together. A client that has not
    /// finished by then (a slowloris sending one byte per second) is cut
    /// ([`RefusalReason::HandshakeTimeout`]). Default [`DEFAULT_HANDSHAKE_TIMEOUT`] (10 s).
    pub handshake_timeout: Duration,
    /// Time one write to a peer may take; a peer that stops reading is disconnected when it
    /// passes, without slowing the others. Default [`DEFAULT_WRITE_TIMEOUT`] (10 s).
    pub write_timeout: Duration,
    /// Gateway sessions open at once on the listener (Basics Station traffic, MQTT); one more
    /// authenticated gateway is refused ([`RefusalReason::SessionsFull`]). Not used by CUPS.
    /// Default [`DEFAULT_MAX_SESSIONS`].
    pub max_sessions: usize,
}

impl Default for TcpLimits {
    fn default() -> Self {
        TcpLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            max_sessions: DEFAULT_MAX_SESSIONS,
        }
    }
}

/// A byte stream of an accepted connection, plain or TLS.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send + Sync + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync + 'static> Io for T {}

/// An accepted connection handed to the listener.
pub(crate) struct Accepted {
    /// Numbered from 1 per listener (CUPS has no use for it).
    #[cfg_attr(not(any(feature = "lbs", feature = "mqtt-server")), allow(dead_code))]
    pub(crate) id: ConnectionId,
    pub(crate) stream: Box<dyn Io>,
    pub(crate) remote: SocketAddr,
    /// When the handshake (upgrade, request, CONNECT) must be complete.
    pub(crate) deadline: tokio::time::Instant,
    /// The gateway EUI named by the client's TLS certificate, verified by the listener's
    /// client CA (see `TlsConfig::with_client_ca`); `None` without one (MQTT does not use it).
    #[cfg_attr(not(any(feature = "lbs", feature = "cups")), allow(dead_code))]
    pub(crate) client_eui: Option<Eui64>,
}

/// A refused HTTP request (websocket upgrade, CUPS): the status, what the client is told, and
/// what the refusal log and event say. `S` is the HTTP status type of the listener's library.
#[cfg(any(feature = "lbs", feature = "cups"))]
#[derive(Debug)]
pub(crate) struct Refusal<S> {
    pub(crate) status: S,
    /// Told the client: never whether a gateway exists.
    pub(crate) reason: String,
    /// For the log and the refusal event: the reason, and for a failed authentication why.
    pub(crate) detail: String,
}

#[cfg(any(feature = "lbs", feature = "cups"))]
impl<S> Refusal<S> {
    /// The same text for the client and the log.
    pub(crate) fn new(status: S, reason: String) -> Self {
        Refusal {
            status,
            detail: reason.clone(),
            reason,
        }
    }

    /// An unknown gateway or a credential that does not prove it (`status`: 401): one text for
    /// every such client, so it learns nothing about which gateways exist; the log says why.
    pub(crate) fn unauthenticated(status: S, why: Option<&crate::registry::AuthError>) -> Self {
        let reason = "unknown gateway or invalid credentials".to_owned();
        let detail = match why {
            Some(why) => format!("{reason} ({why})"),
            None => reason.clone(),
        };
        Refusal {
            status,
            reason,
            detail,
        }
    }
}

/// Logs refusals at `info` at most once per second per listener (with the number suppressed
/// since), the rest at `debug`, so a flood of bad clients cannot fill a disk. With
/// [`with_events`](RefusalLog::with_events), refused gateways are also reported to the
/// application as [`GatewayEvent::Refused`], under a limit of their own.
#[derive(Debug)]
pub(crate) struct RefusalLog {
    listener: &'static str,
    window: Mutex<LogWindow>,
    events: Option<(Arc<Hub>, Protocol)>,
    event_window: Mutex<LogWindow>,
}

/// At most one loud refusal line per listener within this long.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(1);

impl RefusalLog {
    pub(crate) fn new(listener: &'static str) -> Self {
        RefusalLog {
            listener,
            window: Mutex::new(LogWindow::default()),
            events: None,
            event_window: Mutex::new(LogWindow::default()),
        }
    }

    /// Also reports refused gateways ([`gateway_refused`](Self::gateway_refused)) as events
    /// of `protocol` on the hub's event stream.
    pub(crate) fn with_events(mut self, hub: Arc<Hub>, protocol: Protocol) -> Self {
        self.events = Some((hub, protocol));
        self
    }

    /// Logs the refusal of a client that claimed to be `claimed` (unknown gateway, wrong,
    /// missing or insufficient key) and reports it as a [`GatewayEvent::Refused`], at most once
    /// per second (with the number not reported since).
    pub(crate) fn gateway_refused(&self, remote: SocketAddr, claimed: GatewayIds, detail: &str) {
        self.gateway_refused_at(Instant::now(), remote, claimed, detail);
    }

    fn gateway_refused_at(
        &self,
        now: Instant,
        remote: SocketAddr,
        claimed: GatewayIds,
        detail: &str,
    ) {
        self.refused_at(now, remote, RefusalReason::Unauthenticated, detail);
        let Some((hub, protocol)) = &self.events else {
            return;
        };
        let report = self
            .event_window
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .allow(now, REFUSAL_LOG_INTERVAL);
        if let Some(suppressed) = report {
            hub.try_publish(GatewayEvent::Refused {
                gateway: claimed,
                protocol: *protocol,
                remote: Some(remote),
                reason: detail.to_owned(),
                suppressed,
            });
        }
    }

    /// Logs one refusal of `remote`.
    pub(crate) fn refused(&self, remote: SocketAddr, reason: RefusalReason, detail: &str) {
        self.refused_at(Instant::now(), remote, reason, detail);
    }

    fn refused_at(&self, now: Instant, remote: SocketAddr, reason: RefusalReason, detail: &str) {
        let loud = self
            .window
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .allow(now, REFUSAL_LOG_INTERVAL);
        match loud {
            Some(suppressed) => {
                tracing::info!(listener = self.listener, %remote, ?reason, detail, suppressed, "client refused")
            }
            None => {
                tracing::debug!(listener = self.listener, %remote, ?reason, detail, "client refused")
            }
        }
    }
}

/// Open connections per IP address, released by [`Slot`]'s drop.
#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// A connection's place in the counts.
pub(crate) struct Slot {
    counts: Arc<Mutex<Counts>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.per_ip.remove(&self.ip);
            }
        }
    }
}

/// Takes a slot for `ip`, or says which cap is reached.
fn admit(
    counts: &Arc<Mutex<Counts>>,
    ip: IpAddr,
    limits: &TcpLimits,
) -> Result<Slot, RefusalReason> {
    let mut c = counts.lock().unwrap_or_else(PoisonError::into_inner);
    if c.total >= limits.max_connections {
        return Err(RefusalReason::ListenerFull);
    }
    let n = c.per_ip.get(&ip).copied().unwrap_or(0);
    if n >= limits.max_connections_per_ip {
        return Err(RefusalReason::AddressFull);
    }
    c.total += 1;
    c.per_ip.insert(ip, n + 1);
    Ok(Slot {
        counts: counts.clone(),
        ip,
    })
}

/// What the accept loop needs of a listener.
pub(crate) struct AcceptConfig {
    pub(crate) limits: TcpLimits,
    pub(crate) tls: TlsOption,
    pub(crate) stats: Arc<Stats>,
    pub(crate) log: Arc<RefusalLog>,
    /// Turns true when the server stops: the loop then closes the listening socket (new
    /// connections are refused by the OS) and accepts nothing more.
    pub(crate) shutdown: tokio::sync::watch::Receiver<bool>,
    /// Every connection task is counted here while it runs.
    pub(crate) connections: ConnectionTasks,
}

/// Accepts connections until the server stops, one task per admitted connection running
/// `serve`; when that
/// task panics, `on_panic` is called with its id and the message (the listener reports the
/// connection closed).
pub(crate) async fn accept_loop<S, SF, P>(
    listener: TcpListener,
    config: AcceptConfig,
    serve: S,
    on_panic: P,
) where
    S: Fn(Accepted) -> SF + Send + Sync + 'static,
    SF: Future<Output = ()> + Send + 'static,
    P: Fn(ConnectionId, String) + Send + Sync + Clone + 'static,
{
    let counts = Arc::new(Mutex::new(Counts::default()));
    let serve = Arc::new(serve);
    let mut next_id = 0u64;
    let mut shutdown = config.shutdown.clone();
    loop {
        let accepted = tokio::select! {
            biased;
            stop = shutdown.wait_for(|stop| *stop) => {
                drop(stop);
                None
            }
            accepted = listener.accept() => Some(accepted),
        };
        // Stopping (or the server is gone): no more connections. The task stays (its end would
        // be reported as a failure); the server aborts it.
        let Some(accepted) = accepted else {
            drop(listener);
            return std::future::pending().await;
        };
        let (stream, remote) = match accepted {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(listener = config.log.listener, error = %e, "accept failed");
                // Out of descriptors and the like: do not spin.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let slot = match admit(&counts, remote.ip(), &config.limits) {
            Ok(slot) => slot,
            Err(reason) => {
                config.stats.refused(reason);
                config.log.refused(remote, reason, "connection cap");
                drop(stream);
                continue;
            }
        };
        // Basics Station's `getxtime` and MQTT's small packets must not wait in Nagle's buffer.
        let _ = stream.set_nodelay(true);
        let deadline = tokio::time::Instant::now() + config.limits.handshake_timeout;
        next_id += 1;
        let id = ConnectionId(next_id);
        // `Option<Infallible>` (Copy) without the `tls` feature.
        #[allow(clippy::clone_on_copy)]
        let tls = config.tls.clone();
        let serve = serve.clone();
        let on_panic = on_panic.clone();
        let stats = config.stats.clone();
        let log = config.log.clone();
        let live = config.connections.enter();
        tokio::spawn(async move {
            let _slot = slot;
            let _live = live;
            let task_stats = stats.clone();
            let task = async move {
                // Boxed: the TLS handshake's state is large and would otherwise size the
                // task of every connection for its whole life.
                let handshake = handshake_tls(stream, remote, tls, deadline, &task_stats, &log);
                let Some((stream, client_eui)) = Box::pin(handshake).await else {
                    return;
                };
                serve(Accepted {
                    id,
                    stream,
                    remote,
                    deadline,
                    client_eui,
                })
                .await;
            };
            if let Err(message) = CatchUnwind::new(task).await {
                tracing::error!(%remote, panic = %message, "connection task panicked");
                stats.panicked();
                on_panic(id, message);
            }
        });
    }
}

/// The TLS handshake, if the listener has TLS, within the handshake deadline; with the EUI the
/// client's verified certificate names, if any.
async fn handshake_tls(
    stream: TcpStream,
    remote: SocketAddr,
    tls: TlsOption,
    deadline: tokio::time::Instant,
    stats: &Stats,
    log: &RefusalLog,
) -> Option<(Box<dyn Io>, Option<Eui64>)> {
    match tls {
        #[cfg(feature = "tls")]
        Some(tls) => match tokio::time::timeout_at(deadline, tls.accept(stream)).await {
            Ok(Ok(stream)) => {
                let eui = super::tls::peer_eui(&stream);
                Some((Box::new(stream), eui))
            }
            Ok(Err(e)) => {
                tracing::debug!(%remote, error = %e, "TLS handshake failed");
                None
            }
            Err(_) => {
                stats.refused(RefusalReason::HandshakeTimeout);
                log.refused(remote, RefusalReason::HandshakeTimeout, "TLS");
                None
            }
        },
        #[cfg(not(feature = "tls"))]
        Some(never) => {
            let _ = (remote, deadline, stats, log);
            match never {}
        }
        None => Some((Box::new(stream), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_logged_loudly_at_most_once_a_second() {
        let log = RefusalLog::new("test");
        let remote: SocketAddr = "192.0.2.1:4000".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..1000 {
            log.refused_at(t0, remote, RefusalReason::Unauthenticated, "flood");
        }
        // The first was loud; the other 999 went to debug and are counted for the next loud
        // line.
        let suppressed = |log: &RefusalLog| log.window.lock().unwrap().suppressed();
        assert_eq!(suppressed(&log), 999);
        let later = t0 + Duration::from_secs(1);
        log.refused_at(later, remote, RefusalReason::Unauthenticated, "later");
        assert_eq!(suppressed(&log), 0);
    }

    #[tokio::test]
    async fn the_loop_stops_accepting_when_the_server_stops() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let (served_tx, mut served) = tokio::sync::mpsc::unbounded_channel();
        let config = AcceptConfig {
            limits: TcpLimits::default(),
            tls: None,
            stats: Arc::new(Stats::default()),
            log: Arc::new(RefusalLog::new("test")),
            shutdown,
            connections: ConnectionTasks::default(),
        };
        let task = tokio::spawn(accept_loop(
            listener,
            config,
            move |accepted: Accepted| {
                let _ = served_tx.send(accepted.remote);
                async {}
            },
            |_, _| {},
        ));
        let _first = tokio::net::TcpStream::connect(addr).await.unwrap();
        assert!(served.recv().await.is_some());
        stop.send(true).unwrap();
        // The listening socket closes: connections are refused from then on.
        let mut refused = false;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                refused = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(refused, "still accepting after the stop");
        assert!(!task.is_finished(), "the loop parks instead of ending");
        task.abort();
    }

    #[test]
    fn refused_gateways_become_at_most_one_event_a_second() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        let hub = Arc::new(Hub::new(tx));
        let log = RefusalLog::new("test").with_events(hub, Protocol::MqttV3);
        let remote: SocketAddr = "192.0.2.1:4000".parse().unwrap();
        let claimed = || GatewayIds::new("typo-gateway", None);
        let t0 = Instant::now();
        for _ in 0..1000 {
            log.gateway_refused_at(t0, remote, claimed(), "wrong key");
        }
        log.gateway_refused_at(t0 + Duration::from_secs(1), remote, claimed(), "wrong key");
        let mut events = Vec::new();
        while let Ok(event) = rx.try_recv() {
            events.push(event);
        }
        let refused = |suppressed| GatewayEvent::Refused {
            gateway: claimed(),
            protocol: Protocol::MqttV3,
            remote: Some(remote),
            reason: "wrong key".into(),
            suppressed,
        };
        assert_eq!(events, vec![refused(0), refused(999)]);
    }

    #[test]
    fn slots_count_per_address_and_free_on_drop() {
        let limits = TcpLimits {
            max_connections: 3,
            max_connections_per_ip: 2,
            ..TcpLimits::default()
        };
        let counts = Arc::new(Mutex::new(Counts::default()));
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let a1 = admit(&counts, a, &limits).unwrap();
        let _a2 = admit(&counts, a, &limits).unwrap();
        assert_eq!(
            admit(&counts, a, &limits).err(),
            Some(RefusalReason::AddressFull)
        );
        let _b1 = admit(&counts, b, &limits).unwrap();
        assert_eq!(
            admit(&counts, b, &limits).err(),
            Some(RefusalReason::ListenerFull)
        );
        drop(a1);
        let _b2 = admit(&counts, b, &limits).unwrap();
        assert_eq!(counts.lock().unwrap().total, 3);
    }
}
