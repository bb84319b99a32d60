//! Wire-compatible [prost] messages of The Things Stack's `ttn.lorawan.v3` package: everything
//! the gateway protocols carry, plus a few thin helpers.
//!
//! The package is `loragw-ttnpb`; in code the crate is `loragw_ttnpb`: hyphens become
//! underscores, as for every `loragw-*` package (`cargo add loragw-ttnpb`, then
//! `use loragw_ttnpb::...`).
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
//! - The well-known types: [`Timestamp`] is this crate's own (same fields and wire format as
//!   `google.protobuf.Timestamp`, RFC 3339 text ending in `Z` as The Things Stack prints it);
//!   so is `Struct` with `Value` and `ListValue` ([`pb_struct`]: its map is a `BTreeMap`, so a
//!   `GatewayStatus.advanced` encodes deterministically); `Duration`, `BoolValue`,
//!   `FloatValue` and `StringValue` come from [`pbjson_types`] (prost-compatible, with the
//!   proto3 JSON mapping) and are re-exported here: [`Duration`], [`BoolValue`],
//!   [`FloatValue`], [`StringValue`].
//! - Helpers that remove boilerplate, with no protocol logic: data-rate constructors and
//!   accessors ([`DataRate::lora`], [`DataRate::fsk`], [`DataRate::lrfhss`],
//!   [`DataRate::as_lora`]), GPS and Unix time conversions with the leap-second table
//!   ([`time`]), an EUI-64 type ([`Eui64`], [`GatewayIdentifiers::eui64`]), and
//!   [`encode_exact`] (prost's `encode_to_vec` bytes, for fewer instructions).
//! - [`encode_uplink`] and [`encode_uplink_token`]: the same bytes again for the two messages
//!   encoded for every received frame, written by hand in about 40 % of `encode_exact`'s
//!   time.
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
//! - `serde` (off by default): `serde::Serialize` and `Deserialize` for every message and
//!   enum, following the proto3 JSON mapping as The Things Stack prints messages:
//!   - the original snake_case field names (`raw_payload`, `rx_metadata`,
//!     `settings.data_rate.lora.spreading_factor`); parsing also accepts lowerCamelCase names;
//!   - bytes as base64 (`raw_payload`, `uplink_token`), except the identifiers The Things Stack
//!     prints as uppercase hex: EUIs (`eui`, `dev_eui`, `join_eui`, `forwarder_gateway_eui`),
//!     `dev_addr`, NetIDs (`net_id`, `forwarder_net_id`, `home_network_net_id`), `dev_nonce`
//!     and `join_nonce`. These parse from hex (exactly two digits per byte of the field's
//!     length, either case) or base64; a value of the wrong length prints as base64;
//!   - enums by their proto value names (`"SOURCE_GPS"`, `"TOO_LATE"`); parsing also accepts
//!     numbers; printing an enum number this schema does not define is an error;
//!   - 64-bit integers as strings (`"frequency": "868100000"`); parsing accepts both;
//!   - timestamps as RFC 3339 (`"2017-07-04T13:51:17.997099Z"`), durations as `"1.500s"`,
//!     wrappers (`crc_status`, `signal_rssi`) as plain values, `Struct` as a JSON object;
//!   - fields this schema does not know are skipped when parsing, as in the binary decoder.
//!
//!   [`Eui64`] serializes as 16 uppercase hex digits. The Rust types are the same with and
//!   without the feature. A JSON `null` inside a `Struct` parses as
//!   `Kind::NullValue` (a `Value` without a kind prints as `null`), and parsing doubles exactly
//!   needs `serde_json`'s `float_roundtrip` feature in the application.
//!
//! # Size limits
//!
//! Decoding is prost's: it rejects truncated and malformed input with a
//! [`DecodeError`](prost::DecodeError), and nested messages are limited to prost's recursion
//! limit of 100. prost bounds counts and lengths only by the input itself, so memory use is
//! proportional to the input size (an empty nested message costs 2 bytes of input and one
//! struct of at most a few hundred bytes): bound the input, for example the MQTT packet size,
//! to bound the memory. The limits The Things Stack enforces on receive (such as at most 10
//! `versions`, or `gateway_id` syntax) are not checked here.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod back_writer;
mod data_rates;
mod encode;
mod eui;
#[cfg(feature = "serde")]
mod hex_json;
pub mod pb_struct;
pub mod time;
mod timestamp;
mod uplink_encode;

/// The generated messages; everything is re-exported at the crate root.
mod generated {
    include!(concat!(env!("OUT_DIR"), "/ttn.lorawan.v3.rs"));
    #[cfg(feature = "serde")]
    include!(concat!(env!("OUT_DIR"), "/ttn.lorawan.v3.serde.rs"));
}

pub use encode::encode_exact;
pub use eui::{Eui64, ParseEuiError};
pub use generated::*;
pub use pb_struct::{ListValue, Struct, Value};
pub use pbjson_types;
pub use pbjson_types::{BoolValue, Duration, FloatValue, StringValue};
pub use prost;
pub use timestamp::{ParseTimestampError, Timestamp};
pub use uplink_encode::{encode_uplink, encode_uplink_token};
