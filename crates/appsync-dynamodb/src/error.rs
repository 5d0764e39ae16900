//! The crate's one error type, shaped as AppSync puts a DynamoDB failure in `ctx.error`.

use std::fmt;

use crate::value::{Item, item_to_json};

/// A failed operation.
///
/// Opaque: ask it what went wrong with the `is_*` methods, [`Error::error_type`] gives the
/// `ctx.error.type` AppSync would show (`DynamoDB:ConditionalCheckFailedException`...) and the
/// message is DynamoDB's wording. I/O failures of the data file keep their cause in
/// [`std::error::Error::source`].
pub struct Error {
    kind: Kind,
    message: String,
    current: Option<Item>,
    reasons: Vec<CancellationReason>,
    /// For [`Kind::Service`]: `DynamoDB:` and the exception's name as the endpoint sent it.
    /// (Boxed: the error stays small enough to return by value.)
    service_type: Option<Box<str>>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Validation,
    ConditionalCheckFailed,
    TransactionCanceled,
    ResourceNotFound,
    Io,
    /// Another failure a DynamoDB endpoint answered (`ProvisionedThroughputExceededException`,
    /// `UnrecognizedClientException`...), or an answer that is not DynamoDB's.
    Service,
}

/// Why one item of a transaction cancelled it (or `None` for the items that did not).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CancellationReason {
    /// `None`, `ConditionalCheckFailed`, `ValidationError`, `TransactionConflict`...
    pub code: String,
    /// DynamoDB's message, absent for `None`.
    pub message: Option<String>,
    /// The item as it was, for a failed condition that asked for it.
    pub item: Option<Item>,
}

impl CancellationReason {
    pub(crate) fn none() -> Self {
        Self { code: "None".into(), message: None, item: None }
    }

    /// The reason as AppSync lists it in `ctx.result.cancellationReasons`: `{type, message}`,
    /// with `item` (plain JSON) when the failed item was returned.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        out.insert("type".into(), self.code.clone().into());
        out.insert("message".into(), self.message.clone().map_or(serde_json::Value::Null, Into::into));
        if let Some(item) = &self.item {
            out.insert("item".into(), item_to_json(item));
        }
        serde_json::Value::Object(out)
    }
}

