//! The one model every protocol is turned into: [`GatewayEvent`]s up, [`GatewayCommand`]s down.

use std::fmt;
use std::net::SocketAddr;

use loragw_ttnpb::{DownlinkMessage, GatewayStatus, TxAcknowledgment, UplinkMessage};

use crate::ids::GatewayIds;

/// The protocol a gateway speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// Semtech UDP packet forwarder (GWMP), with the protocol version of the gateway's datagrams.
    SemtechUdp {
        /// GWMP version byte (1 or 2).
        version: u8,
    },
    /// LoRa Basics Station LNS protocol (websocket).
    BasicStation,
    /// The Things Stack MQTT v3 gateway protocol (ttnpb protobuf payloads).
    MqttV3,
    /// The legacy TTN v2 MQTT gateway protocol.
    MqttV2,
    /// A protocol added outside this crate, by name: a new frontend needs no change here.
    Other(&'static str),
}

impl Protocol {
    /// A short stable name: `udp`, `lbs`, `mqtt-v3`, `mqtt-v2`, or the name of `Other`.
    pub fn name(&self) -> &'static str {
        match self {
            Protocol::SemtechUdp { .. } => "udp",
            Protocol::BasicStation => "lbs",
            Protocol::MqttV3 => "mqtt-v3",
            Protocol::MqttV2 => "mqtt-v2",
            Protocol::Other(name) => name,
        }
    }

    /// Whether the protocol can report transmission results (`TxAck` events). MQTT v2 cannot.
    pub fn supports_tx_ack(&self) -> bool {
        !matches!(self, Protocol::MqttV2)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protocol::SemtechUdp { version } => write!(f, "udp/v{version}"),
            other => f.write_str(other.name()),
        }
    }
}

/// Why a gateway's connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// Nothing heard from the gateway for the configured time (UDP has no connection to close).
    Timeout,
    /// The gateway closed the connection (websocket close, MQTT DISCONNECT, TCP FIN).
    ClosedByGateway,
    /// A newer connection of the same gateway replaced this one.
    Replaced,
    /// The gateway stopped answering pings.
    MissedPongs,
    /// The gateway broke the protocol; the text says how.
    ProtocolError(String),
    /// The gateway's credential stopped being valid.
    Unauthorized,
    /// The server is shutting down or the application asked for the disconnect.
    Shutdown,
    /// The transport failed (I/O error), with its description.
    Transport(String),
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisconnectReason::Timeout => f.write_str("no traffic within the timeout"),
            DisconnectReason::ClosedByGateway => f.write_str("closed by the gateway"),
            DisconnectReason::Replaced => f.write_str("replaced by a newer connection"),
            DisconnectReason::MissedPongs => f.write_str("too many missed pongs"),
            DisconnectReason::ProtocolError(e) => write!(f, "protocol error: {e}"),
            DisconnectReason::Unauthorized => f.write_str("unauthorized"),
            DisconnectReason::Shutdown => f.write_str("shutdown"),
            DisconnectReason::Transport(e) => write!(f, "transport error: {e}"),
        }
    }
}

/// Something a gateway did, whichever protocol it speaks.
///
/// Every variant carries the gateway's ids and the [`Protocol`]; one `match` serves all
/// protocols.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
// Each event is moved a handful of times; boxing the messages would add an allocation per uplink.
#[allow(clippy::large_enum_variant)]
pub enum GatewayEvent {
    /// A gateway connected (or, for UDP, was first heard from).
    Connected {
        /// Who.
        gateway: GatewayIds,
        /// Over what.
        protocol: Protocol,
        /// The gateway's address, when the transport knows it.
        remote: Option<SocketAddr>,
    },
    /// A received radio frame.
    Uplink {
        /// Who.
        gateway: GatewayIds,
        /// Over what.
        protocol: Protocol,
        /// The frame and its metadata.
        message: UplinkMessage,
    },
    /// A status report.
    Status {
        /// Who.
        gateway: GatewayIds,
        /// Over what.
        protocol: Protocol,
        /// The status.
        status: GatewayStatus,
    },
    /// The result of a downlink transmission, with the downlink's correlation ids when it could
    /// be matched.
    TxAck {
        /// Who.
        gateway: GatewayIds,
        /// Over what.
        protocol: Protocol,
        /// The acknowledgement.
        ack: TxAcknowledgment,
    },
    /// The connection ended.
    Disconnected {
        /// Who.
        gateway: GatewayIds,
        /// Over what.
        protocol: Protocol,
        /// Why.
        reason: DisconnectReason,
    },
}

impl GatewayEvent {
    /// The gateway the event is about.
    pub fn gateway(&self) -> &GatewayIds {
        match self {
            GatewayEvent::Connected { gateway, .. }
            | GatewayEvent::Uplink { gateway, .. }
            | GatewayEvent::Status { gateway, .. }
            | GatewayEvent::TxAck { gateway, .. }
            | GatewayEvent::Disconnected { gateway, .. } => gateway,
        }
    }

    /// The protocol the event came over.
    pub fn protocol(&self) -> Protocol {
        match self {
            GatewayEvent::Connected { protocol, .. }
            | GatewayEvent::Uplink { protocol, .. }
            | GatewayEvent::Status { protocol, .. }
            | GatewayEvent::TxAck { protocol, .. }
            | GatewayEvent::Disconnected { protocol, .. } => *protocol,
        }
    }
}

/// What the application asks of a gateway.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
// As for `GatewayEvent`: no allocation per downlink just to shrink the rare `Disconnect`.
#[allow(clippy::large_enum_variant)]
pub enum GatewayCommand {
    /// Transmit a downlink. `message.settings` must be `scheduled` for Semtech UDP and MQTT
    /// (the gateway transmits at the given timestamp / time); Basics Station also takes a
    /// `request` (`TxRequest` with RX1/RX2 and class) and lets the station pick the window.
    Downlink {
        /// To whom.
        gateway: GatewayIds,
        /// What.
        message: DownlinkMessage,
    },
    /// Close the gateway's connection.
    Disconnect {
        /// Whom.
        gateway: GatewayIds,
    },
}

impl GatewayCommand {
    /// The gateway the command is for.
    pub fn gateway(&self) -> &GatewayIds {
        match self {
            GatewayCommand::Downlink { gateway, .. } | GatewayCommand::Disconnect { gateway } => {
                gateway
            }
        }
    }
}
