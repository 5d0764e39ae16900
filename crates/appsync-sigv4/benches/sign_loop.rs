//! A fixed signing workload for measuring on a busy machine, where criterion's wall-clock
//! figures swing too much to decide between two versions of the code.
//!
//! - `sign_loop [N]` signs the benchmark's 188-byte AppSync POST N times (default 10 000) with a
//!   warm key cache: run it under `valgrind --tool=callgrind` with N = 1 and N = 10 001, and the
//!   difference of the two instruction totals divided by 10 000 is the cost of one signature.
//! - `sign_loop N alternate` signs with two credentials in turn: the bad case of the memo of
//!   the canonical request, which then serves one signature in four.
//! - `sign_loop N apply` also applies each signature to a fresh copy of the request (compare two
//!   versions of the code with it; building and dropping the copy is counted too).
//! - `SIGN_LOOP_APPLY_BATCH=2000 sign_loop --ratio` also times signing and applying to fresh
//!   requests built before each timed batch, as criterion's `iter_batched_ref` does (the requests
//!   of a batch stay alive together, so what a signed request keeps alive shows).
//! - `sign_loop --ratio` times signing and the floor (benches/sign.rs) in alternating batches and
//!   prints the fastest batch of each: other processes only ever make a batch slower, so the
//!   minimum is the least disturbed figure.
//! - `sign_loop --cold` times single signatures and single floors, each after walking a buffer
//!   larger than L2 (4 MiB; `SIGN_LOOP_EVICT_KIB`, `SIGN_LOOP_ROUNDS`), as a client meets its
//!   signer between network round trips: with cold caches what counts is how many distinct lines
//!   of code and data a signature touches, not how many instructions it runs. Under
//!   `valgrind --tool=cachegrind --LL=524288,8,64` with `SIGN_LOOP_ROUNDS=200` it shows which
//!   functions those lines belong to.
//! - `sign_loop --probe` times, in alternating batches, two workloads that do not involve the
//!   signer: SHA-256 (SHA-NI) and plain integer work (a byte scan with a copy), and prints each
//!   one's median over its fastest batch. On a quiet core both are near 1.0; on this KVM guest the
//!   integer work alone often runs 1.5x slower for seconds at a time while SHA-NI does not move,
//!   which is what makes the signer's ratio to the (all SHA-256) floor swing.
//!
//! A `harness = false` bench target: `cargo bench` builds it with the bench profile (optimised,
//! with line tables) and passes the arguments after `--` (and a `--bench` of its own, ignored).
//!
//! ```sh
//! cargo bench -p appsync-sigv4 --bench sign_loop -- --ratio
//! # under valgrind: build it, then run the executable cargo names
//! bin=$(cargo bench -p appsync-sigv4 --bench sign_loop --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))/\1/p')
//! valgrind --tool=callgrind "$bin" 10001
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant, UNIX_EPOCH};

use appsync_sigv4::{Credentials, SignableBody, SignableRequest, SigningParams, sign};

#[path = "support/floor.rs"]
mod support_floor;
use support_floor::floor;

