//! Publishing: events encoded as JSON strings and checked against AppSync's limits, sent in
//! requests of at most five (over HTTP or the WebSocket), and each event's outcome reported in
//! the caller's order ([`PublishResult`]).

use std::future::Future;

use http::StatusCode;
use serde::Serialize;

use super::messages::PublishResponse;
use crate::error::{Error, GraphQLError, Result};

/// The most events AppSync takes in one publish request.
pub const MAX_EVENTS_PER_REQUEST: usize = 5;

/// The largest event AppSync takes, in bytes of its JSON text (240 KiB).
pub const MAX_EVENT_BYTES: usize = 240 * 1024;

/// What happened to each event of a publish, in the order the caller gave them.
///
/// ```no_run
/// # async fn run(client: appsync::events::EventsClient) -> Result<(), appsync::Error> {
/// let result = client.publish("/default/chat", [serde_json::json!({"text": "hi"})]).await?;
/// for event in result.failed() {
///     eprintln!("event {} failed: {}", event.index(), event.error().map(ToString::to_string).unwrap_or_default());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PublishResult {
    events: Vec<PublishedEvent>,
}

/// One event of a publish: its index among the caller's events, AppSync's identifier for it,
/// and the error when it was not published.
#[derive(Debug)]
pub struct PublishedEvent {
    index: usize,
    identifier: Option<String>,
    error: Option<Error>,
}

impl PublishResult {
    /// Every event, in the caller's order.
    pub fn events(&self) -> &[PublishedEvent] {
        &self.events
    }

    /// Whether every event was published.
    pub fn is_success(&self) -> bool {
        self.events.iter().all(PublishedEvent::is_ok)
    }

    /// The events that were not published.
    pub fn failed(&self) -> impl Iterator<Item = &PublishedEvent> {
        self.events.iter().filter(|e| !e.is_ok())
    }

    /// The events, owned.
    pub fn into_events(self) -> Vec<PublishedEvent> {
        self.events
    }
}

impl IntoIterator for PublishResult {
    type Item = PublishedEvent;
    type IntoIter = std::vec::IntoIter<PublishedEvent>;

    fn into_iter(self) -> Self::IntoIter {
        self.events.into_iter()
    }
}

impl PublishedEvent {
    /// The event's position among the events given to `publish` (from 0).
    pub fn index(&self) -> usize {
        self.index
    }

    /// AppSync's identifier for the event (a UUID), when it answered for it.
    pub fn identifier(&self) -> Option<&str> {
        self.identifier.as_deref()
    }

    /// Whether the event was published.
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }

    /// Why the event was not published: AppSync refused it ([`Error::is_rejected`], with its
    /// `code` as [`Error::status`] and its message), or its request failed (a transport,
    /// status or timeout error; later events of the same publish were then not sent).
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }
}

/// Each event as its JSON text, checked against AppSync's size limit. Nothing is sent when
/// one is refused.
pub(crate) fn encode<E: Serialize>(events: impl IntoIterator<Item = E>) -> Result<Vec<String>> {
    let encoded = events
        .into_iter()
        .enumerate()
        .map(|(index, event)| {
            let text = serde_json::to_string(&event).map_err(|e| Error::encode_event(index, e))?;
            if text.len() > MAX_EVENT_BYTES {
                return Err(Error::invalid_input(
                    "events",
                    format!(
                        "event {index} is {} bytes of JSON, over AppSync's limit of {MAX_EVENT_BYTES} bytes per event; \
                         nothing was published",
                        text.len()
                    ),
                ));
            }
            Ok(text)
        })
        .collect::<Result<Vec<_>>>()?;
    if encoded.is_empty() {
        return Err(Error::invalid_input("events", "there is no event to publish"));
    }
    Ok(encoded)
}

/// Sends `events` in requests of at most [`MAX_EVENTS_PER_REQUEST`], one after the other (so
/// their order is kept), through `send`, and reports each event. A first request that fails
/// is the error (nothing was published); a later one that fails is the error of its events and
/// of the ones after it, which are not sent.
pub(crate) async fn in_requests<F, Fut>(events: Vec<String>, mut send: F) -> Result<PublishResult>
where
    F: FnMut(Vec<String>) -> Fut,
    Fut: Future<Output = Result<PublishResponse>>,
{
    let total = events.len();
    let mut outcomes: Vec<PublishedEvent> = Vec::with_capacity(total);
    let mut rest = events.into_iter();
    while outcomes.len() < total {
        let offset = outcomes.len();
        let chunk: Vec<String> = rest.by_ref().take(MAX_EVENTS_PER_REQUEST).collect();
        let size = chunk.len();
        match send(chunk).await {
            Ok(response) => outcomes.extend(outcomes_of(response, offset, size)),
            Err(error) if offset == 0 => return Err(error),
            Err(mut error) => {
                for index in offset..total {
                    outcomes.push(PublishedEvent { index, identifier: None, error: Some(error.duplicate()) });
                }
            }
        }
    }
    Ok(PublishResult { events: outcomes })
}

/// The outcomes of one request's `size` events, the first being the caller's `offset`.
fn outcomes_of(response: PublishResponse, offset: usize, size: usize) -> Vec<PublishedEvent> {
    let mut outcomes: Vec<PublishedEvent> = (0..size)
        .map(|i| PublishedEvent {
            index: offset + i,
            identifier: None,
            error: Some(Error::decode_message("AppSync's answer does not mention this event")),
        })
        .collect();
    for ok in response.successful {
        if let Some(outcome) = outcomes.get_mut(ok.index) {
            outcome.identifier = Some(ok.identifier);
            outcome.error = None;
        }
    }
    for failed in response.failed {
        if let Some(outcome) = outcomes.get_mut(failed.index) {
            let message = failed.message.unwrap_or_else(|| "the event was not published".to_owned());
            let status =
                failed.code.and_then(|c| u16::try_from(c).ok()).and_then(|c| StatusCode::from_u16(c).ok());
            let error = GraphQLError {
                message,
                error_type: None,
                error_info: None,
                path: None,
                locations: None,
                extensions: None,
            };
            outcome.identifier = Some(failed.identifier);
            outcome.error = Some(Error::rejected(vec![error]).with_status(status));
        }
    }
    outcomes
}

