//! Downlinks by request: uplink tokens on every uplink, `TxRequest` resolution into concrete
//! settings, and builders for embedders.
//!
//! Every uplink, on every protocol, carries `rx_metadata[].uplink_token`
//! ([`stamp_uplink_tokens`]): the gateway antenna, the concentrator time of the reception,
//! the server's receive time and the GPS time when known. A network server answers with a
//! `DownlinkMessage` whose settings are a `TxRequest` naming that token in `downlink_paths`;
//! each frontend resolves it with [`schedule`] into the settings of the first possible window
//! (class A: RX1, else RX2; class B / C: at `absolute_time`, class C also "now") before
//! translating it for the gateway, as The Things Stack's gateway server does. The gateway's
//! frequency plan is its first one: a Basics Station's is known from its connection; for
//! Semtech UDP and MQTT gateways the frontend asks the registry when a request arrives (the
//! gateway's first plan, else the request's `frequency_plan_id`).
//!
//! [`class_a`] and [`class_c`] build such requests:
//!
//! ```
//! use loragw_gateway_io::freqplan::FrequencyPlan;
//! use loragw_gateway_io::reply;
//! # fn answer(uplink: &loragw_gateway_io::ttnpb::UplinkMessage) -> Result<(), reply::ReplyError> {
//! let plan = FrequencyPlan::builtin("EU_863_870").expect("built in");
//! let downlink = reply::class_a(uplink, &plan, vec![0x60, 1, 2, 3, 4])?;
//! // server.send_downlink(&gateway, downlink).await?;
//! # let _ = downlink; Ok(()) }
//! ```

mod build;
mod schedule;
pub(crate) mod token;

pub use build::{class_a, class_c};
pub use schedule::{MIN_LEAD, ScheduleContext, candidates, schedule};
pub use token::{decode_uplink_token, stamp_uplink_tokens};

use loragw_ttnpb::downlink_message::Settings;
use loragw_ttnpb::{DownlinkMessage, Timestamp};

use crate::error::CommandError;
pub use crate::error::ReplyError;
use crate::freqplan::FrequencyPlan;
use crate::ids::GatewayIds;
use crate::registry::GatewayRegistry;

/// A downlink command's message with a `TxRequest` resolved ([`schedule`]) for `gateway`,
/// with the plan the frontend already knows (`known`: a Basics Station's), else from
/// `registry`: the gateway's first plan, else the request's `frequency_plan_id` (a registry
/// lookup on the frontend's driver, once per request). Scheduled settings pass untouched.
pub(crate) fn resolve_command<R: GatewayRegistry + ?Sized>(
    registry: &R,
    gateway: &GatewayIds,
    known: Option<&FrequencyPlan>,
    message: DownlinkMessage,
    now: Timestamp,
) -> Result<DownlinkMessage, CommandError> {
    let Some(Settings::Request(request)) = &message.settings else {
        return Ok(message);
    };
    let fail = |source| CommandError::Request {
        gateway: gateway.gateway_id.clone(),
        source,
    };
    if let Some(plan) = known {
        return schedule(message, &ScheduleContext::new(gateway, plan, now)).map_err(fail);
    }
    let plan = registry
        .gateway_by_id(&gateway.gateway_id)
        .and_then(|r| r.frequency_plan_ids.first().cloned())
        .and_then(|id| registry.frequency_plan(&id))
        .or_else(|| registry.frequency_plan(&request.frequency_plan_id))
        .ok_or_else(|| {
            fail(ReplyError::NoPlan {
                gateway: gateway.gateway_id.clone(),
            })
        })?;
    schedule(message, &ScheduleContext::new(gateway, &plan, now)).map_err(fail)
}

#[cfg(test)]
mod tests;
