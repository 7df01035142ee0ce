//! Cell values as people type them into spreadsheets: dates in five spellings or as Excel's
//! serial numbers, amounts with ¥, separators or 万, phone numbers Excel turned into numbers.
//! Each parser refuses what it cannot read exactly, with a sentence saying what it expected.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::i18n::Localized;
use crate::money::Money;
use crate::quantity::Quantity;

/// One cell as the reader gives it. Readers that know a cell is a date (an xlsx date format)
/// give `Date`; a date typed as a number in a CSV arrives as `Number` or `Text`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as text, the way it reads on screen (whole numbers without ".0").
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) => text.trim().to_string(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Date(date) => date.format("%Y-%m-%d").to_string(),
            Cell::Bool(b) => b.to_string(),
        }
    }
}

fn refuse(zh: impl Into<String>, en: impl Into<String>) -> Localized {
    Localized::new(zh, en)
}

/// Serial numbers a spreadsheet date can plausibly have: 1954-10-05 … 2119-01-16. Outside this
/// a number in a date column is a mistake, not a date.
const SERIAL_RANGE: std::ops::RangeInclusive<f64> = 20_000.0..=80_000.0;

/// Excel's day 0 is 1899-12-30 for every serial after its fictitious 1900-02-29 (serial 60),
/// which is all of `SERIAL_RANGE`. The time of day (the fraction) is dropped.
pub fn excel_serial_date(serial: f64) -> Option<NaiveDate> {
    if !SERIAL_RANGE.contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(Duration::days(serial.floor() as i64))
}

pub fn parse_date(cell: &Cell) -> Result<Option<NaiveDate>, Localized> {
    let bad = |shown: &str| {
        refuse(
            format!("日期“{shown}”无法识别，请写成 2026-01-05"),
            format!("cannot read the date “{shown}”; write it as 2026-01-05"),
        )
    };
    match cell {
        Cell::Empty => Ok(None),
        Cell::Date(date) => Ok(Some(*date)),
        Cell::Number(n) => excel_serial_date(*n)
            .map(Some)
            .ok_or_else(|| bad(&cell.text())),
        Cell::Bool(_) => Err(bad(&cell.text())),
        Cell::Text(text) => {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            parse_date_text(text).map(Some).ok_or_else(|| bad(text))
        }
    }
}

