//! `/login`: team sign-in. Arrives with the accounts issue.

use leptos::prelude::*;

use crate::i18n::*;

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="page">
            <h1>{t!(i18n, login_title)}</h1>
            <p class="hint">{t!(i18n, login_intro)}</p>
        </section>
    }
}
