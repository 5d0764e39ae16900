//! The floor both the criterion benchmark and `examples/sign_loop.rs` compare signing with.

use std::hint::black_box;

use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The work no SigV4 signer can skip: hash the body, hash a canonical request of the real size,
/// one HMAC with an already derived key.
pub(crate) fn floor(body: &[u8], creq: &[u8], sts_prefix: &[u8], key: &[u8; 32]) -> [u8; 32] {
    // The body hash goes into the canonical request in a real signer; here it only must not be
    // optimised away.
    black_box(Sha256::digest(body));
    let creq_hash = Sha256::digest(creq);
    let mut hex = [0u8; 64];
    for (i, b) in creq_hash.iter().enumerate() {
        hex[2 * i] = b"0123456789abcdef"[usize::from(b >> 4)];
        hex[2 * i + 1] = b"0123456789abcdef"[usize::from(b & 15)];
    }
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(sts_prefix);
    mac.update(&hex);
    mac.finalize().into_bytes().into()
}
