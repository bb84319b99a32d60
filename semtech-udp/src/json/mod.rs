//! The JSON bodies of PUSH_DATA (`rxpk`, `stat`), PULL_RESP (`txpk`) and TX_ACK (`txpk_ack`).
//!
//! Decoding uses serde with borrowed keys and no intermediate tree; unknown fields are skipped.
//! Encoding is hand-written: fields in the order of the protocol documents, unset optional
//! fields omitted (never `null`), integers as integers, frequencies with their exact decimals,
//! base64 padded.

mod ack;
mod base64;
mod datr;
mod freq;
mod rxpk;
mod stat;
mod time;
mod txpk;
mod write;

pub use ack::{AckValue, TxError, TxWarning, TxpkAck};
pub use datr::{Bandwidth, CodingRate, DataRate, DataRateError, Modulation};
pub use freq::{Frequency, MAX_FREQUENCY_HZ};
pub use rxpk::{CrcStatus, Rsig, Rxpk};
pub use stat::{HardwareVersions, MAX_STAT_EXTRAS, Stat};
pub use time::{TimeError, Timestamp};
pub use txpk::{TxTiming, Txpk};

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{DecodeError, Element, ElementError, EncodeError};
use crate::header::PacketType;

/// Trims what forwarders put around the JSON: a trailing NUL (C string terminator) and ASCII
/// whitespace.
pub(crate) fn trim_body(body: &[u8]) -> &[u8] {
    let is_pad = |b: &u8| *b == 0 || b.is_ascii_whitespace();
    let start = body.iter().position(|b| !is_pad(b)).unwrap_or(body.len());
    let end = body
        .iter()
        .rposition(|b| !is_pad(b))
        .map_or(start, |p| p + 1);
    &body[start..end]
}

fn json_error(packet_type: PacketType, e: serde_json::Error) -> DecodeError {
    DecodeError::Json {
        packet_type,
        message: e.to_string(),
    }
}

/// The decoded body of a PUSH_DATA.
#[derive(Debug, Default)]
pub(crate) struct PushBody {
    pub(crate) rxpk: Vec<Rxpk>,
    pub(crate) stat: Option<Stat>,
    pub(crate) errors: Vec<ElementError>,
}

#[derive(Deserialize)]
struct StrictPushBody {
    #[serde(default)]
    rxpk: Vec<Rxpk>,
    stat: Option<Stat>,
}

#[derive(Deserialize)]
struct LoosePushBody<'a> {
    #[serde(default, borrow)]
    rxpk: Vec<&'a RawValue>,
    #[serde(borrow)]
    stat: Option<&'a RawValue>,
}

/// Decodes a PUSH_DATA body. One pass when every element is valid; otherwise a second pass
/// decodes each `rxpk` and the `stat` on its own so that one bad element loses nothing else.
pub(crate) fn decode_push_body(body: &[u8]) -> Result<PushBody, DecodeError> {
    let body = trim_body(body);
    if body.is_empty() {
        return Ok(PushBody::default());
    }
    if let Ok(strict) = serde_json::from_slice::<StrictPushBody>(body) {
        return Ok(PushBody {
            rxpk: strict.rxpk,
            stat: strict.stat,
            errors: Vec::new(),
        });
    }
    let loose: LoosePushBody<'_> =
        serde_json::from_slice(body).map_err(|e| json_error(PacketType::PushData, e))?;
    let mut out = PushBody::default();
    for (i, raw) in loose.rxpk.iter().enumerate() {
        match serde_json::from_str::<Rxpk>(raw.get()) {
            Ok(r) => out.rxpk.push(r),
            Err(e) => out.errors.push(ElementError {
                element: Element::Rxpk(i),
                message: e.to_string(),
            }),
        }
    }
    if let Some(raw) = loose.stat {
        match serde_json::from_str::<Stat>(raw.get()) {
            Ok(s) => out.stat = Some(s),
            Err(e) => out.errors.push(ElementError {
                element: Element::Stat,
                message: e.to_string(),
            }),
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
struct PullRespBody {
    txpk: Txpk,
}

/// Decodes a PULL_RESP body.
pub(crate) fn decode_pull_resp_body(body: &[u8]) -> Result<Txpk, DecodeError> {
    let body = trim_body(body);
    if body.is_empty() {
        return Err(DecodeError::MissingBody(PacketType::PullResp));
    }
    serde_json::from_slice::<PullRespBody>(body)
        .map(|b| b.txpk)
        .map_err(|e| json_error(PacketType::PullResp, e))
}

#[derive(Deserialize)]
struct TxAckBody {
    #[serde(default)]
    txpk_ack: Option<TxpkAck>,
}

/// Decodes a TX_ACK body: nothing, NULs or whitespace mean success.
pub(crate) fn decode_tx_ack_body(body: &[u8]) -> Result<TxpkAck, DecodeError> {
    let body = trim_body(body);
    if body.is_empty() {
        return Ok(TxpkAck::default());
    }
    serde_json::from_slice::<TxAckBody>(body)
        .map(|b| b.txpk_ack.unwrap_or_default())
        .map_err(|e| json_error(PacketType::TxAck, e))
}

/// Appends a PUSH_DATA body. Writes nothing when there is neither `rxpk` nor `stat`.
pub(crate) fn encode_push_body(
    rxpk: &[Rxpk],
    stat: Option<&Stat>,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    if rxpk.is_empty() && stat.is_none() {
        return Ok(());
    }
    out.push(b'{');
    if !rxpk.is_empty() {
        out.extend_from_slice(b"\"rxpk\":[");
        for (i, r) in rxpk.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            r.write_json(out)?;
        }
        out.push(b']');
    }
    if let Some(s) = stat {
        if !rxpk.is_empty() {
            out.push(b',');
        }
        out.extend_from_slice(b"\"stat\":");
        s.write_json(out)?;
    }
    out.push(b'}');
    Ok(())
}

/// Appends a PULL_RESP body.
pub(crate) fn encode_pull_resp_body(txpk: &Txpk, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    out.extend_from_slice(b"{\"txpk\":");
    txpk.write_json(out)?;
    out.push(b'}');
    Ok(())
}

/// Appends a TX_ACK body; nothing for a plain success, as the reference forwarder does.
pub(crate) fn encode_tx_ack_body(ack: &TxpkAck, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if ack.is_plain_success() {
        return Ok(());
    }
    out.extend_from_slice(b"{\"txpk_ack\":");
    ack.write_json(out)?;
    out.push(b'}');
    Ok(())
}
