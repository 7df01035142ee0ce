//! The shape of what is stored: JS objects with a few top-level fields (keys and index values)
//! and the domain value itself as a JSON **string**.
//!
//! Why a JSON string and not a structured-clone object built with serde-wasm-bindgen:
//! * exact round trips: serde_json is the same encoding the worker stores in D1 and sends on
//!   the wire, so `i64` money beyond 2^53, `u64` seqs, `Option`/`None`, `Some(None)` (the
//!   `double_option` fields of `FieldChanges`) and map keys behave exactly as everywhere else;
//!   serde-wasm-bindgen would need `json_compatible()` and still refuses numbers > 2^53;
//! * speed: one string crosses the wasm boundary per record instead of one JS call per field,
//!   and structured clone of a flat string is the cheapest thing IndexedDB can store;
//! * forward compatibility: a newer/older `Order` shape is a serde question, not a JS one.
//!
//! Only the fields IndexedDB must see (key path, index values) live outside the string.
//!
//! A `cards` record is `{ bucket, cards: "<JSON array of Card>" }` (a `facts` record likewise,
//! with bytes instead of JSON since v9: see `BucketEntry for OrderFacts`): a few large strings cross
//! into Rust instead of one string or ~16 plain JS fields per card (measured in
//! `app/tests/bench.rs`: decoding plain fields through the wasm boundary cost more than
//! IndexedDB's getAll itself).

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use domain::analytics::{pack_facts, unpack_facts, OrderFacts};
use domain::{Card, Mutation, Order, PendingMutation, Pipeline};
use js_sys::{Object, Reflect, Uint8Array};
use uuid::Uuid;
use wasm_bindgen::{JsCast, JsValue};

use super::StorageError;

// `orders` record fields.
pub(crate) const ID: &str = "id";
pub(crate) const NUMBER: &str = "number";
pub(crate) const STAGE: &str = "stage";
pub(crate) const OWNER_ID: &str = "owner_id";
pub(crate) const DUE: &str = "due";
pub(crate) const UPDATED: &str = "updated";
pub(crate) const ORDER: &str = "order";
/// `bases` records (v4): the server's version of an order with unsynced changes.
pub(crate) const BASE: &str = "base";

// `cards` record fields. The board reads every card at start, and with one record per card
// the per-record cost of IndexedDB dominated both reading (getAll) and writing (one put per
// order written): cards are grouped into `CARD_BUCKETS` records by order id instead.
pub(crate) const BUCKET: &str = "bucket";
pub(crate) const CARDS_FIELD: &str = "cards";
/// `facts` records (v8) are bucketed like cards: `{ bucket, facts: <OrderFacts packed> }`
/// (a JSON string until v9, bytes since).
pub(crate) const FACTS_FIELD: &str = "facts";
/// Part of the schema: changing it needs an upgrade step that regroups the cards.
pub(crate) const CARD_BUCKETS: u32 = 32;

/// The `files` store: keyed by the content hash; `waiting` is set (and indexed) until uploaded.
pub(crate) const SHA256: &str = "sha256";
pub(crate) const WAITING: &str = "waiting";

// `pending` record fields.
pub(crate) const SEQ: &str = "seq";
pub(crate) const ORDER_ID: &str = "order_id";
const KIND: &str = "kind";
const DEVICE_TIME: &str = "device_time";
const MUTATION: &str = "mutation";

// `meta` record fields.
pub(crate) const KEY: &str = "key";
pub(crate) const VALUE: &str = "value";

fn set(object: &Object, key: &str, value: &JsValue) -> Result<(), StorageError> {
    Reflect::set(object, &JsValue::from_str(key), value)
        .map(|_| ())
        .map_err(|e| StorageError::from_js(&e))
}

