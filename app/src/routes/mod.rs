//! One module per route.
pub mod board;
pub mod customer;
pub mod login;
pub mod new_order;
pub mod not_found;
pub mod order_detail;
pub mod password;
pub mod settings;
pub mod today;
