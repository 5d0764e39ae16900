//! The database: its tables, their locks, the data file, and the entry point that runs a
//! request.
//!
//! Concurrency: each table has a reader-writer lock. An operation locks the tables it touches in
//! one global order (by name), so transactions and batches never deadlock, and holds the locks
//! while it checks its conditions, writes the data file and applies its changes: a transaction
//! is atomic and isolated against every other operation.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::Deserialize as _;
use serde_json::Value;

use crate::error::Error;
use crate::persist::{Change, Log};
use crate::request::Request;
use crate::table::{PrimaryKey, Table, TableDefinition};
use crate::value::{Item, item_to_json};

/// Below this size the data file is never compacted.
const DEFAULT_COMPACT_FLOOR: u64 = 4 * 1024 * 1024;

/// An embedded DynamoDB: tables, and the operations AppSync's DynamoDB data source sends.
///
/// ```
/// use appsync_dynamodb::{AttributeDefinition, Database, KeyElement, KeyType, TableDefinition};
/// use serde_json::json;
///
/// let db = Database::builder()
///     .table(TableDefinition::new(
///         "Posts",
///         vec![KeyElement::new("id", KeyType::Hash)],
///         vec![AttributeDefinition::new("id", "S")],
///     ))
///     .build()?;
/// db.execute("Posts", &json!({
///     "operation": "PutItem",
///     "key": {"id": {"S": "1"}},
///     "attributeValues": {"title": {"S": "Hello"}, "views": {"N": 3}},
/// }))?;
/// let post = db.execute("Posts", &json!({"operation": "GetItem", "key": {"id": {"S": "1"}}}))?;
/// assert_eq!(post, json!({"id": "1", "title": "Hello", "views": 3}));
/// # Ok::<(), appsync_dynamodb::Error>(())
/// ```
#[derive(Debug)]
pub struct Database {
    tables: RwLock<BTreeMap<String, Arc<RwLock<Table>>>>,
    log: Option<Mutex<Log>>,
    /// Records of the data file for tables that do not exist (yet): kept, and written back by
    /// compaction, so removing a table from a template does not lose its items.
    orphans: Mutex<Vec<Change>>,
}

/// Builds a [`Database`].
#[derive(Debug, Default)]
#[must_use]
pub struct DatabaseBuilder {
    tables: Vec<TableDefinition>,
    data_file: Option<PathBuf>,
    compact_floor: Option<u64>,
}

impl DatabaseBuilder {
    /// Adds a table.
    pub fn table(mut self, definition: TableDefinition) -> Self {
        self.tables.push(definition);
        self
    }

    /// Keeps the data in this file: every acknowledged write is synced to it, and it is read
    /// back at [`build`](Self::build). Without one, the data lives in memory only.
    pub fn data_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.data_file = Some(path.into());
        self
    }

    /// The size below which the data file is never compacted (default 4 MiB); above it, the
    /// file is rewritten once it is twice the size of the live data.
    pub fn compact_floor(mut self, bytes: u64) -> Self {
        self.compact_floor = Some(bytes);
        self
    }

    /// Creates the tables and replays the data file.
    ///
    /// # Errors
    ///
    /// A `ValidationException` for an invalid table definition (the message names the table,
    /// the index or the attribute), an I/O error when the data file cannot be read or written.
    pub fn build(self) -> Result<Database, Error> {
        let mut tables = BTreeMap::new();
        for definition in self.tables {
            let name = definition.name.clone();
            let table = Table::new(definition)?;
            if tables.insert(name.clone(), Arc::new(RwLock::new(table))).is_some() {
                return Err(Error::validation(format!("Table already exists: {name}")));
            }
        }
        let mut orphans = Vec::new();
        let log = match self.data_file {
            None => None,
            Some(path) => {
                let (log, records) = Log::open(&path, self.compact_floor.unwrap_or(DEFAULT_COMPACT_FLOOR))?;
                for change in records.into_iter().flatten() {
                    match tables.get(&change.table) {
                        Some(table) => replay(&mut write(table), change, &mut orphans),
                        None => orphans.push(change),
                    }
                }
                Some(Mutex::new(log))
            }
        };
        Ok(Database { tables: RwLock::new(tables), log, orphans: Mutex::new(orphans) })
    }
}

