//! JWT verification for the Cognito user pools and OIDC modes, against a JWKS, and the demo
//! signing key behind `appsync token`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};

use crate::error::{Error, Kind};

/// Issuer (`iss`) of tokens minted with the demo key.
pub const DEMO_JWT_ISSUER: &str = "https://appsync-local.invalid/demo";
/// Key id of the demo key in [`demo_jwks_json`].
const DEMO_KID: &str = "appsync-local-demo-es256";
/// The documented demo signing key (P-256). It signs tokens for local testing only; anyone
/// can read it here, so nothing outside an emulator may trust it.
const DEMO_PRIVATE_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgE2awGlFdVtaQWbpW
ae747jxCo7ObDjqLGS5Z7NNjydahRANCAATB9ReJhLkRL7d400ok1+BAkrIbBLep
o3aSv5fD/c1x2iylIMtcZjF3V2dEa8sej1mTd8TQwbgyPcesKKTw5rb4
-----END PRIVATE KEY-----
";
const DEMO_X: &str = "wfUXiYS5ES-3eNNKJNfgQJKyGwS3qaN2kr-Xw_3Ncdo";
const DEMO_Y: &str = "LKUgy1xmMXdXZ0Rryx6PWZN3xNDBuDI9x6wopPDmtvg";

/// The public JWKS of the demo key, as `appsync token --jwks-out` writes it.
#[must_use]
pub fn demo_jwks_json() -> String {
    json!({"keys": [{
        "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig",
        "kid": DEMO_KID, "x": DEMO_X, "y": DEMO_Y
    }]})
    .to_string()
}

/// Claims for a token minted with the demo key.
#[derive(Debug, Clone)]
#[must_use]
pub struct DemoToken {
    sub: String,
    groups: Vec<String>,
    expires_in: Duration,
    audience: Option<String>,
    issued_at: SystemTime,
}

impl DemoToken {
    /// A token for subject `sub`, valid for an hour from now.
    pub fn new(sub: impl Into<String>) -> Self {
        Self {
            sub: sub.into(),
            groups: Vec::new(),
            expires_in: Duration::from_secs(3600),
            audience: None,
            issued_at: SystemTime::now(),
        }
    }

    /// Sets `cognito:groups`.
    pub fn groups(mut self, groups: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.groups = groups.into_iter().map(Into::into).collect();
        self
    }

    /// Lifetime from `issued_at` (default one hour).
    pub fn expires_in(mut self, d: Duration) -> Self {
        self.expires_in = d;
        self
    }

    /// Sets `aud` (and `client_id`, as Cognito access tokens carry it).
    pub fn audience(mut self, aud: impl Into<String>) -> Self {
        self.audience = Some(aud.into());
        self
    }

    /// Sets the issue time (default: when [`DemoToken::new`] was called).
    pub fn issued_at(mut self, t: SystemTime) -> Self {
        self.issued_at = t;
        self
    }

    /// Signs the token (ES256) with the demo key.
    pub fn sign(&self) -> Result<String, Error> {
        // A JWT's times are seconds since 1970: an earlier issue time has no encoding.
        let iat = self
            .issued_at
            .duration_since(UNIX_EPOCH)
            .map_err(|e| {
                Error::config("issued_at", "a demo token cannot be issued before 1970").with_source(e)
            })?
            .as_secs();
        let exp = iat.saturating_add(self.expires_in.as_secs());
        let mut claims = Map::new();
        claims.insert("sub".into(), Value::from(self.sub.clone()));
        claims.insert("iss".into(), Value::from(DEMO_JWT_ISSUER));
        claims.insert("iat".into(), Value::from(iat));
        claims.insert("exp".into(), Value::from(exp));
        claims.insert("token_use".into(), Value::from("id"));
        claims.insert("cognito:username".into(), Value::from(self.sub.clone()));
        if !self.groups.is_empty() {
            claims.insert("cognito:groups".into(), json!(self.groups));
        }
        if let Some(aud) = &self.audience {
            claims.insert("aud".into(), Value::from(aud.clone()));
            claims.insert("client_id".into(), Value::from(aud.clone()));
        }
        let key = EncodingKey::from_ec_pem(DEMO_PRIVATE_KEY_PEM.as_bytes())
            .map_err(|e| Error::new(Kind::Config, "the demo signing key is unusable").with_source(e))?;
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(DEMO_KID.to_owned());
        jsonwebtoken::encode(&header, &claims, &key)
            .map_err(|e| Error::new(Kind::Config, "could not sign the demo token").with_source(e))
    }
}

