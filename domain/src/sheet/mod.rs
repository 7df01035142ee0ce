//! Orders from a spreadsheet: the rules for reading the rows an admin or a manager imports, and
//! what each row would do. Pure, like the rest of the domain: the worker reads the file (xlsx or CSV) into
//! `Cell`s, looks up the orders the numbers name, and commits what `plan_import` decided.
//!
//! # Rules
//! - The header is the first row with at least two filled cells (a merged title row above it is
//!   skipped); its columns are mapped through synonyms (`columns.rs`), adjustable by the caller.
//!   The order number column is required: it is what makes a second import of the same file
//!   change nothing.
//! - Empty rows are skipped. One row is one order with one line item.
//! - A row becomes mutations and goes through `apply`, so the rulebook decides: a new order is a
//!   `CreateOrder` (and an `AdvanceStage` with the reason "从 Excel 导入" when the sheet puts it at
//!   a later stage); an existing one (same `number_key`) an `EditFields` with only the fields
//!   that differ, and an `Assign` when the owner differs. Nothing that differs is `Unchanged`.
//!   Empty cells never clear what an order holds; stage and note count only for new orders.
//! - Modes: `Create` leaves existing orders alone (an existing order that differs is an error
//!   telling to use update mode), `Update` refuses numbers it does not know, `Both` does both.
//! - A number a row above already used is an error on the later row, naming the first.
//! - Owners (业务员) are matched to active team members by name or phone; unknown or ambiguous is
//!   an error, never a guess. An empty owner makes the importer the owner.
//! - Every error names its column (the header as written in the file) and says why in zh/en.

pub mod columns;
pub mod undo;
pub mod values;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::apply::{apply_all, Context};
use crate::error::DomainError;
use crate::i18n::Localized;
use crate::money::Money;
use crate::mutation::{FieldChanges, Mutation};
use crate::number_key::number_key;
use crate::order::{Actor, Customer, LineItem, Order, StaffRef};
use crate::pipeline::{Pipeline, StageId};
use crate::process_version::Processes;
use crate::quantity::Quantity;
use crate::role::Role;

pub use columns::{header_key, propose_mapping, Column};
pub use undo::{undo_mutations, undoer, UNDO_REASON};
pub use values::{
    csv_escape, csv_unescape, excel_serial_date, parse_amount, parse_date, parse_phone,
    parse_quantity, Cell,
};

/// The most rows one import may carry (more is refused before reading on).
pub const MAX_IMPORT_ROWS: usize = 20_000;
/// The most columns a sheet may have: more is not an order list.
pub const MAX_IMPORT_COLUMNS: usize = 100;
/// The reason recorded on the stage move of an order that came in at a later stage.
pub const IMPORT_REASON: &str = "从 Excel 导入";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    Create,
    Update,
    Both,
}

impl ImportMode {
    pub fn parse(text: &str) -> Option<ImportMode> {
        match text {
            "create" => Some(ImportMode::Create),
            "update" => Some(ImportMode::Update),
            "both" => Some(ImportMode::Both),
            _ => None,
        }
    }
}

/// Who may import, and with what authority: importing is the desk task of admins and
/// managers. A sheet holds orders at any stage and owned by anyone, so its rows are applied with
/// an admin's rights over orders: a manager, who moves no stage on a phone, could otherwise
/// import nothing, and a row refused only for the importer's rights could never be fixed in the
/// sheet. The history still names the person who imported (`Actor`'s id and name are theirs).
pub fn importer(actor: &Actor) -> Result<Actor, DomainError> {
    if actor.is_admin() {
        return Ok(actor.clone());
    }
    if actor.has_role(Role::Manager) {
        let mut acting = actor.clone();
        acting.roles.push(Role::Admin);
        return Ok(acting);
    }
    Err(DomainError::forbidden(
        "只有管理员和经理可以导入订单",
        "Only admins and managers import orders",
    ))
}

/// A team member an owner cell may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: String,
    pub name: String,
    pub phone: Option<String>,
}

