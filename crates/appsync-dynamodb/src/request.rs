//! The requests AppSync's DynamoDB data source takes from a resolver (`{operation: "GetItem",
//! key, ...}`), as plain serde types. Values are DynamoDB typed values; unknown fields (such as
//! VTL's `version`) are ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::value::{AttributeValue, Item};

/// An expression with its placeholders (`update`, `query`, `filter`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Expression {
    /// The expression text.
    pub expression: String,
    /// `#name` placeholders.
    #[serde(default)]
    pub expression_names: Option<BTreeMap<String, String>>,
    /// `:value` placeholders.
    #[serde(default)]
    pub expression_values: Option<BTreeMap<String, AttributeValue>>,
}

/// A condition on a write.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Condition {
    /// The condition expression.
    pub expression: String,
    /// `#name` placeholders.
    #[serde(default)]
    pub expression_names: Option<BTreeMap<String, String>>,
    /// `:value` placeholders.
    #[serde(default)]
    pub expression_values: Option<BTreeMap<String, AttributeValue>>,
    /// Attributes left out when AppSync compares the current item with the desired one after a
    /// failed condition.
    #[serde(default)]
    pub equals_ignore: Vec<String>,
    /// Accepted; reads are always consistent here.
    #[serde(default)]
    pub consistent_read: Option<bool>,
    /// In a transaction: return the item in the cancellation reason (default true).
    #[serde(default)]
    pub return_values_on_condition_check_failure: Option<bool>,
}

/// A projection (`{expression, expressionNames}`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Projection {
    /// Document paths separated by commas.
    pub expression: String,
    /// `#name` placeholders.
    #[serde(default)]
    pub expression_names: Option<BTreeMap<String, String>>,
}

/// `GetItem`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GetItem {
    /// The item's key.
    pub key: Item,
    /// Accepted; reads are always consistent here.
    #[serde(default)]
    pub consistent_read: Option<bool>,
    /// The attributes to return.
    #[serde(default)]
    pub projection: Option<Projection>,
}

/// `PutItem`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PutItem {
    /// The item's key.
    pub key: Item,
    /// The other attributes.
    #[serde(default)]
    pub attribute_values: Option<Item>,
    /// A condition on the item as it is.
    #[serde(default)]
    pub condition: Option<Condition>,
}

/// `UpdateItem`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UpdateItem {
    /// The item's key.
    pub key: Item,
    /// The update expression.
    pub update: Expression,
    /// A condition on the item as it is.
    #[serde(default)]
    pub condition: Option<Condition>,
}

/// `DeleteItem`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DeleteItem {
    /// The item's key.
    pub key: Item,
    /// A condition on the item as it is.
    #[serde(default)]
    pub condition: Option<Condition>,
}

/// `Query`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Query {
    /// The key condition.
    pub query: Expression,
    /// A secondary index to query instead of the table.
    #[serde(default)]
    pub index: Option<String>,
    /// Where the previous page stopped.
    #[serde(default)]
    pub next_token: Option<String>,
    /// How many items to read (before the filter).
    #[serde(default)]
    pub limit: Option<i64>,
    /// Ascending sort key order (the default) or descending.
    #[serde(default)]
    pub scan_index_forward: Option<bool>,
    /// Accepted; refused on a global index as DynamoDB refuses it.
    #[serde(default)]
    pub consistent_read: Option<bool>,
    /// `ALL_ATTRIBUTES`, `ALL_PROJECTED_ATTRIBUTES` or `SPECIFIC_ATTRIBUTES`.
    #[serde(default)]
    pub select: Option<String>,
    /// A filter applied after the limit.
    #[serde(default)]
    pub filter: Option<Expression>,
    /// The attributes to return.
    #[serde(default)]
    pub projection: Option<Projection>,
}

