//! The data file keeps every acknowledged write: a child process writes and reports each
//! acknowledgement on stdout, the test kills it with SIGKILL mid-stream and reopens the file.

#![allow(clippy::unwrap_used, reason = "helpers of a test fail it with the message")]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use appsync_dynamodb::{AttributeDefinition, Database, KeyElement, KeyType, TableDefinition};
use serde_json::json;

const CHILD_ENV: &str = "APPSYNC_DYNAMODB_CHILD_DATA_FILE";

fn open(path: &Path) -> Database {
    Database::builder()
        .table(TableDefinition::new(
            "Events",
            vec![KeyElement::new("id", KeyType::Hash)],
            vec![AttributeDefinition::new("id", "N")],
        ))
        .data_file(path)
        // Small, so the child compacts the file several times while it runs.
        .compact_floor(16 * 1024)
        .build()
        .unwrap()
}

/// The child: writes forever, printing `ack <n>` after write `n` returned.
#[test]
fn child_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let db = open(Path::new(&path));
    let mut out = std::io::stdout().lock();
    for n in 0u64.. {
        db.execute("Events", &json!({"operation": "PutItem", "key": {"id": {"N": n}}, "attributeValues": {"body": {"S": "x".repeat(200)}}}))
            .unwrap();
        db.execute(
            "Events",
            &json!({"operation": "UpdateItem", "key": {"id": {"N": -1}}, "update": {"expression": "ADD acks :one", "expressionValues": {":one": {"N": 1}}}}),
        )
        .unwrap();
        if n.is_multiple_of(3) && n > 0 {
            db.execute("Events", &json!({"operation": "DeleteItem", "key": {"id": {"N": n - 1}}})).unwrap();
        }
        writeln!(out, "ack {n}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn sigkill_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tables.data");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["child_writer", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut last = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("ack ") {
            let n: u64 = n.parse().unwrap();
            last = Some(n);
            if n >= 400 {
                break;
            }
        }
    }
    // `kill` sends SIGKILL on Unix: no destructor, no flush.
    child.kill().unwrap();
    child.wait().unwrap();
    let last = last.expect("the child acknowledged writes");
    assert!(std::fs::metadata(&path).unwrap().len() < 4 * 1024 * 1024);

    let db = open(&path);
    let get =
        |n: i64| db.execute("Events", &json!({"operation": "GetItem", "key": {"id": {"N": n}}})).unwrap();
    for n in 0..=last {
        let deleted = n < last && (n + 1).is_multiple_of(3);
        let item = get(n as i64);
        if deleted {
            assert!(item.is_null(), "item {n} was deleted before ack {}", n + 1);
        } else {
            assert_eq!(item["id"], json!(n), "acknowledged item {n} lost (last ack {last})");
        }
    }
    let acks = get(-1)["acks"].as_u64().unwrap();
    assert!(acks > last, "counter {acks} behind the {} acknowledged updates", last + 1);
}

#[test]
fn items_of_a_table_left_out_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tables.data");
    let other = || {
        TableDefinition::new(
            "Others",
            vec![KeyElement::new("id", KeyType::Hash)],
            vec![AttributeDefinition::new("id", "S")],
        )
    };
    {
        let db = Database::builder().table(other()).data_file(&path).build().unwrap();
        db.execute("Others", &json!({"operation": "PutItem", "key": {"id": {"S": "kept"}}})).unwrap();
    }
    {
        // Opened without that table, and compacted: its records stay in the file.
        let db = open(&path);
        for n in 0..200 {
            db.execute("Events", &json!({"operation": "PutItem", "key": {"id": {"N": n % 3}}, "attributeValues": {"body": {"S": "x".repeat(200)}}}))
                .unwrap();
        }
        assert!(
            db.execute("Others", &json!({"operation": "GetItem", "key": {"id": {"S": "kept"}}}))
                .unwrap_err()
                .is_resource_not_found()
        );
        db.create_table(other()).unwrap();
        assert_eq!(
            db.execute("Others", &json!({"operation": "GetItem", "key": {"id": {"S": "kept"}}})).unwrap(),
            json!({"id": "kept"})
        );
    }
    let db = Database::builder().table(other()).data_file(&path).build().unwrap();
    assert_eq!(db.item_count("Others"), Some(1));
}
