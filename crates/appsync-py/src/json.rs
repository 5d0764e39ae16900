//! JSON text straight to Python objects, as `json.loads` makes them (`dict`, `list`, `str`,
//! `int`, `float`, `bool`, `None`), without an intermediate tree.
//!
//! For a subscription's events: `json.loads` is three Python frames around its C scanner, and
//! the event's text was scanned once more before it (to cut `data` out of the message). The
//! one difference from `json.loads`: an integer too large for 64 bits becomes a `float`
//! (serde_json reads it as one); AppSync's `Int` is 32 bits, and larger numbers reach a client
//! as `Float` or a string.

use std::fmt;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// A JSON value decoded as Python objects: the type a subscription's events are read as, so
/// that the event's text is parsed once, from the message it came in, straight to the objects.
/// Decoding takes the GIL (a subscription is polled on the event loop's thread, which holds it).
pub(crate) struct PyJson(pub(crate) PyResult<Py<PyAny>>);

impl<'de> Deserialize<'de> for PyJson {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Python::attach(|py| deserializer.deserialize_any(ToPython(py)))
            .map(|built| PyJson(built.map_err(|f| f.0)))
    }
}

/// A Python error met while building the objects (an allocation failing), carried beside
/// serde's errors and given back as it was.
struct Failed(PyErr);

/// Builds one JSON value as a Python object. Its output is itself a `Result` so that a Python
/// error is never turned into text.
#[derive(Clone, Copy)]
struct ToPython<'py>(Python<'py>);

type Built = Result<Py<PyAny>, Failed>;

impl<'de> DeserializeSeed<'de> for ToPython<'_> {
    type Value = Built;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Built, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ToPython<'_> {
    type Value = Built;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Built, E> {
        Ok(Ok(PyBool::new(self.0, v).to_owned().into_any().unbind()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Built, E> {
        Ok(Ok(PyInt::new(self.0, v).into_any().unbind()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Built, E> {
        Ok(Ok(PyInt::new(self.0, v).into_any().unbind()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Built, E> {
        Ok(Ok(PyFloat::new(self.0, v).into_any().unbind()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Built, E> {
        Ok(Ok(PyString::new(self.0, v).into_any().unbind()))
    }

    fn visit_unit<E>(self) -> Result<Built, E> {
        Ok(Ok(self.0.None()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Built, A::Error> {
        let list = PyList::empty(self.0);
        while let Some(item) = seq.next_element_seed(self)? {
            match item.and_then(|item| list.append(item).map_err(Failed)) {
                Ok(()) => {}
                Err(failed) => return Ok(Err(failed)),
            }
        }
        Ok(Ok(list.into_any().unbind()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Built, A::Error> {
        let dict = PyDict::new(self.0);
        while let Some(key) = map.next_key_seed(self)? {
            let value = map.next_value_seed(self)?;
            let set = key.and_then(|key| value.and_then(|value| dict.set_item(key, value).map_err(Failed)));
            if let Err(failed) = set {
                return Ok(Err(failed));
            }
        }
        Ok(Ok(dict.into_any().unbind()))
    }
}
