//! `GET /api/export.xlsx` and `GET /api/export.csv`: every order the caller may see (every team
//! member sees every order, as sync's pull does), or every one the board's filter passes
//! (`?q=…&mine=1&overdue=1&due_this_week=1&after_sales_open=1&owner=…`), never a page. The xlsx has four sheets with a
//! frozen header, an autofilter, real dates and numbers and a ¥ format; the CSV is the orders
//! table in UTF-8 with a BOM, which Excel needs to show Chinese correctly.

use chrono::{Datelike, Timelike};
use domain::board::matches;
use domain::{business_date, business_offset, BoardFilter, Card, Order, Processes};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use worker::{Request, Response, RouteContext};

use super::tables::{
    csv_text, feedback_table, items_table, orders_table, stages_table, Table, Value,
};
use crate::auth::require_user;
use crate::error::ApiError;
use crate::http::{file_response, server_now};
use crate::repository::{retry::retrying, Repository};

fn internal(error: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(error.to_string())
}

fn file_name(extension: &str) -> String {
    format!(
        "orders-{}.{extension}",
        business_date(server_now()).format("%Y%m%d")
    )
}

/// The orders an export holds: every live order, or those the board's filter passes (the same
/// `domain::board::matches` the board runs over the same cards), in the query as
/// `BoardFilter::to_query` writes it.
async fn matching_orders(
    req: &Request,
    ctx: &RouteContext<()>,
) -> Result<(Vec<Order>, Processes), ApiError> {
    let user = require_user(req, ctx).await?;
    let url = req.url().map_err(|e| ApiError::BadQuery(e.to_string()))?;
    let filter = BoardFilter::from_query(url.query_pairs());
    let repo = Repository::new(ctx.d1("DB")?);
    let processes = retrying(|| repo.processes()).await?;
    let mut orders = retrying(|| repo.all_orders()).await?;
    if filter.is_active() {
        let today = business_date(server_now());
        orders.retain(|order| {
            let card = Card::from_order(order, processes.for_order(order));
            matches(&card, &filter, &user.id, today)
        });
    }
    Ok((orders, processes))
}

pub async fn xlsx(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let (orders, processes) = matching_orders(&req, &ctx).await?;
    let tables = [
        orders_table(&orders, &processes),
        items_table(&orders),
        stages_table(&orders, &processes),
        feedback_table(&orders),
    ];
    let bytes = write_xlsx(&tables).map_err(internal)?;
    Ok(file_response(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &file_name("xlsx"),
    ))
}

pub async fn csv(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let (orders, processes) = matching_orders(&req, &ctx).await?;
    let bytes = write_csv(&orders_table(&orders, &processes)).map_err(internal)?;
    Ok(file_response(
        bytes,
        "text/csv; charset=utf-8",
        &file_name("csv"),
    ))
}

pub fn write_csv(table: &Table) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(&table.headers)?;
    for row in &table.rows {
        writer.write_record(row.iter().map(csv_text))?;
    }
    writer
        .into_inner()
        .map_err(|error| csv::Error::from(error.into_error()))
}

/// Excel holds at most 32,767 UTF-16 units in a cell and refuses the whole file over it. A
/// longer text (an order's notes joined, a pasted cell in an import's error sheet) is cut to fit,
/// saying so; the CSV export keeps it whole.
const EXCEL_CELL_UNITS: usize = 32_767;
const CUT_MARK: &str = "…（内容过长，已截断；完整内容见 CSV 导出或订单页）";

fn excel_cell_text(text: &str) -> std::borrow::Cow<'_, str> {
    if text.encode_utf16().count() <= EXCEL_CELL_UNITS {
        return text.into();
    }
    let room = EXCEL_CELL_UNITS - CUT_MARK.encode_utf16().count();
    let mut units = 0;
    let end = text
        .char_indices()
        .find(|(_, c)| {
            units += c.len_utf16();
            units > room
        })
        .map_or(text.len(), |(at, _)| at);
    format!("{}{CUT_MARK}", &text[..end]).into()
}

