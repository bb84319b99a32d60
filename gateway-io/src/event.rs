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
    /// A bug (a panic) while handling this connection's input: the connection was closed and
    /// the listener kept serving the others. The text is the panic message.
    InternalError(String),
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
            DisconnectReason::InternalError(e) => write!(f, "internal error: {e}"),
        }
    }
}

/// Why an accepted downlink was not transmitted (or its transmission never confirmed).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TxFailure {
    /// A newer connection of the gateway (on this or another listener) replaced the one the
    /// downlink was sent on.
    Replaced,
    /// The gateway's connection ended before the downlink was acknowledged (or, for MQTT v2,
    /// written).
    Disconnected(DisconnectReason),
    /// The gateway never acknowledged it within the listener's timeout (Basics Station:
    /// `tx_confirm_timeout` after the transmit time; MQTT: the listener's
    /// `downlink_ack_timeout`).
    Expired,
}

impl fmt::Display for TxFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxFailure::Replaced => f.write_str("replaced"),
            TxFailure::Disconnected(reason) => write!(f, "disconnected: {reason}"),
            TxFailure::Expired => f.write_str("expired"),
        }
    }
}

impl TxFailure {
    /// The failure for a connection that ended with `reason`.
    pub fn from_disconnect(reason: &DisconnectReason) -> Self {
        match reason {
            DisconnectReason::Replaced => TxFailure::Replaced,
            other => TxFailure::Disconnected(other.clone()),
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
    /// be matched. On the Basics Station and MQTT listeners every downlink accepted by
    /// `send_downlink` ends in exactly one `TxAck`: the gateway's acknowledgement
    /// (`failure: None`), or a failure (`ack.result` `UNKNOWN_ERROR`, `failure` saying why).
    /// MQTT v2 gateways never acknowledge: only failures are reported for them.
    TxAck {
        /// Who.
        gateway: GatewayIds,
        /// Over what.
        protocol: Protocol,
        /// The acknowledgement.
        ack: TxAcknowledgment,
        /// Set when the server gave up on the downlink (the gateway did not report it).
        failure: Option<TxFailure>,
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
    /// A client claiming to be a gateway was refused: a Semtech UDP EUI that is not registered
    /// (or whose entry requires an authenticated connection), a Basics Station or MQTT client
    /// with an unknown gateway or a wrong, missing or insufficient key. Reported at most once
    /// per window per listener (Semtech UDP 10 s, the TCP listeners 1 s), with the number of
    /// refusals not reported since, so a flood cannot make unbounded events; the exact counts
    /// are in `GatewayServer::stats()`, and every refusal is logged through `tracing`.
    Refused {
        /// The identity the client claimed: the EUI of its datagram or traffic path (as
        /// `eui-<16 hex>`), or its MQTT username. Not necessarily a gateway that exists.
        gateway: GatewayIds,
        /// Over what.
        protocol: Protocol,
        /// The client's address, when the transport knows it.
        remote: Option<SocketAddr>,
        /// Why, as text (never naming a stored key).
        reason: String,
        /// Refusals on the same listener not reported as events since the previous `Refused`.
        suppressed: u64,
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
            | GatewayEvent::Disconnected { gateway, .. }
            | GatewayEvent::Refused { gateway, .. } => gateway,
        }
    }

    /// The protocol the event came over.
    pub fn protocol(&self) -> Protocol {
        match self {
            GatewayEvent::Connected { protocol, .. }
            | GatewayEvent::Uplink { protocol, .. }
            | GatewayEvent::Status { protocol, .. }
            | GatewayEvent::TxAck { protocol, .. }
            | GatewayEvent::Disconnected { protocol, .. }
            | GatewayEvent::Refused { protocol, .. } => *protocol,
        }
    }
}

/// What the application asks of a gateway.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
// As for `GatewayEvent`: no allocation per downlink just to shrink the rare `Disconnect`.
#[allow(clippy::large_enum_variant)]
pub enum GatewayCommand {
    /// Transmit a downlink. `message.settings` are `scheduled` (the gateway transmits at the
    /// given timestamp / time) or a `request` (`TxRequest` with class, RX1/RX2 and an uplink
    /// token), which every frontend resolves into scheduled settings first
    /// ([`reply::schedule`](crate::reply::schedule)).
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

/// JSON form of events, for logs and line-oriented output: an object with `event`
/// (`connected`, `uplink`, `status`, `tx_ack`, `disconnected`, `refused`), `gateway_id`, `eui`
/// (when known), `protocol` (`udp/v2`, `lbs`, ...) and the event's payload: `message`, `status`
/// or `ack` in ttnpb's JSON mapping, `remote`, `reason` or a TX `failure` as text, and
/// `suppressed` for `refused`.
#[cfg(feature = "serde")]
impl serde::Serialize for GatewayEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let gateway = self.gateway();
        let mut map = serializer.serialize_map(None)?;
        let kind = match self {
            GatewayEvent::Connected { .. } => "connected",
            GatewayEvent::Uplink { .. } => "uplink",
            GatewayEvent::Status { .. } => "status",
            GatewayEvent::TxAck { .. } => "tx_ack",
            GatewayEvent::Disconnected { .. } => "disconnected",
            GatewayEvent::Refused { .. } => "refused",
        };
        map.serialize_entry("event", kind)?;
        map.serialize_entry("gateway_id", &gateway.gateway_id)?;
        if let Some(eui) = gateway.eui {
            map.serialize_entry("eui", &eui.to_string())?;
        }
        map.serialize_entry("protocol", &self.protocol().to_string())?;
        match self {
            GatewayEvent::Connected { remote, .. } => {
                if let Some(remote) = remote {
                    map.serialize_entry("remote", &remote.to_string())?;
                }
            }
            GatewayEvent::Uplink { message, .. } => map.serialize_entry("message", message)?,
            GatewayEvent::Status { status, .. } => map.serialize_entry("status", status)?,
            GatewayEvent::TxAck { ack, failure, .. } => {
                map.serialize_entry("ack", ack)?;
                if let Some(failure) = failure {
                    map.serialize_entry("failure", &failure.to_string())?;
                }
            }
            GatewayEvent::Disconnected { reason, .. } => {
                map.serialize_entry("reason", &reason.to_string())?
            }
            GatewayEvent::Refused {
                remote,
                reason,
                suppressed,
                ..
            } => {
                if let Some(remote) = remote {
                    map.serialize_entry("remote", &remote.to_string())?;
                }
                map.serialize_entry("reason", reason)?;
                map.serialize_entry("suppressed", suppressed)?;
            }
        }
        map.end()
    }
}

#[cfg(all(test, feature = "serde"))]
mod json_tests {
    use loragw_ttnpb::{DataRate, TxSettings};

