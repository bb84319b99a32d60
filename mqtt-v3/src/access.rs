//! Which topics a connected gateway may publish to and subscribe to.

use crate::filter::{FilterError, filter_matches, validate_filter, validate_topic_name};
use crate::id::GatewayUid;
use crate::topic::{Topic, TopicError, TopicKind};

/// What a client asks to do with a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// PUBLISH to a topic name.
    Publish,
    /// SUBSCRIBE to a topic filter.
    Subscribe,
}

/// The decision of [`authorize`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Access {
    /// Allowed. For a publish, the parsed topic (an `ack` alias is normalised to `down/ack`).
    /// For a subscribe, the gateway's own `down` topic: the server subscribes the client to
    /// exactly this topic, whatever filter it asked for.
    Allow(Topic),
    /// Denied; the MQTT server answers with "not authorized" (SUBACK failure code `0x80`, or
    /// drops the PUBLISH).
    Deny(DenyReason),
}

impl Access {
    /// The allowed topic, or `None` when denied.
    pub fn allowed(&self) -> Option<&Topic> {
        match self {
            Self::Allow(topic) => Some(topic),
            Self::Deny(_) => None,
        }
    }
}

/// Why [`authorize`] denied an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DenyReason {
    /// The published topic name breaks MQTT's rules (empty, wildcards, NUL, too long).
    #[error("invalid topic name: {0}")]
    InvalidTopicName(FilterError),
    /// The subscribed filter breaks MQTT's rules.
    #[error("invalid topic filter: {0}")]
    InvalidFilter(FilterError),
    /// The published topic is not one of the v3 gateway topics.
    #[error("not a gateway topic: {0}")]
    NotAGatewayTopic(TopicError),
    /// The topic belongs to another gateway.
    #[error("topic `{topic}` belongs to gateway `{}`, not to `{authenticated}`", topic.uid)]
    OtherGateway {
        /// The topic that was asked for.
        topic: Topic,
        /// The gateway that is connected.
        authenticated: GatewayUid,
    },
    /// Gateways do not publish to their `down` topic; only the server does.
    #[error("topic `{0}` is written by the server only")]
    ServerOnlyTopic(Topic),
    /// The filter does not match the gateway's own `down` topic, the only one it may read.
    #[error("filter `{filter}` does not match the gateway's downlink topic `{downlink}`")]
    FilterMissesDownlink {
        /// The filter that was asked for.
        filter: String,
        /// The gateway's own downlink topic.
        downlink: Topic,
    },
}

/// Decides whether the gateway authenticated as `uid` may perform `action` on `topic_or_filter`.
///
/// The rules (the same as The Things Stack's, written down as a table in the crate tests):
///
/// * **Publish** is allowed only to the gateway's own `v3/{uid}/up`, `v3/{uid}/status` and
///   `v3/{uid}/down/ack` (or its alias `v3/{uid}/ack`). The uid must be equal, including the
///   tenant: `gw@tenant` may not publish to `v3/gw/up` and `gw` may not publish to
///   `v3/gw@tenant/up`.
/// * **Subscribe** is allowed to any valid filter that matches the gateway's own
///   `v3/{uid}/down` (for example `v3/{uid}/down`, `v3/{uid}/#`, `v3/+/down`, `+/+/down`, `#`),
///   and the subscription is narrowed to exactly `v3/{uid}/down`. A wide filter such as `#` or
///   `v3/+/down` could match other gateways' topics, but after narrowing the gateway only ever
///   receives its own downlinks, so it is allowed rather than rejected: this is what The Things
///   Stack does and what simple clients that subscribe to `v3/{uid}/#` rely on. Filters that do
///   not match the own `down` topic (another gateway's `down`, the own `up`, `v3/{uid}/down/ack`,
///   `$SYS/#`, ...) are denied.
pub fn authorize(uid: &GatewayUid, action: Action, topic_or_filter: &str) -> Access {
    match action {
        Action::Publish => authorize_publish(uid, topic_or_filter),
        Action::Subscribe => authorize_subscribe(uid, topic_or_filter),
    }
}

fn authorize_publish(uid: &GatewayUid, name: &str) -> Access {
    if let Err(e) = validate_topic_name(name) {
        return Access::Deny(DenyReason::InvalidTopicName(e));
    }
    let topic = match Topic::parse(name) {
        Ok(topic) => topic,
        Err(e) => return Access::Deny(DenyReason::NotAGatewayTopic(e)),
    };
    if &topic.uid != uid {
        return Access::Deny(DenyReason::OtherGateway {
            topic,
            authenticated: uid.clone(),
        });
    }
    if topic.kind == TopicKind::Down {
        return Access::Deny(DenyReason::ServerOnlyTopic(topic));
    }
    Access::Allow(topic)
}

fn authorize_subscribe(uid: &GatewayUid, filter: &str) -> Access {
    if let Err(e) = validate_filter(filter) {
        return Access::Deny(DenyReason::InvalidFilter(e));
    }
    let downlink = Topic::down(uid.clone());
    if filter_matches(filter, &downlink.to_string()) {
        Access::Allow(downlink)
    } else {
        Access::Deny(DenyReason::FilterMissesDownlink {
            filter: filter.into(),
            downlink,
        })
    }
}
