//! The app's live state: the board's cards of this device's orders (loaded from IndexedDB at
//! start), the one full order a detail or edit page has open, which orders have unsynced
//! changes, who is signed in on the device, and THE way to change an order.
//!
//! Full orders (with notes and history) are NOT kept in memory: 10,000 of them took over a
//! second to read and decode. The board needs only cards; a page that needs the whole order
//! loads it by id with `open_order`.
//!
//! `commit` runs the domain rules on the order as stored, writes the mutation, the resulting
//! order and its card to IndexedDB in one transaction, and only then updates what the screen
//! shows: the UI never runs ahead of the disk. Commits are serialised so that two quick taps
//! never build on the same old order.

mod describe;
pub mod form_drafts;
mod live;
mod order_forms;
mod pull;
mod sync;
pub mod unsent;
mod uploads;

pub use order_forms::{DraftBox, OrderPageDraft, TypedField};
pub use pull::PullGesture;

pub use sync::{SyncError, SyncStatus};
pub use uploads::UploadStatus;

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use chrono::{DateTime, Utc};
use domain::permission::{self, Action};
use domain::{
    apply, today, Actor, Card, Context, DomainError, Lang, Mutation, Order, Pipeline, Processes,
    Rejection, Today,
};
use futures::channel::mpsc::UnboundedSender;
use futures::lock::Mutex;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::{self, SignedIn, User};
use crate::i18n::td_string;
use crate::locale::locale_of;
use crate::storage::{request_persistence, Storage, StorageError, DB_NAME};

/// Everything a change can fail with, as the user should read it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChangeError {
    #[error("{0}")]
    Rule(#[from] DomainError),
    #[error("{0}")]
    Storage(#[from] StorageError),
    #[error("storage is still opening")]
    NotReady,
    #[error("not signed in")]
    SignedOut,
}

impl ChangeError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            ChangeError::Rule(error) => error.message(lang),
            ChangeError::Storage(error) => error.message(lang),
            ChangeError::NotReady => td_string!(locale_of(lang), change_not_ready).to_string(),
            ChangeError::SignedOut => td_string!(locale_of(lang), change_signed_out).to_string(),
        }
    }

    /// The form field a rule error is about, to show the message next to it.
    pub fn field(&self) -> Option<&str> {
        match self {
            ChangeError::Rule(error) => error.field(),
            _ => None,
        }
    }
}

/// The signed-in team member, kept in IndexedDB so that after one sign-in the app opens with
/// its local data and accepts work with no network at all. The token only matters for talking
/// to the server; an expired or revoked token never locks the person out of their own device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
    /// The password was chosen by an admin: the app shows only `/password` until it is replaced.
    /// Kept with the session so that closing the app does not skip it.
    #[serde(default)]
    pub must_change_password: bool,
}

impl Session {
    pub fn actor(&self) -> Actor {
        Actor::new(
            self.user.id.clone(),
            self.user.name.clone(),
            self.user.roles.clone(),
        )
    }

    pub fn has_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }
}

/// Whose unsynced changes this device holds: they can only ever be sent in that person's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct DataOwner {
    user_id: String,
    name: String,
}

const SESSION_SETTING: &str = "session";
const DATA_OWNER_SETTING: &str = "data_owner";

/// Why a sign-in that the server accepted cannot take over this device.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SignInError {
    #[error("{count} unsynced changes of {name}")]
    OthersUnsyncedChanges { name: String, count: usize },
    #[error("{0}")]
    Storage(#[from] StorageError),
    #[error("storage is still opening")]
    NotReady,
}

impl SignInError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (SignInError::OthersUnsyncedChanges { name, count }, Lang::Zh) => format!(
                "这台设备上还有 {name} 的 {count} 条未同步修改。请让 {name} 登录完成同步，或清除本机数据后再登录。"
            ),
            (SignInError::OthersUnsyncedChanges { name, count }, Lang::En) => format!(
                "This device holds {count} unsynced changes of {name}. Let {name} sign in to sync them, or wipe this device's data first."
            ),
            (SignInError::Storage(error), lang) => error.message(lang),
            (SignInError::NotReady, lang) => ChangeError::NotReady.message(lang),
        }
    }
}

