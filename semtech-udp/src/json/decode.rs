//! Decoders for the four JSON bodies, on top of the shared JSON reader [`Lexer`].
//!
//! Unknown keys are skipped; `null` counts as absent; a wrong value makes its element (one
//! `rxpk`, the `stat`, the `txpk`, the `txpk_ack`) fail with "field: reason" while the reader
//! stays in step with the text.

use std::borrow::Cow;

use loragw_json_lex::{Bad, Fatal, Key, Lexer, key_code};

use super::ack::{AckValue, TxError, TxWarning, TxpkAck};
use super::base64;
use super::datr::{CodingRate, DataRate, Modulation};
use super::freq::Frequency;
use super::rxpk::{CrcStatus, MAX_RSIG, MAX_RXPK_DATA, Rsig, Rxpk};
use super::stat::{HardwareVersions, MAX_STAT_EXTRAS, Stat};
use super::time::Timestamp;
use super::txpk::{TxTiming, Txpk};

// Key codes (see `key_code`).
const K_TIME: u64 = key_code(b"time");
const K_TMMS: u64 = key_code(b"tmms");
const K_TMST: u64 = key_code(b"tmst");
const K_FTIME: u64 = key_code(b"ftime");
const K_FREQ: u64 = key_code(b"freq");
const K_CHAN: u64 = key_code(b"chan");
const K_RFCH: u64 = key_code(b"rfch");
const K_MID: u64 = key_code(b"mid");
const K_BRD: u64 = key_code(b"brd");
const K_ANT: u64 = key_code(b"ant");
const K_STAT: u64 = key_code(b"stat");
const K_MODU: u64 = key_code(b"modu");
const K_DATR: u64 = key_code(b"datr");
const K_CODR: u64 = key_code(b"codr");
const K_HPW: u64 = key_code(b"hpw");
const K_RSSI: u64 = key_code(b"rssi");
const K_RSSIS: u64 = key_code(b"rssis");
const K_LSNR: u64 = key_code(b"lsnr");
const K_FOFF: u64 = key_code(b"foff");
const K_AESK: u64 = key_code(b"aesk");
const K_DATA: u64 = key_code(b"data");
const K_RSIG: u64 = key_code(b"rsig");
const K_RSSIC: u64 = key_code(b"rssic");
const K_RSSISD: u64 = key_code(b"rssisd");
const K_ETIME: u64 = key_code(b"etime");
const K_FDRI: u64 = key_code(b"fdri");
const K_BOOT: u64 = key_code(b"boot");
const K_LATI: u64 = key_code(b"lati");
const K_LONG: u64 = key_code(b"long");
const K_ALTI: u64 = key_code(b"alti");
const K_RXNB: u64 = key_code(b"rxnb");
const K_RXOK: u64 = key_code(b"rxok");
const K_RXFW: u64 = key_code(b"rxfw");
const K_ACKR: u64 = key_code(b"ackr");
const K_DWNB: u64 = key_code(b"dwnb");
const K_TXNB: u64 = key_code(b"txnb");
const K_TEMP: u64 = key_code(b"temp");
const K_LPPS: u64 = key_code(b"lpps");
const K_LMNW: u64 = key_code(b"lmnw");
const K_LMST: u64 = key_code(b"lmst");
const K_LMOK: u64 = key_code(b"lmok");
const K_HAL: u64 = key_code(b"hal");
const K_FPGA: u64 = key_code(b"fpga");
const K_DSP: u64 = key_code(b"dsp");
const K_HVER: u64 = key_code(b"hver");
const K_PFRM: u64 = key_code(b"pfrm");
const K_MAIL: u64 = key_code(b"mail");
const K_DESC: u64 = key_code(b"desc");
const K_DSP0: u64 = key_code(b"dsp0");
const K_DSP1: u64 = key_code(b"dsp1");
const K_IMME: u64 = key_code(b"imme");
const K_POWE: u64 = key_code(b"powe");
const K_FDEV: u64 = key_code(b"fdev");
const K_IPOL: u64 = key_code(b"ipol");
const K_PREA: u64 = key_code(b"prea");
const K_NCRC: u64 = key_code(b"ncrc");
const K_NHDR: u64 = key_code(b"nhdr");
const K_ERROR: u64 = key_code(b"error");
const K_WARN: u64 = key_code(b"warn");
const K_VALUE: u64 = key_code(b"value");

