//! Binding a parsed expression to its `#names` and `:values`: substitution, DynamoDB's checks on
//! reserved words, functions and operand types, and its errors for undefined or unused
//! placeholders (counted over every expression of one request, as DynamoDB does).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use super::parse::{ClauseKind, CmpOp, ExprKind, RawAction, RawCond, RawElem, RawOperand};
use super::{Action, Condition, Operand, Path, SetOperand, SetValue, Step};
use crate::error::Error;
use crate::value::{AttributeValue, TypeName};

/// DynamoDB's reserved words (its developer guide, "Reserved words in DynamoDB"; 573 words).
fn reserved_words() -> &'static BTreeSet<&'static str> {
    static WORDS: OnceLock<BTreeSet<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| include_str!("reserved_words.txt").split_whitespace().collect())
}

fn is_reserved(name: &str) -> bool {
    reserved_words().contains(name.to_ascii_uppercase().as_str())
}

/// The `expressionNames` and `expressionValues` of one request, with what its expressions used.
#[derive(Debug, Default)]
pub(crate) struct Bindings {
    names: BTreeMap<String, String>,
    values: BTreeMap<String, AttributeValue>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

impl Bindings {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds one expression's names and values (AppSync gives each expression its own maps and
    /// merges them into the request's).
    pub(crate) fn extend(
        &mut self,
        names: &BTreeMap<String, String>,
        values: &BTreeMap<String, AttributeValue>,
    ) {
        self.names.extend(names.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.values.extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
    }

    fn name(&mut self, kind: ExprKind, raw: &str) -> Result<String, Error> {
        if raw.starts_with('#') {
            let Some(name) = self.names.get(raw) else {
                return Err(Error::validation(format!(
                    "Invalid {}: An expression attribute name used in the document path is not defined; attribute name: {raw}",
                    kind.label()
                )));
            };
            self.used_names.insert(raw.to_owned());
            Ok(name.clone())
        } else if is_reserved(raw) {
            Err(Error::validation(format!(
                "Invalid {}: Attribute name is a reserved keyword; reserved keyword: {raw}",
                kind.label()
            )))
        } else {
            Ok(raw.to_owned())
        }
    }

    fn value(&mut self, kind: ExprKind, raw: &str) -> Result<AttributeValue, Error> {
        let Some(value) = self.values.get(raw) else {
            return Err(Error::validation(format!(
                "Invalid {}: An expression attribute value used in expression is not defined; attribute value: {raw}",
                kind.label()
            )));
        };
        self.used_values.insert(raw.to_owned());
        Ok(value.clone())
    }

    fn path(&mut self, kind: ExprKind, raw: &[RawElem]) -> Result<Path, Error> {
        raw.iter()
            .map(|e| match e {
                RawElem::Name(n) => self.name(kind, n).map(Step::Name),
                RawElem::Index(i) => Ok(Step::Index(*i as usize)),
            })
            .collect::<Result<_, _>>()
            .map(Path)
    }

    /// Fails when a name or value was given and no expression used it.
    pub(crate) fn finish(&self) -> Result<(), Error> {
        let unused_names: Vec<&str> =
            self.names.keys().filter(|k| !self.used_names.contains(*k)).map(String::as_str).collect();
        if !unused_names.is_empty() {
            return Err(Error::validation(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                unused_names.join(", ")
            )));
        }
        let unused_values: Vec<&str> =
            self.values.keys().filter(|k| !self.used_values.contains(*k)).map(String::as_str).collect();
        if !unused_values.is_empty() {
            return Err(Error::validation(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                unused_values.join(", ")
            )));
        }
        Ok(())
    }
}

fn invalid(kind: ExprKind, detail: impl std::fmt::Display) -> Error {
    Error::validation(format!("Invalid {}: {detail}", kind.label()))
}

