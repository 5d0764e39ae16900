//! The auth modes: `appsync.IAM`, `ApiKey`, `Cognito`, `OIDC`, `Lambda`, each holding the Rust
//! client's `Auth`. `repr()` names the mode and source, never the key or token.

use appsync::Auth;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::bridge::{PySource, PyToken};
use crate::credentials::Credentials;

/// What every auth class gives the client.
pub(crate) fn extract_auth(obj: &Bound<'_, PyAny>) -> PyResult<(Auth, Option<String>)> {
    if let Ok(iam) = obj.cast::<Iam>() {
        let iam = iam.get();
        return Ok((iam.auth.clone(), iam.region.clone()));
    }
    let other = [
        obj.cast::<ApiKey>().map(|a| a.get().auth.clone()),
        obj.cast::<Cognito>().map(|a| a.get().auth.clone()),
        obj.cast::<Oidc>().map(|a| a.get().auth.clone()),
        obj.cast::<Lambda>().map(|a| a.get().auth.clone()),
    ];
    if let Some(auth) = other.into_iter().flatten().next() {
        return Ok((auth, None));
    }
    Err(pyo3::exceptions::PyTypeError::new_err(
        "auth must be appsync.IAM, appsync.ApiKey, appsync.Cognito, appsync.OIDC or appsync.Lambda",
    ))
}

/// IAM: requests signed with SigV4 (service `appsync`).
#[pyclass(frozen, module = "appsync", name = "IAM")]
pub(crate) struct Iam {
    auth: Auth,
    region: Option<String>,
    source: String,
}

#[pymethods]
impl Iam {
    #[new]
    #[pyo3(signature = (credentials=None, region=None))]
    fn new(credentials: Option<&Bound<'_, PyAny>>, region: Option<String>) -> PyResult<Self> {
        let (auth, source) = match credentials {
            None => (
                Auth::iam(appsync::credentials::DefaultCredentialsChain::new()),
                "<environment and profiles>".to_owned(),
            ),
            Some(c) if c.is_none() => (
                Auth::iam(appsync::credentials::DefaultCredentialsChain::new()),
                "<environment and profiles>".to_owned(),
            ),
            Some(c) => match c.cast::<Credentials>() {
                Ok(creds) => (Auth::iam(creds.get().inner.clone()), c.repr()?.to_string()),
                Err(_) => {
                    let provider = c.py().import("appsync._credentials")?.call_method1("provider", (c,))?;
                    let source = PySource::new(&provider)?;
                    let name = format!("{source:?}");
                    (Auth::iam(source), name)
                }
            },
        };
        Ok(Self { auth, region, source })
    }

    /// The region given, if any (else the client's, or the one in the endpoint's host).
    #[getter]
    fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    fn __repr__(&self) -> String {
        match &self.region {
            Some(region) => format!("IAM(credentials={}, region={region:?})", self.source),
            None => format!("IAM(credentials={})", self.source),
        }
    }
}

/// API key, sent as `x-api-key`.
#[pyclass(frozen, module = "appsync", name = "ApiKey")]
pub(crate) struct ApiKey {
    auth: Auth,
}

#[pymethods]
impl ApiKey {
    #[new]
    fn new(key: String) -> Self {
        Self { auth: Auth::api_key(key) }
    }

    fn __repr__(&self) -> &'static str {
        "ApiKey(<redacted>)"
    }
}

/// A token auth's source: a fixed token, or a provider over a sync or async callable.
fn token_source(value: &Bound<'_, PyAny>) -> PyResult<Result<String, PyToken>> {
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(Ok(s.to_str()?.to_owned()));
    }
    if !value.is_callable() {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "a token must be a str or a callable returning one (sync or async)",
        ));
    }
    let provider = value.py().import("appsync._credentials")?.call_method1("token_provider", (value,))?;
    Ok(Err(PyToken(PySource::new(&provider)?)))
}

macro_rules! token_auth {
    ($rust:ident, $python:literal, $ctor:path, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(frozen, module = "appsync", name = $python)]
        pub(crate) struct $rust {
            auth: Auth,
            provided: bool,
        }

        #[pymethods]
        impl $rust {
            #[new]
            fn new(token: &Bound<'_, PyAny>) -> PyResult<Self> {
                Ok(match token_source(token)? {
                    Ok(fixed) => Self { auth: $ctor(fixed), provided: false },
                    Err(provider) => Self { auth: $ctor(provider), provided: true },
                })
            }

            fn __repr__(&self) -> String {
                let source = if self.provided { "<callable>" } else { "<redacted>" };
                format!("{}({source})", $python)
            }
        }
    };
}

token_auth!(
    Cognito,
    "Cognito",
    Auth::cognito,
    "Cognito user pools: the JWT (or a callable returning it) as `Authorization`."
);
token_auth!(
    Oidc,
    "OIDC",
    Auth::oidc,
    "OpenID Connect: the JWT (or a callable returning it) as `Authorization`."
);
token_auth!(
    Lambda,
    "Lambda",
    Auth::lambda,
    "Lambda authorizer: the token (or a callable returning it) as `Authorization`."
);
