//! A worker reuses its evaluation context; these tests try to carry state from one evaluation to
//! the next through everything an evaluation can reach, and check that the next one never sees
//! it. Every engine has one worker, so the second evaluation runs in the runtime (and, unless the
//! test says otherwise, the very context) the first one used: `stats().contexts` shows which.
#![allow(missing_docs)]
// Test helpers: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

use std::time::Duration;

use appsync_js::{Context, Engine, Handler};
use serde_json::{Value, json};

fn engine() -> Engine {
    Engine::builder()
        .workers(1)
        .timeout(Duration::from_secs(5))
        .memory_limit(32 * 1024 * 1024)
        .build()
        .expect("the engine starts")
}

fn run(engine: &Engine, code: &str) -> Value {
    engine.evaluate_blocking(code, Handler::Request, &Context::new()).expect("the code runs").result
}

fn run_with(engine: &Engine, code: &str, args: Value) -> Value {
    let args = args.as_object().cloned().expect("arguments are an object");
    engine
        .evaluate_blocking(code, Handler::Request, &Context::new().arguments(args))
        .expect("the code runs")
        .result
}

/// Each attempt runs in `try`, so the leaking evaluation itself succeeds and its context is
/// kept: what it managed to change would be seen by the next evaluation in that context.
const TRY: &str = "
function attempt(name, change) {
  try { change(); return name + ': changed'; } catch (e) { return name + ': ' + e.name; }
}";

#[test]
fn globals_an_evaluation_adds_are_gone_in_the_next() {
    let engine = engine();
    let leak = format!(
        "{TRY}
export function request(ctx) {{
  return [
    attempt('globalThis.x', () => {{ globalThis.leaked = ctx.args.secret; }}),
    attempt('symbol', () => {{ globalThis[Symbol.for('leak')] = ctx.args.secret; }}),
    attempt('accessor', () => Object.defineProperty(globalThis, 'getter', {{ get: () => ctx.args.secret, configurable: true }})),
    attempt('undeclared', () => {{ undeclared = 1; }}),
  ];
}}"
    );
    let attempts = run_with(&engine, &leak, json!({ "secret": "s3cret" }));
    assert_eq!(
        attempts,
        json!([
            "globalThis.x: changed",
            "symbol: changed",
            "accessor: changed",
            // Modules are strict, in AppSync as here.
            "undeclared: ReferenceError",
        ])
    );
    let seen = run(
        &engine,
        "export function request(ctx) {
           return [typeof globalThis.leaked, typeof globalThis[Symbol.for('leak')], typeof globalThis.getter,
                   typeof undeclared, Object.keys(globalThis).includes('leaked')];
         }",
    );
    assert_eq!(seen, json!(["undefined", "undefined", "undefined", "undefined", false]));
    assert_eq!(engine.stats().contexts, 1, "both evaluations ran in the same context");
}

