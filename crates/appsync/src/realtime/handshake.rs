//! The real-time URL derived from the API endpoint, and the auth headers as AppSync's
//! real-time endpoints want them: a JSON object (with `host`) in the `header` query parameter or
//! in a `header-<base64url>` subprotocol, and in each `start`/`subscribe`/`publish` message.

use base64::Engine as _;
use http::{HeaderMap, HeaderValue};

use super::AuthForm;
use super::dialect::Dialect;
use super::transport::ConnectRequest;
use crate::auth::Auth;
use crate::client::Client;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};

/// Where and how to connect.
#[derive(Debug, Clone)]
pub(crate) struct RealtimeEndpoint {
    /// `wss://<id>.appsync-realtime-api.<region>.amazonaws.com/graphql`, or `<endpoint>/realtime`
    /// (Events: `.../event/realtime`).
    pub(crate) url: reqwest::Url,
    /// The API host (with a non-default port) the headers name and IAM signs.
    pub(crate) host: String,
    /// What IAM signs for the connection: `https://<api host>/graphql/connect` (Events: the
    /// `/event` endpoint itself).
    pub(crate) connect_url: reqwest::Url,
    /// The API endpoint: what IAM signs for each `start`, `subscribe` and `publish`.
    pub(crate) api_url: reqwest::Url,
    /// The protocol spoken.
    pub(crate) dialect: Dialect,
}

impl RealtimeEndpoint {
    pub(crate) fn new(
        endpoint: &Endpoint,
        realtime_url: Option<&str>,
        signing_host: Option<&str>,
        dialect: Dialect,
    ) -> Result<Self> {
        let url = match realtime_url {
            Some(raw) => {
                let url = reqwest::Url::parse(raw.trim()).map_err(|e| {
                    Error::config_with_source("realtime.url", format!("`{raw}` is not a URL"), e)
                })?;
                if !matches!(url.scheme(), "wss" | "ws") || url.host_str().is_none_or(str::is_empty) {
                    return Err(Error::config(
                        "realtime.url",
                        format!("`{raw}` must be a wss:// (or ws://) URL"),
                    ));
                }
                url
            }
            None => derive_url(endpoint, dialect)?,
        };
        let host = match signing_host {
            Some(h) if !h.trim().is_empty() => h.trim().to_owned(),
            Some(_) => return Err(Error::config("realtime.signing_host", "must not be empty")),
            None => authority(endpoint),
        };
        let mut api_url = endpoint.url.clone();
        api_url.set_query(None);
        let mut connect_url = api_url.clone();
        if dialect == Dialect::GraphQl {
            let path = format!("{}/connect", endpoint.url.path().trim_end_matches('/'));
            connect_url.set_path(&path);
        }
        Ok(Self { url, host, connect_url, api_url, dialect })
    }

    /// The socket request for auth headers `header` in `form`.
    pub(crate) fn connect_request(
        &self,
        header: &serde_json::Map<String, serde_json::Value>,
        form: AuthForm,
    ) -> ConnectRequest {
        let json = serde_json::Value::Object(header.clone()).to_string();
        let mut url = self.url.clone();
        let subprotocol = self.dialect.subprotocol().to_owned();
        match form {
            AuthForm::Subprotocol => {
                let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
                ConnectRequest { url, subprotocols: vec![subprotocol, format!("header-{encoded}")] }
            }
            AuthForm::QueryString => {
                let encoded = base64::engine::general_purpose::STANDARD.encode(json);
                url.query_pairs_mut().append_pair("header", &encoded).append_pair("payload", "e30=");
                ConnectRequest { url, subprotocols: vec![subprotocol] }
            }
        }
    }

    /// The connection's auth headers: IAM signs POST `/graphql/connect` (Events: `/event`) with
    /// body `{}`.
    pub(crate) async fn connect_headers(
        &self,
        client: &Client,
        auth: &Auth,
    ) -> Result<serde_json::Map<String, serde_json::Value>> {
        self.headers(client, auth, &self.connect_url, b"{}").await
    }

    /// A message's auth headers: IAM signs POST to the API endpoint with `body` (a `start`'s
    /// `data`; Events: the compact JSON of the message's `channel` and `events`).
    pub(crate) async fn message_headers(
        &self,
        client: &Client,
        auth: &Auth,
        body: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>> {
        self.headers(client, auth, &self.api_url, body.as_bytes()).await
    }

    async fn headers(
        &self,
        client: &Client,
        auth: &Auth,
        url: &reqwest::Url,
        body: &[u8],
    ) -> Result<serde_json::Map<String, serde_json::Value>> {
        let mut headers = HeaderMap::new();
        let host = HeaderValue::from_str(&self.host)
            .map_err(|_| Error::config("realtime.signing_host", "is not a valid host"))?;
        headers.insert(http::header::HOST, host);
        if auth.is_iam() {
            headers
                .insert(http::header::ACCEPT, HeaderValue::from_static("application/json, text/javascript"));
            headers.insert(http::header::CONTENT_ENCODING, HeaderValue::from_static("amz-1.0"));
            headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=UTF-8"),
            );
        }
        let signed = client.auth_headers(Some(auth), "POST", url, headers, body).await?;
        Ok(header_json(&signed))
    }
}

