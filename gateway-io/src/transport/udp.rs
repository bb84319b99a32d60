//! The Semtech UDP listener: one tokio `UdpSocket` driving the sans-IO
//! [`UdpFrontend`] (the protocol crate's `Server` plus the adapter).
//!
//! One task owns the socket and the frontend: it receives datagrams, hands them in, writes what
//! `poll_transmit` gives (ACKs, PULL_RESPs), forwards events, carries out downlink commands and
//! sleeps until `poll_timeout`. Datagrams are taken in batches: each time the socket is
//! readable, everything it holds (up to 64 datagrams) is handed in before the ACKs are written
//! and the events passed on, so the per-datagram cost is the frontend's and the system calls',
//! not a turn of the task's loop. The socket's receive buffer is raised to
//! [`UdpSettings::recv_buffer_size`] where the OS allows, so bursts of PUSH_DATA are not lost
//! while the task is busy.
//!
//! Registry lookups never run on that task: the frontend is [deferred](UdpFrontend::deferred),
//! and each admission request is looked up on a blocking thread (`spawn_blocking`), at most
//! [`UdpSettings::max_registry_lookups`] at once. A request beyond that is dropped and asked
//! again with the gateway's next datagram. So a registry that takes a second for one gateway
//! delays that gateway only.
//!
//! **Failure**: a panic while handling one input (a datagram, a command, a timer, a registry
//! answer) or inside one registry lookup is caught, logged at `error` and counted in
//! `ServerStats::isolated_panics`; the listener goes on with the next input. Semtech UDP has no
//! connection to close: the datagram that caused it is dropped (the gateway retries), a command
//! that caused it is refused, and a gateway whose lookup panicked stays unadmitted until its
//! request expires (`admission_timeout`, 10 s) and its next datagram asks again (so a registry
//! entry that always panics costs one lookup per gateway per expiry, not one per datagram).
//!
//! Downlink tokens are seeded from the OS (`RandomState` mixed with the wall clock), whatever
//! seed the settings carry: an off-path attacker cannot predict them to forge a TX_ACK.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::time::SystemTime;

use loragw_semtech_udp::MAX_DATAGRAM_LEN;
use socket2::{Domain, Protocol as IpProtocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::task::JoinSet;

use super::hub::{Publisher, sleep_until};
use super::listener::{
    DecodeListener, ListenerContext, Registry, Started, Stats, isolate, now, serve_command,
    serve_timeout,
};
use crate::frontend::Frontend;
use crate::frontend::udp::{UdpConfig, UdpFrontend};
use crate::ids::Eui64;
use crate::registry::GatewayRecord;

/// Datagrams handed in per wake-up of the driver before it looks at commands, timers and the
/// event backlog again (so the backlog can overshoot [`EVENT_BACKLOG`](super::hub::EVENT_BACKLOG)
/// by one batch's events).
const RECV_BATCH: usize = 64;

/// Settings of a Semtech UDP listener.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UdpSettings {
    /// The frontend's settings (server expiries, rate limits, unregistered gateways).
    pub frontend: UdpConfig,
    /// Socket receive buffer to ask the OS for, in bytes (4 MiB: the default ~208 KiB
    /// overflows under bursts). The OS may cap it (Linux: `net.core.rmem_max`).
    pub recv_buffer_size: usize,
    /// Registry lookups of new gateways running at once, each on a blocking thread (64).
    pub max_registry_lookups: usize,
}

impl Default for UdpSettings {
    fn default() -> Self {
        UdpSettings {
            frontend: UdpConfig::default(),
            recv_buffer_size: 4 * 1024 * 1024,
            max_registry_lookups: 64,
        }
    }
}

impl UdpSettings {
    /// Settings with this frontend configuration.
    pub fn new(frontend: UdpConfig) -> Self {
        UdpSettings {
            frontend,
            ..Default::default()
        }
    }
}

