//! The API as read from the project: plain data, no I/O.

use std::collections::BTreeMap;
use std::fmt;

use crate::auth::AuthMode;

/// One AppSync GraphQL API as its template defines it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiDefinition {
    /// The `AWS::AppSync::GraphQLApi`'s logical id.
    pub logical_id: String,
    /// Its `Name`.
    pub name: String,
    /// Where it was read from (the template file).
    pub template: String,
    /// The schema, as SDL.
    pub schema: String,
    /// `AuthenticationType`.
    pub default_auth: AuthMode,
    /// `AdditionalAuthenticationProviders`, in order.
    pub additional_auth: Vec<AuthMode>,
    /// `EnvironmentVariables` (`ctx.env`).
    pub environment: BTreeMap<String, String>,
    /// `QueryDepthLimit` (1 to 75); `None` when absent or 0, AppSync's "no limit".
    pub query_depth_limit: Option<u32>,
    /// `ResolverCountLimit` (1 to 10000); `None` when absent or 0, AppSync's default of 10000.
    pub resolver_count_limit: Option<u32>,
    /// The API's data sources, by name.
    pub data_sources: Vec<DataSource>,
    /// Its resolvers, by type and field.
    pub resolvers: Vec<Resolver>,
    /// Its pipeline functions, by logical id.
    pub functions: Vec<Function>,
    /// Every `AWS::DynamoDB::Table` of the template.
    pub tables: Vec<Table>,
    /// What the emulator cannot honour, one note per resource and reason.
    pub unsupported: Vec<Unsupported>,
}

impl ApiDefinition {
    /// The data source named `name`.
    #[must_use]
    pub fn data_source(&self, name: &str) -> Option<&DataSource> {
        self.data_sources.iter().find(|d| d.name == name)
    }

    /// The function whose id (logical id) is `id`.
    #[must_use]
    pub fn function(&self, id: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.logical_id == id)
    }

    /// The resolver of `type_name.field_name`.
    #[must_use]
    pub fn resolver(&self, type_name: &str, field_name: &str) -> Option<&Resolver> {
        self.resolvers.iter().find(|r| r.type_name == type_name && r.field_name == field_name)
    }

    /// What the emulator does not run, as it tells at start: [`unsupported`](Self::unsupported),
    /// plus each field whose resolver goes through a pipeline function without APPSYNC_JS code. A field named here answers an
    /// `AppSyncLocal:Unsupported` error.
    #[must_use]
    pub fn not_emulated(&self) -> Vec<Unsupported> {
        let mut notes = self.unsupported.clone();
        for r in &self.resolvers {
            let field = format!("{}.{}", r.type_name, r.field_name);
            let resource = format!("{} ({field})", r.logical_id);
            let functions: Vec<&Function> = r.functions.iter().filter_map(|id| self.function(id)).collect();
            let without_code = functions
                .iter()
                .find(|f| f.code.is_none() || f.runtime.as_ref().is_some_and(|rt| rt.name != "APPSYNC_JS"));
            if let Some(f) = without_code {
                notes.push(Unsupported {
                    resource,
                    reason: format!(
                        "its pipeline function {} has no APPSYNC_JS code (VTL is not emulated)",
                        f.name
                    ),
                    field: Some(field),
                });
            }
        }
        notes
    }

    /// Every auth mode: the default first.
    #[must_use]
    pub fn auth_modes(&self) -> Vec<AuthMode> {
        let mut modes = vec![self.default_auth];
        modes.extend(self.additional_auth.iter().copied().filter(|m| *m != self.default_auth));
        modes
    }
}

/// An `AWS::AppSync::DataSource`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DataSource {
    /// Its `Name` (what resolvers give as `DataSourceName`).
    pub name: String,
    /// Its logical id.
    pub logical_id: String,
    /// Its type and configuration.
    pub kind: DataSourceKind,
}

/// A data source's `Type` and what the emulator needs of its configuration.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DataSourceKind {
    /// `NONE`: the request's `payload` is the result.
    None,
    /// `AMAZON_DYNAMODB`.
    DynamoDb {
        /// `DynamoDBConfig.TableName`.
        table_name: String,
        /// `DynamoDBConfig.AwsRegion`.
        region: Option<String>,
    },
    /// `AWS_LAMBDA`.
    Lambda {
        /// `LambdaConfig.LambdaFunctionArn`.
        function_arn: String,
    },
    /// `HTTP`.
    Http {
        /// `HttpConfig.Endpoint`.
        endpoint: String,
        /// `HttpConfig.AuthorizationConfig` when it is `AWS_IAM`: requests are SigV4-signed.
        iam: Option<IamSigning>,
    },
    /// Another type (`RELATIONAL_DATABASE`, `AMAZON_OPENSEARCH_SERVICE`, `AMAZON_EVENTBRIDGE`,
    /// `AMAZON_BEDROCK_RUNTIME`...), which the emulator does not run.
    Other {
        /// The `Type` as written.
        type_name: String,
    },
}

