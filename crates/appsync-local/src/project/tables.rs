//! `AWS::DynamoDB::Table` resources (and Amplify's custom table resource) for the local table
//! engine: key schema, attribute definitions, secondary indexes.

use serde_json::Value;

use super::intrinsics::{At, Intrinsics};
use super::model::{AttributeDefinition, Index, KeyElement, KeyType, Table};
use super::read::{field, res};
use crate::error::Error;

fn key_schema(value: Option<&Value>, at: At<'_>) -> Result<Vec<KeyElement>, Error> {
    let Some(Value::Array(items)) = value else {
        return Err(at.error("KeySchema is missing; expected [{AttributeName, KeyType: HASH|RANGE}]"));
    };
    items
        .iter()
        .map(|item| {
            let attribute = field(item, "AttributeName", at, "the key attribute's name")?.to_owned();
            let key_type = match field(item, "KeyType", at, "HASH or RANGE")? {
                "HASH" => KeyType::Hash,
                "RANGE" => KeyType::Range,
                other => return Err(at.error(format!("KeyType {other:?}: expected HASH or RANGE"))),
            };
            Ok(KeyElement { attribute, key_type })
        })
        .collect()
}

fn indexes(value: Option<Value>, at: At<'_>) -> Result<Vec<Index>, Error> {
    let Some(value) = value else { return Ok(Vec::new()) };
    let Value::Array(items) = value else { return Err(at.error("expected a list of indexes")) };
    items
        .iter()
        .map(|item| {
            let projection = item.get("Projection");
            Ok(Index {
                name: field(item, "IndexName", at, "the index's name")?.to_owned(),
                key_schema: key_schema(item.get("KeySchema"), at)?,
                projection: projection
                    .and_then(|p| p.get("ProjectionType"))
                    .and_then(Value::as_str)
                    .unwrap_or("KEYS_ONLY")
                    .to_owned(),
                non_key_attributes: projection
                    .and_then(|p| p.get("NonKeyAttributes"))
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

pub(super) fn table(id: &str, resource: &Value, intrinsics: &Intrinsics<'_>) -> Result<Table, Error> {
    let r = res(id, resource, intrinsics);
    let name = r.string("TableName")?.unwrap_or_else(|| id.to_owned());
    let key_schema = key_schema(r.get("KeySchema")?.as_ref(), r.at("KeySchema"))?;
    let attributes = match r.get("AttributeDefinitions")? {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let at = r.at("AttributeDefinitions");
                Ok(AttributeDefinition {
                    name: field(item, "AttributeName", at, "the attribute's name")?.to_owned(),
                    attribute_type: field(item, "AttributeType", at, "S, N or B")?.to_owned(),
                })
            })
            .collect::<Result<_, Error>>()?,
        Some(_) => {
            return Err(r.at("AttributeDefinitions").error("expected [{AttributeName, AttributeType}]"));
        }
        None => Vec::new(),
    };
    Ok(Table {
        logical_id: id.to_owned(),
        name,
        key_schema,
        attributes,
        global_indexes: indexes(r.get("GlobalSecondaryIndexes")?, r.at("GlobalSecondaryIndexes"))?,
        local_indexes: indexes(r.get("LocalSecondaryIndexes")?, r.at("LocalSecondaryIndexes"))?,
    })
}