#[derive(Clone, Copy)]
pub struct AppState {
    /// The board's summary of every order on this device, by order id.
    pub cards: RwSignal<HashMap<Uuid, Card>>,
    /// The full order the detail or edit page shows, as stored: set by `open_order` and by
    /// every `commit` (after its write), so it never differs from the disk.
    pub open_order: RwSignal<Option<Order>>,
    pub unsynced: RwSignal<HashSet<Uuid>>,
    /// `None` until someone signs in on this device.
    pub session: RwSignal<Option<Session>>,
    /// The server refused the session (expired, revoked, account disabled): local work goes
    /// on, syncing waits for a new sign-in.
    pub session_rejected: RwSignal<bool>,
    /// The server says the account was disabled: the device's data must go (see
    /// `components::account_disabled`).
    pub account_disabled: RwSignal<bool>,
    /// `None` while opening; `Some(Err)` when the device's storage cannot be used.
    pub status: RwSignal<Option<Result<(), StorageError>>>,
    pub sync: RwSignal<SyncStatus>,
    /// Changes the server refused, kept until the person dismisses them.
    pub rejections: RwSignal<Vec<Rejection>>,
    /// Hashes of the files added on this device not uploaded yet (the "未上传" marker).
    pub waiting_files: RwSignal<HashSet<String>>,
    pub uploads: RwSignal<UploadStatus>,
    /// Per file: failed tries and when (ms since the epoch) it may be tried again.
    upload_failures: StoredValue<HashMap<String, (u32, f64)>, LocalStorage>,
    sync_wake: StoredValue<Option<UnboundedSender<()>>, LocalStorage>,
    live_wake: StoredValue<Option<UnboundedSender<()>>, LocalStorage>,
    storage: StoredValue<Option<Storage>, LocalStorage>,
    write_lock: StoredValue<Rc<Mutex<()>>, LocalStorage>,
    /// The process versions this device knows; each order is shown and changed by its own.
    processes: StoredValue<Processes>,
    /// Holiday calendars received since start. A page showing a deadline of a full order tracks
    /// it: the order itself does not change when the calendar moves its deadline.
    pub calendar_changes: RwSignal<u32>,
    /// The board's search, filters and tab: kept while the person opens an order and comes back
    /// (the board's page is rebuilt each time it is shown).
    pub board_filter: RwSignal<domain::BoardFilter>,
    pub board_tab: RwSignal<usize>,
}

impl AppState {
    /// The current process (what new orders start on, the board's columns).
    pub fn pipeline(&self) -> Pipeline {
        self.processes.with_value(|p| p.current_pipeline().clone())
    }

    pub fn with_pipeline<R>(&self, f: impl FnOnce(&Pipeline) -> R) -> R {
        self.processes.with_value(|p| f(p.current_pipeline()))
    }

    /// The board's stages: the current process, then stages only older versions have (their
    /// orders must stay visible), and how many of them are current.
    pub fn with_board_pipeline<R>(&self, f: impl FnOnce(&Pipeline, usize) -> R) -> R {
        self.processes
            .with_value(|p| f(p.board_pipeline(), p.current_pipeline().stages.len()))
    }

    /// Runs `f` on the pipeline `order` runs on (its own process version).
    pub fn with_pipeline_of<R>(&self, order: &Order, f: impl FnOnce(&Pipeline) -> R) -> R {
        self.processes.with_value(|p| f(p.for_order(order)))
    }

    /// The pipeline `order` runs on (its own process version).
    pub fn pipeline_of(&self, order: &Order) -> Pipeline {
        self.processes.with_value(|p| p.for_order(order).clone())
    }

    pub fn processes(&self) -> Processes {
        self.processes.get_value()
    }

    fn is_ready_untracked(&self) -> bool {
        matches!(self.status.get_untracked(), Some(Ok(())))
    }

    pub fn is_ready(&self) -> bool {
        matches!(self.status.get(), Some(Ok(())))
    }

    /// Loads order `id` from the device into `open_order` and returns it (`None`: not on this
    /// device). Runs under the write lock, so it never reads an order older than one a commit
    /// has already shown.
    pub async fn open_order(&self, id: Uuid) -> Result<Option<Order>, ChangeError> {
        let storage = self.storage.get_value().ok_or(ChangeError::NotReady)?;
        let lock = self.write_lock.get_value();
        let _guard = lock.lock().await;
        let _other_tabs = crate::storage::tab_lock::acquire().await;
        let order = storage.get_order(id).await?;
        self.open_order.set(order.clone());
        Ok(order)
    }

    /// Every change waiting on this device to be sent, in queue order.
    pub async fn pending_changes(&self) -> Result<Vec<domain::PendingMutation>, StorageError> {
        match self.storage.get_value() {
            Some(storage) => storage.pending().await,
            None => Ok(Vec::new()),
        }
    }

    /// Reads order `id` from the device without opening it (a new order copying the customer
    /// details of an earlier one).
    pub async fn read_order(&self, id: Uuid) -> Result<Option<Order>, ChangeError> {
        let storage = self.storage.get_value().ok_or(ChangeError::NotReady)?;
        Ok(storage.get_order(id).await?)
    }