/// Collects the first value error of one element.
#[derive(Default)]
struct Elem {
    error: Option<String>,
}

impl Elem {
    #[inline(always)]
    fn take<T>(&mut self, field: &str, r: Result<Option<T>, Bad>) -> Result<Option<T>, Fatal> {
        match r {
            Ok(v) => Ok(v),
            Err(bad) => self.bad(field, bad).map(|()| None),
        }
    }

    /// [`Self::take`] off its path: a fatal error passed on, a value error kept if first.
    #[cold]
    #[inline(never)]
    fn bad(&mut self, field: &str, bad: Bad) -> Result<(), Fatal> {
        match bad {
            Bad::Fatal(f) => Err(f),
            Bad::Value(m) => {
                if self.error.is_none() {
                    self.error = Some(format!("{field}: {m}"));
                }
                Ok(())
            }
        }
    }

    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(message);
        }
    }
}

fn bytes_then<'a, T>(
    lx: &mut Lexer<'a>,
    f: impl FnOnce(&[u8]) -> Result<T, String>,
) -> Result<Option<T>, Bad> {
    match lx.bytes()? {
        None => Ok(None),
        Some(s) => f(&s).map(Some).map_err(Bad::Value),
    }
}

fn time(lx: &mut Lexer<'_>) -> Result<Option<Timestamp>, Bad> {
    match expanded_time(lx) {
        Some(t) => Ok(Some(t)),
        None => time_not_expanded(lx),
    }
}

/// The quoted `"YYYY-MM-DD hh:mm:ss GMT"` of `stat`, consumed when it comes next.
#[inline(always)]
fn expanded_time(lx: &mut Lexer<'_>) -> Option<Timestamp> {
    let t = Timestamp::parse_quoted_expanded(lx.rest())?;
    lx.set_position(lx.position() + 25);
    Some(t)
}

/// [`time`] once [`expanded_time`] has not taken the value.
fn time_not_expanded(lx: &mut Lexer<'_>) -> Result<Option<Timestamp>, Bad> {
    if let Some(t) = Timestamp::parse_quoted_compact_micros(lx.rest()) {
        lx.set_position(lx.position() + 29);
        return Ok(Some(t));
    }
    time_general(lx)
}

/// [`time`] for any other layout (and errors).
#[inline(never)]
fn time_general(lx: &mut Lexer<'_>) -> Result<Option<Timestamp>, Bad> {
    bytes_then(lx, |s| {
        Timestamp::parse_bytes(s).map_err(|e| format!("time `{}`: {e}", String::from_utf8_lossy(s)))
    })
}

#[inline(always)]
fn bytes(lx: &mut Lexer<'_>) -> Result<Option<Vec<u8>>, Bad> {
    let Some(s) = lx.bytes()? else {
        return Ok(None);
    };
    base64::decode(&s).map(Some).map_err(shown)
}

#[inline(always)]
fn freq(lx: &mut Lexer<'_>) -> Result<Option<Frequency>, Bad> {
    // Fast path: plain decimal MHz with at most 6 decimals, scaled exactly to Hz.
    let save = lx.position();
    if let Some((false, m, frac)) = lx.plain_decimal()
        && frac <= 6
        && let Some(hz) = m.checked_mul(10u64.pow(6 - frac))
        && hz <= super::freq::MAX_FREQUENCY_HZ
    {
        return Ok(Some(Frequency::from_hz(hz)));
    }
    lx.set_position(save);
    freq_general(lx)
}

/// [`freq`] for any other number (and errors).
#[cold]
#[inline(never)]
fn freq_general(lx: &mut Lexer<'_>) -> Result<Option<Frequency>, Bad> {
    let Some(n) = lx.num()? else {
        return Ok(None);
    };
    n.to_scaled_micro(super::freq::MAX_FREQUENCY_HZ)
        .map(|hz| Some(Frequency::from_hz(hz)))
        .ok_or_else(|| Bad::Value(format!("frequency {} MHz out of range", n.show())))
}

