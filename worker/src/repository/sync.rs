//! SQL for sync (`migrations/0003_sync.sql`): devices and their `last_seq`, the decided
//! mutations (order writes with their audit events, rejections, no-ops) and the pull pages.
//!
//! Every decision is written by ONE batch that starts with the concurrency guard: an insert
//! into `sync_guard` whose CHECK (ok = 1) fails unless the order still has the version the
//! decision was made on AND the device still has the `last_seq` it was read with. A failing
//! statement fails the whole batch, so a decision made on stale data writes nothing and is made
//! again ([`CommitError::Stale`]). Because of the `last_seq` part, retrying a batch whose commit
//! outcome is unknown is always safe: if it had landed, the retry's guard fails.

use chrono::{DateTime, Utc};
use domain::{HistoryEvent, Order, Rejection};
use serde::Deserialize;
use uuid::Uuid;
use worker::{query, D1PreparedStatement, D1Result};

use super::{status_column, timestamp, to_json, Repository};
use crate::error::ApiError;

/// `orders.version` of an order that does not exist yet, for the guard.
pub const NO_VERSION: i64 = -1;

#[derive(Debug, Clone, Deserialize)]
pub struct DeviceRow {
    pub user_id: String,
    pub last_seq: i64,
}

#[derive(Deserialize)]
struct OrderRow {
    doc: String,
    version: i64,
}

/// One row of a pull page: the stored document as text (spliced into the answer unparsed).
#[derive(Deserialize)]
pub struct PullRow {
    pub id: String,
    pub doc: String,
    pub version: i64,
    pub deleted: i64,
}

pub struct PullSnapshot {
    pub last_seq: i64,
    pub orders: Vec<PullRow>,
    /// With their ids: the rejection cursor.
    pub rejections: Vec<(i64, Rejection)>,
}

#[derive(Deserialize)]
struct RejectionRow {
    id: i64,
    seq: i64,
    order_id: String,
    code: String,
    message: String,
    message_en: String,
    mutation: String,
    device_time: String,
    rejected_at: String,
}

#[derive(Deserialize)]
struct NumberRow {
    number: String,
}

#[derive(Deserialize)]
struct ValueRow {
    value: i64,
}

/// What a decision is written with: which device mutation it is and what it was based on.
pub struct DecisionBasis<'a> {
    pub device_id: &'a str,
    /// The device's `last_seq` when the decision was made; the new one is `seq`.
    pub last_seq: i64,
    pub seq: i64,
    pub device_time: DateTime<Utc>,
    pub order_id: Uuid,
    /// The order's version the decision was made on, or `NO_VERSION` if it did not exist.
    pub order_version: i64,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug)]
pub enum CommitError {
    /// A guard or a unique index refused the batch: the order, the device or an order number
    /// changed since they were read. Nothing was written; read again and decide again.
    Stale,
    /// D1 said something that may go away on its own; nothing or everything was written.
    Transient(String),
    Other(ApiError),
}

impl From<worker::Error> for CommitError {
    fn from(error: worker::Error) -> Self {
        let text = error.to_string();
        if text.contains("constraint failed") || text.contains("SQLITE_CONSTRAINT") {
            CommitError::Stale
        } else if is_transient(&text) {
            CommitError::Transient(text)
        } else {
            CommitError::Other(ApiError::Database(text))
        }
    }
}

impl From<ApiError> for CommitError {
    fn from(error: ApiError) -> Self {
        CommitError::Other(error)
    }
}

/// D1 errors that Cloudflare documents as worth retrying (the operation may succeed again).
pub fn is_transient(message: &str) -> bool {
    const RETRYABLE: [&str; 7] = [
        "Network connection lost",
        "storage caused object to be reset",
        "reset because its code was updated",
        "Cannot resolve D1 DB due to transient issue",
        "D1 DB is overloaded",
        "internal error",
        "timed out",
    ];
    RETRYABLE.iter().any(|pattern| message.contains(pattern))
}

fn rejection_from_row(row: RejectionRow) -> Result<(i64, Rejection), ApiError> {
    let bad = |what: &str| ApiError::Internal(format!("stored rejection {}: bad {what}", row.id));
    let time = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| bad("time"))
    };
    Ok((
        row.id,
        Rejection {
            seq: u64::try_from(row.seq).map_err(|_| bad("seq"))?,
            order_id: row.order_id.parse().map_err(|_| bad("order id"))?,
            code: row.code.clone(),
            message: row.message.clone(),
            message_en: row.message_en.clone(),
            mutation: serde_json::from_str(&row.mutation).map_err(|_| bad("mutation"))?,
            device_time: time(&row.device_time)?,
            rejected_at: time(&row.rejected_at)?,
        },
    ))
}

