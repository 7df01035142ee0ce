//! What sync stores: the pull cursors, the server's refusals waiting to be read, the device's
//! identity when it changes hands, and — the heart of it — a pulled page, written in ONE
//! transaction with the confirmed mutations it retires, so the device is never left with a
//! change both confirmed and still pending, or gone from both.

use std::collections::{BTreeMap, HashSet};

use domain::analytics::OrderFacts;
use domain::sorting::collect_map;
use domain::{
    rebase, Actor, Card, HolidayCalendar, Order, PendingMutation, Processes, PullResponse,
    Rejection,
};
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use indexed_db_futures::KeyRange;
use uuid::Uuid;
use wasm_bindgen::prelude::*;

use super::records::{self, meta_record};
use super::schema::{BASES, CARDS, FACTS, META, ORDERS, PENDING, PROCESSES};
use super::{commit, rewrite_buckets, Storage, StorageError, DEVICE_ID, NEXT_SEQ};

const SYNC_CURSOR: &str = "sync_cursor";
const REJECTION_CURSOR: &str = "rejection_cursor";
const REJECTIONS: &str = "rejections";
/// The company's holiday calendar (`domain::HolidayCalendar` as JSON text), kept in `meta` so
/// the schema needs no new store; absent until the first pull brings it (then the shipped one
/// counts).
const HOLIDAY_CALENDAR: &str = "holiday_calendar";

/// What a stored page changed, for the screen.
#[derive(Debug, Default)]
pub struct PulledPage {
    /// Cards to show (new or changed orders).
    pub cards: Vec<Card>,
    /// Orders gone from the device (deleted on the server, or a refused new order).
    pub removed: HashSet<Uuid>,
    /// Orders that still have unsynced changes.
    pub unsynced: HashSet<Uuid>,
    /// Every refusal not yet dismissed, newest page included.
    pub rejections: Vec<Rejection>,
}

fn number(value: Option<JsValue>) -> Result<u64, StorageError> {
    match value {
        Some(record) => records::decode_seq(&records::meta_value(&record), "sync cursor"),
        None => Ok(0),
    }
}

impl Storage {
    /// `(cursor, rejection_cursor)` for the next pull: 0 before the first.
    pub async fn sync_cursors(&self) -> Result<(u64, u64), StorageError> {
        let tx = self.transaction([META], TransactionMode::Readonly)?;
        let meta = tx.object_store(META)?;
        let cursor = number(meta.get(SYNC_CURSOR).await?)?;
        let rejection_cursor = number(meta.get(REJECTION_CURSOR).await?)?;
        Ok((cursor, rejection_cursor))
    }

    /// Every process version this device holds (version 1 included), counting working days on
    /// the company's calendar as last pulled (the shipped one before): what orders are shown
    /// and changed by.
    pub async fn processes(&self) -> Result<Processes, StorageError> {
        let tx = self.transaction([PROCESSES, META], TransactionMode::Readonly)?;
        let store = tx.object_store(PROCESSES)?;
        let versions = store
            .get_all::<JsValue>()
            .await?
            .map(|record| records::decode_process(&record?))
            .collect::<Result<Vec<_>, _>>()?;
        let calendar = read_calendar(tx.object_store(META)?.get(HOLIDAY_CALENDAR).await?)?;
        let processes = Processes::new(versions);
        Ok(match calendar {
            Some(calendar) => processes.with_calendar(calendar.work_calendar()),
            None => processes,
        })
    }

    /// The holiday calendar this device holds, `None` before the first pull brought one.
    pub async fn holiday_calendar(&self) -> Result<Option<HolidayCalendar>, StorageError> {
        let tx = self.transaction([META], TransactionMode::Readonly)?;
        read_calendar(tx.object_store(META)?.get(HOLIDAY_CALENDAR).await?)
    }

    /// Stores published process versions outside a pull (the benchmark's set-up; a pull stores
    /// its versions in the same transaction as its orders, see `apply_pull_page`).
    pub async fn put_process_versions(
        &self,
        versions: &[domain::ProcessVersion],
    ) -> Result<(), StorageError> {
        let tx = self.transaction([PROCESSES], TransactionMode::Readwrite)?;
        {
            let store = tx.object_store(PROCESSES)?;
            for version in versions {
                store.put(records::process_record(version)?).build()?;
            }
        }
        commit(tx).await
    }

