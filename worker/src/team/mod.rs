//! The team's accounts: the first-admin setup, sign-in and sessions, members managed by admins,
//! the rules for account fields, and the signed-in board summary.

pub mod account_fields;
pub mod board;
pub mod members;
pub mod session;
pub mod setup;
