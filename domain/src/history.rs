//! The audit trail. Events are facts in past tense, written by `apply` only, never edited.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::attachment::AttachmentKind;
use crate::feedback::AfterSalesKind;
use crate::i18n::Lang;
use crate::pipeline::{ExitRequirement, Pipeline, StageId};
use crate::staff::StaffRef;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEvent {
    pub at: DateTime<Utc>,
    pub actor: StaffRef,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Created,
    FieldsEdited {
        fields: Vec<String>,
    },
    StageAdvanced {
        from: StageId,
        to: StageId,
        reason: Option<String>,
        skipped: Vec<StageId>,
        incomplete_items: Vec<String>,
    },
    ChecklistItemSet {
        stage: StageId,
        item: String,
        done: bool,
    },
    NoteAdded {
        note_id: Uuid,
    },
    DueDateSet {
        stage: StageId,
        due: Option<NaiveDate>,
    },
    Assigned {
        owner: StaffRef,
    },
    StageResponsibleSet {
        stage: StageId,
        responsible: StaffRef,
    },
    ShipmentRecorded {
        carrier: String,
        tracking_no: String,
    },
    InvoiceRecorded {
        number: String,
        date: NaiveDate,
    },
    Cancelled {
        reason: String,
    },
    Reopened,
    Completed {
        reason: Option<String>,
    },
    /// The server gave the order another number because another order already had the one it
    /// was created (or edited) with, typically two phones offline on the same day.
    Renumbered {
        from: String,
        to: String,
    },
    /// The customer rated the order (`edited`: changed an earlier rating).
    FeedbackGiven {
        stars: u8,
        edited: bool,
    },
    AfterSalesRequested {
        request_id: Uuid,
        kind: AfterSalesKind,
    },
    AfterSalesResolved {
        request_id: Uuid,
        kind: AfterSalesKind,
    },
    /// Someone asked the department that records `need` (an exit requirement of `stage`) to
    /// record it; open while the order is still in that visit of the stage and it is missing.
    HelpAsked {
        need: ExitRequirement,
        stage: StageId,
    },
    /// The server stopped lookups of this order's number by phone digits for the business day
    /// (too many wrong digits): the owner should send the customer the link.
    CustomerLookupLocked {
        business_date: NaiveDate,
    },
    /// An admin moved the order onto a newer process version; `skipped` are the new version's
    /// stages before `to_stage` the order never visited (skipped, never overdue).
    ProcessMigrated {
        from_version: u32,
        to_version: u32,
        from_stage: StageId,
        to_stage: StageId,
        #[serde(default)]
        skipped: Vec<StageId>,
    },
    AttachmentAdded {
        attachment_id: Uuid,
        kind: AttachmentKind,
    },
    AttachmentRemoved {
        attachment_id: Uuid,
        kind: AttachmentKind,
    },
    /// An admin deleted a removed attachment's bytes for good.
    AttachmentPurged {
        attachment_id: Uuid,
        kind: AttachmentKind,
    },
}

/// Names of editable order fields as they appear in `FieldsEdited`.
pub fn field_label(field: &str, lang: Lang) -> &str {
    let (zh, en) = match field {
        "number" => ("订单号", "order number"),
        "customer" => ("客户信息", "customer details"),
        "items" => ("订单明细", "line items"),
        "expected_delivery" => ("预计交付日期", "expected delivery date"),
        other => (other, other),
    };
    lang.pick(zh, en)
}

