//! `appsync check` as a user runs it: findings on stdout, a summary on stderr, exit 1 when
//! anything would be refused, 0 when clean, 2 on bad input.
#![allow(missing_docs)]
// Test helpers: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn appsync(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_appsync")).arg("check").args(args).output().expect("run appsync check")
}

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path).display().to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_clean_project_exits_zero_with_a_summary() {
    for args in [
        vec!["--cdk-out", &*repo("fixtures/cdk-app/cdk.out")],
        vec!["--template", &*repo("fixtures/cdk-app/template.yaml")],
        vec![
            "--template",
            &*repo(
                "fixtures/aws-appsync-resolver-samples/examples/cloudformation/todo-api-cfn/template.yaml",
            ),
        ],
    ] {
        let out = appsync(&args.iter().map(|s| &**s).collect::<Vec<_>>());
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}{}", text(&out.stdout), text(&out.stderr));
        assert_eq!(text(&out.stdout), "");
        let stderr = text(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("checked, nothing AWS would refuse"), "{stderr}");
    }
}

#[test]
fn findings_are_printed_one_per_line_and_exit_one() {
    let dir = std::env::temp_dir().join(format!("appsync-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file: PathBuf = dir.join("bad.js");
    std::fs::write(
        &file,
        "export function request(ctx) {\n  let i = 0;\n  while (i < 3) { i++; }\n  return {};\n}\nexport function response(ctx) { return ctx.result; }\n",
    )
    .expect("write");
    let shown = file.display().to_string();
    let out = appsync(&[&shown]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with(&format!("{shown}:3:3: no-while: ")), "{stdout}");
    assert!(lines[1].starts_with(&format!("{shown}:3:19: no-disallowed-unary-operators: ")), "{stdout}");
    assert!(text(&out.stderr).contains("2 finding(s)"), "{}", text(&out.stderr));
}

#[test]
fn bad_input_exits_two() {
    assert_eq!(appsync(&[]).status.code(), Some(2));
    assert_eq!(appsync(&["/nonexistent/resolver.js"]).status.code(), Some(2));
    assert_eq!(appsync(&["--template", "/nonexistent/template.yaml"]).status.code(), Some(2));
    let out = appsync(&["--cdk-out", &repo("fixtures/cdk-app/cdk.out"), "--api", "Nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no AWS::AppSync::GraphQLApi Nope"), "{}", text(&out.stderr));
}

#[test]
fn channel_namespace_handlers_are_checked_with_their_own_exports() {
    // An Event API alone, whose handlers are clean (function and {request, response} handlers).
    let clean = repo("crates/appsync-local/tests/data/events-project/template.yaml");
    let out = appsync(&["--template", &clean]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));

    let dir = appsync_testkit::scratch_dir("check-events");
    let template = dir.join("template.yaml");
    std::fs::write(
        &template,
        "Resources:\n  Api:\n    Type: AWS::AppSync::Api\n    Properties:\n      Name: e\n      EventConfig:\n        AuthProviders:\n          - AuthType: API_KEY\n  Chat:\n    Type: AWS::AppSync::ChannelNamespace\n    Properties:\n      ApiId: !GetAtt Api.ApiId\n      Name: chat\n      CodeHandlers: |\n        export function onPublish(ctx) {\n          let i = 0;\n          while (i < 3) { i += 1; }\n          return ctx.events;\n        }\n  Quiet:\n    Type: AWS::AppSync::ChannelNamespace\n    Properties:\n      ApiId: !GetAtt Api.ApiId\n      Name: quiet\n      CodeHandlers: 'export const x = 1;'\n",
    )
    .expect("write the template");
    let out = appsync(&["--template", &template.display().to_string()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.lines().any(|l| l.contains(":3:3: no-while: ") && l.ends_with("[channel namespace chat]")),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.contains("missing-export")
            && l.contains("onPublish")
            && l.ends_with("[channel namespace quiet]")),
        "{stdout}"
    );
    assert!(!stdout.contains("`request`"), "namespaces export no request: {stdout}");

    // `appsync local` refuses to serve the same code, with the same findings.
    let out = Command::new(env!("CARGO_BIN_EXE_appsync"))
        .args(["local", "--listen", "127.0.0.1:0", "--template"])
        .arg(&template)
        .output()
        .expect("run appsync local");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("no-while") && stderr.contains("[channel namespace chat]"), "{stderr}");
    assert!(stderr.contains("AWS would refuse it at deploy time"), "{stderr}");
}
