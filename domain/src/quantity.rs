//! How much of a product a line orders: 3 个, 1.5 吨, 0.25 公斤.
//!
//! Held as an integer count of thousandths (1.5 is 1500), not as a float and not as the typed
//! string: arithmetic stays exact without a decimal crate in the field bundle, "1.50" and "1.5"
//! are the same value (so "did the items change?" compares values, not spellings), and the type
//! is `Copy`. Three decimals cover the units offered (吨 to the kilogram, 米 to the millimetre).
//!
//! On the wire a whole quantity is the JSON number it always was (`"quantity": 3`). A line with
//! decimals is written by `LineItem` as `"quantity": 2, "quantity_exact": "1.5"`: the previous
//! app version reads `quantity` as a `u32` and would refuse a whole pull page over `1.5` or
//! `"1.5"` (wedging its sync), so it gets the nearest whole number and ignores the exact one.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::money::Money;

/// Thousandths of a unit; always positive once validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(u64);

const SCALE: u64 = 1000;
const DECIMALS: usize = 3;

impl Quantity {
    /// A million units: far above any real order line, and a million × the largest unit price
    /// still fits i64 fen.
    pub const MAX: Quantity = Quantity(1_000_000 * SCALE);
    pub const ONE: Quantity = Quantity(SCALE);

    pub const fn units(units: u32) -> Quantity {
        Quantity(units as u64 * SCALE)
    }

    pub const fn from_thousandths(thousandths: u64) -> Quantity {
        Quantity(thousandths)
    }

    pub const fn thousandths(self) -> u64 {
        self.0
    }

    pub const fn is_whole(self) -> bool {
        self.0.is_multiple_of(SCALE)
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The whole number when there are no decimals.
    pub fn whole(self) -> Option<u32> {
        if self.is_whole() {
            u32::try_from(self.0 / SCALE).ok()
        } else {
            None
        }
    }

    /// The nearest whole number (half up), at least 1: what the previous app version reads
    /// (it refuses 0 in its own checks and cannot hold decimals).
    pub fn legacy_whole(self) -> u32 {
        let rounded = (self.0 + SCALE / 2) / SCALE;
        u32::try_from(rounded).unwrap_or(u32::MAX).max(1)
    }

    /// `unit_price × self`, rounded half up to the fen (half away from zero for a negative
    /// price, which validation refuses anyway); `Overflow` when it does not fit. The whole
    /// units multiply exactly, so only the fraction's share needs rounding: no i128 (its
    /// division would be one more routine in every bundle).
    pub fn times(self, unit_price: Money) -> Result<Money, DomainError> {
        let whole = i64::try_from(self.0 / SCALE).map_err(|_| DomainError::Overflow)?;
        // Below 1000, so this overflows only for prices above ¥92 trillion.
        let fraction = (self.0 % SCALE) as i64;
        let scale = SCALE as i64;
        let whole_part = unit_price.0.checked_mul(whole);
        let fraction_part = unit_price.0.checked_mul(fraction).map(|thousandths| {
            if thousandths >= 0 {
                (thousandths + scale / 2) / scale
            } else {
                (thousandths - scale / 2) / scale
            }
        });
        whole_part
            .zip(fraction_part)
            .and_then(|(whole, fraction)| whole.checked_add(fraction))
            .map(Money)
            .ok_or(DomainError::Overflow)
    }

    /// Parses what people type: "3", "1.5", "1.50", "0.25", fullwidth "３" or "１．５" (what a
    /// Chinese keyboard in fullwidth mode gives). A comma is refused, not guessed: "1,5" is a
    /// decimal comma to some and "1,500" a thousands separator to others. Negative numbers,
    /// exponents, more than three decimals, zero and more than [`Quantity::MAX`] are refused.
    pub fn parse(input: &str) -> Result<Quantity, DomainError> {
        let normalized: String = input
            .trim()
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                '．' => '.',
                other => other,
            })
            .collect();
        let s = normalized.as_str();
        if s.is_empty() {
            return Err(invalid("不能为空", "is required"));
        }
        if s.contains(',') || s.contains('，') {
            return Err(invalid(
                "请用小数点“.”，不要用逗号",
                "takes a decimal point “.”, not a comma",
            ));
        }
        let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || s.ends_with('.') {
            return Err(positive_with_three_decimals());
        }
        if fraction.len() > DECIMALS {
            return Err(positive_with_three_decimals());
        }
        let mut thousandths: u64 = 0;
        for b in whole.bytes() {
            thousandths = thousandths
                .checked_mul(10)
                .and_then(|t| t.checked_add(u64::from(b - b'0')))
                .filter(|t| *t <= Self::MAX.0)
                .ok_or_else(too_large)?;
        }
        thousandths = thousandths.checked_mul(SCALE).ok_or_else(too_large)?;
        let mut place = SCALE;
        for b in fraction.bytes() {
            place /= 10;
            thousandths += u64::from(b - b'0') * place;
        }
        Quantity(thousandths).checked()
    }

    /// Positive and at most [`Quantity::MAX`]; the rules every stored line keeps.
    pub fn checked(self) -> Result<Quantity, DomainError> {
        if self.is_zero() {
            return Err(positive_with_three_decimals());
        }
        if self > Self::MAX {
            return Err(too_large());
        }
        Ok(self)
    }
}

fn invalid(zh: &str, en: &str) -> DomainError {
    DomainError::invalid("items", format!("数量{zh}"), format!("Quantity {en}"))
}

