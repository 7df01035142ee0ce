//! Baselines for `scripts/bench` only (behind the dev-only `/api/dev/bench/*` routes): the
//! same rows as sync reads and writes, with plain D1 batches and no rules, guards or auth.

use serde::Deserialize;
use worker::query;

use super::Repository;
use crate::error::ApiError;

/// One order row as the raw write baseline stores it (what a push of one mutation writes).
#[derive(Deserialize)]
pub struct RawOrderRow {
    pub id: String,
    pub number: String,
    pub stage: String,
    pub status: String,
    pub owner_id: String,
    pub phone_last4: String,
    pub doc: String,
    pub created_at: String,
    pub updated_at: String,
    /// The audit event the mutation added (kind and payload), written next to the order.
    pub event_kind: String,
    pub event_payload: String,
}

#[derive(Deserialize, serde::Serialize)]
pub struct RawRow {
    pub id: String,
    pub doc: String,
    pub version: i64,
    pub deleted: i64,
}

impl Repository {
    /// `pages` selects of `limit` rows each, from `version > cursor`, in ONE batch.
    pub async fn bench_select(
        &self,
        cursor: i64,
        limit: u32,
        pages: u32,
    ) -> Result<Vec<RawRow>, ApiError> {
        let mut statements = Vec::new();
        for page in 0..pages {
            statements.push(query!(
                &self.db,
                "SELECT id, doc, version, deleted FROM orders WHERE version > ?1 \
                 ORDER BY version LIMIT ?2 OFFSET ?3",
                &cursor,
                &limit,
                &(page * limit)
            )?);
        }
        let mut rows = Vec::new();
        for result in self.db.batch(statements).await? {
            rows.extend(result.results::<RawRow>()?);
        }
        Ok(rows)
    }

    /// Upserts the rows with a version bump and one audit event each, all in ONE batch.
    pub async fn bench_write(&self, rows: &[RawOrderRow], at: &str) -> Result<(), ApiError> {
        let mut statements = Vec::new();
        for row in rows {
            statements.push(query!(
                &self.db,
                "UPDATE server_meta SET value = value + 1 WHERE key = 'version'"
            ));
            statements.push(query!(
                &self.db,
                "INSERT INTO orders (id, number, stage, status, owner_id, phone_last4, doc, version, \
                 deleted, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, \
                 (SELECT value FROM server_meta WHERE key = 'version'), 0, ?8, ?9) \
                 ON CONFLICT (id) DO UPDATE SET number = excluded.number, stage = excluded.stage, \
                 status = excluded.status, owner_id = excluded.owner_id, \
                 phone_last4 = excluded.phone_last4, doc = excluded.doc, \
                 version = excluded.version, updated_at = excluded.updated_at",
                &row.id,
                &row.number,
                &row.stage,
                &row.status,
                &row.owner_id,
                &row.phone_last4,
                &row.doc,
                &row.created_at,
                &row.updated_at
            )?);
            statements.push(query!(
                &self.db,
                "INSERT INTO order_events (order_id, at, server_received_at, actor_id, kind, payload) \
                 VALUES (?1, ?2, ?2, ?3, ?4, ?5)",
                &row.id,
                &at,
                &row.owner_id,
                &row.event_kind,
                &row.event_payload
            )?);
        }
        self.db.batch(statements).await?;
        Ok(())
    }
}
