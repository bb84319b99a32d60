//! The two halves of the crate together: a `router_config` built from a [`ChannelPlan`] by
//! [`build_router_config`] goes through the LNS session to the station session, and both sides
//! then agree with the region tables on what each DR means (uplink (SF, BW) → DR, downlink
//! `RX1DR`/`RX2DR` → modulation, undefined DRs refused on both sides).

use std::time::{Duration, Instant};

use loragw_basicstation::channel_plan::{
    ChannelPlan, ConcentratorPlan, MultiSfChannelPlan, RadioPlan, RouterConfigOptions,
    SingleDrChannelPlan, build_router_config,
};
use loragw_basicstation::lns::{
    DownlinkRequest, DownlinkSchedule, LnsConfig, LnsEvent, LnsSession, UplinkKind,
};
use loragw_basicstation::message::{TxWindow, UpMessage, decode_up};
use loragw_basicstation::region::{Modulation, Region};
use loragw_basicstation::router_config::RouterConfig;
use loragw_basicstation::station::{
    ReceivedFrame, StationConfig, StationEvent, StationSession, TxTime,
};
use loragw_basicstation::{Eui64, SessionError, xtime};

const WALL0: f64 = 1_795_585_800.0;
/// xtime session 0x21, 10 s after the radio started.
const UPLINK_XTIME: i64 = 0x0021_0000_0098_9680;

/// A confirmed-up data frame: MHDR, DevAddr 0x01020304, FCtrl 0, FCnt 7, FPort 1, one byte,
/// MIC. 14 bytes.
const PHY: [u8; 14] = [
    0x80, 0x04, 0x03, 0x02, 0x01, 0x00, 0x07, 0x00, 0x01, 0xAA, 0x11, 0x22, 0x33, 0x44,
];

fn lora(spreading_factor: u8, bandwidth_khz: u16) -> Modulation {
    Modulation::Lora {
        spreading_factor,
        bandwidth_khz,
    }
}

const FSK: Modulation = Modulation::Fsk { bit_rate: 50_000 };

fn radio(freq: u64) -> Option<RadioPlan> {
    Some(RadioPlan {
        freq,
        antenna_gain: None,
    })
}

fn multi_sf(freq: u64, radio: u8) -> MultiSfChannelPlan {
    MultiSfChannelPlan {
        freq,
        radio,
        min_dr: 0,
        max_dr: 5,
    }
}

/// TTN's EU_863_870 plan on one chip: 8 multi-SF channels, SF7/250 on 868.3, FSK on 868.8.
fn eu868_plan() -> ChannelPlan {
    ChannelPlan {
        region: Region::Eu868,
        tx_freq_range: [863_000_000, 870_000_000],
        max_eirp_dbm: None,
        concentrators: vec![ConcentratorPlan {
            radios: [radio(867_500_000), radio(868_500_000)],
            multi_sf: vec![
                multi_sf(868_100_000, 1),
                multi_sf(868_300_000, 1),
                multi_sf(868_500_000, 1),
                multi_sf(867_100_000, 0),
                multi_sf(867_300_000, 0),
                multi_sf(867_500_000, 0),
                multi_sf(867_700_000, 0),
                multi_sf(867_900_000, 0),
            ],
            lora_std: Some(SingleDrChannelPlan {
                freq: 868_300_000,
                radio: 1,
                dr: 6,
            }),
            fsk: Some(SingleDrChannelPlan {
                freq: 868_800_000,
                radio: 1,
                dr: 7,
            }),
            lbt: None,
        }],
        beacon: None,
    }
}

/// One US915 chip: 8 multi-SF channels from `first` in 200 kHz steps, SF8/500 in the middle.
fn us915_chip(first: u64) -> ConcentratorPlan {
    let ch = |i: u64| MultiSfChannelPlan {
        freq: first + i * 200_000,
        radio: u8::from(i >= 4),
        min_dr: 0,
        max_dr: 3,
    };
    ConcentratorPlan {
        radios: [radio(first + 400_000), radio(first + 1_100_000)],
        multi_sf: (0..8).map(ch).collect(),
        lora_std: Some(SingleDrChannelPlan {
            freq: first + 700_000,
            radio: 0,
            dr: 4,
        }),
        fsk: None,
        lbt: None,
    }
}

