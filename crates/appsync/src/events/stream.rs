//! [`EventStream`]: a channel subscription's stream, and how its events are decoded.

use std::cell::Cell;

use serde::de::DeserializeOwned;

use super::messages;
use crate::error::{Error, Result};
use crate::realtime::stream::sealed::Sealed;
use crate::realtime::{Decoder, SubscriptionStream};

/// A live channel subscription: a `Stream` of the channel's events decoded as `T`.
///
/// An `Err` item that is not followed by `None` concerns one event: it did not decode as `T`
/// ([`Error::is_decode`], with [`Error::json_path`]), AppSync could not deliver it
/// (`broadcast_error`: [`Error::is_rejected`]), or events were dropped because this consumer
/// fell behind ([`Error::is_lagged`]). An error that ends the subscription (refused by AppSync
/// after a reconnect, the connection given up, [`EventsClient::close`](super::EventsClient::close))
/// is the last item. Across a reconnect the subscription is made again under the same id;
/// events published while the connection was down are not replayed (AppSync keeps none), and
/// none is delivered twice. Dropping the stream sends `unsubscribe`.
///
/// ```no_run
/// # async fn run(client: appsync::events::EventsClient) -> Result<(), appsync::Error> {
/// use futures_util::StreamExt as _;
/// #[derive(serde::Deserialize)]
/// struct Message { text: String }
///
/// let mut chat = client.subscribe::<Message>("/default/chat").await?;
/// while let Some(message) = chat.next().await {
///     println!("{}", message?.text);
/// }
/// # Ok(()) }
/// ```
pub type EventStream<T> = SubscriptionStream<T, EventPayload>;

/// The [`Decoder`] of AppSync Events channels: a `data` message's `event` as the stream's `T`.
#[derive(Debug, Clone, Copy)]
pub struct EventPayload;

impl Sealed for EventPayload {}

impl Decoder for EventPayload {
    const NAME: &'static str = "EventStream";

    fn decode<T: DeserializeOwned>(payload: &str) -> Result<T> {
        decode_event(payload)
    }
}

/// A `data` message's `event` as `T`. AppSync sends each event as a JSON string holding the
/// event's JSON (every official client reads it so), which is read here in one pass; anything
/// else (an event that is JSON itself, as the developer guide's example shows one, a `\uXXXX`
/// escape, more members after the event, a message that is not JSON) is read by the general
/// parse of the message ([`messages::event_in`]), which takes it or names what is wrong.
///
/// `event` is the text that follows `"event":` in the message: the event's value, possibly
/// followed by the rest of the message's members (see [`messages::ServerMessage::parse`]).
fn decode_event<T: DeserializeOwned>(event: &str) -> Result<T> {
    let decoded = SCRATCH.with(|scratch| {
        // Taken, not borrowed: a `T::deserialize` that decoded an event itself would find an
        // empty buffer here rather than one in use.
        let mut buffer = scratch.take();
        // Checked once here, so that serde_json reads a `&str` and does not check each of its
        // strings again (the unescaped text is UTF-8 by construction).
        let decoded = unescape_into(event, &mut buffer)
            .and_then(|len| std::str::from_utf8(buffer.get(..len)?).ok())
            .map(decode_json);
        if buffer.capacity() <= SCRATCH_KEPT {
            scratch.set(buffer);
        }
        decoded
    });
    if let Some(decoded) = decoded {
        return decoded;
    }
    let value = messages::event_in(event).map_err(Error::decode)?;
    let value = value.get();
    if value.starts_with('"') {
        let text: String = serde_json::from_str(value).map_err(Error::decode)?;
        decode_json(&text)
    } else {
        decode_json(value)
    }
}

