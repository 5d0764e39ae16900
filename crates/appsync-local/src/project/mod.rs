//! Reading the user's API as they deploy it: a CloudFormation template (JSON or YAML) or a
//! `cdk synth` output directory, into an [`ApiDefinition`]: the schema, auth modes, data sources,
//! resolvers and functions with their code, environment variables and DynamoDB tables, plus the
//! list of what the emulator cannot honour ([`Unsupported`]).
//!
//! ```no_run
//! use appsync_local::project::ProjectReader;
//!
//! let api = ProjectReader::cdk_out("cdk.out").stack("MyStack").read()?;
//! println!("{} resolvers, {} data sources", api.resolvers.len(), api.data_sources.len());
//! for note in &api.unsupported {
//!     println!("not emulated: {note}");
//! }
//! # Ok::<(), appsync_local::Error>(())
//! ```

mod cdk_out;
pub(crate) mod database;
mod event_api;
mod intrinsics;
mod model;
mod read;
mod tables;
mod template_file;
pub(crate) mod wiring;

pub use database::{table_definition, tables_file};
pub use intrinsics::LOCAL_ACCOUNT_ID;
pub use model::{
    ApiDefinition, AttributeDefinition, ChannelNamespaceDefinition, Code, DataSource, DataSourceKind,
    EventApiDefinition, Function, IamSigning, Index, KeyElement, KeyType, Resolver, ResolverKind, Runtime,
    Table, Unsupported,
};
pub use wiring::{NOT_CONFIGURED_ERROR_TYPE, UNSUPPORTED_ERROR_TYPE};

use std::path::PathBuf;

use crate::error::Error;
use read::ApiType;

/// Reads an [`ApiDefinition`] from a `cdk.out` directory or a CloudFormation template.
///
/// ```no_run
/// use appsync_local::project::ProjectReader;
///
/// let api = ProjectReader::template("template.yaml").api("TodoAPI").region("eu-west-1").read()?;
/// # Ok::<(), appsync_local::Error>(())
/// ```
#[must_use]
#[derive(Debug, Clone)]
pub struct ProjectReader {
    source: Source,
    stack: Option<String>,
    api: Option<String>,
    region: String,
}

#[derive(Debug, Clone)]
enum Source {
    CdkOut(PathBuf),
    Template(PathBuf),
}

impl ProjectReader {
    /// The output of `cdk synth`: `manifest.json` names the stacks, `<Stack>.assets.json` maps
    /// the code's S3 locations to the asset files beside it.
    pub fn cdk_out(dir: impl Into<PathBuf>) -> Self {
        Self::new(Source::CdkOut(dir.into()))
    }

    /// A CloudFormation template, JSON or YAML (short-form tags included). Code given as
    /// `CodeS3Location`/`DefinitionS3Location` with a local path (before `aws cloudformation
    /// package`) is read relative to the template.
    pub fn template(file: impl Into<PathBuf>) -> Self {
        Self::new(Source::Template(file.into()))
    }

    fn new(source: Source) -> Self {
        Self { source, stack: None, api: None, region: "us-east-1".to_owned() }
    }

    /// The stack to read (its name in `manifest.json`), when the `cdk.out` holds several.
    pub fn stack(mut self, name: impl Into<String>) -> Self {
        self.stack = Some(name.into());
        self
    }

    /// The API to read (its logical id: an `AWS::AppSync::GraphQLApi` for [`read`](Self::read),
    /// an `AWS::AppSync::Api` for [`read_events`](Self::read_events)), when the stack holds
    /// several.
    pub fn api(mut self, logical_id: impl Into<String>) -> Self {
        self.api = Some(logical_id.into());
        self
    }

    /// The value of `AWS::Region` (default `us-east-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Reads the project's GraphQL API (`AWS::AppSync::GraphQLApi`).
    pub fn read(self) -> Result<ApiDefinition, Error> {
        self.read_with(ApiType::GraphQl, read::from_template)
    }

    /// Reads the project's Event API (`AWS::AppSync::Api` with an `EventConfig`) and its channel
    /// namespaces, whose `CodeHandlers` (inline) or `CodeS3Location` (a cdk asset, or a file
    /// beside the template) hold their `onPublish`/`onSubscribe` code. [`api`](Self::api)
    /// chooses among several Event APIs.
    ///
    /// ```no_run
    /// use appsync_local::project::ProjectReader;
    /// use appsync_local::{ApiKey, AuthMode, Emulator};
    ///
    /// let events = ProjectReader::cdk_out("cdk.out").read_events()?;
    /// let mut builder = Emulator::builder()
    ///     .api_key(ApiKey::new("da2-local"))
    ///     .default_auth(AuthMode::ApiKey)
    ///     .events(events.events_options());
    /// for namespace in events.channel_namespaces() {
    ///     builder = builder.channel_namespace(namespace);
    /// }
    /// let emulator = builder.build()?;
    /// # drop(emulator);
    /// # Ok::<(), appsync_local::Error>(())
    /// ```
    pub fn read_events(self) -> Result<EventApiDefinition, Error> {
        self.read_with(ApiType::Event, event_api::from_template)
    }

    fn read_with<T>(
        self,
        kind: ApiType,
        reader: impl FnOnce(&[read::Context<'_>], &read::Assets, &str) -> Result<T, Error>,
    ) -> Result<T, Error> {
        match &self.source {
            Source::CdkOut(dir) => {
                cdk_out::read(dir, self.stack.as_deref(), self.api.as_deref(), &self.region, kind, reader)
            }
            Source::Template(file) => {
                if self.stack.is_some() {
                    return Err(Error::config(
                        "stack",
                        "a stack is chosen only in a cdk.out directory, not in a template",
                    ));
                }
                read::template_file(file, self.api.as_deref(), &self.region, kind, reader)
            }
        }
    }
}
