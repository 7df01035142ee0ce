//! Store names, versioned upgrades, opening (with the `blocked` case) and deleting databases.
//!
//! Upgrades run every step from `old_version + 1` to the requested version inside the one
//! `versionchange` transaction, so a database at any older version is brought up to date in
//! place and keeps its records. Never edit a released step: add a new one and bump
//! `SCHEMA_VERSION`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use domain::analytics::OrderFacts;
use domain::{Card, Pipeline, Processes};
use futures::channel::oneshot;
use futures::future::{select, Either};
use indexed_db_futures::database::Database;
use indexed_db_futures::internals::SystemRepr;
use indexed_db_futures::prelude::*;
use indexed_db_futures::KeyPath;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::records::{
    self, BUCKET, DUE, ID, KEY, NUMBER, OWNER_ID, SEQ, SHA256, STAGE, UPDATED, WAITING,
};
use super::StorageError;

pub(crate) const ORDERS: &str = "orders";
pub(crate) const PENDING: &str = "pending";
pub(crate) const META: &str = "meta";
/// Version 3: every order's card (the board's summary) in one of `CARD_BUCKETS` records,
/// written with the order.
pub(crate) const CARDS: &str = "cards";
/// Version 4: for each order with unsynced changes, the server's version it was changed from
/// (`null` for an order created on this device): what a rejected change falls back to.
pub(crate) const BASES: &str = "bases";
/// Version 6: the published process versions this device has received (`domain::ProcessVersion`
/// as JSON, key `number`); version 1 is the domain's own and not stored.
pub(crate) const PROCESSES: &str = "processes";

/// Version 8: every order's facts (what 分析 needs, `domain::analytics::OrderFacts`) in
/// `CARD_BUCKETS` records like the cards, written with the order.
pub(crate) const FACTS: &str = "facts";

/// Version 7: photos and files added on this device (`files.rs`), key `sha256`; a record
/// waiting for upload has the `waiting` field, which the sparse `waiting` index lists.
pub(crate) const FILES: &str = "files";

/// Indexes on `orders` added in version 2: (index name = key path, unique).
pub(crate) const ORDER_INDEXES: [(&str, bool); 5] = [
    (NUMBER, true),
    (STAGE, false),
    (OWNER_ID, false),
    (DUE, false),
    (UPDATED, false),
];

const SCHEMA_NOTE: &str = "v1: stores orders(id), pending(seq), meta(key); \
     v2: orders indexes number (unique), stage, owner_id, due, updated; \
     v3: store cards(bucket), every order's card in one of 32 buckets, built from the orders; \
     v4: store bases(id), the server version of each order with unsynced changes; orders index \
     number no longer unique (a number renumbered by the server may be held briefly by two); \
     v5: cards rebuilt from the orders (cards gained the stage's responsible person, open \
     after-sales requests and the rating); \
     v6: store processes(number), the published process versions pulled from the server; \
     v7: store files(sha256) with the sparse index waiting, attachment bytes added here; \
     v8: store facts(bucket), every order's analytics facts in one of 32 buckets, built from the \
     orders by their process versions; \
     v9: facts rebuilt from the orders, packed as bytes instead of JSON";

