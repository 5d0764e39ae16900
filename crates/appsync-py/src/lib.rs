//! The native half of the `appsync` Python package, imported as `appsync._appsync`.
//!
//! Only thin types live here: the work is done by the Rust crates (`appsync-sigv4`, `appsync`,
//! `appsync-local`). The Python half (`python/appsync`) holds the exceptions, the credential
//! sources a Python user hands over (botocore objects, callables), the async iterators over
//! subscriptions, the emulator's wrapper and pytest plugin, and the aiohttp/httpx adapters;
//! `_appsync.pyi` is the hand-written stub of this module.

mod auth;
mod bridge;
mod client;
mod completion;
mod credentials;
mod errors;
mod events;
mod exit;
mod json;
mod local;
mod pump;
mod retry;
mod runtime;
mod sigv4;
mod subscription;

use pyo3::prelude::*;

/// The `appsync._appsync` extension module.
#[pymodule]
fn _appsync(m: &Bound<'_, PyModule>) -> PyResult<()> {
    runtime::configure();
    m.add_class::<credentials::Credentials>()?;
    m.add_class::<sigv4::Signer>()?;
    m.add_class::<client::Client>()?;
    m.add_class::<events::EventsClient>()?;
    m.add_class::<subscription::Subscription>()?;
    m.add_class::<subscription::Next>()?;
    m.add_class::<subscription::ConnectionStates>()?;
    m.add_class::<local::Emulator>()?;
    m.add_class::<retry::Retry>()?;
    m.add_class::<auth::Iam>()?;
    m.add_class::<auth::ApiKey>()?;
    m.add_class::<auth::Cognito>()?;
    m.add_class::<auth::Oidc>()?;
    m.add_class::<auth::Lambda>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // The runtime's threads stop calling into Python before the interpreter finalizes.
    let py = m.py();
    py.import("atexit")?.call_method1("register", (wrap_pyfunction!(exit::at_exit, m)?,))?;
    Ok(())
}
