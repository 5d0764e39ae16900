//! Everything signing keeps per thread, in one place: the scratch buffer a signature is written
//! in, the last timestamp formatted and its header value, and the memo of the last canonical
//! request.
//!
//! Each is taken out of its cell while in use and put back after, so a signature made while
//! another is in progress on the same thread (from a callback, say) finds the cell empty and
//! works from scratch instead of sharing. A thread being torn down has no cells: everything here
//! then behaves as if they were empty and forgets what it is given.

use std::cell::Cell;

use crate::date::AmzDate;
use crate::memo::Memo;

/// Scratch buffers larger than this are freed after use rather than kept for the next request.
const SCRATCH_KEEP: usize = 64 * 1024;

thread_local! {
    /// Where canonical requests are written and hashed: reused, so a signature needs no buffer
    /// of its own beyond the one that goes into its output.
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    /// The last timestamp formatted: a busy client signs many requests within the same second.
    static LAST_FORMATTED: Cell<Option<AmzDate>> = const { Cell::new(None) };
    /// The last `X-Amz-Date` header value made, for its timestamp.
    static LAST_DATE_HEADER: Cell<Option<(AmzDate, http::HeaderValue)>> = const { Cell::new(None) };
    /// The canonical request of the last header signature (see `memo`).
    static MEMO: Cell<Option<Box<Memo>>> = const { Cell::new(None) };
    /// Memo lookups that missed since the last hit.
    static MEMO_MISSES: Cell<u32> = const { Cell::new(0) };
}

/// This thread's scratch buffer, empty (a fresh one while it is in use or being torn down).
pub(crate) fn take_scratch() -> Vec<u8> {
    SCRATCH.try_with(Cell::take).unwrap_or_default()
}

/// Gives the scratch buffer back for the next request.
pub(crate) fn return_scratch(mut buf: Vec<u8>) {
    if buf.capacity() <= SCRATCH_KEEP {
        buf.clear();
        let _ = SCRATCH.try_with(|cell| cell.set(buf));
    }
}

/// The timestamp last formatted on this thread, if it was for `secs`.
pub(crate) fn formatted(secs: u64) -> Option<AmzDate> {
    LAST_FORMATTED.try_with(Cell::get).ok().flatten().filter(|last| last.secs() == secs)
}

/// Remembers `date` as the timestamp last formatted.
pub(crate) fn remember_formatted(date: AmzDate) {
    let _ = LAST_FORMATTED.try_with(|c| c.set(Some(date)));
}

/// `time` as a header value, shared (not copied again) with the requests signed in the same
/// second on this thread; `None` cannot happen for an `AmzDate`, whose text is ASCII.
pub(crate) fn date_header(time: &AmzDate) -> Option<http::HeaderValue> {
    let cached = LAST_DATE_HEADER.try_with(Cell::take).ok().flatten();
    if let Some((last, value)) = &cached
        && last.as_bytes() == time.as_bytes()
    {
        let out = value.clone();
        let _ = LAST_DATE_HEADER.try_with(|c| c.set(cached));
        return Some(out);
    }
    let value = http::HeaderValue::from_bytes(time.as_bytes()).ok()?;
    let _ = LAST_DATE_HEADER.try_with(|c| c.set(Some((*time, value.clone()))));
    Some(value)
}

/// This thread's memo, taken out of its cell (`None` if there is none or it is in use).
pub(crate) fn take_memo() -> Option<Box<Memo>> {
    MEMO.try_with(Cell::take).ok().flatten()
}

/// Puts a memo (back) in this thread's cell.
pub(crate) fn put_memo(memo: Box<Memo>) {
    let _ = MEMO.try_with(|cell| cell.set(Some(memo)));
}

/// How many memo lookups in a row have missed.
pub(crate) fn memo_misses() -> u32 {
    MEMO_MISSES.try_with(Cell::get).unwrap_or(0)
}

/// Records how many memo lookups in a row have missed.
pub(crate) fn set_memo_misses(misses: u32) {
    let _ = MEMO_MISSES.try_with(|m| m.set(misses));
}
