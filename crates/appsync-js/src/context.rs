//! `ctx`, as AppSync builds it for a request or response handler (guide: "AWS AppSync
//! JavaScript resolver context object reference"; the `Context` type of `@aws-appsync/utils`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The context of one field's resolution: what `ctx` holds in the handlers.
///
/// Serialized as the JavaScript object the handlers receive; `ctx.args` is the same object as
/// `ctx.arguments`. The resolver fills `result`, `prev` and `error` between steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Context {
    /// The field's GraphQL arguments.
    pub arguments: Map<String, Value>,
    /// Who called, as the auth mode that admitted the request describes them.
    pub identity: Identity,
    /// The parent field's resolved value (`null` for a root field).
    pub source: Value,
    /// Values carried across the handlers and functions of one resolver run.
    pub stash: Map<String, Value>,
    /// The data source's result (response handlers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// The previous step's result in a pipeline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<Prev>,
    /// The data source's error (response handlers only), as AppSync passes it instead of
    /// throwing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ContextError>,
    /// The HTTP request's headers and domain name.
    pub request: Request,
    /// What is being resolved.
    pub info: Info,
    /// The API's environment variables.
    pub env: BTreeMap<String, String>,
}

impl Context {
    /// An empty context: no arguments, an API-key caller, nothing in the stash.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the field's arguments.
    #[must_use]
    pub fn arguments(mut self, arguments: Map<String, Value>) -> Self {
        self.arguments = arguments;
        self
    }

    /// Sets the caller's identity.
    #[must_use]
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = identity;
        self
    }

    /// Sets the parent field's value.
    #[must_use]
    pub fn source(mut self, source: Value) -> Self {
        self.source = source;
        self
    }

    /// Sets the request's headers and domain name.
    #[must_use]
    pub fn request(mut self, request: Request) -> Self {
        self.request = request;
        self
    }

    /// Sets what is being resolved.
    #[must_use]
    pub fn info(mut self, info: Info) -> Self {
        self.info = info;
        self
    }

    /// Sets the API's environment variables.
    #[must_use]
    pub fn env(mut self, env: BTreeMap<String, String>) -> Self {
        self.env = env;
        self
    }

    /// Sets the stash a resolver run starts with.
    #[must_use]
    pub fn stash(mut self, stash: Map<String, Value>) -> Self {
        self.stash = stash;
        self
    }
}

/// `ctx.prev`: the previous pipeline step's result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Prev {
    /// What the previous step returned.
    pub result: Value,
}

impl Prev {
    /// The previous step's result.
    #[must_use]
    pub fn new(result: Value) -> Self {
        Self { result }
    }
}

/// `ctx.error`: a data source's error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContextError {
    /// What went wrong.
    pub message: String,
    /// AppSync's type for it (`"DynamoDB:ConditionalCheckFailedException"`, `"Lambda:Unhandled"`...).
    #[serde(rename = "type")]
    pub error_type: String,
}

impl ContextError {
    /// A data source error with its message and type.
    #[must_use]
    pub fn new(message: impl Into<String>, error_type: impl Into<String>) -> Self {
        Self { message: message.into(), error_type: error_type.into() }
    }
}

/// `ctx.request`. `Debug` shows the header names only: their values carry credentials.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Request {
    /// The request's headers, names in lower case.
    pub headers: BTreeMap<String, String>,
    /// The custom domain name the request came through, if any.
    pub domain_name: Option<String>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("domain_name", &self.domain_name)
            .finish()
    }
}

impl Request {
    /// A request with these headers and no custom domain.
    #[must_use]
    pub fn new(headers: BTreeMap<String, String>) -> Self {
        Self { headers, domain_name: None }
    }

    /// Sets the custom domain name.
    #[must_use]
    pub fn domain_name(mut self, domain_name: impl Into<String>) -> Self {
        self.domain_name = Some(domain_name.into());
        self
    }
}

/// `ctx.info`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Info {
    /// The field being resolved.
    pub field_name: String,
    /// The type the field belongs to (`Query`, `Mutation`, `Post`...).
    pub parent_type_name: String,
    /// The operation's variables.
    pub variables: Map<String, Value>,
    /// The selection set as a list of paths (`["id", "author", "author/name"]`).
    pub selection_set_list: Vec<String>,
    /// The selection set as GraphQL text.
    #[serde(rename = "selectionSetGraphQL")]
    pub selection_set_graphql: String,
}

