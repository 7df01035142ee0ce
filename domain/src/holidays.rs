//! Working days in mainland China: Monday to Friday, less the statutory holidays, plus the
//! make-up working days (调休) the State Council moves onto weekends around them. The dates
//! are data, one [`HolidayYear`] per year, because they are announced a year at a time
//! (usually in November) and are not computable: an admin can replace a year, and phones
//! receive it like the process. A stage whose SLA counts in working days
//! (`StageDef::sla_working_days`) has its deadline counted here.
//!
//! Shipped: 2026 as announced (国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04). 2027's
//! schedule was not available when this was written, so 2027 ships *provisional*: only the
//! statutory days themselves (元旦 1, 春节 4: 除夕 to 初三, 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3
//! per the 2024 revision of 全国年节及纪念日放假办法), without bridging days or 调休, until an
//! admin enters the published notice. A year with no data counts Monday to Friday.
//!
//! The company's calendar lives in D1 (`holiday_years`, seeded with the shipped years) as a
//! [`HolidayCalendar`]: admins edit a year ([`HolidayYear::mark`], [`HolidayYear::from_input`],
//! [`HolidayYear::check_editable`]), pulls carry it to phones when its `version` grows, and
//! `Processes::with_calendar` makes every deadline count on it. Nothing here is global: the
//! calendar is always passed in.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// One year's days off and make-up working days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayYear {
    pub year: i32,
    /// Days off that would otherwise be working days, and the weekend days inside a holiday.
    pub holidays: BTreeSet<NaiveDate>,
    /// Weekend days worked to make up for the holidays (调休上班).
    pub workdays: BTreeSet<NaiveDate>,
    /// True while the official schedule is not in: statutory days only, no 调休.
    #[serde(default)]
    pub provisional: bool,
}

/// Most days off one year can list (the statutory ones with their bridges are about 30).
const MAX_DAYS_PER_YEAR: usize = 60;

impl HolidayYear {
    /// Checks a year an admin entered: every date in that year, none listed as both, make-up
    /// days on weekends only, and a sane number of them.
    pub fn check(&self) -> Result<(), DomainError> {
        if !(2000..=2100).contains(&self.year) {
            return Err(DomainError::invalid(
                "year",
                "年份须在 2000 到 2100 之间",
                "The year must be between 2000 and 2100",
            ));
        }
        for (field, dates) in [("holidays", &self.holidays), ("workdays", &self.workdays)] {
            if dates.len() > MAX_DAYS_PER_YEAR {
                return Err(too_many(field));
            }
            if let Some(outside) = dates.iter().find(|d| d.year() != self.year) {
                return Err(DomainError::invalid(
                    field,
                    format!("{outside} 不在 {} 年", self.year),
                    format!("{outside} is not in {}", self.year),
                ));
            }
        }
        if let Some(both) = self.holidays.intersection(&self.workdays).next() {
            return Err(DomainError::invalid(
                "workdays",
                format!("{both} 不能既放假又上班"),
                format!("{both} cannot be both a holiday and a working day"),
            ));
        }
        if let Some(weekday) = self.workdays.iter().find(|d| !is_weekend(**d)) {
            return Err(DomainError::invalid(
                "workdays",
                format!("{weekday} 本来就是工作日，调休上班只能在周末"),
                format!("{weekday} is a weekday already: make-up working days fall on weekends"),
            ));
        }
        Ok(())
    }
}

/// What the editor makes of each day in a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// 放假: a day off (weekend days inside a holiday included).
    Holiday,
    /// 调休上班: a weekend day worked. Weekdays in the range are working days already.
    Workday,
    /// 正常: back to Monday to Friday.
    Normal,
}

/// Years an admin may enter, around the current one: last year (overdue figures still read
/// it) to two years ahead (notices come a year at a time). Anything further is a typo.
const EDITABLE_YEARS_BEHIND: i32 = 1;
const EDITABLE_YEARS_AHEAD: i32 = 2;

