//! Unit and pipeline resolvers in AppSync's order of evaluation, against data sources.
#![allow(missing_docs)]
// Test helpers: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

mod support;

use std::sync::{Arc, Mutex};

use appsync_js::{
    Context, DataSource, DataSourceError, DataSources, Function, Info, NoneDataSource, Outcome, Resolver,
};
use async_trait::async_trait;
use serde_json::{Value, json};

fn none() -> DataSources {
    DataSources::new().source("NONE", NoneDataSource)
}

fn ctx() -> Context {
    Context::new()
        .arguments(json!({ "title": "hello" }).as_object().cloned().unwrap_or_default())
        .info(Info::new("Mutation", "createPost"))
}

/// Records every request it gets and answers with its `payload`, or fails when told to.
#[derive(Default, Clone)]
struct Recorder {
    requests: Arc<Mutex<Vec<Value>>>,
}

#[async_trait]
impl DataSource for Recorder {
    async fn invoke(&self, request: Value, _ctx: &Context) -> Result<Value, DataSourceError> {
        self.requests.lock().map_err(|_| DataSourceError::new("poisoned", "Test"))?.push(request.clone());
        if request["fail"] == json!(true) {
            return Err(DataSourceError::new(
                "The conditional request failed",
                "DynamoDB:ConditionalCheckFailedException",
            ));
        }
        Ok(request["payload"].clone())
    }
}

fn errors(outcome: &Outcome) -> Vec<(String, Option<String>)> {
    outcome.errors.iter().map(|e| (e.message.clone(), e.error_type.clone())).collect()
}

#[tokio::test]
async fn a_unit_resolver_over_none() {
    let engine = support::engine();
    let resolver = Resolver::unit(
        "export function request(ctx) { ctx.stash.seen = true; return { payload: { title: ctx.args.title } }; }\n\
         export function response(ctx) { return { ...ctx.result, stashed: ctx.stash.seen }; }",
        "NONE",
    );
    let outcome = resolver.resolve(&engine, ctx(), &none()).await;
    assert_eq!(outcome.data, json!({ "title": "hello", "stashed": true }));
    assert!(outcome.errors.is_empty());
}

#[tokio::test]
async fn a_pipeline_runs_in_order_and_carries_the_stash() {
    let engine = support::engine();
    let recorder = Recorder::default();
    let sources = DataSources::new().source("REC", recorder.clone());
    let before = "export function request(ctx) { ctx.stash.order = ['before']; return { start: 1 }; }\n\
                  export function response(ctx) { ctx.stash.order.push('after'); \
                  return { last: ctx.prev.result, order: ctx.stash.order }; }";
    let first = Function::new(
        "first",
        "export function request(ctx) { ctx.stash.order.push('f1.req'); return { payload: { got: ctx.prev.result } }; }\n\
         export function response(ctx) { ctx.stash.order.push('f1.res'); return { one: ctx.result }; }",
        "REC",
    );
    let second = Function::new(
        "second",
        "export function request(ctx) { ctx.stash.order.push('f2.req'); return { payload: ctx.prev.result }; }\n\
         export function response(ctx) { ctx.stash.order.push('f2.res'); return { two: ctx.result }; }",
        "REC",
    );
    let resolver = Resolver::pipeline(before, vec![first, second]);
    let outcome = resolver.resolve(&engine, ctx(), &sources).await;
    assert_eq!(
        outcome.data,
        json!({
            "last": { "two": { "one": { "got": { "start": 1 } } } },
            "order": ["before", "f1.req", "f1.res", "f2.req", "f2.res", "after"],
        })
    );
    let requests = recorder.requests.lock().map(|r| r.clone()).unwrap_or_default();
    assert_eq!(requests.len(), 2);
}

#[tokio::test]
async fn a_data_source_error_arrives_in_ctx_error() {
    let engine = support::engine();
    let sources = DataSources::new().source("REC", Recorder::default());
    let resolver = Resolver::unit(
        "import { util } from '@aws-appsync/utils';\n\
         export function request(ctx) { return { fail: true }; }\n\
         export function response(ctx) { if (ctx.error) { util.error(ctx.error.message, ctx.error.type); } return ctx.result; }",
        "REC",
    );
    let outcome = resolver.resolve(&engine, ctx(), &sources).await;
    assert_eq!(outcome.data, Value::Null);
    assert_eq!(
        errors(&outcome),
        vec![(
            "The conditional request failed".to_owned(),
            Some("DynamoDB:ConditionalCheckFailedException".to_owned())
        )]
    );
    // Not raised by the response handler: the field is just null, as AppSync does.
    let quiet = Resolver::unit(
        "export function request(ctx) { return { fail: true }; }\nexport function response(ctx) { return ctx.result; }",
        "REC",
    );
    let outcome = quiet.resolve(&engine, ctx(), &sources).await;
    assert_eq!(outcome.data, Value::Null);
    assert!(outcome.errors.is_empty());
}

