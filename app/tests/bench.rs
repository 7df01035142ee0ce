//! Browser benchmarks of the on-device store and the board, against plain-JS baselines, in
//! headless Chromium. Not part of `scripts/test`: `app/Cargo.toml` declares this target with
//! `test = false`, so plain `cargo test` skips it, and `scripts/bench` runs it in release:
//!
//! ```text
//! CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=900 cargo test --release -p app \
//!     --target wasm32-unknown-unknown --test bench -- --nocapture
//! ```
//!
//! Output: one `BENCH <scenario> key=value ...` line per scenario (what `scripts/bench` turns
//! into its table), plus `BENCHRUNS` (every timed run) and `BENCHPART` (where the time goes)
//! lines. Each scenario warms up once, then reports the median of its timed runs. Orders are
//! built with `domain::apply` before any timing starts.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use app::{
    desk::analytics::AnalyticsPage, format, locale::LanguageProvider, routes::board::BoardPage,
    state::provide_app_state, state::AppState, storage::Storage, storage::DB_NAME,
};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use domain::{
    apply, business_date, columns, Actor, BoardFilter, Card, Context, Customer, LineItem, Money,
    Mutation, Order, Pipeline, Role, StageId,
};
use js_sys::{Array, Object, Reflect};
use leptos::prelude::*;
use leptos_router::components::Router;
use uuid::Uuid;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{HtmlDocument, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

const WRITE_ORDERS: usize = 1_000;
const WRITE_RUNS: usize = 5;
const WRITE_TARGET_RATIO: f64 = 1.3;

const BOARD_ORDERS: usize = 10_000;
const BOARD_RUNS: usize = 5;
const BOARD_TARGET_RATIO: f64 = 1.5;
const BOARD_TARGET_MS: f64 = 600.0;
const ANALYTICS_RUNS: usize = 5;
const ANALYTICS_TARGET_RATIO: f64 = 1.5;
const ANALYTICS_TARGET_MS: f64 = 300.0;
/// Opening 分析 against opening the board, on the same 10,000 stored orders.
const OPEN_ANALYTICS_TARGET_RATIO: f64 = 1.5;
/// `routes/board.rs`'s page size: cards rendered per column at first.
const PAGE: usize = 40;
/// `locales/zh.json` `storage_loading`, shown until the device's data is loaded.
const LOADING_TEXT: &str = "正在打开本机数据";

// ---- the plain-JS side: clock, waiting for the DOM, and the baselines ----

#[wasm_bindgen(inline_js = r#"
export function now() { return performance.now(); }

// The analytics baseline: stage-time percentiles (nearest rank, whole minutes) of the visits that
// ended in [fromMs, toMs], per stage, from plain objects {stages: [{stage, entered, left}]}.
export function jsStageTimes(orders, fromMs, toMs) {
  const byStage = new Map();
  for (const order of orders) {
    for (const visit of order.stages) {
      if (visit.left === null || visit.left < fromMs || visit.left > toMs) continue;
      let list = byStage.get(visit.stage);
      if (!list) byStage.set(visit.stage, (list = []));
      list.push(Math.floor((visit.left - visit.entered) / 60000));
    }
  }
  const result = {};
  for (const [stage, list] of byStage) {
    list.sort((a, b) => a - b);
    const rank = (p) => list[Math.max(0, Math.ceil((p / 100) * list.length) - 1)];
    result[stage] = [rank(50), rank(80), rank(95)];
  }
  return result;
}

// Resolves with the time at which `container` first holds a `selector` element and no longer
// shows `loadingText`. Checked after every DOM change (MutationObserver callbacks run right after
// the microtask that changed the DOM), so the time is exact and nothing polls: a polling loop
// of zero-delay tasks measurably slows the page's own IndexedDB work (~300 ms on 10,000 orders).
export function whenReady(container, selector, loadingText) {
  return new Promise((resolve, reject) => {
    const ready = () =>
      container.querySelector(selector) !== null && !container.textContent.includes(loadingText);
    if (ready()) return resolve(performance.now());
    const timeout = setTimeout(() => {
      observer.disconnect();
      reject(new Error("never ready: " + selector + "; page text: " + container.textContent));
    }, 30000);
    const observer = new MutationObserver(() => {
      if (ready()) {
        const at = performance.now();
        observer.disconnect();
        clearTimeout(timeout);
        resolve(at);
      }
    });
    observer.observe(container, { childList: true, subtree: true, characterData: true });
  });
}

export function nextFrame() {
  return new Promise((resolve) => requestAnimationFrame(() => resolve()));
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

// Same stores, key paths and indexes as app/src/storage/schema.rs at version 2.
export function jsOpen(name) {
  const req = indexedDB.open(name, 2);
  req.onupgradeneeded = () => {
    const db = req.result;
    const orders = db.createObjectStore("orders", { keyPath: "id" });
    db.createObjectStore("pending", { keyPath: "seq" });
    db.createObjectStore("meta", { keyPath: "key" });
    orders.createIndex("number", "number", { unique: true });
    for (const name of ["stage", "owner_id", "due", "updated"]) {
      orders.createIndex(name, name, { unique: false });
    }
  };
  return request(req);
}

export function jsClose(db) { db.close(); }

export function jsDelete(name) { return request(indexedDB.deleteDatabase(name)); }

// The baseline of write_1000: one readwrite transaction putting pre-built records.
export function jsPutAll(db, records) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(["orders"], "readwrite");
    const store = tx.objectStore("orders");
    for (const record of records) store.put(record);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
    tx.commit();
  });
}

// Only the getAll of one store (a piece of the open_board breakdown).
export async function jsGetAll(name, store) {
  const db = await request(indexedDB.open(name));
  try {
    return await request(db.transaction([store], "readonly").objectStore(store).getAll());
  } finally {
    db.close();
  }
}

export function jsParseAll(records, field) {
  let n = 0;
  for (const record of records) n += JSON.parse(record[field]) ? 1 : 0;
  return n;
}

// A `cards`-like store whose records hold the card as plain fields instead of a JSON string
// (the layout the app did not choose; measured against it).
export function jsOpenPlainCards(name) {
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => req.result.createObjectStore("cards", { keyPath: "id" });
  return request(req);
}

export function jsPutAllInto(db, store, records) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction([store], "readwrite");
    for (const record of records) tx.objectStore(store).put(record);
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error);
    tx.commit();
  });
}

export function plainCard(json) { return JSON.parse(json); }

const DAY = 86400000;
function businessDate(rfc3339) {
  return new Date(Date.parse(rfc3339) + 8 * 3600000).toISOString().slice(0, 10);
}
function days(from, to) { return Math.round((Date.parse(to) - Date.parse(from)) / DAY); }
function yuan(fen) {
  const whole = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return "¥" + whole + "." + String(fen % 100).padStart(2, "0");
}
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// What components/order_card.rs shows, with DOM calls.
function card(record, order, stage, today) {
  const li = el("li", "order-card");
  li.dataset.testid = "order-card";
  li.dataset.number = record.number;
  const a = el("a");
  a.href = "/orders/" + record.id;
  const head = el("div", "card-row");
  head.append(el("span", "card-number", record.number));
  if (order.status.kind === "active") {
    const left = days(today, record.due);
    if (left < 0) head.append(el("span", "badge badge-overdue", "逾期 " + -left + " 天"));
    else if (left === 0) head.append(el("span", "badge badge-due", "今天到期"));
    else if (left === 1) head.append(el("span", "badge badge-due", "明天到期"));
  }
  a.append(head);
  a.append(el("div", "card-company", order.customer.company));
  const meta = el("div", "card-row card-meta");
  const total = order.items.reduce((sum, item) => sum + item.unit_price * item.quantity, 0);
  meta.append(el("span", "card-amount", yuan(total)));
  meta.append(el("span", "", order.owner.name));
  const progress = order.stages[order.stages.length - 1];
  const inStage = Math.max(days(businessDate(progress.entered_at), today), 0) + 1;
  meta.append(el("span", "", "本阶段第 " + inStage + " 天"));
  if (stage && stage.checklist.length > 0) {
    const done = stage.checklist.filter((id) => progress.checklist[id] === true).length;
    meta.append(el("span", "card-checklist", "清单 " + done + "/" + stage.checklist.length));
  }
  a.append(meta);
  li.append(a);
  return li;
}

