//! `datr`, `modu` and `codr`: data rate, modulation and coding rate.
//!
//! `datr` is a string for LoRa (`"SF7BW125"`, including SF5/SF6 and the 2.4 GHz bandwidths
//! `BW203`, `BW406`, `BW812`, `BW1625`) and LR-FHSS (`"M0CW137"`: modulation type 0, operating
//! channel width 137 kHz), and a bare number for FSK (bits per second).

use std::fmt;

/// LoRa bandwidth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Bandwidth {
    /// 7.8 kHz (`BW7.8`).
    Khz7_8,
    /// 10.4 kHz.
    Khz10_4,
    /// 15.6 kHz.
    Khz15_6,
    /// 20.8 kHz.
    Khz20_8,
    /// 31.25 kHz.
    Khz31_25,
    /// 41.7 kHz.
    Khz41_7,
    /// 62.5 kHz.
    Khz62_5,
    /// 125 kHz.
    Khz125,
    /// 250 kHz.
    Khz250,
    /// 500 kHz.
    Khz500,
    /// 203.125 kHz (2.4 GHz, `BW203`).
    Khz203,
    /// 406.25 kHz (2.4 GHz, `BW406`).
    Khz406,
    /// 812.5 kHz (2.4 GHz, `BW812`; `BW812.5` is accepted on decode). The Things Stack's ISM 2400
    /// band calls it 812000 Hz: [`Bandwidth::from_hz`] accepts both.
    Khz812,
    /// 1625 kHz (2.4 GHz, `BW1625`).
    Khz1625,
}

/// (wire text after `BW`, hertz) for every bandwidth, in the order of the enum.
static BANDWIDTHS: [(Bandwidth, &str, u32); 14] = [
    (Bandwidth::Khz7_8, "7.8", 7_800),
    (Bandwidth::Khz10_4, "10.4", 10_400),
    (Bandwidth::Khz15_6, "15.6", 15_600),
    (Bandwidth::Khz20_8, "20.8", 20_800),
    (Bandwidth::Khz31_25, "31.25", 31_250),
    (Bandwidth::Khz41_7, "41.7", 41_700),
    (Bandwidth::Khz62_5, "62.5", 62_500),
    (Bandwidth::Khz125, "125", 125_000),
    (Bandwidth::Khz250, "250", 250_000),
    (Bandwidth::Khz500, "500", 500_000),
    (Bandwidth::Khz203, "203", 203_125),
    (Bandwidth::Khz406, "406", 406_250),
    (Bandwidth::Khz812, "812", 812_500),
    (Bandwidth::Khz1625, "1625", 1_625_000),
];

impl Bandwidth {
    /// All bandwidths.
    pub const ALL: [Bandwidth; 14] = [
        Bandwidth::Khz7_8,
        Bandwidth::Khz10_4,
        Bandwidth::Khz15_6,
        Bandwidth::Khz20_8,
        Bandwidth::Khz31_25,
        Bandwidth::Khz41_7,
        Bandwidth::Khz62_5,
        Bandwidth::Khz125,
        Bandwidth::Khz250,
        Bandwidth::Khz500,
        Bandwidth::Khz203,
        Bandwidth::Khz406,
        Bandwidth::Khz812,
        Bandwidth::Khz1625,
    ];

    fn entry(self) -> (Bandwidth, &'static str, u32) {
        BANDWIDTHS[self as usize]
    }

    /// Hertz (203.125 kHz is 203125).
    pub fn hz(self) -> u32 {
        self.entry().2
    }

    /// The bandwidth with exactly this many hertz; 812000 Hz (The Things Stack's value for the
    /// ISM 2400 band) is also [`Bandwidth::Khz812`].
    pub fn from_hz(hz: u32) -> Option<Self> {
        if hz == 812_000 {
            return Some(Self::Khz812);
        }
        BANDWIDTHS.iter().find(|e| e.2 == hz).map(|e| e.0)
    }

