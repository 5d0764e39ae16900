//! Auth modes: IAM (SigV4), API key, Cognito user pools / OIDC tokens, Lambda tokens.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use appsync_sigv4::{SignableBody, SignableRequest, SigningParams};
use base64::Engine as _;
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::credentials::{
    CachedCredentials, CredentialsError, ExpiringCache, ProvideCredentials, ProvideFuture,
};
use crate::error::{Error, Result};

/// The SigV4 service name of AppSync's data plane.
pub(crate) const SERVICE: &str = "appsync";

/// How requests prove who they come from. AppSync APIs can accept several modes at once: set a
/// default on the client and override it per request with [`Request::auth`](crate::Request::auth).
///
/// Cheap to clone; `Debug` shows the mode, never a secret.
///
/// ```
/// use appsync::{Auth, Token};
/// use appsync::credentials::DefaultCredentialsChain;
///
/// let iam = Auth::iam(DefaultCredentialsChain::new());
/// let api_key = Auth::api_key("da2-abcdefghijklmnopqrstuvwxyz");
/// let cognito = Auth::cognito(Token::new("eyJraWQiOi..."));
/// let lambda = Auth::lambda("custom-token");
/// ```
#[derive(Clone)]
pub struct Auth {
    pub(crate) mode: Mode,
}

#[derive(Clone)]
pub(crate) enum Mode {
    Iam(CachedCredentials),
    ApiKey(Arc<str>),
    Token { kind: TokenKind, source: Arc<TokenSource> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Cognito,
    Oidc,
    Lambda,
}

impl TokenKind {
    fn name(self) -> &'static str {
        match self {
            Self::Cognito => "cognito",
            Self::Oidc => "oidc",
            Self::Lambda => "lambda",
        }
    }
}

pub(crate) struct TokenSource {
    provider: Box<dyn ProvideToken>,
    cache: ExpiringCache<Token>,
}

impl TokenSource {
    pub(crate) async fn token(&self) -> Result<Token, CredentialsError> {
        self.cache
            .get(|| async {
                let token = self.provider.provide_token().await?;
                let expiry = token.expiry();
                Ok((token, expiry))
            })
            .await
    }

    pub(crate) fn invalidate(&self) {
        self.cache.invalidate();
    }
}

/// Tokens a minute from expiry are refreshed: a JWT checked by AppSync a few hundred
/// milliseconds after sending must still be valid then.
const TOKEN_REFRESH_BEFORE: Duration = Duration::from_secs(60);

impl Auth {
    /// IAM: every request is signed with SigV4 (service `appsync`) using credentials from
    /// `provider`, which is wrapped in a [`CachedCredentials`] so it is called only when the
    /// credentials are missing or about to expire.
    pub fn iam(provider: impl ProvideCredentials + 'static) -> Self {
        Self::iam_cached(CachedCredentials::new(provider))
    }

    /// IAM with a cache you built (to set its refresh margin or share it between clients).
    pub fn iam_cached(cached: CachedCredentials) -> Self {
        Self { mode: Mode::Iam(cached) }
    }

    /// API key, sent as `x-api-key`.
    pub fn api_key(key: impl Into<String>) -> Self {
        Self { mode: Mode::ApiKey(key.into().into()) }
    }

    /// Cognito user pools: the user's JWT (ID or access token) as `Authorization`. The provider
    /// is called again when the token nears its expiry (from [`Token::expiry`], which
    /// [`Token::new`] reads from the JWT's `exp`) or after AppSync rejects it.
    pub fn cognito(provider: impl ProvideToken + 'static) -> Self {
        Self::token(TokenKind::Cognito, provider)
    }

    /// OpenID Connect: the JWT as `Authorization`, refreshed like [`Auth::cognito`].
    pub fn oidc(provider: impl ProvideToken + 'static) -> Self {
        Self::token(TokenKind::Oidc, provider)
    }

    /// Lambda authorizer: the token as `Authorization`.
    pub fn lambda(provider: impl ProvideToken + 'static) -> Self {
        Self::token(TokenKind::Lambda, provider)
    }

    fn token(kind: TokenKind, provider: impl ProvideToken + 'static) -> Self {
        let source =
            TokenSource { provider: Box::new(provider), cache: ExpiringCache::new(TOKEN_REFRESH_BEFORE) };
        Self { mode: Mode::Token { kind, source: Arc::new(source) } }
    }

