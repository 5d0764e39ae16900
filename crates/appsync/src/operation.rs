//! Requests and responses: the GraphQL operation sent and what comes back.

use std::time::Duration;

use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::auth::Auth;
use crate::error::{Error, GraphQLError};

/// A GraphQL operation to send, with its per-request options.
///
/// ```
/// use appsync::Request;
/// let request = Request::new("mutation Add($title: String!) { addPost(title: $title) { id } }")
///     .variables(serde_json::json!({ "title": "hello" }))
///     .operation_name("Add")
///     .header("x-trace", "abc");
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Request {
    pub(crate) query: String,
    pub(crate) variables: Result<serde_json::Value, std::sync::Arc<serde_json::Error>>,
    pub(crate) operation_name: Option<String>,
    pub(crate) headers: Result<HeaderMap, String>,
    pub(crate) auth: Option<Auth>,
    pub(crate) retry_mutation: Option<bool>,
    pub(crate) timeout: Option<Duration>,
}

impl Request {
    /// A request for `query` (a query or a mutation document).
    pub fn new(query: impl Into<String>) -> Self {
        Self {
            query: query.into(),
            variables: Ok(serde_json::Value::Null),
            operation_name: None,
            headers: Ok(HeaderMap::new()),
            auth: None,
            retry_mutation: None,
            timeout: None,
        }
    }

    /// A request from any serializable GraphQL request body, `{"query", "variables",
    /// "operationName"}`: what `cynic`'s `Operation`, `graphql_client`'s `QueryBody` and most
    /// GraphQL libraries' request types serialize to.
    ///
    /// ```
    /// #[derive(serde::Serialize)]
    /// struct Operation {
    ///     query: String,
    ///     variables: serde_json::Value,
    ///     #[serde(rename = "operationName")]
    ///     operation_name: Option<String>,
    /// }
    /// let op = Operation {
    ///     query: "query Q($id: ID!) { getPost(id: $id) { id } }".into(),
    ///     variables: serde_json::json!({ "id": "1" }),
    ///     operation_name: Some("Q".into()),
    /// };
    /// let request = appsync::Request::from_body(&op)?;
    /// assert_eq!(request.resolved_operation_name(), Some("Q"));
    /// # Ok::<(), appsync::Error>(())
    /// ```
    ///
    /// # Errors
    /// A body that does not serialize to an object with a `query` string.
    pub fn from_body(body: impl Serialize) -> Result<Self, Error> {
        let serde_json::Value::Object(mut map) = serde_json::to_value(body).map_err(Error::encode)? else {
            return Err(Error::config(
                "body",
                "must serialize to a JSON object {query, variables, operationName}",
            ));
        };
        let Some(serde_json::Value::String(query)) = map.remove("query") else {
            return Err(Error::config("body", "has no `query` string"));
        };
        let mut request = Self::new(query);
        request.variables = Ok(map.remove("variables").unwrap_or(serde_json::Value::Null));
        match map.remove("operationName") {
            Some(serde_json::Value::String(name)) => request.operation_name = Some(name),
            None | Some(serde_json::Value::Null) => {}
            Some(_) => return Err(Error::config("body", "`operationName` must be a string or null")),
        }
        Ok(request)
    }

    /// The variables, as anything serde can serialize to a JSON object. `()` means none.
    /// A serialization failure is reported when the request is executed.
    pub fn variables(mut self, variables: impl Serialize) -> Self {
        self.variables = serde_json::to_value(variables).map_err(std::sync::Arc::new);
        self
    }

    /// Which operation of a multi-operation document to run.
    pub fn operation_name(mut self, name: impl Into<String>) -> Self {
        self.operation_name = Some(name.into());
        self
    }

    /// Adds a header to this request (after the client's own extra headers). An invalid name or
    /// value is reported when the request is executed.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        append_header(&mut self.headers, name, value);
        self
    }

    /// Uses this auth mode for this request instead of the client's default.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Whether this operation may be retried after it may have reached the server (throttling,
    /// 5xx, a dropped connection). Queries are by default; mutations are not, unless the
    /// mutation is idempotent and you say so here (or client-wide with
    /// [`RetryPolicy::retry_mutations`](crate::RetryPolicy::retry_mutations)).
    pub fn retry_mutation(mut self, retry: bool) -> Self {
        self.retry_mutation = Some(retry);
        self
    }

    /// A timeout for this request (each attempt), instead of the client's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The operation name: the one set, else the name of the document's only operation.
    pub fn resolved_operation_name(&self) -> Option<&str> {
        resolved_operation_name(&self.query, self.operation_name.as_deref())
    }

    /// Whether the operation that will run is a mutation (or a subscription, which must not be
    /// replayed either). Unclear documents count as mutations: retrying safely is the default.
    #[cfg(test)]
    pub(crate) fn is_mutation(&self) -> bool {
        is_mutation(&self.query, self.operation_name.as_deref())
    }
}