fn us915_plan(chips: Vec<ConcentratorPlan>) -> ChannelPlan {
    ChannelPlan {
        region: Region::Us915,
        tx_freq_range: [923_000_000, 928_000_000],
        max_eirp_dbm: None,
        concentrators: chips,
        beacon: None,
    }
}

struct Link {
    now: Instant,
    lns: LnsSession,
    station: StationSession,
    lns_events: Vec<LnsEvent>,
    station_events: Vec<StationEvent>,
    /// Every frame the station sent, in order.
    up_frames: Vec<String>,
}

impl Link {
    /// Connects a station to an LNS configured with `config` and runs the handshake.
    fn connect(config: RouterConfig) -> Link {
        let now = Instant::now();
        let mut link = Link {
            now,
            lns: LnsSession::new(LnsConfig {
                router_config: Some(config.into()),
                time_transfer_interval: None,
                ..LnsConfig::default()
            }),
            station: StationSession::new(StationConfig::default(), now),
            lns_events: Vec::new(),
            station_events: Vec::new(),
            up_frames: Vec::new(),
        };
        link.pump();
        link
    }

    fn wall(&self) -> f64 {
        WALL0 + 0.001
    }

    fn pump(&mut self) {
        let mut buf = String::new();
        loop {
            let mut up = Vec::new();
            while self.station.poll_transmit(&mut buf) {
                up.push(buf.clone());
            }
            self.station_events
                .extend(std::iter::from_fn(|| self.station.poll_event()));
            let mut down = Vec::new();
            while self.lns.poll_transmit(&mut buf) {
                down.push(buf.clone());
            }
            self.lns_events
                .extend(std::iter::from_fn(|| self.lns.poll_event()));
            if up.is_empty() && down.is_empty() {
                return;
            }
            self.now += Duration::from_millis(5);
            let wall = self.wall();
            for m in up {
                self.lns.handle_message(self.now, wall, &m);
                self.up_frames.push(m);
            }
            for m in down {
                self.station.handle_message(self.now, &m);
            }
        }
    }

    /// The station receives `PHY` with `modulation`; returns the DR of the `updf` it sent and
    /// the DR and modulation of the LNS's uplink event.
    fn uplink(
        &mut self,
        freq: u32,
        modulation: Modulation,
    ) -> Result<(u8, u8, Option<Modulation>), SessionError> {
        let frame = ReceivedFrame {
            phy_payload: PHY.to_vec(),
            freq,
            modulation,
            xtime: UPLINK_XTIME,
            rctx: 0,
            gpstime: None,
            fts: None,
            rssi: -90,
            snr: 6.5,
            rxtime: WALL0,
        };
        assert!(self.station.send_uplink(self.now, &frame)?);
        self.pump();
        let text = self.up_frames.last().expect("the uplink was sent");
        let Ok(UpMessage::Updf(updf)) = decode_up(text) else {
            panic!("not an updf: {text}");
        };
        assert_eq!(updf.freq, freq);
        let Some(LnsEvent::Uplink(up)) = self.lns_events.pop() else {
            panic!("no uplink event: {:?}", self.lns_events);
        };
        assert_eq!(
            (up.kind, up.phy_payload.as_slice()),
            (UplinkKind::Data, &PHY[..])
        );
        Ok((updf.dr, up.radio.dr, up.modulation))
    }
}

