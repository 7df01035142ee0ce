//! One module per route.
pub mod board;
pub mod login;
pub mod new_order;
pub mod not_found;
pub mod order_detail;
pub mod settings;
pub mod team;
