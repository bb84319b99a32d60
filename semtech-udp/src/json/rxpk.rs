//! `rxpk`: one received radio packet and its metadata (PUSH_DATA).

use super::base64;
use super::datr::{CodingRate, DataRate, Modulation};
use super::freq::Frequency;
use super::time::Timestamp;
use super::write::ObjectWriter;
use crate::error::EncodeError;

/// Most `rsig` entries (one per antenna) one `rxpk` may carry; an `rxpk` with more is rejected.
///
/// The SX1302 reference forwarder reports at most 2 per board and multi-board gateways have
/// at most 8 boards; 16 leaves headroom while a 64 KB datagram of empty `{}` entries can no
/// longer become an uplink with 19,000 receptions.
pub const MAX_RSIG: usize = 16;

/// Most bytes of `rxpk.data`: a LoRaWAN PHYPayload is at most 255 bytes (the radio's limit);
/// a longer `data`, like an empty one, is rejected, as The Things Stack does.
pub const MAX_RXPK_DATA: usize = 255;

/// CRC status of a received packet (`stat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrcStatus {
    /// `1`: CRC present and correct.
    Ok,
    /// `-1`: CRC present and wrong.
    Fail,
    /// `0`: no CRC.
    NoCrc,
}

impl CrcStatus {
    fn to_wire(self) -> i64 {
        match self {
            Self::Ok => 1,
            Self::Fail => -1,
            Self::NoCrc => 0,
        }
    }
}

/// Per-antenna metadata of an `rxpk` (`rsig[]`, sx1301 v2 / multi-antenna forwarders).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rsig {
    /// Antenna index (`ant`).
    pub ant: Option<u8>,
    /// Concentrator IF channel (`chan`).
    pub chan: Option<u8>,
    /// Channel RSSI in dBm (`rssic`).
    pub rssic: Option<i16>,
    /// Signal RSSI in dBm (`rssis`).
    pub rssis: Option<i16>,
    /// Standard deviation of the signal RSSI (`rssisd`).
    pub rssisd: Option<u16>,
    /// SNR in dB (`lsnr`).
    pub lsnr: Option<f64>,
    /// Encrypted fine timestamp, base64 on the wire (`etime`).
    pub etime: Option<Vec<u8>>,
    /// Fine timestamp in nanoseconds since the last PPS (`ftime`).
    pub ftime: Option<u32>,
    /// Frequency offset in Hz (`foff`).
    pub foff: Option<i32>,
    /// Frequency drift in Hz (`fdri`).
    pub fdri: Option<i32>,
}

/// One received packet (`rxpk[]` element) with every field of both protocol documents.
///
/// `modu` is not stored: it follows from [`Rxpk::datr`] (a `modu` that contradicts `datr` is
/// rejected). `size` is not stored either: it is written as `data.len()` and ignored on decode,
/// as The Things Stack's translation does (it never reads `size`), and real forwarders are not
/// always consistent about it.
///
/// Rejected on decode, as LoRaWAN and The Things Stack's validation rule out: `freq` 0, `data`
/// empty or longer than [`MAX_RXPK_DATA`] bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Rxpk {
    /// UTC time of reception (`time`).
    pub time: Option<Timestamp>,
    /// GPS time of reception in milliseconds since 1980-01-06 (`tmms`).
    pub tmms: Option<u64>,
    /// Concentrator counter at the end of reception, in microseconds, wrapping (`tmst`).
    pub tmst: u32,
    /// Fine timestamp in nanoseconds since the last PPS (`ftime`).
    pub ftime: Option<u32>,
    /// Centre frequency (`freq`).
    pub freq: Frequency,
    /// Concentrator IF channel (`chan`).
    pub chan: Option<u8>,
    /// Concentrator RF chain (`rfch`).
    pub rfch: Option<u8>,
    /// Concentrator modem id (`mid`).
    pub mid: Option<u16>,
    /// Concentrator board (`brd`).
    pub brd: Option<u32>,
    /// Antenna (`ant`).
    pub ant: Option<u8>,
    /// CRC status (`stat`).
    pub stat: Option<CrcStatus>,
    /// Data rate (`datr`); implies `modu`.
    pub datr: DataRate,
    /// Coding rate (`codr`).
    pub codr: Option<CodingRate>,
    /// LR-FHSS hopping width (`hpw`).
    pub hpw: Option<u32>,
    /// Channel RSSI in dBm (`rssi`); fractional values (`-35.5`) are kept. Written as an
    /// integer when whole.
    pub rssi: Option<f64>,
    /// Signal RSSI in dBm (`rssis`).
    pub rssis: Option<i16>,
    /// SNR in dB (`lsnr`).
    pub lsnr: Option<f64>,
    /// Frequency offset in Hz (`foff`).
    pub foff: Option<i32>,
    /// Key id of the encrypted fine timestamps in `rsig[].etime` (`aesk`).
    pub aesk: Option<u32>,
    /// Per-antenna metadata (`rsig`); empty when absent.
    pub rsig: Vec<Rsig>,
    /// The PHY payload (`data`, base64 on the wire).
    pub data: Vec<u8>,
}