impl EventKind {
    /// The serde tag, for storing the kind in its own column without serializing the event.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::FieldsEdited { .. } => "fields_edited",
            EventKind::StageAdvanced { .. } => "stage_advanced",
            EventKind::ChecklistItemSet { .. } => "checklist_item_set",
            EventKind::NoteAdded { .. } => "note_added",
            EventKind::DueDateSet { .. } => "due_date_set",
            EventKind::Assigned { .. } => "assigned",
            EventKind::StageResponsibleSet { .. } => "stage_responsible_set",
            EventKind::ShipmentRecorded { .. } => "shipment_recorded",
            EventKind::InvoiceRecorded { .. } => "invoice_recorded",
            EventKind::Cancelled { .. } => "cancelled",
            EventKind::Reopened => "reopened",
            EventKind::Completed { .. } => "completed",
            EventKind::Renumbered { .. } => "renumbered",
            EventKind::FeedbackGiven { .. } => "feedback_given",
            EventKind::AfterSalesRequested { .. } => "after_sales_requested",
            EventKind::AfterSalesResolved { .. } => "after_sales_resolved",
            EventKind::HelpAsked { .. } => "help_asked",
            EventKind::CustomerLookupLocked { .. } => "customer_lookup_locked",
            EventKind::ProcessMigrated { .. } => "process_migrated",
            EventKind::AttachmentAdded { .. } => "attachment_added",
            EventKind::AttachmentRemoved { .. } => "attachment_removed",
            EventKind::AttachmentPurged { .. } => "attachment_purged",
        }
    }
}

