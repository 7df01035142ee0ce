//! The audit trail. Events are facts in past tense, written by `apply` only, never edited.

use chrono::{DateTime, NaiveDate, Utc};

use crate::i18n::date_text;
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

/// On the wire and in storage: `{"type":"<snake_case variant>", ...fields}`. Serialize is derived;
/// Deserialize reads one flat struct (`flat::EventFields`), for the reason given on `Mutation`'s
/// (serde's internally tagged derive doubled every field type in the phone's bundle, issue 17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        flat::EventFields::deserialize(deserializer)?.into_event::<D::Error>()
    }
}

/// The union of every variant's fields, each optional, read in one pass; `into_event` takes what
/// the variant named by `type` needs. `kind` is an after-sales kind in some variants and an
/// attachment kind in others, and `from`/`to` stage ids or order numbers: read as text here.
mod flat {
    use serde::de::{Error, IntoDeserializer};

    use super::*;

    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(super) enum Type {
        Created,
        FieldsEdited,
        StageAdvanced,
        ChecklistItemSet,
        NoteAdded,
        DueDateSet,
        Assigned,
        StageResponsibleSet,
        ShipmentRecorded,
        InvoiceRecorded,
        Cancelled,
        Reopened,
        Completed,
        Renumbered,
        FeedbackGiven,
        AfterSalesRequested,
        AfterSalesResolved,
        HelpAsked,
        CustomerLookupLocked,
        ProcessMigrated,
        AttachmentAdded,
        AttachmentRemoved,
        AttachmentPurged,
    }

    #[derive(Deserialize)]
    #[serde(rename = "EventKind")]
    pub(super) struct EventFields {
        #[serde(rename = "type")]
        event: Type,
        fields: Option<Vec<String>>,
        from: Option<String>,
        to: Option<String>,
        reason: Option<String>,
        skipped: Option<Vec<StageId>>,
        incomplete_items: Option<Vec<String>>,
        stage: Option<StageId>,
        item: Option<String>,
        done: Option<bool>,
        note_id: Option<Uuid>,
        due: Option<NaiveDate>,
        owner: Option<StaffRef>,
        responsible: Option<StaffRef>,
        carrier: Option<String>,
        tracking_no: Option<String>,
        number: Option<String>,
        date: Option<NaiveDate>,
        stars: Option<u8>,
        edited: Option<bool>,
        request_id: Option<Uuid>,
        kind: Option<String>,
        need: Option<ExitRequirement>,
        business_date: Option<NaiveDate>,
        from_version: Option<u32>,
        to_version: Option<u32>,
        from_stage: Option<StageId>,
        to_stage: Option<StageId>,
        attachment_id: Option<Uuid>,
    }

    fn need<T, E: Error>(value: Option<T>, key: &'static str) -> Result<T, E> {
        value.ok_or_else(|| E::missing_field(key))
    }

    /// `kind` read as the enum the variant has.
    fn kind<'de, T: Deserialize<'de>, E: Error>(kind: Option<String>) -> Result<T, E> {
        T::deserialize(need::<String, E>(kind, "kind")?.into_deserializer())
    }

