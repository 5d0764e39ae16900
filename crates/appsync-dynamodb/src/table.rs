//! Table definitions (as a CloudFormation `AWS::DynamoDB::Table` gives them) and a table's
//! storage: items ordered by key, and one ordered map per secondary index.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::Error;
use crate::number::Number;
use crate::value::{AttributeValue, Item};

/// `HASH` (partition key) or `RANGE` (sort key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// The partition key.
    Hash,
    /// The sort key.
    Range,
}

/// One element of a key schema.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyElement {
    /// `AttributeName`.
    pub attribute: String,
    /// `KeyType`.
    pub key_type: KeyType,
}

impl KeyElement {
    /// A key element.
    #[must_use]
    pub fn new(attribute: impl Into<String>, key_type: KeyType) -> Self {
        Self { attribute: attribute.into(), key_type }
    }
}

/// One of `AttributeDefinitions`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttributeDefinition {
    /// `AttributeName`.
    pub name: String,
    /// `AttributeType`: `S`, `N` or `B`.
    pub attribute_type: String,
}

impl AttributeDefinition {
    /// An attribute definition.
    #[must_use]
    pub fn new(name: impl Into<String>, attribute_type: impl Into<String>) -> Self {
        Self { name: name.into(), attribute_type: attribute_type.into() }
    }
}

/// A global or local secondary index.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Index {
    /// `IndexName`.
    pub name: String,
    /// `KeySchema`.
    pub key_schema: Vec<KeyElement>,
    /// `Projection.ProjectionType`: `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection: String,
    /// `Projection.NonKeyAttributes` (for `INCLUDE`).
    pub non_key_attributes: Vec<String>,
}

impl Index {
    /// An index.
    #[must_use]
    pub fn new(
        name: impl Into<String>,
        key_schema: Vec<KeyElement>,
        projection: impl Into<String>,
        non_key_attributes: Vec<String>,
    ) -> Self {
        Self { name: name.into(), key_schema, projection: projection.into(), non_key_attributes }
    }
}

/// A table as `AWS::DynamoDB::Table` describes it (the shape of appsync-local's
/// `project::model::Table`, without the logical id).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TableDefinition {
    /// `TableName`.
    pub name: String,
    /// `KeySchema`: one `HASH` element, then at most one `RANGE` element.
    pub key_schema: Vec<KeyElement>,
    /// `AttributeDefinitions`: the type of every key attribute of the table and its indexes.
    pub attributes: Vec<AttributeDefinition>,
    /// `GlobalSecondaryIndexes`.
    pub global_indexes: Vec<Index>,
    /// `LocalSecondaryIndexes`.
    pub local_indexes: Vec<Index>,
}

impl TableDefinition {
    /// A table definition; [`Database::create_table`](crate::Database::create_table) checks it.
    #[must_use]
    pub fn new(
        name: impl Into<String>,
        key_schema: Vec<KeyElement>,
        attributes: Vec<AttributeDefinition>,
    ) -> Self {
        Self {
            name: name.into(),
            key_schema,
            attributes,
            global_indexes: Vec::new(),
            local_indexes: Vec::new(),
        }
    }

    /// Sets the global secondary indexes.
    #[must_use]
    pub fn global_indexes(mut self, indexes: Vec<Index>) -> Self {
        self.global_indexes = indexes;
        self
    }

    /// Sets the local secondary indexes.
    #[must_use]
    pub fn local_indexes(mut self, indexes: Vec<Index>) -> Self {
        self.local_indexes = indexes;
        self
    }
}

/// The scalar types a key attribute can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalarType {
    S,
    N,
    B,
}

impl ScalarType {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "S" => Some(Self::S),
            "N" => Some(Self::N),
            "B" => Some(Self::B),
            _ => None,
        }
    }

    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::S => "S",
            Self::N => "N",
            Self::B => "B",
        }
    }
}

/// A key attribute's value, ordered as DynamoDB orders keys: numbers numerically, strings and
/// binaries bytewise.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum KeyValue {
    N(Number),
    S(String),
    B(Vec<u8>),
}