/// Runs upgrade steps `old + 1 ..= new`. `tx` is the `versionchange` transaction: the only way
/// to reach stores created by an earlier version (indexed_db_futures 0.6 does not expose it, so
/// index creation on an existing store uses web-sys).
fn upgrade(
    old: u32,
    new: u32,
    db: &Database,
    tx: &web_sys::IdbTransaction,
) -> indexed_db_futures::Result<()> {
    for step in old + 1..=new {
        match step {
            1 => {
                db.create_object_store(ORDERS)
                    .with_key_path(KeyPath::One(ID))
                    .build()?;
                db.create_object_store(PENDING)
                    .with_key_path(KeyPath::One(SEQ))
                    .build()?;
                db.create_object_store(META)
                    .with_key_path(KeyPath::One(KEY))
                    .build()?;
            }
            2 => {
                let orders = tx.object_store(ORDERS)?;
                for (name, unique) in ORDER_INDEXES {
                    let params = web_sys::IdbIndexParameters::new();
                    params.set_unique(unique);
                    orders.create_index_with_str_and_optional_parameters(name, name, &params)?;
                }
            }
            3 => {
                db.create_object_store(CARDS)
                    .with_key_path(KeyPath::One(BUCKET))
                    .build()?;
                build_cards_from_orders(tx)?;
            }
            4 => {
                db.create_object_store(BASES)
                    .with_key_path(KeyPath::One(ID))
                    .build()?;
                // Two devices may create the same number offline; the server renumbers one of
                // them, and until the pull brings that, both can be on this device. A unique
                // index would make that pull fail, and sync with it.
                let orders = tx.object_store(ORDERS)?;
                orders.delete_index(NUMBER)?;
                let params = web_sys::IdbIndexParameters::new();
                params.set_unique(false);
                orders.create_index_with_str_and_optional_parameters(NUMBER, NUMBER, &params)?;
            }
            5 => {
                // Cards written before v5 lack `responsible`, `after_sales_open` and `rating`
                // (serde fills them with "nobody" / 0 / none), so 今天 would miss the stages
                // named to this person and the waiting customers. Cards are derived data:
                // throw them all away and rebuild each from its order.
                tx.object_store(CARDS)?.clear()?;
                build_cards_from_orders(tx)?;
            }
            6 => {
                db.create_object_store(PROCESSES)
                    .with_key_path(KeyPath::One(records::PROCESS_NUMBER))
                    .build()?;
            }
            7 => {
                db.create_object_store(FILES)
                    .with_key_path(KeyPath::One(SHA256))
                    .build()?;
                let files = tx.object_store(FILES)?;
                files.create_index_with_str(WAITING, WAITING)?;
            }
            8 => {
                db.create_object_store(FACTS)
                    .with_key_path(KeyPath::One(BUCKET))
                    .build()?;
                build_facts_from_orders(tx)?;
            }
            9 => {
                // Facts are packed as bytes now (`records.rs`, `BucketEntry for OrderFacts`),
                // and v8's JSON ones would not decode. Facts are derived data: throw them away
                // and rebuild each from its order, as v8 built them.
                tx.object_store(FACTS)?.clear()?;
                build_facts_from_orders(tx)?;
            }
            _ => {
                return Err(
                    js_sys::Error::new(&format!("no upgrade step for version {step}")).into(),
                )
            }
        }
    }
    let note = js_sys::Object::new();
    js_sys::Reflect::set(&note, &"from".into(), &JsValue::from(old))?;
    js_sys::Reflect::set(&note, &"to".into(), &JsValue::from(new))?;
    js_sys::Reflect::set(&note, &"steps".into(), &JsValue::from_str(SCHEMA_NOTE))?;
    let record =
        records::meta_record("schema", &note).map_err(|e| js_sys::Error::new(&e.to_string()))?;
    tx.object_store(META)?.put(&record)?;
    Ok(())
}

/// Puts a card for every stored order, inside the `versionchange` transaction: one `getAll`
/// of `orders`, then one put per card bucket from its success handler (the transaction stays open
/// while requests are pending, and the database opens only after it commits). A record that
/// cannot be decoded aborts the upgrade, so the database stays at its old version with every
/// record intact and opening reports the error, rather than a board silently missing orders.
fn build_cards_from_orders(tx: &web_sys::IdbTransaction) -> Result<(), JsValue> {
    let request = tx.object_store(ORDERS)?.get_all()?;
    let tx = tx.clone();
    let on_success = Closure::once_into_js({
        let request = request.clone();
        move || {
            let outcome = (|| -> Result<(), JsValue> {
                let store = tx.object_store(CARDS)?;
                let pipeline = Pipeline::standard();
                let all: js_sys::Array = request.result()?.unchecked_into();
                let cards = all
                    .iter()
                    .map(|record| {
                        let order = records::decode_order(&record)?;
                        Ok(Card::from_order(&order, &pipeline))
                    })
                    .collect::<Result<Vec<_>, StorageError>>()
                    .map_err(|e| js_sys::Error::new(&e.to_string()))?;
                let buckets = records::merge_into_buckets(BTreeMap::new(), cards)
                    .map_err(|e| js_sys::Error::new(&e.to_string()))?;
                for bucket in buckets {
                    store.put(&bucket)?;
                }
                Ok(())
            })();
            if let Err(error) = outcome {
                leptos::logging::error!("building cards failed, upgrade aborted: {error:?}");
                let _ = tx.abort();
            }
        }
    });
    request.set_onsuccess(Some(on_success.unchecked_ref()));
    Ok(())
}

