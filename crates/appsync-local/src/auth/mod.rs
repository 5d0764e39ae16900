//! Who is calling: reading the request's credentials and checking them for real; and, in
//! [`rules`], what each caller may read.

mod rules;

pub(crate) use rules::FieldRules;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use http::HeaderMap;
use subtle::ConstantTimeEq;

use crate::error::{Error, Kind};
use crate::jwt::JwtConfig;

/// An AppSync authorization mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthMode {
    /// `API_KEY`: the `x-api-key` header.
    ApiKey,
    /// `AWS_IAM`: a SigV4 signature for service `appsync`.
    Iam,
    /// `AMAZON_COGNITO_USER_POOLS`: a Cognito JWT in `Authorization`.
    CognitoUserPools,
    /// `OPENID_CONNECT`: an OIDC JWT in `Authorization`.
    Oidc,
    /// `AWS_LAMBDA`: a token in `Authorization` checked by a Lambda authorizer.
    Lambda,
}

impl AuthMode {
    /// AppSync's own name for the mode, e.g. `AWS_IAM`.
    #[must_use]
    pub fn as_appsync_str(self) -> &'static str {
        match self {
            Self::ApiKey => "API_KEY",
            Self::Iam => "AWS_IAM",
            Self::CognitoUserPools => "AMAZON_COGNITO_USER_POOLS",
            Self::Oidc => "OPENID_CONNECT",
            Self::Lambda => "AWS_LAMBDA",
        }
    }
}

impl fmt::Display for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ApiKey => "api-key",
            Self::Iam => "iam",
            Self::CognitoUserPools => "cognito",
            Self::Oidc => "oidc",
            Self::Lambda => "lambda",
        })
    }
}

impl FromStr for AuthMode {
    type Err = Error;

    /// Accepts the CLI spellings (`iam`, `api-key`, `cognito`, `oidc`, `lambda`) and AppSync's
    /// (`AWS_IAM`, `API_KEY`, `AMAZON_COGNITO_USER_POOLS`, `OPENID_CONNECT`, `AWS_LAMBDA`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase().replace('_', "-");
        Ok(match lower.as_str() {
            "iam" | "aws-iam" => Self::Iam,
            "api-key" | "apikey" => Self::ApiKey,
            "cognito" | "amazon-cognito-user-pools" | "cognito-user-pools" => Self::CognitoUserPools,
            "oidc" | "openid-connect" => Self::Oidc,
            "lambda" | "aws-lambda" => Self::Lambda,
            _ => {
                return Err(Error::new(
                    Kind::Config,
                    format!("unknown auth mode {s:?} (expected iam, api-key, cognito, oidc or lambda)"),
                ));
            }
        })
    }
}

/// An API key the emulator accepts, optionally only until some time.
#[derive(Clone)]
pub struct ApiKey {
    key: String,
    expires: Option<SystemTime>,
    /// [`redact`]ed once: every request authorized with the key names it.
    redacted: String,
}

impl ApiKey {
    /// A key that never expires.
    #[must_use]
    pub fn new(key: impl Into<String>) -> Self {
        let key = key.into();
        Self { redacted: redact(&key), key, expires: None }
    }

    /// A key rejected from `expires` on.
    #[must_use]
    pub fn expiring(key: impl Into<String>, expires: SystemTime) -> Self {
        Self { expires: Some(expires), ..Self::new(key) }
    }

    /// The key's value.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// When the key stops being accepted, if ever.
    #[must_use]
    pub fn expires(&self) -> Option<SystemTime> {
        self.expires
    }

    /// A loggable stand-in for the key: its first characters only.
    pub(crate) fn redacted(&self) -> &str {
        &self.redacted
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey").field("key", &self.redacted()).field("expires", &self.expires).finish()
    }
}

pub(crate) fn redact(secret: &str) -> String {
    let prefix: String = secret.chars().take(4).collect();
    format!("{prefix}…")
}

