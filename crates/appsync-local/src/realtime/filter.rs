//! Which events a subscription receives, and what it receives of them.
//!
//! AppSync does not run the subscription's own resolver per event: it hands the mutation's
//! result to each subscriber whose non-null arguments equal the same-named fields of that
//! result, and fills the subscriber's selection set from what the mutation selected. So
//! delivery is a pure projection over JSON, done here without the execution engine: it is
//! synchronous, cheap enough to run once per subscriber per event, and cannot stall the
//! executor threads that serve HTTP.

use apollo_compiler::ExecutableDocument;
use apollo_compiler::executable::{Selection, SelectionSet};
use serde_json::{Map, Value};

/// A subscription's selection set, flattened: fragments are inlined because a mutation
/// result is a concrete object and the subscriber sees exactly its fields.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    /// The named type of the selection, for `__typename`.
    type_name: String,
    fields: Vec<PlanField>,
}

#[derive(Debug, Clone, PartialEq)]
struct PlanField {
    /// The response key (alias or name).
    key: String,
    /// The schema field name, which is the key in the mutation's result.
    name: String,
    sub: Option<Plan>,
}

/// Fragment nesting deeper than this is cut off (validation already rejected cycles).
const MAX_FRAGMENT_DEPTH: usize = 32;

impl Plan {
    pub(crate) fn new(doc: &ExecutableDocument, set: &SelectionSet) -> Self {
        let mut fields = Vec::new();
        collect(doc, set, &mut fields, 0);
        Self { type_name: set.ty.to_string(), fields }
    }

    /// `value` shaped by this selection. Fields the value lacks (the mutation did not select
    /// them) become null and their paths are pushed onto `missing`.
    pub(crate) fn project(&self, value: &Value, path: &str, missing: &mut Vec<String>) -> Value {
        match value {
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| self.project(i, path, missing)).collect())
            }
            Value::Object(record) => {
                let mut out = Map::with_capacity(self.fields.len());
                for f in &self.fields {
                    let v = if f.name == "__typename" {
                        record
                            .get("__typename")
                            .cloned()
                            .unwrap_or_else(|| Value::from(self.type_name.as_str()))
                    } else {
                        match record.get(&f.name) {
                            None => {
                                missing.push(join(path, &f.name));
                                Value::Null
                            }
                            Some(v) => match &f.sub {
                                Some(sub) => sub.project(v, &join(path, &f.name), missing),
                                None => v.clone(),
                            },
                        }
                    };
                    out.insert(f.key.clone(), v);
                }
                Value::Object(out)
            }
            _ => Value::Null,
        }
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

fn collect(doc: &ExecutableDocument, set: &SelectionSet, out: &mut Vec<PlanField>, depth: usize) {
    if depth > MAX_FRAGMENT_DEPTH {
        return;
    }
    for selection in &set.selections {
        match selection {
            Selection::Field(f) => {
                let sub = (!f.selection_set.selections.is_empty()).then(|| Plan::new(doc, &f.selection_set));
                let key = f.response_key().to_string();
                // The same key selected twice (e.g. in two fragments) merges: the last wins,
                // with its sub-selection widened by the earlier one.
                if let Some(existing) = out.iter_mut().find(|e| e.key == key) {
                    if let (Some(a), Some(b)) = (&mut existing.sub, sub) {
                        for field in b.fields {
                            if !a.fields.iter().any(|x| x.key == field.key) {
                                a.fields.push(field);
                            }
                        }
                    }
                    continue;
                }
                out.push(PlanField { key, name: f.name.to_string(), sub });
            }
            Selection::InlineFragment(i) => collect(doc, &i.selection_set, out, depth + 1),
            Selection::FragmentSpread(s) => {
                if let Some(fragment) = doc.fragments.get(&s.fragment_name) {
                    collect(doc, &fragment.selection_set, out, depth + 1);
                }
            }
        }
    }
}

/// AppSync's argument filter: every non-null subscription argument must equal the mutation
/// result's field of the same name. A field the mutation did not select cannot match.
pub(crate) fn arguments_match(arguments: &Map<String, Value>, data: &Value) -> bool {
    arguments.iter().all(|(name, wanted)| data.get(name).is_some_and(|got| loosely_equal(wanted, got)))
}

