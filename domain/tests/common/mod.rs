//! Fixtures shared by the integration tests: a small team and orders parked at each stage.
#![allow(dead_code)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::*;
use uuid::Uuid;

/// 10:00 in Hangzhou on 2026-11-26.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

pub fn later(hours: i64) -> DateTime<Utc> {
    t0() + Duration::hours(hours)
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn sales() -> Actor {
    Actor::new("u-wangfang", "王芳", vec![Role::Sales])
}
pub fn other_sales() -> Actor {
    Actor::new("u-sunlei", "孙磊", vec![Role::Sales])
}
pub fn legal() -> Actor {
    Actor::new("u-liqiang", "李强", vec![Role::Legal])
}
pub fn warehouse() -> Actor {
    Actor::new("u-zhangwei", "张伟", vec![Role::Warehouse])
}
pub fn production() -> Actor {
    Actor::new("u-liuyang", "刘洋", vec![Role::Production])
}
pub fn finance() -> Actor {
    Actor::new("u-chenjing", "陈静", vec![Role::Finance])
}
pub fn service() -> Actor {
    Actor::new("u-zhaomin", "赵敏", vec![Role::Service])
}
pub fn admin() -> Actor {
    Actor::new("u-admin", "管理员", vec![Role::Admin])
}

pub fn oid() -> Uuid {
    Uuid::from_u128(0x42)
}

pub fn customer() -> Customer {
    Customer {
        company: "杭州明远纺织有限公司".into(),
        contact: "周建国".into(),
        phone: "138 5710 1234".into(),
        email: Some("zhou@mingyuan.cn".into()),
        address: None,
    }
}

pub fn items() -> Vec<LineItem> {
    vec![
        LineItem {
            product: "精梳棉纱 32S".into(),
            quantity: Quantity::units(2000),
            unit: String::new(),
            unit_price: Money::from_yuan_fen(23, 50),
        },
        LineItem {
            product: "色纺纱 40S".into(),
            quantity: Quantity::units(500),
            unit: String::new(),
            unit_price: Money::from_yuan_fen(31, 0),
        },
    ]
}

pub fn create() -> Mutation {
    Mutation::CreateOrder {
        order_id: oid(),
        number: Some("HZ-2026-001".into()),
        customer: customer(),
        items: items(),
        expected_delivery: Some(date(2026, 12, 20)),
        owner: None,
        note: None,
        note_id: None,
    }
}

pub fn run(
    actor: &Actor,
    order: Option<&Order>,
    m: &Mutation,
    now: DateTime<Utc>,
) -> Result<Applied, DomainError> {
    let pipeline = Pipeline::standard();
    let ctx = Context {
        processes: &domain::Processes::single(pipeline.clone()),
        actor,
        now,
    };
    apply(&ctx, order, m)
}

/// Applies and unwraps, for arranging a test's starting point.
pub fn ok(actor: &Actor, order: &Order, m: Mutation) -> Order {
    run(actor, Some(order), &m, later(1))
        .unwrap_or_else(|e| panic!("{} failed: {e}", m.kind()))
        .order
}

pub fn created() -> Order {
    run(&sales(), None, &create(), t0()).unwrap().order
}

pub fn stage(id: &str) -> StageId {
    StageId::new(id)
}

pub fn advance(from: &str, to: &str, reason: Option<&str>) -> Mutation {
    Mutation::AdvanceStage {
        order_id: oid(),
        from: stage(from),
        to: stage(to),
        reason: reason.map(str::to_string),
    }
}

pub fn tick(stage_id: &str, item: &str, done: bool) -> Mutation {
    Mutation::SetChecklistItem {
        order_id: oid(),
        stage: stage(stage_id),
        item: item.into(),
        done,
    }
}

pub fn ship() -> Mutation {
    Mutation::RecordShipment {
        order_id: oid(),
        carrier: "顺丰速运".into(),
        tracking_no: "SF1402873365921".into(),
    }
}

pub fn invoice() -> Mutation {
    Mutation::RecordInvoice {
        order_id: oid(),
        number: "04423101".into(),
        date: date(2026, 11, 26),
    }
}

pub fn note(n: u128, text: &str) -> Mutation {
    Mutation::AddNote {
        order_id: oid(),
        note_id: Uuid::from_u128(0x1000 + n),
        text: text.into(),
    }
}

/// Ticks every item of the current stage as an admin.
pub fn tick_all(order: &Order) -> Order {
    let pipeline = Pipeline::standard();
    let def = pipeline.stage(&order.stage).unwrap().clone();
    def.checklist.iter().fold(order.clone(), |o, item| {
        ok(&admin(), &o, tick(def.id.as_str(), &item.id, true))
    })
}

/// The order moved along the normal path to `target`, every checklist finished, shipment and
/// invoice recorded when passing delivery.
pub fn at(target: &str) -> Order {
    let pipeline = Pipeline::standard();
    let mut order = created();
    while order.stage != target {
        order = tick_all(&order);
        if order.stage == "delivery" {
            order = ok(&admin(), &order, ship());
            order = ok(&admin(), &order, invoice());
        }
        let next = pipeline.next(&order.stage).unwrap().id.clone();
        let from = order.stage.clone();
        order = ok(
            &admin(),
            &order,
            advance(from.as_str(), next.as_str(), None),
        );
    }
    order
}

pub fn code(result: Result<Applied, DomainError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}