    /// Applies `mutation` with the domain rules, stores it, then shows it. Returns the order.
    pub async fn commit(&self, mutation: Mutation) -> Result<Order, ChangeError> {
        self.commit_with_files(mutation, Vec::new()).await
    }

    /// `commit` of a change that names files (an attachment): their bytes are written in the
    /// change's own transaction, so the attachment is never shown without them.
    pub async fn commit_with_files(
        &self,
        mutation: Mutation,
        files: Vec<crate::storage::files::LocalFile>,
    ) -> Result<Order, ChangeError> {
        let storage = self.storage.get_value().ok_or(ChangeError::NotReady)?;
        let lock = self.write_lock.get_value();
        let _guard = lock.lock().await;
        let _other_tabs = crate::storage::tab_lock::acquire().await;
        let actor = self.actor_untracked().ok_or(ChangeError::SignedOut)?;
        let now = Utc::now();
        let order_id = mutation.order_id();
        // Read inside the lock: the stored order is the truth, whatever a page holds.
        let current = storage.get_order(order_id).await?;
        let applied = self.processes.with_value(|processes| {
            apply(
                &Context {
                    processes,
                    actor: &actor,
                    now,
                },
                current.as_ref(),
                &mutation,
            )
        })?;
        // Numbers are unique per company; the server renumbers collisions between phones, and
        // this device refuses to make one itself (the message goes next to the number field).
        let sets_number = match &mutation {
            Mutation::CreateOrder { .. } => true,
            Mutation::EditFields { changes, .. } => changes.number.is_some(),
            _ => false,
        };
        if sets_number {
            let number = applied.order.number.as_str();
            if let Some(other) = storage.order_by_number(number).await? {
                if other.id != order_id {
                    return Err(ChangeError::Rule(DomainError::invalid(
                        "number",
                        format!(
                            "订单号 {number} 已被本机的另一张订单（{}）使用",
                            other.customer.company
                        ),
                        format!(
                            "Order number {number} is already used by another order here ({})",
                            other.customer.company
                        ),
                    )));
                }
            }
        }
        let pipeline = self.pipeline_of(&applied.order);
        storage
            .save_change_with_files(&mutation, now, &applied.order, &pipeline, &files)
            .await?;
        if !files.is_empty() {
            self.waiting_files.update(|waiting| {
                waiting.extend(files.iter().map(|file| file.sha256.clone()));
            });
        }
        let order = applied.order;
        let card = self
            .processes
            .with_value(|processes| Card::from_order(&order, processes.for_order(&order)));
        self.cards.update(|cards| {
            cards.insert(order_id, card);
        });
        self.open_order.set(Some(order.clone()));
        self.unsynced.update(|ids| {
            ids.insert(order_id);
        });
        self.request_sync();
        Ok(order)
    }

    /// Runs `f` on the 今天 list of the signed-in person (tracked: cards and session), built
    /// from the cards on the device for today's business date. `None` when nobody is signed
    /// in. The list borrows the cards, so `f` copies out what it needs.
    pub fn with_today<R>(&self, f: impl FnOnce(&Today<'_>) -> R) -> Option<R> {
        let actor = self.actor()?;
        let date = crate::format::today();
        Some(self.cards.with(|cards| {
            self.processes.with_value(|processes| {
                f(&today(
                    cards.values(),
                    &actor,
                    processes.board_pipeline(),
                    date,
                ))
            })
        }))
    }

    /// A device setting (`Storage::get_setting`); `None` when never saved or storage is not
    /// open yet.
    pub async fn setting<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StorageError> {
        match self.storage.get_value() {
            Some(storage) => storage.get_setting(key).await,
            None => Ok(None),
        }
    }

    pub async fn save_setting<T: Serialize>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), ChangeError> {
        let storage = self.storage.get_value().ok_or(ChangeError::NotReady)?;
        Ok(storage.set_setting(key, value).await?)
    }

    /// May the signed-in person take `action`? (Tracked: re-asks when the session changes.)
    pub fn may(&self, order: Option<&Order>, action: Action<'_>) -> bool {
        self.permission(order, action).is_ok()
    }

    /// What a change does, in words ("备注：…", "勾选清单项「核查库存」"), for refusals and
    /// waiting changes, in the team's current process's names.
    pub fn describe_mutation(&self, mutation: &domain::Mutation, lang: domain::Lang) -> String {
        self.with_pipeline(|pipeline| describe::mutation(mutation, pipeline, lang))
    }

