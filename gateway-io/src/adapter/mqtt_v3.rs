//! MQTT v3 (The Things Stack's gateway MQTT, ttnpb protobuf payloads) ↔ the one model.
//!
//! The payloads are already ttnpb; this adapter only makes them trustworthy and uniform:
//! the gateway ids in every `rx_metadata` are those of the authenticated connection (a gateway
//! cannot speak for another), `received_at` is the server's, `payload` is parsed when the
//! gateway sent only `raw_payload`, `settings.time` mirrors the metadata time, and downlink
//! tokens match acknowledgements to their downlinks (`gs:down:token:<n>` correlation ids).

use loragw_mqtt_v3::codec::{decode_status, decode_tx_ack, decode_uplink, encode_down};
use loragw_mqtt_v3::{DownlinkTokens, GatewayUid, Topic, gateway_down};
use loragw_ttnpb::{DownlinkMessage, GatewayStatus, Timestamp, TxAcknowledgment, UplinkMessage};

use crate::adapter::lorawan::parse_phy_payload;
use crate::error::TranslateError;
use crate::ids::GatewayIds;
use crate::reply::token::stamp_uplink_tokens;

/// Makes an uplink that arrived over a gateway link (MQTT v3 or v2) uniform with the other
/// protocols: connection gateway ids on every metadata entry, `received_at`, parsed `payload`
/// when absent, `settings.time` from the first metadata entry's `time` when absent, and an
/// uplink token on every metadata entry without one
/// ([`stamp_uplink_tokens`]).
pub fn normalize_uplink(
    gateway: &GatewayIds,
    mut up: UplinkMessage,
    received_at: Option<Timestamp>,
) -> UplinkMessage {
    let ids = gateway.to_ttnpb();
    for md in &mut up.rx_metadata {
        md.gateway_ids = Some(ids.clone());
    }
    if received_at.is_some() {
        up.received_at = received_at;
    }
    if up.payload.is_none() {
        up.payload = parse_phy_payload(&up.raw_payload);
    }
    stamp_uplink_tokens(&mut up, None);
    if let Some(settings) = &mut up.settings
        && settings.time.is_none()
    {
        settings.time = up.rx_metadata.first().and_then(|m| m.time);
    }
    up
}

fn payload_error(e: impl std::fmt::Display) -> TranslateError {
    TranslateError::invalid("payload", e.to_string())
}

/// The uplink published on `v3/{uid}/up`, [normalized](normalize_uplink).
pub fn uplink_from_publish(
    gateway: &GatewayIds,
    payload: &[u8],
    received_at: Option<Timestamp>,
) -> Result<UplinkMessage, TranslateError> {
    let up = decode_uplink(payload).map_err(payload_error)?;
    Ok(normalize_uplink(gateway, up, received_at))
}

/// The status published on `v3/{uid}/status`.
pub fn status_from_publish(payload: &[u8]) -> Result<GatewayStatus, TranslateError> {
    decode_status(payload).map_err(payload_error)
}

/// The acknowledgement published on `v3/{uid}/down/ack`, with the acknowledged downlink
/// attached when its token is still in `tokens`. The correlation ids are then the ack's own
/// followed by those of the downlink it lacks (no duplicates), as The Things Stack keeps both.
pub fn tx_ack_from_publish(
    payload: &[u8],
    tokens: &mut DownlinkTokens<DownlinkMessage>,
) -> Result<TxAcknowledgment, TranslateError> {
    tx_ack_and_match(payload, tokens).map(|(ack, _)| ack)
}

/// [`tx_ack_from_publish`], also saying whether the ack matched a downlink in `tokens`.
pub(crate) fn tx_ack_and_match(
    payload: &[u8],
    tokens: &mut DownlinkTokens<DownlinkMessage>,
) -> Result<(TxAcknowledgment, bool), TranslateError> {
    let mut ack = decode_tx_ack(payload).map_err(payload_error)?;
    let Some((_, downlink)) = tokens.take_for_ack(&ack) else {
        return Ok((ack, false));
    };
    for id in &downlink.correlation_ids {
        if !ack.correlation_ids.contains(id) {
            ack.correlation_ids.push(id.clone());
        }
    }
    ack.downlink_message = Some(downlink);
    Ok((ack, true))
}

/// Prepares a downlink for `v3/{uid}/down`: remembers it in `tokens` (adding its
/// `gs:down:token:<n>` correlation id to what is published), encodes the `GatewayDown` into
/// `buf` and returns the topic. The settings must be scheduled (the gateway transmits as told).
pub fn downlink_publish(
    uid: &GatewayUid,
    message: &DownlinkMessage,
    tokens: &mut DownlinkTokens<DownlinkMessage>,
    buf: &mut Vec<u8>,
) -> Result<Topic, TranslateError> {
    if !matches!(
        message.settings,
        Some(loragw_ttnpb::downlink_message::Settings::Scheduled(_))
    ) {
        return Err(TranslateError::Missing("settings.scheduled"));
    }
    let mut published = message.clone();
    tokens.insert_downlink(&mut published, message.clone());
    buf.clear();
    encode_down(&gateway_down(published), buf);
    Ok(Topic::down(uid.clone()))
}
