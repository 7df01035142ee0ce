use leptos::prelude::*;
use leptos_router::components::A;

use crate::{boot, i18n::*};

#[component]
pub fn NotFoundPage() -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| boot::hand_over());
    view! {
        <section class="page">
            <h1>{t!(i18n, not_found_title)}</h1>
            <p>
                <A href="/">{t!(i18n, not_found_back)}</A>
            </p>
        </section>
    }
}