/// A sheet as read: every row's cells, the header row among them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sheet {
    pub rows: Vec<Vec<Cell>>,
}

/// Where the header is and what it maps to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Index into `Sheet::rows`.
    pub row: usize,
    pub titles: Vec<String>,
    pub mapping: Vec<Option<Column>>,
}

/// The sheet as a whole cannot be imported (as opposed to one row of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetProblem {
    NoHeader,
    NoNumberColumn,
    TooManyColumns(usize),
    TooManyRows(usize),
}

impl SheetProblem {
    pub fn code(&self) -> &'static str {
        match self {
            SheetProblem::NoHeader => "import_no_header",
            SheetProblem::NoNumberColumn => "import_no_number_column",
            SheetProblem::TooManyColumns(_) => "import_too_many_columns",
            SheetProblem::TooManyRows(_) => "import_too_many_rows",
        }
    }

    pub fn message(&self) -> Localized {
        match self {
            SheetProblem::NoHeader => Localized::new(
                "找不到表头：第一行应是“订单号、客户、联系人……”这样的列名",
                "No header row found: the first row should name the columns (Order No., Customer, …)",
            ),
            SheetProblem::NoNumberColumn => Localized::new(
                "表头里没有订单号列（订单号/单号/Order No.），重复导入需要靠它识别订单",
                "The header has no order number column (订单号/单号/Order No.); it is how a repeated import recognises orders",
            ),
            SheetProblem::TooManyColumns(n) => Localized::new(
                format!("表格有 {n} 列，最多 {MAX_IMPORT_COLUMNS} 列：这不像订单列表，请只保留订单的列"),
                format!("The sheet has {n} columns, at most {MAX_IMPORT_COLUMNS}: keep only the order columns"),
            ),
            SheetProblem::TooManyRows(n) => Localized::new(
                format!("表格有 {n} 行，一次最多导入 {MAX_IMPORT_ROWS} 行，请分批导入"),
                format!("The sheet has {n} rows; import at most {MAX_IMPORT_ROWS} at a time"),
            ),
        }
    }
}

/// The header row (the first with at least two filled cells) and its titles, before mapping.
pub fn header_titles(sheet: &Sheet) -> Option<(usize, Vec<String>)> {
    let row = sheet
        .rows
        .iter()
        .position(|row| row.iter().filter(|c| !c.is_empty()).count() >= 2)?;
    Some((row, sheet.rows[row].iter().map(Cell::text).collect()))
}

/// What makes two files' headers "the same" for a remembered mapping: the header keys in order
/// (so "单价（元）" and "单价(元)" match, a reordered or added column does not).
pub fn header_signature(titles: &[String]) -> String {
    titles
        .iter()
        .map(|title| header_key(title))
        .collect::<Vec<_>>()
        .join("|")
}

/// A mapping as remembered: header key → field (`None`: 忽略), for every column of the header.
pub fn mapping_by_key(header: &Header) -> HashMap<String, Option<Column>> {
    header
        .titles
        .iter()
        .zip(&header.mapping)
        .map(|(title, field)| (header_key(title), *field))
        .collect()
}

/// The header row and its proposed mapping; `mapping` (when given, by header key → field)
/// replaces the proposal for the headers it names. Refuses a header without an order number.
pub fn read_header(
    sheet: &Sheet,
    overrides: &HashMap<String, Option<Column>>,
) -> Result<Header, SheetProblem> {
    let header = map_header(sheet, overrides)?;
    if !header.mapping.contains(&Some(Column::Number)) {
        return Err(SheetProblem::NoNumberColumn);
    }
    Ok(header)
}

