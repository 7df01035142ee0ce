//! What both bundles share around their screens: the providers (i18n, app state, service worker),
//! the document's language and title, and the team shell (top bar, bottom navigation, the
//! signed-in check). Each bundle's root (`field::FieldApp`, `desk::DeskApp`) puts its own route
//! table inside. The customer pages (`/track`, `/t/<token>`) are not part of the app: the worker
//! renders them (worker/src/customer/pages.rs), so customers never download the app.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Html, Title};
use leptos_router::{
    components::{Outlet, Redirect},
    hooks::use_location,
};

use crate::{
    boot,
    components::{bottom_nav::BottomNav, top_bar::TopBar, update_banner::UpdateBanner},
    i18n::*,
    locale::LanguageProvider,
    pwa::provide_pwa,
    reminders,
    state::{provide_app_state, use_app_state},
};

/// The contexts every screen of either bundle reads, around that bundle's router.
#[component]
pub fn AppFrame(children: Children) -> impl IntoView {
    provide_meta_context();
    let state = provide_app_state();
    provide_pwa();
    // The static first screen (index.html) shows a board skeleton only to someone signed in on
    // this device; it cannot read IndexedDB, so the app leaves it this hint.
    Effect::new(move |_| {
        if state.status.with(Option::is_some) {
            boot::remember_signed_in(state.session.with(Option::is_some));
        }
    });
    view! {
        <LanguageProvider>
            <DocumentLanguage />
            {children()}
        </LanguageProvider>
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

/// Team pages need someone signed in on this device. The check is local (the session is kept
/// in IndexedDB), so it holds offline; the server checks the token on every call anyway.
#[component]
pub fn TeamShell() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let location = use_location();
    let to_login = move || {
        // Untracked: this shell is still mounted for a moment after the redirect, and
        // re-running on the new location would redirect again, from /login to /login.
        let search = location.search.get_untracked();
        let here = match search.is_empty() {
            true => location.pathname.get_untracked(),
            false => format!("{}?{search}", location.pathname.get_untracked()),
        };
        // The start address asks for no particular page: sign-in then sends each person to
        // their role's first page (sales to 今天), as a plain sign-in does.
        if here == "/" {
            return "/login".to_string();
        }
        let next: String = js_sys::encode_uri_component(&here).into();
        format!("/login?next={next}")
    };
    let signed_in = move || state.session.with(Option::is_some);
    // A password an admin chose is replaced before anything else: every team page leads to
    // /password until it is (an effect, not part of the view, so the shell is not rebuilt on
    // each navigation).
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        let must_change = state
            .session
            .with(|session| session.as_ref().is_some_and(|s| s.must_change_password));
        if must_change && location.pathname.get() != "/password" {
            navigate("/password", Default::default());
        }
    });
    // The opt-in overdue reminder, once per opening of the app (this shell is rebuilt when the
    // session or storage status changes, so the "already checked" flag lives outside it) and
    // at most once per business day (`remind_if_due` remembers the day).
    Effect::new(move |_| {
        if state.is_ready() && signed_in() && !reminders::checked_on_open() {
            leptos::task::spawn_local(async move {
                reminders::remind_if_due(state, i18n).await;
            });
        }
    });
    // The static first screen gives way once the real one is drawn (the board, or the error that
    // storage cannot be opened); someone not signed in is handed over by the sign-in screen.
    Effect::new(move |_| {
        let drawn = state.status.with(|status| match status {
            Some(Ok(())) => signed_in(),
            Some(Err(_)) => true,
            None => false,
        });
        if drawn {
            boot::hand_over();
        }
    });
    move || match state.status.get() {
        None => view! { <p class="page hint">{t!(i18n, storage_loading)}</p> }.into_any(),
        // Storage that cannot be opened has no session to read: the board explains the error.
        Some(Ok(())) if !signed_in() => view! { <Redirect path=to_login() /> }.into_any(),
        Some(_) => view! {
            <div class="shell">
                <TopBar />
                <UpdateBanner />
                <crate::components::account_disabled::AccountDisabled />
                <main class="shell-main" id="main">
                    <Outlet />
                </main>
                <BottomNav />
            </div>
        }
        .into_any(),
    }
}
