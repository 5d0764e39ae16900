//! Query and Scan: key conditions, indexes, order, `limit` and the 1 MB page, `nextToken`,
//! filters, `select` and projections.

use std::cmp::Ordering;
use std::ops::Bound;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use super::{names_of, object, projected, values_of};
use crate::database::{Database, read};
use crate::error::Error;
use crate::expr::{self, Bindings, CmpOp, Condition, ExprKind, Operand, Path};
use crate::request::{Expression, Projection, Query, Scan};
use crate::table::{KeyValue, PrimaryKey, Projection as IndexProjection, Schema, SecondaryIndex, Table};
use crate::value::{AttributeValue, Item, item_from_json, item_size, item_to_dynamodb_json, item_to_json};

/// DynamoDB stops a page once it has read this much.
const PAGE_BYTES: usize = 1024 * 1024;

/// A position in the order items are read: the (index or table) sort key, then the table key.
type Position = (Option<KeyValue>, PrimaryKey);

/// What the sort key must satisfy.
#[derive(Debug, Clone)]
enum SortCondition {
    Any,
    Range(Bound<KeyValue>, Bound<KeyValue>),
    BeginsWith(KeyValue),
}

impl SortCondition {
    fn holds(&self, v: Option<&KeyValue>) -> bool {
        let Some(v) = v else { return matches!(self, Self::Any) };
        match self {
            Self::Any => true,
            Self::Range(lo, hi) => {
                let above = match lo {
                    Bound::Included(l) => v >= l,
                    Bound::Excluded(l) => v > l,
                    Bound::Unbounded => true,
                };
                let below = match hi {
                    Bound::Included(h) => v <= h,
                    Bound::Excluded(h) => v < h,
                    Bound::Unbounded => true,
                };
                above && below
            }
            Self::BeginsWith(p) => match (v, p) {
                (KeyValue::S(s), KeyValue::S(p)) => s.starts_with(p.as_str()),
                (KeyValue::B(b), KeyValue::B(p)) => b.starts_with(p),
                _ => false,
            },
        }
    }
}

fn unsupported() -> Error {
    Error::validation("Query key condition not supported")
}

fn key_value(schema_attr: &crate::table::KeyAttr, v: &AttributeValue) -> Result<KeyValue, Error> {
    let kv = KeyValue::from_attribute(v)
        .filter(|kv| {
            matches!(
                (kv, schema_attr.ty.code()),
                (KeyValue::S(_), "S") | (KeyValue::N(_), "N") | (KeyValue::B(_), "B")
            )
        })
        .ok_or_else(|| Error::invalid_parameter("Condition parameter type does not match schema type"))?;
    Ok(kv)
}

/// Splits a key condition into the partition key value and the sort key condition.
fn key_condition(schema: &Schema, c: &Condition) -> Result<(KeyValue, SortCondition), Error> {
    let mut parts = Vec::new();
    fn flatten<'a>(c: &'a Condition, out: &mut Vec<&'a Condition>) {
        if let Condition::And(a, b) = c {
            flatten(a, out);
            flatten(b, out);
        } else {
            out.push(c);
        }
    }
    flatten(c, &mut parts);
    if parts.len() > 2 {
        return Err(Error::validation("KeyConditionExpressions must only contain one condition per key"));
    }
    let attr_of = |p: &Path| (p.0.len() == 1).then(|| p.top().to_owned());
    let mut hash = None;
    let mut sort = SortCondition::Any;
    let mut sort_seen = false;
    for part in parts {
        let (name, cond) = match part {
            Condition::Compare(Operand::Path(p), op, Operand::Const(v)) => (attr_of(p), (Some(*op), vec![v])),
            Condition::Compare(Operand::Const(v), op, Operand::Path(p)) => {
                let flipped = match op {
                    CmpOp::Lt => CmpOp::Gt,
                    CmpOp::Le => CmpOp::Ge,
                    CmpOp::Gt => CmpOp::Lt,
                    CmpOp::Ge => CmpOp::Le,
                    other => *other,
                };
                (attr_of(p), (Some(flipped), vec![v]))
            }
            Condition::Between(Operand::Path(p), Operand::Const(lo), Operand::Const(hi)) => {
                (attr_of(p), (None, vec![lo, hi]))
            }
            Condition::BeginsWith(Operand::Path(p), Operand::Const(v)) => (attr_of(p), (None, vec![v])),
            _ => return Err(unsupported()),
        };
        let Some(name) = name else { return Err(unsupported()) };
        if name == schema.hash.name {
            match cond {
                (Some(CmpOp::Eq), v) if hash.is_none() => hash = Some(key_value(&schema.hash, v[0])?),
                _ => return Err(unsupported()),
            }
        } else if let Some(range) = schema.range.as_ref().filter(|r| r.name == name) {
            if sort_seen {
                return Err(Error::validation(
                    "KeyConditionExpressions must only contain one condition per key",
                ));
            }
            sort_seen = true;
            sort = match (part, cond) {
                (Condition::BeginsWith(..), (_, v)) => SortCondition::BeginsWith(key_value(range, v[0])?),
                (Condition::Between(..), (_, v)) => SortCondition::Range(
                    Bound::Included(key_value(range, v[0])?),
                    Bound::Included(key_value(range, v[1])?),
                ),
                (_, (Some(op), v)) => {
                    let v = key_value(range, v[0])?;
                    match op {
                        CmpOp::Eq => SortCondition::Range(Bound::Included(v.clone()), Bound::Included(v)),
                        CmpOp::Lt => SortCondition::Range(Bound::Unbounded, Bound::Excluded(v)),
                        CmpOp::Le => SortCondition::Range(Bound::Unbounded, Bound::Included(v)),
                        CmpOp::Gt => SortCondition::Range(Bound::Excluded(v), Bound::Unbounded),
                        CmpOp::Ge => SortCondition::Range(Bound::Included(v), Bound::Unbounded),
                        CmpOp::Ne => return Err(unsupported()),
                    }
                }
                _ => return Err(unsupported()),
            };
        } else {
            return Err(Error::validation(format!(
                "Query condition missed key schema element: {}",
                schema.hash.name
            )));
        }
    }
    let hash = hash.ok_or_else(|| {
        Error::validation(format!("Query condition missed key schema element: {}", schema.hash.name))
    })?;
    Ok((hash, sort))
}

