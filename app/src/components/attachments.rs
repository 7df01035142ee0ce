//! Order page → 照片与文件: take a photo (rear camera), pick from the album or a PDF, choose the
//! kind (签收单, 合同, 发票, 质检照片, 其他); the list of the order's attachments with their
//! thumbnails, "未上传" while this device still holds the only copy, and 删除.
//!
//! Wiring only: preparing a file is `photo::prepare`, storing and the upload queue are
//! `AppState::add_attachment` and `state/uploads.rs`, the rules are the domain's.

use domain::attachment::UploadState;
use domain::permission::Action;
use domain::{Attachment, AttachmentKind, FileType, Mutation, Order};
use leptos::prelude::*;
use uuid::Uuid;
use wasm_bindgen::JsCast;

use crate::{
    api, format,
    i18n::*,
    locale::current_lang,
    network::use_online,
    photo::{self, object_url},
    state::{use_app_state, AppState, ChangeError},
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
        let Some(file) = picked_file(&event) else {
            return;
        };
        busy.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            let outcome = add_picked(state, order_id, kind.get_untracked(), file, lang()).await;
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
    let removed: Vec<Attachment> = order
        .attachments
        .iter()
        .filter(|a| !a.is_live() && !a.purged)
        .cloned()
        .collect();
    let purgeable = (!removed.is_empty() && state.may(Some(&order), Action::PurgeAttachment))
        .then(|| view! { <RemovedAttachments order_id removed /> });
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
            {purgeable}
            {move || busy.get().then(|| view! { <p class="hint" role="status">{t!(i18n, attach_preparing)}</p> })}
            {move || problem.get().map(|message| view! { <p class="field-error" role="alert" data-testid="attach-problem">{message}</p> })}
            {move || state.uploads.with(|status| status.problem(lang()).map(str::to_string)).map(|message| view! {
                <p class="hint" data-testid="upload-problem">{message}</p>
            })}
        </section>
    }
}

/// The file a file input's change picked; the input is cleared so that the same photo may be
/// picked again after an error.
fn picked_file(event: &leptos::ev::Event) -> Option<web_sys::File> {
    let input = event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())?;
    let file = input.files().and_then(|files| files.get(0))?;
    input.set_value("");
    Some(file)
}

/// Prepares a picked file (photos downscaled) and adds it to the order as `kind`; the refusal
/// (device full, file not accepted) as a sentence.
/// (`state` is passed in: a task spawned from an event handler has no owner to find it in.)
async fn add_picked(
    state: AppState,
    order_id: Uuid,
    kind: AttachmentKind,
    file: web_sys::File,
    lang: domain::Lang,
) -> Result<Order, String> {
    let prepared = photo::prepare(&file)
        .await
        .map_err(|error| error.message(lang))?;
    state
        .add_attachment(order_id, kind, prepared)
        .await
        .map_err(|error| error.message(lang))
}

/// On a checklist item that needs a photo as evidence (收回签收单 needs a 签收单): 拍照 and
/// 从相册选择 right there. The photo is added as the item's kind and the item ticked with it, since
/// the photo is what the tick claims; a refusal of either is said under the item.
#[component]
pub fn EvidencePicker(
    order_id: Uuid,
    stage: domain::StageId,
    item: String,
    kind: AttachmentKind,
    /// Whether this person may tick the item too (else the photo alone is added).
    tick: bool,
    /// The stage's refusal line, cleared once the photo is stored (and the item ticked): it
    /// named the missing photo. A page-level signal, because this picker is gone by then (the
    /// order re-renders without it once it holds the photo).
    stage_error: RwSignal<Option<ChangeError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let lang = move || current_lang(i18n);
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    // Kept aside so the handler is `Copy`: both pickers share it.
    let target = StoredValue::new((stage, item));
    let on_pick = move |event: leptos::ev::Event| {
        let Some(file) = picked_file(&event) else {
            return;
        };
        busy.set(true);
        problem.set(None);
        let (stage, item) = target.get_value();
        leptos::task::spawn_local(async move {
            let mut outcome = add_picked(state, order_id, kind, file, lang())
                .await
                .map(|_| ());
            if outcome.is_ok() && tick {
                outcome = state
                    .commit(Mutation::SetChecklistItem {
                        order_id,
                        stage,
                        item,
                        done: true,
                    })
                    .await
                    .map(|_| ())
                    .map_err(|error| error.message(lang()));
            }
            busy.set(false);
            match outcome {
                Ok(()) => stage_error.set(None),
                Err(message) => problem.set(Some(message)),
            }
        });
    };
    view! {
        <div class="evidence-picker" data-testid="evidence-picker">
            <div class="attach-actions">
                <label class="button primary" data-testid="evidence-camera">
                    {t!(i18n, attach_camera)}
                    <input type="file" accept="image/*" capture="environment" class="visually-hidden" on:change=on_pick />
                </label>
                <label class="button" data-testid="evidence-album">
                    {t!(i18n, attach_album)}
                    <input type="file" accept="image/*" class="visually-hidden" on:change=on_pick />
                </label>
            </div>
            {move || busy.get().then(|| view! { <p class="hint" role="status">{t!(i18n, attach_preparing)}</p> })}
            {move || problem.get().map(|message| view! { <p class="field-error" role="alert" data-testid="evidence-problem">{message}</p> })}
        </div>
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
    let holds = StoredValue::new(
        std::iter::once(attachment.file.sha256.clone())
            .chain(attachment.thumbnail.as_ref().map(|t| t.sha256.clone()))
            .collect::<Vec<_>>(),
    );
    // A clock for the retry countdown, ticking while the item is shown.
    let now = RwSignal::new(js_sys::Date::now());
    if let Ok(ticking) = set_interval_with_handle(
        move || now.set(js_sys::Date::now()),
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || ticking.clear());
    }
    // Where this attachment's upload stands, if this device still has to send any of its files
    // (photo and thumbnail): the busiest of them, so a thumbnail being retried is not hidden
    // behind a photo still waiting its turn.
    let upload = move || {
        let waiting: Vec<String> = state.waiting_files.with(|waiting| {
            holds.with_value(|holds| {
                holds
                    .iter()
                    .filter(|sha| waiting.contains(*sha))
                    .cloned()
                    .collect()
            })
        });
        let at = now.get();
        state.uploads.with(|uploads| {
            waiting
                .iter()
                .map(|sha| uploads.state(sha, at))
                .max_by_key(|state| match state {
                    UploadState::Waiting => 0,
                    UploadState::Retrying { .. } => 1,
                    UploadState::Sending { .. } => 2,
                })
        })
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
                {move || upload().map(|upload| {
                    let progress = match upload {
                        UploadState::Sending { sent, total } => Some(UploadState::percent(sent, total)),
                        _ => None,
                    };
                    let tone = if matches!(upload, UploadState::Retrying { .. }) { "badge badge-warn" } else { "badge badge-unsynced" };
                    view! {
                        <span class=tone data-testid="not-uploaded">{upload.label(lang())}</span>
                        {progress.map(|percent| view! {
                            <progress class="upload-progress" max="100" value=percent data-testid="upload-progress"></progress>
                        })}
                    }
                })}
            </div>
            {may_remove.then(|| view! {
                <button type="button" class="secondary small" data-testid="attachment-remove" on:click=remove>
                    {t!(i18n, attach_remove)}
                </button>
            })}
        </li>
    }
}