fn get(record: &JsValue, key: &str) -> JsValue {
    Reflect::get(record, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn get_string(record: &JsValue, key: &str, what: &str) -> Result<String, StorageError> {
    get(record, key)
        .as_string()
        .ok_or_else(|| StorageError::corrupt(format!("{what}: field `{key}` is not a string")))
}

/// `updated` is an index value, so it must sort like time: fixed-width UTC with milliseconds.
fn sortable_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `{ id, number, stage, owner_id, due, updated, order: "<Order JSON>" }`. `pipeline` is passed in
/// so writing many orders builds the standard pipeline once.
pub(crate) fn order_record(order: &Order, pipeline: &Pipeline) -> Result<JsValue, StorageError> {
    let json = serde_json::to_string(order).map_err(|e| StorageError::Other(e.to_string()))?;
    let record = Object::new();
    set(&record, ID, &JsValue::from_str(&order.id.to_string()))?;
    set(&record, NUMBER, &JsValue::from_str(order.number.as_str()))?;
    set(&record, STAGE, &JsValue::from_str(order.stage.as_str()))?;
    set(&record, OWNER_ID, &JsValue::from_str(&order.owner.user_id))?;
    // NaiveDate's Display is %Y-%m-%d (and needs no strftime parser).
    let due = order.due_date(pipeline).to_string();
    set(&record, DUE, &JsValue::from_str(&due))?;
    set(
        &record,
        UPDATED,
        &JsValue::from_str(&sortable_time(order.updated_at)),
    )?;
    set(&record, ORDER, &JsValue::from_str(&json))?;
    Ok(record.into())
}

/// The order's JSON as stored in an `orders` record, undecoded.
pub(crate) fn order_json(record: &JsValue) -> Result<String, StorageError> {
    get_string(record, ORDER, "order record")
}

/// `{ id, base: "<Order JSON>" | null }` (`bases` store, v4).
pub(crate) fn base_record(id: Uuid, base: Option<&str>) -> JsValue {
    let record = Object::new();
    let _ = Reflect::set(
        &record,
        &JsValue::from_str(ID),
        &JsValue::from_str(&id.to_string()),
    );
    let value = base.map_or(JsValue::NULL, JsValue::from_str);
    let _ = Reflect::set(&record, &JsValue::from_str(BASE), &value);
    record.into()
}

/// A `bases` record: the order id and the server's version (`None`: created on this device).
pub(crate) fn decode_base(record: &JsValue) -> Result<(Uuid, Option<Order>), StorageError> {
    let id = get_string(record, ID, "base record")?;
    let id = Uuid::parse_str(&id).map_err(|e| StorageError::corrupt(format!("base id: {e}")))?;
    let base = match get(record, BASE).as_string() {
        Some(json) => Some(
            serde_json::from_str(&json)
                .map_err(|e| StorageError::corrupt(format!("base of {id}: {e}")))?,
        ),
        None => None,
    };
    Ok((id, base))
}

pub(crate) fn decode_order(record: &JsValue) -> Result<Order, StorageError> {
    // The id is read only to name a broken record: loading 10,000 orders stays one string
    // lookup and one JSON parse each.
    let name = || format!("order {}", get(record, ID).as_string().unwrap_or_default());
    let json = get(record, ORDER).as_string().ok_or_else(|| {
        StorageError::corrupt(format!("{}: field `{ORDER}` is not a string", name()))
    })?;
    serde_json::from_str(&json).map_err(|e| StorageError::corrupt(format!("{}: {e}", name())))
}

/// Which bucket record (of `cards`, and of `facts`) holds order `id`'s entry: a fixed
/// function of the id (its last byte; v4 ids are random there), so a write knows which one
/// record to read and rewrite.
pub(crate) fn card_bucket(id: Uuid) -> u32 {
    u32::from(id.as_bytes()[15]) % CARD_BUCKETS
}

/// What is kept per order in bucket records: `{ bucket, <FIELD>: <the bucket's entries> }`.
pub(crate) trait BucketEntry: Sized {
    /// The record field holding the entries.
    const FIELD: &'static str;
    fn order_id(&self) -> Uuid;
    /// The bucket's entries as its record's `FIELD` holds them.
    fn encode(entries: &[Self]) -> Result<JsValue, StorageError>;
    /// `encode`'s value read back; the error says what is wrong with it.
    fn decode(value: JsValue) -> Result<Vec<Self>, String>;
}

/// Cards are a JSON string (see the top of this file).
impl BucketEntry for Card {
    const FIELD: &'static str = CARDS_FIELD;
    fn order_id(&self) -> Uuid {
        self.id
    }
    fn encode(entries: &[Self]) -> Result<JsValue, StorageError> {
        let json =
            serde_json::to_string(entries).map_err(|e| StorageError::Other(e.to_string()))?;
        Ok(JsValue::from_str(&json))
    }
    fn decode(value: JsValue) -> Result<Vec<Self>, String> {
        let json = value.as_string().ok_or("not a string")?;
        serde_json::from_str(&json).map_err(|e| e.to_string())
    }
}

/// Facts are bytes (v9, `domain::analytics::pack_facts`): 分析 decodes every order's facts
/// whenever it opens, and as JSON that took longer than reading them; the bytes cross into
/// Rust as one copy instead of a UTF-16 string converted to UTF-8.
impl BucketEntry for OrderFacts {
    const FIELD: &'static str = FACTS_FIELD;
    fn order_id(&self) -> Uuid {
        self.id
    }
    fn encode(entries: &[Self]) -> Result<JsValue, StorageError> {
        Ok(Uint8Array::from(pack_facts(entries).as_slice()).into())
    }
    fn decode(value: JsValue) -> Result<Vec<Self>, String> {
        let bytes = value
            .dyn_into::<Uint8Array>()
            .map_err(|_| "not bytes".to_string())?
            .to_vec();
        unpack_facts(&bytes).map_err(|e| e.to_string())
    }
}

/// `{ bucket, cards: "<JSON array of Card>" }` (or `facts: <packed bytes>`).
pub(crate) fn bucket_record<T: BucketEntry>(
    bucket: u32,
    entries: &[T],
) -> Result<JsValue, StorageError> {
    let record = Object::new();
    set(&record, BUCKET, &JsValue::from(bucket))?;
    set(&record, T::FIELD, &T::encode(entries)?)?;
    Ok(record.into())
}

pub(crate) fn decode_bucket<T: BucketEntry>(record: &JsValue) -> Result<Vec<T>, StorageError> {
    T::decode(get(record, T::FIELD)).map_err(|e| {
        StorageError::corrupt(format!(
            "{} bucket {}: field `{}`: {e}",
            T::FIELD,
            get(record, BUCKET).as_f64().unwrap_or(-1.0),
            T::FIELD
        ))
    })
}

pub(crate) fn decode_card_bucket(record: &JsValue) -> Result<Vec<Card>, StorageError> {
    decode_bucket(record)
}

/// Puts `entries` into the buckets they belong to, replacing the stored entry of the same
/// order: `stored` maps each touched bucket to its entries as read (empty when the record is
/// absent). Returns the records to put, one per touched bucket.
pub(crate) fn merge_into_buckets<T: BucketEntry>(
    mut stored: BTreeMap<u32, Vec<T>>,
    entries: impl IntoIterator<Item = T>,
) -> Result<Vec<JsValue>, StorageError> {
    for entry in entries {
        let bucket = stored.entry(card_bucket(entry.order_id())).or_default();
        match bucket
            .iter_mut()
            .find(|stored| stored.order_id() == entry.order_id())
        {
            Some(slot) => *slot = entry,
            None => bucket.push(entry),
        }
    }
    stored
        .iter()
        .map(|(bucket, entries)| bucket_record(*bucket, entries))
        .collect()
}

/// `{ seq, order_id, kind, device_time, mutation: "<Mutation JSON>" }`. `seq` is a JS number
/// (the key path); seqs stay far below 2^53.
pub(crate) fn pending_record(
    seq: u64,
    mutation: &Mutation,
    device_time: DateTime<Utc>,
) -> Result<JsValue, StorageError> {
    let json = serde_json::to_string(mutation).map_err(|e| StorageError::Other(e.to_string()))?;
    let record = Object::new();
    set(&record, SEQ, &JsValue::from_f64(seq as f64))?;
    set(
        &record,
        ORDER_ID,
        &JsValue::from_str(&mutation.order_id().to_string()),
    )?;
    set(&record, KIND, &JsValue::from_str(mutation.kind()))?;
    // Full precision (AutoSi) so the device time round-trips exactly.
    let time = device_time.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    set(&record, DEVICE_TIME, &JsValue::from_str(&time))?;
    set(&record, MUTATION, &JsValue::from_str(&json))?;
    Ok(record.into())
}

pub(crate) fn decode_seq(value: &JsValue, what: &str) -> Result<u64, StorageError> {
    match value.as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => Ok(n as u64),
        _ => Err(StorageError::corrupt(format!(
            "{what}: not a sequence number"
        ))),
    }
}

pub(crate) fn decode_pending(record: &JsValue) -> Result<PendingMutation, StorageError> {
    let seq = decode_seq(&get(record, SEQ), "pending mutation")?;
    let what = format!("pending mutation {seq}");
    let mutation: Mutation = serde_json::from_str(&get_string(record, MUTATION, &what)?)
        .map_err(|e| StorageError::corrupt(format!("{what}: {e}")))?;
    let device_time = DateTime::parse_from_rfc3339(&get_string(record, DEVICE_TIME, &what)?)
        .map_err(|e| StorageError::corrupt(format!("{what}: {e}")))?
        .with_timezone(&Utc);
    Ok(PendingMutation {
        seq,
        mutation,
        device_time,
    })
}

pub(crate) fn decode_pending_order_id(record: &JsValue) -> Result<Uuid, StorageError> {
    let text = get_string(record, ORDER_ID, "pending mutation")?;
    Uuid::parse_str(&text).map_err(|e| StorageError::corrupt(format!("pending mutation: {e}")))
}

/// Key path of `processes`: the version number.
pub(crate) const PROCESS_NUMBER: &str = "number";
const PROCESS_VERSION: &str = "version";

/// `{ number, version: "<ProcessVersion JSON>" }` in `processes`.
pub(crate) fn process_record(version: &domain::ProcessVersion) -> Result<JsValue, StorageError> {
    let record = Object::new();
    set(&record, PROCESS_NUMBER, &JsValue::from(version.number))?;
    let json = serde_json::to_string(version).map_err(|e| StorageError::Other(e.to_string()))?;
    set(&record, PROCESS_VERSION, &JsValue::from_str(&json))?;
    Ok(record.into())
}

pub(crate) fn decode_process(record: &JsValue) -> Result<domain::ProcessVersion, StorageError> {
    let json = get_string(record, PROCESS_VERSION, "process version")?;
    serde_json::from_str(&json).map_err(|e| StorageError::corrupt(format!("process version: {e}")))
}

/// `{ key, value }` in `meta`.
pub(crate) fn meta_record(key: &str, value: &JsValue) -> Result<JsValue, StorageError> {
    let record = Object::new();
    set(&record, KEY, &JsValue::from_str(key))?;
    set(&record, VALUE, value)?;
    Ok(record.into())
}

pub(crate) fn meta_value(record: &JsValue) -> JsValue {
    get(record, VALUE)
}