    /// A refusal, as the person should read it: who/why (the server's message) and what it held.
    pub fn describe_rejection(
        &self,
        rejection: &domain::Rejection,
        lang: domain::Lang,
    ) -> (String, String) {
        (
            rejection.message(lang).to_string(),
            self.describe_mutation(&rejection.mutation, lang),
        )
    }

    /// `Ok`, or the rulebook's explanation of who may take `action` (tracked).
    pub fn permission(&self, order: Option<&Order>, action: Action<'_>) -> Result<(), ChangeError> {
        let actor = self.actor().ok_or(ChangeError::SignedOut)?;
        self.processes
            .with_value(|processes| {
                let pipeline =
                    order.map_or(processes.current_pipeline(), |o| processes.for_order(o));
                permission::check(&actor, order, pipeline, action)
            })
            .map_err(ChangeError::Rule)
    }

    /// Who acts on this device (tracked).
    pub fn actor(&self) -> Option<Actor> {
        self.session
            .with(|session| session.as_ref().map(Session::actor))
    }

    /// Whether an admin is signed in on this device (tracked): what the desk screens ask
    /// before offering to edit.
    pub fn is_admin(&self) -> bool {
        self.session.with(|session| {
            session
                .as_ref()
                .is_some_and(|session| session.user.roles.contains(&domain::Role::Admin))
        })
    }

    pub fn actor_untracked(&self) -> Option<Actor> {
        self.session
            .with_untracked(|session| session.as_ref().map(Session::actor))
    }

    /// Takes over the device for the person the server just signed in, unless the device holds
    /// someone else's unsynced changes (they could only be sent in the wrong name).
    pub async fn sign_in(&self, signed_in: SignedIn) -> Result<(), SignInError> {
        let storage = self.storage.get_value().ok_or(SignInError::NotReady)?;
        let owner = storage.get_setting::<DataOwner>(DATA_OWNER_SETTING).await?;
        if let Some(owner) = owner.filter(|owner| owner.user_id != signed_in.user.id) {
            let count = storage.pending().await?.len();
            if count > 0 {
                return Err(SignInError::OthersUnsyncedChanges {
                    name: owner.name,
                    count,
                });
            }
            // The server binds a device id to its first user: another person gets a new one.
            storage.reset_device().await?;
            self.rejections.set(Vec::new());
            form_drafts::forget_all_drafts();
        }
        let session = Session {
            token: signed_in.token,
            expires_at: signed_in.expires_at,
            user: signed_in.user,
            must_change_password: signed_in.must_change_password,
        };
        let owner = DataOwner {
            user_id: session.user.id.clone(),
            name: session.user.name.clone(),
        };
        storage.set_setting(DATA_OWNER_SETTING, &owner).await?;
        storage
            .set_setting(SESSION_SETTING, &Some(session.clone()))
            .await?;
        self.session_rejected.set(false);
        self.session.set(Some(session));
        self.request_sync();
        Ok(())
    }

    /// Signs out on this device (and on the server when it can be reached: the token stops
    /// working everywhere). The data stays, so the same person finds their unsynced work again.
    pub async fn sign_out(&self) -> Result<(), SignInError> {
        let storage = self.storage.get_value().ok_or(SignInError::NotReady)?;
        if let Some(session) = self.session.get_untracked() {
            // Best effort: offline, the token simply expires on its own.
            let _ = api::logout(&session.token).await;
        }
        storage
            .set_setting(SESSION_SETTING, &None::<Session>)
            .await?;
        self.session.set(None);
        Ok(())
    }

    /// Signs out and deletes everything this device stored (orders, unsynced changes, settings),
    /// for shared phones. The page must be reloaded afterwards.
    pub async fn sign_out_and_wipe(&self) -> Result<(), SignInError> {
        if let Some(session) = self.session.get_untracked() {
            let _ = api::logout(&session.token).await;
        }
        // Dropping our handle closes the connection, so the delete is not blocked by it.
        self.storage.set_value(None);
        self.status.set(None);
        Storage::delete_database(DB_NAME).await?;
        form_drafts::forget_all_drafts();
        self.session.set(None);
        Ok(())
    }

    /// Asks the server who this session is, so a role an admin changed reaches the device on its
    /// next start. Offline nothing happens; a refused token marks the session for a new sign-in
    /// (the local work stays).
    pub async fn refresh_session(&self) {
        let Some(session) = self.session.get_untracked() else {
            return;
        };
        match api::me(&session.token).await {
            Ok(user) if user != session.user => {
                let session = Session { user, ..session };
                if let Some(storage) = self.storage.get_value() {
                    let _ = storage
                        .set_setting(SESSION_SETTING, &Some(session.clone()))
                        .await;
                }
                self.session.set(Some(session));
            }
            Ok(_) => {}
            Err(problem) if problem.is_account_disabled() => self.account_disabled.set(true),
            Err(problem) if problem.is_unauthorized() => self.session_refused(&session.token),
            Err(_) => {}
        }
    }