fn positive_with_three_decimals() -> DomainError {
    invalid(
        "须大于 0，最多 3 位小数",
        "must be greater than 0, with at most 3 decimals",
    )
}

fn too_large() -> DomainError {
    invalid(
        &format!("不能超过 {}", Quantity::MAX),
        &format!("must not exceed {}", Quantity::MAX),
    )
}

/// "3", "1.5", "0.25": no trailing zeros, no thousands separators.
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / SCALE;
        let fraction = self.0 % SCALE;
        if fraction == 0 {
            return write!(f, "{whole}");
        }
        let digits = format!("{fraction:03}");
        write!(f, "{whole}.{}", digits.trim_end_matches('0'))
    }
}

/// A whole quantity is a JSON number, one with decimals a string ("1.5"); both read back.
/// (`LineItem` writes its own, older-reader-friendly form; this one is for other shapes.)
impl Serialize for Quantity {
    fn serialize<S: serde::Serializer>(&self, to: S) -> Result<S::Ok, S::Error> {
        match self.whole() {
            Some(units) => to.serialize_u32(units),
            None => to.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(from: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Units(u32),
            Text(String),
        }
        match Form::deserialize(from)? {
            Form::Units(units) => Ok(Quantity::units(units)),
            Form::Text(text) => Quantity::parse(&text)
                .map_err(|_| serde::de::Error::custom("quantity: a positive decimal")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LineItem;

    fn q(text: &str) -> Quantity {
        Quantity::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"))
    }

    #[test]
    fn typed_quantities_parse_exactly() {
        assert_eq!(q("3"), Quantity::units(3));
        assert_eq!(q("1.5"), Quantity::from_thousandths(1500));
        assert_eq!(q("1.50"), q("1.5"));
        assert_eq!(q("0.25"), Quantity::from_thousandths(250));
        assert_eq!(q(" 0.001 "), Quantity::from_thousandths(1));
        assert_eq!(q("３"), Quantity::units(3));
        assert_eq!(q("１．５"), q("1.5"));
        assert_eq!(q("1000000"), Quantity::MAX);
    }

    #[test]
    fn malformed_quantities_are_refused_with_a_reason() {
        for bad in [
            "", " ", "0", "0.000", "-1", "1e3", "1.2345", ".5", "1.", "abc", "1.5吨", "1 5", "+1",
            "1.2.3",
        ] {
            let err = Quantity::parse(bad).unwrap_err();
            assert_eq!(err.code(), "invalid", "{bad:?}");
        }
        let comma = Quantity::parse("1,5").unwrap_err();
        assert!(
            comma.message(crate::Lang::Zh).contains("小数点"),
            "{comma:?}"
        );
        let zero = Quantity::parse("0").unwrap_err();
        assert_eq!(zero.message(crate::Lang::Zh), "数量须大于 0，最多 3 位小数");
        let huge = Quantity::parse("1000000.001").unwrap_err();
        assert!(huge.message(crate::Lang::En).contains("exceed"), "{huge:?}");
        assert!(Quantity::parse("99999999999999999999999").is_err());
    }

    #[test]
    fn quantities_show_without_trailing_zeros() {
        assert_eq!(q("1.50").to_string(), "1.5");
        assert_eq!(q("3").to_string(), "3");
        assert_eq!(q("3.000").to_string(), "3");
        assert_eq!(q("0.25").to_string(), "0.25");
        assert_eq!(q("2.005").to_string(), "2.005");
    }

    #[test]
    fn amounts_round_half_up_to_the_fen() {
        assert_eq!(q("1.5").times(Money(1230)), Ok(Money(1845)));
        // 0.333 × ¥0.15 = 4.995 fen → 5 fen; 0.001 × ¥0.04 = 0.04 fen → 0.
        assert_eq!(q("0.333").times(Money(15)), Ok(Money(5)));
        assert_eq!(q("0.001").times(Money(4)), Ok(Money(0)));
        assert_eq!(q("0.001").times(Money(500)), Ok(Money(1)));
        assert_eq!(q("0.001").times(Money(499)), Ok(Money(0)));
        assert_eq!(q("3").times(Money(500)), Ok(Money(1500)));
        assert_eq!(
            q("2.5").times(Money(-3)),
            Ok(Money(-8)),
            "half away from zero"
        );
        assert_eq!(
            Quantity::MAX.times(LineItem::MAX_UNIT_PRICE),
            Ok(Money(1_000_000_000_000_000_000))
        );
        assert_eq!(
            Quantity::MAX.times(Money(i64::MAX)),
            Err(DomainError::Overflow)
        );
    }

    #[test]
    fn the_previous_app_version_gets_the_nearest_whole_number() {
        assert_eq!(q("1.5").legacy_whole(), 2);
        assert_eq!(q("1.499").legacy_whole(), 1);
        assert_eq!(q("0.25").legacy_whole(), 1);
        assert_eq!(q("7").legacy_whole(), 7);
    }

    #[test]
    fn serde_writes_whole_numbers_as_numbers_and_decimals_as_text() {
        assert_eq!(serde_json::to_string(&q("3")).unwrap(), "3");
        assert_eq!(serde_json::to_string(&q("1.50")).unwrap(), "\"1.5\"");
        assert_eq!(serde_json::from_str::<Quantity>("3").unwrap(), q("3"));
        assert_eq!(
            serde_json::from_str::<Quantity>("\"1.5\"").unwrap(),
            q("1.5")
        );
        assert!(serde_json::from_str::<Quantity>("1.5").is_err());
        assert!(serde_json::from_str::<Quantity>("\"-1\"").is_err());
    }
}
