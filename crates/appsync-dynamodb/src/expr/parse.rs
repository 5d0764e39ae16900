//! DynamoDB's expression grammar, written with winnow: conditions (also filters and key
//! conditions), update expressions and projections, parsed into a raw tree whose `#names` and
//! `:values` are still placeholders.
//!
//! Precedence, loosest first: `OR`, `AND`, `NOT`, then comparisons, `BETWEEN`, `IN` and
//! function calls; parentheses group. Keywords are case-insensitive, function names are not.

use winnow::Result as PResult;
use winnow::ascii::{digit1, multispace0};
use winnow::combinator::{alt, delimited, eof, opt, preceded, repeat, separated, terminated};
use winnow::error::ContextError;
use winnow::prelude::*;
use winnow::token::{one_of, take_while};

use crate::error::Error;

/// One step of a document path before substitution.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawElem {
    /// A name, or a `#placeholder`.
    Name(String),
    /// `[n]`.
    Index(u32),
}

/// An operand before substitution.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawOperand {
    Path(Vec<RawElem>),
    /// A `:placeholder`.
    Value(String),
    /// `name(args)`: `size`, `if_not_exists`, `list_append`, or an unknown function.
    Call(String, Vec<RawOperand>),
    /// `a + b` (update expressions only).
    Plus(Box<RawOperand>, Box<RawOperand>),
    /// `a - b` (update expressions only).
    Minus(Box<RawOperand>, Box<RawOperand>),
}

/// A comparator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A condition before substitution.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawCond {
    Cmp(RawOperand, CmpOp, RawOperand),
    Between(RawOperand, RawOperand, RawOperand),
    In(RawOperand, Vec<RawOperand>),
    /// A function used as a condition (`attribute_exists(a)`...).
    Call(String, Vec<RawOperand>),
    And(Box<RawCond>, Box<RawCond>),
    Or(Box<RawCond>, Box<RawCond>),
    Not(Box<RawCond>),
}

/// The four clauses of an update expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClauseKind {
    Set,
    Remove,
    Add,
    Delete,
}

impl ClauseKind {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            Self::Set => "SET",
            Self::Remove => "REMOVE",
            Self::Add => "ADD",
            Self::Delete => "DELETE",
        }
    }
}

/// One action of an update clause: a path and, except for `REMOVE`, a value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawAction {
    pub(crate) kind: ClauseKind,
    pub(crate) path: Vec<RawElem>,
    pub(crate) value: Option<RawOperand>,
}

fn ws(input: &mut &str) -> PResult<()> {
    multispace0.void().parse_next(input)
}

fn identifier<'i>(input: &mut &'i str) -> PResult<&'i str> {
    preceded(
        ws,
        (
            one_of(|c: char| c.is_ascii_alphabetic() || c == '_'),
            take_while(0.., |c: char| c.is_ascii_alphanumeric() || c == '_'),
        )
            .take(),
    )
    .parse_next(input)
}

fn placeholder_body<'i>(input: &mut &'i str) -> PResult<&'i str> {
    take_while(1.., |c: char| c.is_ascii_alphanumeric() || c == '_').parse_next(input)
}

/// A case-insensitive keyword that is a whole word.
fn keyword<'i>(word: &'static str) -> impl Parser<&'i str, (), ContextError> {
    move |input: &mut &'i str| {
        let checkpoint = *input;
        let found = identifier.parse_next(input)?;
        if found.eq_ignore_ascii_case(word) {
            Ok(())
        } else {
            *input = checkpoint;
            Err(ContextError::new())
        }
    }
}

fn symbol<'i>(text: &'static str) -> impl Parser<&'i str, (), ContextError> {
    preceded(ws, text).void()
}

/// Words that end an operand and can never start a path.
const KEYWORDS: [&str; 9] = ["AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"];

