//! `updf`/`jreq`/`rejoin`/`propdf` ↔ `UplinkMessage`.

use loragw_basicstation::frame::{UplinkRadio, split_uplink};
use loragw_basicstation::message::{UpInfo, UpMessage};
use loragw_basicstation::region::Region;
use loragw_basicstation::xtime;
use loragw_ttnpb::time::{gps_micros_to_timestamp, timestamp_to_gps_micros};
use loragw_ttnpb::{BoolValue, RxMetadata, Timestamp, TxSettings, UplinkMessage};

use super::{data_rate_of_index, modulation_of};
use crate::adapter::lorawan::parse_phy_payload;
use crate::adapter::{f32_field, rssi_i16};
use crate::clock::XTime;
use crate::error::TranslateError;
use crate::ids::GatewayIds;
use crate::reply::token::stamp_uplink_tokens;

fn unix_float_to_timestamp(seconds: f64) -> Option<Timestamp> {
    if !seconds.is_finite() || seconds <= 0.0 || seconds > 1e11 {
        return None;
    }
    let whole = seconds.floor();
    // Microsecond precision, as the station writes it. The casts are exact: `whole` is a whole
    // number in 0..=1e11 (checked above) and the fraction's µs are in 0..=1e6.
    #[allow(clippy::cast_possible_truncation)]
    let micros = ((seconds - whole) * 1e6).round() as i32;
    #[allow(clippy::cast_possible_truncation)]
    let whole = whole as i64;
    let (whole, micros) = if micros >= 1_000_000 {
        (whole + 1, 0)
    } else {
        (whole, micros)
    };
    Some(Timestamp {
        seconds: whole,
        nanos: micros * 1000,
    })
}

fn timestamp_to_unix_float(t: &Timestamp) -> f64 {
    // Exact for every second count below 2^53 (285 million years); beyond, rounded.
    #[allow(clippy::cast_precision_loss)]
    let seconds = t.seconds as f64;
    seconds + f64::from(t.nanos) / 1e9
}

/// The `UplinkMessage` of a station uplink's PHYPayload (already rebuilt from the message
/// fields) and radio metadata, with DR indices resolved through `region`'s table.
///
/// - `raw_payload` = the PHYPayload; `payload` = its parsed LoRaWAN fields.
/// - `settings`: `data_rate` of `DR`, `frequency` = `Freq`, `timestamp` = low 32 bits of
///   `xtime`, `time`.
/// - `rx_metadata[0]`: `antenna_index` = txunit of `rctx`, `timestamp`, `time` and `gps_time`
///   from `gpstime` (GPS µs, leap seconds applied) when the station has GPS time, else `time`
///   from `rxtime`; `fine_timestamp` = `fts`; `rssi` = `channel_rssi` = `rssi`; `snr`.
/// - `crc_status` = true: the station forwards only frames with a correct CRC.
/// - `rx_metadata[0].uplink_token`: see [`stamp_uplink_tokens`],
///   with the `xtime`'s 48-bit counter as concentrator time.
///
/// Not carried by the protocol: `channel_index`, `signal_rssi`, RSSI deviation, frequency
/// offset, encrypted fine timestamps.
pub fn radio_to_uplink(
    gateway: &GatewayIds,
    phy_payload: &[u8],
    radio: &UplinkRadio,
    region: Region,
    received_at: Option<Timestamp>,
) -> Result<UplinkMessage, TranslateError> {
    owned_radio_to_uplink(gateway, phy_payload.to_vec(), radio, region, received_at)
}

/// [`radio_to_uplink`] taking the PHYPayload buffer as the message's `raw_payload`.
fn owned_radio_to_uplink(
    gateway: &GatewayIds,
    phy_payload: Vec<u8>,
    radio: &UplinkRadio,
    region: Region,
    received_at: Option<Timestamp>,
) -> Result<UplinkMessage, TranslateError> {
    let info = &radio.upinfo;
    let data_rate = data_rate_of_index(region, radio.dr)?;
    let timestamp = XTime(info.xtime).timestamp();
    let (time, gps_time) = match info.gpstime {
        Some(us) => {
            let us = u64::try_from(us).map_err(|_| {
                TranslateError::invalid("upinfo.gpstime", format!("{us} is negative"))
            })?;
            let t = gps_micros_to_timestamp(us)
                .map_err(|e| TranslateError::invalid("upinfo.gpstime", e.to_string()))?;
            (Some(t), Some(t))
        }
        None => (unix_float_to_timestamp(info.rxtime), None),
    };
    // Whole dBm in the i16 range: exact as an f32.
    let rssi = i16::try_from(info.rssi).map(f32::from).map_err(|_| {
        TranslateError::invalid("upinfo.rssi", format!("{} out of range", info.rssi))
    })?;
    let snr = f32_field(info.snr, "upinfo.snr")?;
    let mut up = UplinkMessage {
        payload: parse_phy_payload(&phy_payload),
        raw_payload: phy_payload,
        settings: Some(TxSettings {
            data_rate: Some(data_rate),
            frequency: u64::from(radio.freq),
            timestamp,
            time,
            ..Default::default()
        }),
        // Built inside the literal rather than as a named value moved in (600 bytes).
        rx_metadata: vec![RxMetadata {
            gateway_ids: Some(gateway.to_ttnpb()),
            antenna_index: u32::from(xtime::rctx_txunit(info.rctx)),
            timestamp,
            time,
            gps_time,
            fine_timestamp: info.fts.and_then(|f| u64::try_from(f).ok()).unwrap_or(0),
            rssi,
            channel_rssi: rssi,
            snr,
            ..Default::default()
        }],
        received_at,
        crc_status: Some(BoolValue { value: true }),
        ..Default::default()
    };
    // The xtime's 48-bit microsecond counter, in nanoseconds (below 2^58: no overflow).
    stamp_uplink_tokens(&mut up, Some(XTime(info.xtime).concentrator_time() * 1000));
    Ok(up)
}

