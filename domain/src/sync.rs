//! The sync protocol's wire types and the two pure steps both sides run (see DESIGN.md,
//! "Sync protocol", and ARCHITECTURE.md, "Sync").
//!
//! - The **server** decides each pushed mutation with [`process`] against the order as it is
//!   now, with the *caller* as actor and the server's clock as `now`. The result is one of
//!   [`Decision::Applied`] (store the new order and its events), [`Decision::Unchanged`] (the
//!   order already is as asked: nothing to write but the device's `last_seq`) or
//!   [`Decision::Rejected`] (store the rejection, with a message that says what happened).
//!   A new or changed order number that another order already uses is never a rejection: the
//!   server keeps the order and gives it a unique number ([`make_number_unique`]), recorded as a
//!   `renumbered` history event.
//! - The **client** rebuilds what the user sees after a pull with [`rebase`]: the server's
//!   orders with the still-pending mutations re-applied on top, in seq order, by the same
//!   `process` step. A pending mutation that now fails stays queued (only the server decides) and
//!   is reported as *at risk*, with the explanation and the mutation itself, so the screen can
//!   say "王芳 moved this order at 10:42; your change will probably be refused" without losing
//!   what the user typed.
//!
//! Mutations are numbered per device, gap-free, so the server can apply each exactly once however
//! often a push is retried.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::apply::{apply, Applied, Context};
use crate::calendar::{business_date, business_offset};
use crate::error::DomainError;
use crate::history::{EventKind, HistoryEvent};
use crate::i18n::{Lang, Localized};
use crate::mutation::Mutation;
use crate::number_key::{renumber_candidate, MAX_RENUMBER_SUFFIX};
use crate::order::{Order, OrderNumber, OrderStatus};
use crate::pipeline::{Pipeline, StageId};
use crate::process_version::Processes;

/// Most mutations one push may carry. The client sends its queue in pages of at most this many;
/// it keeps one push well inside a Worker invocation's 1,000 D1 queries (about two a mutation).
pub const MAX_PUSH_MUTATIONS: usize = 100;
/// Default and largest page of a pull.
pub const DEFAULT_PULL_LIMIT: u32 = 500;
pub const MAX_PULL_LIMIT: u32 = 1000;
/// Most rejections one pull returns; more wait behind `rejection_cursor`.
pub const MAX_PULL_REJECTIONS: u32 = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingMutation {
    pub seq: u64,
    pub mutation: Mutation,
    /// When the user acted, by the phone's clock: shown to people, never trusted for rules.
    pub device_time: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    pub device_id: Uuid,
    pub mutations: Vec<PendingMutation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Highest seq of this device the server has processed (applied or rejected). The client
    /// drops its pending mutations up to here once it has pulled the result.
    pub last_seq: u64,
    /// The rejections among the seqs of this push (also for seqs an earlier, lost answer already
    /// covered), so a retried push gets the same answer. Pull reports them too.
    pub rejected: Vec<Rejection>,
}

/// A mutation the server refused, kept whole so the user can see and re-enter what they typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub seq: u64,
    pub order_id: Uuid,
    /// `DomainError::code()`: stable, for programs.
    pub code: String,
    /// For people, Chinese first: e.g. "已被王芳于 10:42 推进到 合同签订".
    pub message: String,
    pub message_en: String,
    pub mutation: Mutation,
    pub device_time: DateTime<Utc>,
    /// Server time of the decision.
    pub rejected_at: DateTime<Utc>,
}

impl Rejection {
    /// A rejection with the error's generic message; [`process`] uses [`explain`] instead, which
    /// names who changed the order and when.
    pub fn new(pending: &PendingMutation, error: &DomainError, now: DateTime<Utc>) -> Self {
        Rejection {
            seq: pending.seq,
            order_id: pending.mutation.order_id(),
            code: error.code().to_string(),
            message: error.message(Lang::Zh),
            message_en: error.message(Lang::En),
            mutation: pending.mutation.clone(),
            device_time: pending.device_time,
            rejected_at: now,
        }
    }

    pub fn message(&self, lang: Lang) -> &str {
        lang.pick(&self.message, &self.message_en)
    }

    /// The rejection as the server keeps and sends it: its content cut to about
    /// [`MAX_REJECTED_CONTENT_BYTES`] ([`bounded_content`]).
    pub fn with_bounded_content(mut self) -> Rejection {
        self.mutation = bounded_content(&self.mutation);
        // The messages are the rules' own; some quote what was sent, shortened already.
        for message in [&mut self.message, &mut self.message_en] {
            if message.chars().count() > 1_000 {
                *message = message.chars().take(999).chain(['…']).collect();
            }
        }
        self
    }
}

