//! DynamoDB's own API (JSON 1.0 over HTTP, as DynamoDB, DynamoDB Local, LocalStack, ScyllaDB
//! Alternator and moto's server speak it) for the requests AppSync's DynamoDB data source takes
//! from a resolver. A [`Call`] is the request AppSync sends to DynamoDB for a resolver's
//! request; it reads the endpoint's answer back into what AppSync puts in `ctx.result`, or the
//! [`Error`] it puts in `ctx.error`, exactly as [`Database::execute`](crate::Database::execute)
//! answers the same request. Plain data, no I/O: the caller POSTs [`Call::body`] with the
//! headers `X-Amz-Target: `[`Call::target`] and `Content-Type: `[`CONTENT_TYPE`], SigV4-signed
//! for the service `dynamodb`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::database::parse_request;
use crate::error::{CancellationReason, Error};
use crate::expr::{self, Bindings, Path};
use crate::ops::{equal_ignoring, token, token_key};
use crate::request::{self, Request};
use crate::table::{KeyType, TableDefinition};
use crate::value::{AttributeValue, Item, item_from_json, item_to_dynamodb_json, item_to_json};

/// The `Content-Type` of DynamoDB's requests and answers.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// The `X-Amz-Target` prefix of DynamoDB's operations (API version 2012-08-10).
const TARGET_PREFIX: &str = "DynamoDB_20120810.";

/// Added to a batch read's projection so that its answers can be matched with its keys.
const KEY_PLACEHOLDER: &str = "#appsyncLocalKey";

/// One call of DynamoDB's API and how to read its answer.
///
/// ```
/// use appsync_dynamodb::wire::Call;
/// use serde_json::json;
///
/// let call = Call::new(
///     &json!({"operation": "GetItem", "key": {"id": {"S": "1"}}}),
///     "Posts",
///     |name| format!("dev-{name}"), // the endpoint's table names
/// )?;
/// assert_eq!(call.target(), "DynamoDB_20120810.GetItem");
/// assert_eq!(call.body(), &json!({"TableName": "dev-Posts", "Key": {"id": {"S": "1"}}}));
/// let result = call.answer(200, br#"{"Item": {"id": {"S": "1"}, "views": {"N": "3"}}}"#)?;
/// assert_eq!(result, json!({"id": "1", "views": 3}));
/// # Ok::<(), appsync_dynamodb::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Call {
    operation: &'static str,
    body: Value,
    answer: Answer,
}

/// How to read an answer into `ctx.result`.
#[derive(Debug, Clone)]
enum Answer {
    /// GetItem: `Item`.
    Item,
    /// PutItem: the item written; on a failed condition, done if the item already is it.
    Put { item: Item, equals_ignore: Vec<String> },
    /// UpdateItem: `Attributes` (`ALL_NEW`); on a failed condition, done if the update would
    /// change nothing.
    Update { update: request::Expression, equals_ignore: Vec<String> },
    /// DeleteItem: `Attributes` (`ALL_OLD`); on a failed condition, done if there is no item.
    Delete,
    /// Query and Scan: `{items, nextToken, scannedCount}`.
    Page,
    /// BatchGetItem, BatchPutItem, BatchDeleteItem.
    Batch { kind: BatchKind, tables: Vec<BatchTable> },
    /// TransactGetItems: `Responses`.
    TransactGet,
    /// TransactWriteItems: the keys written.
    TransactWrite { keys: Vec<Item> },
    /// Another call (CreateTable, DescribeTable): the answer as it is.
    Raw,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BatchKind {
    Get,
    Put,
    Delete,
}

/// One table of a batch: the resolver's name for it, the endpoint's, what was asked.
#[derive(Debug, Clone)]
struct BatchTable {
    name: String,
    remote: String,
    /// Keys (get, delete) or items (put), in request order.
    entries: Vec<Item>,
    /// A batch read's projection, applied here after matching answers with keys.
    paths: Option<Vec<Path>>,
}

/// The `ExpressionAttributeNames` and `ExpressionAttributeValues` of one request: AppSync gives
/// each expression its own maps and merges them (a later one wins, as the engine's bindings).
#[derive(Default)]
struct Placeholders {
    names: Map<String, Value>,
    values: Map<String, Value>,
}

impl Placeholders {
    fn add(
        &mut self,
        names: Option<&BTreeMap<String, String>>,
        values: Option<&BTreeMap<String, AttributeValue>>,
    ) {
        for (k, v) in names.into_iter().flatten() {
            self.names.insert(k.clone(), Value::String(v.clone()));
        }
        for (k, v) in values.into_iter().flatten() {
            self.values.insert(k.clone(), v.to_json());
        }
    }

