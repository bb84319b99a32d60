//! Frequency plans as data: channels, radios and band of the plans gateways run with.
//!
//! A [`FrequencyPlan`] says which uplink channels a gateway listens on, on which radio (RF chain)
//! each channel sits, the optional LoRa "standard" (fast, single-SF) and FSK channels, the
//! downlink channels, RX2 and listen-before-talk settings, and the LoRaWAN band (`band_id`,
//! e.g. `EU_863_870`) whose data-rate table applies. The Basics Station adapter turns a plan into
//! a `router_config`; the registry names the plans of each gateway by id.
//!
//! The built-in plans follow The Things Network's published plans (see [`FrequencyPlan::builtin`]);
//! custom plans can be deserialised (serde) from a config file and checked with
//! [`FrequencyPlan::validate`].

mod builtin;

use serde::{Deserialize, Serialize};

/// Largest distance (Hz) of a 125 kHz channel from its radio's centre frequency that an SX1301
/// concentrator (and Basics Station's allocator) accepts.
pub const MAX_IF_125KHZ: i64 = 400_000;

/// Largest distance (Hz) of the LoRa standard or FSK channel from its radio's centre frequency.
pub const MAX_IF_WIDE: i64 = 775_000;

/// At most this many multi-SF uplink channels fit one SX1301-class concentrator.
pub const MAX_MULTI_SF_CHANNELS: usize = 8;

/// One frequency plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrequencyPlan {
    /// Plan id, e.g. `EU_863_870` or `US_902_928_FSB_2`.
    pub id: String,
    /// LoRaWAN band id (regional parameters), e.g. `EU_863_870`, `US_902_928`, `AS_923`.
    pub band_id: String,
    /// The concentrator's radios (RF chains), index = radio number used by the channels.
    pub radios: Vec<Radio>,
    /// Multi-SF uplink channels, in plan order (also the `chan_multiSF_N` order).
    pub uplink_channels: Vec<Channel>,
    /// The single-SF LoRa channel at a wider bandwidth, if any.
    #[serde(default)]
    pub lora_standard_channel: Option<LoraStandardChannel>,
    /// The FSK channel, if any.
    #[serde(default)]
    pub fsk_channel: Option<FskChannel>,
    /// Downlink channel frequencies (Hz). For plans whose downlinks answer on the uplink channel
    /// this is the uplink list; for US915/AU915 the eight 500 kHz downlink channels, with the RX1
    /// channel being the uplink channel number modulo 8.
    pub downlink_channels: Vec<u64>,
    /// RX2 frequency and data-rate index.
    pub rx2: Rx2,
    /// Listen-before-talk settings, if the plan requires them.
    #[serde(default)]
    pub lbt: Option<ListenBeforeTalk>,
    /// Dwell-time limits that override the band default, if any.
    #[serde(default)]
    pub dwell_time: Option<DwellTime>,
    /// Maximum EIRP (dBm) that overrides the band default, if any.
    #[serde(default)]
    pub max_eirp: Option<f32>,
}

/// One radio (RF chain) of the concentrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Radio {
    /// Centre frequency in Hz.
    pub frequency: u64,
    /// Transmit frequency range, for the radio that transmits (radio 0 in TTN plans).
    #[serde(default)]
    pub tx: Option<TxFrequencyRange>,
}

/// Lowest and highest frequency (Hz) a radio may transmit on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxFrequencyRange {
    /// Lowest transmit frequency in Hz.
    pub min: u64,
    /// Highest transmit frequency in Hz.
    pub max: u64,
}

/// A multi-SF (125 kHz) uplink channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// Channel frequency in Hz.
    pub frequency: u64,
    /// Index of the radio in [`FrequencyPlan::radios`].
    pub radio: u8,
    /// Lowest data-rate index (band table) on this channel.
    pub min_data_rate: u8,
    /// Highest data-rate index (band table) on this channel.
    pub max_data_rate: u8,
}

/// The LoRa standard channel: one spreading factor at 250 or 500 kHz.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoraStandardChannel {
    /// Channel frequency in Hz.
    pub frequency: u64,
    /// Index of the radio in [`FrequencyPlan::radios`].
    pub radio: u8,
    /// Data-rate index (band table) of this channel.
    pub data_rate: u8,
    /// Spreading factor, 7..=12.
    pub spreading_factor: u8,
    /// Bandwidth in Hz (250000 or 500000).
    pub bandwidth: u32,
}

/// The FSK channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FskChannel {
    /// Channel frequency in Hz.
    pub frequency: u64,
    /// Index of the radio in [`FrequencyPlan::radios`].
    pub radio: u8,
    /// Data-rate index (band table) of this channel.
    pub data_rate: u8,
    /// Bit rate in bit/s (50000 in every LoRaWAN band).
    pub bit_rate: u32,
}

/// RX2 (second receive window) parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rx2 {
    /// RX2 frequency in Hz.
    pub frequency: u64,
    /// RX2 data-rate index (band table).
    pub data_rate: u8,
}

