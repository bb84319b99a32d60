//! The Basics Station LNS listener (tokio-tungstenite): discovery on `/router-info` and traffic
//! on `/traffic/eui-<16 hex>`, driving the sans-IO [`LbsFrontend`].
//!
//! - **Discovery**: one text message in (within the handshake deadline), one out (answered
//!   from the registry on a blocking thread, [`discovery_answer_for`]), then close.
//! - **Traffic**: the path's EUI and the `Authorization` header (without one, the EUI of a
//!   TLS client certificate verified by the listener's client CA, which must be the path's:
//!   see the `tls` module) are checked against the registry *during the upgrade*, in the connection's task (not the driver's, so a slow
//!   registry stalls only that connection): an unknown gateway and a missing or wrong key both
//!   get 401 (an unauthenticated client cannot tell whether a gateway exists), a valid key
//!   without the link right 403, and no websocket is opened. Only then is the station handed
//!   to the driver ([`LbsFrontend::connect_with_plans`]): nothing is allocated in the
//!   frontend for a client that was refused. Each accepted websocket is one LNS session; a new
//!   connection of the same gateway, on this or another listener, replaces the old one, which
//!   is closed (`Disconnected { reason: Replaced }`).
//! - **Downlinks**: every `dnmsg` sent ends in exactly one `TxAck`: the station's `dntxed`, or a
//!   failure (`TxFailure::Expired` after the session's `tx_confirm_timeout`,
//!   `TxFailure::Replaced` / `Disconnected` when the connection ends first). At most
//!   [`LbsConfig::remembered_downlinks`] (64) are in flight per station; more are refused.
//! - **Liveness**: the server pings every [`LbsSettings::ping_interval`] (±10 %); a station
//!   that once answered a ping and then misses more than
//!   [`LbsSettings::missed_pong_threshold`] pongs in a row is disconnected (`MissedPongs`);
//!   stations that never answer pings are tolerated, as in The Things Stack.
//! - **Bounds** ([`LbsSettings::limits`], see [`TcpLimits`]): 10,000 TCP connections per
//!   listener and 64 per IP address (more are closed at once), 10 s from accept to a complete
//!   TLS handshake and websocket upgrade (and, for discovery, its one request), 10 s per write
//!   (a station that stops reading is disconnected without blocking the others), 10,000
//!   sessions; messages of at most 65,535 bytes both ways (Basics Station never fragments), a
//!   4 KiB read buffer per connection, 64 frames queued per connection (written before more
//!   are read; a station's next message is read only while the queue has room for the answers
//!   to its 16 messages at most in the driver, so a station that bursts requests and reads the
//!   answers is not taken for one that stopped reading), bounded queues to the driver. `TCP_NODELAY` is set on every connection (`getxtime` must not wait in Nagle's
//!   buffer). Refusals are logged at `info` at most once a second, the rest at `debug`.
//! - **Failure**: a panic while handling one station's input closes that connection
//!   (`Disconnected { reason: InternalError }`, counted in `ServerStats::isolated_panics`)
//!   and the listener keeps serving the others.
//!
//! One driver task owns the frontend; one task per websocket only reads and writes frames.
//!
//! [`LbsConfig::remembered_downlinks`]: crate::frontend::lbs::LbsConfig::remembered_downlinks

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use loragw_basicstation::message::{DiscoveryResponse, MAX_MESSAGE_LEN};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Bytes, Message};

use super::accept::{AcceptConfig, Accepted, RefusalLog, TcpLimits, TlsOption, accept_loop};
use super::hub::{Publisher, sleep_until};
use super::listener::{
    ListenerContext, RefusalReason, Started, Stats, close_after_panic, isolate, now, serve_command,
    serve_replaced, serve_timeout,
};
use crate::event::DisconnectReason;
use crate::freqplan::FrequencyPlan;
use crate::frontend::ConnectionId;
use crate::frontend::lbs::{LbsFrontend, LbsOutput, discovery_answer_for};
use crate::ids::{Eui64, GatewayIds};
use crate::registry::GatewayRecord;

