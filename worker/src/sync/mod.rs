//! `POST /api/sync/push` and `GET /api/sync/pull`: the server half of sync (DESIGN.md "Sync
//! protocol"; ARCHITECTURE.md "Sync" has the invariants).
//!
//! Push decides each mutation with `seq > last_seq(device)` with `domain::process`, the caller as
//! actor and the server clock as `now`, and writes the decisions of up to `DECISIONS_PER_BATCH`
//! consecutive mutations in one guarded D1 batch (`repository/sync.rs`). A batch refused by the
//! guard (someone changed an order, or another request of this device got there first) is decided
//! again on fresh data; transient D1 errors are retried with backoff. Both are safe because the
//! guard makes every write conditional on exactly the state the decisions saw.

mod number_keys;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use domain::staff_refs::{resolve_staff, Directory};
use domain::{
    make_number_unique, process, renumber_stems, Context, Decision, Order, PendingMutation,
    PushRequest, PushResponse, Rejection, DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT, MAX_PULL_REJECTIONS,
    MAX_PUSH_MUTATIONS,
};
use serde::Serialize;
use uuid::Uuid;
use worker::{Request, Response, RouteContext};

use crate::{
    auth::require_user,
    error::ApiError,
    http::{json_text_response, ok_json, read_json, server_now},
    notify,
    repository::{
        retry::{backoff, retrying},
        ChannelRecord, CommitError, DecisionWrite, Repository, NO_VERSION,
    },
};

/// Decisions of one run tried at most this often before the push answers 503 (the client
/// retries later; everything before this mutation is kept).
const MAX_ATTEMPTS: u32 = 8;

/// Pushes that may end without saving one change before it is refused (`save_failed`) so that
/// the device's queue moves on: a change that failed this often is not going to succeed.
pub const MAX_FAILED_PUSHES: u32 = 3;

