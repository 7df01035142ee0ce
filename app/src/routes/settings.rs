//! `/settings`: language (中文 default, English) and the build's version.

use leptos::prelude::*;

use crate::i18n::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let choose = move |locale: Locale| move |_| i18n.set_locale(locale);
    view! {
        <section class="page">
            <h1>{t!(i18n, settings_title)}</h1>
            <fieldset class="field-group">
                <legend>{t!(i18n, settings_language)}</legend>
                <div class="segmented">
                    <button
                        type="button"
                        aria-pressed=move || (i18n.get_locale() == Locale::zh).to_string()
                        on:click=choose(Locale::zh)
                    >
                        "中文"
                    </button>
                    <button
                        type="button"
                        aria-pressed=move || (i18n.get_locale() == Locale::en).to_string()
                        on:click=choose(Locale::en)
                    >
                        "English"
                    </button>
                </div>
            </fieldset>
            <p class="hint">
                {t!(i18n, settings_version)}
                " "
                {env!("CARGO_PKG_VERSION")}
            </p>
        </section>
    }
}
