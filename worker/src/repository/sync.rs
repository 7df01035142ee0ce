//! SQL for sync (`migrations/0003_sync.sql`): devices and their `last_seq`, the decided
//! mutations (order writes with their audit events, rejections, no-ops) and the pull pages.
//!
//! The decisions of a run of consecutive mutations of one device (up to `DECISIONS_PER_BATCH`
//! in the handler) are written by ONE batch that starts with the concurrency guard: an insert
//! into `sync_guard` whose CHECK (ok = 1) fails unless every order the decisions looked at still
//! has the version they saw AND the device still has the `last_seq` it was read with. A failing
//! statement fails the whole batch, so decisions made on stale data write nothing and are made
//! again ([`CommitError::Stale`]). Because of the `last_seq` part, retrying a batch whose commit
//! outcome is unknown is always safe: if it had landed, the retry's guard fails.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::{HistoryEvent, Order, Rejection};
use serde::Deserialize;
use uuid::Uuid;
use worker::{query, D1PreparedStatement, D1Result};

use super::{timestamp, to_json, Repository};
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
    id: String,
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
    /// Rows the page's count limit admitted, before the byte limit cut it.
    pub admitted: i64,
}

pub struct PullSnapshot {
    pub last_seq: i64,
    pub orders: Vec<PullRow>,
    /// With their ids: the rejection cursor.
    pub rejections: Vec<(i64, Rejection)>,
    /// How many rejections the count limit let through before the byte limit cut the page.
    pub rejections_admitted: usize,
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
    /// Only in a pull page: rows the count limit admitted (`pull_snapshot`).
    #[serde(default)]
    admitted: i64,
}

#[derive(Deserialize)]
struct NumberRow {
    id: String,
    number_key: String,
}

#[derive(Deserialize)]
struct ValueRow {
    value: i64,
}

/// The decisions of consecutive mutations of one device, to be written together.
pub struct DecisionWrite<'a> {
    pub device_id: &'a str,
    /// The device's `last_seq` the decisions were made after, and the one they end at.
    pub last_seq: i64,
    pub new_last_seq: i64,
    pub received_at: DateTime<Utc>,
    /// Every order a decision looked at, with the version it had then (`NO_VERSION` = absent).
    pub based_on: Vec<(Uuid, i64)>,
    /// The final state of each order that changed.
    pub orders: Vec<&'a Order>,
    /// (order id, seq, device time, event) of every accepted mutation, in decision order.
    pub events: Vec<(Uuid, i64, DateTime<Utc>, &'a HistoryEvent)>,
    pub rejections: Vec<&'a Rejection>,
    /// Messages caused by these decisions (customer notices), queued in the same transaction.
    pub notices: Vec<super::NewOutboxRow>,
}

impl<'a> DecisionWrite<'a> {
    /// Only the refusal of the mutation right after `last_seq` (nothing else changes).
    pub fn refusal(device_id: &'a str, last_seq: u64, rejection: &'a Rejection) -> Self {
        DecisionWrite {
            device_id,
            last_seq: last_seq as i64,
            new_last_seq: rejection.seq as i64,
            received_at: rejection.rejected_at,
            based_on: Vec::new(),
            orders: Vec::new(),
            events: Vec::new(),
            rejections: vec![rejection],
            notices: Vec::new(),
        }
    }
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
        // Transient first: D1 reports an aborted statement as a constraint failure too.
        if is_transient(&text) {
            CommitError::Transient(text)
        } else if is_too_big(&text) {
            CommitError::Other(ApiError::Database(text))
        } else if text.contains("constraint failed") || text.contains("SQLITE_CONSTRAINT") {
            CommitError::Stale
        } else {
            CommitError::Other(ApiError::Database(text))
        }
    }
}

impl CommitError {
    /// A failure no retry can fix: the row would exceed what D1 stores.
    pub fn is_permanent(&self) -> bool {
        matches!(self, CommitError::Other(ApiError::Database(text)) if is_too_big(text))
    }

    /// What to answer when the request gives up on this failure.
    pub fn into_api_error(self) -> ApiError {
        match self {
            CommitError::Stale | CommitError::Transient(_) => ApiError::SyncBusy,
            CommitError::Other(error) => error,
        }
    }
}

impl std::fmt::Display for CommitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommitError::Stale => f.write_str("the guard refused the batch (data changed)"),
            CommitError::Transient(text) => write!(f, "transient: {text}"),
            CommitError::Other(error) => write!(f, "{error}"),
        }
    }
}

