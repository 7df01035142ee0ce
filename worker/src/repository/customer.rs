//! SQL for the customer side (`migrations/0004_customer.sql`): lookups with their rate-limit
//! counters in the same round trip, and the customer's own writes (rating, after-sales).
//!
//! A customer read is ONE batch: drop ended windows, count this request against each of its
//! keys, read the order with its sales person's work phone. Counting before judging means a
//! burst of simultaneous guesses cannot slip past a limit, and it costs no extra round trip.
//!
//! A customer write is ONE batch like a sync decision: a guard that the order still has the
//! version the decision was made on (`sync_guard`, see `sync.rs`), the global version bump, the
//! document with its derived columns, the audit rows. So the team's phones pull it like any
//! other change, and a concurrent team edit makes the guard refuse instead of being overwritten.

use chrono::{DateTime, Utc};
use domain::{HistoryEvent, Order};
use serde::Deserialize;
use uuid::Uuid;
use worker::{query, D1PreparedStatement};

use super::{timestamp, to_json, CommitError, Repository};
use crate::error::ApiError;

/// One rate-limit counter a request is counted against.
#[derive(Debug, Clone)]
pub struct TrackKey {
    pub key: String,
    pub limit: u32,
    /// When a window this request opens ends.
    pub window_ends_at: DateTime<Utc>,
}

/// A counter after this request was counted.
#[derive(Debug, Clone)]
pub struct TrackCount {
    pub limit: u32,
    pub hits: u32,
    pub window_ends_at: String,
}

/// An order as a customer request needs it.
pub struct CustomerOrder {
    pub order: Order,
    pub version: i64,
    /// The owner's work phone from `users`, shown to the customer as the sales contact's.
    pub sales_phone: Option<String>,
    /// Links of this order issued up to then (Unix ms) are void (`share_revocations`).
    pub links_revoked_through_ms: Option<i64>,
}

#[derive(Deserialize)]
struct CountRow {
    hits: i64,
    window_ends_at: String,
}

#[derive(Deserialize)]
struct OrderRow {
    doc: String,
    version: i64,
    work_phone: Option<String>,
    revoked_through_ms: Option<i64>,
}

#[derive(Deserialize)]
struct IdRow {
    id: String,
}

/// Which order a customer request is about.
pub enum CustomerLookup<'a> {
    /// Typed by the customer; matched case-insensitively.
    Number(&'a str),
    /// From a verified signed link.
    Id(Uuid),
}

const ORDER_COLUMNS: &str =
    "SELECT o.doc AS doc, o.version AS version, u.work_phone AS work_phone, \
     r.revoked_through_ms AS revoked_through_ms \
     FROM orders o LEFT JOIN users u ON u.id = o.owner_id \
     LEFT JOIN share_revocations r ON r.order_id = o.id";

