mod common;

use std::collections::BTreeSet;

use common::*;
use domain::*;
use serde_json::Value;

fn keys(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = format!("{prefix}{k}");
                out.insert(path.clone());
                keys(v, &format!("{path}."), out);
            }
        }
        Value::Array(items) => {
            for v in items {
                keys(v, &format!("{prefix}[]."), out);
            }
        }
        _ => {}
    }
}

fn shipped_order() -> Order {
    let o = ok(
        &sales(),
        &at("delivery"),
        note(1, "内部备注：客户付款慢，注意催款"),
    );
    ok(&warehouse(), &o, ship())
}

#[test]
fn the_customer_view_serializes_only_the_allowed_keys() {
    let view = customer_view(
        &shipped_order(),
        &Pipeline::standard(),
        Lang::Zh,
        Some("13857123456".into()),
        t0(),
    );
    let mut found = BTreeSet::new();
    keys(&serde_json::to_value(&view).unwrap(), "", &mut found);
    let allowed: BTreeSet<String> = [
        "order_number",
        "company",
        "status",
        "stages",
        "stages.[].label",
        "stages.[].reached_on",
        "stages.[].state",
        "current_message",
        "expected_delivery",
        "items",
        "items.[].product",
        "items.[].quantity",
        "shipment",
        "shipment.carrier",
        "shipment.tracking_no",
        "shipment.shipped_on",
        "sales_contact",
        "sales_contact.name",
        "sales_contact.phone",
        "feedback_open",
        "feedback",
        "after_sales",
        "attachments",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(found, allowed);
}

#[test]
fn the_customer_view_leaks_no_amounts_notes_or_staff_ids() {
    let o = shipped_order();
    let json = serde_json::to_string(&customer_view(
        &o,
        &Pipeline::standard(),
        Lang::Zh,
        None,
        t0(),
    ))
    .unwrap();
    for secret in [
        "内部备注",
        "2350",
        "62500",
        "u-wangfang",
        "zhou@mingyuan.cn",
        "周建国",
        "record_needs",
    ] {
        assert!(!json.contains(secret), "leaked {secret}");
    }
}

#[test]
fn the_customer_sees_what_was_ordered_without_prices() {
    let o = shipped_order();
    let view = customer_view(&o, &Pipeline::standard(), Lang::Zh, None, t0());
    assert_eq!(view.items.len(), o.items.len());
    assert!(!view.items.is_empty());
    for (seen, ordered) in view.items.iter().zip(&o.items) {
        assert_eq!(seen.product, ordered.product);
        assert_eq!(seen.quantity, ordered.quantity);
        assert_eq!(seen.unit, ordered.unit);
    }
    let json = serde_json::to_string(&view.items).unwrap();
    assert!(!json.contains("price"), "{json}");
}

#[test]
fn stages_before_the_current_one_are_done_and_later_ones_upcoming() {
    let view = customer_view(
        &shipped_order(),
        &Pipeline::standard(),
        Lang::Zh,
        None,
        t0(),
    );
    let states: Vec<_> = view.stages.iter().map(|s| s.state).collect();
    use CustomerStageState::*;
    assert_eq!(states, [Done, Done, Done, Done, Current, Upcoming]);
    assert_eq!(view.stages[4].label, "发货");
    assert!(view.stages[..5]
        .iter()
        .all(|s| s.reached_on == Some(date(2026, 11, 26))));
    assert_eq!(view.stages[5].reached_on, None);
    assert_eq!(view.status, CustomerStatus::InProgress);
    let shipment = view.shipment.unwrap();
    assert_eq!(
        (shipment.carrier.as_str(), shipment.tracking_no.as_str()),
        ("顺丰速运", "SF1402873365921")
    );
    assert_eq!(shipment.shipped_on, date(2026, 11, 26));
    assert_eq!(view.sales_contact.name, "王芳");
    assert_eq!(view.expected_delivery, Some(date(2026, 12, 20)));
}

#[test]
fn the_current_message_is_the_stage_message_in_the_requested_language() {
    let pipeline = Pipeline::standard();
    let o = created();
    let zh = customer_view(&o, &pipeline, Lang::Zh, None, t0());
    let en = customer_view(&o, &pipeline, Lang::En, None, t0());
    assert_eq!(zh.current_message, pipeline.first().customer_message.zh);
    assert_eq!(en.current_message, pipeline.first().customer_message.en);
    assert_eq!(en.stages[0].label, "Requirements");
    assert_eq!(zh.sales_contact.name, "王芳");
    assert_eq!(zh.order_number, "HZ-2026-001");
}

#[test]
fn a_cancelled_order_shows_cancelled_without_the_internal_reason() {
    let o = ok(
        &sales(),
        &created(),
        Mutation::Cancel {
            order_id: oid(),
            reason: "客户信用差，停止合作".into(),
        },
    );
    let view = customer_view(&o, &Pipeline::standard(), Lang::Zh, None, t0());
    assert_eq!(view.status, CustomerStatus::Cancelled);
    assert!(!serde_json::to_string(&view).unwrap().contains("信用"));
}

#[test]
fn a_completed_order_shows_every_stage_done() {
    let o = tick_all(&at("after_sales"));
    let o = ok(
        &service(),
        &o,
        Mutation::Complete {
            order_id: oid(),
            reason: None,
        },
    );
    let view = customer_view(&o, &Pipeline::standard(), Lang::Zh, None, t0());
    assert_eq!(view.status, CustomerStatus::Completed);
    assert!(view
        .stages
        .iter()
        .all(|s| s.state == CustomerStageState::Done));
}

#[test]
fn a_stage_skipped_over_is_done_without_a_date() {
    let o = tick_all(&created());
    let o = ok(
        &sales(),
        &o,
        advance("requirement", "order_entry", Some("框架合同")),
    );
    let view = customer_view(&o, &Pipeline::standard(), Lang::Zh, None, t0());
    assert_eq!(view.stages[1].state, CustomerStageState::Done);
    assert_eq!(view.stages[1].reached_on, None);
}

#[test]
fn the_customer_sees_their_own_rating_and_requests_but_not_who_resolved_them() {
    let o = shipped_order();
    let customer = Actor::customer("周建国");
    let rated = run(
        &customer,
        Some(&o),
        &Mutation::RateOrder {
            order_id: oid(),
            stars: 4,
            comment: "包装很好".into(),
        },
        later(2),
    )
    .unwrap()
    .order;
    let filed = run(
        &customer,
        Some(&rated),
        &Mutation::RequestAfterSales {
            order_id: oid(),
            request_id: uuid::Uuid::from_u128(7),
            kind: AfterSalesKind::Quality,
            description: "两卷纱线受潮".into(),
            contact: "周建国 13857101234".into(),
        },
        later(3),
    )
    .unwrap()
    .order;
    let resolved = ok(
        &service(),
        &filed,
        Mutation::ResolveAfterSales {
            order_id: oid(),
            request_id: uuid::Uuid::from_u128(7),
            note: "内部：已安排补发，运费由仓库承担".into(),
        },
    );
    let view = customer_view(&resolved, &Pipeline::standard(), Lang::Zh, None, later(4));
    assert!(view.feedback_open);
    let feedback = view.feedback.as_ref().unwrap();
    assert_eq!((feedback.stars, feedback.comment.as_str()), (4, "包装很好"));
    assert!(feedback.editable_until.is_some());
    assert_eq!(view.after_sales.len(), 1);
    assert_eq!(view.after_sales[0].kind_label, "质量问题");
    assert!(view.after_sales[0].resolved_on.is_some());
    let json = serde_json::to_string(&view).unwrap();
    assert!(
        !json.contains("运费由仓库承担"),
        "the team's resolution note is internal"
    );
    assert!(!json.contains("赵敏"), "who resolved it is internal");
    let mut found = BTreeSet::new();
    keys(&serde_json::to_value(&view).unwrap(), "", &mut found);
    for key in [
        "feedback.stars",
        "feedback.comment",
        "feedback.given_on",
        "feedback.editable_until",
        "after_sales.[].kind",
        "after_sales.[].kind_label",
        "after_sales.[].description",
        "after_sales.[].submitted_on",
        "after_sales.[].resolved_on",
    ] {
        assert!(found.remove(key), "missing {key}");
    }
    let later_view = customer_view(
        &resolved,
        &Pipeline::standard(),
        Lang::Zh,
        None,
        later(24 * 8),
    );
    assert_eq!(later_view.feedback.unwrap().editable_until, None);
}

#[test]
fn a_shipped_order_says_shipped_with_the_day_and_never_delivered() {
    let pipeline = Pipeline::standard();
    for order in [shipped_order(), at("after_sales")] {
        let zh = customer_view(&order, &pipeline, Lang::Zh, None, t0());
        assert!(
            zh.current_message.contains("已于"),
            "{}",
            zh.current_message
        );
        assert!(
            zh.current_message.contains("发出"),
            "{}",
            zh.current_message
        );
        assert!(
            !zh.current_message.contains("交付"),
            "{}",
            zh.current_message
        );
        assert!(
            !zh.current_message.contains("正在打包"),
            "{}",
            zh.current_message
        );
        let en = customer_view(&order, &pipeline, Lang::En, None, t0());
        assert!(
            en.current_message.contains("shipped on"),
            "{}",
            en.current_message
        );
        assert!(
            !en.current_message.contains("delivered"),
            "{}",
            en.current_message
        );
    }
}
