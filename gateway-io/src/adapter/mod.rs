//! Adapters: each protocol's messages to and from ttnpb, field by field as The Things Stack maps
//! them, with its known bugs fixed (see each module).
//!
//! Adapters are pure functions: no state, no clock. The caller passes the gateway's ids and, where
//! a message needs one, the server's receive time.

pub mod lbs;
pub mod lorawan;
pub mod mqtt_v2;
pub mod mqtt_v3;
pub mod tabs;
pub mod udp;

use loragw_ttnpb::{Timestamp, UplinkMessage};

use crate::error::TranslateError;

/// A wire float (`lsnr`, `snr`, a metric) as the ttnpb `float` it goes to. NaN, infinities and
/// magnitudes beyond `f32::MAX` (they would become ±inf, e.g. `"lsnr":1e300`) are refused,
/// naming `field`; the precision beyond an `f32`'s is dropped by design (the field is a float).
pub(crate) fn f32_field(v: f64, field: &'static str) -> Result<f32, TranslateError> {
    if v.is_finite() && v.abs() <= f64::from(f32::MAX) {
        #[allow(clippy::cast_possible_truncation)] // range checked above: rounding only
        Ok(v as f32)
    } else {
        Err(TranslateError::invalid(field, format!("{v} out of range")))
    }
}

/// An RSSI in dBm rounded to a whole `i16`; NaN, infinities and values beyond the `i16` range
/// are refused, naming `field`.
pub(crate) fn rssi_i16(v: f32, field: &'static str) -> Result<i16, TranslateError> {
    let r = v.round();
    if r.is_finite() && (f32::from(i16::MIN)..=f32::from(i16::MAX)).contains(&r) {
        #[allow(clippy::cast_possible_truncation)] // whole and in range (checked above)
        Ok(r as i16)
    } else {
        Err(TranslateError::invalid(field, format!("{v} out of range")))
    }
}

/// The LR-FHSS coding rate as ttnpb names it: `4/6` → `2/3`, `4/8` → `1/2`, `2/6` → `1/3`
/// (forwarders report the LoRa-style fraction), anything else verbatim.
pub(crate) fn lrfhss_coding_rate(codr: &str) -> String {
    match codr {
        "4/6" => "2/3",
        "4/8" => "1/2",
        "2/6" => "1/3",
        other => other,
    }
    .to_owned()
}

/// Merges copies of one reception: uplinks with the same `raw_payload`, `settings.frequency`
/// and `settings.data_rate` (modulation and rate) become one, in the position of the first.
/// Metadata of an antenna the kept uplink lacks is added (one frame on two antennas: one
/// uplink, two `rx_metadata`); of an antenna it has, the entry with the higher RSSI is kept
/// (a forwarder repeating a packet). Equal bytes on another frequency or data rate are another
/// radio frame and stay separate.
pub fn merge_receptions(mut uplinks: Vec<UplinkMessage>) -> Vec<UplinkMessage> {
    let same_reception = |a: &UplinkMessage, b: &UplinkMessage| {
        a.raw_payload == b.raw_payload
            && a.settings.as_ref().map(|s| (s.frequency, &s.data_rate))
                == b.settings.as_ref().map(|s| (s.frequency, &s.data_rate))
    };
    // In place: `uplinks[..kept]` are the kept uplinks in their order; `uplinks[kept..i]` only
    // copies already merged into one of them, so swapping `i` down to `kept` keeps the order.
    let mut kept = 0;
    for i in 0..uplinks.len() {
        let (head, tail) = uplinks.split_at_mut(i);
        let up = &mut tail[0];
        let Some(into) = head[..kept].iter_mut().find(|o| same_reception(o, up)) else {
            if kept != i {
                uplinks.swap(kept, i);
            }
            kept += 1;
            continue;
        };
        for md in std::mem::take(&mut up.rx_metadata) {
            match into
                .rx_metadata
                .iter_mut()
                .find(|k| k.antenna_index == md.antenna_index)
            {
                Some(k) if md.rssi > k.rssi => *k = md,
                Some(_) => {}
                None => into.rx_metadata.push(md),
            }
        }
    }
    uplinks.truncate(kept);
    uplinks
}

/// A ttnpb timestamp from Unix seconds and nanoseconds, `None` when out of range.
pub(crate) fn timestamp(seconds: i64, nanos: u32) -> Option<Timestamp> {
    let nanos = i32::try_from(nanos).ok().filter(|n| *n < 1_000_000_000)?;
    Some(Timestamp { seconds, nanos })
}

#[cfg(test)]
mod mqtt_tests;
