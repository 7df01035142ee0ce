//! The on-device store (IndexedDB). Nothing else in the app touches IndexedDB.
//!
//! Layout of database [`DB_NAME`] at [`SCHEMA_VERSION`]:
//! * `orders` (key path `id`): `{ id, number, stage, owner_id, due: "YYYY-MM-DD",
//!   updated: RFC3339 UTC millis, order: "<Order as JSON>" }`, indexes (v2) `number` (unique
//!   until v4),
//!   `stage`, `owner_id`, `due`, `updated`. `due` is `Order::due_date` on the order's own process version.
//! * `cards` (key path `bucket`, v3): `{ bucket: 0..32, cards: "<JSON array of Card>" }`, the
//!   board's summary of each order (`domain::Card::from_order` with the order's own version's pipeline),
//!   grouped by `records::card_bucket(order id)`. Every order write rewrites the card's bucket
//!   in the same transaction as the order, so a card never disagrees with its order; the board
//!   opens from cards alone (about 500 bytes each instead of 3.5 KB per order).
//! * `pending` (key path `seq`, a number): `{ seq, order_id, kind, device_time,
//!   mutation: "<Mutation as JSON>" }`, the device's unsynced mutations, gap-free from 1.
//! * `bases` (key path `id`, v4): `{ id, base: "<Order JSON>" | null }` for every order with
//!   unsynced changes: the server's version the first of them was made on (`null`: created on
//!   this device). A pull rebuilds such an order from the server's newer version, or — when the
//!   server refused the changes and the order did not change there — from this base.
//! * `meta` (key path `key`): `{ key, value }` for `device_id` (UUID string), `next_seq`
//!   (number), `sync_cursor` / `rejection_cursor` (numbers), `rejections` (JSON list of the
//!   server's refusals not yet dismissed), `schema` (upgrade note) and settings under
//!   `setting:<key>` (JSON string).
//! * `processes` (key path `number`, v6): `{ number, version: "<ProcessVersion JSON>" }`, the
//!   published process versions pulled from the server (version 1 is the domain's). Orders are
//!   shown and changed by their own version's pipeline (`domain::Processes::for_order`).
//! * `files` (key path `sha256`, v7): `{ sha256, order_id, file_type, bytes: Uint8Array,
//!   waiting?: 1 }`, the bytes of photos and files added on this device, written in the same
//!   transaction as the change that adds the attachment; `waiting` (sparse index) until uploaded.
//! * `facts` (key path `bucket`, v8): `{ bucket: 0..32, facts: Uint8Array }` (since v9; a JSON
//!   string in v8), the facts packed by `domain::analytics::pack_facts`:
//!   what 分析 needs of each order (`domain::analytics::OrderFacts::of` with the order's own
//!   version's pipeline), bucketed and written exactly like `cards`: 分析 opens from them
//!   instead of reading every order with its history.
//!
//! Why domain values are JSON strings: see `records.rs`. Every method is one IndexedDB
//! transaction; a method that returns an error has changed nothing.

mod error;
pub mod files;
mod records;
mod schema;
mod sync;
pub mod tab_lock;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::rc::Rc;

use chrono::{DateTime, Utc};
use domain::analytics::{facts_of, OrderFacts};
use domain::{Card, Mutation, Order, PendingMutation, Pipeline};
use indexed_db_futures::database::Database;
use indexed_db_futures::internals::SystemRepr;
use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{
    Transaction, TransactionDurability, TransactionMode, TransactionOptions,
};
use indexed_db_futures::KeyRange;
use send_wrapper::SendWrapper;
use uuid::Uuid;
use wasm_bindgen::prelude::*;

pub use error::StorageError;
use records::meta_record;
use schema::{BASES, CARDS, FACTS, FILES, META, ORDERS, PENDING};
pub use sync::{use_browser_nfkc, PulledPage};

pub const DB_NAME: &str = "gendan";
pub const SCHEMA_VERSION: u32 = 9;

const DEVICE_ID: &str = "device_id";
const NEXT_SEQ: &str = "next_seq";
const SETTING_PREFIX: &str = "setting:";

/// A shared handle on the open database. Cheap to clone; the connection closes when the last
/// clone is dropped, or by itself when another tab upgrades or deletes the database (later
/// calls then fail with `Unavailable`: reload the page).
///
/// `Send + Sync` (through `SendWrapper`; wasm has one thread) so it can go straight into
/// `provide_context`; its futures are not `Send` (use `LocalResource`/`spawn_local`).
#[derive(Clone)]
pub struct Storage {
    inner: SendWrapper<Rc<Inner>>,
}

