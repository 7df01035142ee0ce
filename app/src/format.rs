//! How dates, times and money look to people: zh-CN by default (2026年11月26日, ¥1,234.50).

use chrono::{DateTime, NaiveDate, Utc};
use domain::{business_date, business_offset, Lang, Money};

use crate::i18n::td_string;

pub fn date(date: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Zh => date.format("%Y年%-m月%-d日").to_string(),
        Lang::En => date.format("%Y-%m-%d").to_string(),
    }
}

/// A moment in business time (China, UTC+8), the same clock deadlines use.
pub fn date_time(at: DateTime<Utc>, lang: Lang) -> String {
    let local = at.with_timezone(&business_offset());
    match lang {
        Lang::Zh => local.format("%Y年%-m月%-d日 %H:%M").to_string(),
        Lang::En => local.format("%Y-%m-%d %H:%M").to_string(),
    }
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
    at.with_timezone(&business_offset())
        .format("%H:%M")
        .to_string()
}
