//! What a [`Server`](super::Server) reports.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::error::DecodeError;
use crate::header::{GatewayEui, PacketType, ProtocolVersion};
use crate::json::{Rxpk, Stat, TxpkAck};

/// Identifies a downlink accepted by [`Server::send_downlink`](super::Server::send_downlink).
/// Unique for the lifetime of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DownlinkId(pub u64);

/// Where downlinks to a gateway go: the source of its latest PULL_DATA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DownlinkPath {
    /// Address the PULL_RESP is sent to.
    pub addr: SocketAddr,
    /// Protocol version the PULL_RESP is written in (that of the PULL_DATA).
    pub version: ProtocolVersion,
}

/// Why a TX_ACK matched no downlink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnmatchedReason {
    /// The token belonged to a downlink that already expired or was already acknowledged
    /// (a late or repeated TX_ACK).
    LateOrDuplicate,
    /// The token was never used for this gateway (or so long ago it was forgotten).
    UnknownToken,
}

/// Why a downlink ended without acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpiryReason {
    /// No TX_ACK within [`ServerConfig::tx_ack_timeout`](super::ServerConfig::tx_ack_timeout).
    NoTxAck,
    /// Held for schedule-late, and the downlink path expired before it was due.
    PathExpired,
    /// The gateway was disconnected.
    Disconnected,
    /// Sent to a GWMP version 1 gateway, which has no TX_ACK: the downlink is forgotten after
    /// [`ServerConfig::tx_ack_timeout`](super::ServerConfig::tx_ack_timeout) (its transmit
    /// window), and nothing is known about whether it was transmitted.
    NoTxAckInV1,
}

/// Why a datagram from a gateway was dropped without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RejectReason {
    /// More datagrams than the configured rate limit allows.
    RateLimited,
    /// The address-change guard is on and the gateway was recently heard from another IP.
    AddressChange {
        /// The IP the gateway was last heard from.
        connected: IpAddr,
    },
    /// [`ServerConfig::max_gateways`](super::ServerConfig::max_gateways) are already tracked.
    TooManyGateways,
}

/// Something that happened, drained with [`Server::poll_event`](super::Server::poll_event).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A gateway the server holds no state for sent a datagram, and
    /// [`Admission::Ask`](super::Admission::Ask) is configured: answer with
    /// [`Server::admit`](super::Server::admit) or [`Server::refuse`](super::Server::refuse).
    /// Reported once per request (until answered, forgotten, or timed out).
    AdmissionRequired {
        /// The gateway.
        gateway: GatewayEui,
        /// Source address of the datagram.
        addr: SocketAddr,
    },
    /// The gateway was admitted: on its first datagram (or first after it was disconnected)
    /// with [`Admission::AdmitAll`](super::Admission::AdmitAll), or by
    /// [`Server::admit`](super::Server::admit).
    Connected {
        /// The gateway.
        gateway: GatewayEui,
        /// Source address of that datagram.
        addr: SocketAddr,
    },
    /// Received packets from one PUSH_DATA (not repeated for a retransmitted datagram).
    Uplink {
        /// The gateway.
        gateway: GatewayEui,
        /// Source address of the datagram.
        addr: SocketAddr,
        /// The packets, in datagram order.
        rxpk: Vec<Rxpk>,
    },
    /// A status report.
    Status {
        /// The gateway.
        gateway: GatewayEui,
        /// Source address of the datagram.
        addr: SocketAddr,
        /// The report (boxed: it is large and rare, and events are queued).
        stat: Box<Stat>,
    },
    /// The downlink path was established (`previous` is `None`) or moved (new address or
    /// protocol version).
    DownlinkPath {
        /// The gateway.
        gateway: GatewayEui,
        /// The new path.
        path: DownlinkPath,
        /// The path before, if there was one.
        previous: Option<DownlinkPath>,
    },
    /// No PULL_DATA or TX_ACK within the path expiry: downlinks are refused until the next
    /// PULL_DATA.
    DownlinkPathExpired {
        /// The gateway.
        gateway: GatewayEui,
    },
    /// A TX_ACK matched its downlink.
    TxAck {
        /// The gateway.
        gateway: GatewayEui,
        /// The downlink, as returned by `send_downlink`.
        downlink: DownlinkId,
        /// The gateway's verdict.
        ack: TxpkAck,
        /// From sending the PULL_RESP to receiving the TX_ACK.
        round_trip: Duration,
    },
    /// A TX_ACK whose token matches no downlink in flight.
    TxAckUnmatched {
        /// The gateway.
        gateway: GatewayEui,
        /// The token it carried.
        token: u16,
        /// The gateway's verdict.
        ack: TxpkAck,
        /// Why it matched nothing.
        reason: UnmatchedReason,
    },
    /// A downlink ended without acknowledgement.
    DownlinkExpired {
        /// The gateway.
        gateway: GatewayEui,
        /// The downlink.
        downlink: DownlinkId,
        /// Why.
        reason: ExpiryReason,
    },
    /// No datagram from the gateway within the connection expiry; its state is gone.
    Disconnected {
        /// The gateway.
        gateway: GatewayEui,
    },
    /// A datagram (or part of one) could not be decoded. The rest of a PUSH_DATA is still
    /// reported, and other gateways are unaffected.
    Malformed {
        /// Source address.
        from: SocketAddr,
        /// The gateway, when the header could be read.
        gateway: Option<GatewayEui>,
        /// What was wrong.
        error: DecodeError,
    },
    /// A datagram was dropped by a guard.
    Rejected {
        /// Source address.
        from: SocketAddr,
        /// The gateway.
        gateway: GatewayEui,
        /// Which guard.
        reason: RejectReason,
    },
}

/// One datagram written by [`Server::poll_transmit`](super::Server::poll_transmit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Transmit {
    /// Where to send it.
    pub destination: SocketAddr,
    /// The gateway it is for.
    pub gateway: GatewayEui,
    /// PUSH_ACK, PULL_ACK or PULL_RESP.
    pub packet_type: PacketType,
    /// The downlink, for a PULL_RESP.
    pub downlink: Option<DownlinkId>,
}
