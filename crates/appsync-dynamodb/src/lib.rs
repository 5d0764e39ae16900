//! An embedded DynamoDB table engine that takes AppSync's DynamoDB resolver requests.

mod error;
mod expr;
mod number;
mod value;

pub use error::{CancellationReason, Error};
pub use number::Number;
pub use value::{AttributeValue, Item, MAX_ITEM_SIZE, item_from_json, item_size, item_to_dynamodb_json, item_to_json};
