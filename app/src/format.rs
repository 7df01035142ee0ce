//! How dates, times and money look to people: zh-CN by default (2026年11月26日, ¥1,234.50).

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use domain::{business_date, business_offset, Lang, Money};

use crate::i18n::td_string;

// Dates and times are written field by field rather than with chrono's `format("%Y…")`: its
// strftime parser and formatter are ~4 KB gzip of the field bundle, and these are all it served.

pub fn date(date: NaiveDate, lang: Lang) -> String {
    domain::i18n::date_text(date, lang)
}

/// A moment in business time (China, UTC+8), the same clock deadlines use.
pub fn date_time(at: DateTime<Utc>, lang: Lang) -> String {
    let local = at.with_timezone(&business_offset());
    format!("{} {}", date(local.date_naive(), lang), clock(at))
}

/// A duration for people: hours under a day, else days with one decimal.
pub fn duration(minutes: i64, lang: Lang) -> String {
    if minutes < 24 * 60 {
        let hours = (minutes + 30) / 60;
        td_string!(crate::locale::locale_of(lang), duration_hours, hours).to_string()
    } else {
        let days = minutes as f64 / (24.0 * 60.0);
        let days = format!("{days:.1}");
        td_string!(crate::locale::locale_of(lang), duration_days, days).to_string()
    }
}

pub fn money(amount: Money) -> String {
    amount.format_cny()
}

pub fn today() -> NaiveDate {
    business_date(Utc::now())
}

/// A time of day in business time (10:42), for "synced at".
pub fn clock(at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&business_offset());
    format!("{:02}:{:02}", local.hour(), local.minute())
}
