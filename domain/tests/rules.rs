//! One test per rule documented at the top of `apply.rs`.

mod common;

use common::*;
use domain::*;
use uuid::Uuid;

// ---- creating ------------------------------------------------------------------------------

#[test]
fn creating_an_order_starts_it_at_the_first_stage_with_a_created_event() {
    let applied = run(&sales(), None, &create(), t0()).unwrap();
    let o = &applied.order;
    assert_eq!(o.stage, "requirement");
    assert_eq!(o.stages.len(), 1);
    assert_eq!(o.current_progress().entered_at, t0());
    assert_eq!(o.current_progress().checklist.len(), 3);
    assert!(o.current_progress().checklist.values().all(|done| !done));
    assert_eq!(o.status, OrderStatus::Active);
    assert_eq!(o.created_at, t0());
    assert_eq!(applied.events.len(), 1);
    assert_eq!(applied.events[0].kind, EventKind::Created);
    assert_eq!(o.history, applied.events);
}

#[test]
fn an_order_created_without_a_number_gets_one_from_the_date_and_id() {
    let m = Mutation::CreateOrder {
        order_id: Uuid::from_u128(0xabcd_7f3a),
        number: Some("   ".into()),
        customer: customer(),
        items: items(),
        expected_delivery: None,
        owner: None,
        note: None,
        note_id: None,
    };
    let o = run(&sales(), None, &m, t0()).unwrap().order;
    assert_eq!(o.number.as_str(), "GD-20261126-7F3A");
}

#[test]
fn an_order_created_without_an_owner_belongs_to_its_creator() {
    let o = run(&service(), None, &create(), t0()).unwrap().order;
    assert_eq!(o.owner, service().staff_ref());
}

#[test]
fn a_creation_note_defaults_to_the_order_id_as_its_note_id() {
    let Mutation::CreateOrder {
        order_id,
        number,
        customer,
        items,
        expected_delivery,
        owner,
        ..
    } = create()
    else {
        unreachable!()
    };
    let m = Mutation::CreateOrder {
        order_id,
        number,
        customer,
        items,
        expected_delivery,
        owner,
        note: Some("  客户要求 12 月中旬前到货\n请确认染色批次  ".into()),
        note_id: None,
    };
    let applied = run(&sales(), None, &m, t0()).unwrap();
    assert_eq!(applied.order.notes.len(), 1);
    assert_eq!(applied.order.notes[0].id, oid());
    assert_eq!(
        applied.order.notes[0].text,
        "客户要求 12 月中旬前到货\n请确认染色批次"
    );
    assert_eq!(
        applied.events[1].kind,
        EventKind::NoteAdded { note_id: oid() }
    );
}

#[test]
fn creating_an_order_that_already_exists_is_rejected() {
    let o = created();
    assert_eq!(
        code(run(&sales(), Some(&o), &create(), t0())),
        "order_exists"
    );
}

#[test]
fn changing_an_order_that_does_not_exist_is_not_found() {
    assert_eq!(code(run(&sales(), None, &note(1, "hi"), t0())), "not_found");
}

#[test]
fn only_sales_service_or_admin_can_create_orders() {
    assert_eq!(code(run(&warehouse(), None, &create(), t0())), "forbidden");
    assert_eq!(code(run(&finance(), None, &create(), t0())), "forbidden");
    assert_eq!(code(run(&admin(), None, &create(), t0())), "ok");
}

#[test]
fn an_order_with_an_invalid_customer_is_not_created() {
    let Mutation::CreateOrder {
        order_id, items, ..
    } = create()
    else {
        unreachable!()
    };
    let m = Mutation::CreateOrder {
        order_id,
        number: None,
        customer: Customer {
            phone: "12".into(),
            ..customer()
        },
        items,
        expected_delivery: None,
        owner: None,
        note: None,
        note_id: None,
    };
    let err = run(&sales(), None, &m, t0()).unwrap_err();
    assert!(matches!(err, DomainError::Invalid { ref field, .. } if field == "customer.phone"));
}

/// A create mutation whose customer is `customer` (the rest as `create()`).
fn create_for(customer: Customer) -> Mutation {
    let Mutation::CreateOrder {
        order_id,
        number,
        items,
        expected_delivery,
        ..
    } = create()
    else {
        unreachable!()
    };
    Mutation::CreateOrder {
        order_id,
        number,
        customer,
        items,
        expected_delivery,
        owner: None,
        note: None,
        note_id: None,
    }
}