    /// The server's refusals this device has not dismissed yet.
    pub async fn rejections(&self) -> Result<Vec<Rejection>, StorageError> {
        let tx = self.transaction([META], TransactionMode::Readonly)?;
        let meta = tx.object_store(META)?;
        read_rejections(meta.get(REJECTIONS).await?)
    }

    /// Forgets refusal `seq` (the person has read it, re-entered or discarded what it held).
    pub async fn dismiss_rejection(&self, seq: u64) -> Result<Vec<Rejection>, StorageError> {
        let tx = self.transaction([META], TransactionMode::Readwrite)?;
        let rest = {
            let meta = tx.object_store(META)?;
            let mut all = read_rejections(meta.get(REJECTIONS).await?)?;
            all.retain(|rejection| rejection.seq != seq);
            meta.put(rejections_record(&all)?).await?;
            all
        };
        commit(tx).await?;
        Ok(rest)
    }

    /// A new identity for this installation (when another person signs in: the server binds a
    /// device id to its first user). Pending mutations, if any, are renumbered 1, 2, … under
    /// the new id, and the refusal cursor starts again. Orders and the pull cursor stay: they
    /// are the team's data, not the person's.
    pub async fn reset_device(&self) -> Result<Uuid, StorageError> {
        let id = Uuid::new_v4();
        let tx = self.transaction([PENDING, META], TransactionMode::Readwrite)?;
        {
            let pending_store = tx.object_store(PENDING)?;
            let meta = tx.object_store(META)?;
            let pending = pending_store
                .get_all::<JsValue>()
                .await?
                .map(|record| records::decode_pending(&record?))
                .collect::<Result<Vec<_>, _>>()?;
            pending_store.clear()?.await?;
            for (index, p) in pending.iter().enumerate() {
                let seq = index as u64 + 1;
                pending_store
                    .add(records::pending_record(seq, &p.mutation, p.device_time)?)
                    .await?;
            }
            let next = pending.len() as f64 + 1.0;
            meta.put(meta_record(NEXT_SEQ, &JsValue::from_f64(next))?)
                .await?;
            meta.put(meta_record(DEVICE_ID, &JsValue::from_str(&id.to_string()))?)
                .await?;
            meta.put(meta_record(REJECTION_CURSOR, &JsValue::from_f64(0.0))?)
                .await?;
            meta.put(rejections_record(&[])?).await?;
        }
        commit(tx).await?;
        Ok(id)
    }

