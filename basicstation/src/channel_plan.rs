//! Channel plans and the `router_config` builder.
//!
//! A [`ChannelPlan`] describes what the concentrator(s) listen to, with absolute frequencies:
//! radios (RF chains) and their centre frequencies, the 125 kHz multi-SF channels, the fast LoRa
//! ("LoRa std") channel and the FSK channel, per chip, for one or two chips (8 or 16 multi-SF
//! channels). [`build_router_config`] turns it into a [`RouterConfig`] the reference station
//! accepts:
//! - `region` is a name the station knows ([`Region::station_region`]), never an unknown one;
//! - `DRs` has `-1` for undefined and inexpressible DRs and `dnonly` on downlink-only DRs;
//! - `hwspec` is `sx1301/N` for N chips, and `sx1301_conf` has one entry per chip;
//! - IF offsets are computed from the absolute frequencies (`if = freq − radio centre`) and
//!   checked against what the radio receives ([`max_if_offset`]);
//! - no hardware fields (`clksrc`, `rssi_offset`, `tx_enable`, TX gain tables) are ever sent;
//! - every number is an integer literal except `max_eirp` fractions and `MuxTime`;
//! - the message including `msgtype` is at most [`MAX_FRAME_LEN`] bytes, otherwise an error.
//!
//! ```
//! use loragw_basicstation::channel_plan::*;
//! use loragw_basicstation::region::Region;
//!
//! // US915 sub-band 2 on one concentrator (TTN plan US_902_928_FSB_2).
//! let ch = |freq, radio| MultiSfChannelPlan { freq, radio, min_dr: 0, max_dr: 3 };
//! let plan = ChannelPlan {
//!     region: Region::Us915,
//!     tx_freq_range: [923_000_000, 928_000_000],
//!     max_eirp_dbm: None,
//!     concentrators: vec![ConcentratorPlan {
//!         radios: [
//!             Some(RadioPlan { freq: 904_300_000, antenna_gain: None }),
//!             Some(RadioPlan { freq: 905_000_000, antenna_gain: None }),
//!         ],
//!         multi_sf: vec![
//!             ch(903_900_000, 0), ch(904_100_000, 0), ch(904_300_000, 0), ch(904_500_000, 0),
//!             ch(904_700_000, 1), ch(904_900_000, 1), ch(905_100_000, 1), ch(905_300_000, 1),
//!         ],
//!         lora_std: Some(SingleDrChannelPlan { freq: 904_600_000, radio: 0, dr: 4 }),
//!         fsk: None,
//!         lbt: None,
//!     }],
//!     beacon: None,
//! };
//! let options = RouterConfigOptions { mux_time: Some(1_700_000_000.25), ..Default::default() };
//! let config = build_router_config(&plan, &options)?;
//! assert_eq!(config.region, "US902");
//! assert_eq!(config.drs[8], [12, 500, 1]); // downlink-only
//! let text = config.to_message_json()?; // one websocket text frame
//! assert!(text.starts_with(r#"{"msgtype":"router_config","region":"US902","hwspec":"sx1301/1""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use thiserror::Error;

use crate::region::{DrDirection, Modulation, Region, RegionNaming};
use crate::router_config::{
    Beaconing, ChannelSlot, DrEntry, FskChannel, IfChannel, JoinEuiRange, LbtConf, LoraStdChannel,
    MAX_BEACON_FREQS, MAX_FRAME_LEN, MAX_JOIN_EUI_RANGES, MAX_UPCHANNELS, RadioConf, RouterConfig,
    Sx1301Conf, UpChannel,
};

/// Most concentrator chips a plan may have (16 multi-SF channels).
pub const MAX_CONCENTRATORS: usize = 2;

/// Multi-SF channels per chip.
pub const MULTI_SF_PER_CHIP: usize = 8;

/// The highest DR index `upchannels` may name.
pub const MAX_UPCHANNEL_DR: u8 = 7;

/// One RF chain of a chip.
#[derive(Debug, Clone, PartialEq)]
pub struct RadioPlan {
    /// Centre frequency in Hz.
    pub freq: u64,
    /// Antenna gain in dBi, sent as `antenna_gain` when set (the station lowers TX power by it).
    pub antenna_gain: Option<f64>,
}

