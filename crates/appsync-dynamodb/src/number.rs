//! DynamoDB's number type: an exact decimal of at most 38 significant digits, with a magnitude
//! between 1E-130 and 9.99...E+125 (or zero).

use std::cmp::Ordering;
use std::fmt;

use crate::error::Error;

/// The most significant digits DynamoDB keeps.
const MAX_DIGITS: u32 = 38;
/// The largest decimal exponent of a number's leading digit.
const MAX_LEADING_EXPONENT: i32 = 125;
/// The smallest decimal exponent of a number's leading digit.
const MIN_LEADING_EXPONENT: i32 = -130;

/// An exact DynamoDB number.
///
/// Stored as `mantissa * 10^exponent` with no trailing zeros in the mantissa, so two equal
/// numbers have one representation (`1.50` and `1.5` are the same value, as in DynamoDB, which
/// answers with the shorter form).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    mantissa: u128,
    exponent: i32,
}

fn digit_count(mut m: u128) -> u32 {
    let mut n = 1;
    while m >= 10 {
        m /= 10;
        n += 1;
    }
    n
}

impl Number {
    /// Zero.
    pub const ZERO: Number = Number { negative: false, mantissa: 0, exponent: 0 };

    /// Builds a checked, normalised number.
    fn new(negative: bool, mut mantissa: u128, mut exponent: i32) -> Result<Self, Error> {
        if mantissa == 0 {
            return Ok(Self::ZERO);
        }
        while mantissa.is_multiple_of(10) {
            mantissa /= 10;
            exponent += 1;
        }
        let digits = digit_count(mantissa);
        if digits > MAX_DIGITS {
            return Err(Error::validation("Attempting to store more than 38 significant digits in a Number"));
        }
        let leading = exponent + digits as i32 - 1;
        if leading > MAX_LEADING_EXPONENT {
            return Err(Error::validation(
                "Number overflow. Attempting to store a number with magnitude larger than supported range",
            ));
        }
        if leading < MIN_LEADING_EXPONENT {
            return Err(Error::validation(
                "Number underflow. Attempting to store a number with magnitude smaller than supported range",
            ));
        }
        Ok(Self { negative, mantissa, exponent })
    }

