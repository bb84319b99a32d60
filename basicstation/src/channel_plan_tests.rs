use super::*;
use proptest::prelude::*;
use serde_json::{Value, json};

fn radio(freq: u64) -> Option<RadioPlan> {
    Some(RadioPlan {
        freq,
        antenna_gain: None,
    })
}

fn ms(freq: u64, radio: u8, max_dr: u8) -> MultiSfChannelPlan {
    MultiSfChannelPlan {
        freq,
        radio,
        min_dr: 0,
        max_dr,
    }
}

/// The Things Network's plan EU_863_870.
fn eu868_plan() -> ChannelPlan {
    ChannelPlan {
        region: Region::Eu868,
        tx_freq_range: [863_000_000, 870_000_000],
        max_eirp_dbm: None,
        concentrators: vec![ConcentratorPlan {
            radios: [radio(867_500_000), radio(868_500_000)],
            multi_sf: vec![
                ms(868_100_000, 1, 5),
                ms(868_300_000, 1, 5),
                ms(868_500_000, 1, 5),
                ms(867_100_000, 0, 5),
                ms(867_300_000, 0, 5),
                ms(867_500_000, 0, 5),
                ms(867_700_000, 0, 5),
                ms(867_900_000, 0, 5),
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

/// The Things Network's plan US_902_928_FSB_2.
fn us915_fsb2_chip() -> ConcentratorPlan {
    ConcentratorPlan {
        radios: [radio(904_300_000), radio(905_000_000)],
        multi_sf: vec![
            ms(903_900_000, 0, 3),
            ms(904_100_000, 0, 3),
            ms(904_300_000, 0, 3),
            ms(904_500_000, 0, 3),
            ms(904_700_000, 1, 3),
            ms(904_900_000, 1, 3),
            ms(905_100_000, 1, 3),
            ms(905_300_000, 1, 3),
        ],
        lora_std: Some(SingleDrChannelPlan {
            freq: 904_600_000,
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

fn value(c: &RouterConfig) -> Value {
    serde_json::from_str(&c.to_message_json().unwrap()).unwrap()
}

/// Checks that every key of `expected` (a JSON object text) is in `got` with the same value.
fn assert_has(got: &Value, expected: &str) {
    let expected: Value = serde_json::from_str(expected).unwrap();
    for (k, v) in expected.as_object().unwrap() {
        assert_eq!(&got[k], v, "key {k}");
    }
}

#[test]
fn eu868_worked_example() {
    let options = RouterConfigOptions {
        naming: RegionNaming::Modern,
        upchannels: true,
        ..Default::default()
    };
    let c = build_router_config(&eu868_plan(), &options).unwrap();
    let v = value(&c);
    // Worked example: the EU868 plan as a station `router_config`.
    assert_has(
        &v,
        r#"{"region":"EU868","hwspec":"sx1301/1","freq_range":[863000000,870000000],"max_eirp":16,
        "DRs":[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[7,250,0],[0,0,0],
               [-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0]],
        "upchannels":[[867100000,0,5],[867300000,0,5],[867500000,0,5],[867700000,0,5],[867900000,0,5],
                      [868100000,0,5],[868300000,0,5],[868500000,0,5],[868300000,6,6],[868800000,7,7]]}"#,
    );
    // "sx1301_conf straight from the plan".
    assert_eq!(
        serde_json::to_string(&v["sx1301_conf"]).unwrap(),
        concat!(
            r#"[{"chan_FSK":{"datarate":50000,"enable":true,"if":300000,"radio":1},"#,
            r#""chan_Lora_std":{"bandwidth":250000,"enable":true,"if":-200000,"radio":1,"spread_factor":7},"#,
            r#""chan_multiSF_0":{"enable":true,"if":-400000,"radio":1},"chan_multiSF_1":{"enable":true,"if":-200000,"radio":1},"#,
            r#""chan_multiSF_2":{"enable":true,"if":0,"radio":1},"chan_multiSF_3":{"enable":true,"if":-400000,"radio":0},"#,
            r#""chan_multiSF_4":{"enable":true,"if":-200000,"radio":0},"chan_multiSF_5":{"enable":true,"if":0,"radio":0},"#,
            r#""chan_multiSF_6":{"enable":true,"if":200000,"radio":0},"chan_multiSF_7":{"enable":true,"if":400000,"radio":0},"#,
            r#""radio_0":{"enable":true,"freq":867500000},"radio_1":{"enable":true,"freq":868500000}}]"#
        )
    );
    // No hardware fields, no filters, no dev flags.
    let text = c.to_message_json().unwrap();
    for k in [
        "clksrc",
        "rssi_offset",
        "tx_enable",
        "tx_gain_lut",
        "lorawan_public",
        "antenna_gain",
        "NetID",
        "nocca",
    ] {
        assert!(!text.contains(k), "{k} in {text}");
    }
}

#[test]
fn us915_worked_example() {
    let options = RouterConfigOptions {
        naming: RegionNaming::Modern,
        upchannels: true,
        ..Default::default()
    };
    let c = build_router_config(&us915_plan(vec![us915_fsb2_chip()]), &options).unwrap();
    let v = value(&c);
    assert_has(
        &v,
        r#"{"region":"US915","hwspec":"sx1301/1","freq_range":[923000000,928000000],
        "DRs":[[10,125,0],[9,125,0],[8,125,0],[7,125,0],[8,500,0],[-1,0,0],[-1,0,0],[-1,0,0],
               [12,500,1],[11,500,1],[10,500,1],[9,500,1],[8,500,1],[7,500,1],[-1,0,0],[-1,0,0]],
        "upchannels":[[903900000,0,3],[904100000,0,3],[904300000,0,3],[904500000,0,3],[904700000,0,3],
                      [904900000,0,3],[905100000,0,3],[905300000,0,3],[904600000,4,4]]}"#,
    );
    // max_eirp omitted: the station's US915 default (26) is below the region's 30.
    assert!(v.get("max_eirp").is_none());
    let chip = &c.sx1301_conf[0];
    assert_eq!(chip.radios[1].enabled().unwrap().freq, 905_000_000);
    let ifs: Vec<i32> = chip
        .multi_sf
        .iter()
        .map(|s| s.enabled().unwrap().if_offset)
        .collect();
    assert_eq!(
        ifs,
        [
            -400_000, -200_000, 0, 200_000, -300_000, -100_000, 100_000, 300_000
        ]
    );
    assert_eq!(
        chip.lora_std,
        ChannelSlot::Enabled(LoraStdChannel {
            radio: 0,
            if_offset: 300_000,
            bandwidth: 500_000,
            spread_factor: 8
        })
    );
    assert_eq!(chip.fsk, ChannelSlot::Disabled);
}

/// The Things Stack's `router_config` test vector for a production `version`, with its bug
/// fixed: undefined DRs are -1.
#[test]
fn tts_eu868_expected_config_with_dr_fix() {
    let mut plan = eu868_plan();
    let chip = &mut plan.concentrators[0];
    chip.radios = [
        Some(RadioPlan {
            freq: 867_500_000,
            antenna_gain: Some(3.0),
        }),
        Some(RadioPlan {
            freq: 868_500_000,
            antenna_gain: Some(3.0),
        }),
    ];
    for ch in &mut chip.multi_sf {
        ch.radio = 0;
    }
    chip.lora_std.as_mut().unwrap().radio = 0;
    chip.fsk.as_mut().unwrap().radio = 0;
    // The test plan puts every channel on radio 0, up to 1.3 MHz off centre: no real radio
    // receives that, so the IF check has to be switched off for this vector.
    let strict = build_router_config(&plan, &RouterConfigOptions::default()).unwrap_err();
    assert_eq!(
        strict.to_string(),
        "concentrator 0, chan_multiSF_0: IF offset 600000 Hz is outside the radio's ±400000 Hz"
    );
    let options = RouterConfigOptions {
        mux_time: Some(1_554_300_787.123_456),
        allow_wide_if: true,
        ..Default::default()
    };
    let c = build_router_config(&plan, &options).unwrap();
    let v = value(&c);
    assert_has(
        &v,
        r#"{"msgtype":"router_config","region":"EU863","hwspec":"sx1301/1","freq_range":[863000000,870000000],
        "DRs":[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[7,250,0],[0,0,0],
               [-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0]],
        "MuxTime":1554300787.123456}"#,
    );
    let conf = &v["sx1301_conf"][0];
    assert_eq!(
        conf["radio_0"],
        json!({"enable":true,"freq":867500000,"antenna_gain":3})
    );
    assert_eq!(
        conf["radio_1"],
        json!({"enable":true,"freq":868500000,"antenna_gain":3})
    );
    let ifs: Vec<i64> = (0..8)
        .map(|i| conf[format!("chan_multiSF_{i}")]["if"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ifs,
        [
            600_000, 800_000, 1_000_000, -400_000, -200_000, 0, 200_000, 400_000
        ]
    );
    assert_eq!(
        conf["chan_Lora_std"],
        json!({"enable":true,"radio":0,"if":800000,"bandwidth":250000,"spread_factor":7})
    );
    assert_eq!(
        conf["chan_FSK"],
        json!({"enable":true,"radio":0,"if":1300000,"datarate":50000})
    );
    assert!(v.get("upchannels").is_none());
    // Exact prefix of the message bytes.
    let text = c.to_message_json().unwrap();
    assert!(
        text.starts_with(r#"{"msgtype":"router_config","region":"EU863","hwspec":"sx1301/1","freq_range":[863000000,870000000],"DRs":[[12,125,0],"#),
        "{text}"
    );
    assert!(text.ends_with(r#""MuxTime":1554300787.123456}"#), "{text}");
}

#[test]
fn two_concentrators_sixteen_channels() {
    let mut fsb1 = us915_fsb2_chip();
    for ch in &mut fsb1.multi_sf {
        ch.freq -= 1_600_000;
    }
    fsb1.radios = [radio(902_700_000), radio(903_400_000)];
    fsb1.lora_std = Some(SingleDrChannelPlan {
        freq: 903_000_000,
        radio: 0,
        dr: 4,
    });
    let c = build_router_config(
        &us915_plan(vec![fsb1, us915_fsb2_chip()]),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(c.hwspec, "sx1301/2");
    assert_eq!(c.region, "US902");
    assert_eq!(c.sx1301_conf.len(), 2);
    let enabled: usize = c
        .sx1301_conf
        .iter()
        .map(|s| s.multi_sf.iter().filter(|m| m.enabled().is_some()).count())
        .sum();
    assert_eq!(enabled, 16);
    assert_eq!(
        c.sx1301_conf[0].lora_std.enabled().unwrap().if_offset,
        300_000
    );
    let text = c.to_message_json().unwrap();
    assert!(text.contains(r#""hwspec":"sx1301/2""#));
    // The station cannot allocate upchannels for two chips.
    let options = RouterConfigOptions {
        upchannels: true,
        ..Default::default()
    };
    let three = us915_plan(vec![us915_fsb2_chip(); 3]);
    assert_eq!(
        build_router_config(&three, &Default::default()),
        Err(RouterConfigError::ConcentratorCount(3))
    );
    let two = us915_plan(vec![us915_fsb2_chip(); 2]);
    assert!(matches!(
        build_router_config(&two, &options),
        Err(RouterConfigError::Upchannels(_))
    ));
}

#[test]
fn regions_the_station_lacks_get_known_names() {
    let mut plan = eu868_plan();
    plan.concentrators[0].lora_std = None;
    plan.concentrators[0].fsk = None;
    let cases: [(Region, &str, Option<f64>); 8] = [
        (Region::As923_2, "AS923JP", None),
        (Region::As923_3, "AS923JP", None),
        (Region::As923_4, "IL915", None),
        (Region::In865, "US902", None),
        (Region::Cn470Rp001, "US902", Some(19.15)),
        (Region::Ru864, "EU863", Some(16.0)),
        (Region::Eu433, "EU863", Some(12.15)),
        (Region::Kr920, "KR920", Some(14.0)),
    ];
    for (region, name, eirp) in cases {
        plan.region = region;
        let c = build_router_config(&plan, &Default::default()).unwrap();
        assert_eq!(c.region, name, "{region}");
        assert_eq!(c.max_eirp, eirp, "{region}");
        assert_eq!(c.drs, region.station_drs().to_vec());
    }
    let text = {
        plan.region = Region::Eu433;
        build_router_config(&plan, &Default::default())
            .unwrap()
            .to_message_json()
            .unwrap()
    };
    assert!(text.contains(r#""max_eirp":12.15"#), "{text}");
}

#[test]
fn errors_say_what_is_wrong() {
    let mut plan = eu868_plan();
    plan.concentrators[0].radios[1] = None;
    let e = build_router_config(&plan, &Default::default()).unwrap_err();
    assert_eq!(
        e,
        RouterConfigError::RadioNotEnabled {
            chip: 0,
            channel: "chan_multiSF_0".into(),
            radio: 1
        }
    );
    assert_eq!(
        e.to_string(),
        "concentrator 0, chan_multiSF_0: radio 1 is not enabled"
    );

    let mut plan = eu868_plan();
    plan.concentrators[0].multi_sf.push(ms(869_000_000, 1, 5));
    assert_eq!(
        build_router_config(&plan, &Default::default()),
        Err(RouterConfigError::TooManyMultiSf { chip: 0, count: 9 })
    );

    let mut plan = eu868_plan();
    plan.concentrators[0].fsk = Some(SingleDrChannelPlan {
        freq: 868_800_000,
        radio: 1,
        dr: 5,
    });
    let e = build_router_config(&plan, &Default::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "concentrator 0, chan_FSK: DR5 is not an FSK DR in EU868"
    );

    let mut plan = us915_plan(vec![us915_fsb2_chip()]);
    plan.concentrators[0].lora_std.as_mut().unwrap().dr = 12;
    let e = build_router_config(&plan, &Default::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "concentrator 0, chan_Lora_std: DR12 is downlink-only in US915"
    );

    let mut plan = eu868_plan();
    plan.concentrators[0].multi_sf[2].max_dr = 9;
    let e = build_router_config(
        &plan,
        &RouterConfigOptions {
            upchannels: true,
            ..Default::default()
        },
    );
    assert_eq!(
        e,
        Err(RouterConfigError::Upchannels(
            "a DR above 7 cannot be named"
        ))
    );

    let options = RouterConfigOptions {
        join_eui_ranges: Some(vec![[0, 1]; 11]),
        ..Default::default()
    };
    assert!(matches!(
        build_router_config(&eu868_plan(), &options),
        Err(RouterConfigError::TooMany {
            count: 11,
            max: 10,
            ..
        })
    ));
    let options = RouterConfigOptions {
        mux_time: Some(f64::NAN),
        ..Default::default()
    };
    assert!(matches!(
        build_router_config(&eu868_plan(), &options),
        Err(RouterConfigError::Encode(_))
    ));
}

#[test]
fn frame_limit_is_enforced() {
    let options = RouterConfigOptions {
        net_ids: Some((0..8_000).map(|i| 0x00FF_0000 + i).collect()),
        ..Default::default()
    };
    match build_router_config(&eu868_plan(), &options) {
        Err(RouterConfigError::TooLarge(n)) => assert!(n > MAX_FRAME_LEN),
        other => panic!("{other:?}"),
    }
    let options = RouterConfigOptions {
        net_ids: Some((0..1_000).collect()),
        ..Default::default()
    };
    let c = build_router_config(&eu868_plan(), &options).unwrap();
    assert!(c.to_message_json().unwrap().len() <= MAX_FRAME_LEN);
}

fn arb_chip() -> impl Strategy<Value = ConcentratorPlan> {
    let radios = (
        860_000_000u64..930_000_000,
        860_000_000u64..930_000_000,
        proptest::option::of(-5.0f64..10.0),
    );
    let channels =
        proptest::collection::vec((0u8..2, -400_000i64..400_000, 0u8..=5, 0u8..=5), 0..=8);
    (radios, channels, proptest::bool::ANY, proptest::bool::ANY).prop_map(
        |((r0, r1, gain), chans, std, fsk)| {
            let centre = [r0, r1];
            let at =
                |radio: u8, off: i64| centre[usize::from(radio)].checked_add_signed(off).unwrap();
            ConcentratorPlan {
                radios: [
                    Some(RadioPlan {
                        freq: r0,
                        antenna_gain: gain.map(|g| (g * 4.0).round() / 4.0),
                    }),
                    Some(RadioPlan {
                        freq: r1,
                        antenna_gain: None,
                    }),
                ],
                multi_sf: chans
                    .iter()
                    .map(|&(radio, off, a, b)| MultiSfChannelPlan {
                        freq: at(radio, off),
                        radio,
                        min_dr: a.min(b),
                        max_dr: a.max(b),
                    })
                    .collect(),
                lora_std: std.then(|| SingleDrChannelPlan {
                    freq: at(1, -200_000),
                    radio: 1,
                    dr: 6,
                }),
                fsk: fsk.then(|| SingleDrChannelPlan {
                    freq: at(1, 300_000),
                    radio: 1,
                    dr: 7,
                }),
                lbt: None,
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn built_configs_round_trip(
        chips in proptest::collection::vec(arb_chip(), 1..=2),
        mux in proptest::option::of(1.5e9f64..2.0e9),
        net_ids in proptest::option::of(proptest::collection::vec(any::<u32>(), 0..4)),
        joins in proptest::option::of(proptest::collection::vec(any::<[u64; 2]>(), 0..4)),
        upch in proptest::bool::ANY,
        flags in any::<[bool; 4]>(),
    ) {
        let plan = ChannelPlan {
            region: Region::Eu868,
            tx_freq_range: [863_000_000, 870_000_000],
            max_eirp_dbm: None,
            concentrators: chips.clone(),
            beacon: Some(Beaconing { dr: 3, layout: [2, 8, 17], freqs: vec![869_525_000] }),
        };
        let options = RouterConfigOptions {
            naming: RegionNaming::Modern,
            upchannels: upch && chips.len() == 1,
            net_ids,
            join_eui_ranges: joins,
            mux_time: mux,
            nocca: flags[0],
            nodc: flags[1],
            nodwell: flags[2],
            device_mode: flags[3],
            allow_wide_if: false,
        };
        let c = build_router_config(&plan, &options).unwrap();
        let text = c.to_message_json().unwrap();
        let back: RouterConfig = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&back, &c);
        // The station's view of the channels is the plan's, frequency for frequency.
        if !options.upchannels {
            let planned: Vec<u64> = chips
                .iter()
                .flat_map(|p| {
                    p.multi_sf.iter().map(|m| m.freq).chain(p.lora_std.map(|c| c.freq)).chain(p.fsk.map(|c| c.freq))
                })
                .collect();
            let seen: Vec<u64> = back.uplink_channels().iter().map(|u| u.freq).collect();
            prop_assert_eq!(seen, planned);
        }
        let before_mux_time = text.split("\"MuxTime\"").next().unwrap();
        let float_literal = [".0,", ".0]", ".0}"].iter().any(|p| before_mux_time.contains(p));
        prop_assert!(!float_literal, "whole number written as a float: {}", text);
    }
}

#[test]
fn more_ttn_plans_build() {
    // The Things Network's IN_865_867: odd IFs, no std/FSK; the station lacks IN865.
    let chan = |freq, radio| ms(freq, radio, 5);
    let plan = ChannelPlan {
        region: Region::In865,
        tx_freq_range: [865_000_000, 867_000_000],
        max_eirp_dbm: None,
        concentrators: vec![ConcentratorPlan {
            radios: [radio(865_200_000), radio(866_385_000)],
            multi_sf: vec![
                chan(865_062_500, 0),
                chan(865_402_500, 0),
                chan(865_985_000, 1),
                chan(865_232_500, 0),
                chan(866_185_000, 1),
                chan(866_385_000, 1),
                chan(866_585_000, 1),
                chan(866_785_000, 1),
            ],
            ..Default::default()
        }],
        beacon: None,
    };
    let c = build_router_config(&plan, &Default::default()).unwrap();
    assert_eq!(c.region, "US902");
    let ifs: Vec<i32> = c.sx1301_conf[0]
        .multi_sf
        .iter()
        .map(|s| s.enabled().unwrap().if_offset)
        .collect();
    assert_eq!(
        ifs,
        [
            -137_500, 202_500, -400_000, 32_500, -200_000, 0, 200_000, 400_000
        ]
    );
    assert_eq!(c.drs[6], [-1, 0, 0]);

    // KR_920_923_TTN: seven channels and LBT.
    let lbt = LbtConf {
        enable: true,
        rssi_target: -80,
        chan_cfg: vec![crate::router_config::LbtChannel {
            freq_hz: 922_100_000,
            scan_time_us: 128,
        }],
        sx127x_rssi_offset: Some(-4),
    };
    let plan = ChannelPlan {
        region: Region::Kr920,
        tx_freq_range: [920_900_000, 923_300_000],
        max_eirp_dbm: None,
        concentrators: vec![ConcentratorPlan {
            radios: [radio(922_400_000), radio(923_000_000)],
            multi_sf: vec![
                chan(922_100_000, 0),
                chan(922_300_000, 0),
                chan(922_500_000, 0),
                chan(922_700_000, 0),
                chan(922_900_000, 1),
                chan(923_100_000, 1),
                chan(923_300_000, 1),
            ],
            lbt: Some(lbt),
            ..Default::default()
        }],
        beacon: Some(Beaconing {
            dr: 3,
            layout: [2, 8, 17],
            freqs: vec![923_100_000],
        }),
    };
    let c = build_router_config(&plan, &Default::default()).unwrap();
    let v = value(&c);
    assert_eq!(v["region"], "KR920");
    assert_eq!(v["max_eirp"], 14);
    assert_eq!(
        v["bcning"],
        json!({"DR":3,"layout":[2,8,17],"freqs":[923100000]})
    );
    assert_eq!(v["sx1301_conf"][0]["lbt_cfg"]["rssi_target"], -80);
    assert_eq!(
        v["sx1301_conf"][0]["chan_multiSF_7"],
        json!({"enable": false})
    );

    // A 500 kHz channel 1 Hz beyond its ±300 kHz window is refused.
    let mut plan = us915_plan(vec![us915_fsb2_chip()]);
    plan.concentrators[0].lora_std.as_mut().unwrap().freq += 1;
    assert_eq!(
        build_router_config(&plan, &Default::default()),
        Err(RouterConfigError::IfOutOfRange {
            chip: 0,
            channel: "chan_Lora_std".into(),
            if_offset: 300_001,
            max: 300_000
        })
    );
}

/// Basics Station's `examples/station2pkfwd/regions.yaml`, US915 block 0: FSB1 as
/// `upchannels` with the SF8/500 channel, and the 8-frequency beacon of the same example.
#[test]
fn us915_block0_example() {
    let multi_sf: Vec<MultiSfChannelPlan> = (0..8)
        .map(|i| ms(902_300_000 + 200_000 * i, u8::from(i >= 4), 3))
        .collect();
    let chip = ConcentratorPlan {
        radios: [radio(902_700_000), radio(903_500_000)],
        multi_sf,
        lora_std: Some(SingleDrChannelPlan {
            freq: 903_000_000,
            radio: 0,
            dr: 4,
        }),
        fsk: None,
        lbt: None,
    };
    let mut plan = us915_plan(vec![chip]);
    plan.beacon = Some(Beaconing {
        dr: 8,
        layout: [5, 11, 23],
        freqs: (0..8).map(|k| 923_300_000 + 600_000 * k).collect(),
    });
    let options = RouterConfigOptions {
        upchannels: true,
        ..Default::default()
    };
    let v = value(&build_router_config(&plan, &options).unwrap());
    assert_has(
        &v,
        r#"{"DRs":[[10,125,0],[9,125,0],[8,125,0],[7,125,0],[8,500,0],[-1,0,0],[-1,0,0],[-1,0,0],[12,500,1],[11,500,1],[10,500,1],[9,500,1],[8,500,1],[7,500,1],[-1,0,0],[-1,0,0]],
        "upchannels":[[902300000,0,3],[902500000,0,3],[902700000,0,3],[902900000,0,3],[903100000,0,3],[903300000,0,3],[903500000,0,3],[903700000,0,3],[903000000,4,4]],
        "bcning":{"DR":8,"layout":[5,11,23],"freqs":[923300000,923900000,924500000,925100000,925700000,926300000,926900000,927500000]}}"#,
    );
    let mut too_many = plan.clone();
    too_many.beacon.as_mut().unwrap().freqs.push(927_500_000);
    assert!(matches!(
        build_router_config(&too_many, &options),
        Err(RouterConfigError::TooMany {
            what: "beacon frequencies",
            count: 9,
            max: 8
        })
    ));
}
