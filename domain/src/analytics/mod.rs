//! The numbers managers judge the follow-up by (管理看板): how orders flow, where they stall, how
//! long each stage takes against its SLA, how many convert. Plain functions over the orders a
//! device holds, so the screen works offline and the worker's weekly summary can use the same
//! definitions. Durations are in minutes; periods and deadlines are business dates (China time,
//! `calendar`). Stages are grouped by their key, so figures stay comparable when the process
//! changes around them.

mod drill;
mod heat;
mod review;
mod weekly;

pub use drill::{orders_behind, Figure};
pub use heat::{owner_by_stage, HeatCell, HeatMap, HeatRow};
pub use review::{review, Review, StageReview};
pub use weekly::{last_week, weekly_summary, WeeklySummary};

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use uuid::Uuid;

use crate::{
    calendar::{add_days, business_date},
    history::EventKind,
    order::{Order, OrderStatus},
    pipeline::{Pipeline, StageDef},
    role::Role,
    stage::{ids, StageId},
};

/// The business dates a figure covers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        let date = business_date(at);
        self.from <= date && date <= self.to
    }
}

/// Which orders and stages count (every field `None`: all of them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// The owner's user id.
    pub owner: Option<String>,
    /// The customer's company, exactly as on the order.
    pub company: Option<String>,
    /// Narrows the stage figures (times, waiting orders, bottleneck, owner × stage) to one stage.
    pub stage: Option<StageId>,
    /// Narrows the stage figures to the stages this department is responsible for.
    pub department: Option<Role>,
}

impl Filter {
    pub fn matches(&self, order: &Order) -> bool {
        self.owner
            .as_ref()
            .is_none_or(|owner| &order.owner.user_id == owner)
            && self
                .company
                .as_ref()
                .is_none_or(|company| &order.customer.company == company)
    }

    pub fn covers_stage(&self, def: &StageDef) -> bool {
        self.stage.as_ref().is_none_or(|stage| *stage == def.id)
            && self
                .department
                .is_none_or(|role| def.responsible.contains(&role))
    }

    /// The stages of `pipeline` the stage figures look at, in the pipeline's order. Order
    /// figures (flow, conversion, delivery, rework) keep using the whole pipeline.
    pub fn stages_of(&self, pipeline: &Pipeline) -> Pipeline {
        Pipeline {
            stages: pipeline
                .stages
                .iter()
                .filter(|def| self.covers_stage(def))
                .cloned()
                .collect(),
        }
    }
}

/// How long something took across many orders: the median and the slow tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spread {
    pub count: usize,
    pub p50: i64,
    pub p80: i64,
    pub p95: i64,
}

/// Nearest-rank percentiles (each is a value that occurred); `None` for no values.
pub fn spread(mut values: Vec<i64>) -> Option<Spread> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = |percent: usize| values[(values.len() * percent).div_ceil(100).max(1) - 1];
    Some(Spread {
        count: values.len(),
        p50: rank(50),
        p80: rank(80),
        p95: rank(95),
    })
}

/// `part` of `whole` in whole percent, rounded half up; `None` when there is nothing to divide.
pub fn percent(part: usize, whole: usize) -> Option<u32> {
    (whole > 0).then(|| ((part * 200 + whole) / (whole * 2)) as u32)
}

fn minutes(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_minutes().max(0)
}

/// When the order entered its first stage (its start in every flow figure).
pub fn started_at(order: &Order) -> DateTime<Utc> {
    order
        .stages
        .first()
        .map_or(order.created_at, |visit| visit.entered_at)
}

/// When a completed order was (last) completed; `None` for any other order.
pub fn completed_at(order: &Order) -> Option<DateTime<Utc>> {
    if order.status != OrderStatus::Completed {
        return None;
    }
    order
        .history
        .iter()
        .rev()
        .find(|event| matches!(event.kind, EventKind::Completed { .. }))
        .map(|event| event.at)
}