    /// The wire text after `BW`, for example `125` or `7.8`.
    pub fn wire_name(self) -> &'static str {
        self.entry().1
    }

    fn from_wire(s: &[u8]) -> Option<Self> {
        // Fast path for the three common ones.
        match s {
            b"125" => return Some(Self::Khz125),
            b"250" => return Some(Self::Khz250),
            b"500" => return Some(Self::Khz500),
            // The exact value, as The Things Stack's parser also accepts it.
            b"812.5" => return Some(Self::Khz812),
            _ => {}
        }
        BANDWIDTHS.iter().find(|e| e.1.as_bytes() == s).map(|e| e.0)
    }
}

/// Modulation of an `rxpk` or `txpk` (`modu`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Modulation {
    /// `"LORA"`.
    Lora,
    /// `"FSK"`.
    Fsk,
    /// `"LR-FHSS"`.
    LrFhss,
}

impl Modulation {
    /// The wire name.
    pub fn wire_name(self) -> &'static str {
        match self {
            Modulation::Lora => "LORA",
            Modulation::Fsk => "FSK",
            Modulation::LrFhss => "LR-FHSS",
        }
    }

    /// Parses a wire name, ignoring ASCII case (`LoRa`, `LRFHSS` accepted).
    pub fn from_wire(s: &str) -> Option<Self> {
        Self::from_wire_bytes(s.as_bytes())
    }

    /// [`Modulation::from_wire`] on bytes.
    pub fn from_wire_bytes(s: &[u8]) -> Option<Self> {
        if s == b"LORA" || s.eq_ignore_ascii_case(b"LORA") {
            Some(Self::Lora)
        } else if s.eq_ignore_ascii_case(b"FSK") || s.eq_ignore_ascii_case(b"GFSK") {
            Some(Self::Fsk)
        } else if s.eq_ignore_ascii_case(b"LR-FHSS") || s.eq_ignore_ascii_case(b"LRFHSS") {
            Some(Self::LrFhss)
        } else {
            None
        }
    }
}

/// Data rate (`datr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataRate {
    /// LoRa: `"SF<sf>BW<bw>"`.
    Lora {
        /// Spreading factor, 5 to 12.
        spreading_factor: u8,
        /// Bandwidth.
        bandwidth: Bandwidth,
    },
    /// FSK: a JSON number.
    Fsk {
        /// Bits per second.
        bit_rate: u32,
    },
    /// LR-FHSS: `"M<modulation_type>CW<ocw>"`.
    LrFhss {
        /// Modulation type (0 is GMSK 488 bit/s).
        modulation_type: u8,
        /// Operating channel width in kHz as written on the wire (`137` for 136.719 kHz).
        operating_channel_width_khz: u32,
    },
}

impl DataRate {
    /// The modulation this data rate implies.
    pub fn modulation(&self) -> Modulation {
        match self {
            DataRate::Lora { .. } => Modulation::Lora,
            DataRate::Fsk { .. } => Modulation::Fsk,
            DataRate::LrFhss { .. } => Modulation::LrFhss,
        }
    }

    /// Parses the string form (LoRa or LR-FHSS).
    pub fn parse_str(s: &str) -> Result<Self, DataRateError> {
        Self::parse_bytes(s.as_bytes())
    }