    /// Stores one pulled page in ONE transaction:
    /// 1. on the last page, drops the pending mutations the server has decided
    ///    (`seq <= last_seq`); before it, they stay queued (and their orders marked unsynced);
    /// 2. for each pulled order: with no pending change left it becomes exactly the server's;
    ///    otherwise the still-pending changes are re-applied on top of it (`domain::rebase`,
    ///    the server's own step) and the server's version becomes the order's base;
    /// 3. deleted orders go, unless a pending change still waits for the server to refuse it;
    /// 4. on the last page (`more == false`), orders whose changes were all decided but which
    ///    the pull did not bring (the server refused the changes, so the order never changed
    ///    there) fall back to their base — or go, if they were created here and refused;
    /// 5. the cursors move and new refusals are kept for the person to read.
    pub async fn apply_pull_page(
        &self,
        page: &PullResponse,
        processes: &Processes,
        actor: &Actor,
    ) -> Result<PulledPage, StorageError> {
        // Orders of this page may run on versions it brings, and count on the calendar it brings.
        let with_new;
        let processes = if page.process_versions.is_empty() && page.calendar.is_none() {
            processes
        } else {
            let more = processes.with_more_versions(&page.process_versions);
            with_new = match &page.calendar {
                Some(calendar) => more.with_calendar(calendar.work_calendar()),
                None => more,
            };
            &with_new
        };
        let tx = self.transaction(
            [ORDERS, CARDS, FACTS, PENDING, META, BASES, PROCESSES],
            TransactionMode::Readwrite,
        )?;
        let outcome = {
            // The versions first, in the same transaction as the orders that may run on them.
            let process_store = tx.object_store(PROCESSES)?;
            for version in &page.process_versions {
                process_store
                    .put(records::process_record(version)?)
                    .build()?;
            }
            let orders = tx.object_store(ORDERS)?;
            let cards = tx.object_store(CARDS)?;
            let facts = tx.object_store(FACTS)?;
            let pending_store = tx.object_store(PENDING)?;
            let meta = tx.object_store(META)?;
            let bases = tx.object_store(BASES)?;

            // Decided changes are retired on the last page only: until the pull is complete,
            // a change the server refused may not have come back yet, and an order whose change
            // is gone from the queue would look synced while it is not (issue 19 item 2).
            if !page.more {
                pending_store
                    .delete::<f64, _>(KeyRange::UpperBound(page.last_seq as f64, false))
                    .await?;
            }
            let queued: Vec<PendingMutation> = pending_store
                .get_all::<JsValue>()
                .await?
                .map(|record| records::decode_pending(&record?))
                .collect::<Result<_, _>>()?;
            // Orders that keep their base and their unsynced mark: any change still queued.
            let waiting: HashSet<Uuid> = queued.iter().map(|p| p.mutation.order_id()).collect();
            // What to re-apply on top of pulled orders: only what the server has not decided
            // (the pulled version already holds what it accepted).
            let remaining: Vec<PendingMutation> = queued
                .into_iter()
                .filter(|p| p.seq > page.last_seq)
                .collect();

            let mut put: Vec<Order> = Vec::new();
            let mut new_bases: Vec<(Uuid, String)> = Vec::new();
            let mut drop_base: HashSet<Uuid> = HashSet::new();
            let mut removed: HashSet<Uuid> = HashSet::new();

            // 2. Pulled orders.
            // `collect_map`, not `collect`: no sort instantiated for these maps (bundle size).
            let server: BTreeMap<Uuid, Order> =
                collect_map(page.orders.iter().map(|o| (o.id, o.clone())));
            let rebased_on: BTreeMap<Uuid, Order> = collect_map(
                server
                    .iter()
                    .filter(|(id, _)| waiting.contains(id))
                    .map(|(id, o)| (*id, o.clone())),
            );
            let to_replay: Vec<PendingMutation> = remaining
                .iter()
                .filter(|p| rebased_on.contains_key(&p.mutation.order_id()))
                .cloned()
                .collect();
            // Replaying a create compares number keys (renumbering), which need NFKC.
            use_browser_nfkc();
            let rebased = rebase(processes, actor, &rebased_on, &to_replay);
            for (id, order) in &server {
                if waiting.contains(id) {
                    let json = serde_json::to_string(order)
                        .map_err(|e| StorageError::Other(e.to_string()))?;
                    new_bases.push((*id, json));
                    put.push(rebased.overlay.get(id).unwrap_or(order).clone());
                } else {
                    drop_base.insert(*id);
                    put.push(order.clone());
                }
            }
            // 3. Deleted on the server.
            for id in &page.tombstones {
                if !waiting.contains(id) {
                    removed.insert(*id);
                    drop_base.insert(*id);
                }
            }
            // 4. Last page: changes decided, order not pulled → back to the server's version.
            if !page.more {
                let all_bases = bases
                    .get_all::<JsValue>()
                    .await?
                    .map(|record| records::decode_base(&record?))
                    .collect::<Result<Vec<_>, _>>()?;
                for (id, base) in all_bases {
                    if waiting.contains(&id) || server.contains_key(&id) || removed.contains(&id) {
                        continue;
                    }
                    drop_base.insert(id);
                    match base {
                        Some(order) => put.push(order),
                        None => {
                            removed.insert(id);
                        }
                    }
                }
            }

            // Writes: orders, their cards and facts (one read-modify-write per touched bucket), bases.
            for order in &put {
                orders
                    .put(records::order_record(order, processes.for_order(order))?)
                    .build()?;
            }
            for id in &removed {
                orders
                    .delete::<JsValue, _>(KeyRange::Only(JsValue::from_str(&id.to_string())))
                    .build()?;
            }
            let new_cards: Vec<Card> = put
                .iter()
                .map(|o| Card::from_order(o, processes.for_order(o)))
                .collect();
            let new_facts: Vec<OrderFacts> = put
                .iter()
                .map(|o| OrderFacts::of(o, processes.for_order(o)))
                .collect();
            rewrite_buckets(&cards, new_cards.clone(), &removed).await?;
            rewrite_buckets(&facts, new_facts, &removed).await?;
            for id in &drop_base {
                bases
                    .delete::<JsValue, _>(KeyRange::Only(JsValue::from_str(&id.to_string())))
                    .build()?;
            }
            for (id, json) in &new_bases {
                bases.put(records::base_record(*id, Some(json))).build()?;
            }

            // 5. Cursors and refusals.
            meta.put(meta_record(
                SYNC_CURSOR,
                &JsValue::from_f64(page.cursor as f64),
            )?)
            .build()?;
            meta.put(meta_record(
                REJECTION_CURSOR,
                &JsValue::from_f64(page.rejection_cursor as f64),
            )?)
            .build()?;
            let mut rejections = read_rejections(meta.get(REJECTIONS).await?)?;
            let known: HashSet<u64> = rejections.iter().map(|r| r.seq).collect();
            rejections.extend(
                page.rejections
                    .iter()
                    .filter(|r| !known.contains(&r.seq))
                    .cloned(),
            );
            meta.put(rejections_record(&rejections)?).build()?;

            // A new calendar moves working-day deadlines of orders this page did not bring:
            // every order's due date, card and facts (分析's deadlines) are counted again, in
            // this same transaction. Rare (an admin changed a year), so reading every order is
            // fine here.
            let new_cards = match &page.calendar {
                Some(calendar) => {
                    let json = serde_json::to_string(calendar)
                        .map_err(|e| StorageError::Other(e.to_string()))?;
                    meta.put(meta_record(HOLIDAY_CALENDAR, &JsValue::from_str(&json))?)
                        .build()?;
                    let all = orders
                        .get_all::<JsValue>()
                        .await?
                        .map(|record| records::decode_order(&record?))
                        .collect::<Result<Vec<_>, _>>()?;
                    let mut all_cards = Vec::with_capacity(all.len());
                    let mut all_facts = Vec::with_capacity(all.len());
                    for order in &all {
                        let pipeline = processes.for_order(order);
                        orders
                            .put(records::order_record(order, pipeline)?)
                            .build()?;
                        all_cards.push(Card::from_order(order, pipeline));
                        all_facts.push(OrderFacts::of(order, pipeline));
                    }
                    cards.clear()?.await?;
                    for record in records::merge_into_buckets(BTreeMap::new(), all_cards.clone())? {
                        cards.put(record).build()?;
                    }
                    facts.clear()?.await?;
                    for record in records::merge_into_buckets(BTreeMap::new(), all_facts)? {
                        facts.put(record).build()?;
                    }
                    all_cards
                }
                None => new_cards,
            };

            PulledPage {
                cards: new_cards,
                removed,
                unsynced: waiting,
                rejections,
            }
        };
        commit(tx).await?;
        Ok(outcome)
    }
}

