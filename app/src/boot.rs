//! The static first screen: `index.html` (and `desk.html`) carry a plain-HTML sign-in form and a
//! board skeleton, drawn before the WASM has arrived (ARCHITECTURE.md, "First paint"). A small
//! inline script there picks which one shows, keeps the language and holds a sign-in tapped too
//! early. Here the app takes over: it reads what was typed, and removes the static screen once
//! its own screen is drawn (until then CSS keeps the app hidden behind it, so nothing flashes).

use wasm_bindgen::{JsCast, JsValue};

use crate::bundle;

/// The hint the static screen reads to show a board skeleton instead of the sign-in form.
const SIGNED_IN_KEY: &str = "gendan.signed-in";

/// What someone typed into the static sign-in form before the app started.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypedLogin {
    pub login: String,
    pub password: String,
    /// 登录 was tapped before the app could act on it: the app signs in at once.
    pub submitted: bool,
    /// The app's input to give the focus to (the one the person was typing in).
    pub focused: Option<&'static str>,
}

fn document() -> Option<web_sys::Document> {
    web_sys::window().and_then(|window| window.document())
}

fn input_value(document: &web_sys::Document, id: &str) -> String {
    document
        .get_element_by_id(id)
        .and_then(|input| js_sys::Reflect::get(&input, &JsValue::from_str("value")).ok())
        .and_then(|value| value.as_string())
        .unwrap_or_default()
}

/// What the static sign-in form holds, if it is still there.
pub fn typed_login() -> Option<TypedLogin> {
    let document = document()?;
    let form = document.get_element_by_id("boot-login-form")?;
    let focused = document
        .active_element()
        .map(|element| element.id())
        .and_then(|id| match id.as_str() {
            "boot-login-name" => Some("login-name"),
            "boot-login-password" => Some("login-password"),
            _ => None,
        });
    Some(TypedLogin {
        login: input_value(&document, "boot-login-name"),
        password: input_value(&document, "boot-login-password"),
        submitted: form.get_attribute("data-submitted").is_some(),
        focused,
    })
}

/// Removes the static screen (once; later calls do nothing): the app's own screen is drawn.
pub fn hand_over() {
    if let Some(boot) = document().and_then(|document| document.get_element_by_id("boot")) {
        boot.remove();
    }
    bundle::hop_arrived();
}

/// Gives the focus to one of the app's inputs (after `hand_over`, when it can be focused).
pub fn focus(id: &str) {
    if let Some(input) = document()
        .and_then(|document| document.get_element_by_id(id))
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = input.focus();
    }
}

/// Leaves the static screen the hint whether someone is signed in on this device.
pub fn remember_signed_in(signed_in: bool) {
    let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) else {
        return;
    };
    let _ = match signed_in {
        true => storage.set_item(SIGNED_IN_KEY, "1"),
        false => storage.remove_item(SIGNED_IN_KEY),
    };
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use wasm_bindgen_test::wasm_bindgen_test;

    const PAGES: [(&str, &str); 2] = [
        ("index.html", include_str!("../index.html")),
        ("desk.html", include_str!("../desk.html")),
    ];

    fn locale(json: &str) -> HashMap<String, String> {
        serde_json::from_str(json).expect("a locale file is a flat map of strings")
    }

    /// Every `data-i18n` element of a page: (key, its English text, its Chinese text).
    fn texts(page: &str) -> Vec<(String, String, String)> {
        page.split("data-i18n=\"")
            .skip(1)
            .map(|rest| {
                let key = &rest[..rest.find('"').unwrap()];
                let en_start = rest.find("data-en=\"").expect("data-en beside data-i18n") + 9;
                let en = &rest[en_start..en_start + rest[en_start..].find('"').unwrap()];
                let tag_end = rest.find('>').unwrap() + 1;
                let zh = &rest[tag_end..tag_end + rest[tag_end..].find('<').unwrap()];
                (key.to_string(), en.to_string(), zh.to_string())
            })
            .collect()
    }

    #[wasm_bindgen_test]
    fn the_static_first_screen_says_what_the_app_says_in_both_languages() {
        let zh = locale(include_str!("../locales/zh.json"));
        let en = locale(include_str!("../locales/en.json"));
        for (name, page) in PAGES {
            let found = texts(page);
            assert!(found.len() >= 2, "{name} has translated texts");
            for (key, english, chinese) in found {
                assert_eq!(zh.get(&key), Some(&chinese), "{name}: {key} in Chinese");
                assert_eq!(en.get(&key), Some(&english), "{name}: {key} in English");
            }
        }
        assert!(texts(PAGES[0].1)
            .iter()
            .any(|(key, ..)| key == "login_submit"));
    }
}
