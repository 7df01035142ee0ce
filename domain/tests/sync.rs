mod common;

use common::*;
use domain::*;
use serde::{de::DeserializeOwned, Serialize};
use uuid::Uuid;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let json = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, value, "{json}");
}

#[test]
fn a_push_request_survives_json() {
    round_trip(&PushRequest {
        device_id: Uuid::from_u128(9),
        mutations: vec![
            PendingMutation {
                seq: 1,
                mutation: create(),
                device_time: t0(),
            },
            PendingMutation {
                seq: 2,
                mutation: note(1, "到货后电话确认"),
                device_time: later(1),
            },
        ],
    });
}

#[test]
fn a_push_response_with_a_rejection_survives_json() {
    let err = DomainError::StaleStage {
        current: stage("contract"),
        current_name: Some(Localized::new("合同签订", "Contract signing")),
    };
    let pending = PendingMutation {
        seq: 3,
        mutation: advance("requirement", "contract", None),
        device_time: t0(),
    };
    let rejection = Rejection::new(&pending, &err, later(1));
    assert_eq!(rejection.code, "stale_stage");
    assert_eq!(rejection.order_id, oid());
    assert!(rejection.message.contains("合同签订"));
    round_trip(&PushResponse {
        last_seq: 3,
        rejected: vec![rejection],
    });
}

#[test]
fn a_pull_response_with_full_orders_survives_json() {
    let o = ok(&warehouse(), &at("delivery"), ship());
    round_trip(&PullResponse {
        orders: vec![o, created()],
        tombstones: vec![Uuid::from_u128(77)],
        cursor: 42,
        more: true,
        last_seq: 7,
        rejections: vec![],
        rejection_cursor: 0,
        more_rejections: false,
        process_versions: vec![domain::ProcessVersion::standard()],
        calendar: Some(domain::HolidayCalendar::shipped()),
    });
    round_trip(&PullRequest {
        device_id: Uuid::from_u128(9),
        cursor: 0,
        rejections_after: 0,
        limit: Some(100),
        processes_after: 1,
        calendar_after: 3,
    });
}

#[test]
fn every_error_survives_json_and_keeps_its_code() {
    let errors = [
        DomainError::invalid("x", "错", "wrong"),
        DomainError::NotFound,
        DomainError::OrderExists,
        DomainError::OrderClosed,
        DomainError::StaleStage {
            current: stage("delivery"),
            current_name: Some(Localized::new("发货发票", "Shipping & invoice")),
        },
        DomainError::ReasonRequired,
        DomainError::MissingRequirement {
            requirement: ExitRequirement::Invoice,
        },
        DomainError::forbidden("不行", "no"),
        DomainError::Overflow,
    ];
    for e in &errors {
        round_trip(e);
        let json = serde_json::to_value(e).unwrap();
        assert_eq!(json["code"], e.code());
        for lang in Lang::ALL {
            assert!(!e.message(lang).is_empty());
        }
    }
}

// ---- the server step and the client rebase ------------------------------------------------

fn pending(seq: u64, mutation: Mutation) -> PendingMutation {
    PendingMutation {
        seq,
        mutation,
        device_time: t0(),
    }
}

fn decide(
    actor: &Actor,
    order: Option<&Order>,
    m: Mutation,
    now: chrono::DateTime<chrono::Utc>,
) -> Decision {
    let pipeline = Pipeline::standard();
    let ctx = Context {
        processes: &domain::Processes::single(pipeline.clone()),
        actor,
        now,
    };
    process_with_numbers(&ctx, order, &pending(1, m), |_| false)
}

#[test]
fn advancing_from_a_stage_the_order_already_left_names_who_moved_it_and_when() {
    // 王芳 moved it at 10:42 China time (02:42 UTC); the legal phone was offline meanwhile.
    let moved_at = t0() + chrono::Duration::minutes(42);
    let order = tick_all(&created());
    let order = run(
        &sales(),
        Some(&order),
        &advance("requirement", "contract", None),
        moved_at,
    )
    .unwrap()
    .order;
    let Decision::Rejected(rejection) = decide(
        &admin(),
        Some(&order),
        advance("requirement", "contract", None),
        later(3),
    ) else {
        panic!("a stale advance must be rejected");
    };
    assert_eq!(rejection.code, "stale_stage");
    assert_eq!(rejection.message, "已被王芳于 10:42 推进到 合同签订");
    assert_eq!(
        rejection.message_en,
        "王芳 already moved to Contract signing at 10:42"
    );
    assert_eq!(rejection.seq, 1);
    assert_eq!(rejection.mutation, advance("requirement", "contract", None));
}

