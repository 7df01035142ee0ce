//! Orders laid out as the export's tables, pure so native tests can check them: 订单 (one row
//! per order, in the columns an import reads back), 明细 (line items), 阶段记录 (every stage
//! visit with its dates) and 客户反馈 (ratings and after-sales requests).

use chrono::{DateTime, NaiveDate, Utc};
use domain::sheet::{csv_escape, Cell, Column, Header, RowAction, RowPlan, Sheet};
use domain::{business_offset, Lang, Money, Order, OrderStatus, Processes, Quantity};

/// A cell of an export, typed so the xlsx gets real dates and numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Int(i64),
    /// A number as the uploaded file had it (the error sheet gives people their own cells back).
    Number(f64),
    Money(Money),
    Date(NaiveDate),
    /// Shown in business time (UTC+8), as people remember it.
    Time(DateTime<Utc>),
}

pub struct Table {
    pub name: &'static str,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

fn text(s: impl Into<String>) -> Value {
    let s = s.into();
    if s.is_empty() {
        Value::Empty
    } else {
        Value::Text(s)
    }
}

fn stage_name(processes: &Processes, order: &Order, stage: &domain::StageId) -> String {
    processes
        .for_order(order)
        .stage(stage)
        .map_or_else(|| stage.0.clone(), |s| s.name.zh.clone())
}

fn status(order: &Order) -> &'static str {
    match order.status {
        OrderStatus::Active => "进行中",
        OrderStatus::Completed => "已完成",
        OrderStatus::Cancelled { .. } => "已取消",
    }
}

/// The orders table: the import's columns first (so an exported file imports back unchanged),
/// then what only an export has. Product, quantity and unit price are filled for one-item
/// orders; several items are in the line-item table, and the amount is the order's total.
pub fn orders_table(orders: &[Order], processes: &Processes) -> Table {
    // The import columns first, in the importer's order, so an export reads back as it is.
    let mut headers: Vec<String> = Column::ALL.iter().map(|c| c.label().zh).collect();
    headers.extend(["单位", "订单状态", "创建时间", "更新时间"].map(String::from));
    let rows = orders
        .iter()
        .map(|order| {
            let single = match order.items.as_slice() {
                [item] => Some(item),
                _ => None,
            };
            let notes: Vec<&str> = order.notes.iter().map(|n| n.text.as_str()).collect();
            vec![
                text(order.number.as_str()),
                text(&order.customer.company),
                text(&order.customer.contact),
                text(&order.customer.phone),
                single.map_or(Value::Empty, |i| text(&i.product)),
                single.map_or(Value::Empty, |i| quantity(i.quantity)),
                single.map_or(Value::Empty, |i| Value::Money(i.unit_price)),
                Value::Money(order.total()),
                order.expected_delivery.map_or(Value::Empty, Value::Date),
                text(&order.owner.name),
                text(stage_name(processes, order, &order.stage)),
                text(notes.join("\n")),
                single.map_or(Value::Empty, |i| text(&i.unit)),
                text(status(order)),
                Value::Time(order.created_at),
                Value::Time(order.updated_at),
            ]
        })
        .collect();
    Table {
        name: "订单",
        headers,
        rows,
    }
}

pub fn items_table(orders: &[Order]) -> Table {
    let headers = ["订单号", "客户", "产品", "数量", "单位", "单价", "金额"]
        .map(String::from)
        .to_vec();
    let rows = orders
        .iter()
        .flat_map(|order| {
            order.items.iter().map(move |item| {
                vec![
                    text(order.number.as_str()),
                    text(&order.customer.company),
                    text(&item.product),
                    quantity(item.quantity),
                    text(&item.unit),
                    Value::Money(item.unit_price),
                    Value::Money(item.subtotal().unwrap_or(Money(i64::MAX))),
                ]
            })
        })
        .collect();
    Table {
        name: "明细",
        headers,
        rows,
    }
}

