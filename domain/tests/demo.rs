mod common;

use std::collections::BTreeSet;

use common::*;
use domain::*;

fn demo() -> Vec<Order> {
    demo_orders(&Pipeline::standard(), t0())
}

#[test]
fn the_demo_has_a_dozen_orders_with_unique_ids_and_numbers() {
    let orders = demo();
    assert_eq!(orders.len(), 12);
    let ids: BTreeSet<_> = orders.iter().map(|o| o.id).collect();
    let numbers: BTreeSet<_> = orders.iter().map(|o| o.number.clone()).collect();
    assert_eq!((ids.len(), numbers.len()), (12, 12));
}

#[test]
fn the_demo_is_the_same_every_time_for_the_same_now() {
    assert_eq!(demo(), demo());
}

#[test]
fn every_stage_has_an_active_demo_order() {
    let orders = demo();
    for stage in Pipeline::standard().stages {
        assert!(
            orders.iter().any(|o| o.is_active() && o.stage == stage.id),
            "no active order at {}",
            stage.id
        );
    }
}

#[test]
fn the_demo_shows_overdue_shipped_completed_and_cancelled_orders() {
    let pipeline = Pipeline::standard();
    let today = business_date(t0());
    let orders = demo();
    let overdue = orders
        .iter()
        .filter(|o| {
            matches!(
                o.deadline_state(&pipeline, today),
                DeadlineState::Overdue { .. }
            )
        })
        .count();
    assert!(overdue >= 1);
    assert!(orders.iter().any(|o| {
        o.is_active() && o.shipment.as_ref().is_some_and(|s| s.carrier == "顺丰速运")
    }));
    assert!(orders.iter().any(|o| o.status == OrderStatus::Completed));
    assert!(orders
        .iter()
        .any(|o| matches!(&o.status, OrderStatus::Cancelled { reason } if !reason.is_empty())));
    assert!(orders.iter().any(|o| {
        let (done, total) = o.checklist_done(&pipeline);
        o.is_active() && done > 0 && done < total
    }));
}

#[test]
fn demo_histories_start_with_creation_and_happen_no_later_than_now() {
    for o in demo() {
        assert_eq!(o.history[0].kind, EventKind::Created);
        assert!(o.history.iter().all(|e| e.at <= t0()));
        assert!(o.history.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(o.total() > Money::ZERO);
        assert!(o.customer.validate().is_ok());
    }
}

#[test]
fn the_demo_staff_covers_every_department() {
    let staff = demo_staff();
    for role in Role::ALL {
        assert!(staff.iter().any(|(a, _)| a.has_role(role)), "{role:?}");
    }
    let wang = staff
        .iter()
        .find(|(a, _)| a.user_id == "u-wangfang")
        .unwrap();
    assert_eq!(wang.0.name, "王芳");
    assert!(wang.1.starts_with("138"));
}