/// `read_header` without the order number check: what the screen shows so that the person can
/// say which column holds the number.
pub fn map_header(
    sheet: &Sheet,
    overrides: &HashMap<String, Option<Column>>,
) -> Result<Header, SheetProblem> {
    let width = sheet
        .rows
        .iter()
        .map(|row| row.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1))
        .max()
        .unwrap_or(0);
    if width > MAX_IMPORT_COLUMNS {
        return Err(SheetProblem::TooManyColumns(width));
    }
    let (row, titles) = header_titles(sheet).ok_or(SheetProblem::NoHeader)?;
    let data_rows = sheet.rows[row + 1..]
        .iter()
        .filter(|r| r.iter().any(|c| !c.is_empty()))
        .count();
    if data_rows > MAX_IMPORT_ROWS {
        return Err(SheetProblem::TooManyRows(data_rows));
    }
    let mut mapping = propose_mapping(&titles);
    for (title, field) in titles.iter().zip(mapping.iter_mut()) {
        if let Some(chosen) = overrides.get(&header_key(title)) {
            *field = *chosen;
        }
    }
    Ok(Header {
        row,
        titles,
        mapping,
    })
}

/// What a stage date column's header ends with after the stage's name: 需求确认日期,
/// 合同签订时间, "Contract signing date".
const STAGE_DATE_SUFFIXES: [&str; 4] = ["日期", "时间", "date", "日"];

/// The stage whose entry date each column holds (`None` for the other columns): a column no
/// field takes whose header is a stage's name (Chinese or English) and 日期/时间/date. These give
/// a new order its past: it enters each stage on its date, so analytics counts its history.
pub fn stage_date_columns(header: &Header, pipeline: &Pipeline) -> Vec<Option<StageId>> {
    header
        .titles
        .iter()
        .zip(&header.mapping)
        .map(|(title, field)| {
            if field.is_some() {
                return None;
            }
            let key = header_key(title);
            pipeline
                .stages
                .iter()
                .find(|stage| {
                    [&stage.name.zh, &stage.name.en].into_iter().any(|name| {
                        let name = header_key(name);
                        STAGE_DATE_SUFFIXES
                            .iter()
                            .any(|suffix| key == format!("{name}{suffix}"))
                    })
                })
                .map(|stage| stage.id.clone())
        })
        .collect()
}

/// The instant an order "entered a stage" on a date from a sheet: 09:00 business time.
fn at_business_morning(date: NaiveDate) -> DateTime<Utc> {
    let morning = date.and_hms_opt(9, 0, 0).expect("09:00 exists");
    (morning - chrono::Duration::hours(i64::from(crate::calendar::BUSINESS_UTC_OFFSET_HOURS)))
        .and_utc()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    Create,
    Update,
    Unchanged,
    Error,
}

/// What one row would do (or why it cannot).
#[derive(Debug, Clone, PartialEq)]
pub struct RowPlan {
    /// The row as numbered in the spreadsheet (1 = the first line of the file).
    pub line: usize,
    pub number: String,
    pub action: RowAction,
    /// The header of the column the error is about, when it is about one.
    pub column: Option<String>,
    pub code: Option<String>,
    pub message: Option<Localized>,
    /// The row's mutations in order (empty unless it creates or updates).
    pub mutations: Vec<Mutation>,
    /// The order as it would be after them, and the order before (`None` for a new one).
    pub after: Option<Order>,
    pub before: Option<Order>,
}

/// Everything `plan_import` needs besides the rows.
pub struct ImportContext<'a> {
    pub processes: &'a Processes,
    pub actor: &'a Actor,
    pub now: DateTime<Utc>,
    pub mode: ImportMode,
    pub team: &'a [Member],
}

/// The `number_key`s of the numbers in the rows, so the caller can look the orders up first.
pub fn number_keys(sheet: &Sheet, header: &Header) -> Vec<String> {
    let Some(col) = header
        .mapping
        .iter()
        .position(|c| *c == Some(Column::Number))
    else {
        return Vec::new();
    };
    let mut keys: Vec<String> = sheet.rows[header.row + 1..]
        .iter()
        .filter_map(|row| row.get(col))
        .map(Cell::text)
        .filter(|text| !text.is_empty())
        .map(|text| number_key(&text))
        .collect();
    crate::sorting::sort(&mut keys);
    keys.dedup();
    keys
}