/// Header names as AWS's documentation spells them in the JSON (`Authorization`,
/// `X-Amz-Security-Token`; the rest lower case).
fn header_json(headers: &HeaderMap) -> serde_json::Map<String, serde_json::Value> {
    let mut map = serde_json::Map::new();
    for (name, value) in headers {
        let name = match name.as_str() {
            "authorization" => "Authorization",
            "x-amz-security-token" => "X-Amz-Security-Token",
            other => other,
        };
        if let Ok(value) = value.to_str() {
            map.insert(name.to_owned(), serde_json::Value::String(value.to_owned()));
        }
    }
    map
}

/// `host[:port]`, the port only when not the scheme's default.
fn authority(endpoint: &Endpoint) -> String {
    let host = endpoint.host();
    match endpoint.url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// AppSync's own hosts: `appsync-api` -> `appsync-realtime-api`, same path for GraphQL,
/// the path plus `/realtime` for Events. Anything else (a custom domain, the local emulator):
/// the endpoint's path plus `/realtime`. `https` -> `wss`, `http` -> `ws`.
pub(crate) fn derive_url(endpoint: &Endpoint, dialect: Dialect) -> Result<reqwest::Url> {
    let scheme = if endpoint.url.scheme() == "http" { "ws" } else { "wss" };
    let host = endpoint.host();
    let port = endpoint.url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = endpoint.url.path().trim_end_matches('/');
    let raw = match host.split_once(".appsync-api.") {
        Some((id, rest)) if dialect == Dialect::GraphQl => {
            format!("{scheme}://{id}.appsync-realtime-api.{rest}{port}{path}")
        }
        Some((id, rest)) => format!("{scheme}://{id}.appsync-realtime-api.{rest}{port}{path}/realtime"),
        None => format!("{scheme}://{host}{port}{path}/realtime"),
    };
    reqwest::Url::parse(&raw)
        .map_err(|e| Error::config_with_source("realtime.url", "could not be derived from the endpoint", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Endpoint {
        Endpoint::parse(s, None).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn realtime_urls_are_derived() {
        let derive =
            |s: &str| derive_url(&url(s), Dialect::GraphQl).map(|u| u.to_string()).unwrap_or_default();
        assert_eq!(
            derive("https://abc123.appsync-api.us-east-1.amazonaws.com/graphql"),
            "wss://abc123.appsync-realtime-api.us-east-1.amazonaws.com/graphql"
        );
        assert_eq!(
            derive("https://abc.appsync-api.cn-north-1.amazonaws.com.cn/graphql"),
            "wss://abc.appsync-realtime-api.cn-north-1.amazonaws.com.cn/graphql"
        );
        assert_eq!(derive("https://api.example.com/graphql"), "wss://api.example.com/graphql/realtime");
        assert_eq!(derive("http://127.0.0.1:4000/graphql"), "ws://127.0.0.1:4000/graphql/realtime");
        assert_eq!(
            derive("https://api.example.com:8443/graphql/"),
            "wss://api.example.com:8443/graphql/realtime"
        );
    }

    #[test]
    fn endpoints_know_what_to_sign_and_can_be_overridden() {
        let api = url("https://abc.appsync-api.us-east-1.amazonaws.com/graphql");
        let e = RealtimeEndpoint::new(&api, None, None, Dialect::GraphQl).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.host, "abc.appsync-api.us-east-1.amazonaws.com");
        assert_eq!(e.connect_url.as_str(), "https://abc.appsync-api.us-east-1.amazonaws.com/graphql/connect");
        assert_eq!(e.api_url.as_str(), "https://abc.appsync-api.us-east-1.amazonaws.com/graphql");

        let local = url("http://127.0.0.1:4000/graphql");
        let e = RealtimeEndpoint::new(&local, None, None, Dialect::GraphQl).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.host, "127.0.0.1:4000");
        assert_eq!(e.url.as_str(), "ws://127.0.0.1:4000/graphql/realtime");

        let custom = url("https://api.example.com/graphql");
        let e = RealtimeEndpoint::new(
            &custom,
            Some("wss://rt.example.com/graphql/realtime"),
            Some("abc.appsync-api.us-east-1.amazonaws.com"),
            Dialect::GraphQl,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.url.as_str(), "wss://rt.example.com/graphql/realtime");
        assert_eq!(e.host, "abc.appsync-api.us-east-1.amazonaws.com");

        let bad = RealtimeEndpoint::new(&custom, Some("https://x/graphql"), None, Dialect::GraphQl)
            .err()
            .map(|e| e.field());
        assert_eq!(bad, Some(Some("realtime.url")));
    }

    #[test]
    fn both_auth_forms_carry_the_header_json() {
        let e = RealtimeEndpoint::new(
            &url("https://abc.appsync-api.us-east-1.amazonaws.com/graphql"),
            None,
            None,
            Dialect::GraphQl,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut header = serde_json::Map::new();
        header.insert("host".into(), "abc.appsync-api.us-east-1.amazonaws.com".into());
        header.insert("x-api-key".into(), "da2-key".into());
        let json = r#"{"host":"abc.appsync-api.us-east-1.amazonaws.com","x-api-key":"da2-key"}"#;

        let sub = e.connect_request(&header, AuthForm::Subprotocol);
        assert_eq!(sub.url.as_str(), "wss://abc.appsync-realtime-api.us-east-1.amazonaws.com/graphql");
        assert_eq!(sub.subprotocols[0], "graphql-ws");
        let encoded = sub.subprotocols[1].strip_prefix("header-").unwrap_or_default();
        assert!(!encoded.contains('=') && !encoded.contains('+') && !encoded.contains('/'));
        let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded).unwrap_or_default();
        assert_eq!(String::from_utf8_lossy(&decoded), json);

        let query = e.connect_request(&header, AuthForm::QueryString);
        assert_eq!(query.subprotocols, vec!["graphql-ws".to_owned()]);
        let pairs: Vec<(String, String)> = query.url.query_pairs().into_owned().collect();
        assert_eq!(pairs[1], ("payload".to_owned(), "e30=".to_owned()));
        let decoded = base64::engine::general_purpose::STANDARD.decode(&pairs[0].1).unwrap_or_default();
        assert_eq!(String::from_utf8_lossy(&decoded), json);
    }

    #[tokio::test]
    async fn every_mode_puts_its_headers_next_to_host() {
        use crate::Token;
        use crate::credentials::Credentials;
        use serde_json::{Value, json};

        let api = "https://abc.appsync-api.us-east-1.amazonaws.com/graphql";
        let host = "abc.appsync-api.us-east-1.amazonaws.com";
        let e =
            RealtimeEndpoint::new(&url(api), None, None, Dialect::GraphQl).unwrap_or_else(|e| panic!("{e}"));
        let modes = [
            (Auth::api_key("da2-k"), json!({"host": host, "x-api-key": "da2-k"})),
            (Auth::cognito(Token::new("cognito-jwt")), json!({"host": host, "Authorization": "cognito-jwt"})),
            (Auth::oidc("oidc-jwt"), json!({"host": host, "Authorization": "oidc-jwt"})),
            (Auth::lambda("lambda-token"), json!({"host": host, "Authorization": "lambda-token"})),
        ];
        for (auth, expected) in modes {
            let client =
                Client::builder().endpoint(api).auth(auth.clone()).build().unwrap_or_else(|e| panic!("{e}"));
            let connect = e.connect_headers(&client, &auth).await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(Value::Object(connect), expected);
            let start = e.message_headers(&client, &auth, "{}").await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(Value::Object(start), expected);
        }

        let auth = Auth::iam(Credentials::new("AKID", "secret", Some("session".into()), None));
        let client =
            Client::builder().endpoint(api).auth(auth.clone()).build().unwrap_or_else(|e| panic!("{e}"));
        let connect = e.connect_headers(&client, &auth).await.unwrap_or_else(|e| panic!("{e}"));
        let mut names: Vec<&str> = connect.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "Authorization",
                "X-Amz-Security-Token",
                "accept",
                "content-encoding",
                "content-type",
                "host",
                "x-amz-date"
            ]
        );
        assert_eq!(connect["host"], host);
        assert_eq!(connect["X-Amz-Security-Token"], "session");
        let authorization = connect["Authorization"].as_str().unwrap_or_default();
        assert!(authorization.contains("/us-east-1/appsync/aws4_request"), "{authorization}");
        assert!(authorization.contains("SignedHeaders=accept;content-encoding;content-type;host;x-amz-date"));
        let start =
            e.message_headers(&client, &auth, "{\"query\":\"q\"}").await.unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(start["Authorization"], connect["Authorization"], "a signature of its own");
    }

    #[test]
    fn header_names_follow_awss_spelling() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("AWS4-HMAC-SHA256 ..."));
        headers.insert("x-amz-security-token", HeaderValue::from_static("tok"));
        headers.insert("x-amz-date", HeaderValue::from_static("20260101T000000Z"));
        headers.insert("host", HeaderValue::from_static("h"));
        let json = header_json(&headers);
        let mut names: Vec<&str> = json.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["Authorization", "X-Amz-Security-Token", "host", "x-amz-date"]);
    }
}
