//! The client against the project's own emulator (`appsync-local`), which verifies SigV4,
//! API keys and session tokens as AppSync does and answers with AppSync's error shapes.

use appsync::credentials::Credentials;
use appsync::{Auth, Client, Request};
use appsync_local::{ApiKey, Emulator, ServerHandle};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Post;
use appsync_testkit::CREATE_POST_SHORT;

const REGION: &str = "us-east-1";

async fn emulator() -> ServerHandle {
    Emulator::builder()
        .api_key(ApiKey::new("da2-emulator"))
        .iam_credentials(Credentials::new("AKIDEMU", "emu-secret", None, None))
        .iam_credentials(Credentials::new("ASIAEMU", "emu-temp-secret", Some("emu-session".to_owned()), None))
        .build()
        .unwrap()
        .spawn("127.0.0.1:0")
        .await
        .unwrap()
}

fn client(server: &ServerHandle, auth: Auth) -> Client {
    Client::builder().endpoint(server.graphql_url()).region(REGION).auth(auth).build().unwrap()
}

#[derive(Debug, Deserialize)]
struct Created {
    #[serde(rename = "createPost")]
    post: Post,
}

#[derive(Debug, Deserialize)]
struct Fetched {
    #[serde(rename = "getPost")]
    post: Option<Post>,
}

const GET: &str = "query Get($id: ID!) { getPost(id: $id) { id title author } }";

#[tokio::test]
async fn iam_and_api_key_round_trip_through_the_emulator() {
    let server = emulator().await;
    let iam = client(&server, Auth::iam(Credentials::new("AKIDEMU", "emu-secret", None, None)));
    let created: Created = iam
        .data(
            Request::new(CREATE_POST_SHORT).variables(json!({"input": {"title": "signed", "author": "iam"}})),
        )
        .await
        .unwrap();
    assert_eq!(created.post.title, "signed");

    let temporary = client(
        &server,
        Auth::iam(Credentials::new("ASIAEMU", "emu-temp-secret", Some("emu-session".into()), None)),
    );
    let fetched: Fetched =
        temporary.data(Request::new(GET).variables(json!({"id": created.post.id}))).await.unwrap();
    assert_eq!(fetched.post.as_ref().map(|p| p.author.as_deref()), Some(Some("iam")));

    let api_key = client(&server, Auth::api_key("da2-emulator"));
    let fetched: Fetched =
        api_key.data(Request::new(GET).variables(json!({"id": created.post.id}))).await.unwrap();
    assert_eq!(fetched.post, Some(created.post));
}

#[tokio::test]
async fn the_emulator_rejects_bad_auth_as_appsync_does() {
    let server = emulator().await;
    let forged = client(&server, Auth::iam(Credentials::new("AKIDEMU", "not-the-secret", None, None)));
    let err = forged.data::<Value>("{ listPosts { items { id } } }").await.unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));

    let wrong_token = client(
        &server,
        Auth::iam(Credentials::new("ASIAEMU", "emu-temp-secret", Some("stale-session".into()), None)),
    );
    let err = wrong_token.data::<Value>("{ listPosts { items { id } } }").await.unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");

    let bad_key = client(&server, Auth::api_key("da2-nope"));
    let err = bad_key.data::<Value>("{ listPosts { items { id } } }").await.unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
}

#[tokio::test]
async fn emulator_graphql_errors_are_typed() {
    let server = emulator().await;
    let client = client(&server, Auth::api_key("da2-emulator"));
    let response = client.query::<Value>("{ noSuchField }", ()).await.unwrap();
    assert!(response.errors[0].message.contains("noSuchField"), "{:?}", response.errors);
    assert!(response.errors[0].locations.is_some());

    let input = json!({"input": {"id": "fixed-id", "title": "first"}});
    let _: Created = client.data(Request::new(CREATE_POST_SHORT).variables(&input)).await.unwrap();
    let err = client.data::<Created>(Request::new(CREATE_POST_SHORT).variables(&input)).await.unwrap_err();
    assert!(err.is_graphql(), "{err:?}");
    assert_eq!(err.error_type(), Some("DynamoDB:ConditionalCheckFailedException"));
}

const TOKEN_SCHEMA: &str = "
schema { query: Query }
type Query @aws_cognito_user_pools @aws_lambda @aws_api_key {
  hello: String
}
";

#[tokio::test]
async fn cognito_jwts_and_lambda_tokens_through_the_emulator() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use appsync::{Token, provide_token_fn};
    use appsync_local::{AuthMode, DemoToken, JwtConfig};

    let server = Emulator::builder()
        .schema_sdl(TOKEN_SCHEMA)
        .default_auth(AuthMode::CognitoUserPools)
        .cognito_user_pools(JwtConfig::demo())
        .lambda_token("lambda-secret")
        .build()
        .unwrap()
        .spawn("127.0.0.1:0")
        .await
        .unwrap();

    // A Cognito session that mints short-lived tokens: the client reads `exp` from each JWT and
    // asks for a new one before it runs out.
    let minted = Arc::new(AtomicUsize::new(0));
    let counter = minted.clone();
    let cognito = Auth::cognito(provide_token_fn(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        let jwt = DemoToken::new("alice").expires_in(Duration::from_secs(2)).sign();
        async move {
            jwt.map(Token::new)
                .map_err(|e| appsync::credentials::CredentialsError::provider_error_with_source("mint", e))
        }
    }));
    let client = client(&server, cognito);
    let first = client.query::<Value>("{ hello }", ()).await.unwrap();
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    // The refresh falls due by the wall clock (half the JWT's remaining life) and is seen on the
    // next use: ask until a second token is minted, before the first one's two seconds are up.
    let first_expires = std::time::Instant::now() + Duration::from_secs(2);
    while minted.load(Ordering::SeqCst) < 2 {
        assert!(std::time::Instant::now() < first_expires, "no new token before the first expired");
        tokio::time::sleep(Duration::from_millis(20)).await;
        let next = client.query::<Value>("{ hello }", ()).await.unwrap();
        assert!(next.errors.is_empty(), "{:?}", next.errors);
    }
    assert_eq!(minted.load(Ordering::SeqCst), 2, "a new token was minted as the first neared its expiry");

    let forged = client
        .execute::<Value>(Request::new("{ hello }").auth(Auth::cognito(Token::new("e30.e30.e30"))))
        .await;
    assert!(forged.unwrap_err().is_unauthorized());

    let lambda =
        client.execute::<Value>(Request::new("{ hello }").auth(Auth::lambda("lambda-secret"))).await.unwrap();
    assert!(lambda.errors.is_empty(), "{:?}", lambda.errors);
    let wrong = client.execute::<Value>(Request::new("{ hello }").auth(Auth::lambda("nope"))).await;
    assert!(wrong.unwrap_err().is_unauthorized());
}
