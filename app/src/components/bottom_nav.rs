//! Bottom navigation on phones (a side rail on wide screens, by CSS). Four destinations, each a
//! 56 px tall tap target.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::*;

#[component]
pub fn BottomNav() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class="bottom-nav" aria-label="main">
            <A href="/" exact=true>
                <span class="nav-icon" aria-hidden="true">"▦"</span>
                <span>{t!(i18n, nav_board)}</span>
            </A>
            <A href="/orders/new">
                <span class="nav-icon" aria-hidden="true">"＋"</span>
                <span>{t!(i18n, nav_new)}</span>
            </A>
            <A href="/track">
                <span class="nav-icon" aria-hidden="true">"⌕"</span>
                <span>{t!(i18n, nav_track)}</span>
            </A>
            <A href="/settings">
                <span class="nav-icon" aria-hidden="true">"⚙"</span>
                <span>{t!(i18n, nav_settings)}</span>
            </A>
        </nav>
    }
}