    use super::*;
    use crate::ids::Eui64;

    #[test]
    fn events_print_as_one_json_object() {
        let event = GatewayEvent::Uplink {
            gateway: GatewayIds::new("gw-json", Some(Eui64::from_u64(0xAA55_5A00_0000_0101))),
            protocol: Protocol::SemtechUdp { version: 2 },
            message: UplinkMessage {
                raw_payload: vec![0x40, 1, 2],
                settings: Some(TxSettings {
                    data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
                    frequency: 868_100_000,
                    ..Default::default()
                }),
                ..Default::default()
            },
        };
        let v: serde_json::Value = serde_json::to_value(&event).unwrap();
        assert_eq!(v["event"], "uplink");
        assert_eq!(v["gateway_id"], "gw-json");
        assert_eq!(v["eui"], "AA555A0000000101");
        assert_eq!(v["protocol"], "udp/v2");
        assert_eq!(v["message"]["raw_payload"], "QAEC");
        assert_eq!(
            v["message"]["settings"]["data_rate"]["lora"]["spreading_factor"],
            7
        );
        let gone = GatewayEvent::Disconnected {
            gateway: GatewayIds::new("gw-json", None),
            protocol: Protocol::BasicStation,
            reason: DisconnectReason::MissedPongs,
        };
        assert_eq!(
            serde_json::to_string(&gone).unwrap(),
            r#"{"event":"disconnected","gateway_id":"gw-json","protocol":"lbs","reason":"too many missed pongs"}"#
        );
        let refused = GatewayEvent::Refused {
            gateway: GatewayIds::from_eui(Eui64::from_u64(0x0102_0304_0506_0708)),
            protocol: Protocol::SemtechUdp { version: 2 },
            remote: Some("192.0.2.1:1700".parse().unwrap()),
            reason: "not registered".into(),
            suppressed: 3,
        };
        assert_eq!(
            serde_json::to_string(&refused).unwrap(),
            r#"{"event":"refused","gateway_id":"eui-0102030405060708","eui":"0102030405060708","protocol":"udp/v2","remote":"192.0.2.1:1700","reason":"not registered","suppressed":3}"#
        );
    }
}
