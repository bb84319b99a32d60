//! Which topics a connected v2 gateway may publish to and subscribe to.

use loragw_mqtt_v3::filter::{FilterError, filter_matches, validate_filter, validate_topic_name};
use loragw_mqtt_v3::{Action, GatewayUid};

use crate::topic::{Topic, TopicError};

/// The decision of [`authorize`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Access {
    /// Allowed. For a publish, the parsed topic; for a subscribe, the gateway's own `down`
    /// topic, to which the server narrows whatever filter matched it.
    Allow(Topic),
    /// Denied; the MQTT server answers "not authorized".
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
    /// The published topic is not one of the v2 gateway topics.
    #[error("not a gateway topic: {0}")]
    NotAGatewayTopic(TopicError),
    /// The topic belongs to another gateway.
    #[error("topic `{topic}` belongs to another gateway than `{authenticated}`")]
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

/// Decides whether the v2 gateway authenticated as `uid` may perform `action` on
/// `topic_or_filter`; the same shape as [`loragw_mqtt_v3::authorize`].
///
/// * **Publish** is allowed to `connect`, `disconnect` (birth and last will, whose payloads the
///   server ignores) and the gateway's own `{uid}/up` and `{uid}/status`.
/// * **Subscribe** is allowed to any valid filter that matches the gateway's own `{uid}/down`
///   (`{uid}/down`, `{uid}/#`, `+/down`, `#`, ...), narrowed to exactly `{uid}/down`; a wide
///   filter is safe after narrowing. Everything else is denied.
pub fn authorize(uid: &GatewayUid, action: Action, topic_or_filter: &str) -> Access {
    match action {
        Action::Publish => {
            if let Err(e) = validate_topic_name(topic_or_filter) {
                return Access::Deny(DenyReason::InvalidTopicName(e));
            }
            let topic = match Topic::parse(topic_or_filter) {
                Ok(topic) => topic,
                Err(e) => return Access::Deny(DenyReason::NotAGatewayTopic(e)),
            };
            match &topic {
                Topic::Down(_) if topic.uid() == Some(uid) => {
                    Access::Deny(DenyReason::ServerOnlyTopic(topic))
                }
                Topic::Connect | Topic::Disconnect => Access::Allow(topic),
                _ if topic.uid() == Some(uid) => Access::Allow(topic),
                _ => Access::Deny(DenyReason::OtherGateway {
                    topic,
                    authenticated: uid.clone(),
                }),
            }
        }
        Action::Subscribe => {
            if let Err(e) = validate_filter(topic_or_filter) {
                return Access::Deny(DenyReason::InvalidFilter(e));
            }
            let downlink = Topic::Down(uid.clone());
            if filter_matches(topic_or_filter, &downlink.to_string()) {
                Access::Allow(downlink)
            } else {
                Access::Deny(DenyReason::FilterMissesDownlink {
                    filter: topic_or_filter.into(),
                    downlink,
                })
            }
        }
    }
}