/// JSON equality, except that an `ID` may arrive as a number on one side and a string on
/// the other (GraphQL coerces both to the same ID).
fn loosely_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => *s == n.to_string(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan(sdl: &str, query: &str) -> Plan {
        let schema = apollo_compiler::Schema::parse_and_validate(sdl, "s.graphql").expect("schema");
        let doc = ExecutableDocument::parse_and_validate(&schema, query, "q.graphql").expect("doc");
        let op = doc.operations.get(None).expect("op");
        let Some(Selection::Field(root)) = op.selection_set.selections.first() else { panic!("field") };
        Plan::new(&doc, &root.selection_set)
    }

    const SDL: &str = "type Query { x: Int } type Post { id: ID! title: String author: String tags: [Tag] }
        type Tag { name: String } type Subscription { onPost(author: String): Post }";

    #[test]
    fn projection_fills_unselected_fields_with_null_and_names_them() {
        let p = plan(
            SDL,
            "subscription { onPost { id t: title __typename ...F tags { name } } } fragment F on Post { author }",
        );
        let mut missing = Vec::new();
        let data = json!({"id": "1", "title": "hi", "tags": [{"name": "a"}, {}]});
        let out = p.project(&data, "", &mut missing);
        assert_eq!(
            out,
            json!({"id": "1", "t": "hi", "__typename": "Post", "author": null, "tags": [{"name": "a"}, {"name": null}]})
        );
        assert_eq!(missing, vec!["author".to_owned(), "tags.name".to_owned()]);
        assert_eq!(p.project(&Value::Null, "", &mut missing), Value::Null);
    }

    #[test]
    fn arguments_filter_like_appsync() {
        let data = json!({"id": 5, "author": "ann", "title": null});
        assert!(arguments_match(&Map::new(), &data));
        let args = |v: Value| v.as_object().cloned().expect("object");
        assert!(arguments_match(&args(json!({"author": "ann"})), &data));
        assert!(!arguments_match(&args(json!({"author": "bob"})), &data));
        assert!(arguments_match(&args(json!({"id": "5"})), &data));
        assert!(!arguments_match(&args(json!({"content": "x"})), &data));
    }
}

/// An AppSync enhanced subscription filter: `{"filterGroup":[{"filters":[{fieldName, operator,
/// value}]}]}`. Groups are OR-ed, the filters within a group AND-ed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FilterGroup {
    groups: Vec<Vec<Condition>>,
}

#[derive(Debug, Clone, PartialEq)]
struct Condition {
    /// Dotted path into the mutation result.
    path: Vec<String>,
    op: Op,
    value: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Le,
    Lt,
    Ge,
    Gt,
    In,
    NotIn,
    Between,
    Contains,
    NotContains,
    BeginsWith,
    AttributeExists,
    ContainsAny,
}

/// AppSync's limits on one filter: 10 groups of up to 5 filters, up to 5 values in a list.
const MAX_GROUPS: usize = 10;
const MAX_FILTERS: usize = 5;
const MAX_LIST_VALUES: usize = 5;

impl FilterGroup {
    /// Parses and checks a filter as a subscription resolver set it; the error says why it
    /// is invalid (the `start` is then refused).
    pub(crate) fn parse(v: &Value) -> Result<Self, String> {
        let Some(groups) = v.get("filterGroup").and_then(Value::as_array) else {
            return Err("a subscription filter needs a filterGroup array".to_owned());
        };
        if groups.is_empty() || groups.len() > MAX_GROUPS {
            return Err(format!("filterGroup must hold 1 to {MAX_GROUPS} groups"));
        }
        let mut out = Vec::with_capacity(groups.len());
        for group in groups {
            let Some(filters) = group.get("filters").and_then(Value::as_array) else {
                return Err("each filterGroup entry needs a filters array".to_owned());
            };
            if filters.is_empty() || filters.len() > MAX_FILTERS {
                return Err(format!("a filter group must hold 1 to {MAX_FILTERS} filters"));
            }
            out.push(filters.iter().map(Condition::parse).collect::<Result<Vec<_>, _>>()?);
        }
        Ok(Self { groups: out })
    }

