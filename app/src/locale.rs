//! Bridges the UI locale (leptos_i18n) to the domain's `Lang`, so labels that live in the domain
//! (stage names, roles, customer messages) follow the same language switch as the UI strings.

use domain::Lang;

use leptos_i18n::I18nContext;

use crate::i18n::Locale;

pub fn domain_lang(locale: Locale) -> Lang {
    match locale {
        Locale::zh => Lang::Zh,
        Locale::en => Lang::En,
    }
}

/// The UI locale of a domain language: messages built outside a component (errors, reminders)
/// are looked up in the same locale files as the screens' texts.
pub fn locale_of(lang: Lang) -> Locale {
    match lang {
        Lang::Zh => Locale::zh,
        Lang::En => Locale::en,
    }
}

/// The current language as a plain function to call inside reactive closures.
pub fn current_lang(i18n: I18nContext<Locale>) -> Lang {
    domain_lang(i18n.get_locale())
}

/// The i18n context, in the language this device chose (`saved_locale`), kept for the next start
/// when it changes. Every mounted tree of the app's screens starts with it.
#[leptos::component]
pub fn LanguageProvider(children: leptos::children::Children) -> impl leptos::IntoView {
    use crate::i18n::{use_i18n, I18nContextProvider};
    use leptos::prelude::*;

    // A child of the provider that runs before the screens are built (it comes first).
    #[component]
    fn RestoreLanguage() -> impl IntoView {
        let i18n = use_i18n();
        let saved = saved_locale();
        // For the first drawing of the screens …
        i18n.set_locale(saved);
        // … and again after leptos_i18n's own first effect, which moves to the browser's language
        // (without its cookie feature it knows no saved choice). Created after it, this effect
        // runs after it, in the same turn, before anything is painted.
        Effect::new(move |restored: Option<()>| {
            if restored.is_none() {
                i18n.set_locale(saved);
            }
        });
        // Only a change is a choice to keep: the first run is the language just restored.
        Effect::new(move |previous: Option<Locale>| {
            let locale = i18n.get_locale();
            if previous.is_some_and(|previous| previous != locale) {
                save_locale(locale);
            }
            locale
        });
    }

    view! {
        // `shell::DocumentLanguage` sets `<html lang>` to a full tag (zh-CN picks Simplified glyphs).
        <I18nContextProvider set_lang_attr_on_html=false>
            <RestoreLanguage />
            {children()}
        </I18nContextProvider>
    }
}

/// The cookie the chosen language is kept in (read by the static first screen in index.html too;
/// the name is leptos_i18n's, which kept it before we did).
const LOCALE_COOKIE: &str = "i18n_pref_locale";

/// The language this device chose, or 中文 — the product's default whatever the browser's own
/// language (leptos_i18n alone would follow `navigator.languages` and greet an English-set
/// phone in English). We keep the choice ourselves: leptos_i18n's cookie support pulls in a
/// cookie and a date-parsing crate for what is one `document.cookie` read.
pub fn saved_locale() -> Locale {
    let cookies = html_document()
        .map(|document| document.cookie().unwrap_or_default())
        .unwrap_or_default();
    locale_in_cookies(&cookies)
}

/// Keeps the language for the next start.
pub fn save_locale(locale: Locale) {
    let value = match locale {
        Locale::zh => "zh",
        Locale::en => "en",
    };
    if let Some(document) = html_document() {
        let _ = document.set_cookie(&format!(
            "{LOCALE_COOKIE}={value}; path=/; max-age=31536000; SameSite=Lax"
        ));
    }
}

fn locale_in_cookies(cookies: &str) -> Locale {
    let chosen = cookies
        .split(';')
        .filter_map(|cookie| cookie.trim_start().strip_prefix(LOCALE_COOKIE))
        .find_map(|rest| rest.strip_prefix('='));
    match chosen {
        Some("en") => Locale::en,
        _ => Locale::zh,
    }
}

fn html_document() -> Option<web_sys::HtmlDocument> {
    use wasm_bindgen::JsCast;
    let document = web_sys::window()?.document()?;
    document.dyn_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn chinese_unless_english_was_chosen() {
        assert_eq!(locale_in_cookies(""), Locale::zh);
        assert_eq!(locale_in_cookies("a=b; i18n_pref_locale=en"), Locale::en);
        assert_eq!(locale_in_cookies("i18n_pref_locale=zh; x=en"), Locale::zh);
        assert_eq!(locale_in_cookies("i18n_pref_locale_old=en"), Locale::zh);
        assert_eq!(locale_in_cookies("i18n_pref_locale=fr"), Locale::zh);
    }
}