    /// Parses DynamoDB's number syntax: an optional sign, digits with an optional decimal point,
    /// an optional exponent (`-12.5`, `1E+3`, `.5`).
    ///
    /// # Errors
    ///
    /// A `ValidationException` when the text is not a number or is out of DynamoDB's range.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let invalid = || Error::validation("A value provided cannot be converted into a number");
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut negative = false;
        if let Some(&c) = bytes.first()
            && (c == b'-' || c == b'+')
        {
            negative = c == b'-';
            i = 1;
        }
        let mut digits: Vec<u8> = Vec::new();
        let mut exponent: i64 = 0;
        let mut seen_digit = false;
        let mut seen_point = false;
        while i < bytes.len() {
            let c = bytes[i];
            if c.is_ascii_digit() {
                seen_digit = true;
                if seen_point {
                    exponent -= 1;
                }
                if !(digits.is_empty() && c == b'0') {
                    digits.push(c - b'0');
                }
            } else if c == b'.' && !seen_point {
                seen_point = true;
            } else {
                break;
            }
            i += 1;
        }
        if !seen_digit {
            return Err(invalid());
        }
        if i < bytes.len() {
            if bytes[i] != b'e' && bytes[i] != b'E' {
                return Err(invalid());
            }
            let rest = &text[i + 1..];
            let rest = rest.strip_prefix('+').unwrap_or(rest);
            if rest.is_empty() || !rest.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            let e: i64 = rest.parse().map_err(|_| invalid())?;
            exponent = exponent.checked_add(e).ok_or_else(invalid)?;
        }
        while digits.last() == Some(&0) {
            digits.pop();
            exponent += 1;
        }
        if digits.is_empty() {
            return Ok(Self::ZERO);
        }
        if digits.len() > MAX_DIGITS as usize {
            return Err(Error::validation("Attempting to store more than 38 significant digits in a Number"));
        }
        let mantissa = digits.iter().fold(0u128, |m, &d| m * 10 + u128::from(d));
        let exponent = i32::try_from(exponent).map_err(|_| {
            if exponent > 0 {
                Error::validation(
                    "Number overflow. Attempting to store a number with magnitude larger than supported range",
                )
            } else {
                Error::validation(
                    "Number underflow. Attempting to store a number with magnitude smaller than supported range",
                )
            }
        })?;
        Self::new(negative, mantissa, exponent)
    }

    /// True for zero.
    #[must_use]
    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// The number of significant digits (1 for zero).
    #[must_use]
    pub fn significant_digits(&self) -> u32 {
        digit_count(self.mantissa)
    }

    /// `self + other`, exact.
    ///
    /// # Errors
    ///
    /// A `ValidationException` when the exact result needs more than 38 digits or leaves the range.
    pub fn add(&self, other: &Number) -> Result<Number, Error> {
        if self.is_zero() {
            return Ok(*other);
        }
        if other.is_zero() {
            return Ok(*self);
        }
        let exponent = self.exponent.min(other.exponent);
        let too_precise =
            || Error::validation("Attempting to store more than 38 significant digits in a Number");
        let scale = |n: &Number| -> Result<u128, Error> {
            let shift = u32::try_from(n.exponent - exponent).map_err(|_| too_precise())?;
            10u128.checked_pow(shift).and_then(|p| n.mantissa.checked_mul(p)).ok_or_else(too_precise)
        };
        let (a, b) = (scale(self)?, scale(other)?);
        if self.negative == other.negative {
            let sum = a.checked_add(b).ok_or_else(too_precise)?;
            Self::new(self.negative, sum, exponent)
        } else if a >= b {
            Self::new(self.negative, a - b, exponent)
        } else {
            Self::new(other.negative, b - a, exponent)
        }
    }

    /// `self - other`, exact.
    ///
    /// # Errors
    ///
    /// As [`Number::add`].
    pub fn sub(&self, other: &Number) -> Result<Number, Error> {
        let negated = Number { negative: !other.negative && !other.is_zero(), ..*other };
        self.add(&negated)
    }

    /// The value as a JSON number, as AppSync hands numbers to resolvers: an integer when it is
    /// one that fits 64 bits, a double otherwise.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        if self.exponent >= 0 {
            let whole = u32::try_from(self.exponent)
                .ok()
                .and_then(|e| 10u128.checked_pow(e))
                .and_then(|p| self.mantissa.checked_mul(p));
            if let Some(whole) = whole {
                if self.negative {
                    if let Ok(i) = i64::try_from(whole) {
                        return serde_json::Value::from(-i);
                    }
                } else if let Ok(u) = u64::try_from(whole) {
                    return serde_json::Value::from(u);
                }
            }
        }
        self.to_string()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)
    }

    /// The magnitude aligned to 38 digits, with the leading digit's exponent, for comparisons.
    fn aligned(&self) -> (i32, u128) {
        let digits = self.significant_digits();
        (self.exponent + digits as i32 - 1, self.mantissa * 10u128.pow(MAX_DIGITS - digits))
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |n: &Number| {
            if n.is_zero() {
                0
            } else if n.negative {
                -1
            } else {
                1
            }
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        if self.is_zero() {
            return Ordering::Equal;
        }
        let magnitude = self.aligned().cmp(&other.aligned());
        if self.negative { magnitude.reverse() } else { magnitude }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Number {
    /// Plain notation, as DynamoDB answers (`100`, `0.05`, `-1.5`), never an exponent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        let digits = self.mantissa.to_string();
        if self.exponent >= 0 {
            f.write_str(&digits)?;
            for _ in 0..self.exponent {
                f.write_str("0")?;
            }
            return Ok(());
        }
        let fraction = self.exponent.unsigned_abs() as usize;
        if digits.len() > fraction {
            let (whole, part) = digits.split_at(digits.len() - fraction);
            write!(f, "{whole}.{part}")
        } else {
            f.write_str("0.")?;
            for _ in 0..fraction - digits.len() {
                f.write_str("0")?;
            }
            f.write_str(&digits)
        }
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

impl std::str::FromStr for Number {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Number::parse(s)
    }
}

impl From<i64> for Number {
    fn from(value: i64) -> Self {
        let mut mantissa = u128::from(value.unsigned_abs());
        let mut exponent = 0;
        while mantissa != 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            exponent += 1;
        }
        if mantissa == 0 {
            return Number::ZERO;
        }
        Number { negative: value < 0, mantissa, exponent }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn parses_and_normalises() {
        assert_eq!(n("1.50").to_string(), "1.5");
        assert_eq!(n("-0").to_string(), "0");
        assert_eq!(n("1E+3").to_string(), "1000");
        assert_eq!(n(".05").to_string(), "0.05");
        assert_eq!(n("00012.3400").to_string(), "12.34");
        assert_eq!(
            n("12345678901234567890123456789012345678").to_string(),
            "12345678901234567890123456789012345678"
        );
        assert_eq!(n("1e125").to_string().len(), 126);
        for bad in ["", "-", "abc", "1..2", "1e", "1e+", "0x10", " 1", "1 "] {
            assert!(Number::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn enforces_range_and_precision() {
        assert!(
            Number::parse("123456789012345678901234567890123456789").unwrap_err().to_string().contains("38")
        );
        assert!(Number::parse("1e126").unwrap_err().to_string().contains("overflow"));
        assert!(Number::parse("1e-131").unwrap_err().to_string().contains("underflow"));
        assert!(Number::parse("1e-130").is_ok());
        assert!(Number::parse("9.9999999999999999999999999999999999999E+125").is_ok());
    }

    #[test]
    fn orders_numerically() {
        assert!(n("-10") < n("-9"));
        assert!(n("-1") < n("0"));
        assert!(n("0.001") < n("0.01"));
        assert!(n("9") < n("10"));
        assert!(n("1e10") > n("99999"));
        assert_eq!(n("2.0").cmp(&n("2")), Ordering::Equal);
    }

    #[test]
    fn adds_exactly() {
        assert_eq!(n("0.1").add(&n("0.2")).unwrap().to_string(), "0.3");
        assert_eq!(n("10").sub(&n("9.5")).unwrap().to_string(), "0.5");
        assert_eq!(n("-3").add(&n("3")).unwrap().to_string(), "0");
        assert_eq!(n("5").sub(&n("7")).unwrap().to_string(), "-2");
        assert!(n("1e100").add(&n("1")).is_err());
        assert!(n("9.9999999999999999999999999999999999999E+125").add(&n("1e125")).is_err());
    }
}
