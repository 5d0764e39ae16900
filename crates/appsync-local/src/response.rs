//! The bodies of error responses, in AppSync's shape: request errors carry `path: null`, their
//! locations and a message, and no `errorType`.

use apollo_compiler::parser::LineColumn;
use apollo_compiler::response::{JsonMap as BMap, JsonValue as BValue};

/// `{"data":null,"errors":[{"path":null,"locations":[...],"message":...}]}`.
pub(crate) fn plain_error(message: &str, locations: Vec<LineColumn>) -> BValue {
    errors_response(vec![error_json(message, &locations)])
}

/// `{"data":null,"errors":[...]}`.
pub(crate) fn errors_response(errors: Vec<BValue>) -> BValue {
    let mut body = BMap::new();
    body.insert("data", BValue::Null);
    body.insert("errors", BValue::Array(errors));
    BValue::Object(body)
}

/// One request error: `{"path":null,"locations":[...],"message":...}`.
pub(crate) fn error_json(message: &str, locations: &[LineColumn]) -> BValue {
    let mut m = BMap::new();
    m.insert("path", BValue::Null);
    m.insert("locations", locations_json(locations));
    m.insert("message", BValue::from(message));
    BValue::Object(m)
}

/// Locations as a JSON list.
pub(crate) fn locations_json(locations: &[LineColumn]) -> BValue {
    BValue::Array(locations.iter().map(location).collect())
}

/// Locations as AppSync writes them.
fn location(lc: &LineColumn) -> BValue {
    let mut m = BMap::new();
    m.insert("line", BValue::from(lc.line as u64));
    m.insert("column", BValue::from(lc.column as u64));
    m.insert("sourceName", BValue::Null);
    BValue::Object(m)
}
