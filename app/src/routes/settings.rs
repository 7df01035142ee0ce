//! `/settings`: language (中文 default, English), who is signed in, signing out (optionally
//! wiping the device, for shared phones), the team and notification-channel screens for admins,
//! the opt-in overdue reminder (提醒), and the build's version.

use domain::Role;
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};

use crate::{
    i18n::*,
    locale::current_lang,
    pwa::use_pwa,
    reminders::{self, Permission, ReminderSettings, REMINDERS_SETTING},
    routes::login::reload,
    state::{use_app_state, Session},
    storage::storage_report,
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let choose = move |locale: Locale| move |_| i18n.set_locale(locale);
    view! {
        <section class="page">
            <h1>{t!(i18n, settings_title)}</h1>
            <fieldset class="field-group">
                <legend>{t!(i18n, settings_language)}</legend>
                <div class="segmented">
                    <button
                        type="button"
                        aria-pressed=move || (i18n.get_locale() == Locale::zh).to_string()
                        on:click=choose(Locale::zh)
                    >
                        "中文"
                    </button>
                    <button
                        type="button"
                        aria-pressed=move || (i18n.get_locale() == Locale::en).to_string()
                        on:click=choose(Locale::en)
                    >
                        "English"
                    </button>
                </div>
            </fieldset>
            <Account />
            <Reminders />
            <crate::components::unsent_changes::UnsentChanges />
            <InstallAndStorage />
            <p class="hint">
                {t!(i18n, settings_version)}
                " "
                {env!("CARGO_PKG_VERSION")}
            </p>
        </section>
    }
}

/// Which way out the person is about to confirm.
#[derive(Clone, Copy, PartialEq)]
enum Leaving {
    SignOut,
    Wipe,
}