/// `Scan`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Scan {
    /// A secondary index to scan instead of the table.
    #[serde(default)]
    pub index: Option<String>,
    /// Where the previous page stopped.
    #[serde(default)]
    pub next_token: Option<String>,
    /// How many items to read (before the filter).
    #[serde(default)]
    pub limit: Option<i64>,
    /// Accepted; refused on a global index as DynamoDB refuses it.
    #[serde(default)]
    pub consistent_read: Option<bool>,
    /// `ALL_ATTRIBUTES`, `ALL_PROJECTED_ATTRIBUTES` or `SPECIFIC_ATTRIBUTES`.
    #[serde(default)]
    pub select: Option<String>,
    /// A filter applied after the limit.
    #[serde(default)]
    pub filter: Option<Expression>,
    /// This worker's segment of a parallel scan.
    #[serde(default)]
    pub segment: Option<i64>,
    /// The number of segments of a parallel scan.
    #[serde(default)]
    pub total_segments: Option<i64>,
    /// The attributes to return.
    #[serde(default)]
    pub projection: Option<Projection>,
}

/// One table of a `BatchGetItem`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BatchGetTable {
    /// The keys to read.
    pub keys: Vec<Item>,
    /// Accepted; reads are always consistent here.
    #[serde(default)]
    pub consistent_read: Option<bool>,
    /// The attributes to return.
    #[serde(default)]
    pub projection: Option<Projection>,
}

/// `BatchGetItem`: `tables: {name: {keys}}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct BatchGetItem {
    /// Keys per table.
    pub tables: BTreeMap<String, BatchGetTable>,
}

/// `BatchPutItem`: `tables: {name: [items]}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct BatchPutItem {
    /// Items per table.
    pub tables: BTreeMap<String, Vec<Item>>,
}

/// `BatchDeleteItem`: `tables: {name: [keys]}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct BatchDeleteItem {
    /// Keys per table.
    pub tables: BTreeMap<String, Vec<Item>>,
}

/// One read of a `TransactGetItems`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TransactGet {
    /// The table.
    pub table: String,
    /// The item's key.
    pub key: Item,
    /// The attributes to return.
    #[serde(default)]
    pub projection: Option<Projection>,
}

/// `TransactGetItems`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TransactGetItems {
    /// The reads, answered in order.
    pub transact_items: Vec<TransactGet>,
}

/// One write of a `TransactWriteItems`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "operation", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum TransactWrite {
    /// Put an item.
    PutItem {
        /// The table.
        table: String,
        /// The item's key.
        key: Item,
        /// The other attributes.
        #[serde(default)]
        attribute_values: Option<Item>,
        /// A condition on the item as it is.
        #[serde(default)]
        condition: Option<Condition>,
    },
    /// Update an item.
    UpdateItem {
        /// The table.
        table: String,
        /// The item's key.
        key: Item,
        /// The update expression.
        update: Expression,
        /// A condition on the item as it is.
        #[serde(default)]
        condition: Option<Condition>,
    },
    /// Delete an item.
    DeleteItem {
        /// The table.
        table: String,
        /// The item's key.
        key: Item,
        /// A condition on the item as it is.
        #[serde(default)]
        condition: Option<Condition>,
    },
    /// Check a condition without writing.
    ConditionCheck {
        /// The table.
        table: String,
        /// The item's key.
        key: Item,
        /// The condition (required).
        condition: Condition,
    },
}

/// `TransactWriteItems`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TransactWriteItems {
    /// The writes, all or none.
    pub transact_items: Vec<TransactWrite>,
}

/// A request, tagged by `operation` as a resolver returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "operation")]
#[non_exhaustive]
pub enum Request {
    /// `GetItem`.
    GetItem(GetItem),
    /// `PutItem`.
    PutItem(PutItem),
    /// `UpdateItem`.
    UpdateItem(UpdateItem),
    /// `DeleteItem`.
    DeleteItem(DeleteItem),
    /// `Query`.
    Query(Query),
    /// `Scan`.
    Scan(Scan),
    /// `BatchGetItem`.
    BatchGetItem(BatchGetItem),
    /// `BatchPutItem`.
    BatchPutItem(BatchPutItem),
    /// `BatchDeleteItem`.
    BatchDeleteItem(BatchDeleteItem),
    /// `TransactGetItems`.
    TransactGetItems(TransactGetItems),
    /// `TransactWriteItems`.
    TransactWriteItems(TransactWriteItems),
}
