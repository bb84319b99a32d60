//! The gateway side: a [`Forwarder`] talks to one server, as a packet forwarder does.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::error::{DecodeError, Error};
use crate::header::{GatewayEui, PacketType, ProtocolVersion};
use crate::json::{CrcStatus, Rxpk, Stat, Txpk, TxpkAck};
use crate::packet::{MAX_DATAGRAM_LEN, Packet, PullData, PushData, TxAck};
use crate::rng::{SplitMix64, fnv1a};

/// PULL_RESPs remembered to recognise a repeated one (and answer it with the same TX_ACK).
const RECENT_DOWNLINKS: usize = 32;

/// Configuration of a [`Forwarder`].
///
/// Build it with struct-update syntax: `ForwarderConfig { gateway, ..ForwarderConfig::default() }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwarderConfig {
    /// This gateway's EUI.
    pub gateway: GatewayEui,
    /// Protocol version to speak (default 2; version 1 has no TX_ACK).
    pub version: ProtocolVersion,
    /// Interval between PULL_DATA keepalives. Default 10 s.
    pub keepalive_interval: Duration,
    /// How long to wait for a PUSH_ACK before sending the PUSH_DATA again. Default 1 s.
    pub push_timeout: Duration,
    /// Retransmissions of an unacknowledged PUSH_DATA before it is reported failed. Default 2.
    pub push_retries: u8,
    /// Most PUSH_DATA waiting for an acknowledgement; further pushes are refused. Default 64.
    pub max_pending_pushes: usize,
    /// PUSH_DATA larger than this is split into several datagrams (one `rxpk` per datagram at
    /// the least). Default and maximum [`MAX_DATAGRAM_LEN`].
    pub max_datagram_len: usize,
    /// Most downlinks handed out and not yet acknowledged with `send_tx_ack`. Default 32.
    pub max_unacknowledged_downlinks: usize,
    /// Most events queued; beyond it the oldest are dropped. Default 4096.
    pub max_queued_events: usize,
    /// Seed of the generator of PUSH_DATA / PULL_DATA tokens. Default `0xF0_4A4D`, the same in
    /// every process: randomise it when several forwarders share a server, as real packet
    /// forwarders start from a random token.
    pub seed: u64,
}

impl Default for ForwarderConfig {
    fn default() -> Self {
        Self {
            gateway: GatewayEui::default(),
            version: ProtocolVersion::V2,
            keepalive_interval: Duration::from_secs(10),
            push_timeout: Duration::from_secs(1),
            push_retries: 2,
            max_pending_pushes: 64,
            max_datagram_len: MAX_DATAGRAM_LEN,
            max_unacknowledged_downlinks: 32,
            max_queued_events: 4096,
            seed: 0xF0_4A4D,
        }
    }
}

/// Something that happened, drained with [`Forwarder::poll_event`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ForwarderEvent {
    /// A PUSH_DATA was acknowledged.
    PushAcknowledged {
        /// Its token.
        token: u16,
        /// From its first transmission to the PUSH_ACK.
        round_trip: Duration,
    },
    /// A PUSH_DATA got no PUSH_ACK after all retries.
    PushFailed {
        /// Its token.
        token: u16,
        /// How many times it was sent.
        attempts: u8,
    },
    /// A PULL_DATA was acknowledged: the downlink path is open.
    PullAcknowledged {
        /// Its token.
        token: u16,
        /// From the PULL_DATA to the PULL_ACK.
        round_trip: Duration,
    },
    /// The previous PULL_DATA got no PULL_ACK before the next keepalive.
    PullUnacknowledged {
        /// Its token.
        token: u16,
    },
    /// The server sent a downlink. Answer it with [`Forwarder::send_tx_ack`] and this token.
    Downlink {
        /// The PULL_RESP token.
        token: u16,
        /// What to transmit.
        txpk: Txpk,
    },
    /// A datagram from the server could not be decoded.
    Malformed {
        /// What was wrong.
        error: DecodeError,
    },
}

#[derive(Debug)]
struct PendingPush {
    token: u16,
    bytes: Vec<u8>,
    first_sent: Instant,
    retry_at: Instant,
    attempts: u8,
}

#[derive(Debug, Default, Clone, Copy)]
struct Counters {
    rxnb: u32,
    rxok: u32,
    rxfw: u32,
    dwnb: u32,
    txnb: u32,
    up_sent: u32,
    up_acked: u32,
}

#[derive(Debug)]
struct RecentDownlink {
    token: u16,
    hash: u64,
    tx_ack: Option<Vec<u8>>,
}

