//! What 分析 needs of one order, and nothing else (`OrderFacts`): its stage visits with their
//! deadlines and who handled them, when it started, completed or was cancelled, its shipment
//! against the promise, the customer's rating and after-sales requests, its backward moves, and
//! the number and company a drill-down list shows. Derived from the order and the pipeline it
//! is judged by (`OrderFacts::of`), so every figure reads a few plain numbers instead of the
//! order's history; the device keeps them next to the order (written in the same transaction),
//! and 分析 opens from them alone: a tenth of the bytes of the orders.
//!
//! Times are milliseconds since the epoch (every clock that stamps orders, the browser's and the
//! worker's, gives milliseconds); dates are business days (`Day`). The device stores them
//! packed (`packed.rs`); their JSON form, with one-letter field names, is what it stored
//! before (schema v8).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{handler_of, visit_due, Period};
use crate::{
    calendar::business_date,
    feedback::AfterSalesKind,
    history::EventKind,
    order::{Order, OrderStatus},
    pipeline::Pipeline,
    staff::StaffRef,
    stage::{ids, StageId},
};

/// Milliseconds since the Unix epoch.
pub type Ms = i64;

/// A business date as a day number (`NaiveDate::num_days_from_ce`): comparing two is comparing
/// the dates.
pub type Day = i32;

const MS_PER_MINUTE: i64 = 60_000;
const MS_PER_DAY: i64 = 86_400_000;
/// China time is UTC+8 all year (`calendar::business_date`).
const BUSINESS_OFFSET_MS: i64 = 8 * 3_600_000;
/// 1970-01-01 as a `Day`.
const EPOCH_DAY: i64 = 719_163;

pub fn ms(at: DateTime<Utc>) -> Ms {
    at.timestamp_millis()
}

/// The business date of `at`, as `business_date` gives it.
pub fn day_of(at: Ms) -> Day {
    ((at + BUSINESS_OFFSET_MS).div_euclid(MS_PER_DAY) + EPOCH_DAY) as Day
}

pub fn day(date: NaiveDate) -> Day {
    date.num_days_from_ce()
}

/// Whole minutes from `from` to `to`, never negative (as `Duration::num_minutes`).
pub fn minutes_between(from: Ms, to: Ms) -> i64 {
    ((to - from) / MS_PER_MINUTE).max(0)
}

/// A `Period` as day numbers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: Day,
    pub to: Day,
    /// The first millisecond of `from` and the first after `to` (China time): `holds` is asked
    /// of every visit, and two comparisons are cheaper than a division.
    starts: Ms,
    ends: Ms,
}

/// The first millisecond of business day `day`.
pub fn start_of_day(day: Day) -> Ms {
    (i64::from(day) - EPOCH_DAY) * MS_PER_DAY - BUSINESS_OFFSET_MS
}

impl Span {
    pub fn of(period: Period) -> Self {
        let (from, to) = (day(period.from), day(period.to));
        Span {
            from,
            to,
            starts: start_of_day(from),
            ends: start_of_day(to) + MS_PER_DAY,
        }
    }

    /// Whether `at` falls on one of the span's business days.
    pub fn holds(&self, at: Ms) -> bool {
        self.starts <= at && at < self.ends
    }

    pub fn holds_some(&self, at: Option<Ms>) -> bool {
        at.is_some_and(|at| self.holds(at))
    }
}

/// One stage visit. Stored as an array `[stage, entered, left, due, handler]`: visits are most
/// of the bytes, and field names would be a third of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "VisitRow", into = "VisitRow")]
pub struct VisitFacts {
    pub stage: StageId,
    pub entered: Ms,
    /// `None` while the order is still there.
    pub left: Option<Ms>,
    /// The visit's deadline (`analytics::visit_due`; the entry date for a stage the pipeline
    /// does not know, as `Order::due_date`).
    pub due: Day,
    /// Who handled it (`analytics::handler_of`), as an index into `OrderFacts::staff`.
    pub handler: Option<u16>,
}

