//! `appsync completions bash|zsh|fish`: the real binary prints a script each shell can load,
//! naming every subcommand and flag; an unknown shell is a usage error.

// Test helpers: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

mod support;

fn completions(shell: &str) -> std::process::Output {
    support::appsync_command("completions").arg(shell).output().expect("the binary runs")
}

#[test]
fn each_shell_gets_a_script_naming_the_subcommands_and_flags() {
    for (shell, marker) in
        [("bash", "complete -F"), ("zsh", "#compdef appsync"), ("fish", "complete -c appsync")]
    {
        let out = completions(shell);
        assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
        let script = String::from_utf8(out.stdout).expect("utf-8");
        assert!(script.contains(marker), "{shell}: {marker} missing");
        for word in ["subscribe", "events", "local", "completions", "query-depth-limit", "channel-namespace"]
        {
            assert!(script.contains(word), "{shell}: {word} missing");
        }
    }
}

// The bash script is at least valid bash where bash is installed (it is on every CI machine).
#[test]
fn the_bash_script_parses() {
    let out = completions("bash");
    let dir = appsync_testkit::scratch_dir("completions");
    let file = dir.join("appsync.bash");
    std::fs::write(&file, &out.stdout).expect("write");
    match std::process::Command::new("bash").arg("-n").arg(&file).output() {
        Ok(check) => assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => panic!("bash: {e}"),
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let out = completions("tcsh");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tcsh"));
}