    impl EventFields {
        pub(super) fn into_event<E: Error>(self) -> Result<EventKind, E> {
            let stage_id = |id: Option<String>, key| need(id, key).map(StageId);
            Ok(match self.event {
                Type::Created => EventKind::Created,
                Type::FieldsEdited => EventKind::FieldsEdited {
                    fields: need(self.fields, "fields")?,
                },
                Type::StageAdvanced => EventKind::StageAdvanced {
                    from: stage_id(self.from, "from")?,
                    to: stage_id(self.to, "to")?,
                    reason: self.reason,
                    skipped: need(self.skipped, "skipped")?,
                    incomplete_items: need(self.incomplete_items, "incomplete_items")?,
                },
                Type::ChecklistItemSet => EventKind::ChecklistItemSet {
                    stage: need(self.stage, "stage")?,
                    item: need(self.item, "item")?,
                    done: need(self.done, "done")?,
                },
                Type::NoteAdded => EventKind::NoteAdded {
                    note_id: need(self.note_id, "note_id")?,
                },
                Type::DueDateSet => EventKind::DueDateSet {
                    stage: need(self.stage, "stage")?,
                    due: self.due,
                },
                Type::Assigned => EventKind::Assigned {
                    owner: need(self.owner, "owner")?,
                },
                Type::StageResponsibleSet => EventKind::StageResponsibleSet {
                    stage: need(self.stage, "stage")?,
                    responsible: need(self.responsible, "responsible")?,
                },
                Type::ShipmentRecorded => EventKind::ShipmentRecorded {
                    carrier: need(self.carrier, "carrier")?,
                    tracking_no: need(self.tracking_no, "tracking_no")?,
                },
                Type::InvoiceRecorded => EventKind::InvoiceRecorded {
                    number: need(self.number, "number")?,
                    date: need(self.date, "date")?,
                },
                Type::Cancelled => EventKind::Cancelled {
                    reason: need(self.reason, "reason")?,
                },
                Type::Reopened => EventKind::Reopened,
                Type::Completed => EventKind::Completed {
                    reason: self.reason,
                },
                Type::Renumbered => EventKind::Renumbered {
                    from: need(self.from, "from")?,
                    to: need(self.to, "to")?,
                },
                Type::FeedbackGiven => EventKind::FeedbackGiven {
                    stars: need(self.stars, "stars")?,
                    edited: need(self.edited, "edited")?,
                },
                Type::AfterSalesRequested => EventKind::AfterSalesRequested {
                    request_id: need(self.request_id, "request_id")?,
                    kind: kind(self.kind)?,
                },
                Type::AfterSalesResolved => EventKind::AfterSalesResolved {
                    request_id: need(self.request_id, "request_id")?,
                    kind: kind(self.kind)?,
                },
                Type::HelpAsked => EventKind::HelpAsked {
                    need: need(self.need, "need")?,
                    stage: need(self.stage, "stage")?,
                },
                Type::CustomerLookupLocked => EventKind::CustomerLookupLocked {
                    business_date: need(self.business_date, "business_date")?,
                },
                Type::ProcessMigrated => EventKind::ProcessMigrated {
                    from_version: need(self.from_version, "from_version")?,
                    to_version: need(self.to_version, "to_version")?,
                    from_stage: need(self.from_stage, "from_stage")?,
                    to_stage: need(self.to_stage, "to_stage")?,
                    skipped: self.skipped.unwrap_or_default(),
                },
                Type::AttachmentAdded => EventKind::AttachmentAdded {
                    attachment_id: need(self.attachment_id, "attachment_id")?,
                    kind: kind(self.kind)?,
                },
                Type::AttachmentRemoved => EventKind::AttachmentRemoved {
                    attachment_id: need(self.attachment_id, "attachment_id")?,
                    kind: kind(self.kind)?,
                },
                Type::AttachmentPurged => EventKind::AttachmentPurged {
                    attachment_id: need(self.attachment_id, "attachment_id")?,
                    kind: kind(self.kind)?,
                },
            })
        }
    }
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
        let who = self.actor.shown_name(lang);
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
                    (true, Some(d)) => {
                        format!("{who} 将 {stage} 的截止日期设为 {}", date_text(*d, lang))
                    }
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
                    format!(
                        "{who} 登记了发票 {number}（开票日期 {}）",
                        date_text(*date, lang)
                    )
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
                    format!("{} 用手机号后 4 位查询本订单的错误次数已达上限，当天只能用订单链接查看：请把链接发给客户", date_text(*business_date, lang))
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