/// Who made a request and how they proved it; handed to resolvers.
#[derive(Debug, Clone)]
pub struct Identity {
    mode: AuthMode,
    principal: String,
    groups: Vec<String>,
    claims: serde_json::Map<String, serde_json::Value>,
    resolver_context: serde_json::Map<String, serde_json::Value>,
    denied_fields: Vec<String>,
    source_ip: Vec<String>,
}

impl Identity {
    pub(crate) fn new(mode: AuthMode, principal: impl Into<String>) -> Self {
        Self {
            mode,
            principal: principal.into(),
            groups: Vec::new(),
            claims: serde_json::Map::new(),
            resolver_context: serde_json::Map::new(),
            denied_fields: Vec::new(),
            source_ip: Vec::new(),
        }
    }

    /// Sets the caller's addresses, as [`source_ip`](Self::source_ip) gives them.
    pub(crate) fn set_source_ip(&mut self, addresses: Vec<String>) {
        self.source_ip = addresses;
    }

    fn from_claims(mode: AuthMode, claims: serde_json::Map<String, serde_json::Value>) -> Self {
        let sub = claims.get("sub").and_then(|v| v.as_str()).unwrap_or("").to_owned();
        let groups = claims
            .get("cognito:groups")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|g| g.as_str().map(str::to_owned)).collect())
            // A token without `cognito:groups` is in no group.
            .unwrap_or_default();
        Self {
            mode,
            principal: sub,
            groups,
            claims,
            resolver_context: serde_json::Map::new(),
            denied_fields: Vec::new(),
            source_ip: Vec::new(),
        }
    }

    /// An identity for executing operations from Rust as a JWT caller in `groups`.
    #[must_use]
    pub fn trusted_in_groups(mode: AuthMode, groups: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let mut identity = Self::new(mode, "local");
        identity.groups = groups.into_iter().map(Into::into).collect();
        identity
    }

    /// The verified JWT claims (Cognito and OIDC modes; empty otherwise).
    #[must_use]
    pub fn claims(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.claims
    }

    /// An identity for executing operations from Rust, as if authorized with `mode`.
    #[must_use]
    pub fn trusted(mode: AuthMode) -> Self {
        Self::new(mode, "local")
    }

    /// The mode the request was authorized with.
    #[must_use]
    pub fn mode(&self) -> AuthMode {
        self.mode
    }

    /// The caller: the access key id for IAM, a redacted key for API keys, the token's
    /// subject for JWTs, `lambda` for Lambda tokens.
    #[must_use]
    pub fn principal(&self) -> &str {
        &self.principal
    }

    /// Cognito groups of the caller (empty for other modes).
    #[must_use]
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// `Type.field`s a Lambda authorizer denied to this caller.
    #[must_use]
    pub fn denied_fields(&self) -> &[String] {
        &self.denied_fields
    }

    /// The caller's addresses, as AppSync's `sourceIp` lists them: the entries of the request's
    /// `x-forwarded-for` header, then the address of the connection. Empty for requests that
    /// came through no socket (`Emulator::execute`, a router driven in-process).
    #[must_use]
    pub fn source_ip(&self) -> &[String] {
        &self.source_ip
    }

    /// The resolver context a Lambda authorizer attached (empty for other modes).
    #[must_use]
    pub fn resolver_context(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.resolver_context
    }
}

/// What a Lambda authorizer is asked: the `Authorization` token and the operation.
#[derive(Debug, Clone)]
pub struct LambdaRequest {
    /// The `Authorization` header's value.
    pub authorization_token: String,
    /// The GraphQL document, when the body could be read as a request.
    pub query_string: Option<String>,
    /// The operation name, if given.
    pub operation_name: Option<String>,
    /// The variables, if any.
    pub variables: serde_json::Map<String, serde_json::Value>,
    /// AppSync Events only (`requestContext.operation`): `EVENT_CONNECT`, `EVENT_PUBLISH` or
    /// `EVENT_SUBSCRIBE`; `None` for GraphQL requests.
    pub operation: Option<String>,
    /// AppSync Events only (`requestContext.channelNamespaceName`): the channel's namespace;
    /// `None` on connect.
    pub channel_namespace_name: Option<String>,
    /// AppSync Events only (`requestContext.channel`): the channel path; `None` on connect.
    pub channel: Option<String>,
}

