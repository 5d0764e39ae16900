//! Typed attribute values in DynamoDB's JSON (`{"S": "x"}`, `{"N": "12"}`...), their validation,
//! their size as DynamoDB counts it, and AppSync's conversion to plain JSON.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::number::Number;

/// An item (or a key): attribute names to values.
pub type Item = BTreeMap<String, AttributeValue>;

/// The largest item DynamoDB stores: 400 KB.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;

/// One DynamoDB attribute value.
///
/// Sets keep their elements sorted (strings and binaries bytewise, numbers numerically) and
/// without duplicates; they are never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeValue {
    /// `S`: a string.
    S(String),
    /// `N`: an exact number.
    N(Number),
    /// `B`: bytes (base64 in JSON).
    B(Vec<u8>),
    /// `BOOL`.
    Bool(bool),
    /// `NULL`.
    Null,
    /// `M`: a map.
    M(BTreeMap<String, AttributeValue>),
    /// `L`: a list.
    L(Vec<AttributeValue>),
    /// `SS`: a string set.
    Ss(Vec<String>),
    /// `NS`: a number set.
    Ns(Vec<Number>),
    /// `BS`: a binary set.
    Bs(Vec<Vec<u8>>),
}

/// The type names DynamoDB uses (`attribute_type`, error messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeName {
    S,
    N,
    B,
    Bool,
    Null,
    M,
    L,
    Ss,
    Ns,
    Bs,
}

impl TypeName {
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "S" => Self::S,
            "N" => Self::N,
            "B" => Self::B,
            "BOOL" => Self::Bool,
            "NULL" => Self::Null,
            "M" => Self::M,
            "L" => Self::L,
            "SS" => Self::Ss,
            "NS" => Self::Ns,
            "BS" => Self::Bs,
            _ => return None,
        })
    }

    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::S => "S",
            Self::N => "N",
            Self::B => "B",
            Self::Bool => "BOOL",
            Self::Null => "NULL",
            Self::M => "M",
            Self::L => "L",
            Self::Ss => "SS",
            Self::Ns => "NS",
            Self::Bs => "BS",
        }
    }

    /// The long name DynamoDB's update errors use (`operand type: STRING`).
    pub(crate) fn long_name(self) -> &'static str {
        match self {
            Self::S => "STRING",
            Self::N => "NUMBER",
            Self::B => "BINARY",
            Self::Bool => "BOOLEAN",
            Self::Null => "NULL",
            Self::M => "MAP",
            Self::L => "LIST",
            Self::Ss => "STRING SET",
            Self::Ns => "NUMBER SET",
            Self::Bs => "BINARY SET",
        }
    }
}

impl AttributeValue {
    pub(crate) fn type_name(&self) -> TypeName {
        match self {
            Self::S(_) => TypeName::S,
            Self::N(_) => TypeName::N,
            Self::B(_) => TypeName::B,
            Self::Bool(_) => TypeName::Bool,
            Self::Null => TypeName::Null,
            Self::M(_) => TypeName::M,
            Self::L(_) => TypeName::L,
            Self::Ss(_) => TypeName::Ss,
            Self::Ns(_) => TypeName::Ns,
            Self::Bs(_) => TypeName::Bs,
        }
    }

