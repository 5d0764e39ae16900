//! SigV4a (`AWS4-ECDSA-P256-SHA256`): the asymmetric variant for requests that may be served in
//! any of several regions (multi-region access points, global endpoints).
//!
//! The signing key is an ECDSA P-256 key derived from the access key pair, so it is the same for
//! every date, region and service; the credential scope leaves the region out (the regions go
//! in the signed `x-amz-region-set` header or `X-Amz-Region-Set` parameter instead), and the
//! signature is a DER-encoded ECDSA signature over SHA-256 of the string to sign, hex-encoded.
//! ECDSA signatures here use deterministic nonces (RFC 6979), so one input signs the same way
//! every time, but AWS's own signatures for it differ: a SigV4a signature is checked by
//! verifying it with the public key, not by comparing it.

use std::fmt;

use hmac::{KeyInit, Mac};
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use crate::credentials::{Credentials, HmacSha256};
use crate::error::SigningError;
use crate::output::SigningOutput;
use crate::request::SignableRequest;
use crate::settings::SigningParams;
use crate::sign::{Scheme, sign_with};

/// The algorithm name of SigV4a, in `Authorization` and `X-Amz-Algorithm`.
pub const ALGORITHM_V4A: &str = crate::string_to_sign::ALGORITHM_V4A;

/// Signs `request` with SigV4a: like [`sign`](crate::sign), with `params.region()` read as the
/// region set the signature is good for (`us-east-1`, `us-east-1,us-west-2`, `*`), which is
/// signed as `X-Amz-Region-Set` (a header, or a parameter when presigning) instead of being part
/// of the credential scope. The ECDSA key is derived from the credentials on first use and kept
/// with them.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use appsync_sigv4::{sign_v4a, verify_v4a, Credentials, SignableBody, SignableRequest, SigningParams};
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
/// let time = UNIX_EPOCH + Duration::from_secs(1_440_938_160); // 2015-08-30T12:36:00Z
/// let req = SignableRequest::new("GET", "https://example.amazonaws.com/", [], SignableBody::Bytes(b""))?;
/// let out = sign_v4a(&req, &SigningParams::new(&creds, "us-east-1", "service", time))?;
/// assert_eq!(out.string_to_sign().scope(), "20150830/service/aws4_request");
/// let public = appsync_sigv4::SigV4aKey::derive(&creds).public_key();
/// assert!(verify_v4a(&public, out.string_to_sign().as_str().as_bytes(), out.signature()));
/// # Ok::<(), appsync_sigv4::SigningError>(())
/// ```
///
/// # Errors
/// As [`sign`](crate::sign), with a region set that is not lower-case regions, digits, `-`, `*`
/// and commas refused as an invalid scope.
pub fn sign_v4a(
    request: &SignableRequest<'_>,
    params: &SigningParams<'_>,
) -> Result<SigningOutput, SigningError> {
    let key = params.credentials.v4a_key();
    sign_with(request, params, Scheme::V4a { sign: &|sts| key.sign(sts) })
}

/// n - 2, big-endian, where n is the order of P-256: a derived value is usable when it is at most
/// this, so that adding one gives a private key in 1..n.
const ORDER_MINUS_2: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xbc,
    0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x4f,
];

/// The ECDSA P-256 key SigV4a derives from an access key pair, and signs with.
///
/// Deriving it costs a few HMACs and a scalar multiplication (for the public key), so keep it
/// for as long as the credentials: it does not depend on the date, region or service.
///
/// ```
/// use appsync_sigv4::{Credentials, SigV4aKey};
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
/// let key = SigV4aKey::derive(&creds);
/// let signature = key.sign(b"a string to sign");
/// assert!(appsync_sigv4::verify_v4a(&key.public_key(), b"a string to sign", &signature));
/// assert!(!format!("{key:?}").contains(&signature));
/// ```
#[derive(Clone)]
pub struct SigV4aKey {
    key: SigningKey,
}

