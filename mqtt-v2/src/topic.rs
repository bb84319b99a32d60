//! The v2 topic grammar: `connect`, `disconnect`, `{uid}/up`, `{uid}/status`, `{uid}/down`.

use std::fmt;

use loragw_mqtt_v3::{GatewayUid, IdError};

/// A parsed v2 gateway topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// `connect`: gateway → server birth message; accepted and ignored.
    Connect,
    /// `disconnect`: gateway → server last-will message; accepted and ignored.
    Disconnect,
    /// `{uid}/up`: gateway → server, one v2 [`UplinkMessage`](crate::pb::UplinkMessage).
    Up(GatewayUid),
    /// `{uid}/status`: gateway → server, one v2 [`StatusMessage`](crate::pb::StatusMessage).
    Status(GatewayUid),
    /// `{uid}/down`: server → gateway, one v2 [`DownlinkMessage`](crate::pb::DownlinkMessage).
    Down(GatewayUid),
}

/// Why a string is not a v2 gateway topic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TopicError {
    /// Neither `connect`, `disconnect` nor `{uid}/{kind}`.
    #[error("topic `{topic}` is not connect, disconnect or {{gateway-uid}}/up|status|down")]
    Unknown {
        /// The rejected topic.
        topic: String,
    },
    /// The first level is not a valid gateway uid.
    #[error("topic `{topic}`: invalid gateway uid: {source}")]
    BadUid {
        /// The rejected topic.
        topic: String,
        /// What is wrong with the uid.
        source: IdError,
    },
}

impl Topic {
    /// Parses a topic name.
    pub fn parse(topic: &str) -> Result<Self, TopicError> {
        match topic {
            "connect" => return Ok(Self::Connect),
            "disconnect" => return Ok(Self::Disconnect),
            _ => {}
        }
        let unknown = || TopicError::Unknown {
            topic: topic.into(),
        };
        let (uid, kind) = topic.split_once('/').ok_or_else(unknown)?;
        let make: fn(GatewayUid) -> Self = match kind {
            "up" => Self::Up,
            "status" => Self::Status,
            "down" => Self::Down,
            _ => return Err(unknown()),
        };
        let uid = GatewayUid::parse(uid).map_err(|source| TopicError::BadUid {
            topic: topic.into(),
            source,
        })?;
        Ok(make(uid))
    }

    /// The gateway the topic belongs to; `None` for `connect` and `disconnect`.
    pub fn uid(&self) -> Option<&GatewayUid> {
        match self {
            Self::Connect | Self::Disconnect => None,
            Self::Up(uid) | Self::Status(uid) | Self::Down(uid) => Some(uid),
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect => f.write_str("connect"),
            Self::Disconnect => f.write_str("disconnect"),
            Self::Up(uid) => write!(f, "{uid}/up"),
            Self::Status(uid) => write!(f, "{uid}/status"),
            Self::Down(uid) => write!(f, "{uid}/down"),
        }
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

    #[test]
    fn valid_topics_both_tenancy_forms() {
        let single = GatewayUid::parse("gateway-id").unwrap();
        let multi = GatewayUid::parse("gateway-id@tenant-id").unwrap();
        let cases = [
            ("connect", Topic::Connect),
            ("disconnect", Topic::Disconnect),
            ("gateway-id/up", Topic::Up(single.clone())),
            ("gateway-id/status", Topic::Status(single.clone())),
            ("gateway-id/down", Topic::Down(single)),
            ("gateway-id@tenant-id/up", Topic::Up(multi.clone())),
            ("gateway-id@tenant-id/status", Topic::Status(multi.clone())),
            ("gateway-id@tenant-id/down", Topic::Down(multi)),
        ];
        for (text, topic) in cases {
            assert_eq!(Topic::parse(text), Ok(topic.clone()), "{text}");
            assert_eq!(topic.to_string(), text);
        }
    }

    #[test]
    fn invalid_topics() {
        for t in [
            "",
            "Connect",
            "connect/",
            "gateway-id",
            "gateway-id/",
            "gateway-id/uplink",
            "gateway-id/down/ack",
            "gateway-id/up/",
            "v3/gateway-id/up",
            "/up",
        ] {
            assert!(
                matches!(
                    Topic::parse(t),
                    Err(TopicError::Unknown { .. }) | Err(TopicError::BadUid { .. })
                ),
                "{t}"
            );
        }
        for t in [
            "gw/up",
            "+/up",
            "#/down",
            "Gateway-Id/status",
            "gateway-id@/up",
            "a@b@c/up",
        ] {
            assert!(
                matches!(Topic::parse(t), Err(TopicError::BadUid { .. })),
                "{t}"
            );
        }
    }
}
