//! `appsync.Credentials`: AWS credentials held by the Rust signer, secret and token wiped from
//! memory when the last reference goes and never shown by `repr()`.

use std::time::{Duration, SystemTime};

use pyo3::prelude::*;

use crate::errors::ConfigError;

/// AWS credentials: an access key id, its secret, and for temporary credentials the session token
/// and when they expire.
#[pyclass(frozen, module = "appsync", name = "Credentials")]
pub(crate) struct Credentials {
    pub(crate) inner: appsync_sigv4::Credentials,
    /// The `datetime` as given, returned by the `expiration` property.
    expiration: Option<Py<PyAny>>,
}

#[pymethods]
impl Credentials {
    #[new]
    #[pyo3(signature = (access_key_id, secret_access_key, session_token=None, expiration=None))]
    fn new(
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
        expiration: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        if access_key_id.is_empty() || secret_access_key.is_empty() {
            return Err(ConfigError::new_err(
                "credentials: access_key_id and secret_access_key must not be empty",
            ));
        }
        let expiry = expiration.as_ref().map(system_time).transpose()?;
        Ok(Self {
            inner: appsync_sigv4::Credentials::new(access_key_id, secret_access_key, session_token, expiry),
            expiration: expiration.map(Bound::unbind),
        })
    }

    /// The access key id (not a secret: AWS logs it).
    #[getter]
    fn access_key_id(&self) -> &str {
        self.inner.access_key_id()
    }

    /// The secret access key.
    #[getter]
    fn secret_access_key(&self) -> &str {
        self.inner.secret_access_key()
    }

    /// The session token of temporary credentials.
    #[getter]
    fn session_token(&self) -> Option<&str> {
        self.inner.session_token()
    }

    /// When temporary credentials expire, as given.
    #[getter]
    fn expiration(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.expiration.as_ref().map(|e| e.clone_ref(py))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let expiration = match &self.expiration {
            Some(e) => e.bind(py).repr()?.to_string(),
            None => "None".to_owned(),
        };
        let token = if self.inner.session_token().is_some() { ", session_token=<redacted>" } else { "" };
        Ok(format!(
            "Credentials(access_key_id={:?}, secret_access_key=<redacted>{token}, expiration={expiration})",
            self.inner.access_key_id()
        ))
    }
}

/// A timezone-aware `datetime` as a `SystemTime` (a naive one would be read in the machine's
/// local time zone, which is never what an AWS expiry means).
fn system_time(datetime: &Bound<'_, PyAny>) -> PyResult<SystemTime> {
    if datetime.getattr("tzinfo").is_ok_and(|tz| tz.is_none()) {
        return Err(ConfigError::new_err("credentials: expiration must be a timezone-aware datetime"));
    }
    let seconds: f64 = datetime
        .call_method0("timestamp")
        .and_then(|t| t.extract())
        .map_err(|_| ConfigError::new_err("credentials: expiration must be a timezone-aware datetime"))?;
    let offset = Duration::try_from_secs_f64(seconds.abs())
        .map_err(|_| ConfigError::new_err("credentials: expiration is out of range"))?;
    let time = if seconds >= 0.0 {
        SystemTime::UNIX_EPOCH.checked_add(offset)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(offset)
    };
    time.ok_or_else(|| ConfigError::new_err("credentials: expiration is out of range"))
}
