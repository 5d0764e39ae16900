//! The operations in AppSync's request shapes, end to end through `Database::execute`.

#![allow(clippy::unwrap_used, reason = "helpers of a test fail it with the message")]

use appsync_dynamodb::{AttributeDefinition, Database, Index, KeyElement, KeyType, TableDefinition};
use serde_json::{Value, json};

fn posts() -> TableDefinition {
    TableDefinition::new(
        "Posts",
        vec![KeyElement::new("author", KeyType::Hash), KeyElement::new("ts", KeyType::Range)],
        vec![
            AttributeDefinition::new("author", "S"),
            AttributeDefinition::new("ts", "N"),
            AttributeDefinition::new("category", "S"),
        ],
    )
    .global_indexes(vec![Index::new(
        "byCategory",
        vec![KeyElement::new("category", KeyType::Hash), KeyElement::new("ts", KeyType::Range)],
        "INCLUDE",
        vec!["title".into()],
    )])
}

fn db() -> Database {
    let db = Database::builder()
        .table(posts())
        .table(TableDefinition::new(
            "Counters",
            vec![KeyElement::new("id", KeyType::Hash)],
            vec![AttributeDefinition::new("id", "S")],
        ))
        .build()
        .unwrap();
    for i in 0..10 {
        let category = if i % 2 == 0 { "even" } else { "odd" };
        db.execute(
            "Posts",
            &json!({
                "operation": "PutItem",
                "key": {"author": {"S": "ann"}, "ts": {"N": i}},
                "attributeValues": {"title": {"S": format!("post {i}")}, "category": {"S": category}, "body": {"S": "..."}},
            }),
        )
        .unwrap();
    }
    db
}

fn error_of(db: &Database, table: &str, request: Value) -> (String, String) {
    let e = db.execute(table, &request).unwrap_err();
    (e.error_type().to_owned(), e.to_string())
}

#[test]
fn put_get_update_delete() {
    let db = db();
    let put = db
        .execute(
            "Counters",
            &json!({"operation": "PutItem", "key": {"id": {"S": "c"}}, "attributeValues": {"n": {"N": "1.50"}, "tags": {"SS": ["a"]}}}),
        )
        .unwrap();
    assert_eq!(put, json!({"id": "c", "n": 1.5, "tags": ["a"]}));
    let updated = db
        .execute(
            "Counters",
            &json!({
                "operation": "UpdateItem",
                "key": {"id": {"S": "c"}},
                "update": {
                    "expression": "SET #n = #n + :d, added = if_not_exists(added, :d) ADD tags :t REMOVE gone",
                    "expressionNames": {"#n": "n"},
                    "expressionValues": {":d": {"N": "0.25"}, ":t": {"SS": ["b"]}},
                },
            }),
        )
        .unwrap();
    assert_eq!(updated, json!({"id": "c", "n": 1.75, "added": 0.25, "tags": ["a", "b"]}));
    let got = db
        .execute(
            "Counters",
            &json!({"operation": "GetItem", "key": {"id": {"S": "c"}}, "projection": {"expression": "#n, tags", "expressionNames": {"#n": "n"}}}),
        )
        .unwrap();
    assert_eq!(got, json!({"n": 1.75, "tags": ["a", "b"]}));
    let deleted =
        db.execute("Counters", &json!({"operation": "DeleteItem", "key": {"id": {"S": "c"}}})).unwrap();
    assert_eq!(deleted["n"], json!(1.75));
    assert_eq!(
        db.execute("Counters", &json!({"operation": "GetItem", "key": {"id": {"S": "c"}}})).unwrap(),
        Value::Null
    );
    // An update of a missing item creates it from its key.
    let created = db
        .execute(
            "Counters",
            &json!({"operation": "UpdateItem", "key": {"id": {"S": "new"}}, "update": {"expression": "ADD hits :one", "expressionValues": {":one": {"N": 1}}}}),
        )
        .unwrap();
    assert_eq!(created, json!({"id": "new", "hits": 1}));
}

