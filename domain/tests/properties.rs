//! Random lives of an order: sequences of valid and invalid mutations by random staff, checked
//! against the invariants sync and reporting rely on.

mod common;

use chrono::Duration;
use common::*;
use domain::*;
use proptest::prelude::*;
use uuid::Uuid;

const STAGES: [&str; 7] = [
    "requirement",
    "contract",
    "order_entry",
    "production",
    "delivery",
    "after_sales",
    "nowhere",
];

const ITEMS: [&str; 8] = [
    "record_needs",
    "confirm_quantity_spec",
    "draft_contract",
    "check_stock",
    "quality_check",
    "pack",
    "satisfaction_visit",
    "bogus",
];

const CODES: [&str; 11] = [
    "invalid",
    "not_found",
    "order_exists",
    "order_closed",
    "stale_stage",
    "reason_required",
    "missing_requirement",
    "required_item_unticked",
    "missing_evidence",
    "forbidden",
    "overflow",
];

fn actors() -> Vec<Actor> {
    let mut all: Vec<Actor> = demo_staff().into_iter().map(|(a, _)| a).collect();
    all.push(Actor::new("u-nobody", "路人", vec![]));
    all.push(sales());
    all
}

/// Admins pass every permission check, so weighting them keeps sequences moving far enough
/// down the pipeline to exercise the later stages.
fn any_actor() -> impl Strategy<Value = Actor> {
    prop_oneof![3 => Just(admin()), 5 => prop::sample::select(actors())]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z0-9 ]{1,12}",
        3 => "[一-龥]{1,8}",
        1 => Just(String::new()),
        1 => Just("   ".to_string()),
        1 => Just("<script>alert(1)</script>".to_string()),
        1 => Just("' OR 1=1 --".to_string()),
        1 => Just("bell\u{7}".to_string()),
        1 => Just("两行\n文字 👍".to_string()),
        1 => Just("长".repeat(2001)),
    ]
}

fn money() -> impl Strategy<Value = Money> {
    prop_oneof![
        4 => (0i64..10_000_000).prop_map(Money),
        1 => Just(Money(-1)),
        1 => Just(Money(i64::MAX)),
        1 => Just(LineItem::MAX_UNIT_PRICE),
    ]
}

/// Whole and decimal quantities (thousandths), zero, the largest allowed and far too large.
fn quantity() -> impl Strategy<Value = Quantity> {
    prop_oneof![
        3 => (1u32..500).prop_map(Quantity::units),
        2 => (1u64..500_000).prop_map(Quantity::from_thousandths),
        1 => Just(Quantity::from_thousandths(0)),
        1 => Just(Quantity::MAX),
        1 => Just(Quantity::units(u32::MAX)),
    ]
}

fn line_items() -> impl Strategy<Value = Vec<LineItem>> {
    prop::collection::vec(
        (text(), quantity(), money()).prop_map(|(product, quantity, unit_price)| LineItem {
            product,
            quantity,
            unit: String::new(),
            unit_price,
        }),
        0..4,
    )
}

fn a_customer() -> impl Strategy<Value = Customer> {
    prop_oneof![
        4 => Just(customer()),
        1 => (text(), "[0-9 +()-]{0,22}").prop_map(|(company, phone)| Customer {
            company,
            phone,
            ..customer()
        }),
    ]
}

fn stage_id() -> impl Strategy<Value = StageId> {
    prop::sample::select(STAGES.to_vec()).prop_map(StageId::new)
}

fn maybe_date() -> impl Strategy<Value = Option<chrono::NaiveDate>> {
    prop::option::of((-5i64..40).prop_map(|d| date(2026, 11, 26) + Duration::days(d)))
}

fn reason() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(0.6, text())
}