#[inline(always)]
fn datr(lx: &mut Lexer<'_>) -> Result<Option<DataRate>, Bad> {
    if lx.peek() == Some(b'"') {
        return match lx.bytes()? {
            None => Ok(None),
            Some(s) => match DataRate::parse_bytes(&s) {
                Ok(d) => Ok(Some(d)),
                Err(e) => Err(shown(e)),
            },
        };
    }
    datr_fsk(lx)
}

/// A value error showing `e`, built out of line.
#[cold]
#[inline(never)]
fn shown(e: impl std::fmt::Display) -> Bad {
    Bad::Value(e.to_string())
}

/// [`datr`] as an FSK bit rate (a number), or null, or a wrong type.
#[inline(never)]
fn datr_fsk(lx: &mut Lexer<'_>) -> Result<Option<DataRate>, Bad> {
    match lx.uint::<u32>() {
        Ok(v) => Ok(v.map(|bit_rate| DataRate::Fsk { bit_rate })),
        Err(Bad::Value(m)) => Err(Bad::Value(format!("invalid FSK bit rate: {m}"))),
        Err(f) => Err(f),
    }
}

#[inline(always)]
fn modu(lx: &mut Lexer<'_>) -> Result<Option<Modulation>, Bad> {
    let Some(s) = lx.bytes()? else {
        return Ok(None);
    };
    match Modulation::from_wire_bytes(&s) {
        Some(m) => Ok(Some(m)),
        None => Err(unknown_modulation(&s)),
    }
}

#[cold]
#[inline(never)]
fn unknown_modulation(s: &[u8]) -> Bad {
    Bad::Value(format!(
        "unknown modulation `{}`",
        String::from_utf8_lossy(s)
    ))
}

#[inline(always)]
fn codr(lx: &mut Lexer<'_>) -> Result<Option<CodingRate>, Bad> {
    let Some(s) = lx.bytes()? else {
        return Ok(None);
    };
    match CodingRate::known(&s) {
        Some(c) => Ok(Some(c)),
        None => other_codr(s),
    }
}

/// A coding rate outside the known ones, kept as text.
#[cold]
#[inline(never)]
fn other_codr(s: Cow<'_, [u8]>) -> Result<Option<CodingRate>, Bad> {
    String::from_utf8(s.into_owned())
        .map(|t| Some(CodingRate::Other(t)))
        .map_err(|_| Bad::Value("invalid UTF-8".into()))
}

fn check_modu(e: &mut Elem, modu: Option<Modulation>, datr: Option<&DataRate>) {
    if let (Some(m), Some(d)) = (modu, datr)
        && m != d.modulation()
    {
        e.fail(format!(
            "modu: `{}` does not match datr `{d}`",
            m.wire_name()
        ));
    }
}

/// `rssi`: whole or fractional dBm within the 16-bit range forwarders use.
fn rssi(lx: &mut Lexer<'_>) -> Result<Option<f64>, Bad> {
    match lx.float()? {
        Some(v) if !(-32_768.0..=32_767.0).contains(&v) => {
            Err(Bad::Value(format!("rssi {v} out of range")))
        }
        v => Ok(v),
    }
}

fn required<T>(e: &mut Elem, name: &str, v: Option<T>) -> Option<T> {
    if v.is_none() {
        e.fail(format!("missing field `{name}`"));
    }
    v
}

fn rsig(lx: &mut Lexer<'_>) -> Result<Result<Rsig, String>, Fatal> {
    let mut e = Elem::default();
    let mut r = Rsig::default();
    if !e
        .take("rsig", lx.object_start().map(Some))?
        .unwrap_or(false)
    {
        return Ok(Err(e.error.unwrap_or_else(|| "null element".into())));
    }
    let mut first = true;
    while let Some(key) = lx.next_key(&mut first)? {
        match key.code {
            K_ANT => r.ant = e.take("ant", lx.uint())?,
            K_CHAN => r.chan = e.take("chan", lx.uint())?,
            K_RSSIC => r.rssic = e.take("rssic", lx.int())?,
            K_RSSIS => r.rssis = e.take("rssis", lx.int())?,
            K_RSSISD => r.rssisd = e.take("rssisd", lx.uint())?,
            K_LSNR => r.lsnr = e.take("lsnr", lx.float())?,
            K_ETIME => r.etime = e.take("etime", bytes(lx))?,
            K_FTIME => r.ftime = e.take("ftime", lx.uint())?,
            K_FOFF => r.foff = e.take("foff", lx.int())?,
            K_FDRI => r.fdri = e.take("fdri", lx.int())?,
            _ => {
                lx.skip_value()?;
            }
        }
    }
    Ok(e.error.map_or(Ok(r), Err))
}

