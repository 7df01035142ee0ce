//! Bytes of an uploaded file → `domain::sheet::Sheet`. Which format is told by the bytes, never
//! by a file name: xlsx is a zip, the old .xls and password-protected workbooks are OLE compound
//! files, anything else must be CSV text in UTF-8 (with or without BOM), UTF-16 with BOM, or the
//! GB18030/GBK that Excel writes on Chinese Windows.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use domain::sheet::{csv_unescape, Cell, Sheet, MAX_IMPORT_COLUMNS, MAX_IMPORT_ROWS};
use domain::Localized;

/// The file as a whole cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadProblem {
    OldXls,
    Encrypted,
    Corrupt,
    NotText,
    TooManyColumns(usize),
    MergedHeader(String),
    /// The xlsx inflates to more than `MAX_UNPACKED_BYTES`.
    TooLargeUnpacked,
}

impl ReadProblem {
    pub fn code(&self) -> &'static str {
        match self {
            ReadProblem::OldXls => "import_old_xls",
            ReadProblem::Encrypted => "import_encrypted",
            ReadProblem::Corrupt => "import_corrupt",
            ReadProblem::NotText => "import_unreadable_text",
            ReadProblem::TooManyColumns(_) => "import_too_many_columns",
            ReadProblem::MergedHeader(_) => "import_merged_header",
            ReadProblem::TooLargeUnpacked => "import_too_large_unpacked",
        }
    }

    pub fn message(&self) -> Localized {
        match self {
            ReadProblem::OldXls => Localized::new(
                "这是旧版 Excel 文件（.xls），请在 Excel 中“另存为” .xlsx 后再导入",
                "This is an old Excel file (.xls): save it as .xlsx in Excel, then import that",
            ),
            ReadProblem::Encrypted => Localized::new(
                "工作簿设置了打开密码，请在 Excel 中取消密码后另存，再导入",
                "The workbook is password-protected: remove the password in Excel, save, then import",
            ),
            ReadProblem::Corrupt => Localized::new(
                "文件已损坏或不完整，无法作为 .xlsx 读取，请重新导出后再试",
                "The file is damaged or incomplete and cannot be read as .xlsx; export it again",
            ),
            ReadProblem::NotText => Localized::new(
                "无法识别文件内容：请上传 .xlsx，或 UTF-8 / GBK 编码的 .csv",
                "The file is not readable: upload .xlsx, or .csv in UTF-8 or GBK",
            ),
            ReadProblem::TooManyColumns(n) => Localized::new(
                format!("表格有 {n} 列，最多 {MAX_IMPORT_COLUMNS} 列：这不像订单列表，请只保留订单的列"),
                format!("The sheet has {n} columns, at most {MAX_IMPORT_COLUMNS}: keep only the order columns"),
            ),
            ReadProblem::TooLargeUnpacked => Localized::new(
                format!(
                    "文件解压后超过 {} MB，不像一张订单表：请只保留订单所在的工作表，另存后再导入",
                    MAX_UNPACKED_BYTES >> 20
                ),
                format!(
                    "The file unpacks to more than {} MB, which is not an order list: keep only the orders' sheet, save, then import",
                    MAX_UNPACKED_BYTES >> 20
                ),
            ),
            ReadProblem::MergedHeader(range) => Localized::new(
                format!("表头有合并单元格（{range}），请取消合并，每列只写一个列名"),
                format!("The header has merged cells ({range}): unmerge them so each column has one title"),
            ),
        }
    }
}

/// A sheet and its merged regions (first row, first column, last row, last column; 0-based).
pub struct ReadSheet {
    pub sheet: Sheet,
    pub merged: Vec<(usize, usize, usize, usize)>,
}

/// Rows read at most: enough for the row limit plus a few title rows, so that a larger file is
/// refused by `read_header` with its size instead of being read whole.
const ROWS_READ: usize = MAX_IMPORT_ROWS + 50;

pub fn read_upload(bytes: &[u8]) -> Result<ReadSheet, ReadProblem> {
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(ZIP) {
        read_xlsx(bytes)
    } else if bytes.starts_with(OLE) {
        // Excel encrypts an .xlsx into an OLE file holding an "EncryptionInfo" stream; any other
        // OLE workbook is the old binary format.
        let marker: Vec<u8> = "EncryptionInfo"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        if bytes.windows(marker.len()).any(|w| w == marker.as_slice()) {
            Err(ReadProblem::Encrypted)
        } else {
            Err(ReadProblem::OldXls)
        }
    } else {
        let text = decode_text(bytes)?;
        Ok(ReadSheet {
            sheet: read_csv(&text)?,
            merged: Vec::new(),
        })
    }
}

