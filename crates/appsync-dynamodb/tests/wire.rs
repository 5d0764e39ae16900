//! `wire::Call`: each of AppSync's request shapes in DynamoDB's JSON API, and DynamoDB's answers
//! (and failures) read back as the engine gives them. Against a real server: appsync-local's
//! tests/dynamodb.rs runs the same resolvers on the engine and on moto.

#![allow(clippy::unwrap_used, reason = "a test fails with the message")]

use appsync_dynamodb::wire::Call;
use appsync_dynamodb::{AttributeDefinition, Index, KeyElement, KeyType, TableDefinition};
use serde_json::{Value, json};

fn call(request: Value) -> Call {
    Call::new(&request, "Things", |name| format!("remote-{name}")).unwrap()
}

fn ok(call: &Call, answer: Value) -> Value {
    call.answer(200, answer.to_string().as_bytes()).unwrap()
}

fn failure(call: &Call, answer: Value) -> appsync_dynamodb::Error {
    call.answer(400, answer.to_string().as_bytes()).unwrap_err()
}

fn ddb_error(name: &str) -> String {
    format!("com.amazonaws.dynamodb.v20120810#{name}")
}

#[test]
fn single_item_requests_and_their_answers() {
    let get = call(json!({"operation": "GetItem", "key": {"pk": {"S": "a"}}, "consistentRead": true,
                          "projection": {"expression": "#t, n", "expressionNames": {"#t": "title"}}}));
    assert_eq!(get.target(), "DynamoDB_20120810.GetItem");
    assert_eq!(
        get.body(),
        &json!({"TableName": "remote-Things", "Key": {"pk": {"S": "a"}}, "ConsistentRead": true,
                "ProjectionExpression": "#t, n", "ExpressionAttributeNames": {"#t": "title"}})
    );
    assert_eq!(ok(&get, json!({})), Value::Null);
    assert_eq!(
        ok(&get, json!({"Item": {"title": {"S": "x"}, "n": {"N": "1.50"}}})),
        json!({"title": "x", "n": 1.5})
    );

    let put =
        call(json!({"operation": "PutItem", "key": {"pk": {"S": "a"}}, "attributeValues": {"n": {"N": 2}},
                          "condition": {"expression": "attribute_not_exists(pk) OR n < :max",
                                        "expressionValues": {":max": {"N": "10"}}}}));
    assert_eq!(
        put.body(),
        &json!({"TableName": "remote-Things", "Item": {"pk": {"S": "a"}, "n": {"N": "2"}},
                "ConditionExpression": "attribute_not_exists(pk) OR n < :max",
                "ExpressionAttributeValues": {":max": {"N": "10"}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
    );
    assert_eq!(ok(&put, json!({})), json!({"pk": "a", "n": 2}));
    // A failed condition carries the item as it is; AppSync's rule: already what the write
    // wanted counts as done.
    let e = failure(
        &put,
        json!({"__type": ddb_error("ConditionalCheckFailedException"),
                                 "message": "The conditional request failed",
                                 "Item": {"pk": {"S": "a"}, "n": {"N": "11"}}}),
    );
    assert_eq!(e.error_type(), "DynamoDB:ConditionalCheckFailedException");
    assert_eq!(e.to_string(), "The conditional request failed");
    assert_eq!(e.result(), Some(json!({"pk": "a", "n": 11})));
    let done = put.answer(
        400,
        json!({"__type": ddb_error("ConditionalCheckFailedException"), "message": "The conditional request failed",
               "Item": {"pk": {"S": "a"}, "n": {"N": "2"}}})
        .to_string()
        .as_bytes(),
    );
    assert_eq!(done.unwrap(), json!({"pk": "a", "n": 2}));

    let update = call(json!({"operation": "UpdateItem", "key": {"pk": {"S": "a"}},
                             "update": {"expression": "SET n = n + :one", "expressionValues": {":one": {"N": "1"}}},
                             "condition": {"expression": "n = :two", "expressionValues": {":two": {"N": "2"}}}}));
    assert_eq!(update.body()["UpdateExpression"], "SET n = n + :one");
    assert_eq!(update.body()["ReturnValues"], "ALL_NEW");
    assert_eq!(update.body()["ExpressionAttributeValues"], json!({":one": {"N": "1"}, ":two": {"N": "2"}}));
    assert_eq!(
        ok(&update, json!({"Attributes": {"pk": {"S": "a"}, "n": {"N": "3"}}})),
        json!({"pk": "a", "n": 3})
    );

    let delete = call(json!({"operation": "DeleteItem", "key": {"pk": {"S": "a"}},
                             "condition": {"expression": "attribute_exists(pk)"}}));
    assert_eq!(delete.body()["ReturnValues"], "ALL_OLD");
    // Deleting what is not there counts as done.
    let done = delete.answer(
        400,
        json!({"__type": ddb_error("ConditionalCheckFailedException"), "message": "The conditional request failed"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(done.unwrap(), Value::Null);
}

#[test]
fn pages_carry_an_opaque_token_over_the_last_evaluated_key() {
    let query = call(json!({"operation": "Query", "index": "byOwner", "limit": 2, "scanIndexForward": false,
                            "select": "ALL_PROJECTED_ATTRIBUTES",
                            "query": {"expression": "#o = :o", "expressionNames": {"#o": "owner"},
                                      "expressionValues": {":o": {"S": "ann"}}},
                            "filter": {"expression": "n > :n", "expressionValues": {":n": {"N": "0"}}}}));
    assert_eq!(
        query.body(),
        &json!({"TableName": "remote-Things", "IndexName": "byOwner", "KeyConditionExpression": "#o = :o",
                "FilterExpression": "n > :n", "ExpressionAttributeNames": {"#o": "owner"},
                "ExpressionAttributeValues": {":o": {"S": "ann"}, ":n": {"N": "0"}},
                "Limit": 2, "ScanIndexForward": false, "Select": "ALL_PROJECTED_ATTRIBUTES"})
    );
    let key = json!({"pk": {"S": "a"}, "owner": {"S": "ann"}});
    let page = ok(
        &query,
        json!({"Items": [{"pk": {"S": "a"}}], "Count": 1, "ScannedCount": 2, "LastEvaluatedKey": key}),
    );
    assert_eq!(page["items"], json!([{"pk": "a"}]));
    assert_eq!(page["scannedCount"], 2);
    let token = page["nextToken"].as_str().unwrap();
    let next = call(json!({"operation": "Query", "nextToken": token,
                           "query": {"expression": "pk = :p", "expressionValues": {":p": {"S": "a"}}}}));
    assert_eq!(next.body()["ExclusiveStartKey"], key);
    let last = ok(&next, json!({"Items": [], "Count": 0, "ScannedCount": 0}));
    assert_eq!(last, json!({"items": [], "nextToken": null, "scannedCount": 0}));

    let e = Call::new(&json!({"operation": "Scan", "nextToken": "not a token"}), "Things", str::to_owned)
        .unwrap_err();
    assert!(e.is_validation(), "{e}");
    let scan = call(json!({"operation": "Scan", "segment": 1, "totalSegments": 4, "limit": 10}));
    assert_eq!(
        scan.body(),
        &json!({"TableName": "remote-Things", "Segment": 1, "TotalSegments": 4, "Limit": 10})
    );
}

#[test]
fn batches_answer_in_key_order_with_the_unprocessed_listed() {
    let get = call(json!({"operation": "BatchGetItem", "tables": {"Things": {
        "keys": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}, {"pk": {"S": "c"}}],
        "projection": {"expression": "title"}}}}));
    assert_eq!(get.target(), "DynamoDB_20120810.BatchGetItem");
    let sent = &get.body()["RequestItems"]["remote-Things"];
    // The key attributes are asked for too, to match the answers with the keys.
    assert_eq!(sent["ProjectionExpression"], "title, #appsyncLocalKey0");
    assert_eq!(sent["ExpressionAttributeNames"], json!({"#appsyncLocalKey0": "pk"}));
    let result = ok(
        &get,
        json!({"Responses": {"remote-Things": [{"pk": {"S": "c"}, "title": {"S": "C"}}]},
               "UnprocessedKeys": {"remote-Things": {"Keys": [{"pk": {"S": "b"}}]}}}),
    );
    assert_eq!(
        result,
        json!({"data": {"Things": [null, null, {"title": "C"}]}, "unprocessedKeys": {"Things": [{"pk": "b"}]}})
    );

    let put = call(
        json!({"operation": "BatchPutItem", "tables": {"Things": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}]}}),
    );
    assert_eq!(put.target(), "DynamoDB_20120810.BatchWriteItem");
    assert_eq!(
        put.body(),
        &json!({"RequestItems": {"remote-Things": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}},
                                                   {"PutRequest": {"Item": {"pk": {"S": "b"}}}}]}})
    );
    let result = ok(
        &put,
        json!({"UnprocessedItems": {"remote-Things": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]}}),
    );
    assert_eq!(
        result,
        json!({"data": {"Things": [null, {"pk": "b"}]}, "unprocessedItems": {"Things": [{"pk": "a"}]}})
    );

    let delete = call(json!({"operation": "BatchDeleteItem", "tables": {"Things": [{"pk": {"S": "a"}}]}}));
    assert_eq!(
        delete.body()["RequestItems"]["remote-Things"][0],
        json!({"DeleteRequest": {"Key": {"pk": {"S": "a"}}}})
    );
    assert_eq!(
        ok(&delete, json!({"UnprocessedItems": {}})),
        json!({"data": {"Things": [{"pk": "a"}]}, "unprocessedKeys": {"Things": []}})
    );

    // Two of the batch's tables that are one table at the endpoint.
    let e = Call::new(
        &json!({"operation": "BatchDeleteItem", "tables": {"A": [{"pk": {"S": "a"}}], "B": [{"pk": {"S": "a"}}]}}),
        "A",
        |_| "one".to_owned(),
    )
    .unwrap_err();
    assert!(e.is_validation(), "{e}");
}

