//! SQL for spreadsheets (`migrations/0013_import_batches.sql`, `0014_import_mappings.sql`): the
//! orders an import names, the import's one batch, remembered mappings, and the orders an export
//! reads.
//!
//! An import is ONE batch, so it lands whole or not at all: the guard first (every order the
//! plan read still has the version it saw: `sync_guard`'s CHECK fails the batch otherwise), then
//! per order a version bump and its document, its audit events tagged with the batch, the
//! batch's own row. A number another device took meanwhile fails the unique index, which also
//! rolls everything back.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::sheet::Column;
use domain::{HistoryEvent, Order};
use serde::Deserialize;
use worker::query;

use super::{timestamp, to_json, Repository};
use crate::error::ApiError;

#[derive(Deserialize)]
struct DocRow {
    doc: String,
    version: i64,
}

/// One order an import writes: the result, its new events, the version it was planned on
/// (`None` for a new order).
pub struct ImportedOrder {
    pub order: Order,
    pub events: Vec<HistoryEvent>,
    pub based_on: Option<i64>,
    /// The order as it was before the import (`None`: created), kept for an undo.
    pub before: Option<Order>,
}

/// One order an undo writes: the result, its new events, the version the import left.
pub struct UndoneOrder {
    pub order: Order,
    pub events: Vec<HistoryEvent>,
    pub based_on: i64,
}

pub struct UndoWrite<'a> {
    pub batch_id: &'a str,
    pub actor_id: &'a str,
    pub at: DateTime<Utc>,
    pub orders: &'a [UndoneOrder],
}

/// A committed import as an undo reads it.
pub struct BatchRecord {
    /// The user id of who imported it.
    pub imported_by: String,
    pub undone_at: Option<String>,
    pub orders: Vec<BatchOrder>,
}

/// One order an import wrote: before it (`None`: created), the version it left, and now
/// (`None` when the order is gone).
pub struct BatchOrder {
    pub number: String,
    pub before: Option<Order>,
    pub after_version: i64,
    pub current: Option<Order>,
    pub current_version: Option<i64>,
}

#[derive(Deserialize)]
struct BatchRow {
    actor_id: String,
    undone_at: Option<String>,
}

#[derive(Deserialize)]
struct BatchOrderRow {
    order_id: String,
    before_doc: Option<String>,
    after_version: i64,
    doc: Option<String>,
    version: Option<i64>,
}

fn parse_doc(doc: &str) -> Result<Order, ApiError> {
    serde_json::from_str(doc).map_err(|error| ApiError::Internal(format!("stored order: {error}")))
}

pub struct ImportWrite<'a> {
    pub batch_id: &'a str,
    pub actor_id: &'a str,
    pub mode: &'a str,
    pub at: DateTime<Utc>,
    pub orders: &'a [ImportedOrder],
}

fn parse_docs(rows: Vec<DocRow>) -> Result<Vec<(Order, i64)>, ApiError> {
    rows.into_iter()
        .map(|row| {
            serde_json::from_str(&row.doc)
                .map(|order| (order, row.version))
                .map_err(|error| ApiError::Internal(format!("stored order: {error}")))
        })
        .collect()
}

#[derive(Deserialize)]
struct MappingRow {
    mapping: String,
}

impl Repository {
    /// The mapping remembered for a header signature (`migrations/0014_import_mappings.sql`).
    pub async fn import_mapping(
        &self,
        signature: &str,
    ) -> Result<Option<HashMap<String, Option<Column>>>, ApiError> {
        let row: Option<MappingRow> = query!(
            &self.db,
            "SELECT mapping FROM import_mappings WHERE signature = ?1",
            &signature
        )?
        .first(None)
        .await?;
        // A mapping this version cannot read (a field renamed since) is as good as none.
        Ok(row.and_then(|row| serde_json::from_str(&row.mapping).ok()))
    }