    /// The mode's name: `iam`, `api-key`, `cognito`, `oidc` or `lambda`.
    pub fn mode_name(&self) -> &'static str {
        match &self.mode {
            Mode::Iam(_) => "iam",
            Mode::ApiKey(_) => "api-key",
            Mode::Token { kind, .. } => kind.name(),
        }
    }

    /// Who this auth is, for sharing real-time connections: clones are the same identity.
    pub(crate) fn identity(&self) -> (&'static str, usize) {
        let address = match &self.mode {
            Mode::Iam(cached) => cached.identity(),
            Mode::ApiKey(key) => Arc::as_ptr(key) as *const () as usize,
            Mode::Token { source, .. } => Arc::as_ptr(source) as *const () as usize,
        };
        (self.mode_name(), address)
    }

    pub(crate) fn is_iam(&self) -> bool {
        matches!(self.mode, Mode::Iam(_))
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.mode {
            Mode::Iam(c) => f.debug_tuple("Auth::Iam").field(c).finish(),
            Mode::ApiKey(_) => f.write_str("Auth::ApiKey(** redacted **)"),
            Mode::Token { kind, .. } => write!(f, "Auth::Token({}, ** redacted **)", kind.name()),
        }
    }
}

/// A bearer token (Cognito or OIDC JWT, Lambda authorizer token) and when it expires.
///
/// `Debug` hides the value.
#[derive(Clone)]
pub struct Token {
    value: Arc<str>,
    expiry: Option<SystemTime>,
}

impl Token {
    /// A token; when it is a JWT its `exp` claim becomes the expiry (the signature is not
    /// checked: that is the server's job).
    pub fn new(value: impl Into<String>) -> Self {
        let value: String = value.into();
        let expiry = jwt_expiry(&value);
        Self { value: value.into(), expiry }
    }

    /// A token with this expiry (or none), whatever the value says: for opaque tokens whose
    /// lifetime the issuer tells apart, or a JWT whose `exp` should be ignored.
    pub fn from_parts(value: impl Into<String>, expiry: Option<SystemTime>) -> Self {
        Self { value: value.into().into(), expiry }
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// When it expires, if known.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expiry
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token").field("value", &"** redacted **").field("expiry", &self.expiry).finish()
    }
}

fn jwt_expiry(token: &str) -> Option<SystemTime> {
    let mut parts = token.split('.');
    let (_, payload, _, None) = (parts.next()?, parts.next()?, parts.next()?, parts.next()) else {
        return None;
    };
    let bytes =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_u64()?;
    Some(UNIX_EPOCH + Duration::from_secs(exp))
}

/// An async source of bearer tokens (a Cognito session, an OIDC client, a Lambda authorizer
/// secret). Called when the cached token is missing, near expiry or was rejected; like
/// [`ProvideCredentials`], implementations may do I/O and need not cache themselves.
///
/// `Debug` is required as of [`ProvideCredentials`]; this crate never formats a token provider
/// (the `Debug` of [`Auth`] shows only the mode), so a `String` token is not printed.
///
/// ```
/// use appsync::{ProvideFuture, ProvideToken, Token};
///
/// #[derive(Debug)]
/// struct FromSession;
///
/// impl ProvideToken for FromSession {
///     fn provide_token(&self) -> ProvideFuture<'_, Token> {
///         Box::pin(async { Ok(Token::new("eyJraWQiOi...")) })
///     }
/// }
/// let auth = appsync::Auth::cognito(FromSession);
/// ```
pub trait ProvideToken: fmt::Debug + Send + Sync {
    /// Loads a token.
    fn provide_token(&self) -> ProvideFuture<'_, Token>;
}

impl ProvideToken for Token {
    fn provide_token(&self) -> ProvideFuture<'_, Token> {
        let token = self.clone();
        Box::pin(async move { Ok(token) })
    }
}

impl ProvideToken for String {
    fn provide_token(&self) -> ProvideFuture<'_, Token> {
        let token = Token::new(self.clone());
        Box::pin(async move { Ok(token) })
    }
}

impl ProvideToken for &'static str {
    fn provide_token(&self) -> ProvideFuture<'_, Token> {
        let token = Token::new(*self);
        Box::pin(async move { Ok(token) })
    }
}

impl<P: ProvideToken + ?Sized> ProvideToken for Arc<P> {
    fn provide_token(&self) -> ProvideFuture<'_, Token> {
        (**self).provide_token()
    }
}

impl<P: ProvideToken + ?Sized> ProvideToken for Box<P> {
    fn provide_token(&self) -> ProvideFuture<'_, Token> {
        (**self).provide_token()
    }
}