type VisitRow = (StageId, Ms, Option<Ms>, Day, Option<u16>);

impl From<VisitRow> for VisitFacts {
    fn from((stage, entered, left, due, handler): VisitRow) -> Self {
        VisitFacts {
            stage,
            entered,
            left,
            due,
            handler,
        }
    }
}

impl From<VisitFacts> for VisitRow {
    fn from(visit: VisitFacts) -> Self {
        (
            visit.stage,
            visit.entered,
            visit.left,
            visit.due,
            visit.handler,
        )
    }
}

/// `OrderFacts::staff` stored as `[[user id, name], …]`.
mod staff_rows {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::staff::StaffRef;

    pub fn serialize<S: Serializer>(staff: &[StaffRef], to: S) -> Result<S::Ok, S::Error> {
        let rows: Vec<(&str, &str)> = staff
            .iter()
            .map(|person| (person.user_id.as_str(), person.name.as_str()))
            .collect();
        rows.serialize(to)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Vec<StaffRef>, D::Error> {
        let rows: Vec<(String, String)> = Vec::deserialize(from)?;
        Ok(rows
            .into_iter()
            .map(|(user_id, name)| StaffRef { user_id, name })
            .collect())
    }
}

/// One after-sales request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestFacts {
    #[serde(rename = "k")]
    pub kind: AfterSalesKind,
    #[serde(rename = "a")]
    pub at: Ms,
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<Ms>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFacts {
    #[serde(rename = "i")]
    pub id: Uuid,
    #[serde(rename = "n")]
    pub number: String,
    #[serde(rename = "c")]
    pub company: String,
    /// The owner first, then everyone else a visit names as its handler.
    #[serde(rename = "p", with = "staff_rows")]
    pub staff: Vec<StaffRef>,
    #[serde(rename = "o")]
    pub status: OrderStatus,
    /// When the first stage was entered (`analytics::started_at`).
    #[serde(rename = "t")]
    pub started: Ms,
    /// `analytics::completed_at` and `cancelled_at`.
    #[serde(rename = "f", default, skip_serializing_if = "Option::is_none")]
    pub completed: Option<Ms>,
    #[serde(rename = "x", default, skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<Ms>,
    /// In the order they happened; the last is the current stage.
    #[serde(rename = "v")]
    pub visits: Vec<VisitFacts>,
    #[serde(rename = "y", default, skip_serializing_if = "Option::is_none")]
    pub shipped: Option<Ms>,
    /// The delivery date promised on the order.
    #[serde(rename = "w", default, skip_serializing_if = "Option::is_none")]
    pub promised: Option<Day>,
    /// The customer's stars and when they were given.
    #[serde(rename = "g", default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<(u8, Ms)>,
    #[serde(rename = "q", default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<RequestFacts>,
    /// When the order was sent back to an earlier stage (`analytics::backward_moves`).
    #[serde(rename = "b", default, skip_serializing_if = "Vec::is_empty")]
    pub reworked: Vec<Ms>,
}

impl OrderFacts {
    /// The facts of `order` judged by `pipeline` (its own process version's).
    pub fn of(order: &Order, pipeline: &Pipeline) -> OrderFacts {
        let mut staff = vec![order.owner.clone()];
        let visits = order
            .stages
            .iter()
            .enumerate()
            .map(|(index, visit)| {
                let handler = handler_of(order, index).map(|person| {
                    let at = staff
                        .iter()
                        .position(|known| known.user_id == person.user_id)
                        .unwrap_or_else(|| {
                            staff.push(person.clone());
                            staff.len() - 1
                        });
                    u16::try_from(at).unwrap_or(u16::MAX)
                });
                let due = match pipeline.stage(&visit.stage) {
                    Some(def) => visit_due(visit, def, pipeline),
                    None => visit
                        .due_date
                        .unwrap_or_else(|| business_date(visit.entered_at)),
                };
                VisitFacts {
                    stage: visit.stage.clone(),
                    entered: ms(visit.entered_at),
                    left: visit.left_at.map(ms),
                    due: day(due),
                    handler,
                }
            })
            .collect();
        OrderFacts {
            id: order.id,
            number: order.number.to_string(),
            company: order.customer.company.clone(),
            staff,
            status: order.status.clone(),
            started: ms(super::started_at(order)),
            completed: super::completed_at(order).map(ms),
            cancelled: super::cancelled_at(order).map(ms),
            visits,
            shipped: order.shipment.as_ref().map(|s| ms(s.shipped_at)),
            promised: order.expected_delivery.map(day),
            rating: order.feedback.as_ref().map(|f| (f.stars, ms(f.given_at))),
            requests: order
                .after_sales
                .iter()
                .map(|request| RequestFacts {
                    kind: request.kind,
                    at: ms(request.at),
                    resolved: request.resolution.as_ref().map(|r| ms(r.at)),
                })
                .collect(),
            reworked: order
                .history
                .iter()
                .filter(|event| match &event.kind {
                    EventKind::StageAdvanced { from, to, .. } => matches!(
                        (pipeline.index_of(from), pipeline.index_of(to)),
                        (Some(f), Some(t)) if t < f
                    ),
                    _ => false,
                })
                .map(|event| ms(event.at))
                .collect(),
        }
    }

