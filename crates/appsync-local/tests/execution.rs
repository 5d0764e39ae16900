//! Schema loading, execution semantics and the default resolvers, over real HTTP.
#![allow(missing_docs)]

mod support;

use appsync_local::{Emulator, ResolverError};
use serde_json::{Value, json};
use support::*;

#[tokio::test]
async fn create_get_update_delete_roundtrip() {
    let s = start(demo_builder()).await;
    let r = s.api_key(CREATE_POST, json!({"input": {"title": "Hello", "author": "ann"}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let post = r.json()["data"]["createPost"].clone();
    let id = post["id"].as_str().expect("generated id").to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert_eq!(post["title"], "Hello");
    assert_eq!(post["content"], Value::Null);
    let created = post["createdAt"].as_str().expect("createdAt");
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");
    assert_eq!(post["updatedAt"], post["createdAt"]);

    let got = s.api_key("query($id: ID!) { getPost(id: $id) { id title author } }", json!({"id": id})).await;
    assert_eq!(got.json(), json!({"data": {"getPost": {"id": id, "title": "Hello", "author": "ann"}}}));

    let upd = s
        .api_key(
            "mutation($i: UpdatePostInput!) { updatePost(input: $i) { id title author content } }",
            json!({"i": {"id": id, "content": "body"}}),
        )
        .await;
    assert_eq!(
        upd.json()["data"]["updatePost"],
        json!({"id": id, "title": "Hello", "author": "ann", "content": "body"})
    );

    let del = s
        .api_key(
            "mutation($i: DeletePostInput!) { deletePost(input: $i) { id content } }",
            json!({"i": {"id": id}}),
        )
        .await;
    assert_eq!(del.json()["data"]["deletePost"], json!({"id": id, "content": "body"}));

    let gone = s.api_key("query($id: ID!) { getPost(id: $id) { id } }", json!({"id": id})).await;
    assert_eq!(gone.json(), json!({"data": {"getPost": null}}));
}

#[tokio::test]
async fn missing_record_on_update_is_an_error_with_error_type() {
    let s = start(demo_builder()).await;
    let r = s.api_key("mutation { updatePost(input: {id: \"nope\", title: \"x\"}) { id } }", json!({})).await;
    let v = r.json();
    assert_eq!(v["data"], json!({"updatePost": null}));
    let e = &v["errors"][0];
    assert_eq!(e["errorType"], "DynamoDB:ConditionalCheckFailedException");
    assert_eq!(e["path"], json!(["updatePost"]));
    assert_eq!(e["locations"], json!([{"line": 1, "column": 12, "sourceName": null}]));
    assert_eq!(e["errorInfo"], Value::Null);
    // Creating an id that exists fails the same way.
    let first = s.api_key(CREATE_POST, json!({"input": {"id": "fixed", "title": "a"}})).await;
    assert_eq!(first.json()["data"]["createPost"]["id"], "fixed");
    let again = s.api_key(CREATE_POST, json!({"input": {"id": "fixed", "title": "b"}})).await;
    assert_eq!(again.json()["errors"][0]["errorType"], "DynamoDB:ConditionalCheckFailedException");
}

#[tokio::test]
async fn list_with_filter_limit_and_next_token() {
    let s = start(demo_builder()).await;
    for i in 0..7 {
        let author = if i % 2 == 0 { "even" } else { "odd" };
        let r = s.api_key(CREATE_POST, json!({"input": {"title": format!("t{i}"), "author": author}})).await;
        assert_eq!(r.status, 200);
    }
    let q = "query($a: String, $l: Int, $n: String) { listPosts(author: $a, limit: $l, nextToken: $n) { items { title } nextToken } }";
    let page1 = s.api_key(q, json!({"a": "even", "l": 3})).await.json();
    let items = &page1["data"]["listPosts"]["items"];
    assert_eq!(items, &json!([{"title": "t0"}, {"title": "t2"}, {"title": "t4"}]));
    let token = page1["data"]["listPosts"]["nextToken"].as_str().expect("token").to_owned();
    let page2 = s.api_key(q, json!({"a": "even", "l": 3, "n": token})).await.json();
    assert_eq!(page2["data"]["listPosts"], json!({"items": [{"title": "t6"}], "nextToken": null}));
    let all = s.api_key(q, json!({})).await.json();
    assert_eq!(all["data"]["listPosts"]["items"].as_array().map(Vec::len), Some(7));
    let bad = s.api_key(q, json!({"n": "garbage"})).await.json();
    assert_eq!(bad["data"]["listPosts"], Value::Null);
    assert_eq!(bad["errors"][0]["errorType"], "BadRequestException");
}

#[tokio::test]
async fn fragments_aliases_directives_and_typename() {
    let s = start(demo_builder()).await;
    let r = s.api_key(CREATE_POST, json!({"input": {"id": "p1", "title": "T", "author": "A"}})).await;
    assert_eq!(r.status, 200);
    let q = "query Q($withAuthor: Boolean!, $skipTitle: Boolean!) {
      first: getPost(id: \"p1\") { ...Bits }
      second: getPost(id: \"p1\") { t: title __typename }
      missing: getPost(id: \"p2\") { id }
    }
    fragment Bits on Post { id title @skip(if: $skipTitle) author @include(if: $withAuthor) }";
    let v = s.api_key(q, json!({"withAuthor": false, "skipTitle": true})).await.json();
    assert_eq!(
        v,
        json!({"data": {
            "first": {"id": "p1"},
            "second": {"t": "T", "__typename": "Post"},
            "missing": null
        }})
    );
    // Response keys keep the query's order, as AppSync's do.
    let text = s.api_key(q, json!({"withAuthor": true, "skipTitle": false})).await.text;
    assert_eq!(
        text,
        r#"{"data":{"first":{"id":"p1","title":"T","author":"A"},"second":{"t":"T","__typename":"Post"},"missing":null}}"#
    );
}

#[tokio::test]
async fn introspection_lists_types_and_appsync_scalars() {
    let s = start(demo_builder()).await;
    let v = s
        .api_key(
            "{ __schema { queryType { name } mutationType { name } types { name } } __type(name: \"Post\") { fields { name } } }",
            json!({}),
        )
        .await
        .json();
    assert_eq!(v["data"]["__schema"]["queryType"]["name"], "Query");
    assert_eq!(v["data"]["__schema"]["mutationType"]["name"], "Mutation");
    let names: Vec<&str> = v["data"]["__schema"]["types"]
        .as_array()
        .expect("types")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for expected in ["Post", "PostConnection", "AWSDateTime", "CreatePostInput"] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    let fields: Vec<&str> = v["data"]["__type"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert_eq!(fields, ["id", "title", "author", "content", "createdAt", "updatedAt"]);
}

#[tokio::test]
async fn validation_error_is_worded_like_appsync_byte_for_byte() {
    let s = start(demo_builder()).await;
    let r = s.api_key("{badfield}", json!({})).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.text,
        r#"{"data":null,"errors":[{"path":null,"locations":[{"line":1,"column":2,"sourceName":null}],"message":"Validation error of type FieldUndefined: Field 'badfield' in type 'Query' is undefined @ 'badfield'"}]}"#
    );
    let nested = s.api_key("query {\n  getPost(id: \"1\") {\n    nope\n  }\n}", json!({})).await.json();
    assert_eq!(
        nested["errors"][0]["message"],
        "Validation error of type FieldUndefined: Field 'nope' in type 'Post' is undefined @ 'getPost/nope'"
    );
    assert_eq!(nested["errors"][0]["locations"], json!([{"line": 3, "column": 5, "sourceName": null}]));
    let sub = s.api_key("{ getPost(id: \"1\") }", json!({})).await.json();
    assert_eq!(
        sub["errors"][0]["message"],
        "Validation error of type SubSelectionRequired: Sub selection required for type Post of field getPost @ 'getPost'"
    );
    let arg = s.api_key("{ getPost(id: \"1\", foo: 1) { id } }", json!({})).await.json();
    assert_eq!(
        arg["errors"][0]["message"],
        "Validation error of type UnknownArgument: Unknown field argument foo @ 'getPost'"
    );
    let missing_arg = s.api_key("{ getPost { id } }", json!({})).await.json();
    assert_eq!(
        missing_arg["errors"][0]["message"],
        "Validation error of type MissingFieldArgument: Missing field argument id @ 'getPost'"
    );
}

#[tokio::test]
async fn variable_errors_are_worded_like_appsync() {
    let s = start(demo_builder()).await;
    let v = s.api_key("query($id: ID!) { getPost(id: $id) { id } }", json!({})).await.json();
    assert_eq!(
        v,
        json!({"data": null, "errors": [{
            "path": null,
            "locations": [{"line": 1, "column": 7, "sourceName": null}],
            "message": "Variable 'id' has coerced Null value for NonNull type 'ID!'"
        }]})
    );
    let syntax = s.api_key("{ getPost(id: \"1\") { id }", json!({})).await.json();
    assert_eq!(syntax["data"], Value::Null);
    assert!(
        syntax["errors"][0]["message"].as_str().is_some_and(|m| m.starts_with("Invalid Syntax")),
        "{syntax}"
    );
    let unknown_op = s
        .raw(
            &[("x-api-key", API_KEY.to_owned())],
            serde_json::to_vec(&json!({"query": "query A { __typename }", "operationName": "B"}))
                .expect("json"),
        )
        .await
        .json();
    assert_eq!(unknown_op["errors"][0]["message"], "Unknown operation named 'B'.");
}

const SCALARS_SDL: &str = r#"
type Thing {
  id: ID!
  when: AWSDateTime
  email: AWSEmail
  meta: AWSJSON
  ip: AWSIPAddress
}
input ThingInput { when: AWSDateTime, email: AWSEmail, meta: AWSJSON, ip: AWSIPAddress }
type Query { getThing(id: ID!): Thing  things(email: AWSEmail): [Thing] }
type Mutation { addThing(input: ThingInput!): Thing }
"#;

#[tokio::test]
async fn appsync_scalars_need_no_declaration_and_are_validated() {
    let s = start(demo_builder().schema_sdl(SCALARS_SDL).default_auth(appsync_local::AuthMode::ApiKey)).await;
    let ok = s
        .api_key(
            "mutation($i: ThingInput!) { addThing(input: $i) { id when email meta ip } }",
            json!({"i": {"when": "2026-11-25T10:00:00Z", "email": "a@b.co", "meta": "{\"k\":1}", "ip": "10.0.0.1"}}),
        )
        .await
        .json();
    let thing = &ok["data"]["addThing"];
    assert_eq!(thing["when"], "2026-11-25T10:00:00Z", "{ok}");
    assert_eq!(thing["meta"], "{\"k\":1}");
    // Listing with no filters returns the record (the [Thing] list default resolver).
    let list = s.api_key("{ things { email } }", json!({})).await.json();
    assert_eq!(list, json!({"data": {"things": [{"email": "a@b.co"}]}}));

    let bad_var = s
        .api_key(
            "mutation($i: ThingInput!) { addThing(input: $i) { id } }",
            json!({"i": {"when": "2026-11-25 10:00"}}),
        )
        .await
        .json();
    assert_eq!(bad_var["data"], Value::Null);
    assert_eq!(
        bad_var["errors"][0]["message"],
        "Variable 'i' has an invalid value. Unable to parse `2026-11-25 10:00` as a valid date time."
    );
    let bad_literal = s.api_key("{ things(email: \"not-an-email\") { id } }", json!({})).await.json();
    assert_eq!(
        bad_literal["errors"][0]["message"],
        "Validation error of type WrongType: argument 'email' with value 'StringValue{value='not-an-email'}' is not a valid 'AWSEmail' @ 'things'"
    );
    assert_eq!(bad_literal["errors"][0]["path"], Value::Null);
}

#[tokio::test]
async fn registered_resolvers_return_data_or_appsync_errors() {
    let sdl = r#"
      type Query { hello(name: String!): String  fail: String  me: Me }
      type Me { mode: String principal: String nested: Inner }
      type Inner { value: Int }
    "#;
    let b = demo_builder()
        .schema_sdl(sdl)
        .default_auth(appsync_local::AuthMode::ApiKey)
        .resolver("Query.hello", |ctx| async move {
            let name = ctx.argument("name").and_then(Value::as_str).unwrap_or("").to_owned();
            Ok(json!(format!("hello {name}")))
        })
        .resolver("Query.fail", |_ctx| async move {
            Err(ResolverError::new("nope").error_type("Custom:Failure").error_info(json!({"retry": false})))
        })
        .resolver("Query.me", |ctx| async move {
            Ok(json!({"mode": ctx.identity().mode().to_string(), "principal": "x", "nested": {"value": 7}}))
        });
    let s = start(b).await;
    let v = s.api_key("{ hello(name: \"bob\") fail me { mode nested { value } } }", json!({})).await.json();
    assert_eq!(
        v["data"],
        json!({"hello": "hello bob", "fail": null, "me": {"mode": "api-key", "nested": {"value": 7}}})
    );
    assert_eq!(
        v["errors"],
        json!([{
            "path": ["fail"],
            "data": null,
            "errorType": "Custom:Failure",
            "errorInfo": {"retry": false},
            "locations": [{"line": 1, "column": 22, "sourceName": null}],
            "message": "nope"
        }])
    );
}

#[tokio::test]
async fn whole_numbers_in_float_fields_are_answered_as_floats() {
    // AppSync answers a resolver's 50 in a Float field as 50.0; apollo-compiler alone refuses it.
    let sdl =
        "type Query { price: Float  prices: [Float]  item: Item  count: Int } type Item { total: Float }";
    let b = demo_builder()
        .schema_sdl(sdl)
        .default_auth(appsync_local::AuthMode::ApiKey)
        .resolver("Query.price", |_ctx| async move { Ok(json!(50)) })
        .resolver("Query.prices", |_ctx| async move { Ok(json!([1, 2.5, null])) })
        .resolver("Query.item", |_ctx| async move { Ok(json!({"total": 7})) })
        .resolver("Query.count", |_ctx| async move { Ok(json!(3)) });
    let s = start(b).await;
    let r = s.api_key("{ price prices item { total } count }", json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["errors"], Value::Null, "{}", r.text);
    // On the wire: floats keep their fraction, the Int stays an integer.
    assert!(r.text.contains(r#""price":50.0"#), "{}", r.text);
    assert!(r.text.contains(r#""prices":[1.0,2.5,null]"#), "{}", r.text);
    assert!(r.text.contains(r#""total":7.0"#), "{}", r.text);
    assert!(r.text.contains(r#""count":3"#) && !r.text.contains(r#""count":3.0"#), "{}", r.text);
}

#[tokio::test]
async fn awsjson_fields_are_answered_as_json_text() {
    // AppSync answers an AWSJSON field with the value's JSON text (amplify-cli #5207).
    let sdl = "type Query { obj: AWSJSON  list: [AWSJSON]  text: AWSJSON  none: AWSJSON  flag: AWSJSON }";
    let b = demo_builder()
        .schema_sdl(sdl)
        .default_auth(appsync_local::AuthMode::ApiKey)
        .resolver("Query.obj", |_ctx| async move { Ok(json!({"upvotes": 10, "tags": ["a"]})) })
        .resolver("Query.list", |_ctx| async move { Ok(json!([{"a": 1}, 2, null])) })
        .resolver("Query.text", |_ctx| async move { Ok(json!("{\"already\":\"text\"}")) })
        .resolver("Query.none", |_ctx| async move { Ok(Value::Null) })
        .resolver("Query.flag", |_ctx| async move { Ok(json!(true)) });
    let s = start(b).await;
    let v = s.api_key("{ obj list text none flag }", json!({})).await.json();
    assert_eq!(
        v,
        json!({"data": {
            "obj": "{\"tags\":[\"a\"],\"upvotes\":10}",
            "list": ["{\"a\":1}", "2", null],
            "text": "{\"already\":\"text\"}",
            "none": null,
            "flag": "true"
        }})
    );
}

#[tokio::test]
async fn unresolvable_root_fields_are_null() {
    let sdl = "type Query { ping: String  count: Int } type Mutation { doSomething(x: Int): String }";
    let s = start(demo_builder().schema_sdl(sdl).default_auth(appsync_local::AuthMode::ApiKey)).await;
    let v = s.api_key("{ ping count }", json!({})).await.json();
    assert_eq!(v, json!({"data": {"ping": null, "count": null}}));
    let m = s.api_key("mutation { doSomething(x: 1) }", json!({})).await.json();
    assert_eq!(m, json!({"data": {"doSomething": null}}));
}

#[test]
fn bad_schemas_and_resolver_keys_are_rejected_at_build() {
    let e = Emulator::builder()
        .api_key(appsync_local::ApiKey::new("k"))
        .default_auth(appsync_local::AuthMode::ApiKey)
        .schema_sdl("type Query { x: Nope }")
        .build()
        .expect_err("undefined type");
    assert!(e.is_schema(), "{e}");
    assert!(e.to_string().contains("Nope"), "{e}");
    let e = demo_builder()
        .resolver("Query.nothing", |_c| async { Ok(Value::Null) })
        .build()
        .expect_err("unknown field");
    assert!(e.is_config(), "{e}");
    let e = demo_builder()
        .schema_sdl("type P { id: ID } type Q2 { id: ID } type Query { p: P } type Mutation { addP: P addQ: Q2 }\n type Subscription { onP: P @aws_subscribe(mutations: [\"addQ\"]) }")
        .build()
        .expect_err("mismatched subscription type");
    assert!(e.is_schema() && e.to_string().contains("addQ"), "{e}");
    let e = demo_builder()
        .schema_sdl("type P { id: ID } type Query { p: P } type Mutation { addP: P }\n type Subscription { onP: P @aws_subscribe(mutations: [\"nope\"]) }")
        .build()
        .expect_err("unknown mutation");
    assert!(e.is_schema() && e.to_string().contains("nope"), "{e}");
    let e = Emulator::builder().build().expect_err("IAM default without credentials");
    assert!(e.is_config());
    let e = demo_builder().region("US East").build().expect_err("bad region");
    assert!(e.is_config());
    let e =
        demo_builder().data_file("/nonexistent-dir/records.redb").build().expect_err("unwritable data file");
    assert!(e.is_io(), "{e}");
    assert!(std::error::Error::source(&e).is_some());
}

#[tokio::test]
async fn data_file_records_survive_a_new_emulator() {
    let path = std::env::temp_dir().join(format!("appsync-local-exec-{}.redb", std::process::id()));
    let _ = std::fs::remove_file(&path);
    {
        let s = start(demo_builder().data_file(&path)).await;
        let r = s.api_key(CREATE_POST, json!({"input": {"id": "kept", "title": "persisted"}})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    // The first emulator (and its file handle) is gone once its executor threads stop, which
    // nothing announces but the file opening again: poll for that (every 20 ms, at most 1 s).
    let mut reopened = None;
    for _ in 0..50 {
        match demo_builder().data_file(&path).build() {
            Ok(e) => {
                reopened = Some(e);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
    let s = start_emulator(&reopened.expect("reopen the data file")).await;
    let v = s.api_key("{ getPost(id: \"kept\") { title } }", json!({})).await.json();
    assert_eq!(v, json!({"data": {"getPost": {"title": "persisted"}}}));
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn mutations_are_published_on_the_event_bus() {
    let emulator = demo_builder().build().expect("build");
    let mut events = emulator.subscribe_mutations();
    let s = start_emulator(&emulator).await;
    let r = s
        .api_key(
            "mutation { made: createPost(input: {title: \"T\", author: \"ann\"}) { id title } }",
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let event = tokio::time::timeout(std::time::Duration::from_secs(5), events.recv())
        .await
        .expect("event in time")
        .expect("event");
    assert_eq!(event.field(), "createPost");
    assert_eq!(event.subscriptions(), ["onCreatePost"]);
    assert_eq!(event.arguments()["input"]["author"], "ann");
    // Only what the mutation selected.
    let data = event.data().as_object().expect("object");
    assert_eq!(data.keys().collect::<Vec<_>>(), ["id", "title"]);
    assert_eq!(event.auth_mode(), appsync_local::AuthMode::ApiKey);
    // A failed mutation publishes nothing.
    let failed = s.api_key("mutation { deletePost(input: {id: \"none\"}) { id } }", json!({})).await;
    assert_eq!(failed.status, 200);
    assert!(events.try_recv().is_err());
}

#[tokio::test]
async fn operations_run_from_rust_and_publish_like_http_ones() {
    let emulator = demo_builder().build().expect("build");
    let mut events = emulator.subscribe_mutations();
    let iam = appsync_local::Identity::trusted(appsync_local::AuthMode::Iam);
    let v = emulator
        .execute(
            "mutation($t: String!) { createPost(input: {id: \"r1\", title: $t}) { id title } }",
            Some(serde_json::from_value(json!({"t": "from rust"})).expect("map")),
            None,
            &iam,
        )
        .await;
    assert_eq!(v, json!({"data": {"createPost": {"id": "r1", "title": "from rust"}}}));
    let event = events.try_recv().expect("published");
    assert_eq!(event.field(), "createPost");
    assert_eq!(event.auth_mode(), appsync_local::AuthMode::Iam);
    // The same record is visible over HTTP.
    let s = start_emulator(&emulator).await;
    let got = s.iam("{ getPost(id: \"r1\") { title } }", json!({})).await.json();
    assert_eq!(got, json!({"data": {"getPost": {"title": "from rust"}}}));
}

#[tokio::test]
async fn null_in_a_non_null_field_is_reported_with_its_path() {
    let b = demo_builder()
        .default_auth(appsync_local::AuthMode::ApiKey)
        .schema_sdl("type Item { id: ID! name: String! } type Query { item: Item }")
        .resolver("Query.item", |_c| async { Ok(json!({"id": "1"})) });
    let s = start(b).await;
    let v = s.api_key("{ item { id name } }", json!({})).await.json();
    assert_eq!(v["data"], json!({"item": null}));
    assert_eq!(v["errors"][0]["path"], json!(["item", "name"]));
    assert_eq!(
        v["errors"][0]["message"],
        "Cannot return null for non-nullable type: 'String' within parent 'Item' (/item/name)"
    );
}

const AMPLIFY_SDL: &str = r#"
type Todo { id: ID! name: String! done: Boolean createdAt: AWSDateTime! updatedAt: AWSDateTime! }
type ModelTodoConnection { items: [Todo]! nextToken: String }
input CreateTodoInput { id: ID name: String! done: Boolean }
input DeleteTodoInput { id: ID! }
input ModelTodoConditionInput { name: ModelStringInput }
input ModelStringInput { eq: String ne: String }
input ModelBooleanInput { eq: Boolean ne: Boolean }
input ModelTodoFilterInput { name: ModelStringInput done: ModelBooleanInput }
type Query {
  getTodo(id: ID!): Todo
  listTodos(filter: ModelTodoFilterInput, limit: Int, nextToken: String): ModelTodoConnection
}
type Mutation {
  createTodo(input: CreateTodoInput!, condition: ModelTodoConditionInput): Todo
  deleteTodo(input: DeleteTodoInput!, condition: ModelTodoConditionInput): Todo
}
"#;

#[tokio::test]
async fn amplify_generated_shapes_work_with_default_resolvers() {
    let s = start(demo_builder().schema_sdl(AMPLIFY_SDL).default_auth(appsync_local::AuthMode::ApiKey)).await;
    let create = "mutation($i: CreateTodoInput!) { createTodo(input: $i) { id name done createdAt } }";
    for (name, done) in [("a", true), ("b", false), ("c", true)] {
        let v = s.api_key(create, json!({"i": {"name": name, "done": done}})).await.json();
        assert_eq!(v["data"]["createTodo"]["name"], name, "{v}");
        assert!(v["data"]["createTodo"]["createdAt"].is_string());
    }
    let list = "query($f: ModelTodoFilterInput) { listTodos(filter: $f) { items { name } nextToken } }";
    let done = s.api_key(list, json!({"f": {"done": {"eq": true}}})).await.json();
    assert_eq!(
        done["data"]["listTodos"],
        json!({"items": [{"name": "a"}, {"name": "c"}], "nextToken": null})
    );
    let all = s.api_key(list, json!({})).await.json();
    assert_eq!(all["data"]["listTodos"]["items"].as_array().map(Vec::len), Some(3));
    let id = s.api_key("{ listTodos(filter: {name: {eq: \"b\"}}) { items { id } } }", json!({})).await.json()
        ["data"]["listTodos"]["items"][0]["id"]
        .clone();
    let del = s
        .api_key(
            "mutation($i: DeleteTodoInput!) { deleteTodo(input: $i, condition: null) { name } }",
            json!({"i": {"id": id}}),
        )
        .await
        .json();
    assert_eq!(del, json!({"data": {"deleteTodo": {"name": "b"}}}));
}

#[tokio::test]
async fn a_panicking_resolver_fails_its_request_only() {
    let b = demo_builder()
        .default_auth(appsync_local::AuthMode::ApiKey)
        .schema_sdl("type Query { boom: String  fine: String }")
        .resolver("Query.boom", |_c| async { panic!("resolver bug") })
        .resolver("Query.fine", |_c| async { Ok(json!("ok")) });
    let s = start(b).await;
    for _ in 0..4 {
        let v = s.api_key("{ boom }", json!({})).await;
        assert_eq!(v.status, 200);
        assert_eq!(v.json()["data"], Value::Null);
        assert!(v.json()["errors"][0]["message"].as_str().is_some_and(|m| m.contains("internal failure")));
    }
    let ok = s.api_key("{ fine }", json!({})).await.json();
    assert_eq!(ok, json!({"data": {"fine": "ok"}}));
}
