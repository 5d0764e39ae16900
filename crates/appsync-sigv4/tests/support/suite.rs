//! Reading a case of AWS's signing test suite (`data/v4`, `data/v4a`): its context, its request
//! and the forms of the signed request, shared by `vectors.rs` and `vectors_v4a.rs`. The including
//! test names its suite with `const SUITE: &str`.
#![allow(dead_code, unreachable_pub)]

use std::fs;
use std::path::PathBuf;
use std::time::SystemTime;

use appsync_sigv4::{AmzDate, Credentials, SessionTokenMode, SigningSettings};
use serde::Deserialize;

#[derive(Deserialize)]
struct Context {
    credentials: ContextCredentials,
    expiration_in_seconds: u64,
    normalize: bool,
    region: String,
    service: String,
    sign_body: bool,
    timestamp: String,
    #[serde(default)]
    omit_session_token: bool,
}

#[derive(Deserialize)]
struct ContextCredentials {
    access_key_id: String,
    secret_access_key: String,
    token: Option<String>,
}

pub(crate) struct Parsed {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

pub(crate) fn case_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(super::SUITE).join(name)
}

pub(crate) fn read(name: &str, file: &str) -> Option<String> {
    fs::read_to_string(case_dir(name).join(file)).ok()
}

pub(crate) fn parse_request(text: &str) -> Parsed {
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h, b.as_bytes().to_vec()),
        None => (text.trim_end_matches('\n'), Vec::new()),
    };
    let mut lines = head.lines();
    let request_line = lines.next().expect("request line");
    let (method, rest) = request_line.split_once(' ').expect("method");
    let target = rest.strip_suffix(" HTTP/1.1").unwrap_or(rest);
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().expect("continuation follows a header");
            last.1.push(' ');
            last.1.push_str(line.trim_start());
        } else {
            let (n, v) = line.split_once(':').expect("header line has a colon");
            headers.push((n.to_owned(), v.to_owned()));
        }
    }
    Parsed { method: method.to_owned(), target: target.to_owned(), headers, body }
}

pub(crate) fn time_of(iso: &str) -> SystemTime {
    // "2015-08-30T12:36:00Z" -> "20150830T123600Z"
    let compact: String = iso.chars().filter(|c| *c != '-' && *c != ':').collect();
    AmzDate::parse(&compact).expect("timestamp").to_system_time()
}

pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) creds: Credentials,
    pub(crate) region: String,
    pub(crate) service: String,
    pub(crate) time: SystemTime,
    pub(crate) settings: SigningSettings,
    pub(crate) expires: u64,
}

pub(crate) fn load(name: &'static str, double_encode: bool) -> Case {
    let ctx: Context =
        serde_json::from_str(&read(name, "context.json").expect("context.json")).expect("context parses");
    let creds = Credentials::new(
        ctx.credentials.access_key_id,
        ctx.credentials.secret_access_key,
        ctx.credentials.token,
        None,
    );
    let mut settings = SigningSettings::default();
    settings.normalize_path = ctx.normalize;
    settings.double_encode_path = double_encode;
    settings.content_sha256_header = ctx.sign_body;
    if ctx.omit_session_token {
        settings.session_token_mode = SessionTokenMode::Exclude;
    }
    Case {
        name,
        creds,
        region: ctx.region,
        service: ctx.service,
        time: time_of(&ctx.timestamp),
        settings,
        expires: ctx.expiration_in_seconds,
    }
}

/// Header lines of a signed request, lower-cased names, as a sorted multiset.
pub(crate) fn header_multiset(headers: &[(String, String)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> =
        headers.iter().map(|(n, val)| (n.to_ascii_lowercase(), val.trim().to_owned())).collect();
    v.sort();
    v
}

pub(crate) fn query_multiset(target: &str) -> Vec<String> {
    let mut v: Vec<String> =
        target.split_once('?').map(|(_, q)| q.split('&').map(str::to_owned).collect()).unwrap_or_default();
    v.sort();
    v
}

pub(crate) fn host_of(p: &Parsed) -> String {
    p.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.clone())
        .expect("host header")
}
