//! The optional data file: an append-only log of committed writes.
//!
//! Each record is `[payload length: u32 LE][CRC-32 of payload: u32 LE][payload]`, the payload a
//! JSON array of changes `{"t": table, "k": key, "i": item | null}` in DynamoDB JSON; one record
//! per committed operation (a transaction is one record, so it replays whole or not at all). A
//! record is synced to disk before the operation returns. At open the log is replayed; a torn or
//! corrupt tail (a crash mid-append) is cut off, never a panic. When the file grows past twice
//! the size of the live data (and a floor), it is rewritten as one put per item in a temporary
//! file, synced and renamed over the old one.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::error::Error;
use crate::value::{Item, item_from_json, item_to_dynamodb_json};

const HEADER: usize = 8;
/// Items per record when the file is rewritten.
const COMPACT_CHUNK: usize = 1000;

/// One change: the item now stored under `key`, or `None` when it was deleted.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Change {
    pub(crate) table: String,
    pub(crate) key: Item,
    pub(crate) item: Option<Item>,
}

impl Change {
    fn to_json(&self) -> Value {
        json!({
            "t": self.table,
            "k": item_to_dynamodb_json(&self.key),
            "i": self.item.as_ref().map_or(Value::Null, item_to_dynamodb_json),
        })
    }

    fn from_json(value: &Value) -> Option<Self> {
        let table = value.get("t")?.as_str()?.to_owned();
        let key = item_from_json(value.get("k")?).ok()?;
        let item = match value.get("i")? {
            Value::Null => None,
            other => Some(item_from_json(other).ok()?),
        };
        Some(Self { table, key, item })
    }
}

/// The open data file.
#[derive(Debug)]
pub(crate) struct Log {
    path: PathBuf,
    file: File,
    size: u64,
    /// The size of the file right after the last compaction (or open).
    base: u64,
    compact_floor: u64,
}

fn io(path: &Path, what: &str, e: std::io::Error) -> Error {
    Error::io(format!("{what} {}: {e}", path.display()), e)
}

fn sync_parent(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

fn encode(changes: &[Change]) -> Vec<u8> {
    let payload = Value::Array(changes.iter().map(Change::to_json).collect()).to_string().into_bytes();
    let mut out = Vec::with_capacity(payload.len() + HEADER);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// Reads every whole, intact record; returns them and the length of the intact prefix.
fn decode(bytes: &[u8]) -> (Vec<Vec<Change>>, usize) {
    let mut records = Vec::new();
    let mut at = 0;
    while bytes.len() - at >= HEADER {
        let len = u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        let crc = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]);
        let Some(payload) = bytes.get(at + HEADER..at + HEADER + len) else { break };
        if crc32fast::hash(payload) != crc {
            break;
        }
        let Ok(Value::Array(list)) = serde_json::from_slice::<Value>(payload) else { break };
        let Some(changes) = list.iter().map(Change::from_json).collect::<Option<Vec<_>>>() else { break };
        records.push(changes);
        at += HEADER + len;
    }
    (records, at)
}

impl Log {
    /// Opens (or creates) the file and returns the committed records, oldest first.
    pub(crate) fn open(path: &Path, compact_floor: u64) -> Result<(Self, Vec<Vec<Change>>), Error> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| io(path, "opening the data file", e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| io(path, "reading the data file", e))?;
        let (records, intact) = decode(&bytes);
        if intact < bytes.len() {
            // A torn last record: cut it so new records follow the last intact one.
            file.set_len(intact as u64).map_err(|e| io(path, "truncating the torn tail of", e))?;
            file.sync_all().map_err(|e| io(path, "syncing", e))?;
        }
        // A new file's directory entry must be durable too, or a crash could lose the file with
        // the writes it acknowledged.
        sync_parent(path).map_err(|e| io(path, "syncing the directory of", e))?;
        let size = intact as u64;
        Ok((Self { path: path.to_owned(), file, size, base: size, compact_floor }, records))
    }

    /// Appends one record and syncs it to disk.
    pub(crate) fn append(&mut self, changes: &[Change]) -> Result<(), Error> {
        if changes.is_empty() {
            return Ok(());
        }
        let bytes = encode(changes);
        self.file.write_all(&bytes).map_err(|e| io(&self.path, "appending to", e))?;
        self.file.sync_data().map_err(|e| io(&self.path, "syncing", e))?;
        self.size += bytes.len() as u64;
        Ok(())
    }

    /// True when the file has grown enough to be rewritten.
    pub(crate) fn wants_compaction(&self) -> bool {
        self.size > self.compact_floor.max(self.base.saturating_mul(2))
    }

    /// Rewrites the file as puts of `live` (every stored item), atomically.
    pub(crate) fn compact(&mut self, live: Vec<Change>) -> Result<(), Error> {
        let tmp = self.path.with_extension("compacting");
        let mut written = 0u64;
        let mut write = || -> std::io::Result<File> {
            let mut f = std::io::BufWriter::new(File::create(&tmp)?);
            // Records of bounded size: the rename, not one record, makes the rewrite atomic.
            for chunk in live.chunks(COMPACT_CHUNK) {
                let bytes = encode(chunk);
                f.write_all(&bytes)?;
                written += bytes.len() as u64;
            }
            let f = f.into_inner().map_err(std::io::IntoInnerError::into_error)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)?;
            // The rename is durable once the directory is synced.
            sync_parent(&self.path)?;
            OpenOptions::new().append(true).read(true).open(&self.path)
        };
        self.file = write().map_err(|e| io(&self.path, "compacting", e))?;
        self.size = written;
        self.base = self.size;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::AttributeValue;

    fn change(id: &str) -> Change {
        let key: Item = [("id".to_owned(), AttributeValue::S(id.into()))].into();
        Change { table: "t".into(), key: key.clone(), item: Some(key) }
    }

    #[test]
    fn torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        {
            let (mut log, records) = Log::open(&path, 1 << 20).unwrap();
            assert!(records.is_empty());
            log.append(&[change("a")]).unwrap();
            log.append(&[change("b"), change("c")]).unwrap();
        }
        let full = std::fs::read(&path).unwrap();
        for cut in [full.len() - 1, full.len() - 5, 3] {
            std::fs::write(&path, &full[..cut]).unwrap();
            let (mut log, records) = Log::open(&path, 1 << 20).unwrap();
            assert_eq!(records.len(), usize::from(cut > 8), "cut at {cut}");
            log.append(&[change("d")]).unwrap();
            drop(log);
            let (_, records) = Log::open(&path, 1 << 20).unwrap();
            assert_eq!(records.last().unwrap(), &vec![change("d")]);
        }
        let mut corrupt = full.clone();
        let last = corrupt.len() - 2;
        corrupt[last] ^= 0xff;
        std::fs::write(&path, &corrupt).unwrap();
        assert_eq!(Log::open(&path, 1 << 20).unwrap().1.len(), 1);
    }

    #[test]
    fn compaction_rewrites_the_live_items() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        let (mut log, _) = Log::open(&path, 64).unwrap();
        for _ in 0..10 {
            log.append(&[change("a")]).unwrap();
        }
        assert!(log.wants_compaction());
        log.compact(vec![change("a")]).unwrap();
        assert!(!log.wants_compaction());
        log.append(&[change("b")]).unwrap();
        drop(log);
        let (_, records) = Log::open(&path, 64).unwrap();
        assert_eq!(records, vec![vec![change("a")], vec![change("b")]]);
    }
}
