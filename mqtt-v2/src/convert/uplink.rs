//! v2 `UplinkMessage` ↔ v3 `UplinkMessage`.

use loragw_ttnpb::{FloatValue, GatewayIdentifiers, RxMetadata, TxSettings, UplinkMessage};

use super::{
    ConvertError, data_rate_from_v2, data_rate_to_v2, timestamp_to_unix_nanos,
    unix_nanos_to_timestamp,
};
use crate::pb;

/// Server side: a v2 uplink from the gateway `gateway_ids` → v3 (The Things Stack's `ToUplink`,
/// without its bugs).
///
/// * `protocol_metadata.lorawan` and `gateway_metadata` are required. LoRa data rates are
///   parsed from `data_rate` (`SF7BW125`) with `coding_rate`; FSK uses `bit_rate`.
/// * `settings = {data_rate, frequency, timestamp}`; `settings.time` is not set.
/// * One `RxMetadata` per antenna (more than [`loragw_mqtt_v3::codec::MAX_RX_METADATA`] are
///   refused): `antenna_index = antenna`, `channel_index = channel`,
///   `rssi = channel_rssi = (channel_rssi if ≠ 0, else rssi)`, `signal_rssi = rssi` when both
///   are reported, `snr`, `frequency_offset`, `rssi_standard_deviation`,
///   `fine_timestamp = fine_time` (when > 0), `encrypted_fine_timestamp = encrypted_time`,
///   `timestamp` and `time` from the gateway metadata.
/// * Without antennas, one `RxMetadata` for antenna 0 with `rssi = channel_rssi =` the gateway
///   metadata's `rssi`, its `snr`, `channel_index = channel`, `timestamp` and `time`.
/// * `time` is set only when the v2 time is not 0.
/// * The result passes [`loragw_mqtt_v3::validate::uplink`], or the conversion fails with
///   [`ConvertError::Invalid`]: an empty payload, a frequency of 0 or of 10 GHz or more, a
///   non-finite RSSI, SNR or RSSI standard deviation are refused.
/// * The v2 `gateway_id`, `gateway_trusted`, `rf_chain`, `location`, top-level
///   `encrypted_time`, `f_cnt`, `frequency_plan` and `trace` are not used; the gateway ids come
///   from the connection.
pub fn uplink_to_v3(
    up: &pb::UplinkMessage,
    gateway_ids: &GatewayIdentifiers,
) -> Result<UplinkMessage, ConvertError> {
    let lorawan = up
        .protocol_metadata
        .as_ref()
        .and_then(|p| p.lorawan.as_ref())
        .ok_or(ConvertError::MissingLorawanMetadata)?;
    let gm = up
        .gateway_metadata
        .as_ref()
        .ok_or(ConvertError::MissingGatewayMetadata)?;
    let data_rate = data_rate_from_v2(
        lorawan.modulation,
        &lorawan.data_rate,
        lorawan.bit_rate,
        &lorawan.coding_rate,
    )?;
    if gm.antennas.len() > loragw_mqtt_v3::codec::MAX_RX_METADATA {
        return Err(ConvertError::TooManyAntennas(gm.antennas.len()));
    }
    let time = unix_nanos_to_timestamp(gm.time);
    let base = RxMetadata {
        gateway_ids: Some(gateway_ids.clone()),
        time,
        timestamp: gm.timestamp,
        ..Default::default()
    };
    let rx_metadata = if gm.antennas.is_empty() {
        vec![RxMetadata {
            antenna_index: 0,
            channel_index: gm.channel,
            rssi: gm.rssi,
            channel_rssi: gm.rssi,
            snr: gm.snr,
            ..base
        }]
    } else {
        gm.antennas
            .iter()
            .map(|a| {
                let (rssi, signal_rssi) = if a.channel_rssi != 0.0 {
                    let signal = (a.rssi != 0.0).then_some(FloatValue { value: a.rssi });
                    (a.channel_rssi, signal)
                } else {
                    (a.rssi, None)
                };
                RxMetadata {
                    antenna_index: a.antenna,
                    channel_index: a.channel,
                    rssi,
                    channel_rssi: rssi,
                    signal_rssi,
                    snr: a.snr,
                    frequency_offset: a.frequency_offset,
                    rssi_standard_deviation: a.rssi_standard_deviation,
                    fine_timestamp: u64::try_from(a.fine_time).unwrap_or(0),
                    encrypted_fine_timestamp: a.encrypted_time.clone(),
                    ..base.clone()
                }
            })
            .collect()
    };
    let mut v3 = UplinkMessage {
        raw_payload: up.payload.clone(),
        settings: Some(TxSettings {
            data_rate: Some(data_rate),
            frequency: gm.frequency,
            timestamp: gm.timestamp,
            ..Default::default()
        }),
        rx_metadata,
        ..Default::default()
    };
    loragw_mqtt_v3::validate::uplink(&mut v3)?;
    Ok(v3)
}

