//! Sans-IO The Things Stack MQTT v3 gateway protocol: topics, access rules and ttnpb payload codec.
//!
//! A gateway (or a bridge acting for one) connects to the Gateway Server's MQTT broker with
//! [`Credentials`] (username = gateway uid, password = API key) and then:
//!
//! ```text
//! gateway                                   server
//!   | PUBLISH v3/{uid}/up        UplinkMessage  ->|
//!   | PUBLISH v3/{uid}/status    GatewayStatus  ->|
//!   | SUBSCRIBE v3/{uid}/down                   ->|
//!   |<- PUBLISH v3/{uid}/down     GatewayDown     |  (correlation id gs:down:token:<n>)
//!   | PUBLISH v3/{uid}/down/ack  TxAcknowledgment->|  (echoes the correlation ids)
//! ```
//!
//! This crate owns the parts of that exchange that are not MQTT itself: the topic grammar
//! ([`Topic`], [`GatewayUid`]), MQTT filter matching ([`filter`]), the access rules
//! ([`authorize`]) and the credentials convention ([`Credentials`]). It does no IO, reads no
//! clock and contains no MQTT packet codec; the embedding server or client (for example
//! `gateway-io`) does those.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod access;
pub mod codec;
mod credentials;
pub mod filter;
mod id;
mod tokens;
mod topic;

pub use access::{Access, Action, DenyReason, authorize};
pub use credentials::{Credentials, CredentialsError};
pub use id::{GatewayUid, IdError, MAX_ID_LEN, validate_id};
pub use tokens::{
    CORRELATION_ID_PREFIX, DEFAULT_TOKENS_CAPACITY, DownlinkTokens, MAX_TOKENS_CAPACITY,
    find_token, format_correlation_id, gateway_down, parse_correlation_id, tx_ack_for,
};
pub use topic::{TOPIC_PREFIX, Topic, TopicError, TopicKind};

/// The ttn.lorawan.v3 messages this crate encodes and decodes, re-exported.
pub use loragw_ttnpb as ttnpb;
