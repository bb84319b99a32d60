//! Simulated radio traffic: a hand-written seeded generator, LoRaWAN unconfirmed data-up frames
//! and their EU868 reception metadata.

use loragw_ttnpb::{DataRate, GatewayIdentifiers, RxMetadata, TxSettings, UplinkMessage};

/// The eight default EU868 uplink channels, in Hz (three mandatory, five common extra ones).
pub const EU868_CHANNELS: [u64; 8] = [
    868_100_000,
    868_300_000,
    868_500_000,
    867_100_000,
    867_300_000,
    867_500_000,
    867_700_000,
    867_900_000,
];

/// Length of the simulated application payload (FRMPayload) in bytes.
pub const FRM_PAYLOAD_LEN: usize = 8;

/// SplitMix64: a tiny, seeded, reproducible generator (not for cryptography).
#[derive(Debug, Clone)]
pub struct SimRng {
    state: u64,
}

impl SimRng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        SimRng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0; slightly biased for huge `n`, which is fine here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// One simulated reception: the frame and what the radio measured.
#[derive(Debug, Clone, PartialEq)]
pub struct SimUplink {
    /// The LoRaWAN PHYPayload.
    pub phy_payload: Vec<u8>,
    /// Centre frequency in Hz, one of [`EU868_CHANNELS`].
    pub frequency: u64,
    /// Index into [`EU868_CHANNELS`].
    pub channel_index: u32,
    /// Spreading factor, 7 to 12 (bandwidth 125 kHz, coding rate 4/5).
    pub spreading_factor: u32,
    /// Channel RSSI in dBm, -120 to -40.
    pub rssi: i16,
    /// SNR in dB, -20 to +10 in quarter-dB steps (exact in `f32` and JSON).
    pub snr: f32,
    /// Frame counter of the device.
    pub f_cnt: u16,
}

impl SimUplink {
    /// As a ttnpb uplink received by `gateway_id` at concentrator time `timestamp` (µs).
    pub fn to_ttnpb(&self, gateway_id: &str, eui: [u8; 8], timestamp: u32) -> UplinkMessage {
        UplinkMessage {
            raw_payload: self.phy_payload.clone(),
            settings: Some(TxSettings {
                data_rate: Some(DataRate::lora(self.spreading_factor, 125_000, "4/5")),
                frequency: self.frequency,
                timestamp,
                ..Default::default()
            }),
            rx_metadata: vec![RxMetadata {
                gateway_ids: Some(GatewayIdentifiers {
                    gateway_id: gateway_id.into(),
                    eui: eui.to_vec(),
                }),
                timestamp,
                rssi: f32::from(self.rssi),
                channel_rssi: f32::from(self.rssi),
                snr: self.snr,
                channel_index: self.channel_index,
                ..Default::default()
            }],
            ..Default::default()
        }
    }
}

/// The traffic one simulated gateway hears: one end device with DevAddr `0x260B0000 + index`,
/// sending unconfirmed data-up frames with FCnt 0, 1, 2...
#[derive(Debug, Clone)]
pub struct UplinkGenerator {
    rng: SimRng,
    dev_addr: u32,
    f_cnt: u16,
}

impl UplinkGenerator {
    /// The generator of gateway `index`, seeded from `seed` and the index.
    pub fn new(seed: u64, index: u32) -> Self {
        UplinkGenerator {
            rng: SimRng::new(seed ^ u64::from(index).wrapping_mul(0xA076_1D64_78BD_642F)),
            dev_addr: 0x260B_0000_u32.wrapping_add(index),
            f_cnt: 0,
        }
    }

    /// The next reception.
    pub fn next_uplink(&mut self) -> SimUplink {
        let rng = &mut self.rng;
        let channel_index = rng.below(EU868_CHANNELS.len() as u64) as usize;
        let spreading_factor = 7 + rng.below(6) as u32;
        let rssi = -120 + rng.below(81) as i16;
        let snr = -20.0 + rng.below(121) as f32 * 0.25;
        let frm_payload: Vec<u8> = (0..FRM_PAYLOAD_LEN).map(|_| rng.next_u64() as u8).collect();
        let mic = (rng.next_u64() as u32).to_le_bytes();
        let f_cnt = self.f_cnt;
        self.f_cnt = self.f_cnt.wrapping_add(1);
        SimUplink {
            phy_payload: data_up_frame(self.dev_addr, f_cnt, 1, &frm_payload, mic),
            frequency: EU868_CHANNELS[channel_index],
            channel_index: channel_index as u32,
            spreading_factor,
            rssi,
            snr,
            f_cnt,
        }
    }
}

/// An unconfirmed data-up PHYPayload: MHDR `0x40`, DevAddr (little endian), FCtrl 0, FCnt
/// (little endian), FPort, FRMPayload, MIC. The payload and MIC are random bytes (no keys are
/// simulated), so a network server will drop the frame at the MIC check.
pub fn data_up_frame(
    dev_addr: u32,
    f_cnt: u16,
    f_port: u8,
    frm_payload: &[u8],
    mic: [u8; 4],
) -> Vec<u8> {
    let mut frame = Vec::with_capacity(13 + frm_payload.len());
    frame.push(0x40);
    frame.extend_from_slice(&dev_addr.to_le_bytes());
    frame.push(0x00);
    frame.extend_from_slice(&f_cnt.to_le_bytes());
    frame.push(f_port);
    frame.extend_from_slice(frm_payload);
    frame.extend_from_slice(&mic);
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_up_frame_layout() {
        let frame = data_up_frame(0x260B_0001, 0x0102, 1, &[0xAA, 0xBB], [1, 2, 3, 4]);
        assert_eq!(
            frame,
            [
                0x40, 0x01, 0x00, 0x0B, 0x26, 0x00, 0x02, 0x01, 0x01, 0xAA, 0xBB, 1, 2, 3, 4
            ]
        );
    }

    #[test]
    fn splitmix_reference_values() {
        // SplitMix64 from seed 0: first outputs of the published reference generator.
        let mut rng = SimRng::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn uplinks_stay_in_range_and_count_up() {
        let mut generator = UplinkGenerator::new(7, 3);
        for expected_f_cnt in 0..500u16 {
            let up = generator.next_uplink();
            assert_eq!(up.f_cnt, expected_f_cnt);
            assert_eq!(up.phy_payload.len(), 13 + FRM_PAYLOAD_LEN);
            assert_eq!(up.phy_payload[0], 0x40);
            assert_eq!(up.phy_payload[1..5], 0x260B_0003_u32.to_le_bytes());
            assert_eq!(up.phy_payload[6..8], expected_f_cnt.to_le_bytes());
            assert_eq!(EU868_CHANNELS[up.channel_index as usize], up.frequency);
            assert!((7..=12).contains(&up.spreading_factor));
            assert!((-120..=-40).contains(&up.rssi));
            assert!((-20.0..=10.0).contains(&up.snr));
        }
        // Same seed and index, same traffic; another index, other traffic.
        assert_eq!(
            UplinkGenerator::new(7, 3).next_uplink(),
            UplinkGenerator::new(7, 3).next_uplink()
        );
        assert_ne!(
            UplinkGenerator::new(7, 3).next_uplink().phy_payload,
            UplinkGenerator::new(7, 4).next_uplink().phy_payload
        );
    }
}
