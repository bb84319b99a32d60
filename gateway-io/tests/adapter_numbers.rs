//! Extreme numbers from the wire through the adapters: a clear error naming the field, or the
//! value left out, never a panic (debug build) and never a wrapped or infinite value.

use loragw_basicstation::frame::UplinkRadio;
use loragw_basicstation::message::UpInfo;
use loragw_basicstation::region::Region;
use loragw_gateway_io::adapter::{lbs, udp};
use loragw_gateway_io::ids::GatewayIds;
use loragw_semtech_udp::{Packet, PushData};

fn gw() -> GatewayIds {
    GatewayIds::new("test-gateway", None)
}

fn push_data(json: &str) -> PushData {
    let mut d = vec![2, 0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    d.extend_from_slice(json.as_bytes());
    match Packet::decode(&d).expect("decodes") {
        Packet::PushData(p) => p,
        other => panic!("not PUSH_DATA: {other:?}"),
    }
}

#[test]
fn udp_lsnr_beyond_f32_is_refused_with_the_field() {
    for (lsnr, ok) in [
        ("1e300", false),
        ("-1e300", false),
        ("3.5e38", false),
        ("-7.25", true),
    ] {
        let p = push_data(&format!(
            r#"{{"rxpk":[{{"tmst":1,"freq":868.1,"datr":"SF7BW125","data":"QAEAAAA=","lsnr":{lsnr}}},{{"tmst":2,"freq":868.1,"datr":"SF7BW125","data":"QAEAAAA=","rsig":[{{"ant":0,"lsnr":{lsnr}}}]}}]}}"#
        ));
        assert_eq!(p.rxpk.len(), 2, "{lsnr}: {:?}", p.rejected);
        let one = udp::rxpk_to_uplink(&gw(), &p.rxpk[0], None);
        let multi = udp::rxpk_to_uplink(&gw(), &p.rxpk[1], None);
        if ok {
            assert_eq!(one.expect("in range").rx_metadata[0].snr, -7.25);
            assert_eq!(multi.expect("in range").rx_metadata[0].snr, -7.25);
        } else {
            assert_eq!(
                one.expect_err("out of range").to_string(),
                format!(
                    "rxpk.lsnr: {} out of range",
                    lsnr.parse::<f64>().expect("f64")
                )
            );
            assert!(
                multi
                    .expect_err("out of range")
                    .to_string()
                    .starts_with("rxpk.rsig[].lsnr: "),
                "{lsnr}"
            );
        }
    }
}

#[test]
fn udp_stat_metrics_beyond_f32_are_left_out() {
    let p = push_data(r#"{"stat":{"temp":1e300,"ackr":-1e300,"rxnb":4294967295}}"#);
    let status = udp::stat_to_status(p.stat.as_ref().expect("stat"), None);
    assert_eq!(status.metrics.get("temp"), None);
    assert_eq!(status.metrics.get("ackr"), None);
    assert_eq!(status.metrics.get("rxin"), Some(&4_294_967_296.0));
}

fn radio(upinfo: UpInfo) -> UplinkRadio {
    UplinkRadio {
        ref_time: Some(-1e300),
        dr: 5,
        freq: 868_100_000,
        upinfo,
    }
}

#[test]
fn lbs_extreme_upinfo_values() {
    let phy = [0x40, 1, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5];
    let base = UpInfo {
        rctx: i64::MIN,
        xtime: i64::MAX,
        gpstime: None,
        fts: Some(i64::MAX),
        rssi: -50,
        snr: 9.0,
        rxtime: 1e300,
    };
    // In range: xtime's low 32 bits are the timestamp, rxtime 1e300 is "no time".
    let up = lbs::radio_to_uplink(&gw(), &phy, &radio(base.clone()), Region::Eu868, None)
        .expect("translates");
    let md = &up.rx_metadata[0];
    assert_eq!(md.timestamp, u32::MAX);
    assert_eq!(md.time, None);
    assert_eq!(md.antenna_index, 0);
    assert_eq!((md.rssi, md.snr), (-50.0, 9.0));
    assert_eq!(md.fine_timestamp, i64::MAX as u64);

    let err = |info: UpInfo| {
        lbs::radio_to_uplink(&gw(), &phy, &radio(info), Region::Eu868, None)
            .expect_err("refused")
            .to_string()
    };
    assert_eq!(
        err(UpInfo {
            snr: 1e300,
            ..base.clone()
        }),
        format!("upinfo.snr: {} out of range", 1e300)
    );
    assert_eq!(
        err(UpInfo {
            rssi: i32::MIN,
            ..base.clone()
        }),
        "upinfo.rssi: -2147483648 out of range"
    );
    assert!(
        err(UpInfo {
            gpstime: Some(i64::MIN),
            ..base.clone()
        })
        .starts_with("upinfo.gpstime: "),
    );
    // GPS time i64::MAX µs (292,000 years) is beyond a Timestamp: refused, no overflow.
    assert!(
        err(UpInfo {
            gpstime: Some(i64::MAX),
            ..base
        })
        .starts_with("upinfo.gpstime: "),
    );
}
