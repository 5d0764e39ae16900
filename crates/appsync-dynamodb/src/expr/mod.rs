//! DynamoDB expressions: parsed (`parse`), bound to their `#names` and `:values` and checked
//! (`bind`), evaluated against an item (`eval`) and applied as updates (`update`).

mod bind;
mod eval;
mod parse;
mod update;

pub(crate) use bind::{Bindings, bind_condition, bind_projection, bind_update};
pub(crate) use eval::{evaluate, project};
pub(crate) use parse::{CmpOp, ExprKind, parse_condition, parse_projection, parse_update};
pub(crate) use update::apply_update;

use crate::value::AttributeValue;

/// One step of a document path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Step {
    Name(String),
    Index(usize),
}

/// A document path (`a.b[2].c`) with its names substituted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Path(pub(crate) Vec<Step>);

impl Path {
    /// The top-level attribute name.
    pub(crate) fn top(&self) -> &str {
        match self.0.first() {
            Some(Step::Name(n)) => n,
            _ => "",
        }
    }

    /// DynamoDB's rendering in overlap errors: `[a, b, [2]]`.
    pub(crate) fn render(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|s| match s {
                Step::Name(n) => n.clone(),
                Step::Index(i) => format!("[{i}]"),
            })
            .collect();
        format!("[{}]", parts.join(", "))
    }
}

/// An operand of a condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Path(Path),
    Const(AttributeValue),
    Size(Path),
}

/// A checked condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Condition {
    Compare(Operand, CmpOp, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    Exists(Path),
    NotExists(Path),
    Type(Path, Operand),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
}

/// An operand of an update's `SET`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SetOperand {
    Path(Path),
    Const(AttributeValue),
    IfNotExists(Path, Box<SetOperand>),
    ListAppend(Box<SetOperand>, Box<SetOperand>),
}

/// The value a `SET` action writes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SetValue {
    Operand(SetOperand),
    Plus(SetOperand, SetOperand),
    Minus(SetOperand, SetOperand),
}

/// One action of a checked update expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    Set(Path, SetValue),
    Remove(Path),
    Add(Path, AttributeValue),
    Delete(Path, AttributeValue),
}

impl Action {
    pub(crate) fn path(&self) -> &Path {
        match self {
            Self::Set(p, _) | Self::Remove(p) | Self::Add(p, _) | Self::Delete(p, _) => p,
        }
    }
}
