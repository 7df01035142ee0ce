//! The Monday summary for the managers' group robot (周报): last week's flow and delivery, how
//! customers rated it, and where orders are stuck now — the same definitions as the 分析 screen,
//! so the robot and the phone never disagree.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::{bottleneck, conversion, customer_feeling, delivery, percent, Bottleneck, Period};
use crate::{
    calendar::business_date,
    order::{DeadlineState, Order},
    process_version::Processes,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklySummary {
    /// Monday to Sunday of the week before `today`'s.
    pub period: Period,
    pub started: usize,
    pub completed: usize,
    pub cancelled: usize,
    /// Shipped by the promised date, of the shipments with a promise, in percent.
    pub on_time_percent: Option<u32>,
    /// The average rating given last week in tenths of a star, and how many ratings.
    pub average_rating_tenths: Option<u32>,
    pub ratings: usize,
    /// Active orders whose current stage is past its deadline today.
    pub overdue_now: usize,
    pub bottleneck: Option<Bottleneck>,
}

/// The whole week (Monday to Sunday) before the week of `today`.
pub fn last_week(today: NaiveDate) -> Period {
    let this_monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    Period {
        from: this_monday - Duration::days(7),
        to: this_monday - Duration::days(1),
    }
}

/// Last week's summary as of `now`. Stage figures are grouped by stage key over the board's
/// stages (current ones first), deadlines read each order's own process version.
pub fn weekly_summary(
    orders: &[Order],
    now: DateTime<Utc>,
    processes: &Processes,
) -> WeeklySummary {
    let today = business_date(now);
    let period = last_week(today);
    let flow = conversion(orders, period);
    let shipped = delivery(orders, period);
    let feeling = customer_feeling(orders, period);
    let count = |at: fn(&Order) -> Option<DateTime<Utc>>| {
        orders
            .iter()
            .filter(|order| at(order).is_some_and(|at| period.contains(at)))
            .count()
    };
    WeeklySummary {
        period,
        started: flow.started,
        completed: count(super::completed_at),
        cancelled: count(super::cancelled_at),
        on_time_percent: percent(shipped.on_time, shipped.on_time + shipped.late),
        average_rating_tenths: feeling.average_tenths(),
        ratings: feeling.ratings(),
        overdue_now: orders
            .iter()
            .filter(|order| order.is_active())
            .filter(|order| {
                matches!(
                    order.deadline_state(processes.for_order(order), today),
                    DeadlineState::Overdue { .. }
                )
            })
            .count(),
        bottleneck: bottleneck(orders, period, now, processes.board_pipeline()),
    }
}
