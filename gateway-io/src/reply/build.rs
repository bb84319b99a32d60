//! Building `TxRequest` downlinks for embedders: the answer to a class A uplink, a class C
//! downlink.

use loragw_basicstation::region::Region;
use loragw_ttnpb::downlink_message::Settings;
use loragw_ttnpb::downlink_path::Path;
use loragw_ttnpb::{
    Class, DataRate, DownlinkMessage, DownlinkPath, GatewayAntennaIdentifiers, RxDelay, Timestamp,
    TxRequest, TxSchedulePriority, UplinkMessage,
};

use super::ReplyError;
use crate::adapter::lbs::{data_rate_of_index, modulation_of, region_of};
use crate::freqplan::FrequencyPlan;
use crate::ids::GatewayIds;

/// A class A answer to `uplink` carrying `payload` (a PHYPayload), to be resolved by the
/// gateway's frontend into RX1 or RX2 (see [`candidates`](super::candidates)):
///
/// - `downlink_paths`: the uplink token of every `rx_metadata` entry, in order;
/// - RX1 after 1 s, on the plan's downlink channel for the uplink frequency (the uplink
///   frequency itself, or for US915 / AU915 the downlink channel numbered "uplink channel
///   mod 8"), at the band's RX1 data rate for the uplink's with RX1 DR offset 0;
/// - RX2 on the plan's `rx2` frequency and data rate;
/// - `frequency_plan_id` = the plan's, priority `NORMAL`.
///
/// Refused: an uplink without tokens, settings or a data rate the plan's band knows.
pub fn class_a(
    uplink: &UplinkMessage,
    plan: &FrequencyPlan,
    payload: Vec<u8>,
) -> Result<DownlinkMessage, ReplyError> {
    let region = region_of(plan).map_err(|e| ReplyError::Plan(e.to_string()))?;
    let downlink_paths: Vec<DownlinkPath> = uplink
        .rx_metadata
        .iter()
        .filter(|m| !m.uplink_token.is_empty())
        .map(|m| DownlinkPath {
            path: Some(Path::UplinkToken(m.uplink_token.clone())),
        })
        .collect();
    if downlink_paths.is_empty() {
        return Err(ReplyError::UplinkWithoutToken);
    }
    let settings = uplink
        .settings
        .as_ref()
        .ok_or_else(|| ReplyError::Plan("the uplink has no settings".into()))?;
    let uplink_dr = settings
        .data_rate
        .as_ref()
        .ok_or_else(|| ReplyError::Plan("the uplink has no data rate".into()))?;
    let (rx2_frequency, rx2_data_rate) = rx2(plan, region)?;
    let mut request = TxRequest {
        downlink_paths,
        rx1_frequency: rx1_frequency(plan, region, settings.frequency, uplink_dr),
        rx1_data_rate: Some(rx1_data_rate(region, uplink_dr)?),
        rx2_frequency,
        rx2_data_rate: Some(rx2_data_rate),
        frequency_plan_id: plan.id.clone(),
        ..Default::default()
    };
    request.set_class(Class::A);
    request.set_rx1_delay(RxDelay::RxDelay1);
    request.set_priority(TxSchedulePriority::Normal);
    Ok(DownlinkMessage {
        raw_payload: payload,
        settings: Some(Settings::Request(request)),
        ..Default::default()
    })
}

/// A class C downlink to `gateway` (antenna 0) carrying `payload`, on the plan's RX2 frequency
/// and data rate, at `absolute_time` or, without one, as soon as possible; priority `NORMAL`.
pub fn class_c(
    gateway: &GatewayIds,
    plan: &FrequencyPlan,
    payload: Vec<u8>,
    absolute_time: Option<Timestamp>,
) -> Result<DownlinkMessage, ReplyError> {
    let region = region_of(plan).map_err(|e| ReplyError::Plan(e.to_string()))?;
    let (rx2_frequency, rx2_data_rate) = rx2(plan, region)?;
    let mut request = TxRequest {
        downlink_paths: vec![DownlinkPath {
            path: Some(Path::Fixed(GatewayAntennaIdentifiers {
                gateway_ids: Some(gateway.to_ttnpb()),
                antenna_index: 0,
            })),
        }],
        rx2_frequency,
        rx2_data_rate: Some(rx2_data_rate),
        absolute_time,
        frequency_plan_id: plan.id.clone(),
        ..Default::default()
    };
    request.set_class(Class::C);
    request.set_priority(TxSchedulePriority::Normal);
    Ok(DownlinkMessage {
        raw_payload: payload,
        settings: Some(Settings::Request(request)),
        ..Default::default()
    })
}

fn rx2(plan: &FrequencyPlan, region: Region) -> Result<(u64, DataRate), ReplyError> {
    let dr = data_rate_of_index(region, plan.rx2.data_rate)
        .map_err(|e| ReplyError::Plan(format!("rx2: {e}")))?;
    Ok((plan.rx2.frequency, dr))
}

/// RX1 DR index for uplink DR index `up` with RX1 DR offset 0 (regional parameters): the same
/// index, except in the bands with separate downlink data rates.
fn rx1_index(region: Region, up: u8) -> Option<u8> {
    const US915: [u8; 5] = [10, 11, 12, 13, 13];
    const AU915: [u8; 7] = [8, 9, 10, 11, 12, 13, 13];
    match region {
        Region::Us915 => US915.get(usize::from(up)).copied(),
        Region::Au915 => AU915.get(usize::from(up)).copied(),
        _ => Some(up),
    }
}

fn rx1_data_rate(region: Region, uplink_dr: &DataRate) -> Result<DataRate, ReplyError> {
    let modulation = modulation_of(uplink_dr, "settings.data_rate")
        .map_err(|e| ReplyError::Plan(e.to_string()))?;
    let up = region.uplink_dr(modulation).ok_or_else(|| {
        ReplyError::Plan(format!(
            "{modulation:?} is not an uplink data rate of {}",
            region.name()
        ))
    })?;
    let index = rx1_index(region, up).ok_or_else(|| {
        ReplyError::Plan(format!("no RX1 data rate for DR{up} in {}", region.name()))
    })?;
    data_rate_of_index(region, index).map_err(|e| ReplyError::Plan(e.to_string()))
}

/// The RX1 frequency of an uplink on `frequency`: for US915 and AU915, the plan's downlink
/// channel "uplink channel number mod 8" (channel numbers from the band's channel rules);
/// elsewhere the uplink frequency (the scheduler refuses it when it is not a downlink channel).
fn rx1_frequency(plan: &FrequencyPlan, region: Region, frequency: u64, dr: &DataRate) -> u64 {
    let (base_125, base_500) = match region {
        Region::Us915 => (902_300_000, 903_000_000),
        Region::Au915 => (915_200_000, 915_900_000),
        _ => return frequency,
    };
    let wide = dr.as_lora().is_some_and(|l| l.bandwidth == 500_000);
    let channel = if wide {
        frequency
            .checked_sub(base_500)
            .filter(|d| d % 1_600_000 == 0)
            .map(|d| 64 + d / 1_600_000)
    } else {
        frequency
            .checked_sub(base_125)
            .filter(|d| d % 200_000 == 0)
            .map(|d| d / 200_000)
    };
    let n = plan.downlink_channels.len() as u64;
    match channel {
        Some(ch) if n > 0 => usize::try_from(ch % n)
            .ok()
            .and_then(|i| plan.downlink_channels.get(i).copied())
            .unwrap_or(frequency),
        _ => frequency,
    }
}
