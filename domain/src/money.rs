use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// An amount in fen (分, ¥0.01). Integers only: floats cannot represent ¥0.10 exactly and
/// finance reconciles to the fen.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    /// For amounts written in code (demo data, tests): `from_yuan_fen(12, 50)` is ¥12.50.
    /// The fen carry the same sign as the yuan, so -¥12.50 is `from_yuan_fen(-12, -50)`.
    /// Overflow panics like an integer literal that does not fit; untrusted input goes
    /// through [`Money::parse_yuan`] or [`Money::checked_from_yuan_fen`] instead.
    pub const fn from_yuan_fen(yuan: i64, fen: i64) -> Money {
        match combine(yuan, fen) {
            Some(total) => Money(total),
            None => panic!("Money::from_yuan_fen overflow"),
        }
    }

    pub fn checked_from_yuan_fen(yuan: i64, fen: i64) -> Result<Money, DomainError> {
        combine(yuan, fen).map(Money).ok_or(DomainError::Overflow)
    }

    pub const fn fen(self) -> i64 {
        self.0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn checked_add(self, other: Money) -> Result<Money, DomainError> {
        self.0
            .checked_add(other.0)
            .map(Money)
            .ok_or(DomainError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, DomainError> {
        self.0
            .checked_sub(other.0)
            .map(Money)
            .ok_or(DomainError::Overflow)
    }

    pub fn checked_mul(self, factor: u32) -> Result<Money, DomainError> {
        self.0
            .checked_mul(i64::from(factor))
            .map(Money)
            .ok_or(DomainError::Overflow)
    }

    /// "¥1,234.50"; negative amounts read "-¥1,234.50" as Chinese invoices print them.
    pub fn format_cny(&self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        // unsigned_abs because i64::MIN has no positive counterpart.
        let abs = self.0.unsigned_abs();
        let yuan = (abs / 100).to_string();
        let mut grouped = String::with_capacity(yuan.len() + yuan.len() / 3);
        for (i, digit) in yuan.chars().enumerate() {
            if i > 0 && (yuan.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        format!("{sign}¥{grouped}.{:02}", abs % 100)
    }

    /// Parses what people type into an amount field: "12", "12.5", "12.50", "1,234.56",
    /// optionally prefixed by ¥/￥. Negative amounts, more than two decimals, misplaced
    /// thousands separators and anything else are refused rather than guessed.
    pub fn parse_yuan(input: &str) -> Result<Money, DomainError> {
        let invalid = |zh: &str, en: &str| {
            DomainError::invalid("amount", format!("金额{zh}"), format!("Amount {en}"))
        };
        let s = input.trim();
        let s = s
            .strip_prefix('¥')
            .or_else(|| s.strip_prefix('￥'))
            .unwrap_or(s)
            .trim_start();
        if s.is_empty() {
            return Err(invalid("不能为空", "is required"));
        }
        if s.starts_with('-') {
            return Err(invalid("不能为负数", "must not be negative"));
        }
        let (int_part, frac_part) = match s.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (s, None),
        };
        let not_a_number = || invalid("格式不正确，例如 1,234.50", "must look like 1,234.50");
        let groups: Vec<&str> = int_part.split(',').collect();
        let well_grouped = groups.len() == 1
            || ((1..=3).contains(&groups[0].len()) && groups[1..].iter().all(|g| g.len() == 3));
        if int_part.is_empty()
            || !well_grouped
            || !groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(not_a_number());
        }
        let fen = match frac_part {
            None => 0,
            Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(not_a_number())
            }
            Some(f) if f.len() > 2 => {
                return Err(invalid("最多两位小数", "must have at most two decimals"))
            }
            Some(f) => {
                let digits = f.as_bytes();
                let tens = i64::from(digits[0] - b'0') * 10;
                let units = digits.get(1).map_or(0, |d| i64::from(d - b'0'));
                tens + units
            }
        };
        let mut yuan: i64 = 0;
        for b in groups.concat().bytes() {
            yuan = yuan
                .checked_mul(10)
                .and_then(|y| y.checked_add(i64::from(b - b'0')))
                .ok_or(DomainError::Overflow)?;
        }
        Money::checked_from_yuan_fen(yuan, fen)
    }
}

const fn combine(yuan: i64, fen: i64) -> Option<i64> {
    match yuan.checked_mul(100) {
        Some(y) => y.checked_add(fen),
        None => None,
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_cny())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_and_fen_combine_into_fen() {
        assert_eq!(Money::from_yuan_fen(12, 50), Money(1250));
        assert_eq!(Money::from_yuan_fen(-12, -50), Money(-1250));
    }

    #[test]
    fn amounts_format_with_thousands_separators_and_two_decimals() {
        assert_eq!(Money(123_450).format_cny(), "¥1,234.50");
        assert_eq!(Money(0).format_cny(), "¥0.00");
        assert_eq!(Money(5).format_cny(), "¥0.05");
        assert_eq!(Money(100_000_000).format_cny(), "¥1,000,000.00");
        assert_eq!(Money(99_999).format_cny(), "¥999.99");
    }

    #[test]
    fn negative_amounts_put_the_sign_before_the_currency() {
        assert_eq!(Money(-123_450).format_cny(), "-¥1,234.50");
        assert!(Money(i64::MIN)
            .format_cny()
            .starts_with("-¥92,233,720,368,547,758.08"));
    }

    #[test]
    fn typed_amounts_parse_into_fen() {
        assert_eq!(Money::parse_yuan("12").unwrap(), Money(1200));
        assert_eq!(Money::parse_yuan("12.5").unwrap(), Money(1250));
        assert_eq!(Money::parse_yuan("12.50").unwrap(), Money(1250));
        assert_eq!(Money::parse_yuan(" 1,234.56 ").unwrap(), Money(123_456));
        assert_eq!(Money::parse_yuan("¥0.05").unwrap(), Money(5));
        assert_eq!(Money::parse_yuan("1,000,000").unwrap(), Money(100_000_000));
    }

    #[test]
    fn malformed_amounts_are_rejected() {
        for bad in [
            "", "  ", "-5", "12.345", "abc", "12a", "1,23", "12,", ".5", "12.", "1.2.3", "1 000",
            "１２",
        ] {
            let err = Money::parse_yuan(bad).unwrap_err();
            assert_eq!(err.code(), "invalid", "{bad:?} should be invalid");
        }
    }

    #[test]
    fn absurdly_large_amounts_are_an_overflow_not_a_wraparound() {
        assert_eq!(
            Money::parse_yuan("99999999999999999999"),
            Err(DomainError::Overflow)
        );
        assert_eq!(
            Money(i64::MAX).checked_add(Money(1)),
            Err(DomainError::Overflow)
        );
        assert_eq!(Money(i64::MAX).checked_mul(2), Err(DomainError::Overflow));
    }

    #[test]
    fn formatting_then_parsing_gives_the_same_amount() {
        for fen in [0, 1, 10, 99, 100, 123_456, 987_654_321_012] {
            let m = Money(fen);
            assert_eq!(Money::parse_yuan(&m.format_cny()).unwrap(), m);
        }
    }

    #[test]
    fn money_serializes_as_a_bare_integer() {
        assert_eq!(serde_json::to_string(&Money(1250)).unwrap(), "1250");
    }
}