// The baseline of open_board_10000: open the database, getAll, JSON.parse every order, group by
// stage (closed apart), sort the first stage's orders by due date (then number) and build its
// first `page` cards. With `allColumns`, every column is sorted and gets its page of cards,
// as the board does.
export async function jsBoard(name, container, pipeline, today, page, allColumns) {
  const db = await request(indexedDB.open(name));
  const records = await request(
    db.transaction(["orders"], "readonly").objectStore("orders").getAll());
  db.close();
  const index = new Map(pipeline.map((stage, i) => [stage.id, i]));
  const groups = pipeline.map(() => []);
  const closed = [];
  for (const record of records) {
    const order = JSON.parse(record.order);
    if (order.status.kind !== "active") closed.push({ record, order });
    else {
      const i = index.get(record.stage);
      if (i !== undefined) groups[i].push({ record, order });
    }
  }
  const byDue = (a, b) =>
    a.record.due < b.record.due ? -1 : a.record.due > b.record.due ? 1 :
    a.record.number < b.record.number ? -1 : a.record.number > b.record.number ? 1 : 0;
  const shown = allColumns ? groups.length : 1;
  for (let i = 0; i < shown; i++) groups[i].sort(byDue);
  if (allColumns) closed.sort((a, b) => a.record.updated > b.record.updated ? -1 : 1);
  const render = (entries, stage, key) => {
    const section = el("section", "board-column");
    section.dataset.column = String(key);
    const list = el("ul", "card-list");
    for (const { record, order } of entries.slice(0, page)) {
      list.append(card(record, order, stage, today));
    }
    section.append(el("h2", "column-head", stage ? stage.name : "已结束"));
    section.append(list);
    container.append(section);
  };
  for (let i = 0; i < shown; i++) render(groups[i], pipeline[i], i);
  if (allColumns) render(closed, null, "closed");
  return records.length;
}

// What components/order_card.rs shows, from a card (the app's `cards` store) instead of an
// order: the same DOM as `card` above.
function cardFromCard(c, stage, today) {
  const li = el("li", "order-card");
  li.dataset.testid = "order-card";
  li.dataset.number = c.number;
  const a = el("a");
  a.href = "/orders/" + c.id;
  const head = el("div", "card-row");
  head.append(el("span", "card-number", c.number));
  if (c.status === "active") {
    const left = days(today, c.due);
    if (left < 0) head.append(el("span", "badge badge-overdue", "逾期 " + -left + " 天"));
    else if (left === 0) head.append(el("span", "badge badge-due", "今天到期"));
    else if (left === 1) head.append(el("span", "badge badge-due", "明天到期"));
  }
  a.append(head);
  a.append(el("div", "card-company", c.company));
  const meta = el("div", "card-row card-meta");
  meta.append(el("span", "card-amount", yuan(c.total)));
  meta.append(el("span", "", c.owner_name));
  const inStage = Math.max(days(businessDate(c.entered_stage_at), today), 0) + 1;
  meta.append(el("span", "", "本阶段第 " + inStage + " 天"));
  if (c.checklist_total > 0) {
    meta.append(el("span", "card-checklist", "清单 " + c.checklist_done + "/" + c.checklist_total));
  }
  a.append(meta);
  li.append(a);
  return li;
}

// The same-layout baseline of open_board_10000: plain JS on the app's own layout. Open the
// database, getAll of the `cards` store, JSON.parse every bucket of cards, group by stage (closed apart),
// sort the first stage's cards by due date (then number) and build its first `page` cards.
export async function jsBoardFromCards(name, container, pipeline, today, page) {
  const db = await request(indexedDB.open(name));
  const records = await request(
    db.transaction(["cards"], "readonly").objectStore("cards").getAll());
  db.close();
  const index = new Map(pipeline.map((stage, i) => [stage.id, i]));
  const groups = pipeline.map(() => []);
  const closed = [];
  let count = 0;
  for (const record of records) {
    for (const c of JSON.parse(record.cards)) {
      count++;
      if (c.status !== "active") closed.push(c);
      else {
        const i = index.get(c.stage);
        if (i !== undefined) groups[i].push(c);
      }
    }
  }
  groups[0].sort((a, b) =>
    a.due < b.due ? -1 : a.due > b.due ? 1 : a.number < b.number ? -1 : a.number > b.number ? 1 : 0);
  const section = el("section", "board-column");
  section.dataset.column = "0";
  const list = el("ul", "card-list");
  for (const c of groups[0].slice(0, page)) list.append(cardFromCard(c, pipeline[0], today));
  section.append(el("h2", "column-head", pipeline[0].name));
  section.append(list);
  container.append(section);
  return count;
}
"#)]
extern "C" {
    fn now() -> f64;
    #[wasm_bindgen(js_name = whenReady)]
    fn when_ready(container: &HtmlElement, selector: &str, loading_text: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = nextFrame)]
    fn next_frame() -> js_sys::Promise;
    #[wasm_bindgen(js_name = jsOpen)]
    fn js_open(name: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = jsClose)]
    fn js_close(db: &JsValue);
    #[wasm_bindgen(js_name = jsDelete)]
    fn js_delete(name: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = jsPutAll)]
    fn js_put_all(db: &JsValue, records: &Array) -> js_sys::Promise;
    #[wasm_bindgen(js_name = jsGetAll)]
    fn js_get_all(name: &str, store: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = jsParseAll)]
    fn js_parse_all(records: &JsValue, field: &str) -> f64;
    #[wasm_bindgen(js_name = jsOpenPlainCards)]
    fn js_open_plain_cards(name: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = jsPutAllInto)]
    fn js_put_all_into(db: &JsValue, store: &str, records: &Array) -> js_sys::Promise;
    #[wasm_bindgen(js_name = plainCard)]
    fn plain_card(json: &str) -> JsValue;
    #[wasm_bindgen(js_name = jsBoardFromCards)]
    fn js_board_from_cards(
        name: &str,
        container: &HtmlElement,
        pipeline: &JsValue,
        today: &str,
        page: usize,
    ) -> js_sys::Promise;
    #[wasm_bindgen(js_name = jsStageTimes)]
    fn js_stage_times(orders: &Array, from_ms: f64, to_ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = jsBoard)]
    fn js_board(
        name: &str,
        container: &HtmlElement,
        pipeline: &JsValue,
        today: &str,
        page: usize,
        all_columns: bool,
    ) -> js_sys::Promise;
}

async fn wait(promise: js_sys::Promise) -> JsValue {
    JsFuture::from(promise).await.expect("JS promise rejected")
}

// ---- realistic orders, made by the domain's own rules ----

const COMPANIES: [&str; 16] = [
    "杭州明远纺织有限公司",
    "宁波海曙进出口贸易有限公司",
    "深圳华芯电子科技有限公司",
    "广州白云日化有限公司",
    "苏州恒力机械制造有限公司",
    "东莞市鑫达塑胶制品有限公司",
    "成都天府食品有限公司",
    "青岛海昌水产有限公司",
    "武汉光谷新材料有限公司",
    "北京中关村智能设备有限公司",
    "上海浦江包装材料有限公司",
    "天津滨海化工有限公司",
    "厦门鹭岛光电科技有限公司",
    "南京紫金医疗器械有限公司",
    "重庆两江汽车配件有限公司",
    "西安秦川精密仪器有限公司",
];
const CONTACTS: [&str; 8] = [
    "周建国",
    "林晓东",
    "黄志明",
    "何丽萍",
    "吴建华",
    "邓志强",
    "杨雪",
    "于海涛",
];
const PRODUCTS: [(&str, i64); 12] = [
    ("精梳棉纱 32S", 2350),
    ("涤纶长丝 150D", 1280),
    ("工业控制主板 V3", 128_000),
    ("电源模块 24V", 8_650),
    ("洗发水包装瓶 500ml", 135),
    ("不锈钢法兰 DN100", 18_500),
    ("注塑模具（定制）", 4_580_000),
    ("食品级不锈钢储罐 5 吨", 3_260_000),
    ("冷链保温箱 80L", 16_800),
    ("石墨烯导热膜", 4_200),
    ("智能门禁终端 X5", 219_900),
    ("五层瓦楞纸箱", 320),
];