fn condition_tops<'a>(c: &'a Condition, out: &mut Vec<&'a str>) {
    let mut operand = |o: &'a Operand| match o {
        Operand::Path(p) | Operand::Size(p) => out.push(p.top()),
        Operand::Const(_) => {}
    };
    match c {
        Condition::Compare(a, _, b) | Condition::BeginsWith(a, b) | Condition::Contains(a, b) => {
            operand(a);
            operand(b);
        }
        Condition::Between(a, b, d) => {
            operand(a);
            operand(b);
            operand(d);
        }
        Condition::In(a, list) => {
            operand(a);
            list.iter().for_each(operand);
        }
        Condition::Exists(p) | Condition::NotExists(p) | Condition::Type(p, _) => out.push(p.top()),
        Condition::And(a, b) | Condition::Or(a, b) => {
            condition_tops(a, out);
            condition_tops(b, out);
        }
        Condition::Not(a) => condition_tops(a, out),
    }
}

/// The read options shared by Query and Scan, bound.
struct ReadPlan<'a> {
    index: Option<&'a SecondaryIndex>,
    filter: Option<Condition>,
    paths: Option<Vec<Path>>,
    all_attributes: bool,
    count_only: bool,
    limit: Option<usize>,
}

#[allow(
    clippy::too_many_arguments,
    reason = "the read options of one request, named at the one call site each"
)]
fn plan<'a>(
    table: &'a Table,
    b: &mut Bindings,
    index: Option<&str>,
    filter: Option<&Expression>,
    projection: Option<&Projection>,
    select: Option<&str>,
    limit: Option<i64>,
    consistent_read: Option<bool>,
    key_schema_for_filter: bool,
) -> Result<ReadPlan<'a>, Error> {
    let index = index.map(|n| table.index(n)).transpose()?;
    if let Some(i) = index
        && i.global
        && consistent_read == Some(true)
    {
        return Err(Error::validation("Consistent reads are not supported on global secondary indexes"));
    }
    let limit = match limit {
        None => None,
        Some(n) if n >= 1 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
        Some(n) => {
            return Err(Error::validation(format!(
                "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
            )));
        }
    };
    let filter = match filter {
        None => None,
        Some(f) => {
            b.extend(&names_of(f.expression_names.as_ref()), &values_of(f.expression_values.as_ref()));
            let raw = expr::parse_condition(ExprKind::Filter, &f.expression)?;
            let cond = expr::bind_condition(b, ExprKind::Filter, &raw)?;
            if key_schema_for_filter {
                let schema = index.map_or(&table.schema, |i| &i.schema);
                let mut tops = Vec::new();
                condition_tops(&cond, &mut tops);
                if let Some(key) = schema.attributes().find(|a| tops.contains(&a.name.as_str())) {
                    return Err(Error::validation(format!(
                        "Filter Expression can only contain non-primary key attributes: Primary key attribute: {}",
                        key.name
                    )));
                }
            }
            Some(cond)
        }
    };
    let paths = match projection {
        None => None,
        Some(p) => {
            b.extend(&names_of(p.expression_names.as_ref()), &Default::default());
            Some(expr::bind_projection(b, &expr::parse_projection(&p.expression)?)?)
        }
    };
    let select = select.unwrap_or(match (&paths, index) {
        (Some(_), _) => "SPECIFIC_ATTRIBUTES",
        (None, Some(_)) => "ALL_PROJECTED_ATTRIBUTES",
        (None, None) => "ALL_ATTRIBUTES",
    });
    if paths.is_some() && select != "SPECIFIC_ATTRIBUTES" {
        return Err(Error::validation(format!(
            "Cannot specify the ProjectionExpression when choosing to get {select}"
        )));
    }
    let all_attributes = match select {
        "ALL_ATTRIBUTES" => {
            if let Some(i) = index
                && i.global
                && i.projection != IndexProjection::All
            {
                return Err(Error::invalid_parameter(format!(
                    "Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                    i.name
                )));
            }
            true
        }
        "ALL_PROJECTED_ATTRIBUTES" => {
            if index.is_none() {
                return Err(Error::invalid_parameter(
                    "Select type ALL_PROJECTED_ATTRIBUTES is not supported without an index",
                ));
            }
            false
        }
        "SPECIFIC_ATTRIBUTES" | "COUNT" => false,
        other => {
            return Err(Error::validation(format!(
                "1 validation error detected: Value '{other}' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"
            )));
        }
    };
    Ok(ReadPlan { index, filter, paths, all_attributes, count_only: select == "COUNT", limit })
}

