//! Sends due outbox rows: take them with a lease (`Repository::claim_due_messages`), POST each
//! to its channel, record sent / retry later / failed.
//!
//! Runs from the hourly cron, after each sync push (`ctx.wait_until`, so a customer notice goes
//! out within seconds) and for an admin's "send test message". Any of these may run at once:
//! the claim is one conditional UPDATE, so each row has one sender. The one window where a
//! message can arrive twice is a sender dying after the receiver answered and before the row is
//! marked sent; the lease then expires and the row is sent again with the same
//! `Idempotency-Key` (the generic webhook can drop it; the group robots cannot).

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use worker::{
    AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
};

use super::{format, retry_delay, stamp, ChannelKind, Payload};
use crate::{
    error::ApiError,
    repository::{ChannelRecord, OutboxRow, Repository},
};

/// How long a claimed row is ours. Much longer than one send (10 s timeout), so a live sender
/// never loses its rows; short enough that a dead sender's rows are retried soon.
const LEASE: Duration = Duration::minutes(2);
/// A receiver that does not answer in this time counts as a failed attempt.
const SEND_TIMEOUT: StdDuration = StdDuration::from_secs(10);
/// Rows per claim, and claims per run: a run makes at most 40 outbound requests, well under the
/// Workers subrequest limit (50 on the free plan). The rest wait for the next run.
const CLAIM_BATCH: u32 = 20;
const CLAIMS_PER_RUN: usize = 2;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    pub failed: usize,
}

/// Sends the rows due at `now` (or only row `only`). `now` is the time the outbox works with
/// (the cron's scheduled time); signatures use the real clock.
pub async fn deliver_due(
    repo: &Repository,
    now: DateTime<Utc>,
    only: Option<i64>,
    allow_local: bool,
) -> Result<Delivery, ApiError> {
    let mut delivery = Delivery::default();
    let mut channels: Option<HashMap<String, ChannelRecord>> = None;
    for _ in 0..CLAIMS_PER_RUN {
        let rows = repo
            .claim_due_messages(&stamp(now), &stamp(now + LEASE), CLAIM_BATCH, only)
            .await?;
        if rows.is_empty() {
            break;
        }
        if channels.is_none() {
            channels = Some(
                repo.list_channels()
                    .await?
                    .into_iter()
                    .map(|c| (c.id.clone(), c))
                    .collect(),
            );
        }
        let known = channels.as_ref().expect("loaded above");
        let full = rows.len() == CLAIM_BATCH as usize;
        for row in rows {
            let outcome = match known.get(&row.channel_id) {
                Some(channel) if channel.enabled => send_one(channel, &row, allow_local).await,
                Some(_) => Err(Final("渠道已停用 / channel disabled".into())),
                None => Err(Final("渠道已删除 / channel deleted".into())),
            };
            match outcome {
                Ok(()) => {
                    repo.mark_message_sent(row.id, &stamp(now)).await?;
                    delivery.sent += 1;
                }
                Err(Final(error)) => {
                    repo.mark_message_failed(row.id, &error, None).await?;
                    delivery.failed += 1;
                }
                Err(Retry(error)) => {
                    let retry_at = retry_delay(row.attempts).map(|delay| stamp(now + delay));
                    let error = format!(
                        "第 {} 次发送失败 / attempt {}: {error}",
                        row.attempts, row.attempts
                    );
                    repo.mark_message_failed(row.id, &error, retry_at.as_deref())
                        .await?;
                    delivery.failed += 1;
                }
            }
        }
        if !full || only.is_some() {
            break;
        }
    }
    Ok(delivery)
}

enum Failure {
    /// Worth trying again later (network, 5xx, a robot's refusal such as a rate limit).
    Retry(String),
    /// Will never work for this row (channel gone or disabled, unreadable row).
    Final(String),
}
use Failure::{Final, Retry};

async fn send_one(
    channel: &ChannelRecord,
    row: &OutboxRow,
    allow_local: bool,
) -> Result<(), Failure> {
    // Checked again at every send: a channel saved before the check existed, or a rule that
    // grew since, must not reach an internal host either.
    let allowed = worker::Url::parse(&channel.url)
        .ok()
        .is_some_and(|url| super::destination::check(&url, allow_local).is_ok());
    if !allowed {
        return Err(Final(
            "渠道地址指向本机或内网，已拒绝发送 / the channel URL points at an internal host"
                .into(),
        ));
    }
    let kind = ChannelKind::parse(&channel.kind)
        .ok_or_else(|| Final(format!("unknown channel kind {}", channel.kind)))?;
    let payload: Payload = serde_json::from_str(&row.payload)
        .map_err(|e| Final(format!("unreadable message: {e}")))?;
    let now_ms = worker::Date::now().as_millis() as i64;
    let outgoing = format::build(
        kind,
        &channel.url,
        channel.secret.as_deref(),
        &row.idempotency_key,
        &payload,
        now_ms,
    )
    .map_err(Final)?;
    let (status, body) = post(&outgoing)
        .await
        .map_err(|e| Retry(redact(&e, channel)))?;
    format::check_answer(kind, status, &body).map_err(|e| Retry(redact(&e, channel)))
}

/// An error text may quote the URL (with its token) or, from a careless receiver, the secret:
/// neither may reach `last_error`, which admins' screens show.
fn redact(text: &str, channel: &ChannelRecord) -> String {
    let mut text = text.replace(&channel.url, "<webhook URL>");
    if let Some(secret) = channel.secret.as_deref().filter(|s| !s.is_empty()) {
        text = text.replace(secret, "<secret>");
    }
    text.chars().take(300).collect()
}

async fn post(outgoing: &format::Outgoing) -> Result<(u16, String), String> {
    let headers = Headers::new();
    for (name, value) in &outgoing.headers {
        headers.set(name, value).map_err(|e| e.to_string())?;
    }
    let mut init = RequestInit::new();
    // A redirect is an answer, never followed: the receiver must not be able to send our POST
    // (with its signature) on to a host the URL check would have refused.
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(outgoing.body.clone().into()));
    let request = Request::new_with_init(&outgoing.url, &init).map_err(|e| e.to_string())?;
    let controller = AbortController::default();
    let signal = controller.signal();
    // Abort a receiver that hangs; the timer task is harmless if the answer came first.
    wasm_bindgen_futures::spawn_local(async move {
        Delay::from(SEND_TIMEOUT).await;
        controller.abort();
    });
    let mut response = Fetch::Request(request)
        .send_with_signal(&signal)
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = response.status_code();
    let body = response.text().await.unwrap_or_default();
    Ok((status, body))
}
