//! The APPSYNC_JS runtime, embedded.
//!
//! AppSync runs resolvers and pipeline functions written in a restricted JavaScript (ES modules
//! exporting `request(ctx)` and `response(ctx)`, with `util`, `runtime` and `extensions` from
//! `@aws-appsync/utils`). This crate evaluates that code in-process for the local emulator, and
//! checks it against the restrictions AWS enforces when the code is deployed.
//!
//! ```
//! use appsync_js::{Context, DataSources, Engine, NoneDataSource, Resolver};
//! use serde_json::json;
//!
//! let engine = Engine::builder().workers(1).build()?;
//! let sources = DataSources::new().source("NONE", NoneDataSource);
//! let resolver = Resolver::unit(
//!     "export const request = (ctx) => ({ payload: { hello: ctx.args.name } });
//!      export const response = (ctx) => ctx.result;",
//!     "NONE",
//! );
//! let ctx = Context::new().arguments(json!({ "name": "world" }).as_object().cloned().unwrap_or_default());
//! let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
//! let outcome = runtime.block_on(resolver.resolve(&engine, ctx, &sources));
//! assert_eq!(outcome.data, json!({ "hello": "world" }));
//! # Ok::<(), appsync_js::Error>(())
//! ```

/// The README, this crate's page on crates.io: its examples are compiled (and run, unless marked
/// `no_run`) as doc tests, so the page never shows code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub mod check;
mod context;
mod engine;
mod error;
mod evaluation;
mod event_context;
mod exports;
mod host;
mod natives;
mod resolver;
mod sandbox;
mod time_format;

pub use context::{
    CognitoIdentity, Context, ContextError, EventsLambdaIdentity, IamIdentity, Identity, Info,
    LambdaIdentity, OidcIdentity, Prev, Request,
};
pub use engine::{Engine, EngineBuilder, EngineStats};
pub use error::{Error, Location};
pub use evaluation::{EarlyReturn, Evaluation, Handler, ResolverError, SkipTo};
pub use event_context::{
    ChannelNamespaceName, ChannelPath, EventContext, EventInfo, EventOperation, IncomingEvent,
};
pub use exports::exported_names;
pub use host::{FixedHost, Host, SystemHost};
pub use resolver::{
    DEFAULT_MAX_BATCH_SIZE, DataSource, DataSourceError, DataSources, Function, NoneDataSource, Outcome,
    Resolver,
};
