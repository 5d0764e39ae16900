//! The operations, one file per family, and what they share: binding a request's expressions,
//! and preparing and checking one write (used alone and inside transactions).

mod batch;
mod item;
mod read;
mod transact;

pub(crate) use read::{token, token_key};

use std::collections::BTreeMap;

use crate::error::Error;
use crate::expr::{self, Action, Bindings, Condition, ExprKind, Path};
use crate::request;
use crate::table::{PrimaryKey, Table};
use crate::value::{AttributeValue, Item, MAX_ITEM_SIZE, item_size};

/// A JSON object from owned parts (`json!` would serialize, that is deep-copy, its values).
fn object<const N: usize>(entries: [(&str, serde_json::Value); N]) -> serde_json::Value {
    serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn names_of(names: Option<&BTreeMap<String, String>>) -> BTreeMap<String, String> {
    names.cloned().unwrap_or_default()
}

fn values_of(values: Option<&BTreeMap<String, AttributeValue>>) -> BTreeMap<String, AttributeValue> {
    values.cloned().unwrap_or_default()
}

/// Binds a write's `condition`, adding its names and values to `b`.
fn bind_write_condition(
    b: &mut Bindings,
    c: Option<&request::Condition>,
) -> Result<Option<Condition>, Error> {
    let Some(c) = c else { return Ok(None) };
    b.extend(&names_of(c.expression_names.as_ref()), &values_of(c.expression_values.as_ref()));
    let raw = expr::parse_condition(ExprKind::Condition, &c.expression)?;
    Ok(Some(expr::bind_condition(b, ExprKind::Condition, &raw)?))
}

/// Binds a `projection` on its own (it has names, no values).
fn bind_projection(p: Option<&request::Projection>) -> Result<Option<Vec<Path>>, Error> {
    let Some(p) = p else { return Ok(None) };
    let mut b = Bindings::new();
    b.extend(&names_of(p.expression_names.as_ref()), &BTreeMap::new());
    let paths = expr::bind_projection(&mut b, &expr::parse_projection(&p.expression)?)?;
    b.finish()?;
    Ok(Some(paths))
}

fn projected(item: &Item, paths: Option<&Vec<Path>>) -> Item {
    match paths {
        Some(paths) => expr::project(item, paths),
        None => item.clone(),
    }
}

/// What a write does once its condition holds.
#[derive(Debug, Clone)]
enum WriteKind {
    Put(Item),
    Update(Vec<Action>),
    Delete,
    Check,
}

/// One write, bound and checked against the table's schema, not yet run.
#[derive(Debug, Clone)]
struct PreparedWrite {
    key: PrimaryKey,
    kind: WriteKind,
    condition: Option<Condition>,
    equals_ignore: Vec<String>,
    return_item_on_failure: bool,
}

/// The result of running a prepared write against the current item.
enum Outcome {
    /// The condition held: the item to store (`None` deletes; `Check` stores nothing).
    Write { current: Option<Item>, new: Option<Item> },
    /// The condition was false.
    ConditionFailed { current: Option<Item> },
}

fn prepare_put(
    table: &Table,
    key: &Item,
    values: Option<&Item>,
    condition: Option<&request::Condition>,
) -> Result<PreparedWrite, Error> {
    table.key_from(key)?;
    let mut item = values.cloned().unwrap_or_default();
    item.extend(key.iter().map(|(k, v)| (k.clone(), v.clone())));
    let key = table.key_of_item(&item)?;
    if item_size(&item) > MAX_ITEM_SIZE {
        return Err(Error::validation("Item size has exceeded the maximum allowed size"));
    }
    let mut b = Bindings::new();
    let condition_bound = bind_write_condition(&mut b, condition)?;
    b.finish()?;
    Ok(PreparedWrite {
        key,
        kind: WriteKind::Put(item),
        condition: condition_bound,
        equals_ignore: condition.map(|c| c.equals_ignore.clone()).unwrap_or_default(),
        return_item_on_failure: condition
            .and_then(|c| c.return_values_on_condition_check_failure)
            .unwrap_or(true),
    })
}

fn prepare_update(
    table: &Table,
    key: &Item,
    update: &request::Expression,
    condition: Option<&request::Condition>,
) -> Result<PreparedWrite, Error> {
    let primary = table.key_from(key)?;
    let mut b = Bindings::new();
    b.extend(&names_of(update.expression_names.as_ref()), &values_of(update.expression_values.as_ref()));
    let actions = expr::bind_update(&mut b, &expr::parse_update(&update.expression)?)?;
    let condition_bound = bind_write_condition(&mut b, condition)?;
    b.finish()?;
    for action in &actions {
        let top = action.path().top();
        if table.schema.attributes().any(|a| a.name == top) {
            return Err(Error::invalid_parameter(format!(
                "Cannot update attribute {top}. This attribute is part of the key"
            )));
        }
    }
    Ok(PreparedWrite {
        key: primary,
        kind: WriteKind::Update(actions),
        condition: condition_bound,
        equals_ignore: condition.map(|c| c.equals_ignore.clone()).unwrap_or_default(),
        return_item_on_failure: condition
            .and_then(|c| c.return_values_on_condition_check_failure)
            .unwrap_or(true),
    })
}

fn prepare_delete(
    table: &Table,
    key: &Item,
    condition: Option<&request::Condition>,
    check_only: bool,
) -> Result<PreparedWrite, Error> {
    let primary = table.key_from(key)?;
    let mut b = Bindings::new();
    let condition_bound = bind_write_condition(&mut b, condition)?;
    b.finish()?;
    Ok(PreparedWrite {
        key: primary,
        kind: if check_only { WriteKind::Check } else { WriteKind::Delete },
        condition: condition_bound,
        equals_ignore: condition.map(|c| c.equals_ignore.clone()).unwrap_or_default(),
        return_item_on_failure: condition
            .and_then(|c| c.return_values_on_condition_check_failure)
            .unwrap_or(true),
    })
}

/// The item an update makes of `current` (or of the bare key when there is none).
fn updated(
    table: &Table,
    key: &PrimaryKey,
    current: Option<&Item>,
    actions: &[Action],
) -> Result<Item, Error> {
    let mut item = current.cloned().unwrap_or_else(|| table.key_item(key));
    expr::apply_update(&mut item, actions)?;
    table.key_of_item(&item)?;
    if item_size(&item) > MAX_ITEM_SIZE {
        return Err(Error::validation("Item size to update has exceeded the maximum allowed size"));
    }
    Ok(item)
}

/// Checks the condition against the current item and computes the write.
fn run_write(table: &Table, w: &PreparedWrite) -> Result<Outcome, Error> {
    let current = table.get(&w.key).cloned();
    if let Some(condition) = &w.condition {
        let empty = Item::new();
        if !expr::evaluate(condition, current.as_ref().unwrap_or(&empty)) {
            return Ok(Outcome::ConditionFailed { current });
        }
    }
    let new = match &w.kind {
        WriteKind::Put(item) => Some(item.clone()),
        WriteKind::Update(actions) => Some(updated(table, &w.key, current.as_ref(), actions)?),
        WriteKind::Delete => None,
        WriteKind::Check => return Ok(Outcome::Write { new: current.clone(), current }),
    };
    Ok(Outcome::Write { current, new })
}

/// Equality of two items, leaving out some top-level attributes.
pub(crate) fn equal_ignoring(a: &Item, b: &Item, ignore: &[String]) -> bool {
    let keep = |(k, _): &(&String, &AttributeValue)| !ignore.contains(k);
    a.iter().filter(keep).eq(b.iter().filter(keep))
}