// `provide_context` needs `Send + Sync`; keep it that way.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Storage>();
    assert_send_sync::<StorageError>();
};

struct Inner {
    db: Database,
    name: String,
    _on_version_change: Closure<dyn FnMut()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.db.as_sys().set_onversionchange(None);
        self.db.as_sys().close();
    }
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("name", &self.inner.name)
            .finish()
    }
}

impl Storage {
    /// Opens [`DB_NAME`] at [`SCHEMA_VERSION`], creating or upgrading it.
    pub async fn open() -> Result<Storage, StorageError> {
        Self::open_named(DB_NAME).await
    }

    /// Same as [`Storage::open`] with another database name (tests, benchmarks).
    pub async fn open_named(name: &str) -> Result<Storage, StorageError> {
        open_at_version(name, SCHEMA_VERSION).await
    }

    /// The database name this handle is connected to.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Closes the connection now (it also closes when the last clone is dropped).
    pub fn close(self) {
        drop(self);
    }

    fn db(&self) -> &Database {
        &self.inner.db
    }

    /// Whether the database has store `name` (one opened at an older version may not).
    fn has_store(&self, name: &str) -> bool {
        self.db().as_sys().object_store_names().contains(name)
    }

    fn transaction<const N: usize>(
        &self,
        stores: [&str; N],
        mode: TransactionMode,
    ) -> Result<Transaction<'_>, StorageError> {
        Ok(self.db().transaction(stores).with_mode(mode).build()?)
    }

    /// This installation's id: created (v4) the first time it is asked for, then the same
    /// forever (until the database is deleted).
    pub async fn device_id(&self) -> Result<Uuid, StorageError> {
        let tx = self.transaction([META], TransactionMode::Readwrite)?;
        let id = {
            let meta = tx.object_store(META)?;
            let existing: Option<JsValue> = meta.get(DEVICE_ID).await?;
            match existing {
                Some(record) => {
                    let text = records::meta_value(&record).as_string().unwrap_or_default();
                    Uuid::parse_str(&text)
                        .map_err(|e| StorageError::corrupt(format!("device id: {e}")))?
                }
                None => {
                    let id = Uuid::new_v4();
                    let record = meta_record(DEVICE_ID, &JsValue::from_str(&id.to_string()))?;
                    meta.put(record).await?;
                    id
                }
            }
        };
        commit(tx).await?;
        Ok(id)
    }

    /// Every stored card (one per order), in no particular order: what the board opens with.
    /// One transaction, one `getAll`.
    pub async fn load_cards(&self) -> Result<Vec<Card>, StorageError> {
        let tx = self.transaction([CARDS], TransactionMode::Readonly)?;
        let store = tx.object_store(CARDS)?;
        let mut cards = Vec::new();
        for record in store.get_all::<JsValue>().await? {
            cards.extend(records::decode_card_bucket(&record?)?);
        }
        Ok(cards)
    }

    /// Every stored order's facts (what 分析 needs), in no particular order: what 分析 opens
    /// with. One transaction, one `getAll`.
    pub async fn load_facts(&self) -> Result<Vec<OrderFacts>, StorageError> {
        let tx = self.transaction([FACTS], TransactionMode::Readonly)?;
        let store = tx.object_store(FACTS)?;
        let mut facts = Vec::new();
        for record in store.get_all::<JsValue>().await? {
            facts.extend(records::decode_bucket::<OrderFacts>(&record?)?);
        }
        Ok(facts)
    }

    /// Every stored order, in no particular order. One transaction, one `getAll`. Reads every
    /// order with its history: the board uses [`Storage::load_cards`] instead.
    pub async fn load_orders(&self) -> Result<Vec<Order>, StorageError> {
        let tx = self.transaction([ORDERS], TransactionMode::Readonly)?;
        let store = tx.object_store(ORDERS)?;
        let all = store.get_all::<JsValue>().await?;
        all.map(|record| records::decode_order(&record?))
            .collect::<Result<Vec<_>, _>>()
    }

    /// One order by id.
    pub async fn get_order(&self, id: Uuid) -> Result<Option<Order>, StorageError> {
        let tx = self.transaction([ORDERS], TransactionMode::Readonly)?;
        let store = tx.object_store(ORDERS)?;
        let record: Option<JsValue> = store.get(id.to_string()).await?;
        record.as_ref().map(records::decode_order).transpose()
    }

    /// The order with this number, through the unique `number` index.
    pub async fn order_by_number(&self, number: &str) -> Result<Option<Order>, StorageError> {
        let tx = self.transaction([ORDERS], TransactionMode::Readonly)?;
        let store = tx.object_store(ORDERS)?;
        let index = store.index(records::NUMBER)?;
        let record: Option<JsValue> = index.get(number).await?;
        record.as_ref().map(records::decode_order).transpose()
    }

    /// THE write path. One readwrite transaction over `orders`, `cards`, `facts`, `pending` and `meta`:
    /// read `next_seq` (1 when absent), add the pending mutation under it, write `next_seq + 1`,
    /// put the order's card and facts (by `pipeline`, the order's own version's), put the order. Resolves after the transaction has committed (durability "strict": on
    /// disk, not just in the OS cache), with the seq used. On any failure the transaction is
    /// aborted and nothing of the change is stored.
    pub async fn save_change(
        &self,
        mutation: &Mutation,
        device_time: DateTime<Utc>,
        order: &Order,
        pipeline: &Pipeline,
    ) -> Result<u64, StorageError> {
        self.save_change_with_files(mutation, device_time, order, pipeline, &[])
            .await
    }

    /// `save_change` that also stores the bytes of the files the change names (a photo
    /// added), in the same transaction: an attachment is never shown without its bytes.
    pub async fn save_change_with_files(
        &self,
        mutation: &Mutation,
        device_time: DateTime<Utc>,
        order: &Order,
        pipeline: &Pipeline,
        files: &[files::LocalFile],
    ) -> Result<u64, StorageError> {
        if mutation.order_id() != order.id {
            return Err(StorageError::Other(format!(
                "mutation is for order {} but the order to save is {}",
                mutation.order_id(),
                order.id
            )));
        }
        // Encode before opening the transaction: nothing can fail half-way for our own reasons.
        let order_record = records::order_record(order, pipeline)?;
        let card = Card::from_order(order, pipeline);
        let order_facts = OrderFacts::of(order, pipeline);
        let file_records = files
            .iter()
            .map(files::LocalFile::record)
            .collect::<Result<Vec<_>, _>>()?;
        // `files` only when there are files, `facts` only where the store exists: a database
        // opened at an older version (tests of upgrades: what an older app wrote) has neither,
        // and a plain change does not need the files.
        let mut stores = vec![ORDERS, CARDS, PENDING, META, BASES];
        let with_facts = self.has_store(FACTS);
        if with_facts {
            stores.push(FACTS);
        }
        if !files.is_empty() {
            stores.push(FILES);
        }
        let tx = self
            .db()
            .transaction(stores)
            .with_mode(TransactionMode::Readwrite)
            .with_options(TransactionOptions::new().with_durability(TransactionDurability::Strict))
            .build()?;
        let seq = {
            let meta = tx.object_store(META)?;
            let pending = tx.object_store(PENDING)?;
            let orders = tx.object_store(ORDERS)?;
            let cards = tx.object_store(CARDS)?;
            let bases = tx.object_store(BASES)?;
            let seq = match meta.get::<JsValue, _, _>(NEXT_SEQ).await? {
                Some(record) => records::decode_seq(&records::meta_value(&record), NEXT_SEQ)?,
                None => 1,
            };
            // The order record goes last, so a failure there (e.g. a duplicate number) also
            // proves that the pending mutation and next_seq written before it are rolled back.
            pending
                .add(records::pending_record(seq, mutation, device_time)?)
                .await?;
            meta.put(meta_record(NEXT_SEQ, &JsValue::from_f64((seq + 1) as f64))?)
                .await?;
            // Read-modify-write of the card's and the facts' buckets, safe inside this
            // readwrite transaction.
            rewrite_buckets(&cards, vec![card], &HashSet::new()).await?;
            if with_facts {
                let facts = tx.object_store(FACTS)?;
                rewrite_buckets(&facts, vec![order_facts], &HashSet::new()).await?;
            }
            // The first unsynced change of an order keeps what it was changed from (the
            // server's version, or nothing for a new order): a refusal falls back to it.
            let key = JsValue::from_str(&order.id.to_string());
            if bases.get::<JsValue, _, _>(key.clone()).await?.is_none() {
                let before = orders.get::<JsValue, _, _>(key).await?;
                let base = before.as_ref().map(records::order_json).transpose()?;
                bases
                    .put(records::base_record(order.id, base.as_deref()))
                    .await?;
            }
            if !file_records.is_empty() {
                let file_store = tx.object_store(FILES)?;
                for record in file_records {
                    file_store.put(record).await?;
                }
            }
            orders.put(order_record).await?;
            seq
        };
        commit(tx).await?;
        Ok(seq)
    }

    /// Stores orders as they are, with their cards, without pending mutations (server state
    /// from a pull, demo data, benchmarks). One transaction for all of them.
    pub async fn put_orders(&self, orders: &[Order]) -> Result<(), StorageError> {
        let pipeline = Pipeline::standard();
        let order_records = orders
            .iter()
            .map(|order| records::order_record(order, &pipeline))
            .collect::<Result<Vec<_>, _>>()?;
        let cards: Vec<Card> = orders
            .iter()
            .map(|order| Card::from_order(order, &pipeline))
            .collect();
        let facts = facts_of(orders, &pipeline);
        let mut stores = vec![ORDERS, CARDS];
        let with_facts = self.has_store(FACTS);
        if with_facts {
            stores.push(FACTS);
        }
        let tx = self
            .db()
            .transaction(stores)
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        {
            let order_store = tx.object_store(ORDERS)?;
            // Requests go out when built; a failing one aborts the transaction and `commit`
            // reports it, so there is no need to wait for each in turn.
            for record in order_records {
                order_store.put(record).build()?;
            }
            let none = HashSet::new();
            rewrite_buckets(&tx.object_store(CARDS)?, cards, &none).await?;
            if with_facts {
                rewrite_buckets(&tx.object_store(FACTS)?, facts, &none).await?;
            }
        }
        commit(tx).await
    }

    /// The unsynced mutations, ascending by seq.
    pub async fn pending(&self) -> Result<Vec<PendingMutation>, StorageError> {
        let tx = self.transaction([PENDING], TransactionMode::Readonly)?;
        let store = tx.object_store(PENDING)?;
        let all = store.get_all::<JsValue>().await?;
        all.map(|record| records::decode_pending(&record?))
            .collect::<Result<Vec<_>, _>>()
    }

    /// Ids of the orders that have unsynced changes.
    pub async fn pending_order_ids(&self) -> Result<HashSet<Uuid>, StorageError> {
        let tx = self.transaction([PENDING], TransactionMode::Readonly)?;
        let store = tx.object_store(PENDING)?;
        let all = store.get_all::<JsValue>().await?;
        all.map(|record| records::decode_pending_order_id(&record?))
            .collect::<Result<HashSet<_>, _>>()
    }

    /// Drops every pending mutation with `seq <= through` (the server confirmed them), in one
    /// transaction. `next_seq` is untouched, so numbering continues without reuse.
    pub async fn confirm_through(&self, through: u64) -> Result<(), StorageError> {
        let tx = self.transaction([PENDING], TransactionMode::Readwrite)?;
        {
            let store = tx.object_store(PENDING)?;
            store
                .delete::<f64, _>(KeyRange::UpperBound(through as f64, false))
                .await?;
        }
        commit(tx).await
    }

    /// A setting saved with [`Storage::set_setting`], `None` when never set.
    pub async fn get_setting<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StorageError> {
        let tx = self.transaction([META], TransactionMode::Readonly)?;
        let store = tx.object_store(META)?;
        let record: Option<JsValue> = store.get(format!("{SETTING_PREFIX}{key}")).await?;
        let Some(record) = record else {
            return Ok(None);
        };
        let json = records::meta_value(&record)
            .as_string()
            .ok_or_else(|| StorageError::corrupt(format!("setting {key}: not a string")))?;
        serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| StorageError::corrupt(format!("setting {key}: {e}")))
    }

    /// Saves a setting (as JSON) under `setting:<key>` in `meta`.
    pub async fn set_setting<T: serde::Serialize>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), StorageError> {
        let json = serde_json::to_string(value).map_err(|e| StorageError::Other(e.to_string()))?;
        let record = meta_record(&format!("{SETTING_PREFIX}{key}"), &JsValue::from_str(&json))?;
        let tx = self.transaction([META], TransactionMode::Readwrite)?;
        {
            let store = tx.object_store(META)?;
            store.put(record).await?;
        }
        commit(tx).await
    }

    /// Deletes a whole database (tests; "wipe this device"). Open handles on it in this tab
    /// close themselves; another tab holding it open gives `Blocked`.
    pub async fn delete_database(name: &str) -> Result<(), StorageError> {
        schema::delete(name).await
    }
}