fn sales_team() -> [Actor; 3] {
    [
        Actor::new("u-wangfang", "王芳", vec![Role::Sales]),
        Actor::new("u-sunlei", "孙磊", vec![Role::Sales]),
        Actor::new("u-zhaomin", "赵敏", vec![Role::Service]),
    ]
}

fn admin() -> Actor {
    Actor::new("u-admin", "管理员", vec![Role::Admin])
}

/// Where order `i` ends up: stage index 0..=5, or closed. About a quarter stay in the first
/// stage (the board's default tab), 5 % are completed and 5 % cancelled.
enum Fate {
    Stage(usize),
    Completed,
    Cancelled(usize),
}

fn fate(i: usize) -> Fate {
    match i % 20 {
        0..=4 => Fate::Stage(0),
        5..=7 => Fate::Stage(1),
        8..=10 => Fate::Stage(2),
        11..=13 => Fate::Stage(3),
        14..=15 => Fate::Stage(4),
        16..=17 => Fate::Stage(5),
        18 => Fate::Completed,
        _ => Fate::Cancelled(i % 3),
    }
}

struct Maker<'a> {
    pipeline: &'a Pipeline,
    processes: domain::Processes,
    order: Option<Order>,
    at: DateTime<Utc>,
}

impl Maker<'_> {
    fn run(&mut self, actor: &Actor, mutation: Mutation) {
        self.at += Duration::minutes(3);
        let ctx = Context {
            processes: &self.processes,
            actor,
            now: self.at,
        };
        let applied = apply(&ctx, self.order.as_ref(), &mutation)
            .unwrap_or_else(|e| panic!("{} failed: {e}", mutation.kind()));
        self.order = Some(applied.order);
    }

    fn id(&self) -> Uuid {
        self.order.as_ref().expect("created").id
    }

    fn tick(&mut self, stage: usize, count: usize) {
        let def = self.pipeline.stages[stage].clone();
        for item in def.checklist.iter().take(count) {
            let m = Mutation::SetChecklistItem {
                order_id: self.id(),
                stage: def.id.clone(),
                item: item.id.clone(),
                done: true,
            };
            self.run(&admin(), m);
        }
    }

    /// Finishes stage `stage` (checklist, and shipment + invoice where required) and moves on.
    fn pass(&mut self, stage: usize, i: usize) {
        self.tick(stage, usize::MAX);
        let id = self.pipeline.stages[stage].id.clone();
        if id == "delivery" {
            let m = Mutation::RecordShipment {
                order_id: self.id(),
                carrier: if i.is_multiple_of(2) {
                    "顺丰速运"
                } else {
                    "京东物流"
                }
                .into(),
                tracking_no: format!("SF14{:011}", i),
            };
            self.run(&admin(), m);
            let m = Mutation::RecordInvoice {
                order_id: self.id(),
                number: format!("0442{:06}", i),
                date: business_date(self.at),
            };
            self.run(&admin(), m);
        }
        if let Some(next) = self.pipeline.stages.get(stage + 1) {
            let m = Mutation::AdvanceStage {
                order_id: self.id(),
                from: id,
                to: next.id.clone(),
                reason: None,
            };
            self.run(&admin(), m);
        }
    }
}

/// Order `i` of a deterministic, varied set (company, items, owner, age, stage, checklist
/// progress, notes), created between 1 and 45 days before `now`. Numbers are distinct.
fn make_order(i: usize, now: DateTime<Utc>, pipeline: &Pipeline) -> Order {
    let team = sales_team();
    let owner = &team[i % team.len()];
    let age = Duration::days((i % 45) as i64 + 1) + Duration::minutes((i * 37 % 1440) as i64);
    let created = now - age;
    let items = (0..1 + i % 3)
        .map(|k| {
            let (product, fen) = PRODUCTS[(i * 5 + k * 7) % PRODUCTS.len()];
            LineItem {
                product: product.into(),
                quantity: domain::Quantity::units(10 + ((i * 13 + k * 101) % 5000) as u32),
                unit: String::new(),
                unit_price: Money(fen),
            }
        })
        .collect();
    let note = i.is_multiple_of(4).then(|| {
        format!(
            "客户希望尽快安排，第 {} 批次需确认染色与包装要求",
            i % 9 + 1
        )
    });
    let mut maker = Maker {
        pipeline,
        processes: domain::Processes::single(pipeline.clone()),
        order: None,
        at: created,
    };
    maker.run(
        owner,
        Mutation::CreateOrder {
            order_id: Uuid::from_u128(0xbe4c_0000_0000_0000_0000_0000_0000_0000 + i as u128),
            number: Some(format!("BN-2026-{i:05}")),
            customer: Customer {
                company: COMPANIES[i % COMPANIES.len()].into(),
                contact: CONTACTS[i % CONTACTS.len()].into(),
                phone: format!("138 {:04} {:04}", i / 10_000 % 10_000, i % 10_000),
                email: i.is_multiple_of(3).then(|| format!("buyer{i}@example.cn")),
                address: i
                    .is_multiple_of(5)
                    .then(|| "浙江省杭州市萧山区经济技术开发区建设一路 88 号".into()),
            },
            items,
            expected_delivery: Some(business_date(created) + Duration::days(14 + (i % 40) as i64)),
            owner: None,
            note: note.clone(),
            note_id: note.map(|_| Uuid::from_u128(0x9000_0000 + i as u128)),
        },
    );
    let (last, close) = match fate(i) {
        Fate::Stage(stage) => (stage, None),
        Fate::Completed => (pipeline.stages.len() - 1, Some(true)),
        Fate::Cancelled(stage) => (stage, Some(false)),
    };
    // The stages so far are spread over the order's age, so days-in-stage and deadlines vary.
    let step = age / (last as i32 + 2);
    for stage in 0..last {
        maker.at = created + step * (stage as i32 + 1);
        maker.pass(stage, i);
    }
    maker.at = created + step * (last as i32 + 1);
    match close {
        None => maker.tick(last, i % (pipeline.stages[last].checklist.len() + 1)),
        Some(true) => {
            maker.tick(last, usize::MAX);
            let m = Mutation::Complete {
                order_id: maker.id(),
                reason: None,
            };
            maker.run(&admin(), m);
        }
        Some(false) => {
            let m = Mutation::Cancel {
                order_id: maker.id(),
                reason: "客户预算调整，项目暂停".into(),
            };
            maker.run(&admin(), m);
        }
    }
    if i.is_multiple_of(7) {
        let m = Mutation::AddNote {
            order_id: maker.id(),
            note_id: Uuid::from_u128(0xa000_0000 + i as u128),
            text: "已电话跟进，客户确认规格无变化".into(),
        };
        maker.run(&team[(i + 1) % team.len()], m);
    }
    maker.order.expect("created")
}

thread_local! {
    static ORDERS: RefCell<Option<Rc<Vec<Order>>>> = const { RefCell::new(None) };
}

/// The first `n` orders of the shared set (built once, outside every timed section).
fn orders(n: usize) -> Rc<Vec<Order>> {
    let cached = ORDERS.with(|cell| cell.borrow().clone());
    if let Some(all) = cached.filter(|all| all.len() >= n) {
        return if all.len() == n {
            all
        } else {
            Rc::new(all[..n].to_vec())
        };
    }
    let pipeline = Pipeline::standard();
    let now = Utc::now();
    let started = now_ms();
    let all: Rc<Vec<Order>> = Rc::new((0..n).map(|i| make_order(i, now, &pipeline)).collect());
    let bytes: usize = all
        .iter()
        .map(|order| serde_json::to_string(order).unwrap().len())
        .sum();
    console_log!(
        "BENCHINFO generated {n} orders in {:.0} ms; order JSON avg {} bytes",
        now_ms() - started,
        bytes / n.max(1)
    );
    ORDERS.with(|cell| *cell.borrow_mut() = Some(Rc::clone(&all)));
    all
}

