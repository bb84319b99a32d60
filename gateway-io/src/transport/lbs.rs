//! The Basics Station LNS listener (tokio-tungstenite): discovery on `/router-info` and traffic
//! on `/traffic/eui-<16 hex>`, driving the sans-IO [`LbsFrontend`].
//!
//! - **Discovery**: one text message in, one out (answered by the frontend), then close.
//! - **Traffic**: the path's EUI and the `Authorization` header are checked against the
//!   registry *during the upgrade* (`accept_hdr_async`): an unknown gateway gets 404, a missing
//!   or wrong key 401, a key without the link right 403, and no websocket is opened. Each
//!   accepted websocket is one LNS session in the frontend; a new connection of the same
//!   gateway replaces the old one, which is closed (`Disconnected { reason: Replaced }`).
//! - **Liveness**: the server pings every [`LbsSettings::ping_interval`] (±10 %); a station
//!   that once answered a ping and then misses more than
//!   [`LbsSettings::missed_pong_threshold`] pongs in a row is disconnected (`MissedPongs`);
//!   stations that never answer pings are tolerated, as in The Things Stack.
//! - **Bounds**: messages of at most 65,535 bytes both ways (Basics Station never fragments),
//!   a 4 KiB read buffer per connection, bounded queues between the connection tasks and the
//!   driver.
//!
//! One driver task owns the frontend; one task per websocket only reads and writes frames.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use loragw_basicstation::message::MAX_MESSAGE_LEN;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Message};

use super::TlsOption;
use super::hub::{Publisher, now, sleep_until};
use super::server::{ListenerContext, Registry, Started};
use crate::event::DisconnectReason;
use crate::frontend::lbs::{LbsConfig, LbsError, LbsFrontend, LbsOutput};
use crate::frontend::{ConnectionId, Frontend, Now};
use crate::ids::{Eui64, GatewayIds};

/// The discovery path.
pub const DISCOVERY_PATH: &str = "/router-info";

/// The prefix of traffic paths (`/traffic/eui-<16 hex>`).
pub const TRAFFIC_PREFIX: &str = "/traffic/";

/// Read buffer per websocket: small, since station messages are a few hundred bytes and the
/// default 128 KiB would be kept per idle connection.
pub const READ_BUFFER_SIZE: usize = 4 * 1024;

/// Inputs queued from connection tasks to the driver.
const INPUT_CAPACITY: usize = 1024;

/// Frames queued from the driver to one connection; a station that does not take them is
/// disconnected rather than slowing the others.
const OUTBOUND_CAPACITY: usize = 64;

/// Settings of a Basics Station listener.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LbsSettings {
    /// The frontend's settings (unauthenticated stations, session timers, router_config).
    pub frontend: LbsConfig,
    /// Interval of server pings (The Things Stack: 30 s).
    pub ping_interval: Duration,
    /// Pongs a station may miss in a row once it has answered one (The Things Stack: 2).
    pub missed_pong_threshold: u32,
    /// The `scheme://host:port` put in discovery answers; by default taken from the request's
    /// `Host` header (`ws` or `wss` after the listener's TLS), else the listener's address.
    pub traffic_base: Option<String>,
    /// How long the websocket upgrade (request and response) may take.
    pub handshake_timeout: Duration,
}

impl Default for LbsSettings {
    fn default() -> Self {
        LbsSettings {
            frontend: LbsConfig::default(),
            ping_interval: Duration::from_secs(30),
            missed_pong_threshold: 2,
            traffic_base: None,
            handshake_timeout: Duration::from_secs(60),
        }
    }
}

impl LbsSettings {
    /// Settings with this frontend configuration.
    pub fn new(frontend: LbsConfig) -> Self {
        LbsSettings {
            frontend,
            ..Default::default()
        }
    }

    /// The same settings with another ping interval.
    pub fn with_ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = interval;
        self
    }

    /// The same settings with another discovery base (`wss://lns.example.com:8887`).
    pub fn with_traffic_base(mut self, base: impl Into<String>) -> Self {
        self.traffic_base = Some(base.into());
        self
    }
}

/// A frame (or the end) for one connection.
#[derive(Debug)]
enum Outbound {
    Text(String),
}

/// What connection tasks tell the driver.
#[derive(Debug)]
enum Input {
    Discovery {
        text: String,
        traffic_base: String,
        reply: oneshot::Sender<String>,
    },
    Connect {
        connection: ConnectionId,
        eui: Eui64,
        authorization: Option<String>,
        remote: SocketAddr,
        outbound: mpsc::Sender<Outbound>,
        reply: oneshot::Sender<Result<GatewayIds, LbsError>>,
    },
    Message {
        connection: ConnectionId,
        text: String,
    },
    Closed {
        connection: ConnectionId,
        reason: DisconnectReason,
    },
}

