//! The default resolvers: what a root field does when nobody registered a resolver for it.
//!
//! Mutations named `create*`/`add*`/`put*`, `update*`, `delete*`/`remove*` write records of
//! their return type; queries look records up by `id` or scan them. Anything else is `null`,
//! as an AppSync field without a resolver is.

use std::sync::Arc;
use std::time::SystemTime;

use apollo_compiler::executable::OperationType;
use apollo_compiler::schema::{ExtendedType, FieldDefinition, ObjectType};
use serde_json::{Map, Value};

use crate::engine::Engine;
use crate::resolver::ResolverError;
use crate::store::{Record, StoreError};

/// Scan page size when the query gives no `limit` (Amplify's generated resolvers use 100 too).
const DEFAULT_LIMIT: usize = 100;

enum MutationKind {
    Create,
    Update,
    Delete,
}

fn mutation_kind(name: &str) -> Option<MutationKind> {
    let starts = |p: &str| {
        name.strip_prefix(p).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        })
    };
    if starts("create") || starts("add") || starts("put") {
        Some(MutationKind::Create)
    } else if starts("update") {
        Some(MutationKind::Update)
    } else if starts("delete") || starts("remove") {
        Some(MutationKind::Delete)
    } else {
        None
    }
}

/// What a default resolver answers: the records it found stay shared with the store (a query
/// copies none of them), anything else is plain JSON.
#[derive(Debug)]
pub(crate) enum Answer {
    /// No record: `null`.
    Null,
    /// One record (a lookup, or what a mutation wrote or removed).
    Record(Arc<Record>),
    /// A scan answering a list field.
    Records(Vec<Arc<Record>>),
    /// A scan answering a connection: `{items, nextToken}`.
    Page { items: Vec<Arc<Record>>, next_token: Option<String> },
}

impl From<Option<Arc<Record>>> for Answer {
    fn from(record: Option<Arc<Record>>) -> Self {
        record.map_or(Self::Null, Self::Record)
    }
}

pub(crate) fn resolve_root(
    engine: &Engine,
    op: OperationType,
    field: &FieldDefinition,
    args: &Map<String, Value>,
) -> Result<Answer, ResolverError> {
    let schema = &engine.schema.schema;
    let Some(target) = schema.get_object(field.ty.inner_named_type().as_str()) else {
        return Ok(Answer::Null);
    };
    match op {
        OperationType::Mutation if !field.ty.is_list() => match mutation_kind(&field.name) {
            Some(kind) => mutate(engine, kind, field, target, args).map(Answer::Record),
            None => Ok(Answer::Null),
        },
        OperationType::Query => query(engine, field, target, args),
        _ => Ok(Answer::Null),
    }
}

/// The record a mutation describes: the fields of its input-object argument (the one named
/// `input` when there are several, as in Amplify's `input` + `condition`), else all of its
/// arguments.
fn input_record(engine: &Engine, field: &FieldDefinition, args: &Map<String, Value>) -> Map<String, Value> {
    let schema = &engine.schema.schema;
    let input_args: Vec<&str> = field
        .arguments
        .iter()
        .filter(|a| schema.get_input_object(a.ty.inner_named_type().as_str()).is_some() && !a.ty.is_list())
        .map(|a| a.name.as_str())
        .collect();
    let chosen = match input_args.as_slice() {
        [only] => Some(*only),
        several if several.contains(&"input") => Some("input"),
        _ => None,
    };
    if let Some(name) = chosen
        && let Some(Value::Object(input)) = args.get(name)
    {
        return input.clone();
    }
    args.clone()
}

