//! `appsync token`: mint a JWT signed by the emulator's documented demo key, so schemas with
//! Cognito user pools auth can be exercised offline.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use appsync_local::DemoToken;

#[derive(clap::Args, Debug)]
pub(crate) struct TokenArgs {
    /// Subject (`sub`, also `cognito:username`).
    #[arg(long, default_value = "local-user")]
    sub: String,
    /// Comma-separated `cognito:groups`.
    #[arg(long, value_delimiter = ',', value_name = "G1,G2")]
    groups: Vec<String>,
    /// Lifetime in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    expires_in: u64,
    /// Audience (`aud` and `client_id`).
    #[arg(long, value_name = "AUDIENCE")]
    audience: Option<String>,
    /// Also write the demo key's public JWKS here, for `appsync local --jwks FILE`.
    #[arg(long, value_name = "FILE")]
    jwks_out: Option<PathBuf>,
}

pub(crate) fn run(args: TokenArgs) -> anyhow::Result<ExitCode> {
    let mut token = DemoToken::new(&args.sub)
        .groups(args.groups.iter().filter(|g| !g.is_empty()).cloned())
        .expires_in(Duration::from_secs(args.expires_in));
    if let Some(aud) = &args.audience {
        token = token.audience(aud);
    }
    let jwt = token.sign().context("could not sign the token")?;
    if let Some(path) = &args.jwks_out {
        std::fs::write(path, appsync_local::demo_jwks_json())
            .with_context(|| format!("could not write the JWKS to {}", path.display()))?;
        eprintln!("wrote the demo JWKS to {} (issuer {})", path.display(), appsync_local::DEMO_JWT_ISSUER);
    }
    println!("{jwt}");
    Ok(ExitCode::SUCCESS)
}
