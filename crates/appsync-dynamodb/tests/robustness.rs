//! Any text as a condition, an update, a key condition or a projection gives an answer or an
//! error, never a panic.

#![allow(clippy::unwrap_used, reason = "helpers of a test fail it with the message")]

use appsync_dynamodb::{AttributeDefinition, Database, KeyElement, KeyType, TableDefinition};
use proptest::prelude::*;
use serde_json::json;

fn db() -> Database {
    let db = Database::builder()
        .table(TableDefinition::new(
            "Fuzz",
            vec![KeyElement::new("id", KeyType::Hash), KeyElement::new("n", KeyType::Range)],
            vec![AttributeDefinition::new("id", "S"), AttributeDefinition::new("n", "N")],
        ))
        .build()
        .unwrap();
    db.execute(
        "Fuzz",
        &json!({"operation": "PutItem", "key": {"id": {"S": "a"}, "n": {"N": 1}},
                               "attributeValues": {"l": {"L": [{"N": 1}]}, "m": {"M": {"k": {"S": "v"}}}}}),
    )
    .unwrap();
    db
}

const TOKENS: &[&str] = &[
    "a",
    "l",
    "m",
    "k",
    "n",
    "id",
    "#x",
    ":v",
    ":w",
    ".",
    "[",
    "]",
    "0",
    "7",
    "(",
    ")",
    ",",
    "=",
    "<>",
    "<",
    ">=",
    "+",
    "-",
    " AND ",
    " OR ",
    "NOT ",
    " BETWEEN ",
    " IN ",
    "SET ",
    "REMOVE ",
    "ADD ",
    "DELETE ",
    "size",
    "contains",
    "begins_with",
    "attribute_exists",
    "if_not_exists",
    "list_append",
    " ",
    "é",
];

proptest! {
    #[test]
    fn any_text(parts in proptest::collection::vec(0..TOKENS.len(), 0..14)) {
        let text: String = parts.iter().map(|&i| TOKENS[i]).collect();
        let db = db();
        let values = json!({":v": {"N": "1"}, ":w": {"L": [{"S": "x"}]}});
        let names = json!({"#x": "l"});
        let _ = db.execute("Fuzz", &json!({"operation": "UpdateItem", "key": {"id": {"S": "a"}, "n": {"N": 1}},
            "update": {"expression": text, "expressionNames": names, "expressionValues": values}}));
        let _ = db.execute("Fuzz", &json!({"operation": "DeleteItem", "key": {"id": {"S": "a"}, "n": {"N": 2}},
            "condition": {"expression": text, "expressionNames": names, "expressionValues": values}}));
        let _ = db.execute("Fuzz", &json!({"operation": "Query",
            "query": {"expression": text, "expressionNames": names, "expressionValues": values}}));
        let _ = db.execute("Fuzz", &json!({"operation": "GetItem", "key": {"id": {"S": "a"}, "n": {"N": 1}},
            "projection": {"expression": text, "expressionNames": names}}));
    }
}