#[test]
fn failed_conditions_as_appsync_reports_them() {
    let db = db();
    let put = |title: &str| {
        json!({
            "operation": "PutItem",
            "key": {"id": {"S": "x"}},
            "attributeValues": {"title": {"S": title}},
            "condition": {"expression": "attribute_not_exists(id)"},
        })
    };
    db.execute("Counters", &put("first")).unwrap();
    let e = db.execute("Counters", &put("second")).unwrap_err();
    assert!(e.is_conditional_check_failed());
    assert_eq!(e.error_type(), "DynamoDB:ConditionalCheckFailedException");
    assert_eq!(e.to_string(), "The conditional request failed");
    assert_eq!(e.result(), Some(json!({"id": "x", "title": "first"})));
    assert_eq!(
        e.to_json(),
        json!({"message": "The conditional request failed", "type": "DynamoDB:ConditionalCheckFailedException"})
    );
    // The item already is what the write wanted: AppSync counts it as done.
    assert_eq!(db.execute("Counters", &put("first")).unwrap(), json!({"id": "x", "title": "first"}));
    // Conditions on a missing item see an empty item.
    let (ty, _) = error_of(
        &db,
        "Counters",
        json!({"operation": "DeleteItem", "key": {"id": {"S": "x"}}, "condition": {"expression": "title = :t", "expressionValues": {":t": {"S": "nope"}}}}),
    );
    assert_eq!(ty, "DynamoDB:ConditionalCheckFailedException");
}

#[test]
fn validation_errors_use_dynamodb_wording() {
    let db = db();
    let cases = [
        (
            json!({"operation": "GetItem", "key": {"id": {"N": "1"}}}),
            "The provided key element does not match the schema",
        ),
        (
            json!({"operation": "PutItem", "key": {"id": {"S": ""}}}),
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: id",
        ),
        (
            json!({"operation": "UpdateItem", "key": {"id": {"S": "a"}}, "update": {"expression": "SET name = :v", "expressionValues": {":v": {"S": "x"}}}}),
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name",
        ),
        (
            json!({"operation": "UpdateItem", "key": {"id": {"S": "a"}}, "update": {"expression": "SET a = :v", "expressionValues": {":v": {"S": "x"}, ":w": {"S": "y"}}}}),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}",
        ),
        (
            json!({"operation": "UpdateItem", "key": {"id": {"S": "a"}}, "update": {"expression": "SET id = :v", "expressionValues": {":v": {"S": "x"}}}}),
            "One or more parameter values were invalid: Cannot update attribute id. This attribute is part of the key",
        ),
        (
            json!({"operation": "PutItem", "key": {"id": {"S": "a"}}, "attributeValues": {"n": {"N": "123456789012345678901234567890123456789"}}}),
            "Attempting to store more than 38 significant digits in a Number",
        ),
        (
            json!({"operation": "PutItem", "key": {"id": {"S": "a"}}, "attributeValues": {"s": {"SS": ["a", "a"]}}}),
            "Input collection [a, a] contains duplicates.",
        ),
    ];
    for (request, message) in cases {
        let (ty, got) = error_of(&db, "Counters", request);
        assert_eq!(ty, "DynamoDB:ValidationException");
        assert_eq!(got, message);
    }
    let big = "x".repeat(400 * 1024);
    let (_, got) = error_of(
        &db,
        "Counters",
        json!({"operation": "PutItem", "key": {"id": {"S": "a"}}, "attributeValues": {"big": {"S": big}}}),
    );
    assert_eq!(got, "Item size has exceeded the maximum allowed size");
    let e = db.execute("Nope", &json!({"operation": "GetItem", "key": {"id": {"S": "a"}}})).unwrap_err();
    assert!(e.is_resource_not_found());
    let (_, got) = error_of(
        &db,
        "Posts",
        json!({"operation": "PutItem", "key": {"author": {"S": "a"}, "ts": {"N": 1}}, "attributeValues": {"category": {"N": 1}}}),
    );
    assert_eq!(
        got,
        "One or more parameter values were invalid: Type mismatch for Index Key category Expected: S Actual: N IndexName: byCategory"
    );
}

fn query(db: &Database, extra: Value) -> Value {
    let mut request = json!({
        "operation": "Query",
        "query": {"expression": "author = :a", "expressionValues": {":a": {"S": "ann"}}},
    });
    for (k, v) in extra.as_object().unwrap() {
        request[k] = v.clone();
    }
    db.execute("Posts", &request).unwrap()
}

fn timestamps(page: &Value) -> Vec<i64> {
    page["items"].as_array().unwrap().iter().map(|i| i["ts"].as_i64().unwrap()).collect()
}

