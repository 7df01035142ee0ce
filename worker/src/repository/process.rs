//! The process versions and the admins' draft (`migrations/0011_process_versions.sql`).

use domain::{ProcessDraft, ProcessVersion, Processes};
use serde::Deserialize;
use worker::query;

use super::{accounts::changed_rows, timestamp, to_json, Repository};
use crate::error::ApiError;

#[derive(Deserialize)]
struct DocRow {
    doc: String,
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, doc: &str) -> Result<T, ApiError> {
    serde_json::from_str(doc).map_err(|error| ApiError::Internal(format!("{what}: {error}")))
}

impl Repository {
    /// Every published version after `after`, oldest first (version 1 is the domain's).
    pub async fn process_versions_after(
        &self,
        after: u32,
    ) -> Result<Vec<ProcessVersion>, ApiError> {
        let rows: Vec<DocRow> = query!(
            &self.db,
            "SELECT doc FROM process_versions WHERE number > ?1 ORDER BY number",
            &after
        )?
        .all()
        .await?
        .results()?;
        rows.iter()
            .map(|row| parse("process version", &row.doc))
            .collect()
    }

    /// All versions, as the rules read them, counting working days on the company's calendar.
    pub async fn processes(&self) -> Result<Processes, ApiError> {
        let calendar = self.holiday_calendar().await?;
        Ok(Processes::new(self.process_versions_after(0).await?)
            .with_calendar(calendar.work_calendar()))
    }

    /// Stores a newly published version. `Ok(false)` when that number is already taken: someone
    /// else published from the same base first.
    pub async fn insert_process_version(&self, version: &ProcessVersion) -> Result<bool, ApiError> {
        let doc = to_json(version)?;
        let result = query!(
            &self.db,
            "INSERT INTO process_versions (number, doc, author_id, published_at) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (number) DO NOTHING",
            &version.number,
            &doc,
            &version.author.user_id,
            &timestamp(version.published_at)
        )?
        .run()
        .await?;
        Ok(changed_rows(&result)? == 1)
    }

    pub async fn process_draft(&self) -> Result<Option<ProcessDraft>, ApiError> {
        let row: Option<DocRow> = query!(&self.db, "SELECT doc FROM process_draft WHERE id = 1")
            .first(None)
            .await?;
        row.map(|row| parse("process draft", &row.doc)).transpose()
    }

    pub async fn save_process_draft(
        &self,
        draft: &ProcessDraft,
        by: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), ApiError> {
        let doc = to_json(draft)?;
        query!(
            &self.db,
            "INSERT INTO process_draft (id, doc, updated_by, updated_at) VALUES (1, ?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
            &doc,
            &by,
            &timestamp(at)
        )?
        .run()
        .await?;
        Ok(())
    }

    pub async fn delete_process_draft(&self) -> Result<(), ApiError> {
        query!(&self.db, "DELETE FROM process_draft").run().await?;
        Ok(())
    }

    /// Every active order not on `version`, as (order, its row version), for a migration.
    pub async fn active_orders_off_version(
        &self,
        version: u32,
    ) -> Result<Vec<(domain::Order, i64)>, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            doc: String,
            version: i64,
        }
        let rows: Vec<Row> = query!(
            &self.db,
            "SELECT doc, version FROM orders WHERE deleted = 0 AND status = 'active' \
             AND COALESCE(json_extract(doc, '$.process_version'), 1) <> ?1",
            &version
        )?
        .all()
        .await?
        .results()?;
        rows.iter()
            .map(|row| Ok((parse("order", &row.doc)?, row.version)))
            .collect()
    }
}