    /// [`DataRate::parse_str`] on bytes.
    pub fn parse_bytes(s: &[u8]) -> Result<Self, DataRateError> {
        let err = || DataRateError(String::from_utf8_lossy(s).into_owned());
        fn small_num(d: &[u8]) -> Option<u32> {
            if d.is_empty() || d.len() > 10 {
                return None;
            }
            let mut v = 0u64;
            for &c in d {
                if !c.is_ascii_digit() {
                    return None;
                }
                v = v * 10 + u64::from(c - b'0');
            }
            u32::try_from(v).ok()
        }
        fn split_at_pair<'b>(s: &'b [u8], pair: &[u8; 2]) -> Option<(&'b [u8], &'b [u8])> {
            let at = s.windows(2).position(|w| w == pair)?;
            Some((&s[..at], &s[at + 2..]))
        }
        if let Some(rest) = s.strip_prefix(b"SF") {
            let (sf, bw) = split_at_pair(rest, b"BW").ok_or_else(err)?;
            let sf = small_num(sf).ok_or_else(err)?;
            if !(5..=12).contains(&sf) {
                return Err(err());
            }
            let bandwidth = Bandwidth::from_wire(bw).ok_or_else(err)?;
            return Ok(DataRate::Lora {
                spreading_factor: sf as u8,
                bandwidth,
            });
        }
        if let Some(rest) = s.strip_prefix(b"M") {
            let (m, cw) = split_at_pair(rest, b"CW").ok_or_else(err)?;
            let modulation_type = small_num(m)
                .and_then(|v| u8::try_from(v).ok())
                .ok_or_else(err)?;
            let operating_channel_width_khz = small_num(cw).ok_or_else(err)?;
            return Ok(DataRate::LrFhss {
                modulation_type,
                operating_channel_width_khz,
            });
        }
        Err(err())
    }

    /// Appends the JSON value (a quoted string or a bare number).
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) -> Result<(), crate::EncodeError> {
        let mut num = itoa::Buffer::new();
        match *self {
            DataRate::Lora {
                spreading_factor,
                bandwidth,
            } => {
                if !(5..=12).contains(&spreading_factor) {
                    return Err(crate::EncodeError::InvalidValue {
                        field: "datr",
                        reason: "LoRa spreading factor must be 5 to 12",
                    });
                }
                out.extend_from_slice(b"\"SF");
                out.extend_from_slice(num.format(spreading_factor).as_bytes());
                out.extend_from_slice(b"BW");
                out.extend_from_slice(bandwidth.wire_name().as_bytes());
                out.push(b'"');
            }
            DataRate::Fsk { bit_rate } => out.extend_from_slice(num.format(bit_rate).as_bytes()),
            DataRate::LrFhss {
                modulation_type,
                operating_channel_width_khz,
            } => {
                out.extend_from_slice(b"\"M");
                out.extend_from_slice(num.format(modulation_type).as_bytes());
                out.extend_from_slice(b"CW");
                out.extend_from_slice(num.format(operating_channel_width_khz).as_bytes());
                out.push(b'"');
            }
        }
        Ok(())
    }
}

impl fmt::Display for DataRate {
    /// The wire text without quotes: `SF7BW125`, `50000`, `M0CW137`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(16);
        self.write_json(&mut out).map_err(|_| fmt::Error)?;
        let text = std::str::from_utf8(&out).map_err(|_| fmt::Error)?;
        f.write_str(text.trim_matches('"'))
    }
}

/// An unknown data-rate string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown data rate `{0}`")]
pub struct DataRateError(pub String);

/// Forward error correction rate (`codr`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodingRate {
    /// `4/5`.
    Cr4_5,
    /// `4/6`.
    Cr4_6,
    /// `4/7`.
    Cr4_7,
    /// `4/8`.
    Cr4_8,
    /// `1/3` (LR-FHSS).
    Cr1_3,
    /// `2/3` (LR-FHSS).
    Cr2_3,
    /// `1/2` (LR-FHSS).
    Cr1_2,
    /// `5/6` (LR-FHSS).
    Cr5_6,
    /// `OFF`: no coding rate (FSK packets from some forwarders).
    Off,
    /// Any other text, kept verbatim (for example `4/5LI` of long-interleave radios).
    Other(String),
}

impl CodingRate {
    /// The wire text.
    pub fn as_str(&self) -> &str {
        match self {
            CodingRate::Cr4_5 => "4/5",
            CodingRate::Cr4_6 => "4/6",
            CodingRate::Cr4_7 => "4/7",
            CodingRate::Cr4_8 => "4/8",
            CodingRate::Cr1_3 => "1/3",
            CodingRate::Cr2_3 => "2/3",
            CodingRate::Cr1_2 => "1/2",
            CodingRate::Cr5_6 => "5/6",
            CodingRate::Off => "OFF",
            CodingRate::Other(s) => s,
        }
    }

