//! Conversions between `serde_json` values (what resolvers, events and callers see) and
//! apollo-compiler's response JSON (`serde_json_bytes`, what execution reads and writes), and
//! strings as JSON literals.

use apollo_compiler::response::JsonValue as BValue;
use serde_json::Value;

/// `text` as a JSON string literal (quoted and escaped), as the real-time endpoints write ids
/// and Events payloads into the messages they assemble.
pub(crate) fn string_literal(text: &str) -> String {
    // Serializing a string cannot fail; the fallback only keeps this panic-free.
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// A `serde_json` value as apollo-compiler's response JSON (`serde_json_bytes`), for handing
/// variables, arguments and resolver results to execution.
pub(crate) fn to_apollo(v: &Value) -> BValue {
    match v {
        Value::Null => BValue::Null,
        Value::Bool(b) => BValue::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                BValue::from(i)
            } else if let Some(u) = n.as_u64() {
                BValue::from(u)
            } else {
                BValue::from(n.as_f64().unwrap_or(0.0))
            }
        }
        Value::String(s) => BValue::from(s.as_str()),
        Value::Array(a) => BValue::Array(a.iter().map(to_apollo).collect()),
        Value::Object(o) => {
            BValue::Object(o.iter().map(|(k, v)| (k.as_str().into(), to_apollo(v))).collect())
        }
    }
}

/// apollo-compiler's response JSON as a `serde_json` value, for resolvers, events and callers.
pub(crate) fn from_apollo(v: &BValue) -> Value {
    match v {
        BValue::Null => Value::Null,
        BValue::Bool(b) => Value::Bool(*b),
        BValue::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                serde_json::Number::from_f64(n.as_f64().unwrap_or(0.0)).map_or(Value::Null, Value::Number)
            }
        }
        BValue::String(s) => Value::String(s.as_str().to_owned()),
        BValue::Array(a) => Value::Array(a.iter().map(from_apollo).collect()),
        BValue::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.as_str().to_owned(), from_apollo(v))).collect())
        }
    }
}
