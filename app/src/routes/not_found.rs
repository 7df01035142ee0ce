use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    boot,
    bundle::{elsewhere, hop_allowed, Bundle},
    i18n::*,
};

#[component]
pub fn NotFoundPage() -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| boot::hand_over());
    view! {
        <section class="page">
            <h1>{t!(i18n, not_found_title)}</h1>
            <p>
                <A href="/" attr:class="button">{t!(i18n, not_found_back)}</A>
            </p>
        </section>
    }
}

/// The router's fallback in both bundles: a path of the other bundle (or a moved one) is
/// loaded as a page of its own; anything else is not found. A page load that lands here for
/// the same address twice in a row (a server answering the wrong page) stops at "not found"
/// instead of reloading forever.
#[component]
pub fn Elsewhere(this: Bundle) -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let path = location.pathname.get_untracked();
    let search = location.search.get_untracked();
    let target = elsewhere(this, &path).map(|target| match search.is_empty() {
        true => target,
        false => format!("{target}?{search}"),
    });
    match target.filter(|target| hop_allowed(target)) {
        Some(target) => {
            if let Some(window) = web_sys::window() {
                // Replace: the router already put this address in the history.
                let _ = window.location().replace(&target);
            }
            ().into_any()
        }
        None => view! { <NotFoundPage /> }.into_any(),
    }
}
