//! LoRaWAN regions: data-rate tables, band ids and the region names Basics Station knows.
//!
//! The tables follow LoRaWAN Regional Parameters RP002-1.0.4 (the RP002-1.0.5 additions SF5/SF6
//! are not included: Basics Station 2.0.6 cannot express them, see [`Region::station_drs`]).
//!
//! Three kinds of names meet here:
//! - [`Region`]: the regional-parameters region (`EU868`, `AS923-2`, ...);
//! - band ids of The Things Stack (`EU_863_870`, `AS_923_2`, ...), see [`Region::from_band_id`];
//! - [`StationRegion`]: the six region names the reference station's `router_config` parser
//!   knows. Any other name makes station 2.0.6 drop every downlink, so [`Region::station_region`]
//!   maps every region to a known one, substituting where the station has no rules of its own.

use std::fmt;

/// A LoRaWAN regional-parameters region (plus `IL915`, the station's own Israel rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Region {
    /// EU 863–870 MHz.
    Eu868,
    /// US 902–928 MHz.
    Us915,
    /// Australia 915–928 MHz.
    Au915,
    /// AS923 group 1 (923.2/923.4 MHz default channels).
    As923_1,
    /// AS923 group 2 (AS923-1 − 1.8 MHz).
    As923_2,
    /// AS923 group 3 (AS923-1 − 6.6 MHz).
    As923_3,
    /// AS923 group 4 (AS923-1 − 5.9 MHz, Israel).
    As923_4,
    /// Korea 920–923 MHz.
    Kr920,
    /// India 865–867 MHz.
    In865,
    /// China 470–510 MHz, RP002 (20/26 MHz A/B plans: DR0–7).
    Cn470,
    /// China 470–510 MHz, RP001 band `CN_470_510` (DR0–5), used by TTN's CN plans.
    Cn470Rp001,
    /// Russia 864–870 MHz.
    Ru864,
    /// EU 433 MHz.
    Eu433,
    /// China 779–787 MHz.
    Cn779,
    /// Israel 915 MHz as Basics Station models it (no regional-parameters band; AS923 DRs).
    Il915,
}

/// LR-FHSS coding rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LrFhssCodingRate {
    /// CR 1/3.
    OneThird,
    /// CR 2/3.
    TwoThirds,
}

/// The modulation a data rate stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modulation {
    /// LoRa, coding rate 4/5.
    Lora {
        /// Spreading factor, 5..=12.
        spreading_factor: u8,
        /// Bandwidth in kHz: 125, 250 or 500.
        bandwidth_khz: u16,
    },
    /// GFSK.
    Fsk {
        /// Bit rate in bit/s (50000 in every region).
        bit_rate: u32,
    },
    /// LR-FHSS (always uplink).
    LrFhss {
        /// Coding rate.
        coding_rate: LrFhssCodingRate,
        /// Occupied channel width in kHz: 137, 336 or 1523.
        ocw_khz: u16,
    },
}

/// Which link direction a data rate may be used in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DrDirection {
    /// Uplink and downlink.
    Both,
    /// Uplink only.
    UplinkOnly,
    /// Downlink only.
    DownlinkOnly,
}

impl DrDirection {
    /// Whether uplinks may use this data rate.
    pub fn uplink(self) -> bool {
        !matches!(self, DrDirection::DownlinkOnly)
    }
    /// Whether downlinks may use this data rate.
    pub fn downlink(self) -> bool {
        !matches!(self, DrDirection::UplinkOnly)
    }
}

/// One defined entry of a region's data-rate table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DataRate {
    /// What the index stands for.
    pub modulation: Modulation,
    /// Where it may be used.
    pub direction: DrDirection,
}

/// A region's data-rate table: index 0..=15, `None` for RFU/undefined.
pub type DrTable = [Option<DataRate>; 16];

mod tables;
use tables::{AS923_DRS, AU915_DRS, CN470_DRS, EU868_DRS, IN865_DRS, KR920_DRS, US915_DRS};

/// One `DRs` entry of `router_config`: `[sf, bw_khz, dnonly]`; `sf` -1 undefined, 0 FSK.
pub type StationDr = [i32; 3];

/// The `DRs` value for an undefined (or inexpressible) data rate.
pub const UNDEFINED_STATION_DR: StationDr = [-1, 0, 0];

/// Region names understood by the `router_config` parser of Basics Station 2.0.6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StationRegion {
    /// `EU868` / `EU863`: 16 dBm (27 dBm in 869.4–869.65 MHz), EU band duty cycle.
    Eu868,
    /// `US915` / `US902`: 26 dBm, no duty cycle.
    Us915,
    /// `AU915`: 30 dBm, no duty cycle.
    Au915,
    /// `AS923-1` / `AS923JP`: 13 dBm, CCA, 10 % duty cycle.
    As923_1,
    /// `KR920`: 23 dBm, CCA, 2 % per channel.
    Kr920,
    /// `IL915`: 14 dBm (20 dBm in 916.2–916.4 MHz), 1 % duty cycle.
    Il915,
}

