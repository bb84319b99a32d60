//! `rxpk` ↔ `UplinkMessage`.

use loragw_semtech_udp::{
    Bandwidth, CodingRate, CrcStatus, DataRate as UdpDataRate, Frequency, Rsig, Rxpk,
};
use loragw_ttnpb::data_rate::Modulation;
use loragw_ttnpb::time::{gps_millis_to_timestamp, timestamp_to_gps_millis};
use loragw_ttnpb::{
    BoolValue, DataRate, FloatValue, RxMetadata, Timestamp, TxSettings, UplinkMessage,
};

use super::{from_udp_time, to_udp_time};
use crate::adapter::lorawan::parse_phy_payload;
use crate::adapter::{f32_field, lrfhss_coding_rate, merge_receptions, rssi_i16};
use crate::error::TranslateError;
use crate::ids::GatewayIds;
use crate::reply::token::stamp_uplink_tokens;

/// The Things Stack's value for `BW812` (its ISM 2400 band): 812000 Hz, not the radio's exact
/// 812500 Hz. A downlink carrying 812500 Hz is refused there, so ttnpb values use 812000; both are
/// accepted on the way in ([`Bandwidth::from_hz`]).
pub(crate) const TTS_BW812_HZ: u32 = 812_000;

/// The ttnpb bandwidth (Hz) of a `datr` bandwidth: its exact value, except
/// [`Bandwidth::Khz812`], which is [`TTS_BW812_HZ`].
pub(crate) fn ttnpb_bandwidth_hz(bandwidth: Bandwidth) -> u32 {
    match bandwidth {
        Bandwidth::Khz812 => TTS_BW812_HZ,
        other => other.hz(),
    }
}

/// The ttnpb data rate of an `rxpk`/`txpk` `datr` + `codr`.
pub(crate) fn data_rate_from_udp(datr: &UdpDataRate, codr: Option<&CodingRate>) -> DataRate {
    let codr = codr.map(CodingRate::as_str).unwrap_or("");
    match *datr {
        UdpDataRate::Lora {
            spreading_factor,
            bandwidth,
        } => DataRate::lora(
            u32::from(spreading_factor),
            ttnpb_bandwidth_hz(bandwidth),
            codr,
        ),
        UdpDataRate::Fsk { bit_rate } => DataRate::fsk(bit_rate),
        UdpDataRate::LrFhss {
            modulation_type,
            operating_channel_width_khz,
        } => DataRate::lrfhss(
            u32::from(modulation_type),
            operating_channel_width_khz.saturating_mul(1000),
            lrfhss_coding_rate(codr),
        ),
        // A modulation added to the wire crate later: carry nothing rather than guess.
        _ => DataRate { modulation: None },
    }
}

/// The `datr` + `codr` of a ttnpb data rate.
pub(crate) fn data_rate_to_udp(
    dr: &DataRate,
    field: &'static str,
) -> Result<(UdpDataRate, Option<CodingRate>), TranslateError> {
    let codr = |s: &str| (!s.is_empty()).then(|| CodingRate::from_wire(s));
    match &dr.modulation {
        Some(Modulation::Lora(l)) => {
            let bandwidth = Bandwidth::from_hz(l.bandwidth).ok_or_else(|| {
                TranslateError::invalid(
                    field,
                    format!("LoRa bandwidth {} Hz has no `datr` form", l.bandwidth),
                )
            })?;
            let spreading_factor = u8::try_from(l.spreading_factor)
                .ok()
                .filter(|sf| (5..=12).contains(sf))
                .ok_or_else(|| {
                    TranslateError::invalid(
                        field,
                        format!("spreading factor {} out of 5..=12", l.spreading_factor),
                    )
                })?;
            Ok((
                UdpDataRate::Lora {
                    spreading_factor,
                    bandwidth,
                },
                codr(&l.coding_rate),
            ))
        }
        Some(Modulation::Fsk(f)) => Ok((
            UdpDataRate::Fsk {
                bit_rate: f.bit_rate,
            },
            None,
        )),
        Some(Modulation::Lrfhss(l)) => {
            if l.operating_channel_width % 1000 != 0 {
                return Err(TranslateError::invalid(
                    field,
                    format!(
                        "LR-FHSS channel width {} Hz is not whole kHz",
                        l.operating_channel_width
                    ),
                ));
            }
            let modulation_type = u8::try_from(l.modulation_type).map_err(|_| {
                TranslateError::invalid(
                    field,
                    format!("LR-FHSS modulation type {} out of range", l.modulation_type),
                )
            })?;
            Ok((
                UdpDataRate::LrFhss {
                    modulation_type,
                    operating_channel_width_khz: l.operating_channel_width / 1000,
                },
                codr(&l.coding_rate),
            ))
        }
        None => Err(TranslateError::Missing(field)),
    }
}

