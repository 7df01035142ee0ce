//! Customer ratings and after-sales requests (`feedback.rs`): who may, when, and what the team
//! sees afterwards.
mod common;

use common::*;
use domain::*;
use uuid::Uuid;

fn customer_actor() -> Actor {
    Actor::customer("周建国")
}

fn rate(stars: u8, comment: &str) -> Mutation {
    Mutation::RateOrder {
        order_id: oid(),
        stars,
        comment: comment.into(),
    }
}

fn request(n: u128) -> Mutation {
    Mutation::RequestAfterSales {
        order_id: oid(),
        request_id: Uuid::from_u128(n),
        kind: AfterSalesKind::Quality,
        description: "两卷纱线受潮\n请尽快处理".into(),
        contact: "周建国 13857101234".into(),
    }
}

fn resolve(n: u128) -> Mutation {
    Mutation::ResolveAfterSales {
        order_id: oid(),
        request_id: Uuid::from_u128(n),
        note: "已补发".into(),
    }
}

fn shipped() -> Order {
    ok(&warehouse(), &at("delivery"), ship())
}

#[test]
fn a_customer_rates_a_shipped_order_and_the_history_says_so() {
    let applied = run(
        &customer_actor(),
        Some(&shipped()),
        &rate(4, " 很满意 "),
        later(2),
    )
    .unwrap();
    let feedback = applied.order.feedback.as_ref().unwrap();
    assert_eq!((feedback.stars, feedback.comment.as_str()), (4, "很满意"));
    assert_eq!(feedback.given_at, later(2));
    let sentence = applied.events[0].describe(&Pipeline::standard(), Lang::Zh);
    assert_eq!(sentence, "客户 周建国 评价了订单：★★★★☆");
    let card = Card::from_order(&applied.order, &Pipeline::standard());
    assert_eq!(card.rating, Some(4));
}

#[test]
fn ratings_and_requests_wait_until_the_order_has_shipped() {
    let order = at("production");
    assert_eq!(
        code(run(&customer_actor(), Some(&order), &rate(5, ""), later(2))),
        "invalid"
    );
    assert_eq!(
        code(run(&customer_actor(), Some(&order), &request(1), later(2))),
        "invalid"
    );
    // The after-sales stage opens them even without a recorded shipment on the stage's path.
    assert_eq!(
        code(run(
            &customer_actor(),
            Some(&at("after_sales")),
            &rate(5, ""),
            later(2)
        )),
        "ok"
    );
}

#[test]
fn a_cancelled_order_takes_no_rating_but_a_completed_one_does() {
    let cancelled = ok(
        &sales(),
        &shipped(),
        Mutation::Cancel {
            order_id: oid(),
            reason: "客户撤单".into(),
        },
    );
    assert_eq!(
        code(run(
            &customer_actor(),
            Some(&cancelled),
            &rate(3, ""),
            later(2)
        )),
        "invalid"
    );
    let completed = ok(
        &admin(),
        &tick_all(&at("after_sales")),
        Mutation::Complete {
            order_id: oid(),
            reason: None,
        },
    );
    assert_eq!(completed.status, OrderStatus::Completed);
    let rated = run(
        &customer_actor(),
        Some(&completed),
        &rate(5, "好"),
        later(2),
    )
    .unwrap();
    let filed = run(&customer_actor(), Some(&rated.order), &request(1), later(3)).unwrap();
    assert_eq!(
        code(run(&service(), Some(&filed.order), &resolve(1), later(4))),
        "ok",
        "the team answers requests on completed orders too"
    );
}

#[test]
fn a_rating_can_be_changed_for_seven_days_only() {
    let first = run(
        &customer_actor(),
        Some(&shipped()),
        &rate(2, "慢"),
        later(2),
    )
    .unwrap()
    .order;
    let changed = run(
        &customer_actor(),
        Some(&first),
        &rate(4, "后来挺快"),
        later(2 + 24 * 6),
    )
    .unwrap();
    assert_eq!(changed.order.feedback.as_ref().unwrap().stars, 4);
    assert_eq!(changed.order.feedback.as_ref().unwrap().given_at, later(2));
    assert_eq!(
        changed.events[0].describe(&Pipeline::standard(), Lang::Zh),
        "客户 周建国 修改了评价：★★★★☆"
    );
    let late = run(
        &customer_actor(),
        Some(&changed.order),
        &rate(5, ""),
        later(3 + 24 * 7),
    );
    let err = late.unwrap_err();
    assert!(
        err.message(Lang::Zh).contains("7 天"),
        "{}",
        err.message(Lang::Zh)
    );
    assert_eq!(
        code(run(
            &customer_actor(),
            Some(&first),
            &rate(2, "慢"),
            later(3)
        )),
        "invalid",
        "the same rating again changes nothing"
    );
}

#[test]
fn stars_are_one_to_five_and_the_comment_is_limited() {
    for stars in [0, 6, 255] {
        assert_eq!(
            code(run(
                &customer_actor(),
                Some(&shipped()),
                &rate(stars, ""),
                later(2)
            )),
            "invalid",
            "{stars} stars"
        );
    }
    let long = "好".repeat(501);
    assert_eq!(
        code(run(
            &customer_actor(),
            Some(&shipped()),
            &rate(5, &long),
            later(2)
        )),
        "invalid"
    );
}

