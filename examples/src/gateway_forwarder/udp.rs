//! A simulated Semtech UDP gateway: [`loragw_semtech_udp::Forwarder`] on a tokio socket.
//!
//! Uplinks and status reports are both PUSH_DATA: the tokens of status pushes are noted (the
//! first datagram written after `push_status`, since the transmit queue is drained before
//! every push) so that their PUSH_ACKs are not counted as uplink acknowledgements.

use std::collections::HashSet;
use std::time::Duration;

use loragw_gateway_io::adapter::udp::uplink_to_rxpk;
use loragw_semtech_udp::json::TxpkAck;
use loragw_semtech_udp::{Forwarder, ForwarderConfig, ForwarderEvent, GatewayEui};
use tokio::net::UdpSocket;
use tokio::time::{Instant, MissedTickBehavior};

use super::net::udp_socket_to;
use super::report::GatewayCounters;
use super::{GatewaySim, RunError, stopped};

/// A socket connected to the server.
pub(super) async fn connect(server: &str) -> Result<UdpSocket, RunError> {
    udp_socket_to(server).await.map_err(RunError::Io)
}

/// What the event handler keeps between events.
#[derive(Debug, Default)]
struct Pushes {
    /// Uplink pushes waiting for their PUSH_ACK.
    pending: u64,
    /// Tokens of status pushes in flight.
    status_tokens: HashSet<u16>,
    /// A status was pushed: the next datagram is it.
    status_queued: bool,
}

/// The token of a PUSH_DATA datagram (bytes 1–2).
fn token_of(datagram: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes([*datagram.get(1)?, *datagram.get(2)?]))
}

/// Runs one gateway until the stop signal, then waits up to `drain` for outstanding PUSH_ACKs;
/// uplinks still unacknowledged then are counted lost.
pub(super) async fn run_gateway(mut gw: GatewaySim, socket: UdpSocket, drain: Duration) {
    let mut stop = gw.stop.clone();
    let config = ForwarderConfig {
        gateway: GatewayEui(gw.eui),
        seed: u64::from_be_bytes(gw.eui),
        ..ForwarderConfig::default()
    };
    let mut forwarder = Forwarder::new(config, std::time::Instant::now());
    let mut ticks = tokio::time::interval_at(gw.first_uplink, gw.period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut status_ticks = gw.status_ticks();
    let mut datagram = Vec::with_capacity(2048);
    let mut buf = vec![0u8; 65_536];
    let mut pushes = Pushes::default();
    let mut drain_until: Option<Instant> = None;
    loop {
        while forwarder.poll_transmit(&mut datagram).is_some() {
            if std::mem::take(&mut pushes.status_queued)
                && let Some(token) = token_of(&datagram)
            {
                pushes.status_tokens.insert(token);
            }
            if let Err(e) = socket.send(&datagram).await {
                tracing::debug!(gateway = gw.index, error = %e, "send failed");
            }
        }
        let mut answered = false;
        while let Some(event) = forwarder.poll_event() {
            answered |= handle_event(&mut forwarder, &gw, &mut pushes, event);
        }
        if answered {
            continue; // send the TX_ACKs at once
        }
        if let Some(until) = drain_until
            && (pushes.pending == 0 || Instant::now() >= until)
        {
            for _ in 0..pushes.pending {
                GatewayCounters::add(&gw.counters.uplinks_lost);
            }
            break;
        }
        let wake = forwarder
            .poll_timeout()
            .map(Instant::from_std)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        let sending = drain_until.is_none() && gw.remaining != Some(0);
        tokio::select! {
            received = socket.recv(&mut buf) => match received {
                Ok(n) => forwarder.handle_datagram(std::time::Instant::now(), &buf[..n]),
                // A connected UDP socket reports ICMP errors (server not up yet): keep going.
                Err(e) => tracing::debug!(gateway = gw.index, error = %e, "receive failed"),
            },
            () = tokio::time::sleep_until(wake) => {
                forwarder.handle_timeout(std::time::Instant::now());
            }
            _ = ticks.tick(), if sending => {
                let Some(uplink) = gw.next_uplink() else { continue };
                match uplink_to_rxpk(&uplink) {
                    Ok(rxpk) => match forwarder.push_uplinks(std::time::Instant::now(), vec![rxpk]) {
                        Ok(()) => {
                            gw.uplink_sent();
                            pushes.pending += 1;
                        }
                        Err(e) => tracing::warn!(gateway = gw.index, error = %e, "uplink not sent"),
                    },
                    Err(e) => tracing::warn!(gateway = gw.index, error = %e, "uplink not converted"),
                }
            }
            _ = status_ticks.tick(), if drain_until.is_none() && gw.status_interval.is_some() => {
                // The forwarder fills in its own counts since the previous report.
                match forwarder.push_status(std::time::Instant::now(), gw.stat(false)) {
                    Ok(()) => {
                        pushes.status_queued = true;
                        GatewayCounters::add(&gw.counters.statuses_sent);
                    }
                    Err(e) => tracing::warn!(gateway = gw.index, error = %e, "status not sent"),
                }
            }
            () = stopped(&mut stop), if drain_until.is_none() => {
                drain_until = Some(Instant::now() + drain);
            }
            () = sleep_until_opt(drain_until), if drain_until.is_some() => {}
        }
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at).await;
    }
}

/// Counts an event; answers a downlink with a successful TX_ACK (returns true then).
fn handle_event(
    forwarder: &mut Forwarder,
    gw: &GatewaySim,
    pushes: &mut Pushes,
    event: ForwarderEvent,
) -> bool {
    let counters = &gw.counters;
    match event {
        ForwarderEvent::PushAcknowledged { token, round_trip }
            if !pushes.status_tokens.remove(&token) =>
        {
            GatewayCounters::add(&counters.uplinks_acked);
            gw.protocol_stats().latency.record(round_trip);
            pushes.pending = pushes.pending.saturating_sub(1);
        }
        ForwarderEvent::PushFailed { token, .. } => {
            // A lost status counts as lost too: something sent did not arrive.
            tracing::debug!(gateway = gw.index, token, "push not acknowledged");
            GatewayCounters::add(&counters.uplinks_lost);
            if !pushes.status_tokens.remove(&token) {
                pushes.pending = pushes.pending.saturating_sub(1);
            }
        }
        ForwarderEvent::Downlink { token, txpk } => {
            gw.downlink_received();
            tracing::info!(gateway = gw.index, token, freq = ?txpk.freq, "downlink");
            match forwarder.send_tx_ack(std::time::Instant::now(), token, TxpkAck::success()) {
                Ok(()) => {
                    GatewayCounters::add(&counters.tx_acks_sent);
                    return true;
                }
                Err(e) => tracing::warn!(gateway = gw.index, error = %e, "TX_ACK not sent"),
            }
        }
        ForwarderEvent::Malformed { error } => {
            tracing::warn!(gateway = gw.index, %error, "malformed datagram from the server");
        }
        _ => {}
    }
    false
}