thread_local! {
    /// Where an event's literal is unescaped before it is decoded: one buffer per thread rather
    /// than an allocation per event (or a buffer per subscription, idle ones included).
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// The scratch buffer is let go after an event larger than this (AppSync's events go up to
/// 240 KB), rather than kept for the thread's life.
const SCRATCH_KEPT: usize = 64 * 1024;

/// When `literal` is exactly one JSON string literal (quotes included) using only the
/// one-character escapes: the length of its text, escapes resolved, written at the start of
/// `text` (which is grown as needed and never shrunk, so that its bytes past the text are left
/// as they were). The text stays UTF-8: each escape is replaced by one ASCII byte and
/// everything else is copied as it is. serde_json would copy a literal through a scratch
/// buffer grown from empty for every event, which cost as much as decoding the event itself.
/// `\uXXXX` escapes (surrogate pairs) and every error are the general parse's (`None`).
fn unescape_into(literal: &str, text: &mut Vec<u8>) -> Option<usize> {
    let inner = literal.strip_prefix('"')?.strip_suffix('"')?;
    let bytes = inner.as_bytes();
    // Room for a whole word past the end: plain text is copied a word at a time, before the
    // word's first special byte (if any) is known, and only the bytes before it are kept.
    if text.len() < bytes.len() + 8 {
        text.resize(bytes.len() + 8, 0);
    }
    let (mut read, mut written) = (0, 0);
    // `written <= read` throughout (an escape is two bytes in, one out).
    loop {
        match bytes.get(read..read + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
            Some(word) => {
                let slot = text.get_mut(written..written + 8)?;
                slot.copy_from_slice(&word);
                let plain = special_in(u64::from_le_bytes(word));
                read += plain;
                written += plain;
                if plain == 8 {
                    continue;
                }
            }
            None => {
                // Fewer than 8 bytes left: a byte at a time (a call to copy so few costs more).
                while let Some(&byte) = bytes.get(read) {
                    if is_special(byte) {
                        break;
                    }
                    *text.get_mut(written)? = byte;
                    read += 1;
                    written += 1;
                }
                if read == bytes.len() {
                    return Some(written);
                }
            }
        }
        // `bytes[read]` is special: only an escape may be.
        let resolved = match bytes.get(read..read + 2) {
            Some([b'\\', x]) => short_escape(*x),
            // A quote (the literal ends before `literal` does) or a control character.
            _ => None,
        };
        *text.get_mut(written)? = resolved?;
        read += 2;
        written += 1;
    }
}

/// How many bytes of `word` (little-endian) come before its first backslash, quote or control
/// character: 8 when it has none.
fn special_in(word: u64) -> usize {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    // The classic "which byte is zero" test: its lowest flagged byte is exact (a borrow only
    // flags bytes above a true one), and the lowest is the one wanted.
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let flags = zero(word ^ (ONES * u64::from(b'\\')))
        | zero(word ^ (ONES * u64::from(b'"')))
        | (word.wrapping_sub(ONES * 0x20) & !word & HIGH);
    (flags.trailing_zeros() / 8) as usize
}

/// Where the first backslash, quote or control character of `bytes` at or after `from` is
/// (`bytes.len()` when there is none), found a word at a time.
pub(crate) fn special_at(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(word) = bytes.get(at..at + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
        let plain = special_in(u64::from_le_bytes(word));
        at += plain;
        if plain < 8 {
            return at;
        }
    }
    let rest = bytes.get(at..).unwrap_or_default();
    at + rest.iter().position(|&b| is_special(b)).unwrap_or(rest.len())
}

/// Whether `byte` ends a run of plain text in a JSON string literal: a backslash, a quote or a
/// control character ([`special_in`] asks the same of 8 bytes at once).
fn is_special(byte: u8) -> bool {
    matches!(byte, b'\\' | b'"' | 0..0x20)
}

/// The byte JSON's one-character escape `\\x` stands for, given `x`; `None` for `u` (four hex
/// digits follow) and for anything that is no escape.
fn short_escape(x: u8) -> Option<u8> {
    // A table rather than a `match`: it is looked up for every escape of every event.
    Some(ESCAPES[usize::from(x)]).filter(|&resolved| resolved != 0)
}

/// [`short_escape`]'s answers, 0 for no escape (no escape stands for a NUL).
const ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table[b'/' as usize] = b'/';
    table[b'b' as usize] = 0x08;
    table[b'f' as usize] = 0x0c;
    table[b'n' as usize] = b'\n';
    table[b'r' as usize] = b'\r';
    table[b't' as usize] = b'\t';
    table
};