#[test]
fn transactions_and_their_cancellation_reasons() {
    let get = call(json!({"operation": "TransactGetItems", "transactItems": [
        {"table": "Things", "key": {"pk": {"S": "a"}}}, {"table": "Other", "key": {"id": {"S": "b"}}}]}));
    assert_eq!(
        get.body(),
        &json!({"TransactItems": [{"Get": {"TableName": "remote-Things", "Key": {"pk": {"S": "a"}}}},
                                  {"Get": {"TableName": "remote-Other", "Key": {"id": {"S": "b"}}}}]})
    );
    let result = ok(&get, json!({"Responses": [{"Item": {"pk": {"S": "a"}}}, {}]}));
    assert_eq!(result, json!({"items": [{"pk": "a"}, null], "cancellationReasons": null}));

    let write = call(json!({"operation": "TransactWriteItems", "transactItems": [
        {"table": "Things", "operation": "PutItem", "key": {"pk": {"S": "a"}}, "attributeValues": {"n": {"N": "1"}}},
        {"table": "Things", "operation": "UpdateItem", "key": {"pk": {"S": "b"}},
         "update": {"expression": "SET n = :n", "expressionValues": {":n": {"N": "2"}}}},
        {"table": "Things", "operation": "DeleteItem", "key": {"pk": {"S": "c"}}},
        {"table": "Things", "operation": "ConditionCheck", "key": {"pk": {"S": "d"}},
         "condition": {"expression": "attribute_exists(pk)", "returnValuesOnConditionCheckFailure": false}}]}));
    let items = write.body()["TransactItems"].as_array().unwrap();
    let kinds: Vec<&str> =
        items.iter().map(|i| i.as_object().unwrap().keys().next().unwrap().as_str()).collect();
    assert_eq!(kinds, ["Put", "Update", "Delete", "ConditionCheck"]);
    assert_eq!(items[0]["Put"]["Item"], json!({"pk": {"S": "a"}, "n": {"N": "1"}}));
    assert!(items[3]["ConditionCheck"].get("ReturnValuesOnConditionCheckFailure").is_none());
    assert_eq!(
        ok(&write, json!({})),
        json!({"keys": [{"pk": "a"}, {"pk": "b"}, {"pk": "c"}, {"pk": "d"}], "cancellationReasons": null})
    );
    let e = failure(
        &write,
        json!({"__type": ddb_error("TransactionCanceledException"),
               "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons [None, None, ConditionalCheckFailed, None]",
               "CancellationReasons": [{"Code": "None"}, {"Code": "None"},
                   {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
                    "Item": {"pk": {"S": "c"}}}, {"Code": "None"}]}),
    );
    assert_eq!(e.error_type(), "DynamoDB:TransactionCanceledException");
    assert_eq!(
        e.result().unwrap(),
        json!({"keys": null, "cancellationReasons": [
            {"type": "None", "message": null}, {"type": "None", "message": null},
            {"type": "ConditionalCheckFailed", "message": "The conditional request failed", "item": {"pk": "c"}},
            {"type": "None", "message": null}]})
    );
}

