//! The top bar: app name, network state and (from the sync issue on) the sync status.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{i18n::*, network::use_online, state::use_app_state};

#[component]
pub fn TopBar() -> impl IntoView {
    let i18n = use_i18n();
    let online = use_online();
    let state = use_app_state();
    let unsynced = move || state.unsynced.with(|ids| ids.len());
    view! {
        <header class="top-bar">
            <div class="brand">
                <img class="brand-mark" src="/icons/icon.svg" alt="" width="28" height="28" />
                <span class="brand-name">{t!(i18n, app_name)}</span>
            </div>
            <div class="sync-status" role="status" aria-live="polite">
                <span
                    class="net-chip"
                    class:net-offline=move || !online.get()
                    data-testid="network-status"
                >
                    {move || {
                        if online.get() {
                            t_string!(i18n, net_online)
                        } else {
                            t_string!(i18n, net_offline)
                        }
                    }}
                </span>
                <Show when=move || state.needs_sign_in()>
                    <A href="/login" attr:class="session-chip" attr:data-testid="session-expired">
                        {t!(i18n, session_expired)}
                    </A>
                </Show>
                <span class="sync-detail" data-testid="sync-detail">
                    {move || match unsynced() {
                        0 => t_string!(i18n, sync_all_saved).to_string(),
                        count => t_string!(i18n, sync_pending, count).to_string(),
                    }}
                </span>
            </div>
        </header>
    }
}
