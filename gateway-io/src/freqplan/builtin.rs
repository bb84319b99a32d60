//! The built-in plans, transcribed from The Things Network's frequency plans.

use super::{
    Channel, DwellTime, FrequencyPlan, FskChannel, ListenBeforeTalk, LoraStandardChannel, Radio,
    Rx2, TxFrequencyRange,
};

pub(super) const IDS: &[&str] = &[
    "EU_863_870",
    "EU_863_870_TTN",
    "US_902_928_FSB_2",
    "AU_915_928_FSB_2",
    "AS_923",
    "AS_920_923",
    "AS_923_925",
    "KR_920_923_TTN",
    "IN_865_867",
    "RU_864_870_TTN",
];

fn radio(frequency: u64) -> Radio {
    Radio {
        frequency,
        tx: None,
    }
}

fn tx_radio(frequency: u64, min: u64, max: u64) -> Radio {
    Radio {
        frequency,
        tx: Some(TxFrequencyRange { min, max }),
    }
}

fn channels(list: &[(u64, u8)], min_data_rate: u8, max_data_rate: u8) -> Vec<Channel> {
    list.iter()
        .map(|&(frequency, radio)| Channel {
            frequency,
            radio,
            min_data_rate,
            max_data_rate,
        })
        .collect()
}

fn uplink_frequencies(plan_channels: &[Channel]) -> Vec<u64> {
    plan_channels.iter().map(|c| c.frequency).collect()
}

fn fsk(frequency: u64, radio: u8) -> Option<FskChannel> {
    Some(FskChannel {
        frequency,
        radio,
        data_rate: 7,
        bit_rate: 50_000,
    })
}

fn lora_std(
    frequency: u64,
    radio: u8,
    data_rate: u8,
    spreading_factor: u8,
    bandwidth: u32,
) -> Option<LoraStandardChannel> {
    Some(LoraStandardChannel {
        frequency,
        radio,
        data_rate,
        spreading_factor,
        bandwidth,
    })
}

/// US915 / AU915 downlink channels: 923.3 MHz + 600 kHz · k, k = 0..7.
fn us_au_downlinks() -> Vec<u64> {
    (0..8).map(|k| 923_300_000 + 600_000 * k).collect()
}

const TTN_LBT: ListenBeforeTalk = ListenBeforeTalk {
    rssi_target: -80.0,
    rssi_offset: -4.0,
    scan_time_us: 128,
};

fn eu_863_870(id: &str, rx2_data_rate: u8) -> FrequencyPlan {
    let uplink_channels = channels(
        &[
            (868_100_000, 1),
            (868_300_000, 1),
            (868_500_000, 1),
            (867_100_000, 0),
            (867_300_000, 0),
            (867_500_000, 0),
            (867_700_000, 0),
            (867_900_000, 0),
        ],
        0,
        5,
    );
    FrequencyPlan {
        id: id.into(),
        band_id: "EU_863_870".into(),
        radios: vec![
            tx_radio(867_500_000, 863_000_000, 870_000_000),
            radio(868_500_000),
        ],
        downlink_channels: uplink_frequencies(&uplink_channels),
        uplink_channels,
        lora_standard_channel: lora_std(868_300_000, 1, 6, 7, 250_000),
        fsk_channel: fsk(868_800_000, 1),
        rx2: Rx2 {
            frequency: 869_525_000,
            data_rate: rx2_data_rate,
        },
        lbt: None,
        dwell_time: None,
        max_eirp: None,
    }
}

