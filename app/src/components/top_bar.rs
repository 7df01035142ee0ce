//! The top bar: app name, network state and (from the sync issue on) the sync status.

use leptos::prelude::*;

use crate::{i18n::*, network::use_online};

#[component]
pub fn TopBar() -> impl IntoView {
    let i18n = use_i18n();
    let online = use_online();
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
                <span class="sync-detail">{t!(i18n, sync_not_signed_in)}</span>
            </div>
        </header>
    }
}
