//! 周报: on Monday morning (China time) each channel that receives the team's digest gets last
//! week's figures — started, completed, cancelled, on-time delivery, the customers' rating,
//! what is overdue now and the bottleneck stage — computed by `domain::analytics` exactly as
//! the 分析 screen computes them. Queued once per channel and week (idempotency key).

use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use domain::analytics::{weekly_summary, WeeklySummary};
use domain::{business_offset, Order, Processes};

use super::{stamp, Payload, WeeklyBottleneck, WeeklyPayload};
use crate::{
    error::ApiError,
    repository::{NewOutboxRow, Repository},
};

/// The summary is written from 09:00 on Monday (China time): after the daily 08:00 digest, when
/// the week's review meetings start. Later runs that Monday find it already queued.
pub const WEEKLY_HOUR: u32 = 9;

const SCAN_PAGE: u32 = 200;

/// Whether `now` is in the Monday window the summary is written in.
pub fn is_summary_time(now: DateTime<Utc>) -> bool {
    let local = now.with_timezone(&business_offset());
    local.weekday() == Weekday::Mon && local.hour() >= WEEKLY_HOUR
}

/// The message for `summary` (stage names from the board's process, in Chinese: the group
/// chats are the team's).
pub fn payload(
    summary: &WeeklySummary,
    processes: &Processes,
    link_base: Option<&str>,
) -> WeeklyPayload {
    WeeklyPayload {
        week_from: summary.period.from,
        week_to: summary.period.to,
        started: summary.started,
        completed: summary.completed,
        cancelled: summary.cancelled,
        on_time_percent: summary.on_time_percent,
        average_rating: summary
            .average_rating_tenths
            .map(|t| format!("{}.{}", t / 10, t % 10)),
        ratings: summary.ratings,
        overdue_now: summary.overdue_now,
        bottleneck: summary.bottleneck.as_ref().map(|b| WeeklyBottleneck {
            stage_id: b.stage.to_string(),
            stage_name: processes
                .board_pipeline()
                .stage(&b.stage)
                .map_or_else(|| b.stage.to_string(), |def| def.name.zh.clone()),
            median_of_sla_percent: b.median_of_sla_percent,
            waiting: b.orders.len(),
        }),
        link: link_base.map(|base| format!("{}/desk/analytics", base.trim_end_matches('/'))),
    }
}

/// Queues this week's summary for every enabled digest channel, once per channel and week.
/// Returns how many rows were new.
pub async fn queue_weekly(
    repo: &Repository,
    now: DateTime<Utc>,
    link_base: Option<&str>,
) -> Result<usize, ApiError> {
    if !is_summary_time(now) {
        return Ok(0);
    }
    let channels: Vec<_> = repo
        .list_channels()
        .await?
        .into_iter()
        .filter(|c| c.enabled && c.receives_digest)
        .collect();
    if channels.is_empty() {
        return Ok(0);
    }
    let week = domain::analytics::last_week(domain::business_date(now));
    // A day's margin before the week: what matters is read from each order's own history.
    let since = (week.from - Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .to_rfc3339();
    let mut orders = Vec::new();
    let mut after = String::new();
    loop {
        let page = repo.order_docs_since(&since, &after, SCAN_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for row in &page {
            match serde_json::from_str::<Order>(&row.doc) {
                Ok(order) => orders.push(order),
                Err(error) => worker::console_error!("weekly summary: order {}: {error}", row.id),
            }
        }
        if page.len() < SCAN_PAGE as usize {
            break;
        }
    }
    if orders.is_empty() {
        // A team with nothing under way and nothing done last week gets no empty report.
        return Ok(0);
    }
    let processes = repo.processes().await?;
    let summary = weekly_summary(&orders, now, &processes);
    let payload = serde_json::to_string(&Payload::WeeklySummary(payload(
        &summary, &processes, link_base,
    )))
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let rows: Vec<NewOutboxRow> = channels
        .iter()
        .map(|channel| NewOutboxRow {
            idempotency_key: format!("weekly:{}:{}", channel.id, week.from),
            channel_id: channel.id.clone(),
            kind: "weekly_summary",
            payload: payload.clone(),
            next_attempt_at: stamp(now),
            created_at: stamp(now),
        })
        .collect();
    repo.queue_messages(&rows).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_summary_is_written_from_monday_nine_china_time() {
        // 2026-12-07 is a Monday; 01:00 UTC = 09:00 in China.
        let at = |d, h| Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap();
        assert!(!is_summary_time(at(7, 0)), "Monday 08:00 China");
        assert!(is_summary_time(at(7, 1)), "Monday 09:00 China");
        assert!(is_summary_time(at(7, 15)), "Monday 23:00 China");
        assert!(!is_summary_time(at(7, 16)), "Tuesday 00:00 China");
        assert!(
            !is_summary_time(at(6, 23)),
            "Monday 07:00 China is still too early"
        );
    }
}
