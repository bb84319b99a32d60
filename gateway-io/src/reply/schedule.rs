//! `TxRequest` → concrete `TxSettings`, as The Things Stack's gateway server resolves them.

use std::time::Duration;

use loragw_basicstation::region::Region;
use loragw_ttnpb::data_rate::Modulation;
use loragw_ttnpb::downlink_message::Settings;
use loragw_ttnpb::downlink_path::Path;
use loragw_ttnpb::{
    Class, DataRate, DownlinkMessage, Timestamp, TxRequest, TxSettings, UplinkToken, tx_settings,
};

use super::ReplyError;
use super::token::decode_uplink_token;
use crate::adapter::lbs::{modulation_of, region_of};
use crate::freqplan::FrequencyPlan;
use crate::ids::GatewayIds;

/// The least time between resolving a downlink and its transmission: The Things Stack's
/// `ScheduleTimeShort` (130 ms), enough for the downlink to reach a gateway and its
/// concentrator. A receive window that starts sooner is too late.
pub const MIN_LEAD: Duration = Duration::from_millis(130);

/// What resolving a `TxRequest` needs to know about the gateway and the time.
#[derive(Debug, Clone, Copy)]
pub struct ScheduleContext<'a> {
    /// The gateway the downlink goes to: only uplink tokens of this gateway are used.
    pub gateway: &'a GatewayIds,
    /// The gateway's frequency plan: its downlink channels, RX2, band and maximum EIRP.
    pub plan: &'a FrequencyPlan,
    /// The server's wall-clock time now (UTC), compared with the token's `server_time`.
    pub now: Timestamp,
    /// The least time a window must still be away; [`MIN_LEAD`] by default.
    pub lead: Duration,
}

impl<'a> ScheduleContext<'a> {
    /// A context with the default lead time [`MIN_LEAD`].
    pub fn new(gateway: &'a GatewayIds, plan: &'a FrequencyPlan, now: Timestamp) -> Self {
        ScheduleContext {
            gateway,
            plan,
            now,
            lead: MIN_LEAD,
        }
    }
}

/// `message` with a `TxRequest` replaced by the first possible window's scheduled settings
/// ([`candidates`]); scheduled settings pass unchanged.
pub fn schedule(
    mut message: DownlinkMessage,
    ctx: &ScheduleContext<'_>,
) -> Result<DownlinkMessage, ReplyError> {
    if let Some(Settings::Request(request)) = &message.settings {
        let first = candidates(request, ctx)?
            .into_iter()
            .next()
            .ok_or(ReplyError::NoWindow {
                refused: Vec::new(),
            })?;
        message.settings = Some(Settings::Scheduled(first));
    }
    Ok(message)
}

/// The windows a `TxRequest` may be transmitted in on this gateway, best first, as concrete
/// settings. At least one, or an error saying why none.
///
/// - Class A needs an uplink token of this gateway in `downlink_paths` (the first that decodes
///   and names the gateway; [`ReplyError::NoUplinkToken`] otherwise). RX1 is at the token's
///   `timestamp` + `rx1_delay` seconds (0 counts as 1 s) on `rx1_frequency` / `rx1_data_rate`,
///   RX2 one second later on `rx2_frequency` / `rx2_data_rate`; a window whose frequency is 0
///   is not requested. A window is refused when it starts less than `lead` from now (judged
///   from the token's `server_time`), its frequency is not a downlink channel (nor the RX2
///   frequency) of the plan, or its data rate is not a downlink data rate of the plan's band.
///   `timestamp` is the 32-bit concentrator time (wrapping), `concentrator_timestamp` the
///   token's `concentrator_time` plus the delay, `time` the token's `gateway_time` (GPS) plus
///   the delay when known; the antenna is the token's.
/// - Class B needs `absolute_time`; class C takes `absolute_time` or, without it, "now"
///   (neither `timestamp` nor `time`: transmit immediately). Both use the RX2 frequency and
///   data rate (the ping slot or class C channel), RX1's when RX2 is unset; an absolute time
///   less than `lead` away is too late. The antenna is that of the first path (a fixed antenna
///   or an uplink token of this gateway), else 0.
///
/// Every window: `tx_power` = the plan's maximum EIRP, else the band's default (sub-band
/// limits are not modelled), `invert_polarization` for LoRa (LoRaWAN downlinks), `enable_crc`
/// false (LoRaWAN downlinks carry no payload CRC).
pub fn candidates(
    request: &TxRequest,
    ctx: &ScheduleContext<'_>,
) -> Result<Vec<TxSettings>, ReplyError> {
    let region = region_of(ctx.plan).map_err(|e| ReplyError::Plan(e.to_string()))?;
    let token = own_token(request, ctx.gateway);
    let lead_us = i128::try_from(ctx.lead.as_micros()).unwrap_or(i128::MAX);
    let mut refused = Vec::new();
    let mut out = Vec::new();
    match request.class() {
        Class::A => {
            let token = token.ok_or_else(|| ReplyError::NoUplinkToken {
                gateway: ctx.gateway.gateway_id.clone(),
            })?;
            let rx1_s = u32::try_from(request.rx1_delay).unwrap_or(1).max(1);
            let windows = [
                ("RX1", rx1_s, request.rx1_frequency, &request.rx1_data_rate),
                (
                    "RX2",
                    rx1_s + 1,
                    request.rx2_frequency,
                    &request.rx2_data_rate,
                ),
            ];
            for (name, delay_s, frequency, dr) in windows {
                if frequency == 0 {
                    continue;
                }
                let delay_us = i128::from(delay_s) * 1_000_000;
                let left_us = token
                    .server_time
                    .map(|t| delay_us - micros_between(&t, &ctx.now));
                let checked = match left_us {
                    Some(left) if left < lead_us => Err(format!(
                        "too late: starts in {} ms, at least {} ms needed",
                        left / 1000,
                        lead_us / 1000
                    )),
                    _ => settings(ctx, region, frequency, dr.as_ref(), token_antenna(&token)),
                };
                match checked {
                    Ok(mut s) => {
                        #[allow(clippy::cast_possible_truncation)] // 32-bit counter: wraps
                        let delay_us = delay_us as u32;
                        s.timestamp = token.timestamp.wrapping_add(delay_us);
                        s.concentrator_timestamp = token
                            .concentrator_time
                            .saturating_add(i64::from(delay_s) * 1_000_000_000);
                        s.time = token.gateway_time.map(|t| add_seconds(t, delay_s));
                        out.push(s);
                    }
                    Err(reason) => refused.push(format!("{name}: {reason}")),
                }
            }
        }
        class => {
            if class == Class::B && request.absolute_time.is_none() {
                return Err(ReplyError::MissingAbsoluteTime);
            }
            if let Some(at) = &request.absolute_time {
                let left = micros_between(&ctx.now, at);
                if left < lead_us {
                    return Err(ReplyError::TooLate {
                        time: *at,
                        left_ms: left / 1000,
                    });
                }
            }
            let (frequency, dr) = if request.rx2_frequency != 0 {
                (request.rx2_frequency, &request.rx2_data_rate)
            } else {
                (request.rx1_frequency, &request.rx1_data_rate)
            };
            let antenna = path_antenna(request, ctx.gateway, token.as_ref());
            match settings(ctx, region, frequency, dr.as_ref(), antenna) {
                Ok(mut s) => {
                    s.time = request.absolute_time;
                    out.push(s);
                }
                Err(reason) => refused.push(format!("class {class:?}: {reason}")),
            }
        }
    }
    if out.is_empty() {
        return Err(ReplyError::NoWindow { refused });
    }
    Ok(out)
}