fn name_elem(input: &mut &str) -> PResult<RawElem> {
    let checkpoint = *input;
    ws(input)?;
    if input.starts_with('#') {
        let name = ("#", placeholder_body).take().parse_next(input)?;
        return Ok(RawElem::Name(name.to_owned()));
    }
    let name = identifier.parse_next(input)?;
    if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(name)) {
        *input = checkpoint;
        return Err(ContextError::new());
    }
    Ok(RawElem::Name(name.to_owned()))
}

fn index(input: &mut &str) -> PResult<RawElem> {
    delimited(symbol("["), preceded(ws, digit1.try_map(str::parse::<u32>)), symbol("]"))
        .map(RawElem::Index)
        .parse_next(input)
}

fn path(input: &mut &str) -> PResult<Vec<RawElem>> {
    let first = name_elem.parse_next(input)?;
    let rest: Vec<Vec<RawElem>> =
        repeat(0.., alt((preceded(symbol("."), name_elem).map(|e| vec![e]), repeat(1.., index))))
            .parse_next(input)?;
    let mut out = vec![first];
    out.extend(rest.into_iter().flatten());
    Ok(out)
}

fn value(input: &mut &str) -> PResult<RawOperand> {
    preceded(ws, (":", placeholder_body).take())
        .map(|v: &str| RawOperand::Value(v.to_owned()))
        .parse_next(input)
}

fn call(input: &mut &str) -> PResult<(String, Vec<RawOperand>)> {
    let name = identifier.parse_next(input)?;
    let args =
        delimited(symbol("("), separated(0.., update_operand, symbol(",")), symbol(")")).parse_next(input)?;
    Ok((name.to_owned(), args))
}

fn operand(input: &mut &str) -> PResult<RawOperand> {
    alt((value, call.map(|(n, a)| RawOperand::Call(n, a)), path.map(RawOperand::Path))).parse_next(input)
}

/// An operand of an update's `SET`: `a + b`, `a - b`, or one operand.
fn update_operand(input: &mut &str) -> PResult<RawOperand> {
    let left = operand.parse_next(input)?;
    let rest = opt((alt((symbol("+").value(true), symbol("-").value(false))), operand)).parse_next(input)?;
    Ok(match rest {
        None => left,
        Some((true, right)) => RawOperand::Plus(Box::new(left), Box::new(right)),
        Some((false, right)) => RawOperand::Minus(Box::new(left), Box::new(right)),
    })
}

fn comparator(input: &mut &str) -> PResult<CmpOp> {
    preceded(
        ws,
        alt((
            "<>".value(CmpOp::Ne),
            "<=".value(CmpOp::Le),
            ">=".value(CmpOp::Ge),
            "=".value(CmpOp::Eq),
            "<".value(CmpOp::Lt),
            ">".value(CmpOp::Gt),
        )),
    )
    .parse_next(input)
}

fn comparison(input: &mut &str) -> PResult<RawCond> {
    let left = update_operand.parse_next(input)?;
    if let Some((op, right)) = opt((comparator, update_operand)).parse_next(input)? {
        return Ok(RawCond::Cmp(left, op, right));
    }
    if opt(keyword("BETWEEN")).parse_next(input)?.is_some() {
        let (low, (), high) = (update_operand, keyword("AND"), update_operand).parse_next(input)?;
        return Ok(RawCond::Between(left, low, high));
    }
    let list = preceded(
        keyword("IN"),
        delimited(symbol("("), separated(1.., update_operand, symbol(",")), symbol(")")),
    )
    .parse_next(input)?;
    Ok(RawCond::In(left, list))
}

fn primary(input: &mut &str) -> PResult<RawCond> {
    alt((delimited(symbol("("), condition, symbol(")")), comparison, call.map(|(n, a)| RawCond::Call(n, a))))
        .parse_next(input)
}

fn negation(input: &mut &str) -> PResult<RawCond> {
    alt((preceded(keyword("NOT"), negation).map(|c| RawCond::Not(Box::new(c))), primary)).parse_next(input)
}