    pub fn owner(&self) -> &StaffRef {
        &self.staff[0]
    }

    pub fn is_active(&self) -> bool {
        self.status == OrderStatus::Active
    }

    /// The visit of the current stage.
    pub fn current(&self) -> Option<&VisitFacts> {
        self.visits.last()
    }

    pub fn handler(&self, visit: &VisitFacts) -> Option<&StaffRef> {
        visit.handler.and_then(|at| self.staff.get(usize::from(at)))
    }

    /// Whether the order entered 合同签订 at some point, whatever happened later.
    pub fn reached_contract(&self) -> bool {
        self.visits
            .iter()
            .any(|visit| visit.stage.as_str() == ids::CONTRACT)
    }
}

/// The facts of each order, judged by `pipeline`.
pub fn facts_of<'a>(
    orders: impl IntoIterator<Item = &'a Order>,
    pipeline: &Pipeline,
) -> Vec<OrderFacts> {
    orders
        .into_iter()
        .map(|order| OrderFacts::of(order, pipeline))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(ms).unwrap()
    }

    #[test]
    fn china_midnight_starts_the_next_business_day() {
        // 2026-12-06 23:59:59.999 and 2026-12-07 00:00 China time (16:00 UTC the day before).
        let midnight = ms(Utc.with_ymd_and_hms(2026, 12, 6, 16, 0, 0).unwrap());
        assert_eq!(
            day_of(midnight - 1),
            day(NaiveDate::from_ymd_opt(2026, 12, 6).unwrap())
        );
        assert_eq!(
            day_of(midnight),
            day(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap())
        );
    }

    proptest! {
        #[test]
        fn business_days_and_minutes_agree_with_the_calendar(
            from in -2_000_000_000_000i64..5_000_000_000_000,
            length in -10_000_000_000i64..10_000_000_000,
        ) {
            let to = from + length;
            prop_assert_eq!(day_of(from), day(business_date(at(from))));
            let date = business_date(at(from));
            let span = Span::of(Period { from: date, to: date + chrono::Duration::days(length.rem_euclid(3)) });
            prop_assert_eq!(span.holds(to), span.from <= day_of(to) && day_of(to) <= span.to);
            prop_assert_eq!(start_of_day(day_of(from)) <= from, true);
            prop_assert_eq!(day_of(start_of_day(day_of(from))), day_of(from));
            prop_assert_eq!(
                minutes_between(from, to),
                (at(to) - at(from)).num_minutes().max(0)
            );
        }
    }
}
