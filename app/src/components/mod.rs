pub mod bottom_nav;
pub mod top_bar;
