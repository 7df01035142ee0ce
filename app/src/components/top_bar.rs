//! The top bar: app name, network state and the sync status, which is also the 立即同步 button.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{format, i18n::*, locale::current_lang, network::use_online, state::use_app_state};

#[component]
pub fn TopBar() -> impl IntoView {
    let i18n = use_i18n();
    let online = use_online();
    let state = use_app_state();
    let unsynced = move || state.unsynced.with(|ids| ids.len());
    let failing =
        move || online.get() && unsynced() > 0 && state.sync.with(|s| s.problem.is_some());
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
                // Tapping the status syncs now (立即同步): after switching back from another app,
                // or before calling a customer, nobody should have to wait for the next round.
                <button
                    type="button"
                    class="sync-detail"
                    // A dot while the live channel is open: colleagues' changes arrive at once.
                    class:live=move || state.sync.with(|s| s.live)
                    class:sync-failing=failing
                    data-live=move || if state.sync.with(|s| s.live) { "on" } else { "off" }
                    data-testid="sync-detail"
                    aria-description=move || t_string!(i18n, sync_now).to_string()
                    title=move || {
                        state
                            .sync
                            .with(|s| s.problem.as_ref().map(|p| p.message(current_lang(i18n))))
                            .unwrap_or_else(|| t_string!(i18n, sync_now).to_string())
                    }
                    on:click=move |_| state.request_sync()
                >
                    {move || {
                        let status = state.sync.get();
                        // Online, pushes failing, changes waiting: said, not only in a tooltip
                        // a phone never shows (the reason is in the tooltip and, after a few
                        // tries, on the board). Offline, waiting is expected.
                        if !status.running && failing() {
                            return t_string!(i18n, sync_failed_pending, count = unsynced()).to_string();
                        }
                        match (status.running, status.received, unsynced(), status.last_synced) {
                            (true, 0, _, _) => t_string!(i18n, sync_running).to_string(),
                            (true, count, _, _) => t_string!(i18n, sync_receiving, count).to_string(),
                            (false, _, 0, Some(at)) => {
                                t_string!(i18n, sync_done, time = format::clock(at)).to_string()
                            }
                            (false, _, 0, None) => t_string!(i18n, sync_all_saved).to_string(),
                            (false, _, count, _) => t_string!(i18n, sync_pending, count).to_string(),
                        }
                    }}
                </button>
            </div>
        </header>
    }
}