/// The merged region that covers part of the header row, as "A1:B1", if any.
pub fn merged_header(merged: &[(usize, usize, usize, usize)], header_row: usize) -> Option<String> {
    merged
        .iter()
        .find(|(r0, _, r1, _)| (*r0..=*r1).contains(&header_row))
        .map(|(r0, c0, r1, c1)| {
            format!(
                "{}{}:{}{}",
                column_name(*c0),
                r0 + 1,
                column_name(*c1),
                r1 + 1
            )
        })
}

/// A, B, … Z, AA, AB …
pub fn column_name(index: usize) -> String {
    let mut n = index + 1;
    let mut name = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        name.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// What an xlsx may inflate to, all its parts together. A 20,000-row order list is a few tens
/// of MB of XML; the worker has 128 MB, and calamine holds the shared strings in memory.
pub const MAX_UNPACKED_BYTES: u64 = 100 << 20;

/// Inflates every part once into nothing, counting: what the zip's directory claims is not
/// trusted (a crafted zip claims anything), and the counting stops at the limit.
fn check_unpacked_size(bytes: &[u8]) -> Result<(), ReadProblem> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| ReadProblem::Corrupt)?;
    let mut total = 0u64;
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(|_| ReadProblem::Corrupt)?;
        let room = MAX_UNPACKED_BYTES - total;
        total += std::io::copy(&mut entry.take(room + 1), &mut std::io::sink())
            .map_err(|_| ReadProblem::Corrupt)?;
        if total > MAX_UNPACKED_BYTES {
            return Err(ReadProblem::TooLargeUnpacked);
        }
    }
    Ok(())
}

/// The first sheet, one cell at a time. calamine's `worksheet_range` builds one dense rectangle
/// up to the last cell, so a single value at XFD1048576 asked for 17 billion cells and the
/// worker died; here only the filled cells inside the column limit are kept, at their own row
/// and column (line numbers match what Excel shows), and reading stops after `ROWS_READ`
/// filled rows.
fn read_xlsx(bytes: &[u8]) -> Result<ReadSheet, ReadProblem> {
    check_unpacked_size(bytes)?;
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(|_| ReadProblem::Corrupt)?;
    let name = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or(ReadProblem::Corrupt)?;
    let merged = workbook
        .merge_cells_by_sheet_id(0)
        .unwrap_or_default()
        .into_iter()
        .map(|d| {
            (
                d.start.0 as usize,
                d.start.1 as usize,
                d.end.0 as usize,
                d.end.1 as usize,
            )
        })
        .collect();
    let mut cells = workbook
        .worksheet_cells_reader(&name)
        .map_err(|_| ReadProblem::Corrupt)?;
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut width = 0;
    let mut filled_rows = 0;
    let mut last_row = None;
    while let Some(cell) = cells.next_cell().map_err(|_| ReadProblem::Corrupt)? {
        let (row, col) = cell.get_position();
        let (row, col) = (row as usize, col as usize);
        let value = cell_of(&Data::from(cell.get_value().clone()));
        if value.is_empty() {
            continue;
        }
        width = width.max(col + 1);
        if width > MAX_IMPORT_COLUMNS {
            // Read on for the sheet's real width, to name it; keep nothing more.
            continue;
        }
        if last_row != Some(row) {
            last_row = Some(row);
            filled_rows += 1;
            if filled_rows > ROWS_READ {
                break;
            }
        }
        if rows.len() <= row {
            rows.resize_with(row + 1, Vec::new);
        }
        let cells = &mut rows[row];
        if cells.len() <= col {
            cells.resize(col + 1, Cell::Empty);
        }
        cells[col] = value;
    }
    if width > MAX_IMPORT_COLUMNS {
        return Err(ReadProblem::TooManyColumns(width));
    }
    Ok(ReadSheet {
        sheet: Sheet { rows },
        merged,
    })
}

/// Formulas arrive as their cached values (what Excel last showed), which is what we want.
fn cell_of(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) => Cell::Text(s.clone()),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            chrono::NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))
                .map_or(Cell::Number(dt.as_f64()), Cell::Date)
        }
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        // A formula that failed (#DIV/0!, #REF!): shown as such, so the row's check names it.
        Data::Error(e) => Cell::Text(format!("{e}")),
    }
}