/// The `UplinkMessage` of an uplink frame message (`updf`, `jreq`, `rejoin`, `propdf`; in device
/// mode also `dndf`, `jacc`), see [`radio_to_uplink`]. Other messages are refused.
pub fn up_message_to_uplink(
    gateway: &GatewayIds,
    message: &UpMessage,
    region: Region,
    received_at: Option<Timestamp>,
) -> Result<UplinkMessage, TranslateError> {
    let mut phy = Vec::with_capacity(64);
    let radio = message
        .write_phy_payload(&mut phy)
        .map_err(|e| TranslateError::invalid("frame", e.to_string()))?
        .ok_or_else(|| TranslateError::invalid("msgtype", "not an uplink frame message"))?;
    owned_radio_to_uplink(gateway, phy, &radio, region, received_at)
}

/// The message a station would send for `message` (station side: bridging ttnpb uplinks to an
/// LNS). `xtime` is built from `timestamp` in xtime session `session` (txunit = antenna),
/// `DR` is the lowest uplink index of the data rate in `region`, `rxtime` is `time`.
pub fn uplink_to_up_message(
    message: &UplinkMessage,
    region: Region,
    session: u8,
    ref_time: Option<f64>,
) -> Result<UpMessage, TranslateError> {
    let GatewaySideRadio {
        metadata: md,
        dr,
        freq,
        ..
    } = gateway_side_radio(message, region)?;
    let gpstime = md
        .gps_time
        .as_ref()
        .map(|t| {
            timestamp_to_gps_micros(t)
                .ok()
                .and_then(|us| i64::try_from(us).ok())
                .ok_or_else(|| {
                    TranslateError::invalid("rx_metadata[0].gps_time", "before the GPS epoch")
                })
        })
        .transpose()?;
    let antenna = u8::try_from(md.antenna_index)
        .ok()
        .filter(|a| *a < 0x80)
        .ok_or_else(|| TranslateError::invalid("rx_metadata[0].antenna_index", "above 127"))?;
    let radio = UplinkRadio {
        ref_time,
        dr,
        freq,
        upinfo: UpInfo {
            rctx: i64::from(antenna),
            xtime: xtime::make(antenna, session, i64::from(md.timestamp)),
            gpstime,
            fts: i64::try_from(md.fine_timestamp).ok().filter(|f| *f != 0),
            rssi: i32::from(rssi_i16(md.channel_rssi, "rx_metadata[0].channel_rssi")?),
            snr: f64::from(md.snr),
            rxtime: md.time.as_ref().map_or(0.0, timestamp_to_unix_float),
        },
    };
    split_uplink(&message.raw_payload, false, radio)
        .map_err(|e| TranslateError::invalid("raw_payload", e.to_string()))
}

/// What a gateway (a station, a Tabs hub) reports of an uplink it forwards.
pub(crate) struct GatewaySideRadio<'a> {
    /// The uplink's settings.
    pub(crate) settings: &'a TxSettings,
    /// Its first reception.
    pub(crate) metadata: &'a RxMetadata,
    /// The region's uplink DR index of the data rate.
    pub(crate) dr: u8,
    /// The frequency (Hz).
    pub(crate) freq: u32,
}

/// The settings, first reception, uplink DR index in `region` and frequency of `message`, as a
/// gateway forwarding it reports them; an error names the field that has none.
pub(crate) fn gateway_side_radio(
    message: &UplinkMessage,
    region: Region,
) -> Result<GatewaySideRadio<'_>, TranslateError> {
    let settings = message
        .settings
        .as_ref()
        .ok_or(TranslateError::Missing("settings"))?;
    let data_rate = settings
        .data_rate
        .as_ref()
        .ok_or(TranslateError::Missing("settings.data_rate"))?;
    let modulation = modulation_of(data_rate, "settings.data_rate")?;
    let dr = region.uplink_dr(modulation).ok_or_else(|| {
        TranslateError::invalid(
            "settings.data_rate",
            format!("no uplink DR in {} for {modulation:?}", region.name()),
        )
    })?;
    let freq = u32::try_from(settings.frequency)
        .map_err(|_| TranslateError::invalid("settings.frequency", "above 4,294,967,295 Hz"))?;
    let metadata = message
        .rx_metadata
        .first()
        .ok_or(TranslateError::Missing("rx_metadata"))?;
    Ok(GatewaySideRadio {
        settings,
        metadata,
        dr,
        freq,
    })
}
