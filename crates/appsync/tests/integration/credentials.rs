use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use appsync::Auth;
use appsync::credentials::{
    CachedCredentials, Credentials, DefaultCredentialsChain, Env, EnvironmentCredentials, ProfileCredentials,
    ProvideCredentials, provide_credentials_fn,
};
use serde_json::Value;

use crate::client;
use crate::support::TestServer;

#[tokio::test]
async fn one_provider_call_for_100_concurrent_requests() {
    let server = TestServer::start().await;
    let creds = Credentials::new(
        "ASIACONCURRENT",
        "s",
        Some("t".into()),
        Some(SystemTime::now() + Duration::from_secs(3600)),
    );
    server.allow_credentials(&creds);
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    // A slow source (STS, IMDS): the load finishes only when the test lets it, once every
    // request is waiting for it.
    let gate = Arc::new(tokio::sync::Notify::new());
    let opened = gate.clone();
    let provider = provide_credentials_fn(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        let creds = creds.clone();
        let opened = opened.clone();
        async move {
            opened.notified().await;
            Ok(creds)
        }
    });
    let client = client(&server, Auth::iam(provider));
    let waiting = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            let waiting = waiting.clone();
            tokio::spawn(async move {
                // Counted in the same poll that takes the request to the credentials cache (nothing
                // before it awaits), so 100 here means 100 requests waiting for the one load.
                waiting.fetch_add(1, Ordering::SeqCst);
                client.data::<Value>("{ whoami { identity } }").await
            })
        })
        .collect();
    appsync_testkit::wait_until("every request waiting", Duration::from_secs(10), || {
        waiting.load(Ordering::SeqCst) == 100
    })
    .await;
    assert_eq!(server.hits(), 0, "no request is signed before the credentials are loaded");
    gate.notify_one();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(server.seen().len(), 100);
}

#[tokio::test]
async fn expiring_credentials_are_fetched_again_before_expiry() {
    let server = TestServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let expiries = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (counter, recorded, srv) = (calls.clone(), expiries.clone(), server.clone());
    let provider = provide_credentials_fn(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        let expiry = SystemTime::now() + Duration::from_millis(1500);
        let creds = Credentials::new(format!("ASIAGEN{n}"), "s", Some(format!("token-{n}")), Some(expiry));
        srv.allow_credentials(&creds);
        recorded.lock().unwrap().push((SystemTime::now(), expiry));
        async move { Ok(creds) }
    });
    let client = client(
        &server,
        Auth::iam_cached(CachedCredentials::refreshing_before(provider, Duration::from_millis(500))),
    );
    let first: Value = client.data("{ whoami { identity } }").await.unwrap();
    assert_eq!(first["whoami"]["identity"], "ASIAGEN1");
    // Due 500 ms before expiry by the wall clock, and seen only on the next use: ask until the
    // second credentials sign (the recorded times below show it was before the first expired).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let data: Value = client.data("{ whoami { identity } }").await.unwrap();
        if data["whoami"]["identity"] == "ASIAGEN2" {
            break;
        }
        assert_eq!(data["whoami"]["identity"], "ASIAGEN1");
        assert!(tokio::time::Instant::now() < deadline, "never refreshed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let expiries = expiries.lock().unwrap();
    assert_eq!(expiries.len(), 2);
    assert!(expiries[1].0 < expiries[0].1, "the refresh happened before the first credentials expired");
    assert_eq!(server.seen().last().and_then(|s| s.session_token.as_deref()), Some("token-2"));
}

#[tokio::test]
async fn a_failing_provider_is_a_credentials_error_with_its_cause() {
    let server = TestServer::start().await;
    let provider = provide_credentials_fn(|| async {
        Err(appsync::credentials::CredentialsError::provider_error_with_source(
            "the vault is sealed",
            std::io::Error::other("connection refused"),
        ))
    });
    let err =
        client(&server, Auth::iam(provider)).data::<Value>("{ whoami { identity } }").await.unwrap_err();
    assert!(err.is_credentials());
    let source = std::error::Error::source(&err).unwrap();
    assert_eq!(source.to_string(), "the vault is sealed");
    assert_eq!(source.source().unwrap().to_string(), "connection refused");
    assert_eq!(server.hits(), 0);
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "appsync-test-{name}-{}-{}",
        std::process::id(),
        fastrand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fastrand_suffix() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos() as u64
}

#[tokio::test]
async fn environment_variables() {
    let env = Env::from_pairs([
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ("AWS_SESSION_TOKEN", "env-token"),
    ]);
    let creds = EnvironmentCredentials::new().env(env).provide_credentials().await.unwrap();
    assert_eq!((creds.access_key_id(), creds.session_token()), ("AKIDENV", Some("env-token")));

    let missing = EnvironmentCredentials::new().env(Env::from_pairs([("AWS_ACCESS_KEY_ID", "AKID")]));
    let err = missing.provide_credentials().await.unwrap_err();
    assert!(!err.is_not_loaded());
    assert!(err.to_string().contains("AWS_SECRET_ACCESS_KEY"));
    let none = EnvironmentCredentials::new().env(Env::from_pairs::<&str, &str>([]));
    assert!(none.provide_credentials().await.unwrap_err().is_not_loaded());
}

