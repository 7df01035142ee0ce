//! The "今天" (today) list: what a person should look at first in the morning. Built from the
//! cards on the device, so it works offline, and shared with anything that counts the same
//! things (the navigation badge, notifications).

use chrono::NaiveDate;

use super::Card;
use crate::{Actor, DeadlineState, Pipeline, Role};

/// How far ahead "this week" looks, today excluded: the next six days.
pub const WEEK_DAYS: i64 = 7;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Today<'a> {
    /// Current stages past their due date, the latest first.
    pub overdue: Vec<&'a Card>,
    pub due_today: Vec<&'a Card>,
    /// Due in the next six days, soonest first.
    pub this_week: Vec<&'a Card>,
    /// Orders with customer after-sales requests nobody has resolved, least recently changed
    /// first.
    pub after_sales: Vec<&'a Card>,
    /// Orders on which someone asked one of the person's departments to record something
    /// (请他处理), least recently changed first.
    pub asked: Vec<&'a Card>,
    /// The person's own orders whose customer lookups the server locked today: the customer
    /// needs the link.
    pub lookup_locked: Vec<&'a Card>,
}

impl Today<'_> {
    /// The number on the navigation badge: what needs action today (overdue, due today,
    /// waiting customers). Orders due later this week are not urgent yet.
    pub fn badge(&self) -> usize {
        self.overdue.len()
            + self.due_today.len()
            + self.after_sales.len()
            + self.asked.len()
            + self.lookup_locked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.badge() == 0 && self.this_week.is_empty()
    }
}

/// Whose after-sales requests does `actor` answer? The order's owner, customer service, and
/// admins (someone must see every waiting customer).
fn answers_after_sales(card: &Card, actor: &Actor) -> bool {
    card.owner_id == actor.user_id || actor.has_any_role(&[Role::Service, Role::Admin])
}

pub fn today<'a>(
    cards: impl IntoIterator<Item = &'a Card>,
    actor: &Actor,
    pipeline: &Pipeline,
    today: NaiveDate,
) -> Today<'a> {
    let mut list = Today::default();
    for card in cards {
        if card.lookup_locked_on == Some(today) && card.owner_id == actor.user_id {
            list.lookup_locked.push(card);
        }
        if !card.is_active() && card.after_sales_open == 0 {
            continue;
        }
        if !card.asks_for(actor).is_empty() {
            list.asked.push(card);
        }
        if card.after_sales_open > 0 && answers_after_sales(card, actor) {
            list.after_sales.push(card);
        }
        if !card.is_active() {
            continue;
        }
        let mine = card.is_for(actor, pipeline);
        // A manager chases what is late, whoever's it is: their 今天 was empty while the team
        // had overdue orders. What is due later stays with those doing it.
        let chased = actor.has_role(Role::Manager);
        match card.deadline_state(today) {
            DeadlineState::Overdue { .. } if mine || chased => list.overdue.push(card),
            DeadlineState::DueToday if mine => list.due_today.push(card),
            _ if mine && (card.due - today).num_days() < WEEK_DAYS => list.this_week.push(card),
            _ => {}
        }
    }
    crate::sorting::sort_by_key(&mut list.overdue, |c| {
        (c.due, c.number.as_str().to_string())
    });
    crate::sorting::sort_by_key(&mut list.due_today, |c| c.number.as_str().to_string());
    crate::sorting::sort_by_key(&mut list.this_week, |c| {
        (c.due, c.number.as_str().to_string())
    });
    crate::sorting::sort_by_key(&mut list.after_sales, |c| c.updated_at);
    crate::sorting::sort_by_key(&mut list.asked, |c| c.updated_at);
    crate::sorting::sort_by_key(&mut list.lookup_locked, |c| c.number.as_str().to_string());
    list
}
