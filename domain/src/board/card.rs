//! `Card`: the compact summary of an order that the board shows, searches and filters on.
//!
//! Why it exists: a full `Order` carries its notes and its whole audit history (about 3.5 KB of
//! JSON on average, more than half of it history), and the board needs none of that. Reading
//! and decoding 10,000 full orders to open the board took over a second on a phone-class
//! machine; the cards are ~250 bytes each. The app stores a card next to every order, written
//! in the same transaction, so the board can open from cards alone.
//!
//! A card is derived data: `Card::from_order(order, pipeline)` is the only way to make one, and
//! every value it holds is what the order's own methods answer (`due_date`, `checklist_done`,
//! `total`, …). Nothing the board does not read is in it: every byte is read 10,000 times. Two values depend on the pipeline definition (the effective due date when no
//! date was set, and the checklist total): if the pipeline's SLA days or checklists ever change,
//! stored cards must be rebuilt from their orders (the app does this in a schema upgrade step).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::calendar::business_date;
use crate::{
    Actor, DeadlineState, ExitRequirement, Money, Order, OrderNumber, OrderStatus, Pipeline, Role,
    StaffRef, StageId,
};

/// Whether the order is still being worked on. The cancellation reason stays on the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardStatus {
    Active,
    Completed,
    Cancelled,
}

impl From<&OrderStatus> for CardStatus {
    fn from(status: &OrderStatus) -> Self {
        match status {
            OrderStatus::Active => CardStatus::Active,
            OrderStatus::Completed => CardStatus::Completed,
            OrderStatus::Cancelled { .. } => CardStatus::Cancelled,
        }
    }
}

/// Everything the board shows about an order and everything its search and filters read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub id: Uuid,
    pub number: OrderNumber,
    pub company: String,
    pub contact: String,
    pub phone: String,
    /// Product names of the line items, in order (searched).
    pub products: Vec<String>,
    /// `Order::total()`, in fen.
    pub total: Money,
    pub owner_id: String,
    pub owner_name: String,
    pub stage: StageId,
    /// The person named responsible for the current stage, if anyone is (else its departments
    /// and the owner are, see `is_for`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible: Option<StaffRef>,
    /// When the order entered its current stage (days-in-stage on the card).
    pub entered_stage_at: DateTime<Utc>,
    /// `Order::due_date(pipeline)`: the current stage's date, set or from its SLA.
    pub due: NaiveDate,
    /// `Order::checklist_done(pipeline)`: ticked items and items of the current stage.
    pub checklist_done: u32,
    pub checklist_total: u32,
    pub status: CardStatus,
    /// Closed orders are listed most recently changed first.
    pub updated_at: DateTime<Utc>,
    /// Customer after-sales requests nobody has resolved yet (a marker on the card).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub after_sales_open: u32,
    /// The customer's rating, 1–5 stars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    /// Records someone asked a department for and still missing (`Order::open_help_asks`):
    /// the order is in that department's 今天. Absent on cards stored before asks existed,
    /// which is right: no order had any then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub help_asked: Vec<ExitRequirement>,
    /// `Order::lookup_locked_on`: the owner's 今天 says so on that day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup_locked_on: Option<NaiveDate>,
}

impl Card {
    pub fn from_order(order: &Order, pipeline: &Pipeline) -> Card {
        let (done, total) = order.checklist_done(pipeline);
        Card {
            id: order.id,
            number: order.number.clone(),
            company: order.customer.company.clone(),
            contact: order.customer.contact.clone(),
            phone: order.customer.phone.clone(),
            products: order
                .items
                .iter()
                .map(|item| item.product.clone())
                .collect(),
            total: order.total(),
            owner_id: order.owner.user_id.clone(),
            owner_name: order.owner.name.clone(),
            stage: order.stage.clone(),
            responsible: order.current_progress().responsible.clone(),
            entered_stage_at: order.current_progress().entered_at,
            due: order.due_date(pipeline),
            checklist_done: u32::try_from(done).unwrap_or(u32::MAX),
            checklist_total: u32::try_from(total).unwrap_or(u32::MAX),
            status: CardStatus::from(&order.status),
            updated_at: order.updated_at,
            after_sales_open: u32::try_from(order.open_after_sales()).unwrap_or(u32::MAX),
            rating: order.feedback.as_ref().map(|f| f.stars),
            help_asked: order
                .open_help_asks()
                .into_iter()
                .map(|(need, _)| need)
                .collect(),
            lookup_locked_on: order.lookup_locked_on(),
        }
    }