#[test]
fn endpoint_failures_keep_their_type() {
    let get = call(json!({"operation": "GetItem", "key": {"pk": {"S": "a"}}}));
    for (name, expected) in [
        ("ValidationException", "DynamoDB:ValidationException"),
        ("ResourceNotFoundException", "DynamoDB:ResourceNotFoundException"),
        ("ProvisionedThroughputExceededException", "DynamoDB:ProvisionedThroughputExceededException"),
    ] {
        let e = failure(&get, json!({"__type": ddb_error(name), "message": "why"}));
        assert_eq!((e.error_type(), e.to_string().as_str()), (expected, "why"));
    }
    // Some servers send `Message` and another namespace.
    let e =
        failure(&get, json!({"__type": "com.amazon.coral.validate#ValidationException", "Message": "bad"}));
    assert!(e.is_validation() && e.to_string() == "bad", "{e}");
    // Not DynamoDB's answer at all.
    let e = get.answer(404, b"<html>not here</html>").unwrap_err();
    assert!(e.is_service(), "{e}");
    assert_eq!(e.error_type(), "DynamoDB:InternalServerError");
    assert!(e.to_string().contains("HTTP 404"), "{e}");
    let e = get.answer(200, b"{\"Item\": {\"pk\": {\"Q\": 1}}}").unwrap_err();
    assert!(e.is_service(), "{e}");
}

#[test]
fn create_table_from_a_definition() {
    let definition = TableDefinition::new(
        "Things",
        vec![KeyElement::new("pk", KeyType::Hash), KeyElement::new("sk", KeyType::Range)],
        vec![
            AttributeDefinition::new("pk", "S"),
            AttributeDefinition::new("sk", "N"),
            AttributeDefinition::new("o", "S"),
        ],
    )
    .global_indexes(vec![Index::new(
        "byO",
        vec![KeyElement::new("o", KeyType::Hash)],
        "INCLUDE",
        vec!["t".into()],
    )]);
    let create = Call::create_table(&definition, "remote-Things");
    assert_eq!(create.target(), "DynamoDB_20120810.CreateTable");
    assert_eq!(
        create.body(),
        &json!({"TableName": "remote-Things",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "sk", "AttributeType": "N"},
                                         {"AttributeName": "o", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
                "GlobalSecondaryIndexes": [{"IndexName": "byO", "KeySchema": [{"AttributeName": "o", "KeyType": "HASH"}],
                                            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["t"]}}]})
    );
    assert_eq!(Call::describe_table("x").body(), &json!({"TableName": "x"}));
}