impl HolidayYear {
    /// A year with no holidays and no make-up days (Monday to Friday).
    pub fn empty(year: i32) -> HolidayYear {
        HolidayYear {
            year,
            holidays: BTreeSet::new(),
            workdays: BTreeSet::new(),
            provisional: false,
        }
    }

    /// Marks every day from `from` to `to` (inclusive, either order, clipped to this year) as
    /// `kind`. A day is never both: marking it one thing takes it off the other list.
    pub fn mark(&mut self, from: NaiveDate, to: NaiveDate, kind: DayKind) {
        let (first, last) = if from <= to { (from, to) } else { (to, from) };
        for date in first.iter_days().take_while(|d| *d <= last) {
            if date.year() != self.year {
                continue;
            }
            self.holidays.remove(&date);
            self.workdays.remove(&date);
            match kind {
                DayKind::Holiday => {
                    self.holidays.insert(date);
                }
                DayKind::Workday if is_weekend(date) => {
                    self.workdays.insert(date);
                }
                DayKind::Workday | DayKind::Normal => {}
            }
        }
    }

    /// What an admin sent for `year`: dates as `YYYY-MM-DD` text, each refused by its field
    /// when it is not a date, then the whole year checked (see [`HolidayYear::check`]).
    pub fn from_input(
        year: i32,
        holidays: &[String],
        workdays: &[String],
        provisional: bool,
    ) -> Result<HolidayYear, DomainError> {
        let parse = |field: &str, texts: &[String]| -> Result<BTreeSet<NaiveDate>, DomainError> {
            // No year has more days than this: a longer list repeats or strays, and need not be
            // read to be refused. The 60-day limit counts distinct days (`check`).
            if texts.len() > 366 {
                return Err(too_many(field));
            }
            let mut dates = BTreeSet::new();
            for text in texts {
                let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
                    // Quoted back shortened: the answer stays small whatever was sent.
                    let shown: String = text.chars().take(20).collect();
                    DomainError::invalid(
                        field,
                        format!("“{shown}” 不是日期（格式 2027-01-01）"),
                        format!("“{shown}” is not a date (format 2027-01-01)"),
                    )
                })?;
                if !dates.insert(date) {
                    return Err(DomainError::invalid(
                        field,
                        format!("{date} 写了两次"),
                        format!("{date} is listed twice"),
                    ));
                }
            }
            Ok(dates)
        };
        let entered = HolidayYear {
            year,
            holidays: parse("holidays", holidays)?,
            workdays: parse("workdays", workdays)?,
            provisional,
        };
        entered.check()?;
        Ok(entered)
    }

    /// [`HolidayYear::check`], and the year is one an admin may enter on `today` (last year
    /// to two years ahead).
    pub fn check_editable(&self, today: NaiveDate) -> Result<(), DomainError> {
        if !editable_years(today).contains(&self.year) {
            return Err(not_an_editable_year(today));
        }
        self.check()
    }

    /// The year of `PUT /api/admin/holidays/{year}`: exactly four ASCII digits (not `02027`,
    /// `+2027` or `-1`, which a lenient number parse would take) from last year to two years
    /// ahead, with one message for every way of getting it wrong.
    pub fn editable_year(text: &str, today: NaiveDate) -> Result<i32, DomainError> {
        Some(text)
            .filter(|t| t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse::<i32>().ok())
            .filter(|year| editable_years(today).contains(year))
            .ok_or_else(|| not_an_editable_year(today))
    }
}

fn editable_years(today: NaiveDate) -> std::ops::RangeInclusive<i32> {
    today.year() - EDITABLE_YEARS_BEHIND..=today.year() + EDITABLE_YEARS_AHEAD
}

fn not_an_editable_year(today: NaiveDate) -> DomainError {
    let years = editable_years(today);
    let (first, last) = (years.start(), years.end());
    DomainError::invalid(
        "year",
        format!("年份须是 {first} 到 {last} 之间的四位数字，只能设置这几年的节假日"),
        format!("The year must be four digits from {first} to {last}: holidays can be set for those years only"),
    )
}

