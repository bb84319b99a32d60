//! Wire-compatible [prost] messages of The Things Stack's `ttn.lorawan.v3` package: everything
//! the gateway protocols carry, plus a few thin helpers.
//!
//! # What is here
//!
//! - The messages, generated at build time from the `.proto` files shipped in this crate
//!   (`proto/ttn/lorawan/v3/*.proto`) with [protox](https://docs.rs/protox), a pure-Rust protobuf
//!   compiler: no system `protoc` is needed, here or downstream. The `.proto` files keep package
//!   `ttn.lorawan.v3` and The Things Stack's message, field and enum names, field numbers, types,
//!   `reserved` numbers and oneofs, so bytes from and to The Things Stack decode unchanged.
//!   Options and validation rules are stripped; limits that The Things Stack enforces on receive
//!   are noted in the field docs.
//!   - Gateway link: [`GatewayUp`], [`GatewayDown`], [`UplinkMessage`], [`DownlinkMessage`],
//!     [`TxAcknowledgment`], [`GatewayTxAcknowledgment`], [`GatewayUplinkMessage`],
//!     [`GatewayStatus`], [`MqttConnectionInfo`].
//!   - Radio: [`TxSettings`] (with [`tx_settings::Downlink`]), [`TxRequest`], [`DownlinkPath`],
//!     [`UplinkToken`], [`DataRate`] (oneof [`data_rate::Modulation`]) with [`LoRaDataRate`],
//!     [`FskDataRate`] and [`LrfhssDataRate`], [`RxMetadata`], [`Location`],
//!     [`PacketBrokerMetadata`], [`RelayMetadata`].
//!   - Identifiers: [`GatewayIdentifiers`], [`GatewayAntennaIdentifiers`],
//!     [`EndDeviceIdentifiers`], [`ApplicationIdentifiers`].
//!   - The parsed LoRaWAN message: [`Message`] (oneof [`message::Payload`]), [`Mhdr`],
//!     [`MacPayload`], [`Fhdr`], [`FCtrl`], [`JoinRequestPayload`], [`JoinAcceptPayload`],
//!     [`RejoinRequestPayload`], [`DlSettings`], [`CfList`].
//!   - Every enum these use, such as [`tx_acknowledgment::Result`], [`LocationSource`],
//!     [`Class`], [`RxDelay`], [`MType`].
//!
//!   Rust names follow prost's conversion of the proto names: `FSKDataRate` is
//!   [`FskDataRate`], `MHDR` is [`Mhdr`], `MQTTConnectionInfo` is [`MqttConnectionInfo`];
//!   enum values lose their enum-name prefix (`DOWNLINK_PATH_CONSTRAINT_NEVER` is
//!   [`DownlinkPathConstraint::Never`]). Enum fields are `i32` in the structs, as prost
//!   generates them (unknown values survive a round trip); use the generated getters
//!   (`result()`, `source()`) for the typed value. Maps are [`BTreeMap`](std::collections::BTreeMap)s,
//!   so encoding is deterministic (entries in key order).
//! - The well-known types (`google.protobuf.Timestamp`, `Duration`, `BoolValue`, `FloatValue`,
//!   `StringValue`, `Struct`) come from [`pbjson_types`], which is prost-compatible and carries
//!   the proto3 JSON mapping. The most used ones are re-exported here: [`Timestamp`],
//!   [`Duration`], [`BoolValue`], [`FloatValue`], [`StringValue`], [`Struct`].
//! - Helpers that remove boilerplate, with no protocol logic: data-rate constructors and
//!   accessors ([`DataRate::lora`], [`DataRate::fsk`], [`DataRate::lrfhss`]), GPS and Unix time
//!   conversions with the leap-second table ([`time`]), and an EUI-64 type ([`Eui64`]).
//!
//! [`prost`] and [`pbjson_types`] are re-exported so that downstream crates use the same
//! versions without naming them in their own manifests.
//!
//! # Example
//!
//! ```
//! use loragw_ttnpb::prost::Message as _;
//! use loragw_ttnpb::{DataRate, GatewayIdentifiers, RxMetadata, TxSettings, UplinkMessage};
//!
//! let up = UplinkMessage {
//!     raw_payload: vec![0x40, 0x01, 0x02, 0x03, 0x04],
//!     settings: Some(TxSettings {
//!         data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
//!         frequency: 868_100_000,
//!         timestamp: 368_384_825,
//!         ..Default::default()
//!     }),
//!     rx_metadata: vec![RxMetadata {
//!         gateway_ids: Some(GatewayIdentifiers {
//!             gateway_id: "my-gateway".into(),
//!             ..Default::default()
//!         }),
//!         rssi: -107.0,
//!         channel_rssi: -107.0,
//!         snr: -11.0,
//!         ..Default::default()
//!     }],
//!     ..Default::default()
//! };
//!
//! // Encode into a reusable buffer, as published on `v3/{uid}/up`.
//! let mut buf = Vec::new();
//! up.encode(&mut buf).expect("a Vec grows as needed");
//!
//! // Decode what a gateway sent; bad bytes give an error, never a panic.
//! let decoded = UplinkMessage::decode(buf.as_slice())?;
//! assert_eq!(decoded, up);
//! let lora = decoded.settings.and_then(|s| s.data_rate).and_then(|d| d.into_lora());
//! assert_eq!(lora.map(|l| l.spreading_factor), Some(7));
//! # Ok::<(), loragw_ttnpb::prost::DecodeError>(())
//! ```
//!
//! # Features
//!
//! - `serde` (off by default): [`serde::Serialize`](https://docs.rs/serde) and `Deserialize` for
//!   every message and enum, following the proto3 JSON mapping as The Things Stack prints
//!   messages: the original snake_case field names (`raw_payload`, `rx_metadata`), bytes as
//!   base64, enums by their proto value names (`"SOURCE_GPS"`, `"TOO_LATE"`), 64-bit integers as
//!   strings, timestamps as RFC 3339 strings and durations as `"1.5s"`. Parsing also accepts
//!   the lowerCamelCase names and enum numbers, as the mapping requires. [`Eui64`] serializes
//!   as 16 uppercase hex digits. The Rust types are the same with and without the feature.
//!
//! # Size limits
//!
//! Decoding is prost's: it rejects truncated and malformed input with a
//! [`DecodeError`](prost::DecodeError), and nested messages are limited to prost's recursion
//! limit of 100. prost does not bound lengths beyond the input itself, so a decoded message is
//! never larger than the bytes it came from: bound the input (for example the MQTT packet size)
//! to bound the message. The limits The Things Stack enforces (such as at most 10 `versions`)
//! are not checked here.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod data_rates;
mod eui;
pub mod time;
mod timestamp;

/// The generated messages; everything is re-exported at the crate root.
mod generated {
    include!(concat!(env!("OUT_DIR"), "/ttn.lorawan.v3.rs"));
    #[cfg(feature = "serde")]
    include!(concat!(env!("OUT_DIR"), "/ttn.lorawan.v3.serde.rs"));
}

pub use eui::{Eui64, ParseEuiError};
pub use generated::*;
pub use pbjson_types;
pub use pbjson_types::{BoolValue, Duration, FloatValue, StringValue, Struct};
pub use prost;
pub use timestamp::{ParseTimestampError, Timestamp};