    /// Remembers the mapping of a committed import for the next file with these headers.
    pub async fn save_import_mapping(
        &self,
        signature: &str,
        mapping: &HashMap<String, Option<Column>>,
        saved_by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let mapping = to_json(mapping)?;
        query!(
            &self.db,
            "INSERT INTO import_mappings (signature, mapping, saved_by, saved_at) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (signature) DO UPDATE SET \
             mapping = excluded.mapping, saved_by = excluded.saved_by, saved_at = excluded.saved_at",
            &signature,
            &mapping,
            &saved_by,
            &timestamp(at)
        )?
        .run()
        .await?;
        Ok(())
    }

    /// The live orders whose `number_key` is one of `keys`, with their versions (one statement;
    /// the keys travel as one JSON parameter).
    pub async fn orders_by_number_keys(
        &self,
        keys: &[String],
    ) -> Result<Vec<(Order, i64)>, ApiError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let keys = to_json(&keys)?;
        let rows: Vec<DocRow> = query!(
            &self.db,
            "SELECT o.doc AS doc, o.version AS version FROM json_each(?1) j \
             JOIN orders o ON o.number_key = j.value WHERE o.deleted = 0",
            &keys
        )?
        .all()
        .await?
        .results()?;
        parse_docs(rows)
    }

    /// Every live order, oldest first (exports: every matching order, never a page).
    pub async fn all_orders(&self) -> Result<Vec<Order>, ApiError> {
        let rows: Vec<DocRow> = query!(
            &self.db,
            "SELECT doc, version FROM orders WHERE deleted = 0 ORDER BY created_at, id"
        )
        .all()
        .await?
        .results()?;
        Ok(parse_docs(rows)?
            .into_iter()
            .map(|(order, _)| order)
            .collect())
    }

    /// Writes a whole import in ONE batch (see the module's comment). `Ok(false)` when the
    /// guard or a unique index refused it: orders changed meanwhile, nothing was written.
    pub async fn commit_import(&self, write: &ImportWrite<'_>) -> Result<bool, ApiError> {
        let based_on: Vec<(String, i64)> = write
            .orders
            .iter()
            .filter_map(|o| Some((o.order.id.to_string(), o.based_on?)))
            .collect();
        let based_on = to_json(&based_on)?;
        let mut statements = vec![query!(
            &self.db,
            "INSERT INTO sync_guard (ok) SELECT NOT EXISTS (SELECT 1 FROM json_each(?1) j WHERE \
             COALESCE((SELECT version FROM orders WHERE id = json_extract(j.value, '$[0]')), -1) \
             <> json_extract(j.value, '$[1]'))",
            &based_on
        )?];
        let source = format!("import:{}", write.batch_id);
        for imported in write.orders {
            statements.push(self.bump_version());
            statements.push(self.write_order(&imported.order)?);
            for event in &imported.events {
                statements.push(self.tagged_event(&imported.order, event, write.at, &source)?);
            }
            // What an undo needs: the order before, and the version this batch leaves it at.
            let before = imported.before.as_ref().map(to_json).transpose()?;
            statements.push(query!(
                &self.db,
                "INSERT INTO import_batch_orders (batch_id, order_id, before_doc, after_version) \
                 SELECT ?1, ?2, ?3, version FROM orders WHERE id = ?2",
                &write.batch_id,
                &imported.order.id.to_string(),
                &before
            )?);
        }
        let orders: Vec<(String, Option<i64>)> = write
            .orders
            .iter()
            .map(|o| (o.order.id.to_string(), o.based_on))
            .collect();
        let orders = to_json(&orders)?;
        let created = write.orders.iter().filter(|o| o.based_on.is_none()).count();
        statements.push(query!(
            &self.db,
            "INSERT INTO import_batches (id, actor_id, created_at, mode, created, updated, orders) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            &write.batch_id,
            &write.actor_id,
            &timestamp(write.at),
            &write.mode,
            &(created as i64),
            &((write.orders.len() - created) as i64),
            &orders
        )?);
        statements.push(query!(&self.db, "DELETE FROM sync_guard"));
        match self.db.batch(statements).await {
            Ok(_) => Ok(true),
            Err(error) => {
                let message = error.to_string();
                if message.contains("CHECK constraint") || message.contains("UNIQUE constraint") {
                    Ok(false)
                } else {
                    Err(ApiError::Database(message))
                }
            }
        }
    }

    /// An audit event of a spreadsheet write, tagged with its batch in `device_id`.
    fn tagged_event(
        &self,
        order: &Order,
        event: &HistoryEvent,
        received: DateTime<Utc>,
        source: &str,
    ) -> Result<worker::D1PreparedStatement, ApiError> {
        let payload = to_json(&event.kind)?;
        Ok(query!(
            &self.db,
            "INSERT INTO order_events (order_id, at, server_received_at, actor_id, kind, \
             payload, device_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            &order.id.to_string(),
            &event.at.to_rfc3339(),
            &received.to_rfc3339(),
            &event.actor.user_id,
            &event.kind.name(),
            &payload,
            &source
        )?)
    }

    /// A committed import, with each order it wrote as it was before, as left and as now.
    pub async fn import_batch(&self, batch_id: &str) -> Result<Option<BatchRecord>, ApiError> {
        let batch: Option<BatchRow> = query!(
            &self.db,
            "SELECT actor_id, undone_at FROM import_batches WHERE id = ?1",
            &batch_id
        )?
        .first(None)
        .await?;
        let Some(batch) = batch else {
            return Ok(None);
        };
        let rows: Vec<BatchOrderRow> = query!(
            &self.db,
            "SELECT b.order_id AS order_id, b.before_doc AS before_doc, \
             b.after_version AS after_version, o.doc AS doc, o.version AS version \
             FROM import_batch_orders b LEFT JOIN orders o ON o.id = b.order_id AND o.deleted = 0 \
             WHERE b.batch_id = ?1 ORDER BY b.rowid",
            &batch_id
        )?
        .all()
        .await?
        .results()?;
        let mut orders = Vec::new();
        for row in rows {
            let before = row.before_doc.as_deref().map(parse_doc).transpose()?;
            let current = row.doc.as_deref().map(parse_doc).transpose()?;
            let number = current
                .as_ref()
                .or(before.as_ref())
                .map_or(row.order_id, |o| o.number.as_str().to_string());
            orders.push(BatchOrder {
                number,
                before,
                after_version: row.after_version,
                current,
                current_version: row.version,
            });
        }
        Ok(Some(BatchRecord {
            imported_by: batch.actor_id,
            undone_at: batch.undone_at,
            orders,
        }))
    }

    /// Writes an undo in ONE batch: a guard (every order still at the version the import left,
    /// the batch not undone yet), the orders and their events tagged `undo:<batch>`, the batch
    /// marked undone. `Ok(false)` when the guard refused: nothing was written.
    pub async fn commit_undo(&self, write: &UndoWrite<'_>) -> Result<bool, ApiError> {
        let based_on: Vec<(String, i64)> = write
            .orders
            .iter()
            .map(|o| (o.order.id.to_string(), o.based_on))
            .collect();
        let based_on = to_json(&based_on)?;
        let mut statements = vec![query!(
            &self.db,
            "INSERT INTO sync_guard (ok) SELECT NOT EXISTS (SELECT 1 FROM json_each(?1) j WHERE \
             COALESCE((SELECT version FROM orders WHERE id = json_extract(j.value, '$[0]')), -1) \
             <> json_extract(j.value, '$[1]')) \
             AND (SELECT undone_at FROM import_batches WHERE id = ?2) IS NULL",
            &based_on,
            &write.batch_id
        )?];
        let source = format!("undo:{}", write.batch_id);
        for undone in write.orders {
            statements.push(self.bump_version());
            statements.push(self.write_order(&undone.order)?);
            for event in &undone.events {
                statements.push(self.tagged_event(&undone.order, event, write.at, &source)?);
            }
        }
        statements.push(query!(
            &self.db,
            "UPDATE import_batches SET undone_at = ?2, undone_by = ?3 WHERE id = ?1",
            &write.batch_id,
            &timestamp(write.at),
            &write.actor_id
        )?);
        statements.push(query!(&self.db, "DELETE FROM sync_guard"));
        match self.db.batch(statements).await {
            Ok(_) => Ok(true),
            Err(error) => {
                let message = error.to_string();
                if message.contains("CHECK constraint") {
                    Ok(false)
                } else {
                    Err(ApiError::Database(message))
                }
            }
        }
    }
}
