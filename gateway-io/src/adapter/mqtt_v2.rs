//! MQTT v2 (legacy TTN v2 protobufs) ↔ the one model, on top of the mqtt-v2 crate's
//! conversion. v2 has no transmission acknowledgements.

use loragw_mqtt_v2::codec::{decode_status, decode_uplink, encode};
use loragw_mqtt_v2::{GatewayUid, Topic, downlink_from_v3, status_to_v3, uplink_to_v3};
use loragw_ttnpb::{DownlinkMessage, GatewayStatus, Timestamp, UplinkMessage};

use crate::adapter::mqtt_v3::normalize_uplink;
use crate::error::TranslateError;
use crate::ids::GatewayIds;

fn payload_error(e: impl std::fmt::Display) -> TranslateError {
    TranslateError::invalid("payload", e.to_string())
}

/// The uplink published on `{uid}/up`: converted to v3, then
/// [normalized](super::mqtt_v3::normalize_uplink) (connection gateway ids, `received_at`,
/// parsed `payload`, `settings.time`).
///
/// v2 cannot carry: `gps_time` (v2 `time` is Unix ns, taken as `time`), `crc_status`,
/// `hopping_width`, `frequency_drift`, LR-FHSS, and the key id of encrypted fine timestamps.
pub fn uplink_from_publish(
    gateway: &GatewayIds,
    payload: &[u8],
    received_at: Option<Timestamp>,
) -> Result<UplinkMessage, TranslateError> {
    let v2 = decode_uplink(payload).map_err(payload_error)?;
    let up = uplink_to_v3(&v2, &gateway.to_ttnpb()).map_err(payload_error)?;
    Ok(normalize_uplink(gateway, up, received_at))
}

/// The status published on `{uid}/status`, converted to v3.
pub fn status_from_publish(payload: &[u8]) -> Result<GatewayStatus, TranslateError> {
    Ok(status_to_v3(
        &decode_status(payload).map_err(payload_error)?,
    ))
}

/// Encodes a scheduled downlink for `{uid}/down` into `buf` and returns the topic. Refused:
/// requests (not scheduled), absolute-time-only downlinks and LR-FHSS, which v2 cannot express.
pub fn downlink_publish(
    uid: &GatewayUid,
    message: &DownlinkMessage,
    buf: &mut Vec<u8>,
) -> Result<Topic, TranslateError> {
    let v2 = downlink_from_v3(message)
        .map_err(|e| TranslateError::invalid("downlink", e.to_string()))?;
    buf.clear();
    encode(&v2, buf);
    Ok(Topic::Down(uid.clone()))
}
