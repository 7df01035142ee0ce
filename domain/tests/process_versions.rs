//! The versioned process: publishing, drafts and their bad input, orders on older versions,
//! migrations, and a property test over random edit sequences with random in-flight orders.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use domain::process_version::{draft_from_input, MAX_CHECKLIST_ITEMS, MAX_STAGES};
use domain::*;
use proptest::prelude::*;

fn author() -> StaffRef {
    StaffRef::new("u-admin", "管理员")
}

fn quote_stage() -> StageDef {
    StageDef {
        id: StageId::new("quote"),
        name: Localized::new("报价", "Quotation"),
        responsible: vec![Role::Sales],
        checklist: vec![ChecklistItemDef {
            id: "send_quote".into(),
            label: Localized::new("发送报价单", "Send the quotation"),
            required: false,
            evidence: None,
        }],
        sla_days: 3,
        sla_working_days: false,
        customer_label: Localized::new("报价", "Quotation"),
        customer_message: Localized::new("我们正在为您准备报价。", "We are preparing your quote."),
        notify_customer: false,
        exit_requirements: vec![],
        required_fields: vec![],
        skippable: true,
    }
}

/// Version 2 as the issue's walk-through makes it: 报价 after 需求确认, 生产/采购 renamed to
/// 生产/备货, and a new checklist item in production.
fn version_two(v1: &Processes) -> Processes {
    let base = v1.current().clone();
    let mut draft = ProcessDraft::from_version(&base);
    draft
        .edit(
            &base,
            DraftEdit::Add {
                after: Some(StageId::new("requirement")),
                stage: quote_stage(),
            },
        )
        .unwrap();
    let mut production = draft.stages[4].clone();
    assert_eq!(production.id, "production");
    production.name = Localized::new("生产/备货", "Production / stocking");
    production.checklist.push(ChecklistItemDef {
        id: "photo_before_shipping".into(),
        label: Localized::new("出厂前拍照", "Photograph before shipping"),
        required: true,
        evidence: None,
    });
    draft
        .edit(&base, DraftEdit::Update { stage: production })
        .unwrap();
    let published = v1.publish(&draft, author(), "加入报价", later(1)).unwrap();
    assert_eq!(published.number, 2);
    Processes::new(v1.versions().cloned().chain([published]))
}

fn run_on(
    processes: &Processes,
    actor: &Actor,
    order: Option<&Order>,
    m: &Mutation,
    hours: i64,
) -> Result<Applied, DomainError> {
    let ctx = Context {
        processes,
        actor,
        now: later(hours),
    };
    apply(&ctx, order, m)
}

#[test]
fn a_new_order_starts_on_the_current_version_and_walks_through_the_added_stage() {
    let processes = version_two(&Processes::standard());
    let order = run_on(&processes, &sales(), None, &create(), 2)
        .unwrap()
        .order;
    assert_eq!(order.process_version, 2);
    let order = run_on(
        &processes,
        &sales(),
        Some(&tick_all_on(&processes, &order)),
        &advance("requirement", "quote", None),
        3,
    )
    .unwrap()
    .order;
    assert_eq!(order.stage, "quote");
    // Skipping 报价 on version 2 is a skip: it needs a reason.
    let fresh = run_on(&processes, &sales(), None, &create(), 2)
        .unwrap()
        .order;
    let skipped = run_on(
        &processes,
        &sales(),
        Some(&tick_all_on(&processes, &fresh)),
        &advance("requirement", "contract", None),
        3,
    );
    assert_eq!(skipped.unwrap_err(), DomainError::ReasonRequired);
}

fn tick_all_on(processes: &Processes, order: &Order) -> Order {
    let pipeline = processes.for_order(order);
    let mut order = order.clone();
    for item in &pipeline.stage(&order.stage).unwrap().checklist {
        let m = tick(order.stage.as_str(), &item.id, true);
        order = run_on(processes, &admin(), Some(&order), &m, 2)
            .unwrap()
            .order;
    }
    order
}

#[test]
fn orders_of_an_older_version_keep_advancing_under_their_own_rules() {
    let old = created();
    assert_eq!(old.process_version, 1);
    let processes = version_two(&Processes::standard());
    // requirement → contract is the normal next step on version 1: no reason needed.
    let moved = run_on(
        &processes,
        &sales(),
        Some(&tick_all_on(&processes, &old)),
        &advance("requirement", "contract", None),
        3,
    )
    .unwrap()
    .order;
    assert_eq!(moved.stage, "contract");
    assert_eq!(moved.process_version, 1);
    // And 报价 is not a stage of version 1 at all.
    let refused = run_on(
        &processes,
        &sales(),
        Some(&old),
        &advance("requirement", "quote", Some("试试")),
        3,
    );
    assert_eq!(refused.unwrap_err().field(), Some("to"));
}

#[test]
fn wording_changes_show_at_once_on_orders_of_older_versions() {
    let processes = version_two(&Processes::standard());
    let v1 = processes.pipeline(1);
    let production = v1.stage(&StageId::new("production")).unwrap();
    assert_eq!(production.name.zh, "生产/备货");
    // Structure stays the version's own: version 1 did not get the new checklist item.
    assert!(production.item("photo_before_shipping").is_none());
    assert_eq!(v1.stages.len(), 6);
    assert_eq!(processes.pipeline(2).stages.len(), 7);
}