fn operand_count(kind: ExprKind, function: &str, args: &[RawOperand], expected: usize) -> Result<(), Error> {
    if args.len() == expected {
        Ok(())
    } else {
        Err(invalid(
            kind,
            format!(
                "Incorrect number of operands for operator or function; operator or function: {function}, number of operands: {}",
                args.len()
            ),
        ))
    }
}

fn require_path<'a>(kind: ExprKind, function: &str, arg: &'a RawOperand) -> Result<&'a [RawElem], Error> {
    match arg {
        RawOperand::Path(p) => Ok(p),
        _ => Err(invalid(
            kind,
            format!("Operator or function requires a document path; operator or function: {function}"),
        )),
    }
}

fn known_function(name: &str) -> bool {
    matches!(
        name,
        "attribute_exists"
            | "attribute_not_exists"
            | "attribute_type"
            | "begins_with"
            | "contains"
            | "size"
            | "if_not_exists"
            | "list_append"
    )
}

fn condition_operand(b: &mut Bindings, kind: ExprKind, raw: &RawOperand) -> Result<Operand, Error> {
    match raw {
        RawOperand::Path(p) => Ok(Operand::Path(b.path(kind, p)?)),
        RawOperand::Value(v) => Ok(Operand::Const(b.value(kind, v)?)),
        RawOperand::Call(name, args) if name == "size" => {
            operand_count(kind, name, args, 1)?;
            let path = require_path(kind, name, &args[0])?;
            Ok(Operand::Size(b.path(kind, path)?))
        }
        RawOperand::Call(name, _) if !known_function(name) => {
            Err(invalid(kind, format!("Invalid function name; function: {name}")))
        }
        RawOperand::Call(name, _) => Err(invalid(
            kind,
            format!("The function is not allowed to be used this way in an expression; function: {name}"),
        )),
        RawOperand::Plus(..) | RawOperand::Minus(..) => {
            let token = if matches!(raw, RawOperand::Plus(..)) { "+" } else { "-" };
            Err(invalid(kind, format!("Syntax error; token: \"{token}\", near: \"{token}\"")))
        }
    }
}

fn op_symbol(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}

/// Ordering comparisons take numbers, strings and binaries: a constant of another type is
/// refused before evaluation (an attribute of another type only makes the comparison false).
fn check_ordered(kind: ExprKind, operator: &str, operands: &[&Operand]) -> Result<(), Error> {
    for operand in operands {
        if let Operand::Const(v) = operand
            && !matches!(v, AttributeValue::N(_) | AttributeValue::S(_) | AttributeValue::B(_))
        {
            return Err(invalid(
                kind,
                format!(
                    "Incorrect operand type for operator or function; operator: {operator}, operand type: {}",
                    v.type_name().long_name()
                ),
            ));
        }
    }
    Ok(())
}

fn show(value: &AttributeValue) -> String {
    let json = value.to_json();
    let text = json.to_string().replace('"', "");
    format!("AttributeValue: {text}")
}

