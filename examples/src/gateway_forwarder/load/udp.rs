//! The Semtech UDP load: one blocking socket on a thread of its own sends PUSH_DATA of every
//! gateway in turn and matches the PUSH_ACKs by token.
//!
//! A PUSH_ACK carries only the token, so tokens are global: datagram number `n` (from 0)
//! goes out with token `n mod 65 536` for gateway `n mod gateways`, and at most
//! [`MAX_IN_FLIGHT`] are in flight, so a token is never in use twice. Each datagram is its
//! gateway's template ([`templates`]) with the token and the `tmst` digits patched in, so no
//! two datagrams of a gateway carry the same bytes (the server reports each as an uplink
//! instead of acknowledging a duplicate).
//!
//! A datagram not acknowledged within the ack timeout is lost. Deadlines are met in send
//! order, so the queue of datagrams in flight, oldest first, is the timer queue.

use std::collections::VecDeque;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use loragw_gateway_io::adapter::udp::uplink_to_rxpk;
use loragw_semtech_udp::{GatewayEui, Packet, ProtocolVersion, PushData};
use socket2::{Domain, Protocol, Socket, Type};

use super::{LoadOptions, LoadProgress};
use crate::gateway_forwarder::RunError;
use crate::gateway_forwarder::report::LatencyHistogram;

/// Most datagrams in flight (half the token space).
pub const MAX_IN_FLIGHT: u32 = 32_768;

/// Receive buffer asked for the load's socket (as gateway-io's UDP listener asks by default).
const RECV_BUFFER: usize = 4 * 1024 * 1024;

/// The concentrator time written into every template; its ten digits are replaced per send.
const TMST_BASE: u32 = 1_000_000_000;
const TMST_FIELD: &[u8] = b"\"tmst\":1000000000";

/// One gateway's PUSH_DATA and where its `tmst` digits are.
#[derive(Debug, Clone)]
pub(super) struct Template {
    bytes: Vec<u8>,
    tmst_digits: usize,
}

/// A PUSH_DATA with one data uplink per gateway, from the simulator's traffic generator (the
/// gateway's second reception, after its device's join-request).
pub(super) fn templates(options: &LoadOptions) -> Result<Vec<Template>, RunError> {
    let sim = options.forwarder_options();
    (0..options.gateways)
        .map(|index| {
            let mut generator = sim.generator_of(index)?;
            let _join = generator.next_uplink();
            let eui = sim.eui_of(index);
            let uplink =
                generator
                    .next_uplink()
                    .to_ttnpb(&sim.gateway_id_of(index), eui, TMST_BASE);
            let rxpk = uplink_to_rxpk(&uplink)
                .map_err(|e| RunError::Options(format!("uplink template: {e}")))?;
            let packet = Packet::PushData(PushData {
                version: ProtocolVersion::V2,
                token: 0,
                gateway: GatewayEui(eui),
                rxpk: vec![rxpk],
                stat: None,
                rejected: Vec::new(),
            });
            let mut bytes = Vec::new();
            packet
                .encode(&mut bytes)
                .map_err(|e| RunError::Options(format!("PUSH_DATA template: {e}")))?;
            let at = bytes
                .windows(TMST_FIELD.len())
                .position(|w| w == TMST_FIELD)
                .ok_or_else(|| RunError::Options("PUSH_DATA template without tmst".into()))?;
            Ok(Template {
                bytes,
                tmst_digits: at + TMST_FIELD.len() - 10,
            })
        })
        .collect()
}

impl Template {
    /// The datagram with `token` and the `tmst` of the gateway's `nth` datagram.
    pub(super) fn write(&mut self, token: u16, nth: u32) -> &[u8] {
        self.bytes[1..3].copy_from_slice(&token.to_be_bytes());
        let tmst = TMST_BASE + nth % TMST_BASE;
        let mut digits = [0u8; 10];
        let mut v = tmst;
        for d in digits.iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        self.bytes[self.tmst_digits..self.tmst_digits + 10].copy_from_slice(&digits);
        &self.bytes
    }

    /// The datagram as it stands.
    #[cfg(test)]
    pub(super) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The datagram's length in bytes.
    pub(super) fn len(&self) -> usize {
        self.bytes.len()
    }
}

/// What the run counted.
#[derive(Debug, Default)]
pub(super) struct Counts {
    pub(super) sent: u64,
    pub(super) acked: u64,
    pub(super) lost: u64,
    /// PUSH_ACKs matching nothing in flight (late after their timeout, or foreign).
    pub(super) unexpected: u64,
    /// From the first send to the last PUSH_ACK.
    pub(super) elapsed: Duration,
}

/// A datagram in flight.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    seq: u64,
    sent: Instant,
}