    /// Whether the mutation result `data` passes the filter.
    pub(crate) fn matches(&self, data: &Value) -> bool {
        self.groups.iter().any(|group| group.iter().all(|c| c.matches(data)))
    }
}

impl Condition {
    fn parse(v: &Value) -> Result<Self, String> {
        let Some(field) = v.get("fieldName").and_then(Value::as_str).filter(|f| !f.is_empty()) else {
            return Err("each filter needs a fieldName".to_owned());
        };
        // A missing operator is reported as the unsupported operator "".
        let operator = v.get("operator").and_then(Value::as_str).unwrap_or_default();
        let op = match operator {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "le" => Op::Le,
            "lt" => Op::Lt,
            "ge" => Op::Ge,
            "gt" => Op::Gt,
            "in" => Op::In,
            "notIn" => Op::NotIn,
            "between" => Op::Between,
            "contains" => Op::Contains,
            "notContains" => Op::NotContains,
            "beginsWith" => Op::BeginsWith,
            "attributeExists" => Op::AttributeExists,
            "containsAny" => Op::ContainsAny,
            other => return Err(format!("unsupported filter operator {other:?} on {field}")),
        };
        let value = v.get("value").cloned().unwrap_or(Value::Null);
        let list_ok = |n: usize| value.as_array().is_some_and(|a| !a.is_empty() && a.len() <= n);
        let valid = match op {
            Op::In | Op::NotIn | Op::ContainsAny => list_ok(MAX_LIST_VALUES),
            Op::Between => value.as_array().is_some_and(|a| a.len() == 2),
            Op::AttributeExists => value.is_boolean(),
            Op::BeginsWith => value.is_string(),
            Op::Le | Op::Lt | Op::Ge | Op::Gt => value.is_number() || value.is_string(),
            Op::Eq | Op::Ne | Op::Contains | Op::NotContains => !value.is_object() && !value.is_array(),
        };
        if !valid {
            return Err(format!("invalid value for operator {operator} on {field}"));
        }
        Ok(Self { path: field.split('.').map(str::to_owned).collect(), op, value })
    }

    fn matches(&self, data: &Value) -> bool {
        let found = self.path.iter().try_fold(data, |v, key| v.get(key)).filter(|v| !v.is_null());
        let value = &self.value;
        match self.op {
            Op::AttributeExists => found.is_some() == value.as_bool().unwrap_or(true),
            Op::Ne => found.is_none_or(|f| !loosely_equal(f, value)),
            Op::NotIn => found.is_none_or(|f| !list(value).iter().any(|v| loosely_equal(f, v))),
            Op::NotContains => found.is_none_or(|f| !contains(f, value)),
            _ => {
                let Some(f) = found else { return false };
                match self.op {
                    Op::Eq => loosely_equal(f, value),
                    Op::Le => compare(f, value).is_some_and(std::cmp::Ordering::is_le),
                    Op::Lt => compare(f, value).is_some_and(std::cmp::Ordering::is_lt),
                    Op::Ge => compare(f, value).is_some_and(std::cmp::Ordering::is_ge),
                    Op::Gt => compare(f, value).is_some_and(std::cmp::Ordering::is_gt),
                    Op::In => list(value).iter().any(|v| loosely_equal(f, v)),
                    Op::Between => match list(value) {
                        [lo, hi] => {
                            compare(f, lo).is_some_and(std::cmp::Ordering::is_ge)
                                && compare(f, hi).is_some_and(std::cmp::Ordering::is_le)
                        }
                        _ => false,
                    },
                    Op::Contains => contains(f, value),
                    Op::BeginsWith => {
                        matches!((f, value), (Value::String(s), Value::String(p)) if s.starts_with(p.as_str()))
                    }
                    Op::ContainsAny => match f {
                        Value::Array(items) => {
                            list(value).iter().any(|v| items.iter().any(|i| loosely_equal(i, v)))
                        }
                        Value::String(s) => {
                            list(value).iter().any(|v| v.as_str().is_some_and(|p| s.contains(p)))
                        }
                        _ => false,
                    },
                    // Handled above.
                    Op::AttributeExists | Op::Ne | Op::NotIn | Op::NotContains => false,
                }
            }
        }
    }
}