fn now_ms() -> f64 {
    now()
}

// ---- records, as app/src/storage/records.rs lays them out ----

fn set(object: &Object, key: &str, value: &JsValue) {
    Reflect::set(object, &JsValue::from_str(key), value).unwrap();
}

/// `{ id, number, stage, owner_id, due, updated, order: "<Order JSON>" }`.
fn record(order: &Order, pipeline: &Pipeline) -> JsValue {
    let json = serde_json::to_string(order).unwrap();
    let record = Object::new();
    set(&record, "id", &JsValue::from_str(&order.id.to_string()));
    set(&record, "number", &JsValue::from_str(order.number.as_str()));
    set(&record, "stage", &JsValue::from_str(order.stage.as_str()));
    set(
        &record,
        "owner_id",
        &JsValue::from_str(&order.owner.user_id),
    );
    let due = order.due_date(pipeline).format("%Y-%m-%d").to_string();
    set(&record, "due", &JsValue::from_str(&due));
    let updated = order
        .updated_at
        .to_rfc3339_opts(SecondsFormat::Millis, true);
    set(&record, "updated", &JsValue::from_str(&updated));
    set(&record, "order", &JsValue::from_str(&json));
    record.into()
}

fn records(orders: &[Order]) -> Array {
    let pipeline = Pipeline::standard();
    orders
        .iter()
        .map(|order| record(order, &pipeline))
        .collect()
}

/// Decodes a card stored as plain JS fields (the alternative layout measured in the
/// breakdown): one boundary call per field.
fn card_from_plain_fields(record: &JsValue) -> Card {
    let text = |key: &str| {
        Reflect::get(record, &JsValue::from_str(key))
            .unwrap()
            .as_string()
            .unwrap()
    };
    let number = |key: &str| {
        Reflect::get(record, &JsValue::from_str(key))
            .unwrap()
            .as_f64()
            .unwrap()
    };
    let optional_number = |key: &str| {
        Reflect::get(record, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_f64())
    };
    let time = |key: &str| text(key).parse::<DateTime<Utc>>().unwrap();
    let products: Array = Reflect::get(record, &JsValue::from_str("products"))
        .unwrap()
        .unchecked_into();
    Card {
        id: Uuid::parse_str(&text("id")).unwrap(),
        number: serde_json::from_value(serde_json::Value::String(text("number"))).unwrap(),
        company: text("company"),
        contact: text("contact"),
        phone: text("phone"),
        products: products.iter().map(|p| p.as_string().unwrap()).collect(),
        total: Money(number("total") as i64),
        owner_id: text("owner_id"),
        owner_name: text("owner_name"),
        stage: StageId::new(&text("stage")),
        entered_stage_at: time("entered_stage_at"),
        due: text("due").parse().unwrap(),
        checklist_done: number("checklist_done") as u32,
        checklist_total: number("checklist_total") as u32,
        status: serde_json::from_value(serde_json::Value::String(text("status"))).unwrap(),
        updated_at: time("updated_at"),
        // Absent unless set (the card's JSON skips empty values), as here: read like the others.
        after_sales_open: optional_number("after_sales_open").map_or(0, |n| n as u32),
        rating: optional_number("rating").map(|n| n as u8),
        // The benchmark's orders name nobody responsible, ask nobody for help and were
        // never looked up by a stranger.
        responsible: None,
        help_asked: Vec::new(),
        lookup_locked_on: None,
    }
}

// ---- measuring ----

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

fn list(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| format!("{v:.1}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Times `runs` calls after one untimed warm-up; returns every timed run.
async fn timed<F, Fut>(runs: usize, mut run: F) -> Vec<f64>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = f64>,
{
    run(usize::MAX).await;
    let mut times = Vec::with_capacity(runs);
    for n in 0..runs {
        times.push(run(n).await);
    }
    times
}

fn fresh_name(what: &str) -> String {
    format!("bench-{what}-{}", Uuid::new_v4())
}

async fn delete(name: &str) {
    Storage::delete_database(name)
        .await
        .expect("delete database");
}

fn yes(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "no"
    }
}

// ---- (a) writing 1,000 orders ----

#[wasm_bindgen_test]
async fn write_1000() {
    let orders = orders(WRITE_ORDERS);
    // Same data for the baseline, as plain JS objects built before any timing.
    let prebuilt = records(&orders);

    let mut ours = Vec::new();
    let mut baseline = Vec::new();
    // Warm-up (n == MAX) plus the timed runs; which side goes first alternates.
    for n in std::iter::once(usize::MAX).chain(0..WRITE_RUNS) {
        let ours_first = n % 2 == 0;
        let mut pair = [0.0; 2];
        for side in 0..2 {
            let is_ours = (side == 0) == ours_first;
            if is_ours {
                let name = fresh_name("write-ours");
                let storage = Storage::open_named(&name).await.expect("open");
                let started = now_ms();
                storage.put_orders(&orders).await.expect("put_orders");
                pair[0] = now_ms() - started;
                storage.close();
                delete(&name).await;
            } else {
                let name = fresh_name("write-js");
                let db = wait(js_open(&name)).await;
                let started = now_ms();
                wait(js_put_all(&db, &prebuilt)).await;
                pair[1] = now_ms() - started;
                js_close(&db);
                wait(js_delete(&name)).await;
            }
        }
        if n != usize::MAX {
            ours.push(pair[0]);
            baseline.push(pair[1]);
        }
    }

    // Where our time goes: encoding (serde_json + building the JS record) vs. the put itself.
    let pipeline = Pipeline::standard();
    let serialize = timed(WRITE_RUNS, |_| {
        let orders = Rc::clone(&orders);
        async move {
            let started = now_ms();
            let bytes: usize = orders
                .iter()
                .map(|order| serde_json::to_string(order).unwrap().len())
                .sum();
            assert!(bytes > 0);
            now_ms() - started
        }
    })
    .await;
    let encode = timed(WRITE_RUNS, |_| {
        let orders = Rc::clone(&orders);
        let pipeline = pipeline.clone();
        async move {
            let started = now_ms();
            let built: Vec<JsValue> = orders.iter().map(|o| record(o, &pipeline)).collect();
            assert_eq!(built.len(), orders.len());
            now_ms() - started
        }
    })
    .await;

    // The extra work of our path: a card per order (built, serialised) and its put.
    let encode_cards = timed(WRITE_RUNS, |_| {
        let orders = Rc::clone(&orders);
        let pipeline = pipeline.clone();
        async move {
            let started = now_ms();
            let bytes: usize = orders
                .iter()
                .map(|o| {
                    serde_json::to_string(&Card::from_order(o, &pipeline))
                        .unwrap()
                        .len()
                })
                .sum();
            assert!(bytes > 0);
            now_ms() - started
        }
    })
    .await;

    // And the facts 分析 reads (derived, serialised), written with the order since v8.
    let encode_facts = timed(WRITE_RUNS, |_| {
        let orders = Rc::clone(&orders);
        let pipeline = pipeline.clone();
        async move {
            let started = now_ms();
            let bytes: usize = orders
                .iter()
                .map(|o| {
                    serde_json::to_string(&domain::analytics::OrderFacts::of(o, &pipeline))
                        .unwrap()
                        .len()
                })
                .sum();
            assert!(bytes > 0);
            now_ms() - started
        }
    })
    .await;

    let (ours_ms, baseline_ms) = (median(&ours), median(&baseline));
    let ratio = ours_ms / baseline_ms;
    console_log!(
        "BENCHRUNS write_1000 ours=[{}] baseline=[{}]",
        list(&ours),
        list(&baseline)
    );
    console_log!(
        "BENCHPART write_1000 serde_json_to_string_ms={:.1} encode_order_records_ms={:.1} \
         encode_cards_ms={:.1} encode_facts_ms={:.1} put_part_ms={:.1}",
        median(&serialize),
        median(&encode),
        median(&encode_cards),
        median(&encode_facts),
        ours_ms - median(&encode) - median(&encode_cards) - median(&encode_facts)
    );
    console_log!(
        "BENCH write_1000 ours_ms={ours_ms:.1} baseline_ms={baseline_ms:.1} ratio={ratio:.2} \
         target_ratio={WRITE_TARGET_RATIO} pass={}",
        yes(ratio <= WRITE_TARGET_RATIO)
    );
}

// ---- (b) opening the board with 10,000 orders on the device ----

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn fresh_container() -> HtmlElement {
    let container: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&container).unwrap();
    container
}