impl Repository {
    /// Counts this request against `keys` (each opening its own window when it has none), reads
    /// the live count of `peek` without counting (0 when absent), and reads the order, in one
    /// batch. Deleted orders are not found.
    pub async fn customer_read(
        &self,
        keys: &[TrackKey],
        now: DateTime<Utc>,
        lookup: CustomerLookup<'_>,
        peek: Option<&str>,
    ) -> Result<(Vec<TrackCount>, u32, Option<CustomerOrder>), ApiError> {
        let now = timestamp(now);
        let mut statements: Vec<D1PreparedStatement> = vec![query!(
            &self.db,
            "DELETE FROM track_throttle WHERE window_ends_at <= ?1",
            &now
        )?];
        for key in keys {
            let window_end = timestamp(key.window_ends_at);
            statements.push(query!(
                &self.db,
                "INSERT INTO track_throttle (key, hits, window_ends_at) VALUES (?1, 1, ?3) \
                 ON CONFLICT (key) DO UPDATE SET \
                   hits = CASE WHEN window_ends_at > ?2 THEN hits + 1 ELSE 1 END, \
                   window_ends_at = CASE WHEN window_ends_at > ?2 THEN window_ends_at ELSE ?3 END \
                 RETURNING hits, window_ends_at",
                &key.key,
                &now,
                &window_end
            )?);
        }
        // Always one statement here, so the order's result stays last.
        statements.push(query!(
            &self.db,
            "SELECT hits, window_ends_at FROM track_throttle WHERE key = ?1 AND window_ends_at > ?2",
            &peek.unwrap_or(""),
            &now
        )?);
        statements.push(match lookup {
            // By the number's key, as the unique index compares (a customer may type `ｇｄ-１`);
            // a row from before the key column whose key is not filled yet, by its number.
            CustomerLookup::Number(number) => query!(
                &self.db,
                &format!(
                    "{ORDER_COLUMNS} WHERE (o.number_key = ?1 \
                     OR (o.number_key IS NULL AND o.number = ?2 COLLATE NOCASE)) AND o.deleted = 0"
                ),
                &domain::number_key(number),
                &number
            )?,
            CustomerLookup::Id(id) => query!(
                &self.db,
                &format!("{ORDER_COLUMNS} WHERE o.id = ?1 AND o.deleted = 0"),
                &id.to_string()
            )?,
        });
        let results = self.db.batch(statements).await?;
        let mut counts = Vec::with_capacity(keys.len());
        for (key, result) in keys.iter().zip(results.iter().skip(1)) {
            let row = result
                .results::<CountRow>()?
                .into_iter()
                .next()
                .ok_or_else(|| ApiError::Database("the throttle upsert returned no row".into()))?;
            counts.push(TrackCount {
                limit: key.limit,
                hits: u32::try_from(row.hits).unwrap_or(u32::MAX),
                window_ends_at: row.window_ends_at,
            });
        }
        let peeked = results
            .get(1 + keys.len())
            .map(|result| result.results::<CountRow>())
            .transpose()?
            .and_then(|rows| rows.into_iter().next())
            .map(|row| u32::try_from(row.hits).unwrap_or(u32::MAX))
            .unwrap_or(0);
        let order = results
            .last()
            .map(|result| result.results::<OrderRow>())
            .transpose()?
            .and_then(|rows| rows.into_iter().next())
            .map(|row| {
                Ok::<_, ApiError>(CustomerOrder {
                    order: serde_json::from_str(&row.doc)
                        .map_err(|error| ApiError::Internal(error.to_string()))?,
                    version: row.version,
                    sales_phone: row.work_phone.filter(|phone| !phone.trim().is_empty()),
                    links_revoked_through_ms: row.revoked_through_ms,
                })
            })
            .transpose()?;
        Ok((counts, peeked, order))
    }

    /// Takes back one count of `key` (a lookup with the right digits does not use the day's
    /// allowance of wrong ones).
    pub async fn forgive_track(&self, key: &str) -> Result<(), ApiError> {
        // `hits >= 1` is a CHECK of the table: a count going back to 0 is a row going away.
        self.db
            .batch(vec![
                query!(
                    &self.db,
                    "DELETE FROM track_throttle WHERE key = ?1 AND hits <= 1",
                    &key
                )?,
                query!(
                    &self.db,
                    "UPDATE track_throttle SET hits = hits - 1 WHERE key = ?1",
                    &key
                )?,
            ])
            .await?;
        Ok(())
    }

    /// Records a day on which an order number hit its daily lookup limit (the strike counter's
    /// window restarts, so strikes are forgotten `until` after the last one), queues the team's
    /// messages about it and, when given, writes the order's record of it (the owner's 今天),
    /// in one batch: guarded like `commit_server_side_change`, so a concurrent change of the order
    /// refuses the whole batch (`CommitError::Stale`, nothing written) and the caller reads again.
    pub async fn record_lookup_strike(
        &self,
        strike_key: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
        messages: &[super::NewOutboxRow],
        order_change: Option<ServerSideChange<'_>>,
    ) -> Result<(), CommitError> {
        let until = timestamp(until);
        let stamp = timestamp(now);
        let mut statements = match &order_change {
            Some(change) => self.server_side_change_statements(change, now)?,
            None => Vec::new(),
        };
        statements.push(query!(
            &self.db,
            "INSERT INTO track_throttle (key, hits, window_ends_at) VALUES (?1, 1, ?2) \
             ON CONFLICT (key) DO UPDATE SET \
               hits = CASE WHEN window_ends_at > ?3 THEN hits + 1 ELSE 1 END, \
               window_ends_at = ?2",
            &strike_key,
            &until,
            &stamp
        )?);
        for message in messages {
            statements.push(self.outbox_insert(message)?);
        }
        self.db.batch(statements).await?;
        Ok(())
    }

