//! `DownlinkMessage` → `dnmsg` (through the LNS session's `DownlinkRequest`), `dntxed` →
//! `TxAcknowledgment`.

use loragw_basicstation::Eui64 as StationEui;
use loragw_basicstation::lns::{DownlinkRequest, DownlinkSchedule};
use loragw_basicstation::message::{MAX_PDU_LEN, TxWindow};
use loragw_basicstation::region::Region;
use loragw_ttnpb::downlink_message::Settings;
use loragw_ttnpb::time::timestamp_to_gps_micros;
use loragw_ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_ttnpb::{DataRate, DownlinkMessage, Timestamp, TxAcknowledgment};

use super::modulation_of;
use crate::clock::XTime;
use crate::error::TranslateError;

/// The `DevEui` sent when the downlink names no device: non-zero, so the station confirms the
/// transmission with `dntxed` (The Things Stack sends the same).
pub const PLACEHOLDER_DEV_EUI: u64 = 1;

/// Priority of downlinks with scheduled settings, which carry none (The Things Stack's constant).
pub const SCHEDULED_PRIORITY: u8 = 25;

/// What [`downlink_to_request`] needs besides the message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DownlinkContext {
    /// The region whose table turns data rates into DR indices (the gateway's band).
    pub region: Region,
    /// The `xtime` of the station's latest uplink: its xtime session and counter turn 32-bit
    /// `timestamp`s into xtimes. Needed for timestamp-scheduled downlinks and class A requests.
    pub reference_xtime: Option<i64>,
}

pub(crate) fn window(
    region: Region,
    dr: Option<&DataRate>,
    frequency: u64,
    field: &'static str,
) -> Result<TxWindow, TranslateError> {
    let dr = dr.ok_or(TranslateError::Missing(field))?;
    let modulation = modulation_of(dr, field)?;
    let index = region.downlink_dr(modulation).ok_or_else(|| {
        TranslateError::invalid(
            field,
            format!("no downlink DR in {} for {modulation:?}", region.name()),
        )
    })?;
    let freq = u32::try_from(frequency).map_err(|_| {
        TranslateError::invalid(field, format!("frequency {frequency} Hz out of range"))
    })?;
    Ok(TxWindow { dr: index, freq })
}

fn gps_micros(t: &Timestamp, field: &'static str) -> Result<i64, TranslateError> {
    timestamp_to_gps_micros(t)
        .ok()
        .and_then(|us| i64::try_from(us).ok())
        .ok_or_else(|| TranslateError::invalid(field, "not a GPS time"))
}

fn need_reference(ctx: &DownlinkContext) -> Result<XTime, TranslateError> {
    ctx.reference_xtime.map(XTime).ok_or_else(|| {
        TranslateError::invalid(
            "settings",
            "no xtime session yet: a concentrator-timestamp downlink needs an uplink from the station first",
        )
    })
}

fn txunit(antenna: u32) -> Result<u8, TranslateError> {
    u8::try_from(antenna)
        .ok()
        .filter(|a| *a < 0x80)
        .ok_or_else(|| TranslateError::invalid("antenna_index", format!("{antenna} above 127")))
}

/// The LNS-session downlink for `message`.
///
/// Scheduled settings (the gateway server already chose the window):
/// - `timestamp` ≠ 0: at that concentrator time in the station's current xtime session (sent as
///   `RxDelay` 1 with `xtime` one second earlier, `dC` 0), txunit = antenna;
/// - else `time`: `dC` 1 with `gpstime` (class B, or class C at an absolute time);
/// - else: `dC` 2, RX2 at once (class C).
///
/// A `TxRequest` is refused: frontends resolve it into scheduled settings first
/// ([`schedule`](crate::reply::schedule)), as The Things Stack does, so a class A answer goes
/// out as `RxDelay` 1 with the `xtime` of its window.
///
/// `DevEui` is the end device's when known, else [`PLACEHOLDER_DEV_EUI`]; the priority is
/// [`SCHEDULED_PRIORITY`] (scheduled settings carry none).
pub fn downlink_to_request(
    message: &DownlinkMessage,
    ctx: &DownlinkContext,
) -> Result<DownlinkRequest, TranslateError> {
    if message.raw_payload.len() > MAX_PDU_LEN {
        return Err(TranslateError::invalid(
            "raw_payload",
            format!(
                "{} bytes, the station sends at most {MAX_PDU_LEN}",
                message.raw_payload.len()
            ),
        ));
    }
    let dev_eui = message
        .end_device_ids
        .as_ref()
        .and_then(|d| <[u8; 8]>::try_from(d.dev_eui.as_slice()).ok())
        .map(u64::from_be_bytes)
        .filter(|e| *e != 0)
        .unwrap_or(PLACEHOLDER_DEV_EUI);
    let region = ctx.region;
    let (schedule, rctx) = match &message.settings {
        Some(Settings::Scheduled(s)) => {
            let antenna = s.downlink.as_ref().map_or(0, |d| d.antenna_index);
            let w = window(
                region,
                s.data_rate.as_ref(),
                s.frequency,
                "settings.scheduled.data_rate",
            )?;
            let schedule = if s.timestamp != 0 {
                let micros = need_reference(ctx)?
                    .with_timestamp(s.timestamp)
                    .concentrator_time();
                DownlinkSchedule::ConcentratorTime {
                    micros,
                    txunit: txunit(antenna)?,
                    window: w,
                }
            } else if let Some(t) = &s.time {
                DownlinkSchedule::ClassB {
                    gpstime: gps_micros(t, "settings.scheduled.time")?,
                    window: w,
                }
            } else {
                DownlinkSchedule::ClassC { window: w }
            };
            (schedule, i64::from(txunit(antenna)?))
        }
        Some(Settings::Request(_)) => {
            return Err(TranslateError::invalid(
                "settings",
                "a TxRequest must be resolved first (reply::schedule): the LNS sends scheduled settings",
            ));
        }
        None => return Err(TranslateError::Missing("settings")),
    };
    Ok(DownlinkRequest {
        dev_eui: StationEui(dev_eui),
        pdu: message.raw_payload.clone(),
        priority: SCHEDULED_PRIORITY,
        rctx: Some(rctx),
        schedule,
    })
}

/// The acknowledgement of a `dntxed` matched to its downlink: `SUCCESS`, with the downlink's
/// correlation ids and the downlink itself. A `dntxed` matched to nothing gives a bare `SUCCESS`.
pub fn tx_confirmed_to_ack(downlink: Option<&DownlinkMessage>) -> TxAcknowledgment {
    TxAcknowledgment {
        correlation_ids: downlink
            .map(|d| d.correlation_ids.clone())
            .unwrap_or_default(),
        result: TxResult::Success as i32,
        downlink_message: downlink.cloned(),
    }
}

/// The acknowledgement of a downlink the station never confirmed (it sends no negative
/// acknowledgement: too late, duty cycle, busy channel, stale xtime session): `UNKNOWN_ERROR`
/// with the downlink's correlation ids.
pub fn tx_timeout_to_ack(downlink: Option<&DownlinkMessage>) -> TxAcknowledgment {
    TxAcknowledgment {
        result: TxResult::UnknownError as i32,
        ..tx_confirmed_to_ack(downlink)
    }
}
