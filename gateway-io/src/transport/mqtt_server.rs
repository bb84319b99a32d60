//! MQTT listeners for gateways (feature `mqtt-server`): The Things Stack's MQTT v3 (port 1882,
//! TLS 8882) and legacy v2 (port 1881, TLS 8881) gateway protocols, started through
//! [`GatewayServerBuilder::mqtt_v3`](super::GatewayServerBuilder::mqtt_v3),
//! [`mqtt_v2`](super::GatewayServerBuilder::mqtt_v2) and
//! [`mqtt_with`](super::GatewayServerBuilder::mqtt_with).
//!
//! This is not a general broker: each connection is one gateway. MQTT packets are framed,
//! decoded and encoded by `rumqttc`'s MQTT 3.1.1 codec (`rumqttc::mqttbytes::v4`); what they
//! mean (credentials, access rules, payloads, downlink tokens) is decided by the sans-IO
//! [`MqttFrontend`], which one driver task per listener owns. Connection tasks only frame
//! packets, keep time and write.
//!
//! # Behaviour
//!
//! * **CONNECT** must be the first packet and arrive within the handshake deadline
//!   ([`TcpLimits::handshake_timeout`], 10 s from accept, TLS included), else the socket is
//!   closed without a CONNACK. CONNACK codes: `0x01` for anything but MQTT 3.1.1 (protocol
//!   name `MQTT`, level 4): MQTT 3.1's `MQIsdp` and MQTT 5 (level 5, recognised from its
//!   fixed bytes before the 3.1.1 codec reads the body) included; `0x04` for a username that
//!   is not a gateway uid, an unknown gateway, a missing or wrong key (the same code for all,
//!   so an unauthenticated client cannot tell whether a gateway exists); `0x05` for a valid
//!   key without the link right; `0x03` when the listener holds
//!   [`TcpLimits::max_sessions`] sessions. The key is checked in the connection's task
//!   (`spawn_blocking`), never on the driver, so a slow registry stalls only that client, and
//!   nothing is allocated in the frontend before the gateway is authenticated. A session is
//!   never resumed (`session_present = 0`); last wills are ignored (v2's `disconnect` will is
//!   only a courtesy).
//! * **Keep-alive**: the connection is closed (`DisconnectReason::Timeout`) when nothing arrives
//!   for 1.5 × the CONNECT keep-alive; a keep-alive of 0 is bounded by
//!   [`MqttConfig::max_idle`](crate::frontend::mqtt::MqttConfig::max_idle) (1 hour, as The
//!   Things Stack). The frontend keeps it (every packet counts), as it keeps the rate limit
//!   and holds downlinks until the gateway subscribed: this module only moves packets.
//! * **SUBSCRIBE**: a filter matching the gateway's own `down` topic is granted with the
//!   requested QoS (as The Things Stack does; downlinks still go out with QoS 0) and narrowed to
//!   exactly that topic; any other filter gets the failure code `0x80`. UNSUBSCRIBE is
//!   acknowledged and stops downlinks.
//! * **PUBLISH** of the gateway: an access violation (another gateway's topic, a topic that is
//!   not a gateway topic, the server-only `down` topic) **closes the connection**
//!   (`DisconnectReason::ProtocolError`), because MQTT 3.1.1 has no way to refuse one publish. A
//!   payload that does not decode is dropped (logged at debug level) and the connection stays
//!   up. QoS 1 is acknowledged with PUBACK once the frontend took the message; QoS 2 with
//!   PUBREC / PUBCOMP (handled on receipt, so at least once).
//! * **Downlinks** go out with QoS 0 on `v3/{uid}/down` (`GatewayDown` with the correlation id
//!   `gs:down:token:<n>`, which the acknowledgement echoes) or `{uid}/down` (v2). They wait in
//!   the connection's queue until the gateway has subscribed. At most
//!   [`MqttConfig::tokens_capacity`](crate::frontend::mqtt::MqttConfig::tokens_capacity) (16) are in flight per gateway; more are refused. Every
//!   downlink accepted ends in exactly one `TxAck`: the gateway's `down/ack` (v3), or a
//!   failure: `Replaced` / `Disconnected` when the connection ends first, `Expired` after
//!   [`MqttConfig::downlink_ack_timeout`](crate::frontend::mqtt::MqttConfig::downlink_ack_timeout) (60 s). MQTT v2 has no acknowledgements
//!   (`Protocol::supports_tx_ack`): a v2 downlink ends silently once written, and only its
//!   failures (connection gone or never subscribed before it was written) are reported.
//! * A new connection of the same gateway, on this or another listener, **replaces** the old
//!   one (closed, reported `Disconnected { reason: Replaced }`).
//! * **Bounds** ([`MqttSettings::limits`], see [`TcpLimits`]): 10,000 TCP connections per
//!   listener and 64 per IP address (more are closed at once), 10 s handshake, 10 s per write
//!   (a gateway that stops reading is disconnected), 10,000 sessions; packets larger than
//!   [`max_packet_size`](MqttSettings::max_packet_size) close the connection before they are
//!   read. `TCP_NODELAY` is set on every connection. Refusals are logged at `info` at most
//!   once a second, the rest at `debug`.
//! * **Rate limit** (optional,
//!   [`publish_rate_limit`](crate::frontend::mqtt::MqttConfig::publish_rate_limit)): a
//!   gateway publishing faster is disconnected (`DisconnectReason::ProtocolError`).
//! * **Failure**: a panic while handling one gateway's input closes that connection
//!   (`Disconnected { reason: InternalError }`, counted in `ServerStats::isolated_panics`);
//!   the listener keeps serving the others.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use loragw_gateway_io::event::GatewayEvent;
//! use loragw_gateway_io::registry::InMemoryRegistry;
//! use loragw_gateway_io::transport::{GatewayServer, ListenerKind};
//!
//! let registry = InMemoryRegistry::from_toml(&std::fs::read_to_string("gateways.toml")?)?;
//! let mut server = GatewayServer::builder()
//!     .registry(registry)
//!     .mqtt_v3("[::]:1882")
//!     .mqtt_v2("[::]:1881")
//!     .start()
//!     .await?;
//! let _v3 = server.local_addr(ListenerKind::MqttV3);
//! loop {
//!     let event = server.next_event().await?;
//!     if let GatewayEvent::Uplink { gateway, message, .. } = event {
//!         # let reply = |_: &loragw_gateway_io::ttnpb::UplinkMessage| None;
//!         if let Some(downlink) = reply(&message) {
//!             server.send_downlink(&gateway, downlink).await?;
//!         }
//!     }
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use super::accept::{AcceptConfig, RefusalLog, TcpLimits, TlsOption, accept_loop};
use super::hub::{Publisher, sleep_until};
use super::listener::{
    DecodeListener, ListenerContext, RefusalReason, Registry, Started, Stats, close_after_panic,
    isolate, now, serve_command, serve_replaced, serve_timeout,
};
use super::mqtt_link::{Downlink, Input, PublishOutcome, Shared};
use super::mqtt_session;
pub use super::mqtt_settings::{DEFAULT_MAX_PACKET_SIZE, MqttSettings};
use crate::event::{DisconnectReason, Protocol};
pub use crate::frontend::mqtt::RateLimit;
use crate::frontend::mqtt::{MqttError, MqttFrontend, MqttOutput, MqttVersion};
use crate::frontend::{ConnectionId, Frontend};

