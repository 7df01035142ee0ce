//! Order page → "分享给客户": asks the server for a signed customer link
//! (`api::share_order`) and offers it as text with a copy button, the phone's share sheet
//! (Web Share API, only where the browser has one), a QR code and the link's expiry date.
//!
//! "撤销链接" voids every link of the order given out so far (after a confirmation) and shows the
//! new link the server answers with.
//!
//! The link is signed by the server with a secret the app never holds, so this is the one
//! action on the order page that needs the network; it says so instead of failing silently.
//! The QR code arrives as an SVG document and is only ever shown through `<img src="data:…">`:
//! an image cannot run scripts or touch the page, whatever the server sent.

use domain::{business_date, Lang};
use leptos::prelude::*;
use uuid::Uuid;
use wasm_bindgen::prelude::*;

use crate::{
    api::{self, ApiError, ShareLink},
    format,
    i18n::*,
    locale::{current_lang, locale_of},
    network::use_online,
    state::use_app_state,
};

#[wasm_bindgen(inline_js = r#"
export function canShare() {
  return typeof navigator.share === 'function';
}

// The Clipboard API first; where it is missing or refused (plain http on a LAN address, an
// old WebView) the text is selected in its field and copied the old way, and if even that is
// refused it stays selected for the person to copy by hand. Resolves to 'copied' or 'selected'.
export function copyFromField(field, text) {
  const byHand = () => {
    field.focus();
    field.select();
    field.setSelectionRange(0, text.length);
    try {
      return document.execCommand('copy') ? 'copied' : 'selected';
    } catch (_) {
      return 'selected';
    }
  };
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text).then(() => 'copied', byHand);
  }
  return Promise.resolve(byHand());
}

// Resolves to true when shared, false when the person closed the sheet or it failed.
export function shareUrl(title, text, url) {
  return navigator.share({ title, text, url }).then(() => true, () => false);
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = canShare)]
    fn can_share() -> bool;
    #[wasm_bindgen(js_name = copyFromField)]
    fn copy_from_field(field: &web_sys::HtmlInputElement, text: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = shareUrl)]
    fn share_url(title: &str, text: &str, url: &str) -> js_sys::Promise;
}

/// What the panel holds: kept by the order page, not the panel, because the order's view is
/// rebuilt whenever the order changes (a sync landing) and a link just made must survive that.
#[derive(Clone, Copy)]
pub struct ShareState {
    /// The last link made on this page, with the order it is for.
    link: RwSignal<Option<(Uuid, ShareLink)>>,
    busy: RwSignal<bool>,
    /// Why the last tap made no link, with the order it was for.
    problem: RwSignal<Option<(Uuid, Problem)>>,
    copied: RwSignal<Option<CopyOutcome>>,
    /// The revoke action is asking "are you sure?".
    confirming_revoke: RwSignal<bool>,
    /// The order whose earlier links were just revoked (the link shown is the new one).
    revoked: RwSignal<Option<Uuid>>,
}

impl ShareState {
    pub fn new() -> Self {
        ShareState {
            link: RwSignal::new(None),
            busy: RwSignal::new(false),
            problem: RwSignal::new(None),
            copied: RwSignal::new(None),
            confirming_revoke: RwSignal::new(false),
            revoked: RwSignal::new(None),
        }
    }
}

/// Which server call makes the link.
#[derive(Clone, Copy)]
enum LinkCall {
    Share,
    Revoke,
}

impl Default for ShareState {
    fn default() -> Self {
        Self::new()
    }
}

/// Why the last tap made no link (offline is not one: the button is disabled and says why).
#[derive(Debug, Clone, PartialEq)]
enum Problem {
    SignedOut,
    SessionExpired,
    Server(ApiError),
}

