//! All SQL lives here, and only here (this module and its submodules `accounts`, `bench`,
//! `attachments`, `customer`, `notify` and `sync`). Every statement
//! is prepared with bound parameters.
//!
//! Orders are stored as the domain's JSON document plus derived columns (see
//! `migrations/0001_orders.sql`). A write of an order, its new audit events and the bump of the
//! global version happen in ONE `batch`, which D1 runs as one transaction.

mod accounts;
mod attachments;
mod bench;
mod customer;
mod holidays;
mod notify;
mod process;
pub mod retry;
mod sheets;
mod sync;

pub use accounts::{NewSession, NewUser, PasswordHash, ThrottleKey, UserRecord};
pub use attachments::StoredFile;
pub use bench::RawOrderRow;
pub use customer::{CustomerLookup, CustomerOrder, ServerSideChange, TrackCount, TrackKey};
pub use notify::{ChannelRecord, NewOutboxRow, OutboxRow};
pub use sheets::{ImportWrite, ImportedOrder, UndoWrite, UndoneOrder};
pub use sync::{is_transient, CommitError, DecisionWrite, NO_VERSION, REJECTION_RETENTION_DAYS};

use chrono::{DateTime, SecondsFormat, Utc};
use domain::{HistoryEvent, Order, OrderStatus};
use serde::Deserialize;
use worker::{query, D1Database, D1PreparedStatement};

use crate::error::ApiError;

pub struct Repository {
    db: D1Database,
}

#[derive(Deserialize)]
struct VersionRow {
    value: i64,
}

#[derive(Deserialize)]
struct CountRow {
    n: i64,
}

#[derive(Deserialize)]
struct StageCountRow {
    stage: String,
    n: i64,
}

/// One order as the board summary counts it.
pub struct StageCount {
    pub stage: String,
    pub active_orders: u32,
}

fn status_column(status: &OrderStatus) -> &'static str {
    match status {
        OrderStatus::Active => "active",
        OrderStatus::Completed => "completed",
        OrderStatus::Cancelled { .. } => "cancelled",
    }
}

/// How the accounts tables store a time: fixed-width UTC with milliseconds
/// (`2026-11-26T08:30:00.000Z`), so that comparing two stored times as text compares the times.
pub fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|error| ApiError::Internal(error.to_string()))
}

impl Repository {
    pub fn new(db: D1Database) -> Self {
        Self { db }
    }

    /// The global change counter; reading it proves D1 answers and the migrations ran.
    pub async fn current_version(&self) -> Result<i64, ApiError> {
        let row: Option<VersionRow> = query!(
            &self.db,
            "SELECT value FROM server_meta WHERE key = 'version'"
        )
        .first(None)
        .await?;
        row.map(|row| row.value)
            .ok_or_else(|| ApiError::Database("server_meta has no version row".into()))
    }

    pub async fn count_orders(&self) -> Result<i64, ApiError> {
        let row: Option<CountRow> = query!(&self.db, "SELECT COUNT(*) AS n FROM orders")
            .first(None)
            .await?;
        Ok(row.map(|row| row.n).unwrap_or(0))
    }

    pub async fn active_orders_per_stage(&self) -> Result<Vec<StageCount>, ApiError> {
        let rows: Vec<StageCountRow> = query!(
            &self.db,
            "SELECT stage, COUNT(*) AS n FROM orders \
             WHERE deleted = 0 AND status = 'active' GROUP BY stage"
        )
        .all()
        .await?
        .results()?;
        Ok(rows
            .into_iter()
            .map(|row| StageCount {
                stage: row.stage,
                active_orders: u32::try_from(row.n).unwrap_or(u32::MAX),
            })
            .collect())
    }

    /// Inserts a brand-new order with its history in one transaction.
    pub async fn insert_order(
        &self,
        order: &Order,
        events: &[HistoryEvent],
        received_at: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let mut statements = vec![self.bump_version(), self.write_order(order)?];
        for event in events {
            statements.push(self.insert_event(order, event, received_at)?);
        }
        self.db.batch(statements).await?;
        Ok(())
    }

    /// THE statement that writes an order row: the document and every column derived from it,
    /// at the current global version (the caller bumps it earlier in the same batch). A new order
    /// is inserted; an existing one is rewritten, keeping its `created_at` and `deleted` flag.
    /// Every order write (demo data, sync decisions, customer changes) goes through here, so the
    /// columns the server queries on can never disagree with the document.
    pub(super) fn write_order(&self, order: &Order) -> Result<D1PreparedStatement, ApiError> {
        let doc = to_json(order)?;
        Ok(query!(
            &self.db,
            "INSERT INTO orders (id, number, number_key, stage, status, owner_id, phone_last4, \
             doc, version, deleted, created_at, updated_at) \
             VALUES (?1, ?2, ?10, ?3, ?4, ?5, ?6, ?7, \
             (SELECT value FROM server_meta WHERE key = 'version'), 0, ?8, ?9) \
             ON CONFLICT (id) DO UPDATE SET number = excluded.number, \
             number_key = excluded.number_key, stage = excluded.stage, \
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
            &order.updated_at.to_rfc3339(),
            &order.number.key()
        )?)
    }

    fn bump_version(&self) -> D1PreparedStatement {
        query!(
            &self.db,
            "UPDATE server_meta SET value = value + 1 WHERE key = 'version'"
        )
    }

    fn insert_event(
        &self,
        order: &Order,
        event: &HistoryEvent,
        received_at: DateTime<Utc>,
    ) -> Result<D1PreparedStatement, ApiError> {
        let payload = to_json(&event.kind)?;
        let kind = serde_json::to_value(&event.kind)
            .ok()
            .and_then(|value| value.get("type").and_then(|t| t.as_str()).map(String::from))
            .unwrap_or_else(|| "unknown".into());
        Ok(query!(
            &self.db,
            "INSERT INTO order_events (order_id, at, server_received_at, actor_id, kind, payload) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &order.id.to_string(),
            &event.at.to_rfc3339(),
            &received_at.to_rfc3339(),
            &event.actor.user_id,
            &kind,
            &payload
        )?)
    }
}
