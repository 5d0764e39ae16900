//! One test per rule of `appsync_js::check`: code that breaks it is found at the right place, and
//! the allowed look-alikes are not.

use appsync_js::check::{Finding, check};

/// Wraps `body` in a valid module: `request(ctx)` starts on line 2, so `body`'s first line is line 3.
fn module(body: &str) -> String {
    format!(
        "import {{ util }} from '@aws-appsync/utils';\nexport function request(ctx) {{\n{body}\n  return {{}};\n}}\nexport function response(ctx) {{ return ctx.result; }}\n"
    )
}

fn findings(body: &str) -> Vec<Finding> {
    check(&module(body), "test.js")
}

/// (rule, line, column) of each finding.
fn located(body: &str) -> Vec<(&'static str, u32, u32)> {
    findings(body).iter().map(|f| (f.rule().id(), f.line(), f.column())).collect()
}

fn assert_clean(body: &str) {
    let found: Vec<String> = findings(body).iter().map(ToString::to_string).collect();
    assert!(found.is_empty(), "expected no findings for {body:?}, got:\n{}", found.join("\n"));
}

#[test]
fn a_clean_module_has_no_findings() {
    assert_clean(
        "  const items = ctx.args.items ?? [];\n  const total = items.reduce((sum, x) => sum + x.n, 0);",
    );
}

#[test]
fn display_is_file_line_col_rule_explanation() {
    let found = findings("  try { x(); } catch (e) { }");
    assert_eq!(found.len(), 1);
    let text = found[0].to_string();
    assert!(text.starts_with("test.js:3:3: no-try: "), "{text}");
    assert!(text.contains("util.error"), "the explanation says what to write instead: {text}");
}

#[test]
fn try_catch_finally() {
    assert_eq!(located("  try {\n    a();\n  } finally {\n    b();\n  }"), [("no-try", 3, 3)]);
}

#[test]
fn throw() {
    assert_eq!(located("  if (!ctx.args.id) throw new Error('no id');"), [("no-throw", 3, 21)]);
    assert_clean("  if (!ctx.args.id) util.error('no id', 'BadRequest');");
}

#[test]
fn while_and_do_while() {
    assert_eq!(located("  let i = 0;\n  while (i < 3) { i += 1; }"), [("no-while", 4, 3)]);
    assert_eq!(located("  let i = 0;\n  do { i += 1; } while (i < 3);"), [("no-while", 4, 3)]);
}

#[test]
fn c_style_for_but_not_for_of_or_for_in() {
    assert_eq!(located("  for (let i = 0; i < 3; i += 1) { }"), [("no-for", 3, 3)]);
    assert_clean(
        "  for (const x of ctx.args.items) { util.appendError(x); }\n  for (const k in ctx.args) { util.appendError(k); }",
    );
}

#[test]
fn continue_statement() {
    assert_eq!(
        located("  for (const x of ctx.args.items) {\n    if (!x) continue;\n  }"),
        [("no-continue", 4, 13)]
    );
    assert_clean("  for (const x of ctx.args.items) {\n    if (!x) break;\n  }");
}

#[test]
fn labels() {
    assert_eq!(located("  outer: for (const x of ctx.args.items) { break outer; }"), [("no-labels", 3, 3)]);
}

#[test]
fn increment_decrement_and_bitwise_not() {
    assert_eq!(
        located("  let n = 0;\n  n++;\n  --n;\n  const m = ~n;"),
        [
            ("no-disallowed-unary-operators", 4, 3),
            ("no-disallowed-unary-operators", 5, 3),
            ("no-disallowed-unary-operators", 6, 13)
        ]
    );
    assert_clean("  let n = 0;\n  n += 1;\n  n -= 1;\n  const m = -n + (n & 1) + (n | 2) + (n ^ 3) + !n;");
}

#[test]
fn in_operator_but_not_for_in() {
    assert_eq!(located("  const has = 'id' in ctx.args;"), [("no-in-operator", 3, 15)]);
    assert_clean(
        "  const has = Object.hasOwn(ctx.args, 'id');\n  for (const k in ctx.args) { util.appendError(k); }",
    );
}

