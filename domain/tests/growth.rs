//! Growth bounds (issue 19 item 1): no order can be grown — by notes, by history events, by
//! customer rating edits — until the database refuses to store it and the team's sync stalls.
//! Each bound is refused like any rule, with a reason, and the order stays storable.
mod common;

use common::*;
use domain::apply::{MAX_CONTENT_BYTES, MAX_HISTORY_EVENTS, MAX_NOTES, MAX_ORDER_BYTES};
use domain::*;

fn field(result: Result<Applied, DomainError>) -> String {
    match result {
        Err(DomainError::Invalid { field, .. }) => field,
        other => panic!("expected a refusal, got {:?}", other.map(|a| a.events)),
    }
}

#[test]
fn notes_stop_at_the_limit_with_a_reason() {
    let mut order = created();
    for n in 0..MAX_NOTES as u128 - order.notes.len() as u128 {
        order = ok(&sales(), &order, note(n, "短备注"));
    }
    assert_eq!(order.notes.len(), MAX_NOTES);
    let refused = run(&sales(), Some(&order), &note(9_999, "再加一条"), later(2));
    let Err(DomainError::Invalid { field, message }) = refused else {
        panic!("the note after the limit is refused");
    };
    assert_eq!(field, "text");
    assert!(message.zh.contains("上限"), "{}", message.zh);
}

/// Fills `order` with long notes by `actor` until one is refused; the refusal and the order.
fn fill_with_notes(actor: &Actor, mut order: Order) -> (DomainError, Order) {
    let long = "长".repeat(2_000);
    let mut n = 0;
    loop {
        match run(actor, Some(&order), &note(n, &long), later(1)) {
            Ok(applied) => order = applied.order,
            Err(error) => return (error, order),
        }
        n += 1;
        assert!(n < 1_000, "never refused");
    }
}

#[test]
fn long_notes_stop_before_the_document_gets_too_big_to_store() {
    let (refused, order) = fill_with_notes(&sales(), created());
    let DomainError::Invalid { field, message } = refused else {
        panic!("expected a refusal, got {refused:?}");
    };
    assert_eq!(field, "order");
    assert!(
        message.zh.contains("推进、指派、改期和取消不受影响"),
        "{}",
        message.zh
    );
    let bytes = serde_json::to_vec(&order).unwrap().len();
    assert!(bytes <= MAX_CONTENT_BYTES, "{bytes} bytes stored");
    assert!(
        bytes > MAX_CONTENT_BYTES - 10_000,
        "the bound is what stopped it: {bytes}"
    );
}

/// An attacker's finding: a warehouse member, who may only add notes to this order, filled it
/// to the size limit, and then not even an admin could move, assign or cancel it.
#[test]
fn notes_anyone_may_add_cannot_stop_those_responsible_from_working_the_order() {
    let (_, full) = fill_with_notes(&warehouse(), created());
    let due = Mutation::SetDueDate {
        order_id: oid(),
        stage: stage("requirement"),
        due: Some(date(2027, 1, 15)),
    };
    let order = ok(&sales(), &full, due);
    let order = ok(
        &sales(),
        &tick_all(&order),
        advance("requirement", "contract", None),
    );
    let assign = Mutation::Assign {
        order_id: oid(),
        owner: other_sales().staff_ref(),
    };
    let order = ok(&admin(), &order, assign);
    let cancel = Mutation::Cancel {
        order_id: oid(),
        reason: "客户取消".into(),
    };
    let order = ok(&admin(), &order, cancel);
    assert!(order.is_closed());
    assert!(serde_json::to_vec(&order).unwrap().len() <= MAX_ORDER_BYTES);
    // Another long note is still refused.
    let long = "长".repeat(2_000);
    assert_eq!(
        field(run(
            &warehouse(),
            Some(&order),
            &note(5_000, &long),
            later(3)
        )),
        "order"
    );
}

#[test]
fn re_ticking_stops_at_the_history_limit() {
    let mut order = created();
    let item = |done| Mutation::SetChecklistItem {
        order_id: oid(),
        stage: stage("requirement"),
        item: "record_needs".into(),
        done,
    };
    let mut done = true;
    while order.history.len() < MAX_HISTORY_EVENTS {
        order = ok(&sales(), &order, item(done));
        done = !done;
    }
    assert_eq!(
        field(run(&sales(), Some(&order), &item(done), later(2))),
        "order"
    );
}

#[test]
fn a_customer_can_change_a_rating_only_so_often() {
    let customer = Actor::customer("周建国");
    let rate = |stars: u8, comment: &str| Mutation::RateOrder {
        order_id: oid(),
        stars,
        comment: comment.into(),
    };
    let shipped = ok(&warehouse(), &at("delivery"), ship());
    let mut order = run(&customer, Some(&shipped), &rate(3, ""), later(1))
        .unwrap()
        .order;
    for edit in 0..domain::MAX_RATING_EDITS {
        order = run(
            &customer,
            Some(&order),
            &rate(if edit % 2 == 0 { 4 } else { 5 }, ""),
            later(2),
        )
        .unwrap()
        .order;
    }
    assert_eq!(
        field(run(&customer, Some(&order), &rate(1, "又改了"), later(3))),
        "stars"
    );
}
