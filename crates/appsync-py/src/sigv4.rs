//! `appsync.sigv4.Signer`: SigV4 signing of any AWS request by `appsync-sigv4`.

use std::time::{Duration, SystemTime};

use appsync_sigv4::{SignableBody, SignableRequest, SigningParams, SigningSettings};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyDict, PyString, PyTuple};

use crate::credentials::Credentials;
use crate::errors::{ConfigError, signing_error};

/// Above this many body bytes the GIL is released while signing (hashing a large body takes long
/// enough for other Python threads to use it; a small one is signed faster than a release costs).
const DETACH_ABOVE: usize = 64 * 1024;

/// Where a signer's credentials come from.
enum Source {
    /// `appsync.Credentials`: signed with as they are, no Python call.
    Static(appsync_sigv4::Credentials),
    /// Anything else (botocore credentials or session, a callable): a provider object from
    /// `appsync._credentials.provider()`, whose `get()` returns `appsync.Credentials`.
    Provider(Py<PyAny>),
}

/// Signs requests to one AWS service in one region.
#[pyclass(frozen, subclass, module = "appsync.sigv4", name = "Signer")]
pub(crate) struct Signer {
    source: Source,
    region: String,
    service: String,
}

/// A header value or a body as given: `str` (signed as UTF-8) or `bytes`/`bytearray`.
enum Value {
    Str(PyBackedStr),
    Bytes(PyBackedBytes),
}

impl Value {
    fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Str(s) => s.as_bytes(),
            Self::Bytes(b) => b,
        }
    }
}

impl<'py> FromPyObject<'_, 'py> for Value {
    type Error = PyErr;

    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(s) = obj.extract::<PyBackedStr>() {
            return Ok(Self::Str(s));
        }
        Ok(Self::Bytes(obj.extract::<PyBackedBytes>()?))
    }
}

#[pymethods]
impl Signer {
    #[new]
    fn new(credentials: &Bound<'_, PyAny>, region: String, service: String) -> PyResult<Self> {
        check_scope(&region, "region")?;
        check_scope(&service, "service")?;
        let source = match credentials.cast::<Credentials>() {
            Ok(c) => Source::Static(c.get().inner.clone()),
            Err(_) => {
                let py = credentials.py();
                let provider = py.import("appsync._credentials")?.call_method1("provider", (credentials,))?;
                Source::Provider(provider.unbind())
            }
        };
        Ok(Self { source, region, service })
    }

    /// The headers that sign the request, to add to it: `authorization`, `x-amz-date` and, with
    /// temporary credentials, `x-amz-security-token`.
    #[pyo3(
        signature = (method, url, headers=None, body=None),
        text_signature = "(self, method, url, headers=None, body=b'')"
    )]
    fn sign<'py>(
        &self,
        py: Python<'py>,
        method: PyBackedStr,
        url: PyBackedStr,
        headers: Option<&Bound<'py, PyAny>>,
        body: Option<Value>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let credentials = self.credentials(py)?;
        self.sign_headers(py, &credentials, &method, &url, headers, body)
    }

    /// `sign` with credentials already resolved (by `sign_async`, without blocking the loop).
    #[pyo3(
        signature = (credentials, method, url, headers=None, body=None),
        text_signature = "(self, credentials, method, url, headers=None, body=b'')"
    )]
    fn _sign_with<'py>(
        &self,
        py: Python<'py>,
        credentials: PyRef<'py, Credentials>,
        method: PyBackedStr,
        url: PyBackedStr,
        headers: Option<&Bound<'py, PyAny>>,
        body: Option<Value>,
    ) -> PyResult<Bound<'py, PyDict>> {
        self.sign_headers(py, &credentials.inner, &method, &url, headers, body)
    }

    /// `url` with a signature in its query, valid for `expires_in` (seconds or a `timedelta`).
    fn presign(
        &self,
        py: Python<'_>,
        method: PyBackedStr,
        url: PyBackedStr,
        expires_in: &Bound<'_, PyAny>,
    ) -> PyResult<String> {
        let expires_in = lifetime(expires_in)?;
        let credentials = self.credentials(py)?;
        let request = SignableRequest::new(&method, &url, [], SignableBody::Bytes(b""))
            .map_err(|e| signing_error(&e))?;
        let params = SigningParams::new(&credentials, &self.region, &self.service, SystemTime::now())
            .settings(SigningSettings::presigned(expires_in));
        let output = appsync_sigv4::sign(&request, &params).map_err(|e| signing_error(&e))?;
        Ok(output.presigned_uri(&url))
    }

    /// The region signed for.
    #[getter]
    fn region(&self) -> &str {
        &self.region
    }

    /// The service signed for.
    #[getter]
    fn service(&self) -> &str {
        &self.service
    }

    /// The credentials provider, `None` for `appsync.Credentials`.
    #[getter]
    fn _provider(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        match &self.source {
            Source::Static(_) => None,
            Source::Provider(p) => Some(p.clone_ref(py)),
        }
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let this = slf.get();
        let credentials = match &this.source {
            Source::Static(c) => format!("<access key {}>", c.access_key_id()),
            Source::Provider(p) => p.bind(slf.py()).repr()?.to_string(),
        };
        Ok(format!(
            "{}(credentials={credentials}, region={:?}, service={:?})",
            slf.get_type().qualname()?,
            this.region,
            this.service
        ))
    }
}

