//! The cron's overdue scan: one digest per channel per business day, listing every active order
//! whose current stage is overdue, grouped by the person who must act.
//!
//! "Overdue" is the domain's `Order::deadline_state` on the business date (China time) of the
//! scheduled time; nothing about deadlines is decided here. The person is the stage's
//! responsible person when one is set, else the order's owner.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use domain::{business_date, business_offset, DeadlineState, Order, Pipeline};

use super::{stamp, DigestPayload, OverdueOrder, Payload, PersonDigest};
use crate::{
    error::ApiError,
    repository::{NewOutboxRow, Repository},
};

/// Digests are written from this hour of the business day (China time) on: people read them
/// in the morning, not at midnight. The hourly cron makes the first run at or after 08:00
/// write it; the idempotency key keeps later runs that day from writing another.
pub const DIGEST_HOUR: u32 = 8;

/// Orders read per D1 query during the scan.
const SCAN_PAGE: u32 = 200;

/// The overdue entry of one order, with the person it is for (id, name), or `None` when the
/// order is not overdue on `today`.
pub fn overdue_entry(
    order: &Order,
    pipeline: &Pipeline,
    today: NaiveDate,
    link_base: Option<&str>,
) -> Option<((String, String), OverdueOrder)> {
    let DeadlineState::Overdue { days } = order.deadline_state(pipeline, today) else {
        return None;
    };
    let person = order.stage_person();
    let stage_name = pipeline
        .stage(&order.stage)
        .map_or_else(|| order.stage.to_string(), |def| def.name.zh.clone());
    Some((
        (person.user_id.clone(), person.name.clone()),
        OverdueOrder {
            order_id: order.id,
            number: order.number.as_str().to_string(),
            company: order.customer.company.clone(),
            stage_id: order.stage.to_string(),
            stage_name,
            responsible: person.name.clone(),
            due_date: order.due_date(pipeline),
            days_late: days,
            link: crate::http::order_link(link_base, order.id),
        },
    ))
}

/// Groups entries per person (by name, then id), the latest orders first within each person;
/// `None` when nothing is overdue (no digest is sent on a good day).
pub fn group(
    entries: Vec<((String, String), OverdueOrder)>,
    today: NaiveDate,
    phones: &HashMap<String, String>,
) -> Option<DigestPayload> {
    if entries.is_empty() {
        return None;
    }
    let mut people: BTreeMap<(String, String), Vec<OverdueOrder>> = BTreeMap::new();
    for ((id, name), order) in entries {
        people.entry((name, id)).or_default().push(order);
    }
    Some(DigestPayload {
        business_date: today,
        people: people
            .into_iter()
            .map(|((name, user_id), mut orders)| {
                orders.sort_by(|a, b| {
                    b.days_late
                        .cmp(&a.days_late)
                        .then_with(|| a.number.cmp(&b.number))
                });
                PersonDigest {
                    work_phone: phones.get(&user_id).cloned(),
                    user_id,
                    name,
                    orders,
                }
            })
            .collect(),
    })
}

