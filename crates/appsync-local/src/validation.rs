//! Validating a request as AppSync does: apollo-compiler's diagnostics in graphql-java's words
//! (AppSync validates with graphql-java, so its messages read `Validation error of type
//! FieldUndefined: Field 'x' in type 'Query' is undefined @ 'x'`), and AppSync's own checks of
//! variables and literals. The response bodies themselves are built by [`crate::response`].

use apollo_compiler::ast;
use apollo_compiler::diagnostic::ToCliReport;
use apollo_compiler::executable::{self, Selection};
use apollo_compiler::parser::LineColumn;
use apollo_compiler::response::JsonValue as BValue;
use apollo_compiler::schema::{ExtendedType, Type};
use apollo_compiler::validation::{DiagnosticList, Valid};
use apollo_compiler::{ExecutableDocument, Schema};
use serde_json::{Map, Value};

use crate::response::{error_json, errors_response, plain_error};
use crate::scalars;

/// The operation a request names (or the only one), else the response AppSync gives when there
/// is none to run. Shared by HTTP execution and real-time `start`.
pub(crate) fn select_operation<'d>(
    document: &'d ExecutableDocument,
    name: Option<&str>,
) -> Result<&'d apollo_compiler::Node<executable::Operation>, BValue> {
    document.operations.get(name).map_err(|_| {
        let message = match name {
            Some(name) => format!("Unknown operation named '{name}'."),
            None => "Must provide operation name if query contains multiple operations.".to_owned(),
        };
        plain_error(&message, Vec::new())
    })
}

/// A field as written in the query, for naming paths and parent types in messages.
struct FieldSite {
    start: usize,
    end: usize,
    path: String,
    name: String,
    output_type: Option<String>,
}

fn collect_sites(schema: &Schema, query: &str) -> Vec<FieldSite> {
    let Ok(doc) = ast::Document::parse(query, "request.graphql") else {
        return Vec::new();
    };
    let mut sites = Vec::new();
    for def in &doc.definitions {
        match def {
            ast::Definition::OperationDefinition(op) => {
                // An operation on a root type the schema lacks has no fields to name.
                let Some(root) = schema.root_operation(op.operation_type) else { continue };
                walk_ast(schema, &op.selection_set, root.as_str(), "", &mut sites);
            }
            ast::Definition::FragmentDefinition(f) => {
                walk_ast(schema, &f.selection_set, f.type_condition.as_str(), "", &mut sites);
            }
            _ => {}
        }
    }
    sites
}

fn walk_ast(schema: &Schema, set: &[ast::Selection], parent: &str, prefix: &str, out: &mut Vec<FieldSite>) {
    for selection in set {
        match selection {
            ast::Selection::Field(f) => {
                let path =
                    if prefix.is_empty() { f.name.to_string() } else { format!("{prefix}/{}", f.name) };
                let output_type = schema
                    .type_field(parent, f.name.as_str())
                    .ok()
                    .map(|d| d.ty.inner_named_type().to_string());
                if let Some(loc) = f.location() {
                    out.push(FieldSite {
                        start: loc.offset(),
                        end: loc.end_offset(),
                        path: path.clone(),
                        name: f.name.to_string(),
                        output_type: output_type.clone(),
                    });
                }
                if let Some(ty) = &output_type {
                    walk_ast(schema, &f.selection_set, ty, &path, out);
                }
            }
            ast::Selection::InlineFragment(i) => {
                let ty = i.type_condition.as_ref().map_or(parent.to_owned(), |t| t.to_string());
                walk_ast(schema, &i.selection_set, &ty, prefix, out);
            }
            ast::Selection::FragmentSpread(_) => {}
        }
    }
}

/// The innermost field whose source span holds `offset`.
fn site_at(sites: &[FieldSite], offset: usize) -> Option<&FieldSite> {
    sites
        .iter()
        .filter(|s| s.start <= offset && offset < s.end.max(s.start + 1))
        .min_by_key(|s| s.end - s.start)
}

/// Names quoted with backticks in an apollo-compiler message, in order.
fn ticked(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).collect()
}

fn graphql_java(kind: &str, description: &str, path: Option<&str>) -> String {
    match path {
        Some(p) if !p.is_empty() => format!("Validation error of type {kind}: {description} @ '{p}'"),
        _ => format!("Validation error of type {kind}: {description}"),
    }
}