/// One `UplinkMessage` from one `rxpk`.
///
/// - `settings`: `data_rate` from `datr`/`codr` (LR-FHSS coding rates reduced: `4/6` → `2/3`),
///   `frequency` in Hz (rounded by the wire decoder), `timestamp` = `tmst`, `time`.
/// - `time`: from `tmms` (GPS, leap seconds applied) when present, which also sets
///   `gps_time`; otherwise from `time`.
/// - `rx_metadata`: one per `rsig` element (antenna, channel, `rssic` → `rssi` and
///   `channel_rssi`, `rssis` → `signal_rssi`, `rssisd`, `lsnr`, `etime` with `aesk` as key id,
///   `ftime`, `foff`, `fdri`), or, without `rsig`, one from the top-level fields (`ant`,
///   `chan`, `rssi`, `rssis`, `lsnr`, `foff`, `ftime`); `timestamp`, `time`, `gps_time` and
///   `hopping_width` (`hpw`) on each.
/// - `crc_status`: `stat` 1 → true, −1 → false, 0 → unset.
/// - `received_at`: as given (the server's receive time).
/// - `uplink_token` on every metadata entry
///   ([`stamp_uplink_tokens`], `tmst` as concentrator time).
/// - `payload`: the parsed LoRaWAN frame ([`parse_phy_payload`]), as the Basics Station adapter
///   gives it, so one frame gives one message whichever protocol carried it.
///
/// Not carried: `rfch`, `brd`, `mid` (no ttnpb field), `size` (implied by `data`).
pub fn rxpk_to_uplink(
    gateway: &GatewayIds,
    rxpk: &Rxpk,
    received_at: Option<Timestamp>,
) -> Result<UplinkMessage, TranslateError> {
    uplink_with_payload(gateway, rxpk, rxpk.data.clone(), received_at)
}

/// [`rxpk_to_uplink`] with `data`, the `rxpk`'s `data` (a copy, or the buffer itself taken
/// out of an owned `rxpk`), as `raw_payload`.
fn uplink_with_payload(
    gateway: &GatewayIds,
    rxpk: &Rxpk,
    data: Vec<u8>,
    received_at: Option<Timestamp>,
) -> Result<UplinkMessage, TranslateError> {
    let (time, gps_time) = match rxpk.tmms {
        Some(ms) => {
            let t = gps_millis_to_timestamp(ms)
                .map_err(|e| TranslateError::invalid("rxpk.tmms", e.to_string()))?;
            (Some(t), Some(t))
        }
        None => (rxpk.time.and_then(from_udp_time), None),
    };
    // What every metadata entry of the `rxpk` shares. A function, not a value to copy from:
    // an `RxMetadata` is 600 bytes, and the single-antenna entry is then written once.
    let base = || RxMetadata {
        gateway_ids: Some(gateway.to_ttnpb()),
        timestamp: rxpk.tmst,
        time,
        gps_time,
        hopping_width: rxpk.hpw.unwrap_or(0),
        ..Default::default()
    };
    let rssi = rxpk
        .rssi
        .map(|v| f32_field(v, "rxpk.rssi"))
        .transpose()?
        .unwrap_or(0.0);
    let rx_metadata = if rxpk.rsig.is_empty() {
        vec![RxMetadata {
            antenna_index: rxpk.ant.map_or(0, u32::from),
            channel_index: rxpk.chan.map_or(0, u32::from),
            rssi,
            channel_rssi: rssi,
            signal_rssi: rxpk.rssis.map(|v| FloatValue {
                value: f32::from(v),
            }),
            snr: rxpk
                .lsnr
                .map(|v| f32_field(v, "rxpk.lsnr"))
                .transpose()?
                .unwrap_or(0.0),
            frequency_offset: rxpk.foff.map_or(0, i64::from),
            fine_timestamp: rxpk.ftime.map_or(0, u64::from),
            ..base()
        }]
    } else {
        // One `base()` per antenna: the entries own their gateway ids.
        rxpk.rsig
            .iter()
            .map(|rsig| rsig_metadata(base(), rsig, rxpk.aesk))
            .collect::<Result<_, _>>()?
    };
    let mut up = UplinkMessage {
        payload: parse_phy_payload(&data),
        raw_payload: data,
        settings: Some(TxSettings {
            data_rate: Some(data_rate_from_udp(&rxpk.datr, rxpk.codr.as_ref())),
            frequency: rxpk.freq.hz(),
            timestamp: rxpk.tmst,
            time,
            ..Default::default()
        }),
        rx_metadata,
        received_at,
        crc_status: match rxpk.stat {
            Some(CrcStatus::Ok) => Some(BoolValue { value: true }),
            Some(CrcStatus::Fail) => Some(BoolValue { value: false }),
            _ => None,
        },
        ..Default::default()
    };
    stamp_uplink_tokens(&mut up, None);
    Ok(up)
}