/// `dates` as runs of consecutive days, first and last of each (a one-day run is `(d, d)`):
/// how the editor lists a year (春节 as one line, not nine).
pub fn spans(dates: &BTreeSet<NaiveDate>) -> Vec<(NaiveDate, NaiveDate)> {
    let mut runs: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for &date in dates {
        match runs.last_mut() {
            Some((_, last)) if last.succ_opt() == Some(date) => *last = date,
            _ => runs.push((date, date)),
        }
    }
    runs
}

fn too_many(field: &str) -> DomainError {
    DomainError::invalid(
        field,
        format!("一年最多 {MAX_DAYS_PER_YEAR} 天"),
        format!("At most {MAX_DAYS_PER_YEAR} days a year"),
    )
}

/// One year of the company's calendar with who changed it last (none: as shipped). Read through
/// a flat struct (`FlatYearEntry`): `#[serde(flatten)]`'s Deserialize buffers the whole entry
/// first and brought serde's generic buffering layer into the field bundle; same JSON accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "FlatYearEntry")]
pub struct HolidayYearEntry {
    #[serde(flatten)]
    pub days: HolidayYear,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// `HolidayYearEntry` as it is stored: the year's fields and the change's, side by side.
#[derive(Deserialize)]
struct FlatYearEntry {
    year: i32,
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
    #[serde(default)]
    provisional: bool,
    #[serde(default)]
    updated_by: Option<String>,
    #[serde(default)]
    updated_at: Option<DateTime<Utc>>,
}

impl From<FlatYearEntry> for HolidayYearEntry {
    fn from(flat: FlatYearEntry) -> Self {
        HolidayYearEntry {
            days: HolidayYear {
                year: flat.year,
                holidays: flat.holidays,
                workdays: flat.workdays,
                provisional: flat.provisional,
            },
            updated_by: flat.updated_by,
            updated_at: flat.updated_at,
        }
    }
}

/// The company's calendar as the server keeps it and phones receive it. `version` grows with
/// every change, so a pull carries it only to devices holding an older one; 0 is the shipped
/// calendar, what a phone counts on before its first pull.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayCalendar {
    pub version: u64,
    pub years: Vec<HolidayYearEntry>,
}

impl HolidayCalendar {
    pub fn shipped() -> HolidayCalendar {
        HolidayCalendar {
            version: 0,
            years: WorkCalendar::china()
                .years()
                .map(|days| HolidayYearEntry {
                    days: days.clone(),
                    updated_by: None,
                    updated_at: None,
                })
                .collect(),
        }
    }

    /// What deadlines count on. A stored year that fails its checks (it never should: every
    /// write is checked) counts as Monday to Friday rather than stopping every deadline.
    pub fn work_calendar(&self) -> WorkCalendar {
        let mut calendar = WorkCalendar::weekends_only();
        for entry in &self.years {
            let _ = calendar.set_year(entry.days.clone());
        }
        calendar
    }

