//! The APPSYNC_JS runtime, embedded.
//!
//! AppSync runs resolvers and pipeline functions written in a restricted JavaScript (ES modules
//! exporting `request(ctx)` and `response(ctx)`, with `util`, `runtime` and `extensions` from
//! `@aws-appsync/utils`). This crate evaluates that code in-process for the local emulator, and
//! checks it against the restrictions AWS enforces when the code is deployed.

pub mod check;