thread_local! {
    static STATE: RefCell<Option<AppState>> = const { RefCell::new(None) };
}

/// The board with the app's state, as app/tests/browser.rs mounts it; also hands the state to
/// the benchmark (for the re-render measurement).
#[component]
fn BoardWithState() -> impl IntoView {
    let state = provide_app_state();
    STATE.with(|cell| *cell.borrow_mut() = Some(state));
    view! {
        <Router>
            <BoardPage />
        </Router>
    }
}

fn mount_board(container: &HtmlElement) -> leptos::mount::UnmountHandle<impl Mountable> {
    leptos::mount::mount_to(container.clone(), || {
        view! {
            <LanguageProvider>
                <BoardWithState />
            </LanguageProvider>
        }
    })
}

/// 分析 with the app's state, mounted the way the desk bundle's router does.
#[component]
fn AnalyticsWithState() -> impl IntoView {
    provide_app_state();
    view! {
        <Router>
            <AnalyticsPage />
        </Router>
    }
}

/// Opens 分析 on the device's database: ms until its figures are drawn (the weekly flow is the
/// last panel, drawn once the dashboard is computed).
async fn ours_analytics_once() -> f64 {
    let container = fresh_container();
    let started = now_ms();
    let mounted = leptos::mount::mount_to(container.clone(), || {
        view! {
            <LanguageProvider>
                <AnalyticsWithState />
            </LanguageProvider>
        }
    });
    let ready = wait(when_ready(
        &container,
        "[data-testid=weekly-flow] .column-labels li",
        LOADING_TEXT,
    ))
    .await
    .as_f64()
    .unwrap();
    drop(mounted);
    container.remove();
    wait(next_frame()).await;
    ready - started
}

/// Opening 分析 with 10,000 orders on the device, against opening the board on the same
/// database in the same run (alternating, so machine load hits both alike).
#[wasm_bindgen_test]
async fn open_analytics_10000() {
    let orders = orders(BOARD_ORDERS);
    delete(DB_NAME).await;
    {
        let storage = Storage::open().await.expect("open");
        storage.put_orders(&orders).await.expect("put_orders");
    }
    chinese();
    let mut analytics = Vec::new();
    let mut board = Vec::new();
    for n in std::iter::once(usize::MAX).chain(0..BOARD_RUNS) {
        let timed_run = n != usize::MAX;
        for side in 0..2 {
            if (side + n % 2) % 2 == 0 {
                let took = ours_analytics_once().await;
                if timed_run {
                    analytics.push(took);
                }
            } else {
                let (ready, _, _) = ours_board_once().await;
                if timed_run {
                    board.push(ready);
                }
            }
        }
    }
    // Where the time goes: the two reads each screen makes of the same database.
    let (mut cards_reads, mut facts_reads) = (Vec::new(), Vec::new());
    {
        let storage = Storage::open().await.expect("open");
        for _ in 0..3 {
            let started = now_ms();
            storage.load_cards().await.expect("cards");
            cards_reads.push(now_ms() - started);
            let started = now_ms();
            storage.load_facts().await.expect("facts");
            facts_reads.push(now_ms() - started);
        }
    }
    // Of the facts read, IndexedDB's getAll alone (the rest is decoding them).
    let mut facts_get_all = Vec::new();
    for _ in 0..3 {
        let started = now_ms();
        wait(js_get_all(DB_NAME, "facts")).await;
        facts_get_all.push(now_ms() - started);
    }
    console_log!(
        "BENCHPART open_analytics_10000 load_cards_ms={:.1} load_facts_ms={:.1} \
         facts_get_all_ms={:.1}",
        median(&cards_reads),
        median(&facts_reads),
        median(&facts_get_all)
    );
    let (ours_ms, baseline_ms) = (median(&analytics), median(&board));
    let ratio = ours_ms / baseline_ms.max(0.1);
    console_log!(
        "BENCHRUNS open_analytics_10000 ours=[{}] baseline=[{}]",
        list(&analytics),
        list(&board)
    );
    console_log!(
        "BENCH open_analytics_10000 ours_ms={ours_ms:.1} baseline_ms={baseline_ms:.1} \
         ratio={ratio:.2} target_ratio={OPEN_ANALYTICS_TARGET_RATIO} pass={}",
        yes(ratio <= OPEN_ANALYTICS_TARGET_RATIO)
    );
}

/// Chinese UI, as for a first-time user.
fn chinese() {
    let document: HtmlDocument = document().unchecked_into();
    document
        .set_cookie("i18n_pref_locale=; path=/; max-age=0")
        .unwrap();
}

const FIRST_COLUMN_CARDS: &str = "[data-column=\"0\"] [data-testid=order-card]";

/// The stages as the baseline needs them: `[{ id, name, checklist: [item ids] }]`.
fn pipeline_js(pipeline: &Pipeline) -> JsValue {
    let stages: Array = pipeline
        .stages
        .iter()
        .map(|stage| {
            let object = Object::new();
            set(&object, "id", &JsValue::from_str(stage.id.as_str()));
            set(
                &object,
                "name",
                &JsValue::from_str(stage.name.get(domain::Lang::Zh)),
            );
            let checklist: Array = stage
                .checklist
                .iter()
                .map(|item| JsValue::from_str(&item.id))
                .collect();
            set(&object, "checklist", &checklist);
            JsValue::from(object)
        })
        .collect();
    stages.into()
}

/// Forces style and layout of what was just built (unstyled: the test page has no CSS).
fn layout(container: &HtmlElement) -> i32 {
    container.offset_height()
}

/// Mounts the board on the stored orders and waits until it shows them: (ms until the first
/// column's cards are in the DOM, ms until laid out, cards rendered).
async fn ours_board_once() -> (f64, f64, u32) {
    let container = fresh_container();
    let started = now_ms();
    let mounted = mount_board(&container);
    let ready = wait(when_ready(&container, FIRST_COLUMN_CARDS, LOADING_TEXT))
        .await
        .as_f64()
        .unwrap();
    layout(&container);
    let laid_out = now_ms();
    let cards = container
        .query_selector_all("[data-testid=order-card]")
        .unwrap()
        .length();
    drop(mounted);
    container.remove();
    STATE.with(|cell| cell.borrow_mut().take());
    wait(next_frame()).await;
    (ready - started, laid_out - started, cards)
}

/// The plain-JS board on the same database: (ms until its cards are in the DOM, until laid out).
async fn baseline_board_once(stages: &JsValue, today: &str, all_columns: bool) -> (f64, f64) {
    let container = fresh_container();
    let started = now_ms();
    let count = wait(js_board(
        DB_NAME,
        &container,
        stages,
        today,
        PAGE,
        all_columns,
    ))
    .await;
    let ready = now_ms();
    layout(&container);
    let laid_out = now_ms();
    assert_eq!(count.as_f64(), Some(BOARD_ORDERS as f64));
    assert!(container
        .query_selector(FIRST_COLUMN_CARDS)
        .unwrap()
        .is_some());
    container.remove();
    wait(next_frame()).await;
    (ready - started, laid_out - started)
}

