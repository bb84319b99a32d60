//! Errors of the adapters and of the frontend set.

use loragw_ttnpb::Timestamp;

/// A message that cannot be translated between a protocol and ttnpb.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TranslateError {
    /// A field the translation needs is absent.
    #[error("{0}: missing")]
    Missing(&'static str),
    /// A field has a value the target cannot express or that is out of range.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field, as a path (`settings.data_rate`, `rxpk[0].datr`).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The protocol cannot carry this kind of message at all.
    #[error("{protocol} cannot carry {what}")]
    Unsupported {
        /// The protocol name.
        protocol: &'static str,
        /// What was asked for.
        what: &'static str,
    },
}

/// The text of [`CommandError::Unschedulable`] after the gateway id.
fn describe_unschedulable(
    protocol: &str,
    time: &loragw_ttnpb::Timestamp,
    reason: &crate::clock::ClockError,
) -> String {
    use crate::clock::{ClockError, MAX_TIMESTAMP_DISTANCE_US};
    let window_s = MAX_TIMESTAMP_DISTANCE_US / 1_000_000;
    match reason {
        ClockError::OutsideCounterWindow { distance_us } => {
            let side = if *distance_us >= 0 { "after" } else { "before" };
            format!(
                "absolute time {time} is {} s {side} the gateway's clock sync; {protocol} cannot \
                 be scheduled more than {window_s} s from it",
                distance_us.unsigned_abs() / 1_000_000
            )
        }
        other => format!("absolute time {time} cannot be scheduled on {protocol}: {other}"),
    }
}

impl TranslateError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        TranslateError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

/// A command the frontends could not carry out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The gateway is not connected to any frontend.
    #[error("gateway `{0}` is not connected")]
    NotConnected(String),
    /// The downlink cannot be expressed in the gateway's protocol.
    #[error("gateway `{gateway}`: {source}")]
    Translate {
        /// The gateway id.
        gateway: String,
        /// Why.
        source: TranslateError,
    },
    /// A downlink at an absolute time only, for a gateway that must be told a concentrator
    /// timestamp (Semtech UDP without GPS, MQTT v2), when the gateway's clock cannot turn the
    /// time into one: not synced yet, or further than ±2^31 µs (about 35.8 min) from the last
    /// sync, where the 32-bit counter would name another instant.
    #[error("gateway `{gateway}`: {}", describe_unschedulable(.protocol, .time, .reason))]
    Unschedulable {
        /// The gateway id.
        gateway: String,
        /// The gateway's protocol, as people name it ("a Semtech UDP gateway without GPS").
        protocol: &'static str,
        /// The absolute time asked for.
        time: loragw_ttnpb::Timestamp,
        /// Why the clock has no timestamp for it.
        reason: crate::clock::ClockError,
    },
    /// A `TxRequest` downlink that has no possible window on the gateway
    /// ([`schedule`](crate::reply::schedule)).
    #[error("gateway `{gateway}`: {source}")]
    Request {
        /// The gateway id.
        gateway: String,
        /// Why.
        source: ReplyError,
    },
    /// The protocol machine refused the command (queue full, no downlink path, ...).
    #[error("gateway `{gateway}`: {reason}")]
    Rejected {
        /// The gateway id.
        gateway: String,
        /// Why.
        reason: String,
    },
}

/// A downlink request that cannot be built or resolved (re-exported as
/// [`reply::ReplyError`](crate::reply::ReplyError)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// A class A request without an uplink token of the gateway in its `downlink_paths` (none
    /// given, none that decodes, or only tokens of other gateways).
    #[error("no uplink token of gateway `{gateway}` in downlink_paths")]
    NoUplinkToken {
        /// The gateway the downlink was sent to.
        gateway: String,
    },
    /// The uplink to answer carries no uplink token.
    #[error("the uplink carries no uplink token")]
    UplinkWithoutToken,
    /// A class B request without `absolute_time`.
    #[error("class B needs absolute_time")]
    MissingAbsoluteTime,
    /// `absolute_time` is in the past or too near.
    #[error("absolute_time {time} is too late: {left_ms} ms from now")]
    TooLate {
        /// The time asked for.
        time: Timestamp,
        /// Milliseconds left until it (negative: past).
        left_ms: i128,
    },
    /// No window is possible; why each was refused.
    #[error("no possible window: {}", .refused.join("; "))]
    NoWindow {
        /// One line per refused window (`RX1: too late: ...`).
        refused: Vec<String>,
    },
    /// No frequency plan is known for the gateway (registry entry and request).
    #[error("no frequency plan for gateway `{gateway}`")]
    NoPlan {
        /// The gateway.
        gateway: String,
    },
    /// The plan or the uplink does not allow building the request.
    #[error("{0}")]
    Plan(String),
}
