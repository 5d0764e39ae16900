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
