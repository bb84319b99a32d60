//! Simulated radio traffic: a hand-written seeded generator, a population of end devices per
//! gateway sending join-requests and data uplinks with valid MICs ([`super::frames`]), on the
//! channels and data rates of a frequency plan, with plausible RSSI and SNR.
//!
//! Each device has a mean RSSI (its distance to the gateway), varies by a few dB per frame,
//! and gets an SNR that follows the RSSI above the noise floor. It uses the fastest LoRa data
//! rate of the channel its SNR allows with a margin, as ADR would set it. A device's first
//! frame is a join-request; after that it sends data uplinks (FCnt from 0) and, rarely, joins
//! again (FCnt starts over).

use std::sync::Arc;

use loragw_gateway_io::adapter::lbs::{data_rate_of_index, region_of};
use loragw_gateway_io::freqplan::FrequencyPlan;
use loragw_ttnpb::{DataRate, GatewayIdentifiers, RxMetadata, TxSettings, UplinkMessage};

pub use super::frames::data_up_frame;
use super::frames::{join_request, signed_data_up};

/// The frequency plan used unless another is chosen.
pub const DEFAULT_FREQUENCY_PLAN: &str = "EU_863_870";
/// Length of the simulated application payload (FRMPayload) in bytes.
pub const FRM_PAYLOAD_LEN: usize = 8;
/// The JoinEUI of every simulated device.
pub const SIM_JOIN_EUI: u64 = 0x70B3_D57E_D000_0000;
/// A joined device joins again with probability 1 in this many frames.
const REJOIN_ONE_IN: u64 = 200;

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

    /// 16 random bytes (simulated keys).
    pub fn key(&mut self) -> [u8; 16] {
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        key[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        key
    }
}

/// A LoRa data rate of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoraDr {
    /// DR index in the band.
    pub index: u8,
    /// Spreading factor.
    pub spreading_factor: u32,
    /// Bandwidth in Hz.
    pub bandwidth: u32,
}

/// One uplink channel and its LoRa data rates, fastest first.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanChannel {
    /// Centre frequency in Hz.
    pub frequency: u64,
    /// Channel index (`chan`): multi-SF channels first, then the LoRa standard channel.
    pub index: u32,
    /// Data rates, lowest spreading factor first.
    pub data_rates: Vec<LoraDr>,
}

/// The uplink channels of a frequency plan, as the simulator uses them.
#[derive(Debug, Clone, PartialEq)]
pub struct TrafficPlan {
    /// The plan id (`EU_863_870`, ...).
    pub id: String,
    /// The channels.
    pub channels: Vec<PlanChannel>,
}

impl TrafficPlan {
    /// The channels of one of gateway-io's built-in frequency plans (LoRa data rates only).
    pub fn builtin(id: &str) -> Result<TrafficPlan, String> {
        let plan = FrequencyPlan::builtin(id).ok_or_else(|| {
            format!(
                "unknown frequency plan {id:?} (one of {})",
                FrequencyPlan::BUILTIN_IDS.join(", ")
            )
        })?;
        let region = region_of(&plan).map_err(|e| e.to_string())?;
        let lora = |index: u8| -> Option<LoraDr> {
            let dr = data_rate_of_index(region, index).ok()?;
            let lora = dr.as_lora()?;
            Some(LoraDr {
                index,
                spreading_factor: lora.spreading_factor,
                bandwidth: lora.bandwidth,
            })
        };
        let mut channels: Vec<PlanChannel> = plan
            .uplink_channels
            .iter()
            .enumerate()
            .map(|(i, ch)| PlanChannel {
                frequency: ch.frequency,
                index: i as u32,
                data_rates: (ch.min_data_rate..=ch.max_data_rate)
                    .filter_map(lora)
                    .collect(),
            })
            .collect();
        if let Some(std) = &plan.lora_standard_channel {
            channels.push(PlanChannel {
                frequency: std.frequency,
                index: channels.len() as u32,
                data_rates: lora(std.data_rate).into_iter().collect(),
            });
        }
        channels.retain(|c| !c.data_rates.is_empty());
        for c in &mut channels {
            c.data_rates.sort_by_key(|d| d.spreading_factor);
        }
        if channels.is_empty() {
            return Err(format!("frequency plan {id:?} has no LoRa uplink channel"));
        }
        Ok(TrafficPlan {
            id: id.to_owned(),
            channels,
        })
    }
}

/// The kind of a simulated frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimFrame {
    /// An unconfirmed data uplink.
    Data {
        /// The device address.
        dev_addr: u32,
        /// The full frame counter.
        f_cnt: u32,
    },
    /// A join-request.
    Join {
        /// The device EUI.
        dev_eui: u64,
        /// The DevNonce.
        dev_nonce: u16,
    },
}