/// Rewrites the bucket records (`cards` or `facts`) that `entries` and `removed` touch, inside
/// the caller's transaction: every touched bucket is read (all reads go out at once), the
/// entries of `removed` orders dropped, `entries` put in place of the stored ones, and each
/// bucket put back. Puts are not awaited: a failing one aborts the transaction and the
/// caller's `commit` reports it.
pub(crate) async fn rewrite_buckets<T: records::BucketEntry>(
    store: &ObjectStore<'_>,
    entries: Vec<T>,
    removed: &HashSet<Uuid>,
) -> Result<(), StorageError> {
    // `collect_set`, not `collect`: no sort instantiated for it (bundle size).
    let touched: BTreeSet<u32> = domain::sorting::collect_set(
        entries
            .iter()
            .map(|entry| entry.order_id())
            .chain(removed.iter().copied())
            .map(records::card_bucket),
    );
    let reads = touched
        .iter()
        .map(|bucket| store.get::<JsValue, f64, _>(f64::from(*bucket)).primitive())
        .collect::<Result<Vec<_>, _>>()?;
    let mut stored = BTreeMap::new();
    for (bucket, read) in touched.iter().zip(reads) {
        let mut entries_in: Vec<T> = match read.await? {
            Some(record) => records::decode_bucket(&record)?,
            None => Vec::new(),
        };
        entries_in.retain(|entry| !removed.contains(&entry.order_id()));
        stored.insert(*bucket, entries_in);
    }
    for record in records::merge_into_buckets(stored, entries)? {
        store.put(record).build()?;
    }
    Ok(())
}

