//! The v2 LoRa data-rate strings (`SF7BW125`) and the transmit power convention.

/// Formats a LoRa data rate as v2 writes it: `SF{sf}BW{bandwidth in kHz}`, the bandwidth
/// truncated to whole kHz (125000 Hz → `125`; 812000 and 812500 Hz → `812`).
pub fn format_lora(spreading_factor: u32, bandwidth_hz: u32) -> String {
    format!("SF{spreading_factor}BW{}", bandwidth_hz / 1000)
}

/// Parses a v2 LoRa data rate such as `SF7BW125` into `(spreading factor, bandwidth in Hz)`.
///
/// Spreading factors 5 to 12 are accepted. The bandwidth is in whole kHz; the 2.4 GHz
/// bandwidths that are not whole kHz are written truncated by [`format_lora`] and mapped back
/// here (`406` → 406250, `203` → 203125). `812` becomes 812000 Hz, The Things Stack's value for
/// its ISM 2400 band (a downlink with 812500 is refused there). Returns `None` for anything else.
pub fn parse_lora(data_rate: &str) -> Option<(u32, u32)> {
    let rest = data_rate.strip_prefix("SF")?;
    let (sf, bw) = rest.split_once("BW")?;
    let sf = parse_digits(sf)?;
    let bw_khz = parse_digits(bw)?;
    if !(5..=12).contains(&sf) || bw_khz == 0 {
        return None;
    }
    let bandwidth = match bw_khz {
        812 => 812_000,
        406 => 406_250,
        203 => 203_125,
        khz => khz.checked_mul(1000)?,
    };
    Some((sf, bandwidth))
}

fn parse_digits(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 7 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The antenna gain The Things Stack assumes between ERP (v2 `power`) and EIRP (v3
/// `tx_power`): 2.15 dBi, the gain of a half-wave dipole.
pub const DIPOLE_GAIN_DBI: f64 = 2.15;

/// v3 `tx_power` (EIRP, dBm) → v2 `power` (ERP, whole dBm): `tx_power − 2.15`, **rounded to the
/// nearest integer** (halves away from zero), saturating at the `i32` range; NaN gives 0.
///
/// The Things Stack truncates instead (`int32(tx_power - 2.15)`), which turns 16.1 dBm EIRP into
/// 13 dBm ERP where 13.95 is meant. Rounding is computed in `f64` so that the `f32` value of
/// 16.15 (16.1499996…) still gives 14, as in the reference vector.
pub fn eirp_to_erp(tx_power_eirp: f32) -> i32 {
    let erp = f64::from(tx_power_eirp) - DIPOLE_GAIN_DBI;
    // `as` saturates on overflow and maps NaN to 0.
    erp.round() as i32
}

/// v2 `power` (ERP, dBm) → v3 `tx_power` (EIRP, dBm): `power + 2.15`.
pub fn erp_to_eirp(power_erp: i32) -> f32 {
    (f64::from(power_erp) + DIPOLE_GAIN_DBI) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lora_strings() {
        assert_eq!(format_lora(7, 125_000), "SF7BW125");
        assert_eq!(format_lora(12, 125_000), "SF12BW125");
        assert_eq!(format_lora(10, 500_000), "SF10BW500");
        assert_eq!(format_lora(12, 812_500), "SF12BW812");
        assert_eq!(format_lora(12, 812_000), "SF12BW812");
        assert_eq!(parse_lora("SF7BW125"), Some((7, 125_000)));
        assert_eq!(parse_lora("SF12BW500"), Some((12, 500_000)));
        assert_eq!(parse_lora("SF5BW250"), Some((5, 250_000)));
        assert_eq!(parse_lora("SF12BW812"), Some((12, 812_000)));
        assert_eq!(parse_lora("SF12BW406"), Some((12, 406_250)));
        for bad in [
            "",
            "SF7",
            "BW125",
            "SF7BW",
            "SFBW125",
            "SF4BW125",
            "SF13BW125",
            "sf7bw125",
            "SF7BW0",
            "SF+7BW125",
            "SF7BW125 ",
            "SF7BW99999999",
            "SF7BW12.5",
            "M0CW137",
        ] {
            assert_eq!(parse_lora(bad), None, "{bad}");
        }
    }

    #[test]
    fn power() {
        // Reference vector: TxPower 16.15 → power 14.
        assert_eq!(eirp_to_erp(16.15), 14);
        // Truncation would give 13 here.
        assert_eq!(eirp_to_erp(16.1), 14);
        assert_eq!(eirp_to_erp(14.0), 12); // 11.85 → 12
        assert_eq!(eirp_to_erp(2.15), 0);
        assert_eq!(eirp_to_erp(0.0), -2); // -2.15 → -2
        assert_eq!(eirp_to_erp(f32::NAN), 0);
        assert_eq!(eirp_to_erp(f32::INFINITY), i32::MAX);
        assert_eq!(erp_to_eirp(14), 16.15);
        assert_eq!(eirp_to_erp(erp_to_eirp(27)), 27);
    }
}