#[tokio::test]
async fn util_error_stops_the_pipeline_and_append_error_keeps_data() {
    let engine = support::engine();
    let recorder = Recorder::default();
    let sources = DataSources::new().source("REC", recorder.clone());
    let stop = Function::new(
        "stop",
        "export function request(ctx) { util.appendError('noted', 'Warning'); util.error('no', 'Refused', { id: 1 }, { why: 'test' }); }\n\
         export function response(ctx) { return ctx.result; }",
        "REC",
    );
    let never = Function::new(
        "never",
        "export function request(ctx) { return { payload: 1 }; }\nexport function response(ctx) { return ctx.result; }",
        "REC",
    );
    let resolver = Resolver::pipeline(
        "export function request(ctx) { return {}; }\nexport function response(ctx) { return ctx.prev.result; }",
        vec![stop, never],
    );
    let outcome = resolver.resolve(&engine, ctx(), &sources).await;
    assert_eq!(outcome.data, Value::Null);
    assert_eq!(outcome.errors.len(), 2);
    assert_eq!(outcome.errors[0].message, "noted");
    assert_eq!(outcome.errors[1].message, "no");
    assert_eq!(outcome.errors[1].error_type.as_deref(), Some("Refused"));
    assert_eq!(outcome.errors[1].data, Some(json!({ "id": 1 })));
    assert_eq!(outcome.errors[1].error_info, Some(json!({ "why": "test" })));
    assert!(recorder.requests.lock().map(|r| r.is_empty()).unwrap_or(false), "no data source was called");

    let appended = Resolver::unit(
        "export function request(ctx) { util.appendError('partial', 'Partial'); return { payload: 'data' }; }\n\
         export function response(ctx) { return ctx.result; }",
        "NONE",
    );
    let outcome = appended.resolve(&engine, ctx(), &none()).await;
    assert_eq!(outcome.data, json!("data"));
    assert_eq!(errors(&outcome), vec![("partial".to_owned(), Some("Partial".to_owned()))]);
}

#[tokio::test]
async fn unauthorized_is_worded_for_the_field() {
    let engine = support::engine();
    let resolver = Resolver::unit(
        "export function request(ctx) { util.unauthorized(); }\nexport function response(ctx) { return 1; }",
        "NONE",
    );
    let outcome = resolver.resolve(&engine, ctx(), &none()).await;
    assert!(outcome.unauthorized);
    assert_eq!(
        errors(&outcome),
        vec![(
            "Not Authorized to access createPost on type Mutation".to_owned(),
            Some("Unauthorized".to_owned())
        )]
    );
}

#[tokio::test]
async fn early_return_skips_as_the_guide_says() {
    let engine = support::engine();
    let recorder = Recorder::default();
    let sources = DataSources::new().source("REC", recorder.clone());

    // Unit request: the data source and response handler are skipped.
    let unit = Resolver::unit(
        "import { runtime } from '@aws-appsync/utils';\n\
         export function request(ctx) { runtime.earlyReturn({ hello: 'world' }); return ctx.args; }\n\
         export function response(ctx) { return 'never'; }",
        "REC",
    );
    assert_eq!(unit.resolve(&engine, ctx(), &sources).await.data, json!({ "hello": "world" }));

    // A function's request: its data source and response are skipped, the next function runs.
    let skip = Function::new(
        "skip",
        "export function request(ctx) { runtime.earlyReturn('skipped'); }\nexport function response(ctx) { return 'never'; }",
        "REC",
    );
    let next = Function::new(
        "next",
        "export function request(ctx) { return { payload: ctx.prev.result + ' then next' }; }\nexport function response(ctx) { return ctx.result; }",
        "REC",
    );
    let end = "export function request(ctx) { return null; }\nexport function response(ctx) { return ctx.prev.result; }";
    let pipeline = Resolver::pipeline(end, vec![skip.clone(), next.clone()]);
    assert_eq!(pipeline.resolve(&engine, ctx(), &sources).await.data, json!("skipped then next"));

    // skipTo END: straight to the resolver's response.
    let to_end = Function::new(
        "toEnd",
        "export function request(ctx) { runtime.earlyReturn('ended', { skipTo: 'END' }); }\nexport function response(ctx) { return 'never'; }",
        "REC",
    );
    let pipeline = Resolver::pipeline(end, vec![to_end, next.clone()]);
    assert_eq!(pipeline.resolve(&engine, ctx(), &sources).await.data, json!("ended"));

    // The pipeline resolver's request: the functions are skipped.
    let pipeline = Resolver::pipeline(
        "export function request(ctx) { runtime.earlyReturn('from before'); }\nexport function response(ctx) { return ctx.prev.result; }",
        vec![skip, next],
    );
    let requests_before = recorder.requests.lock().map(|r| r.len()).unwrap_or(0);
    assert_eq!(pipeline.resolve(&engine, ctx(), &sources).await.data, json!("from before"));
    assert_eq!(recorder.requests.lock().map(|r| r.len()).unwrap_or(0), requests_before);
}

