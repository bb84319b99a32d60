use super::*;

/// (radio, IF) of every multi-SF channel, as The Things Network's published plans list them.
fn radio_ifs(plan: &FrequencyPlan) -> Vec<(u8, i64)> {
    plan.uplink_channels
        .iter()
        .map(|c| (c.radio, plan.if_offset(c.radio, c.frequency).unwrap()))
        .collect()
}

#[test]
fn every_builtin_plan_is_valid_and_found_by_its_id() {
    for id in FrequencyPlan::BUILTIN_IDS {
        let plan = FrequencyPlan::builtin(id).unwrap();
        assert_eq!(plan.id, *id);
        plan.validate().unwrap();
    }
    assert_eq!(
        FrequencyPlan::builtin_all().len(),
        FrequencyPlan::BUILTIN_IDS.len()
    );
    assert!(FrequencyPlan::builtin("XX_123").is_none());
}

#[test]
fn eu868_matches_the_ttn_plan() {
    let plan = FrequencyPlan::builtin("EU_863_870").unwrap();
    assert_eq!(plan.band_id, "EU_863_870");
    assert_eq!(
        radio_ifs(&plan),
        [
            (1, -400_000),
            (1, -200_000),
            (1, 0),
            (0, -400_000),
            (0, -200_000),
            (0, 0),
            (0, 200_000),
            (0, 400_000)
        ]
    );
    let std = plan.lora_standard_channel.unwrap();
    assert_eq!(plan.if_offset(std.radio, std.frequency), Some(-200_000));
    assert_eq!(
        (std.spreading_factor, std.bandwidth, std.data_rate),
        (7, 250_000, 6)
    );
    let fsk = plan.fsk_channel.unwrap();
    assert_eq!(plan.if_offset(fsk.radio, fsk.frequency), Some(300_000));
    assert_eq!(
        plan.tx_frequency_range(),
        Some(TxFrequencyRange {
            min: 863_000_000,
            max: 870_000_000
        })
    );
    assert_eq!(
        plan.rx2,
        Rx2 {
            frequency: 869_525_000,
            data_rate: 0
        }
    );
    assert_eq!(
        FrequencyPlan::builtin("EU_863_870_TTN")
            .unwrap()
            .rx2
            .data_rate,
        3
    );
}

#[test]
fn us915_fsb2_matches_the_ttn_plan() {
    let plan = FrequencyPlan::builtin("US_902_928_FSB_2").unwrap();
    assert_eq!(
        radio_ifs(&plan),
        [
            (0, -400_000),
            (0, -200_000),
            (0, 0),
            (0, 200_000),
            (1, -300_000),
            (1, -100_000),
            (1, 100_000),
            (1, 300_000)
        ]
    );
    assert!(plan.uplink_channels.iter().all(|c| c.max_data_rate == 3));
    let std = plan.lora_standard_channel.unwrap();
    assert_eq!(plan.if_offset(0, std.frequency), Some(300_000));
    assert_eq!(
        (std.spreading_factor, std.bandwidth, std.data_rate),
        (8, 500_000, 4)
    );
    assert_eq!(
        plan.downlink_channels,
        [
            923_300_000,
            923_900_000,
            924_500_000,
            925_100_000,
            925_700_000,
            926_300_000,
            926_900_000,
            927_500_000
        ]
    );
    assert_eq!(plan.rx2.data_rate, 8);
    assert_eq!(plan.tx_frequency_range().unwrap().min, 923_000_000);
}

#[test]
fn au915_as923_kr920_in865_match_the_ttn_plans() {
    let au = FrequencyPlan::builtin("AU_915_928_FSB_2").unwrap();
    assert_eq!(au.uplink_channels[0].frequency, 916_800_000);
    assert_eq!(au.lora_standard_channel.unwrap().data_rate, 6);
    assert_eq!(au.if_offset(1, 918_200_000), Some(300_000));

    let as923 = FrequencyPlan::builtin("AS_923").unwrap();
    assert_eq!(radio_ifs(&as923), [(0, -100_000), (0, 100_000)]);

    let as920 = FrequencyPlan::builtin("AS_920_923").unwrap();
    assert_eq!(
        radio_ifs(&as920),
        [
            (0, 200_000),
            (0, 400_000),
            (1, 100_000),
            (1, 300_000),
            (0, -400_000),
            (0, -200_000),
            (0, 0),
            (1, -100_000)
        ]
    );

    let kr = FrequencyPlan::builtin("KR_920_923").unwrap();
    assert_eq!(kr.id, "KR_920_923_TTN");
    assert_eq!(kr.uplink_channels.len(), 7);
    assert_eq!(kr.lbt.unwrap().rssi_target, -80.0);

    let ind = FrequencyPlan::builtin("IN_865_867").unwrap();
    assert_eq!(
        radio_ifs(&ind),
        [
            (0, -137_500),
            (0, 202_500),
            (1, -400_000),
            (0, 32_500),
            (1, -200_000),
            (1, 0),
            (1, 200_000),
            (1, 400_000)
        ]
    );
    assert_eq!(ind.rx2.frequency, 866_550_000);
}

#[test]
fn validate_reports_what_is_wrong() {
    let mut plan = FrequencyPlan::builtin("EU_863_870").unwrap();
    plan.uplink_channels[2].frequency = 869_000_000;
    assert_eq!(
        plan.validate(),
        Err(FrequencyPlanError::IfOutOfRange {
            plan: "EU_863_870".into(),
            channel: "uplink_channels[2]".into(),
            frequency: 869_000_000,
            radio: 1,
            offset: 500_000,
            max: MAX_IF_125KHZ,
        })
    );
    let mut plan = FrequencyPlan::builtin("EU_863_870").unwrap();
    plan.fsk_channel.as_mut().unwrap().radio = 4;
    assert!(matches!(
        plan.validate(),
        Err(FrequencyPlanError::UnknownRadio { radio: 4, .. })
    ));
}

#[test]
fn a_custom_plan_loads_from_toml() {
    let text = r#"
        id = "MY_PLAN"
        band_id = "EU_863_870"
        downlink_channels = [868100000]
        radios = [{ frequency = 868500000, tx = { min = 863000000, max = 870000000 } }]
        uplink_channels = [{ frequency = 868100000, radio = 0, min_data_rate = 0, max_data_rate = 5 }]
        rx2 = { frequency = 869525000, data_rate = 0 }
    "#;
    let plan: FrequencyPlan = toml::from_str(text).unwrap();
    plan.validate().unwrap();
    assert_eq!(plan.if_offset(0, 868_100_000), Some(-400_000));
    assert_eq!(plan.fsk_channel, None);
}
