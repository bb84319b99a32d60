//! A simulated Semtech UDP gateway: [`loragw_semtech_udp::Forwarder`] on a tokio socket.

use std::time::Duration;

use loragw_gateway_io::adapter::udp::uplink_to_rxpk;
use loragw_semtech_udp::json::TxpkAck;
use loragw_semtech_udp::{Forwarder, ForwarderConfig, ForwarderEvent, GatewayEui};
use tokio::net::UdpSocket;
use tokio::time::{Instant, MissedTickBehavior};

use super::{Counters, GatewaySim, RunError, stopped};

/// A socket connected to the server.
pub(super) async fn connect(server: &str) -> Result<UdpSocket, RunError> {
    let addr = tokio::net::lookup_host(server)
        .await
        .map_err(|e| RunError::Io(format!("resolving {server}: {e}")))?
        .next()
        .ok_or_else(|| RunError::Io(format!("{server} has no address")))?;
    let local = if addr.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(local)
        .await
        .map_err(|e| RunError::Io(format!("binding a UDP socket: {e}")))?;
    socket
        .connect(addr)
        .await
        .map_err(|e| RunError::Io(format!("connecting to {addr}: {e}")))?;
    Ok(socket)
}

/// Runs one gateway until the stop signal, then waits up to `drain` for outstanding PUSH_ACKs.
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
    let mut datagram = Vec::with_capacity(2048);
    let mut buf = vec![0u8; 65_536];
    let mut pending: u64 = 0;
    let mut drain_until: Option<Instant> = None;
    loop {
        while forwarder.poll_transmit(&mut datagram).is_some() {
            if let Err(e) = socket.send(&datagram).await {
                tracing::debug!(gateway = gw.index, error = %e, "send failed");
            }
        }
        let mut answered = false;
        while let Some(event) = forwarder.poll_event() {
            answered |= handle_event(&mut forwarder, &gw.counters, &mut pending, gw.index, event);
        }
        if answered {
            continue; // send the TX_ACKs at once
        }
        if let Some(until) = drain_until
            && (pending == 0 || Instant::now() >= until)
        {
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
                            Counters::add(&gw.counters.uplinks_sent);
                            pending += 1;
                        }
                        Err(e) => tracing::warn!(gateway = gw.index, error = %e, "uplink not sent"),
                    },
                    Err(e) => tracing::warn!(gateway = gw.index, error = %e, "uplink not converted"),
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
    counters: &Counters,
    pending: &mut u64,
    index: u32,
    event: ForwarderEvent,
) -> bool {
    match event {
        ForwarderEvent::PushAcknowledged { .. } => {
            Counters::add(&counters.uplinks_acked);
            *pending = pending.saturating_sub(1);
        }
        ForwarderEvent::PushFailed { token, .. } => {
            tracing::debug!(gateway = index, token, "uplink not acknowledged");
            *pending = pending.saturating_sub(1);
        }
        ForwarderEvent::Downlink { token, txpk } => {
            Counters::add(&counters.downlinks_received);
            tracing::info!(gateway = index, token, freq = ?txpk.freq, "downlink");
            match forwarder.send_tx_ack(std::time::Instant::now(), token, TxpkAck::success()) {
                Ok(()) => {
                    Counters::add(&counters.tx_acks_sent);
                    return true;
                }
                Err(e) => tracing::warn!(gateway = index, error = %e, "TX_ACK not sent"),
            }
        }
        ForwarderEvent::Malformed { error } => {
            tracing::warn!(gateway = index, %error, "malformed datagram from the server");
        }
        _ => {}
    }
    false
}
