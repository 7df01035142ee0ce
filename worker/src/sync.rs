//! `POST /api/sync/push` and `GET /api/sync/pull`: the server half of sync (DESIGN.md "Sync
//! protocol"; ARCHITECTURE.md "Sync" has the invariants).
//!
//! Push decides each mutation with `seq > last_seq(device)` with `domain::process`, the caller as
//! actor and the server clock as `now`, and writes each decision in one guarded D1 batch
//! (`repository/sync.rs`). A batch refused by the guard (someone changed the order, or another
//! request of this device got there first) is decided again on fresh data; transient D1 errors
//! are retried with backoff. Both are safe because the guard makes every write conditional on
//! exactly the state the decision saw.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use domain::{
    make_number_unique, process, Context, Decision, Order, Pipeline, PushRequest, PushResponse,
    Rejection, DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT, MAX_PULL_REJECTIONS, MAX_PUSH_MUTATIONS,
};
use serde::Serialize;
use uuid::Uuid;
use worker::{Delay, Request, Response, RouteContext};

use crate::{
    auth::require_user,
    error::ApiError,
    http::{json_text_response, ok_json, read_json, server_now},
    repository::{is_transient, CommitError, DecisionBasis, Repository, NO_VERSION},
};

/// Decisions of one mutation tried at most this often before the push answers 503 (the client
/// retries later; everything before this mutation is kept).
const MAX_ATTEMPTS: u32 = 8;
/// Transient D1 errors on reads: tries per read.
const READ_ATTEMPTS: u32 = 4;

async fn backoff(attempt: u32) {
    // 20, 40, 80, … ms, capped at 640 ms, plus a little jitter from the clock so that two
    // requests that collided do not collide again in step.
    let base = 20u64 << attempt.min(5);
    let jitter = (worker::Date::now().as_millis() % 17) * attempt as u64;
    Delay::from(Duration::from_millis(base + jitter)).await;
}

/// Runs a read again (with backoff) while D1 answers with an error it documents as transient.
/// Only for reads: they change nothing, so repeating them is always safe.
async fn retrying<T, F, Fut>(mut read: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut attempt = 0;
    loop {
        match read().await {
            Err(ApiError::Database(message))
                if is_transient(&message) && attempt + 1 < READ_ATTEMPTS =>
            {
                attempt += 1;
                worker::console_warn!("transient D1 error, retry {attempt}: {message}");
                backoff(attempt).await;
            }
            other => return other,
        }
    }
}

fn check_push(body: &PushRequest) -> Result<(), ApiError> {
    if body.mutations.len() > MAX_PUSH_MUTATIONS {
        return Err(ApiError::TooManyMutations {
            limit: MAX_PUSH_MUTATIONS,
        });
    }
    let consecutive = body
        .mutations
        .windows(2)
        .all(|pair| pair[0].seq.checked_add(1) == Some(pair[1].seq));
    let in_range = body
        .mutations
        .iter()
        .all(|p| p.seq >= 1 && p.seq <= i64::MAX as u64);
    if consecutive && in_range {
        Ok(())
    } else {
        Err(ApiError::SeqOrder)
    }
}