    /// A request sent with `token` came back unauthorized: the session needs a new sign-in —
    /// unless this device has signed in anew since (a password change replaces the session, and
    /// a sync still in flight with the old token is refused; that refusal says nothing about the
    /// new session, and taking it for one stopped the new member's sync for good).
    pub fn session_refused(&self, token: &str) {
        let current = self
            .session
            .with_untracked(|session| session.as_ref().is_some_and(|s| s.token == token));
        if current {
            self.session_rejected.set(true);
        }
    }

    /// The session needs a new sign-in before anything can be synced (tracked).
    pub fn needs_sign_in(&self) -> bool {
        self.session_rejected.get()
            || self
                .session
                .with(|session| session.as_ref().is_some_and(|s| s.has_expired(Utc::now())))
    }

    /// Every order on this device, in full (the board reads only cards; analysis needs the
    /// stage visits and history).
    pub async fn load_orders(&self) -> Result<Vec<Order>, StorageError> {
        match self.storage.get_value() {
            Some(storage) => storage.load_orders().await,
            None => Ok(Vec::new()),
        }
    }

    /// Every order's facts (what 分析 needs), read instead of the orders themselves.
    pub async fn load_facts(&self) -> Result<Vec<domain::analytics::OrderFacts>, StorageError> {
        match self.storage.get_value() {
            Some(storage) => storage.load_facts().await,
            None => Ok(Vec::new()),
        }
    }

    /// How many changes wait on this device to be sent.
    pub async fn pending_count(&self) -> Result<usize, StorageError> {
        match self.storage.get_value() {
            Some(storage) => Ok(storage.pending().await?.len()),
            None => Ok(0),
        }
    }
}

/// Creates the state, provides it as context and starts loading the device's data.
pub fn provide_app_state() -> AppState {
    let state = AppState {
        cards: RwSignal::new(HashMap::new()),
        open_order: RwSignal::new(None),
        unsynced: RwSignal::new(HashSet::new()),
        session: RwSignal::new(None),
        session_rejected: RwSignal::new(false),
        account_disabled: RwSignal::new(false),
        status: RwSignal::new(None),
        sync: RwSignal::new(SyncStatus::default()),
        rejections: RwSignal::new(Vec::new()),
        waiting_files: RwSignal::new(HashSet::new()),
        uploads: RwSignal::new(UploadStatus::default()),
        upload_failures: StoredValue::new_local(HashMap::new()),
        sync_wake: StoredValue::new_local(None),
        live_wake: StoredValue::new_local(None),
        storage: StoredValue::new_local(None),
        write_lock: StoredValue::new_local(Rc::new(Mutex::new(()))),
        processes: StoredValue::new(Processes::standard()),
        calendar_changes: RwSignal::new(0),
        board_filter: RwSignal::new(domain::BoardFilter::default()),
        board_tab: RwSignal::new(0),
    };
    provide_context(state);
    leptos::task::spawn_local(async move {
        let result = load(state).await;
        let loaded = result.is_ok();
        state.status.set(Some(result));
        state.refresh_session().await;
        if loaded {
            state.start_sync();
            state.start_live();
        }
        // Best effort: a browser may refuse, and the app works either way.
        let _ = request_persistence().await;
    });
    state
}

async fn load(state: AppState) -> Result<(), StorageError> {
    let storage = Storage::open().await?;
    // Created on first start: the sync protocol numbers this installation's changes by it.
    storage.device_id().await?;
    let session = storage
        .get_setting::<Option<Session>>(SESSION_SETTING)
        .await?
        .flatten();
    let cards = storage.load_cards().await?;
    state.processes.set_value(storage.processes().await?);
    let unsynced = storage.pending_order_ids().await?;
    let rejections = storage.rejections().await?;
    state.rejections.set(rejections);
    state.session.set(session);
    state
        .cards
        .set(cards.into_iter().map(|card| (card.id, card)).collect());
    state.unsynced.set(unsynced);
    // The upload queue survives reloads: it is the files store's `waiting` index.
    state
        .waiting_files
        .set(storage.waiting_files().await?.into_iter().collect());
    state.storage.set_value(Some(storage));
    Ok(())
}

pub fn use_app_state() -> AppState {
    expect_context::<AppState>()
}