#[test]
fn a_stale_message_on_another_day_gives_the_date_too() {
    let order = tick_all(&created());
    let order = run(
        &sales(),
        Some(&order),
        &advance("requirement", "contract", None),
        t0(),
    )
    .unwrap()
    .order;
    let Decision::Rejected(rejection) = decide(
        &admin(),
        Some(&order),
        tick("requirement", "needs_recorded", true),
        later(48),
    ) else {
        panic!("ticking a stage the order left must be rejected");
    };
    assert_eq!(
        rejection.message,
        "已被王芳于 11月26日 10:00 推进到 合同签订"
    );
}

#[test]
fn acting_on_an_order_someone_cancelled_says_who_cancelled_it() {
    let order = ok(
        &sales(),
        &created(),
        Mutation::Cancel {
            order_id: oid(),
            reason: "客户撤单".into(),
        },
    );
    let Decision::Rejected(rejection) = decide(&admin(), Some(&order), ship(), later(2)) else {
        panic!("closed orders refuse shipments");
    };
    assert_eq!(rejection.code, "order_closed");
    assert!(
        rejection.message.starts_with("订单已被王芳于 11:00 取消"),
        "{}",
        rejection.message
    );
}

#[test]
fn the_same_edit_made_twice_is_accepted_without_a_change() {
    let edit = Mutation::EditFields {
        order_id: oid(),
        changes: FieldChanges {
            expected_delivery: Some(Some(date(2026, 12, 24))),
            ..Default::default()
        },
    };
    let once = ok(&sales(), &created(), edit.clone());
    assert_eq!(
        decide(&other_sales(), Some(&once), edit, later(2)),
        Decision::Unchanged
    );
}

#[test]
fn a_colliding_order_number_gets_a_suffix_and_the_history_says_so() {
    let pipeline = Pipeline::standard();
    let ctx = Context {
        processes: &domain::Processes::single(pipeline.clone()),
        actor: &sales(),
        now: t0(),
    };
    let taken = |key: &str| {
        ["hz-2026-001", "ＨＺ-2026-001-2"]
            .iter()
            .any(|t| number_key(t) == key)
    };
    let Decision::Applied(applied) = process_with_numbers(&ctx, None, &pending(1, create()), taken)
    else {
        panic!("a number collision never rejects the order");
    };
    assert_eq!(applied.order.number.as_str(), "HZ-2026-001-3");
    let last = applied.order.history.last().unwrap();
    assert_eq!(
        last.kind,
        EventKind::Renumbered {
            from: "HZ-2026-001".into(),
            to: "HZ-2026-001-3".into()
        }
    );
    assert_eq!(applied.events.last(), Some(last));
    assert_eq!(
        last.describe(&pipeline, Lang::Zh),
        "订单号 HZ-2026-001 与其他订单重复，系统已将其改为 HZ-2026-001-3"
    );
}

#[test]
fn a_renumbered_long_number_still_fits() {
    let pipeline = Pipeline::standard();
    let ctx = Context {
        processes: &domain::Processes::single(pipeline.clone()),
        actor: &sales(),
        now: t0(),
    };
    let long = "A".repeat(OrderNumber::MAX_CHARS);
    let m = match create() {
        Mutation::CreateOrder {
            order_id,
            customer,
            items,
            expected_delivery,
            owner,
            note,
            note_id,
            ..
        } => Mutation::CreateOrder {
            order_id,
            number: Some(long.clone()),
            customer,
            items,
            expected_delivery,
            owner,
            note,
            note_id,
        },
        _ => unreachable!(),
    };
    let Decision::Applied(applied) =
        process_with_numbers(&ctx, None, &pending(1, m), |key| key == number_key(&long))
    else {
        panic!("kept");
    };
    assert_eq!(
        applied.order.number.as_str().chars().count(),
        OrderNumber::MAX_CHARS
    );
    assert!(applied.order.number.as_str().ends_with("-2"));
}

#[test]
fn rebase_puts_pending_changes_on_top_of_the_server_state_and_flags_what_will_fail() {
    let pipeline = Pipeline::standard();
    // The server moved the order on while this (legal) device was offline.
    let server = ok(
        &sales(),
        &tick_all(&created()),
        advance("requirement", "contract", None),
    );
    let base = std::collections::BTreeMap::from([(oid(), server.clone())]);
    let queue = vec![
        pending(4, advance("requirement", "contract", None)),
        pending(5, note(1, "合同已发客户")),
    ];
    let rebased = rebase(
        &domain::Processes::single(pipeline.clone()),
        &legal(),
        &base,
        &queue,
    );
    assert_eq!(rebased.at_risk.len(), 1);
    assert_eq!(rebased.at_risk[0].seq, 4);
    assert!(rebased.at_risk[0].message.contains("王芳"));
    let shown = &rebased.overlay[&oid()];
    assert_eq!(shown.stage, "contract");
    assert_eq!(shown.notes.len(), 1);
    assert_eq!(shown.notes[0].text, "合同已发客户");
}

