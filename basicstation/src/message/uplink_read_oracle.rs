// Included from `uplink_read.rs` under `#[cfg(test)]`; the attribute is repeated here so the CI
// clock check (which scans each file up to its first `#[cfg(test)]`) sees a test file.
#[cfg(test)]
use super::*;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde::Deserialize;
use serde::de::Deserializer;

use crate::json::{self, IntVisitor};

// ---------------------------------------------------------------------------------------------
// The oracle: the serde-derived decoding the readers replaced, kept as it was (only the
// `fts`/`rssi` helpers live here now; the others are still used by other messages).

fn old_fts<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = d.deserialize_any(IntVisitor {
        min: i64::MIN,
        max: i64::MAX,
        lenient_float: false,
        what: "fts",
    })?;
    Ok((v >= 0).then_some(v))
}

fn old_lenient_i32<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let v = d.deserialize_any(IntVisitor {
        min: i64::from(i32::MIN),
        max: i64::from(i32::MAX),
        lenient_float: true,
        what: "a 32-bit integer",
    })?;
    Ok(i32::try_from(v).unwrap_or_default())
}

#[derive(Debug, Deserialize, Default)]
struct OldUpInfo {
    #[serde(default)]
    rctx: i64,
    #[serde(default)]
    xtime: i64,
    #[serde(default, deserialize_with = "json::gpstime")]
    gpstime: Option<i64>,
    #[serde(default, deserialize_with = "old_fts")]
    fts: Option<i64>,
    #[serde(default, deserialize_with = "old_lenient_i32")]
    rssi: i32,
    #[serde(default)]
    snr: f64,
    #[serde(default)]
    rxtime: f64,
}

impl From<OldUpInfo> for UpInfo {
    fn from(o: OldUpInfo) -> Self {
        UpInfo {
            rctx: o.rctx,
            xtime: o.xtime,
            gpstime: o.gpstime,
            fts: o.fts,
            rssi: o.rssi,
            snr: o.snr,
            rxtime: o.rxtime,
        }
    }
}

#[derive(Debug, Deserialize)]
struct OldUpdf {
    #[serde(rename = "MHdr")]
    mhdr: u8,
    #[serde(rename = "DevAddr", deserialize_with = "json::signed_u32")]
    dev_addr: u32,
    #[serde(rename = "FCtrl")]
    fctrl: u8,
    #[serde(rename = "FCnt", alias = "Fcnt")]
    fcnt: u16,
    #[serde(rename = "FOpts", default, deserialize_with = "json::hex_or_null")]
    fopts: Vec<u8>,
    #[serde(rename = "FPort", default, deserialize_with = "json::fport")]
    fport: Option<u8>,
    #[serde(rename = "FRMPayload", default, deserialize_with = "json::hex_or_null")]
    frm_payload: Vec<u8>,
    #[serde(rename = "MIC", deserialize_with = "json::signed_u32")]
    mic: u32,
    #[serde(rename = "RefTime", default, deserialize_with = "json::ref_time")]
    ref_time: Option<f64>,
    #[serde(rename = "DR")]
    dr: u8,
    #[serde(rename = "Freq")]
    freq: u32,
    #[serde(default)]
    upinfo: OldUpInfo,
}

#[derive(Debug, Deserialize)]
struct OldJoinRequest {
    #[serde(rename = "MHdr")]
    mhdr: u8,
    #[serde(rename = "JoinEui", alias = "JoinEUI")]
    join_eui: Eui64,
    #[serde(rename = "DevEui", alias = "DevEUI")]
    dev_eui: Eui64,
    #[serde(rename = "DevNonce")]
    dev_nonce: u16,
    #[serde(rename = "MIC", deserialize_with = "json::signed_u32")]
    mic: u32,
    #[serde(rename = "RefTime", default, deserialize_with = "json::ref_time")]
    ref_time: Option<f64>,
    #[serde(rename = "DR")]
    dr: u8,
    #[serde(rename = "Freq")]
    freq: u32,
    #[serde(default)]
    upinfo: OldUpInfo,
}

#[derive(Debug, Deserialize)]
struct OldPropdf {
    #[serde(rename = "FRMPayload", deserialize_with = "json::hex")]
    frm_payload: Vec<u8>,
    #[serde(rename = "RefTime", default, deserialize_with = "json::ref_time")]
    ref_time: Option<f64>,
    #[serde(rename = "DR")]
    dr: u8,
    #[serde(rename = "Freq")]
    freq: u32,
    #[serde(default)]
    upinfo: OldUpInfo,
}

fn oracle_updf(text: &str) -> Option<Updf> {
    let o: OldUpdf = serde_json::from_str(text).ok()?;
    Some(Updf {
        mhdr: o.mhdr,
        dev_addr: o.dev_addr,
        fctrl: o.fctrl,
        fcnt: o.fcnt,
        fopts: o.fopts,
        fport: o.fport,
        frm_payload: o.frm_payload,
        mic: o.mic,
        ref_time: o.ref_time,
        dr: o.dr,
        freq: o.freq,
        upinfo: o.upinfo.into(),
    })
}

fn oracle_jreq(text: &str) -> Option<JoinRequest> {
    let o: OldJoinRequest = serde_json::from_str(text).ok()?;
    Some(JoinRequest {
        mhdr: o.mhdr,
        join_eui: o.join_eui,
        dev_eui: o.dev_eui,
        dev_nonce: o.dev_nonce,
        mic: o.mic,
        ref_time: o.ref_time,
        dr: o.dr,
        freq: o.freq,
        upinfo: o.upinfo.into(),
    })
}

fn oracle_propdf(text: &str) -> Option<Propdf> {
    let o: OldPropdf = serde_json::from_str(text).ok()?;
    Some(Propdf {
        frm_payload: o.frm_payload,
        ref_time: o.ref_time,
        dr: o.dr,
        freq: o.freq,
        upinfo: o.upinfo.into(),
    })
}

/// Both decoders give the same value (compared through `Debug`, so `-0.0` differs from `0.0`)
/// or both refuse the text; returns whether the text decoded.
fn agree<T: std::fmt::Debug>(
    text: &str,
    new: Result<T, DecodeError>,
    old: Option<T>,
) -> Result<bool, TestCaseError> {
    match (new, old) {
        (Ok(n), Some(o)) => {
            prop_assert_eq!(format!("{n:?}"), format!("{o:?}"), "text: {}", text);
            Ok(true)
        }
        (Err(_), None) => Ok(false),
        (Ok(n), None) => Err(TestCaseError::fail(format!(
            "new reader accepts what serde refused: {text}\n-> {n:?}"
        ))),
        (Err(e), Some(o)) => Err(TestCaseError::fail(format!(
            "new reader refuses what serde accepted: {text}\n{e}\nserde: {o:?}"
        ))),
    }
}

pub(super) fn check_updf(text: &str) -> Result<bool, TestCaseError> {
    agree(text, read_updf("updf", text), oracle_updf(text))
}

pub(super) fn check_jreq(text: &str) -> Result<bool, TestCaseError> {
    agree(text, read_join_request("jreq", text), oracle_jreq(text))
}

pub(super) fn check_propdf(text: &str) -> Result<bool, TestCaseError> {
    agree(text, read_propdf("propdf", text), oracle_propdf(text))
}