    pub fn year(&self, year: i32) -> Option<&HolidayYearEntry> {
        self.years.iter().find(|entry| entry.days.year == year)
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The years known, by year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkCalendar {
    years: BTreeMap<i32, HolidayYear>,
}

impl Default for WorkCalendar {
    fn default() -> Self {
        WorkCalendar::china()
    }
}

/// Longest stretch of days off in a row that can be met while counting (a year of them would
/// mean bad data; counting stops there rather than running on).
const MAX_DAYS_SCANNED_PER_WORKING_DAY: u32 = 60;

impl WorkCalendar {
    /// Weekends only, no holidays.
    pub fn weekends_only() -> WorkCalendar {
        WorkCalendar {
            years: BTreeMap::new(),
        }
    }

    /// The shipped years (see the module comment).
    pub fn china() -> WorkCalendar {
        let mut calendar = WorkCalendar::weekends_only();
        for year in [china_2026(), china_2027_provisional()] {
            calendar.years.insert(year.year, year);
        }
        calendar
    }

    /// Replaces (or adds) one year, checked.
    pub fn set_year(&mut self, year: HolidayYear) -> Result<(), DomainError> {
        year.check()?;
        self.years.insert(year.year, year);
        Ok(())
    }

    pub fn year(&self, year: i32) -> Option<&HolidayYear> {
        self.years.get(&year)
    }

    pub fn years(&self) -> impl Iterator<Item = &HolidayYear> {
        self.years.values()
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.years.get(&date.year()) {
            Some(year) if year.holidays.contains(&date) => false,
            Some(year) if year.workdays.contains(&date) => true,
            _ => !is_weekend(date),
        }
    }

    /// The `days`-th working day after `start` (`start` itself never counts, as a calendar-day
    /// SLA of n days ends n days after the day the stage was entered); `start` for 0.
    pub fn add_working_days(&self, start: NaiveDate, days: u32) -> NaiveDate {
        let mut date = start;
        let mut left = days;
        let mut scanned = 0u32;
        let limit = days.saturating_add(1) * MAX_DAYS_SCANNED_PER_WORKING_DAY;
        while left > 0 && scanned < limit {
            let Some(next) = date.succ_opt() else {
                return date;
            };
            date = next;
            scanned += 1;
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        date
    }
}

fn dates(year: i32, days: &[(u32, u32)]) -> BTreeSet<NaiveDate> {
    days.iter()
        .map(|&(month, day)| NaiveDate::from_ymd_opt(year, month, day).expect("a real date"))
        .collect()
}

/// Ranges of days, inclusive, within one month each.
fn ranges(year: i32, spans: &[(u32, u32, u32)]) -> BTreeSet<NaiveDate> {
    crate::sorting::collect_set(
        spans
            .iter()
            .flat_map(|&(month, first, last)| (first..=last).map(move |day| (month, day)))
            .map(|(month, day)| NaiveDate::from_ymd_opt(year, month, day).expect("a real date")),
    )
}

/// 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04).
fn china_2026() -> HolidayYear {
    HolidayYear {
        year: 2026,
        holidays: ranges(
            2026,
            &[
                (1, 1, 3),   // 元旦
                (2, 15, 23), // 春节
                (4, 4, 6),   // 清明节
                (5, 1, 5),   // 劳动节
                (6, 19, 21), // 端午节
                (9, 25, 27), // 中秋节
                (10, 1, 7),  // 国庆节
            ],
        ),
        workdays: dates(2026, &[(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)]),
        provisional: false,
    }
}

/// 2027's statutory days only, until the State Council's notice is entered.
fn china_2027_provisional() -> HolidayYear {
    HolidayYear {
        year: 2027,
        holidays: dates(
            2027,
            &[
                (1, 1),  // 元旦
                (2, 5),  // 除夕
                (2, 6),  // 春节 正月初一
                (2, 7),  // 初二
                (2, 8),  // 初三
                (4, 5),  // 清明节
                (5, 1),  // 劳动节
                (5, 2),  // 劳动节
                (6, 9),  // 端午节
                (9, 15), // 中秋节
                (10, 1), // 国庆节
                (10, 2), // 国庆节
                (10, 3), // 国庆节
            ],
        ),
        workdays: BTreeSet::new(),
        provisional: true,
    }
}

/// The year an admin is editing on the holiday screen, and the stored year it started from.
/// The calendar is read again whenever the network comes back or the session refreshes; a
/// re-read must not wipe days marked and not yet saved, so the draft follows the stored year
/// only while it is untouched (or another year is picked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearDraft {
    base: HolidayYear,
    edited: HolidayYear,
}

impl YearDraft {
    pub fn new(stored: HolidayYear) -> YearDraft {
        YearDraft {
            base: stored.clone(),
            edited: stored,
        }
    }

    pub fn edited(&self) -> &HolidayYear {
        &self.edited
    }

    pub fn edit(&mut self, change: impl FnOnce(&mut HolidayYear)) {
        change(&mut self.edited);
    }

    /// Whether the draft holds changes not in `stored`: what "save" would send.
    pub fn differs_from(&self, stored: &HolidayYear) -> bool {
        self.edited != *stored
    }

    /// The calendar was read (again): `stored` is the selected year as the server has it now.
    /// An untouched draft, or one of another year, becomes `stored`; an edited one is kept.
    pub fn reload(&mut self, stored: HolidayYear) {
        if self.edited.year != stored.year || self.edited == self.base {
            self.edited = stored.clone();
        }
        self.base = stored;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_year_in_the_path_is_four_digits_from_last_year_to_two_years_ahead() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        for year in ["2025", "2026", "2027", "2028"] {
            assert_eq!(
                HolidayYear::editable_year(year, today).unwrap().to_string(),
                year
            );
        }
        for bad in [
            "02027",
            "+2027",
            "-1",
            "2024",
            "2029",
            "next",
            "",
            "２０２７",
            " 2027",
        ] {
            let error = HolidayYear::editable_year(bad, today).unwrap_err();
            assert_eq!(error.field(), Some("year"), "{bad}");
            let message = error.message(crate::i18n::Lang::Zh);
            assert!(message.contains("2025 到 2028"), "{bad}: {message}");
        }
    }

    #[test]
    fn a_re_read_calendar_keeps_days_marked_and_not_yet_saved() {
        let stored = HolidayYear::empty(2027);
        let mut draft = YearDraft::new(stored.clone());
        let day = NaiveDate::from_ymd_opt(2027, 5, 3).unwrap();
        draft.edit(|year| year.mark(day, day, DayKind::Holiday));
        draft.reload(stored.clone());
        assert!(draft.edited().holidays.contains(&day));
        assert!(draft.differs_from(&stored));
        // Saved: the server's year equals the draft, and later reads follow the server again.
        let saved = draft.edited().clone();
        draft.reload(saved.clone());
        assert!(!draft.differs_from(&saved));
        let mut someone_elses = saved.clone();
        someone_elses.provisional = true;
        draft.reload(someone_elses.clone());
        assert_eq!(draft.edited(), &someone_elses);
    }

    #[test]
    fn an_untouched_draft_follows_the_stored_year_and_another_year_starts_afresh() {
        let mut draft = YearDraft::new(HolidayYear::empty(2027));
        let mut newer = HolidayYear::empty(2027);
        newer.provisional = true;
        draft.reload(newer.clone());
        assert_eq!(draft.edited(), &newer);
        let day = NaiveDate::from_ymd_opt(2027, 5, 3).unwrap();
        draft.edit(|year| year.mark(day, day, DayKind::Holiday));
        draft.reload(HolidayYear::empty(2028));
        assert_eq!(draft.edited(), &HolidayYear::empty(2028));
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn marking_a_range_keeps_a_day_on_one_list_and_make_up_days_on_weekends() {
        let mut year = WorkCalendar::china().year(2027).unwrap().clone();
        // 春节 2027 as a range: 除夕 Fri 5 Feb to Thu 11 Feb off.
        year.mark(d(2027, 2, 11), d(2027, 2, 5), DayKind::Holiday);
        assert!((5..=11).all(|day| year.holidays.contains(&d(2027, 2, day))));
        // 调休上班 over Sat 30 Jan to Mon 1 Feb: only the weekend days are listed.
        year.mark(d(2027, 1, 30), d(2027, 2, 1), DayKind::Workday);
        assert_eq!(
            year.workdays.iter().copied().collect::<Vec<_>>(),
            vec![d(2027, 1, 30), d(2027, 1, 31)]
        );
        // A day marked worked stops being a holiday (never both), and back to normal clears it.
        year.mark(d(2027, 2, 6), d(2027, 2, 6), DayKind::Workday);
        assert!(!year.holidays.contains(&d(2027, 2, 6)));
        assert!(year.workdays.contains(&d(2027, 2, 6)));
        year.mark(d(2027, 2, 6), d(2027, 2, 6), DayKind::Normal);
        assert!(!year.workdays.contains(&d(2027, 2, 6)));
        // Days of another year in the range are left out.
        year.mark(d(2026, 12, 31), d(2027, 1, 1), DayKind::Holiday);
        assert!(year.holidays.iter().all(|day| day.year() == 2027));
        year.check().unwrap();
        assert_eq!(
            spans(&year.holidays)[..2],
            [
                (d(2027, 1, 1), d(2027, 1, 1)),
                (d(2027, 2, 5), d(2027, 2, 5))
            ]
        );
        assert_eq!(spans(&year.holidays)[2], (d(2027, 2, 7), d(2027, 2, 11)));
    }

    #[test]
    fn what_an_admin_sends_is_refused_by_the_field_it_is_about() {
        let text = |days: &[&str]| days.iter().map(|d| d.to_string()).collect::<Vec<_>>();
        let year =
            HolidayYear::from_input(2027, &text(&["2027-02-05"]), &text(&["2027-01-30"]), false)
                .unwrap();
        assert!(year.holidays.contains(&d(2027, 2, 5)));
        let field = |result: Result<HolidayYear, DomainError>| {
            result.unwrap_err().field().map(str::to_string)
        };
        assert_eq!(
            field(HolidayYear::from_input(
                2027,
                &text(&["2027-02-30"]),
                &[],
                false
            )),
            Some("holidays".into())
        );
        assert_eq!(
            field(HolidayYear::from_input(
                2027,
                &text(&["2028-01-01"]),
                &[],
                false
            )),
            Some("holidays".into())
        );
        assert_eq!(
            field(HolidayYear::from_input(
                2027,
                &text(&["2027-01-30"]),
                &text(&["2027-01-30"]),
                false
            )),
            Some("workdays".into())
        );
        let many: Vec<String> = (0..61)
            .map(|i| (d(2027, 3, 1) + chrono::Duration::days(i)).to_string())
            .collect();
        assert_eq!(
            field(HolidayYear::from_input(2027, &many, &[], false)),
            Some("holidays".into())
        );
        // Last year to two years ahead; anything further is a typo.
        let today = d(2026, 12, 7);
        assert!(HolidayYear::empty(2025).check_editable(today).is_ok());
        assert!(HolidayYear::empty(2028).check_editable(today).is_ok());
        for far in [2024, 2029, 2099] {
            assert_eq!(
                HolidayYear::empty(far)
                    .check_editable(today)
                    .unwrap_err()
                    .field(),
                Some("year")
            );
        }
    }

    #[test]
    fn the_shipped_calendar_as_data_counts_like_the_compiled_one() {
        let shipped = HolidayCalendar::shipped();
        assert_eq!(shipped.version, 0);
        assert_eq!(shipped.work_calendar(), WorkCalendar::china());
        let json = serde_json::to_string(&shipped).unwrap();
        assert_eq!(
            serde_json::from_str::<HolidayCalendar>(&json).unwrap(),
            shipped
        );
        assert!(json.contains(r#""year":2027"#) && json.contains(r#""provisional":true"#));
    }

    #[test]
    fn the_shipped_years_pass_their_own_checks() {
        for year in WorkCalendar::china().years() {
            year.check().unwrap();
        }
        assert!(!WorkCalendar::china().year(2026).unwrap().provisional);
        assert!(WorkCalendar::china().year(2027).unwrap().provisional);
    }

    #[test]
    fn spring_festival_2026_counts_the_make_up_saturdays_and_skips_the_nine_days_off() {
        let cal = WorkCalendar::china();
        // Sat 14 Feb is worked (调休), Sun 15 to Mon 23 are off.
        assert!(cal.is_working_day(d(2026, 2, 14)));
        assert!(!cal.is_working_day(d(2026, 2, 16)));
        assert!(!cal.is_working_day(d(2026, 2, 23)));
        // Entered Thu 12 Feb, 1 working day: Fri 13.
        assert_eq!(cal.add_working_days(d(2026, 2, 12), 1), d(2026, 2, 13));
        // Entered Fri 13 Feb, 2 working days: Sat 14 (调休), then Tue 24 after the holiday.
        assert_eq!(cal.add_working_days(d(2026, 2, 13), 2), d(2026, 2, 24));
        // Entered on the holiday's last day, Mon 23: Tue 24, Wed 25, Thu 26.
        assert_eq!(cal.add_working_days(d(2026, 2, 23), 3), d(2026, 2, 26));
        // Entered Thu 26 Feb, 2 working days: Fri 27, then Sat 28 (调休).
        assert_eq!(cal.add_working_days(d(2026, 2, 26), 2), d(2026, 2, 28));
        // 5 working days from Thu 26 Feb: 27, 28 (Sat, 调休), Mon 2, Tue 3, Wed 4 March.
        assert_eq!(cal.add_working_days(d(2026, 2, 26), 5), d(2026, 3, 4));
        // 0 days is the day itself, as with calendar days.
        assert_eq!(cal.add_working_days(d(2026, 2, 16), 0), d(2026, 2, 16));
    }

    #[test]
    fn national_day_2026_counts_the_make_up_sunday_and_saturday() {
        let cal = WorkCalendar::china();
        // Entered Fri 18 Sep, 1 working day: Sat 19 is off, Sun 20 is worked (调休).
        assert_eq!(cal.add_working_days(d(2026, 9, 18), 1), d(2026, 9, 20));
        // Entered Thu 24 Sep, 1 working day: 中秋 Fri 25 to Sun 27 off, so Mon 28.
        assert_eq!(cal.add_working_days(d(2026, 9, 24), 1), d(2026, 9, 28));
        // Entered Tue 29 Sep: Wed 30, (1 to 7 Oct off), Thu 8, Fri 9, Sat 10 (调休), Mon 12.
        assert_eq!(cal.add_working_days(d(2026, 9, 29), 1), d(2026, 9, 30));
        assert_eq!(cal.add_working_days(d(2026, 9, 29), 2), d(2026, 10, 8));
        assert_eq!(cal.add_working_days(d(2026, 9, 29), 3), d(2026, 10, 9));
        assert_eq!(cal.add_working_days(d(2026, 9, 29), 4), d(2026, 10, 10));
        assert_eq!(cal.add_working_days(d(2026, 9, 29), 5), d(2026, 10, 12));
    }

    #[test]
    fn across_the_new_year_the_next_years_days_count() {
        let cal = WorkCalendar::china();
        // Thu 31 Dec 2026, 1 working day: Fri 1 Jan 2027 is 元旦, so Mon 4 Jan.
        assert_eq!(cal.add_working_days(d(2026, 12, 31), 1), d(2027, 1, 4));
        // A year nobody entered counts Monday to Friday: Fri 29 Dec 2028 + 1 = Mon 1 Jan 2029.
        assert_eq!(cal.add_working_days(d(2028, 12, 29), 1), d(2029, 1, 1));
    }

    #[test]
    fn an_admin_replaces_a_year_and_bad_years_are_refused_naming_the_field() {
        let mut cal = WorkCalendar::china();
        let mut year = cal.year(2027).unwrap().clone();
        // Say the notice makes Sat 30 Jan 2027 a working day.
        year.workdays.insert(d(2027, 1, 30));
        year.provisional = false;
        cal.set_year(year.clone()).unwrap();
        assert!(cal.is_working_day(d(2027, 1, 30)));

        let mut weekday = year.clone();
        weekday.workdays.insert(d(2027, 1, 27));
        assert_eq!(cal.set_year(weekday).unwrap_err().field(), Some("workdays"));
        let mut both = year.clone();
        both.workdays.insert(d(2027, 2, 6));
        assert_eq!(cal.set_year(both).unwrap_err().field(), Some("workdays"));
        let mut elsewhere = year.clone();
        elsewhere.holidays.insert(d(2028, 1, 1));
        assert_eq!(
            cal.set_year(elsewhere).unwrap_err().field(),
            Some("holidays")
        );
    }

    /// The derive `HolidayYearEntry` had before its flat Deserialize: the oracle.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct DerivedEntry {
        #[serde(flatten)]
        days: HolidayYear,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        updated_by: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        updated_at: Option<DateTime<Utc>>,
    }

    #[test]
    fn a_year_entry_reads_and_writes_what_the_flattened_derive_did() {
        let entries = [
            HolidayYearEntry {
                days: china_2026(),
                updated_by: Some("管理员".into()),
                updated_at: Some(
                    chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, 2, 3, 4, 5).unwrap(),
                ),
            },
            HolidayYearEntry {
                days: china_2027_provisional(),
                updated_by: None,
                updated_at: None,
            },
        ];
        for entry in entries {
            let json = serde_json::to_string(&entry).unwrap();
            let derived: DerivedEntry = serde_json::from_str(&json).unwrap();
            assert_eq!(json, serde_json::to_string(&derived).unwrap());
            assert_eq!(
                serde_json::from_str::<HolidayYearEntry>(&json).unwrap(),
                entry
            );
        }
        // Defaults and unknown keys as before; a missing year or a bad date refused as before.
        let lenient = r#"{"holidays":["2026-01-01"],"note":"x","workdays":[],"year":2026}"#;
        let ours: HolidayYearEntry = serde_json::from_str(lenient).unwrap();
        let derived: DerivedEntry = serde_json::from_str(lenient).unwrap();
        assert_eq!(
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&derived).unwrap()
        );
        for refused in [
            r#"{"holidays":[],"workdays":[]}"#,
            r#"{"year":2026,"holidays":["2026-13-01"],"workdays":[]}"#,
        ] {
            assert!(
                serde_json::from_str::<DerivedEntry>(refused).is_err(),
                "{refused}"
            );
            assert!(
                serde_json::from_str::<HolidayYearEntry>(refused).is_err(),
                "{refused}"
            );
        }
    }

    #[test]
    fn a_date_sent_twice_is_refused_by_name_not_as_too_many_days() {
        let copies = vec!["2027-10-01".to_string(); 61];
        let error = HolidayYear::from_input(2027, &copies, &[], false).unwrap_err();
        assert_eq!(error.field(), Some("holidays"));
        assert!(
            error.message(crate::Lang::Zh).contains("2027-10-01"),
            "{error}"
        );
        assert!(error.message(crate::Lang::En).contains("twice"), "{error}");
        let twice = vec!["2027-10-01".to_string(), " 2027-10-01".to_string()];
        let error = HolidayYear::from_input(2027, &[], &twice, false).unwrap_err();
        assert_eq!(error.field(), Some("workdays"));
        // Sixty-one different days are too many.
        let many: Vec<String> = (0..61)
            .map(|n| (d(2027, 1, 1) + chrono::Days::new(n)).to_string())
            .collect();
        let error = HolidayYear::from_input(2027, &many, &[], false).unwrap_err();
        assert!(error.message(crate::Lang::En).contains("60"), "{error}");
    }

    #[test]
    fn a_misspelt_field_in_an_entered_year_is_refused_naming_it() {
        let body = r#"{"holidays":[],"workdays":[],"provisonal":true}"#;
        let error = serde_json::from_str::<crate::wire::HolidayYearInput>(body).unwrap_err();
        assert!(
            error.to_string().contains("unknown field `provisonal`"),
            "{error}"
        );
        let body = r#"{"holidays":[],"workdays":[],"provisional":true}"#;
        assert!(
            serde_json::from_str::<crate::wire::HolidayYearInput>(body)
                .unwrap()
                .provisional
        );
    }
}
