//! Authorization: which auth modes (and Cognito groups) may read a field, from AppSync's auth
//! directives (`@aws_api_key`, `@aws_iam`, `@aws_cognito_user_pools`, `@aws_auth`, `@aws_oidc`,
//! `@aws_lambda`), and the check made for every field a caller selects.

use apollo_compiler::Schema;
use apollo_compiler::ast;
use apollo_compiler::schema::ExtendedType;
use rustc_hash::FxHashMap;

use super::{AuthMode, Identity};

/// One auth directive found on a type or field.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AuthRule {
    mode: AuthMode,
    /// `cognito_groups` of `@aws_cognito_user_pools`/`@aws_auth`; `None` means any group.
    groups: Option<Vec<String>>,
}

/// A field's rules, folded for the check made on every field a caller selects.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct FieldRule {
    /// The modes admitted whatever the caller's groups, one bit each ([`mode_bit`]).
    modes: u8,
    /// The `cognito_groups` lists of the Cognito rules that name some: a Cognito caller in any
    /// group of any list is admitted.
    groups: Vec<Vec<String>>,
}

impl FieldRule {
    fn from_rules(rules: &[AuthRule]) -> Self {
        let mut folded = Self::default();
        for rule in rules {
            match (&rule.groups, rule.mode) {
                (Some(groups), AuthMode::CognitoUserPools) => folded.groups.push(groups.clone()),
                _ => folded.modes |= mode_bit(rule.mode),
            }
        }
        folded
    }
}

fn mode_bit(mode: AuthMode) -> u8 {
    match mode {
        AuthMode::ApiKey => 1,
        AuthMode::Iam => 2,
        AuthMode::CognitoUserPools => 4,
        AuthMode::Oidc => 8,
        AuthMode::Lambda => 16,
    }
}

/// The auth rules of every field that has some, read once from the schema.
#[derive(Debug, Default)]
pub(crate) struct FieldRules {
    /// Type -> field -> the rules that apply; absent means "default mode only". Nested maps so
    /// that the per-field lookup on the hot path allocates nothing, with a fast hasher: the keys
    /// are the schema's own names, hashed twice for every field a request selects.
    rules: FxHashMap<String, FxHashMap<String, FieldRule>>,
}

impl FieldRules {
    pub(crate) fn from_schema(schema: &Schema) -> Self {
        let rules = collect(schema)
            .into_iter()
            .map(|(type_name, fields)| {
                let fields =
                    fields.into_iter().map(|(f, rules)| (f, FieldRule::from_rules(&rules))).collect();
                (type_name, fields)
            })
            .collect();
        Self { rules }
    }

    /// The auth rules for a field: the field's own directives, else its type's, else none.
    fn get(&self, type_name: &str, field_name: &str) -> Option<&FieldRule> {
        self.rules.get(type_name)?.get(field_name)
    }

    /// Whether `identity` may read `type_name.field_name` in an API whose default mode is
    /// `default_mode`.
    pub(crate) fn allows(
        &self,
        type_name: &str,
        field_name: &str,
        identity: &Identity,
        default_mode: AuthMode,
    ) -> bool {
        field_allowed(type_name, field_name, self.get(type_name, field_name), identity, default_mode)
    }
}

fn rules_from(directives: &ast::DirectiveList) -> Vec<AuthRule> {
    let mut rules = Vec::new();
    for directive in directives {
        let mode = match directive.name.as_str() {
            "aws_api_key" => AuthMode::ApiKey,
            "aws_iam" => AuthMode::Iam,
            "aws_cognito_user_pools" | "aws_auth" => AuthMode::CognitoUserPools,
            "aws_oidc" => AuthMode::Oidc,
            "aws_lambda" => AuthMode::Lambda,
            _ => continue,
        };
        let groups = directive.specified_argument_by_name("cognito_groups").and_then(|v| match v.as_ref() {
            ast::Value::List(items) => {
                Some(items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect())
            }
            _ => None,
        });
        rules.push(AuthRule { mode, groups });
    }
    rules
}

fn collect(schema: &Schema) -> FxHashMap<String, FxHashMap<String, Vec<AuthRule>>> {
    let mut out: FxHashMap<String, FxHashMap<String, Vec<AuthRule>>> = FxHashMap::default();
    for (type_name, ty) in &schema.types {
        let (type_directives, fields) = match ty {
            ExtendedType::Object(o) => (&o.directives, &o.fields),
            ExtendedType::Interface(i) => (&i.directives, &i.fields),
            _ => continue,
        };
        let type_directives: ast::DirectiveList = type_directives.iter().map(|d| d.node.clone()).collect();
        let type_rules = rules_from(&type_directives);
        for (field_name, field) in fields {
            let field_rules = rules_from(&field.directives);
            let rules = if field_rules.is_empty() { type_rules.clone() } else { field_rules };
            if !rules.is_empty() {
                out.entry(type_name.to_string()).or_default().insert(field_name.to_string(), rules);
            }
        }
    }
    out
}

/// AppSync's directive rule: a field with rules admits exactly those modes (and Cognito groups);
/// a field without admits only the default mode.
fn field_allowed(
    type_name: &str,
    field_name: &str,
    rule: Option<&FieldRule>,
    identity: &Identity,
    default_mode: AuthMode,
) -> bool {
    let denied = identity
        .denied_fields
        .iter()
        .any(|d| d.split_once('.').is_some_and(|(t, f)| t == type_name && f == field_name));
    if denied {
        return false;
    }
    match rule {
        None => identity.mode == default_mode,
        Some(rule) => {
            rule.modes & mode_bit(identity.mode) != 0
                || (identity.mode == AuthMode::CognitoUserPools
                    && rule.groups.iter().flatten().any(|g| identity.groups.contains(g)))
        }
    }
}