/// The most of a refused change's content the server keeps with its rejection (JSON bytes).
/// Room for everything a person types into one change (a 2,000-character note is 6 KB of
/// Chinese) but not for the 1 MB a push may carry: refusals are stored per device and sent
/// back a page of 100 at a time, so whole ones let anyone grow the database and the pages
/// without bound (an attacker's finding).
pub const MAX_REJECTED_CONTENT_BYTES: usize = 8 * 1024;

/// `mutation` if its JSON fits in [`MAX_REJECTED_CONTENT_BYTES`], else the same change with its
/// long texts cut (ending in `…`) and its long lists shortened, more each round until it fits:
/// still the same kind of change on the same order, so the phone shows what it was and what
/// was typed, as far as it is kept. Ids, dates and hashes (64 characters at most) are never cut.
pub fn bounded_content(mutation: &Mutation) -> Mutation {
    let Ok(whole) = serde_json::to_value(mutation) else {
        return mutation.clone();
    };
    if json_bytes(&whole) <= MAX_REJECTED_CONTENT_BYTES {
        return mutation.clone();
    }
    let mut smallest = None;
    for (max_chars, max_items) in [(2_000, 50), (500, 10), (120, 3), (64, 1)] {
        let mut cut = whole.clone();
        shorten(&mut cut, max_chars, max_items);
        let fits = json_bytes(&cut) <= MAX_REJECTED_CONTENT_BYTES;
        if let Ok(shortened) = serde_json::from_value::<Mutation>(cut) {
            if fits {
                return shortened;
            }
            smallest = Some(shortened);
        }
    }
    // Every text at 64 characters and every list at one item is a few hundred bytes for any
    // kind of change; this is only reached if a kind ever grows a map.
    smallest.unwrap_or_else(|| mutation.clone())
}

fn json_bytes(value: &serde_json::Value) -> usize {
    serde_json::to_string(value).map_or(usize::MAX, |text| text.len())
}

fn shorten(value: &mut serde_json::Value, max_chars: usize, max_items: usize) {
    match value {
        serde_json::Value::String(text) if text.chars().count() > max_chars => {
            *text = text.chars().take(max_chars - 1).chain(['…']).collect();
        }
        serde_json::Value::Array(items) => {
            items.truncate(max_items);
            items
                .iter_mut()
                .for_each(|item| shorten(item, max_chars, max_items));
        }
        serde_json::Value::Object(fields) => fields
            .values_mut()
            .for_each(|field| shorten(field, max_chars, max_items)),
        _ => {}
    }
}

/// `GET /api/sync/pull` query parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub device_id: Uuid,
    /// The `cursor` of the last page this device stored; 0 for everything.
    pub cursor: u64,
    /// The `rejection_cursor` of the last pull whose rejections this device stored.
    #[serde(default)]
    pub rejections_after: u64,
    #[serde(default)]
    pub limit: Option<u32>,
    /// The newest process version this device holds; the answer carries every newer one.
    #[serde(default)]
    pub processes_after: u32,
    /// The holiday calendar version this device holds (0: the shipped one).
    #[serde(default)]
    pub calendar_after: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Orders changed after `cursor`, in version order (live ones; deleted ones are in
    /// `tombstones`).
    pub orders: Vec<Order>,
    pub tombstones: Vec<Uuid>,
    /// The version of the last row in this page (the request's cursor when the page is empty):
    /// store it with the page, send it with the next pull.
    pub cursor: u64,
    /// More pages wait behind `cursor`; pull again before relying on the data being complete.
    pub more: bool,
    /// Highest seq of this device the server has processed.
    pub last_seq: u64,
    /// This device's rejections after `rejections_after`, oldest first. A client shows each one
    /// and then stores `rejection_cursor`; a lost answer only means it sees them again, so every
    /// rejection reaches the device at least once (dedupe by `seq`).
    pub rejections: Vec<Rejection>,
    pub rejection_cursor: u64,
    /// More rejections wait behind `rejection_cursor`.
    #[serde(default)]
    pub more_rejections: bool,
    /// Published process versions after the request's `processes_after`, oldest first
    /// (absent when none): the device stores them before the orders, which may run on them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub process_versions: Vec<crate::process_version::ProcessVersion>,
    /// The company's holiday calendar when it is newer than the request's `calendar_after`
    /// (absent otherwise): the device keeps it and counts working-day deadlines on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<crate::holidays::HolidayCalendar>,
}

/// What the server does with one pushed mutation.
// Decided and consumed once per mutation, never stored in bulk: boxing `Applied` would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Store this order with these new history events.
    Applied(Applied),
    /// Accepted, but the order already is as asked (e.g. two people made the same edit): only the
    /// device's `last_seq` moves.
    Unchanged,
    /// Store the rejection; the order stays as it is.
    Rejected(Rejection),
}