#[test]
fn built_in_prototypes_and_objects_cannot_be_changed() {
    let engine = engine();
    let leak = format!(
        "{TRY}
export function request(ctx) {{
  return [
    attempt('Object.prototype', () => {{ Object.prototype.leaked = 1; }}),
    attempt('Object.prototype.toString', () => {{ Object.prototype.toString = () => 'mine'; }}),
    attempt('Array.prototype', () => {{ Array.prototype.leaked = 1; }}),
    attempt('Array.prototype.map', () => {{ Array.prototype.map = () => []; }}),
    attempt('String.prototype', () => {{ String.prototype.trim = function () {{ return 'mine'; }}; }}),
    attempt('Function.prototype.call', () => {{ Function.prototype.call = () => 1; }}),
    attempt('__proto__', () => {{ ({{}}).__proto__.leaked = 1; }}),
    attempt('defineProperty', () => Object.defineProperty(Number.prototype, 'leaked', {{ value: 1 }})),
    attempt('setPrototypeOf', () => Object.setPrototypeOf(Array.prototype, {{ leaked: 1 }})),
    attempt('JSON.parse', () => {{ JSON.parse = () => ({{ leaked: 1 }}); }}),
    attempt('JSON.stringify', () => {{ JSON.stringify = () => 'leaked'; }}),
    attempt('Math.max', () => {{ Math.max = () => 42; }}),
    attempt('Math.random', () => {{ Math.random = () => 0.5; }}),
    attempt('Math global', () => {{ globalThis.Math = {{ leaked: 1 }}; }}),
    attempt('Date.now', () => {{ Date.now = () => 0; }}),
    attempt('Error.prepareStackTrace', () => {{ Error.prepareStackTrace = () => 'leaked'; }}),
    attempt('Error.stackTraceLimit', () => {{ Error.stackTraceLimit = 0; }}),
    attempt('Map.prototype.get', () => {{ Map.prototype.get = () => 'leaked'; }}),
    attempt('Promise.prototype.then', () => {{ Promise.prototype.then = () => 'leaked'; }}),
    attempt('array iterator', () => {{ Object.getPrototypeOf([][Symbol.iterator]()).next = () => ({{ done: true }}); }}),
    attempt('iterator', () => {{ Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())).leaked = 1; }}),
    attempt('generator', () => {{ Object.getPrototypeOf(function* g() {{}}).prototype.leaked = 1; }}),
    attempt('async function', () => {{ Object.getPrototypeOf(async function f() {{}}).leaked = 1; }}),
    attempt('regexp', () => {{ RegExp.prototype.exec = () => null; }}),
  ];
}}"
    );
    let attempts = run(&engine, &leak);
    let attempts: Vec<&str> = attempts.as_array().expect("a list").iter().filter_map(Value::as_str).collect();
    assert_eq!(attempts.len(), 24);
    for attempt in &attempts {
        assert!(attempt.ends_with(": TypeError"), "{attempt} (every change is refused)");
    }
    let seen = run(
        &engine,
        "export function request(ctx) {
           return [({}).leaked, [].leaked, ' a '.trim(), Object.prototype.toString.call([]), [1, 2].map((x) => x * 2),
                   JSON.parse('{\"a\":1}'), JSON.stringify({ b: 2 }), Math.max(1, 2), (5).leaked,
                   typeof Error.prepareStackTrace + ' ' + (new Error('x').stack.length > 0), new Map([[1, 'one']]).get(1), [...[1, 2]],
                   Math.random === Math.random ? 'same' : 'replaced'];
         }",
    );
    assert_eq!(
        seen,
        json!([null, null, "a", "[object Array]", [2, 4], { "a": 1 }, "{\"b\":2}", 2, null, "undefined true", "one", [1, 2], "same"])
    );
    assert_eq!(engine.stats().contexts, 1, "both evaluations ran in the same context");
}

#[test]
fn the_utilities_cannot_be_changed() {
    let engine = engine();
    let leak = format!(
        "{TRY}
import {{ util as imported, runtime }} from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';
export function request(ctx) {{
  return [
    attempt('util.x', () => {{ util.leaked = ctx; }}),
    attempt('util.error', () => {{ util.error = () => 'leaked'; }}),
    attempt('util.time', () => {{ imported.time.nowISO8601 = () => 'leaked'; }}),
    attempt('runtime', () => {{ runtime.earlyReturn = () => 'leaked'; }}),
    attempt('util global', () => {{ globalThis.util = {{ leaked: 1 }}; }}),
    attempt('console', () => {{ console.log = () => 'leaked'; }}),
    attempt('ddb namespace', () => {{ ddb.get = () => 'leaked'; }}),
    attempt('ddb.operations', () => {{ ddb.operations.leaked = 1; }}),
  ];
}}"
    );
    let attempts = run(&engine, &leak);
    let attempts: Vec<&str> = attempts.as_array().expect("a list").iter().filter_map(Value::as_str).collect();
    assert_eq!(attempts.len(), 8);
    for attempt in &attempts {
        assert!(attempt.ends_with(": TypeError"), "{attempt} (every change is refused)");
    }
    let seen = run(
        &engine,
        "import * as ddb from '@aws-appsync/utils/dynamodb';
         export function request(ctx) {
           return [typeof util.leaked, typeof util.error, util.time.nowISO8601() === 'leaked', typeof ddb.operations.leaked,
                   ddb.get({ key: { id: 1 } }).operation];
         }",
    );
    assert_eq!(seen, json!(["undefined", "function", false, "undefined", "GetItem"]));
    assert_eq!(engine.stats().contexts, 1, "both evaluations ran in the same context");
}

