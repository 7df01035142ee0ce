//! `/desk/notifications` (通知渠道): the admin's notification channels — the WeCom, DingTalk and
//! Feishu group robots and generic webhooks the worker sends the daily overdue digest and
//! customer progress notices to — and the outbox: what was sent, what waits for a retry, what
//! failed and why. Channels live on the server only (their URLs and secrets never reach a
//! phone: the server answers a masked URL and whether a secret is set), so this screen needs the
//! network; the server checks the admin role on every call, the screen only saves a wasted trip.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_i18n::I18nContext;

use super::channel_draft::ChannelDraft;

use crate::{
    api::{self, ApiError, Channel, ChannelChanges, ChannelKind, OutboxMessage},
    format,
    i18n::*,
    locale::current_lang,
    network::use_online,
    state::{use_app_state, AppState},
};

/// How many outbox messages the screen lists.
const OUTBOX_SHOWN: u32 = 20;

fn kind_label(i18n: I18nContext<Locale>, kind: &str) -> String {
    match kind {
        "wecom" => t_string!(i18n, notify_kind_wecom).to_string(),
        "dingtalk" => t_string!(i18n, notify_kind_dingtalk).to_string(),
        "feishu" => t_string!(i18n, notify_kind_feishu).to_string(),
        "webhook" => t_string!(i18n, notify_kind_webhook).to_string(),
        other => other.to_string(),
    }
}

/// The answer to the last tap on each channel (by id; the add form is `NEW`), kept at page
/// level: the list is rebuilt after every change, and a row's own signal would be dropped with
/// it together with the message the person is waiting for.
type Outcomes = RwSignal<HashMap<String, Result<String, String>>>;

const NEW: &str = "new";

/// Why an admin call did not do what was asked: the server said no, or it answered with
/// something the screen words itself (a test message that was not delivered).
enum CallError {
    Api(ApiError),
    Said(String),
}

impl From<ApiError> for CallError {
    fn from(problem: ApiError) -> Self {
        CallError::Api(problem)
    }
}

/// What every admin call needs, taken when the component is built (event handlers run outside
/// the component, where context cannot be read).
#[derive(Clone, Copy)]
struct Calls {
    state: AppState,
    i18n: I18nContext<Locale>,
    revision: RwSignal<u32>,
    outcomes: Outcomes,
}

/// Runs one admin call with the signed-in token; its outcome (`done` or the server's message)
/// is kept under `key`, and `revision` is bumped so both lists are read again (a failed test
/// message changed the outbox too).
fn admin_call<F, Fut>(calls: Calls, key: String, call: F)
where
    F: FnOnce(String) -> Fut + 'static,
    Fut: std::future::Future<Output = Result<String, CallError>> + 'static,
{
    let Calls {
        state,
        i18n,
        revision,
        outcomes,
    } = calls;
    let token = state
        .session
        .with_untracked(|session| session.as_ref().map(|session| session.token.clone()));
    let lang = current_lang(i18n);
    leptos::task::spawn_local(async move {
        let Some(token) = token else {
            return;
        };
        let outcome = call(token).await.map_err(|problem| match problem {
            CallError::Api(problem) => problem.message(lang),
            CallError::Said(text) => text,
        });
        outcomes.update(|all| {
            all.insert(key, outcome);
        });
        revision.update(|n| *n += 1);
    });
}

#[component]
fn Message(outcomes: Outcomes, key: String) -> impl IntoView {
    move || {
        outcomes
            .with(|all| all.get(&key).cloned())
            .map(|outcome| match outcome {
                Ok(text) => view! { <p class="hint" role="status">{text}</p> }.into_any(),
                Err(text) => view! { <p class="field-error" role="alert">{text}</p> }.into_any(),
            })
    }
}