/// The refusal of a change D1 would not write, with the user's content, like any rule's.
fn unsaveable(pending: &PendingMutation, failure: &CommitError, now: DateTime<Utc>) -> Rejection {
    let (message, message_en) = if failure.is_permanent() {
        (
            "服务器无法保存这条修改（订单数据已达上限），已退回。修改内容显示在这里，可以精简后重新录入，或放弃。",
            "The server cannot store this change (the order would be too large). It was sent back; its content is shown here to re-enter in shorter form, or discard.",
        )
    } else {
        (
            "服务器多次尝试仍未能保存这条修改，已退回。修改内容显示在这里，可以稍后重新录入，或放弃。",
            "The server failed to store this change several times. It was sent back; its content is shown here to re-enter later, or discard.",
        )
    };
    Rejection {
        seq: pending.seq,
        order_id: pending.mutation.order_id(),
        code: "save_failed".into(),
        message: message.into(),
        message_en: message_en.into(),
        mutation: pending.mutation.clone(),
        device_time: pending.device_time,
        rejected_at: now,
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

/// Decisions written per D1 batch. A batch is all-or-nothing, so a bigger run means fewer round
/// trips but more work redone when a concurrent writer makes the guard refuse it.
const DECISIONS_PER_BATCH: usize = 25;

/// The decisions of one run of mutations, made in memory on top of the orders as read.
struct RunDecisions {
    decisions: Vec<(PendingMutation, Decision)>,
    /// Each order the run looked at, as it is after the run.
    working: HashMap<Uuid, Option<Order>>,
    /// Number keys renumbering needs (`domain::renumber_stems`) that were not looked up in D1 yet.
    unchecked_numbers: Vec<String>,
}

fn decide_run(
    rules: &Context,
    team: &Directory,
    run: &[PendingMutation],
    known: &HashMap<Uuid, Option<(Order, i64)>>,
    numbers_in_db: &[(Uuid, String)],
    checked_numbers: &HashSet<String>,
) -> RunDecisions {
    let mut working: HashMap<Uuid, Option<Order>> = HashMap::new();
    let mut decisions = Vec::with_capacity(run.len());
    let mut unchecked_numbers = Vec::new();
    for pending in run {
        let order_id = pending.mutation.order_id();
        let current = working.entry(order_id).or_insert_with(|| {
            known
                .get(&order_id)
                .and_then(|entry| entry.as_ref().map(|(order, _)| order.clone()))
        });
        let before = current.clone();
        // Staff references are resolved against the active team first (names from the server).
        let mut decision = match resolve_staff(&pending.mutation, team) {
            Ok(mutation) => {
                let resolved = PendingMutation {
                    mutation,
                    ..pending.clone()
                };
                process(rules, before.as_ref(), &resolved)
            }
            Err(error) => {
                let (message, message_en) =
                    domain::explain(rules, before.as_ref(), &pending.mutation, &error);
                Decision::Rejected(Rejection {
                    message,
                    message_en,
                    ..Rejection::new(pending, &error, rules.now)
                })
            }
        };
        if let Some(number) = decision.claimed_number(before.as_ref()) {
            // Everything renumbering may ask about must have been looked up in D1 first.
            for stem in renumber_stems(number) {
                if !checked_numbers.contains(&stem) && !unchecked_numbers.contains(&stem) {
                    unchecked_numbers.push(stem);
                }
            }
            let working_view = &working;
            // Another order has `key` if one this run touched has it now, or D1 had it and this
            // run has not changed that order.
            let taken = |key: &str| {
                working_view.iter().any(|(id, order)| {
                    *id != order_id && order.as_ref().is_some_and(|o| o.number.key() == key)
                }) || numbers_in_db.iter().any(|(id, stored)| {
                    *id != order_id && !working_view.contains_key(id) && stored == key
                })
            };
            if let Decision::Applied(applied) = &mut decision {
                make_number_unique(rules, applied, taken);
            }
        }
        if let Decision::Applied(applied) = &decision {
            working.insert(order_id, Some(applied.order.clone()));
        }
        decisions.push((pending.clone(), decision));
    }
    RunDecisions {
        decisions,
        working,
        unchecked_numbers,
    }
}

pub async fn push(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let user = require_user(&req, &ctx).await?;
    // Where links in customer notices point (PUBLIC_URL, else this request's origin).
    let origin = req.url().ok().map(|url| url.origin().ascii_serialization());
    let link_base = crate::http::public_base(&ctx.env, origin.as_deref());
    // A deployment without SHARE_SECRET still notifies customers, with the lookup page's link.
    let share_secret = crate::auth::customer_link::ShareSecret::from_env(&ctx.env).ok();
    let body: PushRequest = read_json(&mut req).await?;
    check_push(&body)?;
    let repo = Repository::new(ctx.d1("DB")?);
    number_keys::fill_missing(&repo, server_now()).await?;
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

    // Every process version: each order is judged by its own (one small read per push).
    let processes = retrying(|| repo.processes()).await?;
    let actor = user.actor();
    // Who may own an order or be responsible for a stage: the active team, read once.
    let team: Directory = retrying(|| repo.list_users())
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| (u.id, u.name))
        .collect();
    // Every order this push touches, read once up front (one statement); after that, as this
    // request wrote them. A stale entry only costs a guard refusal and a re-read.
    let touched: Vec<Uuid> = body
        .mutations
        .iter()
        .filter(|p| p.seq > last_seq)
        .map(|p| p.mutation.order_id())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut known = load_known(&repo, &touched).await?;
    let mut numbers_in_db: Vec<(Uuid, String)> = Vec::new();
    let mut checked_numbers: HashSet<String> = HashSet::new();
    // Read once, and only when a decision enters a stage that notifies the customer.
    let mut notice_channels: Option<Vec<ChannelRecord>> = None;
    // Read once, and only when a decision asks a department for help (请他处理).
    let mut team_channels: Option<Vec<ChannelRecord>> = None;
    let mut attempt = 0;
    // After a failed write, runs of one mutation until one is written: so that a change D1
    // cannot save is found and refused alone, never taking its neighbours with it.
    let mut narrowed = false;
    loop {
        // Mutations with seq <= last_seq are already decided: a replayed push changes nothing.
        let run: Vec<PendingMutation> = body
            .mutations
            .iter()
            .filter(|p| p.seq > last_seq)
            .take(if narrowed { 1 } else { DECISIONS_PER_BATCH })
            .cloned()
            .collect();
        let Some(run_end) = run.last().map(|p| p.seq) else {
            break;
        };
        let received_at = server_now();
        let rules = Context {
            processes: &processes,
            actor: &actor,
            now: received_at,
        };
        // Decide in memory; if that claims order numbers not yet looked up, look them up (one
        // statement) and decide again, so renumbering sees every number it could collide with.
        let run_decisions = loop {
            let decided = decide_run(
                &rules,
                &team,
                &run,
                &known,
                &numbers_in_db,
                &checked_numbers,
            );
            if decided.unchecked_numbers.is_empty() {
                break decided;
            }
            let found = retrying(|| repo.numbers_taken(&decided.unchecked_numbers)).await?;
            numbers_in_db.extend(found);
            checked_numbers.extend(decided.unchecked_numbers);
        };

        let changed: Vec<&Order> = run_decisions
            .working
            .iter()
            .filter(|(id, order)| {
                order.is_some()
                    && run_decisions.decisions.iter().any(|(p, d)| {
                        p.mutation.order_id() == **id && matches!(d, Decision::Applied(_))
                    })
            })
            .filter_map(|(_, order)| order.as_ref())
            .collect();
        let mut notices = Vec::new();
        for order in &changed {
            let before = known
                .get(&order.id)
                .and_then(|entry| entry.as_ref().map(|(order, _)| order));
            if !notify::asks::new_asks(before, order).is_empty() {
                if team_channels.is_none() {
                    team_channels = Some(retrying(|| repo.list_channels()).await?);
                }
                notices.extend(notify::asks::help_asked_rows(
                    before,
                    order,
                    processes.for_order(order),
                    team_channels.as_deref().unwrap_or_default(),
                    link_base.as_deref(),
                    received_at,
                )?);
            }
            if notify::notices::entered_notify_stages(before, order, processes.for_order(order))
                .is_empty()
            {
                continue;
            }
            if notice_channels.is_none() {
                notice_channels = Some(retrying(|| repo.customer_notice_channels()).await?);
            }
            notices.extend(notify::notices::notice_rows(
                before,
                order,
                processes.for_order(order),
                notice_channels.as_deref().unwrap_or_default(),
                link_base.as_deref(),
                share_secret.as_ref(),
                received_at,
            )?);
        }
        let write = DecisionWrite {
            device_id: &device_id,
            last_seq: last_seq as i64,
            new_last_seq: run_end as i64,
            received_at,
            based_on: run_decisions
                .working
                .keys()
                .map(|id| {
                    let version = known
                        .get(id)
                        .and_then(|entry| entry.as_ref().map(|(_, v)| *v))
                        .unwrap_or(NO_VERSION);
                    (*id, version)
                })
                .collect(),
            orders: changed.clone(),
            events: run_decisions
                .decisions
                .iter()
                .filter_map(|(p, d)| match d {
                    Decision::Applied(applied) => Some((p, applied)),
                    _ => None,
                })
                .flat_map(|(p, applied)| {
                    applied.events.iter().map(move |event| {
                        (p.mutation.order_id(), p.seq as i64, p.device_time, event)
                    })
                })
                .collect(),
            rejections: run_decisions
                .decisions
                .iter()
                .filter_map(|(_, d)| match d {
                    Decision::Rejected(rejection) => Some(rejection),
                    _ => None,
                })
                .collect(),
            notices,
        };
        let failure = match repo.commit_decisions(&write).await {
            Ok(versions) => {
                for (order, version) in changed.iter().zip(versions) {
                    known.insert(order.id, Some(((*order).clone(), version)));
                }
                last_seq = run_end;
                attempt = 0;
                narrowed = false;
                continue;
            }
            Err(failure) => failure,
        };
        attempt += 1;
        let single = (run.len() == 1).then(|| &run[0]);
        let give_up = match (&failure, single) {
            // Not this request's to decide: a bug or a broken deployment, not the change.
            (CommitError::Other(error), _) if !matches!(error, ApiError::Database(_)) => {
                return Err(failure.into_api_error());
            }
            // D1 refused the write itself (too big, a failing constraint that is not the guard):
            // trying again in this request cannot help.
            (CommitError::Other(_), Some(_)) => true,
            _ => attempt >= MAX_ATTEMPTS,
        };
        if let (true, Some(stuck)) = (give_up, single) {
            let reason = failure.to_string();
            worker::console_warn!(
                "sync: seq {} of {device_id} not written: {reason}",
                stuck.seq
            );
            let failed_pushes =
                retrying(|| repo.record_sync_failure(&device_id, stuck.seq, &reason, received_at))
                    .await?;
            if failure.is_permanent() || failed_pushes >= MAX_FAILED_PUSHES {
                // Refused like a rule violation: recorded with the user's content, and the queue
                // moves on. The write is tried once; if even that fails, answer busy.
                let refusal = unsaveable(stuck, &failure, received_at);
                let write = DecisionWrite::refusal(&device_id, last_seq, &refusal);
                match repo.commit_decisions(&write).await {
                    Ok(_) => {
                        last_seq = stuck.seq;
                        attempt = 0;
                        narrowed = false;
                        continue;
                    }
                    Err(_) => return Err(ApiError::SyncBusy),
                }
            }
            return Err(ApiError::SyncBusy);
        }
        if give_up {
            // Several mutations in the run: find the one that fails.
            attempt = 0;
        }
        narrowed = true;
        if let CommitError::Transient(message) = &failure {
            worker::console_warn!("transient D1 error on a sync write: {message}");
        }
        backoff(attempt).await;
        // Someone changed an order (or another request of this device decided some of these
        // mutations, or our own commit did land): read again, decide again.
        let device = retrying(|| repo.read_device(&device_id))
            .await?
            .ok_or_else(|| ApiError::Database("the device row vanished".into()))?;
        last_seq = last_seq.max(device.last_seq as u64);
        let ids: Vec<Uuid> = run_decisions.working.keys().copied().collect();
        known.extend(load_known(&repo, &ids).await?);
        numbers_in_db.clear();
        checked_numbers.clear();
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

/// The orders with these ids as D1 has them now; absent ones as `None`.
async fn load_known(
    repo: &Repository,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Option<(Order, i64)>>, ApiError> {
    let mut found = retrying(|| repo.load_orders(ids)).await?;
    Ok(ids.iter().map(|id| (*id, found.remove(id))).collect())
}

/// The largest cursor a pull accepts: D1 takes numbers as JavaScript doubles and refuses a
/// larger one, which answered 503 (retried by a client forever) instead of 400. Versions and
/// rejection ids are far below it.
const MAX_EXACT_JS_INTEGER: u64 = (1 << 53) - 1;

/// `GET /api/sync/pull` parameters, read by hand for precise error messages.
struct PullParams {
    device_id: Uuid,
    cursor: u64,
    rejections_after: u64,
    limit: u32,
    processes_after: u32,
    calendar_after: u64,
}

fn pull_params(req: &Request) -> Result<PullParams, ApiError> {
    let url = req.url().map_err(|e| ApiError::BadQuery(e.to_string()))?;
    let mut device_id = None;
    let (mut cursor, mut rejections_after, mut limit) = (0u64, 0u64, DEFAULT_PULL_LIMIT);
    let mut processes_after = 0u32;
    let mut calendar_after = 0u64;
    let number = |name: &str, value: &str| -> Result<u64, ApiError> {
        value
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= MAX_EXACT_JS_INTEGER)
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
            "processes_after" => {
                processes_after = u32::try_from(number("processes_after", &value)?)
                    .map_err(|_| ApiError::BadQuery("processes_after is too large".into()))?
            }
            "calendar_after" => calendar_after = number("calendar_after", &value)?,
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
        processes_after,
        calendar_after,
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    process_versions: Vec<domain::ProcessVersion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    calendar: Option<domain::HolidayCalendar>,
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
    // More after this page if the count limit or the byte limit cut it.
    let admitted = rows.first().map_or(0, |row| row.admitted as usize);
    let more = admitted > params.limit as usize || rows.len() < admitted;
    rows.truncate(params.limit as usize);
    let mut rejections = page.rejections;
    // More after this page if the count limit or the byte limit cut it.
    let more_rejections = page.rejections_admitted > MAX_PULL_REJECTIONS as usize
        || rejections.len() < page.rejections_admitted;
    rejections.truncate(MAX_PULL_REJECTIONS as usize);

    // Read after the snapshot: every order in it was written after its version was published,
    // so the device never receives an order on a version this answer does not carry.
    let process_versions = retrying(|| repo.process_versions_after(params.processes_after)).await?;
    // The calendar only to a device holding an older one (it is a few KB, pulls are frequent).
    let calendar_version = retrying(|| repo.holiday_calendar_version()).await?;
    let calendar = if calendar_version > params.calendar_after {
        Some(retrying(|| repo.holiday_calendar()).await?)
    } else {
        None
    };
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
        process_versions,
        calendar,
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

    fn create(order_id: Uuid, number: &str) -> Mutation {
        Mutation::CreateOrder {
            order_id,
            number: Some(number.into()),
            customer: domain::Customer {
                company: "杭州明远纺织有限公司".into(),
                contact: "周建国".into(),
                phone: "138 5710 1234".into(),
                email: None,
                address: None,
            },
            items: vec![],
            expected_delivery: None,
            owner: None,
            note: None,
            note_id: None,
        }
    }

    fn team() -> Directory {
        HashMap::from([("u-wangfang".to_string(), "王芳".to_string())])
    }

    #[test]
    fn a_pushed_owner_is_taken_from_the_team_not_from_the_device() {
        let processes = domain::Processes::standard();
        let actor = domain::Actor::new("u-wangfang", "王芳", vec![domain::Role::Sales]);
        let rules = Context {
            processes: &processes,
            actor: &actor,
            now: DateTime::UNIX_EPOCH + chrono::Duration::days(20_000),
        };
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let with_owner = |id, owner: domain::StaffRef| match create(id, "HZ-7") {
            Mutation::CreateOrder {
                order_id,
                number,
                customer,
                items,
                ..
            } => Mutation::CreateOrder {
                order_id,
                number: if id == a { number } else { Some("HZ-8".into()) },
                customer,
                items,
                expected_delivery: None,
                owner: Some(owner),
                note: None,
                note_id: None,
            },
            _ => unreachable!(),
        };
        let run = vec![
            pending(
                1,
                with_owner(a, domain::StaffRef::new("u-wangfang", "李四")),
            ),
            pending(2, with_owner(b, domain::StaffRef::new("u-nobody", "幽灵"))),
        ];
        let known = HashMap::from([(a, None), (b, None)]);
        let checked = HashSet::from(["hz-7".to_string(), "hz-8".to_string()]);
        let decided = decide_run(&rules, &team(), &run, &known, &[], &checked);
        match &decided.decisions[0].1 {
            Decision::Applied(applied) => assert_eq!(applied.order.owner.name, "王芳"),
            other => panic!("kept: {other:?}"),
        }
        match &decided.decisions[1].1 {
            Decision::Rejected(rejection) => assert!(rejection.message.contains("幽灵")),
            other => panic!("refused: {other:?}"),
        }
    }

    fn pending(seq: u64, mutation: Mutation) -> PendingMutation {
        PendingMutation {
            seq,
            mutation,
            device_time: DateTime::UNIX_EPOCH,
        }
    }

    fn numbers(run: &RunDecisions) -> Vec<String> {
        run.decisions
            .iter()
            .filter_map(|(_, d)| match d {
                Decision::Applied(a) => Some(a.order.number.as_str().to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_run_renumbers_against_d1_and_against_its_own_earlier_creates() {
        let processes = domain::Processes::standard();
        let actor = domain::Actor::new("u-wangfang", "王芳", vec![domain::Role::Sales]);
        let rules = Context {
            processes: &processes,
            actor: &actor,
            now: DateTime::UNIX_EPOCH + chrono::Duration::days(20_000),
        };
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let run = vec![
            pending(1, create(a, "HZ-1")),
            pending(2, create(b, "hz-1")),
            pending(3, create(c, "HZ-9")),
        ];
        let known = HashMap::from([(a, None), (b, None), (c, None)]);

        // First pass: the numbers are not looked up yet, so the run says which to look up.
        let first = decide_run(&rules, &team(), &run, &known, &[], &HashSet::new());
        assert_eq!(first.unchecked_numbers, vec!["hz-1", "hz-9"]);

        // D1 has HZ-1-2 (another order); the run's own HZ-1 makes the second one HZ-1-3.
        let in_db = vec![(Uuid::from_u128(99), "hz-1-2".to_string())];
        let checked = HashSet::from(["hz-1".to_string(), "hz-9".to_string()]);
        let second = decide_run(&rules, &team(), &run, &known, &in_db, &checked);
        assert!(second.unchecked_numbers.is_empty());
        assert_eq!(numbers(&second), vec!["HZ-1", "hz-1-3", "HZ-9"]);
    }

    #[test]
    fn an_order_never_collides_with_its_own_stored_number() {
        let processes = domain::Processes::standard();
        let actor = domain::Actor::new("u-wangfang", "王芳", vec![domain::Role::Sales]);
        let rules = Context {
            processes: &processes,
            actor: &actor,
            now: DateTime::UNIX_EPOCH + chrono::Duration::days(20_000),
        };
        let a = Uuid::from_u128(1);
        let in_db = vec![(a, "hz-1".to_string())];
        let checked = HashSet::from(["hz-1".to_string()]);
        let known = HashMap::from([(a, None)]);
        let run = vec![pending(1, create(a, "HZ-1"))];
        let decided = decide_run(&rules, &team(), &run, &known, &in_db, &checked);
        assert_eq!(numbers(&decided), vec!["HZ-1"]);
    }
}
