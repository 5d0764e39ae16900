//! The rest of `util` with the clock and randomness fixed through the engine's host.
#![allow(missing_docs)]

mod support;

use serde_json::json;
use support::{NOW, engine, eval_expression};

#[test]
fn time_reads_the_host_clock() {
    let engine = engine();
    // The guide's examples ("Time helpers in util.time"), at its instant.
    assert_eq!(eval_expression(&engine, "util.time.nowISO8601()"), json!("2018-02-06T19:01:35.749Z"));
    assert_eq!(eval_expression(&engine, "util.time.nowEpochSeconds()"), json!(1_517_943_695));
    assert_eq!(eval_expression(&engine, "util.time.nowEpochMilliSeconds()"), json!(NOW));
    assert_eq!(
        eval_expression(&engine, "util.time.nowFormatted('yyyy-MM-dd HH:mm:ss')"),
        json!("2018-02-06 19:01:35")
    );
    assert_eq!(
        eval_expression(&engine, "util.time.nowFormatted('yyyy-MM-dd HH:mm:ssZ', 'Australia/Perth')"),
        json!("2018-02-07 03:01:35+0800")
    );
    assert_eq!(
        eval_expression(
            &engine,
            "util.time.parseFormattedToEpochMilliSeconds('2018-02-01 17:21:05.180+08:00', 'yyyy-MM-dd HH:mm:ss.SSSXXX')"
        ),
        json!(1_517_476_865_180_i64)
    );
    assert_eq!(
        eval_expression(
            &engine,
            "util.time.parseFormattedToEpochMilliSeconds('2018-02-01 17:21:05', 'yyyy-MM-dd HH:mm:ss', 'Australia/Perth')"
        ),
        json!(1_517_476_865_000_i64)
    );
    assert_eq!(
        eval_expression(
            &engine,
            "util.time.parseISO8601ToEpochMilliSeconds('2018-02-01T17:21:05.180+08:00')"
        ),
        json!(1_517_476_865_180_i64)
    );
    assert_eq!(
        eval_expression(&engine, "util.time.epochMilliSecondsToSeconds(1517943695750)"),
        json!(1_517_943_695)
    );
    assert_eq!(
        eval_expression(&engine, "util.time.epochMilliSecondsToISO8601(1517943695758)"),
        json!("2018-02-06T19:01:35.758Z")
    );
    assert_eq!(
        eval_expression(
            &engine,
            "util.time.epochMilliSecondsToFormatted(1517943695758, 'yyyy-MM-dd HH:mm:ssZ')"
        ),
        json!("2018-02-06 19:01:35+0000")
    );
    assert_eq!(
        eval_expression(
            &engine,
            "util.time.epochMilliSecondsToFormatted(1517943695758, 'yyyy-MM-dd HH:mm:ssZ', 'Australia/Perth')"
        ),
        json!("2018-02-07 03:01:35+0800")
    );
    // The built-ins read the same clock.
    assert_eq!(
        eval_expression(&engine, "[Date.now(), new Date().getTime(), new Date(0).getTime()]"),
        json!([NOW, NOW, 0])
    );
}

#[test]
fn a_bad_format_or_zone_is_a_clear_error() {
    let engine = engine();
    let error = engine
        .evaluate_blocking(
            "export function request(ctx) { return util.time.nowFormatted('yyyy', 'Mars/Olympus'); }",
            appsync_js::Handler::Request,
            &appsync_js::Context::new(),
        )
        .expect_err("no such zone");
    assert!(error.message().contains("unknown time zone 'Mars/Olympus'"), "{error}");
}

#[test]
fn ids_are_well_formed_and_follow_the_host() {
    let engine = engine();
    let ids = eval_expression(&engine, "[util.autoId(), util.autoUlid(), util.autoKsuid()]");
    let [id, ulid, ksuid] = [&ids[0], &ids[1], &ids[2]].map(|v| v.as_str().unwrap_or_default().to_owned());
    assert_eq!(id.len(), 36);
    assert_eq!(id.chars().filter(|c| *c == '-').count(), 4);
    assert_eq!(&id[14..15], "4");
    assert_eq!(ulid.len(), 26);
    assert!(ulid.starts_with("01C5P7XAC5"), "{ulid}: the first ten characters are the host's time");
    assert_eq!(ksuid.len(), 27);
    let again = eval_expression(&engine, "[util.autoId(), util.autoId()]");
    assert_ne!(again[0], again[1]);
}

