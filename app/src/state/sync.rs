//! The sync loop: one sync at a time, woken after each local change (debounced), when the
//! browser comes online or the app comes to the foreground, and every minute while open;
//! exponential backoff with jitter after a failure.
//!
//! A sync pushes the queue in pages (each mutation exactly once: the server skips seqs it has
//! decided), then pulls until nothing is left, storing each page with the mutations it retires
//! in one IndexedDB transaction (`Storage::apply_pull_page`) under the write lock, so a tap in
//! the middle of a sync is never overwritten.

use chrono::{DateTime, Utc};
use domain::{Lang, PendingMutation, PushRequest, DEFAULT_PULL_LIMIT, MAX_PUSH_MUTATIONS};
use futures::channel::mpsc::{unbounded, UnboundedReceiver};
use futures::future::{select, Either};
use futures::StreamExt;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use super::AppState;
use crate::api::{self, ApiError};
use crate::storage::StorageError;

/// A push stays well under the worker's 1 MiB body limit.
const MAX_PUSH_BYTES: usize = 900 * 1024;
const IDLE_MS: f64 = 60_000.0;
const MAX_BACKOFF_MS: f64 = 5.0 * 60_000.0;
/// Lets a burst of taps become one sync.
const DEBOUNCE_MS: f64 = 400.0;

/// What the top bar shows about syncing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncStatus {
    pub running: bool,
    /// Orders received in the current sync (progress of a large first pull).
    pub received: usize,
    pub last_synced: Option<DateTime<Utc>>,
    /// Why the last attempt failed (it is retried by itself).
    pub problem: Option<SyncError>,
    /// Syncs in a row that failed (0 after a good one).
    pub failed_in_a_row: u32,
    /// The first change of the push that failed last, while pushing fails: what is waiting.
    pub waiting: Option<PendingMutation>,
    /// The live channel is open: a colleague's change arrives within a second, not a minute.
    pub live: bool,
}

/// Failed syncs in a row after which the waiting change is named to the person.
pub const NAME_WAITING_AFTER_FAILURES: u32 = 2;
/// …or how long a change may wait, while pushing fails, before it is named.
pub const NAME_WAITING_AFTER_MINUTES: i64 = 10;

impl SyncStatus {
    /// The change that has been waiting unusually long to sync, if any: pushing keeps failing and
    /// it is the first in line ("这条修改一直未能同步"). The server refuses a change it cannot save
    /// after a few pushes, so this is the state in between, or of a server that is down.
    pub fn long_waiting(&self, now: DateTime<Utc>) -> Option<&PendingMutation> {
        let waiting = self.waiting.as_ref()?;
        self.problem.as_ref()?;
        let old =
            now - waiting.device_time >= chrono::Duration::minutes(NAME_WAITING_AFTER_MINUTES);
        (self.failed_in_a_row >= NAME_WAITING_AFTER_FAILURES || old).then_some(waiting)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("{0}")]
    Storage(#[from] StorageError),
    /// The server is missing changes this device already considers sent: never guess.
    #[error("seq gap")]
    SeqGap,
    #[error("not signed in")]
    SignedOut,
}

impl SyncError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (SyncError::Api(error), lang) => error.message(lang),
            (SyncError::Storage(error), lang) => error.message(lang),
            (SyncError::SeqGap, Lang::Zh) => {
                "服务器缺少本机之前发送的修改，已暂停同步；本机数据保留。\
                可在 设置 → 未同步的修改 导出后交给管理员。"
                    .into()
            }
            (SyncError::SeqGap, Lang::En) => "The server is missing changes this device sent \
                earlier; syncing is paused and nothing is deleted here. Export them under \
                Settings → Unsynced changes and give the file to your admin."
                .into(),
            (SyncError::SignedOut, Lang::Zh) => "请重新登录后同步".into(),
            (SyncError::SignedOut, Lang::En) => "Sign in again to sync".into(),
        }
    }
}

pub(super) async fn sleep(ms: f64) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ =
                window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// 2 s, 4 s, 8 s … up to 5 minutes, each ±50 % so that phones do not retry in step.
pub(super) fn backoff_ms(failures: u32) -> f64 {
    let base = (2_000.0 * 2f64.powi(failures.saturating_sub(1).min(10) as i32)).min(MAX_BACKOFF_MS);
    base * (0.5 + js_sys::Math::random())
}

pub(super) fn is_online() -> bool {
    web_sys::window().is_none_or(|window| window.navigator().on_line())
}

