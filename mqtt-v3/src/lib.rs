//! Sans-IO The Things Stack MQTT v3 gateway protocol: topics, access rules and ttnpb payload codec.
//!
//! The package is `loragw-mqtt-v3`; in code the crate is `loragw_mqtt_v3`: hyphens become
//! underscores, as for every `loragw-*` package (`cargo add loragw-mqtt-v3`, then
//! `use loragw_mqtt_v3::...`).
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
//! ([`authorize`]), the credentials convention ([`Credentials`]), the payload codec
//! ([`codec`]) and the downlink correlation ([`DownlinkTokens`]). It does no IO, reads no clock
//! and contains no MQTT packet codec; the embedding server or client (for example
//! `gateway-io`) does those and calls in here for every CONNECT, SUBSCRIBE and PUBLISH.
//!
//! # Server side, one connection
//!
//! The broker glue calls these in the order MQTT packets arrive; nothing here blocks or keeps
//! time, so there is nothing to poll:
//!
//! ```no_run
//! use loragw_mqtt_v3::codec::{self, UpstreamMessage};
//! use loragw_mqtt_v3::ttnpb::DownlinkMessage;
//! use loragw_mqtt_v3::{Access, Action, Credentials, DownlinkTokens, authorize, gateway_down};
//!
//! # fn check_api_key(_: &loragw_mqtt_v3::GatewayUid, _: &str) -> bool { true }
//! # fn next_packet() -> Option<(bool, String, Vec<u8>)> { None }
//! # fn send_publish(_: &str, _: &[u8]) {}
//! # fn next_downlink() -> Option<DownlinkMessage> { None }
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // CONNECT: username = gateway uid, password = API key.
//! let credentials = Credentials::from_connect(Some("gateway-id"), Some(b"NNSXS.KEY"))?;
//! let uid = credentials.uid()?;
//! if !check_api_key(&uid, credentials.api_key()) {
//!     return Ok(()); // CONNACK "not authorized"
//! }
//! // Downlinks in flight; the first token comes from a configured seed.
//! let mut tokens: DownlinkTokens<DownlinkMessage> = DownlinkTokens::new(16, 0);
//! let mut buf = Vec::new();
//!
//! while let Some((is_subscribe, topic, payload)) = next_packet() {
//!     let action = if is_subscribe { Action::Subscribe } else { Action::Publish };
//!     let topic = match authorize(&uid, action, &topic) {
//!         Access::Allow(topic) => topic, // SUBSCRIBE: subscribe to exactly this topic
//!         Access::Deny(_reason) => continue, // SUBACK 0x80 / drop the PUBLISH
//!     };
//!     if is_subscribe {
//!         continue;
//!     }
//!     // A bad payload is dropped; the connection stays up.
//!     match codec::decode_upstream(topic.kind, &payload) {
//!         Ok(UpstreamMessage::Uplink(_up)) => { /* hand to the network server */ }
//!         Ok(UpstreamMessage::Status(_status)) => { /* update the gateway status */ }
//!         Ok(UpstreamMessage::TxAck(ack)) => {
//!             if let Some((_token, _downlink)) = tokens.take_for_ack(&ack) {
//!                 // report the acknowledgement of `_downlink`
//!             }
//!         }
//!         Ok(_) | Err(_) => {}
//!     }
//!     // A downlink for this gateway: tag it, remember it, publish it with QoS 0.
//!     if let Some(mut downlink) = next_downlink() {
//!         let remembered = downlink.clone();
//!         tokens.insert_downlink(&mut downlink, remembered);
//!         buf.clear();
//!         codec::encode_down(&gateway_down(downlink), &mut buf);
//!         send_publish(&loragw_mqtt_v3::Topic::down(uid.clone()).to_string(), &buf);
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Decisions
//!
//! * Gateway and tenant ids follow The Things Stack's rule (see [`validate_id`]); topics with
//!   an invalid uid are rejected, not just topics of the wrong shape.
//! * `v3/{uid}/ack` is accepted as an alias of `v3/{uid}/down/ack` on publish, because one
//!   table of The Things Stack's documentation names it so; only `down/ack` is ever written.
//! * A subscription filter that matches the gateway's own `down` topic is narrowed to exactly
//!   that topic, even when it could also match other gateways' topics (`#`, `v3/+/down`); see
//!   [`authorize`].
//! * Payloads are bounded to [`codec::MAX_PAYLOAD_LEN`] bytes before decoding.
//! * Every number a gateway publishes is range-checked when decoded ([`validate`]): an uplink
//!   with a NaN, an invalid timestamp or a frequency of 10 GHz is refused, a status loses its
//!   non-finite metrics, locations off the globe are dropped.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod access;
pub mod codec;
mod credentials;
pub mod filter;
mod id;
mod limits;
mod tokens;
mod topic;
pub mod validate;

pub use access::{Access, Action, DenyReason, GatewayTopic, authorize, authorize_topic};
pub use credentials::{Credentials, CredentialsError};
pub use id::{GatewayUid, IdError, MAX_ID_LEN, validate_id};
pub use tokens::{
    CORRELATION_ID_PREFIX, DEFAULT_TOKENS_CAPACITY, DownlinkTokens, MAX_TOKENS_CAPACITY,
    find_token, format_correlation_id, gateway_down, parse_correlation_id, tx_ack_for,
};
pub use topic::{TOPIC_PREFIX, Topic, TopicError, TopicKind};

/// The ttn.lorawan.v3 messages this crate encodes and decodes, re-exported.
pub use loragw_ttnpb as ttnpb;
