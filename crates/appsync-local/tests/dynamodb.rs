//! DynamoDB data sources through real resolvers: a JSON template whose APPSYNC_JS resolvers use
//! the `@aws-appsync/utils/dynamodb` helpers and `util.transform` expressions, served over HTTP;
//! the same checks over the embedded table engine and, with `dynamodb_endpoint`, over moto's
//! DynamoDB-compatible server (`appsync_testkit::Moto`, the virtualenv appsync-dynamodb's
//! differential test uses).
#![allow(missing_docs)]
// Helpers outside `#[test]` functions: a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};

use appsync_local::project::ProjectReader;
use appsync_local::{ApiKey, Emulator};
use serde_json::{Value, json};

fn template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/project-dynamodb.json")
}

fn try_emulator(data_file: Option<&Path>) -> Result<Emulator, appsync_local::Error> {
    let api = ProjectReader::template(template()).read().unwrap();
    let mut builder = Emulator::builder().project(api).api_key(ApiKey::new(support::API_KEY));
    if let Some(file) = data_file {
        builder = builder.data_file(file);
    }
    builder.build()
}

fn emulator(data_file: Option<&Path>) -> Emulator {
    try_emulator(data_file).unwrap()
}

async fn ask(server: &support::Server, query: &str) -> Value {
    server.api_key(query, json!({})).await.json()
}

const PUT: &str = "mutation P($pk: String!, $sk: Int!, $owner: String, $title: String, $count: Int) {
  putThing(pk: $pk, sk: $sk, owner: $owner, title: $title, count: $count) { pk sk owner title count } }";

async fn put(server: &support::Server, thing: Value) -> Value {
    server.api_key(PUT, thing).await.json()
}

/// Where the resolvers' requests run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Embedded,
    Moto,
}

#[tokio::test]
async fn resolvers_run_the_dynamodb_helpers_on_the_projects_table() {
    let server = support::start_emulator(&emulator(None)).await;
    resolvers_run_the_dynamodb_helpers(&server, Backend::Embedded).await;
}

#[tokio::test]
async fn the_same_resolvers_run_at_a_dynamodb_endpoint() {
    let tmp = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let moto = tokio::task::spawn_blocking(move || support::Moto::start(&tmp)).await.unwrap();
    let api = ProjectReader::template(template()).read().unwrap();
    let emulator = Emulator::builder()
        .project(api)
        .api_key(ApiKey::new(support::API_KEY))
        .dynamodb_endpoint(moto.url())
        // Another name at the endpoint: batch and transaction requests are renamed too.
        .dynamodb_table("ThingsTable", "things-at-moto")
        .build()
        .unwrap();
    // The table is absent at first: created from the template, then found.
    let [endpoint] = emulator.dynamodb_endpoints() else { panic!("one endpoint") };
    let tables = endpoint.create_tables().await.unwrap();
    assert_eq!(tables.len(), 1);
    assert_eq!((tables[0].endpoint_table.as_str(), tables[0].created), ("things-at-moto", true));
    let server = support::start_emulator(&emulator).await;
    resolvers_run_the_dynamodb_helpers(&server, Backend::Moto).await;
    assert!(!endpoint.create_tables().await.unwrap()[0].created, "the table exists now");
}

