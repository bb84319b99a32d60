//! v2 `StatusMessage` ↔ v3 `GatewayStatus`.

use std::collections::BTreeMap;

use loragw_ttnpb::{GatewayStatus, Location, LocationSource};

use super::{ConvertError, timestamp_to_unix_nanos, unix_nanos_to_timestamp};
use crate::pb;
use crate::pb::location_metadata::LocationSource as V2Source;
use crate::platform::{KICKSTARTER_MODEL, KickstarterPlatform};

/// Reads one counter of a v2 status.
type CounterField = fn(&pb::StatusMessage) -> u32;

/// The packet counters, always present in a converted status: (v3 metric key, v2 field).
const COUNTERS: [(&str, CounterField); 8] = [
    ("lmnw", |s| s.lm_nw),
    ("lmst", |s| s.lm_st),
    ("lmok", |s| s.lm_ok),
    ("lpps", |s| s.l_pps),
    ("rxin", |s| s.rx_in),
    ("rxok", |s| s.rx_ok),
    ("txin", |s| s.tx_in),
    ("txok", |s| s.tx_ok),
];

/// Server side: a v2 status → v3 (The Things Stack's `ToStatus`, without its bugs).
///
/// * `metrics`: always `lmnw, lmst, lmok, lpps, rxin, rxok, txin, txok`; with `os`, also
///   `cpu_percentage, load_1, load_5, load_15, memory_percentage, temp`; `rtt_ms` when
///   `rtt ≠ 0`.
/// * `versions`: `fpga` and `dsp` (decimal) when > 0, `hal` and `platform` when not empty; a
///   Kickstarter platform string ([`KickstarterPlatform`]) adds `model` ([`KICKSTARTER_MODEL`])
///   and `firmware`.
/// * Non-finite metrics are dropped ([`loragw_mqtt_v3::validate::clean_status`]), so a NaN
///   `temp` is an absent `temp`.
/// * `antenna_locations`: the location, when its latitude is within ±90° and its longitude
///   within ±180°, and it is not a placeholder The Things Stack drops too: (0, 0), the
///   Kickstarter gateway's (10, 20), or |latitude| ≥ 89.99° (see [`location_is_plausible`]);
///   sources GPS → GPS, CONFIG and REGISTRY → REGISTRY, IP_GEOLOCATION →
///   IP_GEOLOCATION, others → UNKNOWN.
/// * `time` and `boot_time` only when not 0 (The Things Stack writes 1970-01-01 for 0); v2
///   nanoseconds always make valid timestamps (years 1677 to 2262).
/// * `ip` copied. The other v2 fields are not used.
pub fn status_to_v3(status: &pb::StatusMessage) -> GatewayStatus {
    let mut metrics = BTreeMap::new();
    for (key, get) in COUNTERS {
        metrics.insert(key.to_string(), get(status) as f32);
    }
    if let Some(os) = &status.os {
        for (key, value) in [
            ("cpu_percentage", os.cpu_percentage),
            ("load_1", os.load_1),
            ("load_5", os.load_5),
            ("load_15", os.load_15),
            ("memory_percentage", os.memory_percentage),
            ("temp", os.temperature),
        ] {
            metrics.insert(key.to_string(), value);
        }
    }
    if status.rtt != 0 {
        metrics.insert("rtt_ms".into(), status.rtt as f32);
    }

    let mut versions = BTreeMap::new();
    if status.fpga > 0 {
        versions.insert("fpga".into(), status.fpga.to_string());
    }
    if status.dsp > 0 {
        versions.insert("dsp".into(), status.dsp.to_string());
    }
    if !status.hal.is_empty() {
        versions.insert("hal".into(), status.hal.clone());
    }
    if !status.platform.is_empty() {
        versions.insert("platform".into(), status.platform.clone());
        if let Some(kickstarter) = KickstarterPlatform::parse(&status.platform) {
            versions.insert("model".into(), KICKSTARTER_MODEL.into());
            versions.insert("firmware".into(), kickstarter.firmware.into());
        }
    }

    let antenna_locations = status
        .location
        .as_ref()
        .filter(|l| location_is_plausible(l))
        .map(|l| Location {
            latitude: f64::from(l.latitude),
            longitude: f64::from(l.longitude),
            altitude: l.altitude,
            accuracy: l.accuracy,
            source: source_to_v3(l.source) as i32,
        })
        .into_iter()
        .collect();

    let mut v3 = GatewayStatus {
        time: unix_nanos_to_timestamp(status.time),
        boot_time: unix_nanos_to_timestamp(status.boot_time),
        versions,
        antenna_locations,
        ip: status.ip.clone(),
        metrics,
        advanced: None,
    };
    loragw_mqtt_v3::validate::clean_status(&mut v3);
    v3
}