/// What an AppSync Events authorization is for, as a Lambda authorizer is told.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EventsScope<'a> {
    /// `EVENT_CONNECT`, `EVENT_PUBLISH` or `EVENT_SUBSCRIBE`.
    pub(crate) operation: &'static str,
    /// The namespace and the channel path, except on connect.
    pub(crate) channel: Option<(&'a str, &'a str)>,
}

/// A Lambda authorizer's answer, as AppSync's `{isAuthorized, resolverContext, deniedFields}`.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct LambdaAuthorization {
    authorized: bool,
    resolver_context: serde_json::Map<String, serde_json::Value>,
    denied_fields: Vec<String>,
    ttl_override: Option<Duration>,
}

impl LambdaAuthorization {
    /// Let the request in.
    pub fn allow() -> Self {
        Self { authorized: true, ..Self::default() }
    }

    /// Turn the request away (401).
    pub fn deny() -> Self {
        Self::default()
    }

    /// Context handed to resolvers ([`Identity::resolver_context`]); AppSync Events handlers see
    /// it as `ctx.identity.handlerContext`, Events' name for it.
    pub fn resolver_context(mut self, context: serde_json::Map<String, serde_json::Value>) -> Self {
        self.resolver_context = context;
        self
    }

    /// Fields (`Type.field`) this caller may not read: they resolve to `null` with an
    /// `Unauthorized` error.
    pub fn denied_fields(mut self, fields: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.denied_fields = fields.into_iter().map(Into::into).collect();
        self
    }

    /// How long this answer is cached for its token, overriding the emulator's
    /// [`lambda_authorizer_ttl`](crate::EmulatorBuilder::lambda_authorizer_ttl) (AppSync's
    /// `ttlOverride`; zero means "do not cache"). Whole seconds, at most an hour, as AppSync.
    pub fn ttl_override(mut self, ttl: Duration) -> Self {
        self.ttl_override = Some(ttl);
        self
    }
}

/// Lambda authorizer answers kept per token, as AppSync keeps them for
/// `authorizerResultTtlInSeconds` (or the answer's `ttlOverride`).
#[derive(Debug, Default)]
pub(crate) struct LambdaCache {
    entries: std::sync::Mutex<HashMap<String, (SystemTime, LambdaAuthorization)>>,
}

/// Past this many cached tokens, expired entries are swept on insert so a stream of
/// one-off tokens cannot grow the cache without bound.
const LAMBDA_CACHE_SWEEP_AT: usize = 4096;

impl LambdaCache {
    fn get(&self, token: &str, now: SystemTime) -> Option<LambdaAuthorization> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(token).filter(|(expires, _)| now < *expires).map(|(_, answer)| answer.clone())
    }

    fn put(&self, token: &str, answer: &LambdaAuthorization, ttl: Duration, now: SystemTime) {
        if ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= LAMBDA_CACHE_SWEEP_AT {
            entries.retain(|_, (expires, _)| now < *expires);
        }
        entries.insert(token.to_owned(), (now + ttl, answer.clone()));
    }
}

/// The longest result TTL AppSync accepts (`authorizerResultTtlInSeconds`, `ttlOverride`).
pub(crate) const MAX_LAMBDA_TTL: Duration = Duration::from_secs(3600);

/// The future a Lambda authorizer callback returns.
pub type LambdaFuture = std::pin::Pin<Box<dyn std::future::Future<Output = LambdaAuthorization> + Send>>;

pub(crate) type LambdaAuthorizerFn = std::sync::Arc<dyn Fn(LambdaRequest) -> LambdaFuture + Send + Sync>;