/// The same-layout baseline (plain JS on the `cards` store) on the same database: ms until
/// its first column's cards are in the DOM.
async fn same_layout_board_once(stages: &JsValue, today: &str) -> f64 {
    let container = fresh_container();
    let started = now_ms();
    let count = wait(js_board_from_cards(
        DB_NAME, &container, stages, today, PAGE,
    ))
    .await;
    let ready = now_ms() - started;
    assert_eq!(count.as_f64(), Some(BOARD_ORDERS as f64));
    assert!(container
        .query_selector(FIRST_COLUMN_CARDS)
        .unwrap()
        .is_some());
    container.remove();
    wait(next_frame()).await;
    ready
}

#[wasm_bindgen_test]
async fn open_board_10000() {
    let orders = orders(BOARD_ORDERS);
    let pipeline = Pipeline::standard();
    // The device's database, with 10,000 orders (and their cards) in it (untimed).
    delete(DB_NAME).await;
    {
        let storage = Storage::open().await.expect("open");
        storage.put_orders(&orders).await.expect("put_orders");
    }
    chinese();

    // Each run: ours and the three baselines, the order rotating, so that load from elsewhere
    // on the machine hits every side alike. Ours: mount the board (opens storage, loads the
    // cards, groups, renders) until the first column's cards are in the DOM and the loading
    // notice is gone. The issue's baseline: plain JS reading every full order from `orders`,
    // first column's page only (the comparison the target is about); "all columns" renders
    // every column's page, as the board does. The same-layout baseline: plain JS reading the
    // `cards` store the app reads, first column's page.
    let stages = pipeline_js(&pipeline);
    let today = format::today().format("%Y-%m-%d").to_string();
    let mut ours = Vec::new();
    let mut ours_layout = Vec::new();
    let mut baseline = Vec::new();
    let mut baseline_layout = Vec::new();
    let mut baseline_all = Vec::new();
    let mut same_layout = Vec::new();
    let mut cards_rendered = 0;
    for n in std::iter::once(usize::MAX).chain(0..BOARD_RUNS) {
        let timed_run = n != usize::MAX;
        for side in 0..4 {
            match (side + n % 4) % 4 {
                0 => {
                    let (ready, laid_out, cards) = ours_board_once().await;
                    cards_rendered = cards;
                    if timed_run {
                        ours.push(ready);
                        ours_layout.push(laid_out);
                    }
                }
                3 => {
                    let ready = same_layout_board_once(&stages, &today).await;
                    if timed_run {
                        same_layout.push(ready);
                    }
                }
                which => {
                    let all_columns = which == 2;
                    let (ready, laid_out) = baseline_board_once(&stages, &today, all_columns).await;
                    match (timed_run, all_columns) {
                        (false, _) => {}
                        (true, true) => baseline_all.push(ready),
                        (true, false) => {
                            baseline.push(ready);
                            baseline_layout.push(laid_out);
                        }
                    }
                }
            }
        }
    }

    // Where our time goes, piece by piece, by calling the store and the domain directly:
    // what `state.rs` does at start, in the same order.
    let mut parts: Vec<(&str, Vec<f64>)> = Vec::new();
    let mut open_t = Vec::new();
    let mut meta_t = Vec::new();
    let mut load_t = Vec::new();
    let mut pending_t = Vec::new();
    let mut loaded = Vec::new();
    for n in 0..=BOARD_RUNS {
        let t0 = now_ms();
        let storage = Storage::open().await.expect("open");
        let t1 = now_ms();
        storage.device_id().await.expect("device id");
        let _: Option<serde_json::Value> = storage.get_setting("session").await.expect("session");
        let t2 = now_ms();
        loaded = storage.load_cards().await.expect("load");
        let t3 = now_ms();
        storage.pending_order_ids().await.expect("pending");
        let t4 = now_ms();
        if n > 0 {
            open_t.push(t1 - t0);
            meta_t.push(t2 - t1);
            load_t.push(t3 - t2);
            pending_t.push(t4 - t3);
        }
    }
    assert_eq!(loaded.len(), BOARD_ORDERS);
    parts.push(("storage_open_ms", open_t));
    parts.push(("device_id_session_ms", meta_t));
    parts.push(("load_cards_ms", load_t));
    parts.push(("pending_ids_ms", pending_t));

    // Inside load_cards: the getAll of the card buckets, their strings crossing into Rust,
    // serde.
    let mut getall_t = Vec::new();
    let mut strings_t = Vec::new();
    let mut serde_t = Vec::new();
    let mut js_parse_t = Vec::new();
    for n in 0..=BOARD_RUNS {
        let t0 = now_ms();
        let raw = wait(js_get_all(DB_NAME, "cards")).await;
        let t1 = now_ms();
        let array: Array = raw.clone().unchecked_into();
        let key = JsValue::from_str("cards");
        let jsons: Vec<String> = array
            .iter()
            .map(|record| Reflect::get(&record, &key).unwrap().as_string().unwrap())
            .collect();
        let t2 = now_ms();
        let decoded: Vec<Card> = jsons
            .iter()
            .flat_map(|json| serde_json::from_str::<Vec<Card>>(json).unwrap())
            .collect();
        let t3 = now_ms();
        js_parse_all(&raw, "cards");
        let t4 = now_ms();
        assert_eq!(decoded.len(), BOARD_ORDERS);
        if n > 0 {
            getall_t.push(t1 - t0);
            strings_t.push(t2 - t1);
            serde_t.push(t3 - t2);
            js_parse_t.push(t4 - t3);
        }
    }
    parts.push(("getall_card_buckets_only_ms", getall_t));
    parts.push(("card_bucket_strings_to_rust_ms", strings_t));
    parts.push(("serde_cards_from_str_ms", serde_t));
    parts.push(("js_json_parse_cards_ms", js_parse_t));

    // A layout not chosen: one record per card, as plain JS fields (getAll, then one boundary
    // call per field). Its getAll + decode compare with the three parts above.
    let plain_name = fresh_name("plain-cards");
    let plain_db = wait(js_open_plain_cards(&plain_name)).await;
    let plain_records: Array = loaded
        .iter()
        .map(|card| plain_card(&serde_json::to_string(card).unwrap()))
        .collect();
    wait(js_put_all_into(&plain_db, "cards", &plain_records)).await;
    js_close(&plain_db);
    let mut plain_getall_t = Vec::new();
    let mut plain_decode_t = Vec::new();
    for n in 0..=BOARD_RUNS {
        let t0 = now_ms();
        let raw = wait(js_get_all(&plain_name, "cards")).await;
        let t1 = now_ms();
        let decoded: Vec<Card> = Array::from(&raw)
            .iter()
            .map(|record| card_from_plain_fields(&record))
            .collect();
        let t2 = now_ms();
        assert_eq!(decoded.len(), BOARD_ORDERS);
        if n > 0 {
            plain_getall_t.push(t1 - t0);
            plain_decode_t.push(t2 - t1);
        }
    }
    wait(js_delete(&plain_name)).await;
    parts.push(("alt_getall_plain_field_cards_ms", plain_getall_t));
    parts.push(("alt_decode_plain_fields_ms", plain_decode_t));

    let mut map_t = Vec::new();
    let mut columns_t = Vec::new();
    let mut clone_t = Vec::new();
    let today_date = format::today();
    for n in 0..=BOARD_RUNS {
        let copy = loaded.clone();
        let t0 = now_ms();
        let map: HashMap<Uuid, Card> = copy.into_iter().map(|c| (c.id, c)).collect();
        let t1 = now_ms();
        let grouped = columns(
            map.values(),
            &BoardFilter::default(),
            "device-bench",
            &pipeline,
            today_date,
        );
        let t2 = now_ms();
        let pages: Vec<Vec<Card>> = grouped
            .stages
            .iter()
            .chain(std::iter::once(&grouped.closed))
            .map(|column| column.iter().take(PAGE).map(|c| (*c).clone()).collect())
            .collect();
        let t3 = now_ms();
        assert!(!pages[0].is_empty());
        if n > 0 {
            map_t.push(t1 - t0);
            columns_t.push(t2 - t1);
            clone_t.push(t3 - t2);
        }
    }
    parts.push(("hashmap_collect_ms", map_t));
    parts.push(("domain_columns_ms", columns_t));
    parts.push(("clone_page_cards_ms", clone_t));
    console_log!(
        "BENCHINFO open_board_10000 order JSON avg {} bytes (history {} bytes), not read by the \
         board; card JSON avg {} bytes",
        orders
            .iter()
            .map(|o| serde_json::to_string(o).unwrap().len())
            .sum::<usize>()
            / BOARD_ORDERS,
        orders
            .iter()
            .map(|o| serde_json::to_string(&o.history).unwrap().len())
            .sum::<usize>()
            / BOARD_ORDERS,
        loaded
            .iter()
            .map(|c| serde_json::to_string(c).unwrap().len())
            .sum::<usize>()
            / BOARD_ORDERS,
    );

    // Re-render: with the board mounted and loaded, replace the cards (without the first
    // card) and wait for the new first card: memo (columns + clones) + every column rebuilt,
    // with cards for the columns on screen (every column on a wide window, the selected one
    // on a narrow one; `cards_rendered_by_board` says which).
    let container = fresh_container();
    let mounted = mount_board(&container);
    wait(when_ready(&container, FIRST_COLUMN_CARDS, LOADING_TEXT)).await;
    let state = STATE.with(|cell| cell.borrow().expect("state"));
    let full: HashMap<Uuid, Card> = loaded.iter().map(|c| (c.id, c.clone())).collect();
    let mut rerender_t = Vec::new();
    for n in 0..=BOARD_RUNS {
        let first = container
            .query_selector(FIRST_COLUMN_CARDS)
            .unwrap()
            .unwrap()
            .get_attribute("data-number")
            .unwrap();
        let mut next = full.clone();
        if n % 2 == 0 {
            next.retain(|_, c| c.number.as_str() != first);
        }
        // The first card of the first column is another order once the board has re-rendered.
        let changed = format!(
            "[data-column=\"0\"] .card-list > li:first-child:not([data-number=\"{first}\"])"
        );
        let rendered = when_ready(&container, &changed, LOADING_TEXT);
        let t0 = now_ms();
        state.cards.set(next);
        let done = wait(rendered).await.as_f64().unwrap();
        if n > 0 {
            rerender_t.push(done - t0);
        }
    }
    parts.push(("rerender_after_cards_change_ms", rerender_t));
    drop(mounted);
    container.remove();
    STATE.with(|cell| cell.borrow_mut().take());
    wait(next_frame()).await;
    delete(DB_NAME).await;

    let ours_ms = median(&ours);
    let baseline_ms = median(&baseline);
    let ratio = ours_ms / baseline_ms;
    let same_layout_ms = median(&same_layout);
    let same_layout_ratio = ours_ms / same_layout_ms;
    console_log!(
        "BENCHRUNS open_board_10000 ours=[{}] baseline=[{}] baseline_all_columns=[{}] \
         same_layout_baseline=[{}]",
        list(&ours),
        list(&baseline),
        list(&baseline_all),
        list(&same_layout)
    );
    for (name, times) in &parts {
        console_log!("BENCHPART open_board_10000 {name}={:.1}", median(times));
    }
    console_log!(
        "BENCHPART open_board_10000 cards_rendered_by_board={cards_rendered} \
         ours_with_layout_ms={:.1} baseline_with_layout_ms={:.1} baseline_all_columns_ms={:.1}",
        median(&ours_layout),
        median(&baseline_layout),
        median(&baseline_all)
    );
    console_log!(
        "BENCH open_board_10000 ours_ms={ours_ms:.1} baseline_ms={baseline_ms:.1} \
         ratio={ratio:.2} target_ratio={BOARD_TARGET_RATIO} under_{BOARD_TARGET_MS:.0}ms={} \
         pass={} same_layout_baseline_ms={same_layout_ms:.1} \
         same_layout_ratio={same_layout_ratio:.2}",
        yes(ours_ms < BOARD_TARGET_MS),
        yes(ratio <= BOARD_TARGET_RATIO && ours_ms < BOARD_TARGET_MS)
    );
}

