//! A CLI process running in the background, for the tests of the commands that keep running
//! (`appsync subscribe`, `appsync events subscribe`): standard error read line by line while it
//! runs, then the exit status and everything it printed.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// `appsync <subcommand>` running in the background; standard error is read line by line.
pub(crate) struct Running {
    child: Child,
    stderr_lines: mpsc::Receiver<String>,
    stderr_seen: Vec<String>,
}

impl Running {
    /// Starts `cmd` (an `appsync` command from `support::appsync_command`) with `args` and `env`.
    pub(crate) fn start_command(
        mut cmd: std::process::Command,
        args: Vec<String>,
        env: Vec<(&'static str, String)>,
    ) -> Self {
        cmd.args(args);
        cmd.envs(env);
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, stderr_lines: rx, stderr_seen: Vec::new() }
    }

    /// Waits until a standard error line contains `needle` (the process may exit first: panics
    /// with what it said).
    pub(crate) async fn wait_for_stderr(&mut self, needle: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            // Blocks this worker on the next line itself (the runtime has others for the rest).
            match tokio::task::block_in_place(|| self.stderr_lines.recv_timeout(left)) {
                Ok(line) => {
                    let found = line.contains(needle);
                    self.stderr_seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("no {needle:?} in {:?}", self.stderr_seen),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("exited before {needle:?}: {:?}", self.stderr_seen)
                }
            }
        }
    }

    /// Waits for the exit (at most 20 s): the status, standard output and all of standard error.
    pub(crate) async fn finish(mut self) -> (ExitStatus, String, String) {
        let mut stdout = self.child.stdout.take().unwrap();
        let out = tokio::task::spawn_blocking(move || {
            let mut text = String::new();
            stdout.read_to_string(&mut text).unwrap();
            text
        });
        // Waits for the exit itself; a watchdog kills the process after 20 s so that the test
        // fails instead of hanging.
        let pid = self.child.id().to_string();
        let (exited, watch) = mpsc::channel::<()>();
        let watchdog = std::thread::spawn(move || {
            let timed_out = watch.recv_timeout(Duration::from_secs(20)).is_err();
            if timed_out {
                let _ = std::process::Command::new("kill").args(["-KILL", &pid]).status();
            }
            timed_out
        });
        let status = tokio::task::block_in_place(|| self.child.wait()).unwrap();
        let _ = exited.send(());
        assert!(!watchdog.join().unwrap(), "did not exit: {:?}", self.stderr_seen);
        let stdout = out.await.unwrap();
        // The reader thread ends with the pipe.
        while let Ok(line) = self.stderr_lines.recv_timeout(Duration::from_secs(5)) {
            self.stderr_seen.push(line);
        }
        (status, stdout, self.stderr_seen.join("\n"))
    }
}
