//! Applying a checked update expression to an item.
//!
//! As in DynamoDB, every `SET` operand reads the item as it was before the update; list elements
//! named by `REMOVE` are the ones at those positions before the update.

use super::eval::resolve_path;
use super::{Action, Path, SetOperand, SetValue, Step};
use crate::error::Error;
use crate::value::{AttributeValue, Item};

fn missing_attribute() -> Error {
    Error::validation("The provided expression refers to an attribute that does not exist in the item")
}

fn wrong_type() -> Error {
    Error::validation("An operand in the update expression has an incorrect data type")
}

fn invalid_path() -> Error {
    Error::validation("The document path provided in the update expression is invalid for update")
}

fn operand(item: &Item, op: &SetOperand) -> Result<AttributeValue, Error> {
    match op {
        SetOperand::Path(p) => resolve_path(item, p).cloned().ok_or_else(missing_attribute),
        SetOperand::Const(v) => Ok(v.clone()),
        SetOperand::IfNotExists(p, fallback) => match resolve_path(item, p) {
            Some(v) => Ok(v.clone()),
            None => operand(item, fallback),
        },
        SetOperand::ListAppend(a, b) => match (operand(item, a)?, operand(item, b)?) {
            (AttributeValue::L(mut a), AttributeValue::L(b)) => {
                a.extend(b);
                Ok(AttributeValue::L(a))
            }
            (AttributeValue::L(_), other) | (other, _) => Err(Error::validation(format!(
                "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: {}",
                other.type_code()
            ))),
        },
    }
}

fn value(item: &Item, v: &SetValue) -> Result<AttributeValue, Error> {
    match v {
        SetValue::Operand(o) => operand(item, o),
        SetValue::Plus(a, b) | SetValue::Minus(a, b) => match (operand(item, a)?, operand(item, b)?) {
            (AttributeValue::N(x), AttributeValue::N(y)) => {
                Ok(AttributeValue::N(if matches!(v, SetValue::Plus(..)) { x.add(&y)? } else { x.sub(&y)? }))
            }
            _ => Err(wrong_type()),
        },
    }
}

/// The value at `path`, for writing: its parent must exist and be the right container.
fn slot<'a>(item: &'a mut Item, path: &Path, create: bool) -> Result<Option<&'a mut AttributeValue>, Error> {
    let Some((Step::Name(first), rest)) = path.0.split_first() else { return Err(invalid_path()) };
    if rest.is_empty() {
        if create {
            return Ok(Some(item.entry(first.clone()).or_insert(AttributeValue::Null)));
        }
        return Ok(item.get_mut(first));
    }
    let Some(mut current) = item.get_mut(first) else {
        return if create { Err(invalid_path()) } else { Ok(None) };
    };
    for (i, step) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        current = match (step, current) {
            (Step::Name(n), AttributeValue::M(m)) => {
                if last && create {
                    m.entry(n.clone()).or_insert(AttributeValue::Null)
                } else {
                    match m.get_mut(n) {
                        Some(v) => v,
                        None if create => return Err(invalid_path()),
                        None => return Ok(None),
                    }
                }
            }
            (Step::Index(idx), AttributeValue::L(l)) => {
                if last && create && *idx >= l.len() {
                    // Past the end: DynamoDB appends.
                    l.push(AttributeValue::Null);
                    let end = l.len() - 1;
                    &mut l[end]
                } else {
                    match l.get_mut(*idx) {
                        Some(v) => v,
                        None if create => return Err(invalid_path()),
                        None => return Ok(None),
                    }
                }
            }
            _ => return Err(invalid_path()),
        };
    }
    Ok(Some(current))
}

fn remove(item: &mut Item, path: &Path) -> Result<(), Error> {
    let Some((last, parent)) = path.0.split_last() else { return Ok(()) };
    if parent.is_empty() {
        if let Step::Name(n) = last {
            item.remove(n);
        }
        return Ok(());
    }
    let parent_path = Path(parent.to_vec());
    let Some(container) = slot(item, &parent_path, false)? else { return Ok(()) };
    match (last, container) {
        (Step::Name(n), AttributeValue::M(m)) => {
            m.remove(n);
        }
        (Step::Index(i), AttributeValue::L(l)) => {
            if *i < l.len() {
                l.remove(*i);
            }
        }
        _ => return Err(invalid_path()),
    }
    Ok(())
}

fn union<T: Ord + Clone>(a: &mut Vec<T>, b: &[T]) {
    a.extend(b.iter().cloned());
    a.sort();
    a.dedup();
}

