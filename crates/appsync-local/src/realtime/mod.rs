//! AppSync's real-time WebSocket endpoint: `GET /graphql/realtime` (the custom-domain form)
//! and `GET /graphql` upgrades, subprotocol `graphql-ws`.
//!
//! Connect-time auth comes from the `header=<base64 JSON>&payload=e30=` query parameters or a
//! `header-<base64url JSON>` subprotocol, and is verified by the same authenticator as HTTP
//! (IAM: a signature over POST `/graphql/connect` with body `{}`). Each `start` is authorized on
//! its own (IAM: POST `/graphql` with `data` as the body), validated against the schema and
//! answered `start_ack` or `error`. Mutations from any source fan out from
//! [`Emulator::subscribe_mutations`](crate::Emulator::subscribe_mutations).

mod connection;
mod filter;
mod options;
pub mod protocol;
mod subscription;

use std::sync::Arc;
use std::time::SystemTime;

use axum::Extension;
use axum::extract::{Request, State};
use axum::response::Response;

use crate::Emulator;
use crate::auth::{AuthFailure, RequestParts};
use crate::error::Error;
use crate::websocket::{
    self, Stopping, authorization_parts, bad_request, connect_headers, requested_protocols,
};
#[cfg(test)]
use crate::websocket::{Inbound, Outbound};

pub(crate) use connection::{refuse, run};
pub use options::RealtimeOptions;
use protocol::ServerMessage;

/// The subprotocol AppSync requires.
pub const SUBPROTOCOL: &str = "graphql-ws";

/// The emulator's routes (HTTP and real-time) with `options` for the real-time endpoint instead
/// of the emulator's own, for serving with `axum::serve` or embedding in another router.
/// Options out of range are refused as [`EmulatorBuilder::build`](crate::EmulatorBuilder::build)
/// refuses them, naming the field.
pub fn router_with(emulator: &Emulator, options: RealtimeOptions) -> Result<axum::Router, Error> {
    options.check()?;
    Ok(emulator.router().layer(Extension(CheckedOptions(Arc::new(options)))))
}

/// Real-time options that passed [`RealtimeOptions::check`], as a router carries them: a type of
/// its own, so that only checked options reach a connection.
#[derive(Clone)]
pub(crate) struct CheckedOptions(Arc<RealtimeOptions>);

impl CheckedOptions {
    /// The options a router was given with [`router_with`], else the emulator's own.
    pub(crate) fn resolve(options: Option<Extension<Self>>, emulator: &Emulator) -> Arc<RealtimeOptions> {
        options.map_or_else(|| Arc::clone(&emulator.inner.realtime), |Extension(c)| c.0)
    }
}

/// `GET /graphql` and `GET /graphql/realtime`: the WebSocket upgrade.
pub(crate) async fn upgrade(
    State(emulator): State<Emulator>,
    options: Option<Extension<CheckedOptions>>,
    stopping: Option<Extension<Stopping>>,
    ws: Result<crate::socket::Upgrade, crate::socket::NotAnUpgrade>,
    request: Request,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(_) if request.uri().path() == "/graphql" => {
            return crate::http::graphql_get(emulator, request).await;
        }
        Err(rejection) => {
            tracing::debug!(%rejection, "GET without a WebSocket upgrade");
            return bad_request("This endpoint accepts WebSocket upgrades with the graphql-ws subprotocol.");
        }
    };
    let options = CheckedOptions::resolve(options, &emulator);
    let protocols = requested_protocols(request.headers());
    // Without the subprotocol AppSync still upgrades, then refuses with a `connection_error`
    // (capture in graphql-dotnet/graphql-client #591).
    let subprotocol = protocols.iter().any(|p| p == SUBPROTOCOL);
    let connect = match connect_headers(request.uri().query(), &protocols)
        .and_then(|h| authorization_parts("/graphql/connect", &h))
    {
        None => Err(AuthFailure::unauthorized()),
        Some(parts) => {
            emulator
                .inner
                .auth
                .authenticate_request(&RequestParts { parts: &parts, body: b"{}" }, SystemTime::now())
                .await
        }
    };
    // The connection's addresses, for `ctx.identity.sourceIp` in the resolvers its `start`s
    // run: the upgrade request's `x-forwarded-for` entries, then its peer, as over HTTP.
    let connect = connect.map(|mut identity| {
        identity.set_source_ip(crate::http::source_ip_of(request.headers(), request.extensions()));
        identity
    });
    // Frames a little over the limit are still read, so that they get an answer in AppSync's
    // words rather than a bare close; far larger ones are cut off by the WebSocket layer.
    let frame_cap = options.max_message_bytes.saturating_mul(4).max(64 * 1024);
    ws.on_upgrade(SUBPROTOCOL, frame_cap, move |sink, stream| async move {
        let (sink, stream) = websocket::split(sink, stream, stopping.map(|Extension(s)| s));
        if subprotocol {
            run(emulator, options, connect, sink, stream).await;
        } else {
            let message = ServerMessage::subprotocol_not_supported();
            refuse(emulator, options, message, "subprotocol not supported", sink, stream).await;
        }
    })
}

#[cfg(test)]
mod tests;
