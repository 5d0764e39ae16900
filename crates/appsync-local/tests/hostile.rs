//! Hostile input: each gets a clear error and the server keeps answering good requests.
#![allow(missing_docs)]

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn still_serves(s: &Server) {
    let r = s.api_key("{ listPosts { nextToken } }", json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"data": {"listPosts": {"nextToken": null}}}));
}

#[tokio::test]
async fn oversized_body_is_413_json() {
    let s = start(demo_builder().body_limit(64 * 1024)).await;
    let big = "x".repeat(100 * 1024);
    let r = s.api_key("query($v: String) { __typename }", json!({"v": big})).await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["errorType"], "PayloadTooLargeException");
    still_serves(&s).await;
}

#[tokio::test]
async fn ten_megabyte_variable_is_refused_by_the_default_limit() {
    let s = start(demo_builder()).await;
    let big = "y".repeat(10 * 1024 * 1024);
    let r = s.api_key("query($v: String) { __typename }", json!({"v": big})).await;
    assert_eq!(r.status, 413);
    assert!(r.json()["errors"][0]["message"].as_str().is_some_and(|m| m.contains("1048576")));
    still_serves(&s).await;
}

#[tokio::test]
async fn chunked_body_over_the_limit_is_413() {
    let s = start(demo_builder().body_limit(1024)).await;
    let mut tcp = tokio::net::TcpStream::connect(s.handle.local_addr()).await.expect("connect");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: {}\r\nx-api-key: {API_KEY}\r\ntransfer-encoding: chunked\r\n\r\n",
        s.host
    );
    tcp.write_all(head.as_bytes()).await.expect("write head");
    let chunk = format!("200\r\n{}\r\n", " ".repeat(0x200));
    for _ in 0..10 {
        // The server may answer and close before all chunks are sent.
        if tcp.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf))
        .await
        .expect("in time")
        .expect("read");
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    still_serves(&s).await;
}

#[tokio::test]
async fn malformed_bodies_get_appsyncs_400s() {
    let s = start(demo_builder()).await;
    let key = [("x-api-key", API_KEY.to_owned())];
    for bad in
        [&b"meow"[..], b"{}", b"{}}", b"[]", b"{\"query\": 5}", b"{\"query\": \"{ a }\", \"variables\": 3}"]
    {
        let r = s.raw(&key, bad.to_vec()).await;
        assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(bad));
        assert_eq!(
            r.text,
            "{\n  \"errors\" : [ {\n    \"errorType\" : \"MalformedHttpRequestException\",\n    \"message\" : \"Unable to parse GraphQL query.\"\n  } ]\n}"
        );
    }
    let empty = s.raw(&key, Vec::new()).await;
    assert_eq!(empty.status, 400);
    assert_eq!(
        empty.text,
        "{\n  \"errors\" : [ {\n    \"errorType\" : \"MalformedHttpRequestException\",\n    \"message\" : \"Request body is empty.\"\n  } ]\n}"
    );
    still_serves(&s).await;
}

const NODES: &str = "type Node { name: String child: Node } type Query { root: Node }";

fn nested(depth: usize) -> String {
    let mut q = String::from("{ root ");
    for _ in 0..depth {
        q.push_str("{ child ");
    }
    q.push_str("{ name }");
    for _ in 0..depth {
        q.push_str(" }");
    }
    q.push_str(" }");
    q
}

const NESTED_RECORDS: &str = "type Node { id: ID! name: String child: Node }
input NodeInput { name: String child: NodeInput }
input CreateNodeInput { id: ID! name: String child: NodeInput }
type Query { getNode(id: ID!): Node }
type Mutation { createNode(input: CreateNodeInput!): Node }";

/// `getNode` with `levels` nested `child` selections: its deepest field is at depth `levels + 2`.
fn nested_get(levels: usize) -> String {
    format!("{{ getNode(id: \"n\") {}{{ name }}{} }}", "{ child ".repeat(levels), " }".repeat(levels))
}

