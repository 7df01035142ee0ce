//! The numbers managers judge the follow-up by (管理看板): how orders flow, where they stall, how
//! long each stage takes against its SLA, how many convert. Plain functions over the orders a
//! device holds, so the screen works offline and the worker's weekly summary can use the same
//! definitions. Durations are in minutes; periods and deadlines are business dates (China time,
//! `calendar`). Stages are grouped by their key, so figures stay comparable when the process
//! changes around them.

mod drill;
mod facts;
mod heat;
mod packed;
mod review;
mod weekly;

pub use drill::{orders_behind, orders_behind_of, Figure};
pub use facts::{facts_of, OrderFacts, RequestFacts, VisitFacts};
pub use heat::{owner_by_stage, HeatCell, HeatMap, HeatRow};
pub use packed::{pack_facts, unpack_facts, UnpackError};
pub use review::{review, Review, StageReview};
pub use weekly::{last_week, weekly_summary, WeeklySummary};

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use uuid::Uuid;

use crate::{
    calendar::{add_days, business_date},
    history::EventKind,
    order::{Order, OrderStatus},
    pipeline::{Pipeline, StageDef},
    role::Role,
    staff::StaffRef,
    stage::{ids, StageId},
};
use facts::{minutes_between, Day, Ms, Span};

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

    /// `matches` for an order's facts.
    pub fn keeps(&self, order: &OrderFacts) -> bool {
        self.owner
            .as_ref()
            .is_none_or(|owner| &order.owner().user_id == owner)
            && self
                .company
                .as_ref()
                .is_none_or(|company| &order.company == company)
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
            calendar: pipeline.calendar.clone(),
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
    let (i50, i80, i95) = (rank(&values, 50), rank(&values, 80), rank(&values, 95));
    // Order statistics without a full sort (分析 takes tens of thousands of visits): p95 in
    // place first, then p80 among the values before it, then p50 among those before p80.
    let (below_95, p95, _) = values.select_nth_unstable(i95);
    let p95 = *p95;
    let p80 = if i80 < i95 {
        *below_95.select_nth_unstable(i80).1
    } else {
        p95
    };
    let p50 = if i50 < i80 {
        *below_95[..i80].select_nth_unstable(i50).1
    } else {
        p80
    };
    Some(Spread {
        count: values.len(),
        p50,
        p80,
        p95,
    })
}

/// The median (nearest rank, as `Spread::p50`) alone; `None` for no values.
pub fn median(mut values: Vec<i64>) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let i50 = rank(&values, 50);
    Some(*values.select_nth_unstable(i50).1)
}

/// Where the nearest-rank `percent` percentile sits among `values` once sorted.
fn rank(values: &[i64], percent: usize) -> usize {
    (values.len() * percent).div_ceil(100).max(1) - 1
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
    with_facts(orders, &Pipeline::standard(), |kept| flow_of(kept, period))
}

fn flow_of(kept: &[&OrderFacts], period: Period) -> Vec<FlowSlot> {
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
    let span = Span::of(period);
    let starts: Vec<Day> = slots.iter().map(|slot| facts::day(slot.start)).collect();
    // The slot whose start is the last one on or before the date.
    let slot = |at: Ms| -> Option<usize> {
        span.holds(at)
            .then(|| starts.partition_point(|start| *start <= facts::day_of(at)) - 1)
    };
    for order in kept {
        if let Some(i) = slot(order.started) {
            slots[i].started += 1;
        }
        if let Some(i) = order.completed.and_then(slot) {
            slots[i].completed += 1;
        }
        if let Some(i) = order.cancelled.and_then(slot) {
            slots[i].cancelled += 1;
        }
    }
    slots
}

/// Cycle time of the orders completed in the period: first stage entered → completed.
pub fn cycle_time<'a>(
    orders: impl IntoIterator<Item = &'a Order>,
    period: Period,
) -> Option<Spread> {
    with_facts(orders, &Pipeline::standard(), |kept| {
        cycle_time_of(kept, Span::of(period))
    })
}

