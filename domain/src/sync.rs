//! Wire types of the push/pull protocol (see DESIGN.md). Mutations are numbered per device,
//! gap-free, so the server can apply each exactly once however often a push is retried.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::DomainError;
use crate::i18n::Lang;
use crate::mutation::Mutation;
use crate::order::Order;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingMutation {
    pub seq: u64,
    pub mutation: Mutation,
    /// When the user acted, by the phone's clock: shown to people, never trusted for rules.
    pub device_time: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    pub device_id: Uuid,
    pub mutations: Vec<PendingMutation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Highest seq of this device the server has processed (applied or rejected).
    pub last_seq: u64,
    pub rejected: Vec<Rejection>,
}

/// A mutation the server refused, kept whole so the user can see and re-enter what they typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub seq: u64,
    pub code: String,
    pub message: String,
    pub mutation: Mutation,
}

impl Rejection {
    pub fn new(seq: u64, error: &DomainError, lang: Lang, mutation: Mutation) -> Self {
        Rejection {
            seq,
            code: error.code().to_string(),
            message: error.message(lang),
            mutation,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub device_id: Uuid,
    pub cursor: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    pub orders: Vec<Order>,
    pub tombstones: Vec<Uuid>,
    pub cursor: u64,
    /// More pages wait behind `cursor`; pull again before relying on the data being complete.
    pub more: bool,
    pub last_seq: u64,
    pub rejections: Vec<Rejection>,
}
