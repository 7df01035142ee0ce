//! The 跟单 app: a Leptos client-side-rendered PWA. See ARCHITECTURE.md for the code map.

pub mod api;
pub mod app;
pub mod components;
pub mod format;
pub mod locale;
pub mod network;
pub mod pwa;
pub mod reminders;
pub mod routes;
pub mod screen;
pub mod state;
pub mod storage;

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

/// Mounts the whole app on `<body>`; the binary's `main` calls only this.
pub fn mount() {
    console_error_panic_hook::set_once();
    locale::default_to_chinese();
    leptos::mount::mount_to_body(app::App);
}