/// Drives the load until `duration` or `count`, then waits up to the ack timeout for the
/// datagrams in flight. Calls `progress` about once a second.
pub(super) fn run(
    options: &LoadOptions,
    mut templates: Vec<Template>,
    latency: &LatencyHistogram,
    progress: &mut dyn FnMut(&LoadProgress),
) -> Result<Counts, RunError> {
    let server: std::net::SocketAddr = options
        .server
        .parse()
        .map_err(|e| RunError::Options(format!("server {:?}: {e}", options.server)))?;
    let io = |e: std::io::Error| RunError::Io(format!("UDP socket: {e}"));
    let socket = Socket::new(
        Domain::for_address(server),
        Type::DGRAM,
        Some(Protocol::UDP),
    )
    .map_err(io)?;
    // A thousand PUSH_ACKs in flight overflow the default ~208 KiB (each small datagram costs
    // its buffer's full size); the OS may cap this (Linux: `net.core.rmem_max`).
    if let Err(e) = socket.set_recv_buffer_size(RECV_BUFFER) {
        tracing::warn!(error = %e, "cannot raise the UDP receive buffer; acks may be dropped");
    }
    let local: std::net::SocketAddr = if server.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    socket.bind(&local.into()).map_err(io)?;
    socket.connect(&server.into()).map_err(io)?;
    let socket: UdpSocket = socket.into();
    socket
        .set_read_timeout(Some(Duration::from_millis(1)))
        .map_err(io)?;

    let window = options.in_flight.min(MAX_IN_FLIGHT) as usize;
    let mut slots: Vec<Option<InFlight>> = vec![None; 65_536];
    let mut queue: VecDeque<(u16, u64)> = VecDeque::with_capacity(window);
    let mut nth = vec![0u32; templates.len()];
    let mut counts = Counts::default();
    let mut pending = 0usize;
    let mut buf = [0u8; 64];
    let start = Instant::now();
    let stop_at = start + options.duration;
    let mut next_progress = start + Duration::from_secs(1);
    let mut last_progress = (start, 0u64);
    let mut draining = false;
    let mut last_ack = start;
    loop {
        let now = Instant::now();
        // Losses: the oldest in flight first.
        while let Some(&(token, seq)) = queue.front() {
            match slots[usize::from(token)] {
                Some(f) if f.seq == seq => {
                    if now.duration_since(f.sent) < options.ack_timeout {
                        break;
                    }
                    slots[usize::from(token)] = None;
                    pending -= 1;
                    counts.lost += 1;
                }
                _ => {}
            }
            queue.pop_front();
        }
        if !draining && (now >= stop_at || options.count.is_some_and(|c| counts.sent >= c)) {
            draining = true;
        }
        if draining && pending == 0 {
            break;
        }
        if !draining {
            let mut allowed = window.saturating_sub(pending) as u64;
            if let Some(rate) = options.rate {
                let due = (now.duration_since(start).as_secs_f64() * rate) as u64;
                allowed = allowed.min(due.saturating_sub(counts.sent));
            }
            if let Some(count) = options.count {
                allowed = allowed.min(count - counts.sent);
            }
            for _ in 0..allowed {
                let seq = counts.sent;
                let token = seq as u16;
                let gateway = (seq % templates.len() as u64) as usize;
                if slots[usize::from(token)].take().is_some() {
                    // Not acknowledged within a whole token cycle: lost.
                    pending -= 1;
                    counts.lost += 1;
                }
                let datagram = templates[gateway].write(token, nth[gateway]);
                nth[gateway] = nth[gateway].wrapping_add(1);
                let sent = Instant::now();
                if let Err(e) = socket.send(datagram) {
                    tracing::debug!(error = %e, "UDP send");
                }
                slots[usize::from(token)] = Some(InFlight { seq, sent });
                queue.push_back((token, seq));
                pending += 1;
                counts.sent += 1;
            }
        }
        if now >= next_progress {
            let rate = (counts.acked - last_progress.1) as f64
                / now.duration_since(last_progress.0).as_secs_f64();
            progress(&LoadProgress {
                elapsed: now.duration_since(start),
                sent: counts.sent,
                acked: counts.acked,
                lost: counts.lost,
                acked_per_second: rate,
            });
            last_progress = (now, counts.acked);
            next_progress = now + Duration::from_secs(1);
        }
        match socket.recv(&mut buf) {
            Ok(4) if buf[3] == 0x01 => {
                let token = u16::from_be_bytes([buf[1], buf[2]]);
                match slots[usize::from(token)].take() {
                    Some(f) => {
                        last_ack = Instant::now();
                        latency.record(last_ack.duration_since(f.sent));
                        pending -= 1;
                        counts.acked += 1;
                    }
                    None => counts.unexpected += 1,
                }
            }
            Ok(_) => counts.unexpected += 1,
            // The read timeout, or ICMP port unreachable while the server is not up.
            Err(_) => {}
        }
    }
    counts.elapsed = last_ack.duration_since(start);
    Ok(counts)
}
