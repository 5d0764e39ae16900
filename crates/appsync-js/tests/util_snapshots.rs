//! `util` and `@aws-appsync/utils/dynamodb` outputs against what AWS's EvaluateCode returned.
//!
//! Each expected value is a snapshot recorded against AWS by localstack/appsync-utils
//! (`__tests__/__snapshots__/index.test.js.snap`, commit 8f8ef7f), named in the test as
//! "snapshot: <name>". Jest prints object keys sorted, so these compare values, not key order.
#![allow(missing_docs)]

mod support;

use serde_json::json;
use support::{engine, eval_expression};

#[test]
fn to_dynamodb_of_scalars() {
    let engine = engine();
    // snapshot: "dynamodb helpers toDynamoDB string 1"
    assert_eq!(eval_expression(&engine, r#"util.dynamodb.toDynamoDB("test")"#), json!({"S": "test"}));
    // snapshot: "dynamodb helpers toDynamoDB number 1" (a number, not a string)
    assert_eq!(eval_expression(&engine, "util.dynamodb.toDynamoDB(12345)"), json!({"N": 12345}));
    // snapshot: "dynamodb helpers toDynamoDB boolean 1"
    assert_eq!(eval_expression(&engine, "util.dynamodb.toDynamoDB(true)"), json!({"BOOL": true}));
}

#[test]
fn typed_helpers() {
    let engine = engine();
    // snapshot: "dynamodb helpers toString 1"
    assert_eq!(eval_expression(&engine, r#"util.dynamodb.toString("test")"#), json!({"S": "test"}));
    // snapshot: "dynamodb helpers toStringSet 1"
    assert_eq!(
        eval_expression(&engine, r#"util.dynamodb.toStringSet(["foo", "bar", "baz"])"#),
        json!({"SS": ["foo", "bar", "baz"]})
    );
    // snapshot: "dynamodb helpers toNumber 1"
    assert_eq!(eval_expression(&engine, "util.dynamodb.toNumber(12345)"), json!({"N": 12345}));
    // snapshot: "dynamodb helpers toNumberSet 1"
    assert_eq!(
        eval_expression(&engine, "util.dynamodb.toNumberSet([1, 23, 4.56])"),
        json!({"NS": [1, 23, 4.56]})
    );
    // snapshot: "dynamodb helpers toBinary 1"
    assert_eq!(eval_expression(&engine, r#"util.dynamodb.toBinary("foo")"#), json!({"B": "foo"}));
    // snapshot: "dynamodb helpers toBinarySet 1"
    assert_eq!(
        eval_expression(&engine, r#"util.dynamodb.toBinarySet(["foo", "bar", "baz"])"#),
        json!({"BS": ["foo", "bar", "baz"]})
    );
    // snapshot: "dynamodb helpers toBoolean 1"
    assert_eq!(eval_expression(&engine, "util.dynamodb.toBoolean(true)"), json!({"BOOL": true}));
    // snapshot: "dynamodb helpers toNull 1"
    assert_eq!(eval_expression(&engine, "util.dynamodb.toNull()"), json!({"NULL": null}));
}

#[test]
fn lists_and_maps() {
    let engine = engine();
    // snapshot: "dynamodb helpers toList 1"
    assert_eq!(
        eval_expression(&engine, r#"util.dynamodb.toList(["foo", 123, {bar: "baz" }])"#),
        json!({"L": [{"S": "foo"}, {"N": 123}, {"M": {"bar": {"S": "baz"}}}]})
    );
    let beep = json!({"baz": {"N": 1234}, "beep": {"L": [{"S": "boop"}]}, "foo": {"S": "bar"}});
    // snapshot: "dynamodb helpers toMap 1"
    assert_eq!(
        eval_expression(&engine, r#"util.dynamodb.toMap({ "foo": "bar", "baz": 1234, "beep": ["boop"] })"#),
        json!({ "M": beep })
    );
    // snapshot: "dynamodb helpers toMapValues 1"
    assert_eq!(
        eval_expression(
            &engine,
            r#"util.dynamodb.toMapValues({ "foo": "bar", "baz": 1234, "beep": ["boop"] })"#
        ),
        beep
    );
}

#[test]
fn s3_objects() {
    let engine = engine();
    // snapshot: "dynamodb helpers s3 objects three parameter function 1" (the string exactly)
    assert_eq!(
        eval_expression(&engine, r#"util.dynamodb.toS3Object("foo", "bar", "baz")"#),
        json!({"S": r#"{"s3":{"key":"foo","bucket":"bar","region":"baz"}}"#})
    );
    // snapshot: "dynamodb helpers s3 objects four parameter function 1"
    assert_eq!(
        eval_expression(&engine, r#"util.dynamodb.toS3Object("foo", "bar", "baz", "beep")"#),
        json!({"S": r#"{"s3":{"key":"foo","bucket":"bar","region":"baz","version":"beep"}}"#})
    );
}

#[test]
fn module_requests() {
    let engine = engine();
    // snapshot: "DynamoDB module functions get 1"
    assert_eq!(
        eval_expression(&engine, r#"ddb.get({ key: { id: "id" }})"#),
        json!({"key": {"id": {"S": "id"}}, "operation": "GetItem"})
    );
    // snapshot: "DynamoDB module functions put 1"
    assert_eq!(
        eval_expression(&engine, r#"ddb.put({ key: { id: "abc" }, item: { value: 10 }})"#),
        json!({"attributeValues": {"value": {"N": 10}}, "key": {"id": {"S": "abc"}}, "operation": "PutItem"})
    );
    // snapshot: "DynamoDB module functions remove 1"
    assert_eq!(
        eval_expression(&engine, r#"ddb.remove({ key: { id: "test" } })"#),
        json!({"key": {"id": {"S": "test"}}, "operation": "DeleteItem"})
    );
    // snapshot: "DynamoDB module functions scan 1"
    assert_eq!(
        eval_expression(&engine, r#"ddb.scan({ limit: 10, nextToken: "abc"})"#),
        json!({"limit": 10, "nextToken": "abc", "operation": "Scan"})
    );
}

fn update(field: &str, expression: &str, value: serde_json::Value) -> serde_json::Value {
    json!({
        "key": {"id": {"S": "test"}},
        "operation": "UpdateItem",
        "update": {
            "expression": expression,
            "expressionNames": {"#expName_1": field},
            "expressionValues": {":expValue_1": value},
        },
    })
}

#[test]
fn module_updates() {
    let engine = engine();
    let list = json!({"L": [{"N": 1}, {"N": 2}, {"N": 3}]});
    // snapshot: "DynamoDB module functions update add 1"
    assert_eq!(
        eval_expression(
            &engine,
            r#"ddb.update({ key: { id: "test" }, update: { age: ddb.operations.add(10), } })"#
        ),
        update("age", "SET #expName_1 = :expValue_1", json!({"N": 10}))
    );
    // snapshot: "DynamoDB module functions update append 1"
    assert_eq!(
        eval_expression(
            &engine,
            r#"ddb.update({ key: { id: "test" }, update: { values: ddb.operations.append([1, 2, 3]), } })"#
        ),
        update("values", "SET #expName_1 = list_append(#expName_1, :expValue_1)", list.clone())
    );
    // snapshot: "DynamoDB module functions update decrement 1"
    assert_eq!(
        eval_expression(
            &engine,
            r#"ddb.update({ key: { id: "test" }, update: { age: ddb.operations.decrement(10) } })"#
        ),
        update("age", "SET #expName_1 = #expName_1 - :expValue_1", json!({"N": 10}))
    );
    // snapshot: "DynamoDB module functions update increment 1"
    assert_eq!(
        eval_expression(
            &engine,
            r#"ddb.update({ key: { id: "test" }, update: { age: ddb.operations.increment(10) } })"#
        ),
        update("age", "SET #expName_1 = #expName_1 + :expValue_1", json!({"N": 10}))
    );
    // snapshot: "DynamoDB module functions update prepend 1"
    assert_eq!(
        eval_expression(
            &engine,
            r#"ddb.update({ key: { id: "test" }, update: { values: ddb.operations.prepend([1, 2, 3]) } })"#
        ),
        update("values", "SET #expName_1 = list_append(:expValue_1, #expName_1)", list)
    );
    // snapshot: "DynamoDB module functions update replace 1"
    assert_eq!(
        eval_expression(
            &engine,
            r#"ddb.update({ key: { id: "test" }, update: { values: ddb.operations.replace({ a: 10 }) }})"#
        ),
        update("values", "SET #expName_1 = :expValue_1", json!({"M": {"a": {"N": 10}}}))
    );
}

#[test]
fn module_operations() {
    let engine = engine();
    // snapshots: "DynamoDB operations add 1" ... "replace 1"
    assert_eq!(
        eval_expression(&engine, "ddb.operations.add(10)"),
        json!({"type": "OPERATION_ADD", "value": 10})
    );
    assert_eq!(
        eval_expression(&engine, "ddb.operations.append([1, 2, 3])"),
        json!({"items": [1, 2, 3], "type": "OPERATION_APPEND"})
    );
    assert_eq!(
        eval_expression(&engine, "ddb.operations.decrement(10)"),
        json!({"by": 10, "type": "OPERATION_DECREMENT"})
    );
    assert_eq!(
        eval_expression(&engine, "ddb.operations.increment(10)"),
        json!({"by": 10, "type": "OPERATION_INCREMENT"})
    );
    assert_eq!(
        eval_expression(&engine, "ddb.operations.prepend([1, 2, 3])"),
        json!({"items": [1, 2, 3], "type": "OPERATION_PREPEND"})
    );
    assert_eq!(
        eval_expression(&engine, "ddb.operations.replace({ a: 10 })"),
        json!({"type": "OPERATION_REPLACE", "value": {"a": 10}})
    );
}

#[test]
fn transform_returns_json_strings() {
    let engine = engine();
    // snapshot: "Transformations toDynamoDBFilterMap 1" (the string exactly, key order included)
    assert_eq!(
        eval_expression(
            &engine,
            r#"util.transform.toDynamoDBFilterExpression({ "title":{ "contains":"Hello World" } })"#
        ),
        json!(
            r##"{"expression":"(contains(#title,:title_contains))","expressionNames":{"#title":"title"},"expressionValues":{":title_contains":{"S":"Hello World"}}}"##
        )
    );
    // snapshot: "Transformations toDynamoDBConditionExpression 1" (the test sorted the names and
    // values, as this one orders them)
    assert_eq!(
        eval_expression(
            &engine,
            "util.transform.toDynamoDBConditionExpression({ id: { attributeExists: true }, version: { eq: 10 } })"
        ),
        json!(
            r##"{"expression":"(attribute_exists(#id)) AND (#version = :version_eq)","expressionNames":{"#id":"id","#version":"version"},"expressionValues":{":version_eq":{"N":10}}}"##
        )
    );
}

#[test]
fn util_error_and_unauthorized_as_evaluate_code_reports_them() {
    // snapshots of __tests__/__snapshots__/resolvers.test.js.snap: "error handling error 1"
    // ({"message": "foo"}) and "error handling unauthorized 1" ({"message": "Unauthorized"}).
    let engine = engine();
    let ctx = appsync_js::Context::new();
    let error = support::evaluate(&engine, r#"util.error("foo")"#, &ctx).error.expect("util.error stops");
    assert_eq!(error.message, "foo");
    assert_eq!(error.error_type, None);
    let error =
        support::evaluate(&engine, "util.unauthorized()", &ctx).error.expect("util.unauthorized stops");
    assert_eq!(error.message, "Unauthorized");
}
