//! Requests for help (请他处理) for the team's group robots: when a pushed change asks a
//! department to record something (`EventKind::HelpAsked`), one outbox row per enabled channel
//! that receives the team's digest, in the same guarded D1 batch as the order write (sync adds
//! them like customer notices), so a message exists exactly when the ask does.
//!
//! The key `help:<order>:<event index>:<channel>` names that one ask (history only grows), so a
//! batch retried after an unknown outcome cannot queue it twice, and asking again later (a
//! reminder) is a new message.

use chrono::{DateTime, Utc};
use domain::{EventKind, Order, Pipeline};

use super::{stamp, HelpAsked, Payload};
use crate::{
    error::ApiError,
    repository::{ChannelRecord, NewOutboxRow},
};

/// The asks `after` gained since `before`: (index in the history, the event's kind parts).
pub fn new_asks<'o>(
    before: Option<&Order>,
    after: &'o Order,
) -> Vec<(usize, &'o domain::HistoryEvent)> {
    let known = before.map_or(0, |order| order.history.len());
    after
        .history
        .iter()
        .enumerate()
        .skip(known)
        .filter(|(_, event)| matches!(event.kind, EventKind::HelpAsked { .. }))
        .collect()
}

/// The outbox rows for the asks of one order change.
pub fn help_asked_rows(
    before: Option<&Order>,
    after: &Order,
    pipeline: &Pipeline,
    channels: &[ChannelRecord],
    link_base: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<NewOutboxRow>, ApiError> {
    let mut rows = Vec::new();
    for (index, event) in new_asks(before, after) {
        let EventKind::HelpAsked { need, stage } = &event.kind else {
            continue;
        };
        let payload = Payload::HelpAsked(HelpAsked {
            order_id: after.id,
            number: after.number.as_str().to_string(),
            company: after.customer.company.clone(),
            stage_name: pipeline
                .stage(stage)
                .map_or_else(|| stage.to_string(), |def| def.name.zh.clone()),
            asked_by: event.actor.name.clone(),
            department: need.department().label(domain::Lang::Zh).to_string(),
            task: need.task().zh.clone(),
            link: crate::http::order_link(link_base, after.id),
        });
        let payload =
            serde_json::to_string(&payload).map_err(|e| ApiError::Internal(e.to_string()))?;
        for channel in channels
            .iter()
            .filter(|channel| channel.enabled && channel.receives_digest)
        {
            rows.push(NewOutboxRow {
                idempotency_key: format!("help:{}:{index}:{}", after.id, channel.id),
                channel_id: channel.id.clone(),
                kind: "help_asked",
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
    use domain::{
        apply, stage_ids, Actor, Context, Customer, ExitRequirement, Mutation, Role, StageId,
    };
    use uuid::Uuid;

    fn channel(id: &str, receives_digest: bool) -> ChannelRecord {
        ChannelRecord {
            id: id.into(),
            kind: "wecom".into(),
            name: "销售群".into(),
            url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x".into(),
            secret: None,
            enabled: true,
            receives_digest,
            receives_customer_notices: false,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn an_ask_queues_one_message_per_team_channel_naming_the_department_and_the_task() {
        let pipeline = Pipeline::standard();
        let admin = Actor::new("u-admin", "管理员", vec![Role::Admin]);
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0).unwrap();
        let processes = domain::Processes::single(pipeline.clone());
        let ctx = Context {
            processes: &processes,
            actor: &admin,
            now,
        };
        let id = Uuid::from_u128(9);
        let mut order = apply(
            &ctx,
            None,
            &Mutation::CreateOrder {
                order_id: id,
                number: Some("GD-ASK-1".into()),
                customer: Customer {
                    company: "杭州[点我](https://evil.example)有限公司".into(),
                    contact: "张三".into(),
                    phone: "13900001111".into(),
                    email: None,
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
        // Straight to 发货发票 (a skip, with a reason).
        order = apply(
            &ctx,
            Some(&order),
            &Mutation::AdvanceStage {
                order_id: id,
                from: order.stage.clone(),
                to: StageId::new(stage_ids::DELIVERY),
                reason: Some("测试".into()),
            },
        )
        .unwrap()
        .order;
        let asked = apply(
            &ctx,
            Some(&order),
            &Mutation::AskForHelp {
                order_id: id,
                need: ExitRequirement::Invoice,
            },
        )
        .unwrap()
        .order;
        let channels = [channel("team", true), channel("sms", false)];
        let rows = help_asked_rows(
            Some(&order),
            &asked,
            &pipeline,
            &channels,
            Some("https://gd.example"),
            now,
        )
        .unwrap();
        assert_eq!(
            rows.len(),
            1,
            "only the channel that takes the team's messages"
        );
        assert_eq!(rows[0].kind, "help_asked");
        assert!(rows[0].idempotency_key.starts_with(&format!("help:{id}:")));
        let payload: Payload = serde_json::from_str(&rows[0].payload).unwrap();
        let Payload::HelpAsked(help) = payload else {
            panic!("{payload:?}")
        };
        assert_eq!(
            (help.department.as_str(), help.task.as_str()),
            ("财务", "登记发票")
        );
        assert_eq!(help.asked_by, "管理员");
        assert_eq!(help.stage_name, "发货发票");
        // Nothing new since the ask: nothing more to send.
        assert!(
            help_asked_rows(Some(&asked), &asked, &pipeline, &channels, None, now)
                .unwrap()
                .is_empty()
        );
    }
}