impl HistoryEvent {
    /// One readable sentence, e.g. "王芳 将订单从 需求确认 推进到 合同签订".
    pub fn describe(&self, pipeline: &Pipeline, lang: Lang) -> String {
        let who = &self.actor.name;
        let stage_name = |id: &StageId| -> String {
            pipeline
                .stage(id)
                .map_or_else(|| id.to_string(), |s| s.name.get(lang).to_string())
        };
        let item_name = |stage: &StageId, item: &str| -> String {
            pipeline
                .stage(stage)
                .and_then(|s| s.item(item))
                .map_or_else(|| item.to_string(), |i| i.label.get(lang).to_string())
        };
        let zh = lang == Lang::Zh;
        let reason_suffix = |reason: &Option<String>| match reason {
            Some(r) if zh => format!("，原因：{r}"),
            Some(r) => format!(" (reason: {r})"),
            None => String::new(),
        };
        match &self.kind {
            EventKind::Created => {
                if zh {
                    format!("{who} 创建了订单")
                } else {
                    format!("{who} created the order")
                }
            }
            EventKind::FieldsEdited { fields } => {
                let names: Vec<&str> = fields.iter().map(|f| field_label(f, lang)).collect();
                if zh {
                    format!("{who} 修改了{}", names.join("、"))
                } else {
                    format!("{who} changed the {}", names.join(", "))
                }
            }
            EventKind::StageAdvanced {
                from,
                to,
                reason,
                skipped,
                incomplete_items,
            } => {
                let backward = match (pipeline.index_of(from), pipeline.index_of(to)) {
                    (Some(f), Some(t)) => t < f,
                    _ => false,
                };
                let (from_name, to_name) = (stage_name(from), stage_name(to));
                let mut s = match (zh, backward) {
                    (true, false) => format!("{who} 将订单从 {from_name} 推进到 {to_name}"),
                    (true, true) => format!("{who} 将订单从 {from_name} 退回到 {to_name}"),
                    (false, false) => {
                        format!("{who} moved the order from {from_name} to {to_name}")
                    }
                    (false, true) => {
                        format!("{who} sent the order back from {from_name} to {to_name}")
                    }
                };
                if !skipped.is_empty() {
                    let names: Vec<String> = skipped.iter().map(stage_name).collect();
                    if zh {
                        s += &format!("（跳过：{}）", names.join("、"));
                    } else {
                        s += &format!(", skipping {}", names.join(", "));
                    }
                }
                if !incomplete_items.is_empty() {
                    let names: Vec<String> = incomplete_items
                        .iter()
                        .map(|i| item_name(from, i))
                        .collect();
                    if zh {
                        s += &format!("，未完成：{}", names.join("、"));
                    } else {
                        s += &format!(", with unfinished: {}", names.join(", "));
                    }
                }
                s + &reason_suffix(reason)
            }
            EventKind::ChecklistItemSet { stage, item, done } => {
                let (stage, item) = (stage_name(stage), item_name(stage, item));
                match (zh, done) {
                    (true, true) => format!("{who} 完成了 {stage} 的「{item}」"),
                    (true, false) => format!("{who} 取消勾选了 {stage} 的「{item}」"),
                    (false, true) => format!("{who} ticked \"{item}\" in {stage}"),
                    (false, false) => format!("{who} unticked \"{item}\" in {stage}"),
                }
            }
            EventKind::NoteAdded { .. } => {
                if zh {
                    format!("{who} 添加了备注")
                } else {
                    format!("{who} added a note")
                }
            }
            EventKind::DueDateSet { stage, due } => {
                let stage = stage_name(stage);
                match (zh, due) {
                    (true, Some(d)) => format!("{who} 将 {stage} 的截止日期设为 {d}"),
                    (true, None) => format!("{who} 取消了 {stage} 的截止日期，恢复按时限计算"),
                    (false, Some(d)) => format!("{who} set the due date of {stage} to {d}"),
                    (false, None) => format!("{who} cleared the due date of {stage}"),
                }
            }
            EventKind::Assigned { owner } => {
                if zh {
                    format!("{who} 将订单负责人改为 {}", owner.name)
                } else {
                    format!("{who} made {} the owner of the order", owner.name)
                }
            }
            EventKind::StageResponsibleSet { stage, responsible } => {
                let stage = stage_name(stage);
                if zh {
                    format!("{who} 指定 {} 负责 {stage}", responsible.name)
                } else {
                    format!("{who} made {} responsible for {stage}", responsible.name)
                }
            }
            EventKind::ShipmentRecorded {
                carrier,
                tracking_no,
            } => {
                if zh {
                    format!("{who} 登记了发货：{carrier} {tracking_no}")
                } else {
                    format!("{who} recorded the shipment: {carrier} {tracking_no}")
                }
            }
            EventKind::InvoiceRecorded { number, date } => {
                if zh {
                    format!("{who} 登记了发票 {number}（开票日期 {date}）")
                } else {
                    format!("{who} recorded invoice {number} dated {date}")
                }
            }
            EventKind::Cancelled { reason } => {
                if zh {
                    format!("{who} 取消了订单，原因：{reason}")
                } else {
                    format!("{who} cancelled the order (reason: {reason})")
                }
            }
            EventKind::Reopened => {
                if zh {
                    format!("{who} 重新打开了订单")
                } else {
                    format!("{who} reopened the order")
                }
            }
            EventKind::Completed { reason } => {
                let s = if zh {
                    format!("{who} 完成了订单")
                } else {
                    format!("{who} completed the order")
                };
                s + &reason_suffix(reason)
            }
            EventKind::Renumbered { from, to } => {
                if zh {
                    format!("订单号 {from} 与其他订单重复，{who}已将其改为 {to}")
                } else {
                    format!("Order number {from} was already taken; {who} changed it to {to}")
                }
            }
            EventKind::FeedbackGiven { stars, edited } => {
                let shown = stars_text(*stars);
                match (zh, edited) {
                    (true, false) => format!("{who} 评价了订单：{shown}"),
                    (true, true) => format!("{who} 修改了评价：{shown}"),
                    (false, false) => format!("{who} rated the order {shown}"),
                    (false, true) => format!("{who} changed their rating to {shown}"),
                }
            }
            EventKind::AfterSalesRequested { kind, .. } => {
                let kind = kind.label(lang);
                if zh {
                    format!("{who} 提交了售后申请：{kind}")
                } else {
                    format!("{who} filed an after-sales request: {kind}")
                }
            }
            EventKind::AfterSalesResolved { kind, .. } => {
                let kind = kind.label(lang);
                if zh {
                    format!("{who} 处理完成了售后申请：{kind}")
                } else {
                    format!("{who} resolved the after-sales request: {kind}")
                }
            }
            EventKind::HelpAsked { need, .. } => {
                let department = need.department().label(lang);
                let task = need.task();
                if zh {
                    format!("{who} 请{department}处理：{}", task.zh)
                } else {
                    format!("{who} asked {department} to {}", task.en)
                }
            }
            EventKind::CustomerLookupLocked { business_date } => {
                if zh {
                    format!("{business_date} 用手机号后 4 位查询本订单的错误次数已达上限，当天只能用订单链接查看：请把链接发给客户")
                } else {
                    format!("Too many wrong phone digits were tried on this order on {business_date}; until the day ends only the order link works: send it to the customer")
                }
            }
            EventKind::ProcessMigrated {
                from_version,
                to_version,
                from_stage,
                to_stage,
                skipped,
            } => {
                let (from_name, to_name) = (stage_name(from_stage), stage_name(to_stage));
                let mut s = if zh {
                    format!("{who} 将订单从第 {from_version} 版流程的 {from_name} 迁移到第 {to_version} 版的 {to_name}")
                } else {
                    format!("{who} moved the order from {from_name} of process version {from_version} to {to_name} of version {to_version}")
                };
                if !skipped.is_empty() {
                    let names: Vec<String> = skipped.iter().map(stage_name).collect();
                    if zh {
                        s += &format!("（视为跳过：{}）", names.join("、"));
                    } else {
                        s += &format!(" (counted as skipped: {})", names.join(", "));
                    }
                }
                s
            }
            EventKind::AttachmentAdded { kind, .. } => {
                let kind = kind.label(lang);
                if zh {
                    format!("{who} 上传了{kind}")
                } else {
                    format!("{who} added a {kind}")
                }
            }
            EventKind::AttachmentRemoved { kind, .. } => {
                let kind = kind.label(lang);
                if zh {
                    format!("{who} 删除了{kind}")
                } else {
                    format!("{who} removed a {kind}")
                }
            }
            EventKind::AttachmentPurged { kind, .. } => {
                let kind = kind.label(lang);
                if zh {
                    format!("{who} 彻底清除了已删除的{kind}")
                } else {
                    format!("{who} purged a removed {kind} for good")
                }
            }
        }
    }
}

