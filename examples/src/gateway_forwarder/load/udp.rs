//! The Semtech UDP load: one blocking socket on a thread of its own sends PUSH_DATA of every
//! gateway in turn and matches the PUSH_ACKs by token.
//!
//! A PUSH_ACK carries only the token, so tokens are global: datagram number `n` (from 0)
//! goes out with token `n mod 65 536` for gateway `n mod gateways`, and at most
//! [`MAX_IN_FLIGHT`] are in flight, so a token is never in use twice. Each datagram is its
//! gateway's template ([`templates`]) with the token, the `tmst` digits and the uplink's FCnt
//! (the gateway's datagram number, [`events::mark`]) patched in, so no two datagrams of a
//! gateway carry the same bytes (the server reports each as an uplink instead of
//! acknowledging a duplicate) and each uplink event names its datagram.
//!
//! A datagram not acknowledged within the ack timeout is lost. Deadlines are met in send
//! order, so the queue of datagrams in flight, oldest first, is the timer queue.

use std::collections::VecDeque;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use loragw_gateway_io::adapter::udp::uplink_to_rxpk;
use loragw_semtech_udp::{GatewayEui, Packet, ProtocolVersion, PushData};
use loragw_ttnpb::UplinkMessage;
use socket2::{Domain, Protocol, Socket, Type};

use super::events::{self, EventTracker};
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
/// The PHYPayload's base64 follows this.
const DATA_FIELD: &[u8] = b"\"data\":\"";

/// One gateway's PUSH_DATA and where its `tmst` digits and its uplink's FCnt are.
#[derive(Debug, Clone)]
pub(super) struct Template {
    bytes: Vec<u8>,
    tmst_digits: usize,
    /// Where the base64 characters of PHYPayload bytes 6 to 8 are.
    fcnt_chars: usize,
    /// PHYPayload bytes 6 to 8 as encoded (FCnt 0).
    fcnt_group: [u8; 3],
}

/// Bytes of a PHYPayload besides the FRMPayload: MHDR, DevAddr, FCtrl, FCnt, FPort, MIC.
const FRAME_OVERHEAD: usize = 13;

/// The largest PHYPayload (a LoRa frame carries at most 255 bytes).
const MAX_PHY_PAYLOAD: usize = 255;

/// A PUSH_DATA with one data uplink per gateway, from the simulator's traffic generator (the
/// gateway's second reception, after its device's join-request); with
/// [`LoadOptions::datagram_len`], its FRMPayload resized (zeros after the generator's
/// bytes) and up to a few spaces after the JSON (which the protocol tolerates) so the
/// datagram is exactly that long.
pub(super) fn templates(options: &LoadOptions) -> Result<Vec<Template>, RunError> {
    let sim = options.forwarder_options();
    (0..options.gateways)
        .map(|index| {
            let eui = sim.eui_of(index);
            let uplink = super::data_uplink(&sim, index)?.to_ttnpb(
                &sim.gateway_id_of(index),
                eui,
                TMST_BASE,
            );
            let bytes = match options.datagram_len {
                None => push_data(&uplink, eui)?,
                Some(len) => sized_push_data(uplink, eui, len, index)?,
            };
            Template::new(bytes)
        })
        .collect()
}

/// The PUSH_DATA (token 0) of `uplink`.
fn push_data(uplink: &UplinkMessage, eui: [u8; 8]) -> Result<Vec<u8>, RunError> {
    let rxpk =
        uplink_to_rxpk(uplink).map_err(|e| RunError::Options(format!("uplink template: {e}")))?;
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
    Ok(bytes)
}

/// The PUSH_DATA of `uplink` with its FRMPayload resized so that, with at most four spaces
/// after the JSON, it is `len` bytes; refused when even an empty FRMPayload is longer or the
/// largest PHYPayload shorter.
fn sized_push_data(
    mut uplink: UplinkMessage,
    eui: [u8; 8],
    len: usize,
    index: u32,
) -> Result<Vec<u8>, RunError> {
    let phy = std::mem::take(&mut uplink.raw_payload);
    let (head, rest) = phy.split_at(FRAME_OVERHEAD - 4);
    let (frm, mic) = rest.split_at(rest.len() - 4);
    let mut with_frm = |frm_len: usize| {
        let mut payload = head.to_vec();
        payload.extend(
            frm.iter()
                .copied()
                .chain(std::iter::repeat(0))
                .take(frm_len),
        );
        payload.extend_from_slice(mic);
        uplink.raw_payload = payload;
        push_data(&uplink, eui)
    };
    let max_frm = MAX_PHY_PAYLOAD - FRAME_OVERHEAD;
    let (shortest, longest) = (with_frm(0)?.len(), with_frm(max_frm)?.len());
    if !(shortest..=longest).contains(&len) {
        return Err(RunError::Options(format!(
            "datagram_len {len}: gateway {index}'s PUSH_DATA is {shortest} to {longest} bytes \
             (PHYPayload {FRAME_OVERHEAD} to {MAX_PHY_PAYLOAD})"
        )));
    }
    // The longest FRMPayload that fits (the length grows with it, by at most five bytes).
    let (mut fits, mut too_long) = (0, max_frm + 1);
    while too_long - fits > 1 {
        let mid = (fits + too_long) / 2;
        if with_frm(mid)?.len() <= len {
            fits = mid;
        } else {
            too_long = mid;
        }
    }
    let mut bytes = with_frm(fits)?;
    bytes.resize(len, b' ');
    Ok(bytes)
}

impl Template {
    fn new(bytes: Vec<u8>) -> Result<Self, RunError> {
        let find = |field: &[u8]| {
            bytes
                .windows(field.len())
                .position(|w| w == field)
                .map(|at| at + field.len())
        };
        let tmst_end = find(TMST_FIELD)
            .ok_or_else(|| RunError::Options("PUSH_DATA template without tmst".into()))?;
        let data = find(DATA_FIELD)
            .ok_or_else(|| RunError::Options("PUSH_DATA template without data".into()))?;
        let fcnt_chars = data + events::GROUP_CHARS_AT;
        let mut fcnt_group = [0u8; 3];
        bytes
            .get(fcnt_chars..fcnt_chars + 4)
            .and_then(|chars| STANDARD.decode_slice(chars, &mut fcnt_group).ok())
            .filter(|n| *n == 3)
            .ok_or_else(|| RunError::Options("PUSH_DATA template: data too short".into()))?;
        Ok(Template {
            bytes,
            tmst_digits: tmst_end - 10,
            fcnt_chars,
            fcnt_group,
        })
    }

    /// The datagram with `token`, and the `tmst` and FCnt of the gateway's `nth` datagram.
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
        self.bytes[self.fcnt_chars..self.fcnt_chars + 4]
            .copy_from_slice(&events::marked_group(self.fcnt_group, nth));
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
    events: Option<&EventTracker>,
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
                let sent = Instant::now();
                if let Some(events) = events {
                    events.sent(gateway as u32, nth[gateway], sent);
                }
                nth[gateway] = nth[gateway].wrapping_add(1);
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
