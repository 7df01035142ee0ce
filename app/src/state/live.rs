//! The live channel: while someone is signed in and the page is visible, a WebSocket to
//! `GET /api/live` (`api::open_live`). A poke from the server only asks the sync loop for a
//! pull, which brings the data. It adds to the minute's poll, which keeps running: with the
//! socket refused, blocked or down, changes still arrive by polling.
//!
//! Battery: a page hidden for `HIDDEN_CLOSE_MS` closes the socket; visible again, it reconnects
//! and pulls. A connection that fails retries with the sync loop's backoff.

use domain::wire::{LiveMessage, LIVE_PING};
use futures::channel::mpsc::{unbounded, UnboundedReceiver};
use futures::future::{select, Either};
use futures::StreamExt;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use super::sync::{backoff_ms, is_online, sleep};
use super::AppState;
use crate::api;

/// The keep-alive's interval: below the idle timeouts of mobile networks' NATs and proxies.
const KEEP_ALIVE_MS: f64 = 45_000.0;
/// How long a hidden page keeps its socket (switching apps for a moment keeps it).
const HIDDEN_CLOSE_MS: f64 = 60_000.0;
/// While disconnected with nothing failing, how often to look again (a wake comes sooner).
const RETRY_IDLE_MS: f64 = 60_000.0;
/// The server replaced the socket by a newer one of the same user (worker/src/live/room.rs).
const CLOSE_REPLACED: u16 = 4000;
/// The server closed the socket because the session ended (worker/src/live/room.rs).
const CLOSE_SIGNED_OUT: u16 = 4001;
/// After the server ends a socket on purpose, wait as after this many failures (about 30 s):
/// a phone with more tabs than the per-user bound must not keep replacing its own sockets.
const ENDED_ON_PURPOSE: u32 = 5;

/// How a held socket ended, for when to try again.
enum Ended {
    NeverOpened,
    /// It was open and dropped (network, deploy, hidden page): try again soon.
    Dropped,
    ByServer,
}

enum SocketEvent {
    Opened,
    Message(String),
    Closed(u16),
}

fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|window| window.document())
        .is_some_and(|document| document.hidden())
}

impl AppState {
    /// Wakes the live loop: to connect after a sign-in or when the page comes back.
    pub(super) fn wake_live(&self) {
        self.live_wake.with_value(|wake| {
            if let Some(wake) = wake {
                let _ = wake.unbounded_send(());
            }
        });
    }

    /// Starts the live loop (once, with the sync loop).
    pub(super) fn start_live(self) {
        let (wake, wakes) = unbounded::<()>();
        self.live_wake.set_value(Some(wake));
        let on_change = Closure::<dyn FnMut()>::new(move || self.wake_live());
        if let Some(window) = web_sys::window() {
            let _ = window
                .add_event_listener_with_callback("online", on_change.as_ref().unchecked_ref());
            if let Some(document) = window.document() {
                let _ = document.add_event_listener_with_callback(
                    "visibilitychange",
                    on_change.as_ref().unchecked_ref(),
                );
            }
        }
        // The app lives as long as the page.
        on_change.forget();
        leptos::task::spawn_local(self.run_live_loop(wakes));
    }

    fn may_go_live(&self) -> bool {
        is_online()
            && self.is_ready_untracked()
            && self.session.with_untracked(Option::is_some)
            && !self.session_rejected.get_untracked()
            && !self.account_disabled.get_untracked()
    }

    async fn run_live_loop(self, mut wakes: UnboundedReceiver<()>) {
        let mut failures = 0u32;
        loop {
            if self.may_go_live() && !page_hidden() {
                let token = self
                    .session
                    .with_untracked(|session| session.as_ref().map(|s| s.token.clone()));
                if let Some(token) = token {
                    failures = match self.hold_socket(&token, &mut wakes).await {
                        Ended::Dropped => 1,
                        Ended::NeverOpened => failures + 1,
                        Ended::ByServer => failures.max(ENDED_ON_PURPOSE),
                    };
                    self.sync.update(|status| status.live = false);
                }
            }
            // A hidden page or a signed-out phone waits for a wake (visible again, a sign-in).
            let wait = if failures == 0 || page_hidden() || !self.may_go_live() {
                RETRY_IDLE_MS
            } else {
                backoff_ms(failures)
            };
            if let Either::Left((None, _)) = select(wakes.next(), Box::pin(sleep(wait))).await {
                return;
            }
        }
    }

    /// Holds one socket until it closes or should close.
    async fn hold_socket(&self, token: &str, wakes: &mut UnboundedReceiver<()>) -> Ended {
        let Ok(socket) = api::open_live(token) else {
            return Ended::NeverOpened;
        };
        let (events, mut received) = unbounded::<SocketEvent>();
        let on_open = {
            let events = events.clone();
            Closure::<dyn FnMut()>::new(move || {
                let _ = events.unbounded_send(SocketEvent::Opened);
            })
        };
        let on_message = {
            let events = events.clone();
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                if let Some(text) = event.data().as_string() {
                    let _ = events.unbounded_send(SocketEvent::Message(text));
                }
            })
        };
        let on_close =
            Closure::<dyn FnMut(web_sys::CloseEvent)>::new(move |event: web_sys::CloseEvent| {
                let _ = events.unbounded_send(SocketEvent::Closed(event.code()));
            });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));

        let mut opened = false;
        let mut by_server = false;
        let mut hidden_since: Option<f64> = None;
        loop {
            let wait = match hidden_since {
                Some(since) => (HIDDEN_CLOSE_MS - (js_sys::Date::now() - since)).max(0.0),
                None => KEEP_ALIVE_MS,
            };
            let woken = select(wakes.next(), Box::pin(sleep(wait)));
            match select(received.next(), woken).await {
                Either::Left((Some(SocketEvent::Opened), _)) => {
                    opened = true;
                    self.sync.update(|status| status.live = true);
                    // Whatever changed while the socket was down.
                    self.request_sync();
                }
                Either::Left((Some(SocketEvent::Message(text)), _)) => {
                    if let Ok(LiveMessage::Poke { .. }) = serde_json::from_str(&text) {
                        self.request_sync();
                    }
                }
                Either::Left((Some(SocketEvent::Closed(code)), _)) => {
                    if code == CLOSE_SIGNED_OUT {
                        // The sync finds out why (signed out, disabled) and says so.
                        self.request_sync();
                    }
                    by_server = code == CLOSE_SIGNED_OUT || code == CLOSE_REPLACED;
                    break;
                }
                Either::Left((None, _)) => break,
                Either::Right((Either::Left((None, _)), _)) => break,
                Either::Right((woken, _)) => {
                    let timed_out = matches!(woken, Either::Right(_));
                    if !self.may_go_live() {
                        break;
                    }
                    if page_hidden() {
                        let since = *hidden_since.get_or_insert_with(js_sys::Date::now);
                        if js_sys::Date::now() - since >= HIDDEN_CLOSE_MS {
                            break;
                        }
                    } else {
                        hidden_since = None;
                        if timed_out && opened {
                            let _ = socket.send_with_str(LIVE_PING);
                        }
                    }
                }
            }
        }
        socket.set_onopen(None);
        socket.set_onmessage(None);
        socket.set_onclose(None);
        let _ = socket.close();
        match (opened, by_server) {
            (_, true) => Ended::ByServer,
            (true, false) => Ended::Dropped,
            (false, false) => Ended::NeverOpened,
        }
    }
}
