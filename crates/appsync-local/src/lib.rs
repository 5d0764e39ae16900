//! `appsync-local`: a local AWS AppSync that checks auth for real.
//!
//! Serve an AppSync-style schema over HTTP with default resolvers (in memory, or durable in a
//! redb file), auth verified as AppSync verifies it (SigV4 for IAM, API keys with expiry,
//! Cognito/OIDC JWTs against a JWKS, Lambda tokens or an authorizer callback), AppSync's auth
//! directives enforced per field, and AppSync's status codes and error shapes.
//!
//! ```no_run
//! # async fn demo() -> Result<(), appsync_local::Error> {
//! use appsync_local::{ApiKey, AuthMode, Credentials, Emulator};
//!
//! let emulator = Emulator::builder()
//!     .iam_credentials(Credentials::new("AKIDLOCAL", "local-secret", None, None))
//!     .api_key(ApiKey::new("da2-local"))
//!     .default_auth(AuthMode::Iam)
//!     .build()?;
//! let server = emulator.spawn("127.0.0.1:0").await?;
//! println!("listening on {}", server.graphql_url());
//! # Ok(()) }
//! ```
//!
//! Default resolvers (when no resolver is registered for a root field):
//! - Mutation `create*`/`add*`/`put*` returning object type `T` stores a record built from the
//!   fields of its input-object argument (the one named `input` if several), else from all
//!   arguments, with a new UUID `id` when none is given and `createdAt`/`updatedAt` set when `T` has them. `update*`
//!   merges into the record with that `id`; `delete*`/`remove*` removes it and returns it.
//!   A missing (or, for create, existing) record is an error of type
//!   `DynamoDB:ConditionalCheckFailedException`.
//! - Query returning `T` with an `id` argument looks it up (`null` when absent). Query
//!   returning `[T]` or a connection `{ items: [T], nextToken: String }` scans with equality
//!   filters from the other scalar arguments (and Amplify's `filter: {field: {eq: v}}`), `limit`
//!   (default 100) and an opaque `nextToken`.
//! - Nested fields read the parent record's property of the same name; other root fields are
//!   `null`.
//!
//! What else is in the crate:
//! - [`EmulatorBuilder`]: every setting, checked by `build` (an out-of-range value is a
//!   configuration error naming it, [`Error::field`]); custom resolvers ([`ResolverContext`],
//!   [`ResolverError`]); a Lambda authorizer callback ([`LambdaAuthorization`]); Cognito/OIDC
//!   verification ([`JwtConfig`]) and demo tokens ([`DemoToken`]); a durable data file.
//! - [`Emulator`]: `spawn` (background server), `serve` (your listener), `router` (axum routes
//!   to embed), `execute` (in process), `subscribe_mutations` (every successful mutation),
//!   `publish_events` and `subscribe_events` (AppSync Events).
//! - [`realtime`]: AppSync's real-time WebSocket protocol on the same port, its options
//!   ([`realtime::RealtimeOptions`]) and its message types ([`realtime::protocol`]).
//! - [`events`]: AppSync Events on the same port (`POST /event`, the WebSocket at
//!   `/event/realtime`): channel namespaces ([`events::ChannelNamespace`]), limits
//!   ([`events::EventsOptions`]), the `onPublish`/`onSubscribe` hook
//!   ([`events::NamespaceHandler`]) and the message types ([`events::protocol`]);
//!   `publish_events` and `subscribe_events` on [`Emulator`].
//!
//! Cargo features: none; everything above is always built.

/// The README, this crate's page on crates.io: its examples are compiled (and run, unless marked
/// `no_run`) as doc tests, so the page never shows code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod auth;
mod builder;
pub mod data_sources;
mod defaults;
mod emulator;
mod engine;
mod error;
pub mod events;
mod http;
mod introspection;
mod js;
mod json;
mod json_arguments;
mod jwt;
mod mutation_bus;
pub mod project;
pub mod realtime;
mod resolver;
mod response;
mod scalars;
mod schema;
mod selection;
mod server;
mod socket;
mod store;
mod thread_pool;
mod time;
mod tls;
mod validation;
mod websocket;

/// The credentials type the emulator verifies SigV4 signatures against (from `appsync-sigv4`).
pub use appsync_sigv4::Credentials;
pub use auth::{ApiKey, AuthMode, Identity, LambdaAuthorization, LambdaFuture, LambdaRequest};
pub use builder::{
    DEFAULT_BODY_LIMIT, DEFAULT_EVENT_CAPACITY, DEFAULT_MAX_ALIASES, DEFAULT_RESOLVER_COUNT_LIMIT,
    EmulatorBuilder, MAX_QUERY_DEPTH_LIMIT,
};
pub use emulator::Emulator;
pub use error::Error;
pub use http::app;
pub use jwt::{DEMO_JWT_ISSUER, DemoToken, JwtConfig, demo_jwks_json};
pub use mutation_bus::MutationEvent;
pub use resolver::{ResolverContext, ResolverError, ResolverFuture};
pub use schema::DEMO_SCHEMA;
pub use server::{ServerHandle, bind};
pub use tls::TlsOptions;
