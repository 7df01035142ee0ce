//! Spreadsheets, in and out (issue 15): `import` (admins: a file → a dry run or one committed
//! batch of orders through the rulebook), `export` (any team member: every order they may see as
//! .xlsx or .csv). The heavy readers and writers (calamine, rust_xlsxwriter) live here, in the
//! worker, so phones never download them. `read` turns uploaded bytes into the domain's `Sheet`;
//! `tables` lays orders out as the export's rows.

pub mod export;
pub mod import;
pub mod read;
pub mod tables;
pub mod undo;
