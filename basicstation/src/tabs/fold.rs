//! Case-insensitive reading of hub messages: object keys folded to lower case before serde
//! sees them, shared by the message and `router_config` decoders.

use serde_json::{Map, Value};

use crate::error::DecodeError;
use crate::message::check_input_len;

/// Lower-cases every object key (recursively), so that serde matches keys case-insensitively;
/// in `upinfo`, `rctx` becomes `rtcx` unless both are given.
pub(crate) fn fold_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut folded = Map::with_capacity(map.len());
            for (k, v) in map {
                let mut v = fold_keys(v);
                let key = k.to_ascii_lowercase();
                if key == "upinfo"
                    && let Value::Object(u) = &mut v
                    && !u.contains_key("rtcx")
                    && let Some(r) = u.remove("rctx")
                {
                    u.insert("rtcx".into(), r);
                }
                folded.insert(key, v);
            }
            Value::Object(folded)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(fold_keys).collect()),
        other => other,
    }
}

/// Parses `text` into a key-folded object and its `msgtype`.
pub(crate) fn parse_folded(text: &str) -> Result<(Value, String), DecodeError> {
    check_input_len(text)?;
    let value: Value = serde_json::from_str(text).map_err(|e| DecodeError::json("?", &e, text))?;
    let value = fold_keys(value);
    let msgtype = match value.get("msgtype") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(DecodeError::field("?", "msgtype", "not a string"));
        }
        None => return Err(DecodeError::MissingMsgtype),
    };
    Ok((value, msgtype))
}

pub(crate) fn from_folded<T: serde::de::DeserializeOwned>(
    msgtype: &'static str,
    value: Value,
) -> Result<T, DecodeError> {
    serde_json::from_value(value).map_err(|e| DecodeError::Json {
        msgtype,
        detail: e.to_string(),
    })
}
