//! [`EventsClient`]: publish over HTTP or the WebSocket, subscribe to channels.

use std::fmt;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::channel::{self, Use};
use super::messages::publish_body;
use super::publish::{self, PublishResult};
use super::{EventStream, EventsClientBuilder};
use crate::auth::Auth;
use crate::client::Client;
use crate::error::Result;

/// An AppSync Events client: publish to channels over HTTP ([`publish`](Self::publish)) or
/// over the WebSocket ([`publish_ws`](Self::publish_ws)), and subscribe to them
/// ([`subscribe`](Self::subscribe)).
///
/// Cheap to clone (an `Arc` inside): clones share the HTTP connection pool, the credentials
/// cache, the retry budget, the clock-skew correction and the WebSocket. One WebSocket per
/// (real-time endpoint, auth identity) carries every subscription and WebSocket publish of
/// the client; each `subscribe` and `publish` message carries its own authorization (IAM: a
/// signature over that message, with the cached credentials of the moment, loaded again ahead
/// of their expiry).
///
/// ```no_run
/// # async fn run() -> Result<(), appsync::Error> {
/// use futures_util::StreamExt as _;
/// use appsync::Auth;
/// use appsync::events::EventsClient;
///
/// let client = EventsClient::builder()
///     .endpoint("https://abc123.appsync-api.us-east-1.amazonaws.com/event")
///     .auth(Auth::api_key("da2-abcdefghijklmnopqrstuvwxyz"))
///     .build()?;
/// let mut chat = client.subscribe::<serde_json::Value>("/default/chat").await?;
/// client.publish("/default/chat", [serde_json::json!({"text": "hi"})]).await?;
/// if let Some(event) = chat.next().await {
///     println!("{}", event?);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct EventsClient {
    /// The request pipeline (auth, signing, retries) and the real-time hub, pointed at the
    /// Events endpoint and speaking its WebSocket protocol.
    client: Client,
    /// The auth mode of this handle's publishes and subscriptions (see
    /// [`with_auth`](Self::with_auth)).
    auth: Auth,
}

