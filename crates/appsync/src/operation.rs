//! Requests and responses: the GraphQL operation sent and what comes back.

use std::time::Duration;

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
        self.operation_name.as_deref().or_else(|| {
            let ops = operations(&self.query);
            match ops.as_slice() {
                [(_, name)] => *name,
                _ => None,
            }
        })
    }

    /// Whether the operation that will run is a mutation (or a subscription, which must not be
    /// replayed either). Unclear documents count as mutations: retrying safely is the default.
    pub(crate) fn is_mutation(&self) -> bool {
        let ops = operations(&self.query);
        let selected = match &self.operation_name {
            Some(name) => ops.iter().find(|(_, n)| *n == Some(name.as_str())),
            None if ops.len() == 1 => ops.first(),
            None => None,
        };
        match selected {
            Some((kind, _)) => *kind != OperationKind::Query,
            None => ops.iter().any(|(k, _)| *k != OperationKind::Query) || ops.is_empty(),
        }
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

/// The JSON body AppSync expects.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Body<'a> {
    pub(crate) query: &'a str,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub(crate) variables: &'a serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) operation_name: Option<&'a str>,
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
}
