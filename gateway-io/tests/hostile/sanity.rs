//! What "range-checked" means for the numbers in an event: floats finite, coordinates on the
//! globe, timestamps valid protobuf Timestamps, frequencies radio frequencies.

use loragw_gateway_io::event::GatewayEvent;
use loragw_gateway_io::ttnpb::{Location, Timestamp, TxSettings, UplinkMessage};

/// Protobuf Timestamp range: 0001-01-01T00:00:00Z ..= 9999-12-31T23:59:59Z.
const MIN_SECONDS: i64 = -62_135_596_800;
const MAX_SECONDS: i64 = 253_402_300_799;
/// No LoRa (or FSK) gateway transmits or receives at 10 GHz or above.
const MAX_FREQUENCY_HZ: u64 = 10_000_000_000;

fn timestamp(what: &str, t: &Option<Timestamp>, bad: &mut Vec<String>) {
    if let Some(t) = t
        && !((MIN_SECONDS..=MAX_SECONDS).contains(&t.seconds)
            && (0..1_000_000_000).contains(&t.nanos))
    {
        bad.push(format!("{what} = {t:?} is not a valid Timestamp"));
    }
}

fn finite(what: &str, v: f64, bad: &mut Vec<String>) {
    if !v.is_finite() {
        bad.push(format!("{what} = {v}"));
    }
}

fn location(what: &str, l: Option<&Location>, bad: &mut Vec<String>) {
    let on_globe = |l: &Location| {
        l.latitude.is_finite()
            && l.latitude.abs() <= 90.0
            && l.longitude.is_finite()
            && l.longitude.abs() <= 180.0
    };
    if let Some(l) = l
        && !on_globe(l)
    {
        bad.push(format!(
            "{what} = ({}, {}) is not on the globe",
            l.latitude, l.longitude
        ));
    }
}

fn settings(what: &str, s: &Option<TxSettings>, bad: &mut Vec<String>) {
    if let Some(s) = s {
        if s.frequency >= MAX_FREQUENCY_HZ {
            bad.push(format!("{what}.frequency = {} Hz", s.frequency));
        }
        timestamp(&format!("{what}.time"), &s.time, bad);
        if let Some(d) = &s.downlink {
            finite(&format!("{what}.downlink.tx_power"), d.tx_power.into(), bad);
        }
    }
}

fn uplink(m: &UplinkMessage, bad: &mut Vec<String>) {
    settings("settings", &m.settings, bad);
    timestamp("received_at", &m.received_at, bad);
    for (i, md) in m.rx_metadata.iter().enumerate() {
        let p = format!("rx_metadata[{i}]");
        finite(&format!("{p}.rssi"), md.rssi.into(), bad);
        finite(&format!("{p}.channel_rssi"), md.channel_rssi.into(), bad);
        finite(&format!("{p}.snr"), md.snr.into(), bad);
        finite(
            &format!("{p}.rssi_standard_deviation"),
            md.rssi_standard_deviation.into(),
            bad,
        );
        if let Some(s) = &md.signal_rssi {
            finite(&format!("{p}.signal_rssi"), s.value.into(), bad);
        }
        timestamp(&format!("{p}.time"), &md.time, bad);
        timestamp(&format!("{p}.gps_time"), &md.gps_time, bad);
        timestamp(&format!("{p}.received_at"), &md.received_at, bad);
        location(&format!("{p}.location"), md.location.as_ref(), bad);
    }
}

/// `Some(description)` when `event` carries a number out of its range.
pub fn insane(event: &GatewayEvent) -> Option<String> {
    let mut bad = Vec::new();
    match event {
        GatewayEvent::Uplink { message, .. } => uplink(message, &mut bad),
        GatewayEvent::Status { status, .. } => {
            timestamp("time", &status.time, &mut bad);
            timestamp("boot_time", &status.boot_time, &mut bad);
            for (i, l) in status.antenna_locations.iter().enumerate() {
                location(&format!("antenna_locations[{i}]"), Some(l), &mut bad);
            }
            for (k, v) in &status.metrics {
                finite(&format!("metrics[{k}]"), (*v).into(), &mut bad);
            }
        }
        GatewayEvent::TxAck { ack, .. } => {
            if let Some(d) = &ack.downlink_message
                && let Some(loragw_gateway_io::ttnpb::downlink_message::Settings::Scheduled(s)) =
                    &d.settings
            {
                settings("downlink_message.settings", &Some(s.clone()), &mut bad);
            }
        }
        _ => {}
    }
    (!bad.is_empty()).then(|| {
        format!(
            "{} of {} over {}: {}",
            match event {
                GatewayEvent::Uplink { .. } => "Uplink",
                GatewayEvent::Status { .. } => "Status",
                _ => "TxAck",
            },
            event.gateway().gateway_id,
            event.protocol(),
            bad.join("; ")
        )
    })
}