// ---- (b2) the board on 10,000 orders spread over three process versions ----

/// Versions 2 and 3 as an admin makes them: 报价 after 需求确认, then 生产/备货 and 质检.
fn three_versions() -> domain::Processes {
    use domain::{process_editor::StageTemplate, DraftEdit, ProcessDraft, ProcessVersion};
    let author = domain::StaffRef::new("u-admin", "管理员");
    let mut processes = domain::Processes::standard();
    for step in 0..2 {
        let base: ProcessVersion = processes.current().clone();
        let mut draft = ProcessDraft::from_version(&base);
        if step == 0 {
            let quote = StageTemplate::Quotation.stage(StageId::new("quote"));
            let after = Some(StageId::new("requirement"));
            draft
                .edit(
                    &base,
                    DraftEdit::Add {
                        after,
                        stage: quote,
                    },
                )
                .unwrap();
        } else {
            let mut production = draft
                .stages
                .iter()
                .find(|s| s.id == "production")
                .unwrap()
                .clone();
            production.name = domain::Localized::new("生产/备货", "Production / stock");
            draft
                .edit(&base, DraftEdit::Update { stage: production })
                .unwrap();
            let inspection = StageTemplate::Inspection.stage(StageId::new("inspection"));
            let after = Some(StageId::new("after_sales"));
            draft
                .edit(
                    &base,
                    DraftEdit::Add {
                        after,
                        stage: inspection,
                    },
                )
                .unwrap();
        }
        let published = processes
            .publish(&draft, author.clone(), "bench", Utc::now())
            .unwrap();
        processes = domain::Processes::new(processes.versions().cloned().chain([published]));
    }
    processes
}

/// Opening the board (as `open_board_10000` times it) on the same 10,000 orders twice: all on
/// version 1, then spread evenly over versions 1, 2 and 3 with those versions stored on the
/// device. Target: within 1.1× of the one-version figure.
#[wasm_bindgen_test]
async fn open_board_10000_three_versions() {
    let orders = orders(BOARD_ORDERS);
    let processes = three_versions();
    let mut medians = Vec::new();
    for spread in [false, true] {
        delete(DB_NAME).await;
        {
            let storage = Storage::open().await.expect("open");
            if spread {
                let versions: Vec<_> = processes.versions().cloned().collect();
                storage
                    .put_process_versions(&versions)
                    .await
                    .expect("put versions");
                let spread: Vec<Order> = orders
                    .iter()
                    .enumerate()
                    .map(|(i, order)| Order {
                        process_version: 1 + (i % 3) as u32,
                        ..order.clone()
                    })
                    .collect();
                storage.put_orders(&spread).await.expect("put_orders");
            } else {
                storage.put_orders(&orders).await.expect("put_orders");
            }
        }
        chinese();
        let mut times = Vec::new();
        let mut cards = 0;
        // One untimed warm-up, then the timed runs.
        for n in 0..=BOARD_RUNS {
            let (ready, _, rendered) = ours_board_once().await;
            cards = rendered;
            if n > 0 {
                times.push(ready);
            }
        }
        assert!(cards > 0, "the board showed cards");
        console_log!(
            "BENCHRUNS open_board_10000_versions spread={spread} runs=[{}]",
            list(&times)
        );
        medians.push(median(&times));
    }
    let (one, three) = (medians[0], medians[1]);
    let ratio = three / one;
    console_log!(
        "BENCH open_board_10000_versions three_versions_ms={three:.1} one_version_ms={one:.1} \
         ratio={ratio:.2} target_ratio=1.1 pass={}",
        yes(ratio <= 1.1)
    );
}

// ---- (c) 分析 over 10,000 orders ----