fn list(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// Strings contain substrings; lists contain elements.
fn contains(field: &Value, value: &Value) -> bool {
    match (field, value) {
        (Value::String(s), Value::String(p)) => s.contains(p.as_str()),
        (Value::Array(items), v) => items.iter().any(|i| loosely_equal(i, v)),
        _ => false,
    }
}

/// Numbers compare numerically and strings lexically (as DynamoDB-style filters do); other
/// pairs do not compare, so range operators reject them.
fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

#[cfg(test)]
mod filter_group_tests {
    use super::*;
    use serde_json::json;

    fn f(field: &str, op: &str, value: Value) -> FilterGroup {
        FilterGroup::parse(
            &json!({"filterGroup": [{"filters": [{"fieldName": field, "operator": op, "value": value}]}]}),
        )
        .expect("valid filter")
    }

    #[test]
    fn every_operator() {
        let d = json!({"n": 5, "s": "hello world", "tags": ["a", "b"], "nested": {"x": 1}, "none": null});
        let cases = [
            ("n", "eq", json!(5), true),
            ("n", "eq", json!(6), false),
            ("n", "ne", json!(6), true),
            ("missing", "ne", json!(6), true),
            ("n", "le", json!(5), true),
            ("n", "lt", json!(5), false),
            ("n", "ge", json!(5), true),
            ("n", "gt", json!(4), true),
            ("s", "gt", json!("a"), true),
            ("n", "in", json!([1, 5]), true),
            ("n", "in", json!([1, 2]), false),
            ("n", "notIn", json!([1, 2]), true),
            ("n", "between", json!([1, 5]), true),
            ("n", "between", json!([6, 9]), false),
            ("s", "contains", json!("lo w"), true),
            ("tags", "contains", json!("b"), true),
            ("tags", "notContains", json!("c"), true),
            ("s", "notContains", json!("hello"), false),
            ("s", "beginsWith", json!("hell"), true),
            ("s", "beginsWith", json!("world"), false),
            ("s", "attributeExists", json!(true), true),
            ("none", "attributeExists", json!(false), true),
            ("missing", "attributeExists", json!(true), false),
            ("tags", "containsAny", json!(["x", "a"]), true),
            ("tags", "containsAny", json!(["x"]), false),
            ("nested.x", "eq", json!(1), true),
        ];
        for (field, op, value, expected) in cases {
            assert_eq!(f(field, op, value.clone()).matches(&d), expected, "{field} {op} {value}");
        }
    }

    #[test]
    fn groups_are_or_filters_are_and() {
        let g = FilterGroup::parse(&json!({"filterGroup": [
            {"filters": [{"fieldName": "a", "operator": "eq", "value": 1}, {"fieldName": "b", "operator": "eq", "value": 2}]},
            {"filters": [{"fieldName": "c", "operator": "eq", "value": 3}]}
        ]}))
        .expect("valid");
        assert!(g.matches(&json!({"a": 1, "b": 2})));
        assert!(!g.matches(&json!({"a": 1, "b": 3})));
        assert!(g.matches(&json!({"c": 3})));
    }

    #[test]
    fn invalid_filters_are_rejected() {
        for bad in [
            json!({}),
            json!({"filterGroup": []}),
            json!({"filterGroup": [{"filters": []}]}),
            json!({"filterGroup": [{"filters": [{"fieldName": "a", "operator": "like", "value": 1}]}]}),
            json!({"filterGroup": [{"filters": [{"operator": "eq", "value": 1}]}]}),
            json!({"filterGroup": [{"filters": [{"fieldName": "a", "operator": "in", "value": 1}]}]}),
            json!({"filterGroup": [{"filters": [{"fieldName": "a", "operator": "in", "value": [1, 2, 3, 4, 5, 6]}]}]}),
            json!({"filterGroup": [{"filters": [{"fieldName": "a", "operator": "between", "value": [1]}]}]}),
            json!({"filterGroup": [{"filters": [{"fieldName": "a", "operator": "attributeExists", "value": "yes"}]}]}),
        ] {
            assert!(FilterGroup::parse(&bad).is_err(), "{bad}");
        }
    }
}
