//! What customers (no account) reach: the lookup by number + phone digits and the signed links
//! (`track`, JSON), the server-rendered pages (`pages`), the lookup limits (`limits`), and the
//! team's endpoint that makes a signed link to send them (`share`).

pub mod limits;
pub mod pages;
pub mod share;
pub mod track;