/// When a cancelled order was (last) cancelled; `None` for any other order.
pub fn cancelled_at(order: &Order) -> Option<DateTime<Utc>> {
    if !matches!(order.status, OrderStatus::Cancelled { .. }) {
        return None;
    }
    order
        .history
        .iter()
        .rev()
        .find(|event| matches!(event.kind, EventKind::Cancelled { .. }))
        .map(|event| event.at)
}

/// How finely the flow is split: weeks read well up to about half a year; a custom range of
/// years would draw hundreds of thin weekly columns, so longer periods go by month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowStep {
    Week,
    Month,
}

impl FlowStep {
    /// The longest period still shown week by week (26 weeks).
    const LONGEST_IN_WEEKS: i64 = 26 * 7;

    pub fn for_period(period: Period) -> Self {
        if (period.to - period.from).num_days() >= Self::LONGEST_IN_WEEKS {
            FlowStep::Month
        } else {
            FlowStep::Week
        }
    }

    /// The first day of the week (Monday) or month holding `date`.
    fn start_of(self, date: NaiveDate) -> NaiveDate {
        match self {
            FlowStep::Week => {
                date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
            }
            FlowStep::Month => date.with_day(1).unwrap_or(date),
        }
    }

    fn after(self, start: NaiveDate) -> NaiveDate {
        match self {
            FlowStep::Week => add_days(start, 7),
            FlowStep::Month => start
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(NaiveDate::MAX),
        }
    }
}

/// One week (Monday to Sunday) or one calendar month of flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowSlot {
    pub start: NaiveDate,
    pub started: usize,
    pub completed: usize,
    pub cancelled: usize,
}

/// Orders started, completed and cancelled per week or month (`FlowStep::for_period`), for
/// every slot that touches the period (counting only what happened inside the period).
pub fn order_flow<'a>(
    orders: impl IntoIterator<Item = &'a Order>,
    period: Period,
) -> Vec<FlowSlot> {
    let step = FlowStep::for_period(period);
    let mut slots = Vec::new();
    let mut start = step.start_of(period.from);
    while start <= period.to {
        slots.push(FlowSlot {
            start,
            started: 0,
            completed: 0,
            cancelled: 0,
        });
        start = step.after(start);
    }
    // The slot whose start is the last one on or before the date.
    let slot = |at: DateTime<Utc>| -> Option<usize> {
        let date = business_date(at);
        period
            .contains(at)
            .then(|| slots.partition_point(|slot| slot.start <= date) - 1)
    };
    let mut counted = vec![(0, 0, 0); slots.len()];
    for order in orders {
        if let Some(i) = slot(started_at(order)) {
            counted[i].0 += 1;
        }
        if let Some(i) = completed_at(order).and_then(slot) {
            counted[i].1 += 1;
        }
        if let Some(i) = cancelled_at(order).and_then(slot) {
            counted[i].2 += 1;
        }
    }
    for (slot, (started, completed, cancelled)) in slots.iter_mut().zip(counted) {
        slot.started = started;
        slot.completed = completed;
        slot.cancelled = cancelled;
    }
    slots
}

/// Cycle time of the orders completed in the period: first stage entered → completed.
pub fn cycle_time<'a>(
    orders: impl IntoIterator<Item = &'a Order>,
    period: Period,
) -> Option<Spread> {
    spread(
        orders
            .into_iter()
            .filter_map(|order| {
                let done = completed_at(order).filter(|at| period.contains(*at))?;
                Some(minutes(started_at(order), done))
            })
            .collect(),
    )
}

/// How one stage did in the period: the visits that ended in it (the order moved on, or was
/// completed or cancelled there), how long they took, and how many ended by their deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageTime {
    pub stage: StageId,
    pub sla_days: u32,
    pub spread: Option<Spread>,
    pub finished: usize,
    /// Ended on or before the visit's deadline (its own due date, else entered + SLA days).
    pub on_time: usize,
}