/// The operation name of `query`: `operation_name` if set, else the name of the document's only
/// operation.
pub(crate) fn resolved_operation_name<'a>(
    query: &'a str,
    operation_name: Option<&'a str>,
) -> Option<&'a str> {
    operation_name.or_else(|| {
        let ops = operations(query);
        match ops.as_slice() {
            [(_, name)] => *name,
            _ => None,
        }
    })
}

/// Whether the operation of `query` that will run (`operation_name`, else the only one) is a
/// mutation or a subscription. Unclear documents count as mutations: retrying safely is the
/// default.
pub(crate) fn is_mutation(query: &str, operation_name: Option<&str>) -> bool {
    let ops = operations(query);
    let selected = match operation_name {
        Some(name) => ops.iter().find(|(_, n)| *n == Some(name)),
        None if ops.len() == 1 => ops.first(),
        None => None,
    };
    match selected {
        Some((kind, _)) => *kind != OperationKind::Query,
        None => ops.iter().any(|(k, _)| *k != OperationKind::Query) || ops.is_empty(),
    }
}

impl From<&str> for Request {
    fn from(query: &str) -> Self {
        Self::new(query)
    }
}

impl From<String> for Request {
    fn from(query: String) -> Self {
        Self::new(query)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OperationKind {
    Query,
    Mutation,
    Subscription,
}

/// The operations of a document: kind and name, from a scan of its top level that skips
/// strings, comments and selection sets. Not a parser; just enough to tell a mutation apart.
fn operations(doc: &str) -> Vec<(OperationKind, Option<&str>)> {
    let bytes = doc.as_bytes();
    let mut ops = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let mut expect_name: Option<OperationKind> = None;
    // Set once an operation's header has been counted, so its `{` does not count again.
    let mut in_header = false;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                if bytes[i..].starts_with(b"\"\"\"") {
                    i += 3;
                    while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 3;
                } else {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                continue;
            }
            b'{' => {
                if depth == 0 {
                    if let Some(kind) = expect_name.take() {
                        ops.push((kind, None));
                    } else if !in_header {
                        ops.push((OperationKind::Query, None));
                    }
                    in_header = false;
                }
                depth += 1;
            }
            b'}' => depth = depth.saturating_sub(1),
            b'(' if depth == 0 => {
                if let Some(kind) = expect_name.take() {
                    ops.push((kind, None));
                    in_header = true;
                }
            }
            _ if depth == 0 && (b.is_ascii_alphabetic() || b == b'_') => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &doc[start..i];
                if let Some(kind) = expect_name.take() {
                    ops.push((kind, Some(word)));
                    in_header = true;
                    continue;
                }
                let kind = match word {
                    "query" => Some(OperationKind::Query),
                    "mutation" => Some(OperationKind::Mutation),
                    "subscription" => Some(OperationKind::Subscription),
                    "fragment" => {
                        in_header = true;
                        None
                    }
                    _ => None,
                };
                expect_name = kind;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if let Some(kind) = expect_name {
        ops.push((kind, None));
    }
    ops
}

/// The JSON body AppSync expects, `{"query", "variables", "operationName"}`, with `variables`
/// left out when they serialize to `null` (`()` or `None`: no variables) and `operationName`
/// when there is none.
///
/// Written by hand rather than through a derived `Serialize`: the document, the longest part,
/// is copied as is when it needs no escaping (the usual case), where serde's string writer
/// would look every byte up in its escape table.
pub(crate) fn encode_body<V: Serialize + ?Sized>(
    query: &str,
    variables: &V,
    operation_name: Option<&str>,
) -> Result<bytes::Bytes, Error> {
    const VARIABLES: &[u8] = b",\"variables\":";
    // Room for the document and small variables up front, so the buffer is not copied as it
    // grows.
    let mut buf = Vec::with_capacity(query.len() + 128);
    buf.extend_from_slice(b"{\"query\":");
    write_json_string(&mut buf, query);
    let before_variables = buf.len();
    buf.extend_from_slice(VARIABLES);
    serde_json::to_writer(&mut buf, variables).map_err(Error::encode)?;
    if buf[before_variables + VARIABLES.len()..] == *b"null" {
        buf.truncate(before_variables);
    }
    if let Some(name) = operation_name {
        buf.extend_from_slice(b",\"operationName\":");
        write_json_string(&mut buf, name);
    }
    buf.push(b'}');
    Ok(bytes::Bytes::from(buf))
}

/// `s` as a JSON string, byte for byte what serde_json writes: only quotes, backslashes and
/// control characters are escaped.
fn write_json_string(buf: &mut Vec<u8>, s: &str) {
    // A fold without early exit, so the check runs over whole vectors of bytes.
    let needs_escape = s.bytes().fold(false, |bad, b| bad | (b < 0x20) | (b == b'"') | (b == b'\\'));
    if !needs_escape {
        buf.reserve(s.len() + 2);
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    } else {
        // Writing a string into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *buf, s);
    }
}

/// A GraphQL response: `data` decoded as `T`, plus any `errors` and `extensions`.
///
/// A response can carry both data and errors (one field failed, the others resolved): both are
/// kept. [`into_result`](Self::into_result) turns any error into an `Err`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Response<T> {
    /// The data, absent or null when the operation failed as a whole.
    #[serde(default = "none")]
    pub data: Option<T>,
    /// The GraphQL errors (empty when there were none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<GraphQLError>,
    /// The response's `extensions`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<serde_json::Map<String, serde_json::Value>>,
}

fn none<T>() -> Option<T> {
    None
}

impl<T> Response<T> {
    /// The data if there were no errors; otherwise an [`Error`] whose
    /// [`graphql_errors`](Error::graphql_errors) are the response's errors.
    ///
    /// # Errors
    /// Any GraphQL error, or a response without data.
    pub fn into_result(self) -> Result<T, Error> {
        if !self.errors.is_empty() {
            return Err(Error::graphql(self.errors));
        }
        self.data.ok_or_else(|| Error::decode_message("the response has neither data nor errors"))
    }