#[test]
fn single_line_fields_refuse_bidi_controls_and_zero_width_characters_with_their_own_code() {
    // U+202E shows what follows reversed; U+200B makes two companies look alike.
    for hidden in [
        '\u{202E}', '\u{2066}', '\u{200F}', '\u{200B}', '\u{200D}', '\u{FEFF}',
    ] {
        let company = format!("杭州明远{hidden}纺织");
        let err = run(
            &sales(),
            None,
            &create_for(Customer {
                company,
                ..customer()
            }),
            t0(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "invisible_characters", "{hidden:?}");
        assert_eq!(err.field(), Some("customer.company"));
        assert!(err.message(Lang::Zh).contains("双向控制符"));
        assert!(err.message(Lang::En).contains("zero-width"));
    }
    let contact = Customer {
        contact: "周\u{200B}建国".into(),
        ..customer()
    };
    assert_eq!(
        code(run(&sales(), None, &create_for(contact), t0())),
        "invisible_characters"
    );
    let Mutation::CreateOrder {
        order_id,
        customer,
        items,
        ..
    } = create()
    else {
        unreachable!()
    };
    let spoofed_number = Mutation::CreateOrder {
        order_id,
        number: Some("HZ-2026\u{2067}-001".into()),
        customer,
        items,
        expected_delivery: None,
        owner: None,
        note: None,
        note_id: None,
    };
    assert_eq!(
        code(run(&sales(), None, &spoofed_number, t0())),
        "invisible_characters"
    );
}

#[test]
fn notes_keep_newlines_and_emoji_joiners_but_refuse_bidi_controls() {
    let note = |text: &str| Mutation::AddNote {
        order_id: oid(),
        note_id: Uuid::from_u128(8),
        text: text.into(),
    };
    let kept = run(
        &sales(),
        Some(&created()),
        &note("第一行\n第二行 👨\u{200D}👩\u{200D}👧"),
        t0(),
    );
    assert!(kept.is_ok(), "{kept:?}");
    assert_eq!(
        code(run(
            &sales(),
            Some(&created()),
            &note("请把款打到\u{202E}321 654"),
            t0()
        )),
        "invisible_characters"
    );
}

#[test]
fn a_mutation_addressed_to_another_order_is_rejected() {
    let m = Mutation::AddNote {
        order_id: Uuid::from_u128(7),
        note_id: Uuid::from_u128(8),
        text: "x".into(),
    };
    assert_eq!(code(run(&sales(), Some(&created()), &m, t0())), "invalid");
}

// ---- moving through the pipeline -----------------------------------------------------------

#[test]
fn advancing_to_the_next_stage_with_a_finished_checklist_needs_no_reason() {
    let o = tick_all(&created());
    let applied = run(
        &sales(),
        Some(&o),
        &advance("requirement", "contract", None),
        later(2),
    )
    .unwrap();
    let o = applied.order;
    assert_eq!(o.stage, "contract");
    assert_eq!(o.stages.len(), 2);
    assert_eq!(o.stages[0].left_at, Some(later(2)));
    assert_eq!(o.current_progress().entered_at, later(2));
    assert_eq!(o.current_progress().entered_by, sales().staff_ref());
    assert_eq!(
        applied.events[0].kind,
        EventKind::StageAdvanced {
            from: stage("requirement"),
            to: stage("contract"),
            reason: None,
            skipped: vec![],
            incomplete_items: vec![],
        }
    );
}

#[test]
fn advancing_from_a_stage_the_order_already_left_reports_where_it_is_now() {
    let o = at("contract");
    let err = run(
        &sales(),
        Some(&o),
        &advance("requirement", "contract", None),
        later(2),
    )
    .unwrap_err();
    assert_eq!(
        err,
        DomainError::StaleStage {
            current: stage("contract"),
            current_name: Some(Localized::new("合同签订", "Contract signing")),
        }
    );
}

#[test]
fn skipping_a_stage_requires_a_reason() {
    let o = tick_all(&created());
    let m = advance("requirement", "order_entry", None);
    assert_eq!(
        code(run(&sales(), Some(&o), &m, later(2))),
        "reason_required"
    );
}

#[test]
fn skipping_with_a_reason_records_the_skipped_stages() {
    let o = tick_all(&created());
    let m = advance(
        "requirement",
        "order_entry",
        Some("老客户，沿用年度框架合同"),
    );
    let applied = run(&sales(), Some(&o), &m, later(2)).unwrap();
    assert_eq!(applied.order.stage, "order_entry");
    let EventKind::StageAdvanced {
        skipped, reason, ..
    } = &applied.events[0].kind
    else {
        panic!("expected a stage event")
    };
    assert_eq!(skipped, &vec![stage("contract")]);
    assert_eq!(reason.as_deref(), Some("老客户，沿用年度框架合同"));
}

#[test]
fn moving_back_for_rework_requires_a_reason() {
    let o = tick_all(&at("order_entry"));
    let m = advance("order_entry", "contract", None);
    assert_eq!(
        code(run(&sales(), Some(&o), &m, later(2))),
        "reason_required"
    );
}

#[test]
fn moving_back_appends_a_new_visit_with_a_fresh_checklist() {
    let o = at("order_entry");
    let visits = o.stages.len();
    let m = advance("order_entry", "contract", Some("客户修改付款条款"));
    let o = run(&sales(), Some(&o), &m, later(2)).unwrap().order;
    assert_eq!(o.stage, "contract");
    assert_eq!(o.stages.len(), visits + 1);
    assert!(o.current_progress().checklist.values().all(|done| !done));
    assert_eq!(o.checklist_done(&Pipeline::standard()), (0, 3));
    // The first visit to contract keeps its ticks: the past is not rewritten.
    assert!(o.stages[1].checklist.values().all(|done| *done));
}

#[test]
fn leaving_a_stage_with_unticked_items_requires_a_reason() {
    let o = ok(
        &sales(),
        &created(),
        tick("requirement", "record_needs", true),
    );
    let m = advance("requirement", "contract", None);
    assert_eq!(
        code(run(&sales(), Some(&o), &m, later(2))),
        "reason_required"
    );
}

#[test]
fn leaving_with_unticked_items_and_a_reason_records_the_unticked_items() {
    let o = ok(
        &sales(),
        &created(),
        tick("requirement", "record_needs", true),
    );
    let m = advance("requirement", "contract", Some("客户急单"));
    let applied = run(&sales(), Some(&o), &m, later(2)).unwrap();
    let EventKind::StageAdvanced {
        incomplete_items, ..
    } = &applied.events[0].kind
    else {
        panic!("expected a stage event")
    };
    assert_eq!(
        incomplete_items,
        &vec![
            "confirm_quantity_spec".to_string(),
            "confirm_delivery_date".to_string()
        ]
    );
}

#[test]
fn a_blank_reason_counts_as_no_reason() {
    let m = advance("requirement", "contract", Some("   "));
    assert_eq!(
        code(run(&sales(), Some(&created()), &m, later(2))),
        "reason_required"
    );
}

#[test]
fn a_reason_longer_than_500_characters_is_rejected() {
    let long = "因".repeat(501);
    let m = advance("requirement", "contract", Some(&long));
    assert_eq!(
        code(run(&sales(), Some(&created()), &m, later(2))),
        "invalid"
    );
}

#[test]
fn advancing_to_an_unknown_stage_is_invalid() {
    let m = advance("requirement", "shipping", Some("x"));
    assert_eq!(
        code(run(&sales(), Some(&created()), &m, later(2))),
        "invalid"
    );
}

#[test]
fn advancing_to_the_stage_the_order_is_at_is_invalid() {
    let m = advance("requirement", "requirement", Some("x"));
    assert_eq!(
        code(run(&sales(), Some(&created()), &m, later(2))),
        "invalid"
    );
}

#[test]
fn leaving_delivery_without_a_shipment_is_impossible_even_with_a_reason() {
    let o = tick_all(&at("delivery"));
    let o = ok(&finance(), &o, invoice());
    let m = advance("delivery", "after_sales", Some("客户自提"));
    assert_eq!(
        run(&finance(), Some(&o), &m, later(2)).unwrap_err(),
        DomainError::MissingRequirement {
            requirement: ExitRequirement::Shipment
        }
    );
}

#[test]
fn leaving_delivery_without_an_invoice_is_impossible() {
    let o = tick_all(&at("delivery"));
    let o = ok(&warehouse(), &o, ship());
    let m = advance("delivery", "after_sales", None);
    assert_eq!(
        run(&warehouse(), Some(&o), &m, later(2)).unwrap_err(),
        DomainError::MissingRequirement {
            requirement: ExitRequirement::Invoice
        }
    );
}

#[test]
fn leaving_delivery_with_shipment_and_invoice_recorded_reaches_after_sales() {
    let o = tick_all(&at("delivery"));
    let o = ok(&warehouse(), &o, ship());
    let o = ok(&finance(), &o, invoice());
    let o = run(
        &finance(),
        Some(&o),
        &advance("delivery", "after_sales", None),
        later(2),
    )
    .unwrap()
    .order;
    assert_eq!(o.stage, "after_sales");
}

#[test]
fn skipping_over_delivery_without_a_shipment_is_impossible() {
    let o = at("production");
    let m = advance("production", "after_sales", Some("样品单，无需发货"));
    assert_eq!(
        code(run(&production(), Some(&o), &m, later(2))),
        "missing_requirement"
    );
}

#[test]
fn moving_back_from_delivery_before_shipping_is_allowed_with_a_reason() {
    let o = at("delivery");
    let m = advance("delivery", "production", Some("打包时发现外观瑕疵，返工"));
    let o = run(&warehouse(), Some(&o), &m, later(2)).unwrap().order;
    assert_eq!(o.stage, "production");
}

#[test]
fn only_the_stages_responsible_roles_can_advance_it() {
    let o = tick_all(&created());
    let m = advance("requirement", "contract", None);
    assert_eq!(code(run(&legal(), Some(&o), &m, later(2))), "forbidden");
    assert_eq!(code(run(&service(), Some(&o), &m, later(2))), "ok");
    let o = tick_all(&at("contract"));
    let m = advance("contract", "order_entry", None);
    assert_eq!(code(run(&legal(), Some(&o), &m, later(2))), "ok");
    assert_eq!(code(run(&warehouse(), Some(&o), &m, later(2))), "forbidden");
}

#[test]
fn the_forbidden_message_names_the_roles_that_may_act() {
    let o = tick_all(&created());
    let err = run(
        &legal(),
        Some(&o),
        &advance("requirement", "contract", None),
        later(2),
    )
    .unwrap_err();
    assert_eq!(
        err.message(Lang::Zh),
        "只有销售、客服或管理员可以处理“需求确认”阶段"
    );
}

#[test]
fn an_admin_can_advance_any_stage() {
    let o = tick_all(&at("production"));
    let m = advance("production", "delivery", None);
    assert_eq!(code(run(&admin(), Some(&o), &m, later(2))), "ok");
}

#[test]
fn advancing_a_cancelled_order_is_rejected() {
    let o = ok(
        &sales(),
        &created(),
        Mutation::Cancel {
            order_id: oid(),
            reason: "客户取消".into(),
        },
    );
    let m = advance("requirement", "contract", Some("x"));
    assert_eq!(code(run(&admin(), Some(&o), &m, later(2))), "order_closed");
}

#[test]
fn entering_a_stage_takes_over_the_due_date_and_person_planned_for_it() {
    let o = ok(
        &sales(),
        &created(),
        Mutation::SetDueDate {
            order_id: oid(),
            stage: stage("contract"),
            due: Some(date(2026, 12, 3)),
        },
    );
    let o = ok(
        &legal(),
        &o,
        Mutation::SetStageResponsible {
            order_id: oid(),
            stage: stage("contract"),
            responsible: legal().staff_ref(),
        },
    );
    assert_eq!(o.stage_plans.len(), 1);
    let o = tick_all(&o);
    let o = ok(&sales(), &o, advance("requirement", "contract", None));
    assert_eq!(o.current_progress().due_date, Some(date(2026, 12, 3)));
    assert_eq!(o.current_progress().responsible, Some(legal().staff_ref()));
    assert!(o.stage_plans.is_empty());
}

// ---- completing ----------------------------------------------------------------------------

#[test]
fn completing_is_only_possible_from_the_last_stage() {
    let o = tick_all(&at("delivery"));
    let m = Mutation::Complete {
        order_id: oid(),
        reason: Some("x".into()),
    };
    assert_eq!(code(run(&admin(), Some(&o), &m, later(2))), "invalid");
}

#[test]
fn completing_from_the_last_stage_closes_the_order() {
    let o = tick_all(&at("after_sales"));
    let m = Mutation::Complete {
        order_id: oid(),
        reason: None,
    };
    let applied = run(&service(), Some(&o), &m, later(2)).unwrap();
    assert_eq!(applied.order.status, OrderStatus::Completed);
    assert_eq!(applied.order.current_progress().left_at, Some(later(2)));
    assert_eq!(
        applied.events[0].kind,
        EventKind::Completed { reason: None }
    );
}

#[test]
fn completing_with_unticked_items_requires_a_reason() {
    let o = at("after_sales");
    let m = Mutation::Complete {
        order_id: oid(),
        reason: None,
    };
    assert_eq!(
        code(run(&service(), Some(&o), &m, later(2))),
        "reason_required"
    );
    let m = Mutation::Complete {
        order_id: oid(),
        reason: Some("客户无需回访".into()),
    };
    assert_eq!(code(run(&service(), Some(&o), &m, later(2))), "ok");
}

#[test]
fn completing_requires_a_role_of_the_last_stage() {
    let o = tick_all(&at("after_sales"));
    let m = Mutation::Complete {
        order_id: oid(),
        reason: None,
    };
    assert_eq!(code(run(&warehouse(), Some(&o), &m, later(2))), "forbidden");
}

// ---- checklist -----------------------------------------------------------------------------

#[test]
fn ticking_an_item_of_the_current_stage_records_who_and_when() {
    let applied = run(
        &sales(),
        Some(&created()),
        &tick("requirement", "record_needs", true),
        later(3),
    )
    .unwrap();
    assert!(applied.order.current_progress().checklist["record_needs"]);
    assert_eq!(applied.order.checklist_done(&Pipeline::standard()), (1, 3));
    assert_eq!(applied.events[0].at, later(3));
    assert_eq!(applied.events[0].actor, sales().staff_ref());
}

#[test]
fn unticking_an_item_makes_it_incomplete_again() {
    let o = ok(
        &sales(),
        &created(),
        tick("requirement", "record_needs", true),
    );
    let o = ok(&sales(), &o, tick("requirement", "record_needs", false));
    assert_eq!(o.checklist_done(&Pipeline::standard()), (0, 3));
}

#[test]
fn ticking_an_item_of_a_stage_the_order_is_not_at_reports_the_current_stage() {
    let m = tick("contract", "draft_contract", true);
    assert_eq!(
        run(&sales(), Some(&created()), &m, later(1)).unwrap_err(),
        DomainError::StaleStage {
            current: stage("requirement"),
            current_name: Some(Localized::new("需求确认", "Requirement confirmation")),
        }
    );
}

#[test]
fn ticking_an_item_the_stage_does_not_have_is_invalid() {
    let m = tick("requirement", "legal_review", true);
    assert_eq!(
        code(run(&sales(), Some(&created()), &m, later(1))),
        "invalid"
    );
}

#[test]
fn only_the_stages_responsible_roles_tick_its_checklist() {
    let m = tick("requirement", "record_needs", true);
    assert_eq!(
        code(run(&finance(), Some(&created()), &m, later(1))),
        "forbidden"
    );
}

#[test]
fn ticking_an_already_ticked_item_is_accepted_so_concurrent_ticks_do_not_fail() {
    let o = ok(
        &sales(),
        &created(),
        tick("requirement", "record_needs", true),
    );
    let applied = run(
        &service(),
        Some(&o),
        &tick("requirement", "record_needs", true),
        later(2),
    )
    .unwrap();
    assert_eq!(applied.order.history.len(), o.history.len() + 1);
}

// ---- notes ---------------------------------------------------------------------------------

#[test]
fn anyone_can_add_a_note() {
    for actor in [
        sales(),
        legal(),
        warehouse(),
        production(),
        finance(),
        service(),
        admin(),
    ] {
        assert_eq!(
            code(run(
                &actor,
                Some(&created()),
                &note(1, "已电话沟通"),
                later(1)
            )),
            "ok"
        );
    }
}

#[test]
fn notes_can_still_be_added_to_closed_orders() {
    let o = ok(
        &sales(),
        &created(),
        Mutation::Cancel {
            order_id: oid(),
            reason: "客户取消".into(),
        },
    );
    let o = ok(&service(), &o, note(1, "客户来电确认取消，已退定金"));
    assert_eq!(o.notes.len(), 1);
}

#[test]
fn empty_overlong_or_control_character_notes_are_rejected() {
    let o = created();
    for bad in ["", " \n ", "bell\u{7}", &"字".repeat(2001)] {
        assert_eq!(
            code(run(&sales(), Some(&o), &note(1, bad), later(1))),
            "invalid",
            "{bad:?}"
        );
    }
    assert_eq!(
        code(run(
            &sales(),
            Some(&o),
            &note(1, &"字".repeat(2000)),
            later(1)
        )),
        "ok"
    );
}

#[test]
fn notes_keep_newlines_emoji_and_markup_verbatim() {
    let text = "第一行\n<script>alert('x')</script> ' OR 1=1 -- 👍";
    let o = ok(&sales(), &created(), note(1, text));
    assert_eq!(o.notes[0].text, text);
    assert_eq!(o.notes[0].author, sales().staff_ref());
}

#[test]
fn a_note_id_can_only_be_used_once() {
    let o = ok(&sales(), &created(), note(1, "first"));
    assert_eq!(
        code(run(&sales(), Some(&o), &note(1, "again"), later(2))),
        "invalid"
    );
}

// ---- due dates -----------------------------------------------------------------------------

fn set_due(stage_id: &str, due: Option<chrono::NaiveDate>) -> Mutation {
    Mutation::SetDueDate {
        order_id: oid(),
        stage: stage(stage_id),
        due,
    }
}

#[test]
fn an_explicit_due_date_overrides_the_stage_sla() {
    let pipeline = Pipeline::standard();
    let o = created();
    assert_eq!(o.due_date(&pipeline), date(2026, 11, 28));
    let o = ok(
        &sales(),
        &o,
        set_due("requirement", Some(date(2026, 12, 1))),
    );
    assert_eq!(o.due_date(&pipeline), date(2026, 12, 1));
    let o = ok(&sales(), &o, set_due("requirement", None));
    assert_eq!(o.due_date(&pipeline), date(2026, 11, 28));
}

#[test]
fn a_due_date_before_the_stage_was_entered_is_rejected() {
    let m = set_due("requirement", Some(date(2026, 11, 25)));
    assert_eq!(
        code(run(&sales(), Some(&created()), &m, later(1))),
        "invalid"
    );
    let m = set_due("requirement", Some(date(2026, 11, 26)));
    assert_eq!(code(run(&sales(), Some(&created()), &m, later(1))), "ok");
}

#[test]
fn a_stage_already_passed_cannot_get_a_due_date() {
    let m = set_due("requirement", Some(date(2026, 12, 1)));
    assert_eq!(
        code(run(&sales(), Some(&at("contract")), &m, later(2))),
        "invalid"
    );
}

#[test]
fn a_due_date_for_a_later_stage_is_kept_as_a_plan() {
    let o = ok(
        &sales(),
        &created(),
        set_due("production", Some(date(2026, 12, 15))),
    );
    assert_eq!(
        o.stage_plans[&stage("production")].due_date,
        Some(date(2026, 12, 15))
    );
    assert_eq!(o.current_progress().due_date, None);
    let o = ok(&sales(), &o, set_due("production", None));
    assert!(o.stage_plans.is_empty());
}

#[test]
fn due_dates_are_set_by_the_owner_sales_or_the_stage_department() {
    let m = set_due("production", Some(date(2026, 12, 15)));
    assert_eq!(
        code(run(&production(), Some(&created()), &m, later(1))),
        "ok"
    );
    assert_eq!(
        code(run(&finance(), Some(&created()), &m, later(1))),
        "forbidden"
    );
}

// ---- people --------------------------------------------------------------------------------

#[test]
fn the_owner_sales_or_an_admin_can_reassign_an_order() {
    let m = Mutation::Assign {
        order_id: oid(),
        owner: other_sales().staff_ref(),
    };
    assert_eq!(
        code(run(&warehouse(), Some(&created()), &m, later(1))),
        "forbidden"
    );
    let applied = run(&sales(), Some(&created()), &m, later(1)).unwrap();
    assert_eq!(applied.order.owner, other_sales().staff_ref());
    assert_eq!(
        applied.events[0].kind,
        EventKind::Assigned {
            owner: other_sales().staff_ref()
        }
    );
}

#[test]
fn assigning_an_order_to_its_current_owner_is_invalid() {
    let m = Mutation::Assign {
        order_id: oid(),
        owner: sales().staff_ref(),
    };
    assert_eq!(
        code(run(&sales(), Some(&created()), &m, later(1))),
        "invalid"
    );
}

#[test]
fn naming_the_person_for_a_stage_requires_a_role_of_that_stage() {
    let m = Mutation::SetStageResponsible {
        order_id: oid(),
        stage: stage("requirement"),
        responsible: service().staff_ref(),
    };
    assert_eq!(
        code(run(&legal(), Some(&created()), &m, later(1))),
        "forbidden"
    );
    let o = run(&sales(), Some(&created()), &m, later(1)).unwrap().order;
    assert_eq!(
        o.current_progress().responsible,
        Some(service().staff_ref())
    );
}

// ---- shipping and invoicing ----------------------------------------------------------------

#[test]
fn a_shipment_cannot_be_recorded_before_order_entry() {
    assert_eq!(
        code(run(&warehouse(), Some(&at("contract")), &ship(), later(2))),
        "invalid"
    );
    assert_eq!(
        code(run(
            &warehouse(),
            Some(&at("order_entry")),
            &ship(),
            later(2)
        )),
        "ok"
    );
}

#[test]
fn shipments_are_recorded_by_warehouse_sales_or_admin() {
    let o = at("delivery");
    assert_eq!(
        code(run(&finance(), Some(&o), &ship(), later(2))),
        "forbidden"
    );
    assert_eq!(code(run(&sales(), Some(&o), &ship(), later(2))), "ok");
    let o = run(&warehouse(), Some(&o), &ship(), later(2))
        .unwrap()
        .order;
    let s = o.shipment.unwrap();
    assert_eq!(
        (s.carrier.as_str(), s.tracking_no.as_str(), s.shipped_at),
        ("顺丰速运", "SF1402873365921", later(2))
    );
}

#[test]
fn correcting_a_shipment_keeps_the_original_ship_time() {
    let o = run(&warehouse(), Some(&at("delivery")), &ship(), later(2))
        .unwrap()
        .order;
    let fix = Mutation::RecordShipment {
        order_id: oid(),
        carrier: "顺丰速运".into(),
        tracking_no: "SF1402873365922".into(),
    };
    let o = run(&warehouse(), Some(&o), &fix, later(5)).unwrap().order;
    let s = o.shipment.unwrap();
    assert_eq!(s.tracking_no, "SF1402873365922");
    assert_eq!(s.shipped_at, later(2));
}

#[test]
fn a_blank_or_overlong_carrier_is_rejected() {
    for carrier in ["  ", &"顺".repeat(51)] {
        let m = Mutation::RecordShipment {
            order_id: oid(),
            carrier: carrier.into(),
            tracking_no: "SF1".into(),
        };
        assert_eq!(
            code(run(&warehouse(), Some(&at("delivery")), &m, later(2))),
            "invalid"
        );
    }
}

#[test]
fn invoices_are_recorded_by_finance_sales_or_admin_at_any_stage() {
    assert_eq!(
        code(run(&warehouse(), Some(&created()), &invoice(), later(1))),
        "forbidden"
    );
    let o = run(&finance(), Some(&created()), &invoice(), later(1))
        .unwrap()
        .order;
    assert_eq!(
        o.invoice,
        Some(Invoice {
            number: "04423101".into(),
            date: date(2026, 11, 26)
        })
    );
}

// ---- cancelling and reopening --------------------------------------------------------------

fn cancel(reason: &str) -> Mutation {
    Mutation::Cancel {
        order_id: oid(),
        reason: reason.into(),
    }
}

#[test]
fn cancelling_requires_a_reason() {
    assert_eq!(
        code(run(&sales(), Some(&created()), &cancel("  "), later(1))),
        "invalid"
    );
}

#[test]
fn the_owner_sales_or_an_admin_can_cancel() {
    assert_eq!(
        code(run(&production(), Some(&created()), &cancel("x"), later(1))),
        "forbidden"
    );
    let o = run(
        &admin(),
        Some(&created()),
        &cancel("客户预算调整"),
        later(1),
    )
    .unwrap()
    .order;
    assert_eq!(
        o.status,
        OrderStatus::Cancelled {
            reason: "客户预算调整".into()
        }
    );
}

#[test]
fn the_owner_may_cancel_even_without_a_sales_role() {
    let m = Mutation::CreateOrder {
        order_id: oid(),
        number: None,
        customer: customer(),
        items: items(),
        expected_delivery: None,
        owner: Some(production().staff_ref()),
        note: None,
        note_id: None,
    };
    let o = run(&sales(), None, &m, t0()).unwrap().order;
    assert_eq!(
        code(run(&production(), Some(&o), &cancel("重复录入"), later(1))),
        "ok"
    );
}

#[test]
fn a_closed_order_accepts_only_notes_and_reopening() {
    let o = ok(&sales(), &created(), cancel("客户取消"));
    let refused = [
        tick("requirement", "record_needs", true),
        ship(),
        invoice(),
        cancel("again"),
        Mutation::Assign {
            order_id: oid(),
            owner: other_sales().staff_ref(),
        },
        Mutation::EditFields {
            order_id: oid(),
            changes: FieldChanges {
                number: Some("NEW-1".into()),
                ..Default::default()
            },
        },
    ];
    for m in refused {
        assert_eq!(
            code(run(&admin(), Some(&o), &m, later(2))),
            "order_closed",
            "{}",
            m.kind()
        );
    }
    assert_eq!(code(run(&admin(), Some(&o), &note(1, "x"), later(2))), "ok");
    assert_eq!(
        code(run(
            &admin(),
            Some(&o),
            &Mutation::Reopen { order_id: oid() },
            later(2)
        )),
        "ok"
    );
}

#[test]
fn reopening_an_active_order_is_invalid() {
    let m = Mutation::Reopen { order_id: oid() };
    assert_eq!(
        code(run(&admin(), Some(&created()), &m, later(1))),
        "invalid"
    );
}

#[test]
fn reopening_restarts_the_current_stage_clock_and_keeps_its_ticks() {
    let o = ok(
        &sales(),
        &created(),
        tick("requirement", "record_needs", true),
    );
    let o = ok(&sales(), &o, cancel("客户暂缓"));
    let applied = run(
        &sales(),
        Some(&o),
        &Mutation::Reopen { order_id: oid() },
        later(72),
    )
    .unwrap();
    let r = applied.order;
    assert_eq!(r.status, OrderStatus::Active);
    assert_eq!(r.stage, "requirement");
    assert_eq!(r.stages.len(), o.stages.len() + 1);
    assert_eq!(r.current_progress().entered_at, later(72));
    assert!(r.current_progress().checklist["record_needs"]);
    assert_eq!(applied.events[0].kind, EventKind::Reopened);
}

// ---- editing -------------------------------------------------------------------------------

fn edit(changes: FieldChanges) -> Mutation {
    Mutation::EditFields {
        order_id: oid(),
        changes,
    }
}

#[test]
fn editing_without_any_actual_change_is_invalid() {
    let o = created();
    assert_eq!(
        code(run(
            &sales(),
            Some(&o),
            &edit(FieldChanges::default()),
            later(1)
        )),
        "invalid"
    );
    let same = FieldChanges {
        number: Some(" HZ-2026-001 ".into()),
        customer: Some(customer()),
        items: Some(items()),
        expected_delivery: Some(Some(date(2026, 12, 20))),
    };
    assert_eq!(
        code(run(&sales(), Some(&o), &edit(same), later(1))),
        "invalid"
    );
}

#[test]
fn an_edit_event_lists_only_the_fields_that_really_changed() {
    let changes = FieldChanges {
        number: Some("HZ-2026-001".into()),
        customer: Some(Customer {
            contact: "周经理".into(),
            ..customer()
        }),
        items: Some(items()),
        expected_delivery: Some(None),
    };
    let applied = run(&sales(), Some(&created()), &edit(changes), later(1)).unwrap();
    assert_eq!(
        applied.events[0].kind,
        EventKind::FieldsEdited {
            fields: vec!["customer".into(), "expected_delivery".into()]
        }
    );
    assert_eq!(applied.order.customer.contact, "周经理");
    assert_eq!(applied.order.expected_delivery, None);
}

#[test]
fn editing_is_for_the_owner_sales_service_or_admin() {
    let changes = FieldChanges {
        number: Some("HZ-2026-002".into()),
        ..Default::default()
    };
    assert_eq!(
        code(run(
            &warehouse(),
            Some(&created()),
            &edit(changes.clone()),
            later(1)
        )),
        "forbidden"
    );
    assert_eq!(
        code(run(&service(), Some(&created()), &edit(changes), later(1))),
        "ok"
    );
}

#[test]
fn edited_items_are_validated_like_new_ones() {
    let huge = LineItem {
        product: "x".into(),
        quantity: LineItem::MAX_QUANTITY,
        unit: String::new(),
        unit_price: LineItem::MAX_UNIT_PRICE,
    };
    let overflow = FieldChanges {
        items: Some(vec![huge; 10]),
        ..Default::default()
    };
    assert_eq!(
        code(run(&sales(), Some(&created()), &edit(overflow), later(1))),
        "overflow"
    );
    let negative = FieldChanges {
        items: Some(vec![LineItem {
            product: "x".into(),
            quantity: Quantity::ONE,
            unit: String::new(),
            unit_price: Money(-1),
        }]),
        ..Default::default()
    };
    assert_eq!(
        code(run(&sales(), Some(&created()), &edit(negative), later(1))),
        "invalid"
    );
}

// ---- deadlines and bookkeeping -------------------------------------------------------------

#[test]
fn deadline_state_counts_calendar_days_against_the_due_date() {
    let pipeline = Pipeline::standard();
    let o = created(); // requirement, entered 2026-11-26, SLA 2 days → due 11-28
    assert_eq!(
        o.deadline_state(&pipeline, date(2026, 11, 26)),
        DeadlineState::OnTrack
    );
    assert_eq!(
        o.deadline_state(&pipeline, date(2026, 11, 27)),
        DeadlineState::DueSoon
    );
    assert_eq!(
        o.deadline_state(&pipeline, date(2026, 11, 28)),
        DeadlineState::DueToday
    );
    assert_eq!(
        o.deadline_state(&pipeline, date(2026, 12, 1)),
        DeadlineState::Overdue { days: 3 }
    );
    assert_eq!(o.days_in_stage(date(2026, 12, 1)), 5);
}

#[test]
fn closed_orders_have_no_deadline() {
    let o = ok(&sales(), &created(), cancel("x"));
    assert_eq!(
        o.deadline_state(&Pipeline::standard(), date(2027, 1, 1)),
        DeadlineState::NotApplicable
    );
}

#[test]
fn the_order_total_sums_every_line() {
    assert_eq!(created().total(), Money(2000 * 2350 + 500 * 3100));
    assert_eq!(created().total().format_cny(), "¥62,500.00");
}

#[test]
fn every_accepted_mutation_appends_its_events_and_touches_updated_at() {
    let o = created();
    let applied = run(&sales(), Some(&o), &note(1, "hi"), later(9)).unwrap();
    assert_eq!(applied.order.updated_at, later(9));
    assert_eq!(applied.order.history[..o.history.len()], o.history[..]);
    assert_eq!(applied.order.history[o.history.len()..], applied.events[..]);
}

#[test]
fn apply_all_runs_mutations_in_order_and_stops_at_the_first_rejection() {
    let pipeline = Pipeline::standard();
    let actor = sales();
    let ctx = Context {
        processes: &domain::Processes::single(pipeline.clone()),
        actor: &actor,
        now: t0(),
    };
    let applied = apply_all(&ctx, None, &[create(), note(1, "a"), note(2, "b")]).unwrap();
    assert_eq!(applied.events.len(), 3);
    assert_eq!(applied.order.notes.len(), 2);
    let err = apply_all(&ctx, None, &[create(), note(1, "a"), note(1, "dup")]).unwrap_err();
    assert_eq!(err.code(), "invalid");
}

#[test]
fn history_reads_as_sentences_in_both_languages() {
    let pipeline = Pipeline::standard();
    let o = ok(
        &sales(),
        &tick_all(&created()),
        advance("requirement", "contract", None),
    );
    let last = o.history.last().unwrap();
    assert_eq!(
        last.describe(&pipeline, Lang::Zh),
        "王芳 将订单从 需求确认 推进到 合同签订"
    );
    assert_eq!(
        o.history[1].describe(&pipeline, Lang::Zh),
        "管理员 完成了 需求确认 的「记录客户需求」"
    );
}