#[component]
pub fn NotifyChannelsPage() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let online = use_online();
    let lang = move || current_lang(i18n);
    let is_admin = move || state.is_admin();
    let token = move || {
        state
            .session
            .with(|session| session.as_ref().map(|session| session.token.clone()))
            .filter(|_| is_admin() && online.get())
    };
    // Bumped after every change so both lists are read again from the server.
    let revision = RwSignal::new(0u32);
    let outcomes: Outcomes = RwSignal::new(HashMap::new());
    provide_context(outcomes);
    let channels = LocalResource::new(move || {
        revision.track();
        let token = token();
        async move {
            match token {
                Some(token) => Some(api::list_channels(&token).await),
                None => None,
            }
        }
    });
    let outbox = LocalResource::new(move || {
        revision.track();
        let token = token();
        async move {
            match token {
                Some(token) => Some(api::outbox(&token, OUTBOX_SHOWN).await),
                None => None,
            }
        }
    });
    view! {
        <section class="page notify-channels stack">
            <h1>{t!(i18n, notify_title)}</h1>
            <p class="hint">{t!(i18n, notify_intro)}</p>
            {move || {
                if !is_admin() {
                    return view! { <p class="notice notice-warn" data-testid="notify-admins-only">{t!(i18n, notify_admins_only)}</p> }.into_any();
                }
                if !online.get() {
                    return view! { <p class="notice notice-warn" data-testid="notify-offline">{t!(i18n, notify_needs_network)}</p> }.into_any();
                }
                match channels.get().flatten() {
                    None => view! { <p class="hint">{t!(i18n, notify_loading)}</p> }.into_any(),
                    Some(Err(problem)) => view! { <p class="notice notice-warn" role="alert">{problem.message(lang())}</p> }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! { <p class="hint" data-testid="channels-empty">{t!(i18n, notify_empty)}</p> }.into_any(),
                    Some(Ok(list)) => view! {
                        <ul class="channel-list" data-testid="channel-list">
                            {list.into_iter().map(|channel| view! { <ChannelRow channel revision /> }).collect_view()}
                        </ul>
                    }
                    .into_any(),
                }
            }}
            <Show when=move || is_admin() && online.get()>
                <ChannelForm existing=None revision />
                <section class="stack" data-testid="outbox">
                    <div class="page-head">
                        <h2>{t!(i18n, notify_outbox)}</h2>
                        <button type="button" class="secondary" on:click=move |_| revision.update(|n| *n += 1)>
                            {t!(i18n, notify_outbox_refresh)}
                        </button>
                    </div>
                    {move || match outbox.get().flatten() {
                        None => view! { <p class="hint">{t!(i18n, notify_loading)}</p> }.into_any(),
                        Some(Err(problem)) => view! { <p class="notice notice-warn" role="alert">{problem.message(lang())}</p> }.into_any(),
                        Some(Ok(list)) if list.messages.is_empty() => view! { <p class="hint">{t!(i18n, notify_outbox_empty)}</p> }.into_any(),
                        Some(Ok(list)) => {
                            let max = list.max_attempts;
                            view! {
                                <ul class="outbox-list">
                                    {list.messages.into_iter().map(|message| view! { <OutboxRow message max /> }).collect_view()}
                                </ul>
                            }
                            .into_any()
                        }
                    }}
                </section>
            </Show>
        </section>
    }
}

/// "已发送 11月27日 09:00", "等待发送，下次尝试 …", "发送失败" for an outbox message.
fn status_text(i18n: I18nContext<Locale>, message: &OutboxMessage) -> String {
    let at = |time: DateTime<Utc>| format::date_time(time, current_lang(i18n));
    match message.status.as_str() {
        "sent" => {
            let at = at(message.sent_at.unwrap_or(message.next_attempt_at));
            t_string!(i18n, notify_status_sent, at).to_string()
        }
        "pending" => {
            let at = at(message.next_attempt_at);
            t_string!(i18n, notify_status_pending, at).to_string()
        }
        "sending" => t_string!(i18n, notify_status_sending).to_string(),
        _ => t_string!(i18n, notify_status_failed).to_string(),
    }
}

