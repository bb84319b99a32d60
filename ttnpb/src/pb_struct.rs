//! `google.protobuf.Struct`, `Value`, `ListValue` and `NullValue` with the map in key order.
//!
//! The crate takes the other well-known types from `pbjson-types`, but its `Struct` holds its
//! fields in a `HashMap`, whose iteration order differs between two maps with the same content.
//! A `GatewayStatus.advanced` with two or more keys then encoded to different bytes after a
//! decode → encode → decode round trip (found by the `mqtt_v3_status` fuzz target). These
//! types are wire-identical, keep the fields in a `BTreeMap` so every encoding is
//! deterministic, and (with the `serde` feature) use the proto3 JSON mapping: a `Struct` is a
//! JSON object, a `Value` any JSON value.

use std::collections::BTreeMap;

/// A JSON-like object: `google.protobuf.Struct`, fields in key order.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Struct {
    /// The object's members.
    #[prost(btree_map = "string, message", tag = "1")]
    pub fields: BTreeMap<String, Value>,
}

/// One JSON-like value: `google.protobuf.Value`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Value {
    /// What the value holds; `None` when the sender set no kind (encoded as JSON `null`).
    #[prost(oneof = "value::Kind", tags = "1, 2, 3, 4, 5, 6")]
    pub kind: Option<value::Kind>,
}

/// The kinds of a [`Value`].
pub mod value {
    /// The oneof `kind` of `google.protobuf.Value`.
    #[derive(Clone, PartialEq, ::prost::Oneof)]
    pub enum Kind {
        /// JSON `null` (the `NullValue` enum as its number).
        #[prost(enumeration = "super::NullValue", tag = "1")]
        NullValue(i32),
        /// A number.
        #[prost(double, tag = "2")]
        NumberValue(f64),
        /// A string.
        #[prost(string, tag = "3")]
        StringValue(String),
        /// A boolean.
        #[prost(bool, tag = "4")]
        BoolValue(bool),
        /// An object.
        #[prost(message, tag = "5")]
        StructValue(super::Struct),
        /// An array.
        #[prost(message, tag = "6")]
        ListValue(super::ListValue),
    }
}

/// A JSON-like array: `google.protobuf.ListValue`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ListValue {
    /// The elements.
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<Value>,
}

/// `google.protobuf.NullValue`: the single value `NULL_VALUE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum NullValue {
    /// JSON `null`.
    NullValue = 0,
}

#[cfg(feature = "serde")]
mod json {
    use std::collections::BTreeMap;
    use std::fmt;

    use serde::de::{MapAccess, SeqAccess, Visitor};
    use serde::ser::{SerializeMap, SerializeSeq};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{ListValue, Struct, Value, value::Kind};

    impl Serialize for Struct {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(Some(self.fields.len()))?;
            for (k, v) in &self.fields {
                map.serialize_entry(k, v)?;
            }
            map.end()
        }
    }

    impl Serialize for ListValue {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(self.values.len()))?;
            for v in &self.values {
                seq.serialize_element(v)?;
            }
            seq.end()
        }
    }

    impl Serialize for Value {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match &self.kind {
                None | Some(Kind::NullValue(_)) => s.serialize_unit(),
                Some(Kind::NumberValue(n)) => s.serialize_f64(*n),
                Some(Kind::StringValue(v)) => s.serialize_str(v),
                Some(Kind::BoolValue(b)) => s.serialize_bool(*b),
                Some(Kind::StructValue(v)) => v.serialize(s),
                Some(Kind::ListValue(v)) => v.serialize(s),
            }
        }
    }

    struct ValueVisitor;

    impl<'de> Visitor<'de> for ValueVisitor {
        type Value = Value;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
            Ok(Value {
                kind: Some(Kind::NullValue(0)),
            })
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Value, E> {
            self.visit_unit()
        }
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Value, E> {
            Ok(Value {
                kind: Some(Kind::BoolValue(v)),
            })
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
            Ok(Value {
                kind: Some(Kind::NumberValue(v)),
            })
        }
        #[allow(clippy::cast_precision_loss)] // a JSON number is a double in this mapping
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
            self.visit_f64(v as f64)
        }
        #[allow(clippy::cast_precision_loss)] // a JSON number is a double in this mapping
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
            self.visit_f64(v as f64)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
            Ok(Value {
                kind: Some(Kind::StringValue(v.to_owned())),
            })
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Value, E> {
            Ok(Value {
                kind: Some(Kind::StringValue(v)),
            })
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut values = Vec::new();
            while let Some(v) = seq.next_element::<Value>()? {
                values.push(v);
            }
            Ok(Value {
                kind: Some(Kind::ListValue(ListValue { values })),
            })
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
            Ok(Value {
                kind: Some(Kind::StructValue(StructVisitor.visit_map(map)?)),
            })
        }
    }

    impl<'de> Deserialize<'de> for Value {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
            d.deserialize_any(ValueVisitor)
        }
    }

    struct StructVisitor;

    impl<'de> Visitor<'de> for StructVisitor {
        type Value = Struct;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Struct, A::Error> {
            let mut fields = BTreeMap::new();
            while let Some((k, v)) = map.next_entry::<String, Value>()? {
                fields.insert(k, v);
            }
            Ok(Struct { fields })
        }
    }

    impl<'de> Deserialize<'de> for Struct {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Struct, D::Error> {
            d.deserialize_map(StructVisitor)
        }
    }

    impl<'de> Deserialize<'de> for ListValue {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ListValue, D::Error> {
            match Value::deserialize(d)?.kind {
                Some(Kind::ListValue(l)) => Ok(l),
                _ => Err(serde::de::Error::custom("expected a JSON array")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    fn entry(key: &str) -> (String, Value) {
        (key.to_owned(), Value::default())
    }

    /// The `mqtt_v3_status` fuzz input held two keys; with a `HashMap` the two decodes could
    /// list them in different orders and so encode to different bytes.
    #[test]
    fn fields_encode_in_key_order() {
        let a = Struct {
            fields: [entry("b"), entry("a"), entry("")].into_iter().collect(),
        };
        let bytes = a.encode_to_vec();
        // Entries with default key or value omit them (prost's map encoding).
        assert_eq!(
            bytes,
            [
                0x0a, 0x00, 0x0a, 0x03, 0x0a, 0x01, b'a', 0x0a, 0x03, 0x0a, 0x01, b'b'
            ]
        );
        let again = Struct::decode(bytes.as_slice()).expect("decodes");
        assert_eq!(again, a);
        assert_eq!(again.encode_to_vec(), bytes);
    }
}
