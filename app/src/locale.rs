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