pub fn write_xlsx(tables: &[Table]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    // Most of the time of a large export is deflating the sheets' XML: the fastest level makes
    // a slightly larger file (see `scripts/bench_sheets.mjs` for the figures).
    workbook.set_zip_compression_level(1);
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("¥#,##0.00");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let time = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    for table in tables {
        let sheet = workbook.add_worksheet();
        sheet.set_name(table.name)?;
        for (col, header) in table.headers.iter().enumerate() {
            sheet.write_with_format(0, col as u16, header, &bold)?;
            sheet.set_column_width(col as u16, 14)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (col, value) in row.iter().enumerate() {
                let col = col as u16;
                match value {
                    Value::Empty => {}
                    Value::Text(s) => {
                        sheet.write_string(r, col, excel_cell_text(s).as_ref())?;
                    }
                    Value::Int(i) => {
                        sheet.write_number(r, col, *i as f64)?;
                    }
                    Value::Number(n) => {
                        sheet.write_number(r, col, *n)?;
                    }
                    Value::Money(m) => {
                        sheet.write_number_with_format(r, col, m.0 as f64 / 100.0, &money)?;
                    }
                    Value::Date(d) => {
                        let day = ExcelDateTime::from_ymd(
                            d.year() as u16,
                            d.month() as u8,
                            d.day() as u8,
                        )?;
                        sheet.write_datetime_with_format(r, col, &day, &date)?;
                    }
                    Value::Time(t) => {
                        let local = t.with_timezone(&business_offset());
                        let at = ExcelDateTime::from_ymd(
                            local.year() as u16,
                            local.month() as u8,
                            local.day() as u8,
                        )?
                        .and_hms(
                            local.hour() as u16,
                            local.minute() as u8,
                            local.second() as f64,
                        )?;
                        sheet.write_datetime_with_format(r, col, &at, &time)?;
                    }
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        let last_col = table.headers.len().saturating_sub(1) as u16;
        sheet.autofilter(0, 0, table.rows.len() as u32, last_col)?;
    }
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::{TimeZone, Utc};
    use domain::sheet::{plan_import, read_header, ImportContext, ImportMode, Member, RowAction};
    use domain::{demo_orders, demo_staff, Actor, Processes, Role};

    use super::*;
    use crate::sheets::read::read_upload;
    use crate::sheets::tables::errors_table;

    /// Exports the demo orders, reads the file back with the import's reader and plans it
    /// against the same orders: every row must be unchanged.
    fn round_trip(bytes: &[u8]) {
        let processes = Processes::standard();
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
        let orders = demo_orders(processes.current_pipeline(), now);
        let team: Vec<Member> = demo_staff()
            .into_iter()
            .map(|(actor, phone)| Member {
                user_id: actor.user_id,
                name: actor.name,
                phone: Some(phone.into()),
            })
            .collect();
        let read = read_upload(bytes).unwrap();
        let header = read_header(&read.sheet, &HashMap::new()).unwrap();
        let existing = orders.iter().map(|o| (o.number.key(), o.clone())).collect();
        let admin = Actor::new("u-admin", "管理员", vec![Role::Admin]);
        let ctx = ImportContext {
            processes: &processes,
            actor: &admin,
            now,
            mode: ImportMode::Both,
            team: &team,
        };
        let plans = plan_import(&ctx, &read.sheet, &header, &existing, &mut || {
            panic!("nothing is new")
        });
        assert_eq!(plans.len(), orders.len());
        for plan in plans {
            assert_eq!(plan.action, RowAction::Unchanged, "{plan:#?}");
        }
    }

    fn demo_tables() -> Vec<Table> {
        let processes = Processes::standard();
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
        let orders = demo_orders(processes.current_pipeline(), now);
        vec![
            orders_table(&orders, &processes),
            items_table(&orders),
            stages_table(&orders, &processes),
            feedback_table(&orders),
        ]
    }

    #[test]
    fn an_exported_xlsx_imports_back_unchanged() {
        let tables = demo_tables();
        assert!(tables[0].rows.len() > 5);
        assert!(tables[2].rows.len() > tables[0].rows.len());
        round_trip(&write_xlsx(&tables).unwrap());
    }

    /// An attacker's finding: one member's long notes made every xlsx export a 500, and an
    /// import's error sheet too when a pasted cell was that long.
    #[test]
    fn a_text_longer_than_an_excel_cell_is_cut_to_fit_and_says_so() {
        let long = format!("{}😀", "备".repeat(40_000));
        let table = Table {
            name: "订单",
            headers: vec!["单号".into(), "备注".into(), "客户".into()],
            rows: vec![vec![
                Value::Text("LONG-1".into()),
                Value::Text(long.clone()),
                Value::Text("甲公司".into()),
            ]],
        };
        let bytes = write_xlsx(&[table]).expect("the file is written");
        let back = read_upload(&bytes).unwrap().sheet;
        let note = back.rows[1][1].text();
        assert!(note.encode_utf16().count() <= 32_767, "{}", note.len());
        assert!(note.starts_with(&"备".repeat(30_000)));
        assert!(
            note.ends_with("已截断；完整内容见 CSV 导出或订单页）"),
            "{}",
            &note[note.len() - 80..]
        );
        assert_eq!(
            back.rows[1][2].text(),
            "甲公司",
            "the other cells are whole"
        );
        // Exactly at the limit, a text is kept as it is; and an emoji is never cut in half.
        assert_eq!(excel_cell_text(&"a".repeat(32_767)).len(), 32_767);
        let emojis = "😀".repeat(20_000);
        assert!(excel_cell_text(&emojis).encode_utf16().count() <= 32_767);
    }

    #[test]
    fn an_exported_csv_has_a_bom_and_imports_back_unchanged() {
        let bytes = write_csv(&demo_tables()[0]).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF\xE8\xAE\xA2")); // BOM, then 订
        round_trip(&bytes);
    }

    #[test]
    fn the_error_sheet_has_the_failing_rows_as_typed_with_the_reason_and_imports_again() {
        use domain::sheet::Cell;
        let processes = Processes::standard();
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
        let team = vec![Member {
            user_id: "u-wang".into(),
            name: "王芳".into(),
            phone: None,
        }];
        let admin = Actor::new("u-admin", "管理员", vec![Role::Admin]);
        let ctx = ImportContext {
            processes: &processes,
            actor: &admin,
            now,
            mode: ImportMode::Both,
            team: &team,
        };
        let file = "单号,客户名称,联系人,手机,交期,业务员\n\
                    ER-1,甲公司,赵一,13900000001,2027/1/5,王芳\n\
                    ER-2,乙公司,钱二,13900000002,下个月,王芳\n\
                    ER-3,丙公司,孙三,13900000003,2027/1/7,张三丰\n";
        let read = read_upload(file.as_bytes()).unwrap();
        let header = read_header(&read.sheet, &HashMap::new()).unwrap();
        let mut ids = (1..).map(uuid::Uuid::from_u128);
        let plans = plan_import(&ctx, &read.sheet, &header, &HashMap::new(), &mut || {
            ids.next().unwrap()
        });

        let bytes = write_xlsx(&[errors_table(&read.sheet, &header, &plans)]).unwrap();
        let back = read_upload(&bytes).unwrap().sheet;
        let texts: Vec<Vec<String>> = back
            .rows
            .iter()
            .map(|r| r.iter().map(Cell::text).collect())
            .collect();
        assert_eq!(
            texts[0],
            [
                "单号",
                "客户名称",
                "联系人",
                "手机",
                "交期",
                "业务员",
                "错误原因",
                "出错的列"
            ]
        );
        assert_eq!(texts.len(), 3, "the two failing rows only: {texts:?}");
        assert_eq!(
            texts[1][..6],
            ["ER-2", "乙公司", "钱二", "13900000002", "下个月", "王芳"]
        );
        assert!(texts[1][6].contains("下个月"), "{}", texts[1][6]);
        assert_eq!(texts[1][7], "交期");
        assert!(texts[2][6].contains("张三丰"), "{}", texts[2][6]);
        assert_eq!(texts[2][7], "业务员");

        // Fixed in Excel, the same file imports: the two extra columns are not imported.
        let mut fixed = back.clone();
        fixed.rows[1][4] = Cell::Text("2027-02-01".into());
        fixed.rows[2][5] = Cell::Text("王芳".into());
        let header = read_header(&fixed, &HashMap::new()).unwrap();
        assert_eq!(header.mapping[6..], [None, None]);
        let plans = plan_import(&ctx, &fixed, &header, &HashMap::new(), &mut || {
            ids.next().unwrap()
        });
        assert_eq!(
            plans.iter().map(|p| p.action).collect::<Vec<_>>(),
            [RowAction::Create, RowAction::Create]
        );
    }
}
