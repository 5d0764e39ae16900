//! BatchGetItem, BatchPutItem and BatchDeleteItem in AppSync's shapes (`tables: {name: ...}`).
//! Everything is processed, so `unprocessedKeys`/`unprocessedItems` are always empty lists.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::{bind_projection, object, projected};
use std::sync::RwLockWriteGuard;

use crate::database::{Database, NamedTable, Pending, item_or_null, read, write};
use crate::error::Error;
use crate::request::{BatchDeleteItem, BatchGetItem, BatchPutItem};
use crate::table::{PrimaryKey, Table};
use crate::value::{Item, MAX_ITEM_SIZE, item_size, item_to_json};

const MAX_BATCH_GET: usize = 100;
const MAX_BATCH_WRITE: usize = 25;

fn duplicates() -> Error {
    Error::validation("Provided list of item keys contains duplicates")
}

fn empty_lists<'a>(names: impl Iterator<Item = &'a String>) -> Value {
    Value::Object(names.map(|n| (n.clone(), json!([]))).collect())
}

impl Database {
    pub(crate) fn batch_get(&self, r: &BatchGetItem) -> Result<Value, Error> {
        let total: usize = r.tables.values().map(|t| t.keys.len()).sum();
        if total > MAX_BATCH_GET {
            return Err(Error::validation("Too many items requested for the BatchGetItem call"));
        }
        let handles = self.tables_in_order(r.tables.keys().map(String::as_str))?;
        let guards: Vec<_> = handles.iter().map(|(_, t)| read(t)).collect();
        let mut data = Map::new();
        for ((name, _), table) in handles.iter().zip(&guards) {
            let Some(request) = r.tables.get(name) else { continue };
            let paths = bind_projection(request.projection.as_ref())?;
            let mut seen = BTreeSet::new();
            let mut items = Vec::with_capacity(request.keys.len());
            for key in &request.keys {
                let key = table.key_from(key)?;
                if !seen.insert(key.clone()) {
                    return Err(duplicates());
                }
                items.push(item_or_null(table.get(&key).map(|i| projected(i, paths.as_ref())).as_ref()));
            }
            data.insert(name.clone(), Value::Array(items));
        }
        Ok(object([("data", Value::Object(data)), ("unprocessedKeys", empty_lists(r.tables.keys()))]))
    }

    /// Locks the tables, runs `plan` to get the writes, commits them.
    fn batch_write(
        &self,
        names: &[&String],
        total: usize,
        plan: impl FnOnce(&[NamedTable], &[RwLockWriteGuard<'_, Table>]) -> Result<Vec<Pending>, Error>,
    ) -> Result<(), Error> {
        if total > MAX_BATCH_WRITE {
            return Err(Error::validation("Too many items requested for the BatchWriteItem call"));
        }
        let handles = self.tables_in_order(names.iter().map(|n| n.as_str()))?;
        {
            let mut guards: Vec<_> = handles.iter().map(|(_, t)| write(t)).collect();
            let writes = plan(&handles, &guards)?;
            self.commit(&mut guards, writes)?;
        }
        self.maybe_compact()
    }

    pub(crate) fn batch_put(&self, r: BatchPutItem) -> Result<Value, Error> {
        let names: Vec<&String> = r.tables.keys().collect();
        let total = r.tables.values().map(Vec::len).sum();
        let mut data = Map::new();
        self.batch_write(&names, total, |handles, guards| {
            let mut writes = Vec::new();
            for (i, (name, _)) in handles.iter().enumerate() {
                let table = &guards[i];
                let Some(items) = r.tables.get(name) else { continue };
                let mut seen: BTreeSet<PrimaryKey> = BTreeSet::new();
                let mut written = Vec::with_capacity(items.len());
                for item in items {
                    let key = table.key_of_item(item)?;
                    if item_size(item) > MAX_ITEM_SIZE {
                        return Err(Error::validation("Item size has exceeded the maximum allowed size"));
                    }
                    if !seen.insert(key.clone()) {
                        return Err(duplicates());
                    }
                    written.push(item_to_json(item));
                    writes.push(Pending { table: i, key, item: Some(item.clone()) });
                }
                data.insert(name.clone(), Value::Array(written));
            }
            Ok(writes)
        })?;
        Ok(object([("data", Value::Object(data)), ("unprocessedItems", empty_lists(r.tables.keys()))]))
    }

    pub(crate) fn batch_delete(&self, r: &BatchDeleteItem) -> Result<Value, Error> {
        let names: Vec<&String> = r.tables.keys().collect();
        let total = r.tables.values().map(Vec::len).sum();
        let mut data = Map::new();
        self.batch_write(&names, total, |handles, guards| {
            let mut writes = Vec::new();
            for (i, (name, _)) in handles.iter().enumerate() {
                let table = &guards[i];
                let Some(keys) = r.tables.get(name) else { continue };
                let mut seen: BTreeSet<PrimaryKey> = BTreeSet::new();
                let mut deleted: Vec<Value> = Vec::with_capacity(keys.len());
                for key in keys {
                    let primary = table.key_from(key)?;
                    if !seen.insert(primary.clone()) {
                        return Err(duplicates());
                    }
                    let key_item: Item = table.key_item(&primary);
                    deleted.push(item_to_json(&key_item));
                    if table.get(&primary).is_some() {
                        writes.push(Pending { table: i, key: primary, item: None });
                    }
                }
                data.insert(name.clone(), Value::Array(deleted));
            }
            Ok(writes)
        })?;
        Ok(object([("data", Value::Object(data)), ("unprocessedKeys", empty_lists(r.tables.keys()))]))
    }
}