    fn expression(&mut self, body: &mut Map<String, Value>, field: &str, e: &request::Expression) {
        body.insert(field.to_owned(), Value::String(e.expression.clone()));
        self.add(e.expression_names.as_ref(), e.expression_values.as_ref());
    }

    fn condition(&mut self, body: &mut Map<String, Value>, c: Option<&request::Condition>) {
        if let Some(c) = c {
            body.insert("ConditionExpression".into(), Value::String(c.expression.clone()));
            self.add(c.expression_names.as_ref(), c.expression_values.as_ref());
        }
    }

    fn projection(&mut self, body: &mut Map<String, Value>, p: Option<&request::Projection>) {
        if let Some(p) = p {
            body.insert("ProjectionExpression".into(), Value::String(p.expression.clone()));
            self.add(p.expression_names.as_ref(), None);
        }
    }

    fn finish(self, body: &mut Map<String, Value>) {
        if !self.names.is_empty() {
            body.insert("ExpressionAttributeNames".into(), Value::Object(self.names));
        }
        if !self.values.is_empty() {
            body.insert("ExpressionAttributeValues".into(), Value::Object(self.values));
        }
    }
}

fn insert_some(body: &mut Map<String, Value>, field: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        body.insert(field.to_owned(), v.into());
    }
}

/// A write's body: table, key or item, condition and its placeholders, `ReturnValues`.
fn write_body(
    table: &str,
    key_field: &str,
    key: &Item,
    condition: Option<&request::Condition>,
    update: Option<&request::Expression>,
    in_transaction: bool,
) -> Value {
    let mut body = Map::new();
    body.insert("TableName".into(), Value::String(table.to_owned()));
    body.insert(key_field.into(), item_to_dynamodb_json(key));
    let mut placeholders = Placeholders::default();
    if let Some(update) = update {
        placeholders.expression(&mut body, "UpdateExpression", update);
    }
    placeholders.condition(&mut body, condition);
    placeholders.finish(&mut body);
    // The item as it is comes back with a failed condition: AppSync returns it with the error,
    // and decides whether the write was already done.
    let return_item = match condition {
        None => false,
        Some(c) => !in_transaction || c.return_values_on_condition_check_failure.unwrap_or(true),
    };
    if return_item {
        body.insert("ReturnValuesOnConditionCheckFailure".into(), json!("ALL_OLD"));
    }
    Value::Object(body)
}