#[test]
fn module_state_starts_over_for_every_evaluation() {
    let engine = engine();
    // The same source each time: one compilation, a new module instance per evaluation.
    let counter = "let count = 0;
        const seen = [];
        let saved;
        export function request(ctx) {
          count += 1;
          seen.push(ctx.args.n);
          const before = saved === undefined ? null : saved.args.n;
          saved = ctx;
          return { count, seen, before };
        }";
    for n in 0..5 {
        let result = run_with(&engine, counter, json!({ "n": n }));
        assert_eq!(result, json!({ "count": 1, "seen": [n], "before": null }));
    }
    assert_eq!(engine.stats().compilations, 1);
    assert_eq!(engine.stats().contexts, 1, "every evaluation ran in the same context");
}

#[test]
fn closures_over_ctx_and_stash_are_out_of_reach() {
    let engine = engine();
    let keep = format!(
        "{TRY}
export function request(ctx) {{
  ctx.stash.secret = ctx.args.secret;
  return [
    attempt('global closure', () => {{ globalThis.peek = () => ctx.stash.secret; }}),
    attempt('prototype closure', () => {{ Object.prototype.peek = () => ctx.stash.secret; }}),
    attempt('array closure', () => {{ Array.prototype.peek = () => ctx; }}),
    attempt('util closure', () => {{ util.peek = () => ctx; }}),
    attempt('JSON closure', () => {{ JSON.peek = () => ctx; }}),
  ];
}}"
    );
    let attempts = run_with(&engine, &keep, json!({ "secret": "s3cret" }));
    assert_eq!(
        attempts,
        json!([
            "global closure: changed",
            "prototype closure: TypeError",
            "array closure: TypeError",
            "util closure: TypeError",
            "JSON closure: TypeError",
        ])
    );
    let evaluation = engine
        .evaluate_blocking(
            "export function request(ctx) {
               return [typeof globalThis.peek, typeof ({}).peek, typeof [].peek, typeof util.peek, typeof JSON.peek,
                       ctx.stash.secret === undefined];
             }",
            Handler::Request,
            &Context::new(),
        )
        .expect("the code runs");
    assert_eq!(
        evaluation.result,
        json!(["undefined", "undefined", "undefined", "undefined", "undefined", true])
    );
    assert!(evaluation.stash.is_empty(), "{:?}", evaluation.stash);
    assert_eq!(engine.stats().contexts, 1, "both evaluations ran in the same context");
}

#[test]
fn promise_jobs_left_behind_run_before_the_next_evaluation() {
    let engine = engine();
    let late = "export function request(ctx) {
        Promise.resolve().then(() => { globalThis.late = ctx.args.secret; });
        return 'done';
      }";
    assert_eq!(run_with(&engine, late, json!({ "secret": "s3cret" })), json!("done"));
    let seen = run(&engine, "export function request(ctx) { return typeof globalThis.late; }");
    assert_eq!(seen, json!("undefined"));
}