impl Problem {
    fn message(&self, lang: Lang) -> String {
        match self {
            Problem::SignedOut => td_string!(locale_of(lang), share_signed_out),
            Problem::SessionExpired => td_string!(locale_of(lang), share_session_expired),
            Problem::Server(error) => return error.message(lang),
        }
        .to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum CopyOutcome {
    Copied,
    /// The browser refused to copy: the link is selected for the person to copy by hand.
    Selected,
}

/// The QR code as an image address: the SVG document, base64-encoded into a `data:` URL.
pub fn qr_image_src(svg: &str) -> String {
    format!("data:image/svg+xml;base64,{}", base64(svg.as_bytes()))
}

/// Standard base64 with padding. Ten lines here instead of a crate in the wasm.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (index, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if index <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[component]
pub fn SharePanel(order_id: Uuid, number: String) -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app_state();
    let lang = move || current_lang(i18n);
    let online = use_online();
    let share = use_context::<ShareState>().unwrap_or_default();
    let link = move || {
        share
            .link
            .get()
            .filter(|(id, _)| *id == order_id)
            .map(|(_, link)| link)
    };
    let request_link = move |call: LinkCall| {
        share.copied.set(None);
        share.confirming_revoke.set(false);
        if !online.get_untracked() {
            return;
        }
        let Some(session) = app.session.get_untracked() else {
            share.problem.set(Some((order_id, Problem::SignedOut)));
            return;
        };
        share.busy.set(true);
        share.problem.set(None);
        leptos::task::spawn_local(async move {
            let answer = match call {
                LinkCall::Share => api::share_order(&session.token, order_id).await,
                LinkCall::Revoke => api::revoke_share_links(&session.token, order_id).await,
            };
            match answer {
                Ok(made) => {
                    share.link.set(Some((order_id, made)));
                    share.revoked.set(match call {
                        LinkCall::Revoke => Some(order_id),
                        LinkCall::Share => None,
                    });
                }
                Err(error) if error.is_unauthorized() => {
                    // The top bar's "sign in again" chip appears too, as after a refused sync.
                    app.session_refused(&session.token);
                    share.problem.set(Some((order_id, Problem::SessionExpired)));
                }
                Err(error) => share.problem.set(Some((order_id, Problem::Server(error)))),
            }
            share.busy.set(false);
        });
    };
    let make_link = move |_| request_link(LinkCall::Share);
    let revoke_links = move |_| request_link(LinkCall::Revoke);
    let field = NodeRef::<leptos::html::Input>::new();
    let copy = move |_| {
        let (Some(link), Some(input)) = (link(), field.get_untracked()) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let outcome = wasm_bindgen_futures::JsFuture::from(copy_from_field(&input, &link.url))
                .await
                .ok()
                .and_then(|value| value.as_string());
            share.copied.set(Some(match outcome.as_deref() {
                Some("copied") => CopyOutcome::Copied,
                _ => CopyOutcome::Selected,
            }));
        });
    };
    // Checked once: a browser does not gain or lose the share sheet while the page is open.
    let shareable = can_share();
    let number = StoredValue::new(number);
    let share_sheet = move |_| {
        let Some(link) = link() else { return };
        let title = t_string!(i18n, share_sheet_title, number = number.get_value()).to_string();
        leptos::task::spawn_local(async move {
            // Closing the sheet is not an error worth a message: nothing to report either way.
            let _ =
                wasm_bindgen_futures::JsFuture::from(share_url(&title, &title, &link.url)).await;
        });
    };
    let button_label = move || {
        if share.busy.get() {
            t_string!(i18n, share_making).to_string()
        } else if link().is_some() {
            t_string!(i18n, share_make_again).to_string()
        } else {
            t_string!(i18n, share_make).to_string()
        }
    };
    view! {
        <section class="panel share-panel" data-testid="share-panel">
            <h2>{t!(i18n, share_title)}</h2>
            <p class="hint">{t!(i18n, share_intro)}</p>
            {move || link().map(|link| {
                let expires = business_date(link.expires_at);
                let src = qr_image_src(&link.qr_svg);
                view! {
                    <div class="field">
                        <label for="share-url">{t!(i18n, share_link_label)}</label>
                        <input id="share-url" type="text" readonly node_ref=field prop:value=link.url.clone() data-testid="share-url" />
                    </div>
                    <div class="button-row">
                        <button type="button" class="secondary" data-testid="share-copy" on:click=copy>{t!(i18n, share_copy)}</button>
                        {shareable.then(|| view! {
                            <button type="button" class="secondary" data-testid="share-sheet" on:click=share_sheet>{t!(i18n, share_send)}</button>
                        })}
                    </div>
                    {move || share.copied.get().map(|outcome| {
                        let text = match outcome {
                            CopyOutcome::Copied => t_string!(i18n, share_copied).to_string(),
                            CopyOutcome::Selected => t_string!(i18n, share_selected).to_string(),
                        };
                        view! { <p class="hint" role="status" data-testid="share-copied">{text}</p> }
                    })}
                    <img class="share-qr" src=src width="200" height="200" alt=move || t_string!(i18n, share_qr_alt).to_string() data-testid="share-qr" />
                    <p class="hint" data-testid="share-expiry">
                        {move || t_string!(i18n, share_expires, date = format::date(expires, lang())).to_string()}
                    </p>
                }
            })}
            <button
                type="button"
                // Once a link is there, copying it is the main thing to do: making another steps back.
                class=move || if link().is_some() { "secondary wide" } else { "primary wide" }
                data-testid="share-make"
                disabled=move || share.busy.get() || !online.get()
                aria-describedby="share-offline"
                on:click=make_link
            >
                {button_label}
            </button>
            <Show when=move || !online.get()>
                <p class="hint" id="share-offline" data-testid="share-offline">{t!(i18n, share_offline)}</p>
            </Show>
            {move || (share.revoked.get() == Some(order_id)).then(|| view! {
                <p class="hint" role="status" data-testid="share-revoked">{t!(i18n, share_revoked)}</p>
            })}
            {move || if share.confirming_revoke.get() {
                view! {
                    <div class="confirm" data-testid="share-revoke-confirm">
                        <p>{t!(i18n, share_revoke_confirm)}</p>
                        <div class="button-row">
                            <button type="button" class="danger" data-testid="share-revoke-yes" disabled=move || share.busy.get() on:click=revoke_links>{t!(i18n, share_revoke_yes)}</button>
                            <button type="button" class="secondary" data-testid="share-revoke-no" on:click=move |_| share.confirming_revoke.set(false)>{t!(i18n, share_revoke_no)}</button>
                        </div>
                    </div>
                }.into_any()
            } else {
                view! {
                    <button
                        type="button"
                        class="secondary wide"
                        data-testid="share-revoke"
                        disabled=move || share.busy.get() || !online.get()
                        on:click=move |_| share.confirming_revoke.set(true)
                    >
                        {t!(i18n, share_revoke)}
                    </button>
                }.into_any()
            }}
            {move || share.problem.get().filter(|(id, _)| *id == order_id).map(|(_, problem)| {
                view! { <p class="field-error" role="alert" data-testid="share-error">{problem.message(lang())}</p> }
            })}
        </section>
    }
}
