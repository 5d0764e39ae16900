//! The engine alone: Query over 100,000 items by partition key (a page of 100), GetItem and
//! PutItem, each through `Database::execute` with AppSync's JSON request, as a resolver sends
//! it. Run with `cargo bench -p appsync-dynamodb --bench engine`; besides criterion's figures it
//! prints the p50/p99 of 20,000 timed queries (the target is p99 under 1 ms).
//! BENCHMARKS.md has the figures.

#![allow(clippy::expect_used, reason = "a benchmark stops at the first failed operation, with its message")]

use std::hint::black_box;
use std::time::Instant;

use appsync_dynamodb::{AttributeDefinition, Database, KeyElement, KeyType, TableDefinition};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

const ITEMS: usize = 100_000;
const PER_PARTITION: usize = 100;

fn database() -> Database {
    let db = Database::builder()
        .table(TableDefinition::new(
            "Posts",
            vec![KeyElement::new("author", KeyType::Hash), KeyElement::new("ts", KeyType::Range)],
            vec![AttributeDefinition::new("author", "S"), AttributeDefinition::new("ts", "N")],
        ))
        .build()
        .expect("the table definition is valid");
    let mut batch = Vec::new();
    for i in 0..ITEMS {
        batch.push(json!({
            "author": {"S": format!("author{}", i / PER_PARTITION)},
            "ts": {"N": (i % PER_PARTITION).to_string()},
            "title": {"S": format!("Post number {i}")},
            "views": {"N": i.to_string()},
            "tags": {"SS": ["a", "b"]},
        }));
        if batch.len() == 25 {
            db.execute("", &json!({"operation": "BatchPutItem", "tables": {"Posts": batch}}))
                .expect("batch put");
            batch = Vec::new();
        }
    }
    db
}

fn query(author: usize) -> Value {
    json!({
        "operation": "Query",
        "query": {"expression": "author = :a", "expressionValues": {":a": {"S": format!("author{author}")}}},
        "limit": 100,
    })
}

fn percentiles(db: &Database) {
    let partitions = ITEMS / PER_PARTITION;
    let mut times = Vec::with_capacity(20_000);
    for i in 0..20_000 {
        let request = query((i * 7919) % partitions);
        let start = Instant::now();
        let page = db.execute("Posts", &request).expect("query");
        times.push(start.elapsed());
        assert_eq!(page["items"].as_array().map(Vec::len), Some(PER_PARTITION));
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "query page of 100 over {ITEMS} items, 20000 runs: p50 {:?}, p99 {:?}, max {:?}",
        at(0.50),
        at(0.99),
        times[times.len() - 1]
    );
}

fn bench(c: &mut Criterion) {
    let db = database();
    percentiles(&db);
    let mut n = 0usize;
    c.bench_function("query_page_of_100_in_100k", |b| {
        b.iter(|| {
            n = (n + 7919) % (ITEMS / PER_PARTITION);
            black_box(db.execute("Posts", &query(n)).expect("query"))
        })
    });
    c.bench_function("get_item", |b| {
        b.iter(|| {
            n = (n + 7919) % ITEMS;
            let request = json!({"operation": "GetItem", "key": {
                "author": {"S": format!("author{}", n / PER_PARTITION)}, "ts": {"N": (n % PER_PARTITION).to_string()}
            }});
            black_box(db.execute("Posts", &request).expect("get"))
        })
    });
    let mut m = 0usize;
    c.bench_function("put_item", |b| {
        b.iter(|| {
            m += 1;
            let request = json!({"operation": "PutItem",
                "key": {"author": {"S": "writer"}, "ts": {"N": m.to_string()}},
                "attributeValues": {"title": {"S": "New post"}, "views": {"N": "0"}}});
            black_box(db.execute("Posts", &request).expect("put"))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