impl Call {
    /// The call AppSync makes for `request` (a resolver's request object) against `table` (the
    /// data source's table; batch and transaction requests name their own). `rename` gives the
    /// endpoint's name of each table the request names (the identity when they are the same);
    /// answers keep the request's names.
    ///
    /// # Errors
    ///
    /// A `ValidationException` for a request AppSync would refuse before calling DynamoDB: not
    /// one of the operations, a field of the wrong type, an invalid attribute value or
    /// `nextToken`, two tables of one batch that are one table at the endpoint.
    pub fn new(request: &Value, table: &str, rename: impl Fn(&str) -> String) -> Result<Self, Error> {
        let call = |operation, body, answer| Ok(Self { operation, body, answer });
        match parse_request(request)? {
            Request::GetItem(r) => {
                let mut body = Map::new();
                body.insert("TableName".into(), Value::String(rename(table)));
                body.insert("Key".into(), item_to_dynamodb_json(&r.key));
                insert_some(&mut body, "ConsistentRead", r.consistent_read);
                let mut placeholders = Placeholders::default();
                placeholders.projection(&mut body, r.projection.as_ref());
                placeholders.finish(&mut body);
                call("GetItem", Value::Object(body), Answer::Item)
            }
            Request::PutItem(r) => {
                let mut item = r.attribute_values.clone().unwrap_or_default();
                item.extend(r.key.iter().map(|(k, v)| (k.clone(), v.clone())));
                let body = write_body(&rename(table), "Item", &item, r.condition.as_ref(), None, false);
                let equals_ignore = r.condition.map(|c| c.equals_ignore).unwrap_or_default();
                call("PutItem", body, Answer::Put { item, equals_ignore })
            }
            Request::UpdateItem(r) => {
                let mut body =
                    write_body(&rename(table), "Key", &r.key, r.condition.as_ref(), Some(&r.update), false);
                body["ReturnValues"] = json!("ALL_NEW");
                let equals_ignore = r.condition.map(|c| c.equals_ignore).unwrap_or_default();
                call("UpdateItem", body, Answer::Update { update: r.update, equals_ignore })
            }
            Request::DeleteItem(r) => {
                let mut body = write_body(&rename(table), "Key", &r.key, r.condition.as_ref(), None, false);
                body["ReturnValues"] = json!("ALL_OLD");
                call("DeleteItem", body, Answer::Delete)
            }
            Request::Query(r) => {
                let mut body = Map::new();
                body.insert("TableName".into(), Value::String(rename(table)));
                insert_some(&mut body, "IndexName", r.index.clone());
                let mut placeholders = Placeholders::default();
                placeholders.expression(&mut body, "KeyConditionExpression", &r.query);
                if let Some(filter) = &r.filter {
                    placeholders.expression(&mut body, "FilterExpression", filter);
                }
                placeholders.projection(&mut body, r.projection.as_ref());
                placeholders.finish(&mut body);
                insert_some(&mut body, "Limit", r.limit);
                insert_some(&mut body, "ScanIndexForward", r.scan_index_forward);
                insert_some(&mut body, "ConsistentRead", r.consistent_read);
                insert_some(&mut body, "Select", r.select.clone());
                if let Some(t) = &r.next_token {
                    body.insert("ExclusiveStartKey".into(), token_key(t)?);
                }
                call("Query", Value::Object(body), Answer::Page)
            }
            Request::Scan(r) => {
                let mut body = Map::new();
                body.insert("TableName".into(), Value::String(rename(table)));
                insert_some(&mut body, "IndexName", r.index.clone());
                let mut placeholders = Placeholders::default();
                if let Some(filter) = &r.filter {
                    placeholders.expression(&mut body, "FilterExpression", filter);
                }
                placeholders.projection(&mut body, r.projection.as_ref());
                placeholders.finish(&mut body);
                insert_some(&mut body, "Limit", r.limit);
                insert_some(&mut body, "ConsistentRead", r.consistent_read);
                insert_some(&mut body, "Select", r.select.clone());
                insert_some(&mut body, "Segment", r.segment);
                insert_some(&mut body, "TotalSegments", r.total_segments);
                if let Some(t) = &r.next_token {
                    body.insert("ExclusiveStartKey".into(), token_key(t)?);
                }
                call("Scan", Value::Object(body), Answer::Page)
            }
            Request::BatchGetItem(r) => {
                let mut items = Map::new();
                let mut tables = Vec::new();
                for (name, t) in &r.tables {
                    let remote = unique_remote(&items, name, rename(name))?;
                    let mut entry = Map::new();
                    entry.insert("Keys".into(), t.keys.iter().map(item_to_dynamodb_json).collect());
                    insert_some(&mut entry, "ConsistentRead", t.consistent_read);
                    let paths = match &t.projection {
                        None => None,
                        Some(p) => Some(batch_projection(&mut entry, p, &t.keys)?),
                    };
                    items.insert(remote.clone(), Value::Object(entry));
                    tables.push(BatchTable { name: name.clone(), remote, entries: t.keys.clone(), paths });
                }
                call(
                    "BatchGetItem",
                    json!({"RequestItems": items}),
                    Answer::Batch { kind: BatchKind::Get, tables },
                )
            }
            Request::BatchPutItem(r) => {
                Self::batch_write(BatchKind::Put, r.tables.into_iter().collect(), &rename)
            }
            Request::BatchDeleteItem(r) => {
                Self::batch_write(BatchKind::Delete, r.tables.into_iter().collect(), &rename)
            }
            Request::TransactGetItems(r) => {
                let items: Vec<Value> = r
                    .transact_items
                    .iter()
                    .map(|g| {
                        let mut get = Map::new();
                        get.insert("TableName".into(), Value::String(rename(&g.table)));
                        get.insert("Key".into(), item_to_dynamodb_json(&g.key));
                        let mut placeholders = Placeholders::default();
                        placeholders.projection(&mut get, g.projection.as_ref());
                        placeholders.finish(&mut get);
                        json!({"Get": get})
                    })
                    .collect();
                call("TransactGetItems", json!({"TransactItems": items}), Answer::TransactGet)
            }
            Request::TransactWriteItems(r) => {
                let mut keys = Vec::with_capacity(r.transact_items.len());
                let items: Vec<Value> = r
                    .transact_items
                    .iter()
                    .map(|w| {
                        use request::TransactWrite as W;
                        let (kind, body, key) = match w {
                            W::PutItem { table, key, attribute_values, condition } => {
                                let mut item = attribute_values.clone().unwrap_or_default();
                                item.extend(key.iter().map(|(k, v)| (k.clone(), v.clone())));
                                let body =
                                    write_body(&rename(table), "Item", &item, condition.as_ref(), None, true);
                                ("Put", body, key)
                            }
                            W::UpdateItem { table, key, update, condition } => {
                                let body = write_body(
                                    &rename(table),
                                    "Key",
                                    key,
                                    condition.as_ref(),
                                    Some(update),
                                    true,
                                );
                                ("Update", body, key)
                            }
                            W::DeleteItem { table, key, condition } => (
                                "Delete",
                                write_body(&rename(table), "Key", key, condition.as_ref(), None, true),
                                key,
                            ),
                            W::ConditionCheck { table, key, condition } => (
                                "ConditionCheck",
                                write_body(&rename(table), "Key", key, Some(condition), None, true),
                                key,
                            ),
                        };
                        keys.push(key.clone());
                        json!({ kind: body })
                    })
                    .collect();
                call("TransactWriteItems", json!({"TransactItems": items}), Answer::TransactWrite { keys })
            }
        }
    }