/// An HTTP publish's response body.
pub(crate) fn decode_response(body: &[u8]) -> Result<PublishResponse> {
    serde_json::from_slice(body).map_err(Error::decode)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::events::messages::{Failed, Successful};

    #[test]
    fn events_become_json_strings_within_the_limit() {
        let encoded = encode([serde_json::json!({"text": "hi"}), serde_json::json!(42)]).unwrap_or_default();
        assert_eq!(encoded, vec![r#"{"text":"hi"}"#.to_owned(), "42".to_owned()]);

        let big = "x".repeat(MAX_EVENT_BYTES);
        let error = encode(["small".to_owned(), big]).err();
        let error = error.as_ref();
        assert!(error.is_some_and(Error::is_invalid_input), "{error:?}");
        assert_eq!(error.and_then(Error::field), Some("events"));
        let message = error.and_then(Error::message).unwrap_or_default();
        assert!(message.contains("event 1") && message.contains("245762 bytes"), "{message}");

        let none = encode(Vec::<String>::new()).err();
        assert!(none.is_some_and(|e| e.is_invalid_input()));

        struct Refuses;
        impl Serialize for Refuses {
            fn serialize<S: serde::Serializer>(&self, _: S) -> std::result::Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no"))
            }
        }
        let error = encode([Refuses]).err();
        assert!(error.is_some_and(|e| e.is_encode() && e.to_string().contains("event 0")));
    }

    fn ok(index: usize, id: &str) -> Successful {
        Successful { identifier: id.into(), index }
    }

    fn run(
        events: usize,
        answer: impl Fn(usize, &[String]) -> Result<PublishResponse>,
    ) -> (Result<PublishResult>, Vec<Vec<String>>) {
        let sent = Mutex::new(Vec::new());
        let events: Vec<String> = (0..events).map(|i| i.to_string()).collect();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let result = futures_util::FutureExt::now_or_never(in_requests(events, |chunk| {
            let call = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let answer = answer(call, &chunk);
            sent.lock().map(|mut s| s.push(chunk)).ok();
            async move { answer }
        }))
        .unwrap_or_else(|| Err(Error::closed("pending")));
        (result, sent.into_inner().unwrap_or_default())
    }

    #[test]
    fn more_than_five_events_go_in_several_requests_and_come_back_in_order() {
        let (result, sent) = run(12, |call, chunk| {
            // Answered out of order, one refused.
            let mut successful: Vec<Successful> =
                (0..chunk.len()).rev().map(|i| ok(i, &format!("id-{call}-{i}"))).collect();
            let mut failed = Vec::new();
            if call == 1 {
                successful.retain(|s| s.index != 2);
                failed.push(Failed {
                    identifier: "bad".into(),
                    index: 2,
                    code: Some(400),
                    message: Some("too big".into()),
                });
            }
            Ok(PublishResponse { successful, failed })
        });
        assert_eq!(sent.iter().map(Vec::len).collect::<Vec<_>>(), vec![5, 5, 2]);
        assert_eq!(sent[2], vec!["10".to_owned(), "11".to_owned()]);
        let result = result.unwrap_or_else(|e| panic!("{e}"));
        assert!(!result.is_success());
        let indexes: Vec<usize> = result.events().iter().map(PublishedEvent::index).collect();
        assert_eq!(indexes, (0..12).collect::<Vec<_>>());
        assert_eq!(result.events()[6].identifier(), Some("id-1-1"));
        let failed: Vec<&PublishedEvent> = result.failed().collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].index(), 7);
        let error = failed[0].error();
        assert!(error.is_some_and(|e| e.is_rejected() && e.status() == Some(StatusCode::BAD_REQUEST)));
        assert_eq!(error.and_then(Error::message), Some("too big"));
    }

    #[test]
    fn a_failed_first_request_is_the_error_and_a_later_one_fails_the_rest() {
        let (result, sent) = run(7, |_, _| Err(Error::transport_message("down")));
        assert!(result.is_err_and(|e| e.is_transport()));
        assert_eq!(sent.len(), 1, "nothing more is sent after the first failure");

        let (result, sent) = run(12, |call, chunk| {
            if call == 0 {
                Ok(PublishResponse {
                    successful: (0..chunk.len()).map(|i| ok(i, "x")).collect(),
                    failed: vec![],
                })
            } else {
                Err(Error::transport_message("lost"))
            }
        });
        assert_eq!(sent.len(), 2);
        let result = result.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(result.events().len(), 12);
        assert!(result.events()[..5].iter().all(PublishedEvent::is_ok));
        assert!(result.events()[5..].iter().all(|e| e.error().is_some_and(Error::is_transport)));
    }

    #[test]
    fn an_event_the_answer_omits_is_not_reported_as_published() {
        let (result, _) = run(2, |_, _| Ok(PublishResponse { successful: vec![ok(0, "a")], failed: vec![] }));
        let result = result.unwrap_or_else(|e| panic!("{e}"));
        assert!(result.events()[0].is_ok());
        assert!(result.events()[1].error().is_some_and(Error::is_decode));
    }
}
