//! The access-rule table: every topic and filter a gateway might try, for both tenancy forms.

#![allow(clippy::unwrap_used, reason = "test helpers may unwrap")]

use loragw_mqtt_v3::{Access, Action, DenyReason, GatewayUid, Topic, TopicKind, authorize};

#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Allowed, narrowed or normalised to the own topic of this kind.
    Allow(TopicKind),
    InvalidName,
    InvalidFilter,
    NotGatewayTopic,
    OtherGateway,
    ServerOnly,
    MissesDownlink,
}

fn check(uid: &str, action: Action, topic: &str, expect: Expect) {
    let uid = GatewayUid::parse(uid).unwrap();
    let got = authorize(&uid, action, topic);
    let ok = match (&got, expect) {
        (Access::Allow(t), Expect::Allow(kind)) => *t == Topic::new(uid.clone(), kind),
        (Access::Deny(DenyReason::InvalidTopicName(_)), Expect::InvalidName) => true,
        (Access::Deny(DenyReason::InvalidFilter(_)), Expect::InvalidFilter) => true,
        (Access::Deny(DenyReason::NotAGatewayTopic(_)), Expect::NotGatewayTopic) => true,
        (Access::Deny(DenyReason::OtherGateway { authenticated, .. }), Expect::OtherGateway) => {
            *authenticated == uid
        }
        (Access::Deny(DenyReason::ServerOnlyTopic(t)), Expect::ServerOnly) => {
            *t == Topic::down(uid.clone())
        }
        (
            Access::Deny(DenyReason::FilterMissesDownlink { downlink, .. }),
            Expect::MissesDownlink,
        ) => *downlink == Topic::down(uid.clone()),
        _ => false,
    };
    assert!(
        ok,
        "{uid} {action:?} `{topic}`: expected {expect:?}, got {got:?}"
    );
}

use Expect::*;

#[test]
fn publish_single_tenant() {
    let me = "gateway-id";
    let table: &[(&str, Expect)] = &[
        // own topics
        ("v3/gateway-id/up", Allow(TopicKind::Up)),
        ("v3/gateway-id/status", Allow(TopicKind::Status)),
        ("v3/gateway-id/down/ack", Allow(TopicKind::DownAck)),
        ("v3/gateway-id/ack", Allow(TopicKind::DownAck)),
        ("v3/gateway-id/down", ServerOnly),
        // another gateway's topics
        ("v3/other-gw/up", OtherGateway),
        ("v3/other-gw/status", OtherGateway),
        ("v3/other-gw/down/ack", OtherGateway),
        ("v3/other-gw/ack", OtherGateway),
        ("v3/other-gw/down", OtherGateway),
        // same gateway id, other tenancy form: a different gateway
        ("v3/gateway-id@tenant-id/up", OtherGateway),
        ("v3/gateway-id@tenant-id/down/ack", OtherGateway),
        // wildcards are never valid in a topic name
        ("v3/+/up", InvalidName),
        ("v3/gateway-id/#", InvalidName),
        ("#", InvalidName),
        ("+", InvalidName),
        ("", InvalidName),
        ("v3/gateway-id/up\0", InvalidName),
        // not a gateway topic
        ("v3/gateway-id/uplink", NotGatewayTopic),
        ("v3/gateway-id/down/ack/extra", NotGatewayTopic),
        ("v3/gateway-id/up/", NotGatewayTopic),
        ("v3/gateway-id", NotGatewayTopic),
        ("v3/GATEWAY-ID/up", NotGatewayTopic),
        ("v2/gateway-id/up", NotGatewayTopic),
        ("gateway-id/up", NotGatewayTopic),
        ("connect", NotGatewayTopic),
        ("$SYS/broker", NotGatewayTopic),
        ("/v3/gateway-id/up", NotGatewayTopic),
    ];
    for (topic, expect) in table {
        check(me, Action::Publish, topic, *expect);
    }
}

#[test]
fn publish_multi_tenant() {
    let me = "gateway-id@tenant-id";
    let table: &[(&str, Expect)] = &[
        ("v3/gateway-id@tenant-id/up", Allow(TopicKind::Up)),
        ("v3/gateway-id@tenant-id/status", Allow(TopicKind::Status)),
        (
            "v3/gateway-id@tenant-id/down/ack",
            Allow(TopicKind::DownAck),
        ),
        ("v3/gateway-id@tenant-id/ack", Allow(TopicKind::DownAck)),
        ("v3/gateway-id@tenant-id/down", ServerOnly),
        // no tenant, other tenant, other gateway in the same tenant
        ("v3/gateway-id/up", OtherGateway),
        ("v3/gateway-id@other-tenant/up", OtherGateway),
        ("v3/other-gw@tenant-id/up", OtherGateway),
        ("v3/other-gw@tenant-id/status", OtherGateway),
        ("v3/other-gw@tenant-id/down/ack", OtherGateway),
        ("v3/other-gw@tenant-id/down", OtherGateway),
        ("v3/+@tenant-id/up", InvalidName),
        ("v3/gateway-id@/up", NotGatewayTopic),
        ("v3/gateway-id@tenant-id@x/up", NotGatewayTopic),
    ];
    for (topic, expect) in table {
        check(me, Action::Publish, topic, *expect);
    }
}

