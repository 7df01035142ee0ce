//! 客户档案: the customers this device knows, built from the orders' cards (so it works offline
//! and needs no storage of its own). A customer is a company name, compared without surrounding
//! spaces and case; its contact and phone are those of its most recent order.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Card, CardStatus};
use crate::Money;

#[derive(Debug, Clone, PartialEq)]
pub struct CustomerSummary {
    pub company: String,
    pub contact: String,
    pub phone: String,
    /// The most recently changed order: the one whose details a new order starts from.
    pub latest_order: Uuid,
    /// Every order, most recently changed first.
    pub orders: Vec<Uuid>,
    /// The sum of the orders that were not cancelled.
    pub total: Money,
    /// The average of the ratings given, to one decimal; `None` when nobody rated.
    pub average_rating: Option<f32>,
    pub open_requests: u32,
    /// When its most recent order last changed.
    pub last_active: DateTime<Utc>,
}

/// How a company name is compared: the same customer typed with a trailing space or another
/// case is still the same customer.
pub fn company_key(company: &str) -> String {
    company.trim().to_lowercase()
}

/// Every customer on the device, most recently active first.
pub fn customers<'a>(cards: impl IntoIterator<Item = &'a Card>) -> Vec<CustomerSummary> {
    let mut by_company: Vec<(String, Vec<&Card>)> = Vec::new();
    for card in cards {
        let key = company_key(&card.company);
        if key.is_empty() {
            continue;
        }
        match by_company.iter_mut().find(|(k, _)| *k == key) {
            Some((_, group)) => group.push(card),
            None => by_company.push((key, vec![card])),
        }
    }
    let mut summaries: Vec<CustomerSummary> = by_company
        .into_iter()
        .map(|(_, mut group)| {
            crate::sorting::sort_by(&mut group, |a, b| {
                b.updated_at.cmp(&a.updated_at).then(a.id.cmp(&b.id))
            });
            summarise(&group)
        })
        .collect();
    crate::sorting::sort_by(&mut summaries, |a, b| {
        b.last_active
            .cmp(&a.last_active)
            .then_with(|| a.company.cmp(&b.company))
    });
    summaries
}

fn summarise(group: &[&Card]) -> CustomerSummary {
    let latest = group[0];
    let total = group
        .iter()
        .filter(|card| card.status != CardStatus::Cancelled)
        .fold(Money::ZERO, |sum, card| {
            sum.checked_add(card.total).unwrap_or(sum)
        });
    let ratings: Vec<u8> = group.iter().filter_map(|card| card.rating).collect();
    let average_rating = (!ratings.is_empty()).then(|| {
        let sum: u32 = ratings.iter().map(|r| u32::from(*r)).sum();
        (sum as f32 * 10.0 / ratings.len() as f32).round() / 10.0
    });
    CustomerSummary {
        company: latest.company.trim().to_string(),
        contact: latest.contact.clone(),
        phone: latest.phone.clone(),
        latest_order: latest.id,
        orders: group.iter().map(|card| card.id).collect(),
        total,
        average_rating,
        open_requests: group.iter().map(|card| card.after_sales_open).sum(),
        last_active: latest.updated_at,
    }
}

/// The customer with this company name, if the device has orders for it.
pub fn customer_named<'a>(
    cards: impl IntoIterator<Item = &'a Card>,
    company: &str,
) -> Option<CustomerSummary> {
    let key = company_key(company);
    let group: Vec<&Card> = cards
        .into_iter()
        .filter(|card| company_key(&card.company) == key)
        .collect();
    if key.is_empty() || group.is_empty() {
        return None;
    }
    let mut group = group;
    crate::sorting::sort_by(&mut group, |a, b| {
        b.updated_at.cmp(&a.updated_at).then(a.id.cmp(&b.id))
    });
    Some(summarise(&group))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{demo_orders, Pipeline};
    use chrono::{Duration, TimeZone, Utc};

    fn demo_cards() -> Vec<Card> {
        let pipeline = Pipeline::standard();
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
        demo_orders(&pipeline, now)
            .iter()
            .map(|order| Card::from_order(order, &pipeline))
            .collect()
    }

    #[test]
    fn a_repeat_customer_is_one_entry_with_every_order_its_total_rating_and_open_requests() {
        let mut cards = demo_cards();
        let first = cards[0].clone();
        let mut again = first.clone();
        again.id = Uuid::from_u128(42);
        again.company = format!(" {} ", first.company);
        again.contact = "新联系人".into();
        again.updated_at = first.updated_at + Duration::days(1);
        again.total = Money(5_000);
        again.rating = Some(4);
        again.after_sales_open = 2;
        let mut cancelled = first.clone();
        cancelled.id = Uuid::from_u128(43);
        cancelled.status = CardStatus::Cancelled;
        cancelled.total = Money(999_999);
        cancelled.rating = Some(5);
        cancelled.updated_at = first.updated_at - Duration::days(1);
        cards.push(again.clone());
        cards.push(cancelled.clone());

        let customer = customer_named(&cards, &first.company.to_uppercase()).unwrap();
        assert_eq!(customer.orders, [again.id, first.id, cancelled.id]);
        assert_eq!(customer.latest_order, again.id);
        assert_eq!(customer.contact, "新联系人", "the newest order's contact");
        assert_eq!(customer.company, first.company);
        let expected = first.total.checked_add(Money(5_000)).unwrap();
        assert_eq!(customer.total, expected, "cancelled orders do not count");
        let expected_rating = match first.rating {
            Some(r) => ((f32::from(r) + 4.0 + 5.0) * 10.0 / 3.0).round() / 10.0,
            None => 4.5,
        };
        assert_eq!(customer.average_rating, Some(expected_rating));
        assert_eq!(customer.open_requests, 2 + first.after_sales_open);

        let all = customers(&cards);
        assert_eq!(all.len(), demo_cards().len(), "one entry per company");
        assert_eq!(
            all[0].orders.len(),
            3,
            "the most recently active comes first"
        );
    }

    #[test]
    fn an_unknown_or_blank_company_is_no_customer() {
        let cards = demo_cards();
        assert_eq!(customer_named(&cards, "不存在的公司"), None);
        assert_eq!(customer_named(&cards, "  "), None);
    }
}
