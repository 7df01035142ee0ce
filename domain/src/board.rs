//! What a follow-up board shows: filtering, searching and grouping orders into stage columns.
//! Plain functions over domain orders, so the app and (later) manager views on the worker agree,
//! and they stay fast with thousands of orders (one pass over the orders).

use crate::{DeadlineState, Order, Pipeline};
use chrono::NaiveDate;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoardFilter {
    pub query: String,
    pub mine: bool,
    pub overdue: bool,
    pub due_this_week: bool,
    /// Only orders owned by this user id.
    pub owner: Option<String>,
}

impl BoardFilter {
    pub fn is_active(&self) -> bool {
        !self.query.trim().is_empty()
            || self.mine
            || self.overdue
            || self.due_this_week
            || self.owner.is_some()
    }
}

/// Does `order` match the search text? Order number, customer company, contact, phone and
/// product names, case-insensitively; phone digits match regardless of spaces or dashes.
pub fn matches_query(order: &Order, query: &str) -> bool {
    let query = query.trim().to_lowercase();
    if query.is_empty() {
        return true;
    }
    let contains = |text: &str| text.to_lowercase().contains(&query);
    let query_digits: String = query.chars().filter(char::is_ascii_digit).collect();
    let phone_digits: String = order
        .customer
        .phone
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    contains(order.number.as_str())
        || contains(&order.customer.company)
        || contains(&order.customer.contact)
        || (query_digits.len() >= 3
            && query_digits.len()
                == query
                    .chars()
                    .filter(|c| !c.is_whitespace() && *c != '-')
                    .count()
            && phone_digits.contains(&query_digits))
        || order.items.iter().any(|item| contains(&item.product))
}

pub fn matches(
    order: &Order,
    filter: &BoardFilter,
    me: &str,
    pipeline: &Pipeline,
    today: NaiveDate,
) -> bool {
    if filter.mine && order.owner.user_id != me {
        return false;
    }
    if let Some(owner) = &filter.owner {
        if &order.owner.user_id != owner {
            return false;
        }
    }
    if filter.overdue || filter.due_this_week {
        let state = order.deadline_state(pipeline, today);
        let overdue = matches!(state, DeadlineState::Overdue { .. });
        let due = order.due_date(pipeline);
        let this_week = order.is_active() && due >= today && (due - today).num_days() < 7;
        let wanted = (filter.overdue && overdue) || (filter.due_this_week && this_week);
        if !wanted {
            return false;
        }
    }
    matches_query(order, &filter.query)
}

/// The board's columns: active orders per pipeline stage, most urgent first, plus the closed
/// (completed or cancelled) orders, most recently changed first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Columns<'a> {
    pub stages: Vec<Vec<&'a Order>>,
    pub closed: Vec<&'a Order>,
}

pub fn columns<'a>(
    orders: impl IntoIterator<Item = &'a Order>,
    filter: &BoardFilter,
    me: &str,
    pipeline: &Pipeline,
    today: NaiveDate,
) -> Columns<'a> {
    let mut columns = Columns {
        stages: vec![Vec::new(); pipeline.stages.len()],
        closed: Vec::new(),
    };
    for order in orders {
        if !matches(order, filter, me, pipeline, today) {
            continue;
        }
        if order.is_closed() {
            columns.closed.push(order);
        } else if let Some(index) = pipeline.index_of(&order.stage) {
            columns.stages[index].push(order);
        }
    }
    for column in &mut columns.stages {
        column.sort_by_cached_key(|order| {
            (order.due_date(pipeline), order.number.as_str().to_string())
        });
    }
    columns
        .closed
        .sort_by_key(|order| std::cmp::Reverse(order.updated_at));
    columns
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo_orders;
    use chrono::{TimeZone, Utc};

    fn demo() -> (Vec<Order>, Pipeline, NaiveDate) {
        let pipeline = Pipeline::standard();
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
        (
            demo_orders(&pipeline, now),
            pipeline,
            crate::business_date(now),
        )
    }

    #[test]
    fn searching_by_company_product_or_phone_digits_finds_the_order() {
        let (orders, ..) = demo();
        let find = |query: &str| {
            orders
                .iter()
                .filter(|order| matches_query(order, query))
                .map(|order| order.number.as_str().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(find("华芯"), ["GD-DEMO-003"]);
        assert_eq!(find("gd-demo-003"), ["GD-DEMO-003"]);
        assert_eq!(find("工业控制主板"), ["GD-DEMO-003"]);
        assert_eq!(find("138 2345 6789"), ["GD-DEMO-003"]);
        assert!(find("不存在的公司").is_empty());
    }

    #[test]
    fn every_active_order_lands_in_its_stage_column_and_closed_ones_apart() {
        let (orders, pipeline, today) = demo();
        let columns = columns(&orders, &BoardFilter::default(), "nobody", &pipeline, today);
        let active: usize = columns.stages.iter().map(Vec::len).sum();
        assert_eq!(active + columns.closed.len(), orders.len());
        for (index, column) in columns.stages.iter().enumerate() {
            assert!(column
                .iter()
                .all(|order| order.stage == pipeline.stages[index].id));
        }
        assert!(columns.closed.iter().all(|order| order.is_closed()));
    }

    #[test]
    fn the_overdue_filter_keeps_only_late_orders() {
        let (orders, pipeline, today) = demo();
        let filter = BoardFilter {
            overdue: true,
            ..BoardFilter::default()
        };
        let columns = columns(&orders, &filter, "nobody", &pipeline, today);
        let found: Vec<_> = columns.stages.iter().flatten().collect();
        assert!(!found.is_empty(), "the demo has an overdue order");
        assert!(found.iter().all(|order| matches!(
            order.deadline_state(&pipeline, today),
            DeadlineState::Overdue { .. }
        )));
    }

    #[test]
    fn the_mine_filter_keeps_only_my_orders() {
        let (orders, pipeline, today) = demo();
        let filter = BoardFilter {
            mine: true,
            ..BoardFilter::default()
        };
        let columns = columns(&orders, &filter, "u-wangfang", &pipeline, today);
        let found: Vec<_> = columns
            .stages
            .iter()
            .flatten()
            .chain(columns.closed.iter())
            .collect();
        assert!(!found.is_empty());
        assert!(found
            .iter()
            .all(|order| order.owner.user_id == "u-wangfang"));
    }
}
