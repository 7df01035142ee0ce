//! `use_online()`: whether the browser believes it has a network, kept current by the window's
//! `online` / `offline` events. Shaped like leptos-use hooks so later hooks (sync state, service
//! worker updates) follow the same pattern.

use leptos::{ev, prelude::*};

pub fn use_online() -> ReadSignal<bool> {
    let initially_online = window().navigator().on_line();
    let (online, set_online) = signal(initially_online);
    let on_online = window_event_listener(ev::online, move |_| set_online.set(true));
    let on_offline = window_event_listener(ev::offline, move |_| set_online.set(false));
    on_cleanup(move || {
        on_online.remove();
        on_offline.remove();
    });
    online
}