/// Decides every data row. `existing` holds the stored orders by `number_key`; `new_id` gives
/// ids for new orders (the domain takes no randomness).
pub fn plan_import(
    ctx: &ImportContext,
    sheet: &Sheet,
    header: &Header,
    existing: &HashMap<String, Order>,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Vec<RowPlan> {
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    let stage_columns = stage_date_columns(header, ctx.processes.current_pipeline());
    let mut plans = Vec::new();
    for (index, row) in sheet.rows.iter().enumerate().skip(header.row + 1) {
        if row.iter().all(Cell::is_empty) {
            continue;
        }
        let line = index + 1;
        let fields = RowFields::read(header, row, &stage_columns);
        let number = fields.text(Column::Number);
        let mut plan = RowPlan {
            line,
            number: number.clone(),
            action: RowAction::Error,
            column: None,
            code: None,
            message: None,
            mutations: Vec::new(),
            after: None,
            before: None,
        };
        let outcome = if number.is_empty() {
            Err(RowError::at(
                Column::Number,
                Localized::new("订单号不能为空", "the order number is required"),
            ))
        } else {
            let key = number_key(&number);
            match first_line_of.get(&key) {
                Some(first) => Err(RowError::at(
                    Column::Number,
                    Localized::new(
                        format!("订单号“{number}”与第 {first} 行重复"),
                        format!("order number “{number}” repeats line {first}"),
                    ),
                )),
                None => {
                    first_line_of.insert(key.clone(), line);
                    decide_row(ctx, &fields, existing.get(&key), new_id)
                }
            }
        };
        match outcome {
            Ok(decided) => {
                plan.action = decided.action;
                plan.mutations = decided.mutations;
                plan.after = decided.after;
                plan.before = existing.get(&number_key(&number)).cloned();
            }
            Err(error) => {
                plan.column = error
                    .title
                    .or_else(|| error.column.and_then(|c| header.title_of(c)));
                plan.code = Some(error.code);
                plan.message = Some(error.message);
            }
        }
        plans.push(plan);
    }
    plans
}

impl Header {
    fn title_of(&self, column: Column) -> Option<String> {
        self.mapping
            .iter()
            .position(|c| *c == Some(column))
            .map(|i| self.titles[i].clone())
            .or_else(|| Some(column.label().zh))
    }
}

struct RowFields<'a> {
    cells: HashMap<Column, &'a Cell>,
    /// Stage date cells that are filled: the stage, the column's header, the cell.
    stage_dates: Vec<(StageId, String, &'a Cell)>,
}

impl<'a> RowFields<'a> {
    fn read(header: &Header, row: &'a [Cell], stage_columns: &[Option<StageId>]) -> Self {
        let cells = header
            .mapping
            .iter()
            .enumerate()
            .filter_map(|(i, column)| Some(((*column)?, row.get(i)?)))
            .collect();
        let stage_dates = stage_columns
            .iter()
            .enumerate()
            .filter_map(|(i, stage)| {
                let cell = row.get(i).filter(|c| !c.is_empty())?;
                Some((stage.clone()?, header.titles[i].clone(), cell))
            })
            .collect();
        RowFields { cells, stage_dates }
    }

    fn cell(&self, column: Column) -> &Cell {
        self.cells.get(&column).copied().unwrap_or(&Cell::Empty)
    }

    fn text(&self, column: Column) -> String {
        self.cell(column).text()
    }

    fn has(&self, column: Column) -> bool {
        !self.cell(column).is_empty()
    }
}

struct RowError {
    column: Option<Column>,
    /// The header of a column no field stands for (a stage date column).
    title: Option<String>,
    code: String,
    message: Localized,
}

impl RowError {
    fn at(column: Column, message: Localized) -> Self {
        RowError {
            column: Some(column),
            title: None,
            code: "invalid".into(),
            message,
        }
    }

    fn at_title(title: &str, message: Localized) -> Self {
        RowError {
            column: None,
            title: Some(title.to_string()),
            code: "invalid".into(),
            message,
        }
    }

    /// A refusal of the rulebook, placed on the column its field came from.
    fn from_domain(error: DomainError) -> Self {
        let column = error.field().and_then(|field| match field {
            "number" => Some(Column::Number),
            "customer.company" => Some(Column::Company),
            "customer.contact" => Some(Column::Contact),
            "customer.phone" => Some(Column::Phone),
            "items" => Some(Column::Product),
            "expected_delivery" => Some(Column::DueDate),
            "owner" => Some(Column::Owner),
            "text" => Some(Column::Note),
            _ => None,
        });
        RowError {
            column,
            title: None,
            code: error.code().to_string(),
            message: Localized::new(
                error.message(crate::Lang::Zh),
                error.message(crate::Lang::En),
            ),
        }
    }
}

struct Decided {
    action: RowAction,
    mutations: Vec<Mutation>,
    after: Option<Order>,
}

fn decide_row(
    ctx: &ImportContext,
    fields: &RowFields,
    existing: Option<&Order>,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Result<Decided, RowError> {
    let at = |column: Column| move |message: Localized| RowError::at(column, message);
    let due = parse_date(fields.cell(Column::DueDate)).map_err(at(Column::DueDate))?;
    let phone = parse_phone(fields.cell(Column::Phone)).map_err(at(Column::Phone))?;
    let item = read_item(fields, existing)?;
    let owner = match fields.text(Column::Owner) {
        text if text.is_empty() => None,
        text => Some(find_member(ctx.team, &text).map_err(at(Column::Owner))?),
    };
    let apply_ctx = Context {
        processes: ctx.processes,
        actor: ctx.actor,
        now: ctx.now,
    };
    let mutations = match existing {
        None if ctx.mode == ImportMode::Update => {
            return Err(RowError::at(
                Column::Number,
                Localized::new(
                    "系统中没有这个订单号（“仅更新”模式不新建订单）",
                    "no order has this number (update mode creates none)",
                ),
            ))
        }
        None => create_mutations(ctx, fields, phone, item, due, owner, new_id)?,
        Some(order) => {
            let mutations = update_mutations(fields, order, phone, item, due, owner)?;
            if !mutations.is_empty() && ctx.mode == ImportMode::Create {
                return Err(RowError::at(
                    Column::Number,
                    Localized::new(
                        "订单已存在且内容不同；要修改已有订单请选择“更新”模式",
                        "the order exists with different values; choose update mode to change it",
                    ),
                ));
            }
            mutations
        }
    };
    if mutations.is_empty() {
        return Ok(Decided {
            action: RowAction::Unchanged,
            mutations,
            after: None,
        });
    }
    let applied = match existing {
        // A new order with stage dates lives its past: each mutation at its own time.
        None => {
            let times = history_times(ctx, fields, &mutations)?;
            let mut order: Option<Order> = None;
            for (mutation, now) in mutations.iter().zip(times) {
                let at = Context { now, ..apply_ctx };
                order = Some(
                    crate::apply::apply(&at, order.as_ref(), mutation)
                        .map_err(RowError::from_domain)?
                        .order,
                );
            }
            crate::apply::Applied {
                order: order.expect("a create mutation"),
                events: Vec::new(),
            }
        }
        Some(_) => {
            apply_all(&apply_ctx, existing.cloned(), &mutations).map_err(RowError::from_domain)?
        }
    };
    Ok(Decided {
        action: if existing.is_some() {
            RowAction::Update
        } else {
            RowAction::Create
        },
        mutations,
        after: Some(applied.order),
    })
}

/// The line item of a row, `None` when the row names no product. The unit price comes from
/// 单价, or from 金额 ÷ 数量 when that is exact; both given must agree. An amount alone that is
/// the stored order's total is no change (an export lists orders of several items that way).
fn read_item(fields: &RowFields, existing: Option<&Order>) -> Result<Option<LineItem>, RowError> {
    let at = |column: Column| move |message: Localized| RowError::at(column, message);
    let quantity = parse_quantity(fields.cell(Column::Quantity)).map_err(at(Column::Quantity))?;
    let unit_price = parse_amount(fields.cell(Column::UnitPrice)).map_err(at(Column::UnitPrice))?;
    let amount = parse_amount(fields.cell(Column::Amount)).map_err(at(Column::Amount))?;
    let product = fields.text(Column::Product);
    if product.is_empty() {
        let stored_total = existing.map(Order::total);
        let only_the_total = quantity.is_none() && unit_price.is_none() && amount == stored_total;
        if !only_the_total && (quantity.is_some() || unit_price.is_some() || amount.is_some()) {
            return Err(RowError::at(
                Column::Product,
                Localized::new(
                    "填了数量或金额，但没有产品名称",
                    "a quantity or amount is given but no product",
                ),
            ));
        }
        return Ok(None);
    }
    let (quantity, unit) = quantity.unwrap_or((Quantity::ONE, String::new()));
    let unit_price = match (unit_price, amount) {
        (Some(price), Some(total)) => {
            if quantity.times(price).ok() != Some(total) {
                return Err(RowError::at(
                    Column::Amount,
                    Localized::new(
                        format!(
                            "金额 {} 不等于 单价 {} × 数量 {quantity}",
                            total.format_cny(),
                            price.format_cny()
                        ),
                        format!(
                            "amount {} is not unit price {} × quantity {quantity}",
                            total.format_cny(),
                            price.format_cny()
                        ),
                    ),
                ));
            }
            price
        }
        (Some(price), None) => price,
        (None, Some(total)) => {
            // The price whose line amount is exactly `total`: total × 1000 ÷ thousandths, when
            // that is whole fen (¥18.45 for 1.5 is ¥12.30; ¥10 for 3 has no such price).
            let scaled = i128::from(total.0) * 1000;
            let thousandths = i128::from(quantity.thousandths());
            let price = (scaled % thousandths == 0)
                .then(|| i64::try_from(scaled / thousandths).ok())
                .flatten();
            let Some(price) = price else {
                return Err(RowError::at(
                    Column::Amount,
                    Localized::new(
                        format!("金额 {} 不能被数量 {quantity} 整除到分，请填写单价", total.format_cny()),
                        format!("amount {} does not divide by quantity {quantity} to the fen; give the unit price", total.format_cny()),
                    ),
                ));
            };
            Money(price)
        }
        (None, None) => Money::ZERO,
    };
    Ok(Some(LineItem {
        product,
        quantity,
        unit,
        unit_price,
    }))
}

/// The member an owner cell names, by name or by phone (digits compared).
fn find_member(team: &[Member], text: &str) -> Result<StaffRef, Localized> {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let typed_digits = digits(text);
    let matches: Vec<&Member> = team
        .iter()
        .filter(|m| {
            m.name.trim() == text.trim()
                || (typed_digits.len() >= 5
                    && m.phone
                        .as_deref()
                        .is_some_and(|p| digits(p) == typed_digits))
        })
        .collect();
    match matches.as_slice() {
        [member] => Ok(StaffRef::new(member.user_id.clone(), member.name.clone())),
        [] => Err(Localized::new(
            format!("“{text}”不是团队中的在职成员"),
            format!("“{text}” is not an active member of the team"),
        )),
        _ => Err(Localized::new(
            format!("团队中有多位“{text}”，请填写手机号区分"),
            format!("several members are called “{text}”; use their phone number"),
        )),
    }
}

fn find_stage(pipeline: &Pipeline, text: &str) -> Result<StageId, Localized> {
    let key = header_key(text);
    pipeline
        .stages
        .iter()
        .find(|s| {
            header_key(&s.name.zh) == key || header_key(&s.name.en) == key || s.id.0 == text.trim()
        })
        .map(|s| s.id.clone())
        .ok_or_else(|| {
            let names: Vec<&str> = pipeline.stages.iter().map(|s| s.name.zh.as_str()).collect();
            Localized::new(
                format!("没有“{text}”这个阶段，可用：{}", names.join("、")),
                format!(
                    "there is no stage “{text}”; the stages are: {}",
                    pipeline
                        .stages
                        .iter()
                        .map(|s| s.name.en.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
}

fn create_mutations(
    ctx: &ImportContext,
    fields: &RowFields,
    phone: String,
    item: Option<LineItem>,
    due: Option<NaiveDate>,
    owner: Option<StaffRef>,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Result<Vec<Mutation>, RowError> {
    let pipeline = ctx.processes.current_pipeline();
    let stage = match fields.text(Column::Stage) {
        text if text.is_empty() => None,
        text => Some(find_stage(pipeline, &text).map_err(|message| RowError {
            column: Some(Column::Stage),
            title: None,
            code: "unknown_stage".into(),
            message,
        })?),
    };
    let order_id = new_id();
    let note = fields.text(Column::Note);
    let mut mutations = vec![Mutation::CreateOrder {
        order_id,
        number: Some(fields.text(Column::Number)),
        customer: Customer {
            company: fields.text(Column::Company),
            contact: fields.text(Column::Contact),
            phone,
            email: None,
            address: None,
        },
        items: item.into_iter().collect(),
        expected_delivery: due,
        owner,
        note: (!note.is_empty()).then_some(note),
        note_id: None,
    }];
    // The stages the sheet dates, in pipeline order (dates checked by `history_times`), then
    // the 阶段 column's stage when it is further on.
    let first = pipeline.first().id.clone();
    let mut path: Vec<StageId> = pipeline
        .stages
        .iter()
        .filter(|s| fields.stage_dates.iter().any(|(id, ..)| *id == s.id))
        .map(|s| s.id.clone())
        .collect();
    if let Some(stage) = &stage {
        let index = |id: &StageId| pipeline.index_of(id).unwrap_or(0);
        if let Some((_, title, _)) = fields
            .stage_dates
            .iter()
            .find(|(id, ..)| index(id) > index(stage))
        {
            return Err(RowError::at_title(
                title,
                Localized::new(
                    format!(
                        "填了“{title}”，但阶段是更早的“{}”",
                        fields.text(Column::Stage)
                    ),
                    format!(
                        "“{title}” is given but the stage is the earlier “{}”",
                        fields.text(Column::Stage)
                    ),
                ),
            ));
        }
        if path.last() != Some(stage) {
            path.push(stage.clone());
        }
    }
    let mut from = first;
    for stage in path {
        if stage == from {
            continue;
        }
        mutations.push(Mutation::AdvanceStage {
            order_id,
            from: from.clone(),
            to: stage.clone(),
            reason: Some(IMPORT_REASON.into()),
        });
        from = stage;
    }
    Ok(mutations)
}

/// When each of a new order's mutations happens: the create on the earliest stage date (its
/// first stage's, else the earliest given), each stage move on its stage's date, a move to a
/// stage without a date now. Dates must not go backwards along the pipeline nor lie ahead.
fn history_times(
    ctx: &ImportContext,
    fields: &RowFields,
    mutations: &[Mutation],
) -> Result<Vec<DateTime<Utc>>, RowError> {
    if fields.stage_dates.is_empty() {
        return Ok(vec![ctx.now; mutations.len()]);
    }
    let pipeline = ctx.processes.current_pipeline();
    let today = crate::calendar::business_date(ctx.now);
    let mut dated: Vec<(usize, StageId, String, NaiveDate)> = Vec::new();
    for (stage, title, cell) in &fields.stage_dates {
        let date = parse_date(cell)
            .map_err(|message| RowError::at_title(title, message))?
            .expect("a filled cell");
        if date > today {
            return Err(RowError::at_title(
                title,
                Localized::new(
                    format!("“{title}”是将来的日期 {date}：只能导入已经发生的阶段"),
                    format!("“{title}” is in the future ({date}): only stages already entered can be imported"),
                ),
            ));
        }
        let index = pipeline.index_of(stage).unwrap_or(0);
        dated.push((index, stage.clone(), title.clone(), date));
    }
    crate::sorting::sort_by_key(&mut dated, |(index, ..)| *index);
    for pair in dated.windows(2) {
        let ((_, _, earlier_title, earlier), (_, _, title, date)) = (&pair[0], &pair[1]);
        if date < earlier {
            return Err(RowError::at_title(
                title,
                Localized::new(
                    format!("“{title}” {date} 早于 “{earlier_title}” {earlier}，阶段日期应按流程顺序"),
                    format!("“{title}” {date} is before “{earlier_title}” {earlier}: stage dates follow the process"),
                ),
            ));
        }
    }
    // 09:00 of today may still be ahead of the import: never later than now.
    let created = at_business_morning(dated[0].3).min(ctx.now);
    Ok(mutations
        .iter()
        .map(|mutation| match mutation {
            Mutation::AdvanceStage { to, .. } => dated
                .iter()
                .find(|(_, stage, ..)| stage == to)
                .map_or(ctx.now, |(.., date)| {
                    at_business_morning(*date).min(ctx.now).max(created)
                }),
            _ => created,
        })
        .collect())
}

fn update_mutations(
    fields: &RowFields,
    order: &Order,
    phone: String,
    item: Option<LineItem>,
    due: Option<NaiveDate>,
    owner: Option<StaffRef>,
) -> Result<Vec<Mutation>, RowError> {
    let mut customer = order.customer.clone();
    if fields.has(Column::Company) {
        customer.company = fields.text(Column::Company);
    }
    if fields.has(Column::Contact) {
        customer.contact = fields.text(Column::Contact);
    }
    if !phone.is_empty() {
        customer.phone = phone;
    }
    let customer = customer.validated().map_err(RowError::from_domain)?;
    let mut changes = FieldChanges::default();
    if customer != order.customer {
        changes.customer = Some(customer);
    }
    if let Some(item) = item {
        let item = item.validated().map_err(RowError::from_domain)?;
        // An empty unit cell keeps the stored unit, like any empty cell.
        let item = match order.items.as_slice() {
            [stored] if item.unit.is_empty() => LineItem {
                unit: stored.unit.clone(),
                ..item
            },
            _ => item,
        };
        match order.items.as_slice() {
            [stored] if *stored == item => {}
            [] | [_] => changes.items = Some(vec![item]),
            _ => {
                return Err(RowError::at(
                    Column::Product,
                    Localized::new(
                        format!(
                            "订单有 {} 条明细，不能用一行覆盖，请在订单里修改",
                            order.items.len()
                        ),
                        format!(
                            "the order has {} line items; one row cannot replace them",
                            order.items.len()
                        ),
                    ),
                ))
            }
        }
    }
    if due.is_some() && due != order.expected_delivery {
        changes.expected_delivery = Some(due);
    }
    let mut mutations = Vec::new();
    if !changes.is_empty() {
        mutations.push(Mutation::EditFields {
            order_id: order.id,
            changes,
        });
    }
    if let Some(owner) = owner.filter(|o| o.user_id != order.owner.user_id) {
        mutations.push(Mutation::Assign {
            order_id: order.id,
            owner,
        });
    }
    Ok(mutations)
}

/// Totals of a plan, for the dry run's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportTotals {
    pub create: u32,
    pub update: u32,
    pub unchanged: u32,
    pub error: u32,
}

pub fn totals(plans: &[RowPlan]) -> ImportTotals {
    let mut totals = ImportTotals::default();
    for plan in plans {
        match plan.action {
            RowAction::Create => totals.create += 1,
            RowAction::Update => totals.update += 1,
            RowAction::Unchanged => totals.unchanged += 1,
            RowAction::Error => totals.error += 1,
        }
    }
    totals
}
