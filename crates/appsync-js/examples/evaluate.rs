//! Evaluates one handler of a resolver file with a context, as AppSync's `EvaluateCode` does:
//! `cargo run -p appsync-js --example evaluate -- code.js request '{"arguments":{"id":"1"}}'`.

use appsync_js::{Context, Engine, Handler};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(handler)) = (args.next(), args.next()) else {
        eprintln!("usage: evaluate FILE.js request|response [CONTEXT_JSON]");
        std::process::exit(2);
    };
    let handler = match handler.as_str() {
        "request" => Handler::Request,
        "response" => Handler::Response,
        other => {
            eprintln!("the handler is request or response, not {other:?}");
            std::process::exit(2);
        }
    };
    let code = std::fs::read_to_string(path)?;
    let ctx: Context = serde_json::from_str(&args.next().unwrap_or_else(|| "{}".to_owned()))?;
    let engine = Engine::builder().workers(1).build()?;
    match engine.evaluate_blocking(&code, handler, &ctx) {
        Ok(evaluation) => {
            println!(
                "{}",
                serde_json::json!({
                    "evaluationResult": evaluation.result,
                    "stash": evaluation.stash,
                    "error": evaluation.error,
                    "errors": evaluation.errors,
                })
            );
            Ok(())
        }
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    }
}