fn rsig_metadata(
    base: RxMetadata,
    rsig: &Rsig,
    aesk: Option<u32>,
) -> Result<RxMetadata, TranslateError> {
    let (encrypted_fine_timestamp, encrypted_fine_timestamp_key_id) = match &rsig.etime {
        Some(etime) => (
            etime.clone(),
            aesk.map(|k| k.to_string()).unwrap_or_default(),
        ),
        None => (Vec::new(), String::new()),
    };
    Ok(RxMetadata {
        antenna_index: rsig.ant.map_or(0, u32::from),
        channel_index: rsig.chan.map_or(0, u32::from),
        rssi: rsig.rssic.map_or(0.0, f32::from),
        channel_rssi: rsig.rssic.map_or(0.0, f32::from),
        signal_rssi: rsig.rssis.map(|v| FloatValue {
            value: f32::from(v),
        }),
        rssi_standard_deviation: rsig.rssisd.map_or(0.0, f32::from),
        snr: rsig
            .lsnr
            .map(|v| f32_field(v, "rxpk.rsig[].lsnr"))
            .transpose()?
            .unwrap_or(0.0),
        encrypted_fine_timestamp,
        encrypted_fine_timestamp_key_id,
        fine_timestamp: rsig.ftime.map_or(0, u64::from),
        frequency_offset: rsig.foff.map_or(0, i64::from),
        frequency_drift: rsig.fdri.unwrap_or(0),
        ..base
    })
}

/// Every `rxpk` of a PUSH_DATA, with copies of one reception merged ([`merge_receptions`]:
/// same bytes, frequency and data rate). Packets that do not translate are returned with their
/// index.
///
/// [`rxpks_into_uplinks`] gives the same result from owned `rxpk`s without copying their `data`.
pub fn rxpks_to_uplinks(
    gateway: &GatewayIds,
    rxpks: &[Rxpk],
    received_at: Option<Timestamp>,
) -> (Vec<UplinkMessage>, Vec<(usize, TranslateError)>) {
    collect_uplinks(
        rxpks.len(),
        rxpks
            .iter()
            .map(|rxpk| rxpk_to_uplink(gateway, rxpk, received_at)),
    )
}

/// [`rxpks_to_uplinks`] taking the `rxpk`s (as a decoded PUSH_DATA owns them): each one's
/// `data` becomes its uplink's `raw_payload` as it is, not copied.
pub fn rxpks_into_uplinks(
    gateway: &GatewayIds,
    mut rxpks: Vec<Rxpk>,
    received_at: Option<Timestamp>,
) -> (Vec<UplinkMessage>, Vec<(usize, TranslateError)>) {
    // Each `rxpk` stays in place: moving one out of the list copies the whole struct.
    collect_uplinks(
        rxpks.len(),
        rxpks.iter_mut().map(|rxpk| {
            let data = std::mem::take(&mut rxpk.data);
            uplink_with_payload(gateway, rxpk, data, received_at)
        }),
    )
}

/// The translated `rxpk`s, merged, and the errors with the index of their `rxpk`.
fn collect_uplinks(
    count: usize,
    translated: impl Iterator<Item = Result<UplinkMessage, TranslateError>>,
) -> (Vec<UplinkMessage>, Vec<(usize, TranslateError)>) {
    let mut ups = Vec::with_capacity(count);
    let mut errors = Vec::new();
    for (i, up) in translated.enumerate() {
        match up {
            Ok(up) => ups.push(up),
            Err(e) => errors.push((i, e)),
        }
    }
    (merge_receptions(ups), errors)
}

fn opt<T: PartialEq + Default>(v: T) -> Option<T> {
    (v != T::default()).then_some(v)
}

/// Whether one metadata entry needs the `rsig` form (fields the top level cannot carry).
fn needs_rsig(md: &RxMetadata) -> bool {
    !md.encrypted_fine_timestamp.is_empty()
        || md.rssi_standard_deviation != 0.0
        || md.frequency_drift != 0
}

