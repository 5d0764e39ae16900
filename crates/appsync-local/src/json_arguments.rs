//! `AWSJSON` arguments as resolvers see them. AppSync parses every `AWSJSON` input (an inline
//! literal or a variable, at any depth of an input object or list) and hands resolvers the
//! parsed value, maps, lists or scalars, not the text the client sent (AppSync developer guide,
//! "Scalar types in AWS AppSync", `AWSJSON`; Amplify's data modelling docs say the same of
//! `a.json()`). Text that is not JSON never gets this far: validation refuses it first.

use apollo_compiler::Schema;
use apollo_compiler::schema::{FieldDefinition, Type};
use rustc_hash::FxHashSet;
use serde_json::{Map, Value};

const AWSJSON: &str = "AWSJSON";

/// Where `AWSJSON` can occur in the schema's inputs, worked out once.
#[derive(Debug, Default)]
pub(crate) struct JsonInputs {
    /// Whether any argument or input field of the schema has `AWSJSON` in its type; when none
    /// does, nothing is looked at per field.
    any: bool,
    /// Input object types that hold an `AWSJSON` field, directly or through other inputs.
    holders: FxHashSet<String>,
}

impl JsonInputs {
    pub(crate) fn from_schema(schema: &Schema) -> Self {
        let inputs: Vec<_> = schema.types.values().filter_map(|t| t.as_input_object()).collect();
        let mut holders = FxHashSet::default();
        // Grows until no input object is added: an input holds AWSJSON when one of its fields is
        // AWSJSON or an input that holds it (cycles through inputs end when nothing changes).
        loop {
            let before = holders.len();
            for input in &inputs {
                if !holders.contains(input.name.as_str())
                    && input.fields.values().any(|f| {
                        let named = f.ty.inner_named_type().as_str();
                        named == AWSJSON || holders.contains(named)
                    })
                {
                    holders.insert(input.name.to_string());
                }
            }
            if holders.len() == before {
                break;
            }
        }
        let any = !holders.is_empty()
            || schema.types.values().filter_map(|t| t.as_object()).any(|o| {
                o.fields
                    .values()
                    .any(|f| f.arguments.iter().any(|a| a.ty.inner_named_type().as_str() == AWSJSON))
            })
            || schema.types.values().filter_map(|t| t.as_interface()).any(|i| {
                i.fields
                    .values()
                    .any(|f| f.arguments.iter().any(|a| a.ty.inner_named_type().as_str() == AWSJSON))
            });
        Self { any, holders }
    }

    fn involves(&self, ty: &Type) -> bool {
        let named = ty.inner_named_type().as_str();
        named == AWSJSON || self.holders.contains(named)
    }

    /// Replaces, in `arguments` (the field's coerced arguments), the text of every `AWSJSON`
    /// value with the JSON it holds.
    pub(crate) fn parse(&self, schema: &Schema, field: &FieldDefinition, arguments: &mut Map<String, Value>) {
        if !self.any || arguments.is_empty() {
            return;
        }
        for definition in &field.arguments {
            if self.involves(&definition.ty)
                && let Some(value) = arguments.get_mut(definition.name.as_str())
            {
                self.parse_value(schema, &definition.ty, value);
            }
        }
    }

    fn parse_value(&self, schema: &Schema, ty: &Type, value: &mut Value) {
        match value {
            Value::Null => {}
            Value::Array(items) if ty.is_list() => {
                for item in items {
                    self.parse_value(schema, ty.item_type(), item);
                }
            }
            _ if ty.inner_named_type().as_str() == AWSJSON => {
                // Validation let only JSON text through; anything else is left as it came.
                if let Value::String(text) = value
                    && let Ok(parsed) = serde_json::from_str::<Value>(text)
                {
                    *value = parsed;
                }
            }
            Value::Object(fields) => {
                let Some(input) = schema.get_input_object(ty.inner_named_type().as_str()) else { return };
                for (name, definition) in &input.fields {
                    if self.involves(&definition.ty)
                        && let Some(field) = fields.get_mut(name.as_str())
                    {
                        self.parse_value(schema, &definition.ty, field);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn awsjson_text_is_parsed_at_any_depth() {
        let sdl = "scalar AWSJSON
            input Inner { meta: AWSJSON  name: String }
            input Outer { inner: Inner  list: [AWSJSON] }
            type Query { f(x: AWSJSON, o: Outer, s: String, xs: [AWSJSON]): String }";
        let schema = Schema::parse_and_validate(sdl, "s.graphql").expect("schema");
        let inputs = JsonInputs::from_schema(&schema);
        assert!(inputs.holders.contains("Inner") && inputs.holders.contains("Outer"));
        let field = schema.type_field("Query", "f").expect("field");
        let mut arguments = json!({
            "x": "{\"a\":[1,2]}",
            "o": {"inner": {"meta": "true", "name": "{}"}, "list": ["1", "\"s\"", null]},
            "s": "{}",
            "xs": ["null", "[]"],
        });
        let Value::Object(map) = &mut arguments else { unreachable!() };
        inputs.parse(&schema, field, map);
        assert_eq!(
            arguments,
            json!({
                "x": {"a": [1, 2]},
                "o": {"inner": {"meta": true, "name": "{}"}, "list": [1, "s", null]},
                "s": "{}",
                "xs": [null, []],
            })
        );
    }
}