    fn batch_write(
        kind: BatchKind,
        requested: Vec<(String, Vec<Item>)>,
        rename: &impl Fn(&str) -> String,
    ) -> Result<Self, Error> {
        let mut items = Map::new();
        let mut tables = Vec::new();
        for (name, entries) in requested {
            let remote = unique_remote(&items, &name, rename(&name))?;
            let requests: Vec<Value> = entries
                .iter()
                .map(|e| match kind {
                    BatchKind::Put => json!({"PutRequest": {"Item": item_to_dynamodb_json(e)}}),
                    _ => json!({"DeleteRequest": {"Key": item_to_dynamodb_json(e)}}),
                })
                .collect();
            items.insert(remote.clone(), Value::Array(requests));
            tables.push(BatchTable { name, remote, entries, paths: None });
        }
        Ok(Self {
            operation: "BatchWriteItem",
            body: json!({"RequestItems": items}),
            answer: Answer::Batch { kind, tables },
        })
    }

    /// `CreateTable` of `definition` under the endpoint's name `name`, billed per request.
    #[must_use]
    pub fn create_table(definition: &TableDefinition, name: &str) -> Self {
        let key_schema = |keys: &[crate::table::KeyElement]| -> Vec<Value> {
            keys.iter()
                .map(|k| {
                    let key_type = match k.key_type {
                        KeyType::Hash => "HASH",
                        KeyType::Range => "RANGE",
                    };
                    json!({"AttributeName": k.attribute, "KeyType": key_type})
                })
                .collect()
        };
        let indexes = |indexes: &[crate::table::Index]| -> Vec<Value> {
            indexes
                .iter()
                .map(|i| {
                    let mut projection = json!({"ProjectionType": i.projection});
                    if !i.non_key_attributes.is_empty() {
                        projection["NonKeyAttributes"] = json!(i.non_key_attributes);
                    }
                    json!({"IndexName": i.name, "KeySchema": key_schema(&i.key_schema), "Projection": projection})
                })
                .collect()
        };
        let mut body = json!({
            "TableName": name,
            "KeySchema": key_schema(&definition.key_schema),
            "AttributeDefinitions": definition.attributes.iter()
                .map(|a| json!({"AttributeName": a.name, "AttributeType": a.attribute_type}))
                .collect::<Vec<_>>(),
            "BillingMode": "PAY_PER_REQUEST",
        });
        if !definition.global_indexes.is_empty() {
            body["GlobalSecondaryIndexes"] = Value::Array(indexes(&definition.global_indexes));
        }
        if !definition.local_indexes.is_empty() {
            body["LocalSecondaryIndexes"] = Value::Array(indexes(&definition.local_indexes));
        }
        Self { operation: "CreateTable", body, answer: Answer::Raw }
    }