#[test]
fn query_pages_orders_and_filters() {
    let db = db();
    let all = query(&db, json!({}));
    assert_eq!(timestamps(&all), (0..10).collect::<Vec<_>>());
    assert_eq!(all["nextToken"], Value::Null);
    assert_eq!(all["scannedCount"], json!(10));

    let mut seen = Vec::new();
    let mut token = Value::Null;
    loop {
        let page = query(&db, json!({"limit": 4, "scanIndexForward": false, "nextToken": token}));
        seen.extend(timestamps(&page));
        token = page["nextToken"].clone();
        if token.is_null() {
            break;
        }
    }
    assert_eq!(seen, (0..10).rev().collect::<Vec<_>>());

    let ranged = db
        .execute(
            "Posts",
            &json!({
                "operation": "Query",
                "query": {"expression": "author = :a AND ts BETWEEN :lo AND :hi", "expressionValues": {":a": {"S": "ann"}, ":lo": {"N": 3}, ":hi": {"N": 7}}},
                "filter": {"expression": "category = :c", "expressionValues": {":c": {"S": "odd"}}},
                "limit": 4,
            }),
        )
        .unwrap();
    // The limit counts items read before the filter.
    assert_eq!(timestamps(&ranged), vec![3, 5]);
    assert_eq!(ranged["scannedCount"], json!(4));
    assert!(ranged["nextToken"].is_string());

    let index = db
        .execute(
            "Posts",
            &json!({
                "operation": "Query",
                "index": "byCategory",
                "query": {"expression": "category = :c AND ts > :t", "expressionValues": {":c": {"S": "even"}, ":t": {"N": 2}}},
            }),
        )
        .unwrap();
    assert_eq!(
        index["items"],
        json!([
            {"author": "ann", "ts": 4, "category": "even", "title": "post 4"},
            {"author": "ann", "ts": 6, "category": "even", "title": "post 6"},
            {"author": "ann", "ts": 8, "category": "even", "title": "post 8"},
        ])
    );
}

#[test]
fn query_errors() {
    let db = db();
    let cases = [
        (
            json!({"expression": "ts = :t", "expressionValues": {":t": {"N": 1}}}),
            "Query condition missed key schema element: author",
        ),
        (
            json!({"expression": "author <> :a", "expressionValues": {":a": {"S": "x"}}}),
            "Query key condition not supported",
        ),
        (
            json!({"expression": "author = :a", "expressionValues": {":a": {"N": 1}}}),
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ),
    ];
    for (q, message) in cases {
        let (_, got) = error_of(&db, "Posts", json!({"operation": "Query", "query": q}));
        assert_eq!(got, message);
    }
    let (_, got) = error_of(
        &db,
        "Posts",
        json!({"operation": "Query", "query": {"expression": "author = :a", "expressionValues": {":a": {"S": "ann"}}},
               "filter": {"expression": "ts > :t", "expressionValues": {":t": {"N": 1}}}}),
    );
    assert_eq!(
        got,
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: ts"
    );
    let (_, got) = error_of(
        &db,
        "Posts",
        json!({"operation": "Query", "index": "byCategory", "select": "ALL_ATTRIBUTES",
               "query": {"expression": "category = :c", "expressionValues": {":c": {"S": "odd"}}}}),
    );
    assert!(
        got.contains("Select type ALL_ATTRIBUTES is not supported for global secondary index byCategory"),
        "{got}"
    );
}

