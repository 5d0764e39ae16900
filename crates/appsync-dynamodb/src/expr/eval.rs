//! Evaluating conditions and projections against an item, with DynamoDB's typing: comparing
//! different types is false (not an error), `<` and friends order only `N`, `S` and `B`.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::parse::CmpOp;
use super::{Condition, Operand, Path, Step};
use crate::number::Number;
use crate::value::{AttributeValue, Item, TypeName};

/// The value at a document path, if there is one.
pub(crate) fn resolve_path<'a>(item: &'a Item, path: &Path) -> Option<&'a AttributeValue> {
    let mut steps = path.0.iter();
    let mut current = match steps.next()? {
        Step::Name(n) => item.get(n)?,
        Step::Index(_) => return None,
    };
    for step in steps {
        current = match (step, current) {
            (Step::Name(n), AttributeValue::M(m)) => m.get(n)?,
            (Step::Index(i), AttributeValue::L(l)) => l.get(*i)?,
            _ => return None,
        };
    }
    Some(current)
}

fn size_of(value: &AttributeValue) -> Option<usize> {
    Some(match value {
        AttributeValue::S(s) => s.chars().count(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::M(m) => m.len(),
        AttributeValue::L(l) => l.len(),
        AttributeValue::Ss(s) => s.len(),
        AttributeValue::Ns(n) => n.len(),
        AttributeValue::Bs(b) => b.len(),
        AttributeValue::N(_) | AttributeValue::Bool(_) | AttributeValue::Null => return None,
    })
}

fn operand<'a>(item: &'a Item, op: &'a Operand) -> Option<std::borrow::Cow<'a, AttributeValue>> {
    match op {
        Operand::Path(p) => resolve_path(item, p).map(std::borrow::Cow::Borrowed),
        Operand::Const(v) => Some(std::borrow::Cow::Borrowed(v)),
        Operand::Size(p) => {
            let size = size_of(resolve_path(item, p)?)?;
            let size = i64::try_from(size).ok()?;
            Some(std::borrow::Cow::Owned(AttributeValue::N(Number::from(size))))
        }
    }
}

fn compare(left: Option<&AttributeValue>, op: CmpOp, right: Option<&AttributeValue>) -> bool {
    match op {
        CmpOp::Eq => matches!((left, right), (Some(l), Some(r)) if l == r),
        CmpOp::Ne => match (left, right) {
            (Some(l), Some(r)) => l != r,
            // A missing attribute is not equal to any value.
            (None, Some(_)) | (Some(_), None) => true,
            (None, None) => false,
        },
        _ => {
            let Some(ordering) = left.zip(right).and_then(|(l, r)| l.compare(r)) else { return false };
            match op {
                CmpOp::Lt => ordering == Ordering::Less,
                CmpOp::Le => ordering != Ordering::Greater,
                CmpOp::Gt => ordering == Ordering::Greater,
                CmpOp::Ge => ordering != Ordering::Less,
                CmpOp::Eq | CmpOp::Ne => false,
            }
        }
    }
}

fn begins_with(value: &AttributeValue, prefix: &AttributeValue) -> bool {
    match (value, prefix) {
        (AttributeValue::S(s), AttributeValue::S(p)) => s.starts_with(p.as_str()),
        (AttributeValue::B(b), AttributeValue::B(p)) => b.starts_with(p),
        _ => false,
    }
}

fn contains(haystack: &AttributeValue, needle: &AttributeValue) -> bool {
    match (haystack, needle) {
        (AttributeValue::S(s), AttributeValue::S(n)) => s.contains(n.as_str()),
        (AttributeValue::B(b), AttributeValue::B(n)) => {
            n.is_empty() || b.windows(n.len()).any(|w| w == n.as_slice())
        }
        (AttributeValue::Ss(s), AttributeValue::S(n)) => s.contains(n),
        (AttributeValue::Ns(s), AttributeValue::N(n)) => s.contains(n),
        (AttributeValue::Bs(s), AttributeValue::B(n)) => s.contains(n),
        (AttributeValue::L(l), n) => l.contains(n),
        _ => false,
    }
}

/// Evaluates a condition against an item (an empty item when there is none).
pub(crate) fn evaluate(condition: &Condition, item: &Item) -> bool {
    match condition {
        Condition::Compare(l, op, r) => {
            compare(operand(item, l).as_deref(), *op, operand(item, r).as_deref())
        }
        Condition::Between(x, lo, hi) => {
            let x = operand(item, x);
            compare(x.as_deref(), CmpOp::Ge, operand(item, lo).as_deref())
                && compare(x.as_deref(), CmpOp::Le, operand(item, hi).as_deref())
        }
        Condition::In(x, list) => {
            let Some(x) = operand(item, x) else { return false };
            list.iter().any(|o| operand(item, o).is_some_and(|v| *v == *x))
        }
        Condition::Exists(p) => resolve_path(item, p).is_some(),
        Condition::NotExists(p) => resolve_path(item, p).is_none(),
        Condition::Type(p, ty) => {
            let (Some(value), Some(ty)) = (resolve_path(item, p), operand(item, ty)) else { return false };
            matches!(&*ty, AttributeValue::S(t) if TypeName::parse(t) == Some(value.type_name()))
        }
        Condition::BeginsWith(v, prefix) => match (operand(item, v), operand(item, prefix)) {
            (Some(v), Some(p)) => begins_with(&v, &p),
            _ => false,
        },
        Condition::Contains(h, n) => match (operand(item, h), operand(item, n)) {
            (Some(h), Some(n)) => contains(&h, &n),
            _ => false,
        },
        Condition::And(l, r) => evaluate(l, item) && evaluate(r, item),
        Condition::Or(l, r) => evaluate(l, item) || evaluate(r, item),
        Condition::Not(c) => !evaluate(c, item),
    }
}

/// Copies the projected paths of an item, keeping their nesting (list elements keep their
/// order, compacted, as DynamoDB returns them).
pub(crate) fn project(item: &Item, paths: &[Path]) -> Item {
    let mut out: Item = BTreeMap::new();
    for path in paths {
        let Some(value) = resolve_path(item, path) else { continue };
        let Some((Step::Name(first), rest)) = path.0.split_first() else { continue };
        let mut source = item.get(first);
        let slot = out.entry(first.clone()).or_insert_with(|| skeleton(source, rest.first()));
        let mut slot = slot;
        for (i, step) in rest.iter().enumerate() {
            let next_source = match (step, source) {
                (Step::Name(n), Some(AttributeValue::M(m))) => m.get(n),
                (Step::Index(i), Some(AttributeValue::L(l))) => l.get(*i),
                _ => None,
            };
            let next_step = rest.get(i + 1);
            slot = match (step, slot) {
                (Step::Name(n), AttributeValue::M(m)) => {
                    m.entry(n.clone()).or_insert_with(|| skeleton(next_source, next_step))
                }
                (Step::Index(_), AttributeValue::L(l)) => {
                    l.push(skeleton(next_source, next_step));
                    let last = l.len() - 1;
                    &mut l[last]
                }
                (_, other) => other,
            };
            source = next_source;
        }
        *slot = value.clone();
    }
    out
}

/// An empty container of the kind the next path step descends into.
fn skeleton(source: Option<&AttributeValue>, next: Option<&Step>) -> AttributeValue {
    match (next, source) {
        (Some(Step::Name(_)), _) => AttributeValue::M(BTreeMap::new()),
        (Some(Step::Index(_)), _) => AttributeValue::L(Vec::new()),
        (None, Some(v)) => v.clone(),
        (None, None) => AttributeValue::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::{ExprKind, parse_condition, parse_projection};
    use super::super::{Bindings, bind_condition, bind_projection};
    use super::*;
    use crate::value::item_from_json;
    use serde_json::json;

    fn check(text: &str, values: serde_json::Value, item: &Item) -> bool {
        let mut b = Bindings::new();
        let values: BTreeMap<String, AttributeValue> = item_from_json(&values).unwrap();
        b.extend(&BTreeMap::new(), &values);
        let raw = parse_condition(ExprKind::Condition, text).unwrap();
        evaluate(&bind_condition(&mut b, ExprKind::Condition, &raw).unwrap(), item)
    }

    #[test]
    fn dynamodb_typing() {
        let item = item_from_json(&json!({
            "n": {"N": "10"}, "s": {"S": "hello"}, "tags": {"SS": ["a", "b"]},
            "l": {"L": [{"N": "1"}, {"S": "x"}]}, "m": {"M": {"k": {"BOOL": true}}}
        }))
        .unwrap();
        assert!(check("n > :v", json!({":v": {"N": "9.5"}}), &item));
        assert!(!check("n > :v", json!({":v": {"S": "9"}}), &item), "different types compare false");
        assert!(check("n <> :v", json!({":v": {"S": "10"}}), &item));
        assert!(check("n BETWEEN :a AND :b", json!({":a": {"N": "10"}, ":b": {"N": "11"}}), &item));
        assert!(check("s IN (:a, :b)", json!({":a": {"S": "x"}, ":b": {"S": "hello"}}), &item));
        assert!(check(
            "begins_with(s, :p) AND contains(tags, :t)",
            json!({":p": {"S": "he"}, ":t": {"S": "b"}}),
            &item
        ));
        assert!(check("contains(l, :x)", json!({":x": {"S": "x"}}), &item));
        assert!(check("size(s) = :five AND size(tags) < :five", json!({":five": {"N": "5"}}), &item));
        assert!(check("attribute_type(m.k, :t)", json!({":t": {"S": "BOOL"}}), &item));
        assert!(check("attribute_exists(l[1]) AND attribute_not_exists(l[2])", json!({}), &item));
        assert!(check("NOT gone = :v OR n = :v", json!({":v": {"N": "1"}}), &item));
        assert!(!check("size(n) = :v", json!({":v": {"N": "2"}}), &item));
    }

    #[test]
    fn projection_keeps_nesting() {
        let item = item_from_json(&json!({
            "a": {"S": "x"}, "b": {"M": {"c": {"N": "1"}, "d": {"N": "2"}}}, "l": {"L": [{"S": "p"}, {"S": "q"}]}
        }))
        .unwrap();
        let mut b = Bindings::new();
        let paths = bind_projection(&mut b, &parse_projection("b.d, l[1], nope").unwrap()).unwrap();
        let out = project(&item, &paths);
        assert_eq!(crate::value::item_to_json(&out), json!({"b": {"d": 2}, "l": ["q"]}));
    }
}