/// A 125 kHz multi-SF uplink channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultiSfChannelPlan {
    /// Frequency in Hz.
    pub freq: u64,
    /// RF chain (0 or 1) of its chip.
    pub radio: u8,
    /// Lowest DR index.
    pub min_dr: u8,
    /// Highest DR index.
    pub max_dr: u8,
}

/// A single-DR channel (LoRa std or FSK).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SingleDrChannelPlan {
    /// Frequency in Hz.
    pub freq: u64,
    /// RF chain (0 or 1) of its chip.
    pub radio: u8,
    /// DR index (a 250/500 kHz LoRa DR for LoRa std, an FSK DR for FSK).
    pub dr: u8,
}

/// One concentrator chip.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConcentratorPlan {
    /// `radio_0`, `radio_1`; `None` = disabled.
    pub radios: [Option<RadioPlan>; 2],
    /// Up to [`MULTI_SF_PER_CHIP`] multi-SF channels, in slot order.
    pub multi_sf: Vec<MultiSfChannelPlan>,
    /// The fast LoRa channel.
    pub lora_std: Option<SingleDrChannelPlan>,
    /// The FSK channel.
    pub fsk: Option<SingleDrChannelPlan>,
    /// Listen-before-talk, if the plan has it.
    pub lbt: Option<LbtConf>,
}

/// A channel plan for one gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelPlan {
    /// The region (DR table, region name, default EIRP).
    pub region: Region,
    /// Lowest and highest TX frequency in Hz (`freq_range`).
    pub tx_freq_range: [u64; 2],
    /// Maximum EIRP in dBm; `None` = the region default. Sent as `max_eirp` only when it is
    /// at most the station region's default TX power (the station can only lower it).
    pub max_eirp_dbm: Option<f64>,
    /// One or two chips.
    pub concentrators: Vec<ConcentratorPlan>,
    /// Class B beaconing, if any.
    pub beacon: Option<Beaconing>,
}

/// Knobs of [`build_router_config`] that are not part of the channel plan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RouterConfigOptions {
    /// Which spelling of the station region name to send.
    pub naming: RegionNaming,
    /// Also send `upchannels` (the station then allocates IF channels itself). Single-chip
    /// plans only. Off by default: the plan's own `sx1301_conf` is then used as is.
    pub upchannels: bool,
    /// `NetID` filter; `None` = no filter.
    pub net_ids: Option<Vec<u32>>,
    /// `JoinEui` filter; `None` = no filter; at most [`MAX_JOIN_EUI_RANGES`].
    pub join_eui_ranges: Option<Vec<JoinEuiRange>>,
    /// `MuxTime`: the LNS's UTC time in seconds.
    pub mux_time: Option<f64>,
    /// Send `nocca: true` (dev stations only).
    pub nocca: bool,
    /// Send `nodc: true` (dev stations only).
    pub nodc: bool,
    /// Send `nodwell: true` (dev stations only).
    pub nodwell: bool,
    /// Send `device_mode: true`.
    pub device_mode: bool,
    /// Skip the IF range check ([`max_if_offset`]); only IFs beyond ±2^31 Hz are refused then.
    pub allow_wide_if: bool,
}

/// The largest |IF offset| (Hz) of a channel of this bandwidth from its radio's centre: the
/// SX1301 receive window (925/1000/1100 kHz for 125/250/500 kHz channels) less the channel
/// bandwidth, halved: 400000 for 125 kHz (multi-SF and FSK channels), 375000 for 250 kHz,
/// 300000 for 500 kHz.
pub fn max_if_offset(bandwidth_khz: u16) -> u32 {
    match bandwidth_khz {
        0..=125 => 400_000,
        126..=250 => 375_000,
        _ => 300_000,
    }
}