#[test]
fn an_sla_change_applies_to_orders_started_after_publishing() {
    let v1 = Processes::standard();
    let base = v1.current().clone();
    let mut draft = ProcessDraft::from_version(&base);
    let mut requirement = draft.stages[0].clone();
    requirement.sla_days = 10;
    draft
        .edit(&base, DraftEdit::Update { stage: requirement })
        .unwrap();
    let v2 = v1.publish(&draft, author(), "放宽时限", later(1)).unwrap();
    let processes = Processes::new([base, v2]);
    let old = created();
    let new = run_on(&processes, &sales(), None, &create(), 0)
        .unwrap()
        .order;
    assert_eq!(
        old.due_date(processes.for_order(&old)),
        date(2026, 11, 26) + chrono::Duration::days(2)
    );
    assert_eq!(
        new.due_date(processes.for_order(&new)),
        date(2026, 11, 26) + chrono::Duration::days(10)
    );
}

#[test]
fn stage_keys_are_never_reused_and_stages_are_archived_not_deleted() {
    let base = ProcessVersion::standard();
    let mut draft = ProcessDraft::from_version(&base);
    draft
        .edit(
            &base,
            DraftEdit::Archive {
                stage: StageId::new("contract"),
            },
        )
        .unwrap();
    let mut impostor = quote_stage();
    impostor.id = StageId::new("contract");
    let reused = draft.edit(
        &base,
        DraftEdit::Add {
            after: None,
            stage: impostor,
        },
    );
    assert_eq!(reused.unwrap_err().field(), Some("stage.id"));
    // The draft is unchanged by a refused edit.
    assert_eq!(draft.archived.len(), 1);
    // Dropping an archived stage from the draft is deleting it: refused.
    let mut deleting = draft.clone();
    deleting.archived.clear();
    assert_eq!(deleting.check(&base).unwrap_err().field(), Some("archived"));
    // It comes back only as itself.
    draft
        .edit(
            &base,
            DraftEdit::Restore {
                stage: StageId::new("contract"),
                after: Some(StageId::new("requirement")),
            },
        )
        .unwrap();
    assert_eq!(draft.stages, base.stages);
}

#[test]
fn a_migration_mapping_is_total_or_refused() {
    let v1 = Processes::standard();
    let base = v1.current().clone();
    let mut draft = ProcessDraft::from_version(&base);
    draft
        .edit(
            &base,
            DraftEdit::Archive {
                stage: StageId::new("contract"),
            },
        )
        .unwrap();
    let v2 = v1.publish(&draft, author(), "去掉合同", later(1)).unwrap();
    let processes = Processes::new([base, v2]);
    let from = BTreeSet::from([1]);

    let missing = plan_migration(&processes, &from, &BTreeMap::new());
    assert_eq!(missing.unwrap_err().field(), Some("mapping.contract"));

    let to_nowhere = BTreeMap::from([(StageId::new("contract"), StageId::new("contract"))]);
    let refused = plan_migration(&processes, &from, &to_nowhere);
    assert_eq!(refused.unwrap_err().field(), Some("mapping.contract"));

    let typo = BTreeMap::from([
        (StageId::new("contract"), StageId::new("order_entry")),
        (StageId::new("contrakt"), StageId::new("order_entry")),
    ]);
    let refused = plan_migration(&processes, &from, &typo);
    assert_eq!(refused.unwrap_err().field(), Some("mapping.contrakt"));

    let total = BTreeMap::from([(StageId::new("contract"), StageId::new("order_entry"))]);
    let plan = plan_migration(&processes, &from, &total).unwrap();
    assert_eq!(plan.to_version, 2);
    assert_eq!(plan.moves[&1].len(), 6);
    assert_eq!(plan.moves[&1][&StageId::new("contract")], "order_entry");

    // The preview counts the orders per stage that would move.
    let in_contract = at("contract");
    let in_production = at("production");
    let impact = plan.impact([&in_contract, &in_production, &created()]);
    let rows: Vec<_> = impact
        .iter()
        .map(|r| (r.from_stage.as_str(), r.to_stage.as_str(), r.orders))
        .collect();
    assert_eq!(
        rows,
        [
            ("contract", "order_entry", 1),
            ("production", "production", 1),
            ("requirement", "requirement", 1),
        ]
    );

    // Each moved order gets a history event and a fresh visit of its new stage.
    let (moved, event) = plan
        .migrate(&processes, &in_contract, &author(), later(30))
        .unwrap();
    assert_eq!(moved.process_version, 2);
    assert_eq!(moved.stage, "order_entry");
    assert_eq!(moved.current_progress().stage, "order_entry");
    assert_eq!(moved.history.last(), Some(&event));
    assert_eq!(
        event.describe(processes.board_pipeline(), Lang::Zh),
        "管理员 将订单从第 1 版流程的 合同签订 迁移到第 2 版的 下单处理"
    );
}

#[test]
fn stages_added_behind_an_order_count_as_skipped_never_overdue() {
    let processes = version_two(&Processes::standard());
    let in_production = at("production");
    let plan = plan_migration(&processes, &BTreeSet::from([1]), &BTreeMap::new()).unwrap();
    let (moved, event) = plan
        .migrate(&processes, &in_production, &author(), later(40))
        .unwrap();
    assert_eq!(moved.stage, "production");
    let EventKind::ProcessMigrated { skipped, .. } = &event.kind else {
        panic!("not a migration event: {event:?}");
    };
    assert_eq!(skipped, &[StageId::new("quote")]);
    // Only the current stage has a deadline; 报价 never gets one for this order.
    let pipeline = processes.for_order(&moved);
    assert_eq!(
        moved.due_date(pipeline),
        in_production.due_date(processes.for_order(&in_production))
    );
    assert!(moved.progress_of(&StageId::new("quote")).is_none());
    // And it keeps advancing on version 2.
    let next = run_on(
        &processes,
        &admin(),
        Some(&tick_all_on(&processes, &moved)),
        &advance("production", "delivery", None),
        41,
    )
    .unwrap()
    .order;
    assert_eq!(next.stage, "delivery");
}

