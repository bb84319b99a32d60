//! Readers for the radio uplinks (`updf`/`dndf`, `jreq`/`rejoin`, `propdf`/`jacc`) over the
//! pull reader of `loragw-json-lex`: one walk over the message object, one reader of the fields
//! all three end with (`RefTime`, `DR`, `Freq`, `upinfo`), typed value readers below.
//!
//! They accept exactly the language the serde-derived decoding of these messages accepted
//! (`uplink_read_tests.rs` keeps that decoding as an oracle and compares the two on generated
//! texts): numbers are integers or floats as serde_json classifies them (`5.0`, `5e0` and `-0`
//! are floats, refused by integer fields except `rssi`, which rounds floats); keys are matched
//! case-sensitively after unescaping, with the aliases `Fcnt`, `JoinEUI`, `DevEUI`; a known key
//! given twice is refused; unknown keys are skipped whatever their value (see
//! [`Lexer::ignore_value`]); `upinfo` may also be an array of its fields in order, as a derived
//! `Deserialize` allowed.

use loragw_json_lex::{Bad, Fatal, Key, Lexer, key_code};

use super::uplink::{JoinRequest, Propdf, UpInfo, Updf};
use crate::error::DecodeError;
use crate::eui::Eui64;
use crate::json::decode_hex;

/// Why a read failed; turned into a [`DecodeError::Json`] naming the field.
enum Fail {
    /// Not JSON.
    Syntax(String),
    /// A field's value or presence.
    Field(&'static str, String),
}

impl From<Fatal> for Fail {
    #[cold]
    fn from(f: Fatal) -> Self {
        Fail::Syntax(f.0)
    }
}

impl Fail {
    #[cold]
    fn from_bad(b: Bad, field: &'static str) -> Self {
        match b {
            Bad::Fatal(f) => f.into(),
            Bad::Value(reason) => Fail::Field(field, reason),
        }
    }