/// One `rxpk` element, decoded in place at the end of `list` (no move of the finished
/// `Rxpk`): `Ok(Err(reason))` when the element is rejected (and not in `list`). After a
/// `Fatal` error the last element of `list` may be partly decoded; the caller discards the
/// whole datagram then.
pub(crate) fn rxpk(lx: &mut Lexer<'_>, list: &mut Vec<Rxpk>) -> Result<Result<(), String>, Fatal> {
    let mut e = Elem::default();
    if !e
        .take("rxpk", lx.object_start().map(Some))?
        .unwrap_or(false)
    {
        return Ok(Err(e.error.unwrap_or_else(|| "null element".into())));
    }
    list.push(Rxpk {
        time: None,
        tmms: None,
        tmst: 0,
        ftime: None,
        freq: Frequency::default(),
        chan: None,
        rfch: None,
        mid: None,
        brd: None,
        ant: None,
        stat: None,
        datr: DataRate::Fsk { bit_rate: 0 },
        codr: None,
        hpw: None,
        rssi: None,
        rssis: None,
        lsnr: None,
        foff: None,
        aesk: None,
        rsig: Vec::new(),
        data: Vec::new(),
    });
    let r = list.last_mut().expect("an element was just pushed");
    let (mut tmst, mut fr, mut dr, mut data, mut md) = (None, None, None, None, None);
    let mut first = true;
    while let Some(key) = lx.next_key(&mut first)? {
        match key.code {
            K_TIME => r.time = e.take("time", time(lx))?,
            K_TMMS => r.tmms = e.take("tmms", lx.uint())?,
            K_TMST => tmst = e.take("tmst", lx.uint())?,
            K_FTIME => r.ftime = e.take("ftime", lx.uint())?,
            K_FREQ => fr = e.take("freq", freq(lx))?,
            K_CHAN => r.chan = e.take("chan", lx.uint())?,
            K_RFCH => r.rfch = e.take("rfch", lx.uint())?,
            K_MID => r.mid = e.take("mid", lx.uint())?,
            K_BRD => r.brd = e.take("brd", lx.uint())?,
            K_ANT => r.ant = e.take("ant", lx.uint())?,
            K_STAT => {
                let v: Option<i8> = e.take("stat", lx.int())?;
                r.stat = match v {
                    None => None,
                    Some(1) => Some(CrcStatus::Ok),
                    Some(-1) => Some(CrcStatus::Fail),
                    Some(0) => Some(CrcStatus::NoCrc),
                    Some(other) => {
                        e.fail(format!("stat: invalid CRC status {other}"));
                        None
                    }
                };
            }
            K_MODU => md = e.take("modu", modu(lx))?,
            K_DATR => dr = e.take("datr", datr(lx))?,
            K_CODR => r.codr = e.take("codr", codr(lx))?,
            K_HPW => r.hpw = e.take("hpw", lx.uint())?,
            K_RSSI => r.rssi = e.take("rssi", rssi(lx))?,
            K_RSSIS => r.rssis = e.take("rssis", lx.int())?,
            K_LSNR => r.lsnr = e.take("lsnr", lx.float())?,
            K_FOFF => r.foff = e.take("foff", lx.int())?,
            K_AESK => r.aesk = e.take("aesk", lx.uint())?,
            K_DATA => data = e.take("data", bytes(lx))?,
            K_RSIG => {
                r.rsig.clear();
                if e.take("rsig", lx.array_start().map(Some))?.unwrap_or(false) {
                    let mut first = true;
                    let mut i = 0;
                    while lx.next_element(&mut first)? {
                        if i >= MAX_RSIG {
                            // Skipped unread: the element is rejected anyway.
                            lx.skip_value()?;
                            e.fail(format!("rsig: more than {MAX_RSIG} entries"));
                        } else {
                            match rsig(lx)? {
                                Ok(s) => r.rsig.push(s),
                                Err(m) => e.fail(format!("rsig[{i}].{m}")),
                            }
                        }
                        i += 1;
                    }
                }
            }
            _ => {
                lx.skip_value()?;
            }
        }
    }
    check_modu(&mut e, md, dr.as_ref());
    let tmst = required(&mut e, "tmst", tmst);
    let fr = required(&mut e, "freq", fr);
    let dr = required(&mut e, "datr", dr);
    let data = required(&mut e, "data", data);
    if fr.is_some_and(|f: Frequency| f.hz() == 0) {
        e.fail("freq: 0 Hz".into());
    }
    if let Some(p) = &data {
        if p.is_empty() {
            e.fail("data: empty".into());
        } else if p.len() > MAX_RXPK_DATA {
            e.fail(format!(
                "data: {} bytes, a LoRaWAN frame has at most {MAX_RXPK_DATA}",
                p.len()
            ));
        }
    }
    if let Some(err) = e.error {
        list.pop();
        return Ok(Err(err));
    }
    match (tmst, fr, dr, data) {
        (Some(t), Some(f), Some(d), Some(p)) => {
            r.tmst = t;
            r.freq = f;
            r.datr = d;
            r.data = p;
            Ok(Ok(()))
        }
        _ => {
            list.pop();
            Ok(Err("missing field".into()))
        }
    }
}