fn replay(table: &mut Table, change: Change, orphans: &mut Vec<Change>) {
    let Ok(key) = table.key_from(&change.key) else {
        // The table's key schema changed since this was written: keep the record as it is.
        orphans.push(change);
        return;
    };
    match change.item {
        Some(item) => {
            table.put(key, item);
        }
        None => {
            table.delete(&key);
        }
    }
}

pub(crate) fn read(table: &RwLock<Table>) -> RwLockReadGuard<'_, Table> {
    table.read().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn write(table: &RwLock<Table>) -> RwLockWriteGuard<'_, Table> {
    table.write().unwrap_or_else(PoisonError::into_inner)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A table with its name, as operations lock them.
pub(crate) type NamedTable = (String, Arc<RwLock<Table>>);

/// A write to apply once it is durable.
pub(crate) struct Pending {
    pub(crate) table: usize,
    pub(crate) key: PrimaryKey,
    pub(crate) item: Option<Item>,
}

impl Database {
    /// Starts a builder.
    pub fn builder() -> DatabaseBuilder {
        DatabaseBuilder::default()
    }

    /// Adds a table at run time (records of the data file for it are applied).
    ///
    /// # Errors
    ///
    /// A `ValidationException` for an invalid definition or an existing table name.
    pub fn create_table(&self, definition: TableDefinition) -> Result<(), Error> {
        let name = definition.name.clone();
        let mut table = Table::new(definition)?;
        let mut tables = self.tables.write().unwrap_or_else(PoisonError::into_inner);
        if tables.contains_key(&name) {
            return Err(Error::validation(format!("Table already exists: {name}")));
        }
        let mut orphans = lock(&self.orphans);
        let (mine, others): (Vec<Change>, Vec<Change>) = orphans.drain(..).partition(|c| c.table == name);
        *orphans = others;
        for change in mine {
            replay(&mut table, change, &mut orphans);
        }
        tables.insert(name, Arc::new(RwLock::new(table)));
        Ok(())
    }

    /// The names of the tables.
    #[must_use]
    pub fn table_names(&self) -> Vec<String> {
        self.tables.read().unwrap_or_else(PoisonError::into_inner).keys().cloned().collect()
    }

    /// The definition a table was created from.
    #[must_use]
    pub fn table_definition(&self, name: &str) -> Option<TableDefinition> {
        let table = self.tables.read().unwrap_or_else(PoisonError::into_inner).get(name).cloned()?;
        let definition = read(&table).definition.clone();
        Some(definition)
    }

    /// The number of items in a table.
    #[must_use]
    pub fn item_count(&self, name: &str) -> Option<usize> {
        let table = self.tables.read().unwrap_or_else(PoisonError::into_inner).get(name).cloned()?;
        let count = read(&table).len();
        Some(count)
    }

    /// The item stored under `key` in a table, typed (`execute` answers plain JSON).
    ///
    /// # Errors
    ///
    /// `ResourceNotFoundException` for an unknown table, `ValidationException` for a key that
    /// does not match the table's key schema.
    pub fn item(&self, table: &str, key: &Item) -> Result<Option<Item>, Error> {
        let handle = self.table(table)?;
        let table = read(&handle);
        let key = table.key_from(key)?;
        Ok(table.get(&key).cloned())
    }

    /// Runs a request in AppSync's shape (a resolver's `request` return value) against
    /// `table` (the data source's table; batch and transaction requests name their own
    /// tables) and returns what AppSync puts in `ctx.result`.
    ///
    /// # Errors
    ///
    /// The failure AppSync puts in `ctx.error`: see [`Error::error_type`] and
    /// [`Error::result`].
    pub fn execute(&self, table: &str, request: &Value) -> Result<Value, Error> {
        let request = parse_request(request)?;
        self.execute_request(table, request)
    }