fn conjunction(input: &mut &str) -> PResult<RawCond> {
    let first = negation.parse_next(input)?;
    let rest: Vec<RawCond> = repeat(0.., preceded(keyword("AND"), negation)).parse_next(input)?;
    Ok(rest.into_iter().fold(first, |acc, c| RawCond::And(Box::new(acc), Box::new(c))))
}

fn condition(input: &mut &str) -> PResult<RawCond> {
    let first = conjunction.parse_next(input)?;
    let rest: Vec<RawCond> = repeat(0.., preceded(keyword("OR"), conjunction)).parse_next(input)?;
    Ok(rest.into_iter().fold(first, |acc, c| RawCond::Or(Box::new(acc), Box::new(c))))
}

fn clause(input: &mut &str) -> PResult<Vec<RawAction>> {
    let kind = alt((
        keyword("SET").value(ClauseKind::Set),
        keyword("REMOVE").value(ClauseKind::Remove),
        keyword("ADD").value(ClauseKind::Add),
        keyword("DELETE").value(ClauseKind::Delete),
    ))
    .parse_next(input)?;
    let action = move |input: &mut &str| -> PResult<RawAction> {
        let path = path.parse_next(input)?;
        let value = match kind {
            ClauseKind::Set => Some(preceded(symbol("="), update_operand).parse_next(input)?),
            ClauseKind::Remove => None,
            ClauseKind::Add | ClauseKind::Delete => Some(operand.parse_next(input)?),
        };
        Ok(RawAction { kind, path, value })
    };
    separated(1.., action, symbol(",")).parse_next(input)
}

/// Which expression a parse error is about, for DynamoDB's `Invalid <Kind>:` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExprKind {
    Condition,
    Filter,
    KeyCondition,
    Update,
    Projection,
}

impl ExprKind {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Condition => "ConditionExpression",
            Self::Filter => "FilterExpression",
            Self::KeyCondition => "KeyConditionExpression",
            Self::Update => "UpdateExpression",
            Self::Projection => "ProjectionExpression",
        }
    }
}

fn syntax_error(kind: ExprKind, text: &str, offset: usize) -> Error {
    let rest = text.get(offset..).unwrap_or("").trim_start();
    let token_len = rest
        .char_indices()
        .find(|&(i, c)| i > 0 && !(c.is_alphanumeric() || c == '_' || c == '#' || c == ':'))
        .map_or(rest.len(), |(i, _)| i);
    let token = if rest.is_empty() {
        "<EOF>"
    } else {
        &rest[..token_len.max(rest.chars().next().map_or(0, char::len_utf8))]
    };
    let start = text[..offset.min(text.len())].trim_end().rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let end = (offset + token.len()).min(text.len());
    let near = text.get(start..end).unwrap_or(text).trim();
    Error::validation(format!("Invalid {}: Syntax error; token: \"{token}\", near: \"{near}\"", kind.label()))
}

/// DynamoDB's limit on the length of any expression string, in bytes.
const MAX_EXPRESSION_BYTES: usize = 4096;

/// How deep parentheses (groups and function calls) and `NOT`s may nest. The grammar recurses
/// once per level, so without a bound a 4 KB expression of parentheses would exhaust a worker
/// thread's stack and abort the process. DynamoDB publishes no nesting limit, but it refuses more
/// than 300 operators in an expression (aws-sdk-js #3721), so no `NOT` chain past that passes
/// there either; the wording of this refusal is ours.
const MAX_NESTING: usize = 256;

/// An upper bound of the expression's nesting: the deepest parenthesis plus every `NOT` (a
/// reserved word, so a bare `not` is always the operator; attribute names that spell it come as
/// `#names`).
fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let nots = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '#' || c == ':'))
        .filter(|w| w.eq_ignore_ascii_case("not"))
        .count();
    deepest + nots
}