/// Why a channel plan cannot become a `router_config`.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum RouterConfigError {
    /// No concentrator, or more than [`MAX_CONCENTRATORS`].
    #[error("channel plan has {0} concentrators; 1 to {MAX_CONCENTRATORS} are supported")]
    ConcentratorCount(usize),
    /// More than 8 multi-SF channels on one chip.
    #[error("concentrator {chip}: {count} multi-SF channels, at most {MULTI_SF_PER_CHIP}")]
    TooManyMultiSf {
        /// Chip index.
        chip: usize,
        /// Channels given.
        count: usize,
    },
    /// A channel names a radio that is missing or disabled.
    #[error("concentrator {chip}, {channel}: radio {radio} is not enabled")]
    RadioNotEnabled {
        /// Chip index.
        chip: usize,
        /// Which channel (`chan_multiSF_3`, `chan_Lora_std`, `chan_FSK`).
        channel: String,
        /// Radio index.
        radio: u8,
    },
    /// A channel lies too far from its radio's centre frequency (see [`max_if_offset`]).
    #[error(
        "concentrator {chip}, {channel}: IF offset {if_offset} Hz is outside the radio's ±{max} Hz"
    )]
    IfOutOfRange {
        /// Chip index.
        chip: usize,
        /// Which channel.
        channel: String,
        /// The offset from the radio centre in Hz.
        if_offset: i128,
        /// The largest allowed magnitude in Hz.
        max: i128,
    },
    /// A channel's DR is not suitable.
    #[error("concentrator {chip}, {channel}: DR{dr} {reason} in {region}")]
    BadDataRate {
        /// Chip index.
        chip: usize,
        /// Which channel.
        channel: String,
        /// The DR index.
        dr: u8,
        /// What is wrong with it.
        reason: &'static str,
        /// The plan's region.
        region: Region,
    },
    /// `tx_freq_range` has min > max.
    #[error("TX frequency range {0} > {1}")]
    TxRange(u64, u64),
    /// `upchannels` requested where the station cannot use it.
    #[error("upchannels: {0}")]
    Upchannels(&'static str),
    /// Too many `JoinEui` ranges or beacon frequencies.
    #[error("{what}: {count} entries, at most {max}")]
    TooMany {
        /// Which list.
        what: &'static str,
        /// Entries given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The encoded message would exceed the station's frame limit.
    #[error("router_config is {0} bytes, more than the station's {MAX_FRAME_LEN}-byte frame limit")]
    TooLarge(usize),
    /// JSON encoding failed (non-finite `MuxTime` or `max_eirp`).
    #[error("router_config cannot be encoded: {0}")]
    Encode(String),
}

struct ChipCtx<'a> {
    check_if: bool,
    region: Region,
    chip: usize,
    radios: &'a [Option<RadioPlan>; 2],
}

impl ChipCtx<'_> {
    fn if_offset(
        &self,
        channel: &str,
        radio: u8,
        freq: u64,
        bandwidth_khz: u16,
    ) -> Result<i32, RouterConfigError> {
        let centre = self
            .radios
            .get(usize::from(radio))
            .and_then(Option::as_ref)
            .ok_or_else(|| RouterConfigError::RadioNotEnabled {
                chip: self.chip,
                channel: channel.to_owned(),
                radio,
            })?
            .freq;
        let if_offset = i128::from(freq) - i128::from(centre);
        let max = if self.check_if {
            i128::from(max_if_offset(bandwidth_khz))
        } else {
            i128::from(i32::MAX)
        };
        if if_offset.abs() > max {
            return Err(RouterConfigError::IfOutOfRange {
                chip: self.chip,
                channel: channel.to_owned(),
                if_offset,
                max,
            });
        }
        Ok(i32::try_from(if_offset).expect("bounded by max <= i32::MAX"))
    }

    fn uplink_dr(&self, channel: &str, dr: u8) -> Result<Modulation, RouterConfigError> {
        let bad = |reason| RouterConfigError::BadDataRate {
            chip: self.chip,
            channel: channel.to_owned(),
            dr,
            reason,
            region: self.region,
        };
        let d = self
            .region
            .data_rate(dr)
            .ok_or_else(|| bad("is not defined"))?;
        if d.direction == DrDirection::DownlinkOnly {
            return Err(bad("is downlink-only"));
        }
        Ok(d.modulation)
    }
}

