//! Order page → 照片与文件: take a photo (rear camera), pick from the album or a PDF, choose the
//! kind (签收单, 合同, 发票, 质检照片, 其他); the list of the order's attachments with their
//! thumbnails, "未上传" while this device still holds the only copy, and 删除.
//!
//! Wiring only: preparing a file is `photo::prepare`, storing and the upload queue are
//! `AppState::add_attachment` and `state/uploads.rs`, the rules are the domain's.

use domain::permission::Action;
use domain::{Attachment, AttachmentKind, FileType, Mutation, Order};
use leptos::prelude::*;
use uuid::Uuid;
use wasm_bindgen::JsCast;

use crate::{
    api, format,
    i18n::*,
    locale::current_lang,
    photo::{self, object_url},
    state::use_app_state,
};

#[component]
pub fn Attachments(order: Order) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let lang = move || current_lang(i18n);
    let kind = RwSignal::new(AttachmentKind::DeliveryNote);
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let order_id = order.id;

    let on_pick = move |event: leptos::ev::Event| {
        let Some(input) = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        // The same photo may be picked again after an error.
        input.set_value("");
        busy.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            let outcome = match photo::prepare(&file).await {
                Ok(prepared) => state
                    .add_attachment(order_id, kind.get_untracked(), prepared)
                    .await
                    .map(|_| ())
                    .map_err(|error| error.message(lang())),
                Err(error) => Err(error.message(lang())),
            };
            busy.set(false);
            if let Err(message) = outcome {
                problem.set(Some(message));
            }
        });
    };

    let live: Vec<Attachment> = order
        .attachments
        .iter()
        .filter(|a| a.is_live())
        .cloned()
        .collect();
    let empty = live.is_empty();
    let may_add = state.may(Some(&order), Action::AddAttachment);
    let items = live
        .into_iter()
        .map(|attachment| view! { <AttachmentItem order=order.clone() attachment /> })
        .collect_view();

    view! {
        <section class="panel attachments" data-testid="attachments">
            <h2>{t!(i18n, attach_title)}</h2>
            {empty.then(|| view! { <p class="hint">{t!(i18n, attach_empty)}</p> })}
            <ul class="attachment-list">{items}</ul>
            {may_add.then(|| view! {
                <label for="attach-kind">{t!(i18n, attach_kind)}</label>
                <select
                    id="attach-kind"
                    data-testid="attach-kind"
                    on:change=move |event| {
                        if let Some(picked) = AttachmentKind::from_key(&event_target_value(&event)) {
                            kind.set(picked);
                        }
                    }
                >
                    {AttachmentKind::ALL.into_iter().map(|option| view! {
                        <option value=option.key() selected=move || kind.get() == option>
                            {move || option.label(lang()).to_string()}
                        </option>
                    }).collect_view()}
                </select>
                <div class="attach-actions">
                    <label class="button primary" data-testid="attach-camera">
                        {t!(i18n, attach_camera)}
                        <input type="file" accept="image/*" capture="environment" class="visually-hidden" on:change=on_pick />
                    </label>
                    <label class="button" data-testid="attach-album">
                        {t!(i18n, attach_album)}
                        <input type="file" accept="image/*" class="visually-hidden" on:change=on_pick />
                    </label>
                    <label class="button" data-testid="attach-pdf">
                        {t!(i18n, attach_pdf)}
                        <input type="file" accept="application/pdf" class="visually-hidden" on:change=on_pick />
                    </label>
                </div>
            })}
            {move || busy.get().then(|| view! { <p class="hint" role="status">{t!(i18n, attach_preparing)}</p> })}
            {move || problem.get().map(|message| view! { <p class="field-error" role="alert" data-testid="attach-problem">{message}</p> })}
            {move || state.uploads.with(|status| status.problem(lang()).map(str::to_string)).map(|message| view! {
                <p class="hint" data-testid="upload-problem">{message}</p>
            })}
        </section>
    }
}

