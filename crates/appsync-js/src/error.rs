//! The crate's one error type.

use std::fmt;
use std::time::Duration;

/// Where in the resolver code something went wrong (1-based, as editors count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// The line, from 1.
    pub line: u32,
    /// The column, from 1.
    pub column: u32,
}

/// An error from configuring the engine or evaluating resolver code.
///
/// A failure of the code itself (a syntax error, an uncaught exception, a time or memory limit)
/// is what AppSync reports to the caller with `errorType` `"Code"` ([`Error::error_type`]); the
/// engine stays usable after any of them. Ask what went wrong with the `is_*` methods.
pub struct Error {
    kind: Kind,
    message: String,
    location: Option<Location>,
    field: Option<&'static str>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The code did not parse.
    Syntax,
    /// The code threw (or a runtime error surfaced) while a handler ran.
    Exception,
    /// The evaluation ran past its time limit.
    Timeout,
    /// The evaluation ran past its memory limit.
    OutOfMemory,
    /// The module does not export the handler asked for, or imports what does not exist.
    Module,
    /// A builder value was unusable.
    Config,
    /// The engine's workers are gone (the engine was dropped mid-evaluation) or a value could
    /// not cross between JavaScript and Rust.
    Internal,
}

impl Error {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), location: None, field: None, source: None }
    }

    pub(crate) fn config(field: &'static str, message: impl Into<String>) -> Self {
        Self { field: Some(field), ..Self::new(Kind::Config, message) }
    }

    pub(crate) fn timeout(limit: Duration) -> Self {
        Self::new(Kind::Timeout, format!("Execution timed out after {} ms", limit.as_millis()))
    }

    pub(crate) fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    pub(crate) fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// True when the code did not parse (reported with its line and column).
    #[must_use]
    pub fn is_syntax(&self) -> bool {
        self.kind == Kind::Syntax
    }

    /// True when the code threw while a handler ran (a `TypeError`, a `ReferenceError`, a
    /// stack overflow from deep recursion...).
    #[must_use]
    pub fn is_exception(&self) -> bool {
        self.kind == Kind::Exception
    }

    /// True when the evaluation was stopped at its time limit.
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        self.kind == Kind::Timeout
    }

    /// True when the evaluation was stopped at its memory limit.
    #[must_use]
    pub fn is_out_of_memory(&self) -> bool {
        self.kind == Kind::OutOfMemory
    }

    /// True when the module lacks the handler asked for or imports a module AppSync does not
    /// provide.
    #[must_use]
    pub fn is_module(&self) -> bool {
        self.kind == Kind::Module
    }

    /// True when a builder value was unusable; [`Error::field`] names it.
    #[must_use]
    pub fn is_config(&self) -> bool {
        self.kind == Kind::Config
    }

    /// The builder setting a configuration error is about (`"timeout"`, `"memory_limit"`...).
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        self.field
    }

    /// Where in the code the error happened, when the engine knows.
    #[must_use]
    pub fn location(&self) -> Option<Location> {
        self.location
    }

    /// The message without the location prefix (`"TypeError: cannot read property 'x' of
    /// undefined"`).
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `errorType` AppSync gives this error in a GraphQL response: `"Code"` for every
    /// failure of the resolver code (as AppSync reports runtime errors,
    /// aws-appsync-community #328), `None` for errors of the engine's own configuration.
    #[must_use]
    pub fn error_type(&self) -> Option<&'static str> {
        match self.kind {
            Kind::Syntax | Kind::Exception | Kind::Timeout | Kind::OutOfMemory | Kind::Module => Some("Code"),
            Kind::Config | Kind::Internal => None,
        }
    }

    /// The message as AppSync words it in a GraphQL error: `code.js:LINE:COL: ` before the
    /// message when the location is known.
    #[must_use]
    pub fn graphql_message(&self) -> String {
        match self.location {
            Some(at) => format!("code.js:{}:{}: {}", at.line, at.column, self.message),
            None => self.message.clone(),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("appsync_js::Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("location", &self.location)
            .field("field", &self.field)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(field) = self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.graphql_message())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}
