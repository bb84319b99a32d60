//! The Semtech UDP upstream: a relay through [`loragw_semtech_udp::Forwarder`]. `rxpk` and
//! `stat` go out unchanged; downlinks come back as `txpk`, and the local forwarder's TX_ACK is
//! relayed with its verdict.
//!
//! The upstream counts as connected while its PULL_DATA keepalives are acknowledged; until the
//! first PULL_ACK, and after one goes unanswered, uplinks wait in the buffer. Pushes the
//! server never acknowledges (after the forwarder's retries) are counted as failed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use loragw_semtech_udp::{
    Forwarder, ForwarderConfig, ForwarderEvent, GatewayEui, TxError, TxpkAck,
};
use tokio::sync::watch;
use tokio::time::Instant;

use super::config::UpstreamConfig;
use super::link::{BridgedUplink, ToUpstream, UplinkBuffer, UpstreamCounters, UpstreamLink};
use crate::gateway_forwarder::net::udp_socket_to;

/// Downlinks remembered for their TX_ACK.
const MAX_PENDING: usize = 64;

/// Runs the relay until the bridge stops.
pub(super) async fn run(
    mut link: UpstreamLink,
    config: UpstreamConfig,
    eui: GatewayEui,
    mut stop: watch::Receiver<bool>,
) {
    let socket = loop {
        match udp_socket_to(&config.address).await {
            Ok(s) => break s,
            Err(e) => {
                tracing::warn!(upstream = %link.name, error = %e, "cannot reach the server");
                tokio::select! {
                    () = tokio::time::sleep(link.backoff.next_wait()) => {}
                    () = crate::gateway_forwarder::stopped(&mut stop) => return,
                }
            }
        }
    };
    let mut forwarder = Forwarder::new(
        ForwarderConfig {
            gateway: eui,
            seed: eui.to_u64() ^ link.index as u64,
            keepalive_interval: Duration::from_secs(5),
            ..ForwarderConfig::default()
        },
        std::time::Instant::now(),
    );
    let mut buffer: UplinkBuffer<Arc<BridgedUplink>> = UplinkBuffer::new(link.buffer_capacity);
    let mut tokens: BTreeMap<u64, u16> = BTreeMap::new();
    let mut next_key = 0u64;
    let mut connected = false;
    let mut out = Vec::with_capacity(2048);
    let mut buf = vec![0u8; 65_536];
    loop {
        while forwarder.poll_transmit(&mut out).is_some() {
            if let Err(e) = socket.send(&out).await {
                tracing::debug!(upstream = %link.name, error = %e, "send failed");
            }
        }
        let mut more = false;
        while let Some(event) = forwarder.poll_event() {
            let now = std::time::Instant::now();
            match event {
                ForwarderEvent::PullAcknowledged { .. } => {
                    if !connected {
                        connected = true;
                        link.counters.set_connected(true);
                        link.backoff.reset();
                    }
                    // What waited goes out in one PUSH_DATA (split by the forwarder when
                    // too large), as a packet forwarder batches: a burst of datagrams would
                    // trip the server's rate limit.
                    let waiting: Vec<_> = buffer.drain().collect();
                    more |= !waiting.is_empty();
                    push(&mut forwarder, &link, &waiting, now);
                }
                ForwarderEvent::PullUnacknowledged { .. } if connected => {
                    connected = false;
                    link.counters.set_connected(false);
                    tracing::warn!(upstream = %link.name, "PULL_DATA not acknowledged");
                }
                ForwarderEvent::PushFailed { .. } => {
                    UpstreamCounters::add(&link.counters.uplinks_failed);
                }
                ForwarderEvent::Downlink { token, txpk } => {
                    let key = next_key;
                    next_key += 1;
                    if link.order_downlink(key, txpk) {
                        tokens.insert(key, token);
                        while tokens.len() > MAX_PENDING {
                            tokens.pop_first();
                        }
                    } else {
                        let refused = TxpkAck::rejected(TxError::Other("DOWNLINK_DISABLED".into()));
                        let _ = forwarder.send_tx_ack(now, token, refused);
                        more = true;
                    }
                }
                ForwarderEvent::Malformed { error } => {
                    tracing::warn!(upstream = %link.name, %error, "malformed datagram from the server");
                }
                _ => {}
            }
        }
        if more {
            continue;
        }
        let wake = forwarder
            .poll_timeout()
            .map(Instant::from_std)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            received = socket.recv(&mut buf) => match received {
                Ok(n) => forwarder.handle_datagram(std::time::Instant::now(), &buf[..n]),
                // ICMP errors while the server is down: the keepalives notice.
                Err(e) => tracing::debug!(upstream = %link.name, error = %e, "receive failed"),
            },
            () = tokio::time::sleep_until(wake) => forwarder.handle_timeout(std::time::Instant::now()),
            command = link.commands.recv() => {
                let now = std::time::Instant::now();
                match command {
                    None => return,
                    Some(ToUpstream::Uplink(up)) => {
                        if connected && buffer.is_empty() {
                            push(&mut forwarder, &link, std::slice::from_ref(&up), now);
                        } else {
                            buffer.push(up, &link.counters);
                        }
                    }
                    Some(ToUpstream::Status(status)) => {
                        if forwarder.push_status(now, status.stat.clone()).is_ok() {
                            UpstreamCounters::add(&link.counters.statuses_forwarded);
                        }
                    }
                    Some(ToUpstream::TxAck { key, ack }) => {
                        let Some(token) = tokens.remove(&key) else { continue };
                        let success = ack.error.is_none();
                        match forwarder.send_tx_ack(now, token, ack) {
                            Ok(()) if success => UpstreamCounters::add(&link.counters.tx_acks_forwarded),
                            Ok(()) => UpstreamCounters::add(&link.counters.tx_failures_forwarded),
                            Err(e) => tracing::warn!(upstream = %link.name, error = %e, "TX_ACK not sent"),
                        }
                    }
                }
            }
            () = crate::gateway_forwarder::stopped(&mut stop) => return,
        }
    }
}

fn push(
    forwarder: &mut Forwarder,
    link: &UpstreamLink,
    uplinks: &[Arc<BridgedUplink>],
    now: std::time::Instant,
) {
    if uplinks.is_empty() {
        return;
    }
    let n = uplinks.len() as u64;
    let rxpk = uplinks.iter().map(|u| u.rxpk.clone()).collect();
    let counter = match forwarder.push_uplinks(now, rxpk) {
        Ok(()) => &link.counters.uplinks_forwarded,
        Err(e) => {
            tracing::warn!(upstream = %link.name, error = %e, "uplinks not pushed");
            &link.counters.uplinks_failed
        }
    };
    counter.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
}