/// Whether a v2 status location is kept: on the globe (finite, |latitude| ≤ 90°,
/// |longitude| ≤ 180°), |latitude| < 89.99°, and neither (0, 0) nor (10, 20), the placeholders
/// of gateways without a fix (the latter the Kickstarter gateway's); The Things Stack drops the
/// same ones.
pub fn location_is_plausible(l: &pb::LocationMetadata) -> bool {
    let (lat, lon) = (l.latitude, l.longitude);
    (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon)
        && lat.abs() < 89.99
        && (lat, lon) != (0.0, 0.0)
        && (lat, lon) != (10.0, 20.0)
}

fn source_to_v3(source: i32) -> LocationSource {
    match V2Source::try_from(source) {
        Ok(V2Source::Gps) => LocationSource::SourceGps,
        Ok(V2Source::Config | V2Source::Registry) => LocationSource::SourceRegistry,
        Ok(V2Source::IpGeolocation) => LocationSource::SourceIpGeolocation,
        Ok(V2Source::Unknown) | Err(_) => LocationSource::SourceUnknown,
    }
}

fn source_from_v3(source: i32) -> V2Source {
    match LocationSource::try_from(source) {
        Ok(LocationSource::SourceGps) => V2Source::Gps,
        Ok(LocationSource::SourceRegistry) => V2Source::Registry,
        Ok(LocationSource::SourceIpGeolocation) => V2Source::IpGeolocation,
        _ => V2Source::Unknown,
    }
}

/// A v3 metric → a v2 counter: rounded, saturating at the `u32` range, NaN → 0.
fn counter(metrics: &BTreeMap<String, f32>, key: &str) -> u32 {
    metrics.get(key).map_or(0, |v| v.round() as u32)
}

/// Gateway side: a v3 status → the v2 status published on `{uid}/status`; the inverse of
/// [`status_to_v3`] on what v2 can carry.
///
/// Counters come from the metrics of the same names (rounded); `os` is present when any of the
/// OS metrics is; `rtt` from `rtt_ms`; `fpga` and `dsp` parsed from the versions (0 when absent
/// or not a number); `hal` and `platform` copied; the first antenna location becomes `location`
/// (sources GPS, REGISTRY, IP_GEOLOCATION kept, others UNKNOWN); `time`, `boot_time` and `ip`
/// copied.
pub fn status_from_v3(status: &GatewayStatus) -> Result<pb::StatusMessage, ConvertError> {
    let m = &status.metrics;
    let os_keys = [
        "cpu_percentage",
        "load_1",
        "load_5",
        "load_15",
        "memory_percentage",
        "temp",
    ];
    let os = os_keys
        .iter()
        .any(|k| m.contains_key(*k))
        .then(|| pb::status_message::OsMetrics {
            load_1: m.get("load_1").copied().unwrap_or(0.0),
            load_5: m.get("load_5").copied().unwrap_or(0.0),
            load_15: m.get("load_15").copied().unwrap_or(0.0),
            cpu_percentage: m.get("cpu_percentage").copied().unwrap_or(0.0),
            memory_percentage: m.get("memory_percentage").copied().unwrap_or(0.0),
            temperature: m.get("temp").copied().unwrap_or(0.0),
        });
    let version = |k: &str| status.versions.get(k).cloned().unwrap_or_default();
    let number = |k: &str| {
        status
            .versions
            .get(k)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let location = status
        .antenna_locations
        .first()
        .map(|l| pb::LocationMetadata {
            time: 0,
            latitude: l.latitude as f32,
            longitude: l.longitude as f32,
            altitude: l.altitude,
            accuracy: l.accuracy,
            source: source_from_v3(l.source) as i32,
        });
    Ok(pb::StatusMessage {
        time: timestamp_to_unix_nanos(status.time.as_ref(), "status time")?,
        boot_time: timestamp_to_unix_nanos(status.boot_time.as_ref(), "status boot_time")?,
        ip: status.ip.clone(),
        platform: version("platform"),
        fpga: number("fpga"),
        dsp: number("dsp"),
        hal: version("hal"),
        location,
        rtt: counter(m, "rtt_ms"),
        rx_in: counter(m, "rxin"),
        rx_ok: counter(m, "rxok"),
        tx_in: counter(m, "txin"),
        tx_ok: counter(m, "txok"),
        lm_ok: counter(m, "lmok"),
        lm_st: counter(m, "lmst"),
        lm_nw: counter(m, "lmnw"),
        l_pps: counter(m, "lpps"),
        os,
        ..Default::default()
    })
}