#[test]
fn publishing_from_a_stale_base_is_refused_with_the_current_version() {
    let v2 = version_two(&Processes::standard());
    let stale = ProcessDraft::from_version(&ProcessVersion::standard());
    match v2.publish(&stale, author(), "晚了", later(5)) {
        Err(PublishRefusal::StaleBase { current }) => {
            assert_eq!(current.number, 2);
            assert_eq!(current.note, "加入报价");
        }
        other => panic!("expected a stale base, got {other:?}"),
    }
}

#[test]
fn restoring_an_old_version_publishes_a_copy_and_archives_what_came_later() {
    let v2 = version_two(&Processes::standard());
    let draft = v2.restore_draft(1).unwrap();
    assert_eq!(draft.base_version, 2);
    let v3 = v2
        .publish(&draft, author(), "恢复第 1 版", later(9))
        .unwrap();
    assert_eq!(v3.number, 3);
    let ids: Vec<_> = v3.stages.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids.len(), 6);
    assert_eq!(v3.archived.len(), 1);
    assert_eq!(v3.archived[0].id, "quote");
}

fn input_of(stage: &StageDef) -> StageInput {
    StageInput {
        id: stage.id.clone(),
        name: stage.name.clone(),
        responsible: stage
            .responsible
            .iter()
            .map(|r| r.as_str().to_string())
            .collect(),
        checklist: stage.checklist.clone(),
        sla_days: i64::from(stage.sla_days),
        sla_working_days: stage.sla_working_days,
        customer_label: stage.customer_label.clone(),
        customer_message: stage.customer_message.clone(),
        notify_customer: stage.notify_customer,
        exit_requirements: vec![],
        required_fields: vec![],
        skippable: true,
    }
}

/// The draft checked as the API checks it: parse, then the whole-draft rules.
fn check_input(stages: Vec<StageInput>) -> Result<ProcessDraft, DomainError> {
    let base = ProcessVersion::standard();
    let draft = draft_from_input(1, &stages, &[])?;
    draft.check(&base)?;
    Ok(draft)
}

fn standard_inputs() -> Vec<StageInput> {
    ProcessVersion::standard()
        .stages
        .iter()
        .map(input_of)
        .collect()
}

#[test]
fn bad_drafts_are_refused_naming_the_field() {
    let field =
        |stages: Vec<StageInput>| check_input(stages).unwrap_err().field().map(str::to_string);
    let mut duplicate_name = standard_inputs();
    duplicate_name[1].name = duplicate_name[0].name.clone();
    assert_eq!(field(duplicate_name).as_deref(), Some("stages[1].name"));

    let mut empty_name = standard_inputs();
    empty_name[2].name.zh = "  ".into();
    assert_eq!(field(empty_name).as_deref(), Some("stages[2].name.zh"));

    assert_eq!(field(vec![]).as_deref(), Some("stages"));

    for bad in [-1, 366] {
        let mut sla = standard_inputs();
        sla[3].sla_days = bad;
        assert_eq!(field(sla).as_deref(), Some("stages[3].sla_days"));
    }
    let mut sla = standard_inputs();
    sla[3].sla_days = 365;
    assert!(check_input(sla).is_ok());

    let mut too_many = standard_inputs();
    for i in 0..MAX_STAGES {
        let mut extra = input_of(&quote_stage());
        extra.id = StageId::new(&format!("extra_{i}"));
        extra.name = Localized::new(format!("附加{i}"), format!("Extra {i}"));
        too_many.push(extra);
    }
    assert_eq!(field(too_many).as_deref(), Some("stages"));

    let mut long_list = standard_inputs();
    long_list[0].checklist = (0..=MAX_CHECKLIST_ITEMS)
        .map(|i| ChecklistItemDef {
            id: format!("item_{i}"),
            label: Localized::new(format!("第{i}项"), format!("Item {i}")),
            required: false,
            evidence: None,
        })
        .collect();
    assert_eq!(field(long_list).as_deref(), Some("stages[0].checklist"));

    let mut novel = standard_inputs();
    novel[4].customer_message.en = "x".repeat(10_000);
    assert_eq!(
        field(novel).as_deref(),
        Some("stages[4].customer_message.en")
    );

    let mut unknown_role = standard_inputs();
    unknown_role[1].responsible.push("boss".into());
    assert_eq!(
        field(unknown_role).as_deref(),
        Some("stages[1].responsible[2]")
    );

    let mut deleted = standard_inputs();
    deleted.remove(5);
    assert_eq!(field(deleted).as_deref(), Some("archived"));
}

// ---- the property: random edit sequences, random in-flight orders -------------------------

#[derive(Debug, Clone)]
enum Step {
    Add {
        after: usize,
        name: u8,
    },
    Rename {
        stage: usize,
        name: u8,
    },
    Sla {
        stage: usize,
        days: u32,
    },
    Move {
        stage: usize,
        to: usize,
    },
    Archive {
        stage: usize,
    },
    Restore {
        stage: usize,
        after: usize,
    },
    Publish,
    /// A new order on the current version, advanced `steps` stages with reasons.
    NewOrder {
        steps: usize,
    },
    /// Migrate every in-flight order, each disappearing stage mapped to the pick'th stage.
    Migrate {
        pick: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..40usize, any::<u8>()).prop_map(|(after, name)| Step::Add { after, name }),
        (0..40usize, any::<u8>()).prop_map(|(stage, name)| Step::Rename { stage, name }),
        (0..40usize, 0..400u32).prop_map(|(stage, days)| Step::Sla { stage, days }),
        (0..40usize, 0..40usize).prop_map(|(stage, to)| Step::Move { stage, to }),
        (0..40usize).prop_map(|stage| Step::Archive { stage }),
        (0..40usize, 0..40usize).prop_map(|(stage, after)| Step::Restore { stage, after }),
        Just(Step::Publish),
        (0..8usize).prop_map(|steps| Step::NewOrder { steps }),
        (0..40usize).prop_map(|pick| Step::Migrate { pick }),
    ]
}

