//! The on-device store (app::storage) against real IndexedDB in headless Chromium. Every test
//! uses its own database, named after the test plus a random suffix, and deletes it at the end.

use std::collections::HashSet;

use app::storage::{open_at_version, request_persistence, Storage, StorageError};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::{
    apply, Actor, Card, Context, Customer, FieldChanges, Lang, LineItem, Money, Mutation, Order,
    PendingMutation, Pipeline, Role, StaffRef, StageId,
};
use uuid::Uuid;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

// ---- domain fixtures: real orders made by `domain::apply` ----

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

fn later(minutes: i64) -> DateTime<Utc> {
    // Sub-second precision on purpose: device times must round-trip exactly.
    t0() + Duration::minutes(minutes) + Duration::nanoseconds(123_456_789)
}

fn sales() -> Actor {
    Actor::new("u-wangfang", "王芳", vec![Role::Sales])
}

fn admin() -> Actor {
    Actor::new("u-admin", "管理员", vec![Role::Admin])
}

fn run(actor: &Actor, order: Option<&Order>, mutation: &Mutation, now: DateTime<Utc>) -> Order {
    let pipeline = Pipeline::standard();
    let ctx = Context {
        processes: &domain::Processes::single(pipeline.clone()),
        actor,
        now,
    };
    apply(&ctx, order, mutation)
        .unwrap_or_else(|e| panic!("{} failed: {e}", mutation.kind()))
        .order
}

fn create(id: u128, number: &str, company: &str) -> Mutation {
    Mutation::CreateOrder {
        order_id: Uuid::from_u128(id),
        number: Some(number.into()),
        customer: Customer {
            company: company.into(),
            contact: "周建国".into(),
            phone: "138 5710 1234".into(),
            email: Some("zhou@mingyuan.cn".into()),
            address: None,
        },
        items: vec![
            LineItem {
                product: "精梳棉纱 32S".into(),
                quantity: domain::Quantity::units(2000),
                unit: String::new(),
                unit_price: Money::from_yuan_fen(23, 50),
            },
            LineItem {
                product: "色纺纱 40S 🧶".into(),
                quantity: domain::Quantity::units(500),
                unit: String::new(),
                unit_price: Money::from_yuan_fen(31, 0),
            },
        ],
        expected_delivery: Some(NaiveDate::from_ymd_opt(2026, 12, 20).unwrap()),
        owner: None,
        note: Some("客户要求 12 月前发货 🚚".into()),
        note_id: None,
    }
}

fn note(order: &Order, n: u128, text: &str) -> Mutation {
    Mutation::AddNote {
        order_id: order.id,
        note_id: Uuid::from_u128(0x1000 + n),
        text: text.into(),
    }
}

fn tick(order: &Order, item: &str) -> Mutation {
    Mutation::SetChecklistItem {
        order_id: order.id,
        stage: order.stage.clone(),
        item: item.into(),
        done: true,
    }
}

fn first_checklist_item(order: &Order) -> String {
    Pipeline::standard().stage(&order.stage).unwrap().checklist[0]
        .id
        .clone()
}

// ---- storage helpers ----

fn db_name(test: &str) -> String {
    format!("test-{test}-{}", Uuid::new_v4())
}

async fn open(name: &str) -> Storage {
    Storage::open_named(name).await.expect("open")
}

async fn seqs(storage: &Storage) -> Vec<u64> {
    storage
        .pending()
        .await
        .unwrap()
        .iter()
        .map(|p| p.seq)
        .collect()
}

fn by_id(mut orders: Vec<Order>) -> Vec<Order> {
    orders.sort_by_key(|o| o.id);
    orders
}

async fn finish(storage: Storage) {
    let name = storage.name().to_string();
    storage.close();
    Storage::delete_database(&name).await.expect("delete");
}