/// One `StageTime` per stage of the pipeline, in its order.
pub fn stage_times<'a>(
    orders: impl IntoIterator<Item = &'a Order>,
    period: Period,
    pipeline: &Pipeline,
) -> Vec<StageTime> {
    let mut durations: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    let mut on_time: BTreeMap<&str, usize> = BTreeMap::new();
    for order in orders {
        for visit in &order.stages {
            let Some(left) = visit.left_at.filter(|at| period.contains(*at)) else {
                continue;
            };
            let Some(def) = pipeline.stage(&visit.stage) else {
                continue;
            };
            durations
                .entry(def.id.as_str())
                .or_default()
                .push(minutes(visit.entered_at, left));
            let due = visit_due(visit, def);
            if business_date(left) <= due {
                *on_time.entry(def.id.as_str()).or_default() += 1;
            }
        }
    }
    pipeline
        .stages
        .iter()
        .map(|def| {
            let times = durations.remove(def.id.as_str()).unwrap_or_default();
            StageTime {
                stage: def.id.clone(),
                sla_days: def.sla_days,
                finished: times.len(),
                on_time: on_time.get(def.id.as_str()).copied().unwrap_or(0),
                spread: spread(times),
            }
        })
        .collect()
}

/// The active orders waiting in one stage now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageLoad {
    pub stage: StageId,
    /// Oldest (longest in the stage) first.
    pub orders: Vec<Uuid>,
    pub oldest_days: Option<i64>,
    /// Past their deadline today.
    pub overdue: usize,
}

/// Work in progress per stage of the pipeline, in its order.
pub fn work_in_progress<'a>(
    orders: impl IntoIterator<Item = &'a Order>,
    today: NaiveDate,
    pipeline: &Pipeline,
) -> Vec<StageLoad> {
    let mut waiting: BTreeMap<&str, Vec<&Order>> = BTreeMap::new();
    for order in orders.into_iter().filter(|order| order.is_active()) {
        waiting.entry(order.stage.as_str()).or_default().push(order);
    }
    pipeline
        .stages
        .iter()
        .map(|def| {
            let mut here = waiting.remove(def.id.as_str()).unwrap_or_default();
            here.sort_by_key(|order| (order.current_progress().entered_at, order.id));
            StageLoad {
                stage: def.id.clone(),
                oldest_days: here.first().map(|order| order.days_in_stage(today)),
                overdue: here
                    .iter()
                    .filter(|order| order.due_date(pipeline) < today)
                    .count(),
                orders: here.iter().map(|order| order.id).collect(),
            }
        })
        .collect()
}

/// The stage that holds orders longest against its SLA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bottleneck {
    pub stage: StageId,
    /// The median time orders spend there (finished visits in the period and the visits still
    /// open now, counted up to now) as a percentage of the stage's SLA.
    pub median_of_sla_percent: u32,
    /// The active orders waiting there, oldest first.
    pub orders: Vec<Uuid>,
}

/// `None` when no stage with an SLA had any order in it.
pub fn bottleneck<'a>(
    orders: impl IntoIterator<Item = &'a Order> + Clone,
    period: Period,
    now: DateTime<Utc>,
    pipeline: &Pipeline,
) -> Option<Bottleneck> {
    let mut times: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for order in orders.clone() {
        for visit in &order.stages {
            let took = match visit.left_at {
                Some(left) if period.contains(left) => minutes(visit.entered_at, left),
                Some(_) => continue,
                None if order.is_active() => minutes(visit.entered_at, now),
                None => continue,
            };
            times.entry(visit.stage.as_str()).or_default().push(took);
        }
    }
    let load = work_in_progress(orders, business_date(now), pipeline);
    pipeline
        .stages
        .iter()
        .filter(|def| def.sla_days > 0)
        .filter_map(|def| {
            let median = spread(times.remove(def.id.as_str())?)?.p50;
            let sla = i64::from(def.sla_days) * 24 * 60;
            let ratio = (median * 100 + sla / 2) / sla;
            let waiting = load.iter().find(|l| l.stage == def.id)?.orders.clone();
            Some((ratio, waiting.len(), def.id.clone(), waiting))
        })
        // The highest ratio; on a tie, the stage with more orders waiting, then the earlier one.
        .max_by(|a, b| {
            (a.0, a.1)
                .cmp(&(b.0, b.1))
                .then(std::cmp::Ordering::Greater)
        })
        .map(|(ratio, _, stage, orders)| Bottleneck {
            stage,
            median_of_sla_percent: u32::try_from(ratio).unwrap_or(u32::MAX),
            orders,
        })
}

