//! moto's server mode (`moto[server]`, pinned), a DynamoDB-compatible HTTP server, for the
//! tests that compare with it or run against it. One virtualenv per target directory, made on
//! first use (`python3` with `venv` and PyPI needed) and shared by every test that asks.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The moto pinned for the tests.
pub const MOTO: &str = "moto[server]==5.2.5";

/// The virtualenv holding [`MOTO`], under `target_tmpdir` (a test's `CARGO_TARGET_TMPDIR`,
/// one per target directory): made and installed on first use, reused afterwards.
pub fn moto_venv(target_tmpdir: &Path) -> PathBuf {
    let dir = target_tmpdir.join("moto-venv");
    let marker = dir.join(".installed-5.2.5");
    if !marker.exists() {
        let ok =
            Command::new("python3").args(["-m", "venv"]).arg(&dir).status().expect("python3 runs").success();
        assert!(ok, "python3 -m venv failed");
        let ok = Command::new(dir.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", MOTO])
            .status()
            .expect("pip runs")
            .success();
        assert!(ok, "pip install {MOTO} failed");
        std::fs::write(&marker, "").unwrap();
    }
    dir
}

/// `moto_server` listening on a free loopback port, killed on drop.
pub struct Moto {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
}

impl Moto {
    /// Starts `moto_server` from [`moto_venv`] and waits (at most 60 s) until it listens.
    pub fn start(target_tmpdir: &Path) -> Self {
        let venv = moto_venv(target_tmpdir);
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(venv.join("bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let addr = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(&addr).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not listen on {addr} within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, addr }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