#[test]
fn instanceof_but_not_strict_inequality() {
    assert_eq!(
        located("  const ok = ctx.args.x instanceof Array;"),
        [("no-disallowed-binary-operators", 3, 14)]
    );
    assert_clean(
        "  const ok = ctx.args.x !== null && Array.isArray(ctx.args.x) && typeof ctx.args.x === 'object';",
    );
}

#[test]
fn async_await_and_promises() {
    assert_eq!(located("  const f = async () => 1;"), [("no-async", 3, 13)]);
    assert_eq!(
        check("export async function request(ctx) { return {}; }\nexport function response(ctx) { return ctx.result; }", "a.js")
            .iter()
            .map(|f| (f.rule().id(), f.line(), f.column()))
            .collect::<Vec<_>>(),
        [("no-async", 1, 8)]
    );
    // `await` outside an async function is a syntax error in a script, but a module allows it at the top.
    let top_level = check(
        "const x = await 1;\nexport function request(ctx) { return {}; }\nexport function response(ctx) { return ctx.result; }",
        "a.js",
    );
    assert_eq!(top_level.iter().map(|f| f.rule().id()).collect::<Vec<_>>(), ["no-await"]);
    assert_eq!(
        located("  const p = new Promise((resolve) => resolve(1));\n  Promise.resolve(1);"),
        [("no-promise", 3, 13), ("no-promise", 4, 3)]
    );
}

#[test]
fn classes() {
    assert_eq!(located("  const C = class { };"), [("no-classes", 3, 13)]);
    assert_eq!(
        check("class A { }\nexport function request(ctx) { return {}; }\nexport function response(ctx) { return ctx.result; }", "a.js")
            .iter()
            .map(|f| (f.rule().id(), f.line(), f.column()))
            .collect::<Vec<_>>(),
        [("no-classes", 1, 1)]
    );
}

#[test]
fn generators_and_yield() {
    assert_eq!(
        located("  function* gen() {\n    yield 1;\n  }"),
        [("no-generators", 3, 3), ("no-yield", 4, 5)]
    );
}

#[test]
fn this() {
    assert_eq!(located("  const self = this;"), [("no-this", 3, 16)]);
}

#[test]
fn regex_literals() {
    assert_eq!(located("  const ok = /^[a-z]+$/.test(ctx.args.name);"), [("no-regex", 3, 14)]);
    assert_clean("  const ok = util.matches('^[a-z]+$', ctx.args.name);\n  const half = 1 / 2 / 3;");
}

#[test]
fn reassigning_the_context() {
    assert_eq!(
        located("  ctx.args = {};\n  ctx = null;\n  delete ctx.stash;"),
        [
            ("no-disallowed-re-assignment", 3, 3),
            ("no-disallowed-re-assignment", 4, 3),
            ("no-disallowed-re-assignment", 5, 3)
        ]
    );
    // The stash is there to be written to, and other objects are not the context.
    assert_clean(
        "  ctx.stash.user = ctx.args.user;\n  const copy = { ...ctx.args };\n  copy.id = util.autoId();",
    );
    // The context is whatever the handler calls its parameter.
    let arrow = "export const request = (context) => { context.result = 1; return {}; };\nexport const response = (c) => c.result;";
    assert_eq!(
        check(arrow, "a.js").iter().map(|f| (f.rule().id(), f.line(), f.column())).collect::<Vec<_>>(),
        [("no-disallowed-re-assignment", 1, 39)]
    );
}

#[test]
fn missing_exports() {
    let found = check("export function request(ctx) { return {}; }", "fn.js");
    assert_eq!(
        found.iter().map(|f| (f.rule().id(), f.line(), f.column())).collect::<Vec<_>>(),
        [("missing-export", 1, 1)]
    );
    assert!(found[0].message().contains("`response`"), "{}", found[0]);
    let none = check("const x = 1;", "empty.js");
    assert_eq!(none.len(), 2, "{none:?}");
    // Exports by name list and by renaming count.
    assert!(check("function a(ctx) { return {}; }\nconst b = (ctx) => ctx.result;\nexport { a as request, b as response };", "x.js").is_empty());
    // A default export is not a named one.
    assert_eq!(check("export default function request(ctx) { return {}; }\nexport function response(ctx) { return ctx.result; }", "d.js").len(), 1);
}