fn hver(lx: &mut Lexer<'_>) -> Result<Option<HardwareVersions>, Bad> {
    if !lx.object_start()? {
        return Ok(None);
    }
    let mut h = HardwareVersions::default();
    let mut e = Elem::default();
    let mut first = true;
    while let Some(key) = lx.next_key(&mut first)? {
        match key.code {
            K_FPGA => h.fpga = e.take("fpga", lx.uint())?,
            K_DSP0 => h.dsp0 = e.take("dsp0", lx.uint())?,
            K_DSP1 => h.dsp1 = e.take("dsp1", lx.uint())?,
            _ => {
                lx.skip_value()?;
            }
        }
    }
    match e.error {
        None => Ok(Some(h)),
        Some(m) => Err(Bad::Value(m)),
    }
}

fn owned(lx: &mut Lexer<'_>) -> Result<Option<String>, Bad> {
    Ok(lx.str()?.map(Cow::into_owned))
}

/// A float field: the plain form taken in line, anything else read by
/// [`Lexer::float_general`] through [`Elem::take`].
#[inline(always)]
fn float(lx: &mut Lexer<'_>, e: &mut Elem, field: &str) -> Result<Option<f64>, Fatal> {
    match lx.plain_float() {
        Some(v) => Ok(Some(v)),
        None => e.take(field, lx.float_general()),
    }
}