/// Why a request was turned away before execution; rendered as AppSync renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthFailure {
    pub(crate) status: u16,
    pub(crate) error_type: &'static str,
    pub(crate) message: String,
}

impl AuthFailure {
    /// No usable credentials: no auth header at all, or one no configured mode can verify.
    pub(crate) fn unauthorized() -> Self {
        Self {
            status: 401,
            error_type: "UnauthorizedException",
            message: "Valid authorization header not provided.".to_owned(),
        }
    }

    /// Credentials of a usable kind that are wrong: an unknown or expired API key. AppSync
    /// keeps "Valid authorization header not provided." for requests without usable auth
    /// (AWS Knowledge Center, "troubleshoot Unauthorized errors" in AppSync; FIDELITY.md 5).
    pub(crate) fn not_authorized() -> Self {
        Self {
            status: 401,
            error_type: "UnauthorizedException",
            message: "You are not authorized to make this call.".to_owned(),
        }
    }

    fn sigv4(error_type: &'static str, message: impl Into<String>) -> Self {
        Self { status: 403, error_type, message: message.into() }
    }
}

/// The configured ways in, fixed at build time.
pub(crate) struct Authenticator {
    pub(crate) default_mode: AuthMode,
    pub(crate) enabled: Vec<AuthMode>,
    pub(crate) api_keys: Vec<ApiKey>,
    pub(crate) iam: Option<appsync_sigv4::Verifier<HashMap<String, appsync_sigv4::Credentials>>>,
    /// The clock skew `iam` allows, quoted in AWS's wording of a time failure.
    pub(crate) max_clock_skew: Duration,
    pub(crate) lambda_tokens: Vec<String>,
    pub(crate) cognito: Option<JwtConfig>,
    pub(crate) oidc: Option<JwtConfig>,
    pub(crate) lambda_authorizer: Option<LambdaAuthorizerFn>,
    /// `authorizerResultTtlInSeconds`: zero (AppSync's default) calls the authorizer every time.
    pub(crate) lambda_ttl: Duration,
    pub(crate) lambda_cache: LambdaCache,
    /// `identityValidationExpression`, anchored: tokens that do not match are refused
    /// without asking the authorizer.
    pub(crate) lambda_identity_validation: Option<regex::Regex>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("default_mode", &self.default_mode)
            .field("enabled", &self.enabled)
            .field("api_keys", &self.api_keys)
            .field("iam", &self.iam.is_some())
            .field("lambda_tokens", &self.lambda_tokens.len())
            .field("cognito", &self.cognito)
            .field("oidc", &self.oidc)
            .field("lambda_authorizer", &self.lambda_authorizer.is_some())
            .field("lambda_ttl", &self.lambda_ttl)
            .field(
                "lambda_identity_validation",
                &self.lambda_identity_validation.as_ref().map(regex::Regex::as_str),
            )
            .finish_non_exhaustive()
    }
}

/// The request as seen by the authenticator.
pub(crate) struct RequestParts<'a> {
    pub(crate) parts: &'a http::request::Parts,
    pub(crate) body: &'a [u8],
}

impl RequestParts<'_> {
    fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }
}

impl Authenticator {
    /// [`authenticate`](Self::authenticate), then, for an `Authorization` token nothing else
    /// accepted, the Lambda authorizer callback if there is one.
    pub(crate) async fn authenticate_request(
        &self,
        req: &RequestParts<'_>,
        now: SystemTime,
    ) -> Result<Identity, AuthFailure> {
        self.authenticate_scoped(req, now, None).await
    }