/// "★★★★☆" for 4 of 5 stars.
pub fn stars_text(stars: u8) -> String {
    let stars = usize::from(stars.min(5));
    "★".repeat(stars) + &"☆".repeat(5 - stars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind) -> HistoryEvent {
        HistoryEvent {
            at: DateTime::UNIX_EPOCH,
            actor: StaffRef::new("u-wangfang", "王芳"),
            kind,
        }
    }

    #[test]
    fn an_advance_reads_as_a_chinese_sentence_with_stage_names() {
        let e = event(EventKind::StageAdvanced {
            from: "requirement".into(),
            to: "contract".into(),
            reason: None,
            skipped: vec![],
            incomplete_items: vec![],
        });
        let p = Pipeline::standard();
        assert_eq!(
            e.describe(&p, Lang::Zh),
            "王芳 将订单从 需求确认 推进到 合同签订"
        );
        assert_eq!(
            e.describe(&p, Lang::En),
            "王芳 moved the order from Requirement confirmation to Contract signing"
        );
    }

    #[test]
    fn a_rework_with_reason_and_unfinished_items_says_so() {
        let e = event(EventKind::StageAdvanced {
            from: "production".into(),
            to: "contract".into(),
            reason: Some("客户修改规格".into()),
            skipped: vec![],
            incomplete_items: vec!["quality_check".into()],
        });
        assert_eq!(
            e.describe(&Pipeline::standard(), Lang::Zh),
            "王芳 将订单从 生产/采购 退回到 合同签订，未完成：质量检验，原因：客户修改规格"
        );
    }

    #[test]
    fn events_serialize_with_a_snake_case_type_tag() {
        let json = serde_json::to_value(event(EventKind::NoteAdded {
            note_id: Uuid::nil(),
        }))
        .unwrap();
        assert_eq!(json["kind"]["type"], "note_added");
    }

    #[test]
    fn an_event_kind_name_is_its_serde_tag() {
        let kinds = [
            EventKind::Created,
            EventKind::Reopened,
            EventKind::Completed { reason: None },
            EventKind::FieldsEdited { fields: vec![] },
            EventKind::StageResponsibleSet {
                stage: "contract".into(),
                responsible: StaffRef::default(),
            },
        ];
        for kind in kinds {
            assert_eq!(serde_json::to_value(&kind).unwrap()["type"], kind.name());
        }
    }

    #[test]
    fn an_unknown_stage_is_described_by_its_id() {
        let e = event(EventKind::DueDateSet {
            stage: "custom_stage".into(),
            due: None,
        });
        assert!(e
            .describe(&Pipeline::standard(), Lang::Zh)
            .contains("custom_stage"));
    }
}