    /// `DescribeTable` of the endpoint's table `name`; the answer is DynamoDB's as it is
    /// (`Table.TableStatus` is `ACTIVE` once the table takes requests).
    #[must_use]
    pub fn describe_table(name: &str) -> Self {
        Self { operation: "DescribeTable", body: json!({"TableName": name}), answer: Answer::Raw }
    }

    /// The operation's name (`GetItem`, `BatchWriteItem`...).
    #[must_use]
    pub fn operation(&self) -> &str {
        self.operation
    }

    /// The `X-Amz-Target` header: `DynamoDB_20120810.` and the operation.
    #[must_use]
    pub fn target(&self) -> String {
        format!("{TARGET_PREFIX}{}", self.operation)
    }

    /// The request body (JSON).
    #[must_use]
    pub fn body(&self) -> &Value {
        &self.body
    }

    /// The endpoint's answer (HTTP status and body) as AppSync gives it to the resolver:
    /// `ctx.result`, or the error for `ctx.error` with the data AppSync attaches
    /// ([`Error::result`]).
    ///
    /// # Errors
    ///
    /// The failure the endpoint answered (`__type` `...#ConditionalCheckFailedException` is
    /// `DynamoDB:ConditionalCheckFailedException`, with the item as it is; a cancelled
    /// transaction has its reasons), or `DynamoDB:InternalServerError` for an answer that is
    /// not DynamoDB's.
    pub fn answer(&self, status: u16, body: &[u8]) -> Result<Value, Error> {
        if status != 200 {
            return self.failed(service_error(status, body));
        }
        let answer: Value = serde_json::from_slice(body).map_err(|e| {
            Error::service("InternalServerError", format!("The endpoint's answer is not JSON: {e}"))
        })?;
        let item = |field: &str| -> Result<Value, Error> {
            answer.get(field).map_or(Ok(Value::Null), |i| wire_item(i).map(|i| item_to_json(&i)))
        };
        match &self.answer {
            Answer::Raw => Ok(answer),
            Answer::Item => item("Item"),
            Answer::Put { item, .. } => Ok(item_to_json(item)),
            Answer::Update { .. } | Answer::Delete => item("Attributes"),
            Answer::Page => {
                let items = match answer.get("Items") {
                    None => Vec::new(),
                    Some(items) => wire_list(items)?
                        .iter()
                        .map(|i| wire_item(i).map(|i| item_to_json(&i)))
                        .collect::<Result<_, _>>()?,
                };
                let next_token =
                    answer.get("LastEvaluatedKey").map_or(Value::Null, |k| Value::from(token(k)));
                Ok(json!({
                    "items": items,
                    "nextToken": next_token,
                    "scannedCount": answer.get("ScannedCount").cloned().unwrap_or(json!(0)),
                }))
            }
            Answer::Batch { kind, tables } => batch_result(*kind, tables, &answer),
            Answer::TransactGet => {
                let items = match answer.get("Responses") {
                    None => Vec::new(),
                    Some(responses) => wire_list(responses)?
                        .iter()
                        .map(|r| {
                            r.get("Item").map_or(Ok(Value::Null), |i| wire_item(i).map(|i| item_to_json(&i)))
                        })
                        .collect::<Result<_, _>>()?,
                };
                Ok(json!({"items": items, "cancellationReasons": null}))
            }
            Answer::TransactWrite { keys } => Ok(json!({
                "keys": keys.iter().map(item_to_json).collect::<Vec<_>>(),
                "cancellationReasons": null,
            })),
        }
    }