#[test]
fn imports() {
    let ok = "import { util } from '@aws-appsync/utils';\nimport { get } from '@aws-appsync/utils/dynamodb';\nexport function request(ctx) { return get({ key: { id: ctx.args.id } }); }\nexport function response(ctx) { return ctx.result; }";
    assert!(check(ok, "ok.js").is_empty());
    let bad = "import { v4 } from 'uuid';\nexport function request(ctx) { return {}; }\nexport function response(ctx) { return ctx.result; }";
    let found = check(bad, "bad.js");
    assert_eq!(
        found.iter().map(|f| (f.rule().id(), f.line(), f.column())).collect::<Vec<_>>(),
        [("unsupported-import", 1, 1)]
    );
    assert!(found[0].message().contains("bundle"), "{}", found[0]);
}

#[test]
fn unknown_util_members() {
    assert_eq!(
        located(
            "  const id = util.uuid();\n  const t = util.time.nowIso();\n  runtime.stop();\n  extensions.setFilter({});"
        ),
        [
            ("unknown-util-member", 3, 19),
            ("unknown-util-member", 4, 23),
            ("unknown-util-member", 5, 11),
            ("unknown-util-member", 6, 14)
        ]
    );
    let found = findings("  util.uuid();");
    assert!(found[0].message().contains("autoId"), "the explanation lists what exists: {}", found[0]);
    assert_clean(
        "  const id = util.autoId();\n  const t = util.time.nowISO8601();\n  const k = util.dynamodb.toMapValues({ id });\n  const f = util['transform'].toSubscriptionFilter({});\n  extensions.setSubscriptionFilter(f);\n  if (!id) runtime.earlyReturn({});",
    );
}

#[test]
fn syntax_errors() {
    let found = check(
        "export function request(ctx) {\n  return {;\n}\nexport function response(ctx) { return ctx.result; }",
        "broken.js",
    );
    assert!(!found.is_empty());
    assert_eq!((found[0].rule().id(), found[0].line()), ("syntax-error", 2));
    assert!(found[0].message().starts_with("the code does not parse"), "{}", found[0]);
}

#[test]
fn columns_count_characters_not_bytes() {
    assert_eq!(located("  const s = 'héllo'; let n = 0; n++;"), [("no-disallowed-unary-operators", 3, 33)]);
}

#[test]
fn code_size() {
    let long = module(&format!("  const s = '{}';", "x".repeat(appsync_js::check::MAX_CODE_CHARS)));
    let found = check(&long, "big.js");
    assert_eq!(
        found.iter().map(|f| (f.rule().id(), f.line(), f.column())).collect::<Vec<_>>(),
        [("code-size", 1, 1)]
    );
    assert!(found[0].message().contains("--minify"), "{}", found[0]);
    let mapped = format!("{long}//# sourceMappingURL=data:application/json;base64,e30=\n");
    assert!(check(&mapped, "mapped.js")[0].message().contains("--sources-content=false"));
    let rules: Vec<&str> = check("  \n", "empty.js").iter().map(|f| f.rule().id()).collect();
    assert_eq!(rules, ["code-size", "missing-export", "missing-export"]);
    assert!(check(&module(&format!("  const s = '{}';", "x".repeat(30_000))), "ok.js").is_empty());
}

#[test]
fn a_global_the_module_binds_itself_is_not_checked() {
    // `util` imported from '@aws-appsync/utils' is the runtime's; one declared here is not.
    let own = "const util = { uuid: () => 'x' };\nexport function request(ctx) { return { payload: util.uuid() }; }\nexport function response(ctx) { return ctx.result; }";
    assert!(check(own, "own.js").is_empty(), "{:?}", check(own, "own.js"));
    let param = "function f(runtime) { return runtime.stop; }\nexport function request(ctx) { return { payload: f({}) }; }\nexport function response(ctx) { return ctx.result; }";
    assert!(check(param, "param.js").is_empty());
}
