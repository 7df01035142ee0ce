//! The company's working-day calendar (`migrations/0017_holiday_calendar.sql`).

use chrono::{DateTime, Utc};
use domain::{HolidayCalendar, HolidayYear, HolidayYearEntry};
use serde::Deserialize;
use worker::query;

use super::{timestamp, to_json, Repository};
use crate::error::ApiError;

#[derive(Deserialize)]
struct YearRow {
    doc: String,
    revision: i64,
    updated_by_name: Option<String>,
    updated_at: Option<String>,
}

impl Repository {
    /// Every stored year; the version is the newest change's revision.
    pub async fn holiday_calendar(&self) -> Result<HolidayCalendar, ApiError> {
        let rows: Vec<YearRow> = query!(
            &self.db,
            "SELECT doc, revision, updated_by_name, updated_at FROM holiday_years ORDER BY year"
        )
        .all()
        .await?
        .results()?;
        let mut calendar = HolidayCalendar {
            version: 0,
            years: Vec::with_capacity(rows.len()),
        };
        for row in rows {
            let days: HolidayYear = serde_json::from_str(&row.doc)
                .map_err(|error| ApiError::Internal(format!("holiday year: {error}")))?;
            calendar.version = calendar.version.max(row.revision.max(0) as u64);
            calendar.years.push(HolidayYearEntry {
                days,
                updated_by: row.updated_by_name,
                updated_at: row
                    .updated_at
                    .and_then(|at| DateTime::parse_from_rfc3339(&at).ok())
                    .map(|at| at.with_timezone(&Utc)),
            });
        }
        Ok(calendar)
    }

    /// The calendar's version alone (what a pull compares with the device's).
    pub async fn holiday_calendar_version(&self) -> Result<u64, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            version: Option<i64>,
        }
        let row: Option<Row> = query!(
            &self.db,
            "SELECT MAX(revision) AS version FROM holiday_years"
        )
        .first(None)
        .await?;
        Ok(row.and_then(|row| row.version).unwrap_or(0).max(0) as u64)
    }

    /// Replaces (or adds) one checked year, as the newest revision: one statement, so two
    /// admins saving at once both get a revision of their own and the later one wins.
    pub async fn save_holiday_year(
        &self,
        year: &HolidayYear,
        by_id: &str,
        by_name: &str,
        at: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let doc = to_json(year)?;
        query!(
            &self.db,
            "INSERT INTO holiday_years (year, doc, revision, updated_by, updated_by_name, updated_at) \
             VALUES (?1, ?2, (SELECT COALESCE(MAX(revision), 0) + 1 FROM holiday_years), ?3, ?4, ?5) \
             ON CONFLICT (year) DO UPDATE SET doc = excluded.doc, revision = excluded.revision, \
             updated_by = excluded.updated_by, updated_by_name = excluded.updated_by_name, \
             updated_at = excluded.updated_at",
            &year.year,
            &doc,
            &by_id,
            &by_name,
            &timestamp(at)
        )?
        .run()
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use domain::{HolidayCalendar, HolidayYear, WorkCalendar};

    /// The migration seeds exactly the years the domain ships (and a phone counts on before
    /// its first pull): the two never disagree.
    #[test]
    fn the_seeded_years_are_the_shipped_ones() {
        let sql = include_str!("../../migrations/0017_holiday_calendar.sql");
        let seeded: Vec<HolidayYear> = sql
            .lines()
            .filter_map(|line| line.trim().strip_prefix('(')?.split_once(", '"))
            .map(|(_, rest)| {
                let doc = rest.rsplit_once("', ").expect("doc, revision").0;
                serde_json::from_str(doc).expect("a HolidayYear")
            })
            .collect();
        let shipped: Vec<HolidayYear> = WorkCalendar::china().years().cloned().collect();
        assert_eq!(seeded, shipped);
        assert_eq!(
            HolidayCalendar::shipped().work_calendar(),
            WorkCalendar::china()
        );
    }
}
