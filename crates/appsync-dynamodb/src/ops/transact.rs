//! TransactGetItems and TransactWriteItems: all tables involved are locked (in name order)
//! for the whole transaction, every condition is checked before anything is written, and the
//! writes go to the data file as one record.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Outcome, PreparedWrite, bind_projection, object, projected, run_write};
use crate::database::{Database, NamedTable, Pending, item_or_null, read, write};
use crate::error::{CancellationReason, Error};
use crate::request::{TransactGetItems, TransactWrite, TransactWriteItems};
use crate::table::PrimaryKey;
use crate::value::item_to_json;

const MAX_TRANSACT_ITEMS: usize = 100;

fn too_many(n: usize) -> Error {
    Error::validation(format!(
        "1 validation error detected: Value '[{n} items]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100"
    ))
}

fn same_item() -> Error {
    Error::validation("Transaction request cannot include multiple operations on one item")
}

fn position(names: &[NamedTable], table: &str) -> usize {
    names.iter().position(|(n, _)| n == table).unwrap_or(0)
}

impl Database {
    pub(crate) fn transact_get(&self, r: &TransactGetItems) -> Result<Value, Error> {
        if r.transact_items.len() > MAX_TRANSACT_ITEMS {
            return Err(too_many(r.transact_items.len()));
        }
        let handles = self.tables_in_order(r.transact_items.iter().map(|g| g.table.as_str()))?;
        let guards: Vec<_> = handles.iter().map(|(_, t)| read(t)).collect();
        // Reading one item twice is refused too (seen from DynamoDB: "Transaction request cannot
        // include multiple operations on one item" for two reads of one row).
        let mut seen: BTreeSet<(usize, PrimaryKey)> = BTreeSet::new();
        let mut items = Vec::with_capacity(r.transact_items.len());
        for get in &r.transact_items {
            let t = position(&handles, &get.table);
            let paths = bind_projection(get.projection.as_ref())?;
            let key = guards[t].key_from(&get.key)?;
            if !seen.insert((t, key.clone())) {
                return Err(same_item());
            }
            items.push(item_or_null(guards[t].get(&key).map(|i| projected(i, paths.as_ref())).as_ref()));
        }
        Ok(object([("items", Value::Array(items)), ("cancellationReasons", Value::Null)]))
    }

    pub(crate) fn transact_write(&self, r: &TransactWriteItems) -> Result<Value, Error> {
        if r.transact_items.len() > MAX_TRANSACT_ITEMS {
            return Err(too_many(r.transact_items.len()));
        }
        let table_of = |w: &TransactWrite| match w {
            TransactWrite::PutItem { table, .. }
            | TransactWrite::UpdateItem { table, .. }
            | TransactWrite::DeleteItem { table, .. }
            | TransactWrite::ConditionCheck { table, .. } => table.clone(),
        };
        let handles = self.tables_in_order(r.transact_items.iter().map(|w| match w {
            TransactWrite::PutItem { table, .. }
            | TransactWrite::UpdateItem { table, .. }
            | TransactWrite::DeleteItem { table, .. }
            | TransactWrite::ConditionCheck { table, .. } => table.as_str(),
        }))?;
        let result = {
            let mut guards: Vec<_> = handles.iter().map(|(_, t)| write(t)).collect();
            let mut prepared: Vec<(usize, PreparedWrite)> = Vec::with_capacity(r.transact_items.len());
            let mut seen: BTreeSet<(usize, PrimaryKey)> = BTreeSet::new();
            for w in &r.transact_items {
                let t = position(&handles, &table_of(w));
                let table = &guards[t];
                let p = match w {
                    TransactWrite::PutItem { key, attribute_values, condition, .. } => {
                        super::prepare_put(table, key, attribute_values.as_ref(), condition.as_ref())?
                    }
                    TransactWrite::UpdateItem { key, update, condition, .. } => {
                        super::prepare_update(table, key, update, condition.as_ref())?
                    }
                    TransactWrite::DeleteItem { key, condition, .. } => {
                        super::prepare_delete(table, key, condition.as_ref(), false)?
                    }
                    TransactWrite::ConditionCheck { key, condition, .. } => {
                        super::prepare_delete(table, key, Some(condition), true)?
                    }
                };
                if !seen.insert((t, p.key.clone())) {
                    return Err(same_item());
                }
                prepared.push((t, p));
            }
            let mut reasons = Vec::with_capacity(prepared.len());
            let mut writes = Vec::new();
            let mut failed = false;
            for (t, p) in &prepared {
                match run_write(&guards[*t], p) {
                    Ok(Outcome::Write { new, .. }) => {
                        reasons.push(CancellationReason::none());
                        if !matches!(p.kind, super::WriteKind::Check) {
                            writes.push(Pending { table: *t, key: p.key.clone(), item: new });
                        }
                    }
                    Ok(Outcome::ConditionFailed { current }) => {
                        failed = true;
                        reasons.push(CancellationReason {
                            code: "ConditionalCheckFailed".into(),
                            message: Some("The conditional request failed".into()),
                            item: if p.return_item_on_failure { current } else { None },
                        });
                    }
                    Err(e) => {
                        failed = true;
                        reasons.push(CancellationReason {
                            code: "ValidationError".into(),
                            message: Some(e.to_string()),
                            item: None,
                        });
                    }
                }
            }
            if failed {
                return Err(Error::transaction_canceled(reasons));
            }
            let keys: Vec<Value> =
                prepared.iter().map(|(t, p)| item_to_json(&guards[*t].key_item(&p.key))).collect();
            self.commit(&mut guards, writes)?;
            object([("keys", Value::Array(keys)), ("cancellationReasons", Value::Null)])
        };
        self.maybe_compact()?;
        Ok(result)
    }
}
