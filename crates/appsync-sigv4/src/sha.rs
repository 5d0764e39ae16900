//! SHA-256 and HMAC-SHA256 straight on the compression function of `sha2`.
//!
//! Signing hashes whole buffers it already holds, and signs with a key whose HMAC pads are fixed
//! per day, region and service. Going through the block function directly skips the streaming
//! wrappers (block buffering, state copies, output arrays) that cost a noticeable share of a
//! signature next to the few blocks SHA-NI hashes, and lets the key cache hold just the two
//! 32-byte states that follow the padded key.

use sha2::block_api::compress256;
use zeroize::Zeroize;

/// The SHA-256 initial hash value (FIPS 180-4, 5.3.3).
const IV: [u32; 8] =
    [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19];

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    finish(IV, 0, data)
}

/// SHA-256 of `buf[start..]`, padded in place at the end of `buf` so that it is hashed in one
/// call over contiguous blocks, with no copy of its last bytes; `buf` is left as it was.
pub(crate) fn sha256_tail(buf: &mut Vec<u8>, start: usize) -> [u8; 32] {
    finish_in_place(IV, 0, buf, start)
}

/// [`finish`] for `buf[start..]`, padding at the end of `buf` (up to 72 bytes, removed again).
fn finish_in_place(mut state: [u32; 8], done: u64, buf: &mut Vec<u8>, start: usize) -> [u8; 32] {
    let end = buf.len();
    let len = end - start;
    let bits = (done + len as u64).wrapping_mul(8);
    buf.resize(start + (len + 9).div_ceil(64) * 64, 0);
    buf[end] = 0x80;
    let padded_end = buf.len();
    buf[padded_end - 8..].copy_from_slice(&bits.to_be_bytes());
    compress256(&mut state, buf[start..].as_chunks::<64>().0);
    buf.truncate(end);
    digest(state)
}

/// Hashes `data` into `state`, which has already absorbed `done` bytes (a multiple of 64), then
/// pads and returns the digest.
fn finish(mut state: [u32; 8], done: u64, data: &[u8]) -> [u8; 32] {
    let (blocks, tail) = data.as_chunks::<64>();
    if !blocks.is_empty() {
        compress256(&mut state, blocks);
    }
    // The padding: 0x80, zeros, then the message length in bits, in one or two last blocks.
    let mut last = [[0u8; 64]; 2];
    let flat = last.as_flattened_mut();
    flat[..tail.len()].copy_from_slice(tail);
    flat[tail.len()] = 0x80;
    let count = if tail.len() + 9 <= 64 { 1 } else { 2 };
    let bits = (done + data.len() as u64).wrapping_mul(8);
    flat[count * 64 - 8..count * 64].copy_from_slice(&bits.to_be_bytes());
    compress256(&mut state, &last[..count]);
    digest(state)
}

/// The digest bytes of a final state.
fn digest(state: [u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, word) in out.as_chunks_mut::<4>().0.iter_mut().zip(state) {
        *chunk = word.to_be_bytes();
    }
    out
}

/// An HMAC-SHA256 key reduced to the hash states after its inner and outer padded blocks, so
/// that each MAC starts from there. Wiped on drop: it signs as well as the key itself.
#[derive(Clone)]
pub(crate) struct HmacKey {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl HmacKey {
    /// The states for `key` (32 bytes here: a SigV4 signing key).
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        let mut pads = [[0x36u8; 64], [0x5cu8; 64]];
        for (i, &k) in key.iter().enumerate() {
            pads[0][i] ^= k;
            pads[1][i] ^= k;
        }
        let (mut inner, mut outer) = (IV, IV);
        compress256(&mut inner, &pads[..1]);
        compress256(&mut outer, &pads[1..]);
        pads.as_flattened_mut().zeroize();
        Self { inner, outer }
    }

    /// HMAC-SHA256 of `buf[start..]`, padded in place like [`sha256_tail`].
    pub(crate) fn sign_tail(&self, buf: &mut Vec<u8>, start: usize) -> [u8; 32] {
        let inner = finish_in_place(self.inner, 64, buf, start);
        finish(self.outer, 64, &inner)
    }

    /// HMAC-SHA256 of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 32] {
        let inner = finish(self.inner, 64, message);
        finish(self.outer, 64, &inner)
    }
}

impl Drop for HmacKey {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{KeyInit, Mac};
    use sha2::Digest;

    #[test]
    fn matches_sha2_at_every_length_around_the_block_edges() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..data.len() {
            let expected: [u8; 32] = sha2::Sha256::digest(&data[..len]).into();
            assert_eq!(sha256(&data[..len]), expected, "length {len}");
        }
    }

    #[test]
    fn in_place_padding_matches_and_leaves_the_buffer_as_it_was() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 11 + 5) as u8).collect();
        let key = HmacKey::new(&std::array::from_fn(|i| (i * 3) as u8));
        for start in [0, 7] {
            for len in 0..data.len() - start {
                let mut buf = data[..start + len].to_vec();
                assert_eq!(sha256_tail(&mut buf, start), sha256(&data[start..start + len]), "{start}+{len}");
                assert_eq!(buf, data[..start + len]);
                assert_eq!(
                    key.sign_tail(&mut buf, start),
                    key.sign(&data[start..start + len]),
                    "{start}+{len}"
                );
                assert_eq!(buf, data[..start + len]);
            }
        }
    }

    #[test]
    fn matches_the_hmac_crate() {
        let key: [u8; 32] = std::array::from_fn(|i| (i * 13 + 1) as u8);
        let hmac_key = HmacKey::new(&key);
        let data: Vec<u8> = (0..200u32).map(|i| (i * 5) as u8).collect();
        for len in [0, 1, 55, 56, 63, 64, 65, 119, 120, 136, 200] {
            let mut mac =
                <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key).expect("any key length");
            mac.update(&data[..len]);
            let expected: [u8; 32] = mac.finalize().into_bytes().into();
            assert_eq!(hmac_key.sign(&data[..len]), expected, "length {len}");
        }
    }

    #[test]
    fn known_answer() {
        // FIPS 180-2 example: SHA-256("abc").
        let hex: String = sha256(b"abc").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