#[test]
fn rebase_predicts_the_servers_renumbering() {
    let pipeline = Pipeline::standard();
    let mut other = created();
    other.id = Uuid::from_u128(0x99);
    let base = std::collections::BTreeMap::from([(other.id, other)]);
    let rebased = rebase(
        &domain::Processes::single(pipeline.clone()),
        &sales(),
        &base,
        &[pending(1, create())],
    );
    assert!(rebased.at_risk.is_empty());
    assert_eq!(rebased.overlay[&oid()].number.as_str(), "HZ-2026-001-2");
}

#[test]
fn a_purge_pushed_by_a_phone_is_refused_even_for_an_admin_and_changes_nothing() {
    // Purging deletes bytes, which only the server's purge does; a purge arriving through sync
    // would record "purged" while the bytes stay, and block the real purge for good.
    let attachment_id = Uuid::from_u128(0x5001);
    let added = ok(
        &warehouse(),
        &created(),
        Mutation::AddAttachment {
            order_id: oid(),
            attachment: NewAttachment {
                id: attachment_id,
                kind: AttachmentKind::QcPhoto,
                file: FileRef {
                    sha256: "a".repeat(64),
                    file_type: FileType::Jpeg,
                    size: 180_000,
                },
                thumbnail: None,
            },
        },
    );
    let removed = ok(
        &warehouse(),
        &added,
        Mutation::RemoveAttachment {
            order_id: oid(),
            attachment_id,
        },
    );
    let decision = decide(
        &admin(),
        Some(&removed),
        Mutation::PurgeAttachment {
            order_id: oid(),
            attachment_id,
        },
        later(2),
    );
    let Decision::Rejected(rejection) = decision else {
        panic!("a pushed purge must be refused: {decision:?}");
    };
    assert_eq!(rejection.code, "forbidden");
    assert!(
        rejection.message.contains("彻底清除"),
        "{}",
        rejection.message
    );
}

fn json_len(mutation: &Mutation) -> usize {
    serde_json::to_string(mutation).unwrap().len()
}

#[test]
fn a_refused_change_is_kept_whole_up_to_what_a_person_types() {
    // A 2,000-character note (the longest allowed) in Chinese: 6 KB, kept as typed.
    let longest = note(1, &"质".repeat(2_000));
    assert_eq!(bounded_content(&longest), longest);
    assert_eq!(bounded_content(&create()), create());
}

#[test]
fn a_huge_refused_change_is_kept_cut_to_a_few_kb_and_still_says_what_it_was() {
    // An attacker's finding: every refusal was stored whole, up to the 1 MB a push carries.
    let megabyte_note = note(1, &"x".repeat(1_000_000));
    let kept = bounded_content(&megabyte_note);
    assert!(
        json_len(&kept) <= MAX_REJECTED_CONTENT_BYTES,
        "{}",
        json_len(&kept)
    );
    let Mutation::AddNote { text, .. } = &kept else {
        panic!("still a note: {kept:?}")
    };
    assert_eq!(kept.order_id(), oid());
    assert!(text.starts_with("xxxx") && text.ends_with('…'), "{text}");

    let Mutation::CreateOrder { items, .. } = create() else {
        unreachable!()
    };
    let huge_order = Mutation::CreateOrder {
        order_id: oid(),
        number: Some("N".repeat(50_000)),
        customer: Customer {
            company: "明远贸易".repeat(20_000),
            ..customer()
        },
        items: std::iter::repeat_n(items[0].clone(), 5_000).collect(),
        expected_delivery: None,
        owner: None,
        note: Some("备注".repeat(100_000)),
        note_id: None,
    };
    assert!(json_len(&huge_order) > 1_000_000);
    let kept = bounded_content(&huge_order);
    assert!(
        json_len(&kept) <= MAX_REJECTED_CONTENT_BYTES,
        "{}",
        json_len(&kept)
    );
    let Mutation::CreateOrder {
        customer, items, ..
    } = &kept
    else {
        panic!("still a new order: {kept:?}")
    };
    assert!(customer.company.starts_with("明远贸易"));
    assert_eq!(
        customer.phone,
        self::customer().phone,
        "short fields are kept"
    );
    assert!(!items.is_empty());
    // What the server stores and sends back.
    let rejection = Rejection::new(&pending(1, huge_order), &DomainError::OrderExists, later(1))
        .with_bounded_content();
    assert_eq!(rejection.mutation, kept);
}