/// 订单转化率 of the orders started in the period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conversion {
    pub started: usize,
    /// Reached 合同签订 (entered it at some point, whatever happened later).
    pub reached_contract: usize,
    pub completed: usize,
    pub cancelled: usize,
    /// Cancellation reasons as typed, most frequent first (then alphabetically).
    pub reasons: Vec<(String, usize)>,
}

/// Whether the order entered 合同签订 at some point, whatever happened later.
pub fn reached_contract(order: &Order) -> bool {
    order
        .stages
        .iter()
        .any(|visit| visit.stage.as_str() == ids::CONTRACT)
}

pub fn conversion<'a>(orders: impl IntoIterator<Item = &'a Order>, period: Period) -> Conversion {
    let mut result = Conversion::default();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for order in orders
        .into_iter()
        .filter(|order| period.contains(started_at(order)))
    {
        result.started += 1;
        if reached_contract(order) {
            result.reached_contract += 1;
        }
        match &order.status {
            OrderStatus::Completed => result.completed += 1,
            OrderStatus::Cancelled { reason } => {
                result.cancelled += 1;
                *reasons.entry(reason.trim().to_string()).or_default() += 1;
            }
            OrderStatus::Active => {}
        }
    }
    result.reasons = reasons.into_iter().collect();
    result
        .reasons
        .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    result
}

/// Shipments in the period against the delivery date promised on the order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    pub shipped: usize,
    /// Shipped on or before the promised date.
    pub on_time: usize,
    pub late: usize,
    /// Shipped, but no delivery date was ever promised: counted neither on time nor late.
    pub no_promise: usize,
}

/// How one order's shipment in the period kept its promise; `None` when it did not ship then.
pub fn delivery_outcome(order: &Order, period: Period) -> Option<Promise> {
    let shipment = order
        .shipment
        .as_ref()
        .filter(|shipment| period.contains(shipment.shipped_at))?;
    Some(match order.expected_delivery {
        None => Promise::NoneMade,
        Some(promised) if business_date(shipment.shipped_at) <= promised => Promise::Kept,
        Some(_) => Promise::Broken,
    })
}

/// A shipment against the delivery date promised on the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Promise {
    Kept,
    Broken,
    NoneMade,
}

pub fn delivery<'a>(orders: impl IntoIterator<Item = &'a Order>, period: Period) -> Delivery {
    let mut result = Delivery::default();
    for outcome in orders
        .into_iter()
        .filter_map(|order| delivery_outcome(order, period))
    {
        result.shipped += 1;
        match outcome {
            Promise::NoneMade => result.no_promise += 1,
            Promise::Kept => result.on_time += 1,
            Promise::Broken => result.late += 1,
        }
    }
    result
}

/// Backward moves (an order sent back to an earlier stage: rework) in the period.
pub fn rework<'a>(
    orders: impl IntoIterator<Item = &'a Order>,
    period: Period,
    pipeline: &Pipeline,
) -> usize {
    orders
        .into_iter()
        .map(|order| backward_moves(order, period, pipeline))
        .sum()
}

/// One order's backward moves in the period.
pub fn backward_moves(order: &Order, period: Period, pipeline: &Pipeline) -> usize {
    order
        .history
        .iter()
        .filter(|event| period.contains(event.at))
        .filter(|event| match &event.kind {
            EventKind::StageAdvanced { from, to, .. } => {
                matches!((pipeline.index_of(from), pipeline.index_of(to)), (Some(f), Some(t)) if t < f)
            }
            _ => false,
        })
        .count()
}

