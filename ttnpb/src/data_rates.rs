//! Constructors and accessors for [`DataRate`]; plain field plumbing, no band tables.

use crate::data_rate::Modulation;
use crate::{DataRate, FskDataRate, LoRaDataRate, LrfhssDataRate};

impl DataRate {
    /// A LoRa data rate: spreading factor (5 to 12), bandwidth in Hz (such as `125_000`) and
    /// coding rate (such as `"4/5"`). Values are stored as given, not checked.
    ///
    /// ```
    /// let dr = loragw_ttnpb::DataRate::lora(7, 125_000, "4/5");
    /// assert_eq!(dr.as_lora().map(|l| l.bandwidth), Some(125_000));
    /// ```
    pub fn lora(spreading_factor: u32, bandwidth_hz: u32, coding_rate: impl Into<String>) -> Self {
        Self {
            modulation: Some(Modulation::Lora(LoRaDataRate {
                bandwidth: bandwidth_hz,
                spreading_factor,
                coding_rate: coding_rate.into(),
            })),
        }
    }

    /// An FSK data rate with the bit rate in bits per second (such as `50_000`).
    pub fn fsk(bit_rate: u32) -> Self {
        Self {
            modulation: Some(Modulation::Fsk(FskDataRate { bit_rate })),
        }
    }

    /// An LR-FHSS data rate: modulation type, operating channel width in Hz (such as
    /// `137_000`) and coding rate (such as `"2/3"`). Values are stored as given, not checked.
    pub fn lrfhss(
        modulation_type: u32,
        operating_channel_width_hz: u32,
        coding_rate: impl Into<String>,
    ) -> Self {
        Self {
            modulation: Some(Modulation::Lrfhss(LrfhssDataRate {
                modulation_type,
                operating_channel_width: operating_channel_width_hz,
                coding_rate: coding_rate.into(),
            })),
        }
    }

    /// The LoRa settings, if this is a LoRa data rate.
    pub fn as_lora(&self) -> Option<&LoRaDataRate> {
        match &self.modulation {
            Some(Modulation::Lora(lora)) => Some(lora),
            _ => None,
        }
    }

    /// The FSK settings, if this is an FSK data rate.
    pub fn as_fsk(&self) -> Option<&FskDataRate> {
        match &self.modulation {
            Some(Modulation::Fsk(fsk)) => Some(fsk),
            _ => None,
        }
    }

    /// The LR-FHSS settings, if this is an LR-FHSS data rate.
    pub fn as_lrfhss(&self) -> Option<&LrfhssDataRate> {
        match &self.modulation {
            Some(Modulation::Lrfhss(lrfhss)) => Some(lrfhss),
            _ => None,
        }
    }

    /// The LoRa settings by value, if this is a LoRa data rate.
    pub fn into_lora(self) -> Option<LoRaDataRate> {
        match self.modulation {
            Some(Modulation::Lora(lora)) => Some(lora),
            _ => None,
        }
    }
}

impl From<LoRaDataRate> for DataRate {
    fn from(lora: LoRaDataRate) -> Self {
        Self {
            modulation: Some(Modulation::Lora(lora)),
        }
    }
}

impl From<FskDataRate> for DataRate {
    fn from(fsk: FskDataRate) -> Self {
        Self {
            modulation: Some(Modulation::Fsk(fsk)),
        }
    }
}

impl From<LrfhssDataRate> for DataRate {
    fn from(lrfhss: LrfhssDataRate) -> Self {
        Self {
            modulation: Some(Modulation::Lrfhss(lrfhss)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_fill_the_oneof() {
        let lora = DataRate::lora(12, 125_000, "4/5");
        assert_eq!(
            lora.modulation,
            Some(Modulation::Lora(LoRaDataRate {
                bandwidth: 125_000,
                spreading_factor: 12,
                coding_rate: "4/5".into()
            }))
        );
        assert!(lora.as_fsk().is_none() && lora.as_lrfhss().is_none());

        let fsk = DataRate::fsk(50_000);
        assert_eq!(fsk.as_fsk(), Some(&FskDataRate { bit_rate: 50_000 }));
        assert!(fsk.as_lora().is_none());

        let lrfhss = DataRate::lrfhss(0, 137_000, "2/3");
        assert_eq!(
            lrfhss.as_lrfhss(),
            Some(&LrfhssDataRate {
                modulation_type: 0,
                operating_channel_width: 137_000,
                coding_rate: "2/3".into()
            })
        );
        assert_eq!(
            DataRate::from(FskDataRate { bit_rate: 1 }),
            DataRate::fsk(1)
        );
        assert_eq!(DataRate::default().as_lora(), None);
    }
}