/// Read buffer per websocket: small, since station messages are a few hundred bytes and the
/// default 128 KiB would be kept per idle connection (tungstenite grows it for a larger
/// message, up to [`MAX_MESSAGE_LEN`]).
pub const READ_BUFFER_SIZE: usize = 512;

/// Inputs queued from connection tasks to the driver.
const INPUT_CAPACITY: usize = 1024;

/// Frames queued from the driver to one connection; a station that does not take them is
/// disconnected rather than slowing the others.
const OUTBOUND_CAPACITY: usize = 64;

/// Messages of one station handed to the driver and not yet handled. The connection task
/// reads a frame only while the outbound queue has room for the answers to all of them, and
/// writes queued frames before reading more, so a station that sends a burst of requests and
/// reads the answers never fills its queue (only one that stops reading does).
const MESSAGES_IN_FLIGHT: usize = 16;

/// A frame for one connection. Boxed text: the queue keeps the room of the frames that once
/// waited in it (a few slots), so the item size counts per connection even while idle.
#[derive(Debug)]
// A thin pointer (8 bytes) is the point: `Box<str>` would be 16, `String` 24.
#[allow(clippy::box_collection)]
enum Outbound {
    Text(Box<String>),
}

/// What connection tasks tell the driver.
#[derive(Debug)]
enum Input {
    /// An authenticated station (checked, and its frequency plans looked up, in its
    /// connection task).
    Connect {
        connection: ConnectionId,
        record: Box<GatewayRecord>,
        plans: Vec<FrequencyPlan>,
        remote: SocketAddr,
        outbound: flume::Sender<Outbound>,
        reply: oneshot::Sender<Result<GatewayIds, (RefusalReason, String)>>,
    },
    Message {
        connection: ConnectionId,
        text: String,
        /// Released once the driver handled the message (one of [`MESSAGES_IN_FLIGHT`]).
        permit: OwnedSemaphorePermit,
    },
    Closed {
        connection: ConnectionId,
        reason: DisconnectReason,
    },
}

mod dialect;
mod settings;
mod upgrade;
mod write;

pub(crate) use dialect::WsFrontend;

pub use settings::LbsSettings;
pub use upgrade::{DISCOVERY_PATH, TRAFFIC_PREFIX};
use upgrade::{Endpoint, Prefixed, Route, check_upgrade, parse_head, read_head, write_refusal};
use write::{close, send, send_text};

/// Shared by the accept loop and connection tasks.
struct Shared {
    settings: LbsSettings,
    endpoint: Arc<Endpoint>,
    inputs: mpsc::Sender<Input>,
    stats: Arc<Stats>,
    log: Arc<RefusalLog>,
}

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_SIZE)
        .max_message_size(Some(MAX_MESSAGE_LEN))
        .max_frame_size(Some(MAX_MESSAGE_LEN))
}

pub(crate) async fn start(
    addr: SocketAddr,
    settings: LbsSettings,
    tls: TlsOption,
    ctx: ListenerContext,
) -> std::io::Result<Started> {
    let frontend = LbsFrontend::new(settings.frontend.clone(), ctx.registry.clone());
    start_with(addr, settings, tls, ctx, frontend).await
}

