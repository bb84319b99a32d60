use loragw_ttnpb::downlink_message::Settings;
use loragw_ttnpb::downlink_path::Path;
use loragw_ttnpb::prost::Message as _;
use loragw_ttnpb::{
    Class, DataRate, DownlinkMessage, DownlinkPath, GatewayAntennaIdentifiers, RxMetadata,
    Timestamp, TxRequest, TxSettings, UplinkMessage, UplinkToken, tx_settings,
};

use super::*;
use crate::freqplan::FrequencyPlan;
use crate::ids::{Eui64, GatewayIds};

fn gw() -> GatewayIds {
    GatewayIds::new("gw-1", Some(Eui64([1, 2, 3, 4, 5, 6, 7, 8])))
}

fn eu() -> FrequencyPlan {
    FrequencyPlan::builtin("EU_863_870").expect("built in")
}

fn at(seconds: i64, millis: i32) -> Timestamp {
    Timestamp {
        seconds,
        nanos: millis * 1_000_000,
    }
}

/// An uplink on 868.3 MHz SF7 received at 1000.000 s with `tmst` 4_000_000_000 on antenna 1.
fn uplink() -> UplinkMessage {
    let mut up = UplinkMessage {
        raw_payload: vec![0x40, 1, 2, 3, 4, 0, 0, 0, 1, 2, 3, 4],
        settings: Some(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_300_000,
            timestamp: 4_000_000_000,
            ..Default::default()
        }),
        rx_metadata: vec![RxMetadata {
            gateway_ids: Some(gw().to_ttnpb()),
            antenna_index: 1,
            timestamp: 4_000_000_000,
            gps_time: Some(at(1_300_000_000, 250)),
            ..Default::default()
        }],
        received_at: Some(at(1000, 0)),
        ..Default::default()
    };
    stamp_uplink_tokens(&mut up, None);
    up
}

fn request(message: &DownlinkMessage) -> &TxRequest {
    match &message.settings {
        Some(Settings::Request(r)) => r,
        other => panic!("not a request: {other:?}"),
    }
}

fn scheduled(message: &DownlinkMessage) -> &TxSettings {
    match &message.settings {
        Some(Settings::Scheduled(s)) => s,
        other => panic!("not scheduled: {other:?}"),
    }
}

#[test]
fn uplink_token_carries_antenna_times_and_gateway() {
    let up = uplink();
    let token = decode_uplink_token(&up.rx_metadata[0].uplink_token).expect("a token");
    assert_eq!(
        token,
        UplinkToken {
            ids: Some(GatewayAntennaIdentifiers {
                gateway_ids: Some(gw().to_ttnpb()),
                antenna_index: 1,
            }),
            timestamp: 4_000_000_000,
            server_time: Some(at(1000, 0)),
            concentrator_time: 4_000_000_000_000,
            gateway_time: Some(at(1_300_000_000, 250)),
        }
    );
    // A token the gateway sent is kept.
    let mut given = uplink();
    given.rx_metadata[0].uplink_token = vec![1, 2, 3];
    stamp_uplink_tokens(&mut given, Some(5));
    assert_eq!(given.rx_metadata[0].uplink_token, [1, 2, 3]);
    // A Basics Station concentrator time replaces the timestamp's.
    let mut lbs = uplink();
    lbs.rx_metadata[0].uplink_token.clear();
    stamp_uplink_tokens(&mut lbs, Some(7_000_000_000_000_000));
    let t = decode_uplink_token(&lbs.rx_metadata[0].uplink_token).expect("a token");
    assert_eq!(t.concentrator_time, 7_000_000_000_000_000);
}

