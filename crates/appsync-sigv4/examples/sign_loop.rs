//! Signs the benchmark's 188-byte AppSync POST a given number of times (default 10 000), warm key
//! cache: a fixed workload for instruction counting, where wall-clock benchmarks are too noisy.
//!
//! ```sh
//! cargo build --release -p appsync-sigv4 --example sign_loop
//! valgrind --tool=callgrind target/release/examples/sign_loop 1     # setup only
//! valgrind --tool=callgrind target/release/examples/sign_loop 10001 # setup + 10 000 signatures
//! ```
//!
//! The difference of the two totals divided by 10 000 is the cost of one signature.

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use appsync_sigv4::{Credentials, SignableBody, SignableRequest, SigningParams, sign};

const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = match std::env::args().nth(1) {
        Some(arg) => arg.parse().map_err(|_| format!("expected a count, got {arg:?}"))?,
        None => 10_000,
    };
    let mut body =
        br#"{"query":"query ListPosts { listPosts { items { id title author } } }","variables":{}}"#.to_vec();
    // 188 bytes like the benchmark's body (SHA-256 costs the same whatever the bytes are).
    while body.len() < 188 {
        body.insert(body.len() - 1, b' ');
    }
    let creds = Credentials::new(
        "ASIAEXAMPLEEXAMPLE12",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        Some(TOKEN.into()),
        None,
    );
    let req =
        http::Request::post("https://example123456789012345678.appsync-api.us-east-1.amazonaws.com/graphql")
            .header("content-type", "application/json")
            .body(body)?;
    let time = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    let params = SigningParams::new(&creds, "us-east-1", "appsync", time);
    let mut last = String::new();
    for _ in 0..n {
        let signable = SignableRequest::from_http(black_box(&req), SignableBody::Bytes(req.body()));
        let out = sign(&signable, &params)?;
        if last.is_empty() {
            last = out.signature().to_owned();
        }
        black_box(out);
    }
    println!("{last}");
    Ok(())
}
