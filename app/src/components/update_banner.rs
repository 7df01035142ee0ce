//! "新版本可用 — 刷新": shown when a new version of the app is installed and waiting. Nothing
//! switches until the person taps, so no form is ever reloaded from under them; unsynced
//! changes are in IndexedDB and survive the reload.

use leptos::prelude::*;

use crate::{i18n::*, pwa::use_pwa};

#[component]
pub fn UpdateBanner() -> impl IntoView {
    let i18n = use_i18n();
    let pwa = use_pwa();
    view! {
        <Show when=move || pwa.update_ready.get()>
            <div class="update-banner" role="status" data-testid="update-ready">
                <span>{t!(i18n, update_ready)}</span>
                <button type="button" class="primary" on:click=move |_| pwa.apply_update()>
                    {t!(i18n, update_reload)}
                </button>
            </div>
        </Show>
    }
}
