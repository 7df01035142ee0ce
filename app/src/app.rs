//! The root component: i18n context, the router and the two layouts (the team shell with top bar
//! and bottom navigation, and the bare customer layout for `/track`).

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Html, Title};
use leptos_router::{
    components::{Outlet, ParentRoute, Route, Router, Routes},
    path,
};

use crate::{
    components::{bottom_nav::BottomNav, top_bar::TopBar},
    i18n::*,
    routes::{
        board::BoardPage,
        login::LoginPage,
        new_order::{EditOrderPage, NewOrderPage},
        not_found::NotFoundPage,
        order_detail::OrderDetailPage,
        settings::SettingsPage,
        track::TrackPage,
    },
    state::provide_app_state,
};

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_app_state();
    view! {
        // `DocumentLanguage` sets `<html lang>` to a full tag (zh-CN picks Simplified glyphs).
        <I18nContextProvider set_lang_attr_on_html=false>
            <DocumentLanguage />
            <Router>
                <Routes fallback=|| view! { <NotFoundPage /> }>
                    <Route path=path!("/track") view=TrackPage />
                    <ParentRoute path=path!("") view=TeamShell>
                        <Route path=path!("/") view=BoardPage />
                        <Route path=path!("/orders/new") view=NewOrderPage />
                        <Route path=path!("/orders/:id") view=OrderDetailPage />
                        <Route path=path!("/orders/:id/edit") view=EditOrderPage />
                        <Route path=path!("/login") view=LoginPage />
                        <Route path=path!("/settings") view=SettingsPage />
                    </ParentRoute>
                </Routes>
            </Router>
        </I18nContextProvider>
    }
}

/// Keeps `<html lang>` and the tab title in the chosen language (screen readers and fonts
/// depend on `lang` to pick Chinese glyphs).
#[component]
fn DocumentLanguage() -> impl IntoView {
    let i18n = use_i18n();
    let lang = move || match i18n.get_locale() {
        Locale::zh => "zh-CN",
        Locale::en => "en",
    };
    view! {
        <Html attr:lang=lang />
        <Title text=move || t_string!(i18n, app_name).to_string() />
    }
}

#[component]
fn TeamShell() -> impl IntoView {
    view! {
        <div class="shell">
            <TopBar />
            <main class="shell-main" id="main">
                <Outlet />
            </main>
            <BottomNav />
        </div>
    }
}