/// One known `stat` field, read into `s`: `false` (nothing consumed) for any other key.
#[inline(always)]
fn stat_field(lx: &mut Lexer<'_>, s: &mut Stat, e: &mut Elem, code: u64) -> Result<bool, Fatal> {
    match code {
        // The usual layout stored here in line, the rest read through `Elem::take`.
        K_TIME => {
            s.time = match expanded_time(lx) {
                Some(t) => Some(t),
                None => e.take("time", time_not_expanded(lx))?,
            }
        }
        K_BOOT => s.boot = e.take("boot", time(lx))?,
        K_LATI => s.lati = float(lx, e, "lati")?,
        K_LONG => s.long = float(lx, e, "long")?,
        K_ALTI => s.alti = e.take("alti", lx.int())?,
        K_RXNB => s.rxnb = e.take("rxnb", lx.uint())?,
        K_RXOK => s.rxok = e.take("rxok", lx.uint())?,
        K_RXFW => s.rxfw = e.take("rxfw", lx.uint())?,
        K_ACKR => s.ackr = float(lx, e, "ackr")?,
        K_DWNB => s.dwnb = e.take("dwnb", lx.uint())?,
        K_TXNB => s.txnb = e.take("txnb", lx.uint())?,
        K_TEMP => s.temp = float(lx, e, "temp")?,
        K_LPPS => s.lpps = e.take("lpps", lx.uint())?,
        K_LMNW => s.lmnw = e.take("lmnw", lx.uint())?,
        K_LMST => s.lmst = e.take("lmst", lx.uint())?,
        K_LMOK => s.lmok = e.take("lmok", lx.uint())?,
        K_HAL => s.hal = e.take("hal", owned(lx))?,
        K_FPGA => s.fpga = e.take("fpga", lx.uint())?,
        K_DSP => s.dsp = e.take("dsp", lx.uint())?,
        K_HVER => s.hver = e.take("hver", hver(lx))?,
        K_PFRM => s.pfrm = e.take("pfrm", owned(lx))?,
        K_MAIL => s.mail = e.take("mail", owned(lx))?,
        K_DESC => s.desc = e.take("desc", owned(lx))?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// When the object starts with the first of the given four-byte `stat` keys, reads it, then
/// each of the others that comes next, in this order (see [`Lexer::next_key_is`]); a key that
/// does not come next is passed over, and whatever is left is read by the general loop of
/// [`stat`]. The text is read in its own order either way.
macro_rules! stat_usual_order {
    ($lx:ident, $s:ident, $e:ident, $first:ident: $k0:ident, $($k:ident),*) => {
        if $lx.next_key_is(&mut $first, $k0) {
            stat_field($lx, $s, &mut $e, $k0)?;
            // A comma before every other key: a constant, so no flag is tested.
            let mut first = false;
            $(
                if $lx.next_key_is(&mut first, $k) {
                    stat_field($lx, $s, &mut $e, $k)?;
                }
            )*
        }
    };
}

/// The `stat` object: `Ok(Err(reason))` when it is rejected.
pub(crate) fn stat(lx: &mut Lexer<'_>, s: &mut Stat) -> Result<Result<(), String>, Fatal> {
    let mut e = Elem::default();
    if !e
        .take("stat", lx.object_start().map(Some))?
        .unwrap_or(false)
    {
        return Ok(Err(e.error.unwrap_or_else(|| "null".into())));
    }
    let mut first = true;
    // The order of the reference forwarder (`temp` from its SX1302 version on), each key one
    // 8-byte compare instead of a key read and a dispatch.
    stat_usual_order!(lx, s, e, first:
        K_TIME, K_LATI, K_LONG, K_ALTI, K_RXNB, K_RXOK, K_RXFW, K_ACKR, K_DWNB, K_TXNB, K_TEMP);
    while let Some(key) = lx.next_key(&mut first)? {
        stat_other_order(lx, s, &mut e, key)?;
    }
    Ok(e.error.map_or(Ok(()), Err))
}

/// One field of [`stat`] outside the usual order (any key, a vendor field kept in `extra`);
/// out of line, so that the usual order is read by a smaller function.
#[inline(never)]
fn stat_other_order(
    lx: &mut Lexer<'_>,
    s: &mut Stat,
    e: &mut Elem,
    key: Key<'_>,
) -> Result<(), Fatal> {
    if stat_field(lx, s, e, key.code)? {
        return Ok(());
    }
    let raw = lx.raw_value()?;
    let Ok(other) = String::from_utf8(key.bytes.into_owned()) else {
        return Ok(());
    };
    // A null says nothing; dropping it keeps encoding free of nulls.
    if raw != "null" && s.extra.len() < MAX_STAT_EXTRAS && !s.extra.iter().any(|(k, _)| *k == other)
    {
        s.extra.push((other, raw.to_owned()));
    }
    Ok(())
}

/// The `txpk` object.
pub(crate) fn txpk(lx: &mut Lexer<'_>) -> Result<Result<Txpk, String>, Fatal> {
    let mut e = Elem::default();
    if !e
        .take("txpk", lx.object_start().map(Some))?
        .unwrap_or(false)
    {
        return Ok(Err(e.error.unwrap_or_else(|| "null".into())));
    }
    let (mut imme, mut tmst, mut tmms, mut fr, mut dr, mut md, mut data) =
        (None, None, None, None, None, None, None);
    let mut t = Txpk {
        timing: TxTiming::Immediate,
        freq: Frequency::default(),
        rfch: 0,
        powe: None,
        ant: None,
        brd: None,
        datr: DataRate::Fsk { bit_rate: 0 },
        codr: None,
        fdev: None,
        ipol: None,
        prea: None,
        ncrc: None,
        nhdr: None,
        data: Vec::new(),
    };
    let mut first = true;
    while let Some(key) = lx.next_key(&mut first)? {
        match key.code {
            K_IMME => imme = e.take("imme", lx.boolean())?,
            K_TMST => tmst = e.take("tmst", lx.uint())?,
            K_TMMS => tmms = e.take("tmms", lx.uint())?,
            K_FREQ => fr = e.take("freq", freq(lx))?,
            K_RFCH => t.rfch = e.take("rfch", lx.uint())?.unwrap_or(0),
            K_POWE => t.powe = e.take("powe", lx.int())?,
            K_ANT => t.ant = e.take("ant", lx.uint())?,
            K_BRD => t.brd = e.take("brd", lx.uint())?,
            K_MODU => md = e.take("modu", modu(lx))?,
            K_DATR => dr = e.take("datr", datr(lx))?,
            K_CODR => t.codr = e.take("codr", codr(lx))?,
            K_FDEV => t.fdev = e.take("fdev", lx.uint())?,
            K_IPOL => t.ipol = e.take("ipol", lx.boolean())?,
            K_PREA => t.prea = e.take("prea", lx.uint())?,
            K_NCRC => t.ncrc = e.take("ncrc", lx.boolean())?,
            K_NHDR => t.nhdr = e.take("nhdr", lx.boolean())?,
            K_DATA => data = e.take("data", bytes(lx))?,
            _ => {
                lx.skip_value()?;
            }
        }
    }
    // Priority as in the reference forwarder: imme, then tmst, then tmms.
    t.timing = if imme == Some(true) {
        TxTiming::Immediate
    } else if let Some(v) = tmst {
        TxTiming::Timestamp(v)
    } else if let Some(v) = tmms {
        TxTiming::GpsTime(v)
    } else {
        e.fail("none of `imme`, `tmst`, `tmms` given".into());
        TxTiming::Immediate
    };
    check_modu(&mut e, md, dr.as_ref());
    let fr = required(&mut e, "freq", fr);
    let dr = required(&mut e, "datr", dr);
    let data = required(&mut e, "data", data);
    if let Some(err) = e.error {
        return Ok(Err(err));
    }
    match (fr, dr, data) {
        (Some(f), Some(d), Some(p)) => {
            t.freq = f;
            t.datr = d;
            t.data = p;
            Ok(Ok(t))
        }
        _ => Ok(Err("missing field".into())),
    }
}

fn ack_value(lx: &mut Lexer<'_>) -> Result<Option<AckValue>, Bad> {
    match lx.peek() {
        Some(b'"') => Ok(lx.str()?.map(|s| AckValue::Text(s.into_owned()))),
        Some(b'n') => {
            lx.null()?;
            Ok(None)
        }
        _ => {
            let Some(n) = lx.num()? else {
                return Ok(None);
            };
            Ok(Some(
                match n.to_i128().and_then(|v| i64::try_from(v).ok()) {
                    Some(v) => AckValue::Number(v),
                    None => AckValue::Text(n.show()),
                },
            ))
        }
    }
}

/// The `txpk_ack` object.
pub(crate) fn txpk_ack(lx: &mut Lexer<'_>) -> Result<Result<TxpkAck, String>, Fatal> {
    let mut e = Elem::default();
    if !e
        .take("txpk_ack", lx.object_start().map(Some))?
        .unwrap_or(false)
    {
        return Ok(match e.error {
            None => Ok(TxpkAck::default()),
            Some(m) => Err(m),
        });
    }
    let mut a = TxpkAck::default();
    let mut first = true;
    while let Some(key) = lx.next_key(&mut first)? {
        match key.code {
            K_ERROR => {
                a.error = e
                    .take("error", lx.str())?
                    .and_then(|s| TxError::from_wire(&s))
            }
            K_WARN => {
                a.warn = e
                    .take("warn", lx.str())?
                    .and_then(|s| TxWarning::from_wire(&s))
            }
            K_VALUE => a.value = e.take("value", ack_value(lx))?,
            _ => {
                lx.skip_value()?;
            }
        }
    }
    Ok(e.error.map_or(Ok(a), Err))
}