/// Writes today's digest rows (one per enabled digest channel) if it is digest time and none was
/// written yet today. Returns how many rows were new.
pub async fn queue_digests(
    repo: &Repository,
    now: DateTime<Utc>,
    link_base: Option<&str>,
) -> Result<usize, ApiError> {
    let local = now.with_timezone(&business_offset());
    if local.hour() < DIGEST_HOUR {
        return Ok(0);
    }
    let channels: Vec<_> = repo
        .list_channels()
        .await?
        .into_iter()
        .filter(|c| c.enabled && c.receives_digest)
        .collect();
    if channels.is_empty() {
        return Ok(0);
    }
    let today = business_date(now);
    let processes = repo.processes().await?;
    let mut entries = Vec::new();
    let mut after = String::new();
    loop {
        let page = repo.active_order_docs(&after, SCAN_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for row in &page {
            match serde_json::from_str::<Order>(&row.doc) {
                Ok(order) => entries.extend(overdue_entry(
                    &order,
                    processes.for_order(&order),
                    today,
                    link_base,
                )),
                // One unreadable document must not stop everyone's digest.
                Err(error) => worker::console_error!("overdue scan: order {}: {error}", row.id),
            }
        }
        if page.len() < SCAN_PAGE as usize {
            break;
        }
    }
    let phones: HashMap<String, String> = repo
        .work_phones()
        .await?
        .into_iter()
        .map(|p| (p.id, p.work_phone))
        .collect();
    let Some(digest) = group(entries, today, &phones) else {
        return Ok(0);
    };
    let payload = serde_json::to_string(&Payload::Digest(digest))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let rows: Vec<NewOutboxRow> = channels
        .iter()
        .map(|channel| NewOutboxRow {
            idempotency_key: format!("digest:{}:{today}", channel.id),
            channel_id: channel.id.clone(),
            kind: "digest",
            payload: payload.clone(),
            next_attempt_at: stamp(now),
            created_at: stamp(now),
        })
        .collect();
    repo.queue_messages(&rows).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use domain::{apply, Actor, Context, Customer, Mutation, Role, StaffRef};
    use uuid::Uuid;

    fn created(at: DateTime<Utc>, id: u128, number: &str) -> Order {
        let processes = domain::Processes::standard();
        let actor = Actor::new("u-wangfang", "王芳", vec![Role::Sales]);
        let ctx = Context {
            processes: &processes,
            actor: &actor,
            now: at,
        };
        let mutation = Mutation::CreateOrder {
            order_id: Uuid::from_u128(id),
            number: Some(number.into()),
            customer: Customer {
                company: "杭州明远纺织有限公司".into(),
                contact: "周建国".into(),
                phone: "138 5710 1234".into(),
                email: None,
                address: None,
            },
            items: vec![],
            expected_delivery: None,
            owner: None,
            note: None,
            note_id: None,
        };
        apply(&ctx, None, &mutation).unwrap().order
    }

    #[test]
    fn only_overdue_orders_are_listed_per_responsible_person() {
        let pipeline = Pipeline::standard();
        let entered = Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0).unwrap();
        // Requirement has a 2-day SLA: due 11-29, so on 12-07 it is 8 days late.
        let late = created(entered, 1, "GD-1");
        let mut handed_over = created(entered, 2, "GD-2");
        handed_over.stages.last_mut().unwrap().responsible =
            Some(StaffRef::new("u-liqiang", "李强"));
        let fresh = created(
            Utc.with_ymd_and_hms(2026, 12, 6, 2, 0, 0).unwrap(),
            3,
            "GD-3",
        );
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();

        let entries: Vec<_> = [&late, &handed_over, &fresh]
            .into_iter()
            .filter_map(|o| overdue_entry(o, &pipeline, today, Some("https://gd.example.com")))
            .collect();
        let phones = HashMap::from([("u-wangfang".to_string(), "13857123456".to_string())]);
        let digest = group(entries, today, &phones).unwrap();

        // (name, work phone, [(order number, days late)]) per person.
        type PersonSummary = (String, Option<String>, Vec<(String, i64)>);
        let summary: Vec<PersonSummary> = digest
            .people
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.work_phone.clone(),
                    p.orders
                        .iter()
                        .map(|o| (o.number.clone(), o.days_late))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("李强".to_string(), None, vec![("GD-2".to_string(), 8)]),
                (
                    "王芳".to_string(),
                    Some("13857123456".to_string()),
                    vec![("GD-1".to_string(), 8)]
                ),
            ]
        );
        let first = &digest.people[1].orders[0];
        assert_eq!(first.stage_name, "需求确认");
        assert_eq!(
            first.due_date,
            NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
        );
        assert_eq!(
            first.link.as_deref(),
            Some("https://gd.example.com/orders/00000000-0000-0000-0000-000000000001")
        );
    }

    #[test]
    fn a_day_without_overdue_orders_has_no_digest() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(group(Vec::new(), today, &HashMap::new()), None);
    }
}