impl Repository {
    /// The device row, registering the device to `user_id` if it is new (one round trip).
    pub async fn claim_device(
        &self,
        device_id: &str,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<DeviceRow, ApiError> {
        let results = self
            .db
            .batch(vec![
                query!(
                    &self.db,
                    "INSERT INTO sync_devices (device_id, user_id, last_seq, created_at) \
                     VALUES (?1, ?2, 0, ?3) ON CONFLICT (device_id) DO NOTHING",
                    &device_id,
                    &user_id,
                    &timestamp(now)
                )?,
                self.device_statement(device_id)?,
            ])
            .await?;
        first_row(&results[1])?.ok_or_else(|| ApiError::Database("the device row vanished".into()))
    }

    pub async fn read_device(&self, device_id: &str) -> Result<Option<DeviceRow>, ApiError> {
        Ok(self.device_statement(device_id)?.first(None).await?)
    }

    fn device_statement(&self, device_id: &str) -> Result<D1PreparedStatement, ApiError> {
        Ok(query!(
            &self.db,
            "SELECT user_id, last_seq FROM sync_devices WHERE device_id = ?1",
            &device_id
        )?)
    }

    /// The order as stored (deleted ones too: a tombstone is still the order) and its version.
    pub async fn load_order(&self, id: Uuid) -> Result<Option<(Order, i64)>, ApiError> {
        let row: Option<OrderRow> = query!(
            &self.db,
            "SELECT doc, version FROM orders WHERE id = ?1",
            &id.to_string()
        )?
        .first(None)
        .await?;
        row.map(|row| {
            let order = serde_json::from_str(&row.doc)
                .map_err(|error| ApiError::Internal(format!("order {id}: {error}")))?;
            Ok((order, row.version))
        })
        .transpose()
    }

    /// Numbers of OTHER orders equal to `number` or of the form `number-…`, lower-cased: all a
    /// renumbering can collide with. (The unique index still has the last word at write time.)
    pub async fn numbers_like(&self, number: &str, except: Uuid) -> Result<Vec<String>, ApiError> {
        let escaped: String = number
            .chars()
            .flat_map(|c| match c {
                '\\' | '%' | '_' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let rows: Vec<NumberRow> = query!(
            &self.db,
            "SELECT number FROM orders WHERE id <> ?1 \
             AND (number = ?2 COLLATE NOCASE OR number LIKE ?3 ESCAPE '\\')",
            &except.to_string(),
            &number,
            &format!("{escaped}-%")
        )?
        .all()
        .await?
        .results()?;
        Ok(rows.into_iter().map(|r| r.number.to_lowercase()).collect())
    }

    fn guard(&self, basis: &DecisionBasis) -> Result<D1PreparedStatement, ApiError> {
        Ok(query!(
            &self.db,
            "INSERT INTO sync_guard (ok) SELECT \
             (SELECT COUNT(*) FROM sync_devices WHERE device_id = ?1 AND last_seq = ?2) = 1 \
             AND COALESCE((SELECT version FROM orders WHERE id = ?3), -1) = ?4",
            &basis.device_id,
            &basis.last_seq,
            &basis.order_id.to_string(),
            &basis.order_version
        )?)
    }

    fn advance_device(&self, basis: &DecisionBasis) -> Result<D1PreparedStatement, ApiError> {
        Ok(query!(
            &self.db,
            "UPDATE sync_devices SET last_seq = ?2, last_push_at = ?3 WHERE device_id = ?1",
            &basis.device_id,
            &basis.seq,
            &timestamp(basis.received_at)
        )?)
    }

    fn clear_guard(&self) -> D1PreparedStatement {
        query!(&self.db, "DELETE FROM sync_guard")
    }

    /// Writes an accepted mutation: the order (document + derived columns, new global version),
    /// its audit events and the device's new `last_seq`, in one transaction. Returns the
    /// order's new version.
    pub async fn commit_applied(
        &self,
        basis: &DecisionBasis<'_>,
        order: &Order,
        events: &[HistoryEvent],
    ) -> Result<i64, CommitError> {
        let doc = to_json(order)?;
        let mut statements = vec![
            self.guard(basis)?,
            query!(
                &self.db,
                "UPDATE server_meta SET value = value + 1 WHERE key = 'version' RETURNING value"
            ),
            query!(
                &self.db,
                "INSERT INTO orders (id, number, stage, status, owner_id, phone_last4, doc, version, \
                 deleted, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, \
                 (SELECT value FROM server_meta WHERE key = 'version'), 0, ?8, ?9) \
                 ON CONFLICT (id) DO UPDATE SET number = excluded.number, stage = excluded.stage, \
                 status = excluded.status, owner_id = excluded.owner_id, \
                 phone_last4 = excluded.phone_last4, doc = excluded.doc, \
                 version = excluded.version, updated_at = excluded.updated_at",
                &order.id.to_string(),
                &order.number.as_str(),
                &order.stage.0,
                &status_column(&order.status),
                &order.owner.user_id,
                &order.customer.phone_last4(),
                &doc,
                &order.created_at.to_rfc3339(),
                &order.updated_at.to_rfc3339()
            )?,
        ];
        for event in events {
            let payload = to_json(&event.kind)?;
            statements.push(query!(
                &self.db,
                "INSERT INTO order_events (order_id, at, server_received_at, actor_id, kind, \
                 payload, device_id, seq, device_time) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                &order.id.to_string(),
                &event.at.to_rfc3339(),
                &basis.received_at.to_rfc3339(),
                &event.actor.user_id,
                &event.kind.name(),
                &payload,
                &basis.device_id,
                &basis.seq,
                &timestamp(basis.device_time)
            )?);
        }
        statements.push(self.advance_device(basis)?);
        statements.push(self.clear_guard());
        let results = self.db.batch(statements).await?;
        let version: Option<ValueRow> = first_row(&results[1])?;
        version
            .map(|row| row.value)
            .ok_or_else(|| CommitError::Other(ApiError::Database("no version returned".into())))
    }

    /// Records a refused mutation and moves the device's `last_seq` past it, in one transaction.
    pub async fn commit_rejection(
        &self,
        basis: &DecisionBasis<'_>,
        rejection: &Rejection,
    ) -> Result<(), CommitError> {
        let mutation = to_json(&rejection.mutation)?;
        let statements = vec![
            self.guard(basis)?,
            query!(
                &self.db,
                "INSERT INTO sync_rejections (device_id, seq, order_id, code, message, message_en, \
                 mutation, device_time, rejected_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                &basis.device_id,
                &basis.seq,
                &rejection.order_id.to_string(),
                &rejection.code,
                &rejection.message,
                &rejection.message_en,
                &mutation,
                &timestamp(rejection.device_time),
                &timestamp(rejection.rejected_at)
            )?,
            self.advance_device(basis)?,
            self.clear_guard(),
        ];
        self.db.batch(statements).await?;
        Ok(())
    }

    /// An accepted mutation that changes nothing: only the device's `last_seq` moves.
    pub async fn commit_unchanged(&self, basis: &DecisionBasis<'_>) -> Result<(), CommitError> {
        let statements = vec![
            self.guard(basis)?,
            self.advance_device(basis)?,
            self.clear_guard(),
        ];
        self.db.batch(statements).await?;
        Ok(())
    }

    /// This device's rejections with `from <= seq <= to`, by seq (a push's answer).
    pub async fn rejections_between(
        &self,
        device_id: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<Rejection>, ApiError> {
        let rows: Vec<RejectionRow> = query!(
            &self.db,
            "SELECT * FROM sync_rejections WHERE device_id = ?1 AND seq BETWEEN ?2 AND ?3 \
             ORDER BY seq",
            &device_id,
            &from,
            &to
        )?
        .all()
        .await?
        .results()?;
        rows.into_iter()
            .map(|row| rejection_from_row(row).map(|(_, r)| r))
            .collect()
    }

    /// One pull page, read in ONE batch so that it is one snapshot: the device's `last_seq`,
    /// the orders (tombstones included) with `version > cursor` in version order (at most
    /// `limit`), and the device's rejections after the rejection cursor (at most
    /// `rejection_limit`, with their ids).
    pub async fn pull_snapshot(
        &self,
        device_id: &str,
        cursor: i64,
        limit: u32,
        rejections_after: i64,
        rejection_limit: u32,
    ) -> Result<PullSnapshot, ApiError> {
        let results = self
            .db
            .batch(vec![
                self.device_statement(device_id)?,
                query!(
                    &self.db,
                    "SELECT id, doc, version, deleted FROM orders WHERE version > ?1 \
                     ORDER BY version LIMIT ?2",
                    &cursor,
                    &limit
                )?,
                query!(
                    &self.db,
                    "SELECT * FROM sync_rejections WHERE device_id = ?1 AND id > ?2 \
                     ORDER BY id LIMIT ?3",
                    &device_id,
                    &rejections_after,
                    &rejection_limit
                )?,
            ])
            .await?;
        let device: Option<DeviceRow> = first_row(&results[0])?;
        let rejections: Vec<RejectionRow> = results[2].results()?;
        Ok(PullSnapshot {
            last_seq: device.map_or(0, |d| d.last_seq),
            orders: results[1].results()?,
            rejections: rejections
                .into_iter()
                .map(rejection_from_row)
                .collect::<Result<_, _>>()?,
        })
    }
}

fn first_row<T: for<'a> Deserialize<'a>>(result: &D1Result) -> Result<Option<T>, ApiError> {
    Ok(result.results::<T>()?.into_iter().next())
}
