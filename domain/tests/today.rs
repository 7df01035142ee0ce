//! The "今天" list: whose stages, which deadlines, which waiting customers.
mod common;

use common::*;
use domain::*;
use uuid::Uuid;

fn card(order: &Order) -> Card {
    Card::from_order(order, &Pipeline::standard())
}

/// `created()` enters 需求确认 at t0 (2026-11-26), whose SLA is a few days.
fn due(order: &Order) -> chrono::NaiveDate {
    order.due_date(&Pipeline::standard())
}

#[test]
fn an_order_past_its_sla_is_overdue_for_its_owner_and_its_department() {
    let order = created();
    let c = card(&order);
    let after = due(&order) + chrono::Duration::days(2);
    let list = today([&c], &sales(), &Pipeline::standard(), after);
    assert_eq!(list.overdue.len(), 1, "the owner (王芳, sales) sees it");
    assert_eq!(list.badge(), 1);
    // Warehouse does not run 需求确认 and does not own the order.
    assert!(today([&c], &warehouse(), &Pipeline::standard(), after).is_empty());
    // Customer service also runs 需求确认, so it is theirs too until someone is named.
    assert_eq!(
        today([&c], &service(), &Pipeline::standard(), after)
            .overdue
            .len(),
        1
    );
    // Another sales person: sales stages belong to the order's own seller, not to every seller.
    assert!(today([&c], &other_sales(), &Pipeline::standard(), after).is_empty());
}

#[test]
fn a_named_responsible_person_takes_the_stage_over() {
    let order = ok(
        &sales(),
        &created(),
        Mutation::SetStageResponsible {
            order_id: oid(),
            stage: stage("requirement"),
            responsible: StaffRef::new("u-sunlei", "孙磊"),
        },
    );
    let c = card(&order);
    assert_eq!(c.responsible.as_ref().unwrap().name, "孙磊");
    assert_eq!(c.stage_person_name(), order.stage_person().name);
    assert_eq!(
        card(&created()).stage_person_name(),
        "王芳",
        "nobody named: the owner"
    );
    let day = due(&order);
    assert_eq!(
        today([&c], &other_sales(), &Pipeline::standard(), day)
            .due_today
            .len(),
        1
    );
    assert!(
        today([&c], &sales(), &Pipeline::standard(), day).is_empty(),
        "the owner is no longer the one to act"
    );
}

#[test]
fn due_today_this_week_and_later_are_told_apart() {
    let order = created();
    let c = card(&order);
    let d = due(&order);
    let p = Pipeline::standard();
    assert_eq!(today([&c], &sales(), &p, d).due_today.len(), 1);
    let week = today([&c], &sales(), &p, d - chrono::Duration::days(6));
    assert_eq!((week.this_week.len(), week.badge()), (1, 0));
    assert!(today([&c], &sales(), &p, d - chrono::Duration::days(7)).is_empty());
}

#[test]
fn waiting_customers_reach_the_owner_and_service_and_closed_orders_do_not_nag() {
    let shipped = ok(&warehouse(), &at("delivery"), ship());
    let filed = run(
        &Actor::customer("周建国"),
        Some(&shipped),
        &Mutation::RequestAfterSales {
            order_id: oid(),
            request_id: Uuid::from_u128(1),
            kind: AfterSalesKind::Delivery,
            description: "少了一箱".into(),
            contact: "周建国".into(),
        },
        later(2),
    )
    .unwrap()
    .order;
    let cancelled = ok(
        &sales(),
        &filed,
        Mutation::Cancel {
            order_id: oid(),
            reason: "客户退货退款".into(),
        },
    );
    let p = Pipeline::standard();
    let far_future = due(&filed) + chrono::Duration::days(30);
    for c in [card(&filed), card(&cancelled)] {
        assert_eq!(today([&c], &sales(), &p, far_future).after_sales.len(), 1);
        assert_eq!(today([&c], &service(), &p, far_future).after_sales.len(), 1);
        assert!(today([&c], &finance(), &p, far_future)
            .after_sales
            .is_empty());
    }
    let cancelled_card = card(&cancelled);
    let closed = today([&cancelled_card], &sales(), &p, far_future);
    assert!(
        closed.overdue.is_empty(),
        "a cancelled order has no deadline"
    );
}
