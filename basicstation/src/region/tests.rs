use super::LrFhssCodingRate::{OneThird, TwoThirds};
use super::*;

fn drs_json(region: Region) -> String {
    serde_json::to_string(&region.station_drs()).unwrap()
}

const EU_DRS: &str = "[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[7,250,0],[0,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0]]";

#[test]
fn station_dr_tables_match_reference() {
    for r in [
        Region::Eu868,
        Region::As923_1,
        Region::As923_2,
        Region::As923_3,
        Region::As923_4,
        Region::Ru864,
        Region::Eu433,
        Region::Cn779,
    ] {
        assert_eq!(drs_json(r), EU_DRS, "{r}");
    }
    assert_eq!(
        drs_json(Region::In865),
        "[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[-1,0,0],[0,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0]]"
    );
    let kr = "[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0]]";
    assert_eq!(drs_json(Region::Kr920), kr);
    assert_eq!(drs_json(Region::Cn470Rp001), kr);
    assert_eq!(
        drs_json(Region::Cn470),
        "[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[7,500,0],[0,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0]]"
    );
    assert_eq!(
        drs_json(Region::Us915),
        "[[10,125,0],[9,125,0],[8,125,0],[7,125,0],[8,500,0],[-1,0,0],[-1,0,0],[-1,0,0],[12,500,1],[11,500,1],[10,500,1],[9,500,1],[8,500,1],[7,500,1],[-1,0,0],[-1,0,0]]"
    );
    assert_eq!(
        drs_json(Region::Au915),
        "[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[8,500,0],[-1,0,0],[12,500,1],[11,500,1],[10,500,1],[9,500,1],[8,500,1],[7,500,1],[-1,0,0],[-1,0,0]]"
    );
}

fn l(sf: u8, bw: u16) -> Modulation {
    Modulation::Lora {
        spreading_factor: sf,
        bandwidth_khz: bw,
    }
}

#[test]
fn uplink_and_downlink_lookup() {
    assert_eq!(Region::Us915.uplink_dr(l(8, 500)), Some(4));
    assert_eq!(Region::Us915.downlink_dr(l(8, 500)), Some(12));
    assert_eq!(Region::Au915.uplink_dr(l(8, 500)), Some(6));
    assert_eq!(Region::Au915.downlink_dr(l(8, 500)), Some(12));
    assert_eq!(Region::Us915.uplink_dr(l(7, 500)), None);
    assert_eq!(Region::Us915.uplink_dr(l(12, 125)), None);
    assert_eq!(Region::Us915.downlink_dr(l(10, 125)), None);
    assert_eq!(Region::Eu868.uplink_dr(l(7, 250)), Some(6));
    assert_eq!(Region::Eu868.uplink_dr(l(7, 500)), None);
    assert_eq!(Region::Kr920.uplink_dr(l(7, 250)), None);
    assert_eq!(
        Region::Kr920.uplink_dr(Modulation::Fsk { bit_rate: 50_000 }),
        None
    );
    assert_eq!(Region::In865.uplink_dr(l(7, 250)), None);
    assert_eq!(
        Region::Eu868.uplink_dr(Modulation::Fsk { bit_rate: 50_000 }),
        Some(7)
    );
    let lr = |coding_rate, ocw_khz| Modulation::LrFhss {
        coding_rate,
        ocw_khz,
    };
    assert_eq!(Region::Eu868.uplink_dr(lr(TwoThirds, 336)), Some(11));
    assert_eq!(Region::Eu868.downlink_dr(lr(TwoThirds, 336)), None);
    assert_eq!(Region::Us915.uplink_dr(lr(TwoThirds, 1523)), Some(6));
    assert_eq!(Region::Au915.uplink_dr(lr(OneThird, 1523)), Some(7));
    assert_eq!(Region::As923_2.uplink_dr(lr(OneThird, 137)), None);
    assert_eq!(Region::Eu868.data_rate(16), None);
    assert_eq!(Region::Eu868.data_rate(15), None);
}

#[test]
fn band_ids_round_trip() {
    for r in Region::ALL {
        if let Some(id) = r.band_id() {
            assert_eq!(Region::from_band_id(id), Some(r), "{id}");
        }
        assert_eq!(Region::from_name(r.name()), Some(r));
    }
    assert_eq!(Region::from_band_id("CN_470_510_26_B"), Some(Region::Cn470));
    assert_eq!(Region::from_band_id("AS923"), None);
    assert_eq!(Region::from_name("eu863"), Some(Region::Eu868));
}

#[test]
fn station_names_are_always_known() {
    for r in Region::ALL {
        let choice = r.station_region();
        for naming in [RegionNaming::Legacy, RegionNaming::Modern] {
            let name = choice.region.name(naming);
            assert_eq!(StationRegion::from_name(name), Some(choice.region), "{r}");
        }
    }
    assert_eq!(
        Region::As923_4
            .station_region()
            .region
            .name(RegionNaming::Legacy),
        "IL915"
    );
    assert_eq!(
        Region::As923_1
            .station_region()
            .region
            .name(RegionNaming::Legacy),
        "AS923JP"
    );
    assert_eq!(
        Region::As923_1
            .station_region()
            .region
            .name(RegionNaming::Modern),
        "AS923-1"
    );
    for unknown in [
        "AS923", "AS923-2", "AS923-3", "AS923-4", "IN865", "RU864", "CN470", "EU433", "CN779",
        "eu868",
    ] {
        assert_eq!(StationRegion::from_name(unknown), None, "{unknown}");
    }
}

#[test]
fn station_dr_decoding_matches_station() {
    assert_eq!(
        modulation_from_station_dr([0, 0, 0]),
        Some(Modulation::Fsk { bit_rate: 50_000 })
    );
    assert_eq!(modulation_from_station_dr([-1, 0, 0]), None);
    assert_eq!(modulation_from_station_dr([8, 400, 1]), Some(l(8, 500)));
    let us = Region::Us915.station_drs();
    assert_eq!(station_uplink_dr(&us, l(8, 500)), Some(4));
    assert_eq!(station_uplink_dr(&us, l(9, 500)), Some(11));
    // What The Things Stack sends: undefined DRs as [0,0,0] read as FSK.
    let tts = [[10, 125, 0], [0, 0, 0]];
    assert_eq!(
        station_uplink_dr(&tts, Modulation::Fsk { bit_rate: 50_000 }),
        Some(1)
    );
    // Every table round-trips through the station encoding for what it can express.
    for r in Region::ALL {
        for (i, e) in r.station_drs().iter().enumerate() {
            if let Some(m) = modulation_from_station_dr(*e) {
                assert_eq!(r.data_rate(u8::try_from(i).unwrap()).unwrap().modulation, m);
            }
        }
    }
}
