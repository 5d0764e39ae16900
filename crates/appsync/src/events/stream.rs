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
    // Room for a whole word past the end of the text.
    if text.len() < bytes.len() + 8 {
        text.resize(bytes.len() + 8, 0);
    }
    let (mut read, mut written) = (0, 0);
    // `written <= read` throughout (an escape is two bytes in, one out).
    loop {
        // Long runs of plain text a word at a time.
        while let Some(word) = word_at(bytes, read) {
            if specials(u64::from_le_bytes(word)) != 0 {
                break;
            }
            text.get_mut(written..written + 8)?.copy_from_slice(&word);
            read += 8;
            written += 8;
        }
        // Then the next 16 bytes one at a time. JSON text held in a string has an escaped quote
        // every few bytes: a word at a time, each escape would start a new search that waits
        // on the last (measured a third slower on such events), where a byte at a time runs
        // ahead.
        let stop = bytes.len().min(read + 16);
        while let Some(&byte) = bytes.get(read).filter(|_| read < stop) {
            let resolved = if !is_special(byte) {
                read += 1;
                byte
            } else if byte == b'\\' {
                let resolved = short_escape(*bytes.get(read + 1)?)?;
                read += 2;
                resolved
            } else {
                // A quote would end the literal early; control characters are not allowed.
                return None;
            };
            *text.get_mut(written)? = resolved;
            written += 1;
        }
        if read >= bytes.len() {
            return Some(written);
        }
    }
}

/// The 8 bytes of `bytes` at `at`, when there are 8.
fn word_at(bytes: &[u8], at: usize) -> Option<[u8; 8]> {
    bytes.get(at..at.checked_add(8)?)?.try_into().ok()
}

/// The bytes of `word` (little-endian) that are a backslash, a quote or a control character,
/// flagged with their high bit (`0x80`), each exactly (no flag spills into its neighbours).
fn specials(word: u64) -> u64 {
    const LOW: u64 = u64::from_le_bytes([0x7f; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    let low = word & LOW;
    // A byte's high bit comes out clear only where it is a byte looked for: its low seven
    // bits xor the byte looked for, plus 0x7f, reach 0x80 unless they were zero; a control
    // character plus 0x60 stays under 0x80. No sum carries into the next byte, and a byte
    // with its own high bit set is none of them.
    let not_backslash = (low ^ u64::from_le_bytes([b'\\'; 8])) + LOW;
    let not_quote = (low ^ u64::from_le_bytes([b'"'; 8])) + LOW;
    let not_control = low + u64::from_le_bytes([0x60; 8]);
    !((not_backslash & not_quote & not_control) | word) & HIGH
}

/// Where the first backslash, quote or control character of `bytes` at or after `from` is
/// (`bytes.len()` when there is none), found a word at a time.
pub(crate) fn special_at(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(word) = word_at(bytes, at) {
        let flags = specials(u64::from_le_bytes(word));
        if flags != 0 {
            return at + (flags.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let rest = bytes.get(at..).unwrap_or_default();
    at + rest.iter().position(|&b| is_special(b)).unwrap_or(rest.len())
}

/// Whether `byte` ends a run of plain text in a JSON string literal: a backslash, a quote or a
/// control character ([`specials`] asks the same of 8 bytes at once).
fn is_special(byte: u8) -> bool {
    SPECIAL[usize::from(byte)]
}

/// [`is_special`]'s answers: a table, looked up for every byte of an escape-dense literal.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

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
        for round in 0..5_000 {
            // Half of them mostly plain, so that runs of plain words come up too.
            let plain = if round % 2 == 0 { 0 } else { 8 };
            let len = rng.usize(0..80);
            let text: String = (0..len)
                .map(|_| match rng.usize(..alphabet.len() + plain) {
                    i if i < alphabet.len() => alphabet[i],
                    _ => 'p',
                })
                .collect();
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
    fn every_special_byte_of_a_word_is_flagged_and_no_other() {
        let mut rng = fastrand::Rng::with_seed(8);
        let pool =
            [b'\\', b'"', 0x00, 0x1f, 0x20, b'!', b'#', b'\\' + 1, b'"' - 1, 0x7f, 0x80, 0x9c, 0xa2, 0xff];
        for _ in 0..20_000 {
            let bytes: [u8; 8] = std::array::from_fn(|_| pool[rng.usize(..pool.len())]);
            let expected = bytes
                .iter()
                .enumerate()
                .fold(0u64, |flags, (i, &b)| if is_special(b) { flags | 0x80 << (8 * i) } else { flags });
            assert_eq!(specials(u64::from_le_bytes(bytes)), expected, "{bytes:02x?}");
        }
    }

    #[test]
    fn a_bad_event_names_the_field() {
        let bad = decode_event::<Message>(r#""{\"text\":\"hi\",\"n\":\"one\"}""#);
        assert!(bad.is_err_and(|e| e.is_decode() && e.json_path().as_deref() == Some("n")));
        let not_json = decode_event::<serde_json::Value>(r#""{not json""#);
        assert!(not_json.is_err_and(|e| e.is_decode()));
    }
}