    /// [`authenticate_request`](Self::authenticate_request) for an AppSync Events operation,
    /// which a Lambda authorizer is told about.
    pub(crate) async fn authenticate_scoped(
        &self,
        req: &RequestParts<'_>,
        now: SystemTime,
        events: Option<EventsScope<'_>>,
    ) -> Result<Identity, AuthFailure> {
        let first = self.authenticate(req, now);
        let Some(authorizer) = &self.lambda_authorizer else {
            return first;
        };
        if first.is_ok() {
            return first;
        }
        let Some(token) = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty() && !v.starts_with("AWS4-HMAC-SHA256"))
        else {
            return first;
        };
        if self.lambda_identity_validation.as_ref().is_some_and(|re| !re.is_match(token)) {
            return Err(AuthFailure::unauthorized());
        }
        if let Some(answer) = self.lambda_cache.get(token, now) {
            return Self::lambda_identity(answer);
        }
        // The authorizer runs before the body is checked: one that is not JSON gives it no query,
        // operation name or variables (`Null` has none), as AppSync passes what it could read.
        let body: serde_json::Value = serde_json::from_slice(req.body).unwrap_or_default();
        let request = LambdaRequest {
            authorization_token: token.to_owned(),
            query_string: body.get("query").and_then(|q| q.as_str()).map(str::to_owned),
            operation_name: body.get("operationName").and_then(|q| q.as_str()).map(str::to_owned),
            variables: body.get("variables").and_then(|v| v.as_object()).cloned().unwrap_or_default(),
            operation: events.map(|e| e.operation.to_owned()),
            channel_namespace_name: events.and_then(|e| e.channel).map(|(ns, _)| ns.to_owned()),
            channel: events.and_then(|e| e.channel).map(|(_, path)| path.to_owned()),
        };
        let answer = authorizer(request).await;
        // AppSync refuses an answer whose ttlOverride is out of range; a longer one is a
        // mistake in the authorizer, so it is not cached rather than cached too long.
        let ttl = match answer.ttl_override {
            Some(ttl) if ttl > MAX_LAMBDA_TTL => {
                tracing::warn!(?ttl, "Lambda authorizer ttlOverride above 3600 s; the answer is not cached");
                Duration::ZERO
            }
            Some(ttl) => ttl,
            None => self.lambda_ttl,
        };
        self.lambda_cache.put(token, &answer, ttl, now);
        Self::lambda_identity(answer)
    }

    fn lambda_identity(answer: LambdaAuthorization) -> Result<Identity, AuthFailure> {
        if !answer.authorized {
            return Err(AuthFailure::unauthorized());
        }
        let mut identity = Identity::new(AuthMode::Lambda, "lambda");
        identity.resolver_context = answer.resolver_context;
        identity.denied_fields = answer.denied_fields;
        Ok(identity)
    }

    pub(crate) fn authenticate(
        &self,
        req: &RequestParts<'_>,
        now: SystemTime,
    ) -> Result<Identity, AuthFailure> {
        let authorization = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty());
        if let Some(value) = authorization {
            if value.starts_with("AWS4-HMAC-SHA256") {
                return self.check_iam(req, now);
            }
            let token_modes = self.cognito.is_some() || self.oidc.is_some() || !self.lambda_tokens.is_empty();
            if token_modes {
                return self.check_token(value);
            }
            // With IAM the only way in for an `Authorization` header, AppSync reads any value
            // there as a malformed SigV4 header (amplify-js #2035 and #7906: a JWT or `Bearer`
            // token sent to an IAM API gets IncompleteSignatureException).
            let iam_reads_authorization = self.iam.is_some()
                && self.enabled.contains(&AuthMode::Iam)
                && (self.default_mode == AuthMode::Iam || self.enabled == [AuthMode::Iam])
                && self.lambda_authorizer.is_none();
            if iam_reads_authorization && req.headers().get("x-api-key").is_none() {
                return Err(AuthFailure::sigv4(
                    "IncompleteSignatureException",
                    missing_signature_parts(value, req.headers()).unwrap_or_else(|| {
                        format!("Authorization header requires 'Credential' parameter. Authorization={value}")
                    }),
                ));
            }
            // A token no configured mode can verify is no proof.
            if req.headers().get("x-api-key").is_none() {
                return Err(AuthFailure::unauthorized());
            }
        }
        if let Some(key) = req.headers().get("x-api-key") {
            return self.check_api_key(key.as_bytes(), now);
        }
        Err(AuthFailure::unauthorized())
    }

    fn check_api_key(&self, presented: &[u8], now: SystemTime) -> Result<Identity, AuthFailure> {
        if !self.enabled.contains(&AuthMode::ApiKey) {
            return Err(AuthFailure::unauthorized());
        }
        // Compare against every key so timing does not reveal which one nearly matched.
        let mut found: Option<&ApiKey> = None;
        for key in &self.api_keys {
            if bool::from(key.key.as_bytes().ct_eq(presented)) {
                found = Some(key);
            }
        }
        match found {
            Some(key) if key.expires.is_none_or(|t| now < t) => {
                Ok(Identity::new(AuthMode::ApiKey, key.redacted()))
            }
            Some(key) => {
                tracing::debug!(key = %key.redacted(), "API key expired");
                Err(AuthFailure::not_authorized())
            }
            None => Err(AuthFailure::not_authorized()),
        }
    }

    /// A token in `Authorization`: a Cognito or OIDC JWT, else a Lambda authorizer token.
    fn check_token(&self, token: &str) -> Result<Identity, AuthFailure> {
        for (mode, config) in [(AuthMode::CognitoUserPools, &self.cognito), (AuthMode::Oidc, &self.oidc)] {
            if let Some(config) = config {
                match config.verify(token) {
                    Ok(claims) => return Ok(Identity::from_claims(mode, claims)),
                    Err(why) => tracing::debug!(%mode, reason = why, "JWT rejected"),
                }
            }
        }
        if self.lambda_tokens.is_empty() {
            return Err(AuthFailure::unauthorized());
        }
        self.check_lambda(token)
    }

    fn check_lambda(&self, token: &str) -> Result<Identity, AuthFailure> {
        let mut ok = false;
        for t in &self.lambda_tokens {
            ok |= bool::from(t.as_bytes().ct_eq(token.as_bytes()));
        }
        if ok { Ok(Identity::new(AuthMode::Lambda, "lambda")) } else { Err(AuthFailure::unauthorized()) }
    }

    fn check_iam(&self, req: &RequestParts<'_>, now: SystemTime) -> Result<Identity, AuthFailure> {
        let Some(verifier) = self.iam.as_ref().filter(|_| self.enabled.contains(&AuthMode::Iam)) else {
            return Err(AuthFailure::unauthorized());
        };
        let signable = appsync_sigv4::SignableRequest::from_http_parts(
            req.parts,
            appsync_sigv4::SignableBody::Bytes(req.body),
        );
        match verifier.verify(&signable, now) {
            Ok(verified) => Ok(Identity::new(AuthMode::Iam, verified.access_key_id())),
            Err(e) => Err(sigv4_failure(&e, req.headers(), now, self.max_clock_skew)),
        }
    }
}

