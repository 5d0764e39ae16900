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
