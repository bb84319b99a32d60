//! The v3 topic grammar: `v3/{uid}/up`, `v3/{uid}/status`, `v3/{uid}/down`, `v3/{uid}/down/ack`.

use std::fmt;

use crate::id::{GatewayUid, IdError};

/// The first level of every v3 topic.
pub const TOPIC_PREFIX: &str = "v3";

/// What a v3 topic carries; the part after the gateway uid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TopicKind {
    /// `v3/{uid}/up`: gateway → server, one `ttnpb::UplinkMessage`.
    Up,
    /// `v3/{uid}/status`: gateway → server, one `ttnpb::GatewayStatus`.
    Status,
    /// `v3/{uid}/down`: server → gateway, one `ttnpb::GatewayDown`.
    Down,
    /// `v3/{uid}/down/ack`: gateway → server, one `ttnpb::TxAcknowledgment`.
    ///
    /// [`Topic::parse`] also accepts `v3/{uid}/ack`, the name used in one table of The Things
    /// Stack's documentation; [`Topic`]'s `Display` always writes `down/ack`.
    DownAck,
}

impl TopicKind {
    /// All kinds, in declaration order.
    pub const ALL: [TopicKind; 4] = [Self::Up, Self::Status, Self::Down, Self::DownAck];

    /// The topic levels after the uid: `up`, `status`, `down` or `down/ack`.
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Status => "status",
            Self::Down => "down",
            Self::DownAck => "down/ack",
        }
    }

    /// Whether a gateway publishes on this kind of topic (everything but [`TopicKind::Down`]).
    pub fn is_gateway_to_server(self) -> bool {
        !matches!(self, Self::Down)
    }
}

/// Why a string is not a v3 gateway topic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TopicError {
    /// The topic does not start with `v3/`.
    #[error("topic `{topic}` does not start with `v3/`")]
    NotV3 {
        /// The rejected topic.
        topic: String,
    },
    /// The topic has no level after the uid.
    #[error(
        "topic `{topic}` has no kind after the gateway uid (expected up, status, down or down/ack)"
    )]
    MissingKind {
        /// The rejected topic.
        topic: String,
    },
    /// The uid level is not a valid gateway uid.
    #[error("topic `{topic}`: invalid gateway uid: {source}")]
    BadUid {
        /// The rejected topic.
        topic: String,
        /// What is wrong with the uid.
        source: IdError,
    },
    /// The levels after the uid are not `up`, `status`, `down`, `down/ack` or `ack`.
    #[error("topic `{topic}`: unknown kind `{kind}` (expected up, status, down or down/ack)")]
    UnknownKind {
        /// The rejected topic.
        topic: String,
        /// The levels after the uid.
        kind: String,
    },
}

/// A parsed v3 gateway topic: whose it is and what it carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Topic {
    /// The gateway the topic belongs to.
    pub uid: GatewayUid,
    /// What the topic carries.
    pub kind: TopicKind,
}

impl Topic {
    /// A topic of `kind` for the gateway `uid`.
    pub fn new(uid: GatewayUid, kind: TopicKind) -> Self {
        Self { uid, kind }
    }

    /// `v3/{uid}/up`.
    pub fn up(uid: GatewayUid) -> Self {
        Self::new(uid, TopicKind::Up)
    }

    /// `v3/{uid}/status`.
    pub fn status(uid: GatewayUid) -> Self {
        Self::new(uid, TopicKind::Status)
    }

    /// `v3/{uid}/down`.
    pub fn down(uid: GatewayUid) -> Self {
        Self::new(uid, TopicKind::Down)
    }

    /// `v3/{uid}/down/ack`.
    pub fn down_ack(uid: GatewayUid) -> Self {
        Self::new(uid, TopicKind::DownAck)
    }

    /// Parses a topic name. Accepts `v3/{uid}/ack` as [`TopicKind::DownAck`].
    ///
    /// The uid is validated (see [`GatewayUid::parse`]), so a string with wildcards, upper case
    /// or extra levels is rejected.
    pub fn parse(topic: &str) -> Result<Self, TopicError> {
        let rest = topic
            .strip_prefix(TOPIC_PREFIX)
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(|| TopicError::NotV3 {
                topic: topic.into(),
            })?;
        let (uid, kind) = rest
            .split_once('/')
            .ok_or_else(|| TopicError::MissingKind {
                topic: topic.into(),
            })?;
        let uid = GatewayUid::parse(uid).map_err(|source| TopicError::BadUid {
            topic: topic.into(),
            source,
        })?;
        let kind = match kind {
            "up" => TopicKind::Up,
            "status" => TopicKind::Status,
            "down" => TopicKind::Down,
            "down/ack" | "ack" => TopicKind::DownAck,
            other => {
                return Err(TopicError::UnknownKind {
                    topic: topic.into(),
                    kind: other.into(),
                });
            }
        };
        Ok(Self { uid, kind })
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{TOPIC_PREFIX}/{}/{}", self.uid, self.kind.suffix())
    }
}

