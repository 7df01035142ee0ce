//! Orders from a spreadsheet (`domain::sheet`): what each row of an import would do, decided by
//! the rulebook, on hand-written sheets.

mod common;

use std::collections::HashMap;

use chrono::{TimeZone, Utc};
use common::*;
use domain::sheet::*;
use domain::*;
use uuid::Uuid;

fn admin() -> Actor {
    Actor::new("u-admin", "管理员", vec![Role::Admin])
}

fn team() -> Vec<Member> {
    vec![
        Member {
            user_id: "u-wangfang".into(),
            name: "王芳".into(),
            phone: Some("138 0000 1111".into()),
        },
        Member {
            user_id: "u-sunlei".into(),
            name: "孙磊".into(),
            phone: None,
        },
    ]
}

fn t(s: &str) -> Cell {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.into())
    }
}

const HEADERS: [&str; 12] = [
    "订单号",
    "客户名称",
    "联系人",
    "手机",
    "品名",
    "数量",
    "单价",
    "金额",
    "交期",
    "业务员",
    "状态",
    "备注",
];

fn sheet(rows: &[[&str; 12]]) -> Sheet {
    let mut all = vec![HEADERS.iter().map(|h| t(h)).collect::<Vec<_>>()];
    all.extend(rows.iter().map(|r| r.iter().map(|c| t(c)).collect()));
    Sheet { rows: all }
}

const ROW_A: [&str; 12] = [
    "HZ-001",
    "杭州明远贸易",
    "李明",
    "13900001111",
    "包装箱",
    "100箱",
    "¥12.50",
    "1,250",
    "2026/12/20",
    "王芳",
    "",
    "老客户",
];
const ROW_B: [&str; 12] = [
    "HZ-002",
    "宁波海丰",
    "陈海",
    "13900002222",
    "胶带",
    "20",
    "",
    "1.2万",
    "2026年12月31日",
    "",
    "合同签订",
    "",
];

struct Run {
    processes: Processes,
    actor: Actor,
    team: Vec<Member>,
    next: u128,
}

impl Run {
    fn new() -> Self {
        Run {
            processes: Processes::standard(),
            actor: admin(),
            team: team(),
            next: 1,
        }
    }

    fn plan(&mut self, mode: ImportMode, sheet: &Sheet, stored: &[Order]) -> Vec<RowPlan> {
        let header = read_header(sheet, &HashMap::new()).expect("a header");
        let existing = stored
            .iter()
            .map(|o| (number_key(o.number.as_str()), o.clone()))
            .collect();
        let ctx = ImportContext {
            processes: &self.processes,
            actor: &self.actor,
            now: t0(),
            mode,
            team: &self.team,
        };
        let next = &mut self.next;
        plan_import(&ctx, sheet, &header, &existing, &mut || {
            *next += 1;
            Uuid::from_u128(*next)
        })
    }
}

fn stored_after(plans: &[RowPlan]) -> Vec<Order> {
    plans.iter().filter_map(|p| p.after.clone()).collect()
}

#[test]
fn new_rows_become_orders_through_the_rulebook() {
    let plans = Run::new().plan(ImportMode::Both, &sheet(&[ROW_A, ROW_B]), &[]);
    assert_eq!(
        plans.iter().map(|p| p.action).collect::<Vec<_>>(),
        vec![RowAction::Create, RowAction::Create],
        "{plans:#?}"
    );
    let a = plans[0].after.as_ref().unwrap();
    assert_eq!(a.number.as_str(), "HZ-001");
    assert_eq!(a.customer.phone, "13900001111");
    assert_eq!(a.items[0].quantity, Quantity::units(100));
    assert_eq!(a.items[0].unit, "箱");
    assert_eq!(a.items[0].unit_price, Money(1250));
    assert_eq!(a.expected_delivery, Some(date(2026, 12, 20)));
    assert_eq!(a.owner.name, "王芳");
    assert_eq!(a.notes[0].text, "老客户");
    assert_eq!(plans[0].line, 2);

    let b = plans[1].after.as_ref().unwrap();
    // 1.2万 for 20: ¥600.00 each; no owner given: the importer owns it.
    assert_eq!(b.items[0].unit_price, Money(60_000));
    assert_eq!(b.owner.user_id, "u-admin");
    assert_eq!(b.stage.0, stage_ids::CONTRACT);
    assert!(matches!(
        plans[1].mutations[1],
        Mutation::AdvanceStage { ref reason, .. } if reason.as_deref() == Some(IMPORT_REASON)
    ));
}