impl AppState {
    /// The device's storage, once it is open.
    fn open_storage(&self) -> Result<crate::storage::Storage, SyncError> {
        self.storage
            .get_value()
            .ok_or(SyncError::Storage(StorageError::Unavailable(
                "storage is not open".into(),
            )))
    }

    /// Asks for a sync soon (after the debounce); cheap to call after every change.
    pub fn request_sync(&self) {
        self.sync_wake.with_value(|wake| {
            if let Some(wake) = wake {
                let _ = wake.unbounded_send(());
            }
        });
        // A sign-in or a tap is also the moment to reconnect a live channel that is down.
        if !self.sync.with_untracked(|status| status.live) {
            self.wake_live();
        }
    }

    /// Forgets a refusal the person has read.
    pub async fn dismiss_rejection(&self, seq: u64) -> Result<(), StorageError> {
        let Some(storage) = self.storage.get_value() else {
            return Ok(());
        };
        let rest = storage.dismiss_rejection(seq).await?;
        self.rejections.set(rest);
        Ok(())
    }

    /// Starts the loop (once, after the device's data has loaded) and the browser triggers.
    pub(super) fn start_sync(self) {
        let (wake, wakes) = unbounded::<()>();
        self.sync_wake.set_value(Some(wake));
        for event in ["online", "focus"] {
            let on_event = Closure::<dyn FnMut()>::new(move || self.request_sync());
            if let Some(window) = web_sys::window() {
                let _ = window
                    .add_event_listener_with_callback(event, on_event.as_ref().unchecked_ref());
            }
            // The app lives as long as the page.
            on_event.forget();
        }
        leptos::task::spawn_local(self.run_sync_loop(wakes));
        self.request_sync();
    }

    async fn run_sync_loop(self, mut wakes: UnboundedReceiver<()>) {
        let mut failures = 0u32;
        loop {
            let wait = if failures == 0 {
                IDLE_MS
            } else {
                backoff_ms(failures)
            };
            // The wake channel closed: the app is shutting this loop down.
            if let Either::Left((None, _)) = select(wakes.next(), Box::pin(sleep(wait))).await {
                return;
            }
            sleep(DEBOUNCE_MS).await;
            while wakes.try_recv().is_ok() {}
            if !is_online()
                || self.session_rejected.get_untracked()
                || self.account_disabled.get_untracked()
            {
                continue;
            }
            if self.session.with_untracked(Option::is_none) || !self.is_ready_untracked() {
                continue;
            }
            self.sync.update(|status| {
                status.running = true;
                status.received = 0;
            });
            let token = self
                .session
                .with_untracked(|session| session.as_ref().map(|s| s.token.clone()));
            let outcome = self.sync_once().await;
            if let Err(SyncError::Api(error)) = &outcome {
                if error.is_account_disabled() {
                    self.account_disabled.set(true);
                } else if error.is_unauthorized() {
                    self.session_refused(token.as_deref().unwrap_or_default());
                }
            }
            failures = if outcome.is_ok() { 0 } else { failures + 1 };
            self.sync.update(|status| {
                status.running = false;
                status.failed_in_a_row = failures;
                match outcome {
                    Ok(()) => {
                        status.last_synced = Some(Utc::now());
                        status.problem = None;
                    }
                    Err(problem) => status.problem = Some(problem),
                }
            });
        }
    }

    async fn sync_once(&self) -> Result<(), SyncError> {
        let storage = self.open_storage()?;
        let token = self
            .session
            .with_untracked(|session| session.as_ref().map(|s| s.token.clone()))
            .ok_or(SyncError::SignedOut)?;
        let device_id = storage.device_id().await?;

        let pushed = self.push_queue(&storage, &token, device_id).await;
        if let Err(SyncError::SeqGap | SyncError::SignedOut) = pushed {
            return pushed;
        }
        // A failed push never keeps this phone from receiving everyone else's changes.
        let pulled = self.pull_all(&token, device_id).await;
        // Files follow their attachments: the server takes only bytes an attachment it holds
        // names, so they go after the push that carried the attachment.
        if pushed.is_ok() {
            self.upload_waiting(&storage, &token).await;
        }
        pushed.and(pulled)
    }