impl Error {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            current: None,
            reasons: Vec::new(),
            service_type: None,
            source: None,
        }
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(Kind::Validation, message)
    }

    /// `One or more parameter values were invalid: ...`, DynamoDB's prefix for bad input.
    pub(crate) fn invalid_parameter(detail: impl fmt::Display) -> Self {
        Self::validation(format!("One or more parameter values were invalid: {detail}"))
    }

    pub(crate) fn condition_failed(current: Option<Item>) -> Self {
        Self { current, ..Self::new(Kind::ConditionalCheckFailed, "The conditional request failed") }
    }

    pub(crate) fn transaction_canceled(reasons: Vec<CancellationReason>) -> Self {
        let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
        let message = format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
            codes.join(", ")
        );
        Self { reasons, ..Self::new(Kind::TransactionCanceled, message) }
    }

    pub(crate) fn resource_not_found() -> Self {
        Self::new(Kind::ResourceNotFound, "Requested resource not found")
    }

    /// The failure a DynamoDB endpoint answered: `name` is its `__type` without the namespace
    /// (`ConditionalCheckFailedException`), the kinds the engine has become theirs.
    pub(crate) fn service(name: &str, message: impl Into<String>) -> Self {
        let kind = match name {
            "ValidationException" => Kind::Validation,
            "ConditionalCheckFailedException" => Kind::ConditionalCheckFailed,
            "TransactionCanceledException" => Kind::TransactionCanceled,
            "ResourceNotFoundException" => Kind::ResourceNotFound,
            _ => Kind::Service,
        };
        let service_type = (kind == Kind::Service).then(|| format!("DynamoDB:{name}").into_boxed_str());
        Self { service_type, ..Self::new(kind, message) }
    }

    pub(crate) fn with_current(mut self, current: Option<Item>) -> Self {
        self.current = current;
        self
    }

    pub(crate) fn with_reasons(mut self, reasons: Vec<CancellationReason>) -> Self {
        self.reasons = reasons;
        self
    }

    pub(crate) fn io(message: impl Into<String>, source: std::io::Error) -> Self {
        Self { source: Some(Box::new(source)), ..Self::new(Kind::Io, message) }
    }

    /// The type AppSync gives this failure in `ctx.error.type`:
    /// `DynamoDB:ValidationException`, `DynamoDB:ConditionalCheckFailedException`,
    /// `DynamoDB:TransactionCanceledException`, `DynamoDB:ResourceNotFoundException`,
    /// `DynamoDB:InternalServerError` when the data file failed, or, for an endpoint's answer
    /// ([`wire`](crate::wire)), `DynamoDB:` and the exception it named
    /// (`DynamoDB:ProvisionedThroughputExceededException`...).
    #[must_use]
    pub fn error_type(&self) -> &str {
        match self.kind {
            Kind::Service => self.service_type.as_deref().unwrap_or("DynamoDB:InternalServerError"),
            Kind::Validation => "DynamoDB:ValidationException",
            Kind::ConditionalCheckFailed => "DynamoDB:ConditionalCheckFailedException",
            Kind::TransactionCanceled => "DynamoDB:TransactionCanceledException",
            Kind::ResourceNotFound => "DynamoDB:ResourceNotFoundException",
            Kind::Io => "DynamoDB:InternalServerError",
        }
    }

    /// True for a request DynamoDB would refuse as invalid (`ValidationException`).
    #[must_use]
    pub fn is_validation(&self) -> bool {
        self.kind == Kind::Validation
    }

    /// True when a condition expression was false (`ConditionalCheckFailedException`).
    #[must_use]
    pub fn is_conditional_check_failed(&self) -> bool {
        self.kind == Kind::ConditionalCheckFailed
    }

    /// True when a transaction was cancelled; see [`Error::cancellation_reasons`].
    #[must_use]
    pub fn is_transaction_canceled(&self) -> bool {
        self.kind == Kind::TransactionCanceled
    }

    /// True when a table named in the request does not exist.
    #[must_use]
    pub fn is_resource_not_found(&self) -> bool {
        self.kind == Kind::ResourceNotFound
    }

    /// True when reading or writing the data file failed.
    #[must_use]
    pub fn is_io(&self) -> bool {
        self.kind == Kind::Io
    }

    /// True for another failure a DynamoDB endpoint answered, or an answer that was not
    /// DynamoDB's ([`wire`](crate::wire)); [`Error::error_type`] names it.
    #[must_use]
    pub fn is_service(&self) -> bool {
        self.kind == Kind::Service
    }

    /// For a failed condition: the item as it is now (AppSync returns it in the error's `data`),
    /// `None` when there is no item.
    #[must_use]
    pub fn current_item(&self) -> Option<&Item> {
        self.current.as_ref()
    }

    /// For a cancelled transaction: one reason per request item, in request order.
    #[must_use]
    pub fn cancellation_reasons(&self) -> &[CancellationReason] {
        &self.reasons
    }

    /// The data AppSync gives with this error, as plain JSON: for a failed condition the item as
    /// it is now (AppSync's guide: "the current value of the object in DynamoDB in a data field
    /// in the error section"), for a cancelled transaction `{keys: null, cancellationReasons}`
    /// (the guide: the reasons are in `ctx.result.cancellationReasons`); `None` otherwise.
    #[must_use]
    pub fn result(&self) -> Option<serde_json::Value> {
        match self.kind {
            Kind::ConditionalCheckFailed => self.current.as_ref().map(item_to_json),
            Kind::TransactionCanceled => Some(serde_json::json!({
                "keys": null,
                "cancellationReasons": self.reasons.iter().map(CancellationReason::to_json).collect::<Vec<_>>(),
            })),
            _ => None,
        }
    }

    /// The error as `ctx.error`: `{message, type}`.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "message": self.message, "type": self.error_type() })
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("appsync_dynamodb::Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("current", &self.current)
            .field("reasons", &self.reasons)
            .field("service_type", &self.service_type)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}
