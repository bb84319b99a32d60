//! `stat` ↔ `GatewayStatus`.

use std::net::IpAddr;

use loragw_semtech_udp::{HardwareVersions, Stat};
use loragw_ttnpb::{GatewayStatus, Location, LocationSource};

use super::{from_udp_time, to_udp_time};
use crate::adapter::f32_field;

/// Key under which [`stat_to_status`] reports this crate's version, as The Things Stack adds
/// `ttn-lw-gateway-server`.
pub const GATEWAY_SERVER_VERSION_KEY: &str = "loragw-gateway-io";

/// Locations forwarders report when they have no fix: within 0.001° of (0, 0) or (10, 20).
const PLACEHOLDER_LOCATIONS: [(f64, f64); 2] = [(0.0, 0.0), (10.0, 20.0)];

/// Whether a reported position is a real one: within ±90° / ±180°, finite, and not a
/// placeholder forwarders send without a GPS fix.
pub fn is_valid_location(latitude: f64, longitude: f64) -> bool {
    latitude.is_finite()
        && longitude.is_finite()
        && (-90.0..=90.0).contains(&latitude)
        && (-180.0..=180.0).contains(&longitude)
        && !PLACEHOLDER_LOCATIONS
            .iter()
            .any(|(la, lo)| (latitude - la).abs() < 0.001 && (longitude - lo).abs() < 0.001)
}

/// The `GatewayStatus` of a `stat`.
///
/// - `time`, `boot_time` from `time`, `boot`.
/// - `antenna_locations[0]` = (`lati`, `long`, `alti`), source GPS, only when both coordinates
///   are present and [valid](is_valid_location).
/// - `metrics`: `rxnb` → `rxin`, `rxok`, `rxfw`, `ackr`, `dwnb` → `txin`, `txnb` → `txok`,
///   `temp`, `lpps`, `lmnw`, `lmst`, `lmok`: each when present and within the `f32` range.
/// - `versions`: `hal`, `fpga`, `dsp`, `hver.{fpga,dsp0,dsp1}` (as `fpga`, `dsp0`, `dsp1`),
///   `pfrm` → `platform`, and [`GATEWAY_SERVER_VERSION_KEY`] → this crate's version.
/// - `ip`: `remote`, when given.
///
/// Not carried: `mail`, `desc` and vendor fields.
pub fn stat_to_status(stat: &Stat, remote: Option<IpAddr>) -> GatewayStatus {
    let mut status = GatewayStatus {
        time: stat.time.and_then(from_udp_time),
        boot_time: stat.boot.and_then(from_udp_time),
        ..Default::default()
    };
    if let (Some(latitude), Some(longitude)) = (stat.lati, stat.long)
        && is_valid_location(latitude, longitude)
    {
        status.antenna_locations.push(Location {
            latitude,
            longitude,
            altitude: stat.alti.unwrap_or(0),
            accuracy: 0,
            source: LocationSource::SourceGps as i32,
        });
    }
    let metrics = [
        ("rxin", stat.rxnb.map(f64::from)),
        ("rxok", stat.rxok.map(f64::from)),
        ("rxfw", stat.rxfw.map(f64::from)),
        ("ackr", stat.ackr),
        ("txin", stat.dwnb.map(f64::from)),
        ("txok", stat.txnb.map(f64::from)),
        ("temp", stat.temp),
        ("lpps", stat.lpps.map(f64::from)),
        ("lmnw", stat.lmnw.map(f64::from)),
        ("lmst", stat.lmst.map(f64::from)),
        ("lmok", stat.lmok.map(f64::from)),
    ];
    for (key, value) in metrics {
        // A metric no f32 can hold (`"temp":1e300`) is left out, as if absent.
        if let Some(v) = value.and_then(|v| f32_field(v, "stat").ok()) {
            status.metrics.insert(key.into(), v);
        }
    }
    let mut version = |key: &str, value: Option<String>| {
        if let Some(v) = value {
            // The Things Stack limits version values to 128 characters.
            status
                .versions
                .insert(key.into(), v.chars().take(128).collect());
        }
    };
    version("hal", stat.hal.clone());
    version("fpga", stat.fpga.map(|v| v.to_string()));
    version("dsp", stat.dsp.map(|v| v.to_string()));
    if let Some(hver) = &stat.hver {
        version("fpga", hver.fpga.map(|v| v.to_string()));
        version("dsp0", hver.dsp0.map(|v| v.to_string()));
        version("dsp1", hver.dsp1.map(|v| v.to_string()));
    }
    version("platform", stat.pfrm.clone());
    version(
        GATEWAY_SERVER_VERSION_KEY,
        Some(env!("CARGO_PKG_VERSION").into()),
    );
    if let Some(ip) = remote {
        status.ip.push(ip.to_string());
    }
    status
}

/// The `stat` a packet forwarder would have sent for `status` (gateway side). The reverse of
/// [`stat_to_status`] for every field it maps; metrics and versions it does not know are
/// dropped, and so are `ip` and [`GATEWAY_SERVER_VERSION_KEY`].
pub fn status_to_stat(status: &GatewayStatus) -> Stat {
    let metric = |k: &str| status.metrics.get(k).map(|v| f64::from(*v));
    let count = |k: &str| {
        status
            .metrics
            .get(k)
            .filter(|v| v.is_finite() && **v >= 0.0)
            .map(|v| v.round().min(u32::MAX as f32) as u32)
    };
    let version_num = |k: &str| status.versions.get(k).and_then(|v| v.parse::<u32>().ok());
    let location = status.antenna_locations.first();
    let hver = HardwareVersions {
        fpga: None,
        dsp0: version_num("dsp0"),
        dsp1: version_num("dsp1"),
    };
    Stat {
        time: status.time.as_ref().and_then(to_udp_time),
        boot: status.boot_time.as_ref().and_then(to_udp_time),
        lati: location.map(|l| l.latitude),
        long: location.map(|l| l.longitude),
        alti: location.map(|l| l.altitude),
        rxnb: count("rxin"),
        rxok: count("rxok"),
        rxfw: count("rxfw"),
        ackr: metric("ackr"),
        dwnb: count("txin"),
        txnb: count("txok"),
        temp: metric("temp"),
        lpps: count("lpps"),
        lmnw: count("lmnw"),
        lmst: count("lmst"),
        lmok: count("lmok"),
        hal: status.versions.get("hal").cloned(),
        fpga: version_num("fpga"),
        dsp: version_num("dsp"),
        hver: (hver != HardwareVersions::default()).then_some(hver),
        pfrm: status.versions.get("platform").cloned(),
        ..Default::default()
    }
}
