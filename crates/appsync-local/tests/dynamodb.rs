//! DynamoDB data sources through real resolvers: a JSON template whose APPSYNC_JS resolvers use
//! the `@aws-appsync/utils/dynamodb` helpers and `util.transform` expressions over the
//! embedded table engine, served over HTTP.
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

#[tokio::test]
async fn resolvers_run_the_dynamodb_helpers_on_the_projects_table() {
    let server = support::start_emulator(&emulator(None)).await;
    for thing in [
        json!({"pk": "a", "sk": 1, "owner": "ann", "title": "one", "count": 5}),
        json!({"pk": "a", "sk": 2, "owner": "ann", "title": "two", "count": 3}),
        json!({"pk": "a", "sk": 3, "owner": "bob", "title": "three", "count": 10}),
        json!({"pk": "a", "sk": 4, "owner": "ann", "count": 0}),
        json!({"pk": "b", "sk": 1, "owner": "ann", "title": "other", "count": 7}),
    ] {
        let body = put(&server, thing.clone()).await;
        assert_eq!(body["data"]["putThing"]["sk"], thing["sk"], "{body}");
    }
    // `put` with `attribute_not_exists(pk)`: a second write of another item fails as DynamoDB
    // fails it, and the response's `util.error` answers the GraphQL error with the current item.
    let body =
        put(&server, json!({"pk": "a", "sk": 1, "owner": "ann", "title": "changed", "count": 5})).await;
    assert_eq!(body["data"], json!({"putThing": null}), "{body}");
    assert_eq!(body["errors"][0]["errorType"], "DynamoDB:ConditionalCheckFailedException", "{body}");
    assert_eq!(body["errors"][0]["message"], "The conditional request failed", "{body}");
    assert_eq!(body["errors"][0]["data"]["title"], "one", "{body}");

    let body = ask(&server, "{ thing(pk: \"a\", sk: 1) { pk sk owner title count } }").await;
    assert_eq!(
        body,
        json!({"data": {"thing": {"pk": "a", "sk": 1, "owner": "ann", "title": "one", "count": 5}}})
    );
    let body = ask(&server, "{ thing(pk: \"a\", sk: 99) { pk } }").await;
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
    let third = server.api_key(page, json!({"t": second["data"]["things"]["nextToken"]})).await.json();
    assert_eq!(
        third["data"]["things"],
        json!({"items": [], "nextToken": null, "scannedCount": 0}),
        "{third}"
    );

    // A GSI query with a sort key condition, newest first.
    let body = ask(&server, "{ byOwner(owner: \"ann\") { pk sk } }").await;
    assert_eq!(body, json!({"data": {"byOwner": [{"pk": "a", "sk": 4}, {"pk": "a", "sk": 2}]}}));

    // A scan with `util.transform.toDynamoDBFilterExpression`.
    let body = ask(&server, "{ busy(minCount: 5) { pk sk } }").await;
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
    assert_eq!(ask(&server, bump).await, json!({"data": {"bump": {"count": 7}}}));
    let body = ask(&server, bump).await;
    assert_eq!(body["data"], json!({"bump": null}), "{body}");
    assert_eq!(body["errors"][0]["errorType"], "DynamoDB:ConditionalCheckFailedException", "{body}");
    assert_eq!(body["errors"][0]["data"]["count"], 7, "{body}");

    // A condition from `util.transform.toDynamoDBConditionExpression`.
    let retitle = "mutation { retitle(pk: \"a\", sk: 2, title: \"deux\", onlyIf: \"two\") { title } }";
    assert_eq!(ask(&server, retitle).await, json!({"data": {"retitle": {"title": "deux"}}}));
    let retitle = "mutation { retitle(pk: \"a\", sk: 2, title: \"dos\", onlyIf: \"two\") { title } }";
    let body = ask(&server, retitle).await;
    assert_eq!(body["errors"][0]["errorType"], "DynamoDB:ConditionalCheckFailedException", "{body}");

    // A transaction: both updates or neither; a cancelled one names each item's reason.
    let body = ask(&server, "mutation { move(pk: \"a\", from: 3, to: 1, amount: 4) }").await;
    assert_eq!(body, json!({"data": {"move": ["a/3", "a/1"]}}));
    let body = ask(&server, "mutation { move(pk: \"a\", from: 3, to: 1, amount: 100) }").await;
    assert_eq!(body["errors"][0]["errorType"], "DynamoDB:TransactionCanceledException", "{body}");
    assert_eq!(
        body["errors"][0]["errorInfo"]["reasons"],
        json!(["ConditionalCheckFailed", "None"]),
        "{body}"
    );
    let body =
        ask(&server, "{ a3: thing(pk: \"a\", sk: 3) { count } a1: thing(pk: \"a\", sk: 1) { count } }").await;
    assert_eq!(body, json!({"data": {"a3": {"count": 6}, "a1": {"count": 11}}}));

    // `remove` answers the deleted item.
    let body = ask(&server, "mutation { removeThing(pk: \"a\", sk: 4) { sk owner } }").await;
    assert_eq!(body, json!({"data": {"removeThing": {"sk": 4, "owner": "ann"}}}));
    let body = ask(&server, "{ thing(pk: \"a\", sk: 4) { pk } }").await;
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
