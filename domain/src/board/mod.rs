//! What a follow-up board shows: filtering, searching and grouping orders into stage columns.
//! Plain functions over [`Card`]s (the compact summary of an order, see `card.rs`), so the app
//! and (later) manager views on the worker agree, and they stay fast with thousands of orders
//! (one pass over the cards).

mod card;
mod customers;
mod today;

pub use card::{Card, CardStatus};
pub use customers::{company_key, customer_named, customers, CustomerSummary};
pub use today::{today, Today, WEEK_DAYS};

use crate::{DeadlineState, Pipeline};
use chrono::NaiveDate;
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoardFilter {
    pub query: String,
    pub mine: bool,
    pub overdue: bool,
    pub due_this_week: bool,
    /// Only orders owned by this user id.
    pub owner: Option<String>,
    /// Only orders with an after-sales request nobody has resolved yet (待处理售后).
    pub after_sales_open: bool,
}

impl BoardFilter {
    pub fn is_active(&self) -> bool {
        !self.query.trim().is_empty()
            || self.mine
            || self.overdue
            || self.due_this_week
            || self.owner.is_some()
            || self.after_sales_open
    }
}

impl BoardFilter {
    /// The filter as URL query text (`q=…&overdue=1…`, empty when nothing narrows), so that a
    /// link can carry the board's filter to the export, which reads it back with `from_query`.
    pub fn to_query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.query.trim().is_empty() {
            pairs.push(("q", self.query.trim().to_string()));
        }
        for (name, on) in [
            ("mine", self.mine),
            ("overdue", self.overdue),
            ("due_this_week", self.due_this_week),
            ("after_sales_open", self.after_sales_open),
        ] {
            if on {
                pairs.push((name, "1".into()));
            }
        }
        if let Some(owner) = &self.owner {
            pairs.push(("owner", owner.clone()));
        }
        pairs
            .into_iter()
            .map(|(name, value)| format!("{name}={}", percent_encode(&value)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The filter from decoded query pairs; names it does not know are left to the caller.
    pub fn from_query<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> BoardFilter {
        let mut filter = BoardFilter::default();
        for (name, value) in pairs {
            let (name, value) = (name.as_ref(), value.as_ref());
            let on = matches!(value, "1" | "true");
            match name {
                "q" => filter.query = value.to_string(),
                "mine" => filter.mine = on,
                "overdue" => filter.overdue = on,
                "due_this_week" => filter.due_this_week = on,
                "after_sales_open" => filter.after_sales_open = on,
                "owner" if !value.is_empty() => filter.owner = Some(value.to_string()),
                _ => {}
            }
        }
        filter
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters (UTF-8 bytes).
fn percent_encode(text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Does `card` pass `filter`? `me` is the user id of whoever looks at the board.
pub fn matches(card: &Card, filter: &BoardFilter, me: &str, today: NaiveDate) -> bool {
    if filter.mine && card.owner_id != me {
        return false;
    }
    if let Some(owner) = &filter.owner {
        if &card.owner_id != owner {
            return false;
        }
    }
    if filter.after_sales_open && card.after_sales_open == 0 {
        return false;
    }
    if filter.overdue || filter.due_this_week {
        let overdue = matches!(card.deadline_state(today), DeadlineState::Overdue { .. });
        let this_week = card.is_active() && card.due >= today && (card.due - today).num_days() < 7;
        let wanted = (filter.overdue && overdue) || (filter.due_this_week && this_week);
        if !wanted {
            return false;
        }
    }
    card.matches_query(&filter.query)
}

/// The board's columns: active orders per pipeline stage, most urgent first, plus the closed
/// (completed or cancelled) orders, most recently changed first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Columns<'a> {
    pub stages: Vec<Vec<&'a Card>>,
    pub closed: Vec<&'a Card>,
}

pub fn columns<'a>(
    cards: impl IntoIterator<Item = &'a Card>,
    filter: &BoardFilter,
    me: &str,
    pipeline: &Pipeline,
    today: NaiveDate,
) -> Columns<'a> {
    let mut columns = Columns {
        stages: vec![Vec::new(); pipeline.stages.len()],
        closed: Vec::new(),
    };
    for card in cards {
        if !matches(card, filter, me, today) {
            continue;
        }
        if card.is_closed() {
            columns.closed.push(card);
        } else if let Some(index) = pipeline.index_of(&card.stage) {
            columns.stages[index].push(card);
        }
    }
    for column in &mut columns.stages {
        column.sort_unstable_by(|a, b| (a.due, &a.number).cmp(&(b.due, &b.number)));
    }
    // Ties broken by id so the order never depends on the hash map the cards came from.
    columns
        .closed
        .sort_unstable_by_key(|card| std::cmp::Reverse((card.updated_at, card.id)));
    columns
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{demo_orders, Order};
    use chrono::{Duration, TimeZone, Utc};

    fn demo() -> (Vec<Order>, Pipeline, NaiveDate) {
        let pipeline = Pipeline::standard();
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
        (
            demo_orders(&pipeline, now),
            pipeline,
            crate::business_date(now),
        )
    }

    /// The demo orders, where the one in after-sales (GD-DEMO-010) got a customer's request
    /// (the demo itself has none).
    fn demo_with_after_sales_request() -> (Vec<Order>, Pipeline, NaiveDate) {
        let (mut orders, pipeline, today) = demo();
        let order = orders
            .iter_mut()
            .find(|order| order.number.as_str() == "GD-DEMO-010")
            .unwrap();
        let customer = crate::Actor::customer("郭磊");
        let ctx = crate::Context {
            processes: &crate::Processes::single(pipeline.clone()),
            actor: &customer,
            now: Utc.with_ymd_and_hms(2026, 11, 26, 3, 0, 0).unwrap(),
        };
        let request = crate::Mutation::RequestAfterSales {
            order_id: order.id,
            request_id: uuid::Uuid::from_u128(1),
            kind: crate::AfterSalesKind::Quality,
            description: "门禁终端无法联网".into(),
            contact: "郭磊 13701112233".into(),
        };
        *order = crate::apply(&ctx, Some(order), &request).unwrap().order;
        (orders, pipeline, today)
    }

    fn cards(orders: &[Order], pipeline: &Pipeline) -> Vec<Card> {
        orders
            .iter()
            .map(|order| Card::from_order(order, pipeline))
            .collect()
    }

    /// The board's rules written against full orders, as the board answered before it read
    /// cards: every card answer must equal this one.
    mod order_based {
        use super::*;

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
            if filter.after_sales_open && order.open_after_sales() == 0 {
                return false;
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
    }

    #[test]
    fn searching_by_company_product_or_phone_digits_finds_the_order() {
        let (orders, pipeline, _) = demo();
        let cards = cards(&orders, &pipeline);
        let find = |query: &str| {
            cards
                .iter()
                .filter(|card| card.matches_query(query))
                .map(|card| card.number.as_str().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(find("华芯"), ["GD-DEMO-003"]);
        assert_eq!(find("gd-demo-003"), ["GD-DEMO-003"]);
        assert_eq!(find("工业控制主板"), ["GD-DEMO-003"]);
        assert_eq!(find("138 2345 6789"), ["GD-DEMO-003"]);
        assert!(find("不存在的公司").is_empty());
    }

    #[test]
    fn a_card_answers_every_search_and_filter_exactly_as_its_order_does() {
        let (orders, pipeline, today) = demo_with_after_sales_request();
        let queries = [
            "",
            "华芯",
            "GD-DEMO",
            "gd-demo-01",
            "工业",
            "32s",
            "138",
            "2345-6789",
            "138 2345",
            "12",
            "王",
            "有限公司",
            "zzz",
        ];
        let owners = [None, Some("u-wangfang".to_string()), Some("nobody".into())];
        let mut compared = 0;
        for order in &orders {
            let card = Card::from_order(order, &pipeline);
            for query in queries {
                assert_eq!(
                    card.matches_query(query),
                    order_based::matches_query(order, query),
                    "{} / {query:?}",
                    order.number
                );
            }
            // Every filter combination, on days around each deadline.
            for offset in [-40, -8, -7, -6, -1, 0, 1, 2, 6, 7, 8, 30] {
                let day = today + Duration::days(offset);
                for bits in 0..16u8 {
                    for owner in &owners {
                        let filter = BoardFilter {
                            query: String::new(),
                            mine: bits & 1 != 0,
                            overdue: bits & 2 != 0,
                            due_this_week: bits & 4 != 0,
                            owner: owner.clone(),
                            after_sales_open: bits & 8 != 0,
                        };
                        assert_eq!(
                            matches(&card, &filter, "u-sunlei", day),
                            order_based::matches(order, &filter, "u-sunlei", &pipeline, day),
                            "{} / {filter:?} / {day}",
                            order.number
                        );
                        compared += 1;
                    }
                }
                assert_eq!(
                    card.deadline_state(day),
                    order.deadline_state(&pipeline, day)
                );
                assert_eq!(card.days_in_stage(day), order.days_in_stage(day));
            }
        }
        assert!(compared > 1000);
    }

    #[test]
    fn a_card_holds_what_the_order_card_shows() {
        let (orders, pipeline, _) = demo();
        for order in &orders {
            let card = Card::from_order(order, &pipeline);
            let (done, total) = order.checklist_done(&pipeline);
            assert_eq!(card.id, order.id);
            assert_eq!(card.number, order.number);
            assert_eq!(card.total, order.total());
            assert_eq!(card.due, order.due_date(&pipeline));
            assert_eq!(
                (card.checklist_done as usize, card.checklist_total as usize),
                (done, total)
            );
            assert_eq!(card.is_closed(), order.is_closed());
            assert_eq!(card.owner_name, order.owner.name);
        }
    }

    #[test]
    fn a_card_survives_a_json_round_trip_unchanged() {
        let (orders, pipeline, _) = demo();
        for card in cards(&orders, &pipeline) {
            let json = serde_json::to_string(&card).unwrap();
            assert_eq!(serde_json::from_str::<Card>(&json).unwrap(), card);
        }
    }

    #[test]
    fn every_active_order_lands_in_its_stage_column_and_closed_ones_apart() {
        let (orders, pipeline, today) = demo();
        let cards = cards(&orders, &pipeline);
        let columns = columns(&cards, &BoardFilter::default(), "nobody", &pipeline, today);
        let active: usize = columns.stages.iter().map(Vec::len).sum();
        assert_eq!(active + columns.closed.len(), orders.len());
        for (index, column) in columns.stages.iter().enumerate() {
            assert!(column
                .iter()
                .all(|card| card.stage == pipeline.stages[index].id));
            assert!(column
                .windows(2)
                .all(|pair| (pair[0].due, &pair[0].number) <= (pair[1].due, &pair[1].number)));
        }
        assert!(columns.closed.iter().all(|card| card.is_closed()));
        assert!(columns
            .closed
            .windows(2)
            .all(|pair| pair[0].updated_at >= pair[1].updated_at));
    }

    #[test]
    fn the_overdue_filter_keeps_only_late_orders() {
        let (orders, pipeline, today) = demo();
        let cards = cards(&orders, &pipeline);
        let filter = BoardFilter {
            overdue: true,
            ..BoardFilter::default()
        };
        let columns = columns(&cards, &filter, "nobody", &pipeline, today);
        let found: Vec<_> = columns.stages.iter().flatten().collect();
        assert!(!found.is_empty(), "the demo has an overdue order");
        for card in found {
            let order = orders.iter().find(|order| order.id == card.id).unwrap();
            assert!(matches!(
                order.deadline_state(&pipeline, today),
                DeadlineState::Overdue { .. }
            ));
        }
    }

    #[test]
    fn the_mine_filter_keeps_only_my_orders() {
        let (orders, pipeline, today) = demo();
        let cards = cards(&orders, &pipeline);
        let filter = BoardFilter {
            mine: true,
            ..BoardFilter::default()
        };
        let columns = columns(&cards, &filter, "u-wangfang", &pipeline, today);
        let found: Vec<_> = columns
            .stages
            .iter()
            .flatten()
            .chain(columns.closed.iter())
            .collect();
        assert!(!found.is_empty());
        assert!(found.iter().all(|card| card.owner_id == "u-wangfang"));
    }

    #[test]
    fn the_after_sales_filter_keeps_only_orders_with_an_unresolved_request() {
        let (mut orders, pipeline, today) = demo_with_after_sales_request();
        let filter = BoardFilter {
            after_sales_open: true,
            ..BoardFilter::default()
        };
        assert!(filter.is_active());
        let found = |orders: &[Order]| {
            let cards = cards(orders, &pipeline);
            let columns = columns(&cards, &filter, "nobody", &pipeline, today);
            columns
                .stages
                .iter()
                .flatten()
                .chain(columns.closed.iter())
                .map(|card| card.number.as_str().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(found(&orders), ["GD-DEMO-010"]);

        // Once the team resolves it, the order leaves the filter.
        let order = orders
            .iter_mut()
            .find(|order| order.number.as_str() == "GD-DEMO-010")
            .unwrap();
        let service = crate::Actor::new("u-zhaomin", "赵敏", vec![crate::Role::Service]);
        let ctx = crate::Context {
            processes: &crate::Processes::single(pipeline.clone()),
            actor: &service,
            now: Utc.with_ymd_and_hms(2026, 11, 26, 4, 0, 0).unwrap(),
        };
        let resolve = crate::Mutation::ResolveAfterSales {
            order_id: order.id,
            request_id: uuid::Uuid::from_u128(1),
            note: "已远程重置网络设置".into(),
        };
        *order = crate::apply(&ctx, Some(order), &resolve).unwrap().order;
        assert!(found(&orders).is_empty());
    }
}

#[cfg(test)]
mod query_tests {
    use super::BoardFilter;

    #[test]
    fn a_board_filter_travels_as_query_text_and_comes_back_the_same() {
        assert_eq!(BoardFilter::default().to_query(), "");
        let filter = BoardFilter {
            query: "杭州 & 宁波".into(),
            mine: true,
            overdue: false,
            due_this_week: true,
            owner: Some("u-1".into()),
            after_sales_open: true,
        };
        let text = filter.to_query();
        assert_eq!(
            text,
            "q=%E6%9D%AD%E5%B7%9E%20%26%20%E5%AE%81%E6%B3%A2&mine=1&due_this_week=1&after_sales_open=1&owner=u-1"
        );
        // What a URL parser gives back: the decoded pairs.
        let decoded = [
            ("q", "杭州 & 宁波"),
            ("mine", "1"),
            ("due_this_week", "1"),
            ("after_sales_open", "1"),
            ("owner", "u-1"),
            ("format", "xlsx"),
        ];
        assert_eq!(BoardFilter::from_query(decoded), filter);
    }
}
