//! Frequency plans → Basics Station `ChannelPlan` → `router_config`.

use loragw_basicstation::channel_plan::{
    ChannelPlan, ConcentratorPlan, MultiSfChannelPlan, RadioPlan, RouterConfigOptions,
    SingleDrChannelPlan, build_router_config,
};
use loragw_basicstation::region::Region;
use loragw_basicstation::router_config::{LbtChannel, LbtConf, RouterConfig};

use crate::error::TranslateError;
use crate::freqplan::FrequencyPlan;

/// The region of a plan's band (`EU_863_870` → EU868, ...).
pub fn region_of(plan: &FrequencyPlan) -> Result<Region, TranslateError> {
    Region::from_band_id(&plan.band_id).ok_or_else(|| {
        TranslateError::invalid("band_id", format!("unknown band `{}`", plan.band_id))
    })
}

fn concentrator(
    plan: &FrequencyPlan,
    antenna_gain: Option<f64>,
) -> Result<ConcentratorPlan, TranslateError> {
    if plan.radios.len() > 2 {
        return Err(TranslateError::invalid(
            "radios",
            format!(
                "{}: {} radios, a concentrator has 2",
                plan.id,
                plan.radios.len()
            ),
        ));
    }
    let mut radios: [Option<RadioPlan>; 2] = [None, None];
    for (slot, r) in radios.iter_mut().zip(&plan.radios) {
        *slot = Some(RadioPlan {
            freq: r.frequency,
            antenna_gain,
        });
    }
    Ok(ConcentratorPlan {
        radios,
        multi_sf: plan
            .uplink_channels
            .iter()
            .map(|c| MultiSfChannelPlan {
                freq: c.frequency,
                radio: c.radio,
                min_dr: c.min_data_rate,
                max_dr: c.max_data_rate,
            })
            .collect(),
        lora_std: plan.lora_standard_channel.map(|c| SingleDrChannelPlan {
            freq: c.frequency,
            radio: c.radio,
            dr: c.data_rate,
        }),
        fsk: plan.fsk_channel.map(|c| SingleDrChannelPlan {
            freq: c.frequency,
            radio: c.radio,
            dr: c.data_rate,
        }),
        lbt: plan.lbt.map(|l| LbtConf {
            enable: true,
            rssi_target: l.rssi_target.round() as i32,
            chan_cfg: plan
                .downlink_channels
                .iter()
                .take(8)
                .map(|&freq_hz| LbtChannel {
                    freq_hz,
                    scan_time_us: l.scan_time_us,
                })
                .collect(),
            sx127x_rssi_offset: Some(l.rssi_offset.round() as i32),
        }),
    })
}

/// The station channel plan of a gateway's frequency plans: one concentrator chip per plan (one
/// or two), all of one band; `freq_range` spans the plans' transmit ranges; `max_eirp` is the
/// lowest plan override; `antenna_gain` (dBi) goes on every radio.
pub fn channel_plan(
    plans: &[FrequencyPlan],
    antenna_gain: Option<f64>,
) -> Result<ChannelPlan, TranslateError> {
    let first = plans
        .first()
        .ok_or(TranslateError::Missing("frequency plans"))?;
    let region = region_of(first)?;
    if let Some(other) = plans.iter().find(|p| p.band_id != first.band_id) {
        return Err(TranslateError::invalid(
            "band_id",
            format!(
                "plans of different bands: `{}` and `{}`",
                first.band_id, other.band_id
            ),
        ));
    }
    let ranges: Vec<_> = plans
        .iter()
        .filter_map(FrequencyPlan::tx_frequency_range)
        .collect();
    let tx_min = ranges
        .iter()
        .map(|r| r.min)
        .min()
        .ok_or(TranslateError::Missing("radios[].tx"))?;
    let tx_max = ranges
        .iter()
        .map(|r| r.max)
        .max()
        .ok_or(TranslateError::Missing("radios[].tx"))?;
    let max_eirp_dbm = plans
        .iter()
        .filter_map(|p| p.max_eirp)
        .map(f64::from)
        .reduce(f64::min);
    Ok(ChannelPlan {
        region,
        tx_freq_range: [tx_min, tx_max],
        max_eirp_dbm,
        concentrators: plans
            .iter()
            .map(|p| concentrator(p, antenna_gain))
            .collect::<Result<_, _>>()?,
        beacon: None,
    })
}

/// The `router_config` for a gateway's frequency plans ([`channel_plan`] then the station
/// crate's builder, which names a region the station knows and never sends hardware fields).
pub fn router_config(
    plans: &[FrequencyPlan],
    antenna_gain: Option<f64>,
    options: &RouterConfigOptions,
) -> Result<RouterConfig, TranslateError> {
    let plan = channel_plan(plans, antenna_gain)?;
    build_router_config(&plan, options)
        .map_err(|e| TranslateError::invalid("router_config", e.to_string()))
}