#[test]
fn the_same_rows_twice_change_nothing_the_second_time() {
    let mut run = Run::new();
    let rows = sheet(&[ROW_A, ROW_B]);
    let first = run.plan(ImportMode::Both, &rows, &[]);
    let stored = stored_after(&first);
    for mode in [ImportMode::Both, ImportMode::Create, ImportMode::Update] {
        let second = run.plan(mode, &rows, &stored);
        assert!(
            second
                .iter()
                .all(|p| p.action == RowAction::Unchanged && p.mutations.is_empty()),
            "{mode:?}: {second:#?}"
        );
    }
}

#[test]
fn a_changed_row_updates_only_what_differs() {
    let mut run = Run::new();
    let stored = stored_after(&run.plan(ImportMode::Both, &sheet(&[ROW_A]), &[]));
    let mut changed = ROW_A;
    changed[2] = "李明明"; // contact
    changed[9] = "13800001111"; // 王芳 named by her phone: the same owner, no Assign
    changed[8] = ""; // an empty date keeps the stored one
    let plans = run.plan(ImportMode::Update, &sheet(&[changed]), &stored);
    assert_eq!(plans[0].action, RowAction::Update, "{plans:#?}");
    let [Mutation::EditFields { changes, .. }] = plans[0].mutations.as_slice() else {
        panic!("one edit: {:?}", plans[0].mutations);
    };
    assert_eq!(changes.customer.as_ref().unwrap().contact, "李明明");
    assert!(changes.items.is_none() && changes.expected_delivery.is_none());

    changed[9] = "孙磊";
    let plans = run.plan(ImportMode::Update, &sheet(&[changed]), &stored);
    assert!(plans[0]
        .mutations
        .iter()
        .any(|m| matches!(m, Mutation::Assign { owner, .. } if owner.user_id == "u-sunlei")));
    assert_eq!(plans[0].after.as_ref().unwrap().owner.name, "孙磊");

    // Create mode leaves an existing order alone and says why.
    let plans = run.plan(ImportMode::Create, &sheet(&[changed]), &stored);
    assert_eq!(plans[0].action, RowAction::Error);
    assert!(plans[0].message.as_ref().unwrap().zh.contains("更新"));
}

#[test]
fn update_mode_does_not_create() {
    let plans = Run::new().plan(ImportMode::Update, &sheet(&[ROW_A]), &[]);
    assert_eq!(plans[0].action, RowAction::Error);
    assert_eq!(plans[0].column.as_deref(), Some("订单号"));
}

#[test]
fn a_repeated_number_is_an_error_on_the_later_row() {
    let mut again = ROW_B;
    again[0] = "hz-001"; // the same number by number_key
    let plans = Run::new().plan(ImportMode::Both, &sheet(&[ROW_A, again]), &[]);
    assert_eq!(plans[0].action, RowAction::Create);
    assert_eq!(plans[1].action, RowAction::Error);
    assert_eq!(plans[1].column.as_deref(), Some("订单号"));
    assert!(plans[1].message.as_ref().unwrap().zh.contains("第 2 行"));
}

#[test]
fn decimal_quantities_import_with_the_price_from_the_amount_rounded_to_the_fen() {
    let mut row = ROW_A;
    row[5] = "1.5 吨";
    row[6] = "";
    row[7] = "18.45";
    let plans = Run::new().plan(ImportMode::Both, &sheet(&[row]), &[]);
    let order = plans[0].after.as_ref().expect("created");
    assert_eq!(order.items[0].quantity, Quantity::parse("1.5").unwrap());
    assert_eq!(order.items[0].unit, "吨");
    assert_eq!(order.items[0].unit_price, Money(1230));
    assert_eq!(order.total(), Money(1845));

    // Price and amount agree once the line is rounded half up: 0.333 × ¥0.15 = ¥0.04995 → ¥0.05.
    let mut row = ROW_A;
    row[5] = "0.333";
    row[6] = "0.15";
    row[7] = "0.05";
    let plans = Run::new().plan(ImportMode::Both, &sheet(&[row]), &[]);
    assert_eq!(plans[0].action, RowAction::Create, "{plans:#?}");

    let mut rows = sheet(&[ROW_A]);
    rows.rows[1][5] = Cell::Number(2.5);
    rows.rows[1][6] = Cell::Number(10.0);
    rows.rows[1][7] = Cell::Number(25.0);
    let plans = Run::new().plan(ImportMode::Both, &rows, &[]);
    assert_eq!(
        plans[0].after.as_ref().unwrap().items[0].quantity,
        Quantity::parse("2.5").unwrap(),
        "{plans:#?}"
    );

    let mut row = ROW_A;
    row[5] = "1.2345 吨";
    let plans = Run::new().plan(ImportMode::Both, &sheet(&[row]), &[]);
    assert_eq!(plans[0].action, RowAction::Error);
    assert_eq!(plans[0].column.as_deref(), Some("数量"));
    let message = plans[0].message.as_ref().unwrap();
    assert!(message.zh.contains("最多 3 位小数"), "{}", message.zh);
}