/// The bytes of `attachment`'s thumbnail (or file): this device's copy, else the server's.
async fn load_preview(
    order_id: Uuid,
    attachment: Attachment,
    full: bool,
) -> Option<(Vec<u8>, FileType)> {
    let state = use_app_state();
    let file = if full {
        &attachment.file
    } else {
        attachment.thumbnail.as_ref()?
    };
    if let Some(local) = state.local_file(&file.sha256).await {
        return Some((local.file.bytes, file.file_type));
    }
    let token = state
        .session
        .with_untracked(|session| session.as_ref().map(|s| s.token.clone()))?;
    api::fetch_attachment(&token, order_id, attachment.id, !full)
        .await
        .ok()
        .map(|bytes| (bytes, file.file_type))
}

#[component]
fn AttachmentItem(order: Order, attachment: Attachment) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let lang = move || current_lang(i18n);
    let order_id = order.id;
    let sha256 = attachment.file.sha256.clone();
    let waiting = move || state.waiting_files.with(|w| w.contains(&sha256));
    let uploading = {
        let sha256 = attachment.file.sha256.clone();
        move || {
            state
                .uploads
                .with(|u| u.uploading.as_deref() == Some(sha256.as_str()))
        }
    };
    let thumbnail = LocalResource::new({
        let attachment = attachment.clone();
        move || load_preview(order_id, attachment.clone(), false)
    });
    let thumb_url = StoredValue::new_local(None::<String>);
    on_cleanup(move || {
        if let Some(url) = thumb_url.get_value() {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
    });
    let open = {
        let attachment = attachment.clone();
        move |_| {
            let attachment = attachment.clone();
            leptos::task::spawn_local(async move {
                if let Some((bytes, file_type)) = load_preview(order_id, attachment, true).await {
                    if let (Some(url), Some(window)) =
                        (object_url(&bytes, file_type), web_sys::window())
                    {
                        let _ = window.open_with_url_and_target(&url, "_blank");
                    }
                }
            });
        }
    };
    let own = state
        .actor()
        .is_some_and(|actor| actor.user_id == attachment.by.user_id);
    let may_remove = state.may(Some(&order), Action::RemoveAttachment { own });
    let remove = {
        let id = attachment.id;
        move |_| {
            let confirmed = web_sys::window()
                .and_then(|w| {
                    w.confirm_with_message(t_string!(i18n, attach_remove_confirm))
                        .ok()
                })
                .unwrap_or(false);
            if confirmed {
                leptos::task::spawn_local(async move {
                    let _ = state
                        .commit(Mutation::RemoveAttachment {
                            order_id,
                            attachment_id: id,
                        })
                        .await;
                });
            }
        }
    };
    let is_pdf = attachment.file.file_type == FileType::Pdf;
    let kind = attachment.kind;
    let by = attachment.by.name.clone();
    let at = attachment.at;
    view! {
        <li class="attachment" data-testid="attachment" data-kind=kind.key()>
            <button type="button" class="attachment-thumb" on:click=open aria-label=move || t_string!(i18n, attach_open).to_string()>
                {move || match thumbnail.get() {
                    Some(Some((bytes, file_type))) => {
                        let url = object_url(&bytes, file_type);
                        if let Some(old) = thumb_url.get_value() {
                            let _ = web_sys::Url::revoke_object_url(&old);
                        }
                        thumb_url.set_value(url.clone());
                        view! { <img src=url alt=move || kind.label(lang()).to_string() data-testid="attachment-thumbnail" /> }.into_any()
                    }
                    _ if is_pdf => view! { <span class="attachment-icon">"PDF"</span> }.into_any(),
                    Some(None) => view! { <span class="attachment-icon hint">{t!(i18n, attach_offline)}</span> }.into_any(),
                    None => view! { <span class="attachment-icon"></span> }.into_any(),
                }}
            </button>
            <div class="attachment-text">
                <strong>{move || kind.label(lang()).to_string()}</strong>
                <span class="hint">{format!("{by} · ")}{move || format::date_time(at, lang())}</span>
                {move || waiting().then(|| { let uploading = uploading.clone(); view! {
                    <span class="badge badge-unsynced" data-testid="not-uploaded">
                        {move || if uploading() { t_string!(i18n, attach_uploading) } else { t_string!(i18n, attach_not_uploaded) }}
                    </span>
                }})}
            </div>
            {may_remove.then(|| view! {
                <button type="button" class="secondary small" data-testid="attachment-remove" on:click=remove>
                    {t!(i18n, attach_remove)}
                </button>
            })}
        </li>
    }
}