const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// The arguments after the program name, without the `--bench` that `cargo bench` adds.
fn args() -> impl Iterator<Item = String> {
    std::env::args().skip(1).filter(|a| a != "--bench")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arg = args().next();
    let mut body =
        br#"{"query":"query ListPosts { listPosts { items { id title author } } }","variables":{}}"#.to_vec();
    // 188 bytes like the benchmark's body (SHA-256 costs the same whatever the bytes are).
    while body.len() < 188 {
        body.insert(body.len() - 1, b' ');
    }
    let creds = Credentials::new("ASIAEXAMPLEEXAMPLE12", SECRET, Some(TOKEN.into()), None);
    let req =
        http::Request::post("https://example123456789012345678.appsync-api.us-east-1.amazonaws.com/graphql")
            .header("content-type", "application/json")
            .body(body)?;
    let time = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    let params = SigningParams::new(&creds, "us-east-1", "appsync", time);
    let sign_once = || {
        let signable = SignableRequest::from_http(black_box(&req), SignableBody::Bytes(req.body()));
        sign(&signable, &params)
    };

    if arg.as_deref() == Some("--cold") {
        let out = sign_once()?;
        let creq = out.canonical_request().as_bytes().to_vec();
        let sts = out.string_to_sign().as_str().as_bytes().to_vec();
        let key = *appsync_sigv4::derive_signing_key(SECRET, "20261108", "us-east-1", "appsync");
        cold(&mut || drop(black_box(sign_once())), &mut || {
            black_box(floor(black_box(req.body()), black_box(&creq), &sts[..sts.len() - 64], &key));
        });
        return Ok(());
    }
    if arg.as_deref() == Some("--probe") {
        probe();
        return Ok(());
    }
    if arg.as_deref() == Some("--ratio") {
        let out = sign_once()?;
        let creq = out.canonical_request().as_bytes().to_vec();
        let sts = out.string_to_sign().as_str().as_bytes();
        let sts_prefix = sts[..sts.len() - 64].to_vec();
        let key = *appsync_sigv4::derive_signing_key(SECRET, "20261108", "us-east-1", "appsync");
        // Signing succeeded just above; the timed calls only must not be optimised away.
        let (mut floors, mut signs) = alternate_batches(
            || {
                black_box(floor(black_box(req.body()), black_box(&creq), &sts_prefix, &key));
            },
            || {
                black_box(sign_once().is_ok());
            },
        );
        if std::env::var_os("SIGN_LOOP_SERIES").is_some() {
            for (i, (s, f)) in signs.iter().zip(&floors).enumerate().step_by(100) {
                println!("batch {i}: floor {f:?} sign {s:?}");
            }
        }
        if let Some(size) = std::env::var("SIGN_LOOP_APPLY_BATCH").ok().and_then(|v| v.parse::<usize>().ok())
        {
            // Sign and apply to fresh requests as criterion's iter_batched_ref does: the requests
            // are built before and dropped after each timed batch.
            let mut best = Duration::MAX;
            for _ in 0..1_000 {
                let mut fresh: Vec<_> = (0..size)
                    .map(|_| {
                        http::Request::post(req.uri().clone())
                            .header("content-type", "application/json")
                            .body(req.body().clone())
                    })
                    .collect::<Result<_, _>>()?;
                let start = Instant::now();
                for r in &mut fresh {
                    let signable =
                        SignableRequest::from_http(black_box(&*r), SignableBody::Bytes(req.body()));
                    sign(&signable, &params)?.apply_to_request(r)?;
                }
                best = best.min(start.elapsed() / u32::try_from(size)?);
                drop(fresh);
            }
            println!("sign + apply, batches of {size}: {best:?}");
        }
        signs.sort_unstable();
        floors.sort_unstable();
        let (best_sign, best_floor) = (signs[0], floors[0]);
        let (median_sign, median_floor) = (signs[BATCHES / 2], floors[BATCHES / 2]);
        let ratio = best_sign.as_secs_f64() / best_floor.as_secs_f64();
        let median_ratio = median_sign.as_secs_f64() / median_floor.as_secs_f64();
        println!("floor {best_floor:?}, sign {best_sign:?}, sign / floor {ratio:.3}");
        // The medians include whatever the machine was doing; printed to compare with criterion's.
        if std::env::var_os("SIGN_LOOP_PERCENTILES").is_some() {
            for q in [0, 1, 5, 10, 25, 40, 50, 60, 75, 90] {
                println!("p{q}: floor {:?} sign {:?}", floors[BATCHES * q / 100], signs[BATCHES * q / 100]);
            }
        }
        println!("medians: floor {median_floor:?}, sign {median_sign:?}, sign / floor {median_ratio:.3}");
        return Ok(());
    }

    let n: u64 = match arg {
        Some(arg) => arg.parse().map_err(|_| format!("expected a count or --ratio, got {arg:?}"))?,
        None => 10_000,
    };
    if args().nth(1).as_deref() == Some("alternate") {
        // Two credentials in turn: the memo's bad case (most signatures canonicalise, compare
        // and sometimes remember).
        let other = Credentials::new("ASIAEXAMPLEEXAMPLE13", SECRET, Some(TOKEN.into()), None);
        let other_params = SigningParams::new(&other, "us-east-1", "appsync", time);
        for i in 0..n {
            let signable = SignableRequest::from_http(black_box(&req), SignableBody::Bytes(req.body()));
            black_box(sign(&signable, if i % 2 == 0 { &params } else { &other_params })?);
        }
        return Ok(());
    }
    if args().nth(1).as_deref() == Some("apply") {
        // Sign and apply to a copy of the request, as a client does per request (the copy and its
        // drop are counted too: compare runs of this mode with each other, not with signing).
        for _ in 0..n {
            let mut copy =
                http::Request::post(req.uri().clone()).header("content-type", "application/json").body(())?;
            sign_once()?.apply_to_request(&mut copy)?;
            black_box(copy);
        }
        return Ok(());
    }
    let mut last = String::new();
    for _ in 0..n {
        let out = sign_once()?;
        if last.is_empty() {
            last = out.signature().to_owned();
        }
        black_box(out);
    }
    println!("{last}");
    Ok(())
}