/// Gateway side: a v3 uplink → the v2 uplink the gateway `gateway_id` publishes on
/// `{uid}/up`; the inverse of [`uplink_to_v3`].
///
/// Every `RxMetadata` becomes an antenna (`antenna`, `channel`, `rssi = signal_rssi` if set
/// with `channel_rssi` kept, else `rssi = channel_rssi` with `channel_rssi` 0, `snr`,
/// `frequency_offset`, `rssi_standard_deviation`, `fine_time`, `encrypted_time`); the first
/// one also gives the gateway metadata's `rssi`, `snr`, `channel`, `time` and, when the
/// settings have none, `timestamp`. LR-FHSS uplinks are an error.
pub fn uplink_from_v3(
    up: &UplinkMessage,
    gateway_id: &str,
) -> Result<pb::UplinkMessage, ConvertError> {
    let settings = up.settings.as_ref().ok_or(ConvertError::MissingSettings)?;
    let dr = data_rate_to_v2(settings.data_rate.as_ref(), "v3 uplink")?;
    let first = up.rx_metadata.first();
    let time = first
        .and_then(|md| md.time.as_ref())
        .or(settings.time.as_ref());
    let timestamp = match settings.timestamp {
        0 => first.map_or(0, |md| md.timestamp),
        t => t,
    };
    let antennas = up
        .rx_metadata
        .iter()
        .map(|md| {
            let (rssi, channel_rssi) = match &md.signal_rssi {
                Some(signal) => (signal.value, md.channel_rssi),
                None => (md.channel_rssi, 0.0),
            };
            pb::gateway_rx_metadata::Antenna {
                antenna: md.antenna_index,
                channel: md.channel_index,
                rssi,
                snr: md.snr,
                channel_rssi,
                rssi_standard_deviation: md.rssi_standard_deviation,
                frequency_offset: md.frequency_offset,
                encrypted_time: md.encrypted_fine_timestamp.clone(),
                fine_time: i64::try_from(md.fine_timestamp).unwrap_or(i64::MAX),
            }
        })
        .collect();
    Ok(pb::UplinkMessage {
        payload: up.raw_payload.clone(),
        protocol_metadata: Some(pb::ProtocolRxMetadata {
            lorawan: Some(pb::LoRaWanMetadata {
                modulation: dr.modulation as i32,
                data_rate: dr.data_rate,
                bit_rate: dr.bit_rate,
                coding_rate: dr.coding_rate,
                f_cnt: 0,
                frequency_plan: 0,
            }),
        }),
        gateway_metadata: Some(pb::GatewayRxMetadata {
            gateway_id: gateway_id.into(),
            timestamp,
            time: timestamp_to_unix_nanos(time, "uplink time")?,
            channel: first.map_or(0, |md| md.channel_index),
            antennas,
            frequency: settings.frequency,
            rssi: first.map_or(0.0, |md| md.channel_rssi),
            snr: first.map_or(0.0, |md| md.snr),
            ..Default::default()
        }),
        trace: None,
    })
}