impl Rxpk {
    /// An `rxpk` with the four fields every received packet has; every optional field absent
    /// (set them afterwards, e.g. `rxpk.stat = Some(CrcStatus::Ok)`, `rxpk.rssi = Some(-35)`).
    ///
    /// ```
    /// use loragw_semtech_udp::{Bandwidth, DataRate, Frequency, Rxpk};
    ///
    /// let sf7 = DataRate::Lora { spreading_factor: 7, bandwidth: Bandwidth::Khz125 };
    /// let mut rxpk = Rxpk::new(1_000_000, Frequency::from_hz(868_100_000), sf7, vec![0x40]);
    /// rxpk.lsnr = Some(9.5);
    /// assert_eq!((rxpk.tmst, rxpk.rssi, rxpk.rsig.len()), (1_000_000, None, 0));
    /// ```
    pub fn new(tmst: u32, freq: Frequency, datr: DataRate, data: Vec<u8>) -> Self {
        Rxpk {
            time: None,
            tmms: None,
            tmst,
            ftime: None,
            freq,
            chan: None,
            rfch: None,
            mid: None,
            brd: None,
            ant: None,
            stat: None,
            datr,
            codr: None,
            hpw: None,
            rssi: None,
            rssis: None,
            lsnr: None,
            foff: None,
            aesk: None,
            rsig: Vec::new(),
            data,
        }
    }

    /// The modulation (`modu`), implied by [`Rxpk::datr`].
    pub fn modulation(&self) -> Modulation {
        self.datr.modulation()
    }

    /// Appends the JSON object.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let mut o = ObjectWriter::begin(out);
        if let Some(t) = self.time {
            if !t.is_writable() {
                return Err(EncodeError::InvalidValue {
                    field: "rxpk.time",
                    reason: "year outside 0000..=9999",
                });
            }
            let b = o.key("time");
            b.push(b'"');
            t.write_compact(b);
            b.push(b'"');
        }
        o.opt_uint("tmms", self.tmms);
        o.uint("tmst", self.tmst.into());
        o.opt_uint("ftime", self.ftime);
        self.freq.write_mhz(o.key("freq"));
        o.opt_uint("chan", self.chan);
        o.opt_uint("rfch", self.rfch);
        o.opt_uint("mid", self.mid);
        o.opt_uint("brd", self.brd);
        o.opt_uint("ant", self.ant);
        if let Some(stat) = self.stat {
            o.int("stat", stat.to_wire());
        }
        o.plain_str("modu", self.datr.modulation().wire_name());
        self.datr.write_json(o.key("datr"))?;
        if let Some(codr) = &self.codr {
            o.str("codr", codr.as_str());
        }
        o.opt_uint("hpw", self.hpw);
        match self.rssi {
            // Whole values as integers, as every forwarder writes them.
            Some(v) if v.fract() == 0.0 && v.abs() <= 32_768.0 => o.int("rssi", v as i64),
            other => o.opt_float("rssi", other, "rxpk.rssi")?,
        }
        o.opt_int("rssis", self.rssis);
        o.opt_float("lsnr", self.lsnr, "rxpk.lsnr")?;
        o.opt_int("foff", self.foff);
        o.opt_uint("aesk", self.aesk);
        if !self.rsig.is_empty() {
            let b = o.key("rsig");
            b.push(b'[');
            for (i, r) in self.rsig.iter().enumerate() {
                if i > 0 {
                    b.push(b',');
                }
                r.write_json(b)?;
            }
            b.push(b']');
        }
        o.uint("size", self.data.len() as u64);
        let b = o.key("data");
        b.push(b'"');
        base64::encode_into(&self.data, b);
        b.push(b'"');
        o.end();
        Ok(())
    }
}

impl Rsig {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let mut o = ObjectWriter::begin(out);
        o.opt_uint("ant", self.ant);
        o.opt_uint("chan", self.chan);
        o.opt_int("rssic", self.rssic);
        o.opt_int("rssis", self.rssis);
        o.opt_uint("rssisd", self.rssisd);
        o.opt_float("lsnr", self.lsnr, "rxpk.rsig.lsnr")?;
        if let Some(etime) = &self.etime {
            let b = o.key("etime");
            b.push(b'"');
            base64::encode_into(etime, b);
            b.push(b'"');
        }
        o.opt_uint("ftime", self.ftime);
        o.opt_int("foff", self.foff);
        o.opt_int("fdri", self.fdri);
        o.end();
        Ok(())
    }
}
