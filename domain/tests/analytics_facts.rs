//! 分析 from stored facts equals 分析 from the orders: the device keeps `OrderFacts` packed
//! (`pack_facts`, in `app/src/storage`) and opens the screen from them, so every figure and
//! every drill-down list must come out the same after that round trip, for any period and
//! filter.

use chrono::{Duration, TimeZone, Utc};
use domain::analytics::*;
use domain::*;

fn stored(facts: &[OrderFacts]) -> Vec<OrderFacts> {
    unpack_facts(&pack_facts(facts)).unwrap()
}

const FIGURES: [Figure; 9] = [
    Figure::Started,
    Figure::Completed,
    Figure::Cancelled,
    Figure::ReachedContract,
    Figure::StartedAndCompleted,
    Figure::StartedAndCancelled,
    Figure::OnTime,
    Figure::Late,
    Figure::Reworked,
];

#[test]
fn figures_from_stored_facts_equal_figures_from_the_orders() {
    let pipeline = Pipeline::standard();
    let now = Utc.with_ymd_and_hms(2026, 12, 7, 3, 30, 0).unwrap();
    let orders = demo_orders(&pipeline, now);
    let facts = stored(&facts_of(&orders, &pipeline));
    assert_eq!(facts, facts_of(&orders, &pipeline), "a lossless round trip");
    let today = business_date(now);
    let periods = Preset::ALL
        .iter()
        .map(|preset| preset.period(today))
        .chain([Period {
            from: today - Duration::days(400),
            to: today,
        }]);
    let owners = orders.iter().map(|o| Some(o.owner.user_id.clone()));
    let filters: Vec<Filter> = [None]
        .into_iter()
        .chain(owners)
        .map(|owner| Filter {
            owner,
            ..Filter::default()
        })
        .chain([
            Filter {
                stage: Some(StageId::new("production")),
                ..Filter::default()
            },
            Filter {
                department: Some(Role::Warehouse),
                ..Filter::default()
            },
            Filter {
                company: Some(orders[0].customer.company.clone()),
                ..Filter::default()
            },
        ])
        .collect();
    let mut compared = 0;
    for period in periods {
        for filter in &filters {
            let from_orders = dashboard(&orders, period, filter, now, &pipeline);
            assert_eq!(
                dashboard_of(&facts, period, filter, now, &pipeline),
                from_orders
            );
            for figure in FIGURES {
                assert_eq!(
                    orders_behind_of(&facts, period, filter, figure),
                    orders_behind(&orders, period, filter, &pipeline, figure),
                    "{figure:?}"
                );
            }
            for (actor, _) in demo_staff() {
                assert_eq!(
                    own_dashboard_of(&facts, period, filter, now, &pipeline, &actor),
                    own_dashboard(&orders, period, filter, now, &pipeline, &actor)
                );
            }
            compared += 1;
        }
    }
    assert!(compared > 10);
}
