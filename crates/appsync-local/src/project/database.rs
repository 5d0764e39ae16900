//! The project's `AWS::DynamoDB::Table` resources as tables of the embedded engine, for its
//! `AMAZON_DYNAMODB` data sources.

use std::path::PathBuf;

use appsync_dynamodb::{AttributeDefinition, Database, Index, KeyElement, KeyType, TableDefinition};

use super::model::{self, ApiDefinition, DataSourceKind};
use crate::error::Error;

/// The file beside the emulator's data file `data_file` that keeps the DynamoDB tables:
/// `FILE.dynamodb` (an append-only log of committed writes, replayed at start).
#[must_use]
pub fn tables_file(data_file: &std::path::Path) -> PathBuf {
    let mut name = data_file.as_os_str().to_owned();
    name.push(".dynamodb");
    PathBuf::from(name)
}

fn key_schema(elements: &[model::KeyElement]) -> Vec<KeyElement> {
    elements
        .iter()
        .map(|k| {
            let key_type = match k.key_type {
                model::KeyType::Hash => KeyType::Hash,
                model::KeyType::Range => KeyType::Range,
            };
            KeyElement::new(&k.attribute, key_type)
        })
        .collect()
}

fn indexes(indexes: &[model::Index]) -> Vec<Index> {
    indexes
        .iter()
        .map(|i| Index::new(&i.name, key_schema(&i.key_schema), &i.projection, i.non_key_attributes.clone()))
        .collect()
}

/// The engine's definition of a project table.
#[must_use]
pub fn table_definition(table: &model::Table) -> TableDefinition {
    TableDefinition::new(
        &table.name,
        key_schema(&table.key_schema),
        table.attributes.iter().map(|a| AttributeDefinition::new(&a.name, &a.attribute_type)).collect(),
    )
    .global_indexes(indexes(&table.global_indexes))
    .local_indexes(indexes(&table.local_indexes))
}

/// The embedded database of `api`'s tables, kept in `file` when given; `None` when the API has
/// no DynamoDB data source.
pub(crate) fn database(api: &ApiDefinition, file: Option<PathBuf>) -> Result<Option<Database>, Error> {
    if !api.data_sources.iter().any(|d| matches!(d.kind, DataSourceKind::DynamoDb { .. })) {
        return Ok(None);
    }
    let mut builder = Database::builder();
    for table in &api.tables {
        builder = builder.table(table_definition(table));
    }
    if let Some(file) = file {
        builder = builder.data_file(file);
    }
    builder.build().map(Some).map_err(|e| {
        Error::config("project", "the project's DynamoDB tables could not be created").with_source(e)
    })
}
