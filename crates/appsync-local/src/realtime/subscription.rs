//! Turning a `start` into a registered subscription: validate the operation against the schema
//! (the engine's cached, AppSync-worded validation), check it is a subscription the caller may
//! make, and keep what delivery needs: the field, its non-null arguments and the selection.

use apollo_compiler::ast;
use apollo_compiler::executable::{OperationType, Selection, SelectionSet};
use apollo_compiler::response::JsonMap as BMap;
use serde_json::{Map, Value};

use super::filter::Plan;
use crate::auth::Identity;
use crate::engine::{Engine, GraphQLRequest};
use crate::json::{from_apollo, to_apollo};
use crate::validation;

/// A validated subscription, ready for fan-out.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// The subscription root type, e.g. `Subscription`.
    pub(crate) type_name: String,
    /// The subscription field, e.g. `onCreatePost`.
    pub(crate) field: String,
    /// Its response key (alias or name): the key under `payload.data`.
    pub(crate) response_key: String,
    /// Arguments given with non-null values.
    pub(crate) arguments: Map<String, Value>,
    pub(crate) plan: Plan,
}

/// Why a `start` was refused: the `errors` array to send.
pub(crate) type Refusal = Vec<Value>;

fn single(error_type: &str, message: &str) -> Refusal {
    let mut e = Map::new();
    e.insert("errorType".to_owned(), Value::from(error_type));
    e.insert("message".to_owned(), Value::from(message));
    vec![Value::Object(e)]
}

/// The `errors` of an engine error response (`{"data":null,"errors":[...]}`).
fn errors_of(body: &apollo_compiler::response::JsonValue) -> Refusal {
    match from_apollo(body) {
        Value::Object(mut m) => match m.remove("errors") {
            Some(Value::Array(errors)) => errors,
            _ => single("InternalFailure", "An internal failure occurred."),
        },
        _ => single("InternalFailure", "An internal failure occurred."),
    }
}

impl Engine {
    /// Validates `req` as a subscription for `identity` and returns what delivery needs.
    pub(crate) fn prepare_subscription(
        &self,
        req: &GraphQLRequest,
        identity: &Identity,
    ) -> Result<Prepared, Refusal> {
        let schema = &self.schema.schema;
        let document = self.document(&req.query).map_err(|body| errors_of(&body))?;
        let operation = validation::select_operation(&document, req.operation_name.as_deref())
            .map_err(|body| errors_of(&body))?;
        if operation.operation_type != OperationType::Subscription {
            let kind = match operation.operation_type {
                OperationType::Query => "query",
                _ => "mutation",
            };
            return Err(single(
                "UnsupportedOperation",
                &format!("{kind} not supported through the realtime channel"),
            ));
        }
        if let Some(body) = validation::check_variables(schema, &document, operation, &req.variables) {
            return Err(errors_of(&body));
        }
        if let Some(body) = validation::check_literals(schema, &document, operation) {
            return Err(errors_of(&body));
        }
        let raw: BMap = req.variables.iter().map(|(k, v)| (k.as_str().into(), to_apollo(v))).collect();
        let coerced =
            apollo_compiler::request::coerce_variable_values(schema, operation, &raw).map_err(|e| {
                let err = e.to_graphql_error(&document.sources);
                errors_of(&crate::response::plain_error(
                    &format!("Variables are invalid: {}", err.message),
                    err.locations,
                ))
            })?;
        let variables: Map<String, Value> =
            coerced.iter().map(|(k, v)| (k.as_str().to_owned(), from_apollo(v))).collect();
        let Some(root) = first_field(&document, &operation.selection_set, 0) else {
            return Err(single("UnsupportedOperation", "unknown not supported through the realtime channel"));
        };
        let type_name = operation.object_type().as_str();
        let field_name = root.name.as_str();
        // Every field the subscription selects, nested ones too, must be readable by this
        // caller: the selection is fixed, and so is the caller, so checking once here refuses
        // what delivery would otherwise have to blank out on every event.
        if let Some((parent, field)) = self.first_denied(&document, &operation.selection_set, identity, 0) {
            return Err(single(
                "Unauthorized",
                &format!("Not Authorized to access {field} on type {parent}"),
            ));
        }
        let mut arguments = Map::new();
        for arg in &root.arguments {
            let v = literal(&arg.value, &variables);
            if !v.is_null() {
                arguments.insert(arg.name.to_string(), v);
            }
        }
        Ok(Prepared {
            type_name: type_name.to_owned(),
            field: field_name.to_owned(),
            response_key: root.response_key().to_string(),
            arguments,
            plan: Plan::new(&document, &root.selection_set),
        })
    }
}

impl Engine {
    /// The first selected field (as `(type, field)`) that `identity` may not read, looking
    /// through fragments and into nested selections.
    fn first_denied(
        &self,
        doc: &apollo_compiler::ExecutableDocument,
        set: &SelectionSet,
        identity: &Identity,
        depth: usize,
    ) -> Option<(String, String)> {
        // Validation has already refused fragment cycles and documents past the depth limit;
        // this bound only keeps the walk finite whatever it is given.
        if depth > 128 {
            return None;
        }
        let parent = set.ty.as_str();
        set.selections.iter().find_map(|selection| match selection {
            Selection::Field(f) if f.name.as_str().starts_with("__") => None,
            Selection::Field(f) => {
                let name = f.name.as_str();
                if !self.schema.auth.allows(parent, name, identity, self.default_mode) {
                    return Some((parent.to_owned(), name.to_owned()));
                }
                self.first_denied(doc, &f.selection_set, identity, depth + 1)
            }
            Selection::InlineFragment(i) => self.first_denied(doc, &i.selection_set, identity, depth + 1),
            Selection::FragmentSpread(s) => doc
                .fragments
                .get(&s.fragment_name)
                .and_then(|f| self.first_denied(doc, &f.selection_set, identity, depth + 1)),
        })
    }
}

/// The single root field of a subscription (validation guarantees there is one; it may sit
/// inside a fragment).
fn first_field<'a>(
    doc: &'a apollo_compiler::ExecutableDocument,
    set: &'a SelectionSet,
    depth: usize,
) -> Option<&'a apollo_compiler::executable::Field> {
    if depth > 32 {
        return None;
    }
    set.selections.iter().find_map(|s| match s {
        Selection::Field(f) if f.name != "__typename" => Some(f.as_ref()),
        Selection::Field(_) => None,
        Selection::InlineFragment(i) => first_field(doc, &i.selection_set, depth + 1),
        Selection::FragmentSpread(s) => {
            doc.fragments.get(&s.fragment_name).and_then(|f| first_field(doc, &f.selection_set, depth + 1))
        }
    })
}

/// An argument's value as JSON, with variables substituted (already coerced).
fn literal(v: &ast::Value, variables: &Map<String, Value>) -> Value {
    match v {
        ast::Value::Null => Value::Null,
        ast::Value::Variable(name) => variables.get(name.as_str()).cloned().unwrap_or(Value::Null),
        ast::Value::Enum(e) => Value::from(e.as_str()),
        ast::Value::String(s) => Value::from(s.as_str()),
        ast::Value::Boolean(b) => Value::Bool(*b),
        ast::Value::Int(i) => i.as_str().parse::<i64>().map_or_else(|_| Value::from(i.as_str()), Value::from),
        ast::Value::Float(f) => f
            .as_str()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        ast::Value::List(items) => Value::Array(items.iter().map(|i| literal(i, variables)).collect()),
        ast::Value::Object(fields) => {
            Value::Object(fields.iter().map(|(k, v)| (k.to_string(), literal(v, variables))).collect())
        }
    }
}