pub fn stages_table(orders: &[Order], processes: &Processes) -> Table {
    let headers = [
        "订单号",
        "阶段",
        "进入时间",
        "离开时间",
        "办理人",
        "截止日期",
    ]
    .map(String::from)
    .to_vec();
    let rows = orders
        .iter()
        .flat_map(|order| {
            order.stages.iter().map(move |visit| {
                vec![
                    text(order.number.as_str()),
                    text(stage_name(processes, order, &visit.stage)),
                    Value::Time(visit.entered_at),
                    visit.left_at.map_or(Value::Empty, Value::Time),
                    text(&visit.entered_by.name),
                    visit.due_date.map_or(Value::Empty, Value::Date),
                ]
            })
        })
        .collect();
    Table {
        name: "阶段记录",
        headers,
        rows,
    }
}

pub fn feedback_table(orders: &[Order]) -> Table {
    let headers = ["订单号", "类型", "评分", "内容", "时间", "状态"]
        .map(String::from)
        .to_vec();
    let mut rows = Vec::new();
    for order in orders {
        if let Some(feedback) = &order.feedback {
            rows.push(vec![
                text(order.number.as_str()),
                text("评价"),
                Value::Int(i64::from(feedback.stars)),
                text(&feedback.comment),
                Value::Time(feedback.given_at),
                Value::Empty,
            ]);
        }
        for request in &order.after_sales {
            rows.push(vec![
                text(order.number.as_str()),
                text(format!("售后 · {}", request.kind.label(Lang::Zh))),
                Value::Empty,
                text(&request.description),
                Value::Time(request.at),
                text(if request.is_open() {
                    "处理中"
                } else {
                    "已解决"
                }),
            ]);
        }
    }
    Table {
        name: "客户反馈",
        headers,
        rows,
    }
}

/// The header the error sheet adds after the file's own columns: why the row failed.
pub const ERROR_REASON: &str = "错误原因";
/// … and which of the file's columns is at fault.
pub const ERROR_COLUMN: &str = "出错的列";

/// The failing rows of a dry run as a sheet people fix in Excel and import again: the file's own
/// header and cells (so the mapping and the values come back as they were typed), then 错误原因
/// and 出错的列, which no synonym maps, so the fixed file imports without deleting them.
pub fn errors_table(sheet: &Sheet, header: &Header, plans: &[RowPlan]) -> Table {
    let mut headers = header.titles.clone();
    headers.extend([ERROR_REASON, ERROR_COLUMN].map(String::from));
    let rows = plans
        .iter()
        .filter(|plan| plan.action == RowAction::Error)
        .map(|plan| {
            let cells = sheet.rows.get(plan.line - 1).map_or(&[][..], Vec::as_slice);
            let mut row: Vec<Value> = (0..header.titles.len())
                .map(|i| match cells.get(i).unwrap_or(&Cell::Empty) {
                    Cell::Empty => Value::Empty,
                    Cell::Number(n) => Value::Number(*n),
                    Cell::Date(d) => Value::Date(*d),
                    other => text(other.text()),
                })
                .collect();
            row.push(text(
                plan.message
                    .as_ref()
                    .map_or_else(String::new, |m| m.zh.clone()),
            ));
            row.push(text(plan.column.clone().unwrap_or_default()));
            row
        })
        .collect();
    Table {
        name: "导入错误",
        headers,
        rows,
    }
}

/// A quantity as a number cell: whole ones as before, "1.5" as the float Excel shows as 1.5
/// (the shortest decimal that reads back as the same float is the quantity's own text, so the
/// import reads exactly the quantity that was exported).
fn quantity(quantity: Quantity) -> Value {
    match quantity.whole() {
        Some(units) => Value::Int(i64::from(units)),
        None => {
            let text = quantity.to_string();
            text.parse().map_or(Value::Text(text), Value::Number)
        }
    }
}

/// A value as CSV text: amounts without ¥ (so the file imports back), times in business time,
/// text that a spreadsheet would run as a formula escaped (`csv_escape`).
pub fn csv_text(value: &Value) -> String {
    match value {
        Value::Empty => String::new(),
        Value::Text(s) => csv_escape(s).into_owned(),
        Value::Int(i) => i.to_string(),
        Value::Number(n) => Cell::Number(*n).text(),
        Value::Money(m) => format!("{}.{:02}", m.0 / 100, (m.0 % 100).abs()),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        Value::Time(t) => t
            .with_timezone(&business_offset())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
    }
}