#[test]
fn class_a_builds_rx1_and_rx2_from_the_plan() {
    let down = class_a(&uplink(), &eu(), vec![0x60, 9]).unwrap();
    assert_eq!(down.raw_payload, [0x60, 9]);
    let r = request(&down);
    assert_eq!(r.class(), Class::A);
    assert_eq!(r.rx1_delay, 1);
    assert_eq!(
        (r.rx1_frequency, r.rx1_data_rate.clone()),
        (868_300_000, Some(DataRate::lora(7, 125_000, "4/5")))
    );
    assert_eq!(
        (r.rx2_frequency, r.rx2_data_rate.clone()),
        (869_525_000, Some(DataRate::lora(12, 125_000, "4/5")))
    );
    assert_eq!(r.frequency_plan_id, "EU_863_870");
    assert_eq!(
        r.downlink_paths,
        [DownlinkPath {
            path: Some(Path::UplinkToken(
                uplink().rx_metadata[0].uplink_token.clone()
            ))
        }]
    );
    // No token: nothing to answer on.
    let mut bare = uplink();
    bare.rx_metadata[0].uplink_token.clear();
    assert_eq!(
        class_a(&bare, &eu(), vec![]),
        Err(ReplyError::UplinkWithoutToken)
    );
}

#[test]
fn class_a_on_us915_uses_the_downlink_channel_and_rx1_data_rate() {
    let us = FrequencyPlan::builtin("US_902_928_FSB_2").unwrap();
    let mut up = uplink();
    // Channel 8 (903.9 MHz) SF10/125 → RX1 channel 0 (923.3 MHz) at DR10 (SF10/500).
    let s = up.settings.as_mut().unwrap();
    s.frequency = 903_900_000;
    s.data_rate = Some(DataRate::lora(10, 125_000, "4/5"));
    let r = class_a(&up, &us, vec![]).unwrap();
    let r = request(&r);
    assert_eq!(
        (r.rx1_frequency, r.rx1_data_rate.clone()),
        (923_300_000, Some(DataRate::lora(10, 500_000, "4/5")))
    );
    assert_eq!(
        (r.rx2_frequency, r.rx2_data_rate.clone()),
        (923_300_000, Some(DataRate::lora(12, 500_000, "4/5")))
    );
    // Channel 65 (904.6 MHz) SF8/500 → channel 1 (923.9 MHz) at DR13 (SF7/500).
    let s = up.settings.as_mut().unwrap();
    s.frequency = 904_600_000;
    s.data_rate = Some(DataRate::lora(8, 500_000, "4/5"));
    let r = class_a(&up, &us, vec![]).unwrap();
    let r = request(&r);
    assert_eq!(
        (r.rx1_frequency, r.rx1_data_rate.clone()),
        (923_900_000, Some(DataRate::lora(7, 500_000, "4/5")))
    );
}

#[test]
fn rx1_when_in_time() {
    let plan = eu();
    let down = class_a(&uplink(), &plan, vec![1]).unwrap();
    let ids = gw();
    let ctx = ScheduleContext::new(&ids, &plan, at(1000, 300));
    let got = schedule(down, &ctx).unwrap();
    assert_eq!(
        scheduled(&got),
        &TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_300_000,
            enable_crc: false,
            timestamp: 4_001_000_000,
            time: Some(at(1_300_000_001, 250)),
            downlink: Some(tx_settings::Downlink {
                antenna_index: 1,
                tx_power: 16.0,
                invert_polarization: true,
            }),
            concentrator_timestamp: 4_001_000_000_000,
        }
    );
}