impl KeyValue {
    pub(crate) fn from_attribute(value: &AttributeValue) -> Option<Self> {
        match value {
            AttributeValue::S(s) => Some(Self::S(s.clone())),
            AttributeValue::N(n) => Some(Self::N(*n)),
            AttributeValue::B(b) => Some(Self::B(b.clone())),
            _ => None,
        }
    }

    pub(crate) fn to_attribute(&self) -> AttributeValue {
        match self {
            Self::S(s) => AttributeValue::S(s.clone()),
            Self::N(n) => AttributeValue::N(*n),
            Self::B(b) => AttributeValue::B(b.clone()),
        }
    }

    fn size(&self) -> usize {
        match self {
            Self::S(s) => s.len(),
            Self::B(b) => b.len(),
            Self::N(_) => self.to_attribute().size(),
        }
    }
}

/// One key attribute of a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyAttr {
    pub(crate) name: String,
    pub(crate) ty: ScalarType,
}

/// A checked key schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Schema {
    pub(crate) hash: KeyAttr,
    pub(crate) range: Option<KeyAttr>,
}

impl Schema {
    pub(crate) fn attributes(&self) -> impl Iterator<Item = &KeyAttr> {
        std::iter::once(&self.hash).chain(self.range.as_ref())
    }
}

/// A table's primary key.
pub(crate) type PrimaryKey = (KeyValue, Option<KeyValue>);

/// What an index copies from the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Projection {
    All,
    KeysOnly,
    Include(BTreeSet<String>),
}

/// A secondary index: its schema, and its entries ordered by index key then table key.
#[derive(Debug, Clone)]
pub(crate) struct SecondaryIndex {
    pub(crate) name: String,
    pub(crate) global: bool,
    pub(crate) schema: Schema,
    pub(crate) projection: Projection,
    pub(crate) entries: BTreeMap<KeyValue, BTreeSet<(Option<KeyValue>, PrimaryKey)>>,
}

impl SecondaryIndex {
    /// The index key of an item, `None` when the item lacks one (then it is not indexed).
    fn key_of(&self, item: &Item) -> Option<(KeyValue, Option<KeyValue>)> {
        let hash = KeyValue::from_attribute(item.get(&self.schema.hash.name)?)?;
        let range = match &self.schema.range {
            Some(r) => Some(KeyValue::from_attribute(item.get(&r.name)?)?),
            None => None,
        };
        Some((hash, range))
    }