/// The date ranges the screen offers (custom ranges are a `Period` of their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// 本周: Monday of this week to today.
    ThisWeek,
    /// 本月: the first of this month to today.
    ThisMonth,
    /// 上月: the whole previous month.
    LastMonth,
    /// 本季度: the first day of this quarter to today.
    ThisQuarter,
}

impl Preset {
    pub const ALL: [Preset; 4] = [
        Preset::ThisWeek,
        Preset::ThisMonth,
        Preset::LastMonth,
        Preset::ThisQuarter,
    ];

    pub fn period(self, today: NaiveDate) -> Period {
        let first_of = |year: i32, month: u32| {
            NaiveDate::from_ymd_opt(year, month, 1).expect("the first of a month exists")
        };
        match self {
            Preset::ThisWeek => Period {
                from: today - Duration::days(i64::from(today.weekday().num_days_from_monday())),
                to: today,
            },
            Preset::ThisMonth => Period {
                from: first_of(today.year(), today.month()),
                to: today,
            },
            Preset::LastMonth => {
                let this_month = first_of(today.year(), today.month());
                let last_day = this_month - Duration::days(1);
                Period {
                    from: first_of(last_day.year(), last_day.month()),
                    to: last_day,
                }
            }
            Preset::ThisQuarter => Period {
                from: first_of(today.year(), (today.month() - 1) / 3 * 3 + 1),
                to: today,
            },
        }
    }

    pub fn label(self, lang: crate::Lang) -> &'static str {
        match self {
            Preset::ThisWeek => lang.pick("本周", "This week"),
            Preset::ThisMonth => lang.pick("本月", "This month"),
            Preset::LastMonth => lang.pick("上月", "Last month"),
            Preset::ThisQuarter => lang.pick("本季度", "This quarter"),
        }
    }
}

/// Everything the 分析 screen shows, computed once per period and filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    pub period: Period,
    pub flow: Vec<FlowSlot>,
    pub flow_step: FlowStep,
    pub cycle_time: Option<Spread>,
    pub stages: Vec<StageTime>,
    pub load: Vec<StageLoad>,
    pub bottleneck: Option<Bottleneck>,
    pub conversion: Conversion,
    pub delivery: Delivery,
    pub rework: usize,
    pub people: Vec<Person>,
    pub customers: CustomerFeeling,
    /// Active orders per owner and stage, for the heat map.
    pub heat: HeatMap,
}

pub fn dashboard(
    orders: &[Order],
    period: Period,
    filter: &Filter,
    now: DateTime<Utc>,
    pipeline: &Pipeline,
) -> Dashboard {
    let kept: Vec<&Order> = orders
        .iter()
        .filter(|order| filter.matches(order))
        .collect();
    let kept = || kept.iter().copied();
    let focus = filter.stages_of(pipeline);
    let today = business_date(now);
    Dashboard {
        period,
        flow: order_flow(kept(), period),
        flow_step: FlowStep::for_period(period),
        cycle_time: cycle_time(kept(), period),
        stages: stage_times(kept(), period, &focus),
        load: work_in_progress(kept(), today, &focus),
        bottleneck: bottleneck(kept(), period, now, &focus),
        conversion: conversion(kept(), period),
        delivery: delivery(kept(), period),
        rework: rework(kept(), period, pipeline),
        people: people(kept(), period, pipeline),
        customers: customer_feeling(kept(), period),
        heat: owner_by_stage(kept(), today, &focus),
    }
}

