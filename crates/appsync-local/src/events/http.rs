//! `POST /event`: publishing over HTTP, with AppSync's status codes and error bodies.
//!
//! Auth is in the request's headers and covers the real body (IAM: ordinary SigV4).

use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};

use super::authorize::{Operation, scope};
use super::channel::Channel;
use super::options::MAX_EVENTS_PER_PUBLISH;
use super::protocol::PublishRequest;
use super::publish::{Publisher, Refusal, publish as publish_events};
use crate::Emulator;
use crate::auth::RequestParts;
use crate::http::{auth_failure, json_response, read_body, request_error, request_error_entry};

/// `POST /event`.
pub(crate) async fn publish(State(emulator): State<Emulator>, request: Request) -> Response {
    let api = &emulator.inner.events;
    let (parts, body) = request.into_parts();
    let bytes = match read_body(&emulator, &parts, body, api.options.frame_cap()).await {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    // Read before auth so that a Lambda authorizer is told the channel; trusted only after.
    let parsed = serde_json::from_slice::<PublishRequest>(&bytes).ok();
    let channel =
        parsed.as_ref().and_then(|p| Channel::publish(&p.channel).ok().map(|c| (c, p.channel.clone())));
    let mut identity = match emulator
        .inner
        .auth
        .authenticate_scoped(
            &RequestParts { parts: &parts, body: &bytes },
            SystemTime::now(),
            Some(scope(Operation::Publish, channel.as_ref())),
        )
        .await
    {
        Ok(identity) => identity,
        Err(failure) => {
            tracing::debug!(
                status = failure.status,
                error_type = failure.error_type,
                "event publish rejected"
            );
            return auth_failure(&failure);
        }
    };
    // `ctx.identity.sourceIp` of the namespace's handlers, as for resolvers.
    identity.set_source_ip(crate::http::source_ip(&parts));
    let Some(request) = parsed else {
        return bad_request("The request body must be {\"channel\": string, \"events\": [string]}.");
    };
    let channel = match Channel::publish(&request.channel) {
        Ok(channel) => channel,
        Err(why) => return bad_request(&format!("Invalid channel: {why}.")),
    };
    let headers: Map<String, Value> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), Value::from(v.to_str().ok()?))))
        .collect();
    let publisher = Publisher { identity: Some(identity), headers };
    match publish_events(api, &channel, &request.events, publisher).await {
        Ok(response) => match serde_json::to_vec(&response) {
            Ok(body) => json_response(StatusCode::OK, body),
            Err(_) => request_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalFailure",
                "The response could not be serialized.",
            ),
        },
        Err(refusal) => refused(&refusal),
    }
}

fn bad_request(message: &str) -> Response {
    request_error(StatusCode::BAD_REQUEST, "BadRequestException", message)
}

/// A refused publish as AppSync answers it over HTTP.
fn refused(refusal: &Refusal) -> Response {
    match refusal {
        // A bare `UnauthorizedException` (amplify-android's live test of a namespace that is
        // not configured reads no message from it).
        Refusal::NoNamespace => {
            let mut resp = request_error_entry(StatusCode::UNAUTHORIZED, "UnauthorizedException", None);
            resp.headers_mut().insert("x-amzn-ErrorType", HeaderValue::from_static("UnauthorizedException"));
            resp
        }
        Refusal::ModeNotAllowed => {
            let mut resp = request_error(
                StatusCode::UNAUTHORIZED,
                "UnauthorizedException",
                "You are not authorized to make this call.",
            );
            resp.headers_mut().insert("x-amzn-ErrorType", HeaderValue::from_static("UnauthorizedException"));
            resp
        }
        // AppSync's words, from amplify-android's live tests.
        Refusal::TooManyEvents => {
            bad_request(&format!("Input exceeded {MAX_EVENTS_PER_PUBLISH} event limit"))
        }
        Refusal::NoEvents => bad_request("Input requires at least 1 event"),
        Refusal::NotAString(index) => {
            bad_request(&format!("Event at index {index} must be a JSON value serialized as a string"))
        }
        // A handler's `util.error` (AppSync Events guide, "Event handlers").
        Refusal::Handler(e) => request_error(StatusCode::FORBIDDEN, e.error_type(), e.message()),
    }
}