#[component]
fn OutboxRow(message: OutboxMessage, max: i64) -> impl IntoView {
    let i18n = use_i18n();
    let what = match message.kind.as_str() {
        "digest" => t_string!(i18n, notify_message_digest).to_string(),
        "customer_notice" => t_string!(i18n, notify_message_customer_notice).to_string(),
        "lookup_locked" => t_string!(i18n, notify_message_lookup_locked).to_string(),
        "help_asked" => t_string!(i18n, notify_message_help_asked).to_string(),
        "weekly_summary" => t_string!(i18n, notify_message_weekly_summary).to_string(),
        _ => t_string!(i18n, notify_message_test).to_string(),
    };
    let channel = message
        .channel_name
        .clone()
        .unwrap_or_else(|| t_string!(i18n, notify_channel_gone).to_string());
    let badge = match message.status.as_str() {
        "sent" => "badge badge-stage",
        "pending" | "sending" => "badge badge-due",
        _ => "badge badge-overdue",
    };
    let status = status_text(i18n, &message);
    let attempts = message.attempts;
    let tries = (message.status != "sent" && attempts > 0)
        .then(|| t_string!(i18n, notify_attempts, attempts, max).to_string());
    view! {
        <li class="outbox-row" data-testid="outbox-row" data-status=message.status.clone()>
            <div class="card-row">
                <strong class="card-number">{what}</strong>
                <span class=badge>{status}</span>
            </div>
            <div class="card-row card-meta">
                <span>{channel}</span>
                <span>{format::date_time(message.created_at, current_lang(i18n))}</span>
                {tries.map(|text| view! { <span>{text}</span> })}
            </div>
            {message.last_error.clone().map(|error| view! { <p class="outbox-error">{error}</p> })}
        </li>
    }
}

#[component]
fn ChannelRow(channel: Channel, revision: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let outcomes = expect_context::<Outcomes>();
    let calls = Calls {
        state: use_app_state(),
        i18n,
        revision,
        outcomes,
    };
    let editing = RwSignal::new(false);
    let confirming_delete = RwSignal::new(false);
    let key = channel.id.clone();
    let id = channel.id.clone();
    let enabled = channel.enabled;
    let receives = {
        let mut what = Vec::new();
        if channel.receives_digest {
            what.push(t_string!(i18n, notify_receives_digest).to_string());
        }
        if channel.receives_customer_notices {
            what.push(t_string!(i18n, notify_message_customer_notice).to_string());
        }
        match what.is_empty() {
            true => t_string!(i18n, notify_receives_nothing).to_string(),
            false => {
                let what = what.join("、");
                t_string!(i18n, notify_receives, what).to_string()
            }
        }
    };
    let takes_secret = ChannelKind::parse(&channel.kind).is_some_and(ChannelKind::takes_secret);
    let secret = match (takes_secret, channel.has_secret) {
        (false, _) => None,
        (true, true) => {
            let state = t_string!(i18n, notify_secret_is_set).to_string();
            Some(t_string!(i18n, notify_secret_state, state).to_string())
        }
        (true, false) => {
            let state = t_string!(i18n, notify_secret_unset).to_string();
            Some(t_string!(i18n, notify_secret_state, state).to_string())
        }
    };
    let toggle = {
        let id = id.clone();
        let key = key.clone();
        move |_| {
            let id = id.clone();
            let changes = ChannelChanges {
                enabled: Some(!enabled),
                ..Default::default()
            };
            let done = t_string!(i18n, notify_saved).to_string();
            admin_call(calls, key.clone(), move |token| async move {
                api::change_channel(&token, &id, &changes).await?;
                Ok(done)
            });
        }
    };
    let test = {
        let id = id.clone();
        let key = key.clone();
        move |_| {
            let id = id.clone();
            let lang = current_lang(i18n);
            admin_call(calls, key.clone(), move |token| async move {
                let sent = api::test_channel(&token, &id).await?;
                if sent.status == "sent" {
                    return Ok(t_string!(i18n, notify_test_sent).to_string());
                }
                // Not delivered: the screen says why, as a failure, with the retry time.
                let error = sent.last_error.unwrap_or_default();
                let at = format::date_time(sent.next_attempt_at, lang);
                Err(CallError::Said(
                    t_string!(i18n, notify_test_failed, error, at).to_string(),
                ))
            });
        }
    };
    let delete = {
        let id = id.clone();
        let key = key.clone();
        move |_| {
            let id = id.clone();
            let done = t_string!(i18n, notify_deleted).to_string();
            confirming_delete.set(false);
            admin_call(calls, key.clone(), move |token| async move {
                api::delete_channel(&token, &id).await?;
                Ok(done)
            });
        }
    };
    let name = channel.name.clone();
    let kind = kind_label(i18n, &channel.kind);
    let edited = channel.clone();
    view! {
        <li class="channel" class:channel-off=!enabled data-testid="channel" data-name=channel.name.clone()>
            <div class="card-row">
                <strong class="card-number">{channel.name.clone()}</strong>
                <span class="badge badge-stage">{kind}</span>
                <span class=if enabled { "badge badge-done" } else { "badge badge-overdue" } data-testid="channel-state">
                    {if enabled { t_string!(i18n, notify_on) } else { t_string!(i18n, notify_off) }}
                </span>
            </div>
            <p class="channel-url" data-testid="channel-url">{channel.url.clone()}</p>
            <div class="card-row card-meta">
                <span>{receives}</span>
                {secret.map(|text| view! { <span>{text}</span> })}
            </div>
            <div class="button-row">
                <button type="button" class="secondary" aria-expanded=move || editing.get().to_string() on:click=move |_| editing.update(|e| *e = !*e)>
                    {t!(i18n, notify_edit)}
                </button>
                <button type="button" class="secondary" on:click=test>{t!(i18n, notify_test)}</button>
                <button type="button" class="secondary" on:click=toggle>
                    {if enabled { t_string!(i18n, notify_disable) } else { t_string!(i18n, notify_enable) }}
                </button>
                <button type="button" class="danger" on:click=move |_| confirming_delete.set(true)>{t!(i18n, notify_delete)}</button>
            </div>
            <Show when=move || confirming_delete.get()>
                <div class="notice notice-warn" role="alert">
                    <p>{t_string!(i18n, notify_delete_confirm, name = name.clone()).to_string()}</p>
                    <div class="button-row">
                        <button type="button" class="secondary" on:click=move |_| confirming_delete.set(false)>{t!(i18n, notify_cancel)}</button>
                        <button type="button" class="danger" data-testid="confirm-delete" on:click=delete.clone()>{t!(i18n, notify_delete)}</button>
                    </div>
                </div>
            </Show>
            <Show when=move || editing.get()>
                <ChannelForm existing=Some(edited.clone()) revision />
            </Show>
            <Message outcomes key=key.clone() />
        </li>
    }
}