fn parse_date_text(text: &str) -> Option<NaiveDate> {
    // A time after the date ("2026-01-05 00:00:00", "2026/1/5 9:30") does not matter here.
    let date_part = text.split([' ', 'T']).next().unwrap_or(text);
    if let Ok(serial) = date_part.parse::<f64>() {
        if date_part.len() == 8 && !date_part.contains('.') {
            return NaiveDate::parse_from_str(date_part, "%Y%m%d").ok();
        }
        return excel_serial_date(serial);
    }
    let numbers: Vec<&str> = date_part
        .split(['/', '-', '.', '年', '月', '日'])
        .filter(|part| !part.is_empty())
        .collect();
    let [year, month, day] = numbers.as_slice() else {
        return None;
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if year.len() != 4 || !all_digits(year) || !all_digits(month) || !all_digits(day) {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// An amount in fen from "¥1,234.50", "1234.5元", "1.5万", "12,000" or a number cell. More than
/// two decimals of a yuan (after 万) are refused: finance reconciles to the fen.
pub fn parse_amount(cell: &Cell) -> Result<Option<Money>, Localized> {
    let text = match cell {
        Cell::Empty => return Ok(None),
        Cell::Number(n) => {
            let fen = (n * 100.0).round();
            if !n.is_finite() || (n * 100.0 - fen).abs() > 1e-6 || fen.abs() > 9e15 {
                return Err(refuse(
                    format!("金额“{n}”最多两位小数"),
                    format!("the amount “{n}” has more than two decimals"),
                ));
            }
            if fen < 0.0 {
                return Err(refuse("金额不能为负数", "the amount must not be negative"));
            }
            return Ok(Some(Money(fen as i64)));
        }
        Cell::Text(text) if text.trim().is_empty() => return Ok(None),
        Cell::Text(text) => text.trim(),
        Cell::Date(_) | Cell::Bool(_) => {
            return Err(refuse(
                format!("金额“{}”不是数字", cell.text()),
                format!("the amount “{}” is not a number", cell.text()),
            ))
        }
    };
    let bad = || {
        refuse(
            format!("金额“{text}”无法识别，例如 ¥1,234.50 或 1.5万"),
            format!("cannot read the amount “{text}”; e.g. ¥1,234.50 or 1.5万"),
        )
    };
    let mut s: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '¥' | '￥' | ',' | '，'))
        .collect();
    s = s
        .strip_suffix('元')
        .map(str::to_string)
        .unwrap_or(s)
        .to_lowercase();
    if let Some(rest) = s.strip_prefix("rmb").or_else(|| s.strip_prefix("cny")) {
        s = rest.to_string();
    }
    // Fen per unit of the typed number: 100 for yuan, 1,000,000 for 万.
    let (digits, fen_per_unit) = match s.strip_suffix('万') {
        Some(rest) => (rest.to_string(), 1_000_000i128),
        None => (s, 100),
    };
    if digits.starts_with('-') {
        return Err(refuse("金额不能为负数", "the amount must not be negative"));
    }
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((&digits, ""));
    let numeric = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() || !numeric(int_part) || !numeric(frac_part) || frac_part.len() > 12 {
        return Err(bad());
    }
    let mantissa: i128 = format!("{int_part}{frac_part}")
        .parse()
        .map_err(|_| bad())?;
    let scale = 10i128.pow(frac_part.len() as u32);
    let scaled = mantissa.checked_mul(fen_per_unit).ok_or_else(bad)?;
    if scaled % scale != 0 {
        return Err(refuse(
            format!("金额“{text}”精确到分以下，最多两位小数"),
            format!("the amount “{text}” is finer than a fen"),
        ));
    }
    i64::try_from(scaled / scale)
        .map(|fen| Some(Money(fen)))
        .map_err(|_| bad())
}

/// A phone number as text. Excel stores a typed 13812345678 as a number, and a CSV that passed
/// through Excel may hold it as "1.38123E+10", which has lost digits: refused, not guessed.
pub fn parse_phone(cell: &Cell) -> Result<String, Localized> {
    match cell {
        Cell::Number(n) if n.fract() == 0.0 && *n >= 0.0 && *n < 1e15 => {
            Ok(format!("{}", *n as i64))
        }
        Cell::Text(text) if text.contains(['E', 'e']) && text.trim().parse::<f64>().is_ok() => {
            Err(refuse(
                format!("电话“{}”被 Excel 存成了科学计数法，数字已丢失，请把该列设为文本后重填", text.trim()),
                format!("the phone “{}” was saved by Excel in scientific notation and lost digits; format the column as text and retype it", text.trim()),
            ))
        }
        other => Ok(other.text()),
    }
}

/// A quantity and the unit typed after it ("100箱" is 100 and 箱, "1.5 吨" is 1.5 and 吨).
/// Commas are thousands separators here, as exports and accounting sheets write them; a
/// number cell is read as Excel shows it (the shortest decimal that is the same float).
pub fn parse_quantity(cell: &Cell) -> Result<Option<(Quantity, String)>, Localized> {
    let bad = || {
        refuse(
            format!("数量“{}”须大于 0，最多 3 位小数", cell.text()),
            format!(
                "the quantity “{}” must be greater than 0, with at most 3 decimals",
                cell.text()
            ),
        )
    };
    match cell {
        Cell::Empty => Ok(None),
        Cell::Number(n) if n.is_finite() && *n > 0.0 => Quantity::parse(&format!("{n}"))
            .map(|q| Some((q, String::new())))
            .map_err(|_| bad()),
        Cell::Text(text) => {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            let number_end = text
                .char_indices()
                .find(|(_, c)| !(c.is_ascii_digit() || *c == ',' || *c == '.'))
                .map_or(text.len(), |(i, _)| i);
            let number: String = text[..number_end].chars().filter(|c| *c != ',').collect();
            let unit = text[number_end..].trim();
            if number.is_empty() || unit.chars().any(|c| c.is_ascii_digit() || c == '.') {
                return Err(bad());
            }
            let quantity = Quantity::parse(&number).map_err(|_| bad())?;
            Ok(Some((quantity, unit.to_string())))
        }
        _ => Err(bad()),
    }
}

/// What makes Excel (and LibreOffice, WPS) read a CSV cell as a formula, plus the apostrophe
/// itself so that the escape below can always be undone.
const FORMULA_STARTS: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// Text for a CSV cell that no spreadsheet runs as a formula: anyone's typing (a company name,
/// a customer's after-sales text) reaches finance's Excel, where `=HYPERLINK(…)` would run. A
/// leading apostrophe makes it text (OWASP's advice for CSV injection); numbers and dates are
/// written by the exporter as such and never pass through here.
pub fn csv_escape(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// A CSV cell as it was before `csv_escape`, so an exported file imports back unchanged. An
/// apostrophe someone typed before anything else stays.
pub fn csv_unescape(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_that_would_run_as_formulas_get_an_apostrophe_that_import_takes_off() {
        for typed in [
            "=HYPERLINK(\"http://evil.example\",\"看\")",
            "+86 138",
            "-李四",
            "@SUM(A1)",
            "\tcmd",
            "'引号开头",
            "''两个",
        ] {
            let written = csv_escape(typed);
            assert!(written.starts_with('\''), "{typed}");
            assert_eq!(csv_unescape(&written), typed);
        }
        for plain in ["杭州明远贸易", "13900001111", "", "a=b", "'abc"] {
            if !plain.starts_with('\'') {
                assert_eq!(csv_escape(plain), plain);
            }
            // Typed by a person into a CSV, not escaped by us: kept as it is.
            assert_eq!(csv_unescape(plain), plain);
        }
    }

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn dates_in_every_spelling_people_use() {
        for typed in [
            "2026/1/5",
            "2026-01-05",
            "2026年1月5日",
            "2026.1.5",
            "2026-01-05 00:00:00",
            "20260105",
            "46027",
        ] {
            assert_eq!(parse_date(&text(typed)), Ok(date(2026, 1, 5)), "{typed}");
        }
        assert_eq!(parse_date(&Cell::Number(46027.0)), Ok(date(2026, 1, 5)));
        assert_eq!(parse_date(&Cell::Number(46027.75)), Ok(date(2026, 1, 5)));
        assert_eq!(
            parse_date(&Cell::Date(date(2026, 1, 5).unwrap())),
            Ok(date(2026, 1, 5))
        );
        assert_eq!(parse_date(&Cell::Empty), Ok(None));
        assert_eq!(parse_date(&text("  ")), Ok(None));
    }

    #[test]
    fn excel_serials_count_from_its_1900_calendar() {
        // Excel shows 45658 as 2025-01-01 and 2958465 is out of any plausible range.
        assert_eq!(excel_serial_date(45658.0), date(2025, 1, 1));
        assert_eq!(excel_serial_date(2_958_465.0), None);
        assert_eq!(excel_serial_date(12.0), None);
    }

    #[test]
    fn impossible_or_ambiguous_dates_are_refused() {
        for typed in ["2026/2/30", "1/5/2026", "明天", "2026-13-01", "26/1/5", "5"] {
            let err = parse_date(&text(typed)).unwrap_err();
            assert!(err.zh.contains(typed), "{typed}: {}", err.zh);
        }
        assert!(parse_date(&Cell::Number(5.0)).is_err());
    }

    #[test]
    fn amounts_as_typed() {
        let fen = |cell: Cell| parse_amount(&cell).unwrap().unwrap().0;
        assert_eq!(fen(text("¥1,234.50")), 123_450);
        assert_eq!(fen(text("￥ 12,000")), 1_200_000);
        assert_eq!(fen(text("1234.5元")), 123_450);
        assert_eq!(fen(text("1.5万")), 1_500_000);
        assert_eq!(fen(text("3万")), 3_000_000);
        assert_eq!(fen(text("1.23456万")), 1_234_560);
        assert_eq!(fen(Cell::Number(12.3)), 1230);
        assert_eq!(fen(Cell::Number(0.1 + 0.2)), 30);
        assert_eq!(parse_amount(&Cell::Empty), Ok(None));
    }

    #[test]
    fn amounts_that_cannot_be_exact_are_refused() {
        for bad in [
            text("12.345"),
            text("1.2345678万"),
            text("-5"),
            text("abc"),
            text("12元5角"),
            Cell::Number(1.005),
            Cell::Number(-3.0),
            Cell::Bool(true),
        ] {
            assert!(parse_amount(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn phones_stored_as_numbers_read_back_whole() {
        assert_eq!(
            parse_phone(&Cell::Number(13_812_345_678.0)),
            Ok("13812345678".into())
        );
        assert_eq!(
            parse_phone(&text(" 0571-8888 6666 ")),
            Ok("0571-8888 6666".into())
        );
        let err = parse_phone(&text("1.38123E+10")).unwrap_err();
        assert!(err.zh.contains("科学计数法"));
    }

    #[test]
    fn quantities_with_units() {
        let units = |n| Some((Quantity::units(n), String::new()));
        assert_eq!(parse_quantity(&Cell::Number(100.0)), Ok(units(100)));
        assert_eq!(
            parse_quantity(&text("1,200 箱")),
            Ok(Some((Quantity::units(1200), "箱".into())))
        );
        let exact = |t: &str| Quantity::parse(t).unwrap();
        assert_eq!(
            parse_quantity(&text("1.5 吨")),
            Ok(Some((exact("1.5"), "吨".into())))
        );
        assert_eq!(
            parse_quantity(&Cell::Number(2.5)),
            Ok(Some((exact("2.5"), String::new())))
        );
        assert_eq!(
            parse_quantity(&Cell::Number(0.1)),
            Ok(Some((exact("0.1"), String::new())))
        );
        assert_eq!(parse_quantity(&text("")), Ok(None));
        for bad in [
            text("-2"),
            text("箱"),
            text("0"),
            text("1.2345"),
            text("1.5.1 吨"),
            Cell::Number(0.0),
            Cell::Number(1.0001),
            Cell::Number(-3.0),
        ] {
            assert!(parse_quantity(&bad).is_err(), "{bad:?}");
        }
    }
}