#[tokio::test]
async fn a_code_failure_is_an_appsync_code_error() {
    let engine = support::engine();
    let resolver = Resolver::unit(
        "export function request(ctx) {\n  return { payload: ctx.args.missing.deep };\n}\nexport function response(ctx) { return ctx.result; }",
        "NONE",
    );
    let outcome = resolver.resolve(&engine, ctx(), &none()).await;
    assert_eq!(outcome.data, Value::Null);
    assert_eq!(outcome.errors.len(), 1);
    assert_eq!(outcome.errors[0].error_type.as_deref(), Some("Code"));
    assert!(outcome.errors[0].message.starts_with("code.js:2:"), "{}", outcome.errors[0].message);
    assert!(outcome.errors[0].message.contains("TypeError"), "{}", outcome.errors[0].message);
}

#[tokio::test]
async fn extensions_are_recorded_in_the_outcome() {
    let engine = support::engine();
    let resolver = Resolver::unit(
        "import { util, extensions } from '@aws-appsync/utils';\n\
         export function request(ctx) { return { payload: null }; }\n\
         export function response(ctx) {\n\
           extensions.setSubscriptionFilter(util.transform.toSubscriptionFilter({ author: { eq: 'ann' } }));\n\
           extensions.invalidateSubscriptions({ subscriptionField: 'onPost', payload: { id: 1 } });\n\
           util.http.addResponseHeader('x-count', 7);\n\
           return null;\n\
         }",
        "NONE",
    );
    let outcome = resolver.resolve(&engine, ctx(), &none()).await;
    assert_eq!(
        outcome.subscription_filter,
        Some(
            json!({ "filterGroup": [{ "filters": [{ "fieldName": "author", "operator": "eq", "value": "ann" }] }] })
        )
    );
    assert_eq!(outcome.invalidations, vec![json!({ "subscriptionField": "onPost", "payload": { "id": 1 } })]);
    assert_eq!(outcome.response_headers.get("x-count"), Some(&json!(7)));
}