/// Inputs from connection tasks waiting for the driver.
const INPUT_CAPACITY: usize = 1024;

/// Binds `addr` and starts the listener's driver and accept loop.
pub(crate) async fn start(
    addr: SocketAddr,
    settings: MqttSettings,
    tls: TlsOption,
    ctx: ListenerContext,
) -> std::io::Result<Started> {
    let listener = TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    let (inputs_tx, inputs) = mpsc::channel(INPUT_CAPACITY);
    let frontend = MqttFrontend::new(settings.frontend.clone(), ctx.registry.clone());
    let (name, protocol, decode) = match settings.frontend.version {
        MqttVersion::V3 => ("MQTT v3", Protocol::MqttV3, DecodeListener::MqttV3),
        MqttVersion::V2 => ("MQTT v2", Protocol::MqttV2, DecodeListener::MqttV2),
    };
    let log = Arc::new(RefusalLog::new(name).with_events(ctx.hub.clone(), protocol));
    let config = AcceptConfig {
        limits: settings.limits,
        tls,
        stats: ctx.stats.clone(),
        log: log.clone(),
        shutdown: ctx.shutdown.clone(),
        connections: ctx.connections.clone(),
    };
    let limits = settings.limits;
    let shared = Arc::new(Shared {
        settings,
        inputs: inputs_tx.clone(),
        registry: ctx.registry.clone(),
        stats: ctx.stats.clone(),
        log,
    });
    let driver = tokio::spawn(drive(frontend, inputs, limits, decode, ctx));
    let on_panic = move |connection, message| {
        let reason = DisconnectReason::InternalError(message);
        let inputs = inputs_tx.clone();
        tokio::spawn(async move {
            let _ = inputs.send(Input::Closed { connection, reason }).await;
        });
    };
    let acceptor = tokio::spawn(accept_loop(
        listener,
        config,
        move |accepted| mqtt_session::serve(accepted, shared.clone()),
        on_panic,
    ));
    Ok(Started {
        local_addr,
        tasks: vec![driver, acceptor],
    })
}

