pub mod bottom_nav;
pub mod field;
pub mod order_card;
pub mod rejections;
pub mod top_bar;
pub mod update_banner;