fn decode_json<T: DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|_| {
        // Decoded again, the slow way, only to name the field that failed.
        let mut deserializer = serde_json::Deserializer::from_str(text);
        match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
            Err(e) => Error::decode(e),
            Ok(_) => Error::decode_message("the event did not decode"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Message {
        text: String,
        n: u32,
    }

    #[test]
    fn events_are_json_in_a_string() {
        let m: Result<Message> = decode_event(r#""{\"text\":\"hi \\\"you\\\"\",\"n\":1}""#);
        assert_eq!(m.ok(), Some(Message { text: "hi \"you\"".into(), n: 1 }));
        let n: Result<u32> = decode_event(r#""42""#);
        assert_eq!(n.ok(), Some(42));
        let raw: Result<Message> = decode_event(r#"{"text":"raw","n":2}"#);
        assert_eq!(raw.ok(), Some(Message { text: "raw".into(), n: 2 }));
    }

    fn unescaped(literal: &str) -> Option<String> {
        // A buffer left dirty by a longer text before, as the thread's is.
        let mut text = vec![b'#'; 100];
        let len = unescape_into(literal, &mut text)?;
        String::from_utf8(text.get(..len)?.to_vec()).ok()
    }

    #[test]
    fn literals_read_as_serde_json_reads_them() {
        for text in [
            "",
            "plain",
            "exactly8",
            "sixteen bytes ok",
            r#"{"n":1,"text":"benchmark event"}"#,
            "é \u{1F600} \" \\ / \u{8}\u{c}\n\r\t",
            "a longer run of plain text before an escape at the end\n",
        ] {
            let literal = serde_json::to_string(text).unwrap_or_default();
            assert_eq!(unescaped(&literal).as_deref(), Some(text), "{literal}");
        }
        // Left to the general parse: \u escapes, errors, anything around the literal, a literal
        // followed by more members.
        for literal in [
            r#""\u00e9""#,
            r#""a\x""#,
            r#""a"b""#,
            "\"a\u{1}\"",
            "\"12345678\u{1f}\"",
            r#""a\""#,
            r#"""#,
            r#" "a""#,
            r#""a" "#,
            "42",
            r#""a","n":"b""#,
        ] {
            assert_eq!(unescaped(literal), None, "{literal}");
        }
    }

    #[test]
    fn the_general_parse_reads_what_the_one_pass_does_not() {
        let surrogates: Result<String> = decode_event(r#""\"\ud83d\ude00\"""#);
        assert_eq!(surrogates.ok().as_deref(), Some("\u{1F600}"));
        // The event, then more members of the message.
        let more: Result<u32> = decode_event(r#""7","extra":{"n":"x"}"#);
        assert_eq!(more.ok(), Some(7));
        let raw: Result<Message> = decode_event(r#"{"text":"raw","n":2},"extra":1"#);
        assert_eq!(raw.ok(), Some(Message { text: "raw".into(), n: 2 }));
        // What the message parse refuses: a control character, a second event, no JSON.
        for event in ["\"a\u{1}\"", r#""1","event":"2""#, r#""1" junk"#, r#""unterminated"#] {
            let refused = decode_event::<serde_json::Value>(event);
            assert!(refused.is_err_and(|e| e.is_decode()), "{event}");
        }
    }

    #[test]
    fn random_literals_read_as_serde_json_reads_them() {
        let alphabet = ['a', 'b', ' ', '\\', '"', '/', '\n', '\t', '\u{1}', 'é', '\u{1F600}'];
        let mut rng = fastrand::Rng::with_seed(14);
        for _ in 0..5_000 {
            let len = rng.usize(0..40);
            let text: String = (0..len).map(|_| alphabet[rng.usize(..alphabet.len())]).collect();
            let literal = serde_json::to_string(&text).unwrap_or_default();
            // serde_json writes \u0001 for the control character: the general parse's.
            let expected = (!literal.contains("\\u")).then(|| text.clone());
            assert_eq!(unescaped(&literal), expected, "{literal}");
            // Cut short, or with a quote inside, it is no literal.
            if literal.len() > 2 {
                let cut = rng.usize(1..literal.len() - 1);
                if literal.is_char_boundary(cut) {
                    let broken = format!("{}\"{}", &literal[..cut], &literal[cut..]);
                    let read = serde_json::from_str::<String>(&broken).ok();
                    assert!(unescaped(&broken).is_none() || unescaped(&broken) == read, "{broken}");
                }
            }
        }
    }

    #[test]
    fn the_first_special_byte_is_found_in_any_lane() {
        for special in [b'\\', b'"', 0x00, 0x1f] {
            for len in [1, 7, 8, 9, 16, 23] {
                for at in 0..len {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = special;
                    // A second special byte later must not hide the first.
                    if at + 1 < len {
                        bytes[len - 1] = b'"';
                    }
                    assert_eq!(special_at(&bytes, 0), at, "{special:#x} at {at} of {len}");
                }
            }
        }
        let plain = "abcdefgh  !#[]~\x7fé\u{1F600}ÿ".as_bytes();
        assert_eq!(special_at(plain, 0), plain.len());
        assert_eq!(special_at(b"a\"bcdefghij\\", 2), 11);
        assert_eq!(special_at(b"", 0), 0);
    }

    #[test]
    fn a_bad_event_names_the_field() {
        let bad = decode_event::<Message>(r#""{\"text\":\"hi\",\"n\":\"one\"}""#);
        assert!(bad.is_err_and(|e| e.is_decode() && e.json_path().as_deref() == Some("n")));
        let not_json = decode_event::<serde_json::Value>(r#""{not json""#);
        assert!(not_json.is_err_and(|e| e.is_decode()));
    }
}
