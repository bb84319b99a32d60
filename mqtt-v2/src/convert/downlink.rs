//! v3 `DownlinkMessage` ↔ v2 `DownlinkMessage`.

use loragw_ttnpb::{DownlinkMessage, TxSettings, downlink_message, tx_settings};

use super::{ConvertError, data_rate_from_v2, data_rate_to_v2};
use crate::datarate::{eirp_to_erp, erp_to_eirp};
use crate::pb;

/// The frame counter of a LoRaWAN data frame (`FHDR.FCnt`, little-endian at bytes 6..8 of the
/// PHYPayload, after MHDR, DevAddr and FCtrl), or 0 for join and proprietary frames and frames
/// too short to have one.
pub(crate) fn frame_counter(phy_payload: &[u8]) -> u32 {
    let Some(&mhdr) = phy_payload.first() else {
        return 0;
    };
    let m_type = mhdr >> 5;
    // 2..=5: unconfirmed/confirmed data up/down.
    if !(2..=5).contains(&m_type) {
        return 0;
    }
    match phy_payload.get(6..8) {
        Some(&[lo, hi]) => u32::from(u16::from_le_bytes([lo, hi])),
        _ => 0,
    }
}

/// Server side: a scheduled v3 downlink → the v2 downlink published on `{uid}/down`
/// (The Things Stack's `FromDownlink`, without its bugs).
///
/// * `payload = raw_payload`.
/// * `gateway_configuration = {frequency, power = round(tx_power − 2.15)` (EIRP → ERP, see
///   [`eirp_to_erp`]), `polarization_inversion = true` (always, as The Things Stack: LoRaWAN
///   downlinks are inverted and FSK ignores it), `rf_chain = 0, timestamp,
///   frequency_deviation = bit_rate / 2` for FSK`}`.
/// * `protocol_configuration.lorawan`: LoRa `{LORA, data_rate "SF{sf}BW{kHz}", coding_rate,
///   f_cnt}` with the frame counter read from the raw payload; FSK `{FSK, bit_rate}`.
/// * Errors: no scheduled settings, no data rate, LR-FHSS, or an absolute `time` without a
///   concentrator `timestamp` (v2 can only say "at timestamp").
pub fn downlink_from_v3(down: &DownlinkMessage) -> Result<pb::DownlinkMessage, ConvertError> {
    let Some(downlink_message::Settings::Scheduled(settings)) = &down.settings else {
        return Err(ConvertError::NotScheduled);
    };
    if settings.timestamp == 0 && settings.time.is_some() {
        return Err(ConvertError::AbsoluteTimeOnly);
    }
    let dr = data_rate_to_v2(settings.data_rate.as_ref(), "v3 downlink")?;
    let tx_power = settings.downlink.as_ref().map_or(0.0, |d| d.tx_power);
    let (f_cnt, frequency_deviation) = match dr.modulation {
        pb::Modulation::Lora => (frame_counter(&down.raw_payload), 0),
        pb::Modulation::Fsk => (0, dr.bit_rate / 2),
    };
    Ok(pb::DownlinkMessage {
        payload: down.raw_payload.clone(),
        protocol_configuration: Some(pb::ProtocolTxConfiguration {
            lorawan: Some(pb::LoRaWanTxConfiguration {
                modulation: dr.modulation as i32,
                data_rate: dr.data_rate,
                bit_rate: dr.bit_rate,
                coding_rate: dr.coding_rate,
                f_cnt,
            }),
        }),
        gateway_configuration: Some(pb::GatewayTxConfiguration {
            timestamp: settings.timestamp,
            rf_chain: 0,
            frequency: settings.frequency,
            power: eirp_to_erp(tx_power),
            polarization_inversion: true,
            frequency_deviation,
        }),
        trace: None,
    })
}

/// Gateway side: a v2 downlink received on `{uid}/down` → a scheduled v3 downlink; the inverse
/// of [`downlink_from_v3`].
///
/// `tx_power = power + 2.15` (ERP → EIRP), `invert_polarization = polarization_inversion`,
/// antenna 0, `timestamp` and `frequency` as given. The v2 `rf_chain`, `frequency_deviation`
/// (implied by the bit rate) and `f_cnt` are not carried.
pub fn downlink_to_v3(down: &pb::DownlinkMessage) -> Result<DownlinkMessage, ConvertError> {
    let lorawan = down
        .protocol_configuration
        .as_ref()
        .and_then(|p| p.lorawan.as_ref())
        .ok_or(ConvertError::MissingLorawanConfiguration)?;
    let gc = down
        .gateway_configuration
        .as_ref()
        .ok_or(ConvertError::MissingGatewayConfiguration)?;
    let data_rate = data_rate_from_v2(
        lorawan.modulation,
        &lorawan.data_rate,
        lorawan.bit_rate,
        &lorawan.coding_rate,
    )?;
    Ok(DownlinkMessage {
        raw_payload: down.payload.clone(),
        settings: Some(downlink_message::Settings::Scheduled(TxSettings {
            data_rate: Some(data_rate),
            frequency: gc.frequency,
            timestamp: gc.timestamp,
            downlink: Some(tx_settings::Downlink {
                antenna_index: 0,
                tx_power: erp_to_eirp(gc.power),
                invert_polarization: gc.polarization_inversion,
            }),
            ..Default::default()
        })),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_counters() {
        // Reference downlink: unconfirmed down, FCnt 0x0002.
        let p = [0x60, 0x70, 0x61, 0x61, 0x4a, 0x00, 0x02, 0x00, 0x01];
        assert_eq!(frame_counter(&p), 2);
        // Confirmed up with FCnt 0x1234.
        assert_eq!(frame_counter(&[0x80, 1, 2, 3, 4, 0, 0x34, 0x12]), 0x1234);
        // Join accept (MType 1), proprietary (7), too short, empty.
        assert_eq!(frame_counter(&[0x20, 1, 2, 3, 4, 0, 9, 9]), 0);
        assert_eq!(frame_counter(&[0xe0, 1, 2, 3, 4, 0, 9, 9]), 0);
        assert_eq!(frame_counter(&[0x60, 1, 2, 3, 4, 0, 9]), 0);
        assert_eq!(frame_counter(&[]), 0);
    }
}