/// What someone who does not see the whole team finds in 分析 (我的业绩): the order figures of
/// the orders they own, the stage figures of the stages their roles work in (everyone's orders
/// pass through them), and their own line among the people — every stage they handled counts,
/// whoever owns the order.
pub fn own_dashboard(
    orders: &[Order],
    period: Period,
    filter: &Filter,
    now: DateTime<Utc>,
    pipeline: &Pipeline,
    me: &crate::Actor,
) -> Dashboard {
    let mine = Filter {
        owner: Some(me.user_id.clone()),
        ..filter.clone()
    };
    let mut board = dashboard(orders, period, &mine, now, pipeline);
    let everyones = Filter {
        owner: None,
        ..filter.clone()
    };
    let theirs = Pipeline {
        stages: everyones
            .stages_of(pipeline)
            .stages
            .into_iter()
            .filter(|def| def.responsible.iter().any(|role| me.has_role(*role)))
            .collect(),
    };
    let kept: Vec<&Order> = orders
        .iter()
        .filter(|order| everyones.matches(order))
        .collect();
    let kept = || kept.iter().copied();
    let today = business_date(now);
    board.stages = stage_times(kept(), period, &theirs);
    board.load = work_in_progress(kept(), today, &theirs);
    board.bottleneck = bottleneck(kept(), period, now, &theirs);
    board.heat = owner_by_stage(kept(), today, &theirs);
    board.people = people(kept(), period, pipeline)
        .into_iter()
        .filter(|person| person.user_id == me.user_id)
        .collect();
    board
}

/// One person's figures (我的业绩): the orders they own and the stage visits they handled (a
/// visit's responsible person, else whoever moved the order on from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub user_id: String,
    pub name: String,
    /// Active orders they own now.
    pub owned_active: usize,
    /// Stage visits they handled that ended in the period.
    pub handled: usize,
    /// Of those, ended by their deadline.
    pub on_time: usize,
    /// The median time those visits took, in minutes.
    pub median_minutes: Option<i64>,
    /// The customers' ratings of their orders given in the period: sum and count (the average
    /// is `rating_sum / ratings`).
    pub rating_sum: u32,
    pub ratings: usize,
    /// Open after-sales requests on the orders they own.
    pub open_requests: usize,
}

/// Every person who owns an order or handled a stage, by name (then id).
pub fn people<'a>(
    orders: impl IntoIterator<Item = &'a Order> + Clone,
    period: Period,
    pipeline: &Pipeline,
) -> Vec<Person> {
    let mut found: BTreeMap<String, (Person, Vec<i64>)> = BTreeMap::new();
    for order in orders {
        {
            let (owner, _) = person_entry(&mut found, &order.owner);
            if order.is_active() {
                owner.owned_active += 1;
            }
            owner.open_requests += order.after_sales.iter().filter(|r| r.is_open()).count();
            if let Some(feedback) = order
                .feedback
                .as_ref()
                .filter(|f| period.contains(f.given_at))
            {
                owner.rating_sum += u32::from(feedback.stars);
                owner.ratings += 1;
            }
        }
        for (index, visit) in order.stages.iter().enumerate() {
            let Some(left) = visit.left_at.filter(|at| period.contains(*at)) else {
                continue;
            };
            let Some(def) = pipeline.stage(&visit.stage) else {
                continue;
            };
            let Some(handler) = handler_of(order, index) else {
                continue;
            };
            let due = visit_due(visit, def);
            let (person, times) = person_entry(&mut found, handler);
            person.handled += 1;
            if business_date(left) <= due {
                person.on_time += 1;
            }
            times.push(minutes(visit.entered_at, left));
        }
    }
    let mut list: Vec<Person> = found
        .into_values()
        .map(|(mut person, times)| {
            person.median_minutes = spread(times).map(|s| s.p50);
            person
        })
        .collect();
    list.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.user_id.cmp(&b.user_id)));
    list
}

/// A stage visit's deadline: its own due date, else entered + the stage's SLA days.
pub fn visit_due(visit: &crate::StageProgress, def: &StageDef) -> NaiveDate {
    visit
        .due_date
        .unwrap_or_else(|| add_days(business_date(visit.entered_at), i64::from(def.sla_days)))
}