/// Lets the browser run its queued work (a background upgrade, a closed connection).
async fn yield_to_browser(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Writes `json` into `store` behind the app's back (a damaged record).
async fn raw_put(name: &str, store: &str, json: &str) {
    let raw = raw_connection(name, app::storage::SCHEMA_VERSION).await;
    let tx = raw
        .transaction_with_str_and_mode(store, web_sys::IdbTransactionMode::Readwrite)
        .unwrap();
    tx.object_store(store)
        .unwrap()
        .put(&js_sys::JSON::parse(json).unwrap())
        .unwrap();
    let done = js_sys::Promise::new(&mut |resolve, _| tx.set_oncomplete(Some(&resolve)));
    wasm_bindgen_futures::JsFuture::from(done).await.unwrap();
    raw.close();
}

async fn raw_delete(name: &str, store: &str, key: f64) {
    let raw = raw_connection(name, app::storage::SCHEMA_VERSION).await;
    let tx = raw
        .transaction_with_str_and_mode(store, web_sys::IdbTransactionMode::Readwrite)
        .unwrap();
    tx.object_store(store)
        .unwrap()
        .delete(&JsValue::from_f64(key))
        .unwrap();
    let done = js_sys::Promise::new(&mut |resolve, _| tx.set_oncomplete(Some(&resolve)));
    wasm_bindgen_futures::JsFuture::from(done).await.unwrap();
    raw.close();
}

/// Opens `name` behind the app's back, as another tab (or an old app version) would.
async fn raw_connection(name: &str, version: u32) -> web_sys::IdbDatabase {
    let factory = web_sys::window().unwrap().indexed_db().unwrap().unwrap();
    let request = factory.open_with_u32(name, version).unwrap();
    let opened = js_sys::Promise::new(&mut |resolve, _| request.set_onsuccess(Some(&resolve)));
    wasm_bindgen_futures::JsFuture::from(opened).await.unwrap();
    request.result().unwrap().unchecked_into()
}

// ---- tests ----

#[wasm_bindgen_test]
async fn a_saved_change_stores_the_order_and_the_pending_mutation_together() {
    let storage = open(&db_name("saved-change")).await;
    let m1 = create(1, "HZ-2026-001", "杭州明远纺织有限公司");
    let o1 = run(&sales(), None, &m1, later(0));
    assert_eq!(
        storage
            .save_change(&m1, later(0), &o1, &Pipeline::standard())
            .await,
        Ok(1)
    );
    assert_eq!(storage.load_orders().await.unwrap(), vec![o1.clone()]);
    assert_eq!(seqs(&storage).await, vec![1]);

    let m2 = note(&o1, 1, "已电话确认颜色");
    let o2 = run(&sales(), Some(&o1), &m2, later(5));
    assert_eq!(
        storage
            .save_change(&m2, later(5), &o2, &Pipeline::standard())
            .await,
        Ok(2)
    );

    let m3 = tick(&o2, &first_checklist_item(&o2));
    let o3 = run(&admin(), Some(&o2), &m3, later(9));
    assert_eq!(
        storage
            .save_change(&m3, later(9), &o3, &Pipeline::standard())
            .await,
        Ok(3)
    );

    assert_eq!(storage.load_orders().await.unwrap(), vec![o3.clone()]);
    assert_eq!(storage.load_cards().await.unwrap(), vec![card(&o3)]);
    assert_eq!(storage.get_order(o3.id).await.unwrap(), Some(o3.clone()));
    assert_eq!(
        storage.pending().await.unwrap(),
        vec![
            PendingMutation {
                seq: 1,
                mutation: m1,
                device_time: later(0)
            },
            PendingMutation {
                seq: 2,
                mutation: m2,
                device_time: later(5)
            },
            PendingMutation {
                seq: 3,
                mutation: m3,
                device_time: later(9)
            },
        ]
    );
    assert_eq!(
        storage.pending_order_ids().await.unwrap(),
        HashSet::from([o3.id])
    );
    finish(storage).await;
}

#[wasm_bindgen_test]
async fn a_change_that_cannot_be_stored_leaves_neither_the_order_nor_the_mutation_behind() {
    let storage = open(&db_name("failed-change")).await;
    let m1 = create(1, "HZ-2026-001", "杭州明远纺织有限公司");
    let o1 = run(&sales(), None, &m1, later(0));
    storage
        .save_change(&m1, later(0), &o1, &Pipeline::standard())
        .await
        .unwrap();

    // Another order whose card bucket is broken: the pending mutation and next_seq are
    // written first in the transaction, then reading the bucket fails.
    let clash = create(2, "HZ-2026-002", "宁波海纳贸易");
    let clash_order = run(&sales(), None, &clash, later(1));
    raw_put(
        storage.name(),
        "cards",
        r#"{"bucket":2,"cards":"{not json"}"#,
    )
    .await;
    let error = storage
        .save_change(&clash, later(1), &clash_order, &Pipeline::standard())
        .await
        .expect_err("a change whose card cannot be written must not be stored");
    assert!(matches!(&error, StorageError::Corrupt(_)), "{error:?}");
    assert!(
        error.message(Lang::Zh).contains("没有保存"),
        "{}",
        error.message(Lang::Zh)
    );
    assert!(error.message(Lang::En).contains("nothing was saved"));
    raw_delete(storage.name(), "cards", 2.0).await;

    assert_eq!(storage.load_orders().await.unwrap(), vec![o1.clone()]);
    assert_eq!(storage.load_cards().await.unwrap(), vec![card(&o1)]);
    assert_eq!(storage.get_order(clash_order.id).await.unwrap(), None);
    assert_eq!(seqs(&storage).await, vec![1]);
    assert_eq!(
        storage.pending_order_ids().await.unwrap(),
        HashSet::from([o1.id])
    );

    // next_seq was rolled back too: the next change gets 2, no gap.
    let m2 = note(&o1, 1, "改用顺丰");
    let o2 = run(&sales(), Some(&o1), &m2, later(2));
    assert_eq!(
        storage
            .save_change(&m2, later(2), &o2, &Pipeline::standard())
            .await,
        Ok(2)
    );
    assert_eq!(seqs(&storage).await, vec![1, 2]);

    // A mutation that does not belong to the order is refused before anything is written.
    let stray = note(&clash_order, 2, "wrong order");
    assert!(storage
        .save_change(&stray, later(3), &o2, &Pipeline::standard())
        .await
        .is_err());
    assert_eq!(seqs(&storage).await, vec![1, 2]);
    finish(storage).await;
}

#[wasm_bindgen_test]
async fn the_pending_queue_stays_gap_free_across_closing_and_reopening_the_database() {
    let name = db_name("gap-free");
    let storage = open(&name).await;
    let m1 = create(1, "HZ-2026-001", "杭州明远纺织有限公司");
    let o1 = run(&sales(), None, &m1, later(0));
    let m2 = note(&o1, 1, "第二条");
    let o2 = run(&sales(), Some(&o1), &m2, later(1));
    assert_eq!(
        storage
            .save_change(&m1, later(0), &o1, &Pipeline::standard())
            .await,
        Ok(1)
    );
    assert_eq!(
        storage
            .save_change(&m2, later(1), &o2, &Pipeline::standard())
            .await,
        Ok(2)
    );
    drop(storage);

    let storage = open(&name).await;
    assert_eq!(seqs(&storage).await, vec![1, 2]);
    let m3 = note(&o2, 2, "第三条");
    let o3 = run(&sales(), Some(&o2), &m3, later(2));
    assert_eq!(
        storage
            .save_change(&m3, later(2), &o3, &Pipeline::standard())
            .await,
        Ok(3)
    );
    assert_eq!(seqs(&storage).await, vec![1, 2, 3]);
    finish(storage).await;
}

/// Writes changes into a database at an older schema version the way that version of the
/// app did (orders as `{ id, number, stage, owner_id, due, updated, order: "<JSON>" }`,
/// pending mutations, `next_seq`), through a raw connection: the current `save_change` also
/// writes cards, which an old database has no store for.
async fn write_as_old_app(
    name: &str,
    version: u32,
    changes: &[(u64, &Mutation, DateTime<Utc>, &Order)],
) {
    let pipeline = Pipeline::standard();
    let raw = raw_connection(name, version).await;
    let stores = js_sys::Array::of3(&"orders".into(), &"pending".into(), &"meta".into());
    let tx = raw
        .transaction_with_str_sequence_and_mode(&stores, web_sys::IdbTransactionMode::Readwrite)
        .unwrap();
    let object = |fields: &[(&str, JsValue)]| {
        let object = js_sys::Object::new();
        for (key, value) in fields {
            js_sys::Reflect::set(&object, &JsValue::from_str(key), value).unwrap();
        }
        JsValue::from(object)
    };
    let text = |s: &str| JsValue::from_str(s);
    for (seq, mutation, time, order) in changes {
        let order_record = object(&[
            ("id", text(&order.id.to_string())),
            ("number", text(order.number.as_str())),
            ("stage", text(order.stage.as_str())),
            ("owner_id", text(&order.owner.user_id)),
            (
                "due",
                text(&order.due_date(&pipeline).format("%Y-%m-%d").to_string()),
            ),
            (
                "updated",
                text(
                    &order
                        .updated_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                ),
            ),
            ("order", text(&serde_json::to_string(order).unwrap())),
        ]);
        let pending_record = object(&[
            ("seq", JsValue::from_f64(*seq as f64)),
            ("order_id", text(&order.id.to_string())),
            ("kind", text(mutation.kind())),
            (
                "device_time",
                text(&time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            ),
            ("mutation", text(&serde_json::to_string(mutation).unwrap())),
        ]);
        let next_seq = object(&[
            ("key", text("next_seq")),
            ("value", JsValue::from_f64((*seq + 1) as f64)),
        ]);
        tx.object_store("orders")
            .unwrap()
            .put(&order_record)
            .unwrap();
        tx.object_store("pending")
            .unwrap()
            .add(&pending_record)
            .unwrap();
        tx.object_store("meta").unwrap().put(&next_seq).unwrap();
    }
    let done = js_sys::Promise::new(&mut |resolve, reject| {
        tx.set_oncomplete(Some(&resolve));
        tx.set_onabort(Some(&reject));
    });
    wasm_bindgen_futures::JsFuture::from(done)
        .await
        .expect("old app's write");
    raw.close();
}

#[wasm_bindgen_test]
async fn upgrading_a_version_1_database_keeps_its_orders_and_pending_mutations() {
    let name = db_name("upgrade");
    let v1 = open_at_version(&name, 1).await.expect("open v1");
    let ma = create(1, "HZ-2026-001", "杭州明远纺织有限公司");
    let a = run(&sales(), None, &ma, later(0));
    let mb = create(2, "HZ-2026-002", "宁波海纳贸易");
    let b = run(&sales(), None, &mb, later(1));
    write_as_old_app(&name, 1, &[(1, &ma, later(0), &a), (2, &mb, later(1), &b)]).await;
    // Really version 1: no indexes yet.
    assert!(v1.order_by_number("HZ-2026-001").await.is_err());
    drop(v1);

    let current = open(&name).await;
    assert_eq!(
        by_id(current.load_orders().await.unwrap()),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(
        current.pending().await.unwrap(),
        vec![
            PendingMutation {
                seq: 1,
                mutation: ma,
                device_time: later(0)
            },
            PendingMutation {
                seq: 2,
                mutation: mb,
                device_time: later(1)
            },
        ]
    );
    // The number index covers the old records.
    assert_eq!(
        current.order_by_number("HZ-2026-002").await.unwrap(),
        Some(b.clone())
    );
    assert_eq!(seqs(&current).await, vec![1, 2]);
    // Numbering continues where version 1 left off.
    let mc = note(&a, 1, "升级后的第一条");
    let c = run(&sales(), Some(&a), &mc, later(3));
    assert_eq!(
        current
            .save_change(&mc, later(3), &c, &Pipeline::standard())
            .await,
        Ok(3)
    );
    finish(current).await;
}

fn cards_by_id(mut cards: Vec<Card>) -> Vec<Card> {
    cards.sort_by_key(|card| card.id);
    cards
}

fn card(order: &Order) -> Card {
    Card::from_order(order, &Pipeline::standard())
}

#[wasm_bindgen_test]
async fn upgrading_a_version_2_database_builds_the_cards_and_keeps_orders_and_pending_queue() {
    let name = db_name("upgrade-v3");
    let v2 = open_at_version(&name, 2).await.expect("open v2");
    let ma = create(1, "HZ-2026-001", "杭州明远纺织有限公司");
    let a0 = run(&sales(), None, &ma, later(0));
    let ma2 = tick(&a0, &first_checklist_item(&a0));
    let a = run(&admin(), Some(&a0), &ma2, later(1));
    let mb = create(2, "HZ-2026-002", "宁波海纳贸易");
    let b = run(&sales(), None, &mb, later(2));
    write_as_old_app(
        &name,
        2,
        &[
            (1, &ma, later(0), &a0),
            (2, &ma2, later(1), &a),
            (3, &mb, later(2), &b),
        ],
    )
    .await;
    // Really version 2: no cards store yet.
    assert!(v2.load_cards().await.is_err());
    assert_eq!(v2.order_by_number("HZ-2026-002").await, Ok(Some(b.clone())));
    drop(v2);

    let v3 = open(&name).await;
    assert_eq!(
        cards_by_id(v3.load_cards().await.unwrap()),
        vec![card(&a), card(&b)]
    );
    assert_eq!(
        card(&a).checklist_done,
        1,
        "the card counts the tick made before the upgrade"
    );
    assert_eq!(
        by_id(v3.load_orders().await.unwrap()),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(seqs(&v3).await, vec![1, 2, 3]);
    assert_eq!(v3.pending().await.unwrap()[2].mutation, mb);
    assert_eq!(
        v3.pending_order_ids().await.unwrap(),
        HashSet::from([a.id, b.id])
    );
    // Writing goes on at version 3: numbering continues and the card follows its order.
    let mc = note(&b, 1, "升级后的第一条");
    let c = run(&sales(), Some(&b), &mc, later(3));
    assert_eq!(
        v3.save_change(&mc, later(3), &c, &Pipeline::standard())
            .await,
        Ok(4)
    );
    assert_eq!(
        cards_by_id(v3.load_cards().await.unwrap()),
        vec![card(&a), card(&c)]
    );
    finish(v3).await;
}

/// Writes `cards` into their buckets the way a version-4 app stored them: the same record
/// layout, but each card without the fields cards gained later (`responsible`,
/// `after_sales_open`, `rating`), through a raw connection at version 4.
async fn write_cards_as_version_4_app(name: &str, cards: &[Card]) {
    let raw = raw_connection(name, 4).await;
    let tx = raw
        .transaction_with_str_and_mode("cards", web_sys::IdbTransactionMode::Readwrite)
        .unwrap();
    let mut buckets: std::collections::BTreeMap<u8, Vec<serde_json::Value>> = Default::default();
    for card in cards {
        let mut old = serde_json::to_value(card).unwrap();
        let fields = old.as_object_mut().unwrap();
        for added_in_v5 in ["responsible", "after_sales_open", "rating"] {
            fields.remove(added_in_v5);
        }
        // The bucket is the id's last byte mod 32 (records::card_bucket).
        buckets
            .entry(card.id.as_bytes()[15] % 32)
            .or_default()
            .push(old);
    }
    for (bucket, cards) in buckets {
        let record = js_sys::Object::new();
        js_sys::Reflect::set(&record, &"bucket".into(), &JsValue::from(bucket)).unwrap();
        let json = serde_json::to_string(&cards).unwrap();
        js_sys::Reflect::set(&record, &"cards".into(), &JsValue::from_str(&json)).unwrap();
        tx.object_store("cards").unwrap().put(&record).unwrap();
    }
    let done = js_sys::Promise::new(&mut |resolve, _| tx.set_oncomplete(Some(&resolve)));
    wasm_bindgen_futures::JsFuture::from(done).await.unwrap();
    raw.close();
}

#[wasm_bindgen_test]
async fn upgrading_a_version_4_database_rebuilds_the_cards_with_the_responsible_person() {
    let name = db_name("upgrade-v5");
    let v4 = open_at_version(&name, 4).await.expect("open v4");
    let ma = create(1, "HZ-2026-001", "杭州明远纺织有限公司");
    let a0 = run(&sales(), None, &ma, later(0));
    let named = Mutation::SetStageResponsible {
        order_id: a0.id,
        stage: a0.stage.clone(),
        responsible: StaffRef::new("u-liqiang", "李强"),
    };
    let a = run(&admin(), Some(&a0), &named, later(1));
    let mb = create(2, "HZ-2026-002", "宁波海纳贸易");
    let b = run(&sales(), None, &mb, later(2));
    assert_eq!(
        v4.save_change(&ma, later(0), &a0, &Pipeline::standard())
            .await,
        Ok(1)
    );
    assert_eq!(
        v4.save_change(&named, later(1), &a, &Pipeline::standard())
            .await,
        Ok(2)
    );
    assert_eq!(
        v4.save_change(&mb, later(2), &b, &Pipeline::standard())
            .await,
        Ok(3)
    );
    drop(v4);
    // What a version-4 app had stored: cards that do not know who is responsible.
    write_cards_as_version_4_app(&name, &[card(&a), card(&b)]).await;
    let v4 = open_at_version(&name, 4).await.expect("reopen v4");
    let stale = cards_by_id(v4.load_cards().await.unwrap());
    assert_eq!(stale.len(), 2);
    assert_eq!(stale[0].responsible, None, "the old card lost the name");
    drop(v4);

    let v5 = open(&name).await;
    let cards = cards_by_id(v5.load_cards().await.unwrap());
    assert_eq!(cards, vec![card(&a), card(&b)]);
    assert_eq!(
        cards[0].responsible.as_ref().map(|r| r.name.as_str()),
        Some("李强"),
        "the rebuilt card names the stage's responsible person"
    );
    // Orders, the pending queue and the bases are kept as they were.
    assert_eq!(
        by_id(v5.load_orders().await.unwrap()),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(seqs(&v5).await, vec![1, 2, 3]);
    assert_eq!(v5.pending().await.unwrap()[1].mutation, named);
    // Writing goes on at version 5.
    let mc = note(&a, 1, "升级后的第一条");
    let c = run(&sales(), Some(&a), &mc, later(3));
    assert_eq!(
        v5.save_change(&mc, later(3), &c, &Pipeline::standard())
            .await,
        Ok(4)
    );
    assert_eq!(
        cards_by_id(v5.load_cards().await.unwrap()),
        vec![card(&c), card(&b)]
    );
    finish(v5).await;
}

#[wasm_bindgen_test]
async fn an_order_that_cannot_be_decoded_stops_the_card_upgrade_and_leaves_version_2_intact() {
    let name = db_name("upgrade-v3-corrupt");
    let v2 = open_at_version(&name, 2).await.expect("open v2");
    let ma = create(1, "HZ-2026-001", "杭州明远纺织有限公司");
    let a = run(&sales(), None, &ma, later(0));
    write_as_old_app(&name, 2, &[(1, &ma, later(0), &a)]).await;
    drop(v2);
    let raw = raw_connection(&name, 2).await;
    let tx = raw
        .transaction_with_str_and_mode("orders", web_sys::IdbTransactionMode::Readwrite)
        .unwrap();
    let broken =
        js_sys::JSON::parse(r#"{"id":"broken","number":"X-1","order":"{not json"}"#).unwrap();
    tx.object_store("orders").unwrap().put(&broken).unwrap();
    let done = js_sys::Promise::new(&mut |resolve, _| tx.set_oncomplete(Some(&resolve)));
    wasm_bindgen_futures::JsFuture::from(done).await.unwrap();
    raw.close();

    assert!(Storage::open_named(&name).await.is_err());
    // Still version 2, every record where it was.
    let v2 = open_at_version(&name, 2).await.expect("reopen v2");
    assert!(v2.load_cards().await.is_err());
    assert_eq!(v2.get_order(a.id).await, Ok(Some(a)));
    assert_eq!(seqs(&v2).await, vec![1]);
    finish(v2).await;
}

#[wasm_bindgen_test]
async fn an_upgrade_blocked_by_another_tab_reports_blocked_instead_of_hanging() {
    let name = db_name("blocked");
    open_at_version(&name, 1).await.expect("create v1").close();

    // "Another tab": a raw connection at version 1 that ignores versionchange.
    let other_tab = raw_connection(&name, 1).await;

    assert_eq!(
        Storage::open_named(&name).await.map(|_| ()),
        Err(StorageError::Blocked)
    );
    assert!(StorageError::Blocked.message(Lang::Zh).contains("关闭其他"));

    // Once the other tab lets go, the upgrade finishes and the database works at version 2.
    other_tab.close();
    yield_to_browser(100).await;
    let storage = open(&name).await;
    assert_eq!(storage.order_by_number("nothing").await, Ok(None));
    finish(storage).await;
}

#[wasm_bindgen_test]
async fn a_stored_order_that_cannot_be_decoded_is_reported_as_corrupt() {
    let storage = open(&db_name("corrupt")).await;
    let m1 = create(1, "HZ-2026-001", "杭州明远纺织有限公司");
    let o1 = run(&sales(), None, &m1, later(0));
    storage
        .save_change(&m1, later(0), &o1, &Pipeline::standard())
        .await
        .unwrap();

    let raw = raw_connection(storage.name(), app::storage::SCHEMA_VERSION).await;
    let tx = raw
        .transaction_with_str_and_mode("orders", web_sys::IdbTransactionMode::Readwrite)
        .unwrap();
    let broken =
        js_sys::JSON::parse(r#"{"id":"broken","number":"X-1","order":"{not json"}"#).unwrap();
    tx.object_store("orders").unwrap().put(&broken).unwrap();
    let done = js_sys::Promise::new(&mut |resolve, _| tx.set_oncomplete(Some(&resolve)));
    wasm_bindgen_futures::JsFuture::from(done).await.unwrap();
    raw.close();

    let error = storage
        .load_orders()
        .await
        .expect_err("a broken record must not be skipped silently");
    assert!(
        matches!(&error, StorageError::Corrupt(detail) if detail.contains("broken")),
        "{error:?}"
    );
    assert_eq!(storage.get_order(o1.id).await, Ok(Some(o1)));
    finish(storage).await;
}

#[wasm_bindgen_test]
async fn the_device_id_is_created_once_and_stays_the_same_after_reopening() {
    let name = db_name("device-id");
    let storage = open(&name).await;
    let id = storage.device_id().await.unwrap();
    assert_eq!(id.get_version_num(), 4);
    assert_eq!(storage.device_id().await, Ok(id));
    drop(storage);

    let storage = open(&name).await;
    assert_eq!(storage.device_id().await, Ok(id));
    finish(storage).await;
}

#[wasm_bindgen_test]
async fn orders_round_trip_exactly() {
    let storage = open(&db_name("round-trip")).await;
    let tricky = "<script>alert('跟单')</script> \"引号\" & 🧵🚚 \\ 😀";
    let m1 = create(1, "杭-2026-001", tricky);
    let o1 = run(&sales(), None, &m1, later(0));
    let o1 = run(
        &sales(),
        Some(&o1),
        &note(&o1, 1, "多行\n备注 <b>粗体</b> 👍"),
        later(1),
    );
    let o1 = run(
        &admin(),
        Some(&o1),
        &tick(&o1, &first_checklist_item(&o1)),
        later(2),
    );
    let edit = Mutation::EditFields {
        order_id: o1.id,
        changes: FieldChanges {
            expected_delivery: Some(None),
            ..FieldChanges::default()
        },
    };
    let o1 = run(&sales(), Some(&o1), &edit, later(3));
    let plan = Mutation::SetDueDate {
        order_id: o1.id,
        stage: StageId::new("production"),
        due: Some(NaiveDate::from_ymd_opt(2027, 1, 8).unwrap()),
    };
    let o1 = run(&admin(), Some(&o1), &plan, later(4));
    let m2 = create(2, "HZ-2026-002", "Ünïcödé GmbH");
    let o2 = run(&sales(), None, &m2, later(5));

    storage
        .save_change(&edit, later(3), &o1, &Pipeline::standard())
        .await
        .unwrap();
    storage.put_orders(std::slice::from_ref(&o2)).await.unwrap();

    assert_eq!(
        by_id(storage.load_orders().await.unwrap()),
        vec![o1.clone(), o2.clone()]
    );
    // Both writes stored the card with the order, exactly (emoji, newlines, a set due date).
    assert_eq!(
        cards_by_id(storage.load_cards().await.unwrap()),
        vec![card(&o1), card(&o2)]
    );
    assert_eq!(storage.order_by_number("杭-2026-001").await, Ok(Some(o1)));
    // `Some(None)` ("clear the date") survives, distinct from "not touched".
    assert_eq!(
        storage.pending().await.unwrap(),
        vec![PendingMutation {
            seq: 1,
            mutation: edit,
            device_time: later(3)
        }]
    );
    finish(storage).await;
}

#[wasm_bindgen_test]
async fn settings_round_trip() {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Session {
        user: String,
        expires: DateTime<Utc>,
        roles: Vec<Role>,
        note: Option<String>,
    }

    let storage = open(&db_name("settings")).await;
    assert_eq!(storage.get_setting::<Lang>("lang").await, Ok(None));
    storage.set_setting("lang", &Lang::En).await.unwrap();
    assert_eq!(storage.get_setting("lang").await, Ok(Some(Lang::En)));
    storage.set_setting("lang", &Lang::Zh).await.unwrap();
    assert_eq!(storage.get_setting("lang").await, Ok(Some(Lang::Zh)));

    let session = Session {
        user: "王芳 😀".into(),
        expires: later(60),
        roles: vec![Role::Sales, Role::Finance],
        note: None,
    };
    storage.set_setting("session", &session).await.unwrap();
    assert_eq!(storage.get_setting("session").await, Ok(Some(session)));
    assert_eq!(storage.get_setting("cursor").await, Ok(None::<u64>));
    storage.set_setting("cursor", &u64::MAX).await.unwrap();
    assert_eq!(storage.get_setting("cursor").await, Ok(Some(u64::MAX)));
    // A setting of the wrong shape is reported, not guessed.
    assert!(matches!(
        storage.get_setting::<u32>("session").await,
        Err(StorageError::Corrupt(_))
    ));
    finish(storage).await;
}

#[wasm_bindgen_test]
async fn confirmed_mutations_leave_the_queue_and_numbering_continues() {
    let storage = open(&db_name("confirm")).await;
    let m1 = create(1, "HZ-2026-001", "杭州明远纺织有限公司");
    let mut order = run(&sales(), None, &m1, later(0));
    storage
        .save_change(&m1, later(0), &order, &Pipeline::standard())
        .await
        .unwrap();
    for n in 1..=3 {
        let m = note(&order, n, &format!("备注 {n}"));
        order = run(&sales(), Some(&order), &m, later(n as i64));
        storage
            .save_change(&m, later(n as i64), &order, &Pipeline::standard())
            .await
            .unwrap();
    }
    storage.confirm_through(2).await.unwrap();
    assert_eq!(seqs(&storage).await, vec![3, 4]);
    storage.confirm_through(4).await.unwrap();
    assert_eq!(seqs(&storage).await, Vec::<u64>::new());
    assert_eq!(storage.pending_order_ids().await, Ok(HashSet::new()));

    let m = note(&order, 9, "再来一条");
    let next = run(&sales(), Some(&order), &m, later(10));
    assert_eq!(
        storage
            .save_change(&m, later(10), &next, &Pipeline::standard())
            .await,
        Ok(5)
    );
    assert_eq!(storage.load_orders().await, Ok(vec![next]));
    finish(storage).await;
}

#[wasm_bindgen_test]
async fn every_error_message_says_the_change_was_not_saved() {
    let all = [
        StorageError::Unavailable("x".into()),
        StorageError::Blocked,
        StorageError::QuotaExceeded,
        StorageError::Corrupt("x".into()),
        StorageError::Other("ConstraintError: x".into()),
        StorageError::Other("VersionError: x".into()),
        StorageError::Other("x".into()),
    ];
    for error in all {
        assert!(error.message(Lang::Zh).contains("没有保存"), "{error:?}");
        let en = error.message(Lang::En).to_lowercase();
        assert!(
            en.contains("not saved")
                || en.contains("nothing was saved")
                || en.contains("nothing new was saved"),
            "{error:?}"
        );
    }
    assert_eq!(
        StorageError::QuotaExceeded.message(Lang::Zh),
        "手机存储空间不足，无法保存。请清理空间后重试；刚才的修改没有保存。"
    );
}

#[wasm_bindgen_test]
async fn asking_for_persistent_storage_answers_without_failing() {
    // Headless Chromium has the API; whether it grants is the browser's call.
    assert!(request_persistence().await.is_some());
}

#[wasm_bindgen_test]
async fn cards_of_many_orders_share_buckets_and_a_change_replaces_only_its_own_card() {
    let storage = open(&db_name("card-buckets")).await;
    let orders: Vec<Order> = (1..=100u128)
        .map(|i| {
            let m = create(i, &format!("HZ-2026-{i:03}"), "杭州明远纺织有限公司");
            run(&sales(), None, &m, later(i as i64))
        })
        .collect();
    // Twice: the second write replaces the cards instead of adding copies.
    storage.put_orders(&orders[..60]).await.unwrap();
    storage.put_orders(&orders).await.unwrap();
    assert_eq!(
        cards_by_id(storage.load_cards().await.unwrap()),
        orders.iter().map(card).collect::<Vec<_>>()
    );

    let changed = note(&orders[41], 1, "只改这一张");
    let after = run(&sales(), Some(&orders[41]), &changed, later(200));
    let ticked = tick(&after, &first_checklist_item(&after));
    let after = run(&admin(), Some(&after), &ticked, later(201));
    storage
        .save_change(&ticked, later(201), &after, &Pipeline::standard())
        .await
        .unwrap();

    let mut expected: Vec<Card> = orders.iter().map(card).collect();
    expected[41] = card(&after);
    assert_eq!(expected[41].checklist_done, 1);
    assert_eq!(cards_by_id(storage.load_cards().await.unwrap()), expected);
    finish(storage).await;
}

// ---- sync: pulled pages ----

fn page(orders: Vec<Order>, last_seq: u64, more: bool) -> domain::PullResponse {
    domain::PullResponse {
        orders,
        tombstones: Vec::new(),
        cursor: 7,
        more,
        last_seq,
        rejections: Vec::new(),
        rejection_cursor: 0,
        more_rejections: false,
        process_versions: Vec::new(),
        calendar: None,
    }
}

fn notes_of(order: &Order) -> Vec<String> {
    order.notes.iter().map(|n| n.text.clone()).collect()
}

#[wasm_bindgen_test]
async fn a_pulled_page_retires_confirmed_changes_and_replays_pending_ones_on_the_server_version() {
    let storage = open(&db_name("pull-rebase")).await;
    let pipeline = Pipeline::standard();
    // The server's order (as the admin left it), stored as synced.
    let m1 = create(1, "HZ-2026-001", "杭州明远纺织有限公司");
    let server_v1 = run(&admin(), None, &m1, later(0));
    storage
        .put_orders(std::slice::from_ref(&server_v1))
        .await
        .unwrap();
    // Two local notes: seq 1 and seq 2.
    let n1 = note(&server_v1, 1, "本机备注一");
    let local1 = run(&sales(), Some(&server_v1), &n1, later(1));
    storage
        .save_change(&n1, later(1), &local1, &Pipeline::standard())
        .await
        .unwrap();
    let n2 = note(&local1, 2, "本机备注二");
    let local2 = run(&sales(), Some(&local1), &n2, later(2));
    storage
        .save_change(&n2, later(2), &local2, &Pipeline::standard())
        .await
        .unwrap();

    // The server decided seq 1 and meanwhile someone else added a note.
    let server_v2 = run(&sales(), Some(&server_v1), &n1, later(3));
    let other = note(&server_v2, 3, "管理员的备注");
    let server_v3 = run(&admin(), Some(&server_v2), &other, later(4));
    let pulled = storage
        .apply_pull_page(
            &page(vec![server_v3.clone()], 1, false),
            &domain::Processes::single(pipeline.clone()),
            &sales(),
        )
        .await
        .unwrap();

    assert_eq!(
        seqs(&storage).await,
        vec![2],
        "seq 1 retired, seq 2 still pending"
    );
    let shown = storage.get_order(server_v1.id).await.unwrap().unwrap();
    assert_eq!(
        notes_of(&shown),
        vec![
            "客户要求 12 月前发货 🚚",
            "本机备注一",
            "管理员的备注",
            "本机备注二"
        ],
        "the server's version with the pending note replayed on top"
    );
    assert_eq!(pulled.unsynced, HashSet::from([server_v1.id]));
    assert_eq!(storage.sync_cursors().await, Ok((7, 0)));
    let card = storage.load_cards().await.unwrap();
    assert_eq!(card.len(), 1);

    // Next sync: seq 2 decided, the server's final version arrives: exactly the server's.
    let server_v4 = run(&sales(), Some(&server_v3), &n2, later(5));
    storage
        .apply_pull_page(
            &page(vec![server_v4.clone()], 2, false),
            &domain::Processes::single(pipeline.clone()),
            &sales(),
        )
        .await
        .unwrap();
    assert_eq!(seqs(&storage).await, Vec::<u64>::new());
    assert_eq!(storage.get_order(server_v1.id).await, Ok(Some(server_v4)));
    finish(storage).await;
}

#[wasm_bindgen_test]
async fn a_refused_change_falls_back_to_the_servers_version_and_a_refused_new_order_goes() {
    let storage = open(&db_name("pull-refused")).await;
    let pipeline = Pipeline::standard();
    let server = run(
        &admin(),
        None,
        &create(1, "HZ-2026-001", "杭州明远纺织有限公司"),
        later(0),
    );
    storage
        .put_orders(std::slice::from_ref(&server))
        .await
        .unwrap();
    // A local change the server will refuse (it never changes the order there)…
    let n = note(&server, 1, "会被拒绝的备注");
    let local = run(&sales(), Some(&server), &n, later(1));
    storage
        .save_change(&n, later(1), &local, &Pipeline::standard())
        .await
        .unwrap();
    // …and a new order the server will refuse too.
    let m = create(2, "HZ-2026-002", "宁波海曙进出口贸易有限公司");
    let created = run(&sales(), None, &m, later(2));
    storage
        .save_change(&m, later(2), &created, &Pipeline::standard())
        .await
        .unwrap();
    assert_eq!(storage.load_cards().await.unwrap().len(), 2);

    // Both decided (refused), nothing changed on the server, last page.
    let pulled = storage
        .apply_pull_page(
            &page(Vec::new(), 2, false),
            &domain::Processes::single(pipeline.clone()),
            &sales(),
        )
        .await
        .unwrap();
    assert_eq!(seqs(&storage).await, Vec::<u64>::new());
    assert_eq!(storage.get_order(server.id).await, Ok(Some(server.clone())));
    assert_eq!(storage.get_order(created.id).await, Ok(None));
    assert!(pulled.removed.contains(&created.id));
    let cards = storage.load_cards().await.unwrap();
    assert_eq!(
        cards.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![server.id]
    );
    finish(storage).await;
}

#[wasm_bindgen_test]
async fn an_interrupted_multi_page_pull_never_shows_a_refused_change_as_synced() {
    let storage = open(&db_name("pull-interrupted")).await;
    let pipeline = Pipeline::standard();
    let server = run(
        &admin(),
        None,
        &create(1, "HZ-2026-001", "杭州明远纺织有限公司"),
        later(0),
    );
    let unrelated = run(
        &admin(),
        None,
        &create(2, "HZ-2026-002", "宁波海曙进出口贸易有限公司"),
        later(0),
    );
    storage
        .put_orders(std::slice::from_ref(&server))
        .await
        .unwrap();
    let n = note(&server, 1, "会被拒绝的备注");
    let local = run(&sales(), Some(&server), &n, later(1));
    storage
        .save_change(&n, later(1), &local, &Pipeline::standard())
        .await
        .unwrap();

    // The server refused seq 1; the first page of the pull brings another order, more follow,
    // and the connection drops before the last page.
    let pulled = storage
        .apply_pull_page(
            &page(vec![unrelated], 1, true),
            &domain::Processes::single(pipeline.clone()),
            &sales(),
        )
        .await
        .unwrap();
    assert!(
        pulled.unsynced.contains(&server.id),
        "still marked unsynced: the server's verdict has not been stored yet"
    );
    assert_eq!(seqs(&storage).await, vec![1], "the change stays queued");

    // The next pull completes: now the change is retired and the order falls back.
    storage
        .apply_pull_page(
            &page(Vec::new(), 1, false),
            &domain::Processes::single(pipeline.clone()),
            &sales(),
        )
        .await
        .unwrap();
    assert_eq!(seqs(&storage).await, Vec::<u64>::new());
    assert_eq!(storage.get_order(server.id).await, Ok(Some(server)));
    finish(storage).await;
}

/// One tab's change as the app makes it: read the order, apply, write — under the device's
/// write lock when `locked`.
async fn change_in_a_tab(storage: &Storage, order_id: Uuid, n: u128, text: &str, locked: bool) {
    let _lock = if locked {
        Some(app::storage::tab_lock::acquire().await)
    } else {
        None
    };
    let current = storage.get_order(order_id).await.unwrap().unwrap();
    let m = note(&current, n, text);
    let next = run(&sales(), Some(&current), &m, later(n as i64));
    storage
        .save_change(&m, later(n as i64), &next, &Pipeline::standard())
        .await
        .unwrap();
}

#[wasm_bindgen_test]
async fn two_tabs_writing_one_order_at_once_keep_both_changes() {
    let name = db_name("two-tabs");
    let storage = open(&name).await;
    let second_tab = open(&name).await;
    let order = run(
        &admin(),
        None,
        &create(1, "HZ-2026-001", "杭州明远纺织有限公司"),
        later(0),
    );
    storage
        .put_orders(std::slice::from_ref(&order))
        .await
        .unwrap();
    futures::join!(
        change_in_a_tab(&storage, order.id, 1, "一号标签页的备注", true),
        change_in_a_tab(&second_tab, order.id, 2, "二号标签页的备注", true),
    );
    let stored = storage.get_order(order.id).await.unwrap().unwrap();
    let notes = notes_of(&stored);
    assert!(notes.contains(&"一号标签页的备注".to_string()), "{notes:?}");
    assert!(notes.contains(&"二号标签页的备注".to_string()), "{notes:?}");
    assert_eq!(seqs(&storage).await, vec![1, 2]);
    second_tab.close();
    finish(storage).await;
}

#[wasm_bindgen_test]
async fn a_new_identity_renumbers_the_queue_from_one() {
    let storage = open(&db_name("reset-device")).await;
    let before = storage.device_id().await.unwrap();
    let m1 = create(1, "HZ-2026-001", "杭州明远纺织有限公司");
    let order = run(&sales(), None, &m1, later(0));
    storage
        .save_change(&m1, later(0), &order, &Pipeline::standard())
        .await
        .unwrap();
    let n = note(&order, 1, "备注");
    let next = run(&sales(), Some(&order), &n, later(1));
    storage
        .save_change(&n, later(1), &next, &Pipeline::standard())
        .await
        .unwrap();
    storage.confirm_through(1).await.unwrap();
    assert_eq!(seqs(&storage).await, vec![2]);

    let after = storage.reset_device().await.unwrap();
    assert_ne!(after, before);
    assert_eq!(storage.device_id().await, Ok(after));
    assert_eq!(seqs(&storage).await, vec![1]);
    let pending = storage.pending().await.unwrap();
    assert_eq!(pending[0].mutation, n);
    let n2 = note(&next, 2, "又一条");
    let next2 = run(&sales(), Some(&next), &n2, later(2));
    assert_eq!(
        storage
            .save_change(&n2, later(2), &next2, &Pipeline::standard())
            .await,
        Ok(2)
    );
    finish(storage).await;
}

// ---- process versions ----

/// Version 2: 报价 after 需求确认, as an admin publishes it.
fn version_two() -> domain::ProcessVersion {
    let mut v2 = domain::ProcessVersion::standard();
    v2.number = 2;
    v2.note = "加入报价".into();
    let mut quote = v2.stages[0].clone();
    quote.id = domain::StageId::new("quote");
    quote.name = domain::Localized::new("报价", "Quotation");
    quote.checklist.clear();
    v2.stages.insert(1, quote);
    v2
}

#[wasm_bindgen_test]
async fn a_pulled_process_version_is_kept_with_the_orders_that_run_on_it() {
    let storage = open(&db_name("pull-process")).await;
    assert_eq!(storage.processes().await.unwrap().current_number(), 1);
    let v2 = version_two();
    let processes = domain::Processes::new([v2.clone()]);
    // An order another phone made on version 2, already in 报价.
    let ctx = Context {
        processes: &processes,
        actor: &admin(),
        now: later(0),
    };
    let made = apply(
        &ctx,
        None,
        &create(1, "HZ-2026-001", "杭州明远纺织有限公司"),
    )
    .unwrap()
    .order;
    let advance = Mutation::AdvanceStage {
        order_id: made.id,
        from: "requirement".into(),
        to: "quote".into(),
        reason: Some("已确认".into()),
    };
    let in_quote = apply(&ctx, Some(&made), &advance).unwrap().order;
    assert_eq!(in_quote.process_version, 2);

    // This phone knows only version 1; the page brings version 2 with the order.
    let mut pulled = page(vec![in_quote.clone()], 0, false);
    pulled.process_versions = vec![v2.clone()];
    let answer = storage
        .apply_pull_page(&pulled, &domain::Processes::standard(), &sales())
        .await
        .unwrap();
    assert_eq!(answer.cards[0].stage, "quote");
    assert_eq!(storage.get_order(in_quote.id).await, Ok(Some(in_quote)));

    // Reopened (the app's start), the device still holds version 2.
    let name = storage.name().to_string();
    storage.close();
    let again = Storage::open_named(&name).await.unwrap();
    let held = again.processes().await.unwrap();
    assert_eq!(held.current_number(), 2);
    assert_eq!(held.version(2), Some(&v2));
    finish(again).await;
}

// ---- photos and files (issue 16) ----

fn add_photo(
    order: &Order,
    bytes: &[u8],
    sha256: &str,
) -> (Mutation, app::storage::files::LocalFile) {
    let mutation = Mutation::AddAttachment {
        order_id: order.id,
        attachment: domain::NewAttachment {
            id: Uuid::from_u128(0x7000),
            kind: domain::AttachmentKind::DeliveryNote,
            file: domain::FileRef {
                sha256: sha256.into(),
                file_type: domain::FileType::Jpeg,
                size: bytes.len() as u64,
            },
            thumbnail: None,
        },
    };
    let file = app::storage::files::LocalFile {
        sha256: sha256.into(),
        order_id: order.id,
        file_type: domain::FileType::Jpeg,
        bytes: bytes.to_vec(),
    };
    (mutation, file)
}

#[wasm_bindgen_test]
async fn a_photo_is_stored_with_its_change_and_waits_for_upload_across_a_reopen() {
    let name = db_name("files");
    let storage = open(&name).await;
    let m1 = create(1, "HZ-2026-701", "杭州签收单测试有限公司");
    let o1 = run(&sales(), None, &m1, later(0));
    storage
        .save_change(&m1, later(0), &o1, &Pipeline::standard())
        .await
        .unwrap();
    let bytes = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 0xFF, 0xD9];
    let sha256 = "a".repeat(64);
    let (m2, file) = add_photo(&o1, &bytes, &sha256);
    let o2 = run(&sales(), Some(&o1), &m2, later(1));
    assert_eq!(
        storage
            .save_change_with_files(
                &m2,
                later(1),
                &o2,
                &Pipeline::standard(),
                std::slice::from_ref(&file)
            )
            .await,
        Ok(2)
    );
    assert_eq!(storage.waiting_files().await.unwrap(), vec![sha256.clone()]);

    // A reload (a new connection) finds the queue where it was: uploads resume.
    storage.close();
    let storage = open(&name).await;
    assert_eq!(storage.waiting_files().await.unwrap(), vec![sha256.clone()]);
    let stored = storage.local_file(&sha256).await.unwrap().unwrap();
    assert_eq!(stored.file, file);
    assert!(stored.waiting);
    assert_eq!(
        storage
            .get_order(o1.id)
            .await
            .unwrap()
            .unwrap()
            .attachments
            .len(),
        1
    );

    // Uploaded: off the queue, still this device's copy to show offline.
    storage.mark_uploaded(&sha256).await.unwrap();
    assert_eq!(storage.waiting_files().await.unwrap(), Vec::<String>::new());
    let kept = storage.local_file(&sha256).await.unwrap().unwrap();
    assert!(!kept.waiting);
    assert_eq!(kept.file.bytes, bytes);
    finish(storage).await;
}

#[wasm_bindgen_test]
async fn a_refused_photo_change_stores_neither_the_change_nor_its_bytes() {
    let storage = open(&db_name("files-refused")).await;
    let m1 = create(1, "HZ-2026-702", "杭州签收单测试有限公司");
    let o1 = run(&sales(), None, &m1, later(0));
    let (m2, file) = add_photo(&o1, &[0xFF, 0xD8, 0xFF, 0xD9], &"b".repeat(64));
    // The mutation names another order than the one to save: refused before anything is written.
    let other = run(
        &sales(),
        None,
        &create(2, "HZ-2026-703", "别的公司"),
        later(0),
    );
    assert!(storage
        .save_change_with_files(&m2, later(1), &other, &Pipeline::standard(), &[file])
        .await
        .is_err());
    assert_eq!(storage.waiting_files().await.unwrap(), Vec::<String>::new());
    assert_eq!(storage.local_file(&"b".repeat(64)).await.unwrap(), None);
    let _ = o1;
    finish(storage).await;
}

fn facts_by_id(
    mut facts: Vec<domain::analytics::OrderFacts>,
) -> Vec<domain::analytics::OrderFacts> {
    facts.sort_by_key(|f| f.id);
    facts
}

fn facts(orders: &[&Order]) -> Vec<domain::analytics::OrderFacts> {
    facts_by_id(
        orders
            .iter()
            .map(|o| domain::analytics::OrderFacts::of(o, &Pipeline::standard()))
            .collect(),
    )
}

#[wasm_bindgen_test]
async fn the_facts_analysis_reads_follow_every_write_of_their_order() {
    let storage = open(&db_name("facts")).await;
    let pipeline = Pipeline::standard();
    let server = run(
        &admin(),
        None,
        &create(1, "HZ-2026-001", "杭州明远纺织有限公司"),
        later(0),
    );
    storage
        .put_orders(std::slice::from_ref(&server))
        .await
        .unwrap();
    assert_eq!(
        facts_by_id(storage.load_facts().await.unwrap()),
        facts(&[&server])
    );
    // A local change (cancelled here) and a new order, each with its facts.
    let t = Mutation::Cancel {
        order_id: server.id,
        reason: "客户预算调整".into(),
    };
    let local = run(&admin(), Some(&server), &t, later(1));
    storage
        .save_change(&t, later(1), &local, &pipeline)
        .await
        .unwrap();
    let m = create(2, "HZ-2026-002", "宁波海曙进出口贸易有限公司");
    let created = run(&sales(), None, &m, later(2));
    storage
        .save_change(&m, later(2), &created, &pipeline)
        .await
        .unwrap();
    assert_eq!(
        facts_by_id(storage.load_facts().await.unwrap()),
        facts(&[&local, &created])
    );
    // The server refuses both: the order falls back to its base, the new one goes, and so do
    // their facts.
    storage
        .apply_pull_page(
            &page(Vec::new(), 2, false),
            &domain::Processes::single(pipeline.clone()),
            &sales(),
        )
        .await
        .unwrap();
    assert_eq!(
        facts_by_id(storage.load_facts().await.unwrap()),
        facts(&[&server])
    );
    finish(storage).await;
}

#[wasm_bindgen_test]
async fn a_pulled_holiday_calendar_moves_the_deadlines_analytics_reads() {
    use chrono::Datelike;
    // 需求确认 counted in working days (a published version 2): entered Thursday 26 Nov, due
    // Monday 30 Nov on the shipped calendar.
    let storage = open(&db_name("facts-calendar")).await;
    let v1 = domain::Processes::standard();
    let base = v1.current().clone();
    let mut draft = domain::ProcessDraft::from_version(&base);
    let mut requirement = draft.stages[0].clone();
    requirement.sla_working_days = true;
    draft
        .edit(&base, domain::DraftEdit::Update { stage: requirement })
        .unwrap();
    let v2 = v1
        .publish(
            &draft,
            domain::StaffRef::new("u-admin", "管理员"),
            "按工作日计",
            later(0),
        )
        .unwrap();
    let processes = domain::Processes::new([base, v2.clone()]);
    let m = create(1, "HZ-2026-001", "杭州明远纺织有限公司");
    let order = apply(
        &Context {
            processes: &processes,
            actor: &sales(),
            now: later(1),
        },
        None,
        &m,
    )
    .unwrap()
    .order;
    let mut first = page(vec![order.clone()], 0, false);
    first.process_versions = vec![v2.clone()];
    storage
        .apply_pull_page(&first, &domain::Processes::standard(), &sales())
        .await
        .unwrap();
    let stored = storage.load_facts().await.unwrap();
    assert_eq!(
        stored[0].visits[0].due,
        NaiveDate::from_ymd_opt(2026, 11, 30)
            .unwrap()
            .num_days_from_ce()
    );

    // The admin makes Monday 30 Nov a day off; the next pull brings only the calendar.
    let mut calendar = domain::HolidayCalendar::shipped();
    calendar
        .years
        .iter_mut()
        .find(|entry| entry.days.year == 2026)
        .unwrap()
        .days
        .mark(
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            domain::DayKind::Holiday,
        );
    calendar.version = 2;
    let mut second = page(Vec::new(), 0, false);
    second.calendar = Some(calendar);
    let held = storage.processes().await.unwrap();
    storage
        .apply_pull_page(&second, &held, &sales())
        .await
        .unwrap();
    let stored = storage.load_facts().await.unwrap();
    assert_eq!(
        stored[0].visits[0].due,
        NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .num_days_from_ce(),
        "分析 counts the order overdue from the new deadline, not the old one"
    );
    finish(storage).await;
}

/// What version 8 stored in `facts`: each bucket's facts as a JSON string.
async fn put_version_8_facts(name: &str, facts: &[domain::analytics::OrderFacts]) {
    let raw = raw_connection(name, 8).await;
    let tx = raw
        .transaction_with_str_and_mode("facts", web_sys::IdbTransactionMode::Readwrite)
        .unwrap();
    let store = tx.object_store("facts").unwrap();
    store.clear().unwrap();
    let mut buckets: std::collections::BTreeMap<u8, Vec<&domain::analytics::OrderFacts>> =
        Default::default();
    for order in facts {
        buckets
            .entry(order.id.as_bytes()[15] % 32)
            .or_default()
            .push(order);
    }
    for (bucket, facts) in buckets {
        let record = js_sys::Object::new();
        js_sys::Reflect::set(&record, &"bucket".into(), &JsValue::from(bucket)).unwrap();
        let json = serde_json::to_string(&facts).unwrap();
        js_sys::Reflect::set(&record, &"facts".into(), &JsValue::from_str(&json)).unwrap();
        store.put(&record).unwrap();
    }
    let done = js_sys::Promise::new(&mut |resolve, _| tx.set_oncomplete(Some(&resolve)));
    wasm_bindgen_futures::JsFuture::from(done).await.unwrap();
    raw.close();
}

#[wasm_bindgen_test]
async fn upgrading_a_version_8_database_rebuilds_its_facts_and_analysis_shows_the_same_figures() {
    use domain::analytics::{dashboard, dashboard_of, Filter, Period};
    let name = db_name("upgrade-v9");
    let v8 = open_at_version(&name, 8).await.expect("open v8");
    let ma = create(1, "HZ-2026-001", "杭州明远纺织有限公司");
    let a = run(&sales(), None, &ma, later(0));
    let mb = create(2, "HZ-2026-002", "宁波海纳贸易");
    let b = run(&sales(), None, &mb, later(1));
    let mc = Mutation::Cancel {
        order_id: b.id,
        reason: "客户预算调整".into(),
    };
    let c = run(&admin(), Some(&b), &mc, later(2));
    let md = create(3, "HZ-2026-003", "深圳华芯电子科技有限公司");
    let d = run(&sales(), None, &md, later(3));
    let mut changes = vec![
        (ma, a.clone(), 0),
        (mb, b, 1),
        (mc, c.clone(), 2),
        (md, d.clone(), 3),
    ];
    // Order 3 finishes 需求确认 four days later and waits in 合同签订: a stage time to show.
    let mut e = d;
    let requirement = Pipeline::standard().stages[0].clone();
    for (n, item) in requirement.checklist.iter().enumerate() {
        let tick = Mutation::SetChecklistItem {
            order_id: e.id,
            stage: requirement.id.clone(),
            item: item.id.clone(),
            done: true,
        };
        e = run(&admin(), Some(&e), &tick, later(4 + n as i64));
        changes.push((tick, e.clone(), 4 + n as i64));
    }
    let advance = Mutation::AdvanceStage {
        order_id: e.id,
        from: StageId::new("requirement"),
        to: StageId::new("contract"),
        reason: None,
    };
    e = run(&admin(), Some(&e), &advance, later(4 * 24 * 60));
    changes.push((advance, e.clone(), 4 * 24 * 60));
    for (mutation, order, at) in &changes {
        v8.save_change(mutation, later(*at), order, &Pipeline::standard())
            .await
            .unwrap();
    }
    drop(v8);
    // The facts as version 8 wrote them: JSON.
    put_version_8_facts(&name, &facts(&[&a, &c, &e])).await;

    let v9 = open(&name).await;
    let loaded = v9.load_facts().await.unwrap();
    assert_eq!(
        facts_by_id(loaded.clone()),
        facts(&[&a, &c, &e]),
        "every stored order's facts, as it is now"
    );
    let pipeline = Pipeline::standard();
    let period = Period {
        from: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    };
    let now = later(10 * 24 * 60);
    let from_orders = dashboard(
        &[a.clone(), c.clone(), e.clone()],
        period,
        &Filter::default(),
        now,
        &pipeline,
    );
    assert_eq!(
        dashboard_of(&loaded, period, &Filter::default(), now, &pipeline),
        from_orders,
        "分析 from the upgraded store shows what the orders themselves give"
    );
    assert_eq!(from_orders.conversion.started, 3);
    assert_eq!(from_orders.conversion.cancelled, 1);
    assert_eq!(from_orders.conversion.reached_contract, 1);
    // Orders and the pending queue are kept as they were.
    assert_eq!(by_id(v9.load_orders().await.unwrap()), vec![a, c, e]);
    assert_eq!(
        seqs(&v9).await,
        (1..=changes.len() as u64).collect::<Vec<_>>()
    );
    finish(v9).await;
}

#[wasm_bindgen_test]
async fn upgrading_a_version_7_database_builds_the_facts_of_every_order() {
    let name = db_name("upgrade-v8");
    let v7 = open_at_version(&name, 7).await.expect("open v7");
    let ma = create(1, "HZ-2026-001", "杭州明远纺织有限公司");
    let a = run(&sales(), None, &ma, later(0));
    let mb = create(2, "HZ-2026-002", "宁波海纳贸易");
    let b = run(&sales(), None, &mb, later(1));
    let mc = Mutation::Cancel {
        order_id: b.id,
        reason: "客户预算调整".into(),
    };
    let c = run(&admin(), Some(&b), &mc, later(2));
    for (mutation, order, at) in [(&ma, &a, 0), (&mb, &b, 1), (&mc, &c, 2)] {
        v7.save_change(mutation, later(at), order, &Pipeline::standard())
            .await
            .unwrap();
    }
    drop(v7);

    let v8 = open(&name).await;
    assert_eq!(
        facts_by_id(v8.load_facts().await.unwrap()),
        facts(&[&a, &c]),
        "every stored order's facts, as it is now"
    );
    // Orders and the pending queue are kept as they were.
    assert_eq!(by_id(v8.load_orders().await.unwrap()), vec![a.clone(), c]);
    assert_eq!(seqs(&v8).await, vec![1, 2, 3]);
    finish(v8).await;
}

/// The app is built without ICU's NFKC tables and normalizes order numbers with the browser's
/// `String.prototype.normalize`: a phone must still call the same numbers the same as the server
/// does (domain::number_key's own tests, which run with ICU, list the same cases), or its
/// prediction of a renumbered order would disagree with the server's.
#[wasm_bindgen_test]
fn order_number_keys_on_the_phone_match_the_servers() {
    app::storage::use_browser_nfkc();
    let key = domain::number_key::number_key;
    assert_eq!(key("ＦＺ-36877"), "fz-36877");
    assert_eq!(key("①-Ａ"), "1-a");
    assert_eq!(key("fz-36877"), key("FZ-36877"));
    assert_eq!(key("ΣΟΦΙΑ-1"), key("σοφια-1"));
    assert_eq!(key("ΣΟΦΙΑς"), key("ΣΟΦΙΑΣ"));
    assert_eq!(key("Привет-2"), key("привет-2"));
    assert_eq!(key("STRASSE"), key("straße"));
    assert_eq!(key("ẞ-1"), "ss-1");
    // Precomposed and decomposed accents are the same number.
    assert_eq!(key("e\u{301}-1"), key("é-1"));
    assert_eq!(key("É-1"), "é-1");
    assert_ne!(key("杭-001"), key("杭-01"));
}
