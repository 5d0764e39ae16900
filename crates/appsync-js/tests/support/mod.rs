//! What the tests share: an engine with a fixed clock and seed, and a one-expression evaluator.
#![allow(dead_code, unreachable_pub, reason = "each test file uses part of it")]
// Helpers of the tests: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

use appsync_js::{Context, Engine, Evaluation, FixedHost, Handler};
use serde_json::Value;

/// 2018-02-06T19:01:35.749Z, the guide's example instant ("Time helpers in util.time").
pub const NOW: i64 = 1_517_943_695_749;

pub fn engine() -> Engine {
    Engine::builder().workers(2).host(FixedHost::new(NOW, 42)).build().expect("the engine starts")
}

/// Evaluates `request(ctx) { return <expression>; }` with both AppSync modules imported, as
/// localstack/appsync-utils' `checkValid` wraps the expressions it sent to EvaluateCode.
pub fn eval_expression(engine: &Engine, expression: &str) -> Value {
    evaluate(engine, expression, &Context::new()).result
}

pub fn evaluate(engine: &Engine, expression: &str, ctx: &Context) -> Evaluation {
    let code = format!(
        "import {{ util, runtime, extensions }} from '@aws-appsync/utils';\n\
         import * as ddb from '@aws-appsync/utils/dynamodb';\n\
         export function request(ctx) {{\n  return {expression};\n}}\n\
         export function response(ctx) {{}}\n"
    );
    engine.evaluate_blocking(&code, Handler::Request, ctx).expect("the expression evaluates")
}
