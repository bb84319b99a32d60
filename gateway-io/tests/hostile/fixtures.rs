//! Who is registered, with which keys, and the messages well-behaved gateways send.

use std::time::Duration;

use loragw_gateway_io::ttnpb::downlink_message::Settings;
use loragw_gateway_io::ttnpb::{
    DataRate, DownlinkMessage, GatewayIdentifiers, GatewayStatus, Location, RxMetadata, Timestamp,
    TxAcknowledgment, TxSettings, UplinkMessage, tx_settings,
};

/// Every single wait of the suite is bounded by this (generous for a loaded 2-core machine).
pub const STEP: Duration = Duration::from_secs(10);

/// Semtech UDP gateway without keys (served over UDP).
pub const UDP_ID: &str = "gw-udp";
pub const UDP_EUI: u64 = 0xAA55_5A00_0000_0101;

/// Basics Station gateway: LNS key (link) and CUPS key, authentication required.
pub const LBS_ID: &str = "gw-lbs";
pub const LBS_EUI: u64 = 0x0102_0304_0506_0708;
pub const LBS_KEY: &str = "NNSXS.HOSTILE-LBS-KEY";
pub const CUPS_KEY: &str = "NNSXS.HOSTILE-CUPS-KEY";

/// MQTT v3 gateway, keyed, authentication required, and also reachable by EUI (so a forged
/// Semtech UDP datagram can name it).
pub const MQTT3_ID: &str = "gw-mqtt3";
pub const MQTT3_EUI: u64 = 0x0B0B_0B0B_0000_0003;
pub const MQTT3_KEY: &str = "NNSXS.HOSTILE-MQTT3-KEY";

/// MQTT v2 gateway, keyed.
pub const MQTT2_ID: &str = "gw-mqtt2";
pub const MQTT2_KEY: &str = "NNSXS.HOSTILE-MQTT2-KEY";

/// The gateway of the replacement races: one key valid on MQTT v3, v2 and (by EUI) LBS.
pub const RACE_ID: &str = "gw-race";
pub const RACE_EUI: u64 = 0x0C0C_0C0C_0000_0006;
pub const RACE_KEY: &str = "NNSXS.HOSTILE-RACE-KEY";

/// An EUI no gateway has.
pub const UNKNOWN_EUI: u64 = 0x0F0F_0F0F_0F0F_0F0F;

/// A data uplink PHYPayload whose FCnt and FRMPayload carry `marker` (to tell uplinks apart).
pub fn phy(marker: u16) -> Vec<u8> {
    let [hi, lo] = marker.to_be_bytes();
    vec![
        0x40, 0x04, 0x03, 0x02, 0x01, 0x80, lo, hi, 0x01, hi, lo, 0xCC, 0xDD, 0x11, 0x22, 0x33,
        0x44,
    ]
}

/// A v3 uplink as an MQTT gateway publishes it, carrying `phy(marker)`.
pub fn uplink(marker: u16) -> UplinkMessage {
    UplinkMessage {
        raw_payload: phy(marker),
        settings: Some(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: 1_000_000,
            ..Default::default()
        }),
        rx_metadata: vec![RxMetadata {
            gateway_ids: Some(GatewayIdentifiers {
                gateway_id: "whoever".into(),
                eui: vec![],
            }),
            rssi: -42.0,
            channel_rssi: -42.0,
            snr: 9.5,
            timestamp: 1_000_000,
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// An uplink with every numeric field set (non-default), for the wire-level mutations.
pub fn full_uplink() -> UplinkMessage {
    let mut up = uplink(7);
    let ts = Some(Timestamp {
        seconds: 1_700_000_000,
        nanos: 5,
    });
    let settings = up.settings.as_mut().expect("settings");
    settings.time = ts;
    settings.enable_crc = true;
    settings.concentrator_timestamp = 123_456;
    settings.downlink = Some(tx_settings::Downlink {
        antenna_index: 1,
        tx_power: 14.0,
        invert_polarization: true,
    });
    let md = &mut up.rx_metadata[0];
    md.antenna_index = 1;
    md.time = ts;
    md.fine_timestamp = 12_345;
    md.rssi_standard_deviation = 1.5;
    md.frequency_offset = -120;
    md.location = Some(Location {
        latitude: 46.5,
        longitude: 6.25,
        altitude: 400,
        accuracy: 3,
        source: 1,
    });
    md.downlink_path_constraint = 1;
    md.signal_rssi = Some(loragw_gateway_io::ttnpb::FloatValue { value: -44.0 });
    md.channel_index = 2;
    md.hopping_width = 3;
    md.frequency_drift = -4;
    md.gps_time = ts;
    md.received_at = ts;
    up.received_at = ts;
    up.device_channel_index = 2;
    up.consumed_airtime = Some(loragw_gateway_io::ttnpb::Duration {
        seconds: 1,
        nanos: 2,
    });
    up
}

/// A status with every numeric field set.
pub fn full_status() -> GatewayStatus {
    let ts = Some(Timestamp {
        seconds: 1_700_000_000,
        nanos: 5,
    });
    GatewayStatus {
        time: ts,
        boot_time: ts,
        antenna_locations: vec![Location {
            latitude: 46.5,
            longitude: 6.25,
            altitude: 400,
            accuracy: 3,
            source: 1,
        }],
        ip: vec!["192.0.2.1".into()],
        metrics: [("rxin".to_owned(), 3.0f32), ("temp".to_owned(), 40.5)]
            .into_iter()
            .collect(),
        ..Default::default()
    }
}

/// An acknowledgement with its numeric fields set (the result, a full downlink inside).
pub fn full_tx_ack() -> TxAcknowledgment {
    TxAcknowledgment {
        correlation_ids: vec!["gs:down:token:1".into()],
        result: 2,
        downlink_message: Some(downlink("numbers")),
    }
}

/// A scheduled downlink (timestamped, so every protocol can carry it) with `tag` as its
/// correlation id.
pub fn downlink(tag: &str) -> DownlinkMessage {
    DownlinkMessage {
        raw_payload: vec![
            0x60, 0x04, 0x03, 0x02, 0x01, 0x00, 0x02, 0x00, 0x01, 0x8f, 0xdf, 0xdc, 0x95,
        ],
        correlation_ids: vec![tag.to_owned()],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: 3_001_000_123,
            downlink: Some(tx_settings::Downlink {
                tx_power: 14.0,
                invert_polarization: true,
                ..Default::default()
            }),
            ..Default::default()
        })),
        ..Default::default()
    }
}

/// A class C downlink for Basics Station (RX2 at once, no timestamp needed).
pub fn lbs_downlink(tag: &str) -> DownlinkMessage {
    DownlinkMessage {
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(12, 125_000, "4/5")),
            frequency: 869_525_000,
            downlink: Some(tx_settings::Downlink {
                tx_power: 16.0,
                invert_polarization: true,
                ..Default::default()
            }),
            ..Default::default()
        })),
        ..downlink(tag)
    }
}

/// Whether an acknowledgement carries the correlation id `tag`.
pub fn ack_carries(ack: &TxAcknowledgment, tag: &str) -> bool {
    let has = |ids: &Vec<String>| ids.iter().any(|c| c == tag);
    has(&ack.correlation_ids)
        || ack
            .downlink_message
            .as_ref()
            .is_some_and(|d| has(&d.correlation_ids))
}