/// The server-side step for one pushed mutation: the domain rules against `current` (the order
/// as stored now, `None` if it does not exist), explained for people when refused.
///
/// Order numbers are not checked here (that needs the other orders): call
/// [`Decision::claimed_number`] and [`make_number_unique`] next, or use [`process_with_numbers`].
pub fn process(ctx: &Context, current: Option<&Order>, pending: &PendingMutation) -> Decision {
    let decided = if pending.mutation.is_server_only() {
        Err(DomainError::forbidden(
            "彻底清除附件只能在订单页由管理员操作，不能通过同步提交",
            "Purging an attachment is done by an admin on the order page, not through sync",
        ))
    } else {
        apply(ctx, current, &pending.mutation)
    };
    match decided {
        Ok(applied) => Decision::Applied(applied),
        Err(error) if already_in_effect(current, &pending.mutation, &error) => Decision::Unchanged,
        Err(error) => {
            let (zh, en) = explain(ctx, current, &pending.mutation, &error);
            Decision::Rejected(Rejection {
                message: zh,
                message_en: en,
                ..Rejection::new(pending, &error, ctx.now)
            })
        }
    }
}

impl Decision {
    /// The order number this decision asks to hold, if it is new or changed: the caller must check
    /// that no other order has its [`number_key`](crate::number_key) and call [`make_number_unique`].
    pub fn claimed_number(&self, before: Option<&Order>) -> Option<&OrderNumber> {
        match self {
            Decision::Applied(applied) => {
                let number = &applied.order.number;
                (before.map(|b| &b.number) != Some(number)).then_some(number)
            }
            _ => None,
        }
    }
}

/// `process`, then [`make_number_unique`] with `taken(key)` telling whether ANOTHER order's
/// number has this [`number_key`](crate::number_key) (what the server's unique index compares).
pub fn process_with_numbers(
    ctx: &Context,
    current: Option<&Order>,
    pending: &PendingMutation,
    taken: impl Fn(&str) -> bool,
) -> Decision {
    let mut decision = process(ctx, current, pending);
    if decision.claimed_number(current).is_some() {
        if let Decision::Applied(applied) = &mut decision {
            make_number_unique(ctx, applied, taken);
        }
    }
    decision
}

/// If `taken(key)` for the order's [`number_key`](crate::number_key), gives the order the first
/// free `number-2`, `number-3`, … (cut to fit `OrderNumber::MAX_CHARS`, see
/// [`renumber_candidate`]) and records a `renumbered` event. Two phones that created the same
/// number offline both keep their order; the one the server saw second gets the suffix.
/// `taken` is only ever asked about keys [`renumber_stems`]`(wanted)` covers.
pub fn make_number_unique(ctx: &Context, applied: &mut Applied, taken: impl Fn(&str) -> bool) {
    let wanted = applied.order.number.clone();
    if !taken(&wanted.key()) {
        return;
    }
    let unique = (2..=MAX_RENUMBER_SUFFIX)
        .map(|n| renumber_candidate(&wanted, n))
        .find(|candidate| !taken(&candidate.key()))
        .expect("fewer than a million orders share one number");
    let event = HistoryEvent {
        at: ctx.now,
        actor: crate::staff::system_actor(),
        kind: EventKind::Renumbered {
            from: wanted.as_str().to_string(),
            to: unique.as_str().to_string(),
        },
    };
    applied.order.number = unique;
    applied.order.history.push(event.clone());
    applied.events.push(event);
}

/// A refusal that only says "nothing to do" because the order is already as asked: accepting it
/// keeps two people who made the same change offline from seeing a pointless rejection.
fn already_in_effect(current: Option<&Order>, mutation: &Mutation, error: &DomainError) -> bool {
    let (Some(order), DomainError::Invalid { field, .. }) = (current, error) else {
        return false;
    };
    match mutation {
        Mutation::EditFields { .. } => field == "changes",
        Mutation::Assign { owner, .. } => field == "owner" && owner.user_id == order.owner.user_id,
        _ => false,
    }
}

