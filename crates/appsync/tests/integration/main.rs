//! Integration tests of the `appsync` client against a real HTTP server on 127.0.0.1.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod auth_modes;
mod credentials;
mod emulator;
mod errors;
mod events;
mod events_http;
mod events_socket;
mod retries;
#[cfg(feature = "aws-config")]
mod sdk_credentials;
#[cfg(feature = "middleware")]
mod signing_middleware;
mod subscriptions;
mod tls;
#[cfg(feature = "graphql-client")]
mod typed_queries;

use std::time::Duration;

use appsync::{Auth, Client, ClientBuilder, RetryPolicy};
use support::{REGION, TestServer};

/// A builder for `server` with fast retries, so retry tests take milliseconds.
/// The demo schema's `Post` as the emulator and subscription tests read it back.
#[derive(Debug, serde::Deserialize, PartialEq)]
struct Post {
    id: String,
    title: String,
    author: Option<String>,
}

fn builder(server: &TestServer, auth: Auth) -> ClientBuilder {
    Client::builder().endpoint(&server.url).region(REGION).auth(auth).retry(
        RetryPolicy::default().base_backoff(Duration::from_millis(5)).max_backoff(Duration::from_millis(20)),
    )
}

fn client(server: &TestServer, auth: Auth) -> Client {
    builder(server, auth).build().unwrap()
}