/// One simulated reception: the frame and what the radio measured.
#[derive(Debug, Clone, PartialEq)]
pub struct SimUplink {
    /// The LoRaWAN PHYPayload.
    pub phy_payload: Vec<u8>,
    /// What the frame is.
    pub frame: SimFrame,
    /// Centre frequency in Hz.
    pub frequency: u64,
    /// Channel index in the plan.
    pub channel_index: u32,
    /// DR index in the band.
    pub data_rate_index: u8,
    /// Spreading factor.
    pub spreading_factor: u32,
    /// Bandwidth in Hz.
    pub bandwidth: u32,
    /// Channel RSSI in dBm.
    pub rssi: i16,
    /// SNR in dB, in quarter-dB steps (exact in `f32` and JSON).
    pub snr: f32,
}

impl SimUplink {
    /// As a ttnpb uplink received by `gateway_id` at concentrator time `timestamp` (µs).
    pub fn to_ttnpb(&self, gateway_id: &str, eui: [u8; 8], timestamp: u32) -> UplinkMessage {
        UplinkMessage {
            raw_payload: self.phy_payload.clone(),
            settings: Some(TxSettings {
                data_rate: Some(DataRate::lora(self.spreading_factor, self.bandwidth, "4/5")),
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

/// One simulated end device.
#[derive(Debug, Clone)]
struct Device {
    dev_addr: u32,
    dev_eui: u64,
    app_key: [u8; 16],
    nwk_s_key: [u8; 16],
    f_cnt: u32,
    dev_nonce: u16,
    joined: bool,
    /// Mean channel RSSI at the gateway, dBm.
    mean_rssi: i64,
}

/// The traffic one simulated gateway hears: `devices` end devices; device `j` of gateway `i`
/// is number `n = i * devices + j`, with DevAddr `0x26000000 + n` (NwkID 0x13) and DevEUI
/// `0x70B3D57ED1000000 + n`.
#[derive(Debug, Clone)]
pub struct UplinkGenerator {
    rng: SimRng,
    plan: Arc<TrafficPlan>,
    devices: Vec<Device>,
}

/// The DevAddr of simulated device number `n` (see [`UplinkGenerator`]): `0x26000000 + n`
/// (NwkID 0x13), the low 25 bits of `n`.
pub fn dev_addr_of(n: u64) -> u32 {
    0x2600_0000 | (n as u32 & 0x01FF_FFFF)
}

/// The SNR a LoRa spreading factor needs at least, in quarter dB (SF7 −7.5 dB ... SF12 −20).
fn required_snr_quarters(spreading_factor: u32) -> i64 {
    -30 - 10 * (i64::from(spreading_factor) - 7)
}

impl UplinkGenerator {
    /// The generator of gateway `index` with `devices` devices (at least one), seeded from
    /// `seed` and the index.
    pub fn new(seed: u64, index: u32, devices: u32, plan: Arc<TrafficPlan>) -> Self {
        let mut rng = SimRng::new(seed ^ u64::from(index).wrapping_mul(0xA076_1D64_78BD_642F));
        let devices = (0..devices.max(1))
            .map(|j| {
                let n = u64::from(index) * u64::from(devices.max(1)) + u64::from(j);
                Device {
                    dev_addr: dev_addr_of(n),
                    dev_eui: 0x70B3_D57E_D100_0000 + n,
                    app_key: rng.key(),
                    nwk_s_key: rng.key(),
                    f_cnt: 0,
                    dev_nonce: rng.next_u64() as u16,
                    joined: false,
                    mean_rssi: -118 + rng.below(68) as i64,
                }
            })
            .collect();
        UplinkGenerator { rng, plan, devices }
    }

    /// The next reception.
    pub fn next_uplink(&mut self) -> SimUplink {
        let rng = &mut self.rng;
        let d = rng.below(self.devices.len() as u64) as usize;
        let device = &mut self.devices[d];
        // ±4 dB around the device's mean (a sum of two uniforms: more often near the mean).
        let rssi =
            (device.mean_rssi + rng.below(5) as i64 + rng.below(5) as i64 - 4).clamp(-125, -30);
        // Noise floor about −117 dBm: SNR follows the RSSI, ±1.5 dB, within −20...+10 dB.
        let snr_quarters = ((rssi + 117) * 4 + rng.below(13) as i64 - 6).clamp(-80, 40);
        let channel = &self.plan.channels[rng.below(self.plan.channels.len() as u64) as usize];
        // Fastest DR whose required SNR is met with a 2.5 dB margin, else the slowest.
        let dr = channel
            .data_rates
            .iter()
            .find(|dr| required_snr_quarters(dr.spreading_factor) + 10 <= snr_quarters)
            .or(channel.data_rates.last())
            .copied()
            .expect("TrafficPlan::builtin keeps only channels with data rates");
        let rejoin = device.joined && rng.below(REJOIN_ONE_IN) == 0;
        let (phy_payload, frame) = if !device.joined || rejoin {
            device.joined = true;
            device.f_cnt = 0;
            device.dev_nonce = device.dev_nonce.wrapping_add(1);
            let frame = SimFrame::Join {
                dev_eui: device.dev_eui,
                dev_nonce: device.dev_nonce,
            };
            let phy = join_request(
                &device.app_key,
                SIM_JOIN_EUI,
                device.dev_eui,
                device.dev_nonce,
            );
            (phy, frame)
        } else {
            let frm: Vec<u8> = (0..FRM_PAYLOAD_LEN).map(|_| rng.next_u64() as u8).collect();
            let f_cnt = device.f_cnt;
            device.f_cnt += 1;
            let frame = SimFrame::Data {
                dev_addr: device.dev_addr,
                f_cnt,
            };
            (
                signed_data_up(&device.nwk_s_key, device.dev_addr, f_cnt, 1, &frm),
                frame,
            )
        };
        SimUplink {
            phy_payload,
            frame,
            frequency: channel.frequency,
            channel_index: channel.index,
            data_rate_index: dr.index,
            spreading_factor: dr.spreading_factor,
            bandwidth: dr.bandwidth,
            rssi: rssi as i16,
            snr: snr_quarters as f32 * 0.25,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eu868() -> Arc<TrafficPlan> {
        Arc::new(TrafficPlan::builtin(DEFAULT_FREQUENCY_PLAN).unwrap())
    }

    #[test]
    fn splitmix_reference_values() {
        // SplitMix64 from seed 0: first outputs of the published reference generator.
        let mut rng = SimRng::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn eu868_plan_has_eight_multi_sf_channels_and_the_standard_channel() {
        let plan = eu868();
        assert_eq!(plan.channels.len(), 9);
        assert_eq!(plan.channels[0].frequency, 868_100_000);
        let sfs: Vec<u32> = plan.channels[0]
            .data_rates
            .iter()
            .map(|d| d.spreading_factor)
            .collect();
        assert_eq!(sfs, [7, 8, 9, 10, 11, 12]);
        assert_eq!(plan.channels[8].data_rates[0].bandwidth, 250_000);
        assert!(TrafficPlan::builtin("XX_000").is_err());
        // Another band: US915 FSB 2 has 125 kHz channels and one 500 kHz channel.
        let us = TrafficPlan::builtin("US_902_928_FSB_2").unwrap();
        assert!(
            us.channels
                .iter()
                .any(|c| c.data_rates[0].bandwidth == 500_000)
        );
    }

    #[test]
    fn devices_join_first_then_count_up_on_plan_channels() {
        let plan = eu868();
        let mut generator = UplinkGenerator::new(7, 3, 5, plan.clone());
        let mut joined = std::collections::HashMap::new();
        let mut data = 0;
        for _ in 0..2000 {
            let up = generator.next_uplink();
            let channel = plan
                .channels
                .iter()
                .find(|c| c.index == up.channel_index)
                .unwrap();
            assert_eq!(channel.frequency, up.frequency);
            assert!(channel.data_rates.iter().any(
                |d| d.spreading_factor == up.spreading_factor && d.index == up.data_rate_index
            ));
            assert!((-125..=-30).contains(&up.rssi));
            assert!((-20.0..=10.0).contains(&up.snr));
            let parsed = loragw_gateway_io::adapter::lorawan::parse_phy_payload(&up.phy_payload);
            assert!(parsed.is_some(), "well-formed frame");
            match up.frame {
                SimFrame::Join { dev_eui, .. } => {
                    assert_eq!(up.phy_payload.len(), 23);
                    joined.insert(dev_eui - 0x70B3_D57E_D100_0000, 0u32);
                }
                SimFrame::Data { dev_addr, f_cnt } => {
                    data += 1;
                    assert_eq!(up.phy_payload[1..5], dev_addr.to_le_bytes());
                    assert_eq!(dev_addr >> 25, 0x13);
                    // Devices 15..20 (gateway 3, 5 devices each).
                    let n = u64::from(dev_addr & 0x01FF_FFFF);
                    let expected = joined.get_mut(&n).expect("joined before sending data");
                    assert_eq!(f_cnt, *expected);
                    *expected += 1;
                }
            }
        }
        assert_eq!(joined.len(), 5);
        assert!(data > 1900, "mostly data uplinks: {data}");
        // Same seed and index, same traffic; another index, other traffic.
        let first = |i| UplinkGenerator::new(7, i, 5, plan.clone()).next_uplink();
        assert_eq!(first(3), first(3));
        assert_ne!(first(3).phy_payload, first(4).phy_payload);
    }

    #[test]
    fn weak_devices_use_slow_data_rates() {
        let plan = eu868();
        let mut generator = UplinkGenerator::new(1, 0, 50, plan);
        for _ in 0..5000 {
            let up = generator.next_uplink();
            let quarters = (up.snr * 4.0) as i64;
            if up.spreading_factor < 12 && up.bandwidth == 125_000 {
                assert!(
                    required_snr_quarters(up.spreading_factor) + 10 <= quarters,
                    "{up:?}"
                );
            }
        }
    }
}