/// Starts the websocket listener driving `frontend` (the Basics Station one, or a dialect's:
/// see `transport::tabs`); `settings.frontend` counts only for `allow_unauthenticated`.
pub(crate) async fn start_with<F: WsFrontend>(
    addr: SocketAddr,
    settings: LbsSettings,
    tls: TlsOption,
    ctx: ListenerContext,
    frontend: F,
) -> std::io::Result<Started> {
    let listener = TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    let (inputs_tx, inputs) = mpsc::channel(INPUT_CAPACITY);
    let log = Arc::new(RefusalLog::new(F::NAME).with_events(ctx.hub.clone(), F::PROTOCOL));
    let over_tls = tls.is_some();
    let config = AcceptConfig {
        limits: settings.limits,
        tls,
        stats: ctx.stats.clone(),
        log: log.clone(),
        shutdown: ctx.shutdown.clone(),
        connections: ctx.connections.clone(),
    };
    let endpoint = Arc::new(Endpoint {
        registry: ctx.registry.clone(),
        traffic_base: settings.traffic_base.clone(),
        tls: over_tls,
        local_addr,
        allow_unauthenticated: settings.frontend.allow_unauthenticated,
    });
    let shared = Arc::new(Shared {
        settings,
        endpoint,
        inputs: inputs_tx.clone(),
        stats: ctx.stats.clone(),
        log,
    });
    let driver = tokio::spawn(drive(frontend, inputs, shared.settings.limits, ctx));
    let on_panic = move |connection, message| {
        let reason = DisconnectReason::InternalError(message);
        // The driver may be busy: the report waits in its own task.
        let inputs = inputs_tx.clone();
        tokio::spawn(async move {
            let _ = inputs.send(Input::Closed { connection, reason }).await;
        });
    };
    let acceptor = tokio::spawn(accept_loop(
        listener,
        config,
        move |accepted| serve(accepted, shared.clone()),
        on_panic,
    ));
    Ok(Started {
        local_addr,
        tasks: vec![driver, acceptor],
    })
}

/// `interval` ±10 %, spread by connection id, so stations that connected together (after a
/// server restart) are not pinged in lockstep.
fn jittered(interval: Duration, connection: ConnectionId) -> Duration {
    // Fibonacci hashing of the id to a permille in 0..1000.
    let permille = (connection.0.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54) % 1000;
    let factor = 0.9 + 0.2 * (permille as f64) / 1000.0;
    interval.mul_f64(factor)
}

/// A websocket after its upgrade.
type Upgraded = WebSocketStream<Prefixed<Box<dyn super::accept::Io>>>;

/// One connection: the upgrade, then discovery or traffic. Each phase is boxed: this future
/// lives in the connection's task for its whole life, and so would the largest state of any
/// phase (the upgrade's request and handshake) if they were inline.
async fn serve(accepted: Accepted, shared: Arc<Shared>) {
    let (id, remote, deadline, client_eui) = (
        accepted.id,
        accepted.remote,
        accepted.deadline,
        accepted.client_eui,
    );
    let Some((ws, route)) = Box::pin(upgrade(accepted, &shared)).await else {
        return;
    };
    match route {
        Route::Discovery { traffic_base } => {
            Box::pin(discovery(
                ws,
                traffic_base,
                deadline,
                remote,
                client_eui,
                &shared,
            ))
            .await
        }
        Route::Traffic { record, plans } => {
            Box::pin(traffic(ws, id, record, plans, remote, &shared)).await
        }
    }
}