    /// [`Database::execute`] for a typed request.
    ///
    /// # Errors
    ///
    /// As [`Database::execute`].
    pub fn execute_request(&self, table: &str, request: Request) -> Result<Value, Error> {
        match request {
            Request::GetItem(r) => self.get_item(table, &r),
            Request::PutItem(r) => self.put_item(table, r),
            Request::UpdateItem(r) => self.update_item(table, &r),
            Request::DeleteItem(r) => self.delete_item(table, &r),
            Request::Query(r) => self.query(table, &r),
            Request::Scan(r) => self.scan(table, &r),
            Request::BatchGetItem(r) => self.batch_get(&r),
            Request::BatchPutItem(r) => self.batch_put(r),
            Request::BatchDeleteItem(r) => self.batch_delete(&r),
            Request::TransactGetItems(r) => self.transact_get(&r),
            Request::TransactWriteItems(r) => self.transact_write(&r),
        }
    }

    pub(crate) fn table(&self, name: &str) -> Result<Arc<RwLock<Table>>, Error> {
        self.tables
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
            .ok_or_else(Error::resource_not_found)
    }

    /// The tables named, deduplicated and in lock order (by name).
    pub(crate) fn tables_in_order<'a>(
        &self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<NamedTable>, Error> {
        let mut names: Vec<&str> = names.into_iter().collect();
        names.sort_unstable();
        names.dedup();
        names.into_iter().map(|n| Ok((n.to_owned(), self.table(n)?))).collect()
    }

    /// Makes the writes durable (one record), then applies them to the locked tables.
    pub(crate) fn commit(
        &self,
        tables: &mut [RwLockWriteGuard<'_, Table>],
        writes: Vec<Pending>,
    ) -> Result<(), Error> {
        if writes.is_empty() {
            return Ok(());
        }
        if let Some(log) = &self.log {
            let changes: Vec<Change> = writes
                .iter()
                .map(|w| {
                    let table = &tables[w.table];
                    Change {
                        table: table.definition.name.clone(),
                        key: table.key_item(&w.key),
                        item: w.item.clone(),
                    }
                })
                .collect();
            lock(log).append(&changes)?;
        }
        for w in writes {
            let table = &mut tables[w.table];
            match w.item {
                Some(item) => {
                    table.put(w.key, item);
                }
                None => {
                    table.delete(&w.key);
                }
            }
        }
        Ok(())
    }

    /// Rewrites the data file when it has grown enough. Called with no table locked.
    pub(crate) fn maybe_compact(&self) -> Result<(), Error> {
        let Some(log) = &self.log else { return Ok(()) };
        if !lock(log).wants_compaction() {
            return Ok(());
        }
        let all: Vec<Arc<RwLock<Table>>> =
            self.tables.read().unwrap_or_else(PoisonError::into_inner).values().cloned().collect();
        let guards: Vec<RwLockReadGuard<'_, Table>> = all.iter().map(|t| read(t)).collect();
        let mut log = lock(log);
        if !log.wants_compaction() {
            return Ok(());
        }
        let mut live: Vec<Change> = lock(&self.orphans).clone();
        for table in &guards {
            for (key, item) in table.iter() {
                live.push(Change {
                    table: table.definition.name.clone(),
                    key: table.key_item(&key),
                    item: Some(item.clone()),
                });
            }
        }
        log.compact(live)
    }
}

/// A resolver's request read as a [`Request`]: attribute values fail with DynamoDB's own
/// message; serde's structural errors ("missing field `key`") get a prefix saying what they are
/// about.
pub(crate) fn parse_request(request: &Value) -> Result<Request, Error> {
    Request::deserialize(request).map_err(|e| {
        let message = e.to_string();
        let structural =
            ["missing field", "unknown variant", "invalid type", "invalid value", "invalid length"]
                .iter()
                .any(|p| message.starts_with(p));
        if structural {
            Error::validation(format!("Invalid DynamoDB request: {message}"))
        } else {
            Error::validation(message)
        }
    })
}

/// An item as `ctx.result` shows it, or `null`.
pub(crate) fn item_or_null(item: Option<&Item>) -> Value {
    item.map_or(Value::Null, item_to_json)
}
