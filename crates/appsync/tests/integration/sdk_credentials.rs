// aws-config 1.13 deprecates these paths in favour of aws-runtime's, a crate this one does not
// otherwise need; the types are the same.
#![allow(deprecated)]

use std::time::SystemTime;

use appsync::Auth;
use appsync::credentials::{AwsSdkCredentials, ProvideCredentials};
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
use serde_json::Value;

use crate::client;
use crate::support::TestServer;

#[tokio::test]
async fn sdk_providers_sign_requests() {
    let server = TestServer::start().await;
    server.allow_credentials(&appsync::credentials::Credentials::new(
        "ASIASDK",
        "sdk-secret",
        Some("sdk-token".into()),
        None,
    ));
    let sdk_creds = aws_credential_types::Credentials::new(
        "ASIASDK",
        "sdk-secret",
        Some("sdk-token".into()),
        None,
        "test",
    );
    let client = client(&server, Auth::iam(AwsSdkCredentials::new(sdk_creds)));
    let data: Value = client.data("{ whoami { identity } }").await.unwrap();
    assert_eq!(data["whoami"]["identity"], "ASIASDK");
    assert_eq!(server.seen()[0].session_token.as_deref(), Some("sdk-token"));
}

#[tokio::test]
async fn the_sdk_profile_provider_reads_its_files() {
    let dir = std::env::temp_dir().join(format!(
        "appsync-sdk-{}-{}",
        std::process::id(),
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("credentials");
    std::fs::write(&path, "[sdk]\naws_access_key_id = AKIDSDKFILE\naws_secret_access_key = f\n").unwrap();
    let files = ProfileFiles::builder().with_file(ProfileFileKind::Credentials, &path).build();
    let provider = ProfileFileCredentialsProvider::builder().profile_files(files).profile_name("sdk").build();
    let creds = AwsSdkCredentials::new(provider).provide_credentials().await.unwrap();
    assert_eq!(creds.access_key_id(), "AKIDSDKFILE");
}
