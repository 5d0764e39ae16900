//! The crate's one error type.

use std::fmt;

/// An error from configuring or starting the emulator.
///
/// Opaque on purpose: ask it what went wrong with the `is_*` methods and read the
/// cause through [`std::error::Error::source`].
pub struct Error {
    kind: Kind,
    message: String,
    /// The builder setting a configuration error is about.
    field: Option<&'static str>,
    /// A project without an API of the type asked for.
    no_api: bool,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The SDL did not parse or validate.
    Schema,
    /// A builder value was unusable.
    Config,
    /// Binding or serving the socket failed.
    Io,
    /// A value given to an emulator method was refused.
    Input,
    /// A project (CloudFormation template or cdk.out) could not be read.
    Project,
}

impl Error {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), field: None, no_api: false, source: None }
    }

    /// A configuration error about the builder setting `field`.
    pub(crate) fn config(field: &'static str, message: impl Into<String>) -> Self {
        Self { kind: Kind::Config, message: message.into(), field: Some(field), no_api: false, source: None }
    }

    /// A project that has no API of the type asked for.
    pub(crate) fn no_api(message: impl Into<String>) -> Self {
        Self { no_api: true, ..Self::new(Kind::Project, message) }
    }

    pub(crate) fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// True when the GraphQL schema could not be parsed or validated.
    #[must_use]
    pub fn is_schema(&self) -> bool {
        self.kind == Kind::Schema
    }

    /// True when a configuration value given to the builder was invalid.
    #[must_use]
    pub fn is_config(&self) -> bool {
        self.kind == Kind::Config
    }

    /// The builder setting a configuration error is about (`"body_limit"`,
    /// `"realtime.max_message_bytes"`...), when it is about one.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        self.field
    }

    /// True when a value given to an emulator method was refused: an invalid channel, a
    /// channel outside every namespace, a publish over AppSync's limits or refused by a
    /// namespace handler ([`Emulator::publish_events`](crate::Emulator::publish_events)).
    #[must_use]
    pub fn is_input(&self) -> bool {
        self.kind == Kind::Input
    }

    /// True when a project (a CloudFormation template or a `cdk.out` directory) could not be
    /// read: a missing file, a malformed template, or a resource property that is not what
    /// AppSync expects (the message names the resource, the property and what was expected).
    #[must_use]
    pub fn is_project(&self) -> bool {
        self.kind == Kind::Project
    }

    /// True when a project has no API of the type read: no `AWS::AppSync::GraphQLApi` for
    /// [`ProjectReader::read`](crate::project::ProjectReader::read), no `AWS::AppSync::Api` for
    /// [`read_events`](crate::project::ProjectReader::read_events), or none by the logical id
    /// [`api`](crate::project::ProjectReader::api) names (also a project error).
    #[must_use]
    pub fn is_no_api(&self) -> bool {
        self.no_api
    }

    /// True when binding or serving the listening socket failed.
    #[must_use]
    pub fn is_io(&self) -> bool {
        self.kind == Kind::Io
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("appsync_local::Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("field", &self.field)
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
