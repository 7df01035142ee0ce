//! The server's refusals of this device's changes, never dropped silently: who or what got in
//! the way ("已被王芳于 10:42 推进到 合同签订") and what the change held, until dismissed.

use leptos::prelude::*;

use crate::{
    i18n::*,
    locale::current_lang,
    state::{describe_rejection, use_app_state},
};

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
