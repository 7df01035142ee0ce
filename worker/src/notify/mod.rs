//! Notifications (issue 8): overdue digests and customer progress notices, sent to the group
//! robots of WeCom / DingTalk / Feishu or a generic JSON webhook through an outbox in D1.
//!
//! - `format`: pure — message text, each product's request shape and signature, and how to read
//!   its answer. Unit-tested natively.
//! - `digest`: the cron's overdue scan (the domain's `Order::deadline_state` decides "overdue").
//! - `notices`: customer notices queued by sync in the same batch as the order write.
//! - `send`: takes due outbox rows with a lease, sends them, records the outcome with backoff.
//! - `admin`: `/api/admin/notify/*` — channels (secrets never leave the server) and the outbox.
//!
//! Invariants (ARCHITECTURE.md, "Invariants"): a message is queued in the same D1 batch as the
//! change that caused it; a message is sent at most once per claim and queued at most once per
//! idempotency key; channel secrets never appear in an answer.

pub mod admin;
pub mod asks;
pub mod destination;
pub mod digest;
pub mod format;
pub mod notices;
pub mod send;
pub mod weekly;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use domain::wire::ChannelKind;

/// What an outbox row holds, as stored in `notify_outbox.payload`. The `kind` tag is also the
/// row's `kind` column and the generic webhook's `kind` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    Digest(DigestPayload),
    CustomerNotice(CustomerNotice),
    Test(TestMessage),
    LookupLocked(LookupLocked),
    HelpAsked(HelpAsked),
    WeeklySummary(WeeklyPayload),
}

impl Payload {
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::Digest(_) => "digest",
            Payload::CustomerNotice(_) => "customer_notice",
            Payload::Test(_) => "test",
            Payload::LookupLocked(_) => "lookup_locked",
            Payload::HelpAsked(_) => "help_asked",
            Payload::WeeklySummary(_) => "weekly_summary",
        }
    }
}

/// Someone asked a department to record what the order's current stage still needs (请他处理,
/// `domain::Mutation::AskForHelp`), for the team's group chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpAsked {
    pub order_id: Uuid,
    pub number: String,
    pub company: String,
    pub stage_name: String,
    /// Who asked.
    pub asked_by: String,
    /// The department asked, e.g. "财务".
    pub department: String,
    /// What to record, e.g. "登记发票".
    pub task: String,
    /// `<PUBLIC_URL>/orders/<id>`; absent when the deployment has no `PUBLIC_URL`.
    pub link: Option<String>,
}

/// An order number's lookups by phone digits were stopped for the rest of the business day
/// (too many wrong digits, `customer::limits`): the order's owner should send the customer the
/// signed link, which keeps working, and know that someone is guessing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupLocked {
    pub order_id: Uuid,
    pub number: String,
    pub company: String,
    pub owner_user_id: String,
    pub owner_name: String,
    pub business_date: NaiveDate,
    /// Wrong-digit lookups allowed that day (it escalates down on repeated days).
    pub allowance: u32,
    /// `<PUBLIC_URL>/orders/<id>`, where the share button is.
    pub link: Option<String>,
}

/// One message per enabled channel that receives the team's digest, keyed per order, day and
/// channel so a retried request cannot queue it twice.
pub fn lookup_locked_rows(
    channels: &[crate::repository::ChannelRecord],
    locked: &LookupLocked,
    now: DateTime<Utc>,
) -> Result<Vec<crate::repository::NewOutboxRow>, crate::error::ApiError> {
    let payload = serde_json::to_string(&Payload::LookupLocked(locked.clone()))
        .map_err(|e| crate::error::ApiError::Internal(e.to_string()))?;
    Ok(channels
        .iter()
        .filter(|channel| channel.enabled && channel.receives_digest)
        .map(|channel| crate::repository::NewOutboxRow {
            idempotency_key: format!(
                "lookup-locked:{}:{}:{}",
                locked.order_id, locked.business_date, channel.id
            ),
            channel_id: channel.id.clone(),
            kind: "lookup_locked",
            payload: payload.clone(),
            next_attempt_at: stamp(now),
            created_at: stamp(now),
        })
        .collect())
}

/// 周报 for the managers' group, Monday morning (`weekly`): last week's figures as the 分析
/// screen defines them (`domain::analytics::weekly_summary`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyPayload {
    pub week_from: NaiveDate,
    pub week_to: NaiveDate,
    pub started: usize,
    pub completed: usize,
    pub cancelled: usize,
    pub on_time_percent: Option<u32>,
    /// e.g. "4.3"; absent when nobody rated last week.
    pub average_rating: Option<String>,
    pub ratings: usize,
    pub overdue_now: usize,
    pub bottleneck: Option<WeeklyBottleneck>,
    /// `<PUBLIC_URL>/desk/analytics`; absent when the deployment has no `PUBLIC_URL`.
    pub link: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyBottleneck {
    pub stage_id: String,
    pub stage_name: String,
    /// The median time orders spend there as a percentage of its SLA.
    pub median_of_sla_percent: u32,
    /// Active orders waiting there now.
    pub waiting: usize,
}

