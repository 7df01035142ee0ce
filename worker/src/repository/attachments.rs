//! Which attachment files the R2 bucket holds (`migrations/0016_attachment_files.sql`), and the
//! live order an upload or download is about.

use std::collections::HashSet;

use domain::Order;
use serde::Deserialize;
use uuid::Uuid;
use worker::query;

use super::{accounts::changed_rows, timestamp, Repository};
use crate::error::ApiError;

#[derive(Deserialize)]
struct DocVersionRow {
    doc: String,
    version: i64,
}

#[derive(Deserialize)]
struct HashRow {
    sha256: String,
}

/// A file just stored in R2, to be recorded.
pub struct StoredFile<'a> {
    pub order_id: Uuid,
    pub sha256: &'a str,
    pub content_type: &'a str,
    pub size: u64,
    pub uploaded_by: &'a str,
    pub uploaded_at: chrono::DateTime<chrono::Utc>,
}

impl Repository {
    /// The order (not deleted) and its version.
    pub async fn live_order(&self, id: Uuid) -> Result<Option<(Order, i64)>, ApiError> {
        let row: Option<DocVersionRow> = query!(
            &self.db,
            "SELECT doc, version FROM orders WHERE id = ?1 AND deleted = 0",
            &id.to_string()
        )?
        .first(None)
        .await?;
        row.map(|row| {
            serde_json::from_str(&row.doc)
                .map(|order| (order, row.version))
                .map_err(|error| ApiError::Internal(format!("order {id}: {error}")))
        })
        .transpose()
    }

    /// The hashes of the files of `order_id` the bucket holds.
    pub async fn stored_files(&self, order_id: Uuid) -> Result<HashSet<String>, ApiError> {
        let rows: Vec<HashRow> = query!(
            &self.db,
            "SELECT sha256 FROM attachment_files WHERE order_id = ?1",
            &order_id.to_string()
        )?
        .all()
        .await?
        .results()?;
        Ok(rows.into_iter().map(|row| row.sha256).collect())
    }

    pub async fn is_file_stored(&self, order_id: Uuid, sha256: &str) -> Result<bool, ApiError> {
        let row: Option<HashRow> = query!(
            &self.db,
            "SELECT sha256 FROM attachment_files WHERE order_id = ?1 AND sha256 = ?2",
            &order_id.to_string(),
            &sha256
        )?
        .first(None)
        .await?;
        Ok(row.is_some())
    }

    /// Records a stored file; `false` if it was already recorded (two phones, one photo).
    pub async fn record_file(&self, file: &StoredFile<'_>) -> Result<bool, ApiError> {
        let result = query!(
            &self.db,
            "INSERT INTO attachment_files (order_id, sha256, content_type, size, uploaded_by, \
             uploaded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            &file.order_id.to_string(),
            &file.sha256,
            &file.content_type,
            &(file.size as f64),
            &file.uploaded_by,
            &timestamp(file.uploaded_at)
        )?
        .run()
        .await?;
        Ok(changed_rows(&result)? > 0)
    }

    /// Forgets purged files (after their bytes were deleted).
    pub async fn forget_file(&self, order_id: Uuid, sha256: &str) -> Result<(), ApiError> {
        query!(
            &self.db,
            "DELETE FROM attachment_files WHERE order_id = ?1 AND sha256 = ?2",
            &order_id.to_string(),
            &sha256
        )?
        .run()
        .await?;
        Ok(())
    }
}
