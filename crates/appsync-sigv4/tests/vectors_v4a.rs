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
    ($($test:ident => $case:literal;)*) => {$(
        #[test]
        fn $test() {
            run($case);
        }
    )*};
}

vectors! {
    get_header_key_duplicate => "get-header-key-duplicate";
    get_header_value_multiline => "get-header-value-multiline";
    get_header_value_order => "get-header-value-order";
    get_header_value_trim => "get-header-value-trim";
    get_relative_normalized => "get-relative-normalized";
    get_relative_relative_normalized => "get-relative-relative-normalized";
    get_relative_relative_unnormalized => "get-relative-relative-unnormalized";
    get_relative_unnormalized => "get-relative-unnormalized";
    get_slash_dot_slash_normalized => "get-slash-dot-slash-normalized";
    get_slash_dot_slash_unnormalized => "get-slash-dot-slash-unnormalized";
    get_slash_normalized => "get-slash-normalized";
    get_slash_pointless_dot_normalized => "get-slash-pointless-dot-normalized";
    get_slash_pointless_dot_unnormalized => "get-slash-pointless-dot-unnormalized";
    get_slash_unnormalized => "get-slash-unnormalized";
    get_slashes_normalized => "get-slashes-normalized";
    get_slashes_unnormalized => "get-slashes-unnormalized";
    get_space_normalized => "get-space-normalized";
    get_space_unnormalized => "get-space-unnormalized";
    get_unreserved => "get-unreserved";
    get_utf8 => "get-utf8";
    get_vanilla => "get-vanilla";
    get_vanilla_empty_query_key => "get-vanilla-empty-query-key";
    get_vanilla_query => "get-vanilla-query";
    get_vanilla_query_order_encoded => "get-vanilla-query-order-encoded";
    get_vanilla_query_order_key_case => "get-vanilla-query-order-key-case";
    get_vanilla_query_unreserved => "get-vanilla-query-unreserved";
    get_vanilla_utf8_query => "get-vanilla-utf8-query";
    get_vanilla_with_session_token => "get-vanilla-with-session-token";
    post_header_key_case => "post-header-key-case";
    post_header_key_sort => "post-header-key-sort";
    post_header_value_case => "post-header-value-case";
    post_sts_header_after => "post-sts-header-after";
    post_sts_header_before => "post-sts-header-before";
    post_vanilla => "post-vanilla";
    post_vanilla_empty_query_value => "post-vanilla-empty-query-value";
    post_vanilla_query => "post-vanilla-query";
    post_x_www_form_urlencoded => "post-x-www-form-urlencoded";
    post_x_www_form_urlencoded_parameters => "post-x-www-form-urlencoded-parameters";
}