    /// The DynamoDB type code: `S`, `N`, `B`, `BOOL`, `NULL`, `M`, `L`, `SS`, `NS` or `BS`.
    #[must_use]
    pub fn type_code(&self) -> &'static str {
        self.type_name().code()
    }

    /// A string set from any strings: sorted, duplicates refused as DynamoDB does.
    ///
    /// # Errors
    ///
    /// A `ValidationException` for an empty set or a duplicate.
    pub fn string_set(values: impl IntoIterator<Item = String>) -> Result<Self, Error> {
        let values: Vec<String> = values.into_iter().collect();
        Ok(Self::Ss(check_set(values, "string", String::clone)?))
    }

    /// A number set, as [`AttributeValue::string_set`].
    ///
    /// # Errors
    ///
    /// A `ValidationException` for an empty set or a duplicate.
    pub fn number_set(values: impl IntoIterator<Item = Number>) -> Result<Self, Error> {
        let values: Vec<Number> = values.into_iter().collect();
        Ok(Self::Ns(check_set(values, "number", |n| n.to_string())?))
    }

    /// A binary set, as [`AttributeValue::string_set`].
    ///
    /// # Errors
    ///
    /// A `ValidationException` for an empty set or a duplicate.
    pub fn binary_set(values: impl IntoIterator<Item = Vec<u8>>) -> Result<Self, Error> {
        let values: Vec<Vec<u8>> = values.into_iter().collect();
        Ok(Self::Bs(check_set(values, "binary", |b| BASE64.encode(b))?))
    }

    /// Reads one value in DynamoDB's JSON. `N` may be a string or a JSON number (AppSync's
    /// `util.dynamodb.toDynamoDB` writes numbers), `NULL` may be `true` or `null` (AppSync's
    /// `toNull()` writes `null`).
    ///
    /// # Errors
    ///
    /// A `ValidationException` worded as DynamoDB's.
    pub fn from_json(value: &Value) -> Result<Self, Error> {
        let Value::Object(map) = value else {
            return Err(Error::validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            ));
        };
        let mut entries = map.iter();
        let (Some((tag, inner)), None) = (entries.next(), entries.next()) else {
            return Err(Error::validation(if map.is_empty() {
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
            } else {
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
            }));
        };
        let wrong = |expected: &str| {
            Error::validation(format!(
                "Supplied AttributeValue has an invalid value for {tag}: expected {expected}, got {inner}"
            ))
        };
        Ok(match tag.as_str() {
            "S" => Self::S(inner.as_str().ok_or_else(|| wrong("a string"))?.to_owned()),
            "N" => Self::N(number_from_json(inner).ok_or_else(|| wrong("a number"))??),
            "B" => Self::B(binary_from_json(inner).ok_or_else(|| wrong("a base64 string"))?),
            "BOOL" => Self::Bool(inner.as_bool().ok_or_else(|| wrong("a boolean"))?),
            "NULL" => match inner {
                Value::Bool(true) | Value::Null => Self::Null,
                _ => {
                    return Err(Error::invalid_parameter(
                        "Null attribute value types must have the value of true",
                    ));
                }
            },
            "M" => {
                let Value::Object(map) = inner else { return Err(wrong("an object")) };
                Self::M(
                    map.iter()
                        .map(|(k, v)| Ok((k.clone(), Self::from_json(v)?)))
                        .collect::<Result<_, Error>>()?,
                )
            }
            "L" => {
                let Value::Array(list) = inner else { return Err(wrong("an array")) };
                Self::L(list.iter().map(Self::from_json).collect::<Result<_, _>>()?)
            }
            "SS" => {
                let Value::Array(list) = inner else { return Err(wrong("an array of strings")) };
                let strings = list
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| wrong("an array of strings")))
                    .collect::<Result<Vec<_>, _>>()?;
                Self::string_set(strings)?
            }
            "NS" => {
                let Value::Array(list) = inner else { return Err(wrong("an array of numbers")) };
                let numbers = list
                    .iter()
                    .map(|v| number_from_json(v).ok_or_else(|| wrong("an array of numbers"))?)
                    .collect::<Result<Vec<_>, _>>()?;
                Self::number_set(numbers)?
            }
            "BS" => {
                let Value::Array(list) = inner else { return Err(wrong("an array of base64 strings")) };
                let bytes = list
                    .iter()
                    .map(|v| binary_from_json(v).ok_or_else(|| wrong("an array of base64 strings")))
                    .collect::<Result<Vec<_>, _>>()?;
                Self::binary_set(bytes)?
            }
            other => {
                return Err(Error::validation(format!(
                    "Supplied AttributeValue has an unknown datatype {other}, must contain exactly one of the supported datatypes"
                )));
            }
        })
    }

    /// The value in DynamoDB's JSON (numbers as strings, binaries in base64).
    #[must_use]
    pub fn to_json(&self) -> Value {
        let (tag, inner) = match self {
            Self::S(s) => ("S", Value::from(s.as_str())),
            Self::N(n) => ("N", Value::from(n.to_string())),
            Self::B(b) => ("B", Value::from(BASE64.encode(b))),
            Self::Bool(b) => ("BOOL", Value::from(*b)),
            Self::Null => ("NULL", Value::from(true)),
            Self::M(m) => ("M", Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())),
            Self::L(l) => ("L", Value::Array(l.iter().map(Self::to_json).collect())),
            Self::Ss(s) => ("SS", s.iter().map(|s| Value::from(s.as_str())).collect()),
            Self::Ns(n) => ("NS", n.iter().map(|n| Value::from(n.to_string())).collect()),
            Self::Bs(b) => ("BS", b.iter().map(|b| Value::from(BASE64.encode(b))).collect()),
        };
        let mut map = Map::new();
        map.insert(tag.into(), inner);
        Value::Object(map)
    }

    /// The value as AppSync hands it to a resolver's `ctx.result`: strings, numbers, booleans,
    /// `null`, objects and arrays; binaries as base64 strings; sets as arrays.
    #[must_use]
    pub fn to_plain_json(&self) -> Value {
        match self {
            Self::S(s) => Value::from(s.as_str()),
            Self::N(n) => n.to_json(),
            Self::B(b) => Value::from(BASE64.encode(b)),
            Self::Bool(b) => Value::from(*b),
            Self::Null => Value::Null,
            Self::M(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_plain_json())).collect()),
            Self::L(l) => Value::Array(l.iter().map(Self::to_plain_json).collect()),
            Self::Ss(s) => s.iter().map(|s| Value::from(s.as_str())).collect(),
            Self::Ns(n) => n.iter().map(Number::to_json).collect(),
            Self::Bs(b) => b.iter().map(|b| Value::from(BASE64.encode(b))).collect(),
        }
    }

    /// The value's size as DynamoDB counts it toward the 400 KB item limit.
    #[must_use]
    pub fn size(&self) -> usize {
        match self {
            Self::S(s) => s.len(),
            Self::N(n) => number_size(n),
            Self::B(b) => b.len(),
            Self::Bool(_) | Self::Null => 1,
            Self::M(m) => 3 + m.iter().map(|(k, v)| k.len() + v.size() + 1).sum::<usize>(),
            Self::L(l) => 3 + l.iter().map(|v| v.size() + 1).sum::<usize>(),
            Self::Ss(s) => s.iter().map(String::len).sum(),
            Self::Ns(n) => n.iter().map(number_size).sum(),
            Self::Bs(b) => b.iter().map(Vec::len).sum(),
        }
    }

    /// Orders two values of the same scalar type (`N` numerically, `S` and `B` bytewise);
    /// `None` for other types or mixed types, which DynamoDB never orders.
    #[must_use]
    pub fn compare(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Self::S(a), Self::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            (Self::N(a), Self::N(b)) => Some(a.cmp(b)),
            (Self::B(a), Self::B(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// A number's size: about one byte per two significant digits, plus one.
fn number_size(n: &Number) -> usize {
    (n.significant_digits() as usize).div_ceil(2) + 1
}

fn number_from_json(value: &Value) -> Option<Result<Number, Error>> {
    match value {
        Value::String(s) => Some(Number::parse(s)),
        Value::Number(n) => Some(Number::parse(&n.to_string())),
        _ => None,
    }
}

fn binary_from_json(value: &Value) -> Option<Vec<u8>> {
    value.as_str().and_then(|s| BASE64.decode(s).ok())
}

fn check_set<T: Ord>(mut values: Vec<T>, kind: &str, show: impl Fn(&T) -> String) -> Result<Vec<T>, Error> {
    if values.is_empty() {
        return Err(Error::invalid_parameter(format!("An {kind} set  may not be empty")));
    }
    let shown: Vec<String> = values.iter().map(&show).collect();
    values.sort();
    if values.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::validation(format!(
            "Input collection [{}] contains duplicates.",
            shown.join(", ")
        )));
    }
    Ok(values)
}

/// Reads an item (or a key) in DynamoDB's JSON.
///
/// # Errors
///
/// A `ValidationException` when it is not an object or a value is invalid.
pub fn item_from_json(value: &Value) -> Result<Item, Error> {
    let Value::Object(map) = value else {
        return Err(Error::validation(format!("Expected a map of attribute values, got {value}")));
    };
    map.iter().map(|(k, v)| Ok((k.clone(), AttributeValue::from_json(v)?))).collect()
}

/// An item in DynamoDB's JSON.
#[must_use]
pub fn item_to_dynamodb_json(item: &Item) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

/// An item as AppSync gives it to `ctx.result`: plain JSON.
#[must_use]
pub fn item_to_json(item: &Item) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), v.to_plain_json())).collect())
}