/// Opens `name` at an explicit schema `version` (tests create version-1 databases with it).
#[doc(hidden)]
pub async fn open_at_version(name: &str, version: u32) -> Result<Storage, StorageError> {
    let db = schema::open(name, version).await?;
    // When another tab upgrades or deletes this database, let go at once instead of blocking
    // it; this tab's later calls then fail with `Unavailable`.
    let raw: web_sys::IdbDatabase = (**db.as_sys()).clone();
    let on_version_change = Closure::<dyn FnMut()>::new(move || raw.close());
    db.as_sys()
        .set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
    Ok(Storage {
        inner: SendWrapper::new(Rc::new(Inner {
            db,
            name: name.to_string(),
            _on_version_change: on_version_change,
        })),
    })
}

/// Commits and waits for `complete`. If the browser aborts the transaction at commit time
/// (quota!), the reason is on the transaction, not on any request: report that one.
async fn commit(tx: Transaction<'_>) -> Result<(), StorageError> {
    let raw: web_sys::IdbTransaction = (**tx.as_sys()).clone();
    match tx.commit().await {
        Ok(()) => Ok(()),
        Err(error) => Err(match raw.error() {
            Some(reason) => StorageError::from_js(&reason.into()),
            None => error.into(),
        }),
    }
}

/// Asks the browser to keep this site's storage under pressure (`navigator.storage.persist()`).
/// `Some(granted)`, or `None` when the API is missing (old browsers, insecure origins).
pub async fn request_persistence() -> Option<bool> {
    let navigator = web_sys::window()?.navigator();
    let manager = js_sys::Reflect::get(&navigator, &JsValue::from_str("storage")).ok()?;
    if manager.is_undefined() || manager.is_null() {
        return None;
    }
    let persist = js_sys::Reflect::get(&manager, &JsValue::from_str("persist")).ok()?;
    if !persist.is_function() {
        return None;
    }
    let manager: web_sys::StorageManager = manager.unchecked_into();
    let promise = manager.persist().ok()?;
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .ok()?
        .as_bool()
}

