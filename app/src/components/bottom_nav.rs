//! Bottom navigation on phones (a side rail on wide screens, by CSS). Four destinations, each a
//! 56 px tall tap target.

use leptos::prelude::*;
use leptos_router::components::A;

use domain::Action;

use crate::{i18n::*, state::use_app_state};

#[component]
pub fn BottomNav() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    view! {
        <nav class="bottom-nav" aria-label="main">
            <A href="/" exact=true>
                <span class="nav-icon" aria-hidden="true">"▦"</span>
                <span>{t!(i18n, nav_board)}</span>
            </A>
            // Only for those who may create orders (sales, service, admin).
            <Show when=move || state.may(None, Action::CreateOrder)>
                <A href="/orders/new">
                    <span class="nav-icon" aria-hidden="true">"＋"</span>
                    <span>{t!(i18n, nav_new)}</span>
                </A>
            </Show>
            // The customer page is the worker's, not a route of this app: a plain link that
            // leaves the app (`rel="external"` keeps the router from handling it).
            <a href="/track" rel="external">
                <span class="nav-icon" aria-hidden="true">"⌕"</span>
                <span>{t!(i18n, nav_track)}</span>
            </a>
            <A href="/settings">
                <span class="nav-icon" aria-hidden="true">"⚙"</span>
                <span>{t!(i18n, nav_settings)}</span>
            </A>
        </nav>
    }
}
