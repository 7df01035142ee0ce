//! `/orders/:id`: one order's timeline, checklist and history. Arrives with the offline board.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::i18n::*;

#[component]
pub fn OrderDetailPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let order_id = move || params.read().get("id").unwrap_or_default();
    view! {
        <section class="page">
            <h1>{t!(i18n, order_title)}</h1>
            <p>
                <span class="label">{t!(i18n, order_id_label)}</span>
                " "
                <code>{order_id}</code>
            </p>
            <p class="hint">{t!(i18n, coming_next)}</p>
        </section>
    }
}
