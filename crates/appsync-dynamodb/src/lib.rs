//! An embedded DynamoDB table engine that takes the requests AppSync's DynamoDB data source
//! takes from a resolver, and answers what AppSync puts in `ctx.result` (or `ctx.error`).
//!
//! - [`AttributeValue`]: DynamoDB's typed values in its JSON, numbers as exact 38-digit
//!   decimals ([`Number`]), sets without duplicates, item sizes as DynamoDB counts them.
//! - DynamoDB's expression language (key conditions, conditions and filters, updates,
//!   projections), parsed with winnow, with DynamoDB's errors.
//! - Tables from a [`TableDefinition`] (key schema, attribute definitions, global and local
//!   secondary indexes), items ordered by key.
//! - [`Database::execute`]: GetItem, PutItem, UpdateItem, DeleteItem, Query, Scan, the batch
//!   and transaction operations, in AppSync's request shapes ([`Request`]).
//! - [`Error`]: `ctx.error`'s `type` ([`Error::error_type`]) and DynamoDB's message.
//! - An optional data file ([`DatabaseBuilder::data_file`]): writes are synced before they are
//!   acknowledged and replayed at open.
//!
//! No I/O other than the data file, no async runtime: operations are synchronous and short.

/// The README, this crate's page on crates.io: its examples are compiled (and run, unless marked
/// `no_run`) as doc tests, so the page never shows code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod database;
mod error;
mod expr;
mod number;
mod ops;
mod persist;
mod request;
mod table;
mod value;
pub mod wire;

pub use database::{Database, DatabaseBuilder};
pub use error::{CancellationReason, Error};
pub use number::Number;
pub use request::{
    BatchDeleteItem, BatchGetItem, BatchGetTable, BatchPutItem, Condition, DeleteItem, Expression, GetItem,
    Projection, PutItem, Query, Request, Scan, TransactGet, TransactGetItems, TransactWrite,
    TransactWriteItems, UpdateItem,
};
pub use table::{AttributeDefinition, Index, KeyElement, KeyType, TableDefinition};
pub use value::{
    AttributeValue, Item, MAX_ITEM_SIZE, item_from_json, item_size, item_to_dynamodb_json, item_to_json,
};
