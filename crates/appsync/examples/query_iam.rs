//! An IAM-signed mutation and query. With no argument it starts an emulator in this process (on
//! a free loopback port, with its own access key) and runs against it; with an endpoint it uses
//! the default credentials chain (environment, then `~/.aws` profiles):
//!
//! ```sh
//! cargo run -p appsync --example query_iam
//! cargo run -p appsync --example query_iam -- https://abc123.appsync-api.us-east-1.amazonaws.com/graphql
//! ```
//! Against your own API, the documents below must fit its schema (they fit the emulator's demo).

use appsync::credentials::{Credentials, DefaultCredentialsChain};
use appsync::{Auth, Client};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
struct Post {
    id: String,
    title: String,
}

#[derive(Debug, Deserialize)]
struct Created {
    #[serde(rename = "createPost")]
    post: Post,
}

#[derive(Debug, Deserialize)]
struct Listed {
    #[serde(rename = "listPosts")]
    posts: Page,
}

#[derive(Debug, Deserialize)]
struct Page {
    items: Vec<Post>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Kept alive until the end of `main`: dropping the handle stops the emulator.
    let mut _local = None;
    let client = match std::env::args().nth(1) {
        Some(endpoint) => {
            Client::builder().endpoint(endpoint).auth(Auth::iam(DefaultCredentialsChain::new())).build()?
        }
        None => {
            let keys = Credentials::new("AKIDEXAMPLELOCAL", "example-local-secret", None, None);
            let emulator = appsync_local::Emulator::builder().iam_credentials(keys.clone()).build()?;
            let server = emulator.spawn("127.0.0.1:0").await?;
            let client = Client::builder()
                .endpoint(server.graphql_url())
                .region("us-east-1") // the emulator's; AppSync's host names carry theirs
                .auth(Auth::iam(keys))
                .build()?;
            _local = Some(server);
            client
        }
    };

    let created: Created = client
        .data(
            appsync::Request::new(
                "mutation Create($input: CreatePostInput!) { createPost(input: $input) { id title } }",
            )
            .variables(json!({"input": {"title": "signed with SigV4", "author": "example"}})),
        )
        .await?;
    println!("created {} ({})", created.post.id, created.post.title);

    let listed: Listed = client.query("{ listPosts { items { id title } } }", ()).await?.into_result()?;
    for post in listed.posts.items {
        println!("{} {}", post.id, post.title);
    }
    Ok(())
}