impl fmt::Debug for EventsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventsClient")
            .field("endpoint", &self.client.endpoint().as_str())
            .field("realtime_url", &self.client.realtime_url().as_str())
            .field("region", &self.client.region())
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl EventsClient {
    pub(crate) fn from_client(client: Client) -> Self {
        let auth = client.auth().clone();
        Self { client, auth }
    }

    /// A builder.
    pub fn builder() -> EventsClientBuilder {
        EventsClientBuilder::default()
    }

    /// The HTTP endpoint (`.../event`).
    pub fn endpoint(&self) -> &reqwest::Url {
        self.client.endpoint()
    }

    /// The real-time (WebSocket) URL subscriptions and WebSocket publishes use.
    pub fn realtime_url(&self) -> &reqwest::Url {
        self.client.realtime_url()
    }

    /// The signing region, if known.
    pub fn region(&self) -> Option<&str> {
        self.client.region()
    }

    /// The auth mode of this client's publishes and subscriptions.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// This client with another auth mode, for a channel namespace that allows other modes to
    /// publish than to subscribe (or for another identity). It shares everything else with
    /// `self`: the HTTP connection pool, the retry budget, the clock-skew correction, and the
    /// WebSockets, one per auth identity (its subscriptions and WebSocket publishes go on the
    /// socket of `auth`).
    ///
    /// ```no_run
    /// # async fn run(client: appsync::events::EventsClient) -> Result<(), appsync::Error> {
    /// use appsync::Auth;
    /// let publisher = client.with_auth(Auth::api_key("da2-publisher-key"));
    /// publisher.publish("/default/chat", [serde_json::json!({"text": "hi"})]).await?;
    /// # Ok(()) }
    /// ```
    pub fn with_auth(&self, auth: Auth) -> Self {
        Self { client: self.client.clone(), auth }
    }

    /// Publishes `events` (any `Serialize` values, each sent as its JSON text) to `channel`
    /// with an HTTP POST to the endpoint. More than five events (AppSync's limit per request)
    /// go in several requests, one after the other, so their order is kept.
    ///
    /// The result has one entry per event, in the order given: published (with AppSync's
    /// identifier) or not (with why). A request that may have reached AppSync is never sent
    /// again, so no event is published twice.
    ///
    /// ```no_run
    /// # async fn run(client: appsync::events::EventsClient) -> Result<(), appsync::Error> {
    /// #[derive(serde::Serialize)]
    /// struct Message<'a> { text: &'a str }
    /// let result = client
    ///     .publish("/default/chat", [Message { text: "hello" }, Message { text: "world" }])
    ///     .await?;
    /// assert!(result.is_success());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// Before anything is sent: a channel AppSync does not accept (a wildcard, a bad
    /// character, more than five segments: [`Error::is_invalid_input`](crate::Error::is_invalid_input)
    /// with `field() == Some("channel")`), no event, an event over
    /// [`MAX_EVENT_BYTES`](super::MAX_EVENT_BYTES) (`field() == Some("events")`) or one that
    /// does not serialize ([`is_encode`](crate::Error::is_encode)). Then the first request's
    /// failure (transport, timeout, an HTTP status such as AppSync's `UnauthorizedException`,
    /// credentials): nothing was published. A later request's failure is reported in the
    /// result, for its events and the ones after it.
    pub async fn publish<E: Serialize>(
        &self,
        channel: &str,
        events: impl IntoIterator<Item = E>,
    ) -> Result<PublishResult> {
        channel::check(channel, Use::Publish)?;
        let events = publish::encode(events)?;
        let auth = &self.auth;
        publish::in_requests(events, |chunk| async move {
            let body = Bytes::from(publish_body(channel, &chunk));
            let response = self.client.post_publish(channel, auth, body).await?;
            publish::decode_response(&response)
        })
        .await
    }

    /// Publishes `events` to `channel` over the client's WebSocket (opening it if needed; no
    /// subscription is needed), resolving when AppSync answers with `publish_success`. Split
    /// and reported as [`publish`](Self::publish) does. A publish sent on a connection that is
    /// then lost before the answer fails ([`is_transport`](crate::Error::is_transport)): its
    /// events may or may not have been published, and it is not sent again. A socket with no
    /// subscription closes once its publishes are answered (after
    /// [`RealtimeOptions::idle_timeout`](crate::realtime::RealtimeOptions::idle_timeout), zero
    /// by default), so publishing over the WebSocket pays off beside a subscription, for
    /// concurrent calls (which share the socket) or with an idle timeout; otherwise
    /// [`publish`](Self::publish) is the cheaper path.
    ///
    /// ```no_run
    /// # async fn run(client: appsync::events::EventsClient) -> Result<(), appsync::Error> {
    /// let result = client.publish_ws("/default/chat", [serde_json::json!({"text": "hi"})]).await?;
    /// println!("{:?}", result.events()[0].identifier());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`publish`](Self::publish); AppSync's `publish_error` (or `error`) for the first
    /// request is [`is_rejected`](crate::Error::is_rejected); a connection refused for good,
    /// timeouts (`start_ack_timeout` of [`RealtimeOptions`](crate::realtime::RealtimeOptions)),
    /// or [`is_closed`](crate::Error::is_closed) after [`close`](Self::close).
    pub async fn publish_ws<E: Serialize>(
        &self,
        channel: &str,
        events: impl IntoIterator<Item = E>,
    ) -> Result<PublishResult> {
        channel::check(channel, Use::Publish)?;
        let events = publish::encode(events)?;
        let auth = &self.auth;
        let hub = self.client.hub();
        publish::in_requests(events, |chunk| {
            let channel = channel.to_owned();
            async move { hub.publish(&self.client, auth, channel, chunk).await }
        })
        .await
    }

    /// Subscribes to `channel` (ending in `/*` for every channel below it) over the client's
    /// WebSocket, decoding each event as `T`. Resolves once AppSync has answered
    /// `subscribe_success`, so every event published afterwards is delivered. Dropping the
    /// [`EventStream`] sends `unsubscribe`. A subscription AppSync refuses ends alone: the
    /// socket and the other subscriptions on it live on.
    ///
    /// ```no_run
    /// # async fn run(client: appsync::events::EventsClient) -> Result<(), appsync::Error> {
    /// use futures_util::StreamExt as _;
    /// let mut everything = client.subscribe::<serde_json::Value>("/default/*").await?;
    /// while let Some(event) = everything.next().await {
    ///     println!("{}", event?);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A channel AppSync does not accept ([`is_invalid_input`](crate::Error::is_invalid_input)),
    /// AppSync's `subscribe_error` ([`is_rejected`](crate::Error::is_rejected); `is_unauthorized()`
    /// for an `UnauthorizedException`), the connection refused for good
    /// ([`is_realtime_refused`](crate::Error::is_realtime_refused)), timeouts, credentials or
    /// signing errors, or [`is_closed`](crate::Error::is_closed) after [`close`](Self::close).
    pub async fn subscribe<T: DeserializeOwned>(&self, channel: &str) -> Result<EventStream<T>> {
        channel::check(channel, Use::Subscribe)?;
        let auth = self.auth.clone();
        self.client.hub().subscribe(&self.client, auth, channel.to_owned(), EventStream::new).await
    }

    /// The state changes of the client's WebSocket connections (connecting, connected,
    /// keep-alive late, disrupted, reconnecting, closed), from now on; as
    /// [`Client::connection_states`](crate::Client::connection_states). Ends after
    /// [`close`](Self::close).
    pub fn connection_states(
        &self,
    ) -> impl futures_util::Stream<Item = crate::realtime::ConnectionEvent> + Send + 'static {
        self.client.connection_states()
    }

    /// Ends every subscription (their streams end), sends `unsubscribe` for each and closes
    /// every WebSocket politely; WebSocket publishes still waiting fail with
    /// [`is_closed`](crate::Error::is_closed). Later `subscribe` and `publish_ws` calls fail
    /// with `is_closed`; HTTP publishes still work.
    pub async fn close(&self) {
        self.client.close().await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use serde_json::{Map, Value};

    use super::*;
    use crate::credentials::Credentials;
    use crate::events::messages::subscribe_body;

    const ENDPOINT: &str = "https://abc123.appsync-api.eu-west-2.amazonaws.com/event";
    const HOST: &str = "abc123.appsync-api.eu-west-2.amazonaws.com";

    fn client(auth: Auth) -> EventsClient {
        EventsClient::builder().endpoint(ENDPOINT).auth(auth).build().unwrap_or_else(|e| panic!("{e}"))
    }

    /// What `aws-sigv4` makes of POST `ENDPOINT` with AppSync's real-time headers and `body`,
    /// at `time`: the `Authorization` value.
    fn reference_signature(body: &str, time: SystemTime, token: Option<&str>) -> String {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        let credentials = aws_credential_types::Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            token.map(str::to_owned),
            None,
            "test",
        );
        let identity = credentials.into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("eu-west-2")
            .name("appsync")
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
            .into();
        let headers = [
            ("accept", "application/json, text/javascript"),
            ("content-encoding", "amz-1.0"),
            ("content-type", "application/json; charset=UTF-8"),
            ("host", HOST),
        ];
        let request =
            SignableRequest::new("POST", ENDPOINT, headers.into_iter(), SignableBody::Bytes(body.as_bytes()))
                .unwrap_or_else(|e| panic!("{e}"));
        let (instructions, _) = sign(request, &params).unwrap_or_else(|e| panic!("{e}")).into_parts();
        let (headers, _) = instructions.into_parts();
        headers
            .iter()
            .find(|h| h.name().eq_ignore_ascii_case("authorization"))
            .map(|h| h.value().to_owned())
            .unwrap_or_default()
    }

    /// The signing time an authorization object names.
    fn signed_at(authorization: &Map<String, Value>) -> SystemTime {
        let date = authorization["x-amz-date"].as_str().unwrap_or_default();
        let number = |range: std::ops::Range<usize>| -> u32 {
            date.get(range).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("x-amz-date {date}"))
        };
        let month = time::Month::try_from(number(4..6) as u8).unwrap_or_else(|e| panic!("{e}"));
        let day = time::Date::from_calendar_date(number(0..4) as i32, month, number(6..8) as u8)
            .unwrap_or_else(|e| panic!("{e}"));
        let at = day
            .with_hms(number(9..11) as u8, number(11..13) as u8, number(13..15) as u8)
            .unwrap_or_else(|e| panic!("{e}"));
        SystemTime::from(at.assume_utc())
    }

    #[tokio::test]
    async fn iam_authorizations_match_aws_sigv4_for_each_messages_body() {
        for token in [None, Some("session-token")] {
            let credentials = Credentials::new(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                token.map(str::to_owned),
                None,
            );
            let auth = Auth::iam(credentials);
            let client = client(auth.clone());
            let hub = client.client.hub();
            assert_eq!(hub.endpoint.api_url.as_str(), ENDPOINT);
            assert_eq!(
                hub.endpoint.connect_url.as_str(),
                ENDPOINT,
                "Events connects with a signature over /event"
            );
            let events = vec![r#"{"text":"hi"}"#.to_owned(), "[1,2]".to_owned()];
            let bodies =
                ["{}".to_owned(), subscribe_body("/default/*"), publish_body("/default/chat", &events)];
            for body in bodies {
                let authorization = hub
                    .endpoint
                    .message_headers(&client.client, &auth, &body)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let time = signed_at(&authorization);
                assert_eq!(
                    authorization["Authorization"].as_str(),
                    Some(reference_signature(&body, time, token).as_str()),
                    "{body}"
                );
                assert_eq!(authorization["host"], HOST);
                assert_eq!(authorization["accept"], "application/json, text/javascript");
                assert_eq!(authorization["content-encoding"], "amz-1.0");
                assert_eq!(authorization["content-type"], "application/json; charset=UTF-8");
                assert_eq!(authorization.get("X-Amz-Security-Token").and_then(Value::as_str), token);
            }
        }
    }

    #[test]
    fn urls_are_derived_for_events() {
        let derived = |endpoint: &str| {
            EventsClient::builder()
                .endpoint(endpoint)
                .region("us-east-1")
                .auth(Auth::api_key("da2-k"))
                .build()
                .map(|c| c.realtime_url().to_string())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(
            derived(ENDPOINT),
            "wss://abc123.appsync-realtime-api.eu-west-2.amazonaws.com/event/realtime"
        );
        assert_eq!(derived("https://api.example.com/event"), "wss://api.example.com/event/realtime");
        assert_eq!(derived("http://127.0.0.1:4000/event"), "ws://127.0.0.1:4000/event/realtime");
        let overridden = EventsClient::builder()
            .endpoint(ENDPOINT)
            .auth(Auth::api_key("da2-k"))
            .realtime_url("wss://rt.example.com/event/realtime")
            .build()
            .map(|c| c.realtime_url().to_string());
        assert_eq!(overridden.ok().as_deref(), Some("wss://rt.example.com/event/realtime"));
    }

    #[test]
    fn build_names_the_bad_field() {
        let field = |builder: EventsClientBuilder| builder.build().err().and_then(|e| e.field());
        assert_eq!(field(EventsClient::builder().auth(Auth::api_key("k"))), Some("endpoint"));
        assert_eq!(field(EventsClient::builder().endpoint(ENDPOINT)), Some("auth"));
        assert_eq!(
            field(
                EventsClient::builder()
                    .endpoint("https://abc.appsync-api.us-east-1.amazonaws.com/graphql")
                    .auth(Auth::api_key("k"))
            ),
            Some("endpoint")
        );
        let iam = Auth::iam(Credentials::new("AKID", "secret", None, None));
        let missing_region =
            EventsClient::builder().endpoint("https://api.example.com/event").auth(iam).build().err();
        assert_eq!(missing_region.as_ref().and_then(|e| e.field()), Some("region"));
        assert!(missing_region.is_some_and(|e| e.to_string().contains("EventsClientBuilder::region")));
        assert_eq!(
            field(
                EventsClient::builder()
                    .endpoint(ENDPOINT)
                    .auth(Auth::api_key("k"))
                    .timeout(std::time::Duration::ZERO)
            ),
            Some("timeout")
        );
        assert_eq!(
            field(
                EventsClient::builder()
                    .endpoint(ENDPOINT)
                    .auth(Auth::api_key("k"))
                    .realtime_url("https://x/event")
            ),
            Some("realtime.url")
        );
    }

    #[test]
    fn debug_shows_no_secret() {
        let client = client(Auth::api_key("da2-very-secret"));
        let shown = format!("{client:?} {:?}", EventsClient::builder().auth(Auth::lambda("tok-secret")));
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("EventsClient") && shown.contains("/event"), "{shown}");
    }

    #[tokio::test]
    async fn another_auth_mode_signs_its_own_messages_and_still_needs_a_region() {
        let client = client(Auth::api_key("da2-k"));
        let iam = Auth::iam(Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
        ));
        let as_iam = client.with_auth(iam.clone());
        assert_eq!(as_iam.auth().mode_name(), "iam");
        assert_eq!(client.auth().mode_name(), "api-key", "the original keeps its mode");
        assert_eq!(as_iam.endpoint(), client.endpoint());

        let local = EventsClient::builder()
            .endpoint("http://127.0.0.1:9/event")
            .auth(Auth::api_key("da2-k"))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let error = local.with_auth(iam).publish("/default/chat", [1]).await.err();
        assert_eq!(
            error.and_then(|e| e.field()),
            Some("region"),
            "IAM without a region is refused, not sent"
        );
    }

    #[tokio::test]
    async fn bad_channels_and_events_are_refused_before_anything_is_sent() {
        // Nothing listens at this endpoint: a request would fail to connect, not as invalid input.
        let client = EventsClient::builder()
            .endpoint("http://127.0.0.1:9/event")
            .auth(Auth::api_key("da2-k"))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let e = client.publish("/default/*", [1]).await.err();
        assert!(e.is_some_and(|e| e.is_invalid_input() && e.field() == Some("channel")));
        let e = client.publish_ws("/default/bad channel", [1]).await.err();
        assert!(e.is_some_and(|e| e.is_invalid_input() && e.field() == Some("channel")));
        let e = client.subscribe::<Value>("/a/b/c/d/e/f").await.err();
        assert!(e.is_some_and(|e| e.is_invalid_input() && e.field() == Some("channel")));
        let big = "x".repeat(crate::events::MAX_EVENT_BYTES + 1);
        let e = client.publish("/default/chat", [big]).await.err();
        assert!(e.is_some_and(|e| e.is_invalid_input() && e.field() == Some("events")));
    }
}
