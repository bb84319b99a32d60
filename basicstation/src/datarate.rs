//! The station's side of a `router_config` `DRs` table: which modulation a DR index means and
//! which DR index a received frame gets.
//!
//! This module is a thin, session-facing view over [`crate::region`], which owns the one
//! [`Modulation`] type and the decoding of `DRs` entries ([`modulation_from_station_dr`]):
//! [`region::Region::data_rates`](crate::region::Region::data_rates) is what the regional
//! parameters define, these functions are what a station makes of the table it was sent (the
//! two differ when an LNS sends a non-standard table, and the sessions must follow the table).
//!
//! ```
//! use loragw_basicstation::datarate::{Modulation, dr_index, modulation_of};
//! use loragw_basicstation::region::Region;
//!
//! let drs = Region::Eu868.station_drs();
//! let sf9 = Modulation::Lora { spreading_factor: 9, bandwidth_khz: 125 };
//! assert_eq!(dr_index(&drs, sf9), Some(3));
//! assert_eq!(modulation_of(&drs, 3), Some(sf9));
//! assert_eq!(modulation_of(&drs, 8), None); // RFU in EU868
//! ```

pub use crate::region::{Modulation, modulation_from_station_dr};
use crate::region::{station_dr_table, station_uplink_dr};
use crate::router_config::DrEntry;

/// The DR index the station reports for a frame received with `modulation`: the first of the
/// 16 DRs the station keeps from `drs` ([`station_dr_table`]) that decodes to it
/// ([`modulation_from_station_dr`]).
pub fn dr_index(drs: &[DrEntry], modulation: Modulation) -> Option<u8> {
    station_uplink_dr(drs, modulation)
}

/// The modulation of DR `dr` in `drs` as the station keeps the table ([`station_dr_table`]:
/// more than 16 entries overwrite DR15); `None` when above 15, undefined, or not something the
/// station can express.
pub fn modulation_of(drs: &[DrEntry], dr: u8) -> Option<Modulation> {
    station_dr_table(drs)
        .get(usize::from(dr))
        .and_then(|&e| modulation_from_station_dr(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::Region;

    /// More than 16 `DRs` entries overwrite DR15, as at the station; DR16 and up do not exist.
    #[test]
    fn entries_past_the_sixteenth_overwrite_dr15() {
        let mut drs = vec![[-1, 0, 0]; 18];
        drs[0] = [12, 125, 0];
        drs[15] = [7, 125, 0];
        drs[16] = [8, 500, 0];
        drs[17] = [9, 500, 0];
        let sf9_500 = Modulation::Lora {
            spreading_factor: 9,
            bandwidth_khz: 500,
        };
        let sf8_500 = Modulation::Lora {
            spreading_factor: 8,
            bandwidth_khz: 500,
        };
        assert_eq!(modulation_of(&drs, 15), Some(sf9_500));
        assert_eq!(modulation_of(&drs, 16), None);
        assert_eq!(modulation_of(&drs, 17), None);
        assert_eq!(dr_index(&drs, sf9_500), Some(15));
        assert_eq!(dr_index(&drs, sf8_500), None);
        let sf7 = Modulation::Lora {
            spreading_factor: 7,
            bandwidth_khz: 125,
        };
        assert_eq!(dr_index(&drs, sf7), None);
        // A short table: the DRs it does not reach are undefined.
        assert_eq!(modulation_of(&drs[..1], 1), None);
        assert_eq!(
            dr_index(
                &drs[..1],
                Modulation::Lora {
                    spreading_factor: 12,
                    bandwidth_khz: 125
                }
            ),
            Some(0)
        );
    }

    /// For every region, what the sessions make of the `DRs` table the builder sends agrees
    /// with the region table: every uplink DR the station can express maps back to itself,
    /// every defined DR decodes to its own modulation, and the rest are `-1`.
    #[test]
    fn sessions_and_region_tables_agree_in_every_region() {
        let mut checked = 0;
        for region in Region::ALL {
            let drs = region.station_drs();
            for dr in 0..16u8 {
                let from_table = modulation_of(&drs, dr);
                match region.data_rate(dr) {
                    Some(d) if from_table.is_some() => {
                        assert_eq!(from_table, Some(d.modulation), "{region} DR{dr}");
                        if d.direction.uplink() {
                            assert_eq!(dr_index(&drs, d.modulation), Some(dr), "{region} DR{dr}");
                            assert_eq!(region.uplink_dr(d.modulation), Some(dr));
                            checked += 1;
                        }
                    }
                    // LR-FHSS and RFU: nothing the station could name.
                    _ => assert_eq!(drs[usize::from(dr)], [-1, 0, 0], "{region} DR{dr}"),
                }
            }
        }
        // Uplink DRs the station can express: 8 in each of the 9 regions with the EU868/AS923
        // table, 7 in IN865, 6 in KR920 and CN470-RP001, 8 in CN470, 5 in US915, 7 in AU915.
        assert_eq!(checked, 9 * 8 + 7 + 2 * 6 + 8 + 5 + 7);
    }
}
