//! Loading AppSync-style SDL: AppSync's implied scalars and directives, and the mutations each
//! subscription listens to. The auth directives are read by [`FieldRules`].

use std::collections::{HashMap, HashSet};

use apollo_compiler::Schema;
use apollo_compiler::ast;
use apollo_compiler::validation::Valid;

use crate::auth::FieldRules;
use crate::error::{Error, Kind};
use crate::json_arguments::JsonInputs;

/// The scalars AppSync provides without the user declaring them.
pub(crate) const APPSYNC_SCALARS: [&str; 9] = [
    "AWSDate",
    "AWSTime",
    "AWSDateTime",
    "AWSTimestamp",
    "AWSEmail",
    "AWSJSON",
    "AWSPhone",
    "AWSURL",
    "AWSIPAddress",
];

/// Directive declarations AppSync implies. Locations are generous because AppSync itself
/// accepts these on more places than its documentation lists.
const APPSYNC_DIRECTIVES: [(&str, &str); 8] = [
    (
        "aws_api_key",
        "directive @aws_api_key on OBJECT | FIELD_DEFINITION | INTERFACE | UNION | ENUM | INPUT_OBJECT",
    ),
    ("aws_iam", "directive @aws_iam on OBJECT | FIELD_DEFINITION | INTERFACE | UNION | ENUM | INPUT_OBJECT"),
    (
        "aws_cognito_user_pools",
        "directive @aws_cognito_user_pools(cognito_groups: [String]) on OBJECT | FIELD_DEFINITION | INTERFACE | UNION | ENUM | INPUT_OBJECT",
    ),
    (
        "aws_oidc",
        "directive @aws_oidc on OBJECT | FIELD_DEFINITION | INTERFACE | UNION | ENUM | INPUT_OBJECT",
    ),
    (
        "aws_lambda",
        "directive @aws_lambda on OBJECT | FIELD_DEFINITION | INTERFACE | UNION | ENUM | INPUT_OBJECT",
    ),
    ("aws_auth", "directive @aws_auth(cognito_groups: [String]) on OBJECT | FIELD_DEFINITION"),
    ("aws_subscribe", "directive @aws_subscribe(mutations: [String]) on FIELD_DEFINITION"),
    ("aws_publish", "directive @aws_publish(subscriptions: [String]) on FIELD_DEFINITION"),
];

/// A validated schema plus what the emulator needs to know about AppSync directives.
#[derive(Debug)]
pub(crate) struct LoadedSchema {
    pub(crate) schema: Valid<Schema>,
    /// Who may read which field, from the auth directives.
    pub(crate) auth: FieldRules,
    /// Mutation field name -> subscription fields listening to it.
    pub(crate) subscribers: HashMap<String, Vec<String>>,
    /// Where `AWSJSON` occurs in inputs, so that resolvers get those arguments parsed.
    pub(crate) json_inputs: JsonInputs,
}

impl LoadedSchema {
    pub(crate) fn parse(sdl: &str, path: &str) -> Result<Self, Error> {
        let declared = declared_names(sdl, path)?;
        let mut prelude = String::new();
        for scalar in APPSYNC_SCALARS {
            if !declared.contains(scalar) {
                prelude.push_str("scalar ");
                prelude.push_str(scalar);
                prelude.push('\n');
            }
        }
        for (name, decl) in APPSYNC_DIRECTIVES {
            if !declared.contains(name) {
                prelude.push_str(decl);
                prelude.push('\n');
            }
        }
        if !declared.contains("defer") {
            prelude.push_str(crate::introspection::DEFER);
            prelude.push('\n');
        }
        // A separate source file keeps the user's line numbers intact in diagnostics.
        let schema = Schema::builder()
            .adopt_orphan_extensions()
            .parse(prelude, "appsync-builtins.graphql")
            .parse(sdl, path)
            .build()
            .map_err(|e| schema_error(&e.errors.to_string()))?
            .validate()
            .map_err(|e| schema_error(&e.errors.to_string()))?;
        // Validated with generous locations; shown to clients with AppSync's.
        let mut shown = schema.into_inner();
        crate::introspection::as_appsync_shows_it(&mut shown, &declared);
        // Only descriptions and directive locations changed, which no executable document can
        // break: the schema is as valid as it was a line ago.
        let schema = Valid::assume_valid(shown);
        if schema.schema_definition.query.is_none() {
            return Err(schema_error(
                "the schema has no query type (define `type Query` or a `schema { query: ... }` block)",
            ));
        }
        let auth = FieldRules::from_schema(&schema);
        let subscribers = collect_subscribers(&schema)?;
        let json_inputs = JsonInputs::from_schema(&schema);
        Ok(Self { schema, auth, subscribers, json_inputs })
    }
}

fn schema_error(message: &str) -> Error {
    Error::new(Kind::Schema, format!("invalid schema: {message}"))
}

fn declared_names(sdl: &str, path: &str) -> Result<HashSet<String>, Error> {
    let doc = ast::Document::parse(sdl, path).map_err(|e| schema_error(&e.errors.to_string()))?;
    let mut names = HashSet::new();
    for def in &doc.definitions {
        match def {
            ast::Definition::DirectiveDefinition(d) => {
                names.insert(d.name.to_string());
            }
            ast::Definition::ScalarTypeDefinition(d) => {
                names.insert(d.name.to_string());
            }
            _ => {}
        }
    }
    Ok(names)
}

/// Mutation -> subscription fields, from `@aws_subscribe(mutations: [...])`. As AppSync does at
/// schema update, a listed mutation must exist and return the subscription's type.
fn collect_subscribers(schema: &Schema) -> Result<HashMap<String, Vec<String>>, Error> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let Some(sub_root) = schema.schema_definition.subscription.as_ref() else {
        return Ok(out);
    };
    let Some(sub_type) = schema.get_object(sub_root.as_str()) else {
        return Ok(out);
    };
    let mutation_type =
        schema.schema_definition.mutation.as_ref().and_then(|m| schema.get_object(m.as_str()));
    for (field_name, field) in &sub_type.fields {
        for directive in field.directives.get_all("aws_subscribe") {
            if let Some(value) = directive.specified_argument_by_name("mutations")
                && let ast::Value::List(items) = value.as_ref()
            {
                for item in items {
                    let Some(mutation) = item.as_str() else { continue };
                    let Some(def) = mutation_type.and_then(|m| m.fields.get(mutation)) else {
                        return Err(schema_error(&format!(
                            "{sub_root}.{field_name} subscribes to mutation {mutation:?}, which the schema does not define"
                        )));
                    };
                    if def.ty.inner_named_type() != field.ty.inner_named_type() {
                        return Err(schema_error(&format!(
                            "{sub_root}.{field_name} returns {} but subscribes to mutation {mutation}, which returns {}",
                            field.ty.inner_named_type(),
                            def.ty.inner_named_type()
                        )));
                    }
                    out.entry(mutation.to_owned()).or_default().push(field_name.to_string());
                }
            }
        }
    }
    Ok(out)
}

/// The schema `appsync local` serves when no `--schema` is given.
pub const DEMO_SCHEMA: &str = include_str!("demo_schema.graphql");