fn encode_token(table: &Table, index: Option<&SecondaryIndex>, item: &Item) -> String {
    // The last evaluated key: the table's key attributes, and the index's when reading one.
    let names = table.schema.attributes().chain(index.into_iter().flat_map(|i| i.schema.attributes()));
    let key: Item = names.filter_map(|a| item.get(&a.name).map(|v| (a.name.clone(), v.clone()))).collect();
    token(&item_to_dynamodb_json(&key))
}

/// A `nextToken`: base64 of `{"lastEvaluatedKey": KEY}`, KEY in DynamoDB's JSON (the engine's
/// and an endpoint's `LastEvaluatedKey` alike).
pub(crate) fn token(last_evaluated_key: &Value) -> String {
    BASE64.encode(json!({ "lastEvaluatedKey": last_evaluated_key }).to_string())
}

/// The `LastEvaluatedKey` a [`token`] holds, in DynamoDB's JSON.
pub(crate) fn token_key(token: &str) -> Result<Value, Error> {
    let invalid = || {
        Error::validation("The provided starting key is invalid: the nextToken does not come from this query")
    };
    let bytes = BASE64.decode(token).map_err(|_| invalid())?;
    let mut value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    match value.get_mut("lastEvaluatedKey").map(Value::take) {
        Some(key @ Value::Object(_)) => Ok(key),
        _ => Err(invalid()),
    }
}

fn decode_token(table: &Table, index: Option<&SecondaryIndex>, token: &str) -> Result<Position, Error> {
    let invalid = || {
        Error::validation("The provided starting key is invalid: the nextToken does not come from this query")
    };
    let key = item_from_json(&token_key(token)?).map_err(|_| invalid())?;
    let table_key: Item = table
        .schema
        .attributes()
        .filter_map(|a| key.get(&a.name).map(|v| (a.name.clone(), v.clone())))
        .collect();
    let primary = table.key_from(&table_key).map_err(|_| invalid())?;
    let sort = match index {
        None => primary.1.clone(),
        Some(i) => match &i.schema.range {
            Some(r) => {
                Some(KeyValue::from_attribute(key.get(&r.name).ok_or_else(invalid)?).ok_or_else(invalid)?)
            }
            None => None,
        },
    };
    Ok((sort, primary))
}