mod upgrade;

use upgrade::{check_upgrade, error_response};

/// What the upgrade request asked for.
#[derive(Debug, Clone)]
enum Route {
    Discovery {
        traffic_base: String,
    },
    Traffic {
        eui: Eui64,
        authorization: Option<String>,
    },
}

/// Shared by the accept loop and connection tasks.
struct Shared {
    settings: LbsSettings,
    registry: Arc<dyn Registry>,
    inputs: mpsc::Sender<Input>,
    local_addr: SocketAddr,
    tls: bool,
    next_connection: AtomicU64,
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
    let listener = TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    let (inputs_tx, inputs) = mpsc::channel(INPUT_CAPACITY);
    let frontend = LbsFrontend::new(settings.frontend.clone(), ctx.registry.clone());
    let shared = Arc::new(Shared {
        settings,
        registry: ctx.registry.clone(),
        inputs: inputs_tx,
        local_addr,
        tls: tls.is_some(),
        next_connection: AtomicU64::new(1),
    });
    let driver = tokio::spawn(drive(frontend, inputs, ctx));
    let acceptor = tokio::spawn(async move {
        loop {
            let (stream, remote) = match listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "Basics Station accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let shared = shared.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    #[cfg(feature = "tls")]
                    Some(tls) => match tls.accept(stream).await {
                        Ok(stream) => serve(stream, remote, shared).await,
                        Err(e) => tracing::debug!(%remote, error = %e, "LNS TLS handshake"),
                    },
                    #[cfg(not(feature = "tls"))]
                    Some(never) => match never {},
                    None => serve(stream, remote, shared).await,
                }
            });
        }
    });
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

fn now_both() -> Now {
    let (instant, wall) = now();
    Now::new(instant, wall)
}

// The callback's error type is tungstenite's HTTP response.
#[allow(clippy::result_large_err)]
async fn serve<S>(stream: S, remote: SocketAddr, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut route = None;
    let callback = |request: &Request, response: Response| match check_upgrade(request, &shared) {
        Ok(r) => {
            route = Some(r);
            Ok(response)
        }
        Err((status, reason)) => {
            tracing::info!(%remote, path = request.uri().path(), %status, %reason, "Basics Station upgrade refused");
            Err(error_response((status, reason)))
        }
    };
    let upgrade =
        tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(ws_config()));
    let ws = match tokio::time::timeout(shared.settings.handshake_timeout, upgrade).await {
        Ok(Ok(ws)) => ws,
        Ok(Err(e)) => {
            tracing::debug!(%remote, error = %e, "websocket upgrade failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%remote, "websocket upgrade timed out");
            return;
        }
    };
    match route {
        Some(Route::Discovery { traffic_base }) => discovery(ws, traffic_base, &shared).await,
        Some(Route::Traffic { eui, authorization }) => {
            traffic(ws, eui, authorization, remote, &shared).await
        }
        None => {}
    }
}

async fn discovery<S>(mut ws: WebSocketStream<S>, traffic_base: String, shared: &Shared)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let text = loop {
        match tokio::time::timeout(shared.settings.handshake_timeout, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => break t.as_str().to_owned(),
            Ok(Some(Ok(Message::Binary(b)))) => break String::from_utf8_lossy(&b).into_owned(),
            Ok(Some(Ok(_))) => continue,
            _ => return,
        }
    };
    let (reply, answer) = oneshot::channel();
    let input = Input::Discovery {
        text,
        traffic_base,
        reply,
    };
    if shared.inputs.send(input).await.is_err() {
        return;
    }
    if let Ok(answer) = answer.await {
        let _ = ws.send(Message::text(answer)).await;
    }
    let _ = ws.close(None).await;
}