#[test]
fn row_errors_name_their_column_and_reason() {
    let with = |column: usize, value: &'static str| {
        let mut row = ROW_A;
        row[column] = value;
        row
    };
    let cases = [
        (with(9, "张三"), "业务员", "不是团队中的在职成员"),
        (with(10, "质检"), "状态", "没有“质检”这个阶段"),
        (with(8, "下周"), "交期", "无法识别"),
        (with(3, "12"), "手机", "至少 5 位"),
        (with(7, "999"), "金额", "不等于"),
        (with(0, ""), "订单号", "不能为空"),
        (with(1, ""), "客户名称", ""),
    ];
    for (row, column, why) in cases {
        let plans = Run::new().plan(ImportMode::Both, &sheet(&[row]), &[]);
        assert_eq!(plans[0].action, RowAction::Error, "{row:?}");
        assert_eq!(plans[0].column.as_deref(), Some(column), "{plans:#?}");
        let message = plans[0].message.as_ref().unwrap();
        assert!(message.zh.contains(why), "{}", message.zh);
        assert!(!message.en.is_empty());
    }
    let plans = Run::new().plan(ImportMode::Both, &sheet(&[with(10, "质检")]), &[]);
    assert_eq!(plans[0].code.as_deref(), Some("unknown_stage"));
}

#[test]
fn serial_dates_and_numeric_phones_from_xlsx_cells() {
    let mut rows = sheet(&[ROW_A]);
    rows.rows[1][3] = Cell::Number(13_900_001_111.0);
    rows.rows[1][8] = Cell::Number(46_376.0); // 2026-12-20
    rows.rows[1][5] = Cell::Number(100.0);
    let plans = Run::new().plan(ImportMode::Both, &rows, &[]);
    let order = plans[0].after.as_ref().expect("created");
    assert_eq!(order.customer.phone, "13900001111");
    assert_eq!(order.expected_delivery, Some(date(2026, 12, 20)));
}

#[test]
fn empty_rows_are_skipped_and_lines_keep_their_numbers() {
    let empty = [""; 12];
    let plans = Run::new().plan(ImportMode::Both, &sheet(&[empty, ROW_A, empty, ROW_B]), &[]);
    assert_eq!(plans.iter().map(|p| p.line).collect::<Vec<_>>(), vec![3, 5]);
    assert_eq!(totals(&plans).create, 2);
}

#[test]
fn a_title_row_above_the_header_is_skipped() {
    let mut rows = sheet(&[ROW_A]);
    rows.rows
        .insert(0, vec![t("2026 年订单表"), Cell::Empty, Cell::Empty]);
    let header = read_header(&rows, &HashMap::new()).unwrap();
    assert_eq!(header.row, 1);
    let plans = Run::new().plan(ImportMode::Both, &rows, &[]);
    assert_eq!(plans[0].line, 3);
    assert_eq!(plans[0].action, RowAction::Create);
}

#[test]
fn sheets_that_are_not_order_lists_are_refused_whole() {
    let no_number = Sheet {
        rows: vec![vec![t("客户"), t("电话")], vec![t("甲"), t("12345")]],
    };
    assert_eq!(
        read_header(&no_number, &HashMap::new()),
        Err(SheetProblem::NoNumberColumn)
    );
    let wide = Sheet {
        rows: vec![(0..200).map(|i| t(&format!("列{i}"))).collect()],
    };
    assert_eq!(
        read_header(&wide, &HashMap::new()),
        Err(SheetProblem::TooManyColumns(200))
    );
    assert_eq!(
        read_header(&Sheet::default(), &HashMap::new()),
        Err(SheetProblem::NoHeader)
    );
    // The admin's choice replaces the proposal: 编号 is not a synonym, but may be chosen.
    let numbered = Sheet {
        rows: vec![vec![t("编号"), t("客户")]],
    };
    let chosen = HashMap::from([(header_key("编号"), Some(Column::Number))]);
    assert_eq!(
        read_header(&numbered, &chosen).unwrap().mapping,
        vec![Some(Column::Number), Some(Column::Company)]
    );
}

