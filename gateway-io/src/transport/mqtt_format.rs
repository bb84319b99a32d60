//! The two MQTT gateway formats (v3 protobuf, legacy v2) behind one enum, so the server and
//! the client treat them alike: topics, access rules and payload translation.

// The server-side half is unused in a client-only build.
#![cfg_attr(not(feature = "mqtt-server"), allow(dead_code, unused_imports))]

use loragw_mqtt_v3::{Action, DownlinkTokens, GatewayUid};
use loragw_ttnpb::{DownlinkMessage, GatewayStatus, Timestamp, TxAcknowledgment, UplinkMessage};

use crate::adapter::{mqtt_v2 as v2_adapter, mqtt_v3 as v3_adapter};
use crate::error::TranslateError;
use crate::event::Protocol;
use crate::ids::GatewayIds;

/// Which MQTT gateway format a listener or client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MqttFormat {
    /// The Things Stack v3: `v3/{uid}/up|status|down|down/ack`, ttnpb protobuf payloads.
    V3,
    /// Legacy TTN v2: `{uid}/up|status|down`, `connect`, `disconnect`, v2 protobufs; no
    /// transmission acknowledgements.
    V2,
}

impl MqttFormat {
    /// The Things Stack's default plain-TCP port: 1882 for v3, 1881 for v2.
    pub fn default_port(self) -> u16 {
        match self {
            MqttFormat::V3 => 1882,
            MqttFormat::V2 => 1881,
        }
    }

    /// The protocol events of this format carry.
    pub fn protocol(self) -> Protocol {
        match self {
            MqttFormat::V3 => Protocol::MqttV3,
            MqttFormat::V2 => Protocol::MqttV2,
        }
    }

    /// The topic downlinks for `uid` are published on.
    pub fn down_topic(self, uid: &GatewayUid) -> String {
        match self {
            MqttFormat::V3 => loragw_mqtt_v3::Topic::down(uid.clone()).to_string(),
            MqttFormat::V2 => loragw_mqtt_v2::Topic::Down(uid.clone()).to_string(),
        }
    }

    /// The topic uplinks of `uid` are published on.
    pub fn up_topic(self, uid: &GatewayUid) -> String {
        match self {
            MqttFormat::V3 => loragw_mqtt_v3::Topic::up(uid.clone()).to_string(),
            MqttFormat::V2 => loragw_mqtt_v2::Topic::Up(uid.clone()).to_string(),
        }
    }

    /// The topic status messages of `uid` are published on.
    pub fn status_topic(self, uid: &GatewayUid) -> String {
        match self {
            MqttFormat::V3 => loragw_mqtt_v3::Topic::status(uid.clone()).to_string(),
            MqttFormat::V2 => loragw_mqtt_v2::Topic::Status(uid.clone()).to_string(),
        }
    }

    /// The topic transmission acknowledgements of `uid` are published on; `None` for v2,
    /// which has none.
    pub fn tx_ack_topic(self, uid: &GatewayUid) -> Option<String> {
        match self {
            MqttFormat::V3 => Some(loragw_mqtt_v3::Topic::down_ack(uid.clone()).to_string()),
            MqttFormat::V2 => None,
        }
    }
}

/// What a gateway's PUBLISH turned into.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per received publish, moved once
pub(crate) enum Inbound {
    Uplink(UplinkMessage),
    Status(GatewayStatus),
    TxAck(TxAcknowledgment),
    /// v2 `connect` / `disconnect` (birth and last will): accepted, nothing to report.
    Ignored,
}

/// Server side: whether the gateway `uid` may subscribe to `filter`; `Ok` holds the exact
/// topic the subscription is narrowed to, `Err` why not.
pub(crate) fn authorize_subscribe(
    format: MqttFormat,
    uid: &GatewayUid,
    filter: &str,
) -> Result<String, String> {
    match format {
        MqttFormat::V3 => match loragw_mqtt_v3::authorize(uid, Action::Subscribe, filter) {
            loragw_mqtt_v3::Access::Allow(topic) => Ok(topic.to_string()),
            loragw_mqtt_v3::Access::Deny(reason) => Err(reason.to_string()),
        },
        MqttFormat::V2 => match loragw_mqtt_v2::authorize(uid, Action::Subscribe, filter) {
            loragw_mqtt_v2::Access::Allow(topic) => Ok(topic.to_string()),
            loragw_mqtt_v2::Access::Deny(reason) => Err(reason.to_string()),
        },
    }
}

/// A publish the access rules refused; the text says why.
#[derive(Debug)]
pub(crate) struct PublishDenied(pub(crate) String);

