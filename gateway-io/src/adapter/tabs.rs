//! Tabs Hubs ↔ ttnpb.
//!
//! | direction | function |
//! |---|---|
//! | `jreq`/`updf` → `UplinkMessage` | [`uplink_to_message`] (for [`TabsEvent::Uplink`](loragw_basicstation::tabs::TabsEvent)) |
//! | `version` → `GatewayStatus` | [`version_to_status`] |
//! | `DownlinkMessage` → `dnframe` | [`downlink_to_tabs`] (a [`TabsDownlink`] at an absolute concentrator time) |
//! | `dntxed` → `TxAcknowledgment` | [`tx_confirmed_to_ack`], [`tx_timeout_to_ack`] (shared with Basics Station) |
//! | frequency plans → `router_config` | [`router_config`] |
//! | `UplinkMessage` → hub uplink | [`uplink_to_hub`] (gateway side: a simulator playing a hub) |
//!
//! Uplinks follow the Basics Station adapter's rules ([`radio_to_uplink`]): the PHYPayload is
//! the one rebuilt from the fields, `timestamp` is the low 32 bits of `xtime`, `time` is
//! `rxtime`; the RSSI keeps its fraction. Differences from The Things Stack (its bugs fixed):
//! the antenna index is read from `rtcx` or `rctx`; `FPort` -1 with a payload is refused instead
//! of becoming port 0; a downlink that cannot be timed yet is refused with a reason instead of
//! being skipped with a log line; a `dntxed` that matches nothing is not acknowledged as a
//! success.

use loragw_basicstation::frame::UplinkRadio;
use loragw_basicstation::message::{MAX_PDU_LEN, UpInfo};
use loragw_basicstation::region::Region;
use loragw_basicstation::tabs::xtime::{micros_of, timestamp_of};
use loragw_basicstation::tabs::{
    TabsDownlink, TabsRouterConfig, TabsRouterConfigOptions, TabsUpInfo, TabsUplink, TabsVersion,
    build_tabs_router_config,
};
use loragw_ttnpb::downlink_message::Settings;
use loragw_ttnpb::{DownlinkMessage, GatewayStatus, Timestamp, UplinkMessage};

use super::f32_field;
use super::lbs::{GatewaySideRadio, channel_plan, gateway_side_radio, window};
pub use super::lbs::{radio_to_uplink, tx_confirmed_to_ack, tx_timeout_to_ack};
use crate::clock::XTime;
use crate::error::TranslateError;
use crate::freqplan::FrequencyPlan;
use crate::ids::GatewayIds;

/// How long after "now" a class C downlink without an absolute time is sent (the hub needs a
/// time; this leaves room for the websocket and the hub's scheduler).
pub const IMMEDIATE_LEAD_US: i64 = 300_000;

/// The `UplinkMessage` of a Tabs uplink (see the [module docs](self)).
pub fn uplink_to_message(
    gateway: &GatewayIds,
    uplink: &TabsUplink,
    region: Region,
    received_at: Option<Timestamp>,
) -> Result<UplinkMessage, TranslateError> {
    let info = &uplink.radio.upinfo;
    let rssi = f32_field(info.rssi, "upinfo.rssi")?;
    if !(-32768.0..=32767.0).contains(&rssi) {
        return Err(TranslateError::invalid(
            "upinfo.rssi",
            format!("{rssi} out of range"),
        ));
    }
    let radio = UplinkRadio {
        ref_time: uplink.radio.ref_time,
        dr: uplink.radio.dr,
        freq: uplink.radio.freq,
        upinfo: UpInfo {
            rctx: info.rtcx,
            xtime: info.xtime,
            gpstime: None,
            fts: None,
            // Whole dBm for the shared checks; the fraction is put back below.
            #[allow(clippy::cast_possible_truncation)] // in the i16 range (checked above)
            rssi: rssi.round() as i32,
            snr: info.snr,
            rxtime: info.rxtime,
        },
    };
    let mut message = radio_to_uplink(gateway, &uplink.phy_payload, &radio, region, received_at)?;
    if let Some(md) = message.rx_metadata.first_mut() {
        md.rssi = rssi;
        md.channel_rssi = rssi;
    }
    Ok(message)
}

/// The status a hub's `version` reports: versions `station`, `firmware` and `platform` =
/// `"TabsHubs - Firmware <firmware>"` (as The Things Stack writes it), at `time`.
pub fn version_to_status(version: &TabsVersion, time: Option<Timestamp>) -> GatewayStatus {
    let mut status = GatewayStatus {
        time,
        ..GatewayStatus::default()
    };
    let mut put = |k: &str, v: &str| {
        if !v.is_empty() {
            status
                .versions
                .insert(k.into(), v.chars().take(128).collect());
        }
    };
    put("station", &version.station);
    put("firmware", &version.firmware);
    put(
        "platform",
        &format!("TabsHubs - Firmware {}", version.firmware),
    );
    status
}

/// The Tabs `router_config` for a gateway's frequency plans: the first plan only (a hub has one
/// SX1301), through [`channel_plan`] and the dialect's builder.
pub fn router_config(
    plans: &[FrequencyPlan],
    antenna_gain: Option<f64>,
    clksrc: u8,
) -> Result<TabsRouterConfig, TranslateError> {
    let first = plans
        .first()
        .ok_or(TranslateError::Missing("frequency plans"))?;
    let plan = channel_plan(std::slice::from_ref(first), antenna_gain)?;
    build_tabs_router_config(
        &plan,
        &TabsRouterConfigOptions {
            clksrc,
            mux_time: 0.0,
        },
    )
    .map_err(|e| TranslateError::invalid("router_config", e.to_string()))
}