impl Info {
    /// What `parent_type_name.field_name` resolves.
    #[must_use]
    pub fn new(parent_type_name: impl Into<String>, field_name: impl Into<String>) -> Self {
        Self { field_name: field_name.into(), parent_type_name: parent_type_name.into(), ..Self::default() }
    }

    /// Sets the operation's variables.
    #[must_use]
    pub fn variables(mut self, variables: Map<String, Value>) -> Self {
        self.variables = variables;
        self
    }

    /// Sets the selection set, as a list and as GraphQL text.
    #[must_use]
    pub fn selection_set(mut self, list: Vec<String>, graphql: impl Into<String>) -> Self {
        self.selection_set_list = list;
        self.selection_set_graphql = graphql.into();
        self
    }
}

/// `ctx.identity`, by the auth mode that admitted the request (the shapes of the context
/// reference's "Identity" section).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Identity {
    /// API key: `ctx.identity` is `null`.
    #[default]
    ApiKey,
    /// AWS_IAM.
    Iam(IamIdentity),
    /// AMAZON_COGNITO_USER_POOLS.
    Cognito(CognitoIdentity),
    /// OPENID_CONNECT.
    Oidc(OidcIdentity),
    /// AWS_LAMBDA: what the authorizer function returned as `resolverContext`.
    Lambda(LambdaIdentity),
    /// AWS_LAMBDA on an AppSync Events API: what the authorizer returned as `handlerContext`.
    EventsLambda(EventsLambdaIdentity),
}

impl Identity {
    /// What `util.authType()` answers for this identity.
    #[must_use]
    pub fn auth_type(&self) -> &'static str {
        match self {
            Identity::ApiKey => "API Key Authorization",
            Identity::Iam(_) => "IAM Authorization",
            Identity::Cognito(_) => "User Pool Authorization",
            Identity::Oidc(_) => "Open ID Connect Authorization",
            Identity::Lambda(_) | Identity::EventsLambda(_) => "Lambda Authorization",
        }
    }
}

/// An IAM caller.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct IamIdentity {
    /// The caller's account.
    pub account_id: String,
    /// The Cognito identity pool the credentials came from, if any.
    pub cognito_identity_pool_id: Option<String>,
    /// The Cognito identity, if any.
    pub cognito_identity_id: Option<String>,
    /// The caller's addresses (`x-forwarded-for` entries, then the connection's).
    pub source_ip: Vec<String>,
    /// The principal (the access key's user id).
    pub username: String,
    /// The caller's ARN.
    pub user_arn: String,
    /// `authenticated` or `unauthenticated` for Cognito identities.
    pub cognito_identity_auth_type: Option<String>,
    /// The Cognito identity provider information.
    pub cognito_identity_auth_provider: Option<String>,
}

/// A Cognito user pools caller.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct CognitoIdentity {
    /// The user's `sub`.
    pub sub: String,
    /// The token's issuer.
    pub issuer: String,
    /// `cognito:username`.
    pub username: String,
    /// The token's claims.
    pub claims: Map<String, Value>,
    /// The caller's addresses.
    pub source_ip: Vec<String>,
    /// `ALLOW` or `DENY`.
    pub default_auth_strategy: String,
    /// `cognito:groups`, or `null`.
    pub groups: Option<Vec<String>>,
}

/// An OpenID Connect caller.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct OidcIdentity {
    /// The token's claims.
    pub claims: Map<String, Value>,
    /// The token's issuer.
    pub issuer: String,
    /// The token's `sub`.
    pub sub: String,
}

/// A Lambda-authorized caller.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct LambdaIdentity {
    /// What the authorizer returned as `resolverContext`.
    pub resolver_context: Map<String, Value>,
}

/// A Lambda-authorized caller of an AppSync Events API, as its handlers see it: Events names
/// the authorizer's context `handlerContext` (Powertools for AWS Lambda's
/// `AppSyncLambdaAuthIdentity`; the Events authorization guide's answer field, as
/// aws/aws-lambda-go #618 quotes it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct EventsLambdaIdentity {
    /// What the authorizer returned as `handlerContext`.
    pub handler_context: Map<String, Value>,
}
