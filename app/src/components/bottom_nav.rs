//! Bottom navigation on phones (a side rail on wide screens, by CSS). Up to five destinations,
//! each a 56 px tall tap target. 今天 comes first (it is where a sales person starts the day)
//! and carries the badge: what needs action today (`domain::Today::badge`). The same number
//! goes on the installed app's icon. Every destination is a screen of the app and opens
//! offline: the customer page (`/track`) is not one — it is linked from 设置, opening outside.

use leptos::prelude::*;
use leptos_router::components::A;

use domain::Action;

use crate::{i18n::*, reminders, state::use_app_state};

#[component]
pub fn BottomNav() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    // A memo, so the badge and the icon change only when the number does, not on every card.
    let badge = Memo::new(move |_| state.with_today(|list| list.badge()).unwrap_or(0));
    Effect::new(move |_| reminders::set_app_badge(badge.get()));
    let today_label = move || match badge.get() {
        0 => t_string!(i18n, nav_today).to_string(),
        count => t_string!(i18n, nav_today_label, count).to_string(),
    };
    view! {
        <nav class="bottom-nav" aria-label="main">
            <A href="/today" attr:aria-label=today_label attr:data-testid="nav-today">
                <span class="nav-icon" aria-hidden="true">
                    "☀"
                    <Show when=move || { badge.get() > 0 }>
                        <span class="nav-badge" data-testid="today-badge">
                            {move || match badge.get() {
                                count if count > 99 => "99+".to_string(),
                                count => count.to_string(),
                            }}
                        </span>
                    </Show>
                </span>
                <span aria-hidden="true">{t!(i18n, nav_today)}</span>
            </A>
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
            <A href="/settings">
                <span class="nav-icon" aria-hidden="true">"⚙"</span>
                <span>{t!(i18n, nav_settings)}</span>
            </A>
        </nav>
    }
}