#[tokio::test]
async fn a_missing_data_source_reaches_ctx_error() {
    let engine = support::engine();
    let resolver = Resolver::unit(
        "export function request(ctx) { return {}; }\nexport function response(ctx) { return ctx.error; }",
        "NOPE",
    );
    let outcome = resolver.resolve(&engine, ctx(), &none()).await;
    assert_eq!(outcome.data["type"], "DataSourceNotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_resolutions_keep_to_their_own_context() {
    let engine = support::engine();
    let sources = Arc::new(none());
    let resolver = Arc::new(Resolver::unit(
        "export function request(ctx) { ctx.stash.mine = ctx.args.n; return { payload: ctx.args.n * 2 }; }\n\
         export function response(ctx) { return { n: ctx.args.n, doubled: ctx.result, stash: ctx.stash.mine }; }",
        "NONE",
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..64 {
        let (engine, sources, resolver) = (engine.clone(), Arc::clone(&sources), Arc::clone(&resolver));
        tasks.spawn(async move {
            let ctx = Context::new().arguments(json!({ "n": n }).as_object().cloned().unwrap_or_default());
            (n, resolver.resolve(&engine, ctx, &sources).await)
        });
    }
    let mut seen = 0;
    while let Some(joined) = tasks.join_next().await {
        let (n, outcome) = joined.expect("the task ran");
        assert_eq!(outcome.data, json!({ "n": n, "doubled": n * 2, "stash": n }));
        seen += 1;
    }
    assert_eq!(seen, 64);
}

#[tokio::test]
async fn error_data_is_filtered_by_the_selection_set() {
    let engine = support::engine();
    let resolver = Resolver::unit(
        "export function request(ctx) { util.error('gone', 'NotFound', \
           { id: 1, title: 't', secret: 's', author: { name: 'ann', email: 'e' } }, { secret: 'kept' }); }\n\
         export function response(ctx) {}",
        "NONE",
    );
    let ctx =
        ctx().info(Info::new("Query", "getPost").selection_set(
            vec!["id".into(), "author".into(), "author/name".into()],
            "{ id author { name } }",
        ));
    let outcome = resolver.resolve(&engine, ctx, &none()).await;
    assert_eq!(outcome.errors[0].data, Some(json!({ "id": 1, "author": { "name": "ann" } })));
    assert_eq!(outcome.errors[0].error_info, Some(json!({ "secret": "kept" })));
}

/// Answers each batch with the payloads' `n` doubled, and records the batches it got.
#[derive(Default, Clone)]
struct Batcher {
    batches: Arc<Mutex<Vec<Vec<Value>>>>,
}

#[async_trait]
impl DataSource for Batcher {
    async fn invoke(&self, request: Value, _ctx: &Context) -> Result<Value, DataSourceError> {
        Ok(json!({ "single": request["payload"] }))
    }

    async fn invoke_batch(
        &self,
        requests: Vec<Value>,
        _ctxs: &[Context],
    ) -> Vec<Result<Value, DataSourceError>> {
        let payloads: Vec<Value> = requests.iter().map(|r| r["payload"].clone()).collect();
        self.batches.lock().expect("lock").push(payloads.clone());
        payloads
            .iter()
            .map(|p| match p["n"].as_i64() {
                Some(3) => Err(DataSourceError::new("three is refused", "Lambda:Unhandled")),
                Some(n) => Ok(json!(n * 2)),
                None => Ok(Value::Null),
            })
            .collect()
    }
}

#[tokio::test]
async fn batch_invoke_sends_the_items_in_batches_of_max_batch_size() {
    let engine = support::engine();
    let batcher = Batcher::default();
    let sources = DataSources::new().source("L", batcher.clone());
    let resolver = Resolver::unit(
        "export function request(ctx) {\n\
           if (ctx.source.n === 0) { return runtime.earlyReturn('early'); }\n\
           return { operation: ctx.source.n === 6 ? 'Invoke' : 'BatchInvoke', payload: { n: ctx.source.n } };\n\
         }\n\
         export function response(ctx) { return ctx.error ? `error: ${ctx.error.type} ${ctx.error.message}` : ctx.result; }",
        "L",
    )
    .max_batch_size(2);
    let ctxs: Vec<Context> = (0..7).map(|n| ctx().source(json!({ "n": n }))).collect();
    let outcomes = resolver.resolve_batch(&engine, ctxs, &sources).await;
    let data: Vec<Value> = outcomes.iter().map(|o| o.data.clone()).collect();
    assert_eq!(
        data,
        [
            json!("early"),
            json!(2),
            json!(4),
            json!("error: Lambda:Unhandled three is refused"),
            json!(8),
            json!(10),
            json!({ "single": { "n": 6 } }),
        ]
    );
    let batches = batcher.batches.lock().expect("lock").clone();
    assert_eq!(
        batches,
        [
            vec![json!({ "n": 1 }), json!({ "n": 2 })],
            vec![json!({ "n": 3 }), json!({ "n": 4 })],
            vec![json!({ "n": 5 })],
        ]
    );
}

#[tokio::test]
async fn a_pipeline_batches_each_functions_batch_invoke_across_the_items() {
    let engine = support::engine();
    let batcher = Batcher::default();
    let sources = DataSources::new().source("L", batcher.clone()).source("NONE", NoneDataSource);
    let resolver = Resolver::pipeline(
        "export function request(ctx) { ctx.stash.seen = [ctx.source.n]; return {}; }\n\
         export function response(ctx) { return { value: ctx.prev.result, seen: ctx.stash.seen }; }",
        vec![
            Function::new(
                "skipZero",
                "export function request(ctx) { if (ctx.source.n === 0) { runtime.earlyReturn('zero', { skipTo: 'END' }); } return { payload: null }; }\n\
                 export function response(ctx) { return ctx.source.n; }",
                "NONE",
            ),
            Function::new(
                "double",
                "export function request(ctx) { ctx.stash.seen.push('double'); return { operation: 'BatchInvoke', payload: { n: ctx.prev.result } }; }\n\
                 export function response(ctx) { if (ctx.error) { util.error(ctx.error.message, ctx.error.type); } return ctx.result; }",
                "L",
            )
            .max_batch_size(2),
        ],
    );
    let ctxs: Vec<Context> = [0, 1, 2, 3, 4].iter().map(|n| ctx().source(json!({ "n": n }))).collect();
    let outcomes = resolver.resolve_batch(&engine, ctxs, &sources).await;
    let data: Vec<Value> = outcomes.iter().map(|o| o.data.clone()).collect();
    assert_eq!(
        data,
        [
            json!({ "value": "zero", "seen": [0] }),
            json!({ "value": 2, "seen": [1, "double"] }),
            json!({ "value": 4, "seen": [2, "double"] }),
            Value::Null,
            json!({ "value": 8, "seen": [4, "double"] }),
        ]
    );
    assert_eq!(errors(&outcomes[3]), [("three is refused".to_owned(), Some("Lambda:Unhandled".to_owned()))]);
    let batches = batcher.batches.lock().expect("lock").clone();
    assert_eq!(
        batches,
        [vec![json!({ "n": 1 }), json!({ "n": 2 })], vec![json!({ "n": 3 }), json!({ "n": 4 })]],
        "item 0 returned early; the others in twos"
    );
}