fn read_calendar(record: Option<JsValue>) -> Result<Option<HolidayCalendar>, StorageError> {
    let Some(record) = record else {
        return Ok(None);
    };
    let json = records::meta_value(&record)
        .as_string()
        .ok_or_else(|| StorageError::corrupt("holiday calendar: not text"))?;
    serde_json::from_str(&json)
        .map(Some)
        .map_err(|e| StorageError::corrupt(format!("holiday calendar: {e}")))
}

fn read_rejections(record: Option<JsValue>) -> Result<Vec<Rejection>, StorageError> {
    let Some(record) = record else {
        return Ok(Vec::new());
    };
    let json = records::meta_value(&record).as_string().unwrap_or_default();
    if json.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(&json).map_err(|e| StorageError::corrupt(format!("rejections: {e}")))
}

fn rejections_record(rejections: &[Rejection]) -> Result<JsValue, StorageError> {
    let json = serde_json::to_string(rejections).map_err(|e| StorageError::Other(e.to_string()))?;
    meta_record(REJECTIONS, &JsValue::from_str(&json))
}

/// Gives `domain::number_key` the browser's NFKC (`String.prototype.normalize`), which the app
/// is built without (domain's `icu_nfkc` feature: ~30 KB gzip of tables the browser already has).
/// Idempotent; called before anything here compares order numbers.
pub fn use_browser_nfkc() {
    domain::number_key::set_nfkc(|text| js_sys::JsString::from(text).normalize("NFKC").into());
}