struct World {
    processes: Processes,
    draft: ProcessDraft,
    orders: Vec<Order>,
    next_key: u32,
    clock: i64,
    /// Every key ever published, with the first stage name it was published under.
    keys_seen: BTreeMap<StageId, String>,
}

impl World {
    fn new() -> World {
        let processes = Processes::standard();
        let draft = ProcessDraft::from_version(processes.current());
        World {
            processes,
            draft,
            orders: Vec::new(),
            next_key: 0,
            clock: 0,
            keys_seen: BTreeMap::new(),
        }
    }

    fn nth(&self, i: usize) -> Option<StageId> {
        let n = self.draft.stages.len();
        (n > 0).then(|| self.draft.stages[i % n].id.clone())
    }

    fn run(&mut self, step: &Step) {
        let base = self.processes.current().clone();
        self.clock += 1;
        let edit = match step {
            Step::Add { after, name } => {
                self.next_key += 1;
                let mut stage = quote_stage();
                stage.id = StageId::new(&format!("s{}", self.next_key));
                stage.name = Localized::new(format!("阶段{name}"), format!("Stage {name}"));
                Some(DraftEdit::Add {
                    after: self.nth(*after),
                    stage,
                })
            }
            Step::Rename { stage, name } => self.nth(*stage).map(|id| {
                let mut def = self
                    .draft
                    .stages
                    .iter()
                    .find(|s| s.id == id)
                    .unwrap()
                    .clone();
                def.name = Localized::new(format!("改名{name}"), format!("Renamed {name}"));
                DraftEdit::Update { stage: def }
            }),
            Step::Sla { stage, days } => self.nth(*stage).map(|id| {
                let mut def = self
                    .draft
                    .stages
                    .iter()
                    .find(|s| s.id == id)
                    .unwrap()
                    .clone();
                def.sla_days = *days;
                DraftEdit::Update { stage: def }
            }),
            Step::Move { stage, to } => self.nth(*stage).map(|id| DraftEdit::Move {
                stage: id,
                to: *to % self.draft.stages.len().max(1),
            }),
            Step::Archive { stage } => self.nth(*stage).map(|id| DraftEdit::Archive { stage: id }),
            Step::Restore { stage, after } => {
                let n = self.draft.archived.len();
                (n > 0).then(|| DraftEdit::Restore {
                    stage: self.draft.archived[stage % n].id.clone(),
                    after: self.nth(*after),
                })
            }
            Step::Publish => {
                if let Ok(version) =
                    self.processes
                        .publish(&self.draft, author(), "", later(self.clock))
                {
                    for stage in &version.stages {
                        self.keys_seen
                            .entry(stage.id.clone())
                            .or_insert_with(|| stage.customer_message.zh.clone());
                    }
                    self.processes =
                        Processes::new(self.processes.versions().cloned().chain([version]));
                    self.draft = ProcessDraft::from_version(self.processes.current());
                }
                None
            }
            Step::NewOrder { steps } => {
                self.new_order(*steps);
                None
            }
            Step::Migrate { pick } => {
                self.migrate(*pick);
                None
            }
        };
        if let Some(edit) = edit {
            let before = self.draft.clone();
            if self.draft.edit(&base, edit).is_err() {
                assert_eq!(
                    self.draft, before,
                    "a refused edit leaves the draft as it was"
                );
            }
            self.draft
                .check(&base)
                .expect("a draft built by edits is always publishable");
        }
    }

    fn new_order(&mut self, steps: usize) {
        let id = uuid::Uuid::from_u128(1000 + self.orders.len() as u128);
        let mut m = create();
        if let Mutation::CreateOrder {
            order_id, number, ..
        } = &mut m
        {
            *order_id = id;
            *number = Some(format!("P-{}", self.orders.len()));
        }
        let ctx = Context {
            processes: &self.processes,
            actor: &admin(),
            now: later(self.clock),
        };
        let mut order = apply(&ctx, None, &m).unwrap().order;
        for _ in 0..steps {
            let pipeline = self.processes.for_order(&order);
            let Some(next) = pipeline.next(&order.stage) else {
                break;
            };
            let mut order_with_papers = order.clone();
            order_with_papers.shipment = Some(Shipment {
                carrier: "顺丰".into(),
                tracking_no: "SF1".into(),
                shipped_at: later(self.clock),
            });
            order_with_papers.invoice = Some(Invoice {
                number: "F1".into(),
                date: date(2026, 11, 26),
            });
            let advance = Mutation::AdvanceStage {
                order_id: id,
                from: order.stage.clone(),
                to: next.id.clone(),
                reason: Some("测试".into()),
            };
            order = apply(&ctx, Some(&order_with_papers), &advance)
                .unwrap_or_else(|e| panic!("advance on its own version: {e}"))
                .order;
        }
        self.orders.push(order);
    }

