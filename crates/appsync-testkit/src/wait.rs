//! Waiting on a condition instead of sleeping for a guess.

use std::time::Duration;

/// Waits until `condition` holds, looking every 10 ms; panics naming `what` if it does not
/// within `limit`. For events a test can only observe as state (a request the server saw, a
/// counter the emulator keeps).
pub async fn wait_until(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !condition() {
        assert!(tokio::time::Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