fn run<'i, O>(
    kind: ExprKind,
    text: &'i str,
    mut parser: impl Parser<&'i str, O, ContextError>,
) -> Result<O, Error> {
    if text.trim().is_empty() {
        return Err(Error::validation(format!("Invalid {}: The expression can not be empty;", kind.label())));
    }
    if text.len() > MAX_EXPRESSION_BYTES {
        // DynamoDB's wording, counted on the raw string (pynamodb #979; dynoxide #146: 4,096
        // bytes accepted, 4,097 refused).
        return Err(Error::validation(format!(
            "Invalid {}: Expression size has exceeded the maximum allowed size; expression size: {}",
            kind.label(),
            text.len()
        )));
    }
    let depth = nesting(text);
    if depth > MAX_NESTING {
        return Err(Error::validation(format!(
            "Invalid {}: The expression is nested too deeply; nesting: {depth}, limit: {MAX_NESTING}",
            kind.label()
        )));
    }
    let mut input = text;
    match terminated(|i: &mut &'i str| parser.parse_next(i), (ws, eof)).parse_next(&mut input) {
        Ok(out) => Ok(out),
        Err(_) => Err(syntax_error(kind, text, text.len() - input.len())),
    }
}

/// Parses a condition, filter or key condition expression.
pub(crate) fn parse_condition(kind: ExprKind, text: &str) -> Result<RawCond, Error> {
    run(kind, text, condition)
}

/// Parses an update expression into its actions, in order.
pub(crate) fn parse_update(text: &str) -> Result<Vec<RawAction>, Error> {
    let clauses: Vec<Vec<RawAction>> = run(ExprKind::Update, text, repeat(1.., clause))?;
    let mut seen = Vec::new();
    for c in &clauses {
        if let Some(first) = c.first() {
            if seen.contains(&first.kind) {
                return Err(Error::validation(format!(
                    "Invalid UpdateExpression: The \"{}\" section can only be used once in an update expression;",
                    first.kind.keyword()
                )));
            }
            seen.push(first.kind);
        }
    }
    Ok(clauses.into_iter().flatten().collect())
}

