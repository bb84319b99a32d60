//! The JSON bodies of PUSH_DATA (`rxpk`, `stat`), PULL_RESP (`txpk`) and TX_ACK (`txpk_ack`).
//!
//! Decoding is a single pass over the text with borrowed strings and no intermediate tree;
//! unknown fields are skipped, `null` counts as absent.
//! Encoding is hand-written: fields in the order of the protocol documents, unset optional
//! fields omitted (never `null`), integers as integers, frequencies with their exact decimals,
//! base64 padded.

mod ack;
mod base64;
mod datr;
mod decode;
mod freq;
mod rxpk;
mod stat;
mod time;
mod txpk;
mod write;

pub use ack::{AckValue, TxError, TxWarning, TxpkAck};
pub use datr::{Bandwidth, CodingRate, DataRate, DataRateError, Modulation};
pub use freq::{Frequency, MAX_FREQUENCY_HZ};
pub use rxpk::{CrcStatus, MAX_RSIG, MAX_RXPK_DATA, Rsig, Rxpk};

/// Most `rxpk` one PUSH_DATA may carry; the ones past it are dropped and reported once in
/// [`PushData::rejected`](crate::PushData::rejected). The SX1302 reference forwarder fetches
/// at most 255 packets per cycle (`NB_PKT_MAX`), so a real gateway never sends more.
pub const MAX_RXPK: usize = 255;
pub use stat::{HardwareVersions, MAX_STAT_EXTRAS, Stat};
pub use time::{TimeError, Timestamp};
pub use txpk::{TxTiming, Txpk};

use crate::error::{DecodeError, Element, ElementError, EncodeError};
use crate::header::PacketType;
use loragw_json_lex::{Bad, Fatal, Lexer};

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

fn json_error(packet_type: PacketType, message: String) -> DecodeError {
    DecodeError::Json {
        packet_type,
        message,
    }
}

fn fatal(packet_type: PacketType) -> impl Fn(Fatal) -> DecodeError {
    move |f| json_error(packet_type, f.0)
}

/// What a PUSH_DATA body decodes into: the fields of a [`PushData`](crate::PushData), lent by
/// the packet decoder.
pub(crate) struct PushBody<'a> {
    pub(crate) rxpk: &'a mut Vec<Rxpk>,
    pub(crate) stat: &'a mut Option<Box<Stat>>,
    pub(crate) rejected: &'a mut Vec<ElementError>,
}

/// Decodes a PUSH_DATA body in one pass; a rejected `rxpk` or `stat` is listed in
/// `out.rejected` and costs nothing else.
pub(crate) fn decode_push_body(body: &[u8], out: PushBody<'_>) -> Result<(), DecodeError> {
    let body = trim_body(body);
    if body.is_empty() {
        return Ok(());
    }
    let f = fatal(PacketType::PushData);
    let mut lx = Lexer::new(body);
    lx.begin_object().map_err(&f)?;
    let mut first = true;
    while let Some(key) = lx.next_key(&mut first).map_err(&f)? {
        match &*key.bytes {
            b"rxpk" => {
                out.rxpk.clear();
                // Sized once for the usual few hundred bytes per `rxpk` instead of growing
                // (and moving every decoded `rxpk`) at 4, 8, 16, ...
                out.rxpk.reserve((body.len() / 256 + 1).min(MAX_RXPK));
                match lx.array_start() {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(Bad::Fatal(e)) => return Err(f(e)),
                    Err(Bad::Value(m)) => {
                        return Err(json_error(PacketType::PushData, format!("rxpk: {m}")));
                    }
                }
                let mut first = true;
                let mut i = 0;
                while lx.next_element(&mut first).map_err(&f)? {
                    if i >= MAX_RXPK {
                        // Past the bound: skipped unread, reported once below.
                        lx.skip_value().map_err(&f)?;
                    } else {
                        match decode::rxpk(&mut lx, out.rxpk).map_err(&f)? {
                            Ok(()) => {}
                            Err(message) => out.rejected.push(ElementError {
                                element: Element::Rxpk(i),
                                message,
                            }),
                        }
                    }
                    i += 1;
                }
                if i > MAX_RXPK {
                    out.rejected.push(ElementError {
                        element: Element::Rxpk(MAX_RXPK),
                        message: format!(
                            "more than {MAX_RXPK} rxpk in one PUSH_DATA: the last {} dropped",
                            i - MAX_RXPK
                        ),
                    });
                }
            }
            b"stat" => {
                if lx.null().map_err(&f)? {
                    *out.stat = None;
                    continue;
                }
                let stat = out.stat.insert(Box::default());
                if let Err(message) = decode::stat(&mut lx, stat).map_err(&f)? {
                    *out.stat = None;
                    out.rejected.push(ElementError {
                        element: Element::Stat,
                        message,
                    });
                }
            }
            _ => {
                lx.skip_value().map_err(&f)?;
            }
        }
    }
    lx.finish().map_err(&f)?;
    Ok(())
}

/// Decodes a PULL_RESP body.
pub(crate) fn decode_pull_resp_body(body: &[u8]) -> Result<Txpk, DecodeError> {
    let body = trim_body(body);
    if body.is_empty() {
        return Err(DecodeError::MissingBody(PacketType::PullResp));
    }
    let f = fatal(PacketType::PullResp);
    let mut lx = Lexer::new(body);
    lx.begin_object().map_err(&f)?;
    let mut txpk = None;
    let mut first = true;
    while let Some(key) = lx.next_key(&mut first).map_err(&f)? {
        if *key.bytes == *b"txpk" {
            txpk = Some(decode::txpk(&mut lx).map_err(&f)?);
        } else {
            lx.skip_value().map_err(&f)?;
        }
    }
    lx.finish().map_err(&f)?;
    match txpk {
        Some(Ok(t)) => Ok(t),
        Some(Err(m)) => Err(json_error(PacketType::PullResp, format!("txpk: {m}"))),
        None => Err(json_error(
            PacketType::PullResp,
            "missing field `txpk`".into(),
        )),
    }
}

/// Decodes a TX_ACK body: nothing, NULs or whitespace mean success.
pub(crate) fn decode_tx_ack_body(body: &[u8]) -> Result<TxpkAck, DecodeError> {
    let body = trim_body(body);
    if body.is_empty() {
        return Ok(TxpkAck::default());
    }
    let f = fatal(PacketType::TxAck);
    let mut lx = Lexer::new(body);
    lx.begin_object().map_err(&f)?;
    let mut ack = TxpkAck::default();
    let mut first = true;
    while let Some(key) = lx.next_key(&mut first).map_err(&f)? {
        if *key.bytes == *b"txpk_ack" {
            ack = decode::txpk_ack(&mut lx)
                .map_err(&f)?
                .map_err(|m| json_error(PacketType::TxAck, format!("txpk_ack: {m}")))?;
        } else {
            lx.skip_value().map_err(&f)?;
        }
    }
    lx.finish().map_err(&f)?;
    Ok(ack)
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