/// Listen-before-talk settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenBeforeTalk {
    /// RSSI threshold in dBm under which the channel counts as free.
    pub rssi_target: f32,
    /// RSSI offset of the scanning radio in dB.
    pub rssi_offset: f32,
    /// Scan time in microseconds.
    pub scan_time_us: u32,
}

/// Dwell-time limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DwellTime {
    /// Whether uplinks are limited.
    pub uplinks: bool,
    /// Whether downlinks are limited.
    pub downlinks: bool,
    /// The limit in milliseconds.
    pub duration_ms: u32,
}

/// Why a frequency plan is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrequencyPlanError {
    /// A channel refers to a radio the plan does not have.
    #[error("{plan}: {channel} refers to radio {radio}, the plan has {radios} radio(s)")]
    UnknownRadio {
        /// Plan id.
        plan: String,
        /// Which channel (`uplink_channels[3]`, `lora_standard_channel`, `fsk_channel`).
        channel: String,
        /// The radio index used.
        radio: u8,
        /// How many radios the plan has.
        radios: usize,
    },
    /// A channel is too far from its radio's centre frequency.
    #[error(
        "{plan}: {channel} at {frequency} Hz is {offset} Hz from radio {radio} (at most {max})"
    )]
    IfOutOfRange {
        /// Plan id.
        plan: String,
        /// Which channel.
        channel: String,
        /// Channel frequency.
        frequency: u64,
        /// Radio index.
        radio: u8,
        /// IF offset found.
        offset: i64,
        /// Largest offset allowed.
        max: i64,
    },
    /// More multi-SF channels than one concentrator has.
    #[error("{plan}: {count} uplink channels, at most {MAX_MULTI_SF_CHANNELS}")]
    TooManyChannels {
        /// Plan id.
        plan: String,
        /// Number of channels in the plan.
        count: usize,
    },
    /// No radio carries a transmit range.
    #[error("{plan}: no radio has a transmit frequency range")]
    NoTxRadio {
        /// Plan id.
        plan: String,
    },
}

impl FrequencyPlan {
    /// Ids of the built-in plans, in the order [`FrequencyPlan::builtin_all`] returns them.
    pub const BUILTIN_IDS: &'static [&'static str] = builtin::IDS;

    /// A built-in plan by id. Accepts the TTN ids listed in [`FrequencyPlan::BUILTIN_IDS`], and
    /// `KR_920_923` / `RU_864_870` as names of the TTN plans of those bands.
    pub fn builtin(id: &str) -> Option<FrequencyPlan> {
        builtin::by_id(id)
    }

    /// Every built-in plan.
    pub fn builtin_all() -> Vec<FrequencyPlan> {
        builtin::IDS
            .iter()
            .filter_map(|id| builtin::by_id(id))
            .collect()
    }

    /// IF offset (Hz) of `frequency` from the centre of radio `radio`, if the radio exists.
    pub fn if_offset(&self, radio: u8, frequency: u64) -> Option<i64> {
        let centre = self.radios.get(usize::from(radio))?.frequency;
        Some(i128::from(frequency).wrapping_sub(i128::from(centre)) as i64)
    }

    /// Transmit frequency range: that of the first radio that has one.
    pub fn tx_frequency_range(&self) -> Option<TxFrequencyRange> {
        self.radios.iter().find_map(|r| r.tx)
    }

    /// Checks that channels refer to existing radios within the concentrator's IF limits and
    /// that a radio can transmit.
    pub fn validate(&self) -> Result<(), FrequencyPlanError> {
        if self.uplink_channels.len() > MAX_MULTI_SF_CHANNELS {
            return Err(FrequencyPlanError::TooManyChannels {
                plan: self.id.clone(),
                count: self.uplink_channels.len(),
            });
        }
        let mut checks: Vec<(String, u8, u64, i64)> = self
            .uplink_channels
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    format!("uplink_channels[{i}]"),
                    c.radio,
                    c.frequency,
                    MAX_IF_125KHZ,
                )
            })
            .collect();
        if let Some(c) = &self.lora_standard_channel {
            checks.push((
                "lora_standard_channel".into(),
                c.radio,
                c.frequency,
                MAX_IF_WIDE,
            ));
        }
        if let Some(c) = &self.fsk_channel {
            checks.push(("fsk_channel".into(), c.radio, c.frequency, MAX_IF_WIDE));
        }
        for (channel, radio, frequency, max) in checks {
            let Some(offset) = self.if_offset(radio, frequency) else {
                return Err(FrequencyPlanError::UnknownRadio {
                    plan: self.id.clone(),
                    channel,
                    radio,
                    radios: self.radios.len(),
                });
            };
            if offset.abs() > max {
                return Err(FrequencyPlanError::IfOutOfRange {
                    plan: self.id.clone(),
                    channel,
                    frequency,
                    radio,
                    offset,
                    max,
                });
            }
        }
        if self.tx_frequency_range().is_none() {
            return Err(FrequencyPlanError::NoTxRadio {
                plan: self.id.clone(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