fn cycle_time_of(kept: &[&OrderFacts], span: Span) -> Option<Spread> {
    spread(
        kept.iter()
            .filter_map(|order| {
                let done = order.completed.filter(|at| span.holds(*at))?;
                Some(minutes_between(order.started, done))
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

/// Where a stage key sits in `pipeline` (a handful of stages: a linear look-up beats hashing).
fn slot_of(pipeline: &Pipeline, stage: &StageId) -> Option<usize> {
    pipeline
        .stages
        .iter()
        .position(|def| def.id.as_str() == stage.as_str())
}

/// `slot_of` for the visit after one in slot `previous`: orders mostly move through the
/// pipeline in its order, so the next slot is tried first (one comparison instead of a scan of
/// string compares, for each of tens of thousands of visits).
fn slot_after(pipeline: &Pipeline, stage: &StageId, previous: Option<usize>) -> Option<usize> {
    let next = previous.map_or(0, |slot| slot + 1);
    match pipeline.stages.get(next) {
        Some(def) if def.id.as_str() == stage.as_str() => Some(next),
        _ => slot_of(pipeline, stage),
    }
}

/// FNV-1a, for maps keyed by user ids: the keys are the device's own data, so SipHash's
/// defence against crafted keys buys nothing here, and hashing every order's owner with it
/// was a third of the people figures' time.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

type FnvMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

/// Every stage-visit figure, gathered in one pass over the visits with each visit's stage
/// looked up once (the stage times, the bottleneck and the people figures each walked every
/// visit and looked its stage up again).
struct VisitTimes {
    /// Per stage of the narrowed pipeline: minutes taken by the visits that ended in the period.
    finished: Vec<Vec<i64>>,
    /// Per stage of the narrowed pipeline: of those, how many ended by their deadline.
    on_time: Vec<usize>,
    /// Per stage of the narrowed pipeline: minutes so far of the visits still open in active
    /// orders (the bottleneck counts them next to the finished ones).
    open: Vec<Vec<i64>>,
    /// Visits in any stage of the whole pipeline that ended in the period and have a handler:
    /// (the order's place in `kept`, the handler's place in its `staff`, ended by the deadline,
    /// minutes taken).
    handled: Vec<(usize, usize, bool, i64)>,
}

impl VisitTimes {
    /// `narrowed` is `whole` with some stages left out (`Filter::stages_of`).
    fn of(
        kept: &[&OrderFacts],
        span: Span,
        now: DateTime<Utc>,
        whole: &Pipeline,
        narrowed: &Pipeline,
    ) -> VisitTimes {
        let now = facts::ms(now);
        let stages = narrowed.stages.len();
        // Where each stage of the whole pipeline sits in the narrowed one.
        let narrowed_slot: Vec<Option<usize>> = whole
            .stages
            .iter()
            .map(|def| slot_of(narrowed, &def.id))
            .collect();
        let mut times = VisitTimes {
            finished: vec![Vec::new(); stages],
            on_time: vec![0; stages],
            open: vec![Vec::new(); stages],
            handled: Vec::new(),
        };
        for (at, order) in kept.iter().enumerate() {
            let mut previous = None;
            for visit in &order.visits {
                let slot = slot_after(whole, &visit.stage, previous);
                previous = slot;
                let Some(slot) = slot else {
                    continue;
                };
                let focus = narrowed_slot[slot];
                match visit.left {
                    Some(left) if span.holds(left) => {
                        let took = minutes_between(visit.entered, left);
                        // Ended before the day after the deadline began (no division per visit).
                        let on_time = left < facts::start_of_day(visit.due + 1);
                        if let Some(focus) = focus {
                            times.finished[focus].push(took);
                            times.on_time[focus] += usize::from(on_time);
                        }
                        if let Some(handler) = visit.handler {
                            times
                                .handled
                                .push((at, usize::from(handler), on_time, took));
                        }
                    }
                    None if order.is_active() => {
                        if let Some(focus) = focus {
                            times.open[focus].push(minutes_between(visit.entered, now));
                        }
                    }
                    _ => {}
                }
            }
        }
        times
    }
}

/// One `StageTime` per stage of the pipeline, in its order.
pub fn stage_times<'a>(
    orders: impl IntoIterator<Item = &'a Order>,
    period: Period,
    pipeline: &Pipeline,
) -> Vec<StageTime> {
    with_facts(orders, pipeline, |kept| {
        stage_times_of(kept, Span::of(period), pipeline)
    })
}

fn stage_times_of(kept: &[&OrderFacts], span: Span, pipeline: &Pipeline) -> Vec<StageTime> {
    // The open visits are not counted here: any `now` will do.
    let times = VisitTimes::of(kept, span, DateTime::<Utc>::MIN_UTC, pipeline, pipeline);
    stage_times_from(times.finished, times.on_time, pipeline)
}

/// `finished` and `on_time` are `VisitTimes`'s for `pipeline`.
fn stage_times_from(
    finished: Vec<Vec<i64>>,
    on_time: Vec<usize>,
    pipeline: &Pipeline,
) -> Vec<StageTime> {
    pipeline
        .stages
        .iter()
        .zip(finished)
        .zip(on_time)
        .map(|((def, times), on_time)| StageTime {
            stage: def.id.clone(),
            sla_days: def.sla_days,
            finished: times.len(),
            on_time,
            spread: spread(times),
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
    with_facts(orders, pipeline, |kept| {
        work_in_progress_of(kept, today, pipeline)
    })
}

/// An active order in one of the pipeline's stages now.
struct Waiting<'a> {
    order: &'a OrderFacts,
    /// Its current visit.
    visit: &'a VisitFacts,
    /// Where that stage sits in the pipeline.
    slot: usize,
}

/// The active orders in `pipeline`'s stages, longest in their stage first (then by id). Sorted
/// once here, so every grouping of them (per stage, per owner and stage) keeps that order.
fn waiting_in<'a>(kept: &[&'a OrderFacts], pipeline: &Pipeline) -> Vec<Waiting<'a>> {
    let mut waiting: Vec<Waiting<'a>> = kept
        .iter()
        .copied()
        .filter(|order| order.is_active())
        .filter_map(|order| {
            let visit = order.current()?;
            let slot = slot_of(pipeline, &visit.stage)?;
            Some(Waiting { order, visit, slot })
        })
        .collect();
    // Ids are distinct, so an unstable sort gives the one order; a `Uuid` orders as its
    // big-endian `u128`.
    waiting.sort_unstable_by_key(|w| (w.visit.entered, w.order.id.as_u128()));
    waiting
}

/// `waiting` (from `waiting_in`) grouped by `group` and by stage, each list keeping its order.
fn waiting_by_stage<'a, 'w>(
    waiting: &'w [Waiting<'a>],
    stages: usize,
    mut group: impl FnMut(&'a OrderFacts) -> usize,
    groups: usize,
) -> Vec<Vec<Vec<&'w Waiting<'a>>>> {
    let mut grouped = vec![vec![Vec::new(); stages]; groups];
    for here in waiting {
        grouped[group(here.order)][here.slot].push(here);
    }
    grouped
}

fn work_in_progress_of(
    kept: &[&OrderFacts],
    today: NaiveDate,
    pipeline: &Pipeline,
) -> Vec<StageLoad> {
    load_of(&waiting_in(kept, pipeline), today, pipeline)
}

/// `waiting` is `waiting_in` the same pipeline.
fn load_of(waiting: &[Waiting], today: NaiveDate, pipeline: &Pipeline) -> Vec<StageLoad> {
    let today = facts::day(today);
    let waiting = waiting_by_stage(waiting, pipeline.stages.len(), |_| 0, 1);
    pipeline
        .stages
        .iter()
        .zip(waiting.into_iter().flatten())
        .map(|(def, here)| StageLoad {
            stage: def.id.clone(),
            oldest_days: here
                .first()
                .map(|w| i64::from(today) - i64::from(facts::day_of(w.visit.entered))),
            overdue: here.iter().filter(|w| w.visit.due < today).count(),
            orders: here.iter().map(|w| w.order.id).collect(),
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
    with_facts(orders, pipeline, |kept| {
        let load = work_in_progress_of(kept, business_date(now), pipeline);
        bottleneck_of(kept, Span::of(period), now, pipeline, &load)
    })
}

/// `load` is `work_in_progress_of` the same orders on `now`'s date.
fn bottleneck_of(
    kept: &[&OrderFacts],
    span: Span,
    now: DateTime<Utc>,
    pipeline: &Pipeline,
    load: &[StageLoad],
) -> Option<Bottleneck> {
    let times = VisitTimes::of(kept, span, now, pipeline, pipeline);
    bottleneck_from(&times.finished, times.open, pipeline, load)
}

/// `finished` and `open` are `VisitTimes`'s for `pipeline`; `load` as for `bottleneck_of`.
fn bottleneck_from(
    finished: &[Vec<i64>],
    open: Vec<Vec<i64>>,
    pipeline: &Pipeline,
    load: &[StageLoad],
) -> Option<Bottleneck> {
    pipeline
        .stages
        .iter()
        .zip(finished.iter().zip(open))
        .filter(|(def, _)| def.sla_days > 0)
        .filter_map(|(def, (finished, mut times))| {
            times.extend_from_slice(finished);
            let median = median(times)?;
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
    with_facts(orders, &Pipeline::standard(), |kept| {
        conversion_of(kept, Span::of(period))
    })
}

fn conversion_of(kept: &[&OrderFacts], span: Span) -> Conversion {
    let mut result = Conversion::default();
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for order in kept.iter().filter(|order| span.holds(order.started)) {
        result.started += 1;
        if order.reached_contract() {
            result.reached_contract += 1;
        }
        match &order.status {
            OrderStatus::Completed => result.completed += 1,
            OrderStatus::Cancelled { reason } => {
                result.cancelled += 1;
                *reasons.entry(reason.trim()).or_default() += 1;
            }
            OrderStatus::Active => {}
        }
    }
    result.reasons = reasons
        .into_iter()
        .map(|(reason, count)| (reason.to_string(), count))
        .collect();
    crate::sorting::sort_by(&mut result.reasons, |a, b| {
        b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0))
    });
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
    let facts = OrderFacts::of(order, &Pipeline::standard());
    delivery_outcome_of(&facts, Span::of(period))
}

fn delivery_outcome_of(order: &OrderFacts, span: Span) -> Option<Promise> {
    let shipped = order.shipped.filter(|at| span.holds(*at))?;
    Some(match order.promised {
        None => Promise::NoneMade,
        Some(promised) if facts::day_of(shipped) <= promised => Promise::Kept,
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
    with_facts(orders, &Pipeline::standard(), |kept| {
        delivery_of(kept, Span::of(period))
    })
}

fn delivery_of(kept: &[&OrderFacts], span: Span) -> Delivery {
    let mut result = Delivery::default();
    for outcome in kept
        .iter()
        .filter_map(|order| delivery_outcome_of(order, span))
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
    with_facts(orders, pipeline, |kept| rework_of(kept, Span::of(period)))
}

fn rework_of(kept: &[&OrderFacts], span: Span) -> usize {
    kept.iter()
        .map(|order| backward_moves_of(order, span))
        .sum()
}

/// One order's backward moves in the period.
pub fn backward_moves(order: &Order, period: Period, pipeline: &Pipeline) -> usize {
    backward_moves_of(&OrderFacts::of(order, pipeline), Span::of(period))
}

fn backward_moves_of(order: &OrderFacts, span: Span) -> usize {
    order.reworked.iter().filter(|at| span.holds(**at)).count()
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

/// The dashboard of `orders`, each judged by `pipeline`: `dashboard_of` their facts.
pub fn dashboard(
    orders: &[Order],
    period: Period,
    filter: &Filter,
    now: DateTime<Utc>,
    pipeline: &Pipeline,
) -> Dashboard {
    dashboard_of(&facts_of(orders, pipeline), period, filter, now, pipeline)
}

/// Everything 分析 shows, from the orders' facts. Stage figures follow `pipeline`'s stages
/// (narrowed by the filter), grouped by stage key.
pub fn dashboard_of(
    facts: &[OrderFacts],
    period: Period,
    filter: &Filter,
    now: DateTime<Utc>,
    pipeline: &Pipeline,
) -> Dashboard {
    let kept: Vec<&OrderFacts> = facts.iter().filter(|order| filter.keeps(order)).collect();
    let focus = filter.stages_of(pipeline);
    let span = Span::of(period);
    let stage_figures = StageFigures::of(&kept, span, now, pipeline, &focus);
    Dashboard {
        period,
        flow: flow_of(&kept, period),
        flow_step: FlowStep::for_period(period),
        cycle_time: cycle_time_of(&kept, span),
        stages: stage_figures.stages,
        bottleneck: stage_figures.bottleneck,
        load: stage_figures.load,
        conversion: conversion_of(&kept, span),
        delivery: delivery_of(&kept, span),
        rework: rework_of(&kept, span),
        people: stage_figures.people,
        customers: customer_feeling_of(&kept, span),
        heat: stage_figures.heat,
    }
}

/// The dashboard's figures that walk the stage visits, from one pass over them and one sort
/// of the waiting orders.
struct StageFigures {
    stages: Vec<StageTime>,
    load: Vec<StageLoad>,
    bottleneck: Option<Bottleneck>,
    heat: HeatMap,
    /// Over the stages of the whole pipeline.
    people: Vec<Person>,
}

impl StageFigures {
    /// Stage figures over `narrowed`'s stages (`whole` with some left out), people over
    /// `whole`'s.
    fn of(
        kept: &[&OrderFacts],
        span: Span,
        now: DateTime<Utc>,
        whole: &Pipeline,
        narrowed: &Pipeline,
    ) -> StageFigures {
        let today = business_date(now);
        let times = VisitTimes::of(kept, span, now, whole, narrowed);
        let waiting = waiting_in(kept, narrowed);
        let load = load_of(&waiting, today, narrowed);
        StageFigures {
            bottleneck: bottleneck_from(&times.finished, times.open, narrowed, &load),
            people: people_from(kept, span, &times.handled),
            stages: stage_times_from(times.finished, times.on_time, narrowed),
            heat: heat::heat_of(&waiting, today, narrowed),
            load,
        }
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
    own_dashboard_of(
        &facts_of(orders, pipeline),
        period,
        filter,
        now,
        pipeline,
        me,
    )
}

/// `own_dashboard` from the orders' facts.
pub fn own_dashboard_of(
    facts: &[OrderFacts],
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
    let mut board = dashboard_of(facts, period, &mine, now, pipeline);
    let everyones = Filter {
        owner: None,
        ..filter.clone()
    };
    let theirs = Pipeline {
        calendar: pipeline.calendar.clone(),
        stages: everyones
            .stages_of(pipeline)
            .stages
            .into_iter()
            .filter(|def| def.responsible.iter().any(|role| me.has_role(*role)))
            .collect(),
    };
    let kept: Vec<&OrderFacts> = facts
        .iter()
        .filter(|order| everyones.keeps(order))
        .collect();
    let span = Span::of(period);
    let everyones_figures = StageFigures::of(&kept, span, now, pipeline, &theirs);
    board.stages = everyones_figures.stages;
    board.load = everyones_figures.load;
    board.bottleneck = everyones_figures.bottleneck;
    board.heat = everyones_figures.heat;
    board.people = everyones_figures
        .people
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
    with_facts(orders, pipeline, |kept| {
        people_of(kept, Span::of(period), pipeline)
    })
}

fn people_of(kept: &[&OrderFacts], span: Span, pipeline: &Pipeline) -> Vec<Person> {
    // The open visits are not counted here: any `now` will do.
    let times = VisitTimes::of(kept, span, DateTime::<Utc>::MIN_UTC, pipeline, pipeline);
    people_from(kept, span, &times.handled)
}

/// `handled` is `VisitTimes`'s (over the stages of the pipeline the people are judged by).
fn people_from<'a>(
    kept: &[&'a OrderFacts],
    span: Span,
    handled: &[(usize, usize, bool, i64)],
) -> Vec<Person> {
    // By user id; a person's name is the one on the first order that names them.
    let mut index: FnvMap<&'a str, usize> = FnvMap::default();
    let mut found: Vec<(Person, Vec<i64>)> = Vec::new();
    let mut entry = |staff: &'a StaffRef| -> usize {
        *index.entry(staff.user_id.as_str()).or_insert_with(|| {
            found.push((
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
            ));
            found.len() - 1
        })
    };
    // Order by order, the owner first and then the visits' handlers (`handled` lists the
    // visits in `kept`'s order), so the first name seen of a person stays the one kept. Each
    // order's staff (by their place in `OrderFacts::staff`) become people once per order.
    let mut owners = Vec::with_capacity(kept.len());
    let mut handlers = Vec::with_capacity(handled.len());
    let mut people_here: Vec<Option<usize>> = Vec::new();
    let mut next = handled.iter().peekable();
    for (at, order) in kept.iter().enumerate() {
        owners.push(entry(order.owner()));
        people_here.clear();
        people_here.resize(order.staff.len(), None);
        while let Some(&(_, staff_at, on_time, took)) = next.next_if(|(of, ..)| *of == at) {
            let Some(handler) = order.staff.get(staff_at) else {
                continue;
            };
            let person = *people_here[staff_at].get_or_insert_with(|| entry(handler));
            handlers.push((person, on_time, took));
        }
    }
    for (order, owner) in kept.iter().zip(owners) {
        let (person, _) = &mut found[owner];
        if order.is_active() {
            person.owned_active += 1;
        }
        person.open_requests += order
            .requests
            .iter()
            .filter(|r| r.resolved.is_none())
            .count();
        if let Some((stars, _)) = order.rating.filter(|(_, at)| span.holds(*at)) {
            person.rating_sum += u32::from(stars);
            person.ratings += 1;
        }
    }
    for (who, on_time, took) in handlers {
        let (person, times) = &mut found[who];
        person.handled += 1;
        if on_time {
            person.on_time += 1;
        }
        times.push(took);
    }
    let mut list: Vec<Person> = found
        .into_iter()
        .map(|(mut person, times)| {
            person.median_minutes = median(times);
            person
        })
        .collect();
    crate::sorting::sort_by(&mut list, |a, b| {
        a.name.cmp(&b.name).then_with(|| a.user_id.cmp(&b.user_id))
    });
    list
}

/// A stage visit's deadline: its own due date, else entered + the stage's SLA (calendar or
/// working days, `Pipeline::sla_due`).
pub fn visit_due(visit: &crate::StageProgress, def: &StageDef, pipeline: &Pipeline) -> NaiveDate {
    visit
        .due_date
        .unwrap_or_else(|| pipeline.sla_due(def, business_date(visit.entered_at)))
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
    with_facts(orders, &Pipeline::standard(), |kept| {
        customer_feeling_of(kept, Span::of(period))
    })
}

fn customer_feeling_of(kept: &[&OrderFacts], span: Span) -> CustomerFeeling {
    let mut feeling = CustomerFeeling {
        requests: crate::AfterSalesKind::ALL
            .iter()
            .map(|kind| (*kind, 0))
            .collect(),
        ..Default::default()
    };
    let mut resolve_times = Vec::new();
    for order in kept {
        if let Some((stars, _)) = order.rating.filter(|(_, at)| span.holds(*at)) {
            if (1..=5).contains(&stars) {
                feeling.stars[usize::from(stars) - 1] += 1;
            }
        }
        if span.holds_some(order.shipped) {
            feeling.shipped += 1;
        }
        for request in &order.requests {
            if span.holds(request.at) {
                if let Some(slot) = feeling
                    .requests
                    .iter_mut()
                    .find(|(kind, _)| *kind == request.kind)
                {
                    slot.1 += 1;
                }
            }
            if let Some(resolved) = request.resolved.filter(|at| span.holds(*at)) {
                resolve_times.push(minutes_between(request.at, resolved));
            }
        }
    }
    feeling.time_to_resolve = spread(resolve_times);
    feeling
}

/// Runs a figure over the facts of `orders` judged by `pipeline` (the figures that need no
/// deadlines or stage order are the same whatever pipeline their facts were made with).
fn with_facts<'a, R>(
    orders: impl IntoIterator<Item = &'a Order>,
    pipeline: &Pipeline,
    figure: impl FnOnce(&[&OrderFacts]) -> R,
) -> R {
    let facts = facts_of(orders, pipeline);
    let kept: Vec<&OrderFacts> = facts.iter().collect();
    figure(&kept)
}

#[cfg(test)]
mod tests {
    use super::{median, spread};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn percentiles_without_sorting_are_the_nearest_ranks_of_the_sorted_values(
            values in proptest::collection::vec(-50i64..50, 1..200),
        ) {
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let rank = |p: usize| sorted[(sorted.len() * p).div_ceil(100).max(1) - 1];
            let got = spread(values.clone()).unwrap();
            prop_assert_eq!((got.count, got.p50, got.p80, got.p95), (sorted.len(), rank(50), rank(80), rank(95)));
            prop_assert_eq!(median(values), Some(rank(50)));
        }
    }
}
