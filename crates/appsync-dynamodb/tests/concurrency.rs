//! Transactions are atomic and isolated: many tasks move money between accounts in two tables
//! (locked in both orders by the requests) while others read every account in one
//! transaction; every read sees the same total, and no balance goes below zero.

#![allow(clippy::unwrap_used, reason = "helpers of a test fail it with the message")]

use std::sync::Arc;

use appsync_dynamodb::{AttributeDefinition, Database, KeyElement, KeyType, TableDefinition};
use serde_json::{Value, json};

const ACCOUNTS: usize = 8;
const START: i64 = 100;

fn table(name: &str) -> TableDefinition {
    TableDefinition::new(
        name,
        vec![KeyElement::new("id", KeyType::Hash)],
        vec![AttributeDefinition::new("id", "S")],
    )
}

/// Account `i` lives in table A when even, B when odd.
fn account(i: usize) -> (String, Value) {
    let table = if i.is_multiple_of(2) { "AccountsA" } else { "AccountsB" };
    (table.to_owned(), json!({"id": {"S": format!("acct{i}")}}))
}

fn transfer(from: usize, to: usize, amount: i64) -> Value {
    let (from_table, from_key) = account(from);
    let (to_table, to_key) = account(to);
    json!({"operation": "TransactWriteItems", "transactItems": [
        {"table": from_table, "operation": "UpdateItem", "key": from_key,
         "update": {"expression": "SET balance = balance - :x", "expressionValues": {":x": {"N": amount}}},
         "condition": {"expression": "balance >= :x", "expressionValues": {":x": {"N": amount}}}},
        {"table": to_table, "operation": "UpdateItem", "key": to_key,
         "update": {"expression": "SET balance = balance + :x", "expressionValues": {":x": {"N": amount}}}},
    ]})
}

fn read_all() -> Value {
    let items: Vec<Value> = (0..ACCOUNTS)
        .map(|i| {
            let (table, key) = account(i);
            json!({"table": table, "key": key})
        })
        .collect();
    json!({"operation": "TransactGetItems", "transactItems": items})
}

fn balances(db: &Database) -> Vec<i64> {
    let read = db.execute("", &read_all()).unwrap();
    read["items"].as_array().unwrap().iter().map(|i| i["balance"].as_i64().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_transactions_keep_the_total() {
    let db =
        Arc::new(Database::builder().table(table("AccountsA")).table(table("AccountsB")).build().unwrap());
    for i in 0..ACCOUNTS {
        let (t, key) = account(i);
        db.execute(
            &t,
            &json!({"operation": "PutItem", "key": key, "attributeValues": {"balance": {"N": START}}}),
        )
        .unwrap();
    }
    let total = START * ACCOUNTS as i64;
    let mut tasks = Vec::new();
    for worker in 0..32usize {
        let db = db.clone();
        tasks.push(tokio::task::spawn_blocking(move || {
            let mut rng = fastrand::Rng::with_seed(worker as u64);
            let (mut done, mut refused) = (0, 0);
            for _ in 0..300 {
                let from = rng.usize(0..ACCOUNTS);
                let to = (from + rng.usize(1..ACCOUNTS)) % ACCOUNTS;
                match db.execute("", &transfer(from, to, rng.i64(1..=60))) {
                    Ok(_) => done += 1,
                    Err(e) => {
                        assert!(e.is_transaction_canceled(), "{e:?}");
                        refused += 1;
                    }
                }
            }
            (done, refused)
        }));
    }
    for _ in 0..8 {
        let db = db.clone();
        tasks.push(tokio::task::spawn_blocking(move || {
            for _ in 0..300 {
                let b = balances(&db);
                assert_eq!(b.iter().sum::<i64>(), total, "a read saw half a transfer: {b:?}");
                assert!(b.iter().all(|&x| x >= 0), "{b:?}");
            }
            (0, 0)
        }));
    }
    let mut done = 0;
    let mut refused = 0;
    for t in tasks {
        let (d, r) = t.await.unwrap();
        done += d;
        refused += r;
    }
    assert_eq!(done + refused, 32 * 300);
    assert!(done > 0 && refused > 0, "done {done}, refused {refused}");
    let b = balances(&db);
    assert_eq!(b.iter().sum::<i64>(), total);
}
