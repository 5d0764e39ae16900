//! `appsync.Retry`: the Rust client's `RetryPolicy`, checked when made so that a bad value is a
//! `ConfigError` (a `ValueError`) naming the argument, not a surprise at the client's first
//! request.

use std::time::Duration;

use appsync::RetryPolicy;
use pyo3::prelude::*;

use crate::errors::ConfigError;

/// How failed requests are retried (see the stub for what is retried).
#[pyclass(frozen, module = "appsync", name = "Retry")]
pub(crate) struct Retry {
    pub(crate) policy: RetryPolicy,
    attempts: u32,
    base_delay: f64,
    max_delay: f64,
    retry_mutations: bool,
    budget: u32,
}

/// `value` seconds as a duration greater than zero, or a `ConfigError` naming `field`.
fn positive_seconds(value: f64, field: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).ok().filter(|d| !d.is_zero()).ok_or_else(|| {
        ConfigError::new_err(format!("Retry: {field} must be a positive number of seconds, not {value}"))
    })
}

#[pymethods]
impl Retry {
    #[new]
    #[pyo3(signature = (attempts=3, *, base_delay=0.1, max_delay=5.0, retry_mutations=false, budget=500))]
    fn new(
        attempts: i64,
        base_delay: f64,
        max_delay: f64,
        retry_mutations: bool,
        budget: i64,
    ) -> PyResult<Self> {
        let attempts_u32 = u32::try_from(attempts).ok().filter(|a| *a >= 1).ok_or_else(|| {
            ConfigError::new_err(format!(
                "Retry: attempts must be at least 1 (the first attempt included; 1 means no retries), not {attempts}"
            ))
        })?;
        let base = positive_seconds(base_delay, "base_delay")?;
        let max = positive_seconds(max_delay, "max_delay")?;
        if max < base {
            return Err(ConfigError::new_err(format!(
                "Retry: max_delay ({max_delay}) must be at least base_delay ({base_delay})"
            )));
        }
        let budget_u32 = u32::try_from(budget).map_err(|_| {
            ConfigError::new_err(format!("Retry: budget must be a number of tokens from 0, not {budget}"))
        })?;
        let policy = RetryPolicy::default()
            .max_attempts(attempts_u32)
            .base_backoff(base)
            .max_backoff(max)
            .retry_mutations(retry_mutations)
            .budget(budget_u32);
        Ok(Self {
            policy,
            attempts: attempts_u32,
            base_delay,
            max_delay,
            retry_mutations,
            budget: budget_u32,
        })
    }

    /// No retries (`Retry(1)`).
    #[staticmethod]
    fn disabled() -> PyResult<Self> {
        Self::new(1, 0.1, 5.0, false, 500)
    }

    /// Attempts in total, the first included.
    #[getter]
    fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The base of the exponential backoff, in seconds.
    #[getter]
    fn base_delay(&self) -> f64 {
        self.base_delay
    }

    /// The longest wait between attempts, in seconds.
    #[getter]
    fn max_delay(&self) -> f64 {
        self.max_delay
    }

    /// Whether mutations are retried like queries.
    #[getter]
    fn retry_mutations(&self) -> bool {
        self.retry_mutations
    }

    /// The retry budget shared by the client's requests, in tokens.
    #[getter]
    fn budget(&self) -> u32 {
        self.budget
    }

    fn __repr__(&self) -> String {
        format!(
            "Retry(attempts={}, base_delay={}, max_delay={}, retry_mutations={}, budget={})",
            self.attempts,
            self.base_delay,
            self.max_delay,
            if self.retry_mutations { "True" } else { "False" },
            self.budget
        )
    }
}

/// The client's `retry=` argument: a `Retry`, an int (attempts, as before `Retry` existed), or
/// `None` (the default policy).
pub(crate) fn extract_retry(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<RetryPolicy>> {
    let Some(value) = value.filter(|v| !v.is_none()) else { return Ok(None) };
    if let Ok(retry) = value.cast::<Retry>() {
        return Ok(Some(retry.get().policy.clone()));
    }
    if value.is_instance_of::<pyo3::types::PyBool>() {
        return Err(pyo3::exceptions::PyTypeError::new_err("retry must be appsync.Retry, an int or None"));
    }
    match value.extract::<i64>() {
        Ok(attempts) => Ok(Some(Retry::new(attempts, 0.1, 5.0, false, 500)?.policy)),
        Err(_) => Err(pyo3::exceptions::PyTypeError::new_err("retry must be appsync.Retry, an int or None")),
    }
}