/// Either a literal mutation or one aimed at the order's state at the time it is applied, so
/// random sequences actually travel through the pipeline instead of mostly bouncing off it.
#[derive(Debug, Clone)]
enum Op {
    Raw(Box<Mutation>),
    AdvanceFromCurrent {
        to: StageId,
        reason: Option<String>,
    },
    AdvanceToNext {
        reason: Option<String>,
    },
    TickCurrent {
        item: usize,
        done: bool,
    },
    /// Ships when the order has reached delivery, otherwise finishes the order if it can.
    Fulfil {
        tracking_no: String,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let id = prop_oneof![9 => Just(oid()), 1 => Just(Uuid::from_u128(0x99))];
    let note_id = (0u128..4).prop_map(|n| Uuid::from_u128(0x1000 + n));
    prop_oneof![
        1 => (a_customer(), line_items(), maybe_date(), prop::option::of(text())).prop_map(
            |(customer, items, expected_delivery, note)| Op::Raw(Box::new(Mutation::CreateOrder {
                order_id: oid(),
                number: None,
                customer,
                items,
                expected_delivery,
                owner: None,
                note,
                note_id: None,
            }))
        ),
        2 => (prop::option::of(text()), prop::option::of(a_customer()), prop::option::of(line_items()), prop::option::of(maybe_date()))
            .prop_map(|(number, customer, items, expected_delivery)| Op::Raw(Box::new(Mutation::EditFields {
                order_id: oid(),
                changes: FieldChanges { number, customer, items, expected_delivery },
            }))),
        2 => (id.clone(), stage_id(), stage_id(), reason()).prop_map(|(order_id, from, to, reason)| {
            Op::Raw(Box::new(Mutation::AdvanceStage { order_id, from, to, reason }))
        }),
        4 => (stage_id(), reason()).prop_map(|(to, reason)| Op::AdvanceFromCurrent { to, reason }),
        8 => reason().prop_map(|reason| Op::AdvanceToNext { reason }),
        8 => (0usize..3, prop::bool::weighted(0.85)).prop_map(|(item, done)| Op::TickCurrent { item, done }),
        1 => (stage_id(), prop::sample::select(ITEMS.to_vec()), any::<bool>()).prop_map(|(stage, item, done)| {
            Op::Raw(Box::new(Mutation::SetChecklistItem { order_id: oid(), stage, item: item.into(), done }))
        }),
        3 => (id.clone(), note_id, text()).prop_map(|(order_id, note_id, text)| {
            Op::Raw(Box::new(Mutation::AddNote { order_id, note_id, text }))
        }),
        2 => (stage_id(), maybe_date()).prop_map(|(stage, due)| Op::Raw(Box::new(Mutation::SetDueDate { order_id: oid(), stage, due }))),
        1 => prop::sample::select(actors()).prop_map(|a| Op::Raw(Box::new(Mutation::Assign { order_id: oid(), owner: a.staff_ref() }))),
        1 => (stage_id(), prop::sample::select(actors())).prop_map(|(stage, a)| {
            Op::Raw(Box::new(Mutation::SetStageResponsible { order_id: oid(), stage, responsible: a.staff_ref() }))
        }),
        3 => (text(), text()).prop_map(|(carrier, tracking_no)| Op::Raw(Box::new(Mutation::RecordShipment { order_id: oid(), carrier, tracking_no }))),
        3 => (Just("顺丰速运".to_string()), "SF[0-9]{12}").prop_map(|(carrier, tracking_no)| Op::Raw(Box::new(Mutation::RecordShipment { order_id: oid(), carrier, tracking_no }))),
        3 => ("[0-9]{8}", maybe_date()).prop_map(|(number, date)| Op::Raw(Box::new(Mutation::RecordInvoice {
            order_id: oid(),
            number,
            date: date.unwrap_or(common::date(2026, 11, 26)),
        }))),
        2 => reason().prop_map(|reason| Op::Raw(Box::new(Mutation::Complete { order_id: oid(), reason }))),
        1 => text().prop_map(|reason| Op::Raw(Box::new(Mutation::Cancel { order_id: oid(), reason }))),
        1 => Just(Op::Raw(Box::new(Mutation::Reopen { order_id: oid() }))),
        4 => "SF[0-9]{12}".prop_map(|tracking_no| Op::Fulfil { tracking_no }),
    ]
}

fn resolve(op: &Op, order: Option<&Order>, pipeline: &Pipeline) -> Mutation {
    let current = order.map_or_else(|| stage("requirement"), |o| o.stage.clone());
    match op {
        Op::Raw(m) => (**m).clone(),
        Op::AdvanceFromCurrent { to, reason } => Mutation::AdvanceStage {
            order_id: oid(),
            from: current,
            to: to.clone(),
            reason: reason.clone(),
        },
        Op::AdvanceToNext { reason } => Mutation::AdvanceStage {
            order_id: oid(),
            to: pipeline
                .next(&current)
                .map_or_else(|| current.clone(), |s| s.id.clone()),
            from: current,
            reason: reason.clone(),
        },
        Op::Fulfil { tracking_no } if current == "delivery" => Mutation::RecordShipment {
            order_id: oid(),
            carrier: "顺丰速运".into(),
            tracking_no: tracking_no.clone(),
        },
        Op::Fulfil { .. } => Mutation::Complete {
            order_id: oid(),
            reason: Some("回访完成".into()),
        },
        Op::TickCurrent { item, done } => {
            let items = pipeline
                .stage(&current)
                .map(|s| s.checklist.clone())
                .unwrap_or_default();
            Mutation::SetChecklistItem {
                order_id: oid(),
                item: items
                    .get(*item % items.len().max(1))
                    .map_or("none".into(), |i| i.id.clone()),
                stage: current,
                done: *done,
            }
        }
    }
}

fn check_accepted(
    pipeline: &Pipeline,
    before: Option<&Order>,
    m: &Mutation,
    applied: &Applied,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), TestCaseError> {
    let after = &applied.order;
    prop_assert!(
        !applied.events.is_empty(),
        "an accepted mutation records at least one event"
    );
    prop_assert_eq!(after.updated_at, now);
    prop_assert_eq!(after.id, m.order_id());

    // Money is never negative, and the total fits.
    for item in &after.items {
        prop_assert!(item.unit_price >= Money::ZERO);
        prop_assert!(item.subtotal().is_ok_and(|s| s >= Money::ZERO));
    }
    prop_assert!(after.total() >= Money::ZERO);
    prop_assert!(validate_items(&after.items).is_ok());

    // The current stage is a real stage and its visit is the last one.
    prop_assert!(pipeline.stage(&after.stage).is_some());
    prop_assert_eq!(&after.current_progress().stage, &after.stage);

    let (prev_history, prev_notes, prev_stages, prev_stage) = match before {
        Some(b) => (&b.history[..], &b.notes[..], &b.stages[..], Some(&b.stage)),
        None => (&[][..], &[][..], &[][..], None),
    };
    // History and notes only grow, never rewriting what was there.
    prop_assert_eq!(&after.history[..prev_history.len()], prev_history);
    prop_assert_eq!(&after.history[prev_history.len()..], &applied.events[..]);
    prop_assert!(
        after.notes.len() >= prev_notes.len() && after.notes.len() <= prev_notes.len() + 1
    );
    prop_assert_eq!(&after.notes[..prev_notes.len()], prev_notes);

    // The stage moves only with a recorded StageAdvanced event; visits grow one per entry.
    let advances: Vec<&StageId> = applied
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::StageAdvanced { to, .. } => Some(to),
            _ => None,
        })
        .collect();
    let reopens = applied
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Reopened)
        .count();
    if let Some(prev_stage) = prev_stage {
        if prev_stage != &after.stage {
            prop_assert_eq!(advances.clone(), vec![&after.stage]);
        }
        prop_assert_eq!(
            after.stages.len(),
            prev_stages.len() + advances.len() + reopens
        );
        let settled = prev_stages.len() - 1;
        prop_assert_eq!(&after.stages[..settled], &prev_stages[..settled]);
        prop_assert!(after.stages.len() >= prev_stages.len());
    } else {
        prop_assert_eq!(after.stages.len(), 1);
        prop_assert_eq!(&after.stage, &pipeline.first().id);
    }

    // Lossless JSON for what gets synced and stored.
    let json = serde_json::to_string(after).unwrap();
    prop_assert_eq!(&serde_json::from_str::<Order>(&json).unwrap(), after);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_lives_of_an_order_keep_every_invariant(
        steps in prop::collection::vec((any_actor(), 0i64..60, op()), 1..40),
        creator in prop::sample::select(vec![sales(), service(), admin()]),
    ) {
        let pipeline = Pipeline::standard();
        let mut now = t0();
        let mut order = Some(run(&creator, None, &create(), now).unwrap().order);
        for (actor, hours, op) in steps {
            now += Duration::hours(hours);
            let m = resolve(&op, order.as_ref(), &pipeline);
            let ctx = Context { processes: &domain::Processes::single(pipeline.clone()), actor: &actor, now };
            let first = apply(&ctx, order.as_ref(), &m);
            let second = apply(&ctx, order.as_ref(), &m);
            prop_assert_eq!(&first, &second, "apply must be deterministic");

            let mutation_json = serde_json::to_string(&m).unwrap();
            prop_assert_eq!(&serde_json::from_str::<Mutation>(&mutation_json).unwrap(), &m);

            let closed = order.as_ref().is_some_and(Order::is_closed);
            match first {
                Ok(applied) => {
                    let allowed_when_closed = matches!(m, Mutation::AddNote { .. } | Mutation::Reopen { .. });
                    prop_assert!(!closed || allowed_when_closed, "closed orders accept only notes and reopening");
                    check_accepted(&pipeline, order.as_ref(), &m, &applied, now)?;
                    order = Some(applied.order);
                }
                Err(e) => {
                    prop_assert!(CODES.contains(&e.code()), "unknown code {}", e.code());
                    prop_assert!(!e.message(Lang::Zh).is_empty() && !e.message(Lang::En).is_empty());
                    let back: DomainError = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
                    prop_assert_eq!(&back, &e);
                    let closed_only = !matches!(m, Mutation::AddNote { .. } | Mutation::Reopen { .. } | Mutation::CreateOrder { .. });
                    if closed && closed_only && m.order_id() == oid() {
                        prop_assert_eq!(e.code(), "order_closed");
                    }
                }
            }
        }
    }

    #[test]
    fn creating_from_random_input_never_yields_negative_or_overflowing_money(
        customer in a_customer(),
        items in line_items(),
        actor in prop::sample::select(actors()),
    ) {
        let m = Mutation::CreateOrder {
            order_id: oid(),
            number: None,
            customer,
            items,
            expected_delivery: None,
            owner: None,
            note: None,
            note_id: None,
        };
        match run(&actor, None, &m, t0()) {
            Ok(applied) => {
                prop_assert!(applied.order.total() >= Money::ZERO);
                prop_assert!(applied.order.items.iter().all(|i| i.subtotal().is_ok()));
            }
            Err(e) => prop_assert!(CODES.contains(&e.code())),
        }
    }

    #[test]
    fn formatted_amounts_parse_back_to_the_same_fen(fen in 0i64..=1_000_000_000_000_000) {
        prop_assert_eq!(Money::parse_yuan(&Money(fen).format_cny()).unwrap(), Money(fen));
    }

    #[test]
    fn formatting_any_amount_never_panics_and_keeps_two_decimals(fen in any::<i64>()) {
        let s = Money(fen).format_cny();
        prop_assert!(s.contains('¥'));
        prop_assert_eq!(s.split('.').nth(1).map(str::len), Some(2));
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(input in ".{0,30}") {
        if let Ok(m) = Money::parse_yuan(&input) {
            prop_assert!(m >= Money::ZERO);
        }
    }
}
