//! RP002-1.0.4 data-rate tables.

use super::{DataRate, DrDirection, DrTable, LrFhssCodingRate, Modulation};

const fn lora(sf: u8, bw: u16) -> Option<DataRate> {
    Some(DataRate {
        modulation: Modulation::Lora {
            spreading_factor: sf,
            bandwidth_khz: bw,
        },
        direction: DrDirection::Both,
    })
}
const fn lora_up(sf: u8, bw: u16) -> Option<DataRate> {
    Some(DataRate {
        modulation: Modulation::Lora {
            spreading_factor: sf,
            bandwidth_khz: bw,
        },
        direction: DrDirection::UplinkOnly,
    })
}
const fn lora_dn(sf: u8, bw: u16) -> Option<DataRate> {
    Some(DataRate {
        modulation: Modulation::Lora {
            spreading_factor: sf,
            bandwidth_khz: bw,
        },
        direction: DrDirection::DownlinkOnly,
    })
}
const FSK: Option<DataRate> = Some(DataRate {
    modulation: Modulation::Fsk { bit_rate: 50_000 },
    direction: DrDirection::Both,
});
const fn lrfhss(coding_rate: LrFhssCodingRate, ocw_khz: u16) -> Option<DataRate> {
    Some(DataRate {
        modulation: Modulation::LrFhss {
            coding_rate,
            ocw_khz,
        },
        direction: DrDirection::UplinkOnly,
    })
}
use LrFhssCodingRate::{OneThird, TwoThirds};

pub(super) const EU868_DRS: DrTable = [
    lora(12, 125),
    lora(11, 125),
    lora(10, 125),
    lora(9, 125),
    lora(8, 125),
    lora(7, 125),
    lora(7, 250),
    FSK,
    lrfhss(OneThird, 137),
    lrfhss(TwoThirds, 137),
    lrfhss(OneThird, 336),
    lrfhss(TwoThirds, 336),
    None,
    None,
    None,
    None,
];

/// AS923-1..4, RU864, EU433, CN779 (and IL915).
pub(super) const AS923_DRS: DrTable = [
    lora(12, 125),
    lora(11, 125),
    lora(10, 125),
    lora(9, 125),
    lora(8, 125),
    lora(7, 125),
    lora(7, 250),
    FSK,
    None,
    None,
    None,
    None,
    None,
    None,
    None,
    None,
];

pub(super) const IN865_DRS: DrTable = [
    lora(12, 125),
    lora(11, 125),
    lora(10, 125),
    lora(9, 125),
    lora(8, 125),
    lora(7, 125),
    None,
    FSK,
    None,
    None,
    None,
    None,
    None,
    None,
    None,
    None,
];

/// KR920 and CN470 RP001.
pub(super) const KR920_DRS: DrTable = [
    lora(12, 125),
    lora(11, 125),
    lora(10, 125),
    lora(9, 125),
    lora(8, 125),
    lora(7, 125),
    None,
    None,
    None,
    None,
    None,
    None,
    None,
    None,
    None,
    None,
];

pub(super) const CN470_DRS: DrTable = [
    lora(12, 125),
    lora(11, 125),
    lora(10, 125),
    lora(9, 125),
    lora(8, 125),
    lora(7, 125),
    lora(7, 500),
    FSK,
    None,
    None,
    None,
    None,
    None,
    None,
    None,
    None,
];

pub(super) const US915_DRS: DrTable = [
    lora_up(10, 125),
    lora_up(9, 125),
    lora_up(8, 125),
    lora_up(7, 125),
    lora_up(8, 500),
    lrfhss(OneThird, 1523),
    lrfhss(TwoThirds, 1523),
    None,
    lora_dn(12, 500),
    lora_dn(11, 500),
    lora_dn(10, 500),
    lora_dn(9, 500),
    lora_dn(8, 500),
    lora_dn(7, 500),
    None,
    None,
];

pub(super) const AU915_DRS: DrTable = [
    lora_up(12, 125),
    lora_up(11, 125),
    lora_up(10, 125),
    lora_up(9, 125),
    lora_up(8, 125),
    lora_up(7, 125),
    lora_up(8, 500),
    lrfhss(OneThird, 1523),
    lora_dn(12, 500),
    lora_dn(11, 500),
    lora_dn(10, 500),
    lora_dn(9, 500),
    lora_dn(8, 500),
    lora_dn(7, 500),
    None,
    None,
];
