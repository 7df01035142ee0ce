//! Deadlines are counted in calendar days where the business is, not in UTC: an order entered
//! at 07:00 in Hangzhou is still "today" there although it is yesterday in UTC.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

/// China Standard Time has no daylight saving, so a fixed offset is exact.
pub const BUSINESS_UTC_OFFSET_HOURS: i32 = 8;

pub fn business_offset() -> FixedOffset {
    FixedOffset::east_opt(BUSINESS_UTC_OFFSET_HOURS * 3600).expect("offset is within ±24h")
}

/// The calendar date of an instant in the business time zone. Callers compute `today` with
/// this from their own clock so that every deadline comparison uses the same calendar.
pub fn business_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&business_offset()).date_naive()
}

pub(crate) fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    date.checked_add_signed(Duration::days(days))
        .unwrap_or(if days < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn early_morning_in_china_is_already_the_next_day() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 23, 30, 0).unwrap();
        assert_eq!(
            business_date(at),
            NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
        );
    }
}