/// The station ends up with exactly the config the builder made, stamped with the LNS's
/// `MuxTime` when it was sent.
fn assert_configured(link: &Link, built: &RouterConfig) {
    let config = &RouterConfig {
        mux_time: Some(link.wall()),
        ..built.clone()
    };
    assert_eq!(link.station.router_config(), Some(config));
    assert!(
        link.station_events
            .iter()
            .any(|e| matches!(e, StationEvent::RouterConfig(c) if **c == *config)),
        "{:?}",
        link.station_events
    );
}

#[test]
fn eu868_plan_maps_uplinks_to_the_region_drs() {
    let config = build_router_config(&eu868_plan(), &RouterConfigOptions::default()).unwrap();
    let mut link = Link::connect(config.clone());
    assert_configured(&link, &config);
    // (SF, BW) or FSK → DR, per the RP002 EU868 data-rate table.
    let cases = [
        (868_100_000, lora(12, 125), 0),
        (868_300_000, lora(11, 125), 1),
        (867_100_000, lora(10, 125), 2),
        (867_300_000, lora(9, 125), 3),
        (867_500_000, lora(8, 125), 4),
        (867_900_000, lora(7, 125), 5),
        (868_300_000, lora(7, 250), 6),
        (868_800_000, FSK, 7),
    ];
    for (freq, m, dr) in cases {
        assert_eq!(link.uplink(freq, m), Ok((dr, dr, Some(m))), "{m:?}");
        assert_eq!(Region::Eu868.uplink_dr(m), Some(dr), "{m:?}");
    }
    // No EU868 DR is SF8/500: the station cannot name it and refuses the frame.
    assert!(matches!(
        link.uplink(868_100_000, lora(8, 500)),
        Err(SessionError::UnknownDataRate(_))
    ));
}