/// Reads candidates in order, applying the page limits, the filter and the projection.
fn page<'a>(table: &'a Table, plan: &ReadPlan<'_>, candidates: impl Iterator<Item = &'a Item>) -> Value {
    let mut items = Vec::new();
    let mut scanned = 0usize;
    let mut bytes = 0usize;
    let mut last: Option<&Item> = None;
    let mut stopped = false;
    for item in candidates {
        if plan.limit.is_some_and(|l| scanned >= l) || bytes >= PAGE_BYTES {
            stopped = true;
            break;
        }
        scanned += 1;
        bytes += item_size(item);
        last = Some(item);
        if plan.filter.as_ref().is_some_and(|f| !expr::evaluate(f, item)) {
            continue;
        }
        if plan.count_only {
            continue;
        }
        let json = match (plan.index, plan.all_attributes, &plan.paths) {
            (Some(i), false, paths) => {
                item_to_json(&projected(&i.project(&table.schema, item), paths.as_ref()))
            }
            (_, _, Some(paths)) => item_to_json(&expr::project(item, paths)),
            (_, _, None) => item_to_json(item),
        };
        items.push(json);
    }
    // As DynamoDB: a page that stopped at its limit names where it stopped, even when nothing
    // follows.
    let stopped = stopped || plan.limit.is_some_and(|l| scanned >= l);
    let next_token = match (stopped, last) {
        (true, Some(item)) => Value::from(encode_token(table, plan.index, item)),
        _ => Value::Null,
    };
    object([
        ("items", Value::Array(items)),
        ("nextToken", next_token),
        ("scannedCount", Value::from(scanned)),
    ])
}

fn after(position: &Position, start: Option<&Position>, forward: bool) -> bool {
    match start {
        None => true,
        Some(s) => {
            let ord = position.cmp(s);
            if forward { ord == Ordering::Greater } else { ord == Ordering::Less }
        }
    }
}

/// FNV-1a over a partition key, to spread partitions over scan segments.
fn segment_of(key: &KeyValue, total: u64) -> u64 {
    let bytes: Vec<u8> = match key {
        KeyValue::S(s) => s.as_bytes().to_vec(),
        KeyValue::B(b) => b.clone(),
        KeyValue::N(n) => n.to_string().into_bytes(),
    };
    let hash = bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
    hash % total
}

impl Database {
    pub(crate) fn query(&self, table: &str, r: &Query) -> Result<Value, Error> {
        let handle = self.table(table)?;
        let table = read(&handle);
        let mut b = Bindings::new();
        b.extend(
            &names_of(r.query.expression_names.as_ref()),
            &values_of(r.query.expression_values.as_ref()),
        );
        let raw = expr::parse_condition(ExprKind::KeyCondition, &r.query.expression)?;
        let key_cond = expr::bind_condition(&mut b, ExprKind::KeyCondition, &raw)?;
        let plan = plan(
            &table,
            &mut b,
            r.index.as_deref(),
            r.filter.as_ref(),
            r.projection.as_ref(),
            r.select.as_deref(),
            r.limit,
            r.consistent_read,
            true,
        )?;
        b.finish()?;
        let schema = plan.index.map_or(&table.schema, |i| &i.schema);
        let (hash, sort) = key_condition(schema, &key_cond)?;
        let forward = r.scan_index_forward.unwrap_or(true);
        let start = r.next_token.as_deref().map(|t| decode_token(&table, plan.index, t)).transpose()?;
        let result = match plan.index {
            None => {
                let Some(partition) = table.items.get(&hash) else {
                    return Ok(page(&table, &plan, std::iter::empty()));
                };
                let (mut lo, mut hi) = match &sort {
                    SortCondition::Range(lo, hi) => (lo.clone().map(Some), hi.clone().map(Some)),
                    SortCondition::BeginsWith(p) => (Bound::Included(Some(p.clone())), Bound::Unbounded),
                    SortCondition::Any => (Bound::Unbounded, Bound::Unbounded),
                };
                if let Some((s, _)) = &start {
                    if forward {
                        lo = tighter(lo, Bound::Excluded(s.clone()), Ordering::Greater);
                    } else {
                        hi = tighter(hi, Bound::Excluded(s.clone()), Ordering::Less);
                    }
                }
                if empty_range(&lo, &hi) {
                    page(&table, &plan, std::iter::empty())
                } else {
                    let range = partition.range((lo, hi));
                    let sort = &sort;
                    let iter: Box<dyn Iterator<Item = (&Option<KeyValue>, &Item)>> =
                        if forward { Box::new(range) } else { Box::new(range.rev()) };
                    page(&table, &plan, iter.take_while(move |(k, _)| sort.holds(k.as_ref())).map(|(_, i)| i))
                }
            }
            Some(index) => {
                let Some(entries) = index.entries.get(&hash) else {
                    return Ok(page(&table, &plan, std::iter::empty()));
                };
                let iter: Box<dyn Iterator<Item = &Position>> =
                    if forward { Box::new(entries.iter()) } else { Box::new(entries.iter().rev()) };
                let start = start.as_ref();
                let sort = &sort;
                let table_ref = &*table;
                page(
                    &table,
                    &plan,
                    iter.filter(move |p| after(p, start, forward) && sort.holds(p.0.as_ref()))
                        .filter_map(move |(_, key)| table_ref.get(key)),
                )
            }
        };
        Ok(result)
    }