    /// A reviewer read "截止日期设为 2026-12-15" in a history where every other date reads
    /// "2026年12月15日": dates in sentences are written as the rest of the app writes them.
    #[test]
    fn dates_in_history_read_as_the_app_writes_dates() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
        let p = Pipeline::standard();
        let due = event(EventKind::DueDateSet {
            stage: "production".into(),
            due: Some(day),
        });
        assert_eq!(
            due.describe(&p, Lang::Zh),
            "王芳 将 生产/采购 的截止日期设为 2026年12月15日"
        );
        assert_eq!(
            due.describe(&p, Lang::En),
            "王芳 set the due date of Production / procurement to 2026-12-15"
        );
        let invoice = event(EventKind::InvoiceRecorded {
            number: "FP-1".into(),
            date: day,
        });
        assert!(invoice
            .describe(&p, Lang::Zh)
            .ends_with("（开票日期 2026年12月15日）"));
        assert_eq!(date_text(day, Lang::Zh), "2026年12月15日");
        assert_eq!(date_text(day, Lang::En), "2026-12-15");
    }

    #[test]
    fn the_system_is_named_in_the_readers_language() {
        let e = HistoryEvent {
            at: DateTime::UNIX_EPOCH,
            actor: crate::staff::system_actor(),
            kind: EventKind::Reopened,
        };
        let p = Pipeline::standard();
        assert!(
            e.describe(&p, Lang::En).starts_with("System "),
            "{}",
            e.describe(&p, Lang::En)
        );
        assert!(
            e.describe(&p, Lang::Zh).starts_with("系统 "),
            "{}",
            e.describe(&p, Lang::Zh)
        );
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
    /// The derive `EventKind` had before its flat Deserialize: the oracle the tests compare with.
    #[derive(Deserialize)]
    #[serde(remote = "EventKind", tag = "type", rename_all = "snake_case")]
    #[allow(dead_code)]
    enum LegacyEventKind {
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
        Renumbered {
            from: String,
            to: String,
        },
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
        HelpAsked {
            need: ExitRequirement,
            stage: StageId,
        },
        CustomerLookupLocked {
            business_date: NaiveDate,
        },
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
        AttachmentPurged {
            attachment_id: Uuid,
            kind: AttachmentKind,
        },
    }

    fn legacy(json: &str) -> Result<EventKind, String> {
        let mut de = serde_json::Deserializer::from_str(json);
        LegacyEventKind::deserialize(&mut de).map_err(|e| e.to_string())
    }

    fn read(json: &str) -> Result<EventKind, String> {
        serde_json::from_str::<EventKind>(json).map_err(|e| e.to_string())
    }

    fn every_event_kind() -> Vec<EventKind> {
        let id = Uuid::from_u128(7);
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let stage = || StageId::new("production");
        vec![
            EventKind::Created,
            EventKind::FieldsEdited {
                fields: vec!["number".into(), "items".into()],
            },
            EventKind::StageAdvanced {
                from: "order".into(),
                to: "delivery".into(),
                reason: Some("急".into()),
                skipped: vec![stage()],
                incomplete_items: vec!["质检".into()],
            },
            EventKind::StageAdvanced {
                from: "order".into(),
                to: "production".into(),
                reason: None,
                skipped: vec![],
                incomplete_items: vec![],
            },
            EventKind::ChecklistItemSet {
                stage: stage(),
                item: "质检".into(),
                done: false,
            },
            EventKind::NoteAdded { note_id: id },
            EventKind::DueDateSet {
                stage: stage(),
                due: Some(day),
            },
            EventKind::DueDateSet {
                stage: stage(),
                due: None,
            },
            EventKind::Assigned {
                owner: StaffRef::new("u-1", "王芳"),
            },
            EventKind::StageResponsibleSet {
                stage: stage(),
                responsible: StaffRef::new("u-2", "李"),
            },
            EventKind::ShipmentRecorded {
                carrier: "顺丰".into(),
                tracking_no: "SF1".into(),
            },
            EventKind::InvoiceRecorded {
                number: "INV".into(),
                date: day,
            },
            EventKind::Cancelled {
                reason: "取消".into(),
            },
            EventKind::Reopened,
            EventKind::Completed {
                reason: Some("提前".into()),
            },
            EventKind::Completed { reason: None },
            EventKind::Renumbered {
                from: "GD-1".into(),
                to: "GD-2".into(),
            },
            EventKind::FeedbackGiven {
                stars: 3,
                edited: true,
            },
            EventKind::AfterSalesRequested {
                request_id: id,
                kind: AfterSalesKind::Invoice,
            },
            EventKind::AfterSalesResolved {
                request_id: id,
                kind: AfterSalesKind::Other,
            },
            EventKind::HelpAsked {
                need: ExitRequirement::Shipment,
                stage: stage(),
            },
            EventKind::CustomerLookupLocked { business_date: day },
            EventKind::ProcessMigrated {
                from_version: 1,
                to_version: 2,
                from_stage: stage(),
                to_stage: StageId::new("delivery"),
                skipped: vec![stage()],
            },
            EventKind::AttachmentAdded {
                attachment_id: id,
                kind: AttachmentKind::Invoice,
            },
            EventKind::AttachmentRemoved {
                attachment_id: id,
                kind: AttachmentKind::Other,
            },
            EventKind::AttachmentPurged {
                attachment_id: id,
                kind: AttachmentKind::QcPhoto,
            },
        ]
    }

    #[test]
    fn every_event_kind_reads_back_what_it_wrote_as_the_derive_did() {
        let all = every_event_kind();
        let mut names: Vec<&str> = all.iter().map(EventKind::name).collect();
        names.dedup();
        assert_eq!(names.len(), 23, "every variant is covered");
        for kind in all {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(read(&json), Ok(kind.clone()), "{json}");
            assert_eq!(legacy(&json), Ok(kind.clone()), "{json}");
            // Inside a stored history event, as orders keep them.
            let stored = serde_json::to_string(&event(kind)).unwrap();
            let back: HistoryEvent = serde_json::from_str(&stored).unwrap();
            assert_eq!(serde_json::to_string(&back).unwrap(), stored);
        }
    }

    /// Shapes serialization never writes: tag last, absent defaulted keys, nulls, unknown keys,
    /// a kind of the wrong family, and broken input; read (or refused) as the derive did.
    #[test]
    fn hand_written_history_json_is_read_as_the_derive_read_it() {
        let id = "00000000-0000-0000-0000-000000000007";
        let cases = [
            r#"{"type":"created"}"#.to_string(),
            r#"{"type":"reopened","extra":{"x":[1]}}"#.to_string(),
            r#"{"from":"a","to":"b","type":"renumbered"}"#.to_string(),
            r#"{"type":"process_migrated","from_version":1,"to_version":2,"from_stage":"a","to_stage":"b"}"#.to_string(),
            r#"{"type":"completed","reason":null}"#.to_string(),
            r#"{"type":"due_date_set","stage":"s"}"#.to_string(),
            format!(r#"{{"type":"attachment_added","attachment_id":"{id}","kind":"delivery_note"}}"#),
            format!(r#"{{"type":"after_sales_requested","request_id":"{id}","kind":"quality"}}"#),
            // Refused: a kind of the other family, no kind, no tag, unknown tag, missing field.
            format!(r#"{{"type":"after_sales_requested","request_id":"{id}","kind":"qc_photo"}}"#),
            format!(r#"{{"type":"attachment_added","attachment_id":"{id}","kind":"quality"}}"#),
            format!(r#"{{"type":"attachment_added","attachment_id":"{id}"}}"#),
            format!(r#"{{"type":"attachment_added","attachment_id":"{id}","kind":3}}"#),
            r#"{"from":"a","to":"b"}"#.to_string(),
            r#"{"type":"exploded"}"#.to_string(),
            r#"{"type":"stage_advanced","from":"a","to":"b","incomplete_items":[]}"#.to_string(),
            r#"{"type":"feedback_given","stars":300,"edited":false}"#.to_string(),
            "[]".to_string(),
        ];
        for json in &cases {
            match (read(json), legacy(json)) {
                (Ok(got), Ok(expected)) => assert_eq!(got, expected, "{json}"),
                (Err(_), Err(_)) => {}
                (got, expected) => panic!("{json}: read {got:?}, the derive read {expected:?}"),
            }
        }
        let missing = read(r#"{"type":"cancelled"}"#).unwrap_err();
        assert!(missing.contains("missing field `reason`"), "{missing}");
        let wrong = read(&cases[9]).unwrap_err();
        assert!(wrong.contains("unknown variant `quality`"), "{wrong}");
    }
}
