//! `appsync sign` run as a user would: the real binary, checked against AWS's published vectors
//! and for its answers to bad input.

// Test helpers: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

use std::process::{Command, Output};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// Runs the binary with exactly the AWS credentials variables given (none inherited).
fn appsync_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_appsync"));
    cmd.args(args)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN");
    cmd.envs(env.iter().copied());
    cmd.output().expect("the binary runs")
}

fn appsync(args: &[&str]) -> Output {
    appsync_with_env(args, &[])
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const VANILLA: &[&str] = &[
    "sign",
    "--url",
    "https://example.amazonaws.com/",
    "--region",
    "us-east-1",
    "--service",
    "service",
    "--access-key-id",
    AKID,
    "--secret-access-key",
    SECRET,
    "--time",
    "20150830T123600Z",
];

#[test]
fn prints_the_headers_of_the_get_vanilla_vector() {
    let out = appsync(VANILLA);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "X-Amz-Date: 20150830T123600Z\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31\n"
    );
    assert!(out.stderr.is_empty());
}

#[test]
fn verbose_shows_the_stages_on_stderr() {
    let mut args = VANILLA.to_vec();
    args.push("--verbose");
    let out = appsync(&args);
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c442"
        ),
        "{err}"
    );
    assert!(err.contains("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"), "{err}");
}

#[test]
fn presign_prints_the_vector_url() {
    let mut args = VANILLA.to_vec();
    args.extend(["--presign", "3600"]);
    let out = appsync(&args);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let url = text(&out.stdout);
    assert!(url.starts_with("https://example.amazonaws.com/?X-Amz-Algorithm=AWS4-HMAC-SHA256&"), "{url}");
    assert!(
        url.trim_end()
            .ends_with("X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d"),
        "{url}"
    );
}

#[test]
fn data_from_a_file_headers_and_credentials_from_the_environment() {
    let dir = std::env::temp_dir().join(format!("appsync-sign-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("body.txt");
    std::fs::write(&file, "Param1=value1").expect("write body");
    let data = format!("@{}", file.display());
    // The post-x-www-form-urlencoded-parameters vector, with sign_body.
    let out = appsync_with_env(
        &[
            "sign",
            "--url",
            "https://example.amazonaws.com/",
            "--region",
            "us-east-1",
            "--service",
            "service",
            "--time",
            "20150830T123600Z",
            "--sign-content-sha256",
            "-H",
            "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
            "-H",
            "Content-Length: 13",
            "--data",
            &data,
        ],
        &[("AWS_ACCESS_KEY_ID", AKID), ("AWS_SECRET_ACCESS_KEY", SECRET)],
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "x-amz-content-sha256: 9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("Signature=328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422"),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_input_is_one_clear_line_and_exit_code_2() {
    let base = [
        "sign",
        "--region",
        "us-east-1",
        "--service",
        "s",
        "--access-key-id",
        "A",
        "--secret-access-key",
        "S",
    ];
    let cases: &[(&[&str], &str)] = &[
        (&["--url", "not a url"], "invalid request URI"),
        (&["--url", "https://h/", "-H", "NoColon"], "has no colon"),
        (&["--url", "https://h/", "--data", "@/nonexistent/file"], "cannot read --data file"),
        (&["--url", "https://h/", "--time", "yesterday"], "is not a time like"),
        (&["--url", "https://h/", "--presign", "0"], "out of range"),
    ];
    for (extra, expected) in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let out = appsync(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(expected), "{extra:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{extra:?}: {err}");
        assert!(out.stdout.is_empty());
    }
    let out = appsync(&["sign", "--url", "https://h/", "--region", "r", "--service", "s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no credentials"));
}

#[test]
fn secrets_are_not_echoed_in_errors() {
    let out = appsync(&[
        "sign",
        "--url",
        "nope",
        "--region",
        "r",
        "--service",
        "s",
        "--access-key-id",
        "A",
        "--secret-access-key",
        "VERYSECRET",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out.stderr).contains("VERYSECRET"));
}
