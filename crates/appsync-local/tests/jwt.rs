//! Cognito user pools and OIDC: JWTs verified against a JWKS, with `exp`, `iss`, audience and
//! `cognito:groups` rules.
#![allow(missing_docs)]

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use appsync_local::{AuthMode, DemoToken, Emulator, JwtConfig};
use serde_json::{Value, json};
use support::*;

const UNAUTHORIZED: &str = "{\n  \"errors\" : [ {\n    \"errorType\" : \"UnauthorizedException\",\n    \"message\" : \"Valid authorization header not provided.\"\n  } ]\n}";

/// Not the demo key: tokens it signs must be refused even when they claim the demo kid.
const FOREIGN_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgOSPIPGv5kayZl0J8
/JYupXOchIcWtVfS6eU+1MU9NCOhRANCAARWTIr1HBQbFZTUUt3yvCEbXCOcaLlc
WUrv5U4mFJfB9L42oxnBV7YgpBI8P5DRG/GPwoM2Kh68JNi8hN5mSb8B
-----END PRIVATE KEY-----
";

const SDL: &str = r#"
type Query @aws_cognito_user_pools {
  whoami: String
  adminOnly: String @aws_cognito_user_pools(cognito_groups: ["admins"])
  keyOnly: String @aws_api_key
}
"#;

fn builder() -> appsync_local::EmulatorBuilder {
    Emulator::builder()
        .schema_sdl(SDL)
        .cognito_user_pools(JwtConfig::demo())
        .api_key(appsync_local::ApiKey::new(API_KEY))
        .default_auth(AuthMode::CognitoUserPools)
        .resolver("Query.whoami", |c| async move {
            Ok(json!(format!("{} via {}", c.identity().principal(), c.identity().mode().as_appsync_str())))
        })
        .resolver("Query.adminOnly", |_c| async { Ok(json!("secret")) })
        .resolver("Query.keyOnly", |_c| async { Ok(json!("key")) })
}

async fn with_token(s: &Server, token: &str, query: &str) -> Reply {
    s.raw(&[("authorization", token.to_owned())], body(query, json!({}))).await
}

#[tokio::test]
async fn valid_token_reaches_cognito_fields_and_groups_decide_group_fields() {
    let s = start(builder()).await;
    let admin = DemoToken::new("alice").groups(["admins"]).sign().expect("sign");
    let v = with_token(&s, &admin, "{ whoami adminOnly }").await.json();
    assert_eq!(v, json!({"data": {"whoami": "alice via AMAZON_COGNITO_USER_POOLS", "adminOnly": "secret"}}));

    let user = DemoToken::new("bob").groups(["users"]).sign().expect("sign");
    let v = with_token(&s, &user, "{ whoami adminOnly keyOnly }").await.json();
    assert_eq!(
        v["data"],
        json!({"whoami": "bob via AMAZON_COGNITO_USER_POOLS", "adminOnly": null, "keyOnly": null})
    );
    let messages: Vec<&str> =
        v["errors"].as_array().expect("errors").iter().filter_map(|e| e["message"].as_str()).collect();
    assert_eq!(
        messages,
        [
            "Not Authorized to access adminOnly on type Query",
            "Not Authorized to access keyOnly on type Query"
        ]
    );
    // The API key reaches only its own field.
    let v = s.api_key("{ whoami keyOnly }", json!({})).await.json();
    assert_eq!(v["data"], json!({"whoami": null, "keyOnly": "key"}));
}

#[tokio::test]
async fn expired_tampered_foreign_and_unsigned_tokens_are_401() {
    let s = start(builder()).await;
    let expired = DemoToken::new("old")
        .issued_at(SystemTime::now() - Duration::from_secs(7200))
        .expires_in(Duration::from_secs(60))
        .sign()
        .expect("sign");
    let good = DemoToken::new("eve").sign().expect("sign");
    // Swap the payload for one claiming admin groups; the signature no longer matches.
    let parts: Vec<&str> = good.split('.').collect();
    use base64::Engine as _;
    let forged_claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
        json!({"sub": "eve", "iss": appsync_local::DEMO_JWT_ISSUER, "exp": 4_102_444_800u64, "cognito:groups": ["admins"]})
            .to_string(),
    );
    let tampered = format!("{}.{}.{}", parts[0], forged_claims, parts[2]);
    let foreign = {
        let key = jsonwebtoken::EncodingKey::from_ec_pem(FOREIGN_KEY.as_bytes()).expect("key");
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some("appsync-local-demo-es256".into());
        let exp = SystemTime::now().duration_since(UNIX_EPOCH).expect("time").as_secs() + 600;
        jsonwebtoken::encode(
            &header,
            &json!({"sub": "mallory", "iss": appsync_local::DEMO_JWT_ISSUER, "exp": exp}),
            &key,
        )
        .expect("encode")
    };
    let unsigned = format!(
        "{}.{}.",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        forged_claims
    );
    for (name, token) in
        [("expired", expired), ("tampered", tampered), ("foreign", foreign), ("unsigned", unsigned)]
    {
        let r = with_token(&s, &token, "{ whoami }").await;
        assert_eq!((r.status, r.text.as_str()), (401, UNAUTHORIZED), "{name}");
    }
    assert_eq!(with_token(&s, &good, "{ whoami }").await.status, 200);
}

#[tokio::test]
async fn issuer_and_audience_are_enforced_when_configured() {
    let s = start(
        Emulator::builder()
            .schema_sdl("type Query { whoami: String }")
            .oidc(
                JwtConfig::from_jwks_json(&appsync_local::demo_jwks_json())
                    .expect("jwks")
                    .issuer(appsync_local::DEMO_JWT_ISSUER)
                    .audience("client-a"),
            )
            .default_auth(AuthMode::Oidc)
            .resolver(
                "Query.whoami",
                |c| async move { Ok(Value::from(c.identity().mode().as_appsync_str())) },
            ),
    )
    .await;
    let right = DemoToken::new("x").audience("client-a").sign().expect("sign");
    let v = with_token(&s, &right, "{ whoami }").await.json();
    assert_eq!(v, json!({"data": {"whoami": "OPENID_CONNECT"}}));
    let wrong = DemoToken::new("x").audience("client-b").sign().expect("sign");
    assert_eq!(with_token(&s, &wrong, "{ whoami }").await.status, 401);
    let none = DemoToken::new("x").sign().expect("sign");
    assert_eq!(with_token(&s, &none, "{ whoami }").await.status, 401);
}

#[test]
fn bad_jwks_and_missing_jwks_are_config_errors() {
    assert!(JwtConfig::from_jwks_json("{}").expect_err("no keys").is_config());
    assert!(JwtConfig::from_jwks_json(r#"{"keys": []}"#).expect_err("empty").is_config());
    let e = Emulator::builder()
        .default_auth(AuthMode::CognitoUserPools)
        .build()
        .expect_err("cognito default without JWKS");
    assert!(e.is_config());
}