pub async fn push(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let user = require_user(&req, &ctx).await?;
    let body: PushRequest = read_json(&mut req).await?;
    check_push(&body)?;
    let repo = Repository::new(ctx.d1("DB")?);
    let device_id = body.device_id.hyphenated().to_string();
    let device = retrying(|| repo.claim_device(&device_id, &user.id, server_now())).await?;
    if device.user_id != user.id {
        return Err(ApiError::DeviceNotYours);
    }
    let mut last_seq = device.last_seq as u64;
    if let Some(first) = body.mutations.first() {
        if first.seq > last_seq + 1 {
            return Err(ApiError::SeqGap {
                last_seq,
                first_seq: first.seq,
            });
        }
    }

    let pipeline = Pipeline::standard();
    let actor = user.actor();
    // Orders as this request last read or wrote them; a stale entry only costs a guard refusal.
    let mut known: HashMap<Uuid, Option<(Order, i64)>> = HashMap::new();
    for pending in &body.mutations {
        if pending.seq <= last_seq {
            continue; // Already decided: a replayed push changes nothing.
        }
        let order_id = pending.mutation.order_id();
        let mut attempt = 0;
        loop {
            let current = match known.get(&order_id) {
                Some(current) => current.clone(),
                None => {
                    let loaded = retrying(|| repo.load_order(order_id)).await?;
                    known.insert(order_id, loaded.clone());
                    loaded
                }
            };
            let received_at = server_now();
            let rules = Context {
                pipeline: &pipeline,
                actor: &actor,
                now: received_at,
            };
            let before = current.as_ref().map(|(order, _)| order);
            let mut decision = process(&rules, before, pending);
            if let Some(number) = decision.claimed_number(before).cloned() {
                let taken = retrying(|| repo.numbers_like(number.as_str(), order_id)).await?;
                if let Decision::Applied(applied) = &mut decision {
                    make_number_unique(&rules, applied, |n| taken.contains(&n.to_lowercase()));
                }
            }
            let basis = DecisionBasis {
                device_id: &device_id,
                last_seq: last_seq as i64,
                seq: pending.seq as i64,
                device_time: pending.device_time,
                order_id,
                order_version: current.as_ref().map_or(NO_VERSION, |(_, v)| *v),
                received_at,
            };
            let written = match &decision {
                Decision::Applied(applied) => repo
                    .commit_applied(&basis, &applied.order, &applied.events)
                    .await
                    .map(Some),
                Decision::Unchanged => repo.commit_unchanged(&basis).await.map(|_| None),
                Decision::Rejected(rejection) => {
                    repo.commit_rejection(&basis, rejection).await.map(|_| None)
                }
            };
            match written {
                Ok(version) => {
                    if let (Some(version), Decision::Applied(applied)) = (version, decision) {
                        known.insert(order_id, Some((applied.order, version)));
                    }
                    last_seq = pending.seq;
                    break;
                }
                Err(CommitError::Other(error)) => return Err(error),
                Err(refused) => {
                    if let CommitError::Transient(message) = &refused {
                        worker::console_warn!("transient D1 error on a sync write: {message}");
                    }
                    attempt += 1;
                    if attempt >= MAX_ATTEMPTS {
                        return Err(ApiError::SyncBusy);
                    }
                    backoff(attempt).await;
                    known.remove(&order_id);
                    let device = retrying(|| repo.read_device(&device_id))
                        .await?
                        .ok_or_else(|| ApiError::Database("the device row vanished".into()))?;
                    last_seq = device.last_seq as u64;
                    if last_seq >= pending.seq {
                        break; // Another request of this device decided it (or our commit landed).
                    }
                }
            }
        }
    }

    let rejected = match (body.mutations.first(), body.mutations.last()) {
        (Some(first), Some(last)) => {
            retrying(|| repo.rejections_between(&device_id, first.seq as i64, last.seq as i64))
                .await?
        }
        _ => Vec::new(),
    };
    ok_json(&PushResponse { last_seq, rejected })
}

/// `GET /api/sync/pull` parameters, read by hand for precise error messages.
struct PullParams {
    device_id: Uuid,
    cursor: u64,
    rejections_after: u64,
    limit: u32,
}

fn pull_params(req: &Request) -> Result<PullParams, ApiError> {
    let url = req.url().map_err(|e| ApiError::BadQuery(e.to_string()))?;
    let mut device_id = None;
    let (mut cursor, mut rejections_after, mut limit) = (0u64, 0u64, DEFAULT_PULL_LIMIT);
    let number = |name: &str, value: &str| -> Result<u64, ApiError> {
        value
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= i64::MAX as u64)
            .ok_or_else(|| ApiError::BadQuery(format!("{name} must be a whole number ≥ 0")))
    };
    for (name, value) in url.query_pairs() {
        match name.as_ref() {
            "device_id" => {
                device_id = Some(
                    Uuid::parse_str(&value)
                        .map_err(|_| ApiError::BadQuery("device_id must be a UUID".into()))?,
                )
            }
            "cursor" => cursor = number("cursor", &value)?,
            "rejections_after" => rejections_after = number("rejections_after", &value)?,
            "limit" => {
                limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_PULL_LIMIT).contains(n))
                    .ok_or_else(|| {
                        ApiError::BadQuery(format!("limit must be between 1 and {MAX_PULL_LIMIT}"))
                    })?
            }
            _ => {}
        }
    }
    let device_id = device_id.ok_or_else(|| ApiError::BadQuery("device_id is required".into()))?;
    Ok(PullParams {
        device_id,
        cursor,
        rejections_after,
        limit,
    })
}

/// Everything of a pull answer except the orders, which are spliced in as stored text.
#[derive(Serialize)]
struct PullTail {
    tombstones: Vec<String>,
    cursor: u64,
    more: bool,
    last_seq: u64,
    rejections: Vec<Rejection>,
    rejection_cursor: u64,
    more_rejections: bool,
}

