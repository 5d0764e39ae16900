//! How many heap allocations signing an AppSync request costs, counted by a global allocator
//! wrapper. Signing is on every request's path; this keeps the count from creeping up.

#![allow(clippy::expect_used, reason = "a failed expect is the test failing, with its message")]
// A global allocator can only be written with `unsafe`; this test binary is the one place in the
// workspace that needs it, and it only forwards to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, UNIX_EPOCH};

use appsync_sigv4::{Credentials, SignableBody, SignableRequest, SigningParams, Verifier, sign};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; only a
// thread-local counter is bumped, so tests running on other threads do not disturb the count.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (out, ALLOCATIONS.with(Cell::get) - before)
}

const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI";

#[test]
fn signing_an_appsync_post_allocates_once() {
    let creds = Credentials::new("ASIAEXAMPLE", "secret", Some(TOKEN.into()), None);
    let body = br#"{"query":"query ListPosts { listPosts { items { id title author } } }","variables":{}}"#;
    let req = http::Request::post("https://abc.appsync-api.us-east-1.amazonaws.com/graphql")
        .header("content-type", "application/json")
        .body(body.to_vec())
        .expect("valid request");
    let time = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    let params = SigningParams::new(&creds, "us-east-1", "appsync", time);
    // The first signature derives and caches the key; measure the steady state.
    sign(&SignableRequest::from_http(&req, SignableBody::Bytes(body)), &params).expect("signs");

    let (out, count) = allocations_during(|| {
        let signable = SignableRequest::from_http(&req, SignableBody::Bytes(body));
        sign(&signable, &params).expect("signs")
    });
    // One buffer shared by the canonical request, the string to sign and the Authorization value.
    // The request view's header list and the headers to add are inline, the timestamp and the
    // session token are shared, not copied, and the canonical request is built in a reused
    // per-thread buffer.
    assert_eq!(count, 1, "allocations per signature");
    assert_eq!(out.headers().len(), 3);
}

#[test]
fn applying_to_an_http_request_allocates_once() {
    let creds = Credentials::new("ASIAEXAMPLE", "secret", Some(TOKEN.into()), None);
    let body = br#"{"query":"query ListPosts { listPosts { items { id title author } } }","variables":{}}"#;
    let mut req = http::Request::post("https://abc.appsync-api.us-east-1.amazonaws.com/graphql")
        .header("content-type", "application/json")
        .body(body.to_vec())
        .expect("valid request");
    let time = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    let out = sign(
        &SignableRequest::from_http(&req, SignableBody::Bytes(body)),
        &SigningParams::new(&creds, "us-east-1", "appsync", time),
    )
    .expect("signs");
    // The first request of a second makes the X-Amz-Date value the next ones share.
    let mut first = req.clone();
    out.apply_to_request(&mut first).expect("applies");
    let ((), count) = allocations_during(|| out.apply_to_request(&mut req).expect("applies"));
    // The header map has room for the three headers already; the Authorization value is copied
    // once, and the date and session token values are shared.
    assert_eq!(count, 1, "allocations to apply a signature");
    assert_eq!(req.headers().len(), 4);
}

#[test]
fn verifying_allocates_a_bounded_number_of_times() {
    let creds = Credentials::new("AKID", "secret", None, None);
    let time = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    let body = b"{}";
    let signed = sign(
        &SignableRequest::new("POST", "https://h.example/graphql", [], SignableBody::Bytes(body))
            .expect("request"),
        &SigningParams::new(&creds, "us-east-1", "appsync", time),
    )
    .expect("signs");
    let headers: Vec<(&str, &[u8])> = signed
        .headers()
        .iter()
        .map(|p| (p.name(), p.value().as_bytes()))
        .chain([("host", &b"h.example"[..])])
        .collect();
    let verifier =
        Verifier::new(std::collections::HashMap::from([("AKID".to_owned(), creds)]), "us-east-1", "appsync");
    let received =
        SignableRequest::new("POST", "/graphql", headers, SignableBody::Bytes(body)).expect("request");
    verifier.verify(&received, time).expect("verifies");
    let (result, count) = allocations_during(|| verifier.verify(&received, time));
    result.expect("verifies");
    // The signed-header name list, the headers to sign, the lower-cased claimed signature and the
    // verified request's two owned fields: 5 today (the canonical request and string to sign are
    // built in a reused per-thread buffer).
    assert!(count <= 5, "verification allocated {count} times");
}
