//! AWS's SigV4a test suite (`tests/data/v4a`, see `tests/data/SOURCE.md`): one test per case.
//!
//! ECDSA signatures are randomised (AWS's) or deterministic per key and message (ours), so a
//! SigV4a signature is never compared with the suite's: each case checks that the key derived
//! from `context.json`'s credentials is the suite's `public-key.json`, and that the suite's own
//! signatures (header and query forms) verify with that key over the suite's strings to sign,
//! while a changed string to sign does not.
#![cfg(feature = "sigv4a")]

use std::fs;
use std::path::PathBuf;

use appsync_sigv4::{Credentials, SigV4aKey, verify_v4a};
use serde::Deserialize;

#[macro_use]
#[path = "support/suite_cases.rs"]
mod suite_cases;

#[derive(Deserialize)]
struct Context {
    credentials: ContextCredentials,
}

#[derive(Deserialize)]
struct ContextCredentials {
    access_key_id: String,
    secret_access_key: String,
    token: Option<String>,
}

#[derive(Deserialize)]
struct PublicKey {
    #[serde(rename = "X")]
    x: String,
    #[serde(rename = "Y")]
    y: String,
}

fn read(name: &str, file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/v4a").join(name).join(file);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn run(name: &str) {
    let ctx: Context = serde_json::from_str(&read(name, "context.json")).expect("context.json parses");
    let creds = Credentials::new(
        ctx.credentials.access_key_id,
        ctx.credentials.secret_access_key,
        ctx.credentials.token,
        None,
    );
    let key = SigV4aKey::derive(&creds);
    let public = key.public_key();
    let expected: PublicKey =
        serde_json::from_str(&read(name, "public-key.json")).expect("public key parses");
    assert_eq!(public.len(), 65, "{name}: uncompressed SEC1 point");
    assert_eq!(public[0], 4, "{name}: uncompressed SEC1 point");
    assert_eq!(hex(&public[1..33]), expected.x.to_ascii_lowercase(), "{name}: public key X");
    assert_eq!(hex(&public[33..]), expected.y.to_ascii_lowercase(), "{name}: public key Y");
    for form in ["header", "query"] {
        let sts = read(name, &format!("{form}-string-to-sign.txt"));
        let signature = read(name, &format!("{form}-signature.txt"));
        assert!(
            verify_v4a(&public, sts.as_bytes(), signature.trim()),
            "{name}: the suite's {form} signature verifies with the derived key"
        );
        let mut changed = sts.clone().into_bytes();
        let last = changed.len() - 1;
        changed[last] ^= 1;
        assert!(!verify_v4a(&public, &changed, signature.trim()), "{name}: {form}: changed string to sign");
        let ours = key.sign(sts.as_bytes());
        assert!(verify_v4a(&public, sts.as_bytes(), &ours), "{name}: our {form} signature verifies");
    }
}

macro_rules! vectors {
    ($($test:ident => $case:literal $(, $single_encoded:literal)?;)*) => {$(
        #[test]
        fn $test() {
            run($case);
        }
    )*};
}

shared_cases!(vectors);

/// Every case directory has a test above: a new vendored case cannot be silently skipped.
#[test]
fn every_vendored_case_is_covered() {
    let listed: Vec<&str> = include_str!("support/suite_cases.rs")
        .lines()
        .filter_map(|l| l.split_once("=> \"").and_then(|(_, r)| r.split('"').next()))
        .collect();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/v4a");
    let mut count = 0;
    for entry in fs::read_dir(dir).expect("data dir") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        count += 1;
        assert!(listed.contains(&name.as_str()), "case {name} has no test");
    }
    assert_eq!(count, 38, "the v4a suite has 38 cases");
}
