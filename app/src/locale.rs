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

/// The current language as a plain function to call inside reactive closures.
pub fn current_lang(i18n: I18nContext<Locale>) -> Lang {
    domain_lang(i18n.get_locale())
}

/// The cookie leptos_i18n keeps the chosen language in.
const LOCALE_COOKIE: &str = "i18n_pref_locale";

/// 中文 is the product's default whatever the browser's own language: without a saved choice,
/// leptos_i18n would follow `navigator.languages` and greet an English-set phone in English.
pub fn default_to_chinese() {
    use wasm_bindgen::JsCast;
    let Some(document) = web_sys::window().and_then(|window| window.document()) else {
        return;
    };
    let document: web_sys::HtmlDocument = document.unchecked_into();
    let cookies = document.cookie().unwrap_or_default();
    let has_choice = cookies.split(';').any(|cookie| {
        cookie
            .trim_start()
            .starts_with(&format!("{LOCALE_COOKIE}="))
    });
    if !has_choice {
        let _ = document.set_cookie(&format!(
            "{LOCALE_COOKIE}=zh; path=/; max-age=31536000; SameSite=Lax"
        ));
    }
}