fn build_chip(
    region: Region,
    chip: usize,
    plan: &ConcentratorPlan,
    check_if: bool,
) -> Result<Sx1301Conf, RouterConfigError> {
    if plan.multi_sf.len() > MULTI_SF_PER_CHIP {
        return Err(RouterConfigError::TooManyMultiSf {
            chip,
            count: plan.multi_sf.len(),
        });
    }
    let ctx = ChipCtx {
        check_if,
        region,
        chip,
        radios: &plan.radios,
    };
    let mut conf = Sx1301Conf {
        lbt: plan.lbt.clone(),
        ..Sx1301Conf::default()
    };
    for (slot, radio) in conf.radios.iter_mut().zip(&plan.radios) {
        *slot = match radio {
            Some(r) => ChannelSlot::Enabled(RadioConf {
                antenna_gain: r.antenna_gain,
                ..RadioConf::new(r.freq)
            }),
            None => ChannelSlot::Disabled,
        };
    }
    for (i, slot) in conf.multi_sf.iter_mut().enumerate() {
        let Some(ch) = plan.multi_sf.get(i) else {
            *slot = ChannelSlot::Disabled;
            continue;
        };
        let name = format!("chan_multiSF_{i}");
        if ch.min_dr > ch.max_dr {
            return Err(RouterConfigError::BadDataRate {
                chip,
                channel: name,
                dr: ch.min_dr,
                reason: "is above the channel's max DR",
                region,
            });
        }
        for dr in [ch.min_dr, ch.max_dr] {
            ctx.uplink_dr(&name, dr)?;
        }
        *slot = ChannelSlot::Enabled(IfChannel {
            radio: ch.radio,
            if_offset: ctx.if_offset(&name, ch.radio, ch.freq, 125)?,
        });
    }
    conf.lora_std = match plan.lora_std {
        None => ChannelSlot::Disabled,
        Some(ch) => {
            let name = "chan_Lora_std";
            match ctx.uplink_dr(name, ch.dr)? {
                Modulation::Lora {
                    spreading_factor: sf @ 7..=12,
                    bandwidth_khz: bw @ (125 | 250 | 500),
                } => ChannelSlot::Enabled(LoraStdChannel {
                    radio: ch.radio,
                    if_offset: ctx.if_offset(name, ch.radio, ch.freq, bw)?,
                    bandwidth: u32::from(bw) * 1000,
                    spread_factor: sf,
                }),
                _ => {
                    return Err(RouterConfigError::BadDataRate {
                        chip,
                        channel: name.into(),
                        dr: ch.dr,
                        reason: "is not a LoRa SF7..12 DR",
                        region,
                    });
                }
            }
        }
    };
    conf.fsk = match plan.fsk {
        None => ChannelSlot::Disabled,
        Some(ch) => {
            let name = "chan_FSK";
            match ctx.uplink_dr(name, ch.dr)? {
                Modulation::Fsk { bit_rate } => ChannelSlot::Enabled(FskChannel {
                    radio: ch.radio,
                    if_offset: ctx.if_offset(name, ch.radio, ch.freq, 125)?,
                    bandwidth: None,
                    datarate: bit_rate,
                }),
                _ => {
                    return Err(RouterConfigError::BadDataRate {
                        chip,
                        channel: name.into(),
                        dr: ch.dr,
                        reason: "is not an FSK DR",
                        region,
                    });
                }
            }
        }
    };
    Ok(conf)
}

/// `upchannels` for a single-chip plan: the multi-SF channels by ascending frequency, then the
/// LoRa std channel and the FSK channel as `[freq, dr, dr]`.
fn upchannels(plan: &ConcentratorPlan) -> Result<Vec<UpChannel>, RouterConfigError> {
    let mut multi: Vec<UpChannel> = plan
        .multi_sf
        .iter()
        .map(|c| [c.freq, u64::from(c.min_dr), u64::from(c.max_dr)])
        .collect();
    multi.sort_unstable();
    let singles = [plan.lora_std, plan.fsk]
        .into_iter()
        .flatten()
        .map(|c| [c.freq, u64::from(c.dr), u64::from(c.dr)]);
    let all: Vec<UpChannel> = multi.into_iter().chain(singles).collect();
    if all.iter().any(|c| c[2] > u64::from(MAX_UPCHANNEL_DR)) {
        return Err(RouterConfigError::Upchannels(
            "a DR above 7 cannot be named",
        ));
    }
    if all.len() > MAX_UPCHANNELS {
        return Err(RouterConfigError::TooMany {
            what: "upchannels",
            count: all.len(),
            max: MAX_UPCHANNELS,
        });
    }
    Ok(all)
}