// Without resolvers, a request whose document is already cached runs on the thread that received
// it, as long as it is shallow (engine.rs, `INLINE_MAX_DEPTH`, 12): the same answers both ways,
// and no stack overflow on that thread's ordinary stack (here the test's own thread, in a debug build).
#[tokio::test]
async fn cached_documents_run_on_the_receiving_thread_with_the_same_answers() {
    let s =
        start(demo_builder().schema_sdl(NESTED_RECORDS).default_auth(appsync_local::AuthMode::ApiKey)).await;
    let mut input = json!({"name": "bottom"});
    for _ in 0..20 {
        input = json!({"name": "r", "child": input});
    }
    input["id"] = json!("n");
    let created = s
        .api_key("mutation ($i: CreateNodeInput!) { createNode(input: $i) { id } }", json!({"i": input}))
        .await;
    assert_eq!(created.json(), json!({"data": {"createNode": {"id": "n"}}}));
    // 10 levels: depth 12, run here once cached; 11 levels: depth 13, always on the executor threads.
    for levels in [0, 10, 11] {
        let query = nested_get(levels);
        let first = s.api_key(&query, json!({})).await.json();
        let mut node = &first["data"]["getNode"];
        for _ in 0..levels {
            node = &node["child"];
        }
        assert_eq!(node["name"], "r", "{levels}: {first}");
        for _ in 0..3 {
            assert_eq!(s.api_key(&query, json!({})).await.json(), first, "{levels}");
        }
    }
    // Errors read the same too: a field error on a cached document.
    let missing = "{ getNode(id: \"nope\") { id } }";
    let first = s.api_key(missing, json!({})).await.json();
    assert_eq!(first, json!({"data": {"getNode": null}}));
    assert_eq!(s.api_key(missing, json!({})).await.json(), first);
}

// No depth limit by default, as in AppSync (FIDELITY.md 12): a deep query runs; one deeper than
// any real query is stopped by the parser with a clean error, never a stack overflow.
#[tokio::test]
async fn pathological_depth_is_a_clean_error_not_a_crash() {
    let s = start(demo_builder().schema_sdl(NODES).default_auth(appsync_local::AuthMode::ApiKey).resolver(
        "Query.root",
        |_c| async {
            let mut node = json!({"name": "bottom"});
            for _ in 0..400 {
                node = json!({"name": "r", "child": node});
            }
            Ok(node)
        },
    ))
    .await;
    // Past AppSync's highest configurable limit (75), and no limit is set: executed to the end,
    // as deep as the parser lets a document go.
    for depth in [60, 120] {
        let deep = s.api_key(&nested(depth), json!({})).await.json();
        assert!(deep.get("errors").is_none(), "{deep}");
        let mut node = &deep["data"]["root"];
        for _ in 0..depth {
            node = &node["child"];
        }
        assert_eq!(node["name"], "r", "{depth}");
    }
    // Far deeper than the parser's recursion limit: still a clean error, not a crash.
    let abyss = s.api_key(&nested(5000), json!({})).await.json();
    assert_eq!(abyss["data"], Value::Null);
    assert!(abyss["errors"][0]["message"].is_string());
    let r = s.api_key("{ root { name } }", json!({})).await.json();
    assert_eq!(r, json!({"data": {"root": {"name": "r"}}}));
}

#[tokio::test]
async fn thousands_of_aliases_are_refused() {
    let s = start(demo_builder().max_aliases(100)).await;
    let mut q = String::from("{");
    for i in 0..5000 {
        q.push_str(&format!(" a{i}: __typename"));
    }
    q.push('}');
    let v = s.api_key(&q, json!({})).await.json();
    assert_eq!(v["data"], Value::Null);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Query alias limit of 100 exceeded")),
        "{v}"
    );
    still_serves(&s).await;
}

