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

/// A reviewer's finding: the manager's 今天 said "nothing to do" while an order was 3 days late.
#[test]
fn a_manager_is_shown_the_teams_overdue_orders_but_not_what_is_merely_due() {
    let manager = Actor::new("u-zhoujian", "周健", vec![Role::Manager]);
    let order = created();
    let c = card(&order);
    let p = Pipeline::standard();
    let late = today([&c], &manager, &p, due(&order) + chrono::Duration::days(3));
    assert_eq!(
        late.overdue.len(),
        1,
        "someone else's overdue order is the manager's to chase"
    );
    assert_eq!(late.badge(), 1);
    assert!(
        today([&c], &manager, &p, due(&order)).is_empty(),
        "due today is for those doing the work"
    );
    assert!(today([&c], &manager, &p, due(&order) - chrono::Duration::days(2)).is_empty());
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

fn ask_for(need: ExitRequirement) -> Mutation {
    Mutation::AskForHelp {
        order_id: oid(),
        need,
    }
}

#[test]
fn asking_finance_for_the_invoice_puts_the_order_in_finances_today_until_it_is_recorded() {
    let p = Pipeline::standard();
    let at_delivery = at("delivery");
    let asked = ok(&sales(), &at_delivery, ask_for(ExitRequirement::Invoice));
    let c = card(&asked);
    assert_eq!(c.help_asked, vec![ExitRequirement::Invoice]);
    let day = business_date(later(1));
    let list = today([&c], &finance(), &p, day);
    assert_eq!(list.asked.len(), 1, "finance is asked");
    assert!(list.badge() >= 1, "and it counts on the badge");
    assert!(
        today([&c], &warehouse(), &p, day).asked.is_empty(),
        "the invoice is not the warehouse's to record"
    );
    assert!(
        today([&c], &other_sales(), &p, day).asked.is_empty(),
        "sales may record it but was not asked"
    );
    // Recording the invoice answers the ask; nobody has to close it.
    let recorded = ok(&finance(), &asked, invoice());
    assert!(card(&recorded).help_asked.is_empty());
    let answered = card(&recorded);
    assert!(today([&answered], &finance(), &p, day).asked.is_empty());
}

/// An attacker's finding: 100 asks in one push put 100 messages in every team chat's outbox.
/// Asking again is a reminder, once an hour; the refusal says who asked and how long to wait.
#[test]
fn asking_again_for_the_same_record_is_a_reminder_at_most_once_an_hour() {
    let asked = run(
        &warehouse(),
        Some(&at("delivery")),
        &ask_for(ExitRequirement::Invoice),
        later(1),
    )
    .unwrap()
    .order;
    let again = run(
        &sales(),
        Some(&asked),
        &ask_for(ExitRequirement::Invoice),
        later(1) + chrono::Duration::minutes(20),
    );
    let Err(DomainError::Invalid { field, message }) = again else {
        panic!(
            "a second ask within the hour is refused: {:?}",
            again.map(|a| a.events)
        );
    };
    assert_eq!(field, "need");
    assert!(message.zh.contains(&warehouse().name), "{}", message.zh);
    assert!(message.zh.contains("40 分钟后"), "{}", message.zh);
    // Another record may be asked for at once; the same one again after the hour.
    let shipment = run(
        &sales(),
        Some(&asked),
        &ask_for(ExitRequirement::Shipment),
        later(1) + chrono::Duration::minutes(20),
    );
    assert!(shipment.is_ok(), "{shipment:?}");
    let reminded = run(
        &sales(),
        Some(&asked),
        &ask_for(ExitRequirement::Invoice),
        later(2),
    )
    .unwrap();
    assert_eq!(
        reminded.order.open_help_asks().len(),
        1,
        "still one open ask for the invoice"
    );
}

#[test]
fn an_ask_ends_when_the_order_leaves_the_stage_and_a_closed_order_asks_nothing() {
    let asked = ok(
        &sales(),
        &at("delivery"),
        ask_for(ExitRequirement::Shipment),
    );
    assert_eq!(asked.open_help_asks().len(), 1);
    // Sent back for rework (allowed with a reason): the ask belonged to the visit that ended.
    let back = ok(
        &admin(),
        &asked,
        advance("delivery", "production", Some("返工")),
    );
    assert!(back.open_help_asks().is_empty());
    let cancelled = ok(
        &sales(),
        &asked,
        Mutation::Cancel {
            order_id: oid(),
            reason: "客户取消".into(),
        },
    );
    assert!(card(&cancelled).help_asked.is_empty());
}

#[test]
fn only_a_missing_record_of_the_current_stage_can_be_asked_for_by_people_waiting_on_it() {
    let created = created();
    assert_eq!(
        code(run(
            &sales(),
            Some(&created),
            &ask_for(ExitRequirement::Invoice),
            later(1)
        )),
        "invalid",
        "需求确认 needs no invoice"
    );
    let at_delivery = at("delivery");
    let invoiced = ok(&admin(), &at_delivery, invoice());
    assert_eq!(
        code(run(
            &sales(),
            Some(&invoiced),
            &ask_for(ExitRequirement::Invoice),
            later(1)
        )),
        "invalid",
        "already on record"
    );
    assert_eq!(
        code(run(
            &production(),
            Some(&at_delivery),
            &ask_for(ExitRequirement::Invoice),
            later(1)
        )),
        "forbidden",
        "production neither owns the order nor runs 发货发票"
    );
    assert_eq!(
        code(run(
            &warehouse(),
            Some(&at_delivery),
            &ask_for(ExitRequirement::Invoice),
            later(1)
        )),
        "ok",
        "the warehouse at 发货发票 may ask finance"
    );
    let asked = ok(&sales(), &at_delivery, ask_for(ExitRequirement::Invoice));
    let event = asked.history.last().unwrap();
    assert_eq!(
        event.describe(&Pipeline::standard(), Lang::Zh),
        "王芳 请财务处理：登记发票"
    );
}

#[test]
fn a_lookup_lock_is_in_the_owners_today_on_that_day_only() {
    let p = Pipeline::standard();
    let order = created();
    let day = business_date(later(2));
    let locked = record_lookup_lock(&order, day, later(2)).expect("written");
    assert_eq!(locked.events.len(), 1);
    assert_eq!(locked.order.history.last().unwrap().actor.user_id, "system");
    assert!(
        record_lookup_lock(&locked.order, day, later(3)).is_none(),
        "once a day"
    );
    let c = card(&locked.order);
    let list = today([&c], &sales(), &p, day);
    assert_eq!(list.lookup_locked.len(), 1, "the owner (王芳) is told");
    assert!(list.badge() >= 1);
    assert!(today([&c], &other_sales(), &p, day)
        .lookup_locked
        .is_empty());
    assert!(today([&c], &sales(), &p, day + chrono::Duration::days(1))
        .lookup_locked
        .is_empty());
    // Closed orders can be looked up too, so their owner is told as well.
    let cancelled = ok(
        &sales(),
        &order,
        Mutation::Cancel {
            order_id: oid(),
            reason: "客户取消".into(),
        },
    );
    let locked = record_lookup_lock(&cancelled, day, later(2)).expect("written");
    let closed = card(&locked.order);
    assert_eq!(today([&closed], &sales(), &p, day).lookup_locked.len(), 1);
}
