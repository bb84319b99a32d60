//! Property tests: topic and uid round trips, and filter matching against a reference.

#![allow(clippy::unwrap_used, reason = "test helpers may unwrap")]

use loragw_mqtt_v3::filter::filter_matches;
use loragw_mqtt_v3::{GatewayUid, Topic, TopicKind};
use proptest::prelude::*;

fn id() -> impl Strategy<Value = String> {
    // ^[a-z0-9](?:[-]?[a-z0-9]){2,}$ with at most 36 bytes.
    "[a-z0-9]([-]?[a-z0-9]){2,17}".prop_filter("max 36", |s| s.len() <= 36)
}

fn uid() -> impl Strategy<Value = GatewayUid> {
    (id(), proptest::option::of(id())).prop_map(|(gateway_id, tenant_id)| GatewayUid {
        gateway_id,
        tenant_id,
    })
}

fn kind() -> impl Strategy<Value = TopicKind> {
    prop::sample::select(TopicKind::ALL.to_vec())
}

proptest! {
    #[test]
    fn topic_round_trip(uid in uid(), kind in kind()) {
        let topic = Topic::new(uid, kind);
        let text = topic.to_string();
        prop_assert_eq!(Topic::parse(&text), Ok(topic));
    }

    #[test]
    fn uid_round_trip(uid in uid()) {
        prop_assert_eq!(GatewayUid::parse(&uid.to_string()), Ok(uid));
    }

    #[test]
    fn parse_never_panics_and_formats_back(s in "\\PC{0,80}") {
        if let Ok(topic) = Topic::parse(&s) {
            // Everything that parses formats to the same text, except the `ack` alias.
            let text = topic.to_string();
            if topic.kind == TopicKind::DownAck && s.ends_with("/ack") && !s.ends_with("/down/ack") {
                prop_assert_eq!(text.replace("/down/ack", "/ack"), s);
            } else {
                prop_assert_eq!(text, s);
            }
        }
    }

    #[test]
    fn own_topic_matched_by_exact_filter_and_hash(uid in uid(), kind in kind()) {
        let text = Topic::new(uid, kind).to_string();
        prop_assert!(filter_matches(&text, &text));
        prop_assert!(filter_matches("#", &text));
        prop_assert!(filter_matches("v3/#", &text));
    }

    #[test]
    fn plus_replaces_any_level(levels in prop::collection::vec("[a-z$]{0,4}", 1..5), pick in 0usize..5) {
        let topic = levels.join("/");
        prop_assume!(!topic.is_empty());
        let pick = pick % levels.len();
        let mut filter_levels = levels.clone();
        filter_levels[pick] = "+".into();
        let filter = filter_levels.join("/");
        let dollar_rule = pick == 0 && topic.starts_with('$');
        prop_assert_eq!(filter_matches(&filter, &topic), !dollar_rule);
    }
}