/// The response for a document that did not parse or validate.
pub(crate) fn response_for(schema: &Schema, diagnostics: &DiagnosticList, query: &str) -> BValue {
    // Re-parsing as a plain AST is cheap and happens only on this error path.
    let sites = collect_sites(schema, query);
    // AppSync's parser stops at the first syntax error and reports it once; apollo's recovers
    // and may report the same error at several places (an unclosed selection set at EOF).
    let has_syntax_error = diagnostics.iter().any(|d| d.error.unstable_error_name().is_none());
    let errors = diagnostics
        .iter()
        .filter(|d| !has_syntax_error || d.error.unstable_error_name().is_none())
        .take(if has_syntax_error { 1 } else { usize::MAX })
        .map(|d| {
            let display = d.error.to_string();
            let locations: Vec<LineColumn> = d.line_column_range().map(|r| r.start).into_iter().collect();
            let message = match d.error.unstable_error_name() {
                None => {
                    let at = locations
                        .first()
                        .map(|l| format!(" at line {} column {}", l.line, l.column))
                        // Without a location the message just has no position.
                        .unwrap_or_default();
                    format!("Invalid Syntax : {display}{at}")
                }
                Some(name) => {
                    let site = d.error.location().and_then(|l| site_at(&sites, l.offset()));
                    describe(name, &display, site)
                }
            };
            error_json(&message, &locations)
        })
        .collect();
    errors_response(errors)
}

fn describe(name: &str, display: &str, site: Option<&FieldSite>) -> String {
    let ticks = ticked(display);
    let t = |i: usize| ticks.get(i).copied().unwrap_or("");
    let path = site.map(|s| s.path.as_str());
    match name {
        "UndefinedField" => {
            graphql_java("FieldUndefined", &format!("Field '{}' in type '{}' is undefined", t(1), t(0)), path)
        }
        "UndefinedArgument" => {
            graphql_java("UnknownArgument", &format!("Unknown field argument {}", t(0)), path)
        }
        "RequiredArgument" => {
            let arg = t(0).rsplit(['(', ':', ')']).find(|s| !s.is_empty()).unwrap_or("");
            graphql_java("MissingFieldArgument", &format!("Missing field argument {arg}"), path)
        }
        "UndefinedDefinition" => graphql_java("UnknownType", &format!("Unknown type {}", t(0)), path),
        "UndefinedDirective" => graphql_java(
            "UnknownDirective",
            &format!("Unknown directive {}", t(0).trim_start_matches('@')),
            path,
        ),
        "UndefinedVariable" => graphql_java(
            "UndefinedVariable",
            &format!("Undefined variable {}", t(0).trim_start_matches('$')),
            path,
        ),
        "UnusedVariable" => {
            graphql_java("UnusedVariable", &format!("Unused variable {}", t(0).trim_start_matches('$')), path)
        }
        "UndefinedFragment" => {
            graphql_java("UndefinedFragment", &format!("Undefined fragment {}", t(0)), path)
        }
        "UnusedFragment" => graphql_java("UnusedFragment", &format!("Unused fragment {}", t(0)), path),
        "MissingSubselection" => {
            let (ty, field) =
                site.map_or(("", ""), |s| (s.output_type.as_deref().unwrap_or(""), s.name.as_str()));
            graphql_java(
                "SubSelectionRequired",
                &format!("Sub selection required for type {ty} of field {field}"),
                path,
            )
        }
        "SubselectionOnScalarType" | "SubselectionOnEnumType" => {
            let field = site.map_or("", |s| s.name.as_str());
            graphql_java(
                "SubSelectionNotAllowed",
                &format!("Sub selection not allowed on leaf type {} of field {field}", t(0)),
                path,
            )
        }
        "UnsupportedValueType"
        | "IntCoercionError"
        | "FloatCoercionError"
        | "UndefinedEnumValue"
        | "UndefinedInputValue"
        | "RequiredField" => graphql_java("WrongType", display, path),
        "DisallowedVariableUsage" => graphql_java(
            "VariableTypeMismatch",
            &format!("Variable type '{}' doesn't match expected type '{}'", t(1), t(3)),
            path,
        ),
        "ConflictingFieldType" | "ConflictingFieldName" | "ConflictingFieldArgument" => {
            graphql_java("FieldsConflict", display, path)
        }
        "OperationNameCollision" => graphql_java("DuplicateOperationName", display, None),
        "AmbiguousAnonymousOperation" => graphql_java("LoneAnonymousOperationViolation", display, None),
        "UndefinedRootOperation" => {
            let kind = match t(0) {
                "mutation" => "MutationOperationNotSupported",
                "subscription" => "SubscriptionOperationNotSupported",
                _ => "UnknownOperation",
            };
            graphql_java(kind, display, None)
        }
        "SubscriptionUsesMultipleFields" => graphql_java("SubscriptionMultipleRootFields", display, None),
        "RecursiveFragmentDefinition" => graphql_java("FragmentCycle", display, path),
        "InvalidFragmentSpread" => graphql_java("InvalidFragmentType", display, path),
        _ => graphql_java("InvalidSyntax", display, path),
    }
}

