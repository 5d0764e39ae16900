//! The package's exceptions, defined in Python (`appsync/_errors.py`: some have a second base such
//! as `ValueError` or attributes) and raised from here.

use pyo3::PyErr;

pyo3::import_exception!(appsync._errors, ConfigError);
pyo3::import_exception!(appsync._errors, CredentialsError);

/// A signing failure as the exception a Python caller can act on: expired credentials are a
/// credentials problem, everything else (URL, header, region, lifetime) a bad argument. The
/// message is the signer's, which never contains a secret.
pub(crate) fn signing_error(err: &appsync_sigv4::SigningError) -> PyErr {
    match err.kind() {
        appsync_sigv4::SigningErrorKind::CredentialsExpired => CredentialsError::new_err(err.to_string()),
        _ => ConfigError::new_err(err.to_string()),
    }
}

pyo3::import_exception!(appsync._errors, AppSyncError);
pyo3::import_exception!(appsync._errors, TransportError);
pyo3::import_exception!(appsync._errors, TimeoutError);
pyo3::import_exception!(appsync._errors, HTTPStatusError);
pyo3::import_exception!(appsync._errors, UnauthorizedError);
pyo3::import_exception!(appsync._errors, ThrottledError);
pyo3::import_exception!(appsync._errors, SubscriptionError);
pyo3::import_exception!(appsync._errors, LaggedError);

/// A Rust client error as the Python exception for what a caller does about it. The message is
/// the error's `Display` (which never shows a secret); a Python exception raised by a credentials
/// or token source comes back as the `__cause__`.
pub(crate) fn client_error(err: appsync::Error) -> PyErr {
    error_of(&err)
}

/// [`client_error`] for an error the caller keeps (a publish result's per-event error).
pub(crate) fn error_of(err: &appsync::Error) -> PyErr {
    let message = err.to_string();
    let status = err.status().map(|s| s.as_u16());
    let error_type = err.error_type().map(str::to_owned);
    let py_err = if err.is_timeout() {
        TimeoutError::new_err(message)
    } else if err.is_credentials() {
        CredentialsError::new_err(message)
    } else if err.is_config() || err.is_invalid_input() {
        // A bad argument either way: a setting, or a channel or event refused before sending.
        ConfigError::new_err(message)
    } else if err.is_throttled() {
        let retry_after = err.retry_after().map(|d| d.as_secs_f64());
        ThrottledError::new_err((message, status.unwrap_or(429), error_type, retry_after))
    } else if err.is_unauthorized() {
        UnauthorizedError::new_err((message, status.unwrap_or(401), error_type))
    } else if let Some(status) = status {
        HTTPStatusError::new_err((message, status, error_type))
    } else if err.is_realtime_refused() {
        SubscriptionError::new_err(message)
    } else if err.is_transport() || err.is_connect() || err.is_closed() {
        TransportError::new_err(message)
    } else {
        AppSyncError::new_err(message)
    };
    if let Some(cause) = python_cause(err) {
        pyo3::Python::attach(|py| py_err.set_cause(py, Some(cause)));
    }
    py_err
}

/// The first Python exception in `err`'s source chain.
fn python_cause(err: &(dyn std::error::Error + 'static)) -> Option<PyErr> {
    let mut source = err.source();
    while let Some(s) = source {
        if let Some(py_err) = s.downcast_ref::<PyErr>() {
            return Some(pyo3::Python::attach(|py| py_err.clone_ref(py)));
        }
        source = s.source();
    }
    None
}
