//! The account was disabled by an admin: this phone must not keep the company's orders. On the
//! next contact with the server the app says so and wipes the device — at once when nothing is
//! waiting to be sent, else after offering the unsent changes as a file (issue 19 item 11).

use leptos::prelude::*;

use crate::{
    i18n::*,
    locale::current_lang,
    routes::login::reload,
    state::{unsent, use_app_state},
};

#[component]
pub fn AccountDisabled() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    // `None` until the account is known to be disabled, so a value read before it was (an empty
    // list) can never be taken for "nothing unsent" and wipe unsent work.
    let pending = LocalResource::new(move || {
        let disabled = state.account_disabled.get();
        async move {
            if disabled {
                state.pending_changes().await.ok()
            } else {
                None
            }
        }
    });
    let wipe = move || {
        leptos::task::spawn_local(async move {
            if state.sign_out_and_wipe().await.is_ok() {
                reload();
            }
        });
    };
    // Nothing unsent: nothing to offer, wipe now.
    Effect::new(move |_| {
        if state.account_disabled.get() && pending.get().flatten().is_some_and(|p| p.is_empty()) {
            wipe();
        }
    });
    move || {
        if !state.account_disabled.get() {
            return None;
        }
        let pending = pending.get().flatten()?;
        let lang = current_lang(i18n);
        let count = pending.len();
        let href = state.with_pipeline(|pipeline| unsent::export_href(&pending, pipeline, lang));
        let file = format!("gendan-unsent-{}.json", crate::format::today());
        Some(view! {
            <section class="notice notice-warn account-disabled" data-testid="account-disabled" role="alert">
                <h2>{t!(i18n, disabled_title)}</h2>
                <p>{t!(i18n, disabled_hint, count = count)}</p>
                <a class="button secondary" href=href download=file data-testid="disabled-export">
                    {t!(i18n, unsent_export)}
                </a>
                <button type="button" class="danger" data-testid="disabled-wipe" on:click=move |_| wipe()>
                    {t!(i18n, disabled_wipe)}
                </button>
            </section>
        })
    }
}
