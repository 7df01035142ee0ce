//! 设置 → 未同步的修改: what this phone still has to send, and a file to keep them in when
//! syncing cannot go on (a seq gap, a disabled account) — never only "wipe the device".

use leptos::prelude::*;

use crate::{
    i18n::*,
    locale::current_lang,
    state::{unsent, use_app_state},
};

#[component]
pub fn UnsentChanges() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    // Re-read whenever the set of orders with unsynced changes moves.
    let pending = LocalResource::new(move || {
        state.unsynced.track();
        async move { state.pending_changes().await.unwrap_or_default() }
    });
    move || {
        let pending = pending.get()?;
        let lang = current_lang(i18n);
        let count = pending.len();
        let href = state.with_pipeline(|pipeline| unsent::export_href(&pending, pipeline, lang));
        let file = format!("gendan-unsent-{}.json", crate::format::today());
        Some(view! {
            <fieldset class="field-group" data-testid="unsent-changes">
                <legend>{t!(i18n, unsent_title)}</legend>
                {if count == 0 {
                    view! { <p class="hint">{t!(i18n, unsent_none)}</p> }.into_any()
                } else {
                    view! {
                        <p class="hint">{t!(i18n, unsent_hint, count = count)}</p>
                        <ul class="unsent-list">
                            {pending.iter().take(20).map(|p| view! {
                                <li>{state.describe_mutation(&p.mutation, lang)}</li>
                            }).collect_view()}
                        </ul>
                        <a class="button secondary" href=href download=file data-testid="unsent-export">
                            {t!(i18n, unsent_export)}
                        </a>
                    }.into_any()
                }}
            </fieldset>
        })
    }
}
