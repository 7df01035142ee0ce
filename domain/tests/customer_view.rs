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
        "shipment",
        "shipment.carrier",
        "shipment.tracking_no",
        "shipment.shipped_on",
        "sales_contact",
        "sales_contact.name",
        "sales_contact.phone",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(found, allowed);
}

#[test]
fn the_customer_view_leaks_no_amounts_notes_products_or_staff_ids() {
    let o = shipped_order();
    let json =
        serde_json::to_string(&customer_view(&o, &Pipeline::standard(), Lang::Zh, None)).unwrap();
    for secret in [
        "内部备注",
        "精梳棉纱",
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
fn stages_before_the_current_one_are_done_and_later_ones_upcoming() {
    let view = customer_view(&shipped_order(), &Pipeline::standard(), Lang::Zh, None);
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
    let zh = customer_view(&o, &pipeline, Lang::Zh, None);
    let en = customer_view(&o, &pipeline, Lang::En, None);
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
    let view = customer_view(&o, &Pipeline::standard(), Lang::Zh, None);
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
    let view = customer_view(&o, &Pipeline::standard(), Lang::Zh, None);
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
    let view = customer_view(&o, &Pipeline::standard(), Lang::Zh, None);
    assert_eq!(view.stages[1].state, CustomerStageState::Done);
    assert_eq!(view.stages[1].reached_on, None);
}