/// Sans-IO gateway side of the Semtech UDP protocol.
///
/// Inputs: [`push_uplinks`](Self::push_uplinks), [`push_status`](Self::push_status),
/// [`send_tx_ack`](Self::send_tx_ack), [`handle_datagram`](Self::handle_datagram) (from the
/// server) and [`handle_timeout`](Self::handle_timeout). After each, drain
/// [`poll_transmit`](Self::poll_transmit) (all go to the server), then
/// [`poll_event`](Self::poll_event), again while [`has_output`](Self::has_output) (a
/// [`send_tx_ack`](Self::send_tx_ack) made while handling a downlink queued its TX_ACK), then
/// read [`poll_timeout`](Self::poll_timeout) (the latest input's time while output is queued).
///
/// ```
/// use std::time::Instant;
/// use loragw_semtech_udp::{Forwarder, ForwarderConfig, ForwarderEvent, TxpkAck};
///
/// /// Drains until nothing is left, acknowledging each downlink as it is handed to the radio.
/// fn drain(forwarder: &mut Forwarder, send: &mut impl FnMut(&[u8])) {
///     let mut buf = Vec::new();
///     while forwarder.has_output() {
///         while forwarder.poll_transmit(&mut buf).is_some() {
///             send(&buf);
///         }
///         while let Some(event) = forwarder.poll_event() {
///             if let ForwarderEvent::Downlink { token, .. } = event {
///                 // ... hand the txpk to the concentrator ...
///                 let ack = TxpkAck::default();
///                 forwarder.send_tx_ack(Instant::now(), token, ack).expect("token just received");
///             }
///         }
///     }
/// }
///
/// let mut forwarder = Forwarder::new(ForwarderConfig::default(), Instant::now());
/// let mut sent = Vec::new();
/// drain(&mut forwarder, &mut |datagram| sent.push(datagram.to_vec()));
/// assert_eq!(sent.len(), 1, "the first PULL_DATA");
/// // A PULL_RESP from the server: its TX_ACK leaves in the same drain.
/// let pull_resp = b"\x02\x00\x07\x03{\"txpk\":{\"imme\":true,\"freq\":869.525,\"rfch\":0,\"modu\":\"LORA\",\"datr\":\"SF9BW125\",\"size\":1,\"data\":\"YA==\"}}";
/// forwarder.handle_datagram(Instant::now(), pull_resp);
/// drain(&mut forwarder, &mut |datagram| sent.push(datagram.to_vec()));
/// assert_eq!(sent.len(), 2);
/// assert_eq!(&sent[1][..4], b"\x02\x00\x07\x05", "TX_ACK with the PULL_RESP's token");
/// assert!(!forwarder.has_output());
/// ```
///
/// It sends a PULL_DATA at creation and every keepalive interval, retries unacknowledged
/// PUSH_DATA, measures acknowledgement latency, and counts what `stat` reports.
#[derive(Debug)]
pub struct Forwarder {
    config: ForwarderConfig,
    rng: SplitMix64,
    pending: Vec<PendingPush>,
    pull: Option<(u16, Instant)>,
    next_keepalive: Instant,
    transmits: VecDeque<Vec<u8>>,
    events: VecDeque<ForwarderEvent>,
    counters: Counters,
    recent_downlinks: VecDeque<RecentDownlink>,
    unacknowledged: VecDeque<u16>,
    /// The latest time passed in: what [`Forwarder::poll_timeout`] answers while output is
    /// queued.
    last_now: Instant,
}

impl Forwarder {
    /// A forwarder; the first PULL_DATA is queued at once.
    pub fn new(config: ForwarderConfig, now: Instant) -> Self {
        let mut f = Self {
            rng: SplitMix64::new(config.seed),
            next_keepalive: now,
            config,
            pending: Vec::new(),
            pull: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            counters: Counters::default(),
            recent_downlinks: VecDeque::new(),
            unacknowledged: VecDeque::new(),
            last_now: now,
        };
        f.keepalive(now);
        f
    }

    /// The configuration.
    pub fn config(&self) -> &ForwarderConfig {
        &self.config
    }

