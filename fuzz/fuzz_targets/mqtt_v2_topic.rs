//! v2 topic parsing and access rules on arbitrary strings.
//! Invariants: what parses formats back to the same topic; allowed topics are the caller's own.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loragw_mqtt_v2::{Access, Action, GatewayUid, Topic, authorize};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(topic) = Topic::parse(text) {
        let again = Topic::parse(&topic.to_string()).expect("formatted topic parses");
        assert_eq!(again, topic);
    }
    let uid = GatewayUid::parse("gateway-id").expect("valid uid");
    if let Access::Allow(topic) = authorize(&uid, Action::Publish, text) {
        assert!(topic.uid().is_none_or(|u| *u == uid));
        assert!(!matches!(topic, Topic::Down(_)));
    }
    if let Access::Allow(topic) = authorize(&uid, Action::Subscribe, text) {
        assert_eq!(topic, Topic::Down(uid));
    }
});
