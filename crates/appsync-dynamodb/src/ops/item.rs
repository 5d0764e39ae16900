//! GetItem, PutItem, UpdateItem and DeleteItem.
//!
//! A failed condition is handled as AppSync's DynamoDB data source does: when the item as it is
//! already equals what the write wanted (leaving out the condition's `equalsIgnore`
//! attributes), the write counts as done; otherwise the error carries the current item.

use serde_json::Value;

use super::{
    Outcome, PreparedWrite, WriteKind, bind_projection, equal_ignoring, projected, run_write, updated,
};
use crate::database::{Database, Pending, item_or_null, read, write};
use crate::error::Error;
use crate::request::{DeleteItem, GetItem, PutItem, UpdateItem};
use crate::table::Table;
use crate::value::item_to_json;

/// Whether the item as it is already is what a failed write wanted.
fn already_done(table: &Table, w: &PreparedWrite, current: Option<&crate::value::Item>) -> bool {
    match (&w.kind, current) {
        (WriteKind::Put(item), Some(current)) => equal_ignoring(item, current, &w.equals_ignore),
        (WriteKind::Update(actions), Some(current)) => updated(table, &w.key, Some(current), actions)
            .is_ok_and(|new| equal_ignoring(&new, current, &w.equals_ignore)),
        (WriteKind::Delete, None) => true,
        _ => false,
    }
}

impl Database {
    pub(crate) fn get_item(&self, table: &str, r: &GetItem) -> Result<Value, Error> {
        let paths = bind_projection(r.projection.as_ref())?;
        let table = self.table(table)?;
        let table = read(&table);
        let key = table.key_from(&r.key)?;
        Ok(item_or_null(table.get(&key).map(|i| projected(i, paths.as_ref())).as_ref()))
    }

    fn single_write(
        &self,
        table: &str,
        prepare: impl FnOnce(&Table) -> Result<PreparedWrite, Error>,
    ) -> Result<Value, Error> {
        let handle = self.table(table)?;
        let result = {
            let mut guards = [write(&handle)];
            let w = prepare(&guards[0])?;
            match run_write(&guards[0], &w)? {
                Outcome::ConditionFailed { current } => {
                    if already_done(&guards[0], &w, current.as_ref()) {
                        Ok(item_or_null(current.as_ref()))
                    } else {
                        Err(Error::condition_failed(current))
                    }
                }
                Outcome::Write { current, new } => {
                    let result = match (&w.kind, &new) {
                        (WriteKind::Delete, _) => item_or_null(current.as_ref()),
                        (_, Some(new)) => item_to_json(new),
                        (_, None) => Value::Null,
                    };
                    if !matches!(w.kind, WriteKind::Delete) || current.is_some() {
                        self.commit(&mut guards, vec![Pending { table: 0, key: w.key, item: new }])?;
                    }
                    Ok(result)
                }
            }
        };
        self.maybe_compact()?;
        result
    }

    pub(crate) fn put_item(&self, table: &str, r: PutItem) -> Result<Value, Error> {
        self.single_write(table, |t| {
            super::prepare_put(t, &r.key, r.attribute_values.as_ref(), r.condition.as_ref())
        })
    }

    pub(crate) fn update_item(&self, table: &str, r: &UpdateItem) -> Result<Value, Error> {
        self.single_write(table, |t| super::prepare_update(t, &r.key, &r.update, r.condition.as_ref()))
    }

    pub(crate) fn delete_item(&self, table: &str, r: &DeleteItem) -> Result<Value, Error> {
        self.single_write(table, |t| super::prepare_delete(t, &r.key, r.condition.as_ref(), false))
    }
}