impl DataSourceKind {
    /// The `Type` as CloudFormation spells it.
    #[must_use]
    pub fn type_name(&self) -> &str {
        match self {
            Self::None => "NONE",
            Self::DynamoDb { .. } => "AMAZON_DYNAMODB",
            Self::Lambda { .. } => "AWS_LAMBDA",
            Self::Http { .. } => "HTTP",
            Self::Other { type_name } => type_name,
        }
    }
}

/// How an HTTP data source signs its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IamSigning {
    /// `AwsIamConfig.SigningRegion`.
    pub region: String,
    /// `AwsIamConfig.SigningServiceName`.
    pub service: String,
}

/// `UNIT` or `PIPELINE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResolverKind {
    /// One data source.
    Unit,
    /// A sequence of functions.
    Pipeline,
}

/// A resolver's or function's `Runtime`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Runtime {
    /// `Name` (`APPSYNC_JS`).
    pub name: String,
    /// `RuntimeVersion` (`1.0.0`).
    pub version: String,
}

/// Code of a resolver or function, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Code {
    /// The source text.
    pub text: String,
    /// The file it was read from (an asset, a file beside the template), or the template
    /// for inline `Code`.
    pub path: String,
    /// True when the code was inline in the template (`Code`), false when read from a file.
    pub inline: bool,
}

/// An `AWS::AppSync::Resolver`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Resolver {
    /// Its logical id.
    pub logical_id: String,
    /// `TypeName`.
    pub type_name: String,
    /// `FieldName`.
    pub field_name: String,
    /// `Kind` (default `UNIT`).
    pub kind: ResolverKind,
    /// `DataSourceName` (unit resolvers).
    pub data_source: Option<String>,
    /// `PipelineConfig.Functions`: function ids (their logical ids), in order.
    pub functions: Vec<String>,
    /// `Runtime`; `None` for a direct Lambda resolver or a VTL one.
    pub runtime: Option<Runtime>,
    /// `Code` or the file `CodeS3Location` names; `None` without code.
    pub code: Option<Code>,
    /// `MaxBatchSize` (Lambda batching).
    pub max_batch_size: Option<u32>,
}

/// An `AWS::AppSync::FunctionConfiguration` (a pipeline function).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Function {
    /// Its logical id, which is also its id in pipelines.
    pub logical_id: String,
    /// `Name`.
    pub name: String,
    /// `DataSourceName`.
    pub data_source: String,
    /// `Runtime`.
    pub runtime: Option<Runtime>,
    /// `Code` or the file `CodeS3Location` names.
    pub code: Option<Code>,
    /// `MaxBatchSize`.
    pub max_batch_size: Option<u32>,
}

/// An `AWS::DynamoDB::Table`, for the local table engine.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Table {
    /// Its logical id.
    pub logical_id: String,
    /// `TableName`, or the logical id when CloudFormation would generate one.
    pub name: String,
    /// `KeySchema`.
    pub key_schema: Vec<KeyElement>,
    /// `AttributeDefinitions`.
    pub attributes: Vec<AttributeDefinition>,
    /// `GlobalSecondaryIndexes`.
    pub global_indexes: Vec<Index>,
    /// `LocalSecondaryIndexes`.
    pub local_indexes: Vec<Index>,
}

/// One element of a key schema.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyElement {
    /// `AttributeName`.
    pub attribute: String,
    /// `KeyType`.
    pub key_type: KeyType,
}

/// `HASH` (partition key) or `RANGE` (sort key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// The partition key.
    Hash,
    /// The sort key.
    Range,
}

/// One of `AttributeDefinitions`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttributeDefinition {
    /// `AttributeName`.
    pub name: String,
    /// `AttributeType`: `S`, `N` or `B`.
    pub attribute_type: String,
}

/// A global or local secondary index.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Index {
    /// `IndexName`.
    pub name: String,
    /// `KeySchema`.
    pub key_schema: Vec<KeyElement>,
    /// `Projection.ProjectionType` (`ALL`, `KEYS_ONLY`, `INCLUDE`).
    pub projection: String,
    /// `Projection.NonKeyAttributes`.
    pub non_key_attributes: Vec<String>,
}