    pub fn is_active(&self) -> bool {
        self.status == CardStatus::Active
    }

    pub fn is_closed(&self) -> bool {
        !self.is_active()
    }

    /// Same answer as `Order::stage_person`, by name.
    pub fn stage_person_name(&self) -> &str {
        self.responsible
            .as_ref()
            .map_or(self.owner_name.as_str(), |person| person.name.as_str())
    }

    /// Is the current stage `actor`'s to push? The person named responsible for it; when nobody
    /// is named, the order's owner and the people whose department runs the stage. Where sales
    /// runs a stage, that means the order's own seller (its owner), not every sales person: a
    /// seller's 今天 must not fill up with colleagues' customers. An admin's escape-hatch rights
    /// do not make every stage theirs either.
    pub fn is_for(&self, actor: &Actor, pipeline: &Pipeline) -> bool {
        match &self.responsible {
            Some(person) => person.user_id == actor.user_id,
            None => {
                self.owner_id == actor.user_id
                    || pipeline.stage(&self.stage).is_some_and(|def| {
                        def.responsible
                            .iter()
                            .any(|r| *r != Role::Sales && actor.has_role(*r))
                    })
            }
        }
    }

    /// The asked-for records `actor`'s departments keep (an admin answers only for their own
    /// departments here: the ask names a department, not the escape hatch).
    pub fn asks_for(&self, actor: &Actor) -> Vec<ExitRequirement> {
        if !self.is_active() {
            return Vec::new();
        }
        self.help_asked
            .iter()
            .copied()
            .filter(|need| actor.has_role(need.department()))
            .collect()
    }

    /// Same answer as `Order::days_in_stage`.
    pub fn days_in_stage(&self, today: NaiveDate) -> i64 {
        (today - business_date(self.entered_stage_at)).num_days()
    }

    /// Same answer as `Order::deadline_state`. `today` is the business-calendar date.
    pub fn deadline_state(&self, today: NaiveDate) -> DeadlineState {
        if !self.is_active() {
            return DeadlineState::NotApplicable;
        }
        match (self.due - today).num_days() {
            d if d < 0 => DeadlineState::Overdue { days: -d },
            0 => DeadlineState::DueToday,
            1 => DeadlineState::DueSoon,
            _ => DeadlineState::OnTrack,
        }
    }

    /// Does this card match the search text? Order number, customer company, contact, phone
    /// and product names, case-insensitively; phone digits match regardless of spaces or dashes.
    pub fn matches_query(&self, query: &str) -> bool {
        let query = query.trim().to_lowercase();
        if query.is_empty() {
            return true;
        }
        let contains = |text: &str| text.to_lowercase().contains(&query);
        let query_digits: String = query.chars().filter(char::is_ascii_digit).collect();
        // Only a query made of digits (spaces and dashes allowed) is a phone search, so "32S"
        // does not match every phone containing 32.
        let is_phone_query = query_digits.len() >= 3
            && query_digits.len()
                == query
                    .chars()
                    .filter(|c| !c.is_whitespace() && *c != '-')
                    .count();
        contains(self.number.as_str())
            || contains(&self.company)
            || contains(&self.contact)
            || (is_phone_query && {
                let phone_digits: String =
                    self.phone.chars().filter(char::is_ascii_digit).collect();
                phone_digits.contains(&query_digits)
            })
            || self.products.iter().any(|product| contains(product))
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