async fn resolvers_run_the_dynamodb_helpers(server: &support::Server, backend: Backend) {
    for thing in [
        json!({"pk": "a", "sk": 1, "owner": "ann", "title": "one", "count": 5}),
        json!({"pk": "a", "sk": 2, "owner": "ann", "title": "two", "count": 3}),
        json!({"pk": "a", "sk": 3, "owner": "bob", "title": "three", "count": 10}),
        json!({"pk": "a", "sk": 4, "owner": "ann", "count": 0}),
        json!({"pk": "b", "sk": 1, "owner": "ann", "title": "other", "count": 7}),
    ] {
        let body = put(server, thing.clone()).await;
        assert_eq!(body["data"]["putThing"]["sk"], thing["sk"], "{body}");
    }
    // `put` with `attribute_not_exists(pk)`: a second write of another item fails as DynamoDB
    // fails it, and the response's `util.error` answers the GraphQL error with the current item.
    let body = put(server, json!({"pk": "a", "sk": 1, "owner": "ann", "title": "changed", "count": 5})).await;
    assert_eq!(body["data"], json!({"putThing": null}), "{body}");
    assert_eq!(body["errors"][0]["errorType"], "DynamoDB:ConditionalCheckFailedException", "{body}");
    assert_eq!(body["errors"][0]["message"], "The conditional request failed", "{body}");
    assert_eq!(body["errors"][0]["data"]["title"], "one", "{body}");

    let body = ask(server, "{ thing(pk: \"a\", sk: 1) { pk sk owner title count } }").await;
    assert_eq!(
        body,
        json!({"data": {"thing": {"pk": "a", "sk": 1, "owner": "ann", "title": "one", "count": 5}}})
    );
    let body = ask(server, "{ thing(pk: \"a\", sk: 99) { pk } }").await;
    assert_eq!(body, json!({"data": {"thing": null}}));

    // Pagination: `limit` and `nextToken`; a page stopped at its limit has a token even when
    // nothing follows, as DynamoDB's LastEvaluatedKey.
    let page = "query L($t: String) { things(pk: \"a\", limit: 2, nextToken: $t) { items { sk } nextToken scannedCount } }";
    let first = server.api_key(page, json!({})).await.json();
    assert_eq!(first["data"]["things"]["items"], json!([{"sk": 1}, {"sk": 2}]), "{first}");
    let token = first["data"]["things"]["nextToken"].clone();
    assert!(token.is_string(), "{first}");
    let second = server.api_key(page, json!({"t": token})).await.json();
    assert_eq!(second["data"]["things"]["items"], json!([{"sk": 3}, {"sk": 4}]), "{second}");
    // Known moto difference (appsync-dynamodb's differential test has the evidence): moto
    // gives no LastEvaluatedKey when a page stops at its limit exactly at the end.
    let second_token = &second["data"]["things"]["nextToken"];
    assert!(second_token.is_string() || backend == Backend::Moto, "{second}");
    if second_token.is_string() {
        let third = server.api_key(page, json!({"t": second_token})).await.json();
        assert_eq!(
            third["data"]["things"],
            json!({"items": [], "nextToken": null, "scannedCount": 0}),
            "{third}"
        );
    }

    // A GSI query with a sort key condition, newest first.
    let body = ask(server, "{ byOwner(owner: \"ann\") { pk sk } }").await;
    assert_eq!(body, json!({"data": {"byOwner": [{"pk": "a", "sk": 4}, {"pk": "a", "sk": 2}]}}));

    // A scan with `util.transform.toDynamoDBFilterExpression`.
    let body = ask(server, "{ busy(minCount: 5) { pk sk } }").await;
    let mut found: Vec<String> = body["data"]["busy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| format!("{}/{}", t["pk"].as_str().unwrap(), t["sk"]))
        .collect();
    found.sort();
    assert_eq!(found, ["a/1", "a/3", "b/1"], "{body}");

    // `update` with `operations.increment` under a condition, then the same condition failing.
    let bump = "mutation { bump(pk: \"a\", sk: 1, by: 2, expected: 5) { count } }";
    assert_eq!(ask(server, bump).await, json!({"data": {"bump": {"count": 7}}}));
    let body = ask(server, bump).await;
    assert_eq!(body["data"], json!({"bump": null}), "{body}");
    assert_eq!(body["errors"][0]["errorType"], "DynamoDB:ConditionalCheckFailedException", "{body}");
    assert_eq!(body["errors"][0]["data"]["count"], 7, "{body}");

    // A condition from `util.transform.toDynamoDBConditionExpression`.
    let retitle = "mutation { retitle(pk: \"a\", sk: 2, title: \"deux\", onlyIf: \"two\") { title } }";
    assert_eq!(ask(server, retitle).await, json!({"data": {"retitle": {"title": "deux"}}}));
    let retitle = "mutation { retitle(pk: \"a\", sk: 2, title: \"dos\", onlyIf: \"two\") { title } }";
    let body = ask(server, retitle).await;
    assert_eq!(body["errors"][0]["errorType"], "DynamoDB:ConditionalCheckFailedException", "{body}");

    // A transaction: both updates or neither; a cancelled one names each item's reason.
    let body = ask(server, "mutation { move(pk: \"a\", from: 3, to: 1, amount: 4) }").await;
    assert_eq!(body, json!({"data": {"move": ["a/3", "a/1"]}}));
    let body = ask(server, "mutation { move(pk: \"a\", from: 3, to: 1, amount: 100) }").await;
    assert_eq!(body["errors"][0]["errorType"], "DynamoDB:TransactionCanceledException", "{body}");
    assert_eq!(
        body["errors"][0]["errorInfo"]["reasons"],
        json!(["ConditionalCheckFailed", "None"]),
        "{body}"
    );
    let body =
        ask(server, "{ a3: thing(pk: \"a\", sk: 3) { count } a1: thing(pk: \"a\", sk: 1) { count } }").await;
    assert_eq!(body, json!({"data": {"a3": {"count": 6}, "a1": {"count": 11}}}));

    // `remove` answers the deleted item.
    let body = ask(server, "mutation { removeThing(pk: \"a\", sk: 4) { sk owner } }").await;
    assert_eq!(body, json!({"data": {"removeThing": {"sk": 4, "owner": "ann"}}}));
    let body = ask(server, "{ thing(pk: \"a\", sk: 4) { pk } }").await;
    assert_eq!(body, json!({"data": {"thing": null}}));
}

#[tokio::test]
async fn the_data_file_keeps_the_tables_beside_it() {
    let dir = std::env::temp_dir().join(format!("appsync-dynamodb-wiring-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("local.data");
    {
        let server = support::start_emulator(&emulator(Some(&file))).await;
        let body = put(&server, json!({"pk": "kept", "sk": 1, "title": "durable"})).await;
        assert_eq!(body["data"]["putThing"]["title"], "durable", "{body}");
    }
    assert!(appsync_local::project::tables_file(&file).exists(), "FILE.dynamodb holds the tables");
    // The first emulator (and its redb handle) is gone once its executor threads stop, which
    // nothing announces but the file opening again: poll for that (every 20 ms, at most 1 s).
    let mut reopened = None;
    for _ in 0..50 {
        match try_emulator(Some(&file)) {
            Ok(e) => {
                reopened = Some(e);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
    let server = support::start_emulator(&reopened.expect("reopen the data files")).await;
    let body = ask(&server, "{ thing(pk: \"kept\", sk: 1) { title } }").await;
    assert_eq!(body, json!({"data": {"thing": {"title": "durable"}}}));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn requests_to_a_dynamodb_endpoint_are_signed_for_dynamodb_in_the_data_sources_region() {
    use appsync_local::Credentials;
    use appsync_sigv4::Verifier;
    use std::collections::HashMap;

    // A loopback DynamoDB that answers only requests signed with our credentials, for the
    // service `dynamodb` in the template's region.
    let verifier = Verifier::new(
        HashMap::from([(
            support::AKID.to_owned(),
            Credentials::new(support::AKID, support::SECRET, None, None),
        )]),
        "eu-west-3",
        "dynamodb",
    );
    let peer = support::http_peer(move |request| {
        if let Err(e) = request.verify(&verifier) {
            let body = json!({"__type": "com.amazonaws.dynamodb.v20120810#UnrecognizedClientException",
                              "message": e.to_string()});
            return (400, Vec::new(), body.to_string().into_bytes());
        }
        let answer = match request.header("x-amz-target") {
            Some("DynamoDB_20120810.DescribeTable") => json!({"Table": {"TableStatus": "ACTIVE"}}),
            Some("DynamoDB_20120810.GetItem") => {
                json!({"Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "title": {"S": "signed"}}})
            }
            other => json!({"__type": "com.amazonaws.dynamodb.v20120810#UnknownOperationException",
                            "message": format!("{other:?}")}),
        };
        (
            200,
            vec![("content-type".into(), "application/x-amz-json-1.0".into())],
            answer.to_string().into_bytes(),
        )
    });
    let api = ProjectReader::template(template()).region("eu-west-3").read().unwrap();
    let emulator = Emulator::builder()
        .project(api)
        .api_key(ApiKey::new(support::API_KEY))
        .dynamodb_endpoint_for("Things", &peer.url)
        .data_source_credentials(Credentials::new(support::AKID, support::SECRET, None, None))
        .build()
        .unwrap();
    let server = support::start_emulator(&emulator).await;
    let body = ask(&server, "{ thing(pk: \"a\", sk: 1) { title } }").await;
    assert_eq!(body, json!({"data": {"thing": {"title": "signed"}}}));
    let received = peer.received();
    let get =
        received.iter().find(|r| r.header("x-amz-target") == Some("DynamoDB_20120810.GetItem")).unwrap();
    assert_eq!(get.header("content-type"), Some("application/x-amz-json-1.0"));
    assert!(get.header("authorization").unwrap().contains("/eu-west-3/dynamodb/aws4_request"));
    let sent = get.json();
    assert_eq!(sent["Key"], json!({"pk": {"S": "a"}, "sk": {"N": "1"}}), "{sent}");
    assert!(sent["TableName"].is_string(), "{sent}");

    // Wrong credentials: the endpoint's refusal reaches the resolver as DynamoDB's error.
    let api = ProjectReader::template(template()).region("eu-west-3").read().unwrap();
    let emulator = Emulator::builder()
        .project(api)
        .api_key(ApiKey::new(support::API_KEY))
        .dynamodb_endpoint(&peer.url)
        .data_source_credentials(Credentials::new(support::AKID, "not-the-secret", None, None))
        .build()
        .unwrap();
    let server = support::start_emulator(&emulator).await;
    let body = ask(&server, "{ thing(pk: \"a\", sk: 1) { title } }").await;
    assert_eq!(body["errors"][0]["errorType"], "DynamoDB:UnrecognizedClientException", "{body}");
}

#[tokio::test]
async fn an_unreachable_dynamodb_endpoint_is_an_error_naming_it() {
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let api = ProjectReader::template(template()).read().unwrap();
    let emulator = Emulator::builder()
        .project(api)
        .api_key(ApiKey::new(support::API_KEY))
        .dynamodb_endpoint(&url)
        .build()
        .unwrap();
    let failure = emulator.dynamodb_endpoints()[0].create_tables().await.unwrap_err();
    assert_eq!(failure.error_type(), "AppSyncLocal:DataSourceUnreachable");
    assert!(failure.message().contains(&url), "{failure}");
    let server = support::start_emulator(&emulator).await;
    let body = ask(&server, "{ thing(pk: \"a\", sk: 1) { title } }").await;
    assert_eq!(body["data"], json!({"thing": null}), "{body}");
    assert_eq!(body["errors"][0]["errorType"], "AppSyncLocal:DataSourceUnreachable", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains(&url), "{body}");
}

#[test]
fn bad_dynamodb_endpoint_settings_are_refused_naming_the_setting() {
    let built = |f: fn(appsync_local::EmulatorBuilder) -> appsync_local::EmulatorBuilder| {
        let api = ProjectReader::template(template()).read().unwrap();
        f(Emulator::builder().project(api).api_key(ApiKey::new(support::API_KEY))).build()
    };
    let e = built(|b| b.dynamodb_endpoint("localhost:8000")).unwrap_err();
    assert!(e.is_config() && e.field() == Some("dynamodb_endpoint"), "{e}");
    let e = built(|b| b.dynamodb_endpoint_for("Nope", "http://127.0.0.1:8000")).unwrap_err();
    assert!(e.field() == Some("dynamodb_endpoint") && e.to_string().contains("\"Nope\""), "{e}");
    let e = built(|b| b.dynamodb_endpoint("http://127.0.0.1:8000").dynamodb_table("Nope", "x")).unwrap_err();
    assert!(e.field() == Some("dynamodb_table") && e.to_string().contains("\"Nope\""), "{e}");
    let e = built(|b| b.dynamodb_table("ThingsTable", "x")).unwrap_err();
    assert_eq!(e.field(), Some("dynamodb_table"), "{e}");
    let e = Emulator::builder()
        .api_key(ApiKey::new(support::API_KEY))
        .default_auth(appsync_local::AuthMode::ApiKey)
        .dynamodb_endpoint("http://127.0.0.1:8000")
        .build()
        .unwrap_err();
    assert_eq!(e.field(), Some("dynamodb_endpoint"), "{e}");
}

/// Each request shape straight to the data source, on the engine and at moto: the same
/// `ctx.result`, or the same `ctx.error` type and data (messages are moto's own wording).
#[tokio::test]
async fn both_backends_answer_every_request_shape_alike() {
    use appsync_js::{Context, DataSource as _};
    use appsync_local::Credentials;
    use appsync_local::data_sources::{DynamoDbDataSource, DynamoDbEndpoint};
    use std::sync::Arc;

    let tmp = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let moto = tokio::task::spawn_blocking(move || support::Moto::start(&tmp)).await.unwrap();
    let api = ProjectReader::template(template()).read().unwrap();
    let definition = appsync_local::project::table_definition(&api.tables[0]);
    let table = definition.name.clone();
    let database = appsync_dynamodb::Database::builder().table(definition.clone()).build().unwrap();
    let embedded = DynamoDbDataSource::new(Arc::new(database), &table);
    let endpoint = DynamoDbEndpoint::new(&moto.url(), "us-east-1", Credentials::new("a", "b", None, None))
        .unwrap()
        .table_name(&table, "remote-things")
        .table(definition);
    let remote = DynamoDbDataSource::endpoint(Arc::new(endpoint), &table);

    let key = |pk: &str, sk: i64| json!({"pk": {"S": pk}, "sk": {"N": sk.to_string()}});
    let item = |pk: &str, sk: i64, owner: &str, n: i64| json!({"pk": {"S": pk}, "sk": {"N": sk.to_string()}, "owner": {"S": owner}, "n": {"N": n.to_string()}});
    let requests = vec![
        json!({"operation": "BatchPutItem", "tables": {&table: [item("a", 1, "ann", 1), item("a", 2, "bob", 2),
                                                               item("a", 3, "ann", 3), item("b", 1, "ann", 4)]}}),
        json!({"operation": "PutItem", "key": key("a", 4), "attributeValues": {"owner": {"S": "cy"}, "n": {"N": "5"}},
               "condition": {"expression": "attribute_not_exists(pk)"}}),
        // A failed condition: the item as it is comes with the error.
        json!({"operation": "PutItem", "key": key("a", 4), "attributeValues": {"n": {"N": "6"}},
               "condition": {"expression": "attribute_not_exists(pk)"}}),
        // AppSync's rule: a write whose item already is what it wants counts as done.
        json!({"operation": "UpdateItem", "key": key("a", 4), "update": {"expression": "SET n = :n",
               "expressionValues": {":n": {"N": "5"}}}, "condition": {"expression": "n = :six",
               "expressionValues": {":six": {"N": "6"}}}}),
        json!({"operation": "UpdateItem", "key": key("a", 4),
               "update": {"expression": "ADD n :one SET #t = :t", "expressionNames": {"#t": "title"},
                          "expressionValues": {":one": {"N": "1"}, ":t": {"S": "four"}}}}),
        json!({"operation": "GetItem", "key": key("a", 4), "consistentRead": true,
               "projection": {"expression": "#t, n", "expressionNames": {"#t": "title"}}}),
        json!({"operation": "GetItem", "key": key("z", 9)}),
        json!({"operation": "Query", "query": {"expression": "pk = :p AND sk >= :s",
               "expressionValues": {":p": {"S": "a"}, ":s": {"N": "2"}}}, "scanIndexForward": false,
               "filter": {"expression": "n > :n", "expressionValues": {":n": {"N": "2"}}}}),
        json!({"operation": "Query", "index": "byOwner", "query": {"expression": "#o = :o",
               "expressionNames": {"#o": "owner"}, "expressionValues": {":o": {"S": "ann"}}},
               "select": "COUNT"}),
        json!({"operation": "Query", "query": {"expression": "pk = :p", "expressionValues": {":p": {"S": "a"}}},
               "projection": {"expression": "sk"}, "limit": 2}),
        json!({"operation": "Scan", "filter": {"expression": "#o = :o", "expressionNames": {"#o": "owner"},
               "expressionValues": {":o": {"S": "ann"}}}}),
        json!({"operation": "BatchGetItem", "tables": {&table: {"keys": [key("a", 3), key("z", 1), key("a", 1)],
               "projection": {"expression": "n"}}}}),
        // Known moto difference: moto 5.2.5's TransactGetItems reads only each Get's TableName
        // and Key (moto/dynamodb/responses.py, transact_get_items), so a projection is not
        // compared here (wire.rs's tests check that it is sent).
        json!({"operation": "TransactGetItems", "transactItems": [{"table": &table, "key": key("a", 1)},
               {"table": &table, "key": key("z", 1)}, {"table": &table, "key": key("b", 1)}]}),
        json!({"operation": "TransactWriteItems", "transactItems": [
            {"table": &table, "operation": "UpdateItem", "key": key("a", 1),
             "update": {"expression": "SET n = n + :d", "expressionValues": {":d": {"N": "10"}}}},
            {"table": &table, "operation": "ConditionCheck", "key": key("b", 1),
             "condition": {"expression": "n = :four", "expressionValues": {":four": {"N": "4"}}}},
            {"table": &table, "operation": "DeleteItem", "key": key("a", 2)},
            {"table": &table, "operation": "PutItem", "key": key("c", 1), "attributeValues": {"n": {"N": "0"}}}]}),
        // Cancelled: the reasons in order, the failed condition's item with it.
        json!({"operation": "TransactWriteItems", "transactItems": [
            {"table": &table, "operation": "DeleteItem", "key": key("c", 1)},
            {"table": &table, "operation": "ConditionCheck", "key": key("a", 1),
             "condition": {"expression": "n = :zero", "expressionValues": {":zero": {"N": "0"}}}}]}),
        json!({"operation": "BatchDeleteItem", "tables": {&table: [key("a", 1), key("c", 1)]}}),
        json!({"operation": "DeleteItem", "key": key("a", 3), "condition": {"expression": "n = :n",
               "expressionValues": {":n": {"N": "3"}}}}),
        json!({"operation": "Scan", "segment": 0, "totalSegments": 1}),
        json!({"operation": "Query", "nextToken": "not a token",
               "query": {"expression": "pk = :p", "expressionValues": {":p": {"S": "a"}}}}),
        json!({"operation": "Launch"}),
    ];
    let outcome = |answer: Result<Value, appsync_js::DataSourceError>| match answer {
        Ok(result) => json!({"result": result}),
        Err(e) => json!({"type": e.error_type(), "data": e.data_value()}),
    };
    for request in requests {
        let ours = outcome(embedded.invoke(request.clone(), &Context::new()).await);
        let theirs = outcome(remote.invoke(request.clone(), &Context::new()).await);
        // Scans: compared as sets (the engine and moto order partitions their own way).
        let sorted = |mut v: Value| {
            if request["operation"] == "Scan"
                && let Some(items) = v.pointer_mut("/result/items").and_then(Value::as_array_mut)
            {
                items.sort_by_key(ToString::to_string);
            }
            v
        };
        assert_eq!(sorted(ours), sorted(theirs), "{request}");
    }
}