/// `max_clock_skew` is the skew the verifier was built with, which AWS's message quotes.
fn sigv4_failure(
    e: &appsync_sigv4::VerifyError,
    headers: &HeaderMap,
    now: SystemTime,
    max_clock_skew: Duration,
) -> AuthFailure {
    use appsync_sigv4::VerifyErrorKind as K;
    match e.kind() {
        K::SignatureMismatch => {
            tracing::debug!(
                canonical_request = e.expected_canonical_request().unwrap_or(""),
                string_to_sign = e.expected_string_to_sign().unwrap_or(""),
                "SigV4 signature mismatch; expected values follow"
            );
            AuthFailure::sigv4(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. \
                 Check your AWS Secret Access Key and signing method. Consult the service \
                 documentation for details.",
            )
        }
        K::UnknownAccessKey | K::InvalidSessionToken => AuthFailure::sigv4(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ),
        K::ClockSkew | K::Expired => {
            // AWS's wording, which SDKs parse to correct their clocks.
            let signed_at = e.signed_at().unwrap_or(now);
            let skew = max_clock_skew;
            let minutes = skew.as_secs() / 60;
            let message = if signed_at > now {
                format!(
                    "Signature not yet current: {} is still later than {} ({} + {minutes} min.)",
                    crate::time::amz_date(signed_at),
                    crate::time::amz_date(now + skew),
                    crate::time::amz_date(now),
                )
            } else {
                format!(
                    "Signature expired: {} is now earlier than {} ({} - {minutes} min.)",
                    crate::time::amz_date(signed_at),
                    crate::time::amz_date(now.checked_sub(skew).unwrap_or(now)),
                    crate::time::amz_date(now),
                )
            };
            AuthFailure::sigv4("InvalidSignatureException", message)
        }
        K::ScopeMismatch { field } => AuthFailure::sigv4(
            "InvalidSignatureException",
            format!("Credential should be scoped to a valid {field:?}."),
        ),
        other => {
            tracing::debug!(reason = ?other, "SigV4 request rejected");
            AuthFailure::sigv4("IncompleteSignatureException", incomplete_signature_message(other, headers))
        }
    }
}