fn id_of(record: &Map<String, Value>) -> Option<String> {
    match record.get("id")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn has_field(t: &ObjectType, name: &str) -> bool {
    t.fields.contains_key(name)
}

fn conditional_failed() -> ResolverError {
    ResolverError::new("The conditional request failed")
        .error_type("DynamoDB:ConditionalCheckFailedException")
}

fn mutate(
    engine: &Engine,
    kind: MutationKind,
    field: &FieldDefinition,
    target: &ObjectType,
    args: &Map<String, Value>,
) -> Result<Arc<Record>, ResolverError> {
    let table = target.name.as_str();
    let mut record = input_record(engine, field, args);
    let now = Value::String(crate::time::iso8601(SystemTime::now()));
    match kind {
        MutationKind::Create => {
            let id = match id_of(&record) {
                Some(id) => id,
                None => {
                    let id = uuid::Uuid::new_v4().to_string();
                    if has_field(target, "id") {
                        record.insert("id".into(), Value::String(id.clone()));
                    }
                    id
                }
            };
            for stamp in ["createdAt", "updatedAt"] {
                if has_field(target, stamp) && !record.contains_key(stamp) {
                    record.insert(stamp.into(), now.clone());
                }
            }
            engine.store.insert(table, &id, record).map_err(store_error)
        }
        MutationKind::Update => {
            let id = id_of(&record).ok_or_else(missing_id)?;
            record.remove("id");
            if has_field(target, "updatedAt") && !record.contains_key("updatedAt") {
                record.insert("updatedAt".into(), now);
            }
            engine.store.update(table, &id, record).map_err(store_error)
        }
        MutationKind::Delete => {
            let id = id_of(&record).ok_or_else(missing_id)?;
            engine.store.delete(table, &id).map_err(store_error)
        }
    }
}

fn store_error(e: StoreError) -> ResolverError {
    match e {
        StoreError::Io => {
            ResolverError::new("The write could not be made durable").error_type("InternalFailure")
        }
        StoreError::ConditionFailed | StoreError::BadToken => conditional_failed(),
    }
}

fn missing_id() -> ResolverError {
    ResolverError::new("The mutation needs an `id` to find the record").error_type("MissingIdException")
}

fn query(
    engine: &Engine,
    field: &FieldDefinition,
    target: &ObjectType,
    args: &Map<String, Value>,
) -> Result<Answer, ResolverError> {
    let schema = &engine.schema.schema;
    if field.ty.is_list() {
        let page = scan(engine, target.name.as_str(), args)?;
        return Ok(Answer::Records(page.0));
    }
    // A connection: `items: [T]` (and usually `nextToken: String`).
    if let Some(items) = target.fields.get("items")
        && items.ty.is_list()
        && let Some(ExtendedType::Object(item_type)) = schema.types.get(items.ty.inner_named_type())
    {
        let (items, next_token) = scan(engine, item_type.name.as_str(), args)?;
        return Ok(Answer::Page { items, next_token });
    }
    if let Some(id) = id_of(args) {
        return Ok(engine.store.get(target.name.as_str(), &id).into());
    }
    Ok(Answer::Null)
}

fn scan(
    engine: &Engine,
    table: &str,
    args: &Map<String, Value>,
) -> Result<(Vec<Arc<Record>>, Option<String>), ResolverError> {
    let limit = match args.get("limit") {
        Some(Value::Number(n)) => match n.as_i64() {
            Some(l) if l > 0 => usize::try_from(l).unwrap_or(usize::MAX),
            _ => {
                return Err(
                    ResolverError::new("limit must be a positive integer").error_type("BadRequestException")
                );
            }
        },
        _ => DEFAULT_LIMIT,
    };
    let next_token = args.get("nextToken").and_then(Value::as_str);
    let mut filters: Vec<(String, Value)> = args
        .iter()
        .filter(|(k, v)| {
            k.as_str() != "limit"
                && k.as_str() != "nextToken"
                && !v.is_null()
                && !v.is_object()
                && !v.is_array()
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // Amplify-style `filter: {author: {eq: "x"}}`: the equality conditions are honoured.
    if let Some(Value::Object(filter)) = args.get("filter") {
        for (field, condition) in filter {
            if let Some(value) = condition.get("eq").filter(|v| !v.is_null()) {
                filters.push((field.clone(), value.clone()));
            }
        }
    }
    match engine.store.scan(table, &filters, limit, next_token) {
        Ok(page) => Ok((page.items, page.next_token)),
        Err(StoreError::BadToken) => {
            Err(ResolverError::new("Invalid nextToken").error_type("BadRequestException"))
        }
        Err(e) => Err(store_error(e)),
    }
}
