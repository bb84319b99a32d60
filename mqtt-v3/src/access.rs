//! Which topics a connected gateway may publish to and subscribe to.

use std::fmt;

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

/// A gateway topic grammar the access rules apply to: v3's [`Topic`] here, v2's in
/// `loragw-mqtt-v2`, so both protocols share one implementation of [`authorize_topic`].
pub trait GatewayTopic: Sized + Clone + Eq + fmt::Debug + fmt::Display {
    /// Why a topic name is not one of the grammar's topics.
    type ParseError: Clone + Eq + fmt::Debug + fmt::Display;

    /// Parses a topic name.
    fn parse_topic(name: &str) -> Result<Self, Self::ParseError>;

    /// The gateway the topic belongs to; `None` for a topic every gateway may publish to
    /// (v2's `connect` and `disconnect`).
    fn owner(&self) -> Option<&GatewayUid>;

    /// Whether only the server writes the topic (a gateway's `down`).
    fn is_server_only(&self) -> bool;

    /// The gateway's own downlink topic, the only one it may read.
    fn downlink(uid: &GatewayUid) -> Self;
}

impl GatewayTopic for Topic {
    type ParseError = TopicError;

    fn parse_topic(name: &str) -> Result<Self, TopicError> {
        Topic::parse(name)
    }

    fn owner(&self) -> Option<&GatewayUid> {
        Some(&self.uid)
    }

    fn is_server_only(&self) -> bool {
        self.kind == TopicKind::Down
    }

    fn downlink(uid: &GatewayUid) -> Self {
        Topic::down(uid.clone())
    }
}

/// The decision of [`authorize`] (and of [`authorize_topic`] for another grammar `T`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Access<T: GatewayTopic = Topic> {
    /// Allowed. For a publish, the parsed topic (an `ack` alias is normalised to `down/ack`).
    /// For a subscribe, the gateway's own `down` topic: the server subscribes the client to
    /// exactly this topic, whatever filter it asked for.
    Allow(T),
    /// Denied; the MQTT server answers with "not authorized" (SUBACK failure code `0x80`, or
    /// drops the PUBLISH).
    Deny(DenyReason<T>),
}

impl<T: GatewayTopic> Access<T> {
    /// The allowed topic, or `None` when denied.
    pub fn allowed(&self) -> Option<&T> {
        match self {
            Self::Allow(topic) => Some(topic),
            Self::Deny(_) => None,
        }
    }
}

/// Why [`authorize`] (or [`authorize_topic`]) denied an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DenyReason<T: GatewayTopic = Topic> {
    /// The published topic name breaks MQTT's rules (empty, wildcards, NUL, too long).
    #[error("invalid topic name: {0}")]
    InvalidTopicName(FilterError),
    /// The subscribed filter breaks MQTT's rules.
    #[error("invalid topic filter: {0}")]
    InvalidFilter(FilterError),
    /// The published topic is not one of the gateway topics of the grammar.
    #[error("not a gateway topic: {0}")]
    NotAGatewayTopic(T::ParseError),
    /// The topic belongs to another gateway.
    #[error(
        "topic `{topic}` belongs to gateway `{}`, not to `{authenticated}`",
        OwnerOf(topic)
    )]
    OtherGateway {
        /// The topic that was asked for.
        topic: T,
        /// The gateway that is connected.
        authenticated: GatewayUid,
    },
    /// Gateways do not publish to their `down` topic; only the server does.
    #[error("topic `{0}` is written by the server only")]
    ServerOnlyTopic(T),
    /// The filter does not match the gateway's own `down` topic, the only one it may read.
    #[error("filter `{filter}` does not match the gateway's downlink topic `{downlink}`")]
    FilterMissesDownlink {
        /// The filter that was asked for.
        filter: String,
        /// The gateway's own downlink topic.
        downlink: T,
    },
}

/// Prints a topic's owner, for [`DenyReason::OtherGateway`].
struct OwnerOf<'a, T>(&'a T);

impl<T: GatewayTopic> fmt::Display for OwnerOf<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.owner() {
            Some(uid) => write!(f, "{uid}"),
            None => f.write_str("no gateway"),
        }
    }
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
    authorize_topic(uid, action, topic_or_filter)
}

/// The access rules of [`authorize`] for any gateway topic grammar `T`: publish only to a
/// topic `T` parses, that is not server-only and that belongs to `uid` (or to no gateway);
/// subscribe to any valid filter matching `uid`'s downlink topic, narrowed to it.
pub fn authorize_topic<T: GatewayTopic>(
    uid: &GatewayUid,
    action: Action,
    topic_or_filter: &str,
) -> Access<T> {
    match action {
        Action::Publish => authorize_publish(uid, topic_or_filter),
        Action::Subscribe => authorize_subscribe(uid, topic_or_filter),
    }
}

fn authorize_publish<T: GatewayTopic>(uid: &GatewayUid, name: &str) -> Access<T> {
    if let Err(e) = validate_topic_name(name) {
        return Access::Deny(DenyReason::InvalidTopicName(e));
    }
    let topic = match T::parse_topic(name) {
        Ok(topic) => topic,
        Err(e) => return Access::Deny(DenyReason::NotAGatewayTopic(e)),
    };
    match topic.owner() {
        None => return Access::Allow(topic),
        Some(owner) if owner != uid => {
            return Access::Deny(DenyReason::OtherGateway {
                topic,
                authenticated: uid.clone(),
            });
        }
        Some(_) => {}
    }
    if topic.is_server_only() {
        return Access::Deny(DenyReason::ServerOnlyTopic(topic));
    }
    Access::Allow(topic)
}

fn authorize_subscribe<T: GatewayTopic>(uid: &GatewayUid, filter: &str) -> Access<T> {
    if let Err(e) = validate_filter(filter) {
        return Access::Deny(DenyReason::InvalidFilter(e));
    }
    let downlink = T::downlink(uid);
    if filter_matches(filter, &downlink.to_string()) {
        Access::Allow(downlink)
    } else {
        Access::Deny(DenyReason::FilterMissesDownlink {
            filter: filter.into(),
            downlink,
        })
    }
}
