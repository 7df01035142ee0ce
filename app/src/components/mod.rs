pub mod bottom_nav;
pub mod customer_feedback;
pub mod field;
pub mod order_card;
pub mod rejections;
pub mod share_panel;
pub mod top_bar;
pub mod update_banner;