/// A connection as the driver sees it.
struct Connection {
    /// Boxed: tokio allocates a channel's slots 32 at a time, so the item size counts once
    /// per connection even while no downlink waits.
    downlinks: mpsc::Sender<Box<Downlink>>,
    /// Dropping it closes the connection.
    _open: oneshot::Sender<()>,
}

/// Owns the frontend: serves commands and hub controls first, then delivers events, then
/// timers, then connection inputs (only while the application keeps up with the events). Each
/// input is handled in isolation: a panic closes the connection it came from.
async fn drive(
    mut frontend: MqttFrontend<dyn Registry>,
    mut inputs: mpsc::Receiver<Input>,
    limits: TcpLimits,
    decode: DecodeListener,
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
    let mut connections: HashMap<ConnectionId, Connection> = HashMap::new();
    let mut commands_open = true;
    let mut controls_open = true;
    loop {
        let deadline = frontend.poll_timeout();
        let sessions_before = frontend.connected();
        tokio::select! {
            biased;
            request = commands.recv(), if commands_open => match request {
                Some(request) => serve_command(&mut frontend, &stats, "MQTT", request),
                None => commands_open = false,
            },
            control = controls.recv(), if controls_open => match control {
                Some(control) => {
                    if let Some(gateway_id) = publisher.replaced(&control) {
                        serve_replaced(&mut frontend, &stats, "MQTT", gateway_id);
                    }
                }
                None => controls_open = false,
            },
            () = publisher.deliver(), if publisher.has_pending() => {}
            () = sleep_until(deadline) => serve_timeout(&mut frontend, &stats, "MQTT"),
            input = inputs.recv(), if !publisher.is_backlogged() => match input {
                Some(input) => {
                    let connection = input.connection();
                    let malformed = (&*stats, decode);
                    let handled = isolate(|| {
                        handle_input(&mut frontend, &mut connections, limits, malformed, input)
                    });
                    if let Err(panic) = handled {
                        close_after_panic(&stats, "MQTT", panic, |reason| {
                            // Dropping the connection's handle closes it.
                            connections.remove(&connection);
                            frontend.handle_disconnect(now(), connection, reason);
                        });
                    }
                }
                // The accept loop is gone: the server is shutting down.
                None => return,
            },
        }
        route_outputs(&mut frontend, &mut connections);
        stats.sessions_changed(sessions_before, frontend.connected());
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
            | Input::Written { connection, .. }
            | Input::Subscribe { connection, .. }
            | Input::Publish { connection, .. }
            | Input::Unsubscribe { connection, .. }
            | Input::Heard { connection }
            | Input::Closed { connection, .. } => *connection,
        }
    }
}