#[test]
fn encodings() {
    let engine = engine();
    assert_eq!(eval_expression(&engine, "util.urlEncode('a b&c=é')"), json!("a+b%26c%3D%C3%A9"));
    assert_eq!(eval_expression(&engine, "util.urlDecode('a+b%26c%3D%C3%A9')"), json!("a b&c=é"));
    assert_eq!(eval_expression(&engine, "util.base64Encode('hello world')"), json!("aGVsbG8gd29ybGQ="));
    assert_eq!(eval_expression(&engine, "util.base64Decode('aGVsbG8gd29ybGQ=')"), json!("hello world"));
    assert_eq!(
        eval_expression(&engine, r#"util.escapeJavaScript("it's \"q\"\n/é")"#),
        json!(r#"it\'s \"q\"\n\/\u00E9"#)
    );
    assert_eq!(
        eval_expression(&engine, "[util.matches('a*b', 'aaaaab'), util.matches('a*b', 'aaaaabc')]"),
        json!([true, false])
    );
}

#[test]
fn str_math_http_xml() {
    let engine = engine();
    assert_eq!(eval_expression(&engine, "util.str.normalize('e\\u0301', 'nfc')"), json!("é"));
    assert_eq!(
        eval_expression(&engine, "[util.math.roundNum(1.5), util.math.minVal(3, 4), util.math.maxVal(3, 4)]"),
        json!([2, 3, 4])
    );
    let random = eval_expression(&engine, "[util.math.randomDouble(), util.math.randomWithinRange(5, 7)]");
    assert!((0.0..1.0).contains(&random[0].as_f64().unwrap_or(-1.0)));
    assert!((5..=7).contains(&random[1].as_i64().unwrap_or(0)));
    assert_eq!(
        eval_expression(
            &engine,
            "util.http.copyHeaders({ 'x-custom': '1', Authorization: 'secret', 'x-amz-date': 'd', host: 'h' })"
        ),
        json!({ "x-custom": "1" })
    );
    // The guide's util.xml example.
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<posts>\n<post>\n  <id>1</id>\n  <title>Getting started with GraphQL</title>\n</post>\n</posts>";
    assert_eq!(
        eval_expression(
            &engine,
            &format!("util.xml.toMap({})", serde_json::to_string(xml).unwrap_or_default())
        ),
        json!({ "posts": { "post": { "id": 1, "title": "Getting started with GraphQL" } } })
    );
    assert_eq!(
        eval_expression(&engine, "util.xml.toJsonString('<a><b>x</b><b>y</b></a>')"),
        json!(r#"{"a":{"b":["x","y"]}}"#)
    );
}

#[test]
fn transform_grammar_beyond_the_snapshots() {
    let engine = engine();
    let filter = eval_expression(
        &engine,
        "JSON.parse(util.transform.toDynamoDBFilterExpression({ or: [{ age: { between: [1, 5] } }, { name: { beginsWith: 'a' } }] }))",
    );
    assert_eq!(
        filter["expression"],
        "((#age BETWEEN :or_0_age_between_1 AND :or_0_age_between_2) OR (begins_with(#name,:or_1_name_beginsWith)))"
    );
    assert_eq!(filter["expressionValues"][":or_1_name_beginsWith"], json!({ "S": "a" }));
    let query = eval_expression(
        &engine,
        "ddb.query({ query: { id: { eq: 'p1' }, sk: { beginsWith: '2024' } }, limit: 5, filter: { done: { eq: false } } })",
    );
    assert_eq!(query["operation"], "Query");
    assert_eq!(query["query"]["expression"], "(#id = :id_eq) AND (begins_with(#sk,:sk_beginsWith))");
    assert_eq!(query["filter"]["expression"], "(#done = :done_eq)");
    assert_eq!(query["limit"], 5);
    let subscription = eval_expression(
        &engine,
        "util.transform.toSubscriptionFilter({ or: [{ author: { eq: 'ann' } }, { votes: { gt: 10 } }] })",
    );
    assert_eq!(
        subscription,
        json!({ "filterGroup": [
            { "filters": [{ "fieldName": "author", "operator": "eq", "value": "ann" }] },
            { "filters": [{ "fieldName": "votes", "operator": "gt", "value": 10 }] },
        ] })
    );
}

#[test]
fn console_output_is_in_the_evaluation() {
    let engine = engine();
    let code = "export function request(ctx) { console.log('got', { id: 1 }); console.error('bad', 2); return null; }";
    let evaluation = engine
        .evaluate_blocking(code, appsync_js::Handler::Request, &appsync_js::Context::new())
        .expect("runs");
    assert_eq!(evaluation.logs, vec![r#"got {"id":1}"#.to_owned(), "bad 2".to_owned()]);
}