#[component]
fn Account() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let lang = move || current_lang(i18n);
    let confirming = RwSignal::new(None::<Leaving>);
    let pending = RwSignal::new(0usize);
    let unuploaded = RwSignal::new(0usize);
    let error = RwSignal::new(None::<String>);
    let navigate = use_navigate();

    let ask = move |leaving: Leaving| {
        leptos::task::spawn_local(async move {
            pending.set(state.pending_count().await.unwrap_or(0));
            unuploaded.set(state.unuploaded_attachments().await);
            confirming.set(Some(leaving));
        });
    };
    let confirm = move |_| {
        let Some(leaving) = confirming.get_untracked() else {
            return;
        };
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let outcome = match leaving {
                Leaving::SignOut => state.sign_out().await,
                Leaving::Wipe => state.sign_out_and_wipe().await,
            };
            match (outcome, leaving) {
                (Ok(()), Leaving::SignOut) => navigate("/login", Default::default()),
                (Ok(()), Leaving::Wipe) => reload(),
                (Err(problem), _) => error.set(Some(problem.message(lang()))),
            }
        });
    };

    let summary = move |session: Session| {
        let roles = session
            .user
            .roles
            .iter()
            .map(|role| role.label(lang()))
            .collect::<Vec<_>>()
            .join("、");
        let is_admin = session.user.roles.contains(&Role::Admin);
        view! {
            <dl class="facts" data-testid="account">
                <dt>{t!(i18n, settings_account_name)}</dt>
                <dd data-testid="account-name">{session.user.name.clone()}</dd>
                <dt>{t!(i18n, settings_account_login)}</dt>
                <dd>{session.user.login.clone()}</dd>
                <dt>{t!(i18n, settings_account_roles)}</dt>
                <dd data-testid="account-roles">{roles}</dd>
            </dl>
            <div class="stack">
                <A href="/password" attr:class="button wide" attr:data-testid="password-link">{t!(i18n, password_title)}</A>
                // Export is for everyone, import for admins (the desk page says so).
                <A href="/desk/import" attr:class="button wide" attr:data-testid="sheets-link">{t!(i18n, settings_sheets)}</A>
                // The worker's page customers look orders up on, to show a customer: it opens
                // outside the app (a tab of its own), as customers see it, and needs the network.
                <a href="/track" class="button wide" target="_blank" rel="noopener external" data-testid="track-link">
                    {t!(i18n, settings_track_page)}
                </a>
            </div>
            {is_admin.then(|| view! {
                <div class="stack">
                    <A href="/desk/team" attr:class="button wide" attr:data-testid="team-link">{t!(i18n, team_title)}</A>
                    <A href="/desk/notifications" attr:class="button wide" attr:data-testid="notify-link">
                        {t!(i18n, settings_notify_channels)}
                    </A>
                    <A href="/desk/process" attr:class="button wide" attr:data-testid="process-link">{t!(i18n, settings_process)}</A>
                </div>
            })}
        }
    };

    view! {
        <fieldset class="field-group">
            <legend>{t!(i18n, settings_account)}</legend>
            {move || state.session.get().map(summary)}
            <Show
                when=move || confirming.get().is_some()
                fallback=move || view! {
                    <div class="button-row">
                        <button type="button" class="secondary" on:click=move |_| ask(Leaving::SignOut)>
                            {t!(i18n, settings_sign_out)}
                        </button>
                        <button type="button" class="danger" on:click=move |_| ask(Leaving::Wipe)>
                            {t!(i18n, settings_sign_out_wipe)}
                        </button>
                    </div>
                }
            >
                <div class="notice notice-warn" role="alert" data-testid="leave-confirm">
                    // Photos not uploaded yet exist nowhere else: said before wiping them.
                    {move || {
                        let files = unuploaded.get();
                        (confirming.get() == Some(Leaving::Wipe) && files > 0).then(|| view! {
                            <p data-testid="wipe-files-warning"><strong>{t_string!(i18n, settings_wipe_files_warning, count = files).to_string()}</strong></p>
                        })
                    }}
                    <p>
                        {move || match (confirming.get(), pending.get()) {
                            (Some(Leaving::Wipe), 0) => t_string!(i18n, settings_wipe_confirm).to_string(),
                            (Some(Leaving::Wipe), count) => t_string!(i18n, settings_wipe_confirm_pending, count).to_string(),
                            (_, 0) => t_string!(i18n, settings_sign_out_confirm).to_string(),
                            (_, count) => t_string!(i18n, settings_sign_out_confirm_pending, count).to_string(),
                        }}
                    </p>
                    <div class="button-row">
                        <button type="button" class="secondary" on:click=move |_| confirming.set(None)>
                            {t!(i18n, settings_keep_signed_in)}
                        </button>
                        <button type="button" class="danger" data-testid="confirm-leave" on:click=confirm.clone()>
                            {move || if confirming.get() == Some(Leaving::Wipe) {
                                t_string!(i18n, settings_sign_out_wipe)
                            } else {
                                t_string!(i18n, settings_sign_out)
                            }}
                        </button>
                    </div>
                </div>
            </Show>
            {move || error.get().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
        </fieldset>
    }
}

