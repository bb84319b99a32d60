//! Adapters: each protocol's messages to and from ttnpb, field by field as The Things Stack maps
//! them, with its known bugs fixed (see each module).
//!
//! Adapters are pure functions: no state, no clock. The caller passes the gateway's ids and, where
//! a message needs one, the server's receive time.

pub mod lbs;
pub mod lorawan;
pub mod mqtt_v2;
pub mod mqtt_v3;
pub mod udp;

use loragw_ttnpb::{Timestamp, UplinkMessage};

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

/// Drops uplinks whose `raw_payload` repeats an earlier one, keeping of each group the one whose
/// first `rx_metadata` has the highest RSSI, in the position of the group's first member. Some
/// forwarders report one frame on adjacent channels ("mirrors").
pub fn dedup_by_rssi(uplinks: Vec<UplinkMessage>) -> Vec<UplinkMessage> {
    let rssi = |u: &UplinkMessage| u.rx_metadata.first().map_or(f32::MIN, |m| m.rssi);
    let mut out: Vec<UplinkMessage> = Vec::with_capacity(uplinks.len());
    for up in uplinks {
        match out.iter_mut().find(|o| o.raw_payload == up.raw_payload) {
            Some(kept) => {
                if rssi(&up) > rssi(kept) {
                    *kept = up;
                }
            }
            None => out.push(up),
        }
    }
    out
}

/// A ttnpb timestamp from Unix seconds and nanoseconds, `None` when out of range.
pub(crate) fn timestamp(seconds: i64, nanos: u32) -> Option<Timestamp> {
    let nanos = i32::try_from(nanos).ok().filter(|n| *n < 1_000_000_000)?;
    Some(Timestamp { seconds, nanos })
}

#[cfg(test)]
mod mqtt_tests;
