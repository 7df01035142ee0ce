//! One line saying what a change held, for the list of refused changes: the person must be
//! able to re-enter it (the note's text, the carrier and number, the stage) or drop it knowingly.
//! Stage and checklist names come from `pipeline` (the team's current process): a person reads
//! "勾选清单项「核查库存」", not the item's id.

use domain::{Lang, Mutation, Pipeline, StageId};

fn stage_name(id: &StageId, pipeline: &Pipeline, lang: Lang) -> String {
    pipeline
        .stage(id)
        .map(|stage| stage.name.get(lang).to_string())
        .unwrap_or_else(|| id.0.clone())
}

fn item_label(stage: &StageId, item: &str, pipeline: &Pipeline, lang: Lang) -> String {
    pipeline
        .stage(stage)
        .and_then(|stage| stage.checklist.iter().find(|def| def.id == item))
        .map(|def| def.label.get(lang).to_string())
        .unwrap_or_else(|| item.to_string())
}

pub fn mutation(mutation: &Mutation, pipeline: &Pipeline, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    match mutation {
        Mutation::CreateOrder { customer, .. } => match zh {
            true => format!("新建订单：{}", customer.company),
            false => format!("New order: {}", customer.company),
        },
        Mutation::EditFields { .. } => match zh {
            true => "修改订单信息".into(),
            false => "Edit of the order's details".into(),
        },
        Mutation::AdvanceStage { to, reason, .. } => {
            let reason = reason.as_deref().unwrap_or("");
            match zh {
                true => format!("推进到 {} {reason}", stage_name(to, pipeline, lang)),
                false => format!("Move to {} {reason}", stage_name(to, pipeline, lang)),
            }
        }
        Mutation::SetChecklistItem {
            stage, item, done, ..
        } => {
            let label = item_label(stage, item, pipeline, lang);
            match (zh, done) {
                (true, true) => format!("勾选清单项「{label}」"),
                (true, false) => format!("取消勾选「{label}」"),
                (false, true) => format!("Tick “{label}”"),
                (false, false) => format!("Untick “{label}”"),
            }
        }
        Mutation::AddNote { text, .. } => match zh {
            true => format!("备注：{text}"),
            false => format!("Note: {text}"),
        },
        Mutation::SetDueDate { due, .. } => {
            let due = due.map_or_else(|| "—".to_string(), |d| d.to_string());
            match zh {
                true => format!("截止日期：{due}"),
                false => format!("Due date: {due}"),
            }
        }
        Mutation::Assign { owner, .. } => match zh {
            true => format!("转交给 {}", owner.name),
            false => format!("Reassign to {}", owner.name),
        },
        Mutation::SetStageResponsible { responsible, .. } => match zh {
            true => format!("阶段负责人：{}", responsible.name),
            false => format!("Stage owner: {}", responsible.name),
        },
        Mutation::RecordShipment {
            carrier,
            tracking_no,
            ..
        } => match zh {
            true => format!("发货：{carrier} {tracking_no}"),
            false => format!("Shipment: {carrier} {tracking_no}"),
        },
        Mutation::RecordInvoice { number, date, .. } => match zh {
            true => format!("发票：{number}（{date}）"),
            false => format!("Invoice: {number} ({date})"),
        },
        Mutation::Complete { .. } => match zh {
            true => "完成订单".into(),
            false => "Complete the order".into(),
        },
        Mutation::Cancel { reason, .. } => match zh {
            true => format!("取消订单：{reason}"),
            false => format!("Cancel: {reason}"),
        },
        Mutation::Reopen { .. } => match zh {
            true => "重新打开订单".into(),
            false => "Reopen the order".into(),
        },
        // Customers' changes come from the worker, never from a phone's queue; listed for
        // completeness.
        Mutation::RateOrder { stars, .. } => match zh {
            true => format!("客户评价：{}", domain::stars_text(*stars)),
            false => format!("Customer rating: {}", domain::stars_text(*stars)),
        },
        Mutation::RequestAfterSales { kind, .. } => match zh {
            true => format!("售后申请：{}", kind.label(lang)),
            false => format!("After-sales request: {}", kind.label(lang)),
        },
        Mutation::ResolveAfterSales { note, .. } => match zh {
            true => format!("处理售后申请 {note}"),
            false => format!("Resolve after-sales request {note}"),
        },
        Mutation::AskForHelp { need, .. } => {
            let department = need.department().label(lang);
            match zh {
                true => format!("请{department}处理：{}", need.task().zh),
                false => format!("Ask {department} to {}", need.task().en),
            }
        }
        Mutation::AddAttachment { attachment, .. } => match zh {
            true => format!("上传{}", attachment.kind.label(lang)),
            false => format!("Add a {}", attachment.kind.label(lang)),
        },
        Mutation::RemoveAttachment { .. } | Mutation::PurgeAttachment { .. } => match zh {
            true => "删除附件".into(),
            false => "Remove an attachment".into(),
        },
    }
}