/// AppSync's own checks on variables, before generic coercion: required variables and the
/// AppSync scalars' formats.
pub(crate) fn check_variables(
    schema: &Valid<Schema>,
    document: &Valid<ExecutableDocument>,
    operation: &executable::Operation,
    variables: &Map<String, Value>,
) -> Option<BValue> {
    for var in &operation.variables {
        let name = var.name.as_str();
        let value = variables.get(name);
        // Worked out only for an error: most requests have none.
        let locations = || -> Vec<LineColumn> {
            var.location().and_then(|l| l.line_column(&document.sources)).into_iter().collect()
        };
        if var.ty.is_non_null() && var.default_value.is_none() && value.is_none_or(Value::is_null) {
            return Some(plain_error(
                &format!("Variable '{name}' has coerced Null value for NonNull type '{}'", var.ty),
                locations(),
            ));
        }
        if let Some(v) = value
            && let Some((scalar, bad)) = bad_scalar(schema, &var.ty, v)
        {
            // AWS's words (amplify-flutter #822: ``Variable 'phone' has an invalid value. Unable to
            // parse `1110004444` as a valid phone number.``): the value bare, in backticks.
            return Some(plain_error(
                &format!(
                    "Variable '{name}' has an invalid value. Unable to parse `{bad}` as a valid {}.",
                    scalar_words(&scalar)
                ),
                locations(),
            ));
        }
    }
    None
}

/// How AppSync names a scalar in a variable error. Only "phone number" (AWSPhone) is captured
/// (amplify-flutter #822); for the other scalars no capture exists, so the pattern is kept
/// with plain words for each.
fn scalar_words(scalar: &str) -> &str {
    match scalar {
        "AWSPhone" => "phone number",
        "AWSEmail" => "email address",
        "AWSDate" => "date",
        "AWSTime" => "time",
        "AWSDateTime" => "date time",
        "AWSTimestamp" => "timestamp",
        "AWSJSON" => "JSON",
        "AWSURL" => "URL",
        "AWSIPAddress" => "IP address",
        other => other,
    }
}

/// The first AppSync-scalar value in `v` that its scalar rejects: (scalar, the value as text:
/// a string bare, anything else as JSON).
fn bad_scalar(schema: &Schema, ty: &Type, v: &Value) -> Option<(String, String)> {
    if v.is_null() {
        return None;
    }
    if ty.is_list() {
        let item = ty.item_type();
        return match v {
            Value::Array(items) => items.iter().find_map(|i| bad_scalar(schema, item, i)),
            other => bad_scalar(schema, item, other),
        };
    }
    let named = ty.inner_named_type();
    match schema.types.get(named)? {
        ExtendedType::Scalar(_) => {
            let text = |v: &Value| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (scalars::check(named.as_str(), v) == Some(false)).then(|| (named.to_string(), text(v)))
        }
        ExtendedType::InputObject(input) => {
            let Value::Object(fields) = v else { return None };
            input.fields.iter().find_map(|(fname, fdef)| {
                fields.get(fname.as_str()).and_then(|fv| bad_scalar(schema, &fdef.ty, fv))
            })
        }
        _ => None,
    }
}

/// AppSync-scalar literals written in the query itself, checked as graphql-java does
/// (`WrongType`).
pub(crate) fn check_literals(
    schema: &Valid<Schema>,
    document: &Valid<ExecutableDocument>,
    operation: &executable::Operation,
) -> Option<BValue> {
    let mut seen = Vec::new();
    literal_walk(schema, document, &operation.selection_set, "", &mut seen)
}

