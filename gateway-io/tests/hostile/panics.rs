//! Battery 7: inputs that made the server panic, followed by new stations: a bug in handling
//! one message closes (at most) that connection; the listener keeps serving new ones, and if
//! it cannot, the server says so.

use std::time::Duration;

use loragw_basicstation::station::StationEvent;

use crate::clients::Station;
use crate::fixtures::*;
use crate::support::{Harness, shared};

/// `getxtime` with out-of-range times: `MuxTime: -1e300` panicked the LBS driver.
const PANICKERS: &[&str] = &[
    r#"{"msgtype":"getxtime","MuxTime":-1e300,"ustime":3170.015805,"UTCtime":1795585773.558034,"xtimes":[52072870960908878,0,0,0]}"#,
    r#"{"msgtype":"getxtime","MuxTime":1e300,"ustime":1e300,"UTCtime":-1e300,"xtimes":[-9223372036854775808,0,0,0]}"#,
    r#"{"msgtype":"getxtime","MuxTime":1795585773.55788,"ustime":-1e300,"UTCtime":1e300,"xtimes":[9223372036854775807,0,0,0]}"#,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_input_leaves_new_stations_served() {
    let _guard = shared().await;
    let mut h = Harness::start().await;
    for (i, text) in PANICKERS.iter().enumerate() {
        let mut station = Station::connect(h.addrs.lbs, LBS_EUI, LBS_KEY)
            .await
            .unwrap_or_else(|s| panic!("before input {i}, a station was refused: HTTP {s}"));
        let first = h.during(station.next_event_within(STEP)).await;
        assert!(
            matches!(first, Some(StationEvent::RouterConfig(_))),
            "before input {i}: no router_config: {first:?}"
        );
        station.send_text((*text).to_owned()).await;
        // Whatever happens to this station, give the server a moment to handle the input.
        h.drain_for(Duration::from_millis(300)).await;
        drop(station);

        // A new station: upgraded, configured, its uplink through, its downlink acknowledged.
        let served = h.lbs_healthy().await;
        assert!(
            served.is_ok(),
            "after {text}, a new station is not served: {}; the server reported a stopped \
             listener: {:?}",
            served.unwrap_err(),
            h.stopped()
        );
    }
    h.assert_all_protocols_healthy("panic-inducing getxtime messages")
        .await;
}