    fn event(&mut self, e: ForwarderEvent) {
        if self.events.len() >= self.config.max_queued_events {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }

    fn token(&mut self) -> u16 {
        loop {
            let t = self.rng.next_u16();
            if !self.pending.iter().any(|p| p.token == t) && self.pull.map(|p| p.0) != Some(t) {
                return t;
            }
        }
    }

    fn keepalive(&mut self, now: Instant) {
        if let Some((token, _)) = self.pull.take() {
            self.event(ForwarderEvent::PullUnacknowledged { token });
        }
        let token = self.token();
        let mut bytes = Vec::with_capacity(12);
        Packet::PullData(PullData {
            version: self.config.version,
            token,
            gateway: self.config.gateway,
        })
        .encode(&mut bytes)
        .expect("a PULL_DATA always encodes");
        self.transmits.push_back(bytes);
        self.pull = Some((token, now));
        self.next_keepalive = now + self.config.keepalive_interval;
    }

    fn push(
        &mut self,
        now: Instant,
        rxpk: Vec<Rxpk>,
        stat: Option<Box<Stat>>,
    ) -> Result<(), Error> {
        if self.pending.len() >= self.config.max_pending_pushes {
            return Err(Error::TooManyPendingPushes {
                limit: self.config.max_pending_pushes,
            });
        }
        let token = self.token();
        let packet = Packet::PushData(PushData {
            version: self.config.version,
            token,
            gateway: self.config.gateway,
            rxpk,
            stat,
            rejected: Vec::new(),
        });
        let mut bytes = Vec::with_capacity(512);
        packet.encode(&mut bytes)?;
        let max = self.config.max_datagram_len.min(MAX_DATAGRAM_LEN);
        if bytes.len() > max {
            let Packet::PushData(mut p) = packet else {
                unreachable!("invariant: `packet` was constructed as PUSH_DATA above")
            };
            if p.stat.is_some() && !p.rxpk.is_empty() {
                // The status goes in a datagram of its own.
                let stat = p.stat.take();
                self.push(now, p.rxpk, None)?;
                return self.push(now, Vec::new(), stat);
            }
            if p.rxpk.len() > 1 {
                // Split in two halves and try again (a failure part-way leaves the first half
                // sent).
                let second = p.rxpk.split_off(p.rxpk.len() / 2);
                self.push(now, p.rxpk, None)?;
                return self.push(now, second, None);
            }
            return Err(Error::Encode(crate::EncodeError::TooLong {
                packet_type: PacketType::PushData,
                len: bytes.len(),
                max,
            }));
        }
        self.transmits.push_back(bytes.clone());
        self.counters.up_sent = self.counters.up_sent.saturating_add(1);
        self.pending.push(PendingPush {
            token,
            bytes,
            first_sent: now,
            retry_at: now + self.config.push_timeout,
            attempts: 1,
        });
        Ok(())
    }

    /// Sends received packets in a PUSH_DATA (several if they exceed the datagram limit) and
    /// counts them for `stat` (`rxnb`, `rxok` for CRC OK, `rxfw`).
    pub fn push_uplinks(&mut self, now: Instant, rxpk: Vec<Rxpk>) -> Result<(), Error> {
        self.input_at(now);
        if rxpk.is_empty() {
            return Ok(());
        }
        let n = u32::try_from(rxpk.len()).unwrap_or(u32::MAX);
        let ok = rxpk
            .iter()
            .filter(|r| r.stat == Some(CrcStatus::Ok))
            .count();
        self.push(now, rxpk, None)?;
        let c = &mut self.counters;
        c.rxnb = c.rxnb.saturating_add(n);
        c.rxok = c.rxok.saturating_add(u32::try_from(ok).unwrap_or(u32::MAX));
        c.rxfw = c.rxfw.saturating_add(n);
        Ok(())
    }

    /// Counts packets received but not forwarded (for example filtered on CRC).
    pub fn count_not_forwarded(&mut self, received: u32, crc_ok: u32) {
        self.counters.rxnb = self.counters.rxnb.saturating_add(received);
        self.counters.rxok = self.counters.rxok.saturating_add(crc_ok);
    }

    /// Sends a status report. Counters the caller left `None` (`rxnb`, `rxok`, `rxfw`, `ackr`,
    /// `dwnb`, `txnb`) are filled in from this forwarder's counts since the previous report,
    /// and the counts restart.
    pub fn push_status(&mut self, now: Instant, mut stat: Stat) -> Result<(), Error> {
        self.input_at(now);
        let c = self.counters;
        stat.rxnb.get_or_insert(c.rxnb);
        stat.rxok.get_or_insert(c.rxok);
        stat.rxfw.get_or_insert(c.rxfw);
        stat.dwnb.get_or_insert(c.dwnb);
        stat.txnb.get_or_insert(c.txnb);
        stat.ackr.get_or_insert(if c.up_sent == 0 {
            0.0
        } else {
            f64::from(c.up_acked) * 100.0 / f64::from(c.up_sent)
        });
        self.counters = Counters::default();
        self.push(now, Vec::new(), Some(Box::new(stat)))
    }

    /// Answers a [`ForwarderEvent::Downlink`] with a TX_ACK (no JSON for a plain success).
    pub fn send_tx_ack(&mut self, now: Instant, token: u16, ack: TxpkAck) -> Result<(), Error> {
        self.input_at(now);
        let Some(i) = self.unacknowledged.iter().position(|t| *t == token) else {
            return Err(Error::UnknownDownlinkToken(token));
        };
        self.unacknowledged.remove(i);
        if ack.is_success() {
            self.counters.txnb = self.counters.txnb.saturating_add(1);
        }
        let mut bytes = Vec::with_capacity(64);
        Packet::TxAck(TxAck {
            version: self.config.version,
            token,
            gateway: self.config.gateway,
            ack,
        })
        .encode(&mut bytes)?;
        if let Some(r) = self
            .recent_downlinks
            .iter_mut()
            .rev()
            .find(|r| r.token == token)
        {
            r.tx_ack = Some(bytes.clone());
        }
        self.transmits.push_back(bytes);
        Ok(())
    }

    /// Handles a datagram from the server.
    pub fn handle_datagram(&mut self, now: Instant, bytes: &[u8]) {
        self.input_at(now);
        let packet = match Packet::decode(bytes) {
            Ok(p) => p,
            Err(error) => return self.event(ForwarderEvent::Malformed { error }),
        };
        match packet {
            Packet::PushAck(a) => {
                if let Some(i) = self.pending.iter().position(|p| p.token == a.token) {
                    let p = self.pending.swap_remove(i);
                    self.counters.up_acked = self.counters.up_acked.saturating_add(1);
                    self.event(ForwarderEvent::PushAcknowledged {
                        token: a.token,
                        round_trip: now.saturating_duration_since(p.first_sent),
                    });
                }
            }
            Packet::PullAck(a) => {
                if let Some((token, sent)) = self.pull
                    && token == a.token
                {
                    self.pull = None;
                    self.event(ForwarderEvent::PullAcknowledged {
                        token,
                        round_trip: now.saturating_duration_since(sent),
                    });
                }
            }
            Packet::PullResp(p) => {
                self.counters.dwnb = self.counters.dwnb.saturating_add(1);
                let hash = fnv1a(bytes);
                if let Some(r) = self
                    .recent_downlinks
                    .iter()
                    .find(|r| r.token == p.token && r.hash == hash)
                {
                    // A repeated PULL_RESP: answer it again, do not transmit twice.
                    if let Some(ack) = r.tx_ack.clone() {
                        self.transmits.push_back(ack);
                    }
                    return;
                }
                if self.recent_downlinks.len() >= RECENT_DOWNLINKS {
                    self.recent_downlinks.pop_front();
                }
                self.recent_downlinks.push_back(RecentDownlink {
                    token: p.token,
                    hash,
                    tx_ack: None,
                });
                if self.unacknowledged.len() >= self.config.max_unacknowledged_downlinks {
                    self.unacknowledged.pop_front();
                }
                self.unacknowledged.push_back(p.token);
                self.event(ForwarderEvent::Downlink {
                    token: p.token,
                    txpk: p.txpk,
                });
            }
            other => self.event(ForwarderEvent::Malformed {
                error: DecodeError::WrongDirection(other.packet_type()),
            }),
        }
    }

    /// Sends due keepalives and retransmissions, and reports pushes that ran out of retries.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.input_at(now);
        if now >= self.next_keepalive {
            self.keepalive(now);
        }
        let mut i = 0;
        while i < self.pending.len() {
            if self.pending[i].retry_at > now {
                i += 1;
                continue;
            }
            if self.pending[i].attempts > self.config.push_retries {
                let p = self.pending.swap_remove(i);
                self.event(ForwarderEvent::PushFailed {
                    token: p.token,
                    attempts: p.attempts,
                });
                continue;
            }
            let p = &mut self.pending[i];
            p.attempts += 1;
            p.retry_at = now + self.config.push_timeout;
            self.transmits.push_back(p.bytes.clone());
            self.counters.up_sent = self.counters.up_sent.saturating_add(1);
            i += 1;
        }
    }

