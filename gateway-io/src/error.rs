//! Errors of the adapters and of the frontend set.

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
    /// The protocol machine refused the command (queue full, no downlink path, ...).
    #[error("gateway `{gateway}`: {reason}")]
    Rejected {
        /// The gateway id.
        gateway: String,
        /// Why.
        reason: String,
    },
}
