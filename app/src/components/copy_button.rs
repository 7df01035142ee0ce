//! A button that copies a piece of text (an address, a waybill number) and says so. Where the
//! browser refuses the Clipboard API (plain http on a LAN address, an old WebView) the text is
//! copied the old way through a hidden text area; if even that is refused the button says to
//! copy by hand (the text is on screen next to it).

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::i18n::*;

#[wasm_bindgen(inline_js = r#"
export function copyText(text) {
  const byHand = () => {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    let copied = false;
    try { copied = document.execCommand('copy'); } catch (_) { copied = false; }
    area.remove();
    return copied;
  };
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text).then(() => true, byHand);
  }
  return Promise.resolve(byHand());
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = copyText)]
    fn copy_text(text: &str) -> js_sys::Promise;
}

#[component]
pub fn CopyButton(
    /// What is copied.
    text: String,
    /// Says what is copied, for screen readers and tests ("复制地址").
    label: String,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let outcome = RwSignal::new(None::<bool>);
    let copy = move |_| {
        let text = text.clone();
        leptos::task::spawn_local(async move {
            let copied = wasm_bindgen_futures::JsFuture::from(copy_text(&text))
                .await
                .ok()
                .and_then(|value| value.as_bool())
                .unwrap_or(false);
            outcome.set(Some(copied));
        });
    };
    view! {
        <button type="button" class="secondary copy-button" aria-label=label data-testid=testid on:click=copy>
            {move || match outcome.get() {
                None => t_string!(i18n, copy_action),
                Some(true) => t_string!(i18n, copy_done),
                Some(false) => t_string!(i18n, copy_by_hand),
            }}
        </button>
    }
}