#[tokio::test]
async fn a_client_that_stalls_mid_body_gets_408() {
    let s = start(demo_builder().body_timeout(Duration::from_millis(300))).await;
    let mut tcp = tokio::net::TcpStream::connect(s.handle.local_addr()).await.expect("connect");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: {}\r\nx-api-key: {API_KEY}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"query\":",
        s.host
    );
    tcp.write_all(head.as_bytes()).await.expect("write");
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf))
        .await
        .expect("answered before the test timeout")
        .expect("read");
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    still_serves(&s).await;
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_cut_off() {
    let s = start(demo_builder().header_timeout(Duration::from_millis(300))).await;
    let mut tcp = tokio::net::TcpStream::connect(s.handle.local_addr()).await.expect("connect");
    tcp.write_all(b"POST /graphql HTTP/1.1\r\nhost: x\r\n").await.expect("write");
    let started = std::time::Instant::now();
    let mut buf = vec![0u8; 4096];
    // Keep trickling; the server must close (or answer 408) well before the test's limit.
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            tokio::select! {
                n = tcp.read(&mut buf) => {
                    let n = n.unwrap_or(0);
                    return String::from_utf8_lossy(&buf[..n]).into_owned();
                }
                // This sleep is the behaviour under test: a header line every 100 ms (slow loris).
                () = tokio::time::sleep(Duration::from_millis(100)) => {
                    if tcp.write_all(b"x-slow: 1\r\n").await.is_err() {
                        return String::new();
                    }
                }
            }
        }
    })
    .await
    .expect("the server cut the connection");
    assert!(closed.is_empty() || closed.starts_with("HTTP/1.1 408"), "{closed}");
    assert!(started.elapsed() < Duration::from_secs(3));
    still_serves(&s).await;
}

#[tokio::test]
async fn a_burst_of_connections_is_answered() {
    let s = start(demo_builder()).await;
    let mut tasks = Vec::new();
    for i in 0..300 {
        let addr = s.handle.local_addr();
        tasks.push(tokio::spawn(async move {
            // A raw connection each, opened all at once.
            let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
            let b = body("query($i: ID!) { getPost(id: $i) { id } }", json!({"i": i.to_string()}));
            let head = format!(
                "POST /graphql HTTP/1.1\r\nhost: {addr}\r\nx-api-key: {API_KEY}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                b.len()
            );
            tcp.write_all(head.as_bytes()).await.expect("head");
            tcp.write_all(&b).await.expect("body");
            let mut out = Vec::new();
            tcp.read_to_end(&mut out).await.expect("read");
            let text = String::from_utf8_lossy(&out).into_owned();
            text.starts_with("HTTP/1.1 200") && text.ends_with(r#"{"data":{"getPost":null}}"#)
        }));
    }
    for t in tasks {
        assert!(t.await.expect("join"), "a request in the burst was not answered 200");
    }
    still_serves(&s).await;
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let s = start(demo_builder()).await;
    still_serves(&s).await;
    let addr = s.handle.local_addr();
    drop(s);
    // Nothing announces that the listener is closed but the refusal itself: poll for it (every
    // 20 ms, for at most a second).
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "server still accepting on {addr}");
}

#[tokio::test]
async fn browsers_get_cors_preflight_and_headers() {
    let s = start(demo_builder()).await;
    let pre = s
        .client
        .request(reqwest::Method::OPTIONS, &s.url)
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-api-key, content-type")
        .send()
        .await
        .expect("preflight");
    assert_eq!(pre.status().as_u16(), 200);
    let h = pre.headers();
    assert_eq!(h.get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some("*"));
    assert!(
        h.get("access-control-allow-headers")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("x-api-key"))
    );
    let r = s.api_key("{ listPosts { nextToken } }", json!({})).await;
    assert_eq!(r.headers.get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some("*"));
    let denied = s.raw(&[], body("{ listPosts { nextToken } }", json!({}))).await;
    assert_eq!(denied.status, 401);
    assert_eq!(denied.headers.get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some("*"));
}