    fn migrate(&mut self, pick: usize) {
        let current = self.processes.current().clone();
        let from: BTreeSet<u32> = self
            .orders
            .iter()
            .filter(|o| o.is_active())
            .map(|o| o.process_version)
            .collect();
        let mut mapping = BTreeMap::new();
        for &v in &from {
            for stage in &self.processes.version(v).unwrap().stages {
                if !current.stages.iter().any(|s| s.id == stage.id) {
                    let target = &current.stages[pick % current.stages.len()];
                    mapping.insert(stage.id.clone(), target.id.clone());
                }
            }
        }
        // A mapping missing one disappearing stage is refused as a whole.
        if let Some(first) = mapping.keys().next().cloned() {
            let mut partial = mapping.clone();
            partial.remove(&first);
            assert!(plan_migration(&self.processes, &from, &partial).is_err());
        }
        let plan = plan_migration(&self.processes, &from, &mapping).expect("a total mapping");
        let impact: u32 = plan.impact(&self.orders).iter().map(|r| r.orders).sum();
        let mut moved = 0;
        for order in &mut self.orders {
            if let Some((migrated, _)) =
                plan.migrate(&self.processes, order, &author(), later(self.clock))
            {
                *order = migrated;
                moved += 1;
            }
        }
        assert_eq!(
            impact, moved,
            "the preview counts exactly the orders that move"
        );
    }