#[test]
fn us915_plan_maps_uplinks_to_the_region_drs() {
    let config = build_router_config(
        &us915_plan(vec![us915_chip(903_900_000)]),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(config.region, "US902");
    let mut link = Link::connect(config.clone());
    assert_configured(&link, &config);
    let cases = [
        (903_900_000, lora(10, 125), 0),
        (904_100_000, lora(9, 125), 1),
        (904_300_000, lora(8, 125), 2),
        (905_300_000, lora(7, 125), 3),
        (904_600_000, lora(8, 500), 4),
    ];
    for (freq, m, dr) in cases {
        assert_eq!(link.uplink(freq, m), Ok((dr, dr, Some(m))), "{m:?}");
        assert_eq!(Region::Us915.uplink_dr(m), Some(dr), "{m:?}");
    }
    // SF11 and SF12 at 125 kHz are not US915 DRs.
    for sf in [11, 12] {
        assert!(matches!(
            link.uplink(903_900_000, lora(sf, 125)),
            Err(SessionError::UnknownDataRate(_))
        ));
    }
}

#[test]
fn sixteen_channel_two_chip_plan_reaches_the_station() {
    let plan = us915_plan(vec![us915_chip(902_300_000), us915_chip(903_900_000)]);
    let config = build_router_config(&plan, &Default::default()).unwrap();
    assert_eq!(
        (config.hwspec.as_str(), config.chip_count()),
        ("sx1301/2", Some(2))
    );
    let mut link = Link::connect(config.clone());
    assert_configured(&link, &config);
    // What the station listens on: 902.3..=905.3 MHz every 200 kHz (DR0-3), and the two SF8/500
    // channels 903.0 and 904.6 MHz (DR4).
    let channels = link
        .station
        .router_config()
        .expect("configured")
        .uplink_channels();
    let mut multi: Vec<u64> = channels
        .iter()
        .filter(|c| c.drs == [0, 1, 2, 3])
        .map(|c| c.freq)
        .collect();
    multi.sort_unstable();
    let want: Vec<u64> = (0..16).map(|i| 902_300_000 + i * 200_000).collect();
    assert_eq!(multi, want);
    let mut fast: Vec<u64> = channels
        .iter()
        .filter(|c| c.drs == [4])
        .map(|c| c.freq)
        .collect();
    fast.sort_unstable();
    assert_eq!(fast, [903_000_000, 904_600_000]);
    assert_eq!(channels.len(), 18);
    // Uplinks on either chip map to the same DRs.
    assert_eq!(
        link.uplink(902_300_000, lora(10, 125)),
        Ok((0, 0, Some(lora(10, 125))))
    );
    assert_eq!(
        link.uplink(905_300_000, lora(7, 125)),
        Ok((3, 3, Some(lora(7, 125))))
    );
}

#[test]
fn dnmsg_rx1dr_and_rx2dr_follow_the_dr_table_on_both_sides() {
    let config = build_router_config(
        &us915_plan(vec![us915_chip(903_900_000)]),
        &Default::default(),
    )
    .unwrap();
    let mut link = Link::connect(config);
    link.uplink(903_900_000, lora(10, 125)).unwrap();
    let t = link.now;
    let wall = link.wall();
    let class_a = |rx1_dr: u8, rx2_dr: u8| DownlinkRequest {
        dev_eui: Eui64(0x0011_2233_4455_6677),
        pdu: vec![0x60, 1, 2, 3, 4, 0, 0, 0, 1, 2, 3, 4],
        priority: 0,
        rctx: Some(0),
        schedule: DownlinkSchedule::ClassA {
            uplink_xtime: UPLINK_XTIME,
            rx_delay: 1,
            rx1: Some(TxWindow {
                dr: rx1_dr,
                freq: 923_300_000,
            }),
            rx2: Some(TxWindow {
                dr: rx2_dr,
                freq: 923_300_000,
            }),
        },
    };
    // DR5..=7 are LR-FHSS or RFU in US915: `-1` in DRs, so the LNS refuses them in either
    // window before the station would drop the message.
    for (rx1, rx2) in [(10, 7), (5, 8), (6, 8)] {
        assert!(
            matches!(
                link.lns.send_downlink(t, wall, class_a(rx1, rx2)),
                Err(SessionError::UnknownDataRate(_))
            ),
            "RX1DR {rx1} RX2DR {rx2}"
        );
    }
    // RX1 on DR10 (SF10/500) and RX2 on DR8 (SF12/500), both downlink-only DRs.
    let diid = link.lns.send_downlink(t, wall, class_a(10, 8)).unwrap();
    link.pump();
    let tx = link
        .station_events
        .iter()
        .find_map(|e| match e {
            StationEvent::Transmit(tx) => Some(tx.clone()),
            _ => None,
        })
        .expect("the station transmits");
    assert_eq!(tx.diid, diid);
    let options: Vec<_> = tx
        .options
        .iter()
        .map(|o| (o.time, o.dr, o.freq, o.modulation))
        .collect();
    assert_eq!(
        options,
        [
            (
                TxTime::Xtime(xtime::add_micros(UPLINK_XTIME, 1_000_000)),
                10,
                923_300_000,
                lora(10, 500)
            ),
            (
                TxTime::Xtime(xtime::add_micros(UPLINK_XTIME, 2_000_000)),
                8,
                923_300_000,
                lora(12, 500)
            ),
        ]
    );
    assert_eq!(Region::Us915.downlink_dr(lora(10, 500)), Some(10));
    assert_eq!(Region::Us915.downlink_dr(lora(12, 500)), Some(8));

    // A dnmsg from some other LNS with an undefined RX2DR: the station drops all of it, with
    // the reference station's log text.
    link.station_events.clear();
    link.station.handle_message(
        link.now,
        r#"{"msgtype":"dnmsg","DevEui":"00-11-22-33-44-55-66-77","dC":0,"diid":99,"pdu":"60","RxDelay":1,"RX1DR":10,"RX1Freq":923300000,"RX2DR":7,"RX2Freq":923300000,"xtime":9288674241451648,"rctx":0,"priority":0}"#,
    );
    assert_eq!(
        link.station.poll_event(),
        Some(StationEvent::DownlinkDropped {
            diid: 99,
            reason: "Illegal datarate value: DR7".into()
        })
    );
}
