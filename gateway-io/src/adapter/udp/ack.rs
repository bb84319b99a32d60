//! `txpk_ack` ↔ `TxAcknowledgment`.

use loragw_semtech_udp::{TxError, TxpkAck};
use loragw_ttnpb::TxAcknowledgment;
use loragw_ttnpb::tx_acknowledgment::Result as TxResult;

/// The `TxAcknowledgment` of a `txpk_ack`: every error code maps 1:1, unknown codes to
/// `UNKNOWN_ERROR`; no error (with or without a `warn`, such as the sx1302 forwarder's
/// `TX_POWER` adjustment) is `SUCCESS`. The caller adds the downlink's correlation ids and
/// message once it has matched the token.
pub fn txpk_ack_to_tx_ack(ack: &TxpkAck) -> TxAcknowledgment {
    let result = match &ack.error {
        None => TxResult::Success,
        Some(TxError::TooLate) => TxResult::TooLate,
        Some(TxError::TooEarly) => TxResult::TooEarly,
        Some(TxError::CollisionPacket) => TxResult::CollisionPacket,
        Some(TxError::CollisionBeacon) => TxResult::CollisionBeacon,
        Some(TxError::TxFreq) => TxResult::TxFreq,
        Some(TxError::TxPower) => TxResult::TxPower,
        Some(TxError::GpsUnlocked) => TxResult::GpsUnlocked,
        Some(_) => TxResult::UnknownError,
    };
    TxAcknowledgment {
        result: result as i32,
        ..Default::default()
    }
}

/// The `txpk_ack` a packet forwarder would send for `ack` (gateway side). `UNKNOWN_ERROR` (and
/// values this crate does not know) become `error: "UNKNOWN"`.
pub fn tx_ack_to_txpk_ack(ack: &TxAcknowledgment) -> TxpkAck {
    let error = match ack.result() {
        TxResult::Success => return TxpkAck::success(),
        TxResult::TooLate => TxError::TooLate,
        TxResult::TooEarly => TxError::TooEarly,
        TxResult::CollisionPacket => TxError::CollisionPacket,
        TxResult::CollisionBeacon => TxError::CollisionBeacon,
        TxResult::TxFreq => TxError::TxFreq,
        TxResult::TxPower => TxError::TxPower,
        TxResult::GpsUnlocked => TxError::GpsUnlocked,
        TxResult::UnknownError => TxError::Other("UNKNOWN".into()),
    };
    TxpkAck::rejected(error)
}