/// How to verify JWTs for one mode: the signing keys, and optionally the issuer and audience
/// (`aud`, or `client_id` for Cognito access tokens) to require.
#[derive(Clone)]
#[must_use]
pub struct JwtConfig {
    jwks: JwkSet,
    issuer: Option<String>,
    audience: Option<String>,
}

impl std::fmt::Debug for JwtConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtConfig")
            .field("keys", &self.jwks.keys.len())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

impl JwtConfig {
    /// Keys from a JWKS document (`{"keys": [...]}`); RS256 and ES256 keys are used.
    pub fn from_jwks_json(jwks: &str) -> Result<Self, Error> {
        let jwks: JwkSet = serde_json::from_str(jwks).map_err(|e| {
            Error::new(Kind::Config, "the JWKS is not a valid JSON Web Key Set").with_source(e)
        })?;
        if jwks.keys.is_empty() {
            return Err(Error::new(Kind::Config, "the JWKS has no keys"));
        }
        for key in &jwks.keys {
            DecodingKey::from_jwk(key)
                .map_err(|e| Error::new(Kind::Config, "a key in the JWKS is unusable").with_source(e))?;
        }
        Ok(Self { jwks, issuer: None, audience: None })
    }

    /// The demo key's JWKS, requiring the demo issuer.
    pub fn demo() -> Self {
        // The embedded JWKS is known-good; a failure here is a build defect, reported as a
        // configuration error rather than a panic.
        Self::from_jwks_json(&demo_jwks_json())
            .unwrap_or(Self { jwks: JwkSet { keys: Vec::new() }, issuer: None, audience: None })
            .issuer(DEMO_JWT_ISSUER)
    }

    /// Requires this `iss`.
    pub fn issuer(mut self, iss: impl Into<String>) -> Self {
        self.issuer = Some(iss.into());
        self
    }

    /// Requires this `aud` or `client_id`.
    pub fn audience(mut self, aud: impl Into<String>) -> Self {
        self.audience = Some(aud.into());
        self
    }

    /// The token's claims if its signature, `exp`, `nbf`, `iss` and audience check out.
    pub(crate) fn verify(&self, token: &str) -> Result<Map<String, Value>, &'static str> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| "not a JWT")?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err("algorithm not accepted");
        }
        let jwk = match &header.kid {
            Some(kid) => self.jwks.find(kid),
            None if self.jwks.keys.len() == 1 => self.jwks.keys.first(),
            None => None,
        }
        .ok_or("no key with that kid")?;
        let key = DecodingKey::from_jwk(jwk).map_err(|_| "unusable key")?;
        let mut validation = Validation::new(header.alg);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp"]);
        if let Some(iss) = &self.issuer {
            validation.set_issuer(&[iss]);
        }
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|_| "signature or claims rejected")?;
        let claims = data.claims;
        if let Some(aud) = &self.audience {
            let matches = |v: Option<&Value>| match v {
                Some(Value::String(s)) => s == aud,
                Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(aud)),
                _ => false,
            };
            if !matches(claims.get("aud")) && !matches(claims.get("client_id")) {
                return Err("audience rejected");
            }
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_tokens_verify_with_the_demo_jwks() {
        let token = DemoToken::new("alice").groups(["admins"]).sign().expect("sign");
        let claims = JwtConfig::demo().verify(&token).expect("valid");
        assert_eq!(claims["sub"], "alice");
        assert_eq!(claims["cognito:groups"], json!(["admins"]));
        let expired = DemoToken::new("bob")
            .issued_at(SystemTime::now() - Duration::from_secs(7200))
            .expires_in(Duration::from_secs(60))
            .sign()
            .expect("sign");
        assert!(JwtConfig::demo().verify(&expired).is_err());
        assert!(JwtConfig::demo().issuer("someone-else").verify(&token).is_err());
        assert!(JwtConfig::demo().audience("client-1").verify(&token).is_err());
        let with_aud = DemoToken::new("c").audience("client-1").sign().expect("sign");
        assert!(JwtConfig::demo().audience("client-1").verify(&with_aud).is_ok());
    }

    #[test]
    fn a_token_issued_before_1970_is_an_error_not_a_token_issued_in_1970() {
        let err = DemoToken::new("a").issued_at(UNIX_EPOCH - Duration::from_secs(1)).sign().unwrap_err();
        assert!(err.is_config(), "{err:?}");
        assert_eq!(err.field(), Some("issued_at"));
    }
}
