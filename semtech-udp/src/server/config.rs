//! [`ServerConfig`] and its parts.

use std::time::Duration;

/// Drop a gateway's datagrams when more than `max_datagrams` arrive within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Datagrams allowed within `window` (default 10).
    pub max_datagrams: usize,
    /// The window (default 10 ms).
    pub window: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            max_datagrams: 10,
            window: Duration::from_millis(10),
        }
    }
}

/// Hold a `tmst` downlink until shortly before its transmit time, for gateways without a
/// just-in-time queue (old packet forwarders transmit a PULL_RESP as soon as it arrives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleLate {
    /// Send the PULL_RESP this long before the transmit time (default 800 ms).
    pub lead: Duration,
    /// Only hold downlinks for gateways that have never sent a TX_ACK (a gateway that sends
    /// TX_ACK has a JIT queue). Default `true`.
    pub only_without_tx_ack: bool,
}

impl Default for ScheduleLate {
    fn default() -> Self {
        Self {
            lead: Duration::from_millis(800),
            only_without_tx_ack: true,
        }
    }
}

/// Configuration of a [`Server`](super::Server). Every table and queue is bounded here.
///
/// Build it with struct-update syntax: `ServerConfig { seed: 7, ..ServerConfig::default() }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// A downlink path (the source of the latest PULL_DATA) expires when neither PULL_DATA nor
    /// TX_ACK arrives for this long. Default 90 s.
    pub downlink_path_expiry: Duration,
    /// A gateway is disconnected after this long without any datagram. Default 3 min.
    pub connection_expiry: Duration,
    /// A sent downlink without TX_ACK for this long is reported expired. Default 10 s.
    /// Version 1 gateways send no TX_ACK: their downlinks end after this long with
    /// [`ExpiryReason::NoTxAckInV1`](super::ExpiryReason::NoTxAckInV1) instead.
    pub tx_ack_timeout: Duration,
    /// A token whose downlink was acknowledged or expired is not reused for this long, so a
    /// late or repeated TX_ACK is reported unmatched instead of matching a newer downlink.
    /// Default 2 min.
    pub token_quarantine: Duration,
    /// PUSH_DATA repeated with the same token and bytes within this long is acknowledged again
    /// but not reported twice. Default 30 s.
    pub duplicate_window: Duration,
    /// Per-gateway rate limit; `None` disables it. Default 10 datagrams within 10 ms.
    pub rate_limit: Option<RateLimit>,
    /// Refuse datagrams for a gateway from another IP address (the port is ignored, because
    /// some forwarders send TX_ACK from their upstream socket) while the gateway was heard from
    /// within this long. `None` (the default) disables the guard: NAT rebinding is normal.
    pub address_change_block: Option<Duration>,
    /// Schedule-late for gateways without a JIT queue; `None` (default) sends at once.
    pub schedule_late: Option<ScheduleLate>,
    /// How gateways without state are admitted. Default [`Admission::AdmitAll`].
    pub admission: Admission,
    /// Most admitted gateways tracked at once; datagrams from further gateways are rejected.
    /// Only admitted gateways count, so unadmitted traffic can never fill the table.
    /// Default 100 000.
    pub max_gateways: usize,
    /// Most gateways waiting for an admission decision ([`Admission::Ask`]); when full, the
    /// oldest request is forgotten (its gateway asks again with its next datagram).
    /// Default 1 024.
    pub max_pending_admissions: usize,
    /// An admission request not answered within this long is forgotten, and the gateway's next
    /// datagram asks again. Default 10 s.
    pub admission_timeout: Duration,
    /// Most refused EUIs remembered; when full, the oldest is forgotten. Datagrams of a
    /// remembered EUI are acknowledged without asking again. Default 4 096.
    pub max_refused_cached: usize,
    /// The first PUSH_DATA of a gateway waiting for admission is kept (one per pending
    /// gateway) and reported once the gateway is admitted, when it is at most this many bytes;
    /// larger ones are acknowledged and lost. Bounds that memory to
    /// `max_pending_admissions * max_held_push_len` (2 MiB by default). Default 2 048.
    pub max_held_push_len: usize,
    /// A refusal is remembered this long (then the next datagram asks again, so a gateway
    /// registered meanwhile is served). Default 60 s.
    pub refusal_ttl: Duration,
    /// Most downlinks per gateway in flight (sent, waiting for TX_ACK) plus held for
    /// schedule-late. Default 32.
    pub max_pending_downlinks: usize,
    /// Most recently acknowledged or expired tokens remembered per gateway. Default 256.
    pub max_quarantined_tokens: usize,
    /// Most events queued; beyond it the oldest are dropped and counted. Default 65 536.
    pub max_queued_events: usize,
    /// Most datagrams queued for sending; beyond it new ACKs are dropped and counted.
    /// Default 65 536.
    pub max_queued_transmits: usize,
    /// Seed of the generator of PULL_RESP tokens, which match TX_ACKs to downlinks. Default
    /// `0x5EED_5EED`, the same in every process, so tokens are predictable: an embedder should
    /// randomise it (for example `RandomState::new().hash_one(SystemTime::now())` with
    /// `std::hash::{BuildHasher, RandomState}`), so an off-path sender cannot guess which
    /// token acknowledges a downlink. Tests fix it for reproducible runs.
    pub seed: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            downlink_path_expiry: Duration::from_secs(90),
            connection_expiry: Duration::from_secs(180),
            tx_ack_timeout: Duration::from_secs(10),
            token_quarantine: Duration::from_secs(120),
            duplicate_window: Duration::from_secs(30),
            rate_limit: Some(RateLimit::default()),
            address_change_block: None,
            schedule_late: None,
            admission: Admission::AdmitAll,
            max_gateways: 100_000,
            max_pending_admissions: 1024,
            admission_timeout: Duration::from_secs(10),
            max_refused_cached: 4096,
            refusal_ttl: Duration::from_secs(60),
            max_held_push_len: 2048,
            max_pending_downlinks: 32,
            max_quarantined_tokens: 256,
            max_queued_events: 65_536,
            max_queued_transmits: 65_536,
            seed: 0x5EED_5EED,
        }
    }
}

/// How a [`Server`](super::Server) decides whether to serve a gateway it holds no state for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Admission {
    /// Every gateway is admitted on its first datagram (bounded by
    /// [`ServerConfig::max_gateways`](super::ServerConfig::max_gateways)). The default, for
    /// simple embedders that serve anyone.
    #[default]
    AdmitAll,
    /// The first datagram of an unknown gateway produces
    /// [`ServerEvent::AdmissionRequired`](super::ServerEvent::AdmissionRequired); the
    /// embedder answers with [`Server::admit`](super::Server::admit) or
    /// [`Server::refuse`](super::Server::refuse), possibly later (e.g. after an asynchronous
    /// registry lookup). Until then the gateway's datagrams are acknowledged but not reported.
    Ask,
}
