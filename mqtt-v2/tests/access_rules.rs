//! The v2 access-rule table: every topic and filter a gateway might try, both tenancy forms.

#![allow(clippy::unwrap_used, reason = "test helpers may unwrap")]

use loragw_mqtt_v2::{Access, Action, DenyReason, GatewayUid, Topic, authorize};

#[derive(Debug, Clone, Copy)]
enum Expect {
    Allow(&'static str),
    InvalidName,
    InvalidFilter,
    NotGatewayTopic,
    OtherGateway,
    ServerOnly,
    MissesDownlink,
}
use Expect::*;

fn check(uid: &str, action: Action, topic: &str, expect: Expect) {
    let uid = GatewayUid::parse(uid).unwrap();
    let got = authorize(&uid, action, topic);
    let ok = match (&got, expect) {
        (Access::Allow(t), Allow(text)) => Topic::parse(text).as_ref() == Ok(t),
        (Access::Deny(DenyReason::InvalidTopicName(_)), InvalidName) => true,
        (Access::Deny(DenyReason::InvalidFilter(_)), InvalidFilter) => true,
        (Access::Deny(DenyReason::NotAGatewayTopic(_)), NotGatewayTopic) => true,
        (Access::Deny(DenyReason::OtherGateway { .. }), OtherGateway) => true,
        (Access::Deny(DenyReason::ServerOnlyTopic(_)), ServerOnly) => true,
        (Access::Deny(DenyReason::FilterMissesDownlink { downlink, .. }), MissesDownlink) => {
            *downlink == Topic::Down(uid.clone())
        }
        _ => false,
    };
    assert!(
        ok,
        "{uid} {action:?} `{topic}`: expected {expect:?}, got {got:?}"
    );
}

#[test]
fn publish_single_tenant() {
    let table: &[(&str, Expect)] = &[
        ("connect", Allow("connect")),
        ("disconnect", Allow("disconnect")),
        ("gateway-id/up", Allow("gateway-id/up")),
        ("gateway-id/status", Allow("gateway-id/status")),
        ("gateway-id/down", ServerOnly),
        ("other-gw/up", OtherGateway),
        ("other-gw/status", OtherGateway),
        ("other-gw/down", OtherGateway),
        ("gateway-id@tenant-id/up", OtherGateway),
        ("+/up", InvalidName),
        ("gateway-id/#", InvalidName),
        ("#", InvalidName),
        ("", InvalidName),
        ("gateway-id/down/ack", NotGatewayTopic),
        ("gateway-id/ack", NotGatewayTopic),
        ("v3/gateway-id/up", NotGatewayTopic),
        ("gateway-id", NotGatewayTopic),
        ("Connect", NotGatewayTopic),
        ("$SYS/broker", NotGatewayTopic),
    ];
    for (topic, expect) in table {
        check("gateway-id", Action::Publish, topic, *expect);
    }
}

#[test]
fn publish_multi_tenant() {
    let table: &[(&str, Expect)] = &[
        ("connect", Allow("connect")),
        ("disconnect", Allow("disconnect")),
        ("gateway-id@tenant-id/up", Allow("gateway-id@tenant-id/up")),
        (
            "gateway-id@tenant-id/status",
            Allow("gateway-id@tenant-id/status"),
        ),
        ("gateway-id@tenant-id/down", ServerOnly),
        ("gateway-id/up", OtherGateway),
        ("gateway-id@other-tenant/up", OtherGateway),
        ("other-gw@tenant-id/status", OtherGateway),
    ];
    for (topic, expect) in table {
        check("gateway-id@tenant-id", Action::Publish, topic, *expect);
    }
}

#[test]
fn subscribe() {
    let table: &[(&str, Expect)] = &[
        ("gateway-id/down", Allow("gateway-id/down")),
        ("gateway-id/#", Allow("gateway-id/down")),
        ("gateway-id/+", Allow("gateway-id/down")),
        ("+/down", Allow("gateway-id/down")),
        ("+/+", Allow("gateway-id/down")),
        ("+/#", Allow("gateway-id/down")),
        ("#", Allow("gateway-id/down")),
        ("gateway-id/down/#", Allow("gateway-id/down")),
        ("gateway-id/up", MissesDownlink),
        ("gateway-id/status", MissesDownlink),
        ("connect", MissesDownlink),
        ("disconnect", MissesDownlink),
        ("other-gw/down", MissesDownlink),
        ("other-gw/#", MissesDownlink),
        ("gateway-id@tenant-id/down", MissesDownlink),
        ("+", MissesDownlink),
        ("+/up", MissesDownlink),
        ("$SYS/#", MissesDownlink),
        ("v3/gateway-id/down", MissesDownlink),
        ("", InvalidFilter),
        ("gateway-id/down#", InvalidFilter),
        ("#/down", InvalidFilter),
    ];
    for (filter, expect) in table {
        check("gateway-id", Action::Subscribe, filter, *expect);
    }
    check(
        "gateway-id@tenant-id",
        Action::Subscribe,
        "gateway-id@tenant-id/#",
        Allow("gateway-id@tenant-id/down"),
    );
    check(
        "gateway-id@tenant-id",
        Action::Subscribe,
        "gateway-id/down",
        MissesDownlink,
    );
}