/// Reads and checks the upgrade request (registry on a blocking thread), answers a refusal
/// itself, and hands an accepted request to tungstenite's handshake; all within the handshake
/// deadline. `None` when the connection ends here.
async fn upgrade(accepted: Accepted, shared: &Shared) -> Option<(Upgraded, Route)> {
    let Accepted {
        mut stream,
        remote,
        deadline,
        client_eui,
        ..
    } = accepted;
    let timed_out = |what| {
        shared.stats.refused(RefusalReason::HandshakeTimeout);
        shared
            .log
            .refused(remote, RefusalReason::HandshakeTimeout, what);
    };
    let head = match tokio::time::timeout_at(deadline, read_head(&mut stream)).await {
        Ok(Ok(head)) => head,
        Ok(Err(e)) => {
            tracing::debug!(%remote, error = %e, "websocket upgrade request unreadable");
            return None;
        }
        Err(_) => {
            timed_out("upgrade request");
            return None;
        }
    };
    let route = match parse_head(&head) {
        Some(request) => {
            let claimed = crate::frontend::lbs::parse_traffic_path(request.uri().path());
            let endpoint = shared.endpoint.clone();
            let checked =
                tokio::task::spawn_blocking(move || check_upgrade(&request, &endpoint, client_eui))
                    .await;
            let refusal = match checked {
                Ok(Ok(route)) => Ok(route),
                Ok(Err(refusal)) => {
                    let detail = format!("{}: {}", refusal.status, refusal.detail);
                    let denied = refusal.status == StatusCode::UNAUTHORIZED
                        || refusal.status == StatusCode::FORBIDDEN;
                    if denied {
                        shared.stats.refused(RefusalReason::Unauthenticated);
                    }
                    match claimed.filter(|_| denied) {
                        Some(eui) => {
                            let claimed = GatewayIds::from_eui(eui);
                            shared.log.gateway_refused(remote, claimed, &detail);
                        }
                        None => shared
                            .log
                            .refused(remote, RefusalReason::Unauthenticated, &detail),
                    }
                    Err((refusal.status, refusal.reason))
                }
                Err(e) => {
                    tracing::error!(%remote, error = %e, "Basics Station registry lookup failed");
                    if e.is_panic() {
                        shared.stats.panicked();
                    }
                    Err((
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal error".to_owned(),
                    ))
                }
            };
            match refusal {
                Ok(route) => Some(route),
                Err((status, reason)) => {
                    let write_timeout = shared.settings.limits.write_timeout;
                    let write = write_refusal(&mut stream, status, &reason);
                    let _ = tokio::time::timeout(write_timeout, write).await;
                    return None;
                }
            }
        }
        // Not HTTP: tungstenite answers the replayed bytes with its own error.
        None => None,
    };
    let stream = Prefixed::new(head, stream);
    let handshake = tokio_tungstenite::accept_async_with_config(stream, Some(ws_config()));
    match tokio::time::timeout_at(deadline, handshake).await {
        Ok(Ok(ws)) => route.map(|route| (ws, route)),
        Ok(Err(e)) => {
            tracing::debug!(%remote, error = %e, "websocket upgrade failed");
            None
        }
        Err(_) => {
            timed_out("websocket upgrade");
            None
        }
    }
}

/// The reason in the close frame after a discovery answer (code 1000, normal closure).
pub(crate) const DISCOVERY_CLOSE_REASON: &str = "discovery answered";

/// Answers one discovery request, then closes with code 1000 and a short reason (a close
/// frame without a status code made Basics Station log a garbage reason). Refused requests
/// (unknown station, unreadable request) are logged through the listener's rate-limited
/// refusal log.
async fn discovery<S>(
    mut ws: WebSocketStream<S>,
    traffic_base: String,
    deadline: tokio::time::Instant,
    remote: SocketAddr,
    client_eui: Option<Eui64>,
    shared: &Shared,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let text = loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => break t.as_str().to_owned(),
            Ok(Some(Ok(Message::Binary(b)))) => break String::from_utf8_lossy(&b).into_owned(),
            Ok(Some(Ok(_))) => continue,
            _ => return,
        }
    };
    // Answered here, off the driver: only the registry is asked.
    let registry = shared.endpoint.registry.clone();
    let answer = tokio::task::spawn_blocking(move || {
        discovery_answer_for(&*registry, &text, &traffic_base, client_eui)
    })
    .await;
    let write_timeout = shared.settings.limits.write_timeout;
    if let Ok(answer) = answer {
        if let Ok(DiscoveryResponse::Error { router, error }) = DiscoveryResponse::decode(&answer) {
            let detail = format!("discovery for router {router}: {error}");
            shared
                .log
                .refused(remote, RefusalReason::Unauthenticated, &detail);
        }
        let _ = tokio::time::timeout(write_timeout, ws.send(Message::text(answer))).await;
    }
    let close = CloseFrame {
        code: CloseCode::Normal,
        reason: DISCOVERY_CLOSE_REASON.into(),
    };
    let _ = tokio::time::timeout(write_timeout, ws.close(Some(close))).await;
}

