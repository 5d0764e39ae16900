//! What the workspace's integration tests share, in one place: the emulator started on
//! `127.0.0.1:0` with known credentials, requests signed by our signer and by the independent
//! `aws-sigv4` crate, the demo schema's documents, bounded waits, scratch directories, and moto's
//! DynamoDB-compatible server.
//!
//! A dev-dependency only (`publish = false`). Its helpers panic with a message instead of
//! returning errors: a failed helper is the test failing.
//!
//! ```no_run
//! # async fn demo() {
//! use appsync_testkit::{demo_builder, start, CREATE_POST};
//! use serde_json::json;
//!
//! let server = start(demo_builder()).await;
//! let reply = server.api_key(CREATE_POST, json!({"input": {"title": "hi"}})).await;
//! assert_eq!(reply.status, 200);
//! # }
//! ```

// Helpers of tests: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::missing_panics_doc)]

mod documents;
mod emulator;
mod moto;
mod peers;
mod scratch;
mod sign;
mod wait;

pub use documents::{CREATE_POST, CREATE_POST_SHORT, ON_CREATE_POST, POSTS_ALL_MODES_SCHEMA};
pub use emulator::{AKID, API_KEY, REGION, Reply, SECRET, Server, body, demo_builder, start, start_emulator};
pub use moto::{MOTO, Moto, moto_venv};
pub use peers::{Peer, PeerAnswer, PeerRequest, http_peer, lambda_rie};
pub use scratch::scratch_dir;
pub use sign::{sign_aws, sign_ours};
pub use wait::wait_until;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // The shared schema is only read by other crates' tests: prove here that it still builds and
    // still refuses its IAM-only field to an API key, which the Python tests rely on.
    #[tokio::test]
    async fn the_all_modes_schema_serves_and_guards_its_iam_only_field() {
        let server = start(demo_builder().schema_sdl(POSTS_ALL_MODES_SCHEMA)).await;
        let created = server.api_key(CREATE_POST_SHORT, json!({"input": {"title": "kit"}})).await;
        assert_eq!(created.json()["data"]["createPost"]["title"], "kit");
        let denied = server.api_key("{ iamOnly { items { id } } }", json!({})).await;
        assert_eq!(denied.json()["errors"][0]["errorType"], "Unauthorized", "{}", denied.text);
        let allowed = server.iam("{ iamOnly { items { id } } }", json!({})).await;
        assert!(allowed.json().get("errors").is_none(), "{}", allowed.text);
    }
}
