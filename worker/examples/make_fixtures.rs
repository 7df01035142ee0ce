//! Writes the spreadsheet fixtures of the import/export API tests into `tests/fixtures/import/`:
//! `cargo run -p gendan-worker --example make_fixtures` (natively; deterministic, so running it
//! again changes nothing in git). Files too big to commit (10 MB, 20,001 rows) are made by the
//! test itself.
//!
//! The encrypted workbook is a stand-in: an OLE compound file header plus the UTF-16 name of the
//! `EncryptionInfo` stream Excel writes into password-protected workbooks, which is what the
//! reader recognises (no tool here can encrypt a real one).

use std::path::PathBuf;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Formula, Workbook};

const HEADER: [&str; 12] = [
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

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/import")
}

fn write(name: &str, bytes: &[u8]) {
    std::fs::write(dir().join(name), bytes).expect("write fixture");
}

fn fixed_workbook() -> Workbook {
    let mut workbook = Workbook::new();
    // A fixed creation time, so the bytes are the same on every run.
    let created = ExcelDateTime::from_ymd(2026, 12, 1).unwrap();
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    workbook
}

fn csv_line(cells: &[&str]) -> String {
    cells.join(",") + "\r\n"
}

fn gbk_csv() {
    let rows: [[&str; 12]; 5] = [
        [
            "FX-GBK-001",
            "杭州明远贸易有限公司",
            "李明",
            "13900001111",
            "瓦楞纸箱",
            "100箱",
            "¥12.50",
            "\"¥1,250.00\"",
            "2026/12/20",
            "王芳",
            "需求确认",
            "老客户",
        ],
        [
            "FX-GBK-002",
            "宁波海丰物流",
            "陈海",
            "13900002222",
            "封箱胶带",
            "20",
            "",
            "1.2万",
            "2026年12月31日",
            "孙磊",
            "合同签订",
            "",
        ],
        [
            "FX-GBK-003",
            "绍兴织造厂",
            "吴芳",
            "0575-8888 6666",
            "精梳棉纱 32S",
            "10",
            "2350",
            "",
            "2027.1.5",
            "",
            "",
            "首单",
        ],
        [
            "FX-GBK-004",
            "温州鞋业",
            "郑强",
            "13900004444",
            "鞋盒",
            "500",
            "3.2",
            "1600",
            "2027-01-10",
            "王芳",
            "",
            "",
        ],
        [
            "FX-GBK-005",
            "金华五金",
            "钱伟",
            "13900005555",
            "包装膜",
            "3",
            "",
            "",
            "46402",
            "孙磊",
            "",
            "",
        ],
    ];
    let mut text = csv_line(&HEADER);
    for row in &rows {
        text += &csv_line(row);
    }
    let (gbk, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    write("orders_gbk.csv", &gbk);
}

fn serial_dates_xlsx() {
    let mut workbook = fixed_workbook();
    let sheet = workbook.add_worksheet();
    let title = Format::new().set_bold().set_align(FormatAlign::Center);
    let date = Format::new().set_num_format("yyyy-mm-dd");
    sheet
        .merge_range(0, 0, 0, 11, "2026 年 12 月订单（从旧表导出）", &title)
        .unwrap();
    for (col, header) in HEADER.iter().enumerate() {
        sheet.write(1, col as u16, *header).unwrap();
    }
    let rows = [
        (
            "FX-XLSX-001",
            "苏州精工机械",
            "周杰",
            13_900_011_111.0,
            "轴承",
            40.0,
            85.5,
            46_376.0,
            "王芳",
            "下单处理",
        ),
        (
            "FX-XLSX-002",
            "无锡纺织",
            "冯丽",
            13_900_022_222.0,
            "棉纱",
            12.0,
            2350.0,
            46_390.0,
            "孙磊",
            "",
        ),
        (
            "FX-XLSX-003",
            "常州电子",
            "卫东",
            13_900_033_333.0,
            "电路板",
            200.0,
            15.0,
            46_400.0,
            "",
            "需求确认",
        ),
    ];
    for (i, (number, company, contact, phone, product, qty, price, due, owner, stage)) in
        rows.iter().enumerate()
    {
        let r = i as u32 + 2;
        sheet.write(r, 0, *number).unwrap();
        sheet.write(r, 1, *company).unwrap();
        sheet.write(r, 2, *contact).unwrap();
        sheet.write(r, 3, *phone).unwrap();
        sheet.write(r, 4, *product).unwrap();
        sheet.write(r, 5, *qty).unwrap();
        sheet.write(r, 6, *price).unwrap();
        // 金额 as a formula with its cached value, as Excel saves it.
        let total = qty * price;
        sheet
            .write_formula(
                r,
                7,
                Formula::new(format!("=F{0}*G{0}", r + 1)).set_result(total.to_string()),
            )
            .unwrap();
        let day = ExcelDateTime::from_serial_datetime(*due).unwrap();
        sheet.write_datetime_with_format(r, 8, &day, &date).unwrap();
        if !owner.is_empty() {
            sheet.write(r, 9, *owner).unwrap();
        }
        if !stage.is_empty() {
            sheet.write(r, 10, *stage).unwrap();
        }
    }
    let bytes = workbook.save_to_buffer().unwrap();
    write("orders_serial_dates.xlsx", &bytes);
    // The same file cut in half, as an interrupted download leaves it.
    write("truncated.xlsx", &bytes[..bytes.len() / 2]);
}

fn merged_header_xlsx() {
    let mut workbook = fixed_workbook();
    let sheet = workbook.add_worksheet();
    sheet.write(0, 0, "订单号").unwrap();
    sheet
        .merge_range(0, 1, 0, 2, "客户信息", &Format::new())
        .unwrap();
    sheet.write(0, 3, "手机").unwrap();
    sheet.write(1, 0, "FX-MERGE-001").unwrap();
    sheet.write(1, 1, "某公司").unwrap();
    sheet.write(1, 2, "某人").unwrap();
    sheet.write(1, 3, "13900000000").unwrap();
    write("merged_header.xlsx", &workbook.save_to_buffer().unwrap());
}

/// One order, and one stray value in the sheet's very last cell (XFD1048576): the kind of file
/// that made the reader ask for 17 billion cells.
fn stray_far_cell_xlsx() {
    let mut workbook = fixed_workbook();
    let sheet = workbook.add_worksheet();
    for (col, title) in ["订单号", "客户", "联系人", "手机"].iter().enumerate() {
        sheet.write(0, col as u16, *title).unwrap();
    }
    for (col, value) in ["FX-STRAY-001", "某公司", "某人", "13900000000"]
        .iter()
        .enumerate()
    {
        sheet.write(1, col as u16, *value).unwrap();
    }
    sheet.write(1_048_575, 16_383, "x").unwrap();
    write("stray_far_cell.xlsx", &workbook.save_to_buffer().unwrap());
}

/// A zip bomb: about 100 KB that inflate to 101 MB of shared strings.
fn inflates_too_much_xlsx() {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .last_modified_time(zip::DateTime::default());
    zip.start_file("xl/sharedStrings.xml", options).unwrap();
    let block = vec![b' '; 1 << 20];
    for _ in 0..101 {
        std::io::Write::write_all(&mut zip, &block).unwrap();
    }
    write(
        "inflates_too_much.xlsx",
        &zip.finish().unwrap().into_inner(),
    );
}

fn ole_files() {
    let ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    let mut xls = ole.to_vec();
    xls.resize(1024, 0);
    xls.extend("Workbook".encode_utf16().flat_map(u16::to_le_bytes));
    write("old_format.xls", &xls);
    let mut encrypted = ole.to_vec();
    encrypted.resize(1024, 0);
    encrypted.extend("EncryptionInfo".encode_utf16().flat_map(u16::to_le_bytes));
    encrypted.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    write("password_protected.xlsx", &encrypted);
}

fn small_csvs() {
    let wide: Vec<String> = (1..=200).map(|i| format!("列{i}")).collect();
    write(
        "wide_200_columns.csv",
        csv_line(&wide.iter().map(String::as_str).collect::<Vec<_>>()).as_bytes(),
    );

    let mut duplicates = csv_line(&HEADER);
    duplicates += &csv_line(&[
        "FX-DUP-001",
        "甲公司",
        "张一",
        "13900000001",
        "纸箱",
        "1",
        "10",
        "",
        "",
        "",
        "",
        "",
    ]);
    duplicates += &csv_line(&[
        "FX-DUP-002",
        "乙公司",
        "张二",
        "13900000002",
        "纸箱",
        "1",
        "10",
        "",
        "",
        "",
        "",
        "",
    ]);
    duplicates += &csv_line(&[
        "fx-dup-001",
        "丙公司",
        "张三",
        "13900000003",
        "纸箱",
        "1",
        "10",
        "",
        "",
        "",
        "",
        "",
    ]);
    write("duplicate_numbers.csv", duplicates.as_bytes());

    let mut stage = csv_line(&HEADER);
    stage += &csv_line(&[
        "FX-STAGE-001",
        "丁公司",
        "李四",
        "13900000004",
        "纸箱",
        "1",
        "10",
        "",
        "",
        "",
        "质检",
        "",
    ]);
    write("unknown_stage.csv", stage.as_bytes());

    // UTF-8 with a BOM, blank lines between rows (skipped, lines keep their numbers).
    let mut blank = String::from("\u{feff}");
    blank += &csv_line(&HEADER);
    blank += &csv_line(&[""; 12]);
    blank += &csv_line(&[
        "FX-BLANK-001",
        "戊公司",
        "王五",
        "13900000005",
        "纸箱",
        "2",
        "10",
        "20",
        "",
        "",
        "",
        "",
    ]);
    blank += "\r\n";
    blank += &csv_line(&[
        "FX-BLANK-002",
        "己公司",
        "赵六",
        "13900000006",
        "纸箱",
        "3",
        "",
        "¥30",
        "",
        "",
        "",
        "",
    ]);
    write("blank_rows_bom.csv", blank.as_bytes());
}

fn main() {
    std::fs::create_dir_all(dir()).unwrap();
    gbk_csv();
    serial_dates_xlsx();
    merged_header_xlsx();
    stray_far_cell_xlsx();
    inflates_too_much_xlsx();
    ole_files();
    small_csvs();
    println!("fixtures written to {}", dir().display());
}