#[tokio::test]
async fn profiles_from_the_shared_files() {
    let dir = temp_dir("profiles");
    std::fs::create_dir_all(dir.join(".aws")).unwrap();
    std::fs::write(
        dir.join(".aws/credentials"),
        "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = d\n\n[dev]\naws_access_key_id=AKIDDEV\naws_secret_access_key=dev-secret\naws_session_token=dev-token\n",
    )
    .unwrap();
    std::fs::write(
        dir.join(".aws/config"),
        "[profile dev]\nregion = eu-west-3\n[profile broken]\nregion = x\n",
    )
    .unwrap();
    let home = dir.to_str().unwrap().to_owned();

    let default = ProfileCredentials::new().env(Env::from_pairs([("HOME", home.clone())]));
    assert_eq!(default.provide_credentials().await.unwrap().access_key_id(), "AKIDDEFAULT");

    let dev = ProfileCredentials::new()
        .env(Env::from_pairs([("HOME", home.clone()), ("AWS_PROFILE", "dev".into())]));
    let creds = dev.provide_credentials().await.unwrap();
    assert_eq!((creds.access_key_id(), creds.session_token()), ("AKIDDEV", Some("dev-token")));
    assert_eq!(dev.region().as_deref(), Some("eu-west-3"));

    let broken = ProfileCredentials::new().env(Env::from_pairs([("HOME", home.clone())])).profile("broken");
    let err = broken.provide_credentials().await.unwrap_err();
    assert!(err.to_string().contains("neither aws_access_key_id nor credential_process"), "{err}");

    let missing = ProfileCredentials::new().env(Env::from_pairs([("HOME", home.clone())])).profile("nope");
    let err = missing.provide_credentials().await.unwrap_err();
    assert!(!err.is_not_loaded() && err.to_string().contains("`nope`"), "{err}");

    // Explicit file locations win over HOME.
    let elsewhere = dir.join("other-credentials");
    std::fs::write(&elsewhere, "[default]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = o\n")
        .unwrap();
    let overridden = ProfileCredentials::new().env(Env::from_pairs([
        ("HOME", home.clone()),
        ("AWS_SHARED_CREDENTIALS_FILE", elsewhere.to_str().unwrap().to_owned()),
        ("AWS_CONFIG_FILE", dir.join("absent").to_str().unwrap().to_owned()),
    ]));
    assert_eq!(overridden.provide_credentials().await.unwrap().access_key_id(), "AKIDOTHER");
}

#[cfg(unix)]
#[tokio::test]
async fn credential_process_output_is_used_with_its_expiry() {
    let dir = temp_dir("process");
    let output = dir.join("creds.json");
    std::fs::write(
        &output,
        r#"{"Version": 1, "AccessKeyId": "ASIAPROC", "SecretAccessKey": "proc-secret", "SessionToken": "proc-token", "Expiration": "2099-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "[profile proc]\ncredential_process = cat {}\n[profile failing]\ncredential_process = sh -c 'echo nope >&2; exit 3'\n",
            output.display()
        ),
    )
    .unwrap();
    let env = Env::from_pairs([
        ("AWS_CONFIG_FILE", config.to_str().unwrap().to_owned()),
        ("AWS_SHARED_CREDENTIALS_FILE", dir.join("none").to_str().unwrap().to_owned()),
    ]);
    let creds =
        ProfileCredentials::new().env(env.clone()).profile("proc").provide_credentials().await.unwrap();
    assert_eq!(creds.access_key_id(), "ASIAPROC");
    assert_eq!(creds.session_token(), Some("proc-token"));
    assert_eq!(
        creds.expiry().unwrap().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(),
        4_070_908_800
    );
    let err = ProfileCredentials::new().env(env).profile("failing").provide_credentials().await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("exited") && message.contains("nope"), "{message}");
}

#[tokio::test]
async fn the_default_chain_prefers_the_environment_then_profiles() {
    let dir = temp_dir("chain");
    std::fs::write(
        dir.join("credentials"),
        "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = f\n",
    )
    .unwrap();
    let files = [
        ("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials").to_str().unwrap().to_owned()),
        ("AWS_CONFIG_FILE", dir.join("config").to_str().unwrap().to_owned()),
    ];
    let with_env = files
        .iter()
        .cloned()
        .chain([("AWS_ACCESS_KEY_ID", "AKIDENV".to_owned()), ("AWS_SECRET_ACCESS_KEY", "e".to_owned())]);
    let chain = DefaultCredentialsChain::new().env(Env::from_pairs(with_env));
    assert_eq!(chain.provide_credentials().await.unwrap().access_key_id(), "AKIDENV");
    let chain = DefaultCredentialsChain::new().env(Env::from_pairs(files.iter().cloned()));
    assert_eq!(chain.provide_credentials().await.unwrap().access_key_id(), "AKIDFILE");
    let empty = DefaultCredentialsChain::new()
        .env(Env::from_pairs([("HOME", dir.join("nowhere").to_str().unwrap().to_owned())]));
    let err = empty.provide_credentials().await.unwrap_err();
    assert!(err.is_not_loaded() && err.to_string().contains("no credentials found"), "{err}");
}