    /// Parses the wire text; anything unknown becomes [`CodingRate::Other`].
    pub fn from_wire(s: &str) -> Self {
        Self::known(s.as_bytes()).unwrap_or_else(|| CodingRate::Other(s.to_owned()))
    }

    /// The named coding rates.
    pub(crate) fn known(s: &[u8]) -> Option<Self> {
        Some(match s {
            b"4/5" => CodingRate::Cr4_5,
            b"4/6" => CodingRate::Cr4_6,
            b"4/7" => CodingRate::Cr4_7,
            b"4/8" => CodingRate::Cr4_8,
            b"1/3" => CodingRate::Cr1_3,
            b"2/3" => CodingRate::Cr2_3,
            b"1/2" => CodingRate::Cr1_2,
            b"5/6" => CodingRate::Cr5_6,
            b"OFF" => CodingRate::Off,
            _ => return None,
        })
    }
}

impl fmt::Display for CodingRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lora_rates() {
        for (text, sf, bw) in [
            ("SF7BW125", 7, 125_000),
            ("SF12BW500", 12, 500_000),
            ("SF5BW250", 5, 250_000),
            ("SF12BW812", 12, 812_500),
            ("SF5BW1625", 5, 1_625_000),
            ("SF9BW203", 9, 203_125),
            ("SF10BW406", 10, 406_250),
            ("SF8BW7.8", 8, 7_800),
        ] {
            let dr = DataRate::parse_str(text).unwrap();
            let DataRate::Lora {
                spreading_factor,
                bandwidth,
            } = dr
            else {
                panic!("{text} not LoRa");
            };
            assert_eq!(spreading_factor, sf);
            assert_eq!(bandwidth.hz(), bw);
            assert_eq!(dr.to_string(), text);
        }
    }

    #[test]
    fn bw812_accepts_both_spellings() {
        assert_eq!(Bandwidth::from_hz(812_000), Some(Bandwidth::Khz812));
        assert_eq!(Bandwidth::from_hz(812_500), Some(Bandwidth::Khz812));
        assert_eq!(Bandwidth::from_hz(812_250), None);
        let dr = DataRate::parse_str("SF12BW812.5").unwrap();
        assert_eq!(
            dr,
            DataRate::Lora {
                spreading_factor: 12,
                bandwidth: Bandwidth::Khz812
            }
        );
        assert_eq!(dr.to_string(), "SF12BW812");
    }

    #[test]
    fn lrfhss() {
        let dr = DataRate::parse_str("M0CW137").unwrap();
        assert_eq!(
            dr,
            DataRate::LrFhss {
                modulation_type: 0,
                operating_channel_width_khz: 137
            }
        );
        assert_eq!(dr.to_string(), "M0CW137");
        assert_eq!(DataRate::Fsk { bit_rate: 50_000 }.to_string(), "50000");
    }

    #[test]
    fn rejects_unknown() {
        for bad in [
            "SF13BW125",
            "SF4BW125",
            "SF7BW126",
            "SF7",
            "M0",
            "x",
            "SFBW125",
            "MCW1",
        ] {
            let err = DataRate::parse_str(bad).unwrap_err();
            assert_eq!(err.to_string(), format!("unknown data rate `{bad}`"));
        }
    }

    #[test]
    fn coding_rates() {
        assert_eq!(CodingRate::from_wire("4/6"), CodingRate::Cr4_6);
        assert_eq!(CodingRate::from_wire("2/3"), CodingRate::Cr2_3);
        assert_eq!(
            CodingRate::from_wire("4/5LI"),
            CodingRate::Other("4/5LI".into())
        );
        assert_eq!(CodingRate::from_wire("4/5LI").as_str(), "4/5LI");
    }
}
