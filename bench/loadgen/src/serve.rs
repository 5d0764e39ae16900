//! `loadgen serve`: a fixed-answer loopback GraphQL server.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use bytes::Bytes;

/// The default answer: what AppSync returns for a small `listPosts` query.
pub(crate) const DEFAULT_BODY: &str = r#"{"data":{"listPosts":{"items":[{"id":"8f4e1c2a-0b7d-4a55-9d8e-1f3c6b2a7e90","title":"First post","author":"alice","content":"Hello from the benchmark server."},{"id":"c1d2e3f4-5a6b-4c7d-8e9f-0a1b2c3d4e5f","title":"Second post","author":"bob","content":"Fixed body, no work."}],"nextToken":null}}}"#;

#[derive(clap::Args, Debug)]
pub(crate) struct ServeArgs {
    /// Loopback address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// The JSON body of every answer.
    #[arg(long, value_name = "JSON", default_value = DEFAULT_BODY)]
    body: String,
    /// Stop by itself after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    max_seconds: u64,
}

pub(crate) fn main(args: ServeArgs) -> anyhow::Result<ExitCode> {
    if !args.listen.ip().is_loopback() {
        bail!("--listen {} is not a loopback address", args.listen);
    }
    serde_json::from_str::<serde_json::Value>(&args.body).context("--body is not JSON")?;
    let runtime = tokio::runtime::Runtime::new().context("could not start the async runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("could not listen on {}", args.listen))?;
    let addr = listener.local_addr().context("could not read the bound address")?;
    let body = Bytes::from(args.body);
    let answer = move || {
        let body = body.clone();
        async move {
            ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
        }
    };
    let app = Router::new().fallback(answer);
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{addr}/graphql")?;
        out.flush()?;
    }
    let limit = Duration::from_secs(args.max_seconds);
    let shutdown = async move {
        tokio::select! {
            () = tokio::time::sleep(limit) => {}
            _ = tokio::signal::ctrl_c() => {}
            () = terminate() => {}
        }
    };
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await.context("server failed")?;
    Ok(ExitCode::SUCCESS)
}

async fn terminate() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}
