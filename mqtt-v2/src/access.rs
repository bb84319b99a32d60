//! Which topics a connected v2 gateway may publish to and subscribe to.

use loragw_mqtt_v3::{Action, GatewayTopic, GatewayUid, authorize_topic};

use crate::topic::{Topic, TopicError};

/// The decision of [`authorize`]: v3's [`Access`](loragw_mqtt_v3::Access) over v2 topics.
/// For a publish, the parsed topic; for a subscribe, the gateway's own `down` topic, to which
/// the server narrows whatever filter matched it.
pub type Access = loragw_mqtt_v3::Access<Topic>;

/// Why [`authorize`] denied an action: v3's [`DenyReason`](loragw_mqtt_v3::DenyReason) over
/// v2 topics.
pub type DenyReason = loragw_mqtt_v3::DenyReason<Topic>;

impl GatewayTopic for Topic {
    type ParseError = TopicError;

    fn parse_topic(name: &str) -> Result<Self, TopicError> {
        Topic::parse(name)
    }

    fn owner(&self) -> Option<&GatewayUid> {
        self.uid()
    }

    fn is_server_only(&self) -> bool {
        matches!(self, Topic::Down(_))
    }

    fn downlink(uid: &GatewayUid) -> Self {
        Topic::Down(uid.clone())
    }
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
    authorize_topic(uid, action, topic_or_filter)
}