/// The clock a downlink is timed with: the hub's latest uplink.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TabsDownlinkContext {
    /// The gateway's region (data rate → DR index).
    pub region: Region,
    /// `xtime` of the latest uplink with one, and when it was received (Unix µs, server clock).
    pub reference: Option<(i64, i64)>,
    /// Server time now, Unix µs (class C downlinks without an absolute time).
    pub now_unix_us: i64,
}

fn timestamp_micros(t: &Timestamp) -> i64 {
    t.seconds
        .saturating_mul(1_000_000)
        .saturating_add(i64::from(t.nanos) / 1000)
}

fn no_clock() -> TranslateError {
    TranslateError::invalid(
        "settings",
        "no clock sync yet: a Tabs hub downlink needs an earlier uplink with an xtime",
    )
}

impl TabsDownlinkContext {
    fn reference(&self) -> Result<(i64, i64), TranslateError> {
        self.reference.ok_or_else(no_clock)
    }

    /// Concentrator µs of a 32-bit gateway timestamp (nearest the reference uplink's counter).
    fn at_timestamp(&self, timestamp: u32) -> Result<i64, TranslateError> {
        let (xtime, _) = self.reference()?;
        Ok(XTime(xtime).with_timestamp(timestamp).concentrator_time())
    }

    /// Concentrator µs of a server (UTC) time, through the reference uplink's receive time.
    fn at_unix_us(&self, unix_us: i64) -> Result<i64, TranslateError> {
        let (xtime, received_us) = self.reference()?;
        Ok(micros_of(xtime).saturating_add(unix_us.saturating_sub(received_us)))
    }
}

/// The `dnframe` content for `message`: `pdu` = `raw_payload`, DR index of the data rate in the
/// region's table, frequency, and the TX time on the hub's concentrator clock:
///
/// - scheduled settings: `timestamp` (extended near the latest uplink's xtime), else `time`
///   (UTC, through the latest uplink's receive time), else as soon as possible (now +
///   [`IMMEDIATE_LEAD_US`]).
///
/// A `TxRequest` is refused: [`reply::schedule`](crate::reply::schedule) picks its window
/// first (the Tabs Hubs frontend does, with the hub's first frequency plan), as for every
/// protocol.
///
/// Every case needs an earlier uplink with an xtime (the clock sync); without one the downlink
/// is refused ("no clock sync yet"), never dropped silently.
pub fn downlink_to_tabs(
    message: &DownlinkMessage,
    ctx: &TabsDownlinkContext,
) -> Result<TabsDownlink, TranslateError> {
    if message.raw_payload.len() > MAX_PDU_LEN {
        return Err(TranslateError::invalid(
            "raw_payload",
            format!("{} bytes, at most {MAX_PDU_LEN}", message.raw_payload.len()),
        ));
    }
    let region = ctx.region;
    let asap = || ctx.at_unix_us(ctx.now_unix_us.saturating_add(IMMEDIATE_LEAD_US));
    let (w, micros) = match &message.settings {
        Some(Settings::Scheduled(s)) => {
            let w = window(
                region,
                s.data_rate.as_ref(),
                s.frequency,
                "settings.scheduled.data_rate",
            )?;
            let micros = if s.timestamp != 0 {
                ctx.at_timestamp(s.timestamp)?
            } else if let Some(t) = &s.time {
                ctx.at_unix_us(timestamp_micros(t))?
            } else {
                asap()?
            };
            (w, micros)
        }
        Some(Settings::Request(_)) => {
            return Err(TranslateError::invalid(
                "settings",
                "a TxRequest must be resolved first (reply::schedule): a Tabs hub takes scheduled settings",
            ));
        }
        None => return Err(TranslateError::Missing("settings")),
    };
    Ok(TabsDownlink {
        pdu: message.raw_payload.clone(),
        dr: w.dr,
        freq: w.freq,
        concentrator_micros: micros,
    })
}

/// What a hub sends for `message` (gateway side): the PHYPayload, the region's uplink DR index
/// of its data rate, the frequency, and `upinfo` with `xtime` = `session` << 48 | the
/// metadata's 32-bit `timestamp`, `rtcx` = antenna, RSSI, SNR and `rxtime` from the metadata.
pub fn uplink_to_hub(
    message: &UplinkMessage,
    region: Region,
    session: i64,
) -> Result<(u8, u32, TabsUpInfo), TranslateError> {
    let GatewaySideRadio {
        settings,
        metadata: md,
        dr,
        freq,
    } = gateway_side_radio(message, region)?;
    let timestamp = if md.timestamp != 0 {
        md.timestamp
    } else {
        settings.timestamp
    };
    let rxtime = md
        .time
        .as_ref()
        .map_or(0.0, |t| timestamp_micros(t) as f64 / 1e6);
    let upinfo = TabsUpInfo {
        rxtime,
        rtcx: i64::from(md.antenna_index),
        xtime: loragw_basicstation::tabs::xtime::downlink_xtime(session, i64::from(timestamp)),
        rssi: f64::from(md.rssi),
        snr: f64::from(md.snr),
    };
    debug_assert_eq!(timestamp_of(upinfo.xtime), timestamp);
    Ok((dr, freq, upinfo))
}

#[cfg(test)]
#[path = "tabs_tests.rs"]
mod tests;
