//! The server's refusals of this device's changes, never dropped silently: who or what got in
//! the way ("已被王芳于 10:42 推进到 合同签订") and what the change held, until dismissed; and the
//! change that has been waiting unusually long to sync, named, with a way to try again now.

use leptos::prelude::*;

use crate::{i18n::*, locale::current_lang, state::use_app_state};

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
                    <a href=href>{state.describe_mutation(&waiting.mutation, lang)}</a>
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

/// The changes the server refused, each with why, what it held and which order: on the board, on
/// 今天 (where sales start the day) and, for its own changes, on the order's page, so a refusal
/// that arrives after working offline is seen wherever the person is.
#[component]
pub fn Rejections(
    /// Only this order's refusals (the order's page); every one when `None`.
    #[prop(optional)]
    order: Option<uuid::Uuid>,
) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    move || {
        let rejections: Vec<_> = state.rejections.with(|rejections| {
            rejections
                .iter()
                .filter(|rejection| order.is_none_or(|id| rejection.order_id == id))
                .cloned()
                .collect()
        });
        (!rejections.is_empty()).then(|| {
            let lang = current_lang(i18n);
            view! {
                <section class="notice notice-warn rejections" data-testid="rejections" role="alert">
                    <h2>{t!(i18n, rejections_title)}</h2>
                    <p class="hint">{t!(i18n, rejections_hint)}</p>
                    <ul>
                        {rejections.into_iter().map(|rejection| {
                            let (why, what) = state.describe_rejection(&rejection, lang);
                            let seq = rejection.seq;
                            let href = format!("/orders/{}", rejection.order_id);
                            // Which order, as people know it (a new order refused has no card).
                            let which = state.cards.with_untracked(|cards| {
                                cards
                                    .get(&rejection.order_id)
                                    .map(|card| format!("{} · {}", card.number.as_str(), card.company))
                            });
                            view! {
                                <li data-testid="rejection">
                                    {which.map(|which| view! { <p class="rejection-order" data-testid="rejection-order">{which}</p> })}
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