/// How much this site stores on the device and whether the browser promised to keep it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StorageReport {
    /// `navigator.storage.persisted()`: the browser will not evict the data under pressure.
    pub persisted: bool,
    pub usage_bytes: f64,
    pub quota_bytes: f64,
}

/// `None` where the browser has no StorageManager (old browsers, some private modes).
pub async fn storage_report() -> Option<StorageReport> {
    let manager = storage_manager()?;
    let persisted = wasm_bindgen_futures::JsFuture::from(manager.persisted().ok()?)
        .await
        .ok()?
        .as_bool()
        .unwrap_or(false);
    let estimate = wasm_bindgen_futures::JsFuture::from(manager.estimate().ok()?)
        .await
        .ok()?;
    let number = |key: &str| {
        js_sys::Reflect::get(&estimate, &JsValue::from_str(key))
            .ok()
            .and_then(|value| value.as_f64())
            .unwrap_or(0.0)
    };
    Some(StorageReport {
        persisted,
        usage_bytes: number("usage"),
        quota_bytes: number("quota"),
    })
}

fn storage_manager() -> Option<web_sys::StorageManager> {
    let navigator = web_sys::window()?.navigator();
    let manager = js_sys::Reflect::get(&navigator, &JsValue::from_str("storage")).ok()?;
    if manager.is_undefined() || manager.is_null() {
        return None;
    }
    Some(manager.unchecked_into())
}
