//! The app's live state: the board's cards of this device's orders (loaded from IndexedDB at
//! start), the one full order a detail or edit page has open, which orders have unsynced
//! changes, who is using the device, and THE way to change an order.
//!
//! Full orders (with notes and history) are NOT kept in memory: 10,000 of them took over a
//! second to read and decode. The board needs only cards; a page that needs the whole order
//! loads it by id with `open_order`.
//!
//! `commit` runs the domain rules on the order as stored, writes the mutation, the resulting
//! order and its card to IndexedDB in one transaction, and only then updates what the screen
//! shows: the UI never runs ahead of the disk. Commits are serialised so that two quick taps
//! never build on the same old order.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use chrono::Utc;
use domain::{apply, Actor, Card, Context, DomainError, Lang, Mutation, Order, Pipeline, Role};
use futures::lock::Mutex;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::storage::{request_persistence, Storage, StorageError};

/// Everything a change can fail with, as the user should read it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChangeError {
    #[error("{0}")]
    Rule(#[from] DomainError),
    #[error("{0}")]
    Storage(#[from] StorageError),
    #[error("storage is still opening")]
    NotReady,
}

impl ChangeError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            ChangeError::Rule(error) => error.message(lang),
            ChangeError::Storage(error) => error.message(lang),
            ChangeError::NotReady => match lang {
                Lang::Zh => "本机数据仍在加载，请稍候再试；刚才的修改没有保存。".into(),
                Lang::En => {
                    "Local data is still loading; try again in a moment. Nothing was saved.".into()
                }
            },
        }
    }

    /// The form field a rule error is about, to show the message next to it.
    pub fn field(&self) -> Option<&str> {
        match self {
            ChangeError::Rule(DomainError::Invalid { field, .. }) => Some(field),
            _ => None,
        }
    }
}

/// Who is using this device. Until team accounts exist this is a local profile with full
/// rights, named in settings; with accounts it becomes the signed-in user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalProfile {
    pub user_id: String,
    pub name: String,
}

impl LocalProfile {
    pub fn actor(&self) -> Actor {
        Actor::new(self.user_id.clone(), self.name.clone(), vec![Role::Admin])
    }
}

const PROFILE_SETTING: &str = "profile";

#[derive(Clone, Copy)]
pub struct AppState {
    /// The board's summary of every order on this device, by order id.
    pub cards: RwSignal<HashMap<Uuid, Card>>,
    /// The full order the detail or edit page shows, as stored: set by `open_order` and by
    /// every `commit` (after its write), so it never differs from the disk.
    pub open_order: RwSignal<Option<Order>>,
    pub unsynced: RwSignal<HashSet<Uuid>>,
    pub profile: RwSignal<LocalProfile>,
    /// `None` while opening; `Some(Err)` when the device's storage cannot be used.
    pub status: RwSignal<Option<Result<(), StorageError>>>,
    storage: StoredValue<Option<Storage>, LocalStorage>,
    write_lock: StoredValue<Rc<Mutex<()>>, LocalStorage>,
    pipeline: StoredValue<Pipeline>,
}

impl AppState {
    pub fn pipeline(&self) -> Pipeline {
        self.pipeline.get_value()
    }

    pub fn with_pipeline<R>(&self, f: impl FnOnce(&Pipeline) -> R) -> R {
        self.pipeline.with_value(f)
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
        let order = storage.get_order(id).await?;
        self.open_order.set(order.clone());
        Ok(order)
    }

    /// Applies `mutation` with the domain rules, stores it, then shows it. Returns the order.
    pub async fn commit(&self, mutation: Mutation) -> Result<Order, ChangeError> {
        let storage = self.storage.get_value().ok_or(ChangeError::NotReady)?;
        let lock = self.write_lock.get_value();
        let _guard = lock.lock().await;
        let actor = self.profile.get_untracked().actor();
        let now = Utc::now();
        let order_id = mutation.order_id();
        // Read inside the lock: the stored order is the truth, whatever a page holds.
        let current = storage.get_order(order_id).await?;
        let applied = self.pipeline.with_value(|pipeline| {
            apply(
                &Context {
                    pipeline,
                    actor: &actor,
                    now,
                },
                current.as_ref(),
                &mutation,
            )
        })?;
        storage.save_change(&mutation, now, &applied.order).await?;
        let order = applied.order;
        let card = self
            .pipeline
            .with_value(|pipeline| Card::from_order(&order, pipeline));
        self.cards.update(|cards| {
            cards.insert(order_id, card);
        });
        self.open_order.set(Some(order.clone()));
        self.unsynced.update(|ids| {
            ids.insert(order_id);
        });
        Ok(order)
    }

    pub async fn save_profile(&self, profile: LocalProfile) -> Result<(), ChangeError> {
        let storage = self.storage.get_value().ok_or(ChangeError::NotReady)?;
        storage.set_setting(PROFILE_SETTING, &profile).await?;
        self.profile.set(profile);
        Ok(())
    }
}

/// Creates the state, provides it as context and starts loading the device's data.
pub fn provide_app_state() -> AppState {
    let state = AppState {
        cards: RwSignal::new(HashMap::new()),
        open_order: RwSignal::new(None),
        unsynced: RwSignal::new(HashSet::new()),
        profile: RwSignal::new(LocalProfile {
            user_id: "local".into(),
            name: "本机用户".into(),
        }),
        status: RwSignal::new(None),
        storage: StoredValue::new_local(None),
        write_lock: StoredValue::new_local(Rc::new(Mutex::new(()))),
        pipeline: StoredValue::new(Pipeline::standard()),
    };
    provide_context(state);
    leptos::task::spawn_local(async move {
        let result = load(state).await;
        state.status.set(Some(result));
        // Best effort: a browser may refuse, and the app works either way.
        let _ = request_persistence().await;
    });
    state
}

async fn load(state: AppState) -> Result<(), StorageError> {
    let storage = Storage::open().await?;
    let device_id = storage.device_id().await?;
    let profile = match storage.get_setting::<LocalProfile>(PROFILE_SETTING).await? {
        Some(profile) => profile,
        None => {
            let profile = LocalProfile {
                user_id: format!("device-{}", &device_id.simple().to_string()[..8]),
                name: "本机用户".into(),
            };
            storage.set_setting(PROFILE_SETTING, &profile).await?;
            profile
        }
    };
    let cards = storage.load_cards().await?;
    let unsynced = storage.pending_order_ids().await?;
    state.profile.set(profile);
    state
        .cards
        .set(cards.into_iter().map(|card| (card.id, card)).collect());
    state.unsynced.set(unsynced);
    state.storage.set_value(Some(storage));
    Ok(())
}

pub fn use_app_state() -> AppState {
    expect_context::<AppState>()
}