/// Puts the facts of every stored order, inside the `versionchange` transaction, each judged
/// by its own process version: one `getAll` of `processes`, then one of `orders`, then one put
/// per bucket (as `build_cards_from_orders`; an undecodable record aborts the upgrade).
fn build_facts_from_orders(tx: &web_sys::IdbTransaction) -> Result<(), JsValue> {
    let abort = |tx: &web_sys::IdbTransaction, error: JsValue| {
        leptos::logging::error!("building facts failed, upgrade aborted: {error:?}");
        let _ = tx.abort();
    };
    let versions = tx.object_store(PROCESSES)?.get_all()?;
    let tx = tx.clone();
    let on_versions = Closure::once_into_js({
        let versions = versions.clone();
        move || {
            let outcome = (|| -> Result<(), JsValue> {
                let all: js_sys::Array = versions.result()?.unchecked_into();
                let processes = Processes::new(
                    all.iter()
                        .map(|record| records::decode_process(&record))
                        .collect::<Result<Vec<_>, StorageError>>()
                        .map_err(|e| js_sys::Error::new(&e.to_string()))?,
                );
                let orders = tx.object_store(ORDERS)?.get_all()?;
                let on_orders = Closure::once_into_js({
                    let (orders, tx) = (orders.clone(), tx.clone());
                    move || {
                        let outcome = (|| -> Result<(), JsValue> {
                            let store = tx.object_store(FACTS)?;
                            let all: js_sys::Array = orders.result()?.unchecked_into();
                            let facts = all
                                .iter()
                                .map(|record| {
                                    let order = records::decode_order(&record)?;
                                    Ok(OrderFacts::of(&order, processes.for_order(&order)))
                                })
                                .collect::<Result<Vec<_>, StorageError>>()
                                .map_err(|e| js_sys::Error::new(&e.to_string()))?;
                            let buckets = records::merge_into_buckets(BTreeMap::new(), facts)
                                .map_err(|e| js_sys::Error::new(&e.to_string()))?;
                            for bucket in buckets {
                                store.put(&bucket)?;
                            }
                            Ok(())
                        })();
                        if let Err(error) = outcome {
                            abort(&tx, error);
                        }
                    }
                });
                orders.set_onsuccess(Some(on_orders.unchecked_ref()));
                Ok(())
            })();
            if let Err(error) = outcome {
                abort(&tx, error);
            }
        }
    });
    versions.set_onsuccess(Some(on_versions.unchecked_ref()));
    Ok(())
}

/// Opens `name` at `version`, upgrading as needed. If another tab keeps an older connection
/// open, the browser fires `blocked` and would wait indefinitely: we answer `Blocked` at once.
/// The request itself cannot be cancelled, so it is left to finish in the background (with
/// its upgrade handler still attached, so the schema is never half-done) and closed then.
pub(crate) async fn open(name: &str, version: u32) -> Result<Database, StorageError> {
    let (blocked_tx, blocked_rx) = oneshot::channel::<()>();
    // The upgrade handler needs the open request (for its versionchange transaction), which
    // exists only once the builder has run: hand it over through this slot.
    let request_slot: Rc<RefCell<Option<web_sys::IdbOpenDbRequest>>> = Rc::default();
    let slot = Rc::clone(&request_slot);
    let request = Database::open(name)
        .with_version(version)
        .with_on_blocked(move |_event| {
            let _ = blocked_tx.send(());
            Ok(())
        })
        .with_on_upgrade_needed(move |event, db| {
            let tx = slot
                .borrow()
                .as_ref()
                .and_then(|request| request.transaction())
                .ok_or_else(|| js_sys::Error::new("no versionchange transaction"))?;
            upgrade(event.old_version() as u32, version, &db, &tx)
        })
        .build()?;
    *request_slot.borrow_mut() = Some(request.as_sys().clone());

    match select(request, blocked_rx).await {
        Either::Left((opened, _)) => Ok(opened?),
        Either::Right((Ok(()), request)) => {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(db) = request.await {
                    db.close();
                }
            });
            Err(StorageError::Blocked)
        }
        // The blocked handler was dropped without firing: just wait for the outcome.
        Either::Right((Err(_), request)) => Ok(request.await?),
    }
}

/// Deletes a database. Our own connections close themselves on `versionchange`; if another
/// tab keeps one open, the browser fires `blocked`: we answer `Blocked` (the deletion still
/// happens once that tab closes).
pub(crate) async fn delete(name: &str) -> Result<(), StorageError> {
    let request = Database::delete_by_name(name)?;
    let (blocked_tx, blocked_rx) = oneshot::channel::<()>();
    let mut blocked_tx = Some(blocked_tx);
    let on_blocked = Closure::<dyn FnMut()>::new(move || {
        if let Some(tx) = blocked_tx.take() {
            let _ = tx.send(());
        }
    });
    let raw: &web_sys::IdbOpenDbRequest = request.as_sys().unchecked_ref();
    raw.set_onblocked(Some(on_blocked.as_ref().unchecked_ref()));
    let raw = raw.clone();
    let outcome = match select(request, blocked_rx).await {
        Either::Left((deleted, _)) => deleted.map_err(StorageError::from),
        Either::Right((Ok(()), _)) => Err(StorageError::Blocked),
        Either::Right((Err(_), request)) => request.await.map_err(StorageError::from),
    };
    raw.set_onblocked(None);
    outcome
}
