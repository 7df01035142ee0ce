//! The 跟单 app: a Leptos client-side-rendered PWA. See ARCHITECTURE.md for the code map.

pub mod api;
pub mod boot;
pub mod bundle;
pub mod components;
pub mod desk;
pub mod field;
pub mod format;
pub mod locale;
pub mod network;
pub mod photo;
pub mod pwa;
pub mod reminders;
pub mod routes;
pub mod screen;
pub mod shell;
pub mod state;
pub mod storage;

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

/// Mounts the field bundle on `<body>` (the `app` binary's `main` calls only this).
pub fn mount_field() {
    start();
    leptos::mount::mount_to_body(field::FieldApp);
}

/// Mounts the desk bundle on `<body>` (the `desk` binary's `main` calls only this).
pub fn mount_desk() {
    start();
    leptos::mount::mount_to_body(desk::DeskApp);
}

fn start() {
    console_error_panic_hook::set_once();
}