    /// Push: everything queued, in pages, from the first seq the server has not decided. While a
    /// push fails, its first change is what the status names as waiting.
    async fn push_queue(
        &self,
        storage: &crate::storage::Storage,
        token: &str,
        device_id: uuid::Uuid,
    ) -> Result<(), SyncError> {
        let mut decided = 0u64;
        loop {
            let batch = push_batch(storage.pending().await?, decided);
            let Some(last) = batch.last().map(|p| p.seq) else {
                break;
            };
            let first = batch[0].clone();
            let request = PushRequest {
                device_id,
                mutations: batch,
            };
            let answer = api::sync_push(token, &request).await;
            self.sync.update(|status| {
                status.waiting = answer.is_err().then_some(first);
            });
            match answer {
                Ok(answer) => {
                    if answer.last_seq <= decided {
                        // No progress: leave it to the next round rather than spin.
                        break;
                    }
                    decided = answer.last_seq;
                    if answer.last_seq < last {
                        break;
                    }
                }
                Err(ApiError::Server { code, .. }) if code == "seq_gap" => {
                    return Err(SyncError::SeqGap)
                }
                Err(ApiError::Server { code, .. }) if code == "device_not_yours" => {
                    // Another person used this installation before: start a new identity, the
                    // queue renumbered under it, and try again on the next round.
                    storage.reset_device().await?;
                    return Err(SyncError::Api(ApiError::Network));
                }
                Err(error) => return Err(error.into()),
            }
        }
        self.sync.update(|status| status.waiting = None);
        Ok(())
    }

    /// Pull until the server has nothing more for this device.
    async fn pull_all(&self, token: &str, device_id: uuid::Uuid) -> Result<(), SyncError> {
        let storage = self.open_storage()?;
        loop {
            let (cursor, rejections_after) = storage.sync_cursors().await?;
            let calendar_after = storage
                .holiday_calendar()
                .await?
                .map_or(0, |calendar| calendar.version);
            let page = api::sync_pull(
                token,
                device_id,
                cursor,
                rejections_after,
                DEFAULT_PULL_LIMIT,
                // The newest version this device holds: the answer brings every newer one.
                self.processes.with_value(|p| p.current_number()),
                // The calendar's version this device holds: the answer brings a newer one.
                calendar_after,
            )
            .await?;
            let more = page.more || page.more_rejections;
            self.store_pulled(&page).await?;
            if !more {
                return Ok(());
            }
        }
    }

    /// Stores a pulled page under the write lock, then shows what changed.
    async fn store_pulled(&self, page: &domain::PullResponse) -> Result<(), SyncError> {
        let storage = self.open_storage()?;
        let actor = self.actor_untracked().ok_or(SyncError::SignedOut)?;
        let processes = self.processes();
        let lock = self.write_lock.get_value();
        let _guard = lock.lock().await;
        let _other_tabs = crate::storage::tab_lock::acquire().await;
        let pulled = storage.apply_pull_page(page, &processes, &actor).await?;
        if !page.process_versions.is_empty() || page.calendar.is_some() {
            // Stored with the page; from now on new orders start on the newest version, and
            // deadlines count on the newest calendar.
            let more = processes.with_more_versions(&page.process_versions);
            self.processes.set_value(match &page.calendar {
                Some(calendar) => more.with_calendar(calendar.work_calendar()),
                None => more,
            });
        }
        let open = self
            .open_order
            .with_untracked(|open| open.as_ref().map(|order| order.id));
        let touched_open = open.filter(|id| {
            pulled.removed.contains(id) || pulled.cards.iter().any(|card| card.id == *id)
        });
        self.cards.update(|cards| {
            for id in &pulled.removed {
                cards.remove(id);
            }
            for card in pulled.cards {
                cards.insert(card.id, card);
            }
        });
        if page.calendar.is_some() {
            self.calendar_changes.update(|changes| *changes += 1);
        }
        self.unsynced.set(pulled.unsynced);
        self.rejections.set(pulled.rejections);
        if let Some(id) = touched_open {
            self.open_order.set(storage.get_order(id).await?);
        }
        self.sync
            .update(|status| status.received += page.orders.len());
        Ok(())
    }
}

/// The next page to push: pending mutations after `decided`, at most `MAX_PUSH_MUTATIONS`
/// and `MAX_PUSH_BYTES` of JSON (always at least one, whatever its size: the worker answers a
/// too-large one with a clear error rather than the queue stalling silently).
fn push_batch(pending: Vec<PendingMutation>, decided: u64) -> Vec<PendingMutation> {
    let mut bytes = 0;
    let mut batch = Vec::new();
    for mutation in pending.into_iter().filter(|p| p.seq > decided) {
        let size = serde_json::to_string(&mutation).map_or(0, |json| json.len());
        if !batch.is_empty() && (batch.len() >= MAX_PUSH_MUTATIONS || bytes + size > MAX_PUSH_BYTES)
        {
            break;
        }
        bytes += size;
        batch.push(mutation);
    }
    batch
}
