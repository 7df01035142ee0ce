//! `/login`: team sign-in, phone first. The first sign-in needs the network; afterwards the
//! session lives on the device, so the app opens and accepts work offline.
//!
//! A device holding someone else's unsynced changes refuses to change hands (those changes
//! could only be sent in the wrong name) and offers to wipe it instead.

use leptos::prelude::*;
use leptos_router::{components::Redirect, hooks::use_query_map, NavigateOptions};

use crate::{
    api, boot,
    components::field::TextField,
    i18n::*,
    locale::current_lang,
    state::{use_app_state, SignInError},
};

/// Where to go after signing in: only a path inside the app (never another site).
fn after_sign_in(next: Option<String>) -> String {
    next.filter(|path| path.starts_with('/') && !path.starts_with("//") && path != "/login")
        .unwrap_or_else(|| "/".into())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let query = use_query_map();
    let next = move || {
        let asked = query.with(|q| q.get("next"));
        // No page asked for (a plain sign-in): people who follow up orders start the day on
        // 今天, everyone else on the board.
        let follows_up = state.session.with_untracked(|session| {
            session.as_ref().is_some_and(|session| {
                session
                    .user
                    .roles
                    .iter()
                    .any(|role| matches!(role, domain::Role::Sales | domain::Role::Service))
            })
        });
        match asked {
            None if follows_up => "/today".to_string(),
            asked => after_sign_in(asked),
        }
    };
    // What was typed into the static sign-in form (index.html) before the app started.
    let typed = boot::typed_login().unwrap_or_default();
    let login = RwSignal::new(typed.login);
    let password = RwSignal::new(typed.password);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let device_taken = RwSignal::new(false);
    let signed_in = RwSignal::new(false);

    let sign_in = move || {
        let lang = current_lang(i18n);
        let typed_login = login.get_untracked().trim().to_string();
        let typed_password = password.get_untracked();
        if typed_login.is_empty() || typed_password.is_empty() {
            error.set(Some(t_string!(i18n, login_missing).to_string()));
            return;
        }
        busy.set(true);
        error.set(None);
        device_taken.set(false);
        leptos::task::spawn_local(async move {
            let response = api::login(&typed_login, &typed_password).await;
            // Offline the password stays in its box, to try again once online; after an answer
            // (right or wrong) it is cleared.
            let unreachable = matches!(response, Err(api::ApiError::Network));
            let outcome = match response {
                Err(api::ApiError::Network) => Err(t_string!(i18n, login_network).to_string()),
                Err(problem) => Err(problem.message(lang)),
                Ok(signed_in) => {
                    let token = signed_in.token.clone();
                    match state.sign_in(signed_in).await {
                        Ok(()) => Ok(()),
                        Err(refused) => {
                            // The server session is of no use on this device: end it.
                            let _ = api::logout(&token).await;
                            device_taken
                                .set(matches!(refused, SignInError::OthersUnsyncedChanges { .. }));
                            Err(refused.message(lang))
                        }
                    }
                }
            };
            busy.set(false);
            if !unreachable {
                password.set(String::new());
            }
            // On success the redirect below takes the person on.
            match outcome {
                Ok(()) => signed_in.set(true),
                Err(message) => error.set(Some(message)),
            }
        });
    };

    // A sign-in waits for the device's storage, which opens as the app starts: a 登录 tapped in
    // that moment (on the static first screen, before the app was there) is kept, not refused.
    let requested = RwSignal::new(typed.submitted);
    Effect::new(move |_| {
        if requested.get() && state.status.with(Option::is_some) {
            requested.set(false);
            sign_in();
        }
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        requested.set(true);
    };
    let working = move || busy.get() || requested.get();
    // Drawn: the static form gives way to this one, and the focus stays in the field it was in.
    Effect::new(move |_| {
        boot::hand_over();
        if let Some(id) = typed.focused {
            boot::focus(id);
        }
    });

    let wipe = move |_| {
        leptos::task::spawn_local(async move {
            match state.sign_out_and_wipe().await {
                Ok(()) => reload(),
                Err(problem) => error.set(Some(problem.message(current_lang(i18n)))),
            }
        });
    };

    view! {
        <div class="customer-layout login-layout">
            <header class="top-bar">
                <div class="brand">
                    <img class="brand-mark" src="/icons/icon.svg" alt="" width="28" height="28" />
                    <span class="brand-name">{t!(i18n, app_name)}</span>
                </div>
                <LanguageSwitch />
            </header>
            <main class="page login">
                // Signed in here: on to where the person was going. (Someone already signed in
                // may still come here on purpose, e.g. to sign in again after a refusal.)
                // Replacing the sign-in page in the history: 返回 from the first screen must not show a
                // sign-in form to someone signed in.
                {move || signed_in.get().then(|| view! { <Redirect path=next() options=NavigateOptions { replace: true, ..Default::default() } /> })}
                <h1>{t!(i18n, login_title)}</h1>
                <p class="hint">{t!(i18n, login_intro)}</p>
                <form class="login-form" on:submit=submit novalidate>
                    <TextField id="login-name" value=login kind="text" autocomplete="username">
                        {t!(i18n, login_name)}
                    </TextField>
                    <TextField id="login-password" value=password kind="password" autocomplete="current-password">
                        {t!(i18n, login_password)}
                    </TextField>
                    {move || error.get().map(|message| view! {
                        <p class="field-error" role="alert" data-testid="login-error">{message}</p>
                    })}
                    <button type="submit" class="primary wide" disabled=working>
                        {move || if working() {
                            t_string!(i18n, login_busy)
                        } else {
                            t_string!(i18n, login_submit)
                        }}
                    </button>
                </form>
                <Show when=move || device_taken.get()>
                    <button type="button" class="danger wide" on:click=wipe>
                        {t!(i18n, login_wipe)}
                    </button>
                </Show>
                <p class="hint">{t!(i18n, login_offline_hint)}</p>
            </main>
        </div>
    }
}

#[component]
fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let switch = move |_| {
        i18n.set_locale(match i18n.get_locale() {
            Locale::zh => Locale::en,
            Locale::en => Locale::zh,
        })
    };
    view! {
        <button type="button" class="link-button" on:click=switch>
            {move || match i18n.get_locale() {
                Locale::zh => "English",
                Locale::en => "中文",
            }}
        </button>
    }
}

/// A fresh start after the device's database is gone: nothing in memory may outlive it.
pub fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href("/login");
    }
}

#[cfg(test)]
mod tests {
    use super::after_sign_in;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn only_paths_inside_the_app_are_followed_after_sign_in() {
        assert_eq!(after_sign_in(Some("/orders/new".into())), "/orders/new");
        assert_eq!(after_sign_in(Some("//evil.example".into())), "/");
        assert_eq!(after_sign_in(Some("https://evil.example".into())), "/");
        assert_eq!(after_sign_in(Some("/login".into())), "/");
        assert_eq!(after_sign_in(None), "/");
    }
}
