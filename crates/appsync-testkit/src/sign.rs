//! Signing a GraphQL POST with our signer and with AWS's, for tests that compare or forge.

use std::time::SystemTime;

/// Signs a `POST /graphql` to `host` with appsync-sigv4; returns every header to send.
pub fn sign_ours(
    host: &str,
    body: &[u8],
    akid: &str,
    secret: &str,
    token: Option<&str>,
    region: &str,
) -> Vec<(&'static str, String)> {
    let creds = appsync_sigv4::Credentials::new(akid, secret, token.map(str::to_owned), None);
    let base: Vec<(&str, &[u8])> = vec![("host", host.as_bytes()), ("content-type", b"application/json")];
    let req = appsync_sigv4::SignableRequest::new(
        "POST",
        "/graphql",
        base,
        appsync_sigv4::SignableBody::Bytes(body),
    )
    .expect("signable");
    let params = appsync_sigv4::SigningParams::new(&creds, region, "appsync", SystemTime::now());
    let out = appsync_sigv4::sign(&req, &params).expect("sign");
    let mut headers = vec![("host", host.to_owned()), ("content-type", "application/json".to_owned())];
    for part in out.headers() {
        headers.push((part.name(), part.value().to_owned()));
    }
    headers
}

/// The same request signed by the independent aws-sigv4 crate at `time`: the differential peer.
pub fn sign_aws(
    host: &str,
    body: &[u8],
    akid: &str,
    secret: &str,
    token: Option<&str>,
    region: &str,
    time: SystemTime,
) -> Vec<(&'static str, String)> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    let creds = aws_credential_types::Credentials::new(akid, secret, token.map(str::to_owned), None, "test");
    let identity = creds.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("appsync")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let url = format!("http://{host}/graphql");
    let base = [("host", host), ("content-type", "application/json")];
    let signable =
        SignableRequest::new("POST", &url, base.into_iter(), SignableBody::Bytes(body)).expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    let mut headers = vec![("host", host.to_owned()), ("content-type", "application/json".to_owned())];
    for (name, value) in instructions.headers() {
        let name: &'static str = match name {
            "authorization" => "authorization",
            "x-amz-date" => "x-amz-date",
            "x-amz-security-token" => "x-amz-security-token",
            "x-amz-content-sha256" => "x-amz-content-sha256",
            other => panic!("unexpected signing header {other}"),
        };
        headers.push((name, value.to_owned()));
    }
    headers
}
