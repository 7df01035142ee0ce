//! `/settings`: language (中文 default, English) and the build's version.

use leptos::prelude::*;

use crate::{i18n::*, locale::current_lang, state::use_app_state};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let choose = move |locale: Locale| move |_| i18n.set_locale(locale);
    let state = use_app_state();
    let name = RwSignal::new(state.profile.get_untracked().name);
    Effect::new(move |_| name.set(state.profile.get().name));
    let message = RwSignal::new(None::<String>);
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let mut profile = state.profile.get_untracked();
        let typed = name.get_untracked().trim().to_string();
        if typed.is_empty() || typed.chars().count() > 50 {
            message.set(Some(t_string!(i18n, settings_name_invalid).to_string()));
            return;
        }
        profile.name = typed;
        leptos::task::spawn_local(async move {
            message.set(Some(match state.save_profile(profile).await {
                Ok(()) => t_string!(i18n, settings_saved).to_string(),
                Err(error) => error.message(current_lang(i18n)),
            }));
        });
    };
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
            <form class="field-group" on:submit=save>
                <legend>{t!(i18n, settings_profile)}</legend>
                <div class="field">
                    <label for="profile-name">{t!(i18n, settings_name)}</label>
                    <input
                        id="profile-name"
                        maxlength="50"
                        prop:value=name
                        on:input=move |event| name.set(event_target_value(&event))
                    />
                </div>
                <button type="submit" class="secondary">{t!(i18n, settings_save)}</button>
                {move || message.get().map(|text| view! { <p class="hint" role="status">{text}</p> })}
            </form>
            <p class="hint">
                {t!(i18n, settings_version)}
                " "
                {env!("CARGO_PKG_VERSION")}
            </p>
        </section>
    }
}