    /// Whether there were GraphQL errors.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Appends a header to a list being built, or records the first invalid name (with its value
/// left out: it may be a secret) for the builder to report later.
/// `content-type` and `accept` for a GraphQL POST, replacing any the caller set.
pub(crate) fn insert_json_headers(headers: &mut HeaderMap) {
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
}

pub(crate) fn append_header(headers: &mut Result<HeaderMap, String>, name: &str, value: &str) {
    if let Ok(list) = headers {
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(n), Ok(v)) => {
                list.append(n, v);
            }
            _ => *headers = Err(name.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_mutations_apart() {
        let q = |s: &str| Request::new(s).is_mutation();
        assert!(!q("{ a }"));
        assert!(!q("query Q { a }"));
        assert!(!q("query Q($x: String = \"mutation\") { a(x: $x) }  # mutation"));
        assert!(q("mutation { a }"));
        assert!(q("mutation M($x: Int) { a(x: $x) { b } }"));
        assert!(q("subscription S { a }"));
        assert!(!q("fragment F on T { a } query Q { ...F }"));
        assert!(q(""));
        let doc = "query Q { a } mutation M { b }";
        assert!(!Request::new(doc).operation_name("Q").is_mutation());
        assert!(Request::new(doc).operation_name("M").is_mutation());
        assert!(Request::new(doc).is_mutation());
        assert_eq!(Request::new("query ListPosts { a }").resolved_operation_name(), Some("ListPosts"));
        assert_eq!(Request::new(doc).resolved_operation_name(), None);
    }

    /// The hand-written body is byte for byte what a derived `Serialize` of the same fields
    /// writes, escapes and all, with null variables and a missing operation name left out.
    #[test]
    fn bodies_match_serde_json() {
        #[derive(Serialize)]
        struct Derived<'a> {
            query: &'a str,
            #[serde(skip_serializing_if = "serde_json::Value::is_null")]
            variables: &'a serde_json::Value,
            #[serde(rename = "operationName", skip_serializing_if = "Option::is_none")]
            operation_name: Option<&'a str>,
        }
        let vars = serde_json::json!({ "limit": 10, "author": "a\"b" });
        let null = serde_json::Value::Null;
        for query in [
            "query Q { a }",
            "query Q($s: String = \"x\") { a(s: $s) }",
            "{ a }\n# comment\twith tab\r\n",
            "query { a(s: \"back\\\\slash \u{1}\u{7f} é 😀\") }",
            "",
        ] {
            for (variables, operation_name) in
                [(&vars, None), (&null, None), (&null, Some("Q\"1")), (&vars, Some("Q"))]
            {
                let ours = encode_body(query, variables, operation_name).expect("encodes");
                let derived =
                    serde_json::to_vec(&Derived { query, variables, operation_name }).expect("encodes");
                assert_eq!(ours.as_ref(), derived.as_slice(), "{query:?}");
            }
        }
        assert_eq!(encode_body("{ a }", &(), None).expect("encodes").as_ref(), br#"{"query":"{ a }"}"#);
        let failing = std::collections::HashMap::from([(vec![1u8], 1)]);
        assert!(encode_body("{ a }", &failing, None).expect_err("map keys must be strings").is_encode());
    }
}