impl Signer {
    fn credentials(&self, py: Python<'_>) -> PyResult<appsync_sigv4::Credentials> {
        match &self.source {
            Source::Static(c) => Ok(c.clone()),
            Source::Provider(p) => {
                let got = p.bind(py).call_method0(pyo3::intern!(py, "get"))?;
                Ok(got.cast::<Credentials>()?.get().inner.clone())
            }
        }
    }

    fn sign_headers<'py>(
        &self,
        py: Python<'py>,
        credentials: &appsync_sigv4::Credentials,
        method: &str,
        url: &str,
        headers: Option<&Bound<'py, PyAny>>,
        body: Option<Value>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let headers = match headers {
            Some(h) if !h.is_none() => header_list(h)?,
            _ => Vec::new(),
        };
        let body = body.as_ref().map_or(&b""[..], Value::as_bytes);
        let sign = || {
            let request = SignableRequest::new(
                method,
                url,
                headers.iter().map(|(n, v)| (&**n, v.as_bytes())),
                SignableBody::Bytes(body),
            )?;
            let params = SigningParams::new(credentials, &self.region, &self.service, SystemTime::now());
            appsync_sigv4::sign(&request, &params)
        };
        let output = if body.len() > DETACH_ABOVE { py.detach(sign) } else { sign() };
        let output = output.map_err(|e| signing_error(&e))?;
        let out = PyDict::new(py);
        for part in output.headers() {
            out.set_item(PyString::intern(py, part.name()), part.value())?;
        }
        Ok(out)
    }
}

/// Headers as `(name, value)` pairs from a mapping (its `items()`: a dict, aiohttp's multidict)
/// or an iterable of pairs (httpx's `multi_items()`, a list), repeated names kept.
fn header_list(headers: &Bound<'_, PyAny>) -> PyResult<Vec<(PyBackedStr, Value)>> {
    let bad =
        || PyTypeError::new_err("headers must be a mapping or (name, value) pairs of str to str or bytes");
    let mut out = Vec::new();
    if let Ok(dict) = headers.cast::<PyDict>() {
        out.reserve(dict.len());
        for (name, value) in dict.iter() {
            out.push((name.extract().map_err(|_| bad())?, value.extract().map_err(|_| bad())?));
        }
        return Ok(out);
    }
    let pairs = match headers.getattr(pyo3::intern!(headers.py(), "items")) {
        Ok(items) => items.call0()?,
        Err(_) => headers.clone(),
    };
    for pair in pairs.try_iter().map_err(|_| bad())? {
        let pair = pair?;
        let pair = pair.cast::<PyTuple>().map_err(|_| bad())?;
        let (name, value): (PyBackedStr, Value) = pair.extract().map_err(|_| bad())?;
        out.push((name, value));
    }
    Ok(out)
}

/// A presigned URL's lifetime: seconds (int or float) or a `timedelta`.
fn lifetime(value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let seconds: f64 = match value.call_method0("total_seconds") {
        Ok(s) => s.extract()?,
        Err(_) => {
            value.extract().map_err(|_| ConfigError::new_err("expires_in must be seconds or a timedelta"))?
        }
    };
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| ConfigError::new_err("expires_in must be between 1 second and 7 days"))
}

/// A region or service goes into the credential scope, which is `/`-separated: checked here so a
/// bad one fails when the signer is made rather than on its first request.
fn check_scope(value: &str, field: &str) -> PyResult<()> {
    if value.is_empty() || value.bytes().any(|b| b == b'/' || b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(ConfigError::new_err(format!(
            "{field} must be a non-empty name without '/' or whitespace, such as us-east-1 or appsync"
        )));
    }
    Ok(())
}