/// The overdue orders of one business day, grouped by the person who must act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestPayload {
    pub business_date: NaiveDate,
    pub people: Vec<PersonDigest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDigest {
    pub user_id: String,
    pub name: String,
    /// For @-mentions where the product supports them by phone (DingTalk).
    pub work_phone: Option<String>,
    pub orders: Vec<OverdueOrder>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueOrder {
    pub order_id: Uuid,
    pub number: String,
    pub company: String,
    pub stage_id: String,
    pub stage_name: String,
    pub responsible: String,
    pub due_date: NaiveDate,
    pub days_late: i64,
    /// `<PUBLIC_URL>/orders/<id>`; absent when the deployment has no `PUBLIC_URL`.
    pub link: Option<String>,
}

/// "Your order entered stage X" for the customer, through a gateway (SMS/email) behind a
/// generic webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerNotice {
    pub order_id: Uuid,
    pub number: String,
    pub company: String,
    pub contact: String,
    pub phone: String,
    pub email: Option<String>,
    pub stage_id: String,
    pub stage_label: String,
    pub message: String,
    pub track_link: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestMessage {
    pub channel_name: String,
    pub requested_by: String,
}

/// Sends per message before it is given up and left `failed` for an admin to see.
/// With the backoff below that is about 20 hours of trying.
pub const MAX_ATTEMPTS: i64 = 12;

/// How long to wait after failed attempt number `attempts` (1-based) before the next one:
/// 1 min, 2, 4, 8 … capped at 6 h; `None` once `MAX_ATTEMPTS` have failed. These are the
/// earliest times: rows are sent by the hourly cron and after each sync push.
pub fn retry_delay(attempts: i64) -> Option<Duration> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let doublings = attempts.clamp(1, 20) - 1;
    let minutes = (1i64 << doublings).min(6 * 60);
    Some(Duration::minutes(minutes))
}

/// `NOTIFY_ALLOW_LOCAL_HTTP=enabled` (tests only): webhooks may point at this machine over http.
pub fn allow_local_http(env: &worker::Env) -> bool {
    env.var("NOTIFY_ALLOW_LOCAL_HTTP")
        .map(|var| var.to_string() == "enabled")
        .unwrap_or(false)
}

/// The cron's work: queue today's digests (from 08:00 business time), then send what is due.
pub async fn run_cron(env: &worker::Env, now: DateTime<Utc>) -> Result<(), crate::error::ApiError> {
    let repo = crate::repository::Repository::new(env.d1("DB")?);
    let base = crate::http::public_base(env, None);
    // Each step runs whatever happened to the one before: a 周报 that cannot be written must not
    // hold back the day's digest or the messages waiting to be sent. The first failure is
    // reported after all of them ran.
    let queued = digest::queue_digests(&repo, now, base.as_deref()).await;
    let weekly = weekly::queue_weekly(&repo, now, base.as_deref()).await;
    let delivery = send::deliver_due(&repo, now, None, allow_local_http(env)).await;
    // Not a notice, but hourly housekeeping belongs here too: old refusals of sync changes.
    let pruned = repo
        .delete_rejections_before(
            now - chrono::Duration::days(crate::repository::REJECTION_RETENTION_DAYS),
        )
        .await;
    let shown = |result: &Result<usize, crate::error::ApiError>| match result {
        Ok(count) => count.to_string(),
        Err(error) => format!("error ({error})"),
    };
    match &delivery {
        Ok(delivery) => worker::console_log!(
            "notify cron at {now}: {} digest(s) queued, {} sent, {} failed, {} weekly summary(ies) queued",
            shown(&queued),
            delivery.sent,
            delivery.failed,
            shown(&weekly)
        ),
        Err(error) => worker::console_error!(
            "notify cron at {now}: {} digest(s) queued, sending failed ({error}), {} weekly summary(ies) queued",
            shown(&queued),
            shown(&weekly)
        ),
    }
    match &pruned {
        Ok(count) if *count > 0 => {
            worker::console_log!("cron at {now}: {count} old sync refusal(s) deleted")
        }
        Ok(_) => {}
        Err(error) => {
            worker::console_error!("cron at {now}: deleting old sync refusals failed ({error})")
        }
    }
    queued?;
    weekly?;
    delivery?;
    pruned?;
    Ok(())
}

/// Sends what is due now (after a sync push).
pub async fn run_sender(
    env: &worker::Env,
    now: DateTime<Utc>,
) -> Result<(), crate::error::ApiError> {
    let repo = crate::repository::Repository::new(env.d1("DB")?);
    send::deliver_due(&repo, now, None, allow_local_http(env))
        .await
        .map(|_| ())
}

/// Outbox times use the accounts tables' fixed-width format, so text order is time order.
pub fn stamp(time: DateTime<Utc>) -> String {
    crate::repository::timestamp(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_from_one_minute_up_to_six_hours_then_give_up() {
        let minutes: Vec<i64> = (1..MAX_ATTEMPTS)
            .map(|n| retry_delay(n).unwrap().num_minutes())
            .collect();
        assert_eq!(minutes, vec![1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360]);
        assert_eq!(retry_delay(MAX_ATTEMPTS), None);
        // The cap holds for any count below the limit.
        assert!((1..MAX_ATTEMPTS).all(|n| retry_delay(n).unwrap() <= Duration::hours(6)));
    }

    #[test]
    fn payloads_are_tagged_with_their_kind() {
        let test = Payload::Test(TestMessage {
            channel_name: "群".into(),
            requested_by: "管理员".into(),
        });
        let json = serde_json::to_value(&test).unwrap();
        assert_eq!(json["kind"], "test");
        assert_eq!(test.kind(), "test");
        assert_eq!(serde_json::from_value::<Payload>(json).unwrap(), test);
    }
}