/// How many batches `alternate_batches` times, and how many calls each.
const BATCHES: usize = 5_000;
const BATCH: u32 = 200;

/// Times `first` and `second` in alternating batches of [`BATCH`] calls, [`BATCHES`] of each:
/// the time per call of every batch, in order.
fn alternate_batches(mut first: impl FnMut(), mut second: impl FnMut()) -> (Vec<Duration>, Vec<Duration>) {
    fn batch(f: &mut impl FnMut()) -> Duration {
        let start = Instant::now();
        for _ in 0..BATCH {
            f();
        }
        start.elapsed() / BATCH
    }
    let (mut a, mut b) = (Vec::with_capacity(BATCHES), Vec::with_capacity(BATCHES));
    for _ in 0..BATCHES {
        a.push(batch(&mut first));
        b.push(batch(&mut second));
    }
    (a, b)
}

/// See `--cold` in the module documentation.
fn cold(sign: &mut dyn FnMut(), floor: &mut dyn FnMut()) {
    // Larger than L2: walking it leaves none of the signer's code or data in L1 or L2.
    let mut evict =
        vec![
            0u8;
            std::env::var("SIGN_LOOP_EVICT_KIB").ok().and_then(|v| v.parse().ok()).unwrap_or(4096) << 10
        ];
    let mut time_cold = |f: &mut dyn FnMut(), round: usize| {
        for line in evict.chunks_mut(64) {
            line[0] = line[0].wrapping_add(round as u8);
        }
        black_box(&evict);
        let start = Instant::now();
        f();
        start.elapsed()
    };
    let rounds: usize = std::env::var("SIGN_LOOP_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3_000);
    let (mut signs, mut floors) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for round in 0..rounds {
        signs.push(time_cold(sign, round));
        floors.push(time_cold(floor, round));
    }
    signs.sort_unstable();
    floors.sort_unstable();
    let (s, f) = (signs[rounds / 2], floors[rounds / 2]);
    println!(
        "cold caches, medians: floor {f:?}, sign {s:?}, sign / floor {:.3}",
        s.as_secs_f64() / f.as_secs_f64()
    );
}

/// See `--probe` in the module documentation.
fn probe() {
    let block = vec![7u8; 600];
    let text: Vec<u8> = b"query ListPosts { listPosts(author: %22a b%22) { items { id } } }".repeat(14);
    // A byte scan with a branch and a copy per byte, as canonicalisation does.
    let integer_work = |text: &[u8]| {
        let mut out = Vec::with_capacity(text.len());
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in text {
            out.push(if b == b' ' || b == b'%' { b'+' } else { b });
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        black_box(out);
        h
    };
    let (mut sha, mut int) = alternate_batches(
        || {
            black_box(<sha2::Sha256 as sha2::Digest>::digest(black_box(&block)));
        },
        || {
            black_box(integer_work(black_box(&text)));
        },
    );
    sha.sort_unstable();
    int.sort_unstable();
    let spread = |v: &[Duration]| v[BATCHES / 2].as_secs_f64() / v[0].as_secs_f64();
    println!(
        "probe: SHA-256 median/fastest {:.2}, integer work median/fastest {:.2}",
        spread(&sha),
        spread(&int)
    );
}