/// Hands the station to the driver; its outbound queue once the driver took it (a refused
/// station is closed here).
async fn register<S>(
    ws: &mut WebSocketStream<S>,
    connection: ConnectionId,
    record: Box<GatewayRecord>,
    plans: Vec<FrequencyPlan>,
    remote: SocketAddr,
    shared: &Shared,
) -> Option<flume::Receiver<Outbound>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (outbound_tx, outbound) = flume::bounded(OUTBOUND_CAPACITY);
    let (reply, connected) = oneshot::channel();
    let input = Input::Connect {
        connection,
        record,
        plans,
        remote,
        outbound: outbound_tx,
        reply,
    };
    shared.inputs.send(input).await.ok()?;
    match connected.await {
        Ok(Ok(ids)) => {
            tracing::debug!(%remote, gateway = %ids, ?connection, "station connected");
            Some(outbound)
        }
        Ok(Err((reason, detail))) => {
            shared.stats.refused(reason);
            shared.log.refused(remote, reason, &detail);
            close(ws, shared.settings.limits.write_timeout).await;
            None
        }
        Err(_) => None,
    }
}

/// Hands a station's message to the driver, once fewer than [`MESSAGES_IN_FLIGHT`] of its
/// messages are there; `false` when the driver is gone.
async fn forward(
    shared: &Shared,
    permits: &Arc<Semaphore>,
    connection: ConnectionId,
    text: String,
) -> bool {
    let Ok(permit) = permits.clone().acquire_owned().await else {
        return false;
    };
    let input = Input::Message {
        connection,
        text,
        permit,
    };
    shared.inputs.send(input).await.is_ok()
}