/// An item's size: each attribute's name length plus its value's size.
#[must_use]
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}

impl Serialize for AttributeValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for AttributeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::from_json(&value).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_and_writes_dynamodb_json() {
        let v = AttributeValue::from_json(
            &json!({"M": {"a": {"N": 12}, "b": {"SS": ["y", "x"]}, "c": {"NULL": null}}}),
        )
        .unwrap();
        assert_eq!(
            v.to_json(),
            json!({"M": {"a": {"N": "12"}, "b": {"SS": ["x", "y"]}, "c": {"NULL": true}}})
        );
        assert_eq!(v.to_plain_json(), json!({"a": 12, "b": ["x", "y"], "c": null}));
        let b = AttributeValue::from_json(&json!({"B": "aGk="})).unwrap();
        assert_eq!(b, AttributeValue::B(b"hi".to_vec()));
        assert_eq!(b.to_plain_json(), json!("aGk="));
        assert_eq!(AttributeValue::from_json(&json!({"N": "1.50"})).unwrap().to_plain_json(), json!(1.5));
    }

    #[test]
    fn refuses_what_dynamodb_refuses() {
        let msg = |v: Value| AttributeValue::from_json(&v).unwrap_err().to_string();
        assert!(msg(json!({})).contains("empty"));
        assert!(msg(json!({"S": "a", "N": "1"})).contains("more than one datatypes"));
        assert_eq!(
            msg(json!({"SS": []})),
            "One or more parameter values were invalid: An string set  may not be empty"
        );
        assert_eq!(msg(json!({"NS": ["1", "1.0"]})), "Input collection [1, 1] contains duplicates.");
        assert!(
            msg(json!({"NULL": false})).contains("Null attribute value types must have the value of true")
        );
        assert!(msg(json!({"N": "x"})).contains("cannot be converted into a number"));
        assert!(msg(json!({"S": 1})).contains("invalid value for S"));
    }

    #[test]
    fn sizes_as_dynamodb_counts() {
        let item = item_from_json(&json!({
            "id": {"S": "abc"}, "n": {"N": "12345"}, "ok": {"BOOL": true},
            "l": {"L": [{"S": "x"}, {"NULL": true}]}, "m": {"M": {"k": {"S": "vv"}}}
        }))
        .unwrap();
        // id 2+3, n 1+(3+1), ok 2+1, l 1+(3+2+2), m 1+(3+1+2+1)
        assert_eq!(item_size(&item), 5 + 5 + 3 + 8 + 8);
    }
}