pub async fn pull(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let user = require_user(&req, &ctx).await?;
    let params = pull_params(&req)?;
    let repo = Repository::new(ctx.d1("DB")?);
    let device_id = params.device_id.hyphenated().to_string();
    let claimed = retrying(|| repo.claim_device(&device_id, &user.id, server_now())).await?;
    if claimed.user_id != user.id {
        return Err(ApiError::DeviceNotYours);
    }
    // One batch = one snapshot: `last_seq` matches the orders of this page exactly.
    let page = retrying(|| {
        repo.pull_snapshot(
            &device_id,
            params.cursor as i64,
            params.limit + 1,
            params.rejections_after as i64,
            MAX_PULL_REJECTIONS + 1,
        )
    })
    .await?;
    let mut rows = page.orders;
    let more = rows.len() > params.limit as usize;
    rows.truncate(params.limit as usize);
    let mut rejections = page.rejections;
    let more_rejections = rejections.len() > MAX_PULL_REJECTIONS as usize;
    rejections.truncate(MAX_PULL_REJECTIONS as usize);

    let cursor = rows.last().map_or(params.cursor, |row| row.version as u64);
    let rejection_cursor = rejections
        .last()
        .map_or(params.rejections_after, |(id, _)| *id as u64);
    let mut docs = String::with_capacity(rows.iter().map(|r| r.doc.len() + 1).sum());
    let mut tombstones = Vec::new();
    for row in &rows {
        if row.deleted != 0 {
            tombstones.push(row.id.clone());
            continue;
        }
        if !docs.is_empty() {
            docs.push(',');
        }
        docs.push_str(&row.doc);
    }
    let tail = serde_json::to_string(&PullTail {
        tombstones,
        cursor,
        more,
        last_seq: page.last_seq as u64,
        rejections: rejections.into_iter().map(|(_, r)| r).collect(),
        rejection_cursor,
        more_rejections,
    })
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    // `tail` is `{"tombstones":…}`: put the orders array in front of its first key.
    Ok(json_text_response(
        format!("{{\"orders\":[{docs}],{}", &tail[1..]),
        200,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use domain::{Mutation, PendingMutation};

    fn push_of(seqs: &[u64]) -> PushRequest {
        PushRequest {
            device_id: Uuid::nil(),
            mutations: seqs
                .iter()
                .map(|&seq| PendingMutation {
                    seq,
                    mutation: Mutation::Reopen {
                        order_id: Uuid::nil(),
                    },
                    device_time: DateTime::UNIX_EPOCH,
                })
                .collect(),
        }
    }

    #[test]
    fn a_push_must_number_its_mutations_consecutively_from_one_or_more() {
        assert!(check_push(&push_of(&[])).is_ok());
        assert!(check_push(&push_of(&[7, 8, 9])).is_ok());
        assert!(matches!(
            check_push(&push_of(&[0, 1])),
            Err(ApiError::SeqOrder)
        ));
        assert!(matches!(
            check_push(&push_of(&[1, 3])),
            Err(ApiError::SeqOrder)
        ));
        assert!(matches!(
            check_push(&push_of(&[2, 1])),
            Err(ApiError::SeqOrder)
        ));
        assert!(matches!(
            check_push(&push_of(&[u64::MAX])),
            Err(ApiError::SeqOrder)
        ));
    }

    #[test]
    fn a_push_carries_at_most_the_page_size() {
        let seqs: Vec<u64> = (1..=MAX_PUSH_MUTATIONS as u64 + 1).collect();
        assert!(matches!(
            check_push(&push_of(&seqs)),
            Err(ApiError::TooManyMutations { .. })
        ));
        assert!(check_push(&push_of(&seqs[..MAX_PUSH_MUTATIONS])).is_ok());
    }

    #[test]
    fn sync_errors_have_their_statuses_and_codes() {
        let gap = ApiError::SeqGap {
            last_seq: 4,
            first_seq: 9,
        };
        assert_eq!((gap.status(), gap.code()), (409, "seq_gap"));
        assert_eq!(ApiError::DeviceNotYours.status(), 403);
        assert_eq!(ApiError::SyncBusy.status(), 503);
        assert_eq!(ApiError::TooManyMutations { limit: 100 }.status(), 413);
    }

    #[test]
    fn only_documented_transient_d1_errors_are_retried() {
        assert!(is_transient("D1_ERROR: Network connection lost."));
        assert!(is_transient("D1 DB storage caused object to be reset"));
        assert!(!is_transient(
            "D1_ERROR: CHECK constraint failed: ok = 1: SQLITE_CONSTRAINT"
        ));
        assert!(!is_transient("no such table: orders"));
    }
}