/// The message for a refused mutation, zh and en. When the order was moved or closed by someone
/// else, it names who and when (China time), from the order's history:
/// "已被王芳于 10:42 推进到 合同签订".
pub fn explain(
    ctx: &Context,
    order: Option<&Order>,
    mutation: &Mutation,
    error: &DomainError,
) -> (String, String) {
    let generic = || (error.message(Lang::Zh), error.message(Lang::En));
    let Some(order) = order else {
        return generic();
    };
    let pipeline = ctx.processes.for_order(order);
    match error {
        DomainError::StaleStage { current, .. } => {
            let left = match mutation {
                Mutation::AdvanceStage { from, .. } => Some(from),
                Mutation::SetChecklistItem { stage, .. } => Some(stage),
                _ => None,
            };
            // The move that took the order away from the stage the user saw, else the last move.
            let moves = order.history.iter().rev().filter_map(|e| match &e.kind {
                EventKind::StageAdvanced { from, to, .. } => Some((e, from, to)),
                _ => None,
            });
            let found = moves
                .clone()
                .find(|(_, from, _)| Some(*from) == left)
                .or_else(|| moves.clone().next());
            let Some((event, _, to)) = found else {
                return generic();
            };
            let backward = match (pipeline.index_of(left.unwrap_or(to)), pipeline.index_of(to)) {
                (Some(f), Some(t)) => t < f,
                _ => false,
            };
            let to_name = stage_name(pipeline, to);
            let who = &event.actor.name;
            let (zh_verb, en_verb) = if backward {
                ("退回到", "sent back to")
            } else {
                ("推进到", "moved to")
            };
            let mut zh = format!(
                "已被{who}于 {} {zh_verb} {}",
                when(ctx.now, event.at, Lang::Zh),
                to_name.zh
            );
            let mut en = format!(
                "{who} already {en_verb} {} at {}",
                to_name.en,
                when(ctx.now, event.at, Lang::En)
            );
            if to != current {
                let now_name = stage_name(pipeline, current);
                zh += &format!("，当前阶段：{}", now_name.zh);
                en += &format!("; it is now at {}", now_name.en);
            }
            (zh, en)
        }
        DomainError::OrderClosed => {
            let closing = order.history.iter().rev().find(|e| {
                matches!(
                    e.kind,
                    EventKind::Completed { .. } | EventKind::Cancelled { .. }
                )
            });
            let Some(event) = closing else {
                return generic();
            };
            let who = &event.actor.name;
            let (zh_what, en_what) = match &order.status {
                OrderStatus::Cancelled { .. } => ("取消", "cancelled"),
                _ => ("完成", "completed"),
            };
            (
                format!(
                    "订单已被{who}于 {} {zh_what}，只能添加备注或重新打开",
                    when(ctx.now, event.at, Lang::Zh)
                ),
                format!(
                    "{who} {en_what} the order at {}: only notes and reopening are possible",
                    when(ctx.now, event.at, Lang::En)
                ),
            )
        }
        _ => generic(),
    }
}

fn stage_name(pipeline: &Pipeline, id: &StageId) -> Localized {
    pipeline
        .stage(id)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| Localized::new(id.to_string(), id.to_string()))
}

/// "10:42" on the same business day as `now`, else "11月25日 10:42" / "11-25 10:42"; China time.
fn when(now: DateTime<Utc>, at: DateTime<Utc>, lang: Lang) -> String {
    let local = at.with_timezone(&business_offset());
    if business_date(now) == business_date(at) {
        local.format("%H:%M").to_string()
    } else if lang == Lang::Zh {
        local.format("%-m月%-d日 %H:%M").to_string()
    } else {
        local.format("%m-%d %H:%M").to_string()
    }
}

/// What the device shows after a pull: `overlay` holds every order a pending mutation touched,
/// as it will probably look once the server has it (orders not in `overlay` are exactly the
/// server's); `at_risk` lists the pending mutations that fail on the server's current state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rebased {
    pub overlay: BTreeMap<Uuid, Order>,
    /// Still queued (the server decides), shown with the explanation and the content, so the
    /// user can re-enter it or discard it on purpose when the server confirms the refusal.
    pub at_risk: Vec<Rejection>,
}

/// Re-applies the still-pending mutations (seq order, each with its own device time as `now`)
/// on top of the server's `base`, with the same step the server runs, so that the device shows
/// what the server will most likely decide, including renumbered order numbers.
pub fn rebase(
    processes: &Processes,
    actor: &crate::order::Actor,
    base: &BTreeMap<Uuid, Order>,
    pending: &[PendingMutation],
) -> Rebased {
    let mut rebased = Rebased::default();
    let mut ordered: Vec<&PendingMutation> = pending.iter().collect();
    crate::sorting::sort_by_key(&mut ordered, |p| p.seq);
    for p in ordered {
        let ctx = Context {
            processes,
            actor,
            now: p.device_time,
        };
        let id = p.mutation.order_id();
        let current = rebased.overlay.get(&id).or_else(|| base.get(&id)).cloned();
        let overlay = &rebased.overlay;
        // `taken` is asked about number keys, as on the server (`make_number_unique`).
        let taken = |key: &str| {
            let same = |o: &Order| o.id != id && o.number.key() == key;
            overlay.values().any(same)
                || base
                    .values()
                    .any(|o| same(o) && !overlay.contains_key(&o.id))
        };
        match process_with_numbers(&ctx, current.as_ref(), p, taken) {
            Decision::Applied(applied) => {
                rebased.overlay.insert(id, applied.order);
            }
            Decision::Unchanged => {}
            Decision::Rejected(rejection) => rebased.at_risk.push(rejection),
        }
    }
    rebased
}