/// Parses a projection expression: document paths separated by commas.
pub(crate) fn parse_projection(text: &str) -> Result<Vec<Vec<RawElem>>, Error> {
    run(ExprKind::Projection, text, separated(1.., path, symbol(",")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> RawElem {
        RawElem::Name(n.into())
    }

    /// Runs `f` on a thread with the 2 MiB stack tokio's workers and std's threads get, where the
    /// emulator parses expressions.
    fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new().stack_size(2 << 20).spawn(f).unwrap().join().unwrap()
    }

    #[test]
    fn expressions_nested_as_deep_as_the_size_limit_allows_parse_or_fail_cleanly() {
        // 4 KB is DynamoDB's limit on an expression's length: the deepest nesting it allows must
        // parse (or be refused) without exhausting the stack.
        let parens = format!("{}a = :v{}", "(".repeat(2040), ")".repeat(2040));
        assert!(parens.len() <= 4096);
        let e =
            on_small_stack(move || parse_condition(ExprKind::Condition, &parens).map(|_| ())).unwrap_err();
        assert!(
            e.to_string().contains("Invalid ConditionExpression: The expression is nested too deeply"),
            "{e}"
        );
        // The deepest nesting allowed parses on the same stack.
        let allowed = format!("{}a = :v{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        on_small_stack(move || parse_condition(ExprKind::Condition, &allowed).map(|_| ())).unwrap();
        let nots = format!("{}a = :v", "NOT ".repeat(1020));
        assert!(nots.len() <= 4096);
        let e = on_small_stack(move || parse_condition(ExprKind::Condition, &nots).map(|_| ())).unwrap_err();
        assert!(e.to_string().contains("nested too deeply"), "{e}");
        let calls = format!("{}s{}", "size(".repeat(MAX_NESTING + 1), ")".repeat(MAX_NESTING + 1));
        let e = on_small_stack(move || parse_condition(ExprKind::Condition, &calls).map(|_| ())).unwrap_err();
        assert!(e.to_string().contains("nested too deeply"), "{e}");
        let path = format!("a{}", ".b".repeat(2040));
        let r = on_small_stack(move || parse_projection(&path).map(|_| ()));
        if let Err(e) = r {
            assert!(e.to_string().contains("ProjectionExpression"), "{e}");
        }
    }

    #[test]
    fn expressions_longer_than_4_kb_are_refused() {
        let at_limit = format!("a = :v{}", " ".repeat(4096 - 6));
        assert_eq!(at_limit.len(), 4096);
        parse_condition(ExprKind::Condition, &at_limit).unwrap();
        let long = format!("{at_limit} ");
        let e = parse_condition(ExprKind::Condition, &long).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4097"
        );
        let e = parse_update(&format!("SET a = :v{}", ", a = :v".repeat(600))).unwrap_err();
        assert!(e.to_string().starts_with("Invalid UpdateExpression: Expression size"), "{e}");
    }

    #[test]
    fn paths_and_precedence() {
        let c = parse_condition(ExprKind::Condition, "a.b[2].#c = :v OR NOT x < :y AND begins_with(s, :p)")
            .unwrap();
        let RawCond::Or(left, right) = c else { panic!("{c:?}") };
        assert_eq!(
            *left,
            RawCond::Cmp(
                RawOperand::Path(vec![name("a"), name("b"), RawElem::Index(2), name("#c")]),
                CmpOp::Eq,
                RawOperand::Value(":v".into())
            )
        );
        let RawCond::And(not, call) = *right else { panic!() };
        assert!(matches!(*not, RawCond::Not(_)));
        assert!(matches!(*call, RawCond::Call(ref n, ref a) if n == "begins_with" && a.len() == 2));
    }

    #[test]
    fn between_in_and_size() {
        let c = parse_condition(ExprKind::Filter, "size(a) between :lo and :hi").unwrap();
        assert!(matches!(c, RawCond::Between(RawOperand::Call(..), _, _)));
        let c = parse_condition(ExprKind::Filter, "a IN (:x, :y)").unwrap();
        assert!(matches!(c, RawCond::In(_, ref l) if l.len() == 2));
        let c = parse_condition(ExprKind::Filter, "(a = :x) and (b IN (:y))").unwrap();
        assert!(matches!(c, RawCond::And(..)));
        let c = parse_condition(ExprKind::Filter, "NOTE = :x").unwrap();
        assert!(matches!(c, RawCond::Cmp(RawOperand::Path(ref p), ..) if p == &vec![name("NOTE")]));
    }

    #[test]
    fn syntax_errors_name_the_token() {
        let e = parse_condition(ExprKind::Condition, "a = = :b").unwrap_err();
        assert!(e.to_string().starts_with("Invalid ConditionExpression: Syntax error; token: \"=\""), "{e}");
        let e = parse_condition(ExprKind::Condition, "a = :b c").unwrap_err();
        assert!(e.to_string().contains("token: \"c\""), "{e}");
        let e = parse_update("SET a = :x SET b = :y").unwrap_err();
        assert!(e.to_string().contains("\"SET\" section can only be used once"), "{e}");
    }

    #[test]
    fn update_clauses() {
        let a = parse_update("SET a = a + :one, b = list_append(b, :l) REMOVE c[1], d ADD n :n DELETE s :s")
            .unwrap();
        let kinds: Vec<ClauseKind> = a.iter().map(|a| a.kind).collect();
        use ClauseKind::*;
        assert_eq!(kinds, vec![Set, Set, Remove, Remove, Add, Delete]);
        assert!(matches!(a[0].value, Some(RawOperand::Plus(..))));
        let p = parse_projection("a, b.c, #d[0]").unwrap();
        assert_eq!(p.len(), 3);
    }
}
