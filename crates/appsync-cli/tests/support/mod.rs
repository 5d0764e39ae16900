//! What the CLI's integration tests share: the real binary, run with none of the caller's AWS or
//! appsync settings, so a developer's own credentials never leak into (or change) a test.

// Each test binary uses part of what is here.
#![allow(dead_code)]
// Helpers of the tests: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

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

/// A running `appsync local --listen 127.0.0.1:0`, killed when dropped (a test that fails
/// midway leaves no server behind); `banner` is what it printed before `listening on`.
pub(crate) struct Local {
    pub(crate) child: Child,
    pub(crate) url: String,
    pub(crate) host: String,
    pub(crate) banner: Vec<String>,
}

impl Drop for Local {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_local(args: &[&str]) -> Local {
    let mut child = Command::new(env!("CARGO_BIN_EXE_appsync"))
        .arg("local")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        // Hermetic: the environment's AWS credentials would sign HTTP data sources' requests.
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn appsync local");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut banner = Vec::new();
    let url = loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).expect("read stdout");
        assert!(n > 0, "appsync local exited before listening; printed {banner:?}");
        if let Some(url) = line.trim().strip_prefix("listening on ") {
            break url.to_owned();
        }
        banner.push(line.trim().to_owned());
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in reader.lines() {});
    let host = url.split("://").nth(1).unwrap_or(&url).trim_end_matches("/graphql").to_owned();
    Local { child, url, host, banner }
}