/// A token provider from an async closure.
///
/// ```
/// use appsync::{provide_token_fn, Auth, Token};
/// let auth = Auth::cognito(provide_token_fn(|| async {
///     // e.g. refresh the Cognito session here
///     Ok(Token::new("eyJraWQiOi..."))
/// }));
/// ```
pub fn provide_token_fn<F, Fut>(f: F) -> ProvideTokenFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Token, CredentialsError>> + Send + 'static,
{
    ProvideTokenFn(f)
}

/// See [`provide_token_fn`].
pub struct ProvideTokenFn<F>(F);

impl<F> fmt::Debug for ProvideTokenFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProvideTokenFn")
    }
}

impl<F, Fut> ProvideToken for ProvideTokenFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Token, CredentialsError>> + Send + 'static,
{
    fn provide_token(&self) -> ProvideFuture<'_, Token> {
        Box::pin((self.0)())
    }
}

/// Adds the auth headers of `auth` for a request: the API key, the token, or a SigV4 signature
/// over `method`, `uri`, the headers already present and `body`. Shared by HTTP operations and
/// [`Client::auth_headers`] (the real-time handshake and `start` messages sign the same way).
pub(crate) async fn add_auth_headers(
    auth: &Auth,
    headers: &mut HeaderMap,
    method: &http::Method,
    uri: &http::Uri,
    region: Option<&str>,
    body: &[u8],
    time: SystemTime,
) -> Result<()> {
    match &auth.mode {
        Mode::ApiKey(key) => {
            let mut value = HeaderValue::from_str(key)
                .map_err(|_| Error::config("api_key", "contains characters not allowed in a header"))?;
            value.set_sensitive(true);
            headers.insert(HeaderName::from_static("x-api-key"), value);
        }
        Mode::Token { source, .. } => {
            let token = source.token().await.map_err(Error::credentials)?;
            let mut value = HeaderValue::from_str(token.as_str())
                .map_err(|_| Error::config("token", "contains characters not allowed in a header"))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        Mode::Iam(provider) => {
            use crate::credentials::ProvideCredentials as _;
            let Some(region) = region else {
                return Err(Error::config("region", "is required for IAM auth"));
            };
            let creds = match provider.fresh() {
                Some(creds) => creds,
                None => provider.provide_credentials().await.map_err(Error::credentials)?,
            };
            // Signed as an `http::Request` (the headers moved in and back out): its parts are
            // valid already, so the signer neither splits the URL again nor re-checks the names.
            let mut request = http::Request::new(());
            *request.method_mut() = method.clone();
            *request.uri_mut() = uri.clone();
            *request.headers_mut() = std::mem::take(headers);
            let signed = appsync_sigv4::sign(
                &SignableRequest::from_http(&request, SignableBody::Bytes(body)),
                &SigningParams::new(&creds, region, SERVICE, time),
            );
            *headers = std::mem::take(request.headers_mut());
            // The token and date values are shared, not parsed again per request; the token and
            // `Authorization` are marked sensitive.
            signed.map_err(Error::signing)?.apply_to_header_map(headers).map_err(Error::signing)?;
        }
    }
    Ok(())
}

impl Auth {
    /// After a rejection: forget the cached credentials or token, load again, and say whether
    /// the new ones differ (only then is another try worth it).
    pub(crate) async fn refresh_rejected(&self) -> bool {
        use crate::credentials::ProvideCredentials as _;
        match &self.mode {
            Mode::ApiKey(_) => false,
            Mode::Iam(provider) => {
                let Ok(before) = provider.provide_credentials().await else { return false };
                provider.invalidate();
                match provider.provide_credentials().await {
                    Ok(after) => {
                        after.access_key_id() != before.access_key_id()
                            || after.secret_access_key() != before.secret_access_key()
                            || after.session_token() != before.session_token()
                    }
                    Err(_) => false,
                }
            }
            Mode::Token { source, .. } => {
                let Ok(before) = source.token().await else { return false };
                source.invalidate();
                match source.token().await {
                    Ok(after) => after.as_str() != before.as_str(),
                    Err(_) => false,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_jwt_exp_and_hides_values() {
        // {"alg":"none"} . {"exp":2000000000}
        let jwt = "eyJhbGciOiJub25lIn0.eyJleHAiOjIwMDAwMDAwMDB9.c2ln";
        let t = Token::new(jwt);
        assert_eq!(t.expiry(), Some(UNIX_EPOCH + Duration::from_secs(2_000_000_000)));
        assert!(!format!("{t:?}").contains("eyJ"));
        assert_eq!(Token::new("opaque").expiry(), None);
        assert!(!format!("{:?}", Auth::api_key("da2-secret")).contains("secret"));
        assert!(!format!("{:?}", Auth::lambda("tok-secret")).contains("secret"));
    }
}