/// Who handled the order's `index`-th stage visit: the responsible person, else whoever moved
/// the order on (entered the next stage), else whoever completed or cancelled it there. `None`
/// while the visit is open and nobody is responsible.
pub fn handler_of(order: &Order, index: usize) -> Option<&crate::StaffRef> {
    let visit = order.stages.get(index)?;
    visit
        .responsible
        .as_ref()
        .or_else(|| order.stages.get(index + 1).map(|next| &next.entered_by))
        .or_else(|| {
            let left = visit.left_at?;
            order
                .history
                .iter()
                .rev()
                .find(|event| {
                    event.at == left
                        && matches!(
                            event.kind,
                            EventKind::Completed { .. } | EventKind::Cancelled { .. }
                        )
                })
                .map(|event| &event.actor)
        })
}

fn person_entry<'m>(
    found: &'m mut BTreeMap<String, (Person, Vec<i64>)>,
    staff: &crate::StaffRef,
) -> &'m mut (Person, Vec<i64>) {
    found.entry(staff.user_id.clone()).or_insert_with(|| {
        (
            Person {
                user_id: staff.user_id.clone(),
                name: staff.name.clone(),
                owned_active: 0,
                handled: 0,
                on_time: 0,
                median_minutes: None,
                rating_sum: 0,
                ratings: 0,
                open_requests: 0,
            },
            Vec::new(),
        )
    })
}

/// How customers feel, over the period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerFeeling {
    /// Ratings given in the period, by stars: `[one star, …, five stars]`.
    pub stars: [usize; 5],
    /// Orders shipped in the period (what requests are counted against).
    pub shipped: usize,
    /// After-sales requests filed in the period, by kind, in `AfterSalesKind::ALL` order.
    pub requests: Vec<(crate::AfterSalesKind, usize)>,
    /// How long the requests resolved in the period took, in minutes.
    pub time_to_resolve: Option<Spread>,
}

impl CustomerFeeling {
    pub fn ratings(&self) -> usize {
        self.stars.iter().sum()
    }

    /// The average rating in tenths of a star (43 = 4.3), rounded half up.
    pub fn average_tenths(&self) -> Option<u32> {
        let count = self.ratings();
        let sum: usize = self
            .stars
            .iter()
            .enumerate()
            .map(|(i, n)| (i + 1) * n)
            .sum();
        (count > 0).then(|| ((sum * 20 + count) / (count * 2)) as u32)
    }

    /// Requests per 100 shipped orders, rounded half up.
    pub fn requests_per_100_shipped(&self) -> Option<u32> {
        let requests: usize = self.requests.iter().map(|(_, n)| n).sum();
        percent(requests, self.shipped)
    }
}

pub fn customer_feeling<'a>(
    orders: impl IntoIterator<Item = &'a Order>,
    period: Period,
) -> CustomerFeeling {
    let mut feeling = CustomerFeeling {
        requests: crate::AfterSalesKind::ALL
            .iter()
            .map(|kind| (*kind, 0))
            .collect(),
        ..Default::default()
    };
    let mut resolve_times = Vec::new();
    for order in orders {
        if let Some(feedback) = order
            .feedback
            .as_ref()
            .filter(|f| period.contains(f.given_at))
        {
            if (1..=5).contains(&feedback.stars) {
                feeling.stars[usize::from(feedback.stars) - 1] += 1;
            }
        }
        if order
            .shipment
            .as_ref()
            .is_some_and(|s| period.contains(s.shipped_at))
        {
            feeling.shipped += 1;
        }
        for request in &order.after_sales {
            if period.contains(request.at) {
                if let Some(slot) = feeling
                    .requests
                    .iter_mut()
                    .find(|(kind, _)| *kind == request.kind)
                {
                    slot.1 += 1;
                }
            }
            if let Some(resolution) = request
                .resolution
                .as_ref()
                .filter(|r| period.contains(r.at))
            {
                resolve_times.push(minutes(request.at, resolution.at));
            }
        }
    }
    feeling.time_to_resolve = spread(resolve_times);
    feeling
}
