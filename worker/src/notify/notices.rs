//! Customer progress notices: when a write makes an order ENTER a stage whose pipeline entry
//! says `notify_customer`, one outbox row per channel that takes customer notices. Sync adds
//! these rows to the same guarded D1 batch as the order write (`repository::DecisionWrite`), so
//! a notice exists exactly when the change does.
//!
//! "Entering" is read off the stage visits, which only ever grow (ARCHITECTURE.md, `apply`): the
//! visits the new order has beyond the old one's are the stages it entered. The key
//! `notice:<order>:<stage>:<visit index>:<channel>` names that one visit, so a batch retried
//! after an unknown outcome cannot queue it twice, while rework that re-enters the stage later
//! (a new visit) is a new notice.

use chrono::{DateTime, Utc};
use domain::{Order, Pipeline};

use super::{stamp, CustomerNotice, Payload};
use crate::auth::customer_link::{customer_page_link, ShareSecret};
use crate::{
    error::ApiError,
    repository::{ChannelRecord, NewOutboxRow},
};

/// The stages `after` entered since `before` whose definition asks to notify the customer, with
/// the index of that visit.
pub fn entered_notify_stages<'p>(
    before: Option<&Order>,
    after: &Order,
    pipeline: &'p Pipeline,
) -> Vec<(usize, &'p domain::StageDef)> {
    let known_visits = before.map_or(0, |order| order.stages.len());
    after
        .stages
        .iter()
        .enumerate()
        .skip(known_visits)
        .filter_map(|(index, visit)| {
            pipeline
                .stage(&visit.stage)
                .filter(|def| def.notify_customer)
                .map(|def| (index, def))
        })
        .collect()
}

/// The outbox rows for the notices of one order change.
pub fn notice_rows(
    before: Option<&Order>,
    after: &Order,
    pipeline: &Pipeline,
    channels: &[ChannelRecord],
    link_base: Option<&str>,
    share_secret: Option<&ShareSecret>,
    now: DateTime<Utc>,
) -> Result<Vec<NewOutboxRow>, ApiError> {
    let mut rows = Vec::new();
    for (visit, def) in entered_notify_stages(before, after, pipeline) {
        let payload = Payload::CustomerNotice(CustomerNotice {
            order_id: after.id,
            number: after.number.as_str().to_string(),
            company: after.customer.company.clone(),
            contact: after.customer.contact.clone(),
            phone: after.customer.phone.clone(),
            email: after.customer.email.clone(),
            stage_id: def.id.to_string(),
            stage_label: def.customer_label.zh.clone(),
            message: def.customer_message.zh.clone(),
            track_link: customer_page_link(link_base, share_secret, after.id, now),
        });
        let payload =
            serde_json::to_string(&payload).map_err(|e| ApiError::Internal(e.to_string()))?;
        for channel in channels {
            rows.push(NewOutboxRow {
                idempotency_key: format!("notice:{}:{}:{visit}:{}", after.id, def.id, channel.id),
                channel_id: channel.id.clone(),
                kind: "customer_notice",
                payload: payload.clone(),
                next_attempt_at: stamp(now),
                created_at: stamp(now),
            });
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use domain::{apply, stage_ids, Actor, Context, Customer, Mutation, Role, StageId};
    use uuid::Uuid;

    fn channel(id: &str) -> ChannelRecord {
        ChannelRecord {
            id: id.into(),
            kind: "webhook".into(),
            name: "短信网关".into(),
            url: "https://sms.example.com/hook".into(),
            secret: None,
            enabled: true,
            receives_digest: false,
            receives_customer_notices: true,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn entering_a_notify_stage_queues_one_notice_per_channel_and_nothing_else_does() {
        let pipeline = Pipeline::standard();
        let processes = domain::Processes::single(pipeline.clone());
        let admin = Actor::new("u-admin", "管理员", vec![Role::Admin]);
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0).unwrap();
        let ctx = Context {
            processes: &processes,
            actor: &admin,
            now,
        };
        let id = Uuid::from_u128(7);
        let created = apply(
            &ctx,
            None,
            &Mutation::CreateOrder {
                order_id: id,
                number: Some("GD-7".into()),
                customer: Customer {
                    company: "杭州明远纺织有限公司".into(),
                    contact: "周建国".into(),
                    phone: "13857101234".into(),
                    email: Some("zhou@example.com".into()),
                    address: None,
                },
                items: vec![],
                expected_delivery: None,
                owner: None,
                note: None,
                note_id: None,
            },
        )
        .unwrap()
        .order;
        let channels = [channel("c1"), channel("c2")];
        // Creating the order enters `requirement`, which does not notify.
        let rows = notice_rows(None, &created, &pipeline, &channels, None, None, now).unwrap();
        assert!(rows.is_empty());

        let advanced = apply(
            &ctx,
            Some(&created),
            &Mutation::AdvanceStage {
                order_id: id,
                from: StageId::new(stage_ids::REQUIREMENT),
                to: StageId::new(stage_ids::CONTRACT),
                reason: Some("客户已确认".into()),
            },
        )
        .unwrap()
        .order;
        let secret = ShareSecret::new(&[3u8; 32]).unwrap();
        let rows = notice_rows(
            Some(&created),
            &advanced,
            &pipeline,
            &channels,
            Some("https://gd.example.com"),
            Some(&secret),
            now,
        )
        .unwrap();
        let keys: Vec<&str> = rows.iter().map(|r| r.idempotency_key.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "notice:00000000-0000-0000-0000-000000000007:contract:1:c1",
                "notice:00000000-0000-0000-0000-000000000007:contract:1:c2"
            ]
        );
        let payload: serde_json::Value = serde_json::from_str(&rows[0].payload).unwrap();
        assert_eq!(payload["kind"], "customer_notice");
        assert_eq!(payload["stage_label"], "签订合同");
        assert_eq!(payload["email"], "zhou@example.com");
        // The customer gets the signed link the team would share: it opens this order.
        let link = payload["track_link"].as_str().unwrap();
        let token = link.strip_prefix("https://gd.example.com/t/").unwrap();
        let claims = crate::auth::customer_link::verify(&secret, token, now).unwrap();
        assert_eq!(claims.order_id, advanced.id);
        // The same change seen again (a retried batch) gives the same keys: no second notice.
        let again = notice_rows(
            Some(&created),
            &advanced,
            &pipeline,
            &channels,
            None,
            None,
            now,
        )
        .unwrap();
        assert_eq!(again[0].idempotency_key, rows[0].idempotency_key);
        // A change that enters no stage (the order as it is) queues nothing.
        assert!(notice_rows(
            Some(&advanced),
            &advanced,
            &pipeline,
            &channels,
            None,
            None,
            now
        )
        .unwrap()
        .is_empty());
    }
}