    /// AppSync's rule for a write whose condition failed: when the item as it is already is
    /// what the write wanted (leaving out `equalsIgnore`), the write counts as done.
    fn failed(&self, error: Error) -> Result<Value, Error> {
        if !error.is_conditional_check_failed() {
            return Err(error);
        }
        let current = error.current_item();
        let done = match (&self.answer, current) {
            (Answer::Put { item, equals_ignore }, Some(current)) => {
                equal_ignoring(item, current, equals_ignore)
            }
            (Answer::Update { update, equals_ignore }, Some(current)) => {
                updated(current, update).is_some_and(|new| equal_ignoring(&new, current, equals_ignore))
            }
            (Answer::Delete, None) => true,
            _ => false,
        };
        if done { Ok(current.map_or(Value::Null, item_to_json)) } else { Err(error) }
    }
}

/// What `update` makes of `current`, when it can be worked out here.
fn updated(current: &Item, update: &request::Expression) -> Option<Item> {
    let mut b = Bindings::new();
    b.extend(
        &update.expression_names.clone().unwrap_or_default(),
        &update.expression_values.clone().unwrap_or_default(),
    );
    let actions = expr::bind_update(&mut b, &expr::parse_update(&update.expression).ok()?).ok()?;
    let mut item = current.clone();
    expr::apply_update(&mut item, &actions).ok()?;
    Some(item)
}

/// A batch read's projection, with the key attributes added so that answers can be matched
/// with keys; the paths of the resolver's own projection, applied to the answers.
fn batch_projection(
    entry: &mut Map<String, Value>,
    p: &request::Projection,
    keys: &[Item],
) -> Result<Vec<Path>, Error> {
    let names = p.expression_names.clone().unwrap_or_default();
    let mut b = Bindings::new();
    b.extend(&names, &BTreeMap::new());
    let paths = expr::bind_projection(&mut b, &expr::parse_projection(&p.expression)?)?;
    let key_names: BTreeSet<&String> = keys.iter().flat_map(|k| k.keys()).collect();
    let mut expression = p.expression.clone();
    let mut wire_names: Map<String, Value> = names.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    for (i, name) in key_names.into_iter().enumerate() {
        let placeholder = format!("{KEY_PLACEHOLDER}{i}");
        expression.push_str(", ");
        expression.push_str(&placeholder);
        wire_names.insert(placeholder, Value::String(name.clone()));
    }
    entry.insert("ProjectionExpression".into(), Value::String(expression));
    entry.insert("ExpressionAttributeNames".into(), Value::Object(wire_names));
    Ok(paths)
}

/// The endpoint's name of a batch's table, refused when two of the batch's tables are one
/// table there.
fn unique_remote(seen: &Map<String, Value>, name: &str, remote: String) -> Result<String, Error> {
    if seen.contains_key(&remote) {
        return Err(Error::validation(format!(
            "The batch names the endpoint's table {remote} twice ({name} and another table mapped to it)"
        )));
    }
    Ok(remote)
}