#[test]
fn a_context_that_cannot_be_restored_is_replaced() {
    let engine = engine();
    let pin = "export function request(ctx) {
        Object.defineProperty(globalThis, 'pinned', { value: ctx.args.secret, configurable: false });
        return typeof globalThis.pinned;
      }";
    assert_eq!(run_with(&engine, pin, json!({ "secret": "s3cret" })), json!("string"));
    assert_eq!(
        run(&engine, "export function request(ctx) { return typeof globalThis.pinned; }"),
        json!("undefined")
    );
    assert_eq!(engine.stats().contexts, 2, "the pinned global's context was given up");

    let seal = "export function request(ctx) { Object.preventExtensions(globalThis); return 1; }";
    assert_eq!(run(&engine, seal), json!(1));
    assert_eq!(
        run(
            &engine,
            "export function request(ctx) { globalThis.fine = 1; return Object.isExtensible(globalThis); }"
        ),
        json!(true)
    );
    assert_eq!(engine.stats().contexts, 3, "the sealed global object's context was given up");
}

#[test]
fn a_failed_evaluation_gives_its_context_up() {
    let engine = engine();
    let fail = "export function request(ctx) { globalThis.half = 1; return ctx.missing.field; }";
    let error = engine.evaluate_blocking(fail, Handler::Request, &Context::new()).expect_err("it throws");
    assert!(error.is_exception(), "{error:?}");
    assert_eq!(
        run(&engine, "export function request(ctx) { return typeof globalThis.half; }"),
        json!("undefined")
    );
    assert_eq!(engine.stats().contexts, 2);
}

#[test]
fn inherited_names_can_still_be_assigned() {
    // With Object.prototype frozen, these would throw in strict code unless its properties
    // are overridable; in a fresh context they just work.
    let engine = engine();
    let code = "export function request(ctx) {
        const o = {};
        o.toString = () => 'mine';
        o.constructor = 'c';
        o.hasOwnProperty = 1;
        const counts = {};
        for (const word of ['valueOf', 'valueOf', 'a']) { counts[word] = (counts[word] === undefined || typeof counts[word] === 'function' ? 0 : counts[word]) + 1; }
        const e = new Error();
        e.name = 'Custom';
        e.message = 'set later';
        const frozen = Object.freeze({});
        let refused = 'no';
        try { frozen.toString = 1; } catch (x) { refused = x.name; }
        return [String(o), o.constructor, o.hasOwnProperty, counts, String(e), refused,
                Object.keys(o), Object.prototype.toString === ({}).toString];
      }";
    assert_eq!(
        run(&engine, code),
        json!([
            "mine",
            "c",
            1,
            { "valueOf": 2, "a": 1 },
            "Custom: set later",
            "TypeError",
            ["toString", "constructor", "hasOwnProperty"],
            true
        ])
    );
    // ...and did not change the prototypes.
    assert_eq!(
        run(
            &engine,
            "export function request(ctx) { const e = new Error('m'); return [String({}), e.name, String(e)]; }"
        ),
        json!(["[object Object]", "Error", "Error: m"])
    );
}

#[test]
fn a_pooled_context_does_not_grow_without_bound() {
    // Each evaluation's module instance holds about half a MiB (a module-level table); kept for
    // the life of the context, a few dozen of them would pass the 16 MiB limit, so contexts must
    // be replaced as they fill.
    let engine =
        Engine::builder().workers(1).memory_limit(16 * 1024 * 1024).build().expect("the engine starts");
    let code = "const table = Array.from({ length: 10000 }, (_, i) => 'entry-' + i);
        export function request(ctx) { return table.length; }";
    for _ in 0..200 {
        assert_eq!(run(&engine, code), json!(10000));
    }
    let contexts = engine.stats().contexts;
    assert!(contexts > 1, "contexts were replaced ({contexts})");

    // Small modules: replaced after a bounded number of evaluations, never one per evaluation.
    let engine = Engine::builder().workers(1).build().expect("the engine starts");
    for n in 0..1000 {
        assert_eq!(
            run_with(&engine, "export function request(ctx) { return ctx.args.n; }", json!({ "n": n })),
            json!(n)
        );
    }
    let contexts = engine.stats().contexts;
    assert!((2..=8).contains(&contexts), "{contexts} contexts for 1,000 evaluations");
}