#[test]
fn only_the_customer_rates_and_files_and_the_customer_does_nothing_else() {
    let order = shipped();
    for team in [sales(), admin(), service()] {
        let err = run(&team, Some(&order), &rate(5, ""), later(2)).unwrap_err();
        assert_eq!(err.code(), "forbidden", "{}", team.name);
        assert_eq!(
            code(run(&team, Some(&order), &request(1), later(2))),
            "forbidden"
        );
    }
    for m in [note(9, "我是客户"), invoice(), resolve(1)] {
        assert_eq!(
            code(run(&customer_actor(), Some(&order), &m, later(2))),
            "forbidden",
            "{}",
            m.kind()
        );
    }
    // A team account whose id happened to be "customer" but has roles is not the customer.
    let impostor = Actor::new(CUSTOMER_ACTOR_ID, "x", vec![Role::Sales]);
    assert!(!impostor.is_customer());
    assert_eq!(
        code(run(&impostor, Some(&order), &rate(5, ""), later(2))),
        "forbidden"
    );
}

#[test]
fn an_after_sales_request_is_open_until_the_team_resolves_it_once() {
    let filed = run(&customer_actor(), Some(&shipped()), &request(1), later(2)).unwrap();
    assert_eq!(
        filed.events[0].describe(&Pipeline::standard(), Lang::Zh),
        "客户 周建国 提交了售后申请：质量问题"
    );
    let request_row = &filed.order.after_sales[0];
    assert_eq!(request_row.description, "两卷纱线受潮\n请尽快处理");
    assert_eq!(
        Card::from_order(&filed.order, &Pipeline::standard()).after_sales_open,
        1
    );
    assert_eq!(
        code(run(
            &customer_actor(),
            Some(&filed.order),
            &request(1),
            later(3)
        )),
        "invalid",
        "a request id is used once"
    );
    assert_eq!(
        code(run(&finance(), Some(&filed.order), &resolve(1), later(3))),
        "forbidden"
    );
    let resolved = run(&service(), Some(&filed.order), &resolve(1), later(3)).unwrap();
    assert_eq!(
        resolved.events[0].describe(&Pipeline::standard(), Lang::Zh),
        "赵敏 处理完成了售后申请：质量问题"
    );
    let resolution = resolved.order.after_sales[0].resolution.as_ref().unwrap();
    assert_eq!(resolution.note, "已补发");
    assert_eq!(
        Card::from_order(&resolved.order, &Pipeline::standard()).after_sales_open,
        0
    );
    assert_eq!(
        code(run(
            &service(),
            Some(&resolved.order),
            &resolve(1),
            later(4)
        )),
        "invalid",
        "resolved once"
    );
    assert_eq!(
        code(run(
            &service(),
            Some(&resolved.order),
            &resolve(2),
            later(4)
        )),
        "invalid",
        "unknown request"
    );
}

#[test]
fn open_requests_are_capped_and_bad_text_is_refused() {
    let mut order = shipped();
    for n in 0..10 {
        order = run(&customer_actor(), Some(&order), &request(n), later(2))
            .unwrap()
            .order;
    }
    let err = run(&customer_actor(), Some(&order), &request(99), later(2)).unwrap_err();
    assert!(err.message(Lang::Zh).contains("过多"));
    let blank = Mutation::RequestAfterSales {
        order_id: oid(),
        request_id: Uuid::from_u128(1),
        kind: AfterSalesKind::Other,
        description: "  ".into(),
        contact: "x".into(),
    };
    assert_eq!(
        code(run(&customer_actor(), Some(&shipped()), &blank, later(2))),
        "invalid"
    );
    let xss = Mutation::RequestAfterSales {
        order_id: oid(),
        request_id: Uuid::from_u128(1),
        kind: AfterSalesKind::Other,
        description: "<script>alert(1)</script>' OR 1=1 --".into(),
        contact: "<b>x</b>".into(),
    };
    let stored = run(&customer_actor(), Some(&shipped()), &xss, later(2)).unwrap();
    assert_eq!(
        stored.order.after_sales[0].description, "<script>alert(1)</script>' OR 1=1 --",
        "stored verbatim; escaping is the page's job"
    );
}

#[test]
fn customer_changes_survive_json_and_old_documents_still_read() {
    let filed = run(&customer_actor(), Some(&shipped()), &request(1), later(2)).unwrap();
    let rated = run(
        &customer_actor(),
        Some(&filed.order),
        &rate(5, "好"),
        later(2),
    )
    .unwrap();
    let json = serde_json::to_string(&rated.order).unwrap();
    let back: Order = serde_json::from_str(&json).unwrap();
    assert_eq!(back, rated.order);
    // Documents written before feedback existed have neither key.
    let old = serde_json::to_string(&shipped()).unwrap();
    assert!(!old.contains("after_sales\":") && !old.contains("feedback"));
    let read: Order = serde_json::from_str(&old).unwrap();
    assert!(read.feedback.is_none() && read.after_sales.is_empty());
    for m in [rate(5, "x"), request(1), resolve(1)] {
        let back: Mutation = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
    }
}