/// Hands the frontend's outputs to the connections. A connection's queue holds as many
/// downlinks as the frontend lets be in flight, so a downlink that does not fit means the
/// connection is gone: its `Closed` input follows and fails the downlink.
fn route_outputs(
    frontend: &mut MqttFrontend<dyn Registry>,
    connections: &mut HashMap<ConnectionId, Connection>,
) {
    while let Some(output) = frontend.poll_output() {
        match output {
            MqttOutput::Publish {
                connection,
                topic,
                payload,
                downlink,
            } => {
                let Some(conn) = connections.get(&connection) else {
                    continue;
                };
                let downlink = Box::new(Downlink {
                    id: downlink,
                    topic,
                    payload: Bytes::from(payload),
                });
                if conn.downlinks.try_send(downlink).is_err() {
                    // Gone (or, against the invariant, full): close it; the frontend fails
                    // its downlinks when the connection reports its end.
                    tracing::debug!(?connection, "MQTT downlink queue unavailable: closing");
                    connections.remove(&connection);
                }
            }
            MqttOutput::Close { connection } => {
                connections.remove(&connection);
            }
            // Outputs added to the frontend later are ignored until handled here.
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
}

fn handle_input(
    frontend: &mut MqttFrontend<dyn Registry>,
    connections: &mut HashMap<ConnectionId, Connection>,
    limits: TcpLimits,
    (stats, decode): (&Stats, DecodeListener),
    input: Input,
) {
    let now = now();
    match input {
        Input::Connect {
            connection,
            uid,
            record,
            remote,
            keep_alive,
            downlinks,
            open,
            reply,
        } => {
            let reconnect = frontend.is_connected(&record.ids.gateway_id);
            if !reconnect && frontend.connected() >= limits.max_sessions {
                let _ = reply.send(Err(RefusalReason::SessionsFull));
                return;
            }
            // Registered first: a panic in the frontend then closes this connection.
            connections.insert(
                connection,
                Connection {
                    downlinks,
                    _open: open,
                },
            );
            let ids = frontend.connect_authenticated(now, connection, uid, &record, Some(remote));
            frontend.set_keep_alive(connection, keep_alive);
            let _ = reply.send(Ok(ids));
        }
        Input::Written {
            connection,
            downlink,
        } => frontend.handle_written(connection, downlink),
        Input::Subscribe {
            connection,
            filters,
            reply,
        } => {
            frontend.handle_activity(now, connection);
            let granted = filters
                .iter()
                .map(|f| frontend.handle_subscribe(connection, f).is_ok())
                .collect();
            let _ = reply.send(granted);
        }
        Input::Unsubscribe {
            connection,
            filters,
        } => {
            frontend.handle_activity(now, connection);
            for filter in &filters {
                frontend.handle_unsubscribe(connection, filter);
            }
        }
        Input::Heard { connection } => frontend.handle_activity(now, connection),
        Input::Publish {
            connection,
            topic,
            payload,
            reply,
        } => {
            // A fault injected by the tests: a bug while handling one gateway's message.
            #[cfg(test)]
            assert!(
                &payload[..] != b"test-fault:driver",
                "injected driver fault"
            );
            let outcome = match frontend.handle_publish(now, connection, &topic, &payload) {
                Ok(()) => PublishOutcome::Accepted,
                Err(MqttError::Payload(e)) => {
                    stats.decode_errors(decode, 1);
                    tracing::debug!(?connection, %topic, error = %e, "MQTT payload dropped");
                    PublishOutcome::Accepted
                }
                Err(e) => PublishOutcome::Denied(e.to_string()),
            };
            let _ = reply.send(outcome);
        }
        Input::Closed { connection, reason } => {
            connections.remove(&connection);
            frontend.handle_disconnect(now, connection, reason);
        }
    }
}

#[cfg(test)]
mod tests;
