//! Generated input never panics the engine: any text as a condition, an update, a key condition
//! or a projection, any JSON as attribute values (and what is stored reads back as written).

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

/// Arbitrary JSON, shaped a little like DynamoDB's, as attribute values.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, Into::into)),
        "[a-zA-Z0-9+/=.eE-]{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        let tag = prop_oneof![
            Just("S"),
            Just("N"),
            Just("B"),
            Just("BOOL"),
            Just("NULL"),
            Just("M"),
            Just("L"),
            Just("SS"),
            Just("NS"),
            Just("BS"),
            Just("X")
        ];
        prop_oneof![
            (tag, inner.clone()).prop_map(|(t, v)| json!({ t: v })),
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map("[a-z]{1,3}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_attribute_values(values in proptest::collection::btree_map("[a-z]{1,3}", json_value(), 0..5)) {
        let db = db();
        let attributes = serde_json::Value::Object(values.into_iter().collect());
        if let Ok(put) = db.execute("Fuzz", &json!({"operation": "PutItem", "key": {"id": {"S": "b"}, "n": {"N": 1}},
                                                    "attributeValues": attributes})) {
            let got = db.execute("Fuzz", &json!({"operation": "GetItem", "key": {"id": {"S": "b"}, "n": {"N": 1}}}));
            prop_assert_eq!(got.unwrap(), put);
        }
    }
}