/// SQLite's "string or blob too big" (a row over D1's limit).
fn is_too_big(message: &str) -> bool {
    message.contains("SQLITE_TOOBIG") || message.contains("too big")
}

impl From<ApiError> for CommitError {
    fn from(error: ApiError) -> Self {
        CommitError::Other(error)
    }
}

/// Bytes of order documents one pull page carries at most (plus the one row that crosses it).
pub const MAX_PULL_PAGE_BYTES: i64 = 4 * 1024 * 1024;
/// Bytes of stored refused changes one pull page reads at most (plus the one row that crosses
/// it). New ones are a few KB each (`domain::MAX_REJECTED_CONTENT_BYTES`); rows stored before
/// that bound could be 1 MB, and 100 of them must not land in the worker's memory at once.
pub const MAX_PULL_REJECTION_BYTES: i64 = 1024 * 1024;
/// Refusals kept per person (over all their devices; device ids cost nothing to make): the
/// newest ones. A phone pulls its refusals within minutes, so only a flood loses any.
pub const MAX_KEPT_REJECTIONS: i64 = 200;
/// Refusals older than this are deleted by the hourly cron: the phone had them long ago.
pub const REJECTION_RETENTION_DAYS: i64 = 30;

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
        }
        // Rows stored before the bound go out bounded too.
        .with_bounded_content(),
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

    /// The orders with these ids as stored (deleted ones too: a tombstone is still the order)
    /// with their versions. One statement; the ids travel as ONE JSON parameter.
    pub async fn load_orders(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, (Order, i64)>, ApiError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let ids_json = to_json(&ids.iter().map(Uuid::to_string).collect::<Vec<_>>())?;
        let rows: Vec<OrderRow> = query!(
            &self.db,
            "SELECT id, doc, version FROM orders WHERE id IN (SELECT value FROM json_each(?1))",
            &ids_json
        )?
        .all()
        .await?
        .results()?;
        rows.into_iter()
            .map(|row| {
                let id: Uuid = row
                    .id
                    .parse()
                    .map_err(|_| ApiError::Internal(format!("bad order id {}", row.id)))?;
                let order = serde_json::from_str(&row.doc)
                    .map_err(|error| ApiError::Internal(format!("order {id}: {error}")))?;
                Ok((id, (order, row.version)))
            })
            .collect()
    }

    /// Every order whose number key is one of `stems` or a stem followed by `-` and digits, as
    /// (id, number key): exactly what renumbering can ask about (`domain::renumber_stems`).
    /// Binary ranges on the key's unique index, not LIKE (D1 caps LIKE patterns at 50 bytes; a
    /// 40-character Chinese number is 120). The unique index still has the last word at write time.
    pub async fn numbers_taken(&self, stems: &[String]) -> Result<Vec<(Uuid, String)>, ApiError> {
        if stems.is_empty() {
            return Ok(Vec::new());
        }
        let stems_json = to_json(&stems)?;
        let rows: Vec<NumberRow> = query!(
            &self.db,
            "SELECT o.id AS id, o.number_key AS number_key FROM json_each(?1) j \
             JOIN orders o ON o.number_key = j.value \
             UNION \
             SELECT o.id, o.number_key FROM json_each(?1) j \
             JOIN orders o ON o.number_key >= (j.value || '-') \
             AND o.number_key < (j.value || '.') \
             AND substr(o.number_key, length(j.value) + 2) NOT GLOB '*[^0-9]*'",
            &stems_json
        )?
        .all()
        .await?
        .results()?;
        Ok(rows
            .into_iter()
            .filter_map(|row| Some((row.id.parse().ok()?, row.number_key)))
            .collect())
    }

    /// Writes the decisions of consecutive mutations of one device in ONE batch (one
    /// transaction): the guard, per changed order one version bump and its final document with
    /// derived columns, the audit events, the rejections, the customer notices they cause, the
    /// device's new `last_seq`.
    /// Returns the new version of each order in `write.orders`, in that order.
    pub async fn commit_decisions(
        &self,
        write: &DecisionWrite<'_>,
    ) -> Result<Vec<i64>, CommitError> {
        let based_on: Vec<(String, i64)> = write
            .based_on
            .iter()
            .map(|(id, version)| (id.to_string(), *version))
            .collect();
        let based_on = to_json(&based_on)?;
        let mut statements = vec![query!(
            &self.db,
            "INSERT INTO sync_guard (ok) SELECT \
             (SELECT COUNT(*) FROM sync_devices WHERE device_id = ?1 AND last_seq = ?2) = 1 \
             AND NOT EXISTS (SELECT 1 FROM json_each(?3) j WHERE \
             COALESCE((SELECT version FROM orders WHERE id = json_extract(j.value, '$[0]')), -1) \
             <> json_extract(j.value, '$[1]'))",
            &write.device_id,
            &write.last_seq,
            &based_on
        )?];
        let mut version_at = Vec::with_capacity(write.orders.len());
        for order in &write.orders {
            version_at.push(statements.len());
            statements.push(query!(
                &self.db,
                "UPDATE server_meta SET value = value + 1 WHERE key = 'version' RETURNING value"
            ));
            statements.push(self.write_order(order)?);
        }
        for (order_id, seq, device_time, event) in &write.events {
            let payload = to_json(&event.kind)?;
            statements.push(query!(
                &self.db,
                "INSERT INTO order_events (order_id, at, server_received_at, actor_id, kind, \
                 payload, device_id, seq, device_time) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                &order_id.to_string(),
                &event.at.to_rfc3339(),
                &write.received_at.to_rfc3339(),
                &event.actor.user_id,
                &event.kind.name(),
                &payload,
                &write.device_id,
                seq,
                &timestamp(*device_time)
            )?);
        }
        for rejection in &write.rejections {
            let rejection = (*rejection).clone().with_bounded_content();
            let mutation = to_json(&rejection.mutation)?;
            statements.push(query!(
                &self.db,
                "INSERT INTO sync_rejections (device_id, seq, order_id, code, message, message_en, \
                 mutation, device_time, rejected_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                &write.device_id,
                &(rejection.seq as i64),
                &rejection.order_id.to_string(),
                &rejection.code,
                &rejection.message,
                &rejection.message_en,
                &mutation,
                &timestamp(rejection.device_time),
                &timestamp(rejection.rejected_at)
            )?);
        }
        if !write.rejections.is_empty() {
            // Only this person's newest `MAX_KEPT_REJECTIONS` stay, whatever device ids a
            // flood of refused pushes uses.
            statements.push(query!(
                &self.db,
                "DELETE FROM sync_rejections WHERE id IN ( \
                   SELECT r.id FROM sync_rejections r JOIN sync_devices d USING (device_id) \
                   WHERE d.user_id = (SELECT user_id FROM sync_devices WHERE device_id = ?1) \
                   ORDER BY r.id DESC LIMIT -1 OFFSET ?2)",
                &write.device_id,
                &MAX_KEPT_REJECTIONS
            )?);
        }
        for notice in &write.notices {
            statements.push(self.outbox_insert(notice)?);
        }
        statements.push(query!(
            &self.db,
            "UPDATE sync_devices SET last_seq = ?2, last_push_at = ?3 WHERE device_id = ?1",
            &write.device_id,
            &write.new_last_seq,
            &timestamp(write.received_at)
        )?);
        statements.push(query!(
            &self.db,
            "DELETE FROM sync_failures WHERE device_id = ?1 AND seq <= ?2",
            &write.device_id,
            &write.new_last_seq
        )?);
        statements.push(query!(&self.db, "DELETE FROM sync_guard"));
        let results = self.db.batch(statements).await?;
        version_at
            .into_iter()
            .map(|index| {
                let row: Option<ValueRow> = first_row(&results[index])?;
                row.map(|row| row.value).ok_or_else(|| {
                    CommitError::Other(ApiError::Database("no version returned".into()))
                })
            })
            .collect()
    }

    /// Deletes refusals decided before `before` (the hourly cron, with `now` less
    /// `REJECTION_RETENTION_DAYS`); how many went.
    pub async fn delete_rejections_before(&self, before: DateTime<Utc>) -> Result<usize, ApiError> {
        let result = query!(
            &self.db,
            "DELETE FROM sync_rejections WHERE rejected_at < ?1",
            &timestamp(before)
        )?
        .run()
        .await?;
        super::accounts::changed_rows(&result)
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
                // At most `limit` rows and about `MAX_PULL_PAGE_BYTES` of documents (always at
                // least one row): orders may be up to 512 KB each, and a page must fit in the
                // worker's memory and a phone's.
                query!(
                    &self.db,
                    "SELECT id, doc, version, deleted, admitted FROM ( \
                       SELECT id, doc, version, deleted, COUNT(*) OVER () AS admitted, \
                       SUM(length(CAST(doc AS BLOB))) OVER (ORDER BY version) \
                       - length(CAST(doc AS BLOB)) AS before \
                       FROM (SELECT * FROM orders WHERE version > ?1 ORDER BY version LIMIT ?2) \
                     ) WHERE before < ?3 ORDER BY version",
                    &cursor,
                    &limit,
                    &MAX_PULL_PAGE_BYTES
                )?,
                // Like the orders: at most `rejection_limit` rows and about
                // `MAX_PULL_REJECTION_BYTES` of content (always at least one row).
                query!(
                    &self.db,
                    "SELECT * FROM ( \
                       SELECT *, COUNT(*) OVER () AS admitted, \
                       SUM(length(CAST(mutation AS BLOB))) OVER (ORDER BY id) \
                       - length(CAST(mutation AS BLOB)) AS before \
                       FROM (SELECT * FROM sync_rejections WHERE device_id = ?1 AND id > ?2 \
                             ORDER BY id LIMIT ?3) \
                     ) WHERE before < ?4 ORDER BY id",
                    &device_id,
                    &rejections_after,
                    &rejection_limit,
                    &MAX_PULL_REJECTION_BYTES
                )?,
            ])
            .await?;
        let device: Option<DeviceRow> = first_row(&results[0])?;
        let rejections: Vec<RejectionRow> = results[2].results()?;
        Ok(PullSnapshot {
            last_seq: device.map_or(0, |d| d.last_seq),
            orders: results[1].results()?,
            rejections_admitted: rejections.first().map_or(0, |row| row.admitted as usize),
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

#[derive(Deserialize)]
struct MissingKeyRow {
    doc: String,
    version: i64,
}

impl Repository {
    /// Up to `limit` orders stored before number keys existed whose key is not filled yet
    /// (migration 0009 fills printable-ASCII numbers itself), with their versions.
    pub async fn orders_missing_number_key(
        &self,
        limit: u32,
    ) -> Result<Vec<(Order, i64)>, ApiError> {
        let rows: Vec<MissingKeyRow> = query!(
            &self.db,
            "SELECT doc, version FROM orders WHERE number_key IS NULL LIMIT ?1",
            &limit
        )?
        .all()
        .await?
        .results()?;
        rows.into_iter()
            .map(|row| {
                let order: Order = serde_json::from_str(&row.doc)
                    .map_err(|error| ApiError::Internal(format!("stored order: {error}")))?;
                Ok((order, row.version))
            })
            .collect()
    }

    /// Fills the key of an order whose number collides with no other (no new version: the
    /// document does not change). False if the row changed meanwhile or the key got taken.
    pub async fn fill_number_key(&self, order: &Order, version: i64) -> Result<bool, ApiError> {
        let result = query!(
            &self.db,
            "UPDATE orders SET number_key = ?2 WHERE id = ?1 AND version = ?3 \
             AND number_key IS NULL",
            &order.id.to_string(),
            &order.number.key(),
            &version
        )?
        .run()
        .await;
        match result {
            Ok(done) => Ok(done
                .meta()?
                .and_then(|meta| meta.changes)
                .is_some_and(|changes| changes == 1)),
            Err(error) if error.to_string().contains("constraint failed") => Ok(false),
            Err(error) => Err(error.into()),
        }
    }
}

#[derive(Deserialize)]
struct AttemptsRow {
    attempts: i64,
}

impl Repository {
    /// Counts one more push that ended without saving this change; returns how many did.
    pub async fn record_sync_failure(
        &self,
        device_id: &str,
        seq: u64,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<u32, ApiError> {
        let error: String = error.chars().take(500).collect();
        let row: Option<AttemptsRow> = query!(
            &self.db,
            "INSERT INTO sync_failures (device_id, seq, attempts, last_error, last_at) \
             VALUES (?1, ?2, 1, ?3, ?4) ON CONFLICT (device_id, seq) DO UPDATE SET \
             attempts = attempts + 1, last_error = excluded.last_error, last_at = excluded.last_at \
             RETURNING attempts",
            &device_id,
            &(seq as i64),
            &error,
            &timestamp(now)
        )?
        .first(None)
        .await?;
        Ok(row.map_or(1, |row| u32::try_from(row.attempts).unwrap_or(u32::MAX)))
    }
}
