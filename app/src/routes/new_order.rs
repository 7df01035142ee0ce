//! `/orders/new`: creating an order. The form arrives with the offline board.

use leptos::prelude::*;

use crate::i18n::*;

#[component]
pub fn NewOrderPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="page">
            <h1>{t!(i18n, new_order_title)}</h1>
            <p class="hint">{t!(i18n, coming_next)}</p>
        </section>
    }
}
