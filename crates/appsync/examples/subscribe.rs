//! A subscription over AppSync's real-time WebSocket, then a mutation whose event it receives.
//! With no argument it runs against an emulator started in this process; with an endpoint and an
//! API key it subscribes there (the documents fit the emulator's demo schema):
//!
//! ```sh
//! cargo run -p appsync --example subscribe
//! cargo run -p appsync --example subscribe -- https://abc123.appsync-api.us-east-1.amazonaws.com/graphql da2-...
//! ```

use appsync::{Auth, Client};
use futures_util::StreamExt as _;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
struct OnCreatePost {
    #[serde(rename = "onCreatePost")]
    post: Post,
}

#[derive(Debug, Deserialize)]
struct Post {
    id: String,
    title: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    // Kept alive until the end of `main`: dropping the handle stops the emulator.
    let mut _local = None;
    let (endpoint, api_key) = match (args.next(), args.next()) {
        (Some(endpoint), Some(key)) => (endpoint, key),
        _ => {
            let emulator = appsync_local::Emulator::builder()
                .api_key(appsync_local::ApiKey::new("da2-example"))
                .default_auth(appsync_local::AuthMode::ApiKey)
                .build()?;
            let server = emulator.spawn("127.0.0.1:0").await?;
            let endpoint = server.graphql_url();
            _local = Some(server);
            (endpoint, "da2-example".to_owned())
        }
    };
    let client = Client::builder().endpoint(endpoint).auth(Auth::api_key(api_key)).build()?;

    // Resolves once AppSync has acknowledged the subscription (`start_ack`): every mutation made
    // after this line is delivered.
    let mut posts = client
        .subscribe::<OnCreatePost>(
            "subscription On($author: String) { onCreatePost(author: $author) { id title } }",
            json!({"author": "example"}),
        )
        .await?;

    client
        .query::<serde_json::Value>(
            "mutation Create($input: CreatePostInput!) { createPost(input: $input) { id title author } }",
            json!({"input": {"title": "hello over the socket", "author": "example"}}),
        )
        .await?
        .into_result()?;

    if let Some(event) = posts.next().await {
        let post = event?.post;
        println!("received {} ({})", post.id, post.title);
    }
    client.close().await; // stops the subscription, closes the socket politely
    Ok(())
}
