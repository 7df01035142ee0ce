//! SQL for notifications (`migrations/0005_notifications.sql`): the channels an admin configured
//! and the outbox of messages to them.
//!
//! The outbox is how a message is never sent twice: a row is queued under a UNIQUE
//! `idempotency_key` (queuing it again does nothing), and a sender only works on rows it took
//! with ONE conditional UPDATE that flips them to `sending` with a lease, so two senders (the
//! cron and a request's `wait_until`) can never both hold a row.

use serde::Deserialize;
use worker::{query, D1PreparedStatement};

use super::{accounts::changed_rows, Repository};
use crate::error::ApiError;

/// A channel as stored, secret included. Only the notify module sees this; clients get
/// `notify::admin::ChannelView`, which has no secret and a masked URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRecord {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub url: String,
    pub secret: Option<String>,
    pub enabled: bool,
    pub receives_digest: bool,
    pub receives_customer_notices: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Deserialize)]
struct ChannelRow {
    id: String,
    kind: String,
    name: String,
    url: String,
    secret: Option<String>,
    enabled: i64,
    receives_digest: i64,
    receives_customer_notices: i64,
    created_at: String,
    updated_at: String,
}

impl From<ChannelRow> for ChannelRecord {
    fn from(row: ChannelRow) -> Self {
        ChannelRecord {
            id: row.id,
            kind: row.kind,
            name: row.name,
            url: row.url,
            secret: row.secret,
            enabled: row.enabled != 0,
            receives_digest: row.receives_digest != 0,
            receives_customer_notices: row.receives_customer_notices != 0,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxRow {
    pub idempotency_key: String,
    pub channel_id: String,
    /// `digest`, `customer_notice` or `test`.
    pub kind: &'static str,
    /// The structured message (`notify::Payload` as JSON); rendered per channel when sent.
    pub payload: String,
    pub next_attempt_at: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OutboxRow {
    pub id: i64,
    pub idempotency_key: String,
    pub channel_id: String,
    pub kind: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub lease_until: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

/// One active order's stored document, for the overdue scan.
#[derive(Deserialize)]
pub struct ActiveOrderDoc {
    pub id: String,
    pub doc: String,
}

#[derive(Deserialize)]
pub struct UserPhone {
    pub id: String,
    pub work_phone: String,
}

#[derive(Deserialize)]
struct IdRow {
    id: i64,
}

impl Repository {
    pub async fn list_channels(&self) -> Result<Vec<ChannelRecord>, ApiError> {
        let rows: Vec<ChannelRow> = query!(
            &self.db,
            "SELECT id, kind, name, url, secret, enabled, receives_digest, \
             receives_customer_notices, created_at, updated_at \
             FROM notify_channels ORDER BY created_at, id"
        )
        .all()
        .await?
        .results()?;
        Ok(rows.into_iter().map(ChannelRecord::from).collect())
    }

    pub async fn find_channel(&self, id: &str) -> Result<Option<ChannelRecord>, ApiError> {
        let row: Option<ChannelRow> = query!(
            &self.db,
            "SELECT id, kind, name, url, secret, enabled, receives_digest, \
             receives_customer_notices, created_at, updated_at \
             FROM notify_channels WHERE id = ?1",
            &id
        )?
        .first(None)
        .await?;
        Ok(row.map(ChannelRecord::from))
    }

    /// The enabled channels that take customer progress notices.
    pub async fn customer_notice_channels(&self) -> Result<Vec<ChannelRecord>, ApiError> {
        Ok(self
            .list_channels()
            .await?
            .into_iter()
            .filter(|c| c.enabled && c.receives_customer_notices)
            .collect())
    }

    pub async fn insert_channel(&self, channel: &ChannelRecord) -> Result<(), ApiError> {
        query!(
            &self.db,
            "INSERT INTO notify_channels (id, kind, name, url, secret, enabled, receives_digest, \
             receives_customer_notices, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            &channel.id,
            &channel.kind,
            &channel.name,
            &channel.url,
            &channel.secret,
            &i32::from(channel.enabled),
            &i32::from(channel.receives_digest),
            &i32::from(channel.receives_customer_notices),
            &channel.created_at,
            &channel.updated_at
        )?
        .run()
        .await?;
        Ok(())
    }

    /// `Ok(false)` when there is no such channel.
    pub async fn update_channel(&self, channel: &ChannelRecord) -> Result<bool, ApiError> {
        let result = query!(
            &self.db,
            "UPDATE notify_channels SET name = ?2, url = ?3, secret = ?4, enabled = ?5, \
             receives_digest = ?6, receives_customer_notices = ?7, updated_at = ?8 WHERE id = ?1",
            &channel.id,
            &channel.name,
            &channel.url,
            &channel.secret,
            &i32::from(channel.enabled),
            &i32::from(channel.receives_digest),
            &i32::from(channel.receives_customer_notices),
            &channel.updated_at
        )?
        .run()
        .await?;
        Ok(changed_rows(&result)? == 1)
    }

    /// Deletes a channel and, in the same transaction, gives up its unsent messages (they stay
    /// visible as `failed`). `Ok(false)` when there is no such channel.
    pub async fn delete_channel(&self, id: &str, now: &str) -> Result<bool, ApiError> {
        let results = self
            .db
            .batch(vec![
                query!(&self.db, "DELETE FROM notify_channels WHERE id = ?1", &id)?,
                query!(
                    &self.db,
                    "UPDATE notify_outbox SET status = 'failed', lease_until = NULL, \
                     last_error = '渠道已删除 / channel deleted', next_attempt_at = ?2 \
                     WHERE channel_id = ?1 AND status IN ('pending', 'sending')",
                    &id,
                    &now
                )?,
            ])
            .await?;
        Ok(results.first().map(changed_rows).transpose()?.unwrap_or(0) == 1)
    }

    /// The statement that queues one message; a second row with the same key is ignored. Also
    /// used inside sync's decision batch, so a notice is queued in the same transaction as the
    /// order write that caused it.
    pub fn outbox_insert(&self, row: &NewOutboxRow) -> Result<D1PreparedStatement, ApiError> {
        Ok(query!(
            &self.db,
            "INSERT INTO notify_outbox (idempotency_key, channel_id, kind, payload, status, \
             attempts, next_attempt_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?6) \
             ON CONFLICT (idempotency_key) DO NOTHING",
            &row.idempotency_key,
            &row.channel_id,
            &row.kind,
            &row.payload,
            &row.next_attempt_at,
            &row.created_at
        )?)
    }

    /// Queues messages in one transaction; returns how many were new.
    pub async fn queue_messages(&self, rows: &[NewOutboxRow]) -> Result<usize, ApiError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let statements = rows
            .iter()
            .map(|row| self.outbox_insert(row))
            .collect::<Result<Vec<_>, _>>()?;
        let results = self.db.batch(statements).await?;
        results
            .iter()
            .map(changed_rows)
            .sum::<Result<usize, ApiError>>()
    }

    pub async fn outbox_id(&self, idempotency_key: &str) -> Result<Option<i64>, ApiError> {
        let row: Option<IdRow> = query!(
            &self.db,
            "SELECT id FROM notify_outbox WHERE idempotency_key = ?1",
            &idempotency_key
        )?
        .first(None)
        .await?;
        Ok(row.map(|row| row.id))
    }

    /// Takes up to `limit` due messages (or only message `only`, if given and due) for sending,
    /// in ONE statement: each becomes `sending` until `lease_until`, with one more attempt
    /// counted. Due = pending with `next_attempt_at <= now`, or `sending` whose lease ran out
    /// (its sender died mid-way). A row another sender holds is not due, so it is never taken
    /// twice.
    pub async fn claim_due_messages(
        &self,
        now: &str,
        lease_until: &str,
        limit: u32,
        only: Option<i64>,
    ) -> Result<Vec<OutboxRow>, ApiError> {
        Ok(query!(
            &self.db,
            "UPDATE notify_outbox SET status = 'sending', lease_until = ?2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM notify_outbox \
                 WHERE ((status = 'pending' AND next_attempt_at <= ?1) \
                     OR (status = 'sending' AND lease_until <= ?1)) \
                 AND (?4 IS NULL OR id = ?4) \
                 ORDER BY next_attempt_at, id LIMIT ?3) \
             RETURNING *",
            &now,
            &lease_until,
            &limit,
            &only
        )?
        .all()
        .await?
        .results()?)
    }

    /// Records a delivery. Only a row this sender still holds (`sending`) changes.
    pub async fn mark_message_sent(&self, id: i64, now: &str) -> Result<(), ApiError> {
        query!(
            &self.db,
            "UPDATE notify_outbox SET status = 'sent', sent_at = ?2, lease_until = NULL, \
             last_error = NULL WHERE id = ?1 AND status = 'sending'",
            &id,
            &now
        )?
        .run()
        .await?;
        Ok(())
    }

    /// Records a failed attempt: back to `pending` at `retry_at`, or `failed` for good when
    /// `retry_at` is `None`.
    pub async fn mark_message_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<&str>,
    ) -> Result<(), ApiError> {
        let status = if retry_at.is_some() {
            "pending"
        } else {
            "failed"
        };
        query!(
            &self.db,
            "UPDATE notify_outbox SET status = ?2, last_error = ?3, lease_until = NULL, \
             next_attempt_at = COALESCE(?4, next_attempt_at) \
             WHERE id = ?1 AND status = 'sending'",
            &id,
            &status,
            &error,
            &retry_at
        )?
        .run()
        .await?;
        Ok(())
    }

    pub async fn find_message(&self, id: i64) -> Result<Option<OutboxRow>, ApiError> {
        Ok(
            query!(&self.db, "SELECT * FROM notify_outbox WHERE id = ?1", &id)?
                .first(None)
                .await?,
        )
    }

    /// The newest messages first (the admin's status screen).
    pub async fn recent_messages(&self, limit: u32) -> Result<Vec<OutboxRow>, ApiError> {
        Ok(query!(
            &self.db,
            "SELECT * FROM notify_outbox ORDER BY id DESC LIMIT ?1",
            &limit
        )?
        .all()
        .await?
        .results()?)
    }

    /// One page of active orders' documents, by id after `after` (the overdue scan reads the
    /// orders a page at a time so a large company never holds every document at once).
    pub async fn active_order_docs(
        &self,
        after: &str,
        limit: u32,
    ) -> Result<Vec<ActiveOrderDoc>, ApiError> {
        Ok(query!(
            &self.db,
            "SELECT id, doc FROM orders WHERE deleted = 0 AND status = 'active' AND id > ?1 \
             ORDER BY id LIMIT ?2",
            &after,
            &limit
        )?
        .all()
        .await?
        .results()?)
    }

    /// One page of the documents of orders active now or written since `since` (RFC 3339, UTC):
    /// what the weekly summary needs — open work, and whatever moved in the week it covers.
    pub async fn order_docs_since(
        &self,
        since: &str,
        after: &str,
        limit: u32,
    ) -> Result<Vec<ActiveOrderDoc>, ApiError> {
        Ok(query!(
            &self.db,
            "SELECT id, doc FROM orders WHERE deleted = 0 AND (status = 'active' OR updated_at >= ?1) \
             AND id > ?2 ORDER BY id LIMIT ?3",
            &since,
            &after,
            &limit
        )?
        .all()
        .await?
        .results()?)
    }

    /// Work phones of active team members (DingTalk digests @-mention them).
    pub async fn work_phones(&self) -> Result<Vec<UserPhone>, ApiError> {
        Ok(query!(
            &self.db,
            "SELECT id, work_phone FROM users WHERE active = 1 AND work_phone IS NOT NULL \
             AND work_phone <> ''"
        )
        .all()
        .await?
        .results()?)
    }
}