fn us_902_928_fsb_2() -> FrequencyPlan {
    FrequencyPlan {
        id: "US_902_928_FSB_2".into(),
        band_id: "US_902_928".into(),
        radios: vec![
            tx_radio(904_300_000, 923_000_000, 928_000_000),
            radio(905_000_000),
        ],
        uplink_channels: channels(
            &[
                (903_900_000, 0),
                (904_100_000, 0),
                (904_300_000, 0),
                (904_500_000, 0),
                (904_700_000, 1),
                (904_900_000, 1),
                (905_100_000, 1),
                (905_300_000, 1),
            ],
            0,
            3,
        ),
        lora_standard_channel: lora_std(904_600_000, 0, 4, 8, 500_000),
        fsk_channel: None,
        downlink_channels: us_au_downlinks(),
        rx2: Rx2 {
            frequency: 923_300_000,
            data_rate: 8,
        },
        lbt: None,
        dwell_time: Some(DwellTime {
            uplinks: true,
            downlinks: false,
            duration_ms: 400,
        }),
        max_eirp: None,
    }
}

fn au_915_928_fsb_2() -> FrequencyPlan {
    FrequencyPlan {
        id: "AU_915_928_FSB_2".into(),
        band_id: "AU_915_928".into(),
        radios: vec![
            tx_radio(917_200_000, 915_000_000, 928_000_000),
            radio(917_900_000),
        ],
        uplink_channels: channels(
            &[
                (916_800_000, 0),
                (917_000_000, 0),
                (917_200_000, 0),
                (917_400_000, 0),
                (917_600_000, 1),
                (917_800_000, 1),
                (918_000_000, 1),
                (918_200_000, 1),
            ],
            0,
            5,
        ),
        lora_standard_channel: lora_std(917_500_000, 0, 6, 8, 500_000),
        fsk_channel: None,
        downlink_channels: us_au_downlinks(),
        rx2: Rx2 {
            frequency: 923_300_000,
            data_rate: 8,
        },
        lbt: None,
        dwell_time: Some(DwellTime {
            uplinks: true,
            downlinks: false,
            duration_ms: 400,
        }),
        max_eirp: None,
    }
}

fn as_923() -> FrequencyPlan {
    let uplink_channels = channels(&[(923_200_000, 0), (923_400_000, 0)], 0, 5);
    FrequencyPlan {
        id: "AS_923".into(),
        band_id: "AS_923".into(),
        radios: vec![tx_radio(923_300_000, 915_000_000, 928_000_000)],
        downlink_channels: uplink_frequencies(&uplink_channels),
        uplink_channels,
        lora_standard_channel: None,
        fsk_channel: None,
        rx2: Rx2 {
            frequency: 923_200_000,
            data_rate: 2,
        },
        lbt: None,
        dwell_time: None,
        max_eirp: None,
    }
}

fn as_920_923() -> FrequencyPlan {
    let uplink_channels = channels(
        &[
            (923_200_000, 0),
            (923_400_000, 0),
            (922_200_000, 1),
            (922_400_000, 1),
            (922_600_000, 0),
            (922_800_000, 0),
            (923_000_000, 0),
            (922_000_000, 1),
        ],
        0,
        5,
    );
    FrequencyPlan {
        id: "AS_920_923".into(),
        band_id: "AS_923".into(),
        radios: vec![
            tx_radio(923_000_000, 920_000_000, 923_400_000),
            radio(922_100_000),
        ],
        downlink_channels: uplink_frequencies(&uplink_channels),
        uplink_channels,
        lora_standard_channel: lora_std(922_100_000, 1, 6, 7, 250_000),
        fsk_channel: fsk(921_800_000, 1),
        rx2: Rx2 {
            frequency: 923_200_000,
            data_rate: 2,
        },
        lbt: None,
        dwell_time: None,
        max_eirp: None,
    }
}

fn as_923_925() -> FrequencyPlan {
    let uplink_channels = channels(
        &[
            (923_200_000, 0),
            (923_400_000, 0),
            (923_600_000, 0),
            (923_800_000, 0),
            (924_000_000, 0),
            (924_200_000, 1),
            (924_400_000, 1),
            (924_600_000, 1),
        ],
        0,
        5,
    );
    FrequencyPlan {
        id: "AS_923_925".into(),
        band_id: "AS_923".into(),
        radios: vec![
            tx_radio(923_600_000, 923_200_000, 925_000_000),
            radio(924_500_000),
        ],
        downlink_channels: uplink_frequencies(&uplink_channels),
        uplink_channels,
        lora_standard_channel: lora_std(924_500_000, 1, 6, 7, 250_000),
        fsk_channel: fsk(924_800_000, 1),
        rx2: Rx2 {
            frequency: 923_200_000,
            data_rate: 2,
        },
        lbt: None,
        dwell_time: None,
        max_eirp: None,
    }
}