impl SigV4aKey {
    /// Derives the key of `credentials` as AWS does: HMAC-SHA256 keyed with `"AWS4A"` + the
    /// secret, over a NIST SP 800-108 counter-mode input naming the algorithm and the access
    /// key id with a one-byte counter; the first result below the curve order minus one, plus
    /// one, is the private key.
    pub fn derive(credentials: &Credentials) -> Self {
        let mut input_key = Zeroizing::new(Vec::with_capacity(5 + credentials.secret_access_key().len()));
        input_key.extend_from_slice(b"AWS4A");
        input_key.extend_from_slice(credentials.secret_access_key().as_bytes());
        let access_key_id = credentials.access_key_id().as_bytes();
        let mut counter = 1u8;
        loop {
            // HMAC accepts keys of any length.
            let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&input_key)
                .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
            mac.update(&1u32.to_be_bytes());
            mac.update(ALGORITHM_V4A.as_bytes());
            mac.update(&[0]);
            mac.update(access_key_id);
            mac.update(&[counter]);
            mac.update(&256u32.to_be_bytes());
            let k0 = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
            if *k0 <= ORDER_MINUS_2 {
                let mut d = Zeroizing::new(*k0);
                increment(&mut d);
                // 1 <= d <= n - 1, so it is a valid private key.
                if let Ok(key) = SigningKey::from_bytes(&(*d).into()) {
                    return Self { key };
                }
            }
            // The chance of getting here even once is about 2^-32; AWS gives up after 254.
            counter = counter.wrapping_add(1).max(1);
        }
    }

    /// The public key, SEC1-encoded without compression (`04 || X || Y`, 65 bytes).
    pub fn public_key(&self) -> Vec<u8> {
        self.key.verifying_key().to_sec1_point(false).as_bytes().to_vec()
    }

    /// Signs `string_to_sign`: ECDSA over its SHA-256, DER-encoded, as lower-case hex.
    pub fn sign(&self, string_to_sign: &[u8]) -> String {
        let signature: Signature = self.key.sign(string_to_sign);
        let der = signature.to_der();
        let mut hex = String::with_capacity(der.as_bytes().len() * 2);
        for byte in der.as_bytes() {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        hex
    }
}

impl fmt::Debug for SigV4aKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4aKey").field("private_key", &"<redacted>").finish_non_exhaustive()
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether `signature_hex` (a DER-encoded ECDSA signature, hex) is a signature of
/// `string_to_sign` by the SEC1-encoded P-256 `public_key`. Anything malformed is `false`.
pub fn verify_v4a(public_key: &[u8], string_to_sign: &[u8], signature_hex: &str) -> bool {
    let Ok(key) = VerifyingKey::from_sec1_bytes(public_key) else { return false };
    let Some(der) = unhex(signature_hex) else { return false };
    let Ok(signature) = Signature::from_der(&der) else { return false };
    key.verify(string_to_sign, &signature).is_ok()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes.chunks_exact(2).map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?)).collect()
}

/// Adds one to a big-endian number that is below 2^256 - 1.
fn increment(number: &mut [u8; 32]) {
    for byte in number.iter_mut().rev() {
        let (sum, carry) = byte.overflowing_add(1);
        *byte = sum;
        if !carry {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increment_carries() {
        let mut n = [0u8; 32];
        n[31] = 0xff;
        n[30] = 0xff;
        increment(&mut n);
        assert_eq!(&n[29..], &[1, 0, 0]);
    }

    #[test]
    fn region_sets_are_signed_and_bad_ones_refused() {
        use std::time::{Duration, UNIX_EPOCH};

        use crate::{SignableBody, SigningErrorKind};
        let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None);
        let time = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let req = SignableRequest::new("GET", "https://example.amazonaws.com/", [], SignableBody::Bytes(b""))
            .unwrap_or_else(|e| panic!("{e}"));
        let out = sign_v4a(&req, &SigningParams::new(&creds, "us-east-1,us-west-2", "s3", time))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(out.canonical_request().to_string().contains("\nx-amz-region-set:us-east-1,us-west-2\n"));
        assert!(
            out.headers()
                .iter()
                .any(|p| p.name() == "X-Amz-Region-Set" && p.value() == "us-east-1,us-west-2")
        );
        assert!(verify_v4a(
            &SigV4aKey::derive(&creds).public_key(),
            out.string_to_sign().as_str().as_bytes(),
            out.signature()
        ));
        for bad in ["", "US-EAST-1", "us-east-1,", "us east 1", "us-east-1/x"] {
            let err = sign_v4a(&req, &SigningParams::new(&creds, bad, "s3", time));
            assert!(
                matches!(
                    err.as_ref().map_err(|e| e.kind()),
                    Err(SigningErrorKind::InvalidScope { field: "region set" })
                ),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn malformed_signatures_and_keys_do_not_verify() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None);
        let key = SigV4aKey::derive(&creds);
        let good = key.sign(b"sts");
        assert!(verify_v4a(&key.public_key(), b"sts", &good));
        assert!(!verify_v4a(&key.public_key(), b"other", &good));
        assert!(!verify_v4a(&key.public_key(), b"sts", &good[1..]));
        assert!(!verify_v4a(&key.public_key(), b"sts", "zz"));
        assert!(!verify_v4a(b"not a key", b"sts", &good));
        let other = SigV4aKey::derive(&Credentials::new("AKIDOTHER", "secret", None, None));
        assert!(!verify_v4a(&other.public_key(), b"sts", &good));
    }
}
