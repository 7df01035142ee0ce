//! 复盘 for one order: plan against what happened, stage by stage — the SLA and the deadline,
//! the time taken, who handled it, the checklist items ticked after the deadline or never —
//! and what the customer said. The order page shows it; the figures use the same rules as 分析.

use chrono::{DateTime, NaiveDate, Utc};

use super::{handler_of, minutes, visit_due};
use crate::{
    calendar::business_date, history::EventKind, order::Order, pipeline::Pipeline, staff::StaffRef,
    stage::StageId,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// Every visit, in the order they happened (a reworked stage appears once per visit).
    pub stages: Vec<StageReview>,
    pub rating: Option<u8>,
    pub requests: usize,
    pub open_requests: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageReview {
    pub stage: StageId,
    pub sla_days: u32,
    pub due: NaiveDate,
    pub entered_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
    /// Up to leaving, or up to `now` while the order is still there.
    pub took_minutes: i64,
    /// Left by the deadline; `None` while the visit is open.
    pub on_time: Option<bool>,
    pub handled_by: Option<StaffRef>,
    /// Checklist items (their labels, in the checklist's order) ticked after the deadline.
    pub ticked_late: Vec<String>,
    /// Items still unticked when the order left the stage.
    pub never_ticked: Vec<String>,
}

/// The review as of `now`, labels in `lang`. A visit to a stage the order's process no longer
/// knows is left out: there is no plan to hold it against.
pub fn review(order: &Order, pipeline: &Pipeline, now: DateTime<Utc>, lang: crate::Lang) -> Review {
    let stages = order
        .stages
        .iter()
        .enumerate()
        .filter_map(|(index, visit)| {
            let def = pipeline.stage(&visit.stage)?;
            let due = visit_due(visit, def, pipeline);
            let until = visit.left_at.unwrap_or(now);
            let label = |item: &str| {
                def.checklist
                    .iter()
                    .find(|c| c.id == item)
                    .map_or_else(|| item.to_string(), |c| c.label.get(lang).to_string())
            };
            let mut ticked_late: Vec<&str> = order
                .history
                .iter()
                .filter(|event| event.at >= visit.entered_at && event.at <= until)
                .filter(|event| business_date(event.at) > due)
                .filter_map(|event| match &event.kind {
                    EventKind::ChecklistItemSet {
                        stage,
                        item,
                        done: true,
                    } if *stage == visit.stage => Some(item.as_str()),
                    _ => None,
                })
                .collect();
            crate::sorting::sort_by_key(&mut ticked_late, |item| {
                def.checklist.iter().position(|c| c.id == *item)
            });
            ticked_late.dedup();
            let never_ticked = match visit.left_at {
                None => Vec::new(),
                Some(_) => def
                    .checklist
                    .iter()
                    .filter(|item| !visit.checklist.get(&item.id).copied().unwrap_or(false))
                    .map(|item| item.label.get(lang).to_string())
                    .collect(),
            };
            Some(StageReview {
                stage: visit.stage.clone(),
                sla_days: def.sla_days,
                due,
                entered_at: visit.entered_at,
                left_at: visit.left_at,
                took_minutes: minutes(visit.entered_at, until),
                on_time: visit.left_at.map(|left| business_date(left) <= due),
                handled_by: handler_of(order, index).cloned(),
                ticked_late: ticked_late.into_iter().map(label).collect(),
                never_ticked,
            })
        })
        .collect();
    Review {
        stages,
        rating: order.feedback.as_ref().map(|f| f.stars),
        requests: order.after_sales.len(),
        open_requests: order.after_sales.iter().filter(|r| r.is_open()).count(),
    }
}