#[test]
fn a_remembered_mapping_is_found_again_by_the_headers_as_compared() {
    let titles = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let typed = header_signature(&titles(&["编号", "单价（元）", "Customer"]));
    assert_eq!(
        typed,
        header_signature(&titles(&["编号 ", "单价(元)", "customer"]))
    );
    assert_ne!(
        typed,
        header_signature(&titles(&["单价（元）", "编号", "Customer"])),
        "columns in another order are another header"
    );

    // What the person chose (编号 is the number, 客户 is ignored) comes back as overrides.
    let sheet = Sheet {
        rows: vec![
            vec![t("编号"), t("客户"), t("联系人")],
            vec![t("M-1"), t("甲"), t("乙")],
        ],
    };
    assert_eq!(
        read_header(&sheet, &HashMap::new()),
        Err(SheetProblem::NoNumberColumn)
    );
    let shown = map_header(&sheet, &HashMap::new()).unwrap();
    assert_eq!(
        shown.mapping,
        [None, Some(Column::Company), Some(Column::Contact)]
    );
    let chosen: HashMap<String, Option<Column>> = [
        ("编号".to_string(), Some(Column::Number)),
        ("客户".to_string(), None),
    ]
    .into();
    let header = read_header(&sheet, &chosen).unwrap();
    assert_eq!(
        header.mapping,
        [Some(Column::Number), None, Some(Column::Contact)]
    );
    let remembered = mapping_by_key(&header);
    assert_eq!(read_header(&sheet, &remembered).unwrap(), header);
}

#[test]
fn undoing_an_import_cancels_what_it_created_and_restores_what_it_updated() {
    let mut run = Run::new();
    let first = run.plan(ImportMode::Both, &sheet(&[ROW_A]), &[]);
    let created = first[0].after.clone().unwrap();
    let (processes, actor) = (Processes::standard(), admin());
    let ctx = Context {
        processes: &processes,
        actor: &actor,
        now: t0(),
    };
    let undone = apply_all(&ctx, Some(created.clone()), &undo_mutations(None, &created))
        .unwrap()
        .order;
    assert!(
        matches!(undone.status, OrderStatus::Cancelled { ref reason, .. } if reason == UNDO_REASON)
    );

    let mut changed = ROW_A;
    changed[2] = "李明明";
    changed[8] = "2027/1/5";
    changed[9] = "孙磊";
    let second = run.plan(
        ImportMode::Update,
        &sheet(&[changed]),
        std::slice::from_ref(&created),
    );
    let updated = second[0].after.clone().unwrap();
    let mutations = undo_mutations(Some(&created), &updated);
    let restored = apply_all(&ctx, Some(updated.clone()), &mutations)
        .unwrap()
        .order;
    assert_eq!(restored.customer, created.customer);
    assert_eq!(restored.items, created.items);
    assert_eq!(restored.expected_delivery, created.expected_delivery);
    assert_eq!(restored.owner.user_id, created.owner.user_id);
    assert!(
        restored.history.len() > updated.history.len(),
        "the undo is in the history"
    );
    assert!(undo_mutations(Some(&created), &created).is_empty());
}

