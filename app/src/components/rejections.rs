//! The server's refusals of this device's changes, never dropped silently: who or what got in
//! the way ("已被王芳于 10:42 推进到 合同签订") and what the change held, until dismissed; and the
//! change that has been waiting unusually long to sync, named, with a way to try again now.

use leptos::prelude::*;

use crate::{
    i18n::*,
    locale::current_lang,
    state::{describe_mutation, describe_rejection, use_app_state},
};

/// "这条修改一直未能同步": the first change in line while pushing keeps failing, what it holds,
/// why (the last error), and 立即重试 / the order. Left alone, the server refuses a change it
/// cannot save after a few pushes, and it moves to the refusals below, to read and dismiss.
#[component]
pub fn WaitingChange() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    move || {
        let status = state.sync.get();
        let waiting = status.long_waiting(chrono::Utc::now())?.clone();
        let lang = current_lang(i18n);
        let why = status
            .problem
            .as_ref()
            .map(|problem| problem.message(lang))
            .unwrap_or_default();
        let href = format!("/orders/{}", waiting.mutation.order_id());
        let tries = status.failed_in_a_row;
        Some(view! {
            <section class="notice notice-warn waiting-change" data-testid="waiting-change" role="alert">
                <h2>{t!(i18n, waiting_title)}</h2>
                <p class="rejection-what">
                    <a href=href>{describe_mutation(&waiting.mutation, lang)}</a>
                </p>
                <p class="hint">{t!(i18n, waiting_hint, count = tries)}</p>
                <p class="hint">{why}</p>
                <button type="button" class="primary" data-testid="waiting-retry"
                    disabled=move || state.sync.with(|s| s.running)
                    on:click=move |_| state.request_sync()>
                    {t!(i18n, waiting_retry)}
                </button>
            </section>
        })
    }
}

#[component]
pub fn Rejections() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    move || {
        let rejections = state.rejections.get();
        (!rejections.is_empty()).then(|| {
            let lang = current_lang(i18n);
            view! {
                <section class="notice notice-warn rejections" data-testid="rejections" role="alert">
                    <h2>{t!(i18n, rejections_title)}</h2>
                    <p class="hint">{t!(i18n, rejections_hint)}</p>
                    <ul>
                        {rejections.into_iter().map(|rejection| {
                            let (why, what) = describe_rejection(&rejection, lang);
                            let seq = rejection.seq;
                            let href = format!("/orders/{}", rejection.order_id);
                            view! {
                                <li data-testid="rejection">
                                    <p class="rejection-why">{why}</p>
                                    <p class="rejection-what">
                                        <a href=href>{what}</a>
                                    </p>
                                    <button type="button" class="secondary" on:click=move |_| {
                                        leptos::task::spawn_local(async move {
                                            let _ = state.dismiss_rejection(seq).await;
                                        });
                                    }>{t!(i18n, rejections_dismiss)}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </section>
            }
        })
    }
}
