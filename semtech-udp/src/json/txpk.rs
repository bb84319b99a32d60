//! `txpk`: a packet to transmit (PULL_RESP).

use super::base64;
use super::datr::{CodingRate, DataRate, Modulation};
use super::freq::Frequency;
use super::write::ObjectWriter;
use crate::error::EncodeError;

/// When to transmit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxTiming {
    /// `"imme":true`: as soon as possible (class C).
    Immediate,
    /// `"tmst":N`: when the concentrator counter reaches N microseconds (class A).
    ///
    /// Encoded with `"imme":false` before `tmst`, as The Things Stack and ChirpStack do: some
    /// forwarder runtimes refuse a `txpk` without `imme`.
    Timestamp(u32),
    /// `"tmms":N`: at GPS time N milliseconds since 1980-01-06 (class B, needs a GPS).
    ///
    /// Encoded with `"imme":false`, like [`TxTiming::Timestamp`].
    GpsTime(u64),
}

/// A packet to transmit (`txpk`), every field of both protocol documents.
///
/// Optional fields left `None` are omitted from the JSON: some forwarders (Kerlink, Tektelic)
/// reject a `txpk` that carries `brd`/`ant` they do not expect. `modu` follows from `datr`;
/// `size` is written as `data.len()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Txpk {
    /// `imme` / `tmst` / `tmms`; `imme` is always written (`true` or `false`).
    pub timing: TxTiming,
    /// Centre frequency (`freq`).
    pub freq: Frequency,
    /// RF chain (`rfch`); the reference forwarder requires it, so it is always written
    /// (0 when absent on decode).
    pub rfch: u8,
    /// Output power in dBm (`powe`).
    pub powe: Option<i8>,
    /// Antenna (`ant`).
    pub ant: Option<u8>,
    /// Board (`brd`).
    pub brd: Option<u32>,
    /// Data rate (`datr`); implies `modu`.
    pub datr: DataRate,
    /// Coding rate (`codr`).
    pub codr: Option<CodingRate>,
    /// FSK frequency deviation in Hz (`fdev`).
    pub fdev: Option<u32>,
    /// LoRa polarisation inversion (`ipol`), `true` for LoRaWAN downlinks.
    pub ipol: Option<bool>,
    /// Preamble length in symbols (`prea`).
    pub prea: Option<u16>,
    /// Disable the physical-layer CRC (`ncrc`).
    pub ncrc: Option<bool>,
    /// Disable the physical-layer header (`nhdr`).
    pub nhdr: Option<bool>,
    /// The PHY payload (`data`, base64 on the wire).
    pub data: Vec<u8>,
}

impl Txpk {
    /// A `txpk` with the four fields every transmission needs; `rfch` 0 and every optional
    /// field absent (set them afterwards, e.g. `txpk.powe = Some(14)`).
    ///
    /// A LoRaWAN downlink also wants `ipol: Some(true)` (inverted polarity), `ncrc: Some(true)`
    /// (downlinks carry no physical-layer CRC) and `codr: Some(CodingRate::Cr4_5)`:
    /// [`Txpk::lorawan`] sets those.
    ///
    /// ```
    /// use loragw_semtech_udp::{Bandwidth, DataRate, Frequency, TxTiming, Txpk};
    ///
    /// let sf7 = DataRate::Lora { spreading_factor: 7, bandwidth: Bandwidth::Khz125 };
    /// let txpk = Txpk::new(TxTiming::Immediate, Frequency::from_hz(869_525_000), sf7, vec![0x60]);
    /// assert_eq!((txpk.rfch, txpk.powe, txpk.ipol), (0, None, None));
    /// ```
    pub fn new(timing: TxTiming, freq: Frequency, datr: DataRate, data: Vec<u8>) -> Self {
        Txpk {
            timing,
            freq,
            rfch: 0,
            powe: None,
            ant: None,
            brd: None,
            datr,
            codr: None,
            fdev: None,
            ipol: None,
            prea: None,
            ncrc: None,
            nhdr: None,
            data,
        }
    }

    /// A LoRaWAN downlink: as [`Txpk::new`] with the output power `powe` (dBm, what the
    /// forwarder programs: an ERP, not the EIRP of a frequency plan), inverted polarity,
    /// no physical-layer CRC and, for LoRa, coding rate 4/5.
    ///
    /// ```
    /// use loragw_semtech_udp::{Bandwidth, CodingRate, DataRate, Frequency, TxTiming, Txpk};
    ///
    /// let sf9 = DataRate::Lora { spreading_factor: 9, bandwidth: Bandwidth::Khz125 };
    /// let txpk = Txpk::lorawan(TxTiming::Timestamp(3_512_348_611), Frequency::from_hz(868_100_000), sf9, 14, vec![0x60]);
    /// assert_eq!((txpk.powe, txpk.ipol, txpk.ncrc), (Some(14), Some(true), Some(true)));
    /// assert_eq!(txpk.codr, Some(CodingRate::Cr4_5));
    /// ```
    pub fn lorawan(
        timing: TxTiming,
        freq: Frequency,
        datr: DataRate,
        powe: i8,
        data: Vec<u8>,
    ) -> Self {
        let lora = matches!(datr, DataRate::Lora { .. });
        Txpk {
            powe: Some(powe),
            codr: lora.then_some(CodingRate::Cr4_5),
            ipol: Some(true),
            ncrc: Some(true),
            ..Txpk::new(timing, freq, datr, data)
        }
    }

    /// The modulation (`modu`), implied by [`Txpk::datr`].
    pub fn modulation(&self) -> Modulation {
        self.datr.modulation()
    }

    /// Appends the JSON object.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let mut o = ObjectWriter::begin(out);
        match self.timing {
            TxTiming::Immediate => o.bool("imme", true),
            TxTiming::Timestamp(t) => {
                o.bool("imme", false);
                o.uint("tmst", t.into());
            }
            TxTiming::GpsTime(t) => {
                o.bool("imme", false);
                o.uint("tmms", t);
            }
        }
        self.freq.write_mhz(o.key("freq"));
        o.uint("rfch", self.rfch.into());
        o.opt_int("powe", self.powe);
        o.opt_uint("ant", self.ant);
        o.opt_uint("brd", self.brd);
        o.plain_str("modu", self.datr.modulation().wire_name());
        self.datr.write_json(o.key("datr"))?;
        if let Some(codr) = &self.codr {
            o.str("codr", codr.as_str());
        }
        o.opt_uint("fdev", self.fdev);
        o.opt_bool("ipol", self.ipol);
        o.opt_uint("prea", self.prea);
        o.opt_bool("ncrc", self.ncrc);
        o.opt_bool("nhdr", self.nhdr);
        o.uint("size", self.data.len() as u64);
        let b = o.key("data");
        b.push(b'"');
        base64::encode_into(&self.data, b);
        b.push(b'"');
        o.end();
        Ok(())
    }
}