/// The first uplink token in the paths that decodes and names `gateway`.
fn own_token(request: &TxRequest, gateway: &GatewayIds) -> Option<UplinkToken> {
    request.downlink_paths.iter().find_map(|p| match &p.path {
        Some(Path::UplinkToken(bytes)) => decode_uplink_token(bytes).filter(|t| {
            t.ids
                .as_ref()
                .and_then(|i| i.gateway_ids.as_ref())
                .is_some_and(|g| g.gateway_id == gateway.gateway_id)
        }),
        _ => None,
    })
}

fn token_antenna(token: &UplinkToken) -> u32 {
    token.ids.as_ref().map_or(0, |i| i.antenna_index)
}

/// The antenna of a class B/C downlink: the token's, else the first fixed path's of this
/// gateway, else 0.
fn path_antenna(request: &TxRequest, gateway: &GatewayIds, token: Option<&UplinkToken>) -> u32 {
    if let Some(t) = token {
        return token_antenna(t);
    }
    request
        .downlink_paths
        .iter()
        .find_map(|p| match &p.path {
            Some(Path::Fixed(f))
                if f.gateway_ids
                    .as_ref()
                    .is_some_and(|g| g.gateway_id == gateway.gateway_id) =>
            {
                Some(f.antenna_index)
            }
            _ => None,
        })
        .unwrap_or(0)
}

/// The settings of one window, without its time; the reason when the plan forbids it.
fn settings(
    ctx: &ScheduleContext<'_>,
    region: Region,
    frequency: u64,
    dr: Option<&DataRate>,
    antenna_index: u32,
) -> Result<TxSettings, String> {
    let plan = ctx.plan;
    if frequency == 0 {
        return Err("no frequency".into());
    }
    if !plan.downlink_channels.contains(&frequency) && plan.rx2.frequency != frequency {
        return Err(format!(
            "{frequency} Hz is not a downlink channel of {}",
            plan.id
        ));
    }
    let dr = dr.ok_or("no data rate")?;
    let modulation = modulation_of(dr, "data_rate").map_err(|e| e.to_string())?;
    if region.downlink_dr(modulation).is_none() {
        return Err(format!(
            "{modulation:?} is not a downlink data rate of {}",
            plan.band_id
        ));
    }
    let lora = matches!(dr.modulation, Some(Modulation::Lora(_)));
    Ok(TxSettings {
        data_rate: Some(dr.clone()),
        frequency,
        enable_crc: false,
        downlink: Some(tx_settings::Downlink {
            antenna_index,
            tx_power: max_eirp(plan, region),
            invert_polarization: lora,
        }),
        ..Default::default()
    })
}

/// The EIRP (dBm) downlinks are sent with: the plan's maximum, else the band's default.
pub(crate) fn max_eirp(plan: &FrequencyPlan, region: Region) -> f32 {
    #[allow(clippy::cast_possible_truncation)] // a few tens of dBm
    plan.max_eirp
        .unwrap_or(region.default_max_eirp_dbm() as f32)
}

/// Microseconds from `a` to `b` (negative when `b` is earlier).
fn micros_between(a: &Timestamp, b: &Timestamp) -> i128 {
    let ns = |t: &Timestamp| i128::from(t.seconds) * 1_000_000_000 + i128::from(t.nanos);
    (ns(b) - ns(a)) / 1000
}

fn add_seconds(t: Timestamp, s: u32) -> Timestamp {
    Timestamp {
        seconds: t.seconds + i64::from(s),
        nanos: t.nanos,
    }
}