/// Binds a parsed condition (or filter, or key condition).
pub(crate) fn bind_condition(b: &mut Bindings, kind: ExprKind, raw: &RawCond) -> Result<Condition, Error> {
    Ok(match raw {
        RawCond::Cmp(l, op, r) => {
            let (l, r) = (condition_operand(b, kind, l)?, condition_operand(b, kind, r)?);
            if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                check_ordered(kind, op_symbol(*op), &[&l, &r])?;
            }
            Condition::Compare(l, *op, r)
        }
        RawCond::Between(x, lo, hi) => {
            let (x, lo, hi) = (
                condition_operand(b, kind, x)?,
                condition_operand(b, kind, lo)?,
                condition_operand(b, kind, hi)?,
            );
            check_ordered(kind, "BETWEEN", &[&x, &lo, &hi])?;
            if let (Operand::Const(l), Operand::Const(h)) = (&lo, &hi)
                && l.compare(h) == Some(std::cmp::Ordering::Greater)
            {
                return Err(invalid(
                    kind,
                    format!(
                        "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower operand: {}, upper operand: {}",
                        show(l),
                        show(h)
                    ),
                ));
            }
            Condition::Between(x, lo, hi)
        }
        RawCond::In(x, list) => Condition::In(
            condition_operand(b, kind, x)?,
            list.iter().map(|o| condition_operand(b, kind, o)).collect::<Result<_, _>>()?,
        ),
        RawCond::And(l, r) => {
            Condition::And(Box::new(bind_condition(b, kind, l)?), Box::new(bind_condition(b, kind, r)?))
        }
        RawCond::Or(l, r) => {
            Condition::Or(Box::new(bind_condition(b, kind, l)?), Box::new(bind_condition(b, kind, r)?))
        }
        RawCond::Not(c) => Condition::Not(Box::new(bind_condition(b, kind, c)?)),
        RawCond::Call(name, args) => match name.as_str() {
            "attribute_exists" | "attribute_not_exists" => {
                operand_count(kind, name, args, 1)?;
                let path = b.path(kind, require_path(kind, name, &args[0])?)?;
                if name == "attribute_exists" { Condition::Exists(path) } else { Condition::NotExists(path) }
            }
            "attribute_type" => {
                operand_count(kind, name, args, 2)?;
                let path = b.path(kind, require_path(kind, name, &args[0])?)?;
                let ty = condition_operand(b, kind, &args[1])?;
                if let Operand::Const(v) = &ty {
                    let valid = matches!(v, AttributeValue::S(s) if TypeName::parse(s).is_some());
                    if !valid {
                        let shown = match v {
                            AttributeValue::S(s) => s.clone(),
                            other => show(other),
                        };
                        return Err(invalid(
                            kind,
                            format!(
                                "Invalid attribute type name found; type: {shown}, valid types: {{ B, NULL, SS, BOOL, L, BS, N, NS, S, M }}"
                            ),
                        ));
                    }
                }
                Condition::Type(path, ty)
            }
            "begins_with" | "contains" => {
                operand_count(kind, name, args, 2)?;
                let (a, c) = (condition_operand(b, kind, &args[0])?, condition_operand(b, kind, &args[1])?);
                if name == "begins_with" {
                    for operand in [&a, &c] {
                        if let Operand::Const(v) = operand
                            && !matches!(v, AttributeValue::S(_) | AttributeValue::B(_))
                        {
                            return Err(invalid(
                                kind,
                                format!(
                                    "Incorrect operand type for operator or function; operator or function: begins_with, operand type: {}",
                                    v.type_code()
                                ),
                            ));
                        }
                    }
                    Condition::BeginsWith(a, c)
                } else {
                    Condition::Contains(a, c)
                }
            }
            other if known_function(other) => {
                return Err(invalid(
                    kind,
                    format!(
                        "The function is not allowed to be used this way in an expression; function: {other}"
                    ),
                ));
            }
            other => return Err(invalid(kind, format!("Invalid function name; function: {other}"))),
        },
    })
}

fn set_operand(b: &mut Bindings, raw: &RawOperand) -> Result<SetOperand, Error> {
    let kind = ExprKind::Update;
    match raw {
        RawOperand::Path(p) => Ok(SetOperand::Path(b.path(kind, p)?)),
        RawOperand::Value(v) => Ok(SetOperand::Const(b.value(kind, v)?)),
        RawOperand::Call(name, args) if name == "if_not_exists" => {
            operand_count(kind, name, args, 2)?;
            let path = b.path(kind, require_path(kind, name, &args[0])?)?;
            Ok(SetOperand::IfNotExists(path, Box::new(set_operand(b, &args[1])?)))
        }
        RawOperand::Call(name, args) if name == "list_append" => {
            operand_count(kind, name, args, 2)?;
            let (first, second) = (set_operand(b, &args[0])?, set_operand(b, &args[1])?);
            for operand in [&first, &second] {
                if let SetOperand::Const(v) = operand
                    && !matches!(v, AttributeValue::L(_))
                {
                    return Err(invalid(
                        kind,
                        format!(
                            "Incorrect operand type for operator or function; operator or function: list_append, operand type: {}",
                            v.type_code()
                        ),
                    ));
                }
            }
            Ok(SetOperand::ListAppend(Box::new(first), Box::new(second)))
        }
        RawOperand::Call(name, _) if known_function(name) => Err(invalid(
            kind,
            format!("The function is not allowed in an update expression; function: {name}"),
        )),
        RawOperand::Call(name, _) => Err(invalid(kind, format!("Invalid function name; function: {name}"))),
        RawOperand::Plus(..) | RawOperand::Minus(..) => {
            Err(invalid(kind, "Syntax error; token: \"+\", near: \"+\""))
        }
    }
}

