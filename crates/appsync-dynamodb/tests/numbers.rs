//! DynamoDB numbers against exact integer arithmetic: sums, differences, order and the text
//! round trip, for decimals of up to 19 digits and 11 decimal places.

#![allow(clippy::unwrap_used, reason = "helpers of a test fail it with the message")]

use std::cmp::Ordering;

use appsync_dynamodb::Number;
use proptest::prelude::*;

/// `units / 10^scale` as DynamoDB text.
fn text(units: i64, scale: u32) -> String {
    let digits = units.unsigned_abs().to_string();
    let sign = if units < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale as usize + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale as usize);
    format!("{sign}{whole}.{fraction}")
}

/// Both values as integers of the same scale.
fn aligned(a: (i64, u32), b: (i64, u32)) -> (i128, i128, u32) {
    let scale = a.1.max(b.1);
    (i128::from(a.0) * 10i128.pow(scale - a.1), i128::from(b.0) * 10i128.pow(scale - b.1), scale)
}

fn from_i128(units: i128, scale: u32) -> Number {
    let digits = units.unsigned_abs().to_string();
    let sign = if units < 0 { "-" } else { "" };
    Number::parse(&format!("{sign}{digits}e-{scale}")).unwrap()
}

proptest! {
    #[test]
    fn arithmetic_and_order_are_exact(a in any::<i64>(), sa in 0u32..12, b in any::<i64>(), sb in 0u32..12) {
        let (x, y) = (Number::parse(&text(a, sa)).unwrap(), Number::parse(&text(b, sb)).unwrap());
        let (ia, ib, scale) = aligned((a, sa), (b, sb));
        prop_assert_eq!(x.add(&y).unwrap(), from_i128(ia + ib, scale));
        prop_assert_eq!(x.sub(&y).unwrap(), from_i128(ia - ib, scale));
        prop_assert_eq!(x.cmp(&y), ia.cmp(&ib));
        prop_assert_eq!(Number::parse(&x.to_string()).unwrap().cmp(&x), Ordering::Equal);
    }
}
