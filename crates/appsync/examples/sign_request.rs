//! `SigV4Middleware` signs any request a `reqwest_middleware` client sends, for any AWS service.
//! With no argument it signs a GraphQL POST for service `appsync` and sends it to an emulator
//! started in this process, which verifies the signature; with `URL REGION SERVICE` it signs a GET
//! for that service with the default credentials chain and prints the status:
//!
//! ```sh
//! cargo run -p appsync --features middleware --example sign_request
//! cargo run -p appsync --features middleware --example sign_request -- \
//!     https://abc.execute-api.eu-west-1.amazonaws.com/prod/items eu-west-1 execute-api
//! ```

use appsync::credentials::{Credentials, DefaultCredentialsChain};
use appsync::middleware::SigV4Middleware;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [url, region, service] = args.as_slice() {
        let http = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(SigV4Middleware::new(DefaultCredentialsChain::new(), region, service))
            .build();
        let response = http.get(url).send().await?;
        println!("{} {}", response.status(), response.text().await?);
        return Ok(());
    }

    let keys = Credentials::new("AKIDEXAMPLELOCAL", "example-local-secret", None, None);
    let emulator = appsync_local::Emulator::builder().iam_credentials(keys.clone()).build()?;
    let server = emulator.spawn("127.0.0.1:0").await?;
    let http = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(SigV4Middleware::new(keys, "us-east-1", "appsync"))
        .build();
    let response = http
        .post(server.graphql_url())
        .header("content-type", "application/json")
        .body(r#"{"query":"{ listPosts { items { id } } }"}"#)
        .send()
        .await?;
    let status = response.status();
    println!("{status} {}", response.text().await?);
    if !status.is_success() {
        return Err(format!("the emulator refused the signed request: {status}").into());
    }
    Ok(())
}