#[test]
fn scan_segments_cover_the_table_once() {
    let db = db();
    for i in 0..40 {
        db.execute("Counters", &json!({"operation": "PutItem", "key": {"id": {"S": format!("k{i}")}}}))
            .unwrap();
    }
    let mut ids = Vec::new();
    for segment in 0..3 {
        let mut token = Value::Null;
        loop {
            let page = db
                .execute(
                    "Counters",
                    &json!({"operation": "Scan", "segment": segment, "totalSegments": 3, "limit": 7, "nextToken": token}),
                )
                .unwrap();
            ids.extend(
                page["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()),
            );
            token = page["nextToken"].clone();
            if token.is_null() {
                break;
            }
        }
    }
    ids.sort();
    let mut expected: Vec<String> = (0..40).map(|i| format!("k{i}")).collect();
    expected.sort();
    assert_eq!(ids, expected);
    let filtered = db
        .execute(
            "Posts",
            &json!({"operation": "Scan", "filter": {"expression": "contains(title, :n)", "expressionValues": {":n": {"S": "9"}}}}),
        )
        .unwrap();
    assert_eq!(filtered["items"].as_array().unwrap().len(), 1);
    assert_eq!(filtered["scannedCount"], json!(10));
}

#[test]
fn batches() {
    let db = db();
    let put = db
        .execute(
            "",
            &json!({"operation": "BatchPutItem", "tables": {
                "Counters": [{"id": {"S": "a"}, "v": {"N": 1}}, {"id": {"S": "b"}, "v": {"N": 2}}]
            }}),
        )
        .unwrap();
    assert_eq!(
        put,
        json!({"data": {"Counters": [{"id": "a", "v": 1}, {"id": "b", "v": 2}]}, "unprocessedItems": {"Counters": []}})
    );
    let got = db
        .execute(
            "",
            &json!({"operation": "BatchGetItem", "tables": {
                "Counters": {"keys": [{"id": {"S": "b"}}, {"id": {"S": "zz"}}, {"id": {"S": "a"}}]},
                "Posts": {"keys": [{"author": {"S": "ann"}, "ts": {"N": 1}}], "projection": {"expression": "title"}}
            }}),
        )
        .unwrap();
    assert_eq!(
        got,
        json!({
            "data": {"Counters": [{"id": "b", "v": 2}, null, {"id": "a", "v": 1}], "Posts": [{"title": "post 1"}]},
            "unprocessedKeys": {"Counters": [], "Posts": []}
        })
    );
    let deleted = db
        .execute("", &json!({"operation": "BatchDeleteItem", "tables": {"Counters": [{"id": {"S": "a"}}]}}))
        .unwrap();
    assert_eq!(deleted["data"], json!({"Counters": [{"id": "a"}]}));
    assert_eq!(db.item_count("Counters"), Some(1));
    let (_, got) = error_of(
        &db,
        "",
        json!({"operation": "BatchPutItem", "tables": {"Counters": [{"id": {"S": "a"}}, {"id": {"S": "a"}}]}}),
    );
    assert_eq!(got, "Provided list of item keys contains duplicates");
}

#[test]
fn transactions_all_or_nothing() {
    let db = db();
    let ok = db
        .execute(
            "",
            &json!({"operation": "TransactWriteItems", "transactItems": [
                {"table": "Counters", "operation": "PutItem", "key": {"id": {"S": "t1"}}, "attributeValues": {"v": {"N": 1}}},
                {"table": "Counters", "operation": "UpdateItem", "key": {"id": {"S": "t2"}}, "update": {"expression": "SET v = :v", "expressionValues": {":v": {"N": 2}}}},
                {"table": "Posts", "operation": "ConditionCheck", "key": {"author": {"S": "ann"}, "ts": {"N": 1}}, "condition": {"expression": "attribute_exists(title)"}},
            ]}),
        )
        .unwrap();
    assert_eq!(
        ok,
        json!({"keys": [{"id": "t1"}, {"id": "t2"}, {"author": "ann", "ts": 1}], "cancellationReasons": null})
    );
    let e = db
        .execute(
            "",
            &json!({"operation": "TransactWriteItems", "transactItems": [
                {"table": "Counters", "operation": "DeleteItem", "key": {"id": {"S": "t1"}}},
                {"table": "Counters", "operation": "UpdateItem", "key": {"id": {"S": "t2"}},
                 "update": {"expression": "SET v = :v", "expressionValues": {":v": {"N": 3}}},
                 "condition": {"expression": "v = :old", "expressionValues": {":old": {"N": 99}}}},
            ]}),
        )
        .unwrap_err();
    assert!(e.is_transaction_canceled());
    assert_eq!(e.error_type(), "DynamoDB:TransactionCanceledException");
    assert_eq!(
        e.to_string(),
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]"
    );
    assert_eq!(
        e.result(),
        Some(json!({"keys": null, "cancellationReasons": [
            {"type": "None", "message": null},
            {"type": "ConditionalCheckFailed", "message": "The conditional request failed", "item": {"id": "t2", "v": 2}},
        ]}))
    );
    // Nothing of the cancelled transaction was written.
    assert!(
        !db.execute("Counters", &json!({"operation": "GetItem", "key": {"id": {"S": "t1"}}}))
            .unwrap()
            .is_null()
    );
    let read = db
        .execute(
            "",
            &json!({"operation": "TransactGetItems", "transactItems": [
                {"table": "Counters", "key": {"id": {"S": "t2"}}},
                {"table": "Counters", "key": {"id": {"S": "none"}}},
            ]}),
        )
        .unwrap();
    assert_eq!(read, json!({"items": [{"id": "t2", "v": 2}, null], "cancellationReasons": null}));
    let (_, got) = error_of(
        &db,
        "",
        json!({"operation": "TransactWriteItems", "transactItems": [
            {"table": "Counters", "operation": "DeleteItem", "key": {"id": {"S": "t1"}}},
            {"table": "Counters", "operation": "DeleteItem", "key": {"id": {"S": "t1"}}},
        ]}),
    );
    assert_eq!(got, "Transaction request cannot include multiple operations on one item");
}