/// A batch's answer: `data` per table in request order, `null` where an entry was not
/// processed (or, for a read, not found), and the unprocessed entries.
fn batch_result(kind: BatchKind, tables: &[BatchTable], answer: &Value) -> Result<Value, Error> {
    let mut data = Map::new();
    let mut unprocessed = Map::new();
    for t in tables {
        let left: Vec<Item> = match kind {
            BatchKind::Get => match answer.pointer(&pointer(&["UnprocessedKeys", &t.remote, "Keys"])) {
                None => Vec::new(),
                Some(keys) => wire_list(keys)?.iter().map(wire_item).collect::<Result<_, _>>()?,
            },
            BatchKind::Put | BatchKind::Delete => {
                let (request, field) =
                    if kind == BatchKind::Put { ("PutRequest", "Item") } else { ("DeleteRequest", "Key") };
                match answer.pointer(&pointer(&["UnprocessedItems", &t.remote])) {
                    None => Vec::new(),
                    Some(list) => wire_list(list)?
                        .iter()
                        .map(|r| wire_item(r.get(request).and_then(|r| r.get(field)).unwrap_or(&Value::Null)))
                        .collect::<Result<_, _>>()?,
                }
            }
        };
        let found: Vec<Item> = match kind {
            BatchKind::Get => match answer.pointer(&pointer(&["Responses", &t.remote])) {
                None => Vec::new(),
                Some(items) => wire_list(items)?.iter().map(wire_item).collect::<Result<_, _>>()?,
            },
            _ => Vec::new(),
        };
        let mut entries = Vec::with_capacity(t.entries.len());
        for entry in &t.entries {
            let unprocessed_here = match kind {
                BatchKind::Get => left.iter().any(|k| has_key(k, entry)),
                _ => left.contains(entry),
            };
            entries.push(if unprocessed_here {
                Value::Null
            } else {
                match kind {
                    BatchKind::Get => found.iter().find(|i| has_key(i, entry)).map_or(Value::Null, |i| {
                        item_to_json(&t.paths.as_ref().map_or_else(|| i.clone(), |p| expr::project(i, p)))
                    }),
                    _ => item_to_json(entry),
                }
            });
        }
        data.insert(t.name.clone(), Value::Array(entries));
        unprocessed.insert(t.name.clone(), left.iter().map(item_to_json).collect());
    }
    let unprocessed_field = if kind == BatchKind::Put { "unprocessedItems" } else { "unprocessedKeys" };
    Ok(json!({"data": data, unprocessed_field: unprocessed}))
}

/// A JSON pointer to nested fields (table names may hold `/` or `~`).
fn pointer(fields: &[&str]) -> String {
    fields.iter().map(|f| format!("/{}", f.replace('~', "~0").replace('/', "~1"))).collect()
}

/// True when `item` has every attribute of `key`, with the same values.
fn has_key(item: &Item, key: &Item) -> bool {
    key.iter().all(|(k, v)| item.get(k) == Some(v))
}

fn not_dynamodb(what: impl std::fmt::Display) -> Error {
    Error::service("InternalServerError", format!("The endpoint's answer is not DynamoDB's: {what}"))
}

/// An item in the endpoint's answer.
fn wire_item(value: &Value) -> Result<Item, Error> {
    item_from_json(value).map_err(|e| not_dynamodb(format!("{e} in {value}")))
}

fn wire_list(value: &Value) -> Result<&Vec<Value>, Error> {
    value.as_array().ok_or_else(|| not_dynamodb(format!("expected a list, got {value}")))
}

/// A failure the endpoint answered: DynamoDB's `{"__type": "com.amazonaws.dynamodb.v20120810#Name",
/// "message": ...}` (`Message` in some), with the item as it is for a failed condition and the
/// reasons of a cancelled transaction.
fn service_error(status: u16, body: &[u8]) -> Error {
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let Some(name) = parsed.get("__type").and_then(Value::as_str) else {
        let text = String::from_utf8_lossy(body);
        let shown: String = text.chars().take(200).collect();
        return Error::service(
            "InternalServerError",
            format!("The endpoint answered HTTP {status}, not a DynamoDB error: {shown}"),
        );
    };
    let name = name.rsplit('#').next().unwrap_or(name);
    let message =
        parsed.get("message").or_else(|| parsed.get("Message")).and_then(Value::as_str).unwrap_or("");
    let error = Error::service(name, message);
    if error.is_conditional_check_failed() {
        let current = parsed.get("Item").and_then(|i| item_from_json(i).ok());
        return error.with_current(current);
    }
    if error.is_transaction_canceled() {
        let reasons = parsed
            .get("CancellationReasons")
            .and_then(Value::as_array)
            .map(|reasons| {
                reasons
                    .iter()
                    .map(|r| CancellationReason {
                        code: r.get("Code").and_then(Value::as_str).unwrap_or("None").to_owned(),
                        message: r.get("Message").and_then(Value::as_str).map(str::to_owned),
                        item: r.get("Item").and_then(|i| item_from_json(i).ok()),
                    })
                    .collect()
            })
            .unwrap_or_default();
        return error.with_reasons(reasons);
    }
    error
}