/// The whole 分析 dashboard over the device's 10,000 orders (their facts in memory, as the
/// screen holds them once loaded from the `facts` store) against plain JS computing only the
/// stage-time percentiles from the same visits (plain objects, also built before timing); the
/// two must agree on every stage's median.
#[wasm_bindgen_test]
async fn analytics_10000() {
    use domain::analytics::{dashboard, dashboard_of, facts_of, Filter, Period};
    let orders = orders(BOARD_ORDERS);
    let pipeline = Pipeline::standard();
    let now = Utc::now();
    // Everything the orders span: from the earliest stage entry to today.
    let earliest = orders
        .iter()
        .flat_map(|o| o.stages.first())
        .map(|v| v.entered_at)
        .min()
        .unwrap();
    let period = Period {
        from: business_date(earliest),
        to: business_date(now),
    };
    // The business dates as instants (China midnight to the next one), for the JS side.
    let day_start = |date: chrono::NaiveDate| {
        (date.and_hms_opt(0, 0, 0).unwrap().and_utc() - Duration::hours(8)).timestamp_millis()
            as f64
    };
    let (from_ms, to_ms) = (
        day_start(period.from),
        day_start(period.to + Duration::days(1)) - 1.0,
    );
    let visits = Array::new();
    for order in orders.iter() {
        let stages = Array::new();
        for visit in &order.stages {
            let v = Object::new();
            set(&v, "stage", &JsValue::from_str(visit.stage.as_str()));
            set(
                &v,
                "entered",
                &JsValue::from_f64(visit.entered_at.timestamp_millis() as f64),
            );
            set(
                &v,
                "left",
                &visit.left_at.map_or(JsValue::NULL, |at| {
                    JsValue::from_f64(at.timestamp_millis() as f64)
                }),
            );
            stages.push(&v);
        }
        let o = Object::new();
        set(&o, "stages", &stages);
        visits.push(&o);
    }

    // What the device derives once per order when it writes it (not part of opening 分析).
    let started = now_ms();
    let facts = facts_of(orders.iter(), &pipeline);
    let facts_ms = now_ms() - started;
    // The same dashboard straight from the full orders (facts derived on the way), once.
    let started = now_ms();
    let from_orders = dashboard(&orders, period, &Filter::default(), now, &pipeline);
    let from_orders_ms = now_ms() - started;

    let mut ours = Vec::new();
    let mut baseline = Vec::new();
    let mut board = None;
    let mut theirs = JsValue::NULL;
    for n in std::iter::once(usize::MAX).chain(0..ANALYTICS_RUNS) {
        let started = now_ms();
        let computed = dashboard_of(&facts, period, &Filter::default(), now, &pipeline);
        let took = now_ms() - started;
        let started = now_ms();
        let js = js_stage_times(&visits, from_ms, to_ms);
        let js_took = now_ms() - started;
        if n != usize::MAX {
            ours.push(took);
            baseline.push(js_took);
        }
        board = Some(computed);
        theirs = js;
        next_frame_wait().await;
    }
    let board = board.unwrap();
    assert_eq!(
        board, from_orders,
        "the dashboard from facts differs from the one from orders"
    );
    let same = board.stages.iter().all(|stage| {
        let js = Reflect::get(&theirs, &JsValue::from_str(stage.stage.as_str())).unwrap();
        match stage.spread {
            None => js.is_undefined(),
            Some(spread) => {
                let js: Array = js.unchecked_into();
                js.get(0).as_f64() == Some(spread.p50 as f64)
                    && js.get(1).as_f64() == Some(spread.p80 as f64)
                    && js.get(2).as_f64() == Some(spread.p95 as f64)
            }
        }
    });
    assert!(
        same,
        "ours and the baseline disagree on a stage's percentiles"
    );
    let (ours_ms, baseline_ms) = (median(&ours), median(&baseline));
    let ratio = ours_ms / baseline_ms.max(0.1);
    console_log!(
        "BENCHRUNS analytics_10000 ours=[{}] baseline=[{}]",
        list(&ours),
        list(&baseline)
    );
    console_log!(
        "BENCHPART analytics_10000 derive_facts_once_ms={facts_ms:.1} \
         dashboard_from_full_orders_ms={from_orders_ms:.1}"
    );
    console_log!(
        "BENCH analytics_10000 ours_ms={ours_ms:.1} baseline_ms={baseline_ms:.1} \
         ratio={ratio:.2} target_ratio={ANALYTICS_TARGET_RATIO} under_{ANALYTICS_TARGET_MS:.0}ms={} \
         pass={} same=yes",
        yes(ours_ms < ANALYTICS_TARGET_MS),
        yes(ratio <= ANALYTICS_TARGET_RATIO && ours_ms < ANALYTICS_TARGET_MS)
    );
}

async fn next_frame_wait() {
    wait(next_frame()).await;
}

// ---- (e) downscaling a 12-megapixel photo on the phone ----

const DOWNSCALE_RUNS: usize = 5;

#[wasm_bindgen(inline_js = r#"
export async function twelve_megapixel_jpeg() {
  // A camera-sized picture with detail across it (text, strokes, a gradient), encoded as a
  // camera would: 4000 x 3000, JPEG quality 0.92.
  const canvas = new OffscreenCanvas(4000, 3000);
  const context = canvas.getContext('2d');
  const gradient = context.createLinearGradient(0, 0, 4000, 3000);
  gradient.addColorStop(0, '#f5f1e6');
  gradient.addColorStop(1, '#9a8f78');
  context.fillStyle = gradient;
  context.fillRect(0, 0, 4000, 3000);
  context.fillStyle = '#1a3d7c';
  context.font = '90px sans-serif';
  for (let row = 0; row < 28; row += 1) {
    context.fillText(`签收单 No.${1000 + row} 货品 数量 签字 SIGNED ${'*'.repeat(row % 7)}`, 80, 110 + row * 105);
  }
  context.strokeStyle = '#b00';
  context.lineWidth = 24;
  context.beginPath();
  context.arc(3000, 2100, 500, 0, Math.PI * 2);
  context.stroke();
  return canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
}

// The same steps in plain JS: decode, draw at 2048 px and at 320 px, encode both as JPEG.
export async function downscale_in_js(blob) {
  const start = performance.now();
  const bitmap = await createImageBitmap(blob);
  for (const [side, quality] of [[2048, 0.8], [320, 0.7]]) {
    const scale = side / Math.max(bitmap.width, bitmap.height);
    const canvas = new OffscreenCanvas(Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const out = await canvas.convertToBlob({ type: 'image/jpeg', quality });
    await out.arrayBuffer();
  }
  bitmap.close();
  return performance.now() - start;
}
"#)]
extern "C" {
    fn twelve_megapixel_jpeg() -> js_sys::Promise;
    fn downscale_in_js(blob: &web_sys::Blob) -> js_sys::Promise;
}

/// `photo::prepare` on a 12-megapixel JPEG: decoded by the browser, drawn at 2048 px and as a
/// 320 px thumbnail, both encoded and hashed. Next to it the same decode/draw/encode steps in
/// plain JS (no hashing), to show what the WASM side adds.
#[wasm_bindgen_test]
async fn downscale_12mp() {
    let blob: web_sys::Blob = JsFuture::from(twelve_megapixel_jpeg())
        .await
        .unwrap()
        .unchecked_into();
    let size = blob.size();
    let mut ours = Vec::new();
    let mut baseline = Vec::new();
    for run in 0..=DOWNSCALE_RUNS {
        let start = now_ms();
        let prepared = app::photo::prepare(&blob).await.unwrap();
        let ours_ms = now_ms() - start;
        let js_ms = JsFuture::from(downscale_in_js(&blob))
            .await
            .unwrap()
            .as_f64()
            .unwrap();
        assert!(prepared.file.bytes.len() < size as usize);
        // The first run warms the decoder up.
        if run > 0 {
            ours.push(ours_ms);
            baseline.push(js_ms);
        }
    }
    let (ours_ms, baseline_ms) = (median(&ours), median(&baseline));
    console_log!(
        "BENCHRUNS downscale_12mp ours=[{}] baseline=[{}]",
        list(&ours),
        list(&baseline)
    );
    console_log!(
        "BENCH downscale_12mp ours_ms={ours_ms:.1} baseline_ms={baseline_ms:.1} ratio={:.2} \
         jpeg_kib={:.0}",
        ours_ms / baseline_ms,
        size / 1024.0
    );
}
