//! `GET /event/realtime`: the WebSocket upgrade, subprotocol `aws-appsync-event-ws`, with the
//! connection's auth in a `header-<base64url JSON>` subprotocol (Amplify JS), in `?header=`, or
//! in the upgrade request's own headers (amplify-android, the Swift client). IAM signs POST
//! `/event` over `{}`. The caller's mode must also be one of the API's connection modes
//! (`EventConfig.ConnectionAuthModes`).

use std::time::SystemTime;

use axum::Extension;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::SUBPROTOCOL;
use super::authorize::{EVENT_PATH, Operation, failure_entry, scope};
use super::connection::run;
use super::protocol::{ErrorEntry, ServerMessage};
use crate::Emulator;
use crate::auth::{AuthFailure, Identity, RequestParts};
use crate::realtime::CheckedOptions;
use crate::websocket::{
    self, Stopping, authorization_parts, bad_request, connect_headers, requested_protocols,
};

/// `GET /event/realtime`.
pub(crate) async fn upgrade(
    State(emulator): State<Emulator>,
    options: Option<Extension<CheckedOptions>>,
    stopping: Option<Extension<Stopping>>,
    ws: Result<crate::socket::Upgrade, crate::socket::NotAnUpgrade>,
    request: Request,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => {
            tracing::debug!(%rejection, "GET /event/realtime without a WebSocket upgrade");
            return bad_request(
                "This endpoint accepts WebSocket upgrades with the aws-appsync-event-ws subprotocol.",
            );
        }
    };
    let options = CheckedOptions::resolve(options, &emulator);
    let protocols = requested_protocols(request.headers());
    let subprotocol = protocols.iter().any(|p| p == SUBPROTOCOL);
    let connect = if subprotocol {
        match authenticate(&emulator, request.uri().query(), request.headers(), &protocols).await {
            Ok(identity) if emulator.inner.events.connection_modes.contains(&identity.mode()) => Ok(identity),
            Ok(identity) => {
                // A mode the API has but `ConnectionAuthModes` leaves out: refused as a failed
                // connect authorization is (no capture of AppSync's words for this case).
                tracing::debug!(
                    mode = identity.mode().as_appsync_str(),
                    "events connection mode not allowed"
                );
                Err((
                    ServerMessage::connection_error(ErrorEntry::bare("UnauthorizedException")),
                    "unauthorized",
                ))
            }
            Err(failure) => Err((
                ServerMessage::connection_error(failure_entry(&failure, Operation::Connect)),
                "unauthorized",
            )),
        }
    } else {
        // Our wording: no capture of AppSync's answer to this on the Events endpoint.
        let message =
            ErrorEntry::new("UnsupportedOperation", "The aws-appsync-event-ws subprotocol is required.");
        Err((ServerMessage::connection_error(message), "subprotocol not supported"))
    };
    // The connection's addresses, for `ctx.identity.sourceIp` in the handlers its subscribes
    // and publishes run: the upgrade request's `x-forwarded-for` entries, then its peer.
    let connect = connect.map(|mut identity| {
        identity.set_source_ip(crate::http::source_ip_of(request.headers(), request.extensions()));
        identity
    });
    let frame_cap = emulator.inner.events.options.frame_cap();
    ws.on_upgrade(SUBPROTOCOL, frame_cap, move |sink, stream| async move {
        let (sink, stream) = websocket::split(sink, stream, stopping.map(|Extension(s)| s));
        run(emulator, options, connect, sink, stream).await;
    })
}

/// The connect authorization: from a `header-` subprotocol or `?header=`, else from the upgrade
/// request's own headers; IAM signs POST `/event` over `{}`.
async fn authenticate(
    emulator: &Emulator,
    query: Option<&str>,
    headers: &HeaderMap,
    protocols: &[String],
) -> Result<Identity, AuthFailure> {
    let parts = match connect_headers(query, protocols) {
        Some(headers) => authorization_parts(EVENT_PATH, &headers),
        None => upgrade_header_parts(headers),
    };
    let Some(parts) = parts else {
        return Err(AuthFailure::unauthorized());
    };
    emulator
        .inner
        .auth
        .authenticate_scoped(
            &RequestParts { parts: &parts, body: b"{}" },
            SystemTime::now(),
            Some(scope(Operation::Connect, None)),
        )
        .await
}

/// The upgrade request's own headers as the connect authorization, when they carry some.
fn upgrade_header_parts(headers: &HeaderMap) -> Option<http::request::Parts> {
    let carries_auth = headers.contains_key(http::header::AUTHORIZATION) || headers.contains_key("x-api-key");
    if !carries_auth {
        return None;
    }
    let mut builder = http::Request::builder().method("POST").uri(EVENT_PATH);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder.body(()).ok().map(|r| r.into_parts().0)
}