impl std::str::FromStr for Topic {
    type Err = TopicError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single() -> GatewayUid {
        GatewayUid::parse("gateway-id").unwrap()
    }

    fn multi() -> GatewayUid {
        GatewayUid::parse("gateway-id@tenant-id").unwrap()
    }

    #[test]
    fn valid_topics_both_tenancy_forms() {
        let cases = [
            ("v3/gateway-id/up", single(), TopicKind::Up),
            ("v3/gateway-id/status", single(), TopicKind::Status),
            ("v3/gateway-id/down", single(), TopicKind::Down),
            ("v3/gateway-id/down/ack", single(), TopicKind::DownAck),
            ("v3/gateway-id@tenant-id/up", multi(), TopicKind::Up),
            ("v3/gateway-id@tenant-id/status", multi(), TopicKind::Status),
            ("v3/gateway-id@tenant-id/down", multi(), TopicKind::Down),
            (
                "v3/gateway-id@tenant-id/down/ack",
                multi(),
                TopicKind::DownAck,
            ),
        ];
        for (text, uid, kind) in cases {
            let topic = Topic::parse(text).unwrap();
            assert_eq!(topic, Topic::new(uid, kind), "{text}");
            assert_eq!(topic.to_string(), text, "format of {text}");
        }
    }

    #[test]
    fn ack_alias_parses_but_formats_as_down_ack() {
        let topic = Topic::parse("v3/gateway-id@tenant-id/ack").unwrap();
        assert_eq!(topic, Topic::down_ack(multi()));
        assert_eq!(topic.to_string(), "v3/gateway-id@tenant-id/down/ack");
        let topic = Topic::parse("v3/gateway-id/ack").unwrap();
        assert_eq!(topic.to_string(), "v3/gateway-id/down/ack");
    }

    #[test]
    fn invalid_topics() {
        let not_v3 = [
            "",
            "v3",
            "v2/gateway-id/up",
            "V3/gateway-id/up",
            "/v3/gateway-id/up",
            "v3gateway-id/up",
        ];
        for t in not_v3 {
            assert_eq!(
                Topic::parse(t),
                Err(TopicError::NotV3 { topic: t.into() }),
                "{t}"
            );
        }
        for t in ["v3/gateway-id", "v3/#", "v3/"] {
            assert_eq!(
                Topic::parse(t),
                Err(TopicError::MissingKind { topic: t.into() }),
                "{t}"
            );
        }
        let bad_uid = [
            "v3//up",
            "v3/+/up",
            "v3/#/up",
            "v3/Gateway-Id/up",
            "v3/gw/up",
            "v3/gateway-id@/up",
            "v3/gateway-id@tn/up",
            "v3/@tenant-id/up",
            "v3/gateway-id@tenant-id@x/up",
            "v3/gateway_id/up",
            "v3/abcdefghijklmnopqrstuvwxyz0123456789a/up",
        ];
        for t in bad_uid {
            assert!(
                matches!(Topic::parse(t), Err(TopicError::BadUid { .. })),
                "{t}: {:?}",
                Topic::parse(t)
            );
        }
        let bad_kind = [
            ("v3/gateway-id/", ""),
            ("v3/gateway-id/uplink", "uplink"),
            ("v3/gateway-id/UP", "UP"),
            ("v3/gateway-id/up/", "up/"),
            ("v3/gateway-id/down/ack/x", "down/ack/x"),
            ("v3/gateway-id/down/+", "down/+"),
            ("v3/gateway-id/#", "#"),
            ("v3/gateway-id@tenant-id/connect", "connect"),
        ];
        for (t, kind) in bad_kind {
            assert_eq!(
                Topic::parse(t),
                Err(TopicError::UnknownKind {
                    topic: t.into(),
                    kind: kind.into()
                }),
                "{t}"
            );
        }
    }
}