#[test]
fn rx2_when_rx1_is_too_late_or_not_a_downlink_channel() {
    let plan = eu();
    let ids = gw();
    let down = class_a(&uplink(), &plan, vec![1]).unwrap();
    // 900 ms after the uplink: RX1 is 100 ms away, under the 130 ms lead.
    let ctx = ScheduleContext::new(&ids, &plan, at(1000, 900));
    let all = candidates(request(&down), &ctx).unwrap();
    assert_eq!(all.len(), 1);
    let rx2 = &all[0];
    assert_eq!(
        (rx2.frequency, rx2.timestamp, rx2.data_rate.clone()),
        (
            869_525_000,
            // tmst 4_000_000_000 + 2 s wraps the 32-bit counter.
            4_000_000_000_u32.wrapping_add(2_000_000),
            Some(DataRate::lora(12, 125_000, "4/5"))
        )
    );
    // RX1 on a frequency the plan does not transmit on: RX2 as well.
    let mut off = down.clone();
    if let Some(Settings::Request(r)) = &mut off.settings {
        r.rx1_frequency = 869_000_000;
    }
    let early = ScheduleContext::new(&ids, &plan, at(1000, 100));
    let got = schedule(off, &early).unwrap();
    assert_eq!(scheduled(&got).frequency, 869_525_000);
    // Both too late: refused with both reasons.
    let late = ScheduleContext::new(&ids, &plan, at(1001, 950));
    match schedule(down, &late) {
        Err(ReplyError::NoWindow { refused }) => {
            assert_eq!(refused.len(), 2, "{refused:?}");
            assert!(refused[0].starts_with("RX1: too late"), "{refused:?}");
            assert!(refused[1].starts_with("RX2: too late"), "{refused:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_or_foreign_token_is_refused() {
    let plan = eu();
    let ids = gw();
    let ctx = ScheduleContext::new(&ids, &plan, at(1000, 100));
    let mut down = class_a(&uplink(), &plan, vec![1]).unwrap();
    let no_token = ReplyError::NoUplinkToken {
        gateway: "gw-1".into(),
    };
    if let Some(Settings::Request(r)) = &mut down.settings {
        r.downlink_paths = vec![DownlinkPath {
            path: Some(Path::UplinkToken(vec![0xFF, 0xFF, 0xFF])),
        }];
    }
    assert_eq!(schedule(down.clone(), &ctx), Err(no_token.clone()));
    // A well-formed token of another gateway.
    let other = UplinkToken {
        ids: Some(GatewayAntennaIdentifiers {
            gateway_ids: Some(GatewayIds::new("gw-2", None).to_ttnpb()),
            antenna_index: 0,
        }),
        timestamp: 1,
        ..Default::default()
    };
    if let Some(Settings::Request(r)) = &mut down.settings {
        r.downlink_paths = vec![DownlinkPath {
            path: Some(Path::UplinkToken(other.encode_to_vec())),
        }];
    }
    assert_eq!(schedule(down, &ctx), Err(no_token));
}

#[test]
fn class_b_and_c_at_absolute_time_or_now() {
    let plan = eu();
    let ids = gw();
    let ctx = ScheduleContext::new(&ids, &plan, at(1000, 0));
    // Class C now: neither timestamp nor time (transmit immediately), on RX2.
    let now = class_c(&ids, &plan, vec![7], None).unwrap();
    let s = scheduled(&schedule(now, &ctx).unwrap()).clone();
    assert_eq!(
        (s.frequency, s.timestamp, s.time, s.data_rate),
        (
            869_525_000,
            0,
            None,
            Some(DataRate::lora(12, 125_000, "4/5"))
        )
    );
    // At an absolute time.
    let later = class_c(&ids, &plan, vec![7], Some(at(1005, 0))).unwrap();
    assert_eq!(
        scheduled(&schedule(later, &ctx).unwrap()).time,
        Some(at(1005, 0))
    );
    // In the past: too late.
    let past = class_c(&ids, &plan, vec![7], Some(at(999, 0))).unwrap();
    assert_eq!(
        schedule(past, &ctx),
        Err(ReplyError::TooLate {
            time: at(999, 0),
            left_ms: -1000
        })
    );
    // Class B without a time.
    let mut b = class_c(&ids, &plan, vec![7], None).unwrap();
    if let Some(Settings::Request(r)) = &mut b.settings {
        r.set_class(Class::B);
    }
    assert_eq!(schedule(b, &ctx), Err(ReplyError::MissingAbsoluteTime));
}

#[test]
fn scheduled_settings_pass_unchanged() {
    let plan = eu();
    let ids = gw();
    let ctx = ScheduleContext::new(&ids, &plan, at(1000, 0));
    let down = DownlinkMessage {
        settings: Some(Settings::Scheduled(TxSettings {
            frequency: 1,
            ..Default::default()
        })),
        ..Default::default()
    };
    assert_eq!(schedule(down.clone(), &ctx), Ok(down));
}