#[test]
fn stage_date_columns_give_a_new_order_its_past_and_analytics_counts_it() {
    let header_row = [
        "订单号",
        "客户",
        "联系人",
        "电话",
        "需求确认日期",
        "合同签订日期",
        "下单处理日期",
    ];
    let row = [
        "HIS-1",
        "历史客户",
        "赵一",
        "13900000001",
        "2026/11/1",
        "2026-11-05",
        "2026年11月6日",
    ];
    let sheet = Sheet {
        rows: vec![
            header_row.iter().map(|s| t(s)).collect(),
            row.iter().map(|s| t(s)).collect(),
        ],
    };
    let processes = Processes::standard();
    let header = read_header(&sheet, &HashMap::new()).unwrap();
    assert_eq!(
        stage_date_columns(&header, processes.current_pipeline())[4..],
        [
            Some(StageId::new(stage_ids::REQUIREMENT)),
            Some(StageId::new(stage_ids::CONTRACT)),
            Some(StageId::new(stage_ids::ORDER_ENTRY))
        ]
    );
    let plans = Run::new().plan(ImportMode::Both, &sheet, &[]);
    assert_eq!(plans[0].action, RowAction::Create, "{plans:#?}");
    let order = plans[0].after.clone().unwrap();
    assert_eq!(order.stage.0, stage_ids::ORDER_ENTRY);
    let morning = |d: u32| Utc.with_ymd_and_hms(2026, 11, d, 1, 0, 0).unwrap();
    assert_eq!(order.created_at, morning(1));
    let visits: Vec<_> = order
        .stages
        .iter()
        .map(|v| (v.stage.0.as_str(), v.entered_at, v.left_at))
        .collect();
    assert_eq!(
        visits,
        [
            (stage_ids::REQUIREMENT, morning(1), Some(morning(5))),
            (stage_ids::CONTRACT, morning(5), Some(morning(6))),
            (stage_ids::ORDER_ENTRY, morning(6), None),
        ]
    );

    // 分析 counts the imported past: four days in 需求确认, one in 合同签订.
    let period = analytics::Period {
        from: date(2026, 11, 1),
        to: date(2026, 11, 26),
    };
    let times = analytics::stage_times([&order], period, processes.current_pipeline());
    let minutes = |stage: &str| {
        times
            .iter()
            .find(|t| t.stage.0 == stage)
            .and_then(|t| t.spread)
            .map(|s| s.p50)
    };
    assert_eq!(minutes(stage_ids::REQUIREMENT), Some(4 * 24 * 60));
    assert_eq!(minutes(stage_ids::CONTRACT), Some(24 * 60));
    assert_eq!(analytics::started_at(&order), morning(1));

    // Dates that go backwards along the process, or lie ahead, are row errors on their column.
    let mut backwards = row;
    backwards[5] = "2026-10-30";
    let mut ahead = row;
    ahead[6] = "2027-01-01";
    for (bad, column) in [(backwards, "合同签订日期"), (ahead, "下单处理日期")] {
        let sheet = Sheet {
            rows: vec![
                header_row.iter().map(|s| t(s)).collect(),
                bad.iter().map(|s| t(s)).collect(),
            ],
        };
        let plans = Run::new().plan(ImportMode::Both, &sheet, &[]);
        assert_eq!(plans[0].action, RowAction::Error);
        assert_eq!(plans[0].column.as_deref(), Some(column), "{plans:#?}");
    }
}

#[test]
fn a_manager_imports_with_an_orders_whole_authority_and_the_history_names_them() {
    let manager = Actor::new("u-zhoujian", "周健", vec![Role::Manager]);
    // On a phone a manager creates nothing: the rulebook refuses it.
    let pipeline = Pipeline::standard();
    assert!(!permission::allowed(
        &manager,
        None,
        &pipeline,
        permission::Action::CreateOrder
    ));

    let mut run = Run::new();
    run.actor = importer(&manager).expect("managers import");
    let plans = run.plan(ImportMode::Both, &sheet(&[ROW_A, ROW_B]), &[]);
    assert_eq!(
        plans.iter().map(|p| p.action).collect::<Vec<_>>(),
        vec![RowAction::Create, RowAction::Create],
        "{plans:#?}"
    );
    let b = plans[1].after.as_ref().unwrap();
    assert_eq!(b.stage.0, stage_ids::CONTRACT, "moved past a sales stage");
    assert_eq!(b.owner.name, "周健", "no owner given: the importer owns it");
    assert!(b.history.iter().all(|e| e.actor.name == "周健"));

    let sales = Actor::new("u-wangfang", "王芳", vec![Role::Sales]);
    let refused = importer(&sales).unwrap_err();
    assert_eq!(refused.code(), "forbidden");
    assert!(refused
        .message(Lang::Zh)
        .contains("只有管理员和经理可以导入"));
    assert_eq!(
        importer(&admin()).unwrap(),
        admin(),
        "an admin imports as themselves"
    );
}

#[test]
fn an_admin_undoes_any_import_and_a_manager_only_their_own() {
    let manager = Actor::new("u-zhoujian", "周健", vec![Role::Manager]);
    let other = Actor::new("u-other", "吴经理", vec![Role::Manager]);
    assert!(undoer(&admin(), "u-zhoujian").is_ok());
    assert!(undoer(&manager, "u-zhoujian").unwrap().is_admin());
    let refused = undoer(&other, "u-zhoujian").unwrap_err();
    assert!(refused.message(Lang::Zh).contains("只能撤销自己导入的批次"));
    let sales = Actor::new("u-wangfang", "王芳", vec![Role::Sales]);
    assert!(
        undoer(&sales, "u-wangfang").is_err(),
        "not even their own: sales never import"
    );
}