/// Something in the project the emulator does not honour, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unsupported {
    /// The resource (logical id, and `Type.field` for resolvers).
    pub resource: String,
    /// What is not honoured.
    pub reason: String,
    /// The resolver field (`Type.field`) it makes unusable, when it is about one.
    pub field: Option<String>,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.resource, self.reason)
    }
}

/// One AppSync Event API (`AWS::AppSync::Api` with an `EventConfig`) and its channel namespaces.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EventApiDefinition {
    /// The `AWS::AppSync::Api`'s logical id.
    pub logical_id: String,
    /// Its `Name`.
    pub name: String,
    /// Where it was read from (the template file).
    pub template: String,
    /// `EventConfig.AuthProviders`: the auth modes the API accepts.
    pub auth_providers: Vec<AuthMode>,
    /// `EventConfig.ConnectionAuthModes`.
    pub connection_auth: Vec<AuthMode>,
    /// `EventConfig.DefaultPublishAuthModes`: a namespace's publish modes unless it has its own.
    pub publish_auth: Vec<AuthMode>,
    /// `EventConfig.DefaultSubscribeAuthModes`.
    pub subscribe_auth: Vec<AuthMode>,
    /// Its `AWS::AppSync::ChannelNamespace`s, by name.
    pub namespaces: Vec<ChannelNamespaceDefinition>,
    /// Its `AWS::AppSync::DataSource`s (those whose `ApiId` is this API's), by name.
    pub data_sources: Vec<DataSource>,
    /// Every `AWS::DynamoDB::Table` of the template, for its DynamoDB data sources.
    pub tables: Vec<Table>,
    /// What the emulator cannot honour, one note per resource and reason.
    pub unsupported: Vec<Unsupported>,
}

impl EventApiDefinition {
    /// The API-level Events settings as the emulator serves them
    /// ([`EmulatorBuilder::events`](crate::EmulatorBuilder::events)): the default limits with
    /// `ConnectionAuthModes` as the connection modes (when the template lists any).
    pub fn events_options(&self) -> crate::events::EventsOptions {
        let options = crate::events::EventsOptions::default();
        if self.connection_auth.is_empty() {
            options
        } else {
            options.connection_auth(self.connection_auth.clone())
        }
    }

    /// The namespaces as the emulator serves them
    /// ([`EmulatorBuilder::channel_namespace`](crate::EmulatorBuilder::channel_namespace)): each
    /// with its own auth modes or the API's defaults, its `CodeHandlers` code and its
    /// `HandlerConfigs` integrations (whose data sources
    /// [`EmulatorBuilder::event_api`](crate::EmulatorBuilder::event_api) wires).
    #[must_use]
    pub fn channel_namespaces(&self) -> Vec<crate::events::ChannelNamespace> {
        self.namespaces
            .iter()
            .map(|ns| {
                let mut out = crate::events::ChannelNamespace::new(&ns.name)
                    .publish_auth(ns.publish_auth.clone().unwrap_or_else(|| self.publish_auth.clone()))
                    .subscribe_auth(ns.subscribe_auth.clone().unwrap_or_else(|| self.subscribe_auth.clone()));
                if let Some(code) = &ns.code {
                    out = out.code(code.text.clone());
                }
                if let Some(config) = &ns.on_publish {
                    out = out.on_publish(config.clone());
                }
                if let Some(config) = &ns.on_subscribe {
                    out = out.on_subscribe(config.clone());
                }
                out
            })
            .collect()
    }
}

/// An `AWS::AppSync::ChannelNamespace`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ChannelNamespaceDefinition {
    /// Its logical id.
    pub logical_id: String,
    /// `Name`: the first segment of its channels.
    pub name: String,
    /// `PublishAuthModes`; `None` for the API's defaults.
    pub publish_auth: Option<Vec<AuthMode>>,
    /// `SubscribeAuthModes`; `None` for the API's defaults.
    pub subscribe_auth: Option<Vec<AuthMode>>,
    /// `CodeHandlers`, or the file `CodeS3Location` names (a cdk asset); `None` without code.
    pub code: Option<Code>,
    /// `HandlerConfigs.OnPublish`: its data source integration.
    pub on_publish: Option<crate::events::HandlerConfig>,
    /// `HandlerConfigs.OnSubscribe`.
    pub on_subscribe: Option<crate::events::HandlerConfig>,
}
