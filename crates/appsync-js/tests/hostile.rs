//! Hostile and broken code: each ends with a clear error and the runtime serves the next
//! evaluation; compiled code is cached.
#![allow(missing_docs)]
// Test helpers: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

use std::time::Duration;

use appsync_js::{Context, Engine, Handler};
use serde_json::json;

const FINE: &str = "export function request(ctx) { return { ok: true }; }";

/// One worker, so the evaluation after the hostile one runs in the very runtime it hit.
fn engine() -> Engine {
    Engine::builder()
        .workers(1)
        .timeout(Duration::from_millis(300))
        .memory_limit(16 * 1024 * 1024)
        .build()
        .expect("the engine starts")
}

fn still_serves(engine: &Engine) {
    let evaluation =
        engine.evaluate_blocking(FINE, Handler::Request, &Context::new()).expect("fine code runs");
    assert_eq!(evaluation.result, json!({ "ok": true }));
}

#[test]
fn an_infinite_loop_times_out() {
    let engine = engine();
    let error = engine
        .evaluate_blocking("export function request(ctx) { for (;;) {} }", Handler::Request, &Context::new())
        .expect_err("the loop is stopped");
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(error.error_type(), Some("Code"));
    assert!(error.message().contains("timed out"), "{error}");
    still_serves(&engine);
}

#[test]
fn unbounded_allocation_hits_the_memory_limit() {
    // A time limit the allocation cannot reach first, even unoptimised.
    let engine = Engine::builder()
        .workers(1)
        .timeout(Duration::from_secs(30))
        .memory_limit(16 * 1024 * 1024)
        .build()
        .expect("the engine starts");
    let code =
        "export function request(ctx) { const a = []; for (;;) { a.push('x'.repeat(1 << 20) + a.length); } }";
    let error = engine
        .evaluate_blocking(code, Handler::Request, &Context::new())
        .expect_err("the allocation is stopped");
    assert!(error.is_out_of_memory(), "{error:?}");
    assert_eq!(error.error_type(), Some("Code"));
    still_serves(&engine);
}

#[test]
fn deep_recursion_overflows_the_stack() {
    let engine = engine();
    let code =
        "function down(n) { return down(n + 1) + 1; }\nexport function request(ctx) { return down(0); }";
    let error = engine
        .evaluate_blocking(code, Handler::Request, &Context::new())
        .expect_err("the recursion is stopped");
    assert!(error.is_exception(), "{error:?}");
    assert!(error.message().contains("stack"), "{error}");
    assert_eq!(error.location().map(|l| l.line), Some(1));
    still_serves(&engine);
}

#[test]
fn a_syntax_error_names_its_line() {
    let engine = engine();
    let code = "export function request(ctx) {\n  return { a: 1 ;\n}";
    let error = engine
        .evaluate_blocking(code, Handler::Request, &Context::new())
        .expect_err("the code does not parse");
    assert!(error.is_syntax(), "{error:?}");
    assert_eq!(error.location().map(|l| l.line), Some(2));
    assert!(error.graphql_message().starts_with("code.js:2:"), "{}", error.graphql_message());
    still_serves(&engine);
}

#[test]
fn an_exception_names_its_line_and_column() {
    let engine = engine();
    let code = "export function request(ctx) {\n  const post = ctx.args.post;\n  return post.title;\n}";
    let error =
        engine.evaluate_blocking(code, Handler::Request, &Context::new()).expect_err("post is undefined");
    assert!(error.is_exception(), "{error:?}");
    assert!(error.message().starts_with("TypeError: "), "{error}");
    assert_eq!(error.location().map(|l| l.line), Some(3));
    still_serves(&engine);
}

#[test]
fn the_host_is_out_of_reach() {
    let engine = engine();
    let ctx = Context::new();
    let probe = "export function request(ctx) { return [typeof eval === 'function' ? 'has eval' : 'x', \
                 typeof require, typeof process, typeof std, typeof os, typeof fetch, typeof setTimeout, \
                 typeof __appsync_host]; }";
    let evaluation = engine.evaluate_blocking(probe, Handler::Request, &ctx).expect("the probe runs");
    assert_eq!(
        evaluation.result,
        json!([
            "has eval",
            "undefined",
            "undefined",
            "undefined",
            "undefined",
            "undefined",
            "undefined",
            "undefined"
        ])
    );
    let error = engine
        .evaluate_blocking("export function request(ctx) { return eval('1 + 1'); }", Handler::Request, &ctx)
        .expect_err("eval is refused");
    assert!(error.message().contains("eval is not supported"), "{error}");
    let error = engine
        .evaluate_blocking(
            "import fs from 'fs';\nexport function request(ctx) { return 1; }",
            Handler::Request,
            &ctx,
        )
        .expect_err("only AppSync's modules resolve");
    assert!(error.is_module(), "{error:?}");
    assert!(error.message().contains("'fs'"), "{error}");
}