    #[cold]
    fn into_error(self, msgtype: &'static str) -> DecodeError {
        let detail = match self {
            Fail::Syntax(detail) => detail,
            Fail::Field(field, reason) => format!("{field}: {reason}"),
        };
        DecodeError::Json { msgtype, detail }
    }
}

/// The value read for a field that must not be set yet (serde's "duplicate field").
#[inline]
fn put<T>(slot: &mut Option<T>, field: &'static str, v: T) -> Result<(), Fail> {
    if slot.is_some() {
        return Err(duplicate(field));
    }
    *slot = Some(v);
    Ok(())
}

#[cold]
fn duplicate(field: &'static str) -> Fail {
    Fail::Field(field, format!("duplicate field `{field}`"))
}

/// A required field's value.
#[inline]
fn required<T>(slot: Option<T>, field: &'static str) -> Result<T, Fail> {
    slot.ok_or_else(|| missing(field))
}

#[cold]
fn missing(field: &'static str) -> Fail {
    Fail::Field(field, format!("missing field `{field}`"))
}

/// The error for a value of the wrong JSON type (not consumed: every error ends the read).
#[cold]
#[inline(never)]
fn wrong_type(lx: &mut Lexer<'_>, field: &'static str, expected: &str) -> Fail {
    let found = match lx.peek() {
        Some(b'"') => "string",
        Some(b'{') => "map",
        Some(b'[') => "sequence",
        Some(b't' | b'f') => "boolean",
        Some(b'n') => "null",
        _ => return Fail::Syntax(format!("expected a value at byte {}", lx.position())),
    };
    Fail::Field(field, format!("invalid type: {found}, expected {expected}"))
}

/// A JSON number as serde_json classifies it: an integer when written without fraction or
/// exponent, not `-0`, and within `i64::MIN..=u64::MAX`; a float otherwise.
enum Number {
    Int(i128),
    Float(f64),
}

/// The number at the reader, or an error naming `field` for any other value.
#[inline(always)]
fn number(lx: &mut Lexer<'_>, field: &'static str, expected: &str) -> Result<Number, Fail> {
    let save = lx.position();
    match lx.plain_decimal() {
        // At most 19 digits: within u64.
        Some((neg, m, 0)) if !(neg && m == 0) => {
            let m = i128::from(m);
            Ok(Number::Int(if neg { -m } else { m }))
        }
        Some(_) => {
            lx.set_position(save);
            number_slow(lx, field, expected)
        }
        None => number_slow(lx, field, expected),
    }
}

/// [`number`] for whitespace first, fractions, exponents, long digit runs and other types.
#[cold]
#[inline(never)]
fn number_slow(lx: &mut Lexer<'_>, field: &'static str, expected: &str) -> Result<Number, Fail> {
    if !matches!(lx.peek(), Some(b'-' | b'0'..=b'9')) {
        return Err(wrong_type(lx, field, expected));
    }
    let n = lx.number()?;
    let integral = n.text != b"-0" && !n.text.iter().any(|b| matches!(b, b'.' | b'e' | b'E'));
    if integral
        && let Some(v) = n
            .to_i128()
            .filter(|v| (i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(v))
    {
        return Ok(Number::Int(v));
    }
    n.to_f64()
        .map(Number::Float)
        .ok_or_else(|| Fail::Field(field, format!("number `{}` out of range", n.show())))
}

/// An integer field of type `T` (`expected` names it for errors, as serde did: `u8`, ...).
#[inline(always)]
fn int<T: TryFrom<i128>>(
    lx: &mut Lexer<'_>,
    field: &'static str,
    expected: &'static str,
) -> Result<T, Fail> {
    match number(lx, field, expected)? {
        Number::Int(v) => T::try_from(v).map_err(|_| out_of_range(field, v, expected)),
        Number::Float(f) => Err(float_for_int(field, f, expected)),
    }
}

#[cold]
fn out_of_range(field: &'static str, v: i128, expected: &str) -> Fail {
    Fail::Field(
        field,
        format!("invalid value: integer `{v}`, expected {expected}"),
    )
}

#[cold]
fn float_for_int(field: &'static str, f: f64, expected: &str) -> Fail {
    Fail::Field(
        field,
        format!("invalid type: floating point `{f}`, expected {expected}"),
    )
}

/// `DevAddr`/`MIC`: a signed or unsigned 32-bit integer, kept as its bit pattern.
#[inline]
fn signed_u32(lx: &mut Lexer<'_>, field: &'static str) -> Result<u32, Fail> {
    const EXPECTED: &str = "a 32-bit integer in -2147483648..=4294967295";
    let v: i64 = int(lx, field, EXPECTED)?;
    u32::try_from(v)
        .or_else(|_| i32::try_from(v).map(i32::cast_unsigned))
        .map_err(|_| out_of_range(field, i128::from(v), EXPECTED))
}

/// `FPort`: -1 means no port.
#[inline]
fn fport(lx: &mut Lexer<'_>) -> Result<Option<u8>, Fail> {
    const EXPECTED: &str = "FPort in -1..=255";
    match int::<i16>(lx, "FPort", EXPECTED)? {
        -1 => Ok(None),
        v => u8::try_from(v)
            .map(Some)
            .map_err(|_| out_of_range("FPort", i128::from(v), EXPECTED)),
    }
}

/// A float field; `None` for null.
#[inline(always)]
fn float(lx: &mut Lexer<'_>, field: &'static str) -> Result<Option<f64>, Fail> {
    lx.float().map_err(|b| Fail::from_bad(b, field))
}

/// A float field that may not be null.
#[inline(always)]
fn float_required(lx: &mut Lexer<'_>, field: &'static str) -> Result<f64, Fail> {
    match float(lx, field)? {
        Some(v) => Ok(v),
        None => Err(Fail::Field(
            field,
            "invalid type: null, expected f64".into(),
        )),
    }
}

/// `RefTime`: 0 or null means the station never received a MuxTime.
#[inline]
fn ref_time(lx: &mut Lexer<'_>) -> Result<Option<f64>, Fail> {
    Ok(float(lx, "RefTime")?.filter(|&v| v != 0.0))
}

/// A hex string field; `null` gives no bytes when `nullable`.
#[inline]
fn hex(lx: &mut Lexer<'_>, field: &'static str, nullable: bool) -> Result<Vec<u8>, Fail> {
    match lx.bytes() {
        Ok(Some(b)) => decode_hex(&b).map_err(|e| Fail::Field(field, e.into())),
        Ok(None) if nullable => Ok(Vec::new()),
        Ok(None) => Err(Fail::Field(
            field,
            "invalid type: null, expected a hex string".into(),
        )),
        Err(b) => Err(Fail::from_bad(b, field)),
    }
}

/// An EUI in any form [`Eui64::parse`] takes, or a non-negative integer.
fn eui(lx: &mut Lexer<'_>, field: &'static str) -> Result<Eui64, Fail> {
    const EXPECTED: &str = "an EUI string (dashed, colon, hex or ID6) or a non-negative integer";
    if lx.peek() == Some(b'"') {
        let text = lx.string()?;
        return Eui64::parse(&text).map_err(|e| Fail::Field(field, e.to_string()));
    }
    match number(lx, field, EXPECTED)? {
        Number::Int(v) => u64::try_from(v)
            .map(Eui64)
            .map_err(|_| Fail::Field(field, "negative EUI integer".into())),
        Number::Float(f) => Err(float_for_int(field, f, EXPECTED)),
    }
}

/// The `upinfo` keys, in the order of [`UpInfo`]'s fields (and of its array form).
const UPINFO_KEYS: [&str; 7] = ["rctx", "xtime", "gpstime", "fts", "rssi", "snr", "rxtime"];

/// The `upinfo` fields read so far (`Some` once given, for the duplicate check).
#[derive(Default)]
struct UpInfoSlots {
    rctx: Option<i64>,
    xtime: Option<i64>,
    gpstime: Option<Option<i64>>,
    fts: Option<Option<i64>>,
    rssi: Option<i32>,
    snr: Option<f64>,
    rxtime: Option<f64>,
}

impl UpInfoSlots {
    /// Reads field `i` of [`UPINFO_KEYS`].
    #[inline(always)]
    fn read(&mut self, lx: &mut Lexer<'_>, i: usize) -> Result<(), Fail> {
        let name = UPINFO_KEYS[i];
        match i {
            0 => put(&mut self.rctx, name, int(lx, name, "i64")?),
            1 => put(&mut self.xtime, name, int(lx, name, "i64")?),
            // 0 (or null) means no GPS time.
            2 => {
                let v = if lx.null()? {
                    None
                } else {
                    Some(int::<i64>(lx, name, "i64")?)
                };
                put(&mut self.gpstime, name, v.filter(|&v| v != 0))
            }
            // Any negative value means no fine timestamp.
            3 => {
                let v: i64 = int(lx, name, "fts in i64")?;
                put(&mut self.fts, name, (v >= 0).then_some(v))
            }
            4 => put(&mut self.rssi, name, rssi(lx)?),
            5 => put(&mut self.snr, name, float_required(lx, name)?),
            _ => put(&mut self.rxtime, name, float_required(lx, name)?),
        }
    }

    fn finish(self) -> UpInfo {
        UpInfo {
            rctx: self.rctx.unwrap_or_default(),
            xtime: self.xtime.unwrap_or_default(),
            gpstime: self.gpstime.flatten(),
            fts: self.fts.flatten(),
            rssi: self.rssi.unwrap_or_default(),
            snr: self.snr.unwrap_or_default(),
            rxtime: self.rxtime.unwrap_or_default(),
        }
    }
}

/// `rssi`: an integer, or a float rounded to one (other peers send `-50.0`).
#[inline]
fn rssi(lx: &mut Lexer<'_>) -> Result<i32, Fail> {
    const EXPECTED: &str = "a 32-bit integer";
    match number(lx, "rssi", EXPECTED)? {
        Number::Int(v) => i32::try_from(v).map_err(|_| out_of_range("rssi", v, EXPECTED)),
        Number::Float(f) => {
            let in_range = f >= f64::from(i32::MIN) && f <= f64::from(i32::MAX);
            #[allow(clippy::cast_possible_truncation)] // in i32's range, checked above
            in_range
                .then(|| f.round() as i32)
                .ok_or_else(|| float_for_int("rssi", f, EXPECTED))
        }
    }
}

const K_RCTX: u64 = key_code(b"rctx");
const K_XTIME: u64 = key_code(b"xtime");
const K_GPSTIME: u64 = key_code(b"gpstime");
const K_FTS: u64 = key_code(b"fts");
const K_RSSI: u64 = key_code(b"rssi");
const K_SNR: u64 = key_code(b"snr");
const K_RXTIME: u64 = key_code(b"rxtime");

/// The `upinfo` object (or its array form: the fields in order, trailing ones defaulted).
fn upinfo(lx: &mut Lexer<'_>) -> Result<UpInfo, Fail> {
    let mut slots = UpInfoSlots::default();
    let mut first = true;
    match lx.peek() {
        Some(b'{') => {
            lx.begin_object()?;
            while let Some(key) = lx.next_key(&mut first)? {
                let i = match key.code {
                    K_RCTX => 0,
                    K_XTIME => 1,
                    K_GPSTIME => 2,
                    K_FTS => 3,
                    K_RSSI => 4,
                    K_SNR => 5,
                    K_RXTIME => 6,
                    _ => {
                        lx.ignore_value()?;
                        continue;
                    }
                };
                slots.read(lx, i)?;
            }
        }
        Some(b'[') => {
            lx.set_position(lx.position() + 1);
            let mut n = 0;
            while lx.next_element(&mut first)? {
                if n == UPINFO_KEYS.len() {
                    return Err(Fail::Field(
                        "upinfo",
                        "invalid length: more than 7 elements".into(),
                    ));
                }
                slots.read(lx, n)?;
                n += 1;
            }
        }
        _ => return Err(wrong_type(lx, "upinfo", "struct UpInfo")),
    }
    Ok(slots.finish())
}

/// The fields all three uplinks end with.
#[derive(Default)]
struct Tail {
    ref_time: Option<Option<f64>>,
    dr: Option<u8>,
    freq: Option<u32>,
    upinfo: Option<UpInfo>,
}

const K_REFTIME: u64 = key_code(b"RefTime");
const K_DR: u64 = key_code(b"DR");
const K_FREQ: u64 = key_code(b"Freq");
const K_UPINFO: u64 = key_code(b"upinfo");

/// The shared tail once the object is read: `RefTime` (0, null or absent: `None`), `DR`,
/// `Freq` (required) and `upinfo` (default when absent).
struct TailValues {
    ref_time: Option<f64>,
    dr: u8,
    freq: u32,
    upinfo: UpInfo,
}

/// Walks the message object in `text`: `own` reads the message's own keys (returning `false`
/// for a key it does not know), the tail keys are read here, other keys are skipped; only
/// whitespace may follow the object.
#[inline(always)]
fn walk<'a>(
    text: &'a str,
    mut own: impl FnMut(&mut Lexer<'a>, &Key<'a>) -> Result<bool, Fail>,
) -> Result<TailValues, Fail> {
    let mut lx = Lexer::new(text.as_bytes());
    lx.begin_object()?;
    let mut tail = Tail::default();
    let mut first = true;
    while let Some(key) = lx.next_key(&mut first)? {
        if own(&mut lx, &key)? {
            continue;
        }
        match key.code {
            K_REFTIME => put(&mut tail.ref_time, "RefTime", ref_time(&mut lx)?)?,
            K_DR => put(&mut tail.dr, "DR", int(&mut lx, "DR", "u8")?)?,
            K_FREQ => put(&mut tail.freq, "Freq", int(&mut lx, "Freq", "u32")?)?,
            K_UPINFO => put(&mut tail.upinfo, "upinfo", upinfo(&mut lx)?)?,
            // `msgtype` (already known) and keys of other peers.
            _ => lx.ignore_value()?,
        }
    }
    lx.finish()?;
    Ok(TailValues {
        ref_time: tail.ref_time.flatten(),
        dr: required(tail.dr, "DR")?,
        freq: required(tail.freq, "Freq")?,
        upinfo: tail.upinfo.unwrap_or_default(),
    })
}

const K_MHDR: u64 = key_code(b"MHdr");
const K_DEVADDR: u64 = key_code(b"DevAddr");
const K_FCTRL: u64 = key_code(b"FCtrl");
const K_FCNT: u64 = key_code(b"FCnt");
const K_FCNT_TTS: u64 = key_code(b"Fcnt");
const K_FOPTS: u64 = key_code(b"FOpts");
const K_FPORT: u64 = key_code(b"FPort");
const K_MIC: u64 = key_code(b"MIC");
/// [`key_code`] of every key longer than eight bytes (`FRMPayload`): compare the bytes.
const K_LONG: u64 = key_code(b"longer than eight");

/// Whether `key` is `FRMPayload`.
#[inline]
fn is_frm_payload(key: &Key<'_>) -> bool {
    key.code == K_LONG && &*key.bytes == b"FRMPayload"
}

/// Reads an `updf` (or `dndf`) text.
pub(crate) fn read_updf(msgtype: &'static str, text: &str) -> Result<Updf, DecodeError> {
    updf(text).map_err(|f| f.into_error(msgtype))
}

fn updf(text: &str) -> Result<Updf, Fail> {
    let (mut mhdr, mut dev_addr, mut fctrl, mut fcnt) = (None, None, None, None);
    let (mut fopts, mut port, mut payload, mut mic) = (None, None, None, None);
    let tail = walk(text, |lx, key| {
        match key.code {
            K_MHDR => put(&mut mhdr, "MHdr", int(lx, "MHdr", "u8")?)?,
            K_DEVADDR => put(&mut dev_addr, "DevAddr", signed_u32(lx, "DevAddr")?)?,
            K_FCTRL => put(&mut fctrl, "FCtrl", int(lx, "FCtrl", "u8")?)?,
            K_FCNT | K_FCNT_TTS => put(&mut fcnt, "FCnt", int(lx, "FCnt", "u16")?)?,
            K_FOPTS => put(&mut fopts, "FOpts", hex(lx, "FOpts", true)?)?,
            K_FPORT => put(&mut port, "FPort", fport(lx)?)?,
            K_MIC => put(&mut mic, "MIC", signed_u32(lx, "MIC")?)?,
            _ if is_frm_payload(key) => {
                put(&mut payload, "FRMPayload", hex(lx, "FRMPayload", true)?)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(Updf {
        mhdr: required(mhdr, "MHdr")?,
        dev_addr: required(dev_addr, "DevAddr")?,
        fctrl: required(fctrl, "FCtrl")?,
        fcnt: required(fcnt, "FCnt")?,
        fopts: fopts.unwrap_or_default(),
        fport: port.flatten(),
        frm_payload: payload.unwrap_or_default(),
        mic: required(mic, "MIC")?,
        ref_time: tail.ref_time,
        dr: tail.dr,
        freq: tail.freq,
        upinfo: tail.upinfo,
    })
}

const K_JOINEUI: u64 = key_code(b"JoinEui");
const K_JOINEUI_UPPER: u64 = key_code(b"JoinEUI");
const K_DEVEUI: u64 = key_code(b"DevEui");
const K_DEVEUI_UPPER: u64 = key_code(b"DevEUI");
const K_DEVNONCE: u64 = key_code(b"DevNonce");

/// Reads a `jreq` (or `rejoin`) text.
pub(crate) fn read_join_request(
    msgtype: &'static str,
    text: &str,
) -> Result<JoinRequest, DecodeError> {
    join_request(text).map_err(|f| f.into_error(msgtype))
}

fn join_request(text: &str) -> Result<JoinRequest, Fail> {
    let (mut mhdr, mut join_eui, mut dev_eui, mut dev_nonce, mut mic) =
        (None, None, None, None, None);
    let tail = walk(text, |lx, key| {
        match key.code {
            K_MHDR => put(&mut mhdr, "MHdr", int(lx, "MHdr", "u8")?)?,
            K_JOINEUI | K_JOINEUI_UPPER => put(&mut join_eui, "JoinEui", eui(lx, "JoinEui")?)?,
            K_DEVEUI | K_DEVEUI_UPPER => put(&mut dev_eui, "DevEui", eui(lx, "DevEui")?)?,
            K_DEVNONCE => put(&mut dev_nonce, "DevNonce", int(lx, "DevNonce", "u16")?)?,
            K_MIC => put(&mut mic, "MIC", signed_u32(lx, "MIC")?)?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(JoinRequest {
        mhdr: required(mhdr, "MHdr")?,
        join_eui: required(join_eui, "JoinEui")?,
        dev_eui: required(dev_eui, "DevEui")?,
        dev_nonce: required(dev_nonce, "DevNonce")?,
        mic: required(mic, "MIC")?,
        ref_time: tail.ref_time,
        dr: tail.dr,
        freq: tail.freq,
        upinfo: tail.upinfo,
    })
}

/// Reads a `propdf` (or `jacc`) text.
pub(crate) fn read_propdf(msgtype: &'static str, text: &str) -> Result<Propdf, DecodeError> {
    propdf(text).map_err(|f| f.into_error(msgtype))
}

fn propdf(text: &str) -> Result<Propdf, Fail> {
    let mut payload = None;
    let tail = walk(text, |lx, key| {
        if !is_frm_payload(key) {
            return Ok(false);
        }
        put(&mut payload, "FRMPayload", hex(lx, "FRMPayload", false)?)?;
        Ok(true)
    })?;
    Ok(Propdf {
        frm_payload: required(payload, "FRMPayload")?,
        ref_time: tail.ref_time,
        dr: tail.dr,
        freq: tail.freq,
        upinfo: tail.upinfo,
    })
}

/// The serde-derived decoding these readers replaced, kept as the differential tests' oracle.
#[cfg(test)]
#[path = "uplink_read_oracle.rs"]
mod oracle;

#[cfg(test)]
#[path = "uplink_read_tests.rs"]
mod tests;
