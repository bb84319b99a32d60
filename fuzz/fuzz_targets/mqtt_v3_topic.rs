//! v3 topic parsing, access rules and filter matching on arbitrary strings.
//! Invariants: what parses formats back to a string that parses to the same topic; an allowed
//! publish is the caller's own topic; an allowed subscribe is exactly the caller's own `down`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loragw_mqtt_v3::filter::filter_matches;
use loragw_mqtt_v3::{Access, Action, GatewayUid, Topic, TopicKind, authorize};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(topic) = Topic::parse(text) {
        let again = Topic::parse(&topic.to_string()).expect("formatted topic parses");
        assert_eq!(again, topic);
    }
    for uid in ["gateway-id", "gateway-id@tenant-id"] {
        let uid = GatewayUid::parse(uid).expect("valid uid");
        if let Access::Allow(topic) = authorize(&uid, Action::Publish, text) {
            assert_eq!(topic.uid, uid);
            assert_ne!(topic.kind, TopicKind::Down);
        }
        if let Access::Allow(topic) = authorize(&uid, Action::Subscribe, text) {
            assert_eq!(topic, Topic::down(uid.clone()));
            assert!(filter_matches(text, &topic.to_string()));
        }
    }
    // Split the input into a filter and a topic and check matching does not panic.
    if let Some((filter, topic)) = text.split_once('\n') {
        let _ = filter_matches(filter, topic);
    }
});
