//! AWS Signature Version 4, exact and fast: signing (headers or presigned URLs) and verification.
//!
//! No I/O, no async runtime, no clock: the signing time is an argument. Signing returns what to
//! add to the request ([`SigningOutput`]) rather than changing it, and keeps the two intermediate
//! stages ([`CanonicalRequest`], [`StringToSign`]) for debugging.
//!
//! ```
//! use std::time::SystemTime;
//! use appsync_sigv4::{sign, Credentials, SignableBody, SignableRequest, SigningParams};
//!
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", Some("session-token".into()), None);
//! let body = br#"{"query":"query ListPosts { listPosts { items { id title } } }","variables":{}}"#;
//! let mut request = http::Request::post("https://abc.appsync-api.us-east-1.amazonaws.com/graphql")
//!     .header("content-type", "application/json")
//!     .body(body.to_vec())?;
//! let signable = SignableRequest::from_http(&request, SignableBody::Bytes(body));
//! let output = sign(&signable, &SigningParams::new(&creds, "us-east-1", "appsync", SystemTime::now()))?;
//! output.apply_to_request(&mut request)?;
//! assert!(request.headers().contains_key("authorization"));
//! assert!(request.headers().contains_key("x-amz-security-token"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Canonicalisation follows AWS: path normalisation and double encoding by default (both can be
//! turned off for S3 with [`SigningSettings::s3`]); query pairs decoded, re-encoded and sorted
//! by encoded key then value; header names lower-cased, values trimmed with inner runs of spaces
//! collapsed, repeated headers joined with commas; `host` from the URI when there is no header,
//! without the scheme's default port; [`DEFAULT_EXCLUDED_HEADERS`] never signed.
//!
//! Verification is [`Verifier`]: it recomputes a request's signature from a [`CredentialStore`]
//! and checks the scope, the signed headers, the session token, the payload hash and the time.
//!
//! # Features
//!
//! - `sigv4a` (off by default): `sign_v4a` makes SigV4a signatures (`AWS4-ECDSA-P256-SHA256`,
//!   for multi-region endpoints) with the same canonicalisation, and `SigV4aKey` / `verify_v4a`
//!   derive the ECDSA key and check a signature. AWS's v4a suite runs against both forms. It
//!   adds the `p256` dependency.
//!
//! Nothing else is optional: the crate always depends on `http` (its requests can be signed and
//! applied to directly) and on RustCrypto's `sha2`, `hmac`, `subtle` and `zeroize`.

/// The README, this crate's page on crates.io: its examples are compiled (and run, unless marked
/// `no_run`) as doc tests, so the page never shows code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod canonical;
mod credentials;
mod date;
mod encoding;
mod error;
mod header_list;
mod memo;
mod output;
mod per_thread;
mod request;
mod settings;
mod sha;
mod sign;
mod string_to_sign;
#[cfg(feature = "sigv4a")]
mod v4a;
mod verify;

pub use canonical::CanonicalRequest;
pub use credentials::{Credentials, derive_signing_key};
pub use date::AmzDate;
pub use error::{MalformedPart, ScopeField, SigningError, SigningErrorKind, VerifyError, VerifyErrorKind};
pub use output::{SigningOutput, SigningPart};
pub use request::{SignableBody, SignableRequest};
pub use settings::{
    DEFAULT_EXCLUDED_HEADERS, SessionTokenMode, SignatureLocation, SigningParams, SigningSettings,
};
pub use sign::{UNSIGNED_PAYLOAD, sign};
pub use string_to_sign::{ALGORITHM, StringToSign};
#[cfg(feature = "sigv4a")]
pub use v4a::{ALGORITHM_V4A, SigV4aKey, sign_v4a, verify_v4a};
pub use verify::{CredentialStore, VerifiedRequest, Verifier};