/// Which spelling to emit for a [`StationRegion`] that has two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RegionNaming {
    /// The original names every station release knows: `EU863`, `US902`, `AS923JP`
    /// (what The Things Stack sends with its `reference_region_names` flag).
    #[default]
    Legacy,
    /// The newer spellings: `EU868`, `US915`, `AS923-1`.
    Modern,
}

impl StationRegion {
    /// Every region the station knows.
    pub const ALL: [StationRegion; 6] = [
        StationRegion::Eu868,
        StationRegion::Us915,
        StationRegion::Au915,
        StationRegion::As923_1,
        StationRegion::Kr920,
        StationRegion::Il915,
    ];

    /// Parse a `router_config` `region` the way the station does (exact, case-sensitive);
    /// `None` for names the station treats as unknown (e.g. `AS923`, `IN865`).
    pub fn from_name(name: &str) -> Option<StationRegion> {
        Some(match name {
            "EU868" | "EU863" => StationRegion::Eu868,
            "US915" | "US902" => StationRegion::Us915,
            "AU915" => StationRegion::Au915,
            "AS923-1" | "AS923JP" => StationRegion::As923_1,
            "KR920" => StationRegion::Kr920,
            "IL915" => StationRegion::Il915,
            _ => return None,
        })
    }

    /// The name to put into `router_config`.
    pub fn name(self, naming: RegionNaming) -> &'static str {
        match (self, naming) {
            (StationRegion::Eu868, RegionNaming::Legacy) => "EU863",
            (StationRegion::Eu868, RegionNaming::Modern) => "EU868",
            (StationRegion::Us915, RegionNaming::Legacy) => "US902",
            (StationRegion::Us915, RegionNaming::Modern) => "US915",
            (StationRegion::Au915, _) => "AU915",
            (StationRegion::As923_1, RegionNaming::Legacy) => "AS923JP",
            (StationRegion::As923_1, RegionNaming::Modern) => "AS923-1",
            (StationRegion::Kr920, _) => "KR920",
            (StationRegion::Il915, _) => "IL915",
        }
    }

    /// The station's default (and maximum) TX power in dBm EIRP for this region;
    /// `max_eirp` can only lower it.
    pub fn default_tx_power_dbm(self) -> f64 {
        match self {
            StationRegion::Eu868 => 16.0,
            StationRegion::Us915 => 26.0,
            StationRegion::Au915 => 30.0,
            StationRegion::As923_1 => 13.0,
            StationRegion::Kr920 => 23.0,
            StationRegion::Il915 => 14.0,
        }
    }
}

/// The TX power (dBm) the station uses for a region name it does not know.
pub const UNKNOWN_REGION_TX_POWER_DBM: f64 = 14.0;

/// How a [`Region`] is presented to a Basics Station.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StationRegionChoice {
    /// The station region to name in `router_config`.
    pub region: StationRegion,
    /// `false` when the station has no rules for the region and `region` is a stand-in.
    pub exact: bool,
}

impl Region {
    /// Every region.
    pub const ALL: [Region; 15] = [
        Region::Eu868,
        Region::Us915,
        Region::Au915,
        Region::As923_1,
        Region::As923_2,
        Region::As923_3,
        Region::As923_4,
        Region::Kr920,
        Region::In865,
        Region::Cn470,
        Region::Cn470Rp001,
        Region::Ru864,
        Region::Eu433,
        Region::Cn779,
        Region::Il915,
    ];

