//! [`EventStream`]: a channel subscription's stream, and how its events are decoded.

use std::borrow::Cow;

use serde::de::DeserializeOwned;

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

/// A `data` message's `event` as `T`: AppSync sends each event as a JSON string holding the
/// event's JSON (every official client reads it so); an event that is JSON itself (the
/// developer guide's example shows one) is decoded as it is.
fn decode_event<T: DeserializeOwned>(event: &str) -> Result<T> {
    if let Some(text) = unescape(event) {
        decode_json(&text)
    } else if event.trim_start().starts_with('"') {
        let text: String = serde_json::from_str(event).map_err(Error::decode)?;
        decode_json(&text)
    } else {
        decode_json(event)
    }
}

/// The text of the JSON string literal `literal` (quotes included), borrowed when it has no
/// escape, else copied once with its escapes resolved. serde_json would copy it through a
/// scratch buffer grown from empty for every event, which cost as much as decoding the event
/// itself. `None` (serde_json's turn) for anything but a literal alone using the one-character
/// escapes: `\uXXXX` (surrogate pairs) and every error are left to serde_json.
fn unescape(literal: &str) -> Option<Cow<'_, str>> {
    let inner = literal.strip_prefix('"')?.strip_suffix('"')?;
    let special = |b: &u8| matches!(b, b'\\' | b'"' | 0..0x20);
    let Some(first) = inner.bytes().position(|b| special(&b)) else {
        return Some(Cow::Borrowed(inner));
    };
    let mut text = String::with_capacity(inner.len());
    let mut rest = inner;
    let mut at = first;
    loop {
        let (plain, tail) = rest.split_at(at);
        text.push_str(plain);
        let resolved = match tail.as_bytes() {
            [b'\\', escape, ..] => short_escape(*escape)?,
            // A quote, a control character or a lone backslash: not a well-formed literal.
            _ => return None,
        };
        text.push(resolved);
        // Both bytes are ASCII, so this is a character boundary.
        rest = tail.get(2..)?;
        match rest.bytes().position(|b| special(&b)) {
            Some(next) => at = next,
            None => {
                text.push_str(rest);
                return Some(Cow::Owned(text));
            }
        }
    }
}

/// The character JSON's one-character escape `\\x` stands for, given `x`; `None` for `u` (four
/// hex digits follow) and for anything that is no escape. Shared by [`unescape`] and the `data`
/// message shortcut that finds where an event's literal ends.
pub(crate) fn short_escape(x: u8) -> Option<char> {
    Some(match x {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        _ => return None,
    })
}

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

    #[test]
    fn literals_read_as_serde_json_reads_them() {
        for text in
            ["", "plain", r#"{"n":1,"text":"benchmark event"}"#, "é \u{1F600} \" \\ / \u{8}\u{c}\n\r\t"]
        {
            let literal = serde_json::to_string(text).unwrap_or_default();
            assert_eq!(unescape(&literal).as_deref(), Some(text), "{literal}");
        }
        assert!(matches!(unescape(r#""no escape""#), Some(Cow::Borrowed("no escape"))));
        // Left to serde_json: \u escapes, errors, anything around the literal.
        for literal in
            [r#""\u00e9""#, r#""a\x""#, r#""a"b""#, "\"a\u{1}\"", r#""a\""#, r#" "a""#, r#""a" "#, "42"]
        {
            assert_eq!(unescape(literal), None, "{literal}");
        }
        let surrogates: Result<String> = decode_event(r#""\"\ud83d\ude00\"""#);
        assert_eq!(surrogates.ok().as_deref(), Some("\u{1F600}"));
        let control = decode_event::<String>("\"a\u{1}\"");
        assert!(control.is_err_and(|e| e.is_decode()));
    }

    #[test]
    fn a_bad_event_names_the_field() {
        let bad = decode_event::<Message>(r#""{\"text\":\"hi\",\"n\":\"one\"}""#);
        assert!(bad.is_err_and(|e| e.is_decode() && e.json_path().as_deref() == Some("n")));
        let not_json = decode_event::<serde_json::Value>(r#""{not json""#);
        assert!(not_json.is_err_and(|e| e.is_decode()));
    }
}