fn add(item: &mut Item, path: &Path, v: &AttributeValue) -> Result<(), Error> {
    let target = slot(item, path, false)?.ok_or_else(invalid_path)?;
    match (&mut *target, v) {
        (AttributeValue::N(n), AttributeValue::N(d)) => *n = n.add(d)?,
        (AttributeValue::Ss(s), AttributeValue::Ss(d)) => union(s, d),
        (AttributeValue::Ns(s), AttributeValue::Ns(d)) => union(s, d),
        (AttributeValue::Bs(s), AttributeValue::Bs(d)) => union(s, d),
        _ => return Err(wrong_type()),
    }
    Ok(())
}

fn delete(item: &mut Item, path: &Path, v: &AttributeValue) -> Result<(), Error> {
    let Some(target) = slot(item, path, false)? else { return Ok(()) };
    let empty = match (&mut *target, v) {
        (AttributeValue::Ss(s), AttributeValue::Ss(d)) => {
            s.retain(|x| !d.contains(x));
            s.is_empty()
        }
        (AttributeValue::Ns(s), AttributeValue::Ns(d)) => {
            s.retain(|x| !d.contains(x));
            s.is_empty()
        }
        (AttributeValue::Bs(s), AttributeValue::Bs(d)) => {
            s.retain(|x| !d.contains(x));
            s.is_empty()
        }
        _ => return Err(wrong_type()),
    };
    if empty {
        remove(item, path)?;
    }
    Ok(())
}

/// Applies the actions to `item` (which may be new and empty).
pub(crate) fn apply_update(item: &mut Item, actions: &[Action]) -> Result<(), Error> {
    let before = item.clone();
    let mut removes = Vec::new();
    for action in actions {
        match action {
            Action::Set(path, v) => {
                let v = value(&before, v)?;
                *slot(item, path, true)?.ok_or_else(invalid_path)? = v;
            }
            Action::Add(path, v) => {
                if resolve_path(item, path).is_some() {
                    add(item, path, v)?;
                } else {
                    *slot(item, path, true)?.ok_or_else(invalid_path)? = v.clone();
                }
            }
            Action::Delete(path, v) => delete(item, path, v)?,
            Action::Remove(path) => removes.push(path),
        }
    }
    // Later list positions first, so earlier removals do not shift them.
    removes.sort_by(|a, b| b.cmp(a));
    for path in removes {
        remove(item, path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Bindings, bind_update, parse_update};
    use super::*;
    use crate::value::{item_from_json, item_to_json};
    use serde_json::{Value, json};

    fn run(item: Value, text: &str, values: Value) -> Result<Value, Error> {
        let mut item = item_from_json(&item).unwrap();
        let mut b = Bindings::new();
        b.extend(&Default::default(), &item_from_json(&values).unwrap());
        let actions = bind_update(&mut b, &parse_update(text)?)?;
        apply_update(&mut item, &actions)?;
        Ok(item_to_json(&item))
    }

    #[test]
    fn set_remove_add_delete() {
        let out = run(
            json!({"n": {"N": "1"}, "l": {"L": [{"S": "a"}]}, "r": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}, "s": {"SS": ["x", "y"]}, "t": {"SS": ["x", "y"]}, "m": {"M": {}}}),
            "SET n = n + :one, m.k = if_not_exists(m.k, :one), l = list_append(l, :more), c = :one - :one \
             REMOVE r[0], r[2] ADD s :z, cnt :one DELETE t :x",
            json!({":one": {"N": "1"}, ":more": {"L": [{"S": "d"}]}, ":z": {"SS": ["z"]}, ":x": {"SS": ["x"]}}),
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"n": 2, "m": {"k": 1}, "l": ["a", "d"], "r": ["b"], "c": 0, "s": ["x", "y", "z"], "t": ["y"], "cnt": 1})
        );
    }

    #[test]
    fn errors_as_dynamodb() {
        let e = run(json!({"s": {"S": "x"}}), "SET s = s + :one", json!({":one": {"N": "1"}})).unwrap_err();
        assert_eq!(e.to_string(), "An operand in the update expression has an incorrect data type");
        let e = run(json!({}), "SET a = b", json!({})).unwrap_err();
        assert!(e.to_string().contains("refers to an attribute that does not exist"));
        let e = run(json!({}), "SET a.b = :one", json!({":one": {"N": "1"}})).unwrap_err();
        assert!(e.to_string().contains("document path provided in the update expression is invalid"));
        let e = run(json!({"s": {"S": "x"}}), "ADD s :one", json!({":one": {"N": "1"}})).unwrap_err();
        assert!(e.to_string().contains("incorrect data type"));
        let out = run(json!({"s": {"NS": ["1"]}}), "DELETE s :d", json!({":d": {"NS": ["1"]}})).unwrap();
        assert_eq!(out, json!({}));
    }
}