#[test]
fn subscribe_single_tenant() {
    let me = "gateway-id";
    let table: &[(&str, Expect)] = &[
        // filters that match the own down topic are narrowed to it
        ("v3/gateway-id/down", Allow(TopicKind::Down)),
        ("v3/gateway-id/#", Allow(TopicKind::Down)),
        ("v3/gateway-id/+", Allow(TopicKind::Down)),
        ("v3/gateway-id/down/#", Allow(TopicKind::Down)),
        ("v3/+/down", Allow(TopicKind::Down)),
        ("v3/+/+", Allow(TopicKind::Down)),
        ("v3/+/#", Allow(TopicKind::Down)),
        ("v3/#", Allow(TopicKind::Down)),
        ("+/gateway-id/down", Allow(TopicKind::Down)),
        ("+/+/down", Allow(TopicKind::Down)),
        ("+/+/+", Allow(TopicKind::Down)),
        ("+/#", Allow(TopicKind::Down)),
        ("#", Allow(TopicKind::Down)),
        // the own topics that are not down
        ("v3/gateway-id/up", MissesDownlink),
        ("v3/gateway-id/status", MissesDownlink),
        ("v3/gateway-id/down/ack", MissesDownlink),
        ("v3/gateway-id/ack", MissesDownlink),
        ("v3/gateway-id/down/+", MissesDownlink),
        ("v3/gateway-id/+/ack", MissesDownlink),
        ("v3/+/up", MissesDownlink),
        // another gateway's topics, and this gateway id in multi-tenant form
        ("v3/other-gw/down", MissesDownlink),
        ("v3/other-gw/#", MissesDownlink),
        ("v3/other-gw/+", MissesDownlink),
        ("v3/gateway-id@tenant-id/down", MissesDownlink),
        ("v3/gateway-id@tenant-id/#", MissesDownlink),
        // other shapes
        ("+", MissesDownlink),
        ("+/+", MissesDownlink),
        ("v3/+", MissesDownlink),
        ("v3", MissesDownlink),
        ("$SYS/#", MissesDownlink),
        ("/#", MissesDownlink),
        ("v3/gateway-id/down/", MissesDownlink),
        ("gateway-id/down", MissesDownlink),
        // invalid filters
        ("", InvalidFilter),
        ("v3/gateway-id/down#", InvalidFilter),
        ("v3/#/down", InvalidFilter),
        ("v3/gateway-id+/down", InvalidFilter),
        ("v3/gateway-id/\0", InvalidFilter),
    ];
    for (filter, expect) in table {
        check(me, Action::Subscribe, filter, *expect);
    }
}

#[test]
fn subscribe_multi_tenant() {
    let me = "gateway-id@tenant-id";
    let table: &[(&str, Expect)] = &[
        ("v3/gateway-id@tenant-id/down", Allow(TopicKind::Down)),
        ("v3/gateway-id@tenant-id/#", Allow(TopicKind::Down)),
        ("v3/+/down", Allow(TopicKind::Down)),
        ("#", Allow(TopicKind::Down)),
        ("v3/gateway-id/down", MissesDownlink),
        ("v3/gateway-id@other-tenant/down", MissesDownlink),
        ("v3/other-gw@tenant-id/down", MissesDownlink),
        ("v3/gateway-id@tenant-id/up", MissesDownlink),
        ("v3/gateway-id@tenant-id/down/ack", MissesDownlink),
    ];
    for (filter, expect) in table {
        check(me, Action::Subscribe, filter, *expect);
    }
}

#[test]
fn deny_reasons_read_well() {
    let uid = GatewayUid::parse("gateway-id").unwrap();
    let Access::Deny(reason) = authorize(&uid, Action::Publish, "v3/other-gw/up") else {
        panic!("expected deny");
    };
    assert_eq!(
        reason.to_string(),
        "topic `v3/other-gw/up` belongs to gateway `other-gw`, not to `gateway-id`"
    );
    let Access::Deny(reason) = authorize(&uid, Action::Subscribe, "v3/other-gw/#") else {
        panic!("expected deny");
    };
    assert_eq!(
        reason.to_string(),
        "filter `v3/other-gw/#` does not match the gateway's downlink topic `v3/gateway-id/down`"
    );
    let access = authorize(&uid, Action::Subscribe, "#");
    assert_eq!(
        access.allowed().map(|t| t.to_string()).as_deref(),
        Some("v3/gateway-id/down")
    );
}
