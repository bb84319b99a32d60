//! Range checks on the numbers of what a gateway publishes, shared by the v3 decoders and the
//! v2 conversion (`loragw-mqtt-v2` runs its converted messages through the same functions).
//!
//! The rules, for every message:
//!
//! * floats are finite (no NaN, no infinity);
//! * timestamps are valid `google.protobuf.Timestamp`s: 0001-01-01T00:00:00Z ..=
//!   9999-12-31T23:59:59.999999999Z with `nanos` in `0..1_000_000_000`
//!   ([`Timestamp::is_valid`]); durations are valid `google.protobuf.Duration`s;
//! * frequencies are radio frequencies: 1 Hz ..= [`MAX_FREQUENCY_HZ`] (0 is "unset", refused
//!   where a frequency is required);
//! * locations are on the globe (finite, |latitude| ≤ 90, |longitude| ≤ 180).
//!
//! What happens to a number out of range depends on how much the message needs it:
//!
//! * **Refused** (the whole message, with a [`PayloadError`] naming the field): anything in an
//!   uplink but its locations, a status's `time` and `boot_time`, the settings of the downlink
//!   a `TxAcknowledgment` echoes. Also refused, as The Things Stack refuses them: an uplink
//!   without `raw_payload` or without `settings`.
//! * **Dropped** (treated as absent, the message kept): locations off the globe, in uplink
//!   `rx_metadata` and in status `antenna_locations` (a gateway without a GPS fix reports
//!   garbage there, the reception itself is fine); non-finite status metrics (as the Semtech
//!   UDP adapter does with `stat`).
//!
//! The checks never read a clock: a timestamp far in the past or future but valid passes.

use loragw_ttnpb::{
    DownlinkMessage, Duration, GatewayStatus, Location, RxMetadata, Timestamp, TxAcknowledgment,
    TxRequest, TxSettings, UplinkMessage, downlink_message,
};

pub use crate::limits::{MAX_FREQUENCY_HZ, RangeError};
use crate::limits::{MAX_RX_METADATA, PayloadError};

/// Largest `google.protobuf.Duration` seconds (about 10,000 years), either sign.
const MAX_DURATION_SECONDS: i64 = 315_576_000_000;

fn out_of_range(field: impl Into<String>, problem: RangeError) -> PayloadError {
    PayloadError::OutOfRange {
        field: field.into(),
        problem,
    }
}

/// `Ok` when `value` is finite; otherwise the [`PayloadError`] naming `field`.
fn finite(field: impl FnOnce() -> String, value: f32) -> Result<(), PayloadError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(out_of_range(
            field(),
            RangeError::NotFinite(value.to_string()),
        ))
    }
}

fn timestamp(field: impl FnOnce() -> String, t: Option<&Timestamp>) -> Result<(), PayloadError> {
    match t {
        Some(t) if !t.is_valid() => Err(out_of_range(field(), RangeError::Timestamp(*t))),
        _ => Ok(()),
    }
}

fn duration(field: &str, d: Option<&Duration>) -> Result<(), PayloadError> {
    let Some(d) = d else { return Ok(()) };
    let valid = d.seconds.unsigned_abs() <= MAX_DURATION_SECONDS.unsigned_abs()
        && d.nanos.unsigned_abs() < 1_000_000_000
        && (d.seconds == 0 || d.nanos == 0 || (d.seconds < 0) == (d.nanos < 0));
    if valid {
        Ok(())
    } else {
        Err(out_of_range(
            field,
            RangeError::Duration {
                seconds: d.seconds,
                nanos: d.nanos,
            },
        ))
    }
}

/// `Ok` for 0 when `required` is false and for 1 ..= [`MAX_FREQUENCY_HZ`].
fn frequency(field: impl FnOnce() -> String, hz: u64, required: bool) -> Result<(), PayloadError> {
    if (hz == 0 && !required) || (1..=MAX_FREQUENCY_HZ).contains(&hz) {
        Ok(())
    } else {
        Err(out_of_range(field(), RangeError::Frequency(hz)))
    }
}

/// Whether a location is on the globe: finite, |latitude| ≤ 90°, |longitude| ≤ 180°.
pub fn location_on_globe(location: &Location) -> bool {
    // `contains` is false for NaN; infinities are outside the ranges.
    (-90.0..=90.0).contains(&location.latitude) && (-180.0..=180.0).contains(&location.longitude)
}

/// Checks `TxSettings` at `path`: a frequency in 1 ..= [`MAX_FREQUENCY_HZ`], a valid `time`, a
/// finite `downlink.tx_power`.
fn tx_settings(path: &str, s: &TxSettings) -> Result<(), PayloadError> {
    frequency(|| format!("{path}.frequency"), s.frequency, true)?;
    timestamp(|| format!("{path}.time"), s.time.as_ref())?;
    if let Some(d) = &s.downlink {
        finite(|| format!("{path}.downlink.tx_power"), d.tx_power)?;
    }
    Ok(())
}