    fn check_orders(&self) {
        let board = self.processes.board_pipeline();
        let cards: Vec<Card> = self
            .orders
            .iter()
            .map(|o| Card::from_order(o, self.processes.for_order(o)))
            .collect();
        for order in &self.orders {
            assert!(
                self.processes.knows(order.process_version),
                "order on an unknown version"
            );
            assert!(
                self.processes
                    .for_order(order)
                    .stage(&order.stage)
                    .is_some(),
                "order {} on stage {} that its version {} does not have",
                order.number.as_str(),
                order.stage,
                order.process_version
            );
        }
        let shown = columns(
            &cards,
            &BoardFilter::default(),
            "u-admin",
            board,
            date(2026, 11, 26),
        );
        let on_board: usize = shown.stages.iter().map(Vec::len).sum::<usize>() + shown.closed.len();
        assert_eq!(
            on_board,
            self.orders.len(),
            "an order went missing from the board"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn random_edits_publishes_and_migrations_never_lose_an_order(
        steps in prop::collection::vec(step(), 1..60)
    ) {
        let mut world = World::new();
        for step in &steps {
            world.run(step);
            world.check_orders();
        }
        // Keys stay attached to the stage first published under them (a reused key would
        // show up as a different stage carrying an old key).
        for version in world.processes.versions() {
            for stage in version.stages.iter().chain(&version.archived) {
                if let Some(first) = world.keys_seen.get(&stage.id) {
                    prop_assert_eq!(first, &stage.customer_message.zh);
                }
            }
        }
    }
}

/// Version 2 with a required item on the first stage, so an order meets it at once.
fn with_required_first_item(v1: &Processes) -> Processes {
    let base = v1.current().clone();
    let mut draft = ProcessDraft::from_version(&base);
    let mut requirement = draft.stages[0].clone();
    requirement.checklist.push(ChecklistItemDef {
        id: "deposit_received".into(),
        label: Localized::new("收到定金", "Deposit received"),
        required: true,
        evidence: None,
    });
    draft
        .edit(&base, DraftEdit::Update { stage: requirement })
        .unwrap();
    let published = v1.publish(&draft, author(), "定金必填", later(1)).unwrap();
    Processes::new(v1.versions().cloned().chain([published]))
}

#[test]
fn a_required_checklist_item_blocks_moving_forward_even_with_a_reason() {
    let processes = with_required_first_item(&Processes::standard());
    let order = run_on(&processes, &sales(), None, &create(), 2)
        .unwrap()
        .order;
    assert_eq!(order.process_version, 2);
    let refused = run_on(
        &processes,
        &sales(),
        Some(&order),
        &advance("requirement", "contract", Some("客户催得急")),
        3,
    )
    .unwrap_err();
    assert_eq!(
        refused,
        DomainError::RequiredItemUnticked {
            item: Localized::new("收到定金", "Deposit received")
        }
    );
    assert_eq!(refused.code(), "required_item_unticked");
    assert!(refused.message(Lang::Zh).contains("收到定金"));
    // The optional items still only ask for a reason once the required one is ticked.
    let ticked = run_on(
        &processes,
        &sales(),
        Some(&order),
        &tick("requirement", "deposit_received", true),
        3,
    )
    .unwrap()
    .order;
    assert_eq!(
        run_on(
            &processes,
            &sales(),
            Some(&ticked),
            &advance("requirement", "contract", None),
            3
        )
        .unwrap_err(),
        DomainError::ReasonRequired
    );
    let moved = run_on(
        &processes,
        &sales(),
        Some(&ticked),
        &advance("requirement", "contract", Some("其余稍后补")),
        3,
    )
    .unwrap()
    .order;
    assert_eq!(moved.stage, "contract");
}

#[test]
fn orders_of_a_version_without_required_items_pass_unticked_items_with_a_reason_as_before() {
    let old = created();
    let processes = with_required_first_item(&Processes::standard());
    let moved = run_on(
        &processes,
        &sales(),
        Some(&old),
        &advance("requirement", "contract", Some("客户催得急")),
        3,
    )
    .unwrap()
    .order;
    assert_eq!(moved.stage, "contract");
    assert_eq!(moved.process_version, 1);
}

#[test]
fn a_version_stored_before_the_required_flag_reads_as_all_optional() {
    let stored = r#"{"id":"send_quote","label":{"zh":"发送报价单","en":"Send the quotation"}}"#;
    let item: ChecklistItemDef = serde_json::from_str(stored).unwrap();
    assert!(!item.required);
    // And an optional item is written as before, so stored versions compare equal.
    assert_eq!(serde_json::to_string(&item).unwrap(), stored);
}

#[test]
fn a_working_day_sla_skips_weekends_and_holidays_for_orders_on_its_version_only() {
    let v1 = Processes::standard();
    let base = v1.current().clone();
    let mut draft = ProcessDraft::from_version(&base);
    let mut requirement = draft.stages[0].clone();
    requirement.sla_working_days = true;
    draft
        .edit(&base, DraftEdit::Update { stage: requirement })
        .unwrap();
    let v2 = v1
        .publish(&draft, author(), "按工作日计", later(1))
        .unwrap();
    let processes = Processes::new([base, v2]);
    let old = created();
    // Entered Thursday 26 Nov 2026 on version 2: 2 working days are Friday 27 and Monday 30.
    let new = run_on(&processes, &sales(), None, &create(), 0)
        .unwrap()
        .order;
    assert_eq!(new.due_date(processes.for_order(&new)), date(2026, 11, 30));
    // Version 1 still counts calendar days: Saturday 28.
    assert_eq!(old.due_date(processes.for_order(&old)), date(2026, 11, 28));
    // On Sunday 29 the new order is not overdue yet; on Tuesday 1 Dec it is.
    let pipeline = processes.for_order(&new);
    assert_eq!(
        new.deadline_state(pipeline, date(2026, 11, 29)),
        DeadlineState::DueSoon
    );
    assert_eq!(
        new.deadline_state(pipeline, date(2026, 12, 1)),
        DeadlineState::Overdue { days: 1 }
    );
    // An admin's calendar that makes Friday 27 a day off moves the deadline to Tuesday 1 Dec.
    let mut calendar = WorkCalendar::china();
    let mut year = calendar.year(2026).unwrap().clone();
    year.holidays.insert(date(2026, 11, 27));
    calendar.set_year(year).unwrap();
    let processes = processes.with_calendar(calendar);
    assert_eq!(new.due_date(processes.for_order(&new)), date(2026, 12, 1));
    // And the history says how the SLA counts now.
    let changes = domain::process_editor::process_changes(
        processes.version(1).unwrap(),
        processes.version(2).unwrap(),
    );
    assert_eq!(
        changes[0].sentence(Lang::Zh),
        "“需求确认”时限 2 天 → 2 个工作日"
    );
}

#[test]
fn a_synced_calendar_with_a_make_up_saturday_moves_a_working_day_deadline_earlier() {
    let v1 = Processes::standard();
    let base = v1.current().clone();
    let mut draft = ProcessDraft::from_version(&base);
    let mut requirement = draft.stages[0].clone();
    requirement.sla_working_days = true;
    draft
        .edit(&base, DraftEdit::Update { stage: requirement })
        .unwrap();
    let v2 = v1
        .publish(&draft, author(), "按工作日计", later(1))
        .unwrap();
    let processes = Processes::new([base, v2.clone()]);
    // Entered Thursday 26 Nov 2026, 2 working days: Friday 27, then Monday 30 (the shipped
    // calendar has no 调休 that weekend).
    let new = run_on(&processes, &sales(), None, &create(), 0)
        .unwrap()
        .order;
    assert_eq!(new.due_date(processes.for_order(&new)), date(2026, 11, 30));

    // The admin marks Saturday 28 Nov 调休上班; the calendar reaches the phone as JSON in a pull.
    let mut synced = domain::HolidayCalendar::shipped();
    let year = synced
        .years
        .iter_mut()
        .find(|entry| entry.days.year == 2026)
        .unwrap();
    year.days.mark(
        date(2026, 11, 28),
        date(2026, 11, 28),
        domain::DayKind::Workday,
    );
    synced.version = 2;
    let pulled: domain::HolidayCalendar =
        serde_json::from_str(&serde_json::to_string(&synced).unwrap()).unwrap();
    let processes = processes.with_calendar(pulled.work_calendar());
    // Friday 27, Saturday 28 (worked): due the Saturday, on the order and on its card.
    let pipeline = processes.for_order(&new);
    assert_eq!(new.due_date(pipeline), date(2026, 11, 28));
    assert_eq!(
        domain::Card::from_order(&new, pipeline).due,
        date(2026, 11, 28)
    );
    assert_eq!(
        new.deadline_state(pipeline, date(2026, 11, 30)),
        DeadlineState::Overdue { days: 2 }
    );
    // Versions received later keep counting on the synced calendar.
    let more = processes.with_more_versions(&[]);
    assert_eq!(
        more.for_order(&new)
            .sla_due(&pipeline.stages[0], date(2026, 11, 26)),
        date(2026, 11, 28)
    );
    assert_eq!(more.calendar(), processes.calendar());
}

// ---- exit rule "required order fields" and the "may be skipped" flag ---------------------

/// Version 2 of the standard process with `change` applied to the stage `id`.
fn publish_with(v1: &Processes, id: &str, change: impl FnOnce(&mut StageDef)) -> Processes {
    let base = v1.current().clone();
    let mut draft = ProcessDraft::from_version(&base);
    let mut stage = draft
        .stages
        .iter()
        .find(|s| s.id == id)
        .expect("a standard stage")
        .clone();
    change(&mut stage);
    draft.edit(&base, DraftEdit::Update { stage }).unwrap();
    let published = v1.publish(&draft, author(), "离开条件", later(1)).unwrap();
    Processes::new(v1.versions().cloned().chain([published]))
}

fn create_without_delivery_date() -> Mutation {
    let mut m = create();
    if let Mutation::CreateOrder {
        expected_delivery, ..
    } = &mut m
    {
        *expected_delivery = None;
    }
    m
}

fn contract_name() -> Localized {
    Localized::new("合同签订", "Contract signing")
}

#[test]
fn a_stage_requiring_order_fields_names_every_missing_one_even_with_a_reason() {
    let processes = publish_with(&Processes::standard(), "requirement", |s| {
        s.required_fields = vec![OrderField::ExpectedDelivery, OrderField::CustomerAddress];
    });
    let order = run_on(
        &processes,
        &sales(),
        None,
        &create_without_delivery_date(),
        2,
    )
    .unwrap()
    .order;
    let ticked = tick_all_on(&processes, &order);
    let refused = run_on(
        &processes,
        &sales(),
        Some(&ticked),
        &advance("requirement", "contract", Some("客户催得急")),
        3,
    )
    .unwrap_err();
    assert_eq!(
        refused,
        DomainError::MissingOrderFields {
            stage: Localized::new("需求确认", "Requirement confirmation"),
            fields: vec![OrderField::ExpectedDelivery, OrderField::CustomerAddress],
        }
    );
    assert_eq!(
        refused.message(Lang::Zh),
        "离开“需求确认”前请先填写：预计交付日期、收货地址"
    );
    assert_eq!(
        ticked.missing_fields(processes.for_order(&ticked).first()),
        vec![OrderField::ExpectedDelivery, OrderField::CustomerAddress]
    );
    // Filled in, the order moves on without a reason.
    let mut filled_customer = customer();
    filled_customer.address = Some("杭州市萧山区纺织路 8 号".into());
    let filled = run_on(
        &processes,
        &sales(),
        Some(&ticked),
        &Mutation::EditFields {
            order_id: oid(),
            changes: FieldChanges {
                customer: Some(filled_customer),
                expected_delivery: Some(Some(date(2026, 12, 20))),
                ..FieldChanges::default()
            },
        },
        3,
    )
    .unwrap()
    .order;
    assert!(filled
        .missing_fields(processes.for_order(&filled).first())
        .is_empty());
    let moved = run_on(
        &processes,
        &sales(),
        Some(&filled),
        &advance("requirement", "contract", None),
        4,
    )
    .unwrap()
    .order;
    assert_eq!(moved.stage, "contract");
}

#[test]
fn skipping_over_a_stage_with_required_fields_needs_them_too_but_moving_back_does_not() {
    let processes = publish_with(&Processes::standard(), "contract", |s| {
        s.required_fields = vec![OrderField::CustomerAddress];
    });
    let order = run_on(&processes, &sales(), None, &create(), 2)
        .unwrap()
        .order;
    let ticked = tick_all_on(&processes, &order);
    let refused = run_on(
        &processes,
        &sales(),
        Some(&ticked),
        &advance("requirement", "order_entry", Some("合同已线下签好")),
        3,
    )
    .unwrap_err();
    assert_eq!(
        refused,
        DomainError::MissingOrderFields {
            stage: contract_name(),
            fields: vec![OrderField::CustomerAddress],
        }
    );
    // Entering the stage is fine; leaving it back to the start is rework, not the way forward.
    let in_contract = run_on(
        &processes,
        &sales(),
        Some(&ticked),
        &advance("requirement", "contract", None),
        3,
    )
    .unwrap()
    .order;
    let back = run_on(
        &processes,
        &sales(),
        Some(&in_contract),
        &advance("contract", "requirement", Some("客户改需求")),
        4,
    )
    .unwrap()
    .order;
    assert_eq!(back.stage, "requirement");
}

#[test]
fn an_amount_of_zero_does_not_fill_a_required_amount() {
    let processes = publish_with(&Processes::standard(), "requirement", |s| {
        s.required_fields = vec![OrderField::Amount];
    });
    let mut m = create();
    if let Mutation::CreateOrder { items, .. } = &mut m {
        items.clear();
    }
    let order = run_on(&processes, &sales(), None, &m, 2).unwrap().order;
    assert!(!order.has_field(OrderField::Amount));
    let refused = run_on(
        &processes,
        &sales(),
        Some(&tick_all_on(&processes, &order)),
        &advance("requirement", "contract", None),
        3,
    );
    assert_eq!(code(refused), "missing_order_fields");
    let priced = run_on(&processes, &sales(), None, &create(), 2)
        .unwrap()
        .order;
    assert!(priced.has_field(OrderField::Amount));
}

#[test]
fn completing_checks_the_last_stages_required_fields() {
    let processes = publish_with(&Processes::standard(), "after_sales", |s| {
        s.required_fields = vec![OrderField::CustomerAddress];
    });
    let mut order = run_on(&processes, &sales(), None, &create(), 2)
        .unwrap()
        .order;
    order.stage = StageId::new("after_sales");
    order.stages.last_mut().unwrap().stage = StageId::new("after_sales");
    let refused = run_on(
        &processes,
        &admin(),
        Some(&order),
        &Mutation::Complete {
            order_id: oid(),
            reason: Some("客户不回复".into()),
        },
        3,
    );
    assert_eq!(code(refused), "missing_order_fields");
}

#[test]
fn orders_of_an_older_version_keep_its_exit_rules_and_skips() {
    let processes = publish_with(&Processes::standard(), "contract", |s| {
        s.required_fields = vec![OrderField::CustomerAddress];
        s.skippable = false;
    });
    let old = tick_all_on(&processes, &created());
    assert_eq!(old.process_version, 1);
    // Version 1 had neither rule: the old order passes and skips 合同签订 as it always could.
    let moved = run_on(
        &processes,
        &sales(),
        Some(&old),
        &advance("requirement", "contract", None),
        3,
    )
    .unwrap()
    .order;
    assert_eq!(moved.stage, "contract");
    let skipped = run_on(
        &processes,
        &sales(),
        Some(&old),
        &advance("requirement", "order_entry", Some("合同已线下签好")),
        3,
    )
    .unwrap()
    .order;
    assert_eq!(skipped.stage, "order_entry");
}

#[test]
fn a_stage_that_may_not_be_skipped_is_refused_by_name_but_can_be_entered() {
    let processes = publish_with(&Processes::standard(), "contract", |s| s.skippable = false);
    let order = tick_all_on(
        &processes,
        &run_on(&processes, &sales(), None, &create(), 2)
            .unwrap()
            .order,
    );
    let refused = run_on(
        &processes,
        &sales(),
        Some(&order),
        &advance("requirement", "production", Some("加急")),
        3,
    )
    .unwrap_err();
    assert_eq!(
        refused,
        DomainError::StageNotSkippable {
            stage: contract_name()
        }
    );
    assert_eq!(
        refused.message(Lang::Zh),
        "阶段“合同签订”不能跳过，请逐步推进"
    );
    let entered = run_on(
        &processes,
        &sales(),
        Some(&order),
        &advance("requirement", "contract", None),
        3,
    )
    .unwrap()
    .order;
    assert_eq!(entered.stage, "contract");
    // Leaving it forward by a skip over *other* stages is still a normal skip with a reason.
    let ticked = tick_all_on(&processes, &entered);
    let onward = run_on(
        &processes,
        &admin(),
        Some(&ticked),
        &advance("contract", "production", Some("下单已在系统外完成")),
        4,
    )
    .unwrap()
    .order;
    assert_eq!(onward.stage, "production");
}

#[test]
fn stages_added_behind_an_order_count_as_skipped_even_when_they_may_not_be_skipped() {
    let v1 = Processes::standard();
    let base = v1.current().clone();
    let mut draft = ProcessDraft::from_version(&base);
    let mut quote = quote_stage();
    quote.skippable = false;
    draft
        .edit(
            &base,
            DraftEdit::Add {
                after: Some(StageId::new("requirement")),
                stage: quote,
            },
        )
        .unwrap();
    let published = v1.publish(&draft, author(), "报价必经", later(1)).unwrap();
    let processes = Processes::new(v1.versions().cloned().chain([published]));
    let in_production = at("production");
    let plan = plan_migration(&processes, &BTreeSet::from([1]), &BTreeMap::new()).unwrap();
    let (moved, event) = plan
        .migrate(&processes, &in_production, &author(), later(40))
        .unwrap();
    let EventKind::ProcessMigrated { skipped, .. } = &event.kind else {
        panic!("not a migration event: {event:?}");
    };
    assert_eq!(skipped, &[StageId::new("quote")]);
    assert_eq!(moved.stage, "production");
}

#[test]
fn versions_stored_before_the_new_rules_read_as_none_required_and_skippable() {
    let stored = serde_json::to_value(ProcessVersion::standard()).unwrap();
    let first = &stored["stages"][0];
    // Defaults are not written, so a version stored before the fields existed stays as it was.
    assert!(first.get("required_fields").is_none());
    assert!(first.get("skippable").is_none());
    let read: ProcessVersion = serde_json::from_value(stored).unwrap();
    assert!(read
        .stages
        .iter()
        .all(|s| s.skippable && s.required_fields.is_empty()));
    let mut strict = quote_stage();
    strict.skippable = false;
    strict.required_fields = vec![OrderField::Amount];
    let json = serde_json::to_value(&strict).unwrap();
    assert_eq!(json["skippable"], false);
    assert_eq!(json["required_fields"], serde_json::json!(["amount"]));
    assert_eq!(serde_json::from_value::<StageDef>(json).unwrap(), strict);
}

#[test]
fn an_unknown_required_field_is_refused_naming_it() {
    let mut inputs = standard_inputs();
    inputs[1].required_fields = vec!["amount".into(), "colour".into()];
    let refused = check_input(inputs).unwrap_err();
    assert_eq!(refused.field(), Some("stages[1].required_fields[1]"));
    assert!(refused.message(Lang::Zh).contains("colour"));
    let mut twice = standard_inputs();
    twice[1].required_fields = vec!["amount".into(), "amount".into()];
    assert_eq!(
        check_input(twice).unwrap_err().field(),
        Some("stages[1].required_fields")
    );
    let mut fine = standard_inputs();
    fine[1].required_fields = vec!["amount".into(), "expected_delivery".into()];
    fine[1].skippable = false;
    let draft = check_input(fine).unwrap();
    assert_eq!(
        draft.stages[1].required_fields,
        vec![OrderField::Amount, OrderField::ExpectedDelivery]
    );
    assert!(!draft.stages[1].skippable);
}

#[test]
fn the_version_history_says_which_fields_became_required_and_what_may_not_be_skipped() {
    let processes = publish_with(&Processes::standard(), "contract", |s| {
        s.required_fields = vec![OrderField::Amount, OrderField::ExpectedDelivery];
        s.skippable = false;
    });
    let sentences: Vec<String> = domain::process_editor::process_changes(
        processes.version(1).unwrap(),
        processes.version(2).unwrap(),
    )
    .iter()
    .map(|c| c.sentence(Lang::Zh))
    .collect();
    assert_eq!(
        sentences,
        vec![
            "“合同签订”离开前必填：订单金额、预计交付日期".to_string(),
            "“合同签订”改为不可跳过".to_string(),
        ]
    );
}