fn decode_text(bytes: &[u8]) -> Result<String, ReadProblem> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec()).map_err(|_| ReadProblem::NotText);
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let (text, _, had_errors) = encoding_rs::UTF_16LE.decode(bytes);
        return if had_errors {
            Err(ReadProblem::NotText)
        } else {
            Ok(text.into_owned())
        };
    }
    // NUL never occurs in text a spreadsheet writes: this is some binary file.
    if bytes.contains(&0) {
        return Err(ReadProblem::NotText);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(_) => {
            let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            if had_errors {
                Err(ReadProblem::NotText)
            } else {
                Ok(text.into_owned())
            }
        }
    }
}

fn read_csv(text: &str) -> Result<Sheet, ReadProblem> {
    // Excel's "Unicode text" export separates with tabs; its CSV with commas.
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches('\t').count() > first_line.matches(',').count() {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let bytes = text.as_bytes();
    for record in reader.records().take(ROWS_READ) {
        let record = record.map_err(|_| ReadProblem::NotText)?;
        if record.len() > MAX_IMPORT_COLUMNS {
            return Err(ReadProblem::TooManyColumns(record.len()));
        }
        // The reader skips blank lines: keep them as empty rows, so that row numbers are the
        // ones Excel shows for the file (a quoted multi-line cell is still one row). Blank lines
        // before this record: the newlines between the previous record's content and this
        // one's, less the previous record's own line end.
        let from = record
            .position()
            .map_or(0, |p| p.byte() as usize)
            .min(bytes.len());
        let start = from
            + bytes[from..]
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
        let run_start = bytes[..start]
            .iter()
            .rposition(|b| !matches!(b, b'\r' | b'\n'))
            .map_or(0, |i| i + 1);
        let newlines = bytes[run_start..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        let blank = if run_start == 0 {
            newlines
        } else {
            newlines.saturating_sub(1)
        };
        let line = rows.len() + 1 + blank;
        while rows.len() + 1 < line && rows.len() < ROWS_READ {
            rows.push(Vec::new());
        }
        rows.push(
            record
                .iter()
                .map(|field| match field.trim() {
                    "" => Cell::Empty,
                    // Our own export escapes formula-like text; take that back off.
                    text => Cell::Text(csv_unescape(text).to_string()),
                })
                .collect(),
        );
    }
    Ok(Sheet { rows })
}

/// For the unit tests: Excel's serial for a date, as xlsx files store it.
#[cfg(test)]
fn serial(date: chrono::NaiveDate) -> f64 {
    let zero = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
    let serial = (date - zero).num_days() as f64;
    assert_eq!(domain::sheet::excel_serial_date(serial), Some(date));
    serial
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    use std::collections::HashMap;

    use domain::sheet::map_header;

    fn texts(sheet: &Sheet) -> Vec<Vec<String>> {
        sheet
            .rows
            .iter()
            .map(|r| r.iter().map(Cell::text).collect())
            .collect()
    }

    #[test]
    fn csv_rows_keep_their_line_numbers_across_blank_lines() {
        let sheet = read_upload(b"a,b\r\n\r\nc,d\r\n\"e\nf\",g\r\nh,i")
            .unwrap()
            .sheet;
        assert_eq!(
            texts(&sheet),
            vec![
                vec!["a", "b"],
                vec![],
                vec!["c", "d"],
                vec!["e\nf", "g"],
                vec!["h", "i"]
            ]
        );
    }

    #[test]
    fn csv_in_utf8_with_and_without_bom_and_in_gbk() {
        let text = "订单号,客户\nHZ-1,杭州明远\n";
        let expected = vec![vec!["订单号", "客户"], vec!["HZ-1", "杭州明远"]];
        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend_from_slice(text.as_bytes());
        let (gbk, _, _) = encoding_rs::GB18030.encode(text);
        assert_ne!(gbk.as_ref(), text.as_bytes());
        for bytes in [text.as_bytes().to_vec(), with_bom, gbk.into_owned()] {
            assert_eq!(texts(&read_upload(&bytes).unwrap().sheet), expected);
        }
    }

    #[test]
    fn binary_and_old_formats_are_named() {
        assert_eq!(
            read_upload(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]).err(),
            Some(ReadProblem::OldXls)
        );
        let mut encrypted = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        encrypted.extend("EncryptionInfo".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(read_upload(&encrypted).err(), Some(ReadProblem::Encrypted));
        assert_eq!(
            read_upload(b"PK\x03\x04 truncated").err(),
            Some(ReadProblem::Corrupt)
        );
        assert_eq!(
            read_upload(b"\x00\x01\x02").err(),
            Some(ReadProblem::NotText)
        );
        let wide = (0..200)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            read_upload(wide.as_bytes()).err(),
            Some(ReadProblem::TooManyColumns(200))
        );
    }

    #[test]
    fn xlsx_dates_numbers_formulas_and_merged_titles() {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        let date_format = Format::new().set_num_format("yyyy-mm-dd");
        sheet
            .merge_range(0, 0, 0, 2, "2026 订单", &Format::new())
            .unwrap();
        sheet.write(1, 0, "订单号").unwrap();
        sheet.write(1, 1, "交期").unwrap();
        sheet.write(1, 2, "手机").unwrap();
        sheet.write(2, 0, "HZ-1").unwrap();
        let due = chrono::NaiveDate::from_ymd_opt(2026, 12, 20).unwrap();
        sheet
            .write_with_format(
                2,
                1,
                ExcelDateTime::from_serial_datetime(serial(due)).unwrap(),
                &date_format,
            )
            .unwrap();
        sheet.write(2, 2, 13_900_001_111.0).unwrap();
        sheet
            .write_formula(2, 3, rust_xlsxwriter::Formula::new("=1+1").set_result("2"))
            .unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let read = read_upload(&bytes).unwrap();
        assert_eq!(read.sheet.rows[2][1], Cell::Date(due));
        assert_eq!(read.sheet.rows[2][2].text(), "13900001111");
        assert_eq!(read.sheet.rows[2][3].text(), "2");
        assert_eq!(read.merged, vec![(0, 0, 0, 2)]);
        assert_eq!(merged_header(&read.merged, 0).as_deref(), Some("A1:C1"));
        assert_eq!(merged_header(&read.merged, 1), None);
        assert_eq!(column_name(27), "AB");
    }

    fn header_and_one_order(workbook: &mut Workbook) -> &mut rust_xlsxwriter::Worksheet {
        let sheet = workbook.add_worksheet();
        for (col, title) in ["订单号", "客户", "联系人", "手机"].iter().enumerate() {
            sheet.write(0, col as u16, *title).unwrap();
        }
        for (col, value) in ["HZ-1", "杭州明远", "李明", "13900001111"]
            .iter()
            .enumerate()
        {
            sheet.write(1, col as u16, *value).unwrap();
        }
        sheet
    }

    #[test]
    fn a_stray_value_in_the_last_cell_of_a_sheet_is_read_without_a_rectangle_of_empty_cells() {
        // One value typed at XFD1048576 made calamine's dense range 17 billion cells: the
        // worker could not allocate it and died. Cells are read one by one instead.
        let mut workbook = Workbook::new();
        header_and_one_order(&mut workbook)
            .write(1_048_575, 16_383, "x")
            .unwrap();
        assert_eq!(
            read_upload(&workbook.save_to_buffer().unwrap()).err(),
            Some(ReadProblem::TooManyColumns(16_384)),
            "the far column is named, not dropped"
        );

        // Within the columns, at the last row: a row of its own, with its own line number.
        let mut workbook = Workbook::new();
        header_and_one_order(&mut workbook)
            .write(1_048_575, 1, "迷路的值")
            .unwrap();
        let read = read_upload(&workbook.save_to_buffer().unwrap()).unwrap();
        assert_eq!(read.sheet.rows.len(), 1_048_576);
        assert_eq!(read.sheet.rows[1][1].text(), "杭州明远");
        assert_eq!(read.sheet.rows[1_048_575][1].text(), "迷路的值");
        let header = map_header(&read.sheet, &HashMap::new()).unwrap();
        assert_eq!(header.row, 0);
    }

    #[test]
    fn an_xlsx_that_inflates_past_the_limit_is_refused_before_it_is_read() {
        // A zip bomb: a few hundred KB that inflate to more than the worker's memory.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1));
        zip.start_file("xl/sharedStrings.xml", options).unwrap();
        let block = vec![b' '; 1 << 20];
        for _ in 0..=(MAX_UNPACKED_BYTES >> 20) {
            std::io::Write::write_all(&mut zip, &block).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
        assert_eq!(
            read_upload(&bytes).err(),
            Some(ReadProblem::TooLargeUnpacked)
        );
    }
}