fn set_value(b: &mut Bindings, raw: &RawOperand) -> Result<SetValue, Error> {
    Ok(match raw {
        RawOperand::Plus(l, r) => SetValue::Plus(set_operand(b, l)?, set_operand(b, r)?),
        RawOperand::Minus(l, r) => SetValue::Minus(set_operand(b, l)?, set_operand(b, r)?),
        other => SetValue::Operand(set_operand(b, other)?),
    })
}

/// Binds a parsed update expression and checks its paths do not overlap.
pub(crate) fn bind_update(b: &mut Bindings, raw: &[RawAction]) -> Result<Vec<Action>, Error> {
    let kind = ExprKind::Update;
    let mut actions = Vec::with_capacity(raw.len());
    for a in raw {
        let path = b.path(kind, &a.path)?;
        let action = match (a.kind, &a.value) {
            (ClauseKind::Set, Some(v)) => Action::Set(path, set_value(b, v)?),
            (ClauseKind::Remove, _) => Action::Remove(path),
            (ClauseKind::Add | ClauseKind::Delete, Some(v)) => {
                let RawOperand::Value(placeholder) = v else {
                    return Err(invalid(kind, "Syntax error; token: \"(\", near: \"(\""));
                };
                let value = b.value(kind, placeholder)?;
                let is_add = a.kind == ClauseKind::Add;
                let allowed = if is_add {
                    matches!(
                        value,
                        AttributeValue::N(_)
                            | AttributeValue::Ss(_)
                            | AttributeValue::Ns(_)
                            | AttributeValue::Bs(_)
                    )
                } else {
                    matches!(value, AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_))
                };
                if !allowed {
                    let op = a.kind.keyword();
                    return Err(invalid(
                        kind,
                        format!(
                            "Incorrect operand type for operator or function; operator: {op}, operand type: {}, typeSet: ALLOWED_FOR_{op}_OPERAND",
                            value.type_name().long_name()
                        ),
                    ));
                }
                if is_add { Action::Add(path, value) } else { Action::Delete(path, value) }
            }
            _ => return Err(invalid(kind, "Syntax error; token: \"<EOF>\", near: \"\"")),
        };
        actions.push(action);
    }
    for (i, a) in actions.iter().enumerate() {
        for other in &actions[i + 1..] {
            check_overlap(a.path(), other.path())?;
        }
    }
    Ok(actions)
}

fn check_overlap(one: &Path, two: &Path) -> Result<(), Error> {
    for (a, b) in one.0.iter().zip(&two.0) {
        match (a, b) {
            (Step::Name(x), Step::Name(y)) if x != y => return Ok(()),
            (Step::Index(x), Step::Index(y)) if x != y => return Ok(()),
            (Step::Name(_), Step::Index(_)) | (Step::Index(_), Step::Name(_)) => {
                return Err(invalid(
                    ExprKind::Update,
                    format!(
                        "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                        one.render(),
                        two.render()
                    ),
                ));
            }
            _ => {}
        }
    }
    Err(invalid(
        ExprKind::Update,
        format!(
            "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
            one.render(),
            two.render()
        ),
    ))
}

