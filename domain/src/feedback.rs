//! What customers tell the team about an order: a satisfaction rating and after-sales requests.
//!
//! Customers have no account. The worker acts for them (after checking a signed share link or
//! the order number + phone digits) with `Actor::customer`, and only it may build that actor:
//! team members can never rate or file requests in a customer's name, and a customer can do
//! nothing else. The requests then travel like any other change: they are in the order's
//! document and history, so the team's phones get them with the next sync.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::i18n::Lang;
use crate::staff::StaffRef;

pub use crate::staff::CUSTOMER_ACTOR_ID;
pub const FEEDBACK_EDIT_DAYS: i64 = 7;
pub const MAX_OPEN_REQUESTS: usize = 10;
pub const COMMENT_MAX: usize = 500;
pub const DESCRIPTION_MAX: usize = 1000;
pub const CONTACT_MAX: usize = 100;

/// The customer's rating of the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    pub stars: u8,
    /// Empty when the customer only gave stars.
    pub comment: String,
    pub given_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
}

impl Feedback {
    /// Until when the customer may still change it.
    pub fn editable_until(&self) -> DateTime<Utc> {
        self.given_at + Duration::days(FEEDBACK_EDIT_DAYS)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterSalesKind {
    /// Defect, damage, does not work.
    Quality,
    /// Short or wrong delivery.
    Delivery,
    Installation,
    Return,
    Invoice,
    Other,
}

impl AfterSalesKind {
    pub const ALL: [AfterSalesKind; 6] = [
        AfterSalesKind::Quality,
        AfterSalesKind::Delivery,
        AfterSalesKind::Installation,
        AfterSalesKind::Return,
        AfterSalesKind::Invoice,
        AfterSalesKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AfterSalesKind::Quality => "quality",
            AfterSalesKind::Delivery => "delivery",
            AfterSalesKind::Installation => "installation",
            AfterSalesKind::Return => "return",
            AfterSalesKind::Invoice => "invoice",
            AfterSalesKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<AfterSalesKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            AfterSalesKind::Quality => lang.pick("质量问题", "Quality problem"),
            AfterSalesKind::Delivery => lang.pick("少发/错发", "Missing or wrong goods"),
            AfterSalesKind::Installation => lang.pick("安装调试", "Installation"),
            AfterSalesKind::Return => lang.pick("退换货", "Return or exchange"),
            AfterSalesKind::Invoice => lang.pick("发票问题", "Invoice"),
            AfterSalesKind::Other => lang.pick("其他", "Other"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AfterSalesRequest {
    pub id: Uuid,
    pub kind: AfterSalesKind,
    pub description: String,
    pub contact: String,
    pub at: DateTime<Utc>,
    pub resolution: Option<Resolution>,
}

impl AfterSalesRequest {
    pub fn is_open(&self) -> bool {
        self.resolution.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub by: StaffRef,
    pub at: DateTime<Utc>,
    /// Empty when none was given.
    pub note: String,
}