#[test]
fn a_missing_handler_is_a_module_error() {
    let engine = engine();
    let error = engine
        .evaluate_blocking("export function request(ctx) { return 1; }", Handler::Response, &Context::new())
        .expect_err("there is no response handler");
    assert!(error.is_module(), "{error:?}");
    assert!(error.message().contains("'response'"), "{error}");
}

#[test]
fn each_distinct_source_is_compiled_once() {
    let engine = Engine::builder().workers(2).build().expect("the engine starts");
    let ctx = Context::new();
    for _ in 0..5 {
        engine.evaluate_blocking(FINE, Handler::Request, &ctx).expect("fine code runs");
    }
    let other = "export function request(ctx) { return 2; }";
    engine.evaluate_blocking(other, Handler::Request, &ctx).expect("the other code runs");
    let stats = engine.stats();
    assert_eq!(stats.evaluations, 6);
    assert_eq!(stats.compilations, 2);
}

#[test]
fn nothing_leaks_between_evaluations() {
    let engine = engine();
    let ctx = Context::new();
    let code = "export function request(ctx) { const before = globalThis.leak; globalThis.leak = 'set'; \
                util.leaked = true; return before === undefined; }";
    for _ in 0..2 {
        let evaluation = engine.evaluate_blocking(code, Handler::Request, &ctx);
        // `util` is frozen: the assignment throws in strict mode, so the second part fails the
        // first run; its context is discarded, and a global added by a run that succeeds is
        // deleted after it (tests/isolation.rs), so the assignment never shows.
        let error = evaluation.expect_err("util is frozen");
        assert!(error.message().starts_with("TypeError"), "{error}");
    }
    let code = "export function request(ctx) { const before = globalThis.leak; globalThis.leak = 'set'; return before === undefined; }";
    for _ in 0..2 {
        assert_eq!(engine.evaluate_blocking(code, Handler::Request, &ctx).expect("runs").result, json!(true));
    }
}

#[test]
fn bad_settings_name_their_field() {
    let error = Engine::builder().timeout(Duration::ZERO).build().expect_err("a zero timeout is refused");
    assert!(error.is_config());
    assert_eq!(error.field(), Some("timeout"));
    let error = Engine::builder().workers(0).build().expect_err("no workers is refused");
    assert_eq!(error.field(), Some("workers"));
    let error = Engine::builder().memory_limit(10).build().expect_err("a tiny memory limit is refused");
    assert_eq!(error.field(), Some("memory_limit"));
}

#[test]
fn the_shared_utilities_cannot_be_tampered_with() {
    let engine = engine();
    let ctx = Context::new();
    // Each attempt throws (strict mode, frozen objects) and leaves nothing for the next one.
    for attack in [
        "util.error.extra = 1",
        "util.dynamodb.toDynamoDB = () => 'mine'",
        "Object.getPrototypeOf(util.dynamodb.toDynamoDB('x')).polluted = 1",
        "Object.getPrototypeOf(util.transform.toSubscriptionFilter({ a: { eq: 1 } }).filterGroup).polluted = 1",
        "Object.getPrototypeOf(util.autoId).polluted = 1",
        "console.log = () => 1",
    ] {
        let code = format!("export function request(ctx) {{ {attack}; return 'changed'; }}");
        let error = engine.evaluate_blocking(&code, Handler::Request, &ctx).expect_err(attack);
        assert!(error.message().starts_with("TypeError"), "{attack}: {error}");
    }
    let probe = "export function request(ctx) { const o = util.dynamodb.toDynamoDB('x'); \
                 return [o.polluted, util.error.extra, util.dynamodb.toDynamoDB(1), typeof console.log]; }";
    let evaluation = engine.evaluate_blocking(probe, Handler::Request, &ctx).expect("the probe runs");
    assert_eq!(evaluation.result, json!([null, null, { "N": 1 }, "function"]));
}

#[test]
fn keys_named_like_object_methods_are_plain_keys() {
    let engine = engine();
    let code = "export function request(ctx) { return util.dynamodb.toMapValues({ constructor: 1, toString: 'a', valueOf: true }); }";
    let evaluation = engine.evaluate_blocking(code, Handler::Request, &Context::new()).expect("runs");
    assert_eq!(
        evaluation.result,
        json!({ "constructor": { "N": 1 }, "toString": { "S": "a" }, "valueOf": { "BOOL": true } })
    );
}
