//! The record store behind the default resolvers.
//!
//! Records live in one table per GraphQL type, kept in insertion order so that scans and
//! their `nextToken`s are stable while records are added or removed. With a data file, every
//! write is committed to redb (fsync'd) before the in-memory copy changes and before the
//! mutation answers, so a killed process loses no acknowledged write.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// A stored item: the type's fields by name.
pub(crate) type Record = Map<String, Value>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreError {
    /// A record with this id already exists (create) or none does (update, delete).
    ConditionFailed,
    /// The `nextToken` was not one this store handed out for this table.
    BadToken,
    /// The data file could not be written.
    Io,
}

/// `(type name, insertion sequence)` -> `{"id": ..., "record": {...}}` as JSON.
const RECORDS: redb::TableDefinition<'_, (&str, u64), &[u8]> = redb::TableDefinition::new("records");

#[derive(Debug, Default)]
struct Table {
    next_seq: u64,
    /// Shared with readers: a lookup or a scan hands out the stored records without copying
    /// them, and a write replaces a row's record instead of changing it in place.
    rows: BTreeMap<u64, Arc<Record>>,
    by_id: HashMap<String, u64>,
}

/// One page of a scan.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) items: Vec<Arc<Record>>,
    pub(crate) next_token: Option<String>,
}

#[derive(Default)]
pub(crate) struct MemoryStore {
    tables: Mutex<HashMap<String, Table>>,
    /// Serializes writers, so that a write can check its condition, commit to the data file
    /// and then apply in memory without holding `tables` through the fsync: reads go on
    /// while a write is being made durable.
    writer: Mutex<()>,
    db: Option<redb::Database>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").field("persistent", &self.db.is_some()).finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// A store backed by the redb file at `path` (created if absent), loaded into memory.
    pub(crate) fn open(path: &std::path::Path) -> Result<Self, redb::Error> {
        use redb::{ReadableDatabase as _, ReadableTable as _};
        let db = redb::Database::create(path)?;
        // Make sure the table exists so that reads of a fresh file succeed.
        let txn = db.begin_write()?;
        txn.open_table(RECORDS)?;
        txn.commit()?;
        let mut tables: HashMap<String, Table> = HashMap::new();
        let read = db.begin_read()?;
        let records = read.open_table(RECORDS)?;
        for entry in records.iter()? {
            let (key, value) = entry?;
            let (table, seq) = key.value();
            let Ok(Value::Object(mut stored)) = serde_json::from_slice::<Value>(value.value()) else {
                tracing::warn!(table, seq, "skipping an unreadable record in the data file");
                continue;
            };
            let (Some(Value::String(id)), Some(Value::Object(record))) =
                (stored.remove("id"), stored.remove("record"))
            else {
                tracing::warn!(table, seq, "skipping a malformed record in the data file");
                continue;
            };
            let t = tables.entry(table.to_owned()).or_default();
            t.next_seq = t.next_seq.max(seq + 1);
            t.by_id.insert(id, seq);
            t.rows.insert(seq, Arc::new(record));
        }
        drop(records);
        drop(read);
        Ok(Self { tables: Mutex::new(tables), writer: Mutex::new(()), db: Some(db) })
    }

    /// Commits one change to the data file, if there is one.
    fn persist(&self, table: &str, seq: u64, row: Option<(&str, &Record)>) -> Result<(), StoreError> {
        let Some(db) = &self.db else {
            return Ok(());
        };
        // Serialized before the transaction: an empty row written in its place would lose the
        // record at the next start without a word.
        let row = match row {
            Some((id, record)) => {
                let bytes =
                    serde_json::to_vec(&serde_json::json!({ "id": id, "record": record })).map_err(|e| {
                        tracing::error!(error = %e, "could not serialize a record for the data file");
                        StoreError::Io
                    })?;
                Some(bytes)
            }
            None => None,
        };
        let result = (|| -> Result<(), redb::Error> {
            let txn = db.begin_write()?;
            {
                let mut records = txn.open_table(RECORDS)?;
                match row {
                    Some(bytes) => {
                        records.insert((table, seq), bytes.as_slice())?;
                    }
                    None => {
                        records.remove((table, seq))?;
                    }
                }
            }
            // Default durability is Immediate: commit returns after the data is on disk.
            txn.commit()?;
            Ok(())
        })();
        result.map_err(|e| {
            tracing::error!(error = %e, "could not write the data file");
            StoreError::Io
        })
    }

    fn with_table<R>(&self, table: &str, f: impl FnOnce(&mut Table) -> R) -> R {
        // A panic while holding the lock cannot leave a table half-updated (every operation
        // mutates at most once at its end), so a poisoned lock is still usable.
        let mut tables = self.tables.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Look up before `entry` so that reads of an existing table allocate no key.
        if let Some(t) = tables.get_mut(table) {
            return f(t);
        }
        f(tables.entry(table.to_owned()).or_default())
    }

    pub(crate) fn get(&self, table: &str, id: &str) -> Option<Arc<Record>> {
        self.with_table(table, |t| t.by_id.get(id).and_then(|seq| t.rows.get(seq)).cloned())
    }