/// Admins only: the order's removed attachments, which are hidden but still on the server, each
/// with 彻底清除 (deletes the bytes for good through the server; the history entry arrives with
/// the next pull). Needs the network: the bytes are the server's to delete.
#[component]
fn RemovedAttachments(order_id: Uuid, removed: Vec<Attachment>) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let online = use_online();
    let lang = move || current_lang(i18n);
    let busy = RwSignal::new(None::<Uuid>);
    let done = RwSignal::new(Vec::<Uuid>::new());
    let problem = RwSignal::new(None::<String>);
    let purge = move |attachment_id: Uuid| {
        let confirmed = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message(t_string!(i18n, attach_purge_confirm))
                    .ok()
            })
            .unwrap_or(false);
        let Some(token) = state
            .session
            .with_untracked(|session| session.as_ref().map(|s| s.token.clone()))
        else {
            return;
        };
        if !confirmed {
            return;
        }
        busy.set(Some(attachment_id));
        problem.set(None);
        leptos::task::spawn_local(async move {
            match api::purge_attachment(&token, order_id, attachment_id).await {
                Ok(()) => {
                    done.update(|done| done.push(attachment_id));
                    state.request_sync();
                }
                Err(error) if error.is_unauthorized() => state.session_refused(&token),
                Err(error) => problem.set(Some(error.message(lang()))),
            }
            busy.set(None);
        });
    };
    let count = removed.len();
    let rows = removed
        .into_iter()
        .map(|attachment| {
            let id = attachment.id;
            let kind = attachment.kind;
            let by = attachment.by.name.clone();
            let (remover, removed_at) = attachment
                .removed
                .map(|removal| (removal.by.name, removal.at))
                .unwrap_or_else(|| (String::new(), attachment.at));
            view! {
                <li class="attachment" data-testid="removed-attachment" data-kind=kind.key()>
                    <div class="attachment-text">
                        <strong>{move || kind.label(lang()).to_string()}</strong>
                        <span class="hint">
                            {move || t_string!(
                                i18n,
                                attach_removed_line,
                                by = by.clone(),
                                remover = remover.clone(),
                                when = format::date_time(removed_at, lang()),
                            ).to_string()}
                        </span>
                    </div>
                    {move || if done.with(|done| done.contains(&id)) {
                        view! { <span class="badge" role="status">{t!(i18n, attach_purge_done)}</span> }.into_any()
                    } else {
                        view! {
                            <button
                                type="button"
                                class="danger small"
                                data-testid="attachment-purge"
                                disabled=move || !online.get() || busy.get().is_some()
                                on:click=move |_| purge(id)
                            >
                                {t!(i18n, attach_purge)}
                            </button>
                        }.into_any()
                    }}
                </li>
            }
        })
        .collect_view();
    view! {
        <details class="removed-attachments" data-testid="removed-attachments">
            <summary>{t!(i18n, attach_removed_title, count)}</summary>
            <p class="hint">{t!(i18n, attach_purge_explain)}</p>
            {move || (!online.get()).then(|| view! { <p class="hint">{t!(i18n, attach_purge_offline)}</p> })}
            <ul class="attachment-list">{rows}</ul>
            {move || problem.get().map(|message| view! { <p class="field-error" role="alert" data-testid="purge-problem">{message}</p> })}
        </details>
    }
}