    pub(crate) fn scan(&self, table: &str, r: &Scan) -> Result<Value, Error> {
        let segments = match (r.segment, r.total_segments) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(Error::validation(
                    "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
                ));
            }
            (None, Some(_)) => {
                return Err(Error::validation(
                    "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
                ));
            }
            (Some(s), Some(t)) => {
                if !(1..=1_000_000).contains(&t) {
                    return Err(Error::validation(format!(
                        "1 validation error detected: Value '{t}' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000 and greater than or equal to 1"
                    )));
                }
                if s < 0 || s >= t {
                    return Err(Error::validation(format!(
                        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is out of bounds for TotalSegments: {t}"
                    )));
                }
                Some((s as u64, t as u64))
            }
        };
        let handle = self.table(table)?;
        let table = read(&handle);
        let mut b = Bindings::new();
        let plan = plan(
            &table,
            &mut b,
            r.index.as_deref(),
            r.filter.as_ref(),
            r.projection.as_ref(),
            r.select.as_deref(),
            r.limit,
            r.consistent_read,
            false,
        )?;
        b.finish()?;
        let start = r.next_token.as_deref().map(|t| decode_token(&table, plan.index, t)).transpose()?;
        let in_segment = move |hash: &KeyValue| segments.is_none_or(|(s, t)| segment_of(hash, t) == s);
        let start = start.as_ref();
        let result = match plan.index {
            None => page(
                &table,
                &plan,
                table
                    .items
                    .iter()
                    .filter(|(h, _)| in_segment(h))
                    .flat_map(|(h, p)| p.iter().map(move |(r, i)| ((r.clone(), (h.clone(), r.clone())), i)))
                    .filter(|(pos, _)| after_scan(pos, start))
                    .map(|(_, i)| i),
            ),
            Some(index) => {
                let table_ref = &*table;
                page(
                    &table,
                    &plan,
                    index
                        .entries
                        .iter()
                        .filter(|(h, _)| in_segment(h))
                        .flat_map(|(h, set)| set.iter().map(move |p| (h, p)))
                        .filter(|(_, p)| start.is_none_or(|s| scan_index_after(table_ref, index, p, s)))
                        .filter_map(|(_, (_, key))| table_ref.get(key)),
                )
            }
        };
        Ok(result)
    }
}

/// Table scans go by partition key, then sort key.
fn after_scan(position: &Position, start: Option<&Position>) -> bool {
    match start {
        None => true,
        Some((_, start_key)) => &position.1 > start_key,
    }
}

/// Index scans go by index partition key, then index sort key, then table key.
fn scan_index_after(table: &Table, index: &SecondaryIndex, p: &Position, start: &Position) -> bool {
    let Some(item) = table.get(&p.1) else { return false };
    let Some(start_item) = table.get(&start.1) else {
        return p.1 > start.1;
    };
    let hash = |i: &Item| KeyValue::from_attribute(i.get(&index.schema.hash.name)?);
    (hash(item), &p.0, &p.1) > (hash(start_item), &start.0, &start.1)
}

/// The tighter of two range bounds: for a lower bound the greater (`keep` is `Greater`), for an
/// upper bound the smaller (`keep` is `Less`); on equal values an exclusive bound is tighter.
fn tighter(
    a: Bound<Option<KeyValue>>,
    b: Bound<Option<KeyValue>>,
    keep: Ordering,
) -> Bound<Option<KeyValue>> {
    match (&a, &b) {
        (Bound::Unbounded, _) => b,
        (_, Bound::Unbounded) => a,
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y)) => {
            match x.cmp(y) {
                Ordering::Equal if matches!(a, Bound::Excluded(_)) => a,
                Ordering::Equal => b,
                order if order == keep => a,
                _ => b,
            }
        }
    }
}

/// True when a range is empty, which `BTreeMap::range` would refuse with a panic.
fn empty_range(lo: &Bound<Option<KeyValue>>, hi: &Bound<Option<KeyValue>>) -> bool {
    match (lo, hi) {
        (Bound::Included(a), Bound::Included(b)) => a > b,
        (Bound::Included(a) | Bound::Excluded(a), Bound::Excluded(b))
        | (Bound::Excluded(a), Bound::Included(b)) => a >= b,
        _ => false,
    }
}
