//! 管理看板 figures on a hand-built set of orders whose answers were worked out by hand (the
//! comments give the arithmetic). Times are China time; the period is two weeks, Monday
//! 2026-11-30 to Sunday 2026-12-13, and "now" is 2026-12-13 12:00.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::*;
use domain::analytics::*;
use domain::*;
use uuid::Uuid;

/// `day` of December (`dec`) or November (`nov`) 2026 at `hour`, China time.
fn dec(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap() - chrono::Duration::hours(8)
}
fn nov(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap() - chrono::Duration::hours(8)
}

fn period() -> Period {
    Period {
        from: date(2026, 11, 30),
        to: date(2026, 12, 13),
    }
}

fn now() -> DateTime<Utc> {
    dec(13, 12)
}

fn staff(actor: &Actor) -> StaffRef {
    actor.staff_ref()
}

/// A stage visit: stage key, entered, left (`None`: still there).
type Visit = (&'static str, DateTime<Utc>, Option<DateTime<Utc>>);

/// An order whose stage visits are exactly `visits`, the last one its current stage.
fn order(n: u128, visits: &[Visit]) -> Order {
    let mut order = created();
    order.id = Uuid::from_u128(n);
    order.created_at = visits[0].1;
    order.stages = visits
        .iter()
        .map(|(id, entered, left)| StageProgress {
            stage: stage(id),
            entered_at: *entered,
            entered_by: staff(&sales()),
            due_date: None,
            checklist: Default::default(),
            responsible: None,
            left_at: *left,
        })
        .collect();
    order.stage = stage(visits.last().unwrap().0);
    order.history.clear();
    order.shipment = None;
    order.expected_delivery = None;
    order
}

fn event(at: DateTime<Utc>, kind: EventKind) -> HistoryEvent {
    HistoryEvent {
        at,
        actor: staff(&sales()),
        kind,
    }
}

fn shipped(order: &mut Order, at: DateTime<Utc>) {
    order.shipment = Some(Shipment {
        carrier: "顺丰".into(),
        tracking_no: "SF1".into(),
        shipped_at: at,
    });
}

/// A: requirement 1 day (on time), contract 7 days (due 12-07, left 12-09: late), waiting in
/// order entry since 12-09 10:00 (due 12-11: overdue on 12-13).
fn order_a() -> Order {
    let mut a = order(
        1,
        &[
            ("requirement", dec(1, 10), Some(dec(2, 10))),
            ("contract", dec(2, 10), Some(dec(9, 10))),
            ("order_entry", dec(9, 10), None),
        ],
    );
    a.history.push(event(
        dec(2, 10),
        EventKind::StageAdvanced {
            from: stage("requirement"),
            to: stage("contract"),
            reason: None,
            skipped: vec![],
            incomplete_items: vec![],
        },
    ));
    a
}

/// B: started 11-28 (before the period); requirement 3 days (due 11-30, left 12-01: late),
/// contract 2 days (on time), cancelled there on 12-03 ("价格太高").
fn order_b() -> Order {
    let mut b = order(
        2,
        &[
            ("requirement", nov(28, 9), Some(dec(1, 9))),
            ("contract", dec(1, 9), Some(dec(3, 9))),
        ],
    );
    b.status = OrderStatus::Cancelled {
        reason: "价格太高".into(),
    };
    b.history.push(event(
        dec(3, 9),
        EventKind::Cancelled {
            reason: "价格太高".into(),
        },
    ));
    b
}

/// C: requirement 12 h, contract 1 day, order entry 2 days (due 12-10, left 12-10: on time),
/// completed 12-10 20:00; shipped 12-10 15:00 against a promised 12-09: late.
fn order_c() -> Order {
    let mut c = order(
        3,
        &[
            ("requirement", dec(7, 8), Some(dec(7, 20))),
            ("contract", dec(7, 20), Some(dec(8, 20))),
            ("order_entry", dec(8, 20), Some(dec(10, 20))),
        ],
    );
    c.status = OrderStatus::Completed;
    c.history
        .push(event(dec(10, 20), EventKind::Completed { reason: None }));
    c.expected_delivery = Some(date(2026, 12, 9));
    shipped(&mut c, dec(10, 15));
    c
}

/// D: started 11-20; in production since 11-25 10:00 (due 12-10: overdue); sent back from
/// production once on 12-05 (rework in the period) and once on 11-22 (before it).
fn order_d() -> Order {
    let mut d = order(
        4,
        &[
            ("requirement", nov(20, 10), Some(nov(21, 10))),
            ("contract", nov(21, 10), Some(nov(23, 10))),
            ("order_entry", nov(23, 10), Some(nov(25, 10))),
            ("production", nov(25, 10), None),
        ],
    );
    for at in [nov(22, 10), dec(5, 10)] {
        d.history.push(event(
            at,
            EventKind::StageAdvanced {
                from: stage("production"),
                to: stage("order_entry"),
                reason: Some("图纸有误".into()),
                skipped: vec![],
                incomplete_items: vec![],
            },
        ));
    }
    d
}

/// E: another salesperson's, started 12-12 10:00, still in requirement (due 12-14).
fn order_e() -> Order {
    let mut e = order(5, &[("requirement", dec(12, 10), None)]);
    e.owner = staff(&other_sales());
    e
}

/// F and G: started 11-01; F in delivery 4 days (due 12-04, left 12-05: late), shipped 12-05
/// promised 12-05 (on time), in after-sales since 12-05 10:00 (due 12-12: overdue); G in
/// delivery 1 day (on time), shipped 12-06 with no promised date, in after-sales since 12-06.
fn order_f() -> Order {
    let mut f = order(
        6,
        &[
            ("requirement", nov(1, 10), Some(nov(2, 10))),
            ("delivery", dec(1, 10), Some(dec(5, 10))),
            ("after_sales", dec(5, 10), None),
        ],
    );
    f.expected_delivery = Some(date(2026, 12, 5));
    shipped(&mut f, dec(5, 10));
    f
}

fn order_g() -> Order {
    let mut g = order(
        7,
        &[
            ("requirement", nov(1, 10), Some(nov(2, 10))),
            ("delivery", dec(5, 10), Some(dec(6, 10))),
            ("after_sales", dec(6, 10), None),
        ],
    );
    shipped(&mut g, dec(6, 10));
    g
}

fn orders() -> Vec<Order> {
    vec![
        order_a(),
        order_b(),
        order_c(),
        order_d(),
        order_e(),
        order_f(),
        order_g(),
    ]
}

#[test]
fn percentiles_are_nearest_rank_and_percentages_round_half_up() {
    assert_eq!(spread(vec![]), None);
    assert_eq!(
        spread(vec![5]),
        Some(Spread {
            count: 1,
            p50: 5,
            p80: 5,
            p95: 5
        })
    );
    // 1..=20: the 10th, 16th and 19th values.
    assert_eq!(
        spread((1..=20).rev().collect()),
        Some(Spread {
            count: 20,
            p50: 10,
            p80: 16,
            p95: 19
        })
    );
    assert_eq!(percent(0, 0), None);
    assert_eq!(percent(2, 3), Some(67));
    assert_eq!(percent(1, 3), Some(33));
    assert_eq!(percent(1, 2), Some(50));
    assert_eq!(percent(1, 8), Some(13), "12.5 rounds up");
}

#[test]
fn weekly_flow_counts_starts_completions_and_cancellations_inside_the_period() {
    let flow = order_flow(&orders(), period());
    assert_eq!(
        flow,
        [
            // A started 12-01; B was cancelled 12-03 (started before the period).
            FlowSlot {
                start: date(2026, 11, 30),
                started: 1,
                completed: 0,
                cancelled: 1
            },
            // C started 12-07 and completed 12-10; E started 12-12.
            FlowSlot {
                start: date(2026, 12, 7),
                started: 2,
                completed: 1,
                cancelled: 0
            },
        ]
    );
    // A period starting mid-week still shows that whole week, counting only the period's days.
    let midweek = Period {
        from: date(2026, 12, 2),
        to: date(2026, 12, 8),
    };
    let flow = order_flow(&orders(), midweek);
    assert_eq!(flow.len(), 2);
    assert_eq!(
        (flow[0].started, flow[0].cancelled),
        (0, 1),
        "A started 12-01, outside"
    );
    assert_eq!(flow[1].started, 1, "C on 12-07");
}

#[test]
fn a_period_of_half_a_year_or_more_flows_by_month() {
    let months = |from, to| {
        order_flow(&orders(), Period { from, to })
            .iter()
            .map(|slot| slot.start)
            .collect::<Vec<_>>()
    };
    // 25 weeks and 6 days: still weekly (26 Mondays from 2026-06-29, the week of 07-01).
    let weekly = months(date(2026, 7, 1), date(2026, 12, 28));
    assert_eq!((weekly.len(), weekly[0]), (27, date(2026, 6, 29)));
    assert_eq!(
        FlowStep::for_period(Period {
            from: date(2026, 7, 1),
            to: date(2026, 12, 28)
        }),
        FlowStep::Week
    );
    // Two years from mid-January: one slot per calendar month, the first the whole January.
    let monthly = months(date(2025, 1, 15), date(2026, 12, 31));
    assert_eq!(monthly.len(), 24);
    assert_eq!(
        (monthly[0], monthly[1], monthly[23]),
        (date(2025, 1, 1), date(2025, 2, 1), date(2026, 12, 1))
    );
    // December's slot holds December: A, C and E started, C completed, B cancelled.
    let flow = order_flow(
        &orders(),
        Period {
            from: date(2025, 1, 15),
            to: date(2026, 12, 31),
        },
    );
    let december = &flow[23];
    assert_eq!(
        (december.started, december.completed, december.cancelled),
        (3, 1, 1)
    );
    // November: B (11-28), D (11-20), F and G (11-01) started; nothing before.
    assert_eq!(flow[22].started, 4);
    assert_eq!(flow.iter().map(|slot| slot.started).sum::<usize>(), 7);
}

#[test]
fn an_empty_period_has_zero_weeks_of_flow_and_no_times() {
    let quiet = Period {
        from: date(2027, 1, 4),
        to: date(2027, 1, 10),
    };
    assert_eq!(
        order_flow(&orders(), quiet),
        [FlowSlot {
            start: date(2027, 1, 4),
            started: 0,
            completed: 0,
            cancelled: 0
        }]
    );
    assert_eq!(cycle_time(&orders(), quiet), None);
    assert!(stage_times(&orders(), quiet, &Pipeline::standard())
        .iter()
        .all(|stage| stage.finished == 0 && stage.spread.is_none()));
    assert_eq!(conversion(&orders(), quiet), Conversion::default());
    assert_eq!(delivery(&orders(), quiet), Delivery::default());
    assert_eq!(
        order_flow(&[], period())
            .iter()
            .map(|w| w.started)
            .sum::<usize>(),
        0
    );
}

#[test]
fn cycle_time_runs_from_the_first_stage_to_completion() {
    // C: 12-07 08:00 → 12-10 20:00 = 3 days 12 hours = 5040 minutes.
    assert_eq!(
        cycle_time(&orders(), period()),
        Some(Spread {
            count: 1,
            p50: 5040,
            p80: 5040,
            p95: 5040
        })
    );
}

#[test]
fn a_reopened_order_counts_once_at_its_last_completion() {
    let mut r = order(
        8,
        &[
            ("requirement", dec(1, 10), Some(dec(1, 12))),
            ("after_sales", dec(1, 12), Some(dec(11, 10))),
        ],
    );
    r.status = OrderStatus::Completed;
    r.history.extend([
        event(dec(2, 10), EventKind::Completed { reason: None }),
        event(dec(3, 10), EventKind::Reopened),
        event(dec(11, 10), EventKind::Completed { reason: None }),
    ]);
    let flow = order_flow([&r], period());
    assert_eq!((flow[0].completed, flow[1].completed), (0, 1));
    // 12-01 10:00 → 12-11 10:00 = 10 days.
    assert_eq!(cycle_time([&r], period()).unwrap().p50, 10 * 24 * 60);
    // Reopened and still active: not completed at all.
    r.status = OrderStatus::Active;
    assert_eq!(cycle_time([&r], period()), None);
}

#[test]
fn stage_times_take_the_visits_that_ended_in_the_period_against_their_deadlines() {
    let times = stage_times(&orders(), period(), &Pipeline::standard());
    let of = |id: &str| {
        times
            .iter()
            .find(|t| t.stage.as_str() == id)
            .unwrap()
            .clone()
    };
    // Requirement (SLA 2): C 720 on time, A 1440 on time, B 4320 late (due 11-30, left 12-01).
    let requirement = of("requirement");
    assert_eq!(
        (
            requirement.sla_days,
            requirement.finished,
            requirement.on_time
        ),
        (2, 3, 2)
    );
    assert_eq!(
        requirement.spread,
        Some(Spread {
            count: 3,
            p50: 1440,
            p80: 4320,
            p95: 4320
        })
    );
    // Contract (SLA 5): C 1440, B 2880 on time; A 10080 late (due 12-07, left 12-09).
    let contract = of("contract");
    assert_eq!((contract.finished, contract.on_time), (3, 2));
    assert_eq!(contract.spread.unwrap().p50, 2880);
    assert_eq!(contract.spread.unwrap().p95, 10080);
    // Order entry: C alone (2 days, left on its due date: on time). D's visit ended 11-25.
    let entry = of("order_entry");
    assert_eq!((entry.finished, entry.on_time), (1, 1));
    // Delivery (SLA 3): G 1440 on time, F 5760 late.
    let delivery = of("delivery");
    assert_eq!((delivery.finished, delivery.on_time), (2, 1));
    assert_eq!(delivery.spread.unwrap().p80, 5760);
    // Production and after-sales: only open visits, nothing finished.
    assert_eq!(of("production").spread, None);
    assert_eq!(of("after_sales").finished, 0);
    assert_eq!(
        times.iter().map(|t| t.stage.as_str()).collect::<Vec<_>>(),
        [
            "requirement",
            "contract",
            "order_entry",
            "production",
            "delivery",
            "after_sales"
        ],
        "in the pipeline's order"
    );
    // An explicit due date replaces the SLA: A's contract visit due 12-10 was on time.
    let mut a = order_a();
    a.stages[1].due_date = Some(date(2026, 12, 10));
    let times = stage_times([&a], period(), &Pipeline::standard());
    assert_eq!(times[1].on_time, 1);
}

#[test]
fn work_in_progress_lists_the_waiting_orders_oldest_first_with_what_is_overdue() {
    let load = work_in_progress(&orders(), date(2026, 12, 13), &Pipeline::standard());
    let of = |id: &str| {
        load.iter()
            .find(|l| l.stage.as_str() == id)
            .unwrap()
            .clone()
    };
    let ids = |ns: &[u128]| ns.iter().map(|n| Uuid::from_u128(*n)).collect::<Vec<_>>();
    assert_eq!(of("requirement").orders, ids(&[5]));
    assert_eq!(
        (of("requirement").oldest_days, of("requirement").overdue),
        (Some(1), 0)
    );
    assert_eq!(
        of("contract").orders,
        ids(&[]),
        "B is cancelled, not waiting"
    );
    assert_eq!(of("contract").oldest_days, None);
    assert_eq!(
        (of("order_entry").oldest_days, of("order_entry").overdue),
        (Some(4), 1)
    );
    assert_eq!(
        (of("production").oldest_days, of("production").overdue),
        (Some(18), 1)
    );
    // F since 12-05 (due 12-12, overdue), then G since 12-06 (due 12-13, due today: not overdue).
    assert_eq!(of("after_sales").orders, ids(&[6, 7]));
    assert_eq!(
        (of("after_sales").oldest_days, of("after_sales").overdue),
        (Some(8), 1)
    );
}

#[test]
fn the_bottleneck_is_the_stage_whose_median_time_is_furthest_past_its_sla() {
    // Production: D alone, open since 11-25 10:00 = 18 days 2 hours = 26040 min against
    // 15 days = 21600 min: 121 %. After-sales: G 10200 and F 11640 min, median 10200 against
    // 7 days = 10080: 101 %. Order entry: C 2880 and A (open, 5880): median 2880 = 100 %.
    let found = bottleneck(&orders(), period(), now(), &Pipeline::standard()).unwrap();
    assert_eq!(found.stage.as_str(), "production");
    assert_eq!(found.median_of_sla_percent, 121);
    assert_eq!(found.orders, [Uuid::from_u128(4)]);
    // Without D, after-sales leads.
    let without_d: Vec<Order> = orders()
        .into_iter()
        .filter(|o| o.id != Uuid::from_u128(4))
        .collect();
    let found = bottleneck(&without_d, period(), now(), &Pipeline::standard()).unwrap();
    assert_eq!(
        (found.stage.as_str(), found.median_of_sla_percent),
        ("after_sales", 101)
    );
    assert_eq!(found.orders, [Uuid::from_u128(6), Uuid::from_u128(7)]);
    assert_eq!(
        bottleneck(&[], period(), now(), &Pipeline::standard()),
        None
    );
}

#[test]
fn conversion_follows_the_orders_started_in_the_period() {
    // Started in the period: A, C, E. A and C reached the contract; C completed.
    assert_eq!(
        conversion(&orders(), period()),
        Conversion {
            started: 3,
            reached_contract: 2,
            completed: 1,
            cancelled: 0,
            reasons: vec![]
        }
    );
    // From 11-23 B (started 11-28, cancelled in the contract stage) counts too.
    let longer = Period {
        from: date(2026, 11, 23),
        to: date(2026, 12, 13),
    };
    let mut other = order_b();
    other.id = Uuid::from_u128(9);
    other.status = OrderStatus::Cancelled {
        reason: " 客户取消 ".into(),
    };
    let mut third = order_b();
    third.id = Uuid::from_u128(10);
    third.status = OrderStatus::Cancelled {
        reason: "客户取消".into(),
    };
    let mut all = orders();
    all.extend([other, third]);
    let found = conversion(&all, longer);
    assert_eq!(
        (
            found.started,
            found.reached_contract,
            found.completed,
            found.cancelled
        ),
        (6, 5, 1, 3)
    );
    assert_eq!(
        found.reasons,
        [("客户取消".to_string(), 2), ("价格太高".to_string(), 1)],
        "most frequent first, the typed reason trimmed"
    );
}

#[test]
fn delivery_is_on_time_when_shipped_by_the_promised_day_and_unpromised_ones_are_apart() {
    // C shipped 12-10 for 12-09 (late), F shipped 12-05 for 12-05 (on time), G had no promise.
    assert_eq!(
        delivery(&orders(), period()),
        Delivery {
            shipped: 3,
            on_time: 1,
            late: 1,
            no_promise: 1
        }
    );
}

#[test]
fn rework_counts_backward_moves_in_the_period_only() {
    // D was sent back on 12-05 (counted) and 11-22 (before the period); A moved forward.
    assert_eq!(rework(&orders(), period(), &Pipeline::standard()), 1);
}

#[test]
fn a_filter_keeps_one_owner_or_one_customer() {
    let mine = Filter {
        owner: Some("u-sunlei".into()),
        ..Filter::default()
    };
    let all = orders();
    let kept: Vec<&Order> = all.iter().filter(|o| mine.matches(o)).collect();
    assert_eq!(
        kept.iter().map(|o| o.id).collect::<Vec<_>>(),
        [Uuid::from_u128(5)]
    );
    let flow = order_flow(kept.iter().copied(), period());
    assert_eq!((flow[0].started, flow[1].started), (0, 1));
    let nobody = Filter {
        company: Some("别家公司".into()),
        ..Filter::default()
    };
    assert!(orders().iter().all(|o| !nobody.matches(o)));
    assert!(orders().iter().all(|o| Filter::default().matches(o)));
}

#[test]
fn presets_cover_the_calendar_ranges_managers_review() {
    let today = date(2026, 12, 13); // a Sunday
    assert_eq!(
        Preset::ThisWeek.period(today),
        Period {
            from: date(2026, 12, 7),
            to: today
        }
    );
    assert_eq!(
        Preset::ThisMonth.period(today),
        Period {
            from: date(2026, 12, 1),
            to: today
        }
    );
    assert_eq!(
        Preset::LastMonth.period(today),
        Period {
            from: date(2026, 11, 1),
            to: date(2026, 11, 30)
        }
    );
    assert_eq!(
        Preset::ThisQuarter.period(today),
        Period {
            from: date(2026, 10, 1),
            to: today
        }
    );
    // Across a year's edge.
    assert_eq!(
        Preset::LastMonth.period(date(2027, 1, 5)),
        Period {
            from: date(2026, 12, 1),
            to: date(2026, 12, 31)
        }
    );
    assert_eq!(
        Preset::ThisQuarter.period(date(2027, 3, 31)).from,
        date(2027, 1, 1)
    );
    assert_eq!(
        Preset::ThisWeek.period(date(2026, 12, 7)).from,
        date(2026, 12, 7),
        "a Monday starts its own week"
    );
}

#[test]
fn the_dashboard_is_the_figures_above_for_the_filtered_orders() {
    let all = orders();
    let board = dashboard(
        &all,
        period(),
        &Filter::default(),
        now(),
        &Pipeline::standard(),
    );
    assert_eq!(board.flow, order_flow(&all, period()));
    assert_eq!(board.cycle_time.unwrap().p50, 5040);
    assert_eq!(board.bottleneck.unwrap().stage.as_str(), "production");
    assert_eq!(board.conversion.started, 3);
    assert_eq!(board.delivery.shipped, 3);
    assert_eq!(board.rework, 1);
    let theirs = Filter {
        owner: Some("u-sunlei".into()),
        ..Filter::default()
    };
    let board = dashboard(&all, period(), &theirs, now(), &Pipeline::standard());
    assert_eq!(board.conversion.started, 1);
    assert_eq!(board.delivery, Delivery::default());
    assert_eq!(board.load[0].orders, [Uuid::from_u128(5)]);
}

#[test]
fn each_number_opens_exactly_the_orders_it_counted() {
    let all = orders();
    let pipeline = Pipeline::standard();
    let behind = |figure| orders_behind(&all, period(), &Filter::default(), &pipeline, figure);
    let ids = |ns: &[u128]| ns.iter().map(|n| Uuid::from_u128(*n)).collect::<Vec<_>>();
    // Started in the period: A (12-01), C (12-07), E (12-12); B, D, F and G before it.
    assert_eq!(behind(Figure::Started), ids(&[1, 3, 5]));
    assert_eq!(behind(Figure::Completed), ids(&[3]));
    assert_eq!(behind(Figure::Cancelled), ids(&[2]));
    // Of those started, A and C entered 合同签订.
    assert_eq!(behind(Figure::ReachedContract), ids(&[1, 3]));
    // F shipped on its promised day, C a day after it; G had no promise.
    assert_eq!(behind(Figure::OnTime), ids(&[6]));
    assert_eq!(behind(Figure::Late), ids(&[3]));
    // D was sent back on 12-05; A only moved forward.
    assert_eq!(behind(Figure::Reworked), ids(&[4]));

    // Every list is as long as the number it opens from.
    let board = dashboard(&all, period(), &Filter::default(), now(), &pipeline);
    let total = |f: fn(&FlowSlot) -> usize| board.flow.iter().map(f).sum::<usize>();
    assert_eq!(behind(Figure::Started).len(), total(|w| w.started));
    assert_eq!(behind(Figure::Completed).len(), total(|w| w.completed));
    assert_eq!(behind(Figure::Cancelled).len(), total(|w| w.cancelled));
    assert_eq!(
        behind(Figure::ReachedContract).len(),
        board.conversion.reached_contract
    );
    // The funnel counts what became of the orders started in the period: C completed; B was
    // cancelled in the period but started before it.
    assert_eq!(behind(Figure::StartedAndCompleted), ids(&[3]));
    assert!(behind(Figure::StartedAndCancelled).is_empty());
    assert_eq!(
        behind(Figure::StartedAndCompleted).len(),
        board.conversion.completed
    );
    assert_eq!(
        behind(Figure::StartedAndCancelled).len(),
        board.conversion.cancelled
    );
    assert_eq!(behind(Figure::OnTime).len(), board.delivery.on_time);
    assert_eq!(behind(Figure::Late).len(), board.delivery.late);

    // A filter narrows the lists as it narrows the numbers.
    let theirs = Filter {
        owner: Some("u-sunlei".into()),
        ..Filter::default()
    };
    assert_eq!(
        orders_behind(&all, period(), &theirs, &pipeline, Figure::Started),
        ids(&[5])
    );
    assert!(orders_behind(&all, period(), &theirs, &pipeline, Figure::Completed).is_empty());
}

#[test]
fn the_heat_map_puts_each_active_order_under_its_owner_and_stage() {
    let pipeline = Pipeline::standard();
    let heat = owner_by_stage(&orders(), date(2026, 12, 13), &pipeline);
    assert_eq!(heat.stages.len(), 6);
    // Active: A, D, F, G (王芳's) and E (孙磊's); B is cancelled, C completed. Rows by name.
    let names: Vec<&str> = heat.rows.iter().map(|r| r.owner.name.as_str()).collect();
    assert_eq!(names, ["孙磊", "王芳"]);
    let cell = |row: usize, stage: &str| {
        heat.rows[row].cells[pipeline.index_of(&stage_id(stage)).unwrap()].clone()
    };
    // E entered 需求确认 on 12-12 with a 2-day SLA: due 12-14, not overdue.
    assert_eq!(
        cell(0, "requirement"),
        HeatCell {
            orders: vec![Uuid::from_u128(5)],
            overdue: 0
        }
    );
    // A due 12-11 and D due 12-10: both overdue on 12-13.
    assert_eq!(cell(1, "order_entry").overdue, 1);
    assert_eq!(cell(1, "production").orders, [Uuid::from_u128(4)]);
    assert_eq!(cell(1, "production").overdue, 1);
    // F (since 12-05, due 12-12: overdue) before G (since 12-06, due 12-13: due today).
    assert_eq!(
        cell(1, "after_sales"),
        HeatCell {
            orders: vec![Uuid::from_u128(6), Uuid::from_u128(7)],
            overdue: 1
        }
    );
    assert_eq!(cell(1, "requirement"), HeatCell::default());
    assert_eq!(heat.busiest(), 2);
    let counted: usize = heat
        .rows
        .iter()
        .flat_map(|r| &r.cells)
        .map(|c| c.orders.len())
        .sum();
    assert_eq!(counted, 5, "every active order once");
}

#[test]
fn a_stage_or_department_filter_narrows_the_stage_figures_only() {
    let all = orders();
    let pipeline = Pipeline::standard();
    let production = Filter {
        stage: Some(stage_id("production")),
        ..Filter::default()
    };
    let board = dashboard(&all, period(), &production, now(), &pipeline);
    assert_eq!(board.load.len(), 1);
    assert_eq!(board.load[0].orders, [Uuid::from_u128(4)]);
    assert_eq!(board.stages.len(), 1);
    assert_eq!(heat_stages(&board), ["production"]);
    assert_eq!(board.bottleneck.unwrap().stage.as_str(), "production");
    // The order figures stay those of every order.
    assert_eq!(board.conversion.started, 3);
    assert_eq!(board.rework, 1);

    // 仓储 works in 下单处理 and 发货发票. Finished there in the period: C's 下单处理 (on time);
    // F's 发货发票 (late) and G's (on time). Waiting: A in 下单处理 (overdue), nobody in 发货发票.
    let warehouse = Filter {
        department: Some(Role::Warehouse),
        ..Filter::default()
    };
    let board = dashboard(&all, period(), &warehouse, now(), &pipeline);
    assert_eq!(heat_stages(&board), ["order_entry", "delivery"]);
    let finished: Vec<_> = board
        .stages
        .iter()
        .map(|s| (s.stage.as_str(), s.finished, s.on_time))
        .collect();
    assert_eq!(finished, [("order_entry", 1, 1), ("delivery", 2, 1)]);
    assert_eq!(board.heat.rows.len(), 1);
    assert_eq!(
        board.heat.rows[0].cells,
        [
            HeatCell {
                orders: vec![Uuid::from_u128(1)],
                overdue: 1
            },
            HeatCell::default()
        ]
    );
    assert_eq!(board.load[1].orders, Vec::<Uuid>::new());
}

fn heat_stages(board: &Dashboard) -> Vec<&str> {
    board.heat.stages.iter().map(|s| s.as_str()).collect()
}

fn stage_id(id: &str) -> StageId {
    StageId::new(id)
}

fn feedback(stars: u8, at: DateTime<Utc>) -> Feedback {
    Feedback {
        stars,
        comment: String::new(),
        given_at: at,
        edited_at: None,
    }
}

fn request(
    n: u128,
    kind: AfterSalesKind,
    at: DateTime<Utc>,
    resolved: Option<DateTime<Utc>>,
) -> AfterSalesRequest {
    AfterSalesRequest {
        id: Uuid::from_u128(n),
        kind,
        description: "—".into(),
        contact: "周建国".into(),
        at,
        resolution: resolved.map(|at| Resolution {
            by: staff(&service()),
            at,
            note: String::new(),
        }),
    }
}

/// The fixtures with what customers said: C rated 4 on 12-11 and had a delivery request on
/// 12-11 10:00 resolved 12-12 16:00 (30 h); F rated 5 on 11-20 (before the period); G has an
/// open quality request from 12-08.
fn orders_with_feedback() -> Vec<Order> {
    let mut all = orders();
    all[2].feedback = Some(feedback(4, dec(11, 9)));
    all[2].after_sales.push(request(
        1,
        AfterSalesKind::Delivery,
        dec(11, 10),
        Some(dec(12, 16)),
    ));
    all[5].feedback = Some(feedback(5, nov(20, 9)));
    all[6]
        .after_sales
        .push(request(2, AfterSalesKind::Quality, dec(8, 10), None));
    all
}

#[test]
fn each_person_gets_the_orders_they_own_and_the_stages_they_handled() {
    let found = people(&orders_with_feedback(), period(), &Pipeline::standard());
    assert_eq!(
        found.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["孙磊", "王芳"],
        "by name"
    );
    let sunlei = &found[0];
    assert_eq!(
        (sunlei.owned_active, sunlei.handled, sunlei.median_minutes),
        (1, 0, None)
    );
    // 王芳 handled (moved on, completed or cancelled) A: requirement ✓, contract ✗; B:
    // requirement ✗, contract ✓ (cancelled); C: all three ✓ (the last by completing it); F:
    // delivery ✗; G: delivery ✓ — 9 visits, 6 on time. Their times sorted: 720, 1440, 1440,
    // 1440, 2880, 2880, 4320, 5760, 10080: the median is the 5th, 2880.
    let wangfang = &found[1];
    assert_eq!(wangfang.user_id, "u-wangfang");
    assert_eq!((wangfang.handled, wangfang.on_time), (9, 6));
    assert_eq!(wangfang.median_minutes, Some(2880));
    // She owns A, D, F and G (active), B and C (closed); E is 孙磊's.
    assert_eq!(wangfang.owned_active, 4);
    // C's rating is in the period, F's is not; G's request is still open.
    assert_eq!((wangfang.rating_sum, wangfang.ratings), (4, 1));
    assert_eq!(wangfang.open_requests, 1);
}

#[test]
fn a_stage_with_a_responsible_person_is_theirs_whoever_moved_it_on() {
    let mut a = order_a();
    a.stages[0].responsible = Some(staff(&legal()));
    let found = people([&a], period(), &Pipeline::standard());
    let liqiang = found.iter().find(|p| p.user_id == "u-liqiang").unwrap();
    assert_eq!(
        (liqiang.handled, liqiang.on_time, liqiang.owned_active),
        (1, 1, 0)
    );
    let wangfang = found.iter().find(|p| p.user_id == "u-wangfang").unwrap();
    assert_eq!(wangfang.handled, 1, "only the contract visit is hers now");
}

#[test]
fn customers_ratings_requests_per_shipment_and_time_to_resolve() {
    let feeling = customer_feeling(&orders_with_feedback(), period());
    assert_eq!(feeling.stars, [0, 0, 0, 1, 0]);
    assert_eq!(feeling.average_tenths(), Some(40));
    // Shipped in the period: C, F, G. Requests filed in it: one delivery, one quality.
    assert_eq!(feeling.shipped, 3);
    let count = |kind| feeling.requests.iter().find(|(k, _)| *k == kind).unwrap().1;
    assert_eq!(
        (
            count(AfterSalesKind::Quality),
            count(AfterSalesKind::Delivery),
            count(AfterSalesKind::Return)
        ),
        (1, 1, 0)
    );
    assert_eq!(feeling.requests_per_100_shipped(), Some(67));
    // 12-11 10:00 → 12-12 16:00 = 30 hours.
    assert_eq!(feeling.time_to_resolve.unwrap().p50, 30 * 60);
    let quiet = Period {
        from: date(2027, 1, 4),
        to: date(2027, 1, 10),
    };
    let none = customer_feeling(&orders_with_feedback(), quiet);
    assert_eq!(
        (
            none.average_tenths(),
            none.requests_per_100_shipped(),
            none.time_to_resolve
        ),
        (None, None, None)
    );
}

#[test]
fn the_monday_summary_covers_last_week_and_what_is_overdue_now() {
    let monday = dec(14, 10);
    assert_eq!(
        last_week(date(2026, 12, 14)),
        Period {
            from: date(2026, 12, 7),
            to: date(2026, 12, 13)
        }
    );
    assert_eq!(
        last_week(date(2026, 12, 13)).from,
        date(2026, 11, 30),
        "on a Sunday, last week is the one before this one"
    );
    let all = orders();
    let summary = weekly_summary(&all, monday, &Processes::standard());
    // Started 12-07..12-13: C and E; completed: C (12-10); B was cancelled the week before.
    assert_eq!(
        (summary.started, summary.completed, summary.cancelled),
        (2, 1, 0)
    );
    // Shipped that week: C only, a day after its promise.
    assert_eq!(summary.on_time_percent, Some(0));
    assert_eq!((summary.average_rating_tenths, summary.ratings), (None, 0));
    // On 12-14: A (due 12-11), D (12-10), F (12-12) and G (12-13) are past due; E is due today.
    assert_eq!(summary.overdue_now, 4);
    assert_eq!(
        summary.bottleneck,
        bottleneck(&all, summary.period, monday, &Pipeline::standard())
    );
    assert_eq!(summary.bottleneck.unwrap().stage.as_str(), "production");
}

#[test]
fn the_review_of_one_order_holds_each_stage_against_its_plan() {
    let mut a = order_a();
    for item in [
        "record_needs",
        "confirm_quantity_spec",
        "confirm_delivery_date",
    ] {
        a.stages[0].checklist.insert(item.into(), true);
    }
    a.stages[1].checklist.insert("draft_contract".into(), true);
    a.stages[1].checklist.insert("sign_contract".into(), true);
    let tick = |at, item: &str| {
        event(
            at,
            EventKind::ChecklistItemSet {
                stage: stage("contract"),
                item: item.into(),
                done: true,
            },
        )
    };
    // 合同签订 was due 12-07: the draft was ticked in time, the signature on 12-08.
    a.history.push(tick(dec(3, 10), "draft_contract"));
    a.history.push(tick(dec(8, 10), "sign_contract"));
    let review = review(&a, &Pipeline::standard(), now(), Lang::Zh);
    let rows: Vec<_> = review
        .stages
        .iter()
        .map(|s| (s.stage.as_str(), s.due, s.took_minutes, s.on_time))
        .collect();
    assert_eq!(
        rows,
        [
            ("requirement", date(2026, 12, 3), 24 * 60, Some(true)),
            ("contract", date(2026, 12, 7), 7 * 24 * 60, Some(false)),
            // Still there on 12-13 12:00, since 12-09 10:00; no verdict yet.
            ("order_entry", date(2026, 12, 11), 4 * 24 * 60 + 120, None),
        ]
    );
    let contract = &review.stages[1];
    assert_eq!(contract.ticked_late, ["双方签署"]);
    assert_eq!(contract.never_ticked, ["法务审核"]);
    assert_eq!(contract.handled_by.as_ref().unwrap().name, "王芳");
    assert!(review.stages[0].never_ticked.is_empty());
    assert!(
        review.stages[2].never_ticked.is_empty(),
        "an open stage has nothing never ticked yet"
    );
    assert_eq!(review.stages[2].handled_by, None);
    assert_eq!((review.rating, review.requests), (None, 0));
}

#[test]
fn without_the_whole_team_one_sees_ones_orders_and_ones_stages() {
    let all = orders();
    let pipeline = Pipeline::standard();
    // 李强 (legal) owns nothing; 合同签订 is legal's (with sales). C's contract visit ended in
    // the period, handled by whoever moved it on (王芳 in these fixtures), and B's too.
    let board = own_dashboard(
        &all,
        period(),
        &Filter::default(),
        now(),
        &pipeline,
        &legal(),
    );
    assert_eq!(board.conversion.started, 0, "no orders of their own");
    let stages: Vec<&str> = board.stages.iter().map(|s| s.stage.as_str()).collect();
    assert_eq!(stages, ["contract"]);
    // Finished 合同签订 in the period: A (12-09), B (12-03), C (12-08).
    assert_eq!(board.stages[0].finished, 3);
    assert!(board.people.is_empty(), "they handled none of these visits");
    assert_eq!(heat_stages(&board), ["contract"]);

    // 王芳 (sales): her orders' flow; the sales stages across everyone's orders, E's included.
    let board = own_dashboard(
        &all,
        period(),
        &Filter::default(),
        now(),
        &pipeline,
        &sales(),
    );
    assert_eq!(board.conversion.started, 2, "A and C are hers; E is 孙磊's");
    let stages: Vec<&str> = board.stages.iter().map(|s| s.stage.as_str()).collect();
    assert_eq!(
        stages,
        ["requirement", "contract", "order_entry", "after_sales"]
    );
    assert_eq!(
        board.load[0].orders,
        [Uuid::from_u128(5)],
        "E waits in 需求确认"
    );
    let names: Vec<&str> = board.people.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["王芳"]);
}
