//! An async AWS AppSync client whose headline is IAM: SigV4-signed GraphQL over one pooled
//! connection, with temporary credentials refreshed before they expire, typed errors and retries.
//!
//! ```no_run
//! # async fn run() -> Result<(), appsync::Error> {
//! use appsync::{Auth, Client};
//! use appsync::credentials::DefaultCredentialsChain;
//!
//! let client = Client::builder()
//!     .endpoint("https://abc123.appsync-api.us-east-1.amazonaws.com/graphql")
//!     .auth(Auth::iam(DefaultCredentialsChain::new()))
//!     .build()?;
//! let response = client
//!     .query::<serde_json::Value>("query { listPosts { items { id title } } }", ())
//!     .await?;
//! println!("{:?}", response.into_result()?);
//! # Ok(()) }
//! ```
//!
//! - Auth modes: [`Auth::iam`] (SigV4, service `appsync`, session tokens), [`Auth::api_key`],
//!   [`Auth::cognito`] / [`Auth::oidc`] (JWT from a [`ProvideToken`], refreshed near expiry),
//!   [`Auth::lambda`]; per request with [`Request::auth`].
//! - Credentials: [`credentials`] has the environment, shared-file (profiles,
//!   `credential_process`) and default-chain providers, and the cache every IAM client uses.
//! - Errors: one [`Error`] to ask questions of (`is_unauthorized()`, `is_throttled()`,
//!   `status()`, `graphql_errors()`, `json_path()`...).
//! - Retries: [`RetryPolicy`]; clock skew is corrected from the server's `Date` automatically.
//! - Feature `middleware`: [`middleware::SigV4Middleware`] signs any AWS request sent through
//!   `reqwest-middleware`.

mod auth;
mod client;
pub mod credentials;
mod endpoint;
mod error;
#[cfg(feature = "middleware")]
pub mod middleware;
mod operation;
mod retry;

pub use auth::{Auth, ProvideToken, ProvideTokenFn, Token, provide_token_fn};
pub use client::{Client, ClientBuilder};
pub use error::{Error, GraphQLError, Location, PathSegment, Result};
pub use operation::{Request, Response};
pub use retry::RetryPolicy;

/// The SigV4 signer this crate uses, for signing other requests by hand.
pub use appsync_sigv4 as sigv4;