fn kr_920_923_ttn() -> FrequencyPlan {
    let uplink_channels = channels(
        &[
            (922_100_000, 0),
            (922_300_000, 0),
            (922_500_000, 0),
            (922_700_000, 0),
            (922_900_000, 1),
            (923_100_000, 1),
            (923_300_000, 1),
        ],
        0,
        5,
    );
    FrequencyPlan {
        id: "KR_920_923_TTN".into(),
        band_id: "KR_920_923".into(),
        radios: vec![
            tx_radio(922_400_000, 920_900_000, 923_300_000),
            radio(923_000_000),
        ],
        downlink_channels: uplink_frequencies(&uplink_channels),
        uplink_channels,
        lora_standard_channel: None,
        fsk_channel: None,
        rx2: Rx2 {
            frequency: 921_900_000,
            data_rate: 0,
        },
        lbt: Some(TTN_LBT),
        dwell_time: None,
        max_eirp: None,
    }
}

fn in_865_867() -> FrequencyPlan {
    let uplink_channels = channels(
        &[
            (865_062_500, 0),
            (865_402_500, 0),
            (865_985_000, 1),
            (865_232_500, 0),
            (866_185_000, 1),
            (866_385_000, 1),
            (866_585_000, 1),
            (866_785_000, 1),
        ],
        0,
        5,
    );
    FrequencyPlan {
        id: "IN_865_867".into(),
        band_id: "IN_865_867".into(),
        radios: vec![
            tx_radio(865_200_000, 865_000_000, 867_000_000),
            radio(866_385_000),
        ],
        downlink_channels: uplink_frequencies(&uplink_channels),
        uplink_channels,
        lora_standard_channel: None,
        fsk_channel: None,
        rx2: Rx2 {
            frequency: 866_550_000,
            data_rate: 2,
        },
        lbt: None,
        dwell_time: None,
        max_eirp: None,
    }
}

fn ru_864_870_ttn() -> FrequencyPlan {
    let uplink_channels = channels(
        &[
            (868_900_000, 1),
            (869_100_000, 1),
            (864_100_000, 0),
            (864_300_000, 0),
            (864_500_000, 0),
            (864_700_000, 0),
            (864_900_000, 0),
        ],
        0,
        5,
    );
    FrequencyPlan {
        id: "RU_864_870_TTN".into(),
        band_id: "RU_864_870".into(),
        radios: vec![
            tx_radio(864_500_000, 864_000_000, 870_000_000),
            radio(869_000_000),
        ],
        downlink_channels: uplink_frequencies(&uplink_channels),
        uplink_channels,
        lora_standard_channel: None,
        fsk_channel: None,
        rx2: Rx2 {
            frequency: 869_100_000,
            data_rate: 0,
        },
        lbt: None,
        dwell_time: None,
        max_eirp: None,
    }
}

pub(super) fn by_id(id: &str) -> Option<FrequencyPlan> {
    Some(match id {
        "EU_863_870" => eu_863_870("EU_863_870", 0),
        "EU_863_870_TTN" => eu_863_870("EU_863_870_TTN", 3),
        "US_902_928_FSB_2" => us_902_928_fsb_2(),
        "AU_915_928_FSB_2" => au_915_928_fsb_2(),
        "AS_923" => as_923(),
        "AS_920_923" => as_920_923(),
        "AS_923_925" => as_923_925(),
        "KR_920_923_TTN" | "KR_920_923" => kr_920_923_ttn(),
        "IN_865_867" => in_865_867(),
        "RU_864_870_TTN" | "RU_864_870" => ru_864_870_ttn(),
        _ => return None,
    })
}