fn rx_metadata(i: usize, md: &mut RxMetadata) -> Result<(), PayloadError> {
    let path = || format!("UplinkMessage.rx_metadata[{i}]");
    finite(|| format!("{}.rssi", path()), md.rssi)?;
    finite(|| format!("{}.channel_rssi", path()), md.channel_rssi)?;
    finite(|| format!("{}.snr", path()), md.snr)?;
    finite(
        || format!("{}.rssi_standard_deviation", path()),
        md.rssi_standard_deviation,
    )?;
    if let Some(signal) = &md.signal_rssi {
        finite(|| format!("{}.signal_rssi", path()), signal.value)?;
    }
    timestamp(|| format!("{}.time", path()), md.time.as_ref())?;
    timestamp(|| format!("{}.gps_time", path()), md.gps_time.as_ref())?;
    timestamp(
        || format!("{}.received_at", path()),
        md.received_at.as_ref(),
    )?;
    if md.location.as_ref().is_some_and(|l| !location_on_globe(l)) {
        md.location = None;
    }
    Ok(())
}

/// Checks an uplink from a gateway, and drops its `rx_metadata` locations that are off the
/// globe (see the [module docs](self) for the rules).
///
/// Refused: more than [`MAX_RX_METADATA`] `rx_metadata` entries; an empty `raw_payload`; no
/// `settings`; a `settings.frequency` of 0 or above [`MAX_FREQUENCY_HZ`]; an invalid
/// `settings.time`, `received_at`, `rx_metadata[].time`, `gps_time` or `received_at`; an
/// invalid `consumed_airtime`; a non-finite `settings.downlink.tx_power` or
/// `rx_metadata[].rssi`, `channel_rssi`, `snr`, `rssi_standard_deviation`, `signal_rssi`.
///
/// ```
/// use loragw_mqtt_v3::codec::PayloadError;
/// use loragw_mqtt_v3::ttnpb::{RxMetadata, TxSettings, UplinkMessage};
/// use loragw_mqtt_v3::validate::{self, RangeError};
///
/// let mut up = UplinkMessage {
///     raw_payload: vec![0x40, 1, 2, 3, 4],
///     settings: Some(TxSettings { frequency: 868_100_000, ..Default::default() }),
///     rx_metadata: vec![RxMetadata { rssi: f32::NAN, ..Default::default() }],
///     ..Default::default()
/// };
/// let err = validate::uplink(&mut up).unwrap_err();
/// assert_eq!(err.to_string(), "UplinkMessage.rx_metadata[0].rssi: NaN is not a finite number");
/// ```
pub fn uplink(message: &mut UplinkMessage) -> Result<(), PayloadError> {
    let count = message.rx_metadata.len();
    if count > MAX_RX_METADATA {
        return Err(PayloadError::TooManyRxMetadata { count });
    }
    if message.raw_payload.is_empty() {
        return Err(PayloadError::MissingField {
            message: "UplinkMessage",
            field: "raw_payload",
        });
    }
    let settings = message
        .settings
        .as_ref()
        .ok_or(PayloadError::MissingField {
            message: "UplinkMessage",
            field: "settings",
        })?;
    tx_settings("UplinkMessage.settings", settings)?;
    timestamp(
        || "UplinkMessage.received_at".into(),
        message.received_at.as_ref(),
    )?;
    duration(
        "UplinkMessage.consumed_airtime",
        message.consumed_airtime.as_ref(),
    )?;
    for (i, md) in message.rx_metadata.iter_mut().enumerate() {
        rx_metadata(i, md)?;
    }
    Ok(())
}

/// Drops what a status may lose without being refused: non-finite `metrics` and
/// `antenna_locations` off the globe. For a status whose timestamps are valid by construction
/// (the v2 conversion); [`status`] also checks the timestamps.
pub fn clean_status(status: &mut GatewayStatus) {
    status.metrics.retain(|_, v| v.is_finite());
    status.antenna_locations.retain(location_on_globe);
}

/// Checks a status from a gateway: refuses an invalid `time` or `boot_time`, and
/// [cleans](clean_status) the rest (non-finite metrics and locations off the globe dropped).
pub fn status(status: &mut GatewayStatus) -> Result<(), PayloadError> {
    timestamp(|| "GatewayStatus.time".into(), status.time.as_ref())?;
    timestamp(
        || "GatewayStatus.boot_time".into(),
        status.boot_time.as_ref(),
    )?;
    clean_status(status);
    Ok(())
}

fn tx_request(path: &str, r: &TxRequest) -> Result<(), PayloadError> {
    frequency(|| format!("{path}.rx1_frequency"), r.rx1_frequency, false)?;
    frequency(|| format!("{path}.rx2_frequency"), r.rx2_frequency, false)?;
    timestamp(|| format!("{path}.absolute_time"), r.absolute_time.as_ref())
}

fn downlink(path: &str, d: &DownlinkMessage) -> Result<(), PayloadError> {
    match &d.settings {
        Some(downlink_message::Settings::Scheduled(s)) => {
            tx_settings(&format!("{path}.settings.scheduled"), s)
        }
        Some(downlink_message::Settings::Request(r)) => {
            tx_request(&format!("{path}.settings.request"), r)
        }
        None => Ok(()),
    }
}

/// Checks a transmission acknowledgement from a gateway. Its own numbers are an enum (`result`,
/// kept as sent: an unknown value stays unknown); the downlink it may echo is checked like a
/// downlink: scheduled settings as in an uplink (frequency, `time`, `tx_power`), request
/// settings with RX1/RX2 frequencies of 0 or in range and a valid `absolute_time`.
pub fn tx_ack(ack: &TxAcknowledgment) -> Result<(), PayloadError> {
    match &ack.downlink_message {
        Some(d) => downlink("TxAcknowledgment.downlink_message", d),
        None => Ok(()),
    }
}
