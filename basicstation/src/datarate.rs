//! What a `router_config` `DRs` entry means to the station, and the reverse lookup the station
//! does for received frames. (The region tables that produce `DRs` live with the
//! `router_config` builder.)

use crate::router_config::DrEntry;

/// Modulation of a frame or a DR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modulation {
    /// LoRa with spreading factor 7..=12 and bandwidth 125, 250 or 500 kHz.
    Lora {
        /// Spreading factor.
        sf: u8,
        /// Bandwidth in kHz.
        bandwidth_khz: u16,
    },
    /// FSK 50 kbit/s.
    Fsk,
}

impl Modulation {
    /// What a `DRs` entry `[sf, bw, dnonly]` means to the station: `None` for sf < 0
    /// (undefined), FSK for sf 0, otherwise LoRa with bw 125, 250 or (anything else) 500 kHz.
    pub fn from_dr_entry(entry: DrEntry) -> Option<Modulation> {
        let [sf, bw, _] = entry;
        match sf {
            s if s < 0 => None,
            0 => Some(Modulation::Fsk),
            s => Some(Modulation::Lora {
                sf: u8::try_from(s).ok()?,
                bandwidth_khz: match bw {
                    125 => 125,
                    250 => 250,
                    _ => 500,
                },
            }),
        }
    }

    /// The same modulation with the bandwidth folded the way the station folds it.
    pub fn normalized(self) -> Modulation {
        match self {
            Modulation::Lora { sf, bandwidth_khz } => Modulation::Lora {
                sf,
                bandwidth_khz: match bandwidth_khz {
                    125 => 125,
                    250 => 250,
                    _ => 500,
                },
            },
            m => m,
        }
    }
}

/// The DR index the station reports for `modulation`: the first entry of `drs` that means the
/// same (SF, BW) or FSK.
pub fn dr_index(drs: &[DrEntry], modulation: Modulation) -> Option<u8> {
    let m = modulation.normalized();
    drs.iter()
        .position(|&e| Modulation::from_dr_entry(e) == Some(m))
        .and_then(|i| u8::try_from(i).ok())
}

/// The modulation of DR `dr` in `drs` (`None` when out of range or undefined).
pub fn modulation_of(drs: &[DrEntry], dr: u8) -> Option<Modulation> {
    drs.get(usize::from(dr))
        .and_then(|&e| Modulation::from_dr_entry(e))
}