/// Adds a channel (`existing: None`) or edits one. The URL and the secret are write-only: an
/// edit shows the masked URL and "已设置，留空则不修改", and sends only what was typed.
#[component]
fn ChannelForm(existing: Option<Channel>, revision: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let outcomes = expect_context::<Outcomes>();
    let calls = Calls {
        state: use_app_state(),
        i18n,
        revision,
        outcomes,
    };
    let prefix = existing
        .as_ref()
        .map(|channel| format!("channel-{}", channel.id))
        .unwrap_or_else(|| "new-channel".into());
    let field_id = move |what: &str| format!("{prefix}-{what}");
    let draft = RwSignal::new(
        existing
            .as_ref()
            .map(ChannelDraft::editing)
            .unwrap_or_default(),
    );
    let key = existing
        .as_ref()
        .map(|c| c.id.clone())
        .unwrap_or_else(|| NEW.to_string());
    let editing = existing.clone();
    let is_new = existing.is_none();
    let has_secret = existing.as_ref().is_some_and(|c| c.has_secret);
    let masked_url = existing.as_ref().map(|c| c.url.clone());

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let now = draft.get_untracked();
        match editing.clone() {
            None => {
                let channel = now.to_new_channel();
                let done = t_string!(i18n, notify_added, name = channel.name.clone()).to_string();
                admin_call(calls, key.clone(), move |token| async move {
                    api::add_channel(&token, &channel).await?;
                    draft.update(|draft| {
                        draft.name.clear();
                        draft.url.clear();
                        draft.secret.clear();
                    });
                    Ok(done)
                });
            }
            Some(channel) => {
                let changes = now.to_changes(&channel);
                let done = t_string!(i18n, notify_saved).to_string();
                admin_call(calls, key.clone(), move |token| async move {
                    api::change_channel(&token, &channel.id, &changes).await?;
                    Ok(done)
                });
            }
        }
    };
    let kind_id = field_id("kind");
    let name_id = field_id("name");
    let url_id = field_id("url");
    let secret_id = field_id("secret");
    view! {
        <form class="field-group stack channel-form" data-testid=if is_new { "add-channel" } else { "edit-channel" } on:submit=submit novalidate>
            {is_new.then(|| view! { <legend>{t!(i18n, notify_add)}</legend> })}
            {is_new.then(|| {
                let kind_id = kind_id.clone();
                view! {
                    <div class="field">
                        <label for=kind_id.clone()>{t!(i18n, notify_kind)}</label>
                        <select id=kind_id class="owner-select" on:change=move |event| {
                            if let Some(kind) = ChannelKind::parse(&event_target_value(&event)) {
                                draft.update(|draft| draft.kind = kind);
                            }
                        }>
                            {ChannelKind::ALL.into_iter().map(|kind| view! {
                                <option value=kind.as_str() selected=move || draft.with(|draft| draft.kind == kind)>{kind_label(i18n, kind.as_str())}</option>
                            }).collect_view()}
                        </select>
                    </div>
                }
            })}
            <div class="field">
                <label for=name_id.clone()>{t!(i18n, notify_name)}</label>
                <input id=name_id type="text" maxlength="40" prop:value=move || draft.with(|draft| draft.name.clone()) on:input=move |event| draft.update(|draft| draft.name = event_target_value(&event)) />
            </div>
            <div class="field">
                <label for=url_id.clone()>{t!(i18n, notify_url)}</label>
                <input
                    id=url_id
                    type="url"
                    inputmode="url"
                    autocomplete="off"
                    placeholder=masked_url.clone().unwrap_or_else(|| "https://".into())
                    prop:value=move || draft.with(|draft| draft.url.clone())
                    on:input=move |event| draft.update(|draft| draft.url = event_target_value(&event))
                />
                {masked_url.clone().map(|current| view! {
                    <p class="hint">{t_string!(i18n, notify_url_kept, url = current).to_string()}</p>
                })}
            </div>
            {move || {
                if !draft.with(ChannelDraft::shows_secret) {
                    return view! { <p class="hint">{t!(i18n, notify_secret_wecom)}</p> }.into_any();
                }
                let secret_id = secret_id.clone();
                view! {
                    <div class="field">
                        <label for=secret_id.clone()>{t!(i18n, notify_secret)}</label>
                        <input
                            id=secret_id
                            type="password"
                            autocomplete="new-password"
                            placeholder=move || if has_secret { t_string!(i18n, notify_secret_set).to_string() } else { String::new() }
                            prop:value=move || draft.with(|draft| draft.secret.clone())
                            on:input=move |event| draft.update(|draft| draft.secret = event_target_value(&event))
                        />
                    </div>
                    {has_secret.then(|| view! {
                        <label class="switch-row">
                            <input type="checkbox" prop:checked=move || draft.with(|draft| draft.remove_secret) on:change=move |event| draft.update(|draft| draft.remove_secret = event_target_checked(&event)) />
                            <span>{t!(i18n, notify_secret_remove)}</span>
                        </label>
                    })}
                }
                .into_any()
            }}
            <label class="switch-row">
                <input type="checkbox" prop:checked=move || draft.with(|draft| draft.receives_digest) on:change=move |event| draft.update(|draft| draft.receives_digest = event_target_checked(&event)) />
                <span>{t!(i18n, notify_receives_digest)}</span>
            </label>
            <Show when=move || draft.with(ChannelDraft::shows_customer_notices)>
                <label class="switch-row">
                    <input type="checkbox" prop:checked=move || draft.with(|draft| draft.receives_customer_notices) on:change=move |event| draft.update(|draft| draft.receives_customer_notices = event_target_checked(&event)) />
                    <span>{t!(i18n, notify_receives_notices)}</span>
                </label>
            </Show>
            {is_new.then(|| view! {
                <label class="switch-row">
                    <input type="checkbox" prop:checked=move || draft.with(|draft| draft.enabled) on:change=move |event| draft.update(|draft| draft.enabled = event_target_checked(&event)) />
                    <span>{t!(i18n, notify_enabled)}</span>
                </label>
            })}
            <button type="submit" class="primary wide">
                {if is_new { t_string!(i18n, notify_add) } else { t_string!(i18n, notify_save) }}
            </button>
            // An edit's answer shows under its channel's buttons (the row's message).
            {is_new.then(|| view! { <Message outcomes key=NEW.to_string() /> })}
        </form>
    }
}