    /// The usual name (`EU868`, `AS923-2`, `CN470`, `CN470-RP001`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Region::Eu868 => "EU868",
            Region::Us915 => "US915",
            Region::Au915 => "AU915",
            Region::As923_1 => "AS923-1",
            Region::As923_2 => "AS923-2",
            Region::As923_3 => "AS923-3",
            Region::As923_4 => "AS923-4",
            Region::Kr920 => "KR920",
            Region::In865 => "IN865",
            Region::Cn470 => "CN470",
            Region::Cn470Rp001 => "CN470-RP001",
            Region::Ru864 => "RU864",
            Region::Eu433 => "EU433",
            Region::Cn779 => "CN779",
            Region::Il915 => "IL915",
        }
    }

    /// Look a region up by [`Region::name`] or a common alias (`EU863`, `US902`, `AS923`,
    /// `AS923JP`), case-insensitively.
    pub fn from_name(name: &str) -> Option<Region> {
        let upper = name.to_ascii_uppercase();
        Some(match upper.as_str() {
            "EU863" => Region::Eu868,
            "US902" => Region::Us915,
            "AS923" | "AS923JP" => Region::As923_1,
            other => return Region::ALL.into_iter().find(|r| r.name() == other),
        })
    }

    /// Map a The Things Stack band id (`EU_863_870`, `AS_923_2`, `CN_470_510_20_A`, ...).
    pub fn from_band_id(band_id: &str) -> Option<Region> {
        Some(match band_id {
            "EU_863_870" => Region::Eu868,
            "US_902_928" => Region::Us915,
            "AU_915_928" => Region::Au915,
            "AS_923" => Region::As923_1,
            "AS_923_2" => Region::As923_2,
            "AS_923_3" => Region::As923_3,
            "AS_923_4" => Region::As923_4,
            "KR_920_923" => Region::Kr920,
            "IN_865_867" => Region::In865,
            "CN_470_510" => Region::Cn470Rp001,
            "CN_470_510_20_A" | "CN_470_510_20_B" | "CN_470_510_26_A" | "CN_470_510_26_B" => {
                Region::Cn470
            }
            "RU_864_870" => Region::Ru864,
            "EU_433" => Region::Eu433,
            "CN_779_787" => Region::Cn779,
            _ => return None,
        })
    }

    /// The The Things Stack band id (for CN470 RP002 the 20 MHz-A one); `None` for IL915,
    /// which has no band of its own (TTN's Israel plans use `AS_923_4`).
    pub fn band_id(self) -> Option<&'static str> {
        Some(match self {
            Region::Eu868 => "EU_863_870",
            Region::Us915 => "US_902_928",
            Region::Au915 => "AU_915_928",
            Region::As923_1 => "AS_923",
            Region::As923_2 => "AS_923_2",
            Region::As923_3 => "AS_923_3",
            Region::As923_4 => "AS_923_4",
            Region::Kr920 => "KR_920_923",
            Region::In865 => "IN_865_867",
            Region::Cn470 => "CN_470_510_20_A",
            Region::Cn470Rp001 => "CN_470_510",
            Region::Ru864 => "RU_864_870",
            Region::Eu433 => "EU_433",
            Region::Cn779 => "CN_779_787",
            Region::Il915 => return None,
        })
    }

    /// The data-rate table (RP002-1.0.4), index = DR.
    pub fn data_rates(self) -> &'static DrTable {
        match self {
            Region::Eu868 => &EU868_DRS,
            Region::Us915 => &US915_DRS,
            Region::Au915 => &AU915_DRS,
            Region::As923_1
            | Region::As923_2
            | Region::As923_3
            | Region::As923_4
            | Region::Ru864
            | Region::Eu433
            | Region::Cn779
            | Region::Il915 => &AS923_DRS,
            Region::In865 => &IN865_DRS,
            Region::Kr920 | Region::Cn470Rp001 => &KR920_DRS,
            Region::Cn470 => &CN470_DRS,
        }
    }

    /// The data rate at index `dr`, `None` when undefined or out of range.
    pub fn data_rate(self, dr: u8) -> Option<DataRate> {
        self.data_rates().get(usize::from(dr)).copied().flatten()
    }

    /// The DR index of an uplink with this modulation: the **lowest** matching index that
    /// uplinks may use (the station and The Things Stack resolve duplicates the same way).
    pub fn uplink_dr(self, modulation: Modulation) -> Option<u8> {
        self.data_rates()
            .iter()
            .position(|d| d.is_some_and(|d| d.modulation == modulation && d.direction.uplink()))
            .and_then(|i| u8::try_from(i).ok())
    }

    /// The DR index of a downlink with this modulation: the **highest** matching index that
    /// downlinks may use.
    pub fn downlink_dr(self, modulation: Modulation) -> Option<u8> {
        self.data_rates()
            .iter()
            .rposition(|d| d.is_some_and(|d| d.modulation == modulation && d.direction.downlink()))
            .and_then(|i| u8::try_from(i).ok())
    }

    /// The 16-entry `DRs` table for `router_config`: `[sf, bw_khz, dnonly]`, with `-1` for
    /// undefined DRs and for what the station cannot express (LR-FHSS, SF5/SF6), `0` for FSK,
    /// and `dnonly` = 1 on downlink-only DRs.
    pub fn station_drs(self) -> [StationDr; 16] {
        self.data_rates()
            .map(|d| d.map_or(UNDEFINED_STATION_DR, station_dr))
    }

    /// The regional default maximum EIRP in dBm (RP002-1.0.4).
    pub fn default_max_eirp_dbm(self) -> f64 {
        match self {
            Region::Eu868 | Region::Ru864 => 16.0,
            Region::As923_1 | Region::As923_2 | Region::As923_3 | Region::As923_4 => 16.0,
            Region::Us915 | Region::Au915 | Region::In865 => 30.0,
            Region::Kr920 | Region::Il915 => 14.0,
            Region::Cn470 | Region::Cn470Rp001 => 19.15,
            Region::Eu433 | Region::Cn779 => 12.15,
        }
    }

    /// The default RX2 frequency (Hz) and DR; `None` for CN470 RP002, whose RX2 depends on the
    /// sub-plan (and is not confirmed).
    pub fn default_rx2(self) -> Option<(u64, u8)> {
        Some(match self {
            Region::Eu868 => (869_525_000, 0),
            Region::Us915 | Region::Au915 => (923_300_000, 8),
            Region::As923_1 => (923_200_000, 2),
            Region::As923_2 => (921_400_000, 2),
            Region::As923_3 => (916_600_000, 2),
            Region::As923_4 | Region::Il915 => (917_300_000, 2),
            Region::Kr920 => (921_900_000, 0),
            Region::In865 => (866_550_000, 2),
            Region::Cn470Rp001 => (505_300_000, 0),
            Region::Cn470 => return None,
            Region::Ru864 => (869_100_000, 0),
            Region::Eu433 => (434_665_000, 0),
            Region::Cn779 => (786_000_000, 0),
        })
    }

    /// The region name to send to a Basics Station (never one it does not know).
    ///
    /// Regions the station has rules for map to themselves. The others get a stand-in whose
    /// station rules are no looser than the region's own; the builder adds `max_eirp` where the
    /// region allows less power than the stand-in's default:
    ///
    /// | region | sent as | why |
    /// |---|---|---|
    /// | AS923-2, AS923-3 | AS923-1 (`AS923JP`) | same AS923 family; 13 dBm, CCA, 10 % |
    /// | AS923-4 | IL915 | the Israel rules (14 dBm, 1 %), as The Things Stack does |
    /// | IN865 | US915 (`US902`) | no duty cycle, 26 dBm ≤ 30 dBm |
    /// | CN470 (both) | US915 (`US902`) | no duty cycle; `max_eirp` 19.15 |
    /// | RU864, EU433, CN779 | EU868 (`EU863`) | band duty cycle (0.1 % outside EU sub-bands); `max_eirp` 16 / 12.15 / 12.15 |
    pub fn station_region(self) -> StationRegionChoice {
        let (region, exact) = match self {
            Region::Eu868 => (StationRegion::Eu868, true),
            Region::Us915 => (StationRegion::Us915, true),
            Region::Au915 => (StationRegion::Au915, true),
            Region::As923_1 => (StationRegion::As923_1, true),
            Region::Kr920 => (StationRegion::Kr920, true),
            Region::Il915 => (StationRegion::Il915, true),
            Region::As923_2 | Region::As923_3 => (StationRegion::As923_1, false),
            Region::As923_4 => (StationRegion::Il915, false),
            Region::In865 | Region::Cn470 | Region::Cn470Rp001 => (StationRegion::Us915, false),
            Region::Ru864 | Region::Eu433 | Region::Cn779 => (StationRegion::Eu868, false),
        };
        StationRegionChoice { region, exact }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn station_dr(d: DataRate) -> StationDr {
    let dnonly = i32::from(d.direction == DrDirection::DownlinkOnly);
    match d.modulation {
        Modulation::Lora {
            spreading_factor: sf @ 7..=12,
            bandwidth_khz: bw @ (125 | 250 | 500),
        } => [i32::from(sf), i32::from(bw), dnonly],
        Modulation::Fsk { bit_rate: 50_000 } => [0, 0, dnonly],
        _ => UNDEFINED_STATION_DR,
    }
}

/// Decode one `DRs` entry the way the station does: `sf < 0` undefined, `sf == 0` FSK 50 kbit/s,
/// otherwise LoRa with bw 125, 250 or (anything else) 500 kHz. `None` for undefined entries and
/// for `sf` outside 7..=12, which the station cannot represent.
pub fn modulation_from_station_dr(entry: StationDr) -> Option<Modulation> {
    let [sf, bw, _] = entry;
    match sf {
        0 => Some(Modulation::Fsk { bit_rate: 50_000 }),
        7..=12 => Some(Modulation::Lora {
            spreading_factor: u8::try_from(sf).ok()?,
            bandwidth_khz: match bw {
                125 => 125,
                250 => 250,
                _ => 500,
            },
        }),
        _ => None,
    }
}

/// The DR index the station reports for an uplink with this modulation, given a `DRs` table:
/// the first entry that decodes to it.
pub fn station_uplink_dr(drs: &[StationDr], modulation: Modulation) -> Option<u8> {
    drs.iter()
        .take(16)
        .position(|&e| modulation_from_station_dr(e) == Some(modulation))
        .and_then(|i| u8::try_from(i).ok())
}

#[cfg(test)]
mod tests;