fn literal_walk<'a>(
    schema: &Schema,
    document: &'a ExecutableDocument,
    set: &'a executable::SelectionSet,
    prefix: &str,
    seen: &mut Vec<&'a str>,
) -> Option<BValue> {
    for selection in &set.selections {
        match selection {
            Selection::Field(f) => {
                let path =
                    if prefix.is_empty() { f.name.to_string() } else { format!("{prefix}/{}", f.name) };
                for arg in &f.arguments {
                    let Some(def) = f.definition.argument_by_name(arg.name.as_str()) else {
                        continue;
                    };
                    if let Some(scalar) = bad_literal(schema, &def.ty, &arg.value) {
                        let locations: Vec<LineColumn> = arg
                            .location()
                            .and_then(|l| l.line_column(&document.sources))
                            .into_iter()
                            .collect();
                        let description = format!(
                            "argument '{}' with value '{}' is not a valid '{scalar}'",
                            arg.name,
                            java_value(&arg.value)
                        );
                        return Some(plain_error(
                            &graphql_java("WrongType", &description, Some(&path)),
                            locations,
                        ));
                    }
                }
                if let Some(found) = literal_walk(schema, document, &f.selection_set, &path, seen) {
                    return Some(found);
                }
            }
            Selection::InlineFragment(i) => {
                if let Some(found) = literal_walk(schema, document, &i.selection_set, prefix, seen) {
                    return Some(found);
                }
            }
            Selection::FragmentSpread(s) => {
                let name = s.fragment_name.as_str();
                if seen.contains(&name) {
                    continue;
                }
                seen.push(name);
                if let Some(fragment) = document.fragments.get(&s.fragment_name)
                    && let Some(found) = literal_walk(schema, document, &fragment.selection_set, prefix, seen)
                {
                    return Some(found);
                }
            }
        }
    }
    None
}

fn bad_literal(schema: &Schema, ty: &Type, value: &ast::Value) -> Option<String> {
    match value {
        ast::Value::Variable(_) | ast::Value::Null => return None,
        ast::Value::List(items) if ty.is_list() => {
            return items.iter().find_map(|i| bad_literal(schema, ty.item_type(), i));
        }
        _ => {}
    }
    let named = ty.inner_named_type();
    match schema.types.get(named)? {
        ExtendedType::Scalar(_) => {
            let json = match value {
                ast::Value::String(s) => Value::String(s.clone()),
                ast::Value::Int(i) => i
                    .try_to_i32()
                    .map(Value::from)
                    .or_else(|_| i.as_str().parse::<i64>().map(Value::from))
                    .unwrap_or(Value::Null),
                ast::Value::Float(f) => f
                    .try_to_f64()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number),
                ast::Value::Boolean(b) => Value::Bool(*b),
                // Objects, lists and enums are never valid AppSync scalar literals.
                _ => Value::Null,
            };
            (scalars::check(named.as_str(), &json) == Some(false)).then(|| named.to_string())
        }
        ExtendedType::InputObject(input) => {
            let ast::Value::Object(fields) = value else { return None };
            fields.iter().find_map(|(fname, fvalue)| {
                input.fields.get(fname).and_then(|fdef| bad_literal(schema, &fdef.ty, fvalue))
            })
        }
        _ => None,
    }
}

/// graphql-java's `toString` of a literal, which AppSync quotes in `WrongType` messages.
fn java_value(v: &ast::Value) -> String {
    match v {
        ast::Value::Null => "NullValue{}".to_owned(),
        ast::Value::Enum(e) => format!("EnumValue{{name='{e}'}}"),
        ast::Value::Variable(n) => format!("VariableReference{{name='{n}'}}"),
        ast::Value::String(s) => format!("StringValue{{value='{s}'}}"),
        ast::Value::Float(f) => format!("FloatValue{{value={}}}", f.as_str()),
        ast::Value::Int(i) => format!("IntValue{{value={}}}", i.as_str()),
        ast::Value::Boolean(b) => format!("BooleanValue{{value={b}}}"),
        ast::Value::List(items) => format!(
            "ArrayValue{{values=[{}]}}",
            items.iter().map(|i| java_value(i)).collect::<Vec<_>>().join(", ")
        ),
        ast::Value::Object(fields) => format!(
            "ObjectValue{{objectFields=[{}]}}",
            fields
                .iter()
                .map(|(k, v)| format!("ObjectField{{name='{k}', value={}}}", java_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