    fn write_turn(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn insert(&self, table: &str, id: &str, record: Record) -> Result<Arc<Record>, StoreError> {
        let _turn = self.write_turn();
        let seq = self.with_table(table, |t| {
            if t.by_id.contains_key(id) { Err(StoreError::ConditionFailed) } else { Ok(t.next_seq) }
        })?;
        self.persist(table, seq, Some((id, &record)))?;
        let record = Arc::new(record);
        self.with_table(table, |t| {
            t.next_seq = seq + 1;
            t.by_id.insert(id.to_owned(), seq);
            t.rows.insert(seq, Arc::clone(&record));
        });
        Ok(record)
    }

    /// Merges `patch` into the record, keeping its place in scan order.
    pub(crate) fn update(&self, table: &str, id: &str, patch: Record) -> Result<Arc<Record>, StoreError> {
        let _turn = self.write_turn();
        let (seq, row) = self.with_table(table, |t| {
            let seq = *t.by_id.get(id).ok_or(StoreError::ConditionFailed)?;
            let row = t.rows.get(&seq).ok_or(StoreError::ConditionFailed)?;
            Ok((seq, Arc::clone(row)))
        })?;
        let mut merged = Record::clone(&row);
        for (k, v) in patch {
            merged.insert(k, v);
        }
        self.persist(table, seq, Some((id, &merged)))?;
        let merged = Arc::new(merged);
        self.with_table(table, |t| t.rows.insert(seq, Arc::clone(&merged)));
        Ok(merged)
    }

    pub(crate) fn delete(&self, table: &str, id: &str) -> Result<Arc<Record>, StoreError> {
        let _turn = self.write_turn();
        let seq = self.with_table(table, |t| t.by_id.get(id).copied().ok_or(StoreError::ConditionFailed))?;
        self.persist(table, seq, None)?;
        self.with_table(table, |t| {
            t.by_id.remove(id);
            t.rows.remove(&seq).ok_or(StoreError::ConditionFailed)
        })
    }

    /// Records whose fields equal every filter, in insertion order, `limit` at a time.
    pub(crate) fn scan(
        &self,
        table: &str,
        filters: &[(String, Value)],
        limit: usize,
        next_token: Option<&str>,
    ) -> Result<Page, StoreError> {
        let start = match next_token {
            Some(token) => decode_token(table, token)?,
            None => 0,
        };
        self.with_table(table, |t| {
            let mut items = Vec::new();
            let mut next = None;
            for (seq, row) in t.rows.range(start..) {
                let matches = filters.iter().all(|(k, v)| row.get(k).unwrap_or(&Value::Null) == v);
                if !matches {
                    continue;
                }
                if items.len() == limit {
                    next = Some(encode_token(table, *seq));
                    break;
                }
                items.push(Arc::clone(row));
            }
            Ok(Page { items, next_token: next })
        })
    }
}

// The token names its table so one list's token cannot be replayed against another.
fn encode_token(table: &str, seq: u64) -> String {
    let raw = serde_json::json!({ "v": 1, "t": table, "s": seq }).to_string();
    URL_SAFE_NO_PAD.encode(raw)
}

fn decode_token(table: &str, token: &str) -> Result<u64, StoreError> {
    let raw = URL_SAFE_NO_PAD.decode(token.trim()).map_err(|_| StoreError::BadToken)?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| StoreError::BadToken)?;
    if v.get("v") != Some(&Value::from(1)) || v.get("t").and_then(Value::as_str) != Some(table) {
        return Err(StoreError::BadToken);
    }
    v.get("s").and_then(Value::as_u64).ok_or(StoreError::BadToken)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Record {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn crud_and_pagination() {
        let s = MemoryStore::default();
        for i in 0..5 {
            let id = format!("p{i}");
            let author = if i % 2 == 0 { "a" } else { "b" };
            s.insert("Post", &id, rec(json!({"id": id, "author": author}))).expect("insert");
        }
        assert_eq!(s.insert("Post", "p0", Map::new()), Err(StoreError::ConditionFailed));
        let page = s.scan("Post", &[], 2, None).expect("scan");
        assert_eq!(page.items.len(), 2);
        let token = page.next_token.expect("token");
        let page2 = s.scan("Post", &[], 10, Some(&token)).expect("scan2");
        assert_eq!(page2.items.len(), 3);
        assert!(page2.next_token.is_none());
        assert_eq!(s.scan("Comment", &[], 10, Some(&token)).err(), Some(StoreError::BadToken));
        let only_a = s.scan("Post", &[("author".into(), json!("a"))], 10, None).expect("filter");
        assert_eq!(only_a.items.len(), 3);
        let updated = s.update("Post", "p1", rec(json!({"author": "c"}))).expect("update");
        assert_eq!(updated["author"], "c");
        assert_eq!(s.delete("Post", "p1").expect("delete")["author"], "c");
        assert!(s.get("Post", "p1").is_none());
        assert_eq!(s.delete("Post", "p1"), Err(StoreError::ConditionFailed));
    }

    #[test]
    fn data_file_survives_reopening_in_order() {
        let path = std::env::temp_dir().join(format!("appsync-local-store-{}.redb", std::process::id()));
        let _ = std::fs::remove_file(&path);
        {
            let s = MemoryStore::open(&path).expect("open");
            for i in 0..4 {
                let id = format!("p{i}");
                s.insert("Post", &id, rec(json!({"id": id, "n": i}))).expect("insert");
            }
            s.update("Post", "p2", rec(json!({"n": 20}))).expect("update");
            s.delete("Post", "p1").expect("delete");
        }
        let s = MemoryStore::open(&path).expect("reopen");
        let page = s.scan("Post", &[], 10, None).expect("scan");
        let ns: Vec<&Value> = page.items.iter().map(|r| &r["n"]).collect();
        assert_eq!(ns, [&json!(0), &json!(20), &json!(3)]);
        s.insert("Post", "p4", rec(json!({"id": "p4", "n": 4}))).expect("insert after reopen");
        let last = s.scan("Post", &[], 10, None).expect("scan");
        assert_eq!(last.items.last().map(|r| &r["n"]), Some(&json!(4)));
        drop(s);
        let _ = std::fs::remove_file(&path);
    }
}
