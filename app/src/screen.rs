//! `use_wide_screen()`: whether the window is as wide as the desktop layout, where every board
//! column is on screen (`style/main.css`, `@media (min-width: 900px)`); kept current by the
//! media query's `change` event. On a phone only the selected column is on screen, and the
//! board builds only that column's cards.
//!
//! Reached through `js_sys::Reflect` rather than web-sys's `MediaQueryList` binding: enabling
//! one more web-sys feature rebuilds web-sys and everything above it.

use js_sys::{Function, Reflect};
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::{prelude::Closure, JsCast, JsValue};

/// Must match the desktop breakpoint in `style/main.css`.
const WIDE_SCREEN: &str = "(min-width: 900px)";

pub fn use_wide_screen() -> ReadSignal<bool> {
    let (wide, set_wide) = signal(false);
    let Some(query) = media_query(WIDE_SCREEN) else {
        return wide;
    };
    set_wide.set(matches(&query));
    let watched = query.clone();
    let on_change = Closure::<dyn Fn()>::new(move || set_wide.set(matches(&watched)));
    let _ = Reflect::set(&query, &"onchange".into(), on_change.as_ref());
    let attached = SendWrapper::new((query, on_change));
    on_cleanup(move || {
        let (query, _on_change) = attached.take();
        let _ = Reflect::set(&query, &"onchange".into(), &JsValue::NULL);
    });
    wide
}

/// `window.matchMedia(query)`, or `None` where there is no such API.
fn media_query(query: &str) -> Option<JsValue> {
    let window = web_sys::window()?;
    let match_media: Function = Reflect::get(&window, &"matchMedia".into())
        .ok()?
        .dyn_into()
        .ok()?;
    match_media
        .call1(&window, &JsValue::from_str(query))
        .ok()
        .filter(|list| !list.is_null() && !list.is_undefined())
}

fn matches(list: &JsValue) -> bool {
    Reflect::get(list, &"matches".into())
        .ok()
        .and_then(|value| value.as_bool())
        .unwrap_or(false)
}