/// Build the `router_config` for a channel plan (see the module docs for the guarantees).
pub fn build_router_config(
    plan: &ChannelPlan,
    options: &RouterConfigOptions,
) -> Result<RouterConfig, RouterConfigError> {
    if options.mux_time.is_some_and(|t| !t.is_finite())
        || plan.max_eirp_dbm.is_some_and(|e| !e.is_finite())
    {
        return Err(RouterConfigError::Encode(
            "MuxTime and max_eirp must be finite".into(),
        ));
    }
    let chips = plan.concentrators.len();
    if chips == 0 || chips > MAX_CONCENTRATORS {
        return Err(RouterConfigError::ConcentratorCount(chips));
    }
    let [tx_min, tx_max] = plan.tx_freq_range;
    if tx_min > tx_max {
        return Err(RouterConfigError::TxRange(tx_min, tx_max));
    }
    let sx1301_conf = plan
        .concentrators
        .iter()
        .enumerate()
        .map(|(i, c)| build_chip(plan.region, i, c, !options.allow_wide_if))
        .collect::<Result<Vec<_>, _>>()?;
    let upchannels = match (options.upchannels, plan.concentrators.as_slice()) {
        (false, _) => None,
        (true, [single]) => Some(upchannels(single)?),
        (true, _) => {
            return Err(RouterConfigError::Upchannels(
                "the station allocates for one chip only",
            ));
        }
    };
    let join_ranges = options.join_eui_ranges.as_ref().map_or(0, Vec::len);
    if join_ranges > MAX_JOIN_EUI_RANGES {
        return Err(RouterConfigError::TooMany {
            what: "JoinEui ranges",
            count: join_ranges,
            max: MAX_JOIN_EUI_RANGES,
        });
    }
    let beacon_freqs = plan.beacon.as_ref().map_or(0, |b| b.freqs.len());
    if beacon_freqs > MAX_BEACON_FREQS {
        return Err(RouterConfigError::TooMany {
            what: "beacon frequencies",
            count: beacon_freqs,
            max: MAX_BEACON_FREQS,
        });
    }
    let station = plan.region.station_region().region;
    let eirp = plan
        .max_eirp_dbm
        .unwrap_or_else(|| plan.region.default_max_eirp_dbm());
    // `max_eirp` can only lower the station's default; leave it out when it would not.
    let max_eirp = (eirp <= station.default_tx_power_dbm()).then_some(eirp);
    let drs: Vec<DrEntry> = plan.region.station_drs().to_vec();
    let config = RouterConfig {
        region: station.name(options.naming).to_owned(),
        hwspec: format!("sx1301/{chips}"),
        freq_range: Some(plan.tx_freq_range),
        drs,
        mux_time: options.mux_time,
        upchannels,
        net_id: options.net_ids.clone(),
        join_eui: options.join_eui_ranges.clone(),
        join_eui_key: Default::default(),
        max_eirp,
        sx1301_conf,
        chip_conf_key: Default::default(),
        nocca: options.nocca.then_some(true),
        nodc: options.nodc.then_some(true),
        nodwell: options.nodwell.then_some(true),
        device_mode: options.device_mode.then_some(true),
        bcning: plan.beacon.clone(),
    };
    let len = config
        .to_message_json()
        .map_err(|e| RouterConfigError::Encode(e.to_string()))?
        .len();
    if len > MAX_FRAME_LEN {
        return Err(RouterConfigError::TooLarge(len));
    }
    Ok(config)
}

#[cfg(test)]
#[path = "channel_plan_tests.rs"]
mod tests;
