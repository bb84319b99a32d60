//! `DownlinkMessage` ↔ `txpk`.

use loragw_semtech_udp::{Frequency, TxTiming, Txpk};
use loragw_ttnpb::data_rate::Modulation;
use loragw_ttnpb::downlink_message::Settings;
use loragw_ttnpb::time::{gps_millis_to_timestamp, timestamp_to_gps_millis};
use loragw_ttnpb::{DownlinkMessage, TxSettings, tx_settings};

use super::uplink::{data_rate_from_udp, data_rate_to_udp};
use crate::error::TranslateError;

/// EIRP − ERP in dB (the gain of a half-wave dipole over an isotropic antenna): ttnpb carries
/// EIRP (`tx_power`), `txpk.powe` is ERP, as The Things Stack converts.
pub const ERP_EIRP_DELTA_DB: f32 = 2.15;

/// The `txpk` of a scheduled downlink.
///
/// - timing: `tmst` = `scheduled.timestamp` when non-zero (class A, class C by timestamp),
///   else `tmms` = GPS milliseconds of `scheduled.time` (class B, absolute class C), else
///   `imme` (class C "now").
/// - `freq`, `rfch` 0, `powe` = ⌊`tx_power` − 2.15⌋ (EIRP → ERP; 16.15 → 14), `ant` = the
///   downlink antenna only when non-zero, `brd` never (unset fields are omitted: Kerlink and
///   Tektelic forwarders reject them).
/// - LoRa: `datr` `SF<n>BW<k>`, `codr` (omitted when empty), `ipol` = `invert_polarization`,
///   `ncrc` = !`enable_crc`. FSK: `datr` = bit rate, `fdev` = bit rate / 2.
/// - LR-FHSS: refused ([`TranslateError::Unsupported`]): no packet forwarder transmits it.
///
/// A downlink with a `request` instead of `scheduled` settings is refused: Semtech UDP
/// gateways transmit exactly when and how they are told; picking RX1 or RX2 is the
/// scheduler's job.
pub fn downlink_to_txpk(message: &DownlinkMessage) -> Result<Txpk, TranslateError> {
    let settings = match &message.settings {
        Some(Settings::Scheduled(s)) => s,
        Some(Settings::Request(_)) => {
            return Err(TranslateError::invalid(
                "settings",
                "a TxRequest must be scheduled first: Semtech UDP takes scheduled settings only",
            ));
        }
        None => return Err(TranslateError::Missing("settings.scheduled")),
    };
    let dr = settings
        .data_rate
        .as_ref()
        .ok_or(TranslateError::Missing("settings.scheduled.data_rate"))?;
    if let Some(Modulation::Lrfhss(_)) = dr.modulation {
        return Err(TranslateError::Unsupported {
            protocol: "Semtech UDP",
            what: "LR-FHSS downlinks",
        });
    }
    let (datr, codr) = data_rate_to_udp(dr, "settings.scheduled.data_rate")?;
    let timing = if settings.timestamp != 0 {
        TxTiming::Timestamp(settings.timestamp)
    } else if let Some(time) = &settings.time {
        TxTiming::GpsTime(
            timestamp_to_gps_millis(time)
                .map_err(|e| TranslateError::invalid("settings.scheduled.time", e.to_string()))?,
        )
    } else {
        TxTiming::Immediate
    };
    let downlink = settings.downlink.as_ref();
    let lora = matches!(dr.modulation, Some(Modulation::Lora(_)));
    let fdev = match &dr.modulation {
        Some(Modulation::Fsk(f)) => Some(f.bit_rate / 2),
        _ => None,
    };
    let powe = match downlink {
        Some(d) => {
            let erp = (d.tx_power - ERP_EIRP_DELTA_DB + 1e-3).floor();
            if !(f32::from(i8::MIN)..=f32::from(i8::MAX)).contains(&erp) {
                return Err(TranslateError::invalid(
                    "settings.scheduled.downlink.tx_power",
                    format!("{} dBm EIRP out of range", d.tx_power),
                ));
            }
            Some(erp as i8)
        }
        None => None,
    };
    let ant = match downlink.map(|d| d.antenna_index) {
        Some(0) | None => None,
        Some(a) => Some(u8::try_from(a).map_err(|_| {
            TranslateError::invalid(
                "settings.scheduled.downlink.antenna_index",
                format!("{a} out of 0..=255"),
            )
        })?),
    };
    Ok(Txpk {
        timing,
        freq: Frequency::from_hz(settings.frequency),
        rfch: 0,
        powe,
        ant,
        brd: None,
        datr,
        codr,
        fdev,
        ipol: if lora {
            downlink.map(|d| d.invert_polarization)
        } else {
            None
        },
        prea: None,
        ncrc: lora.then_some(!settings.enable_crc),
        nhdr: None,
        data: message.raw_payload.clone(),
    })
}

/// The scheduled `DownlinkMessage` a server meant by `txpk` (gateway side: bridging a local
/// packet forwarder's downlinks). The reverse of [`downlink_to_txpk`]: `tx_power` = `powe` +
/// 2.15, `tmms` → `time`, `imme` → neither timestamp nor time.
pub fn txpk_to_downlink(txpk: &Txpk) -> Result<DownlinkMessage, TranslateError> {
    let (timestamp, time) = match txpk.timing {
        TxTiming::Immediate => (0, None),
        TxTiming::Timestamp(t) => (t, None),
        TxTiming::GpsTime(ms) => (
            0,
            Some(
                gps_millis_to_timestamp(ms)
                    .map_err(|e| TranslateError::invalid("txpk.tmms", e.to_string()))?,
            ),
        ),
    };
    let downlink = tx_settings::Downlink {
        antenna_index: txpk.ant.map_or(0, u32::from),
        tx_power: txpk.powe.map_or(0.0, |p| f32::from(p) + ERP_EIRP_DELTA_DB),
        invert_polarization: txpk.ipol.unwrap_or(false),
    };
    Ok(DownlinkMessage {
        raw_payload: txpk.data.clone(),
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(data_rate_from_udp(&txpk.datr, txpk.codr.as_ref())),
            frequency: txpk.freq.hz(),
            enable_crc: !txpk.ncrc.unwrap_or(false),
            timestamp,
            time,
            downlink: Some(downlink),
            concentrator_timestamp: 0,
        })),
        ..Default::default()
    })
}