    /// Writes the next datagram for the server into `buf` (cleared first); returns its length.
    #[must_use]
    pub fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> Option<usize> {
        let bytes = self.transmits.pop_front()?;
        buf.clear();
        buf.extend_from_slice(&bytes);
        Some(bytes.len())
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ForwarderEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called next: the next keepalive
    /// or retransmission, or, while a transmit or an event is still queued, the time of the
    /// latest input (already due), so a run loop that waits on this never sleeps on queued
    /// output, such as the TX_ACK of a [`send_tx_ack`](Self::send_tx_ack) made while handling
    /// an event.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let retry = self.pending.iter().map(|p| p.retry_at).min();
        let timer = retry.map_or(self.next_keepalive, |r| r.min(self.next_keepalive));
        Some(if self.has_output() {
            timer.min(self.last_now)
        } else {
            timer
        })
    }

    /// Whether a transmit or an event is queued (what [`poll_transmit`](Self::poll_transmit)
    /// and [`poll_event`](Self::poll_event) would return).
    #[must_use]
    pub fn has_output(&self) -> bool {
        !self.transmits.is_empty() || !self.events.is_empty()
    }

    /// Remembers the time of an input (the latest one wins).
    fn input_at(&mut self, now: Instant) {
        self.last_now = self.last_now.max(now);
    }
}