/// Server side: authorizes a PUBLISH of the gateway `uid` on `topic` and translates its
/// payload. The outer `Err` is an access violation, the inner one an undecodable payload.
pub(crate) fn handle_publish(
    format: MqttFormat,
    uid: &GatewayUid,
    gateway: &GatewayIds,
    topic: &str,
    payload: &[u8],
    tokens: &std::sync::Mutex<DownlinkTokens<DownlinkMessage>>,
    received_at: Option<Timestamp>,
) -> Result<Result<Inbound, TranslateError>, PublishDenied> {
    match format {
        MqttFormat::V3 => {
            use loragw_mqtt_v3::{Access, TopicKind};
            let topic = match loragw_mqtt_v3::authorize(uid, Action::Publish, topic) {
                Access::Allow(topic) => topic,
                Access::Deny(reason) => return Err(PublishDenied(reason.to_string())),
            };
            Ok(match topic.kind {
                TopicKind::Up => v3_adapter::uplink_from_publish(gateway, payload, received_at)
                    .map(Inbound::Uplink),
                TopicKind::Status => v3_adapter::status_from_publish(payload).map(Inbound::Status),
                TopicKind::DownAck => {
                    let mut tokens = tokens
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    v3_adapter::tx_ack_from_publish(payload, &mut tokens).map(Inbound::TxAck)
                }
                // `authorize` refuses publishes on `down`; anything else is a newer kind.
                _ => Err(TranslateError::Unsupported {
                    protocol: "mqtt-v3",
                    what: "publishes on this topic",
                }),
            })
        }
        MqttFormat::V2 => {
            use loragw_mqtt_v2::{Access, Topic};
            let topic = match loragw_mqtt_v2::authorize(uid, Action::Publish, topic) {
                Access::Allow(topic) => topic,
                Access::Deny(reason) => return Err(PublishDenied(reason.to_string())),
            };
            Ok(match topic {
                Topic::Up(_) => v2_adapter::uplink_from_publish(gateway, payload, received_at)
                    .map(Inbound::Uplink),
                Topic::Status(_) => v2_adapter::status_from_publish(payload).map(Inbound::Status),
                Topic::Connect | Topic::Disconnect => Ok(Inbound::Ignored),
                Topic::Down(_) => Err(TranslateError::Unsupported {
                    protocol: "mqtt-v2",
                    what: "publishes on the downlink topic",
                }),
            })
        }
    }
}

/// Server side: encodes a downlink for the gateway `uid` into `buf` (v3: remembering it in
/// `tokens` for the acknowledgement) and returns the topic to publish it on.
pub(crate) fn encode_downlink(
    format: MqttFormat,
    uid: &GatewayUid,
    message: &DownlinkMessage,
    tokens: &std::sync::Mutex<DownlinkTokens<DownlinkMessage>>,
    buf: &mut Vec<u8>,
) -> Result<String, TranslateError> {
    match format {
        MqttFormat::V3 => {
            let mut tokens = tokens
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            v3_adapter::downlink_publish(uid, message, &mut tokens, buf).map(|t| t.to_string())
        }
        MqttFormat::V2 => v2_adapter::downlink_publish(uid, message, buf).map(|t| t.to_string()),
    }
}

/// Gateway side: the payload of an uplink publish.
#[cfg(feature = "mqtt-client")]
pub(crate) fn encode_uplink(
    format: MqttFormat,
    uid: &GatewayUid,
    up: &UplinkMessage,
    buf: &mut Vec<u8>,
) -> Result<(), TranslateError> {
    buf.clear();
    match format {
        MqttFormat::V3 => loragw_mqtt_v3::codec::encode(up, buf),
        MqttFormat::V2 => {
            let v2 = loragw_mqtt_v2::uplink_from_v3(up, &uid.gateway_id)
                .map_err(|e| TranslateError::invalid("uplink", e.to_string()))?;
            loragw_mqtt_v2::codec::encode(&v2, buf);
        }
    }
    Ok(())
}

/// Gateway side: the payload of a status publish.
#[cfg(feature = "mqtt-client")]
pub(crate) fn encode_status(
    format: MqttFormat,
    status: &GatewayStatus,
    buf: &mut Vec<u8>,
) -> Result<(), TranslateError> {
    buf.clear();
    match format {
        MqttFormat::V3 => loragw_mqtt_v3::codec::encode(status, buf),
        MqttFormat::V2 => {
            let v2 = loragw_mqtt_v2::status_from_v3(status)
                .map_err(|e| TranslateError::invalid("status", e.to_string()))?;
            loragw_mqtt_v2::codec::encode(&v2, buf);
        }
    }
    Ok(())
}

/// Gateway side: the downlink in a publish on the gateway's down topic.
#[cfg(feature = "mqtt-client")]
pub(crate) fn decode_downlink(
    format: MqttFormat,
    payload: &[u8],
) -> Result<DownlinkMessage, TranslateError> {
    match format {
        MqttFormat::V3 => loragw_mqtt_v3::codec::decode_down(payload)
            .map_err(|e| TranslateError::invalid("payload", e.to_string()))?
            .downlink_message
            .ok_or(TranslateError::Missing("downlink_message")),
        MqttFormat::V2 => {
            let v2 = loragw_mqtt_v2::codec::decode_downlink(payload)
                .map_err(|e| TranslateError::invalid("payload", e.to_string()))?;
            loragw_mqtt_v2::downlink_to_v3(&v2)
                .map_err(|e| TranslateError::invalid("downlink", e.to_string()))
        }
    }
}
