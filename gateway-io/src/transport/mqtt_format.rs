//! Gateway-side helpers for the two MQTT gateway formats (v3 protobuf, legacy v2): topics and
//! payload encoding, so the client treats both alike. The server side is
//! [`MqttFrontend`](crate::frontend::mqtt::MqttFrontend).

use loragw_mqtt_v3::GatewayUid;
use loragw_ttnpb::{DownlinkMessage, GatewayStatus, UplinkMessage};

use crate::error::TranslateError;
use crate::frontend::mqtt::MqttVersion;

/// The topic downlinks for `uid` are published on.
pub(crate) fn down_topic(version: MqttVersion, uid: &GatewayUid) -> String {
    match version {
        MqttVersion::V3 => loragw_mqtt_v3::Topic::down(uid.clone()).to_string(),
        MqttVersion::V2 => loragw_mqtt_v2::Topic::Down(uid.clone()).to_string(),
    }
}

/// The topic uplinks of `uid` are published on.
pub(crate) fn up_topic(version: MqttVersion, uid: &GatewayUid) -> String {
    match version {
        MqttVersion::V3 => loragw_mqtt_v3::Topic::up(uid.clone()).to_string(),
        MqttVersion::V2 => loragw_mqtt_v2::Topic::Up(uid.clone()).to_string(),
    }
}

/// The topic status messages of `uid` are published on.
pub(crate) fn status_topic(version: MqttVersion, uid: &GatewayUid) -> String {
    match version {
        MqttVersion::V3 => loragw_mqtt_v3::Topic::status(uid.clone()).to_string(),
        MqttVersion::V2 => loragw_mqtt_v2::Topic::Status(uid.clone()).to_string(),
    }
}

/// The topic transmission acknowledgements of `uid` are published on; `None` for v2, which
/// has none.
pub(crate) fn tx_ack_topic(version: MqttVersion, uid: &GatewayUid) -> Option<String> {
    match version {
        MqttVersion::V3 => Some(loragw_mqtt_v3::Topic::down_ack(uid.clone()).to_string()),
        MqttVersion::V2 => None,
    }
}

/// Gateway side: the payload of an uplink publish.
pub(crate) fn encode_uplink(
    version: MqttVersion,
    uid: &GatewayUid,
    up: &UplinkMessage,
    buf: &mut Vec<u8>,
) -> Result<(), TranslateError> {
    buf.clear();
    match version {
        MqttVersion::V3 => loragw_mqtt_v3::codec::encode(up, buf),
        MqttVersion::V2 => {
            let v2 = loragw_mqtt_v2::uplink_from_v3(up, &uid.gateway_id)
                .map_err(|e| TranslateError::invalid("uplink", e.to_string()))?;
            loragw_mqtt_v2::codec::encode(&v2, buf);
        }
    }
    Ok(())
}

/// Gateway side: the payload of a status publish.
pub(crate) fn encode_status(
    version: MqttVersion,
    status: &GatewayStatus,
    buf: &mut Vec<u8>,
) -> Result<(), TranslateError> {
    buf.clear();
    match version {
        MqttVersion::V3 => loragw_mqtt_v3::codec::encode(status, buf),
        MqttVersion::V2 => {
            let v2 = loragw_mqtt_v2::status_from_v3(status)
                .map_err(|e| TranslateError::invalid("status", e.to_string()))?;
            loragw_mqtt_v2::codec::encode(&v2, buf);
        }
    }
    Ok(())
}

/// Gateway side: the downlink in a publish on the gateway's down topic.
pub(crate) fn decode_downlink(
    version: MqttVersion,
    payload: &[u8],
) -> Result<DownlinkMessage, TranslateError> {
    match version {
        MqttVersion::V3 => loragw_mqtt_v3::codec::decode_down(payload)
            .map_err(|e| TranslateError::invalid("payload", e.to_string()))?
            .downlink_message
            .ok_or(TranslateError::Missing("downlink_message")),
        MqttVersion::V2 => {
            let v2 = loragw_mqtt_v2::codec::decode_downlink(payload)
                .map_err(|e| TranslateError::invalid("payload", e.to_string()))?;
            loragw_mqtt_v2::downlink_to_v3(&v2)
                .map_err(|e| TranslateError::invalid("downlink", e.to_string()))
        }
    }
}
