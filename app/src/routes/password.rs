//! `/password`: 修改密码. Everyone reaches it from 设置; a person whose password an admin chose
//! (a new member, or a reset) is sent here after signing in and sees nothing else until it is
//! replaced (the shell in `app.rs` redirects). Needs the network: the server checks the current
//! password, ends every session of the account and answers a new one for this device.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{
    api, components::field::TextField, i18n::*, locale::current_lang, state::use_app_state,
};

/// Why a typed change cannot be sent yet (the server checks the same and more).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    MissingCurrent,
    TooShort,
    TooLong,
    Mismatch,
    SameAsCurrent,
}

/// The form's own checks, before any network: the new password's length (8–128 characters, as
/// the server's rule), typed twice alike, and different from the current one.
pub fn check_new_password(current: &str, new: &str, repeated: &str) -> Result<(), PasswordProblem> {
    let length = new.chars().count();
    if current.is_empty() {
        Err(PasswordProblem::MissingCurrent)
    } else if length < 8 {
        Err(PasswordProblem::TooShort)
    } else if length > 128 {
        Err(PasswordProblem::TooLong)
    } else if new != repeated {
        Err(PasswordProblem::Mismatch)
    } else if new == current {
        Err(PasswordProblem::SameAsCurrent)
    } else {
        Ok(())
    }
}

#[component]
pub fn PasswordPage() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeated = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let forced = move || {
        state
            .session
            .with(|session| session.as_ref().is_some_and(|s| s.must_change_password))
    };

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let lang = current_lang(i18n);
        let (typed_current, typed_new) = (current.get_untracked(), new.get_untracked());
        if let Err(problem) =
            check_new_password(&typed_current, &typed_new, &repeated.get_untracked())
        {
            error.set(Some(
                match problem {
                    PasswordProblem::MissingCurrent => t_string!(i18n, password_missing_current),
                    PasswordProblem::TooShort => t_string!(i18n, password_too_short),
                    PasswordProblem::TooLong => t_string!(i18n, password_too_long),
                    PasswordProblem::Mismatch => t_string!(i18n, password_mismatch),
                    PasswordProblem::SameAsCurrent => t_string!(i18n, password_same),
                }
                .to_string(),
            ));
            return;
        }
        let Some(session) = state.session.get_untracked() else {
            return;
        };
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let outcome = match api::change_password(&session.token, &typed_current, &typed_new)
                .await
            {
                Err(api::ApiError::Network) => Err(t_string!(i18n, password_network).to_string()),
                Err(problem) => Err(problem.message(lang)),
                Ok(signed_in) => state
                    .sign_in(signed_in)
                    .await
                    .map_err(|refused| refused.message(lang)),
            };
            match outcome {
                // The new session rebuilds the shell (and this page with it): nothing here is
                // touched after it, the router takes the person on.
                Ok(()) => navigate("/", Default::default()),
                Err(message) => {
                    busy.set(false);
                    error.set(Some(message));
                }
            }
        });
    };

    view! {
        <section class="page password-page" data-testid="password-page">
            <h1>{t!(i18n, password_title)}</h1>
            {move || if forced() {
                view! { <p class="notice notice-warn" role="alert" data-testid="password-forced">{t!(i18n, password_forced)}</p> }.into_any()
            } else {
                view! { <p class="hint">{t!(i18n, password_intro)}</p> }.into_any()
            }}
            <form class="login-form" on:submit=submit novalidate>
                <TextField id="password-current" value=current kind="password" autocomplete="current-password">
                    {t!(i18n, password_current)}
                </TextField>
                <TextField id="password-new" value=new kind="password" autocomplete="new-password">
                    {t!(i18n, password_new)}
                </TextField>
                <TextField id="password-repeat" value=repeated kind="password" autocomplete="new-password">
                    {t!(i18n, password_repeat)}
                </TextField>
                {move || error.get().map(|message| view! {
                    <p class="field-error" role="alert" data-testid="password-error">{message}</p>
                })}
                <button type="submit" class="primary wide" disabled=busy>
                    {move || if busy.get() { t_string!(i18n, password_busy) } else { t_string!(i18n, password_submit) }}
                </button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::{check_new_password, PasswordProblem};
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn a_new_password_is_checked_before_it_is_sent() {
        assert_eq!(
            check_new_password("", "new-password-1", "new-password-1"),
            Err(PasswordProblem::MissingCurrent)
        );
        assert_eq!(
            check_new_password("old", "short", "short"),
            Err(PasswordProblem::TooShort)
        );
        assert_eq!(
            check_new_password("old", &"x".repeat(129), &"x".repeat(129)),
            Err(PasswordProblem::TooLong)
        );
        assert_eq!(
            check_new_password("old", "new-password-1", "new-password-2"),
            Err(PasswordProblem::Mismatch)
        );
        assert_eq!(
            check_new_password("same-password", "same-password", "same-password"),
            Err(PasswordProblem::SameAsCurrent)
        );
        assert_eq!(
            check_new_password("old", "new-password-1", "new-password-1"),
            Ok(())
        );
    }
}