/// One station's traffic websocket. The state kept while it idles is this future's (boxed by
/// the caller): every step that awaits more than a queue is boxed in its turn, so that its
/// state (timers, the frame being written) is held only while it runs.
async fn traffic<S>(
    mut ws: WebSocketStream<S>,
    connection: ConnectionId,
    record: Box<GatewayRecord>,
    plans: Vec<FrequencyPlan>,
    remote: SocketAddr,
    shared: &Shared,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let write_timeout = shared.settings.limits.write_timeout;
    let registered = Box::pin(register(&mut ws, connection, record, plans, remote, shared));
    let Some(outbound) = registered.await else {
        return;
    };

    let mut ping = tokio::time::interval(jittered(shared.settings.ping_interval, connection));
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await; // the first tick is immediate
    let mut missed_pongs = 0u32;
    let mut answered_a_ping = false;
    let permits = Arc::new(Semaphore::new(MESSAGES_IN_FLIGHT));
    let reason = loop {
        // Queued frames go out before more are read: a station that reads its answers is
        // never taken for one that does not.
        tokio::select! {
            biased;
            out = outbound.recv_async() => match out {
                Ok(Outbound::Text(text)) => {
                    if let Err(reason) = Box::pin(send_text(&mut ws, *text, write_timeout)).await {
                        break reason;
                    }
                }
                // The driver closed this connection (replaced, disconnected, shut down); it
                // already reported why.
                Err(flume::RecvError::Disconnected) => {
                    Box::pin(close(&mut ws, write_timeout)).await;
                    return;
                }
            },
            _ = ping.tick() => {
                if answered_a_ping && missed_pongs >= shared.settings.missed_pong_threshold {
                    break DisconnectReason::MissedPongs;
                }
                missed_pongs += 1;
                let ping = Message::Ping(Bytes::new());
                if let Err(reason) = Box::pin(send(&mut ws, ping, write_timeout)).await {
                    break reason;
                }
            }
            // Read only while the queue has room for the answers to every message in flight.
            frame = ws.next(), if outbound.len() + MESSAGES_IN_FLIGHT < OUTBOUND_CAPACITY => match frame {
                Some(Ok(Message::Text(text))) => {
                    #[cfg(test)]
                    assert!(!text.as_str().contains(fault::CONNECTION), "injected connection fault");
                    let text = text.as_str().to_owned();
                    if !Box::pin(forward(shared, &permits, connection, text)).await {
                        break DisconnectReason::Shutdown;
                    }
                }
                Some(Ok(Message::Pong(_))) => {
                    missed_pongs = 0;
                    answered_a_ping = true;
                }
                // Pings are answered by tungstenite; binary frames are remote-shell data.
                Some(Ok(Message::Ping(_) | Message::Binary(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(_))) | None => break DisconnectReason::ClosedByGateway,
                Some(Err(e)) => break DisconnectReason::Transport(e.to_string()),
            },
        }
    };
    Box::pin(disconnected(ws, connection, remote, reason, shared)).await;
}

/// The end of a station's traffic: the driver learns why, then the station gets a close frame
/// when the transport still works (after a failed or timed-out write the station is not
/// reading, and the socket is dropped at once instead of being held for another write
/// timeout).
async fn disconnected<S>(
    mut ws: WebSocketStream<S>,
    connection: ConnectionId,
    remote: SocketAddr,
    reason: DisconnectReason,
    shared: &Shared,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    tracing::debug!(%remote, ?connection, %reason, "station disconnected");
    let say_goodbye = !matches!(reason, DisconnectReason::Transport(_));
    // Reported before the close frame is tried, so the disconnection never waits for it.
    let _ = shared
        .inputs
        .send(Input::Closed { connection, reason })
        .await;
    if say_goodbye {
        close(&mut ws, shared.settings.limits.write_timeout).await;
    }
}

/// Owns the frontend: serves commands and hub controls first, then delivers events, then
/// timers, then connection inputs (only while the application keeps up with the events). Each
/// input is handled in isolation: a panic closes the connection it came from.
async fn drive<F: WsFrontend>(
    mut frontend: F,
    mut inputs: mpsc::Receiver<Input>,
    limits: TcpLimits,
    ctx: ListenerContext,
) {
    let ListenerContext {
        id,
        hub,
        mut commands,
        mut controls,
        stats,
        ..
    } = ctx;
    let mut publisher = Publisher::new(hub, id);
    let mut connections: HashMap<ConnectionId, flume::Sender<Outbound>> = HashMap::new();
    let mut commands_open = true;
    let mut controls_open = true;
    let mut decode_errors = 0;
    loop {
        let deadline = frontend.poll_timeout();
        let sessions_before = frontend.connected();
        tokio::select! {
            biased;
            request = commands.recv(), if commands_open => match request {
                Some(request) => serve_command(&mut frontend, &stats, F::NAME, request),
                None => commands_open = false,
            },
            control = controls.recv(), if controls_open => match control {
                Some(control) => {
                    if let Some(gateway_id) = publisher.replaced(&control) {
                        serve_replaced(&mut frontend, &stats, F::NAME, gateway_id);
                    }
                }
                None => controls_open = false,
            },
            () = publisher.deliver(), if publisher.has_pending() => {}
            () = sleep_until(deadline) => serve_timeout(&mut frontend, &stats, F::NAME),
            input = inputs.recv(), if !publisher.is_backlogged() => match input {
                Some(input) => {
                    #[cfg(test)]
                    if let Input::Message { text, .. } = &input {
                        assert!(!text.contains(fault::LISTENER), "injected listener fault");
                    }
                    let connection = input.connection();
                    let handled =
                        isolate(|| handle_input(&mut frontend, &mut connections, limits, input));
                    if let Err(panic) = handled {
                        close_after_panic(&stats, F::NAME, panic, |reason| {
                            // Dropping the sender closes the websocket.
                            connections.remove(&connection);
                            frontend.handle_close(now(), connection, reason);
                        });
                    }
                }
                // The accept loop is gone: the server is shutting down.
                None => return,
            },
        }
        while let Some(output) = frontend.poll_output() {
            match output {
                LbsOutput::Send { connection, text } => {
                    if text.len() > MAX_MESSAGE_LEN {
                        tracing::warn!(
                            ?connection,
                            len = text.len(),
                            "message over 65,535 bytes not sent"
                        );
                        continue;
                    }
                    let Some(tx) = connections.get(&connection) else {
                        continue;
                    };
                    match tx.try_send(Outbound::Text(Box::new(text))) {
                        Ok(()) => {}
                        // The connection task ended: its `Closed` input says why.
                        Err(flume::TrySendError::Disconnected(_)) => {
                            connections.remove(&connection);
                        }
                        // Too slow: drop the sender, which closes the connection.
                        Err(flume::TrySendError::Full(_)) => {
                            connections.remove(&connection);
                            frontend.handle_close(
                                now(),
                                connection,
                                DisconnectReason::Transport(
                                    "station does not read its messages".into(),
                                ),
                            );
                        }
                    }
                }
                LbsOutput::Close { connection } => {
                    connections.remove(&connection);
                }
            }
        }
        stats.sessions_changed(sessions_before, frontend.connected());
        stats.decode_errors(F::DECODE, frontend.decode_errors() - decode_errors);
        decode_errors = frontend.decode_errors();
        while let Some(event) = frontend.poll_event() {
            publisher.push(event);
        }
    }
}

impl Input {
    /// The connection an input comes from.
    fn connection(&self) -> ConnectionId {
        match self {
            Input::Connect { connection, .. }
            | Input::Message { connection, .. }
            | Input::Closed { connection, .. } => *connection,
        }
    }
}

fn handle_input<F: WsFrontend>(
    frontend: &mut F,
    connections: &mut HashMap<ConnectionId, flume::Sender<Outbound>>,
    limits: TcpLimits,
    input: Input,
) {
    let now = now();
    match input {
        Input::Connect {
            connection,
            record,
            plans,
            remote,
            outbound,
            reply,
        } => {
            let reconnect = frontend.is_connected(&record.ids.gateway_id);
            if !reconnect && frontend.connected() >= limits.max_sessions {
                let detail = format!("{} sessions open", frontend.connected());
                let _ = reply.send(Err((RefusalReason::SessionsFull, detail)));
                return;
            }
            // Registered in the map first: a panic in the frontend then closes this socket.
            connections.insert(connection, outbound);
            let result = frontend
                .connect_with_plans(now, connection, &record, &plans, Some(remote))
                .map_err(|e| (RefusalReason::Unauthenticated, e.to_string()));
            if result.is_err() {
                connections.remove(&connection);
            }
            let _ = reply.send(result);
        }
        Input::Message {
            connection,
            text,
            permit,
        } => {
            #[cfg(test)]
            assert!(!text.contains(fault::DRIVER), "injected driver fault");
            if let Err(e) = frontend.handle_message(now, connection, &text) {
                // A message racing the connection's replacement: nothing to do.
                tracing::trace!(error = %e, "message of a closed connection");
            }
            // The answers are queued by the caller before the connection task reads again
            // (it reads only while the queue has room for them).
            drop(permit);
        }
        Input::Closed { connection, reason } => {
            connections.remove(&connection);
            frontend.handle_close(now, connection, reason);
        }
    }
}

/// Faults injected by the tests through a station's text message (compiled only in tests).
#[cfg(test)]
mod fault {
    /// Panics in the driver while handling the message (isolated).
    pub(super) const DRIVER: &str = "test-fault:driver";
    /// Panics in the connection task.
    pub(super) const CONNECTION: &str = "test-fault:connection";
    /// Panics in the driver outside the isolation: the listener stops.
    pub(super) const LISTENER: &str = "test-fault:listener";
}

#[cfg(test)]
mod tests;