/// The `rxpk` a packet forwarder would have sent for `message` (gateway side: bridging ttnpb
/// uplinks to a Semtech UDP server). One metadata entry without encrypted timestamp, RSSI
/// deviation or drift gives the single-antenna form; anything else the `rsig` form.
/// `channel_rssi` is written (`rssi` is its legacy duplicate); `time` is `gps_time` (as `tmms`)
/// when present, else `time`.
pub fn uplink_to_rxpk(message: &UplinkMessage) -> Result<Rxpk, TranslateError> {
    let settings = message
        .settings
        .as_ref()
        .ok_or(TranslateError::Missing("settings"))?;
    let dr = settings
        .data_rate
        .as_ref()
        .ok_or(TranslateError::Missing("settings.data_rate"))?;
    let (datr, codr) = data_rate_to_udp(dr, "settings.data_rate")?;
    let first = message.rx_metadata.first();
    let gps = first.and_then(|m| m.gps_time.as_ref());
    let tmms = gps
        .map(|t| {
            timestamp_to_gps_millis(t)
                .map_err(|e| TranslateError::invalid("rx_metadata[0].gps_time", e.to_string()))
        })
        .transpose()?;
    let time = first
        .and_then(|m| m.time.as_ref())
        .or(settings.time.as_ref())
        .and_then(to_udp_time);
    let single = message.rx_metadata.len() == 1 && !needs_rsig(&message.rx_metadata[0]);
    let u8_field = |v: u32, field: &'static str| {
        u8::try_from(v).map_err(|_| TranslateError::invalid(field, format!("{v} out of 0..=255")))
    };
    let u32_field = |v: u64, field: &'static str| {
        u32::try_from(v)
            .map_err(|_| TranslateError::invalid(field, format!("{v} out of u32 range")))
    };
    let i32_field = |v: i64, field: &'static str| {
        i32::try_from(v)
            .map_err(|_| TranslateError::invalid(field, format!("{v} out of i32 range")))
    };
    let mut rxpk = Rxpk {
        time,
        tmms,
        tmst: first.map_or(settings.timestamp, |m| m.timestamp),
        ftime: None,
        freq: Frequency::from_hz(settings.frequency),
        chan: None,
        rfch: None,
        mid: None,
        brd: None,
        ant: None,
        stat: message.crc_status.as_ref().map(|c| {
            if c.value {
                CrcStatus::Ok
            } else {
                CrcStatus::Fail
            }
        }),
        datr,
        codr,
        hpw: first.and_then(|m| opt(m.hopping_width)),
        rssi: None,
        rssis: None,
        lsnr: None,
        foff: None,
        aesk: None,
        rsig: Vec::new(),
        data: message.raw_payload.clone(),
    };
    if single {
        let m = &message.rx_metadata[0];
        rxpk.ant = opt(u8_field(m.antenna_index, "rx_metadata[0].antenna_index")?);
        rxpk.chan = Some(u8_field(m.channel_index, "rx_metadata[0].channel_index")?);
        rxpk.rssi = Some(f64::from(m.channel_rssi));
        rxpk.rssis = m
            .signal_rssi
            .map(|s| rssi_i16(s.value, "rx_metadata[0].signal_rssi"))
            .transpose()?;
        rxpk.lsnr = Some(f64::from(m.snr));
        rxpk.foff = opt(i32_field(
            m.frequency_offset,
            "rx_metadata[0].frequency_offset",
        )?);
        rxpk.ftime = opt(u32_field(
            m.fine_timestamp,
            "rx_metadata[0].fine_timestamp",
        )?);
    } else {
        for m in &message.rx_metadata {
            if !m.encrypted_fine_timestamp.is_empty() {
                let key = m
                    .encrypted_fine_timestamp_key_id
                    .parse::<u32>()
                    .map_err(|_| {
                        TranslateError::invalid(
                            "rx_metadata[].encrypted_fine_timestamp_key_id",
                            format!(
                                "`{}` is not a number (`aesk`)",
                                m.encrypted_fine_timestamp_key_id
                            ),
                        )
                    })?;
                rxpk.aesk = Some(key);
            }
            rxpk.rsig.push(Rsig {
                ant: Some(u8_field(m.antenna_index, "rx_metadata[].antenna_index")?),
                chan: Some(u8_field(m.channel_index, "rx_metadata[].channel_index")?),
                rssic: Some(rssi_i16(m.channel_rssi, "rx_metadata[].channel_rssi")?),
                rssis: m
                    .signal_rssi
                    .map(|s| rssi_i16(s.value, "rx_metadata[].signal_rssi"))
                    .transpose()?,
                // Clamped into the u16 range first (NaN becomes 0): the cast only drops
                // the (zero) fraction.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                rssisd: opt(m
                    .rssi_standard_deviation
                    .round()
                    .clamp(0.0, f32::from(u16::MAX)) as u16),
                lsnr: Some(f64::from(m.snr)),
                etime: (!m.encrypted_fine_timestamp.is_empty())
                    .then(|| m.encrypted_fine_timestamp.clone()),
                ftime: opt(u32_field(m.fine_timestamp, "rx_metadata[].fine_timestamp")?),
                foff: opt(i32_field(
                    m.frequency_offset,
                    "rx_metadata[].frequency_offset",
                )?),
                fdri: opt(m.frequency_drift),
            });
        }
    }
    Ok(rxpk)
}