    /// Copies what the index projects of an item.
    pub(crate) fn project(&self, table: &Schema, item: &Item) -> Item {
        match &self.projection {
            Projection::All => item.clone(),
            Projection::KeysOnly | Projection::Include(_) => item
                .iter()
                .filter(|(k, _)| {
                    table.attributes().chain(self.schema.attributes()).any(|a| &a.name == *k)
                        || matches!(&self.projection, Projection::Include(set) if set.contains(*k))
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

/// One table: its definition and its items.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub(crate) definition: TableDefinition,
    pub(crate) schema: Schema,
    pub(crate) items: BTreeMap<KeyValue, BTreeMap<Option<KeyValue>, Item>>,
    pub(crate) indexes: Vec<SecondaryIndex>,
}

fn schema_of(
    key_schema: &[KeyElement],
    types: &BTreeMap<&str, ScalarType>,
    what: &str,
) -> Result<Schema, Error> {
    let (hash, range) = match key_schema {
        [h] if h.key_type == KeyType::Hash => (h, None),
        [h, r] if h.key_type == KeyType::Hash && r.key_type == KeyType::Range => (h, Some(r)),
        _ => {
            return Err(Error::invalid_parameter(format!(
                "{what}: a key schema is one HASH element, optionally followed by one RANGE element"
            )));
        }
    };
    let attr = |e: &KeyElement| -> Result<KeyAttr, Error> {
        let ty = types.get(e.attribute.as_str()).ok_or_else(|| {
            Error::invalid_parameter(format!(
                "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
                e.attribute,
                types.keys().copied().collect::<Vec<_>>().join(", ")
            ))
        })?;
        Ok(KeyAttr { name: e.attribute.clone(), ty: *ty })
    };
    Ok(Schema { hash: attr(hash)?, range: range.map(attr).transpose()? })
}

impl Table {
    /// Checks a definition and makes an empty table.
    pub(crate) fn new(definition: TableDefinition) -> Result<Self, Error> {
        if definition.name.len() < 3
            || definition.name.len() > 255
            || !definition.name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        {
            return Err(Error::validation(format!(
                "TableName must be 3 to 255 characters of [a-zA-Z0-9_.-]: {:?}",
                definition.name
            )));
        }
        let mut types = BTreeMap::new();
        for a in &definition.attributes {
            let ty = ScalarType::parse(&a.attribute_type).ok_or_else(|| {
                Error::invalid_parameter(format!(
                    "AttributeDefinitions: attribute {} has type {:?}; expected S, N or B",
                    a.name, a.attribute_type
                ))
            })?;
            types.insert(a.name.as_str(), ty);
        }
        let schema = schema_of(&definition.key_schema, &types, "KeySchema")?;
        let mut indexes = Vec::new();
        for (global, list) in [(true, &definition.global_indexes), (false, &definition.local_indexes)] {
            for index in list {
                let index_schema = schema_of(&index.key_schema, &types, &index.name)?;
                if !global && (index_schema.hash != schema.hash || index_schema.range.is_none()) {
                    return Err(Error::invalid_parameter(format!(
                        "Table KeySchema does not have a range key, or index {} does not share the table's hash key and name a range key",
                        index.name
                    )));
                }
                let projection = match index.projection.as_str() {
                    "ALL" => Projection::All,
                    "KEYS_ONLY" => Projection::KeysOnly,
                    "INCLUDE" => Projection::Include(index.non_key_attributes.iter().cloned().collect()),
                    other => {
                        return Err(Error::invalid_parameter(format!(
                            "Index {}: ProjectionType {other:?}; expected ALL, KEYS_ONLY or INCLUDE",
                            index.name
                        )));
                    }
                };
                if indexes.iter().any(|i: &SecondaryIndex| i.name == index.name) {
                    return Err(Error::invalid_parameter(format!("Duplicate index name: {}", index.name)));
                }
                indexes.push(SecondaryIndex {
                    name: index.name.clone(),
                    global,
                    schema: index_schema,
                    projection,
                    entries: BTreeMap::new(),
                });
            }
        }
        Ok(Self { definition, schema, items: BTreeMap::new(), indexes })
    }

    /// Reads a request's `key`: exactly the key attributes, of their types.
    pub(crate) fn key_from(&self, key: &Item) -> Result<PrimaryKey, Error> {
        let mismatch = || Error::validation("The provided key element does not match the schema");
        if key.len() != self.schema.attributes().count() {
            return Err(mismatch());
        }
        let get = |attr: &KeyAttr| -> Result<KeyValue, Error> {
            let value = key.get(&attr.name).ok_or_else(mismatch)?;
            let kv = KeyValue::from_attribute(value).ok_or_else(mismatch)?;
            if !type_matches(&kv, attr.ty) {
                return Err(mismatch());
            }
            check_key_value(&kv, &attr.name)?;
            Ok(kv)
        };
        Ok((get(&self.schema.hash)?, self.schema.range.as_ref().map(get).transpose()?))
    }

    /// Checks an item to be stored and reads its primary key.
    pub(crate) fn key_of_item(&self, item: &Item) -> Result<PrimaryKey, Error> {
        let get = |attr: &KeyAttr| -> Result<KeyValue, Error> {
            let value = item.get(&attr.name).ok_or_else(|| {
                Error::invalid_parameter(format!("Missing the key {} in the item", attr.name))
            })?;
            let kv =
                KeyValue::from_attribute(value).filter(|kv| type_matches(kv, attr.ty)).ok_or_else(|| {
                    Error::invalid_parameter(format!(
                        "Type mismatch for key {} expected: {} actual: {}",
                        attr.name,
                        attr.ty.code(),
                        value.type_code()
                    ))
                })?;
            check_key_value(&kv, &attr.name)?;
            Ok(kv)
        };
        let hash = get(&self.schema.hash)?;
        if hash.size() > 2048 {
            return Err(Error::invalid_parameter(
                "Size of hashkey has exceeded the maximum size limit of2048 bytes",
            ));
        }
        let range = self.schema.range.as_ref().map(get).transpose()?;
        if range.as_ref().is_some_and(|r| r.size() > 1024) {
            return Err(Error::invalid_parameter(
                "Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
            ));
        }
        for index in &self.indexes {
            for attr in index.schema.attributes() {
                let Some(value) = item.get(&attr.name) else { continue };
                let ok = KeyValue::from_attribute(value).is_some_and(|kv| type_matches(&kv, attr.ty));
                if !ok {
                    return Err(Error::invalid_parameter(format!(
                        "Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                        attr.name,
                        attr.ty.code(),
                        value.type_code(),
                        index.name
                    )));
                }
                if matches!(value, AttributeValue::S(s) if s.is_empty())
                    || matches!(value, AttributeValue::B(b) if b.is_empty())
                {
                    return Err(Error::validation(format!(
                        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {} value. IndexName: {}, IndexKey: {}",
                        if matches!(value, AttributeValue::S(_)) { "string" } else { "binary" },
                        index.name,
                        attr.name
                    )));
                }
            }
        }
        Ok((hash, range))
    }

    /// The key attributes of a primary key, as an item.
    pub(crate) fn key_item(&self, key: &PrimaryKey) -> Item {
        let mut out = Item::new();
        out.insert(self.schema.hash.name.clone(), key.0.to_attribute());
        if let (Some(r), Some(v)) = (&self.schema.range, &key.1) {
            out.insert(r.name.clone(), v.to_attribute());
        }
        out
    }

    pub(crate) fn get(&self, key: &PrimaryKey) -> Option<&Item> {
        self.items.get(&key.0)?.get(&key.1)
    }

    /// Stores an item (already checked with `key_of_item`), returning the one it replaced.
    pub(crate) fn put(&mut self, key: PrimaryKey, item: Item) -> Option<Item> {
        let old = self.delete(&key);
        for index in &mut self.indexes {
            if let Some((h, r)) = index.key_of(&item) {
                index.entries.entry(h).or_default().insert((r, key.clone()));
            }
        }
        self.items.entry(key.0).or_default().insert(key.1, item);
        old
    }

    /// Deletes an item, returning it.
    pub(crate) fn delete(&mut self, key: &PrimaryKey) -> Option<Item> {
        let partition = self.items.get_mut(&key.0)?;
        let old = partition.remove(&key.1)?;
        if partition.is_empty() {
            self.items.remove(&key.0);
        }
        for index in &mut self.indexes {
            if let Some((h, r)) = index.key_of(&old)
                && let Some(set) = index.entries.get_mut(&h)
            {
                set.remove(&(r, key.clone()));
                if set.is_empty() {
                    index.entries.remove(&h);
                }
            }
        }
        Some(old)
    }

    pub(crate) fn index(&self, name: &str) -> Result<&SecondaryIndex, Error> {
        self.indexes
            .iter()
            .find(|i| i.name == name)
            .ok_or_else(|| Error::validation(format!("The table does not have the specified index: {name}")))
    }

    /// Every item, in key order.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = (PrimaryKey, &Item)> {
        self.items.iter().flat_map(|(h, p)| p.iter().map(move |(r, item)| ((h.clone(), r.clone()), item)))
    }

    pub(crate) fn len(&self) -> usize {
        self.items.values().map(BTreeMap::len).sum()
    }
}

fn type_matches(kv: &KeyValue, ty: ScalarType) -> bool {
    matches!(
        (kv, ty),
        (KeyValue::S(_), ScalarType::S) | (KeyValue::N(_), ScalarType::N) | (KeyValue::B(_), ScalarType::B)
    )
}

pub(crate) fn check_key_value(kv: &KeyValue, name: &str) -> Result<(), Error> {
    let empty = match kv {
        KeyValue::S(s) => s.is_empty().then_some("string"),
        KeyValue::B(b) => b.is_empty().then_some("binary"),
        KeyValue::N(_) => None,
    };
    match empty {
        Some(kind) => Err(Error::validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {name}"
        ))),
        None => Ok(()),
    }
}