fn bind(addr: SocketAddr, recv_buffer_size: usize) -> std::io::Result<UdpSocket> {
    let socket = Socket::new(
        Domain::for_address(addr),
        Type::DGRAM,
        Some(IpProtocol::UDP),
    )?;
    if let Err(e) = socket.set_recv_buffer_size(recv_buffer_size) {
        tracing::debug!(error = %e, "cannot raise the UDP receive buffer");
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

pub(crate) async fn start(
    addr: SocketAddr,
    settings: UdpSettings,
    ctx: ListenerContext,
) -> std::io::Result<Started> {
    let socket = bind(addr, settings.recv_buffer_size)?;
    let local_addr = socket.local_addr()?;
    let mut config = settings.frontend;
    config.server.seed = os_seed();
    let frontend = UdpFrontend::deferred(config, ctx.registry.clone());
    let task = tokio::spawn(drive(socket, frontend, ctx, settings.max_registry_lookups));
    Ok(Started {
        local_addr,
        tasks: vec![task],
    })
}

/// A token seed the gateways cannot predict: `RandomState`'s keys come from the OS.
fn os_seed() -> u64 {
    RandomState::new().hash_one(SystemTime::now())
}

async fn drive(
    socket: UdpSocket,
    mut frontend: UdpFrontend<dyn Registry>,
    ctx: ListenerContext,
    max_lookups: usize,
) {
    let ListenerContext {
        id,
        hub,
        mut commands,
        registry,
        stats,
        ..
    } = ctx;
    // Each lookup's panic is caught on its blocking thread, so the EUI comes back with it.
    let mut lookups: JoinSet<(Eui64, Result<Option<GatewayRecord>, String>)> = JoinSet::new();
    let mut lookups_dropped: u64 = 0;
    let mut publisher = Publisher::new(hub, id);
    let mut input = vec![0u8; MAX_DATAGRAM_LEN];
    let mut output = Vec::with_capacity(1024);
    let mut commands_open = true;
    let mut refused = 0;
    let mut decode_errors = 0;
    loop {
        let deadline = frontend.poll_timeout();
        tokio::select! {
            biased;
            request = commands.recv(), if commands_open => match request {
                Some(request) => serve_command(&mut frontend, &stats, "Semtech UDP", request),
                None => commands_open = false,
            },
            () = publisher.deliver(), if publisher.has_pending() => {}
            Some(done) = lookups.join_next(), if !lookups.is_empty() => match done {
                Ok((eui, Ok(record))) => {
                    if let Err(panic) = isolate(|| frontend.handle_admission(now(), eui, record)) {
                        stats.isolated_panic("Semtech UDP", "admission", &panic);
                    }
                }
                // The registry panicked: the request expires in the server and the gateway asks
                // again with a later datagram.
                Ok((eui, Err(panic))) => {
                    tracing::error!(%eui, "Semtech UDP registry lookup panicked");
                    stats.isolated_panic("Semtech UDP", "registry lookup", &panic);
                }
                // Not a panic (caught above): the lookup was cancelled, which only happens when
                // the set is dropped.
                Err(e) => {
                    tracing::warn!(error = %e, "registry lookup failed");
                    if e.is_panic() {
                        stats.panicked();
                    }
                }
            },
            () = sleep_until(deadline) => serve_timeout(&mut frontend, &stats, "Semtech UDP"),
            ready = socket.readable(), if !publisher.is_backlogged() => {
                if let Err(e) = ready {
                    tracing::debug!(error = %e, "UDP socket readiness");
                }
                receive_batch(&socket, &mut frontend, &mut input, &stats);
            }
        }
        send_transmits(&socket, &mut frontend, &mut output).await;
        stats.refused_udp(frontend.refused() - refused);
        refused = frontend.refused();
        stats.decode_errors(
            DecodeListener::Udp,
            frontend.decode_errors() - decode_errors,
        );
        decode_errors = frontend.decode_errors();
        while let Some(event) = frontend.poll_event() {
            publisher.push(event);
        }
        // Into the application's channel while it has room: one wake-up per batch, not one
        // loop turn per event.
        publisher.deliver_ready();
        while let Some(request) = frontend.poll_admission() {
            if lookups.len() >= max_lookups {
                frontend.cancel_admission(now(), request.eui);
                lookups_dropped += 1;
                if lookups_dropped.is_power_of_two() {
                    tracing::warn!(
                        dropped = lookups_dropped,
                        "too many registry lookups in flight; gateways will ask again"
                    );
                }
                continue;
            }
            let registry = registry.clone();
            let eui = request.eui;
            lookups.spawn_blocking(move || (eui, isolate(|| registry.gateway_by_eui(eui))));
        }
    }
}

/// Hands in the datagrams the socket holds, at most [`RECV_BATCH`], without waiting: one
/// wake-up and one turn of the driver loop serve a burst. Their ACKs and events are drained
/// after the batch.
fn receive_batch(
    socket: &UdpSocket,
    frontend: &mut UdpFrontend<dyn Registry>,
    input: &mut [u8],
    stats: &Stats,
) {
    for _ in 0..RECV_BATCH {
        match socket.try_recv_from(input) {
            Ok((len, from)) => {
                let datagram = &input[..len];
                let handled = isolate(|| {
                    #[cfg(test)]
                    assert!(!fault::injected(datagram), "injected datagram fault");
                    frontend.handle_datagram(now(), from, datagram)
                });
                if let Err(panic) = handled {
                    stats.isolated_panic("Semtech UDP", "datagram", &panic);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
            // E.g. ICMP port unreachable reported on the next receive: not fatal.
            Err(e) => tracing::debug!(error = %e, "UDP receive"),
        }
    }
}

/// Writes what the frontend queued (ACKs, PULL_RESPs): without waiting while the socket takes
/// them, waiting for room otherwise.
async fn send_transmits(
    socket: &UdpSocket,
    frontend: &mut UdpFrontend<dyn Registry>,
    output: &mut Vec<u8>,
) {
    while let Some(transmit) = frontend.poll_transmit(output) {
        let sent = match socket.try_send_to(output, transmit.destination) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                socket.send_to(output, transmit.destination).await
            }
            other => other,
        };
        if let Err(e) = sent {
            tracing::debug!(destination = %transmit.destination, error = %e, "UDP send");
        }
    }
}

/// Faults injected by the tests through a datagram's bytes (compiled only in tests).
#[cfg(test)]
mod fault {
    /// Panics in the driver's frontend call for a datagram carrying it (isolated).
    pub(super) const DATAGRAM: &[u8] = b"test-fault:udp-datagram";

    /// Whether `datagram` carries [`DATAGRAM`].
    pub(super) fn injected(datagram: &[u8]) -> bool {
        datagram.windows(DATAGRAM.len()).any(|w| w == DATAGRAM)
    }
}

#[cfg(test)]
mod tests;
