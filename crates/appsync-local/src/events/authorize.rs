//! Auth per message: connect, each subscribe and each publish carries its own headers, checked by
//! the emulator's one authenticator (API keys, SigV4, JWTs, Lambda) and then against the
//! namespace's allowed modes.
//!
//! IAM over the WebSocket signs `POST https://<HTTP host>/event` over a compact JSON body rebuilt
//! here from the message's fields: connect `{}`, subscribe `{"channel":"<ch>"}`, publish
//! `{"channel":"<ch>","events":[<the strings>]}`, `channel` first (what amplify-js, amplify-android
//! and the Swift client sign; the field order is inferred from them).

use std::time::SystemTime;

use serde::Serialize;
use serde_json::{Map, Value};

use super::channel::Channel;
use super::namespace::Namespace;
use super::protocol::ErrorEntry;
use crate::Emulator;
use crate::auth::{AuthFailure, EventsScope, Identity, RequestParts};
use crate::websocket::authorization_parts;

/// The path every Events signature covers.
pub(crate) const EVENT_PATH: &str = "/event";

/// What a message asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Connect,
    Publish,
    Subscribe,
}

impl Operation {
    /// The name a Lambda authorizer is given (`requestContext.operation`).
    fn lambda_name(self) -> &'static str {
        match self {
            Self::Connect => "EVENT_CONNECT",
            Self::Publish => "EVENT_PUBLISH",
            Self::Subscribe => "EVENT_SUBSCRIBE",
        }
    }
}

/// The scope a Lambda authorizer is told about.
pub(crate) fn scope<'a>(operation: Operation, channel: Option<&'a (Channel, String)>) -> EventsScope<'a> {
    EventsScope {
        operation: operation.lambda_name(),
        channel: channel.map(|(c, path)| (c.namespace(), path.as_str())),
    }
}

#[derive(Serialize)]
struct SignedBody<'a> {
    channel: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<&'a [Value]>,
}

/// The body a client signed for a subscribe (`events` absent) or a WebSocket publish.
pub(crate) fn signed_body(channel: &str, events: Option<&[Value]>) -> Vec<u8> {
    // Serializing strings and JSON values cannot fail.
    serde_json::to_vec(&SignedBody { channel, events }).unwrap_or_default()
}

/// Checks one message's `authorization` headers as a POST to `/event` with `body`.
pub(crate) async fn authenticate(
    emulator: &Emulator,
    headers: Option<&Map<String, Value>>,
    body: &[u8],
    scope: EventsScope<'_>,
) -> Result<Identity, AuthFailure> {
    let Some(parts) = headers.and_then(|h| authorization_parts(EVENT_PATH, h)) else {
        return Err(AuthFailure::unauthorized());
    };
    emulator
        .inner
        .auth
        .authenticate_scoped(&RequestParts { parts: &parts, body }, SystemTime::now(), Some(scope))
        .await
}

/// How the socket words a message's failed authorization. A signature that does not verify is a
/// `BadRequestException` carrying AWS's SigV4 message, at connect (amplify-js #14001) as on a
/// publish (aws-appsync-community #400); any other failure is `UnauthorizedException`, bare at
/// connect (amplify-android's live test of a wrong API key reads no message) and with AppSync's
/// sentence on a message (the same tests' wrong key on a publish).
pub(crate) fn failure_entry(failure: &AuthFailure, operation: Operation) -> ErrorEntry {
    if failure.status == 403 {
        return ErrorEntry::new("BadRequestException", &failure.message);
    }
    match operation {
        Operation::Connect => ErrorEntry::bare("UnauthorizedException"),
        Operation::Publish | Operation::Subscribe => {
            ErrorEntry::new("UnauthorizedException", "You are not authorized to make this call.")
        }
    }
}

/// Whether `identity`'s auth mode may do `operation` in `namespace`.
pub(crate) fn permitted(namespace: &Namespace, operation: Operation, identity: &Identity) -> bool {
    let modes = match operation {
        Operation::Publish => &namespace.publish,
        Operation::Subscribe => &namespace.subscribe,
        Operation::Connect => return true,
    };
    modes.contains(&identity.mode())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::signed_body;

    #[test]
    fn bodies_as_clients_sign_them() {
        assert_eq!(signed_body("/default/a", None), br#"{"channel":"/default/a"}"#);
        let events = [json!("{\"text\":\"hi <b>\"}"), json!("42")];
        assert_eq!(
            String::from_utf8(signed_body("default/a", Some(&events))).expect("utf-8"),
            r#"{"channel":"default/a","events":["{\"text\":\"hi <b>\"}","42"]}"#
        );
    }
}