/// 提醒: one switch for the overdue reminder. Permission is asked only on the tap that turns
/// it on; when the browser has blocked notifications the switch is off and says how to allow
/// them (a page cannot ask again).
#[component]
fn Reminders() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let permission = RwSignal::new(reminders::permission());
    let settings = RwSignal::new(ReminderSettings::default());
    let problem = RwSignal::new(None::<String>);
    leptos::task::spawn_local(async move {
        if let Ok(Some(saved)) = state.setting::<ReminderSettings>(REMINDERS_SETTING).await {
            settings.set(saved);
        }
    });
    // On only while the browser allows it: a permission withdrawn in the browser's settings
    // shows as off here, whatever was saved.
    let is_on = move || settings.with(|s| s.enabled) && permission.get() == Permission::Granted;
    let save = move |enabled: bool| {
        leptos::task::spawn_local(async move {
            let next = ReminderSettings {
                enabled,
                ..settings.get_untracked()
            };
            match state.save_setting(REMINDERS_SETTING, &next).await {
                Ok(()) => {
                    settings.set(next);
                    if enabled {
                        // Something may be overdue already: show today's reminder now.
                        reminders::remind_if_due(state, i18n).await;
                    }
                }
                Err(error) => problem.set(Some(error.message(current_lang(i18n)))),
            }
        });
    };
    let toggle = move |event: leptos::ev::Event| {
        let want = event_target_checked(&event);
        problem.set(None);
        if !want {
            save(false);
            return;
        }
        leptos::task::spawn_local(async move {
            let answer = match reminders::permission() {
                Permission::Ask => reminders::request_permission().await,
                other => other,
            };
            permission.set(answer);
            match answer {
                Permission::Granted => save(true),
                Permission::Ask => problem.set(Some(
                    t_string!(i18n, settings_reminders_dismissed).to_string(),
                )),
                // The explanation below the switch says what to do.
                Permission::Denied | Permission::Unsupported => {}
            }
        });
    };
    view! {
        <fieldset class="field-group stack" data-testid="reminders">
            <legend>{t!(i18n, settings_reminders)}</legend>
            <label class="switch-row">
                <input
                    type="checkbox"
                    role="switch"
                    data-testid="reminders-switch"
                    prop:checked=is_on
                    disabled=move || matches!(permission.get(), Permission::Denied | Permission::Unsupported)
                    on:change=toggle
                />
                <span>{t!(i18n, settings_reminders_switch)}</span>
            </label>
            {move || match permission.get() {
                Permission::Denied => view! {
                    <p class="notice notice-warn" data-testid="reminders-blocked">{t!(i18n, settings_reminders_denied)}</p>
                }
                    .into_any(),
                Permission::Unsupported => view! {
                    <p class="hint">{t!(i18n, settings_reminders_unsupported)}</p>
                }
                    .into_any(),
                Permission::Ask | Permission::Granted => view! {
                    <p class="hint">{t!(i18n, settings_reminders_explain)}</p>
                }
                    .into_any(),
            }}
            {move || problem.get().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
        </fieldset>
    }
}

/// Installing the app on the phone, and what the browser keeps for it.
#[component]
fn InstallAndStorage() -> impl IntoView {
    let i18n = use_i18n();
    let pwa = use_pwa();
    let report = LocalResource::new(storage_report);
    let install = move |_| {
        leptos::task::spawn_local(async move {
            pwa.install().await;
        });
    };
    let megabytes = |bytes: f64| match bytes / 1_000_000.0 {
        mb if mb >= 1000.0 => format!("{:.1} GB", mb / 1000.0),
        mb => format!("{mb:.1} MB"),
    };
    view! {
        <fieldset class="field-group stack" data-testid="install-storage">
            <legend>{t!(i18n, settings_install)}</legend>
            {move || {
                if pwa.is_installed() {
                    view! { <p class="hint">{t!(i18n, settings_installed)}</p> }.into_any()
                } else if pwa.can_install.get() {
                    view! {
                        <button type="button" class="primary wide" data-testid="install" on:click=install>
                            {t!(i18n, settings_install_button)}
                        </button>
                    }
                        .into_any()
                } else if pwa.needs_ios_hint() {
                    view! { <p class="hint">{t!(i18n, settings_install_ios)}</p> }.into_any()
                } else {
                    view! { <p class="hint">{t!(i18n, settings_install_browser)}</p> }.into_any()
                }
            }}
            {move || report.get().map(|report| match report {
                Some(report) => view! {
                    <dl class="facts" data-testid="storage-report">
                        <dt>{t!(i18n, settings_storage_persisted)}</dt>
                        <dd data-testid="storage-persisted">
                            {if report.persisted {
                                t_string!(i18n, settings_storage_persisted_yes)
                            } else {
                                t_string!(i18n, settings_storage_persisted_no)
                            }}
                        </dd>
                        <dt>{t!(i18n, settings_storage_used)}</dt>
                        <dd data-testid="storage-used">
                            {format!("{} / {}", megabytes(report.usage_bytes), megabytes(report.quota_bytes))}
                        </dd>
                    </dl>
                }
                    .into_any(),
                None => view! { <p class="hint">{t!(i18n, settings_storage_unknown)}</p> }.into_any(),
            })}
        </fieldset>
    }
}
