//! Process measurements and number formatting shared by the load generators.

use anyhow::Context as _;
use nix::sys::resource::{UsageWho, getrusage};
use serde_json::{Value, json};

/// User and system CPU seconds of this process (NaN if the kernel will not say).
pub(crate) fn cpu_self() -> (f64, f64) {
    match getrusage(UsageWho::RUSAGE_SELF) {
        Ok(u) => {
            let s = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
            (s(u.user_time()), s(u.system_time()))
        }
        Err(_) => (f64::NAN, f64::NAN),
    }
}

/// User plus system CPU seconds of another process, all threads (`/proc/PID/stat`, in
/// USER_HZ = 100 ticks per second on Linux).
pub(crate) fn cpu_of(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Resident memory of a process in KiB (`VmRSS` in `/proc/PID/status`).
pub(crate) fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).context("reading /proc/PID/status")?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("no VmRSS line")?;
    line.split_whitespace().nth(1).context("empty VmRSS")?.parse().context("VmRSS is not a number")
}

/// Three decimals for the JSON lines; a missing or non-finite figure is `null`.
pub(crate) fn round3(x: Option<f64>) -> Value {
    x.filter(|x| x.is_finite()).map_or(Value::Null, |x| json!((x * 1000.0).round() / 1000.0))
}
