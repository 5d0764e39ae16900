//! What the CLI's integration tests share: the real binary, run with none of the caller's AWS or
//! appsync settings, so a developer's own credentials never leak into (or change) a test.

use std::process::Command;

/// `appsync <subcommand>` with every AWS and appsync variable removed and `HOME` pointing at an
/// empty directory (no `~/.aws` files).
pub(crate) fn appsync_command(subcommand: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_appsync"));
    cmd.arg(subcommand);
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONFIG_FILE",
        "APPSYNC_API_KEY",
        "APPSYNC_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", appsync_testkit::scratch_dir("home"));
    cmd
}

/// The emulator on a free loopback port, accepting `api_key` and the IAM pair `akid`/`secret`.
pub(crate) async fn emulator(api_key: &str, akid: &str, secret: &str) -> appsync_local::ServerHandle {
    appsync_local::Emulator::builder()
        .api_key(appsync_local::ApiKey::new(api_key))
        .iam_credentials(appsync_local::Credentials::new(akid, secret, None, None))
        .build()
        .unwrap()
        .spawn("127.0.0.1:0")
        .await
        .unwrap()
}