/// AWS's words for a signature that cannot be checked (captures in
/// awslabs/aws-mobile-appsync-sdk-js #702, aws-amplify/amplify-js #7906, sony/appsync-client-go #28).
fn incomplete_signature_message(kind: &appsync_sigv4::VerifyErrorKind, headers: &HeaderMap) -> String {
    use appsync_sigv4::{MalformedPart as P, VerifyErrorKind as K};
    let authorization = headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if let Some(message) = authorization.and_then(|value| missing_signature_parts(value, headers)) {
        return message;
    }
    match kind {
        K::SignedHeaderMissing { name } => {
            format!("'{name}' is named as a SignedHeader, but it does not exist in the HTTP request.")
        }
        // AWS's words for `host`; for the other headers that must be signed no capture exists,
        // so the same sentence names them.
        K::HeaderNotSigned { name } if name.eq_ignore_ascii_case("host") => {
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned()
        }
        K::HeaderNotSigned { name } => format!("'{name}' must be a 'SignedHeader' in the AWS Authorization."),
        // No capture of AWS's wording for a part present but malformed: say which part, in words.
        K::Malformed { part, detail } => {
            let what = match part {
                P::Algorithm => "The Authorization header's algorithm",
                P::Credential => "The 'Credential' parameter",
                P::SignedHeaders => "The 'SignedHeaders' parameter",
                P::Signature => "The 'Signature' parameter",
                P::Date => "The 'X-Amz-Date' value",
                P::Expires => "The 'X-Amz-Expires' parameter",
                P::ContentSha256 => "The 'x-amz-content-sha256' header",
                P::Duplicate => "A signing header or parameter",
                P::Request => "The HTTP request",
                _ => "The request signature",
            };
            format!("{what} is malformed: {detail}.")
        }
        K::Ambiguous => {
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
                .to_owned()
        }
        _ => "The request signature is incomplete or malformed.".to_owned(),
    }
}

/// For an `Authorization` header lacking some of `Credential=`, `Signature=`, `SignedHeaders=`
/// or a date header, AWS's message listing each missing part and echoing the header
/// (amplify-js #7906), or `None` when nothing is missing.
fn missing_signature_parts(value: &str, headers: &HeaderMap) -> Option<String> {
    let params = value.strip_prefix("AWS4-HMAC-SHA256").unwrap_or(value);
    let has = |name: &str| {
        params
            .split([',', ' '])
            .any(|field| field.trim().split_once('=').is_some_and(|(key, _)| key.trim() == name))
    };
    let mut message = String::new();
    for name in ["Credential", "Signature", "SignedHeaders"] {
        if !has(name) {
            message.push_str(&format!("Authorization header requires '{name}' parameter. "));
        }
    }
    if !headers.contains_key("x-amz-date") && !headers.contains_key(http::header::DATE) {
        message.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    if message.is_empty() {
        return None;
    }
    message.push_str("Authorization=");
    message.push_str(value);
    Some(message)
}