/// Binds a parsed projection expression.
pub(crate) fn bind_projection(b: &mut Bindings, raw: &[Vec<RawElem>]) -> Result<Vec<Path>, Error> {
    raw.iter().map(|p| b.path(ExprKind::Projection, p)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::parse::{parse_condition, parse_update};
    use super::*;

    fn bindings(names: &[(&str, &str)], values: &[(&str, AttributeValue)]) -> Bindings {
        let mut b = Bindings::new();
        b.extend(
            &names.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            &values.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect(),
        );
        b
    }

    #[test]
    fn names_values_and_their_errors() {
        let s = AttributeValue::S("x".into());
        let mut b = bindings(&[("#n", "name")], &[(":v", s.clone()), (":unused", s.clone())]);
        let raw = parse_condition(ExprKind::Condition, "#n = :v").unwrap();
        bind_condition(&mut b, ExprKind::Condition, &raw).unwrap();
        assert_eq!(
            b.finish().unwrap_err().to_string(),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
        );
        let mut b = bindings(&[], &[]);
        let raw = parse_condition(ExprKind::Condition, "name = :v").unwrap();
        assert_eq!(
            bind_condition(&mut b, ExprKind::Condition, &raw).unwrap_err().to_string(),
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name"
        );
        let raw = parse_condition(ExprKind::Condition, "#x = :v").unwrap();
        assert!(
            bind_condition(&mut b, ExprKind::Condition, &raw)
                .unwrap_err()
                .to_string()
                .contains("attribute name: #x")
        );
        let raw = parse_condition(ExprKind::Condition, "a = :nope").unwrap();
        assert!(
            bind_condition(&mut b, ExprKind::Condition, &raw)
                .unwrap_err()
                .to_string()
                .contains("attribute value: :nope")
        );
    }

    #[test]
    fn functions_are_checked() {
        let mut b =
            bindings(&[], &[(":t", AttributeValue::S("X".into())), (":n", AttributeValue::N(1.into()))]);
        let err = |b: &mut Bindings, text: &str| {
            let raw = parse_condition(ExprKind::Condition, text).unwrap();
            bind_condition(b, ExprKind::Condition, &raw).unwrap_err().to_string()
        };
        assert!(err(&mut b, "attribute_type(a, :t)").contains("Invalid attribute type name found; type: X"));
        assert!(err(&mut b, "foo(a)").contains("Invalid function name; function: foo"));
        assert!(err(&mut b, "size(a)").contains("not allowed to be used this way"));
        assert!(err(&mut b, "attribute_exists(a, b)").contains("number of operands: 2"));
        assert!(err(&mut b, "begins_with(a, :n)").contains("operand type: N"));
        let mut b = bindings(&[], &[(":b", AttributeValue::Bool(true))]);
        assert!(err(&mut b, "a < :b").contains("operator: <, operand type: BOOLEAN"));
    }

    #[test]
    fn update_paths_must_not_overlap() {
        let mut b = bindings(&[], &[(":v", AttributeValue::N(1.into()))]);
        let raw = parse_update("SET a = :v, a.b = :v").unwrap();
        assert!(
            bind_update(&mut b, &raw).unwrap_err().to_string().contains("path one: [a], path two: [a, b]")
        );
        let raw = parse_update("SET a.b = :v REMOVE a[0]").unwrap();
        assert!(bind_update(&mut b, &raw).unwrap_err().to_string().contains("conflict"));
        let raw = parse_update("SET a.b = :v REMOVE a.c ADD n :v").unwrap();
        assert_eq!(bind_update(&mut b, &raw).unwrap().len(), 3);
        let mut b = bindings(&[], &[(":s", AttributeValue::S("x".into()))]);
        let raw = parse_update("ADD n :s").unwrap();
        assert!(
            bind_update(&mut b, &raw)
                .unwrap_err()
                .to_string()
                .contains("operator: ADD, operand type: STRING")
        );
    }
}