    /// Whether an order with this id exists and is not deleted (to share it).
    /// Voids every link of `order_id` issued up to `through_ms` (never moves the mark back).
    pub async fn revoke_links(&self, order_id: Uuid, through_ms: i64) -> Result<(), ApiError> {
        query!(
            &self.db,
            "INSERT INTO share_revocations (order_id, revoked_through_ms) VALUES (?1, ?2) \
             ON CONFLICT (order_id) DO UPDATE SET \
               revoked_through_ms = MAX(revoked_through_ms, excluded.revoked_through_ms)",
            &order_id.to_string(),
            &through_ms
        )?
        .run()
        .await?;
        Ok(())
    }

    pub async fn find_live_order(&self, id: Uuid) -> Result<Option<Uuid>, ApiError> {
        let row: Option<IdRow> = query!(
            &self.db,
            "SELECT id FROM orders WHERE id = ?1 AND deleted = 0",
            &id.to_string()
        )?
        .first(None)
        .await?;
        Ok(row.and_then(|row| row.id.parse().ok()))
    }

    /// Writes a change of `order` made on the server, not by a syncing device (a customer's on
    /// the customer page, the system's renumbering), in one guarded batch: refused with
    /// `CommitError::Stale` (nothing written) unless the stored order, not deleted, still has
    /// `based_on_version`. Returns the order's new version.
    pub async fn commit_server_side_change(
        &self,
        order: &Order,
        based_on_version: i64,
        events: &[HistoryEvent],
        received_at: DateTime<Utc>,
    ) -> Result<i64, CommitError> {
        let change = ServerSideChange {
            order,
            based_on_version,
            events,
        };
        let statements = self.server_side_change_statements(&change, received_at)?;
        let results = self.db.batch(statements).await?;
        #[derive(Deserialize)]
        struct ValueRow {
            value: i64,
        }
        results[1]
            .results::<ValueRow>()
            .map_err(ApiError::from)?
            .into_iter()
            .next()
            .map(|row| row.value)
            .ok_or_else(|| CommitError::Other(ApiError::Database("no version returned".into())))
    }

    /// The statements of a server-side change: the guard (first), the version bump (second,
    /// `RETURNING` the new version), the document, its events, the guard's cleanup.
    fn server_side_change_statements(
        &self,
        change: &ServerSideChange<'_>,
        received_at: DateTime<Utc>,
    ) -> Result<Vec<D1PreparedStatement>, ApiError> {
        let order = change.order;
        let id = order.id.to_string();
        let received = received_at.to_rfc3339();
        // A NULL (order gone or deleted) fails the NOT NULL constraint, a different version the
        // CHECK: either way the whole batch rolls back.
        let mut statements = vec![
            query!(
                &self.db,
                "INSERT INTO sync_guard (ok) SELECT \
                 (SELECT version FROM orders WHERE id = ?1 AND deleted = 0) = ?2",
                &id,
                &change.based_on_version
            )?,
            query!(
                &self.db,
                "UPDATE server_meta SET value = value + 1 WHERE key = 'version' RETURNING value"
            ),
            // The guard above made sure the order exists, so this rewrites it.
            self.write_order(order)?,
        ];
        for event in change.events {
            let payload = to_json(&event.kind)?;
            // No device and no seq: the customer page is not a syncing device. The customer's
            // "device time" is the server's, the only clock involved.
            statements.push(query!(
                &self.db,
                "INSERT INTO order_events (order_id, at, server_received_at, actor_id, kind, \
                 payload, device_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                &id,
                &event.at.to_rfc3339(),
                &received,
                &event.actor.user_id,
                &event.kind.name(),
                &payload,
                &timestamp(event.at)
            )?);
        }
        statements.push(query!(&self.db, "DELETE FROM sync_guard"));
        Ok(statements)
    }
}

/// A change of an order made on the server, based on the version it was read at.
pub struct ServerSideChange<'a> {
    pub order: &'a Order,
    pub based_on_version: i64,
    pub events: &'a [HistoryEvent],
}