async fn traffic<S>(
    mut ws: WebSocketStream<S>,
    eui: Eui64,
    authorization: Option<String>,
    remote: SocketAddr,
    shared: &Shared,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let connection = ConnectionId(shared.next_connection.fetch_add(1, Ordering::Relaxed));
    let (outbound_tx, mut outbound) = mpsc::channel(OUTBOUND_CAPACITY);
    let (reply, connected) = oneshot::channel();
    let input = Input::Connect {
        connection,
        eui,
        authorization,
        remote,
        outbound: outbound_tx,
        reply,
    };
    if shared.inputs.send(input).await.is_err() {
        return;
    }
    match connected.await {
        Ok(Ok(ids)) => tracing::debug!(%remote, gateway = %ids, ?connection, "station connected"),
        Ok(Err(e)) => {
            tracing::info!(%remote, error = %e, "station refused");
            let _ = ws.close(None).await;
            return;
        }
        Err(_) => return,
    }

    let mut ping = tokio::time::interval(jittered(shared.settings.ping_interval, connection));
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await; // the first tick is immediate
    let mut missed_pongs = 0u32;
    let mut answered_a_ping = false;
    let reason = loop {
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    let input = Input::Message { connection, text: text.as_str().to_owned() };
                    if shared.inputs.send(input).await.is_err() {
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
            out = outbound.recv() => match out {
                Some(Outbound::Text(text)) => {
                    if let Err(e) = ws.send(Message::text(text)).await {
                        break DisconnectReason::Transport(e.to_string());
                    }
                }
                // The driver closed this connection (replaced, disconnected, shut down); it
                // already reported why.
                None => {
                    let _ = ws.close(None).await;
                    return;
                }
            },
            _ = ping.tick() => {
                if answered_a_ping && missed_pongs >= shared.settings.missed_pong_threshold {
                    break DisconnectReason::MissedPongs;
                }
                missed_pongs += 1;
                if let Err(e) = ws.send(Message::Ping(Bytes::new())).await {
                    break DisconnectReason::Transport(e.to_string());
                }
            }
        }
    };
    tracing::debug!(%remote, ?connection, %reason, "station disconnected");
    let _ = ws.close(None).await;
    let _ = shared
        .inputs
        .send(Input::Closed { connection, reason })
        .await;
}

async fn drive(
    mut frontend: LbsFrontend<dyn Registry>,
    mut inputs: mpsc::Receiver<Input>,
    ctx: ListenerContext,
) {
    let ListenerContext {
        id,
        hub,
        mut commands,
        ..
    } = ctx;
    let mut publisher = Publisher::new(hub, id);
    let mut connections: HashMap<ConnectionId, mpsc::Sender<Outbound>> = HashMap::new();
    let mut commands_open = true;
    loop {
        let deadline = frontend.poll_timeout();
        tokio::select! {
            biased;
            request = commands.recv(), if commands_open => match request {
                Some(request) => {
                    let result = frontend.handle_command(now_both(), request.command);
                    let _ = request.reply.send(result);
                }
                None => commands_open = false,
            },
            () = publisher.deliver(), if publisher.has_pending() => {}
            () = sleep_until(deadline) => frontend.handle_timeout(now_both()),
            input = inputs.recv(), if !publisher.is_backlogged() => match input {
                Some(input) => handle_input(&mut frontend, &mut connections, input),
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
                    if tx.try_send(Outbound::Text(text)).is_err() {
                        // Too slow or gone: drop the sender, which closes the connection.
                        connections.remove(&connection);
                        frontend.handle_close(
                            now_both(),
                            connection,
                            DisconnectReason::Transport(
                                "station does not read its messages".into(),
                            ),
                        );
                    }
                }
                LbsOutput::Close { connection } => {
                    connections.remove(&connection);
                }
            }
        }
        while let Some(event) = frontend.poll_event() {
            publisher.push(event);
        }
    }
}

fn handle_input(
    frontend: &mut LbsFrontend<dyn Registry>,
    connections: &mut HashMap<ConnectionId, mpsc::Sender<Outbound>>,
    input: Input,
) {
    let now = now_both();
    match input {
        Input::Discovery {
            text,
            traffic_base,
            reply,
        } => {
            let _ = reply.send(frontend.handle_discovery(&text, &traffic_base));
        }
        Input::Connect {
            connection,
            eui,
            authorization,
            remote,
            outbound,
            reply,
        } => {
            let result = frontend.handle_connect(
                now,
                connection,
                eui,
                authorization.as_deref(),
                Some(remote),
            );
            if result.is_ok() {
                connections.insert(connection, outbound);
            }
            let _ = reply.send(result);
        }
        Input::Message { connection, text } => {
            if let Err(e) = frontend.handle_message(now, connection, &text) {
                // A message racing the connection's replacement: nothing to do.
                tracing::trace!(error = %e, "message of a closed connection");
            }
        }
        Input::Closed { connection, reason } => {
            connections.remove(&connection);
            frontend.handle_close(now, connection, reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_intervals_stay_within_ten_percent_and_spread() {
        let base = Duration::from_secs(30);
        let spread: Vec<Duration> = (1..=50)
            .map(|id| jittered(base, ConnectionId(id)))
            .collect();
        for d in &spread {
            assert!(
                *d >= Duration::from_secs(27) && *d <= Duration::from_secs(33),
                "{d:?}"
            );
        }
        let (min, max) = (spread.iter().min().unwrap(), spread.iter().max().unwrap());
        assert!(*max - *min > Duration::from_secs(3), "{min:?}..{max:?}");
    }
}
