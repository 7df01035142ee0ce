use serde::{Deserialize, Serialize};

use crate::attachment_kind::AttachmentKind;
use crate::i18n::{Lang, Localized};
use crate::stage::{ExitRequirement, OrderField, StageId};

/// Every way a rule can say no. Serialized with a stable `code` so the worker can store a
/// rejection and the app can explain it long after the mutation was made offline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum DomainError {
    #[error("invalid {field}: {}", message.en)]
    Invalid { field: String, message: Localized },
    /// Text holding characters that change how it reads without being seen: bidi overrides and
    /// isolates (which can make "abc.exe" look like "exe.cba") and zero-width characters (which
    /// make two different names look the same). Refused, not stripped: the person sees why.
    #[error("invisible characters in {field}: {}", message.en)]
    InvisibleCharacters { field: String, message: Localized },
    #[error("order not found")]
    NotFound,
    #[error("order already exists")]
    OrderExists,
    #[error("order is completed or cancelled")]
    OrderClosed,
    #[error("order has already moved on; it is now at stage {current}")]
    StaleStage {
        current: StageId,
        /// The stage's name in the order's own pipeline when the rule said no. Rejections
        /// stored before it existed lack it, and are explained by the id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        current_name: Option<Localized>,
    },
    #[error("a reason is required")]
    ReasonRequired,
    #[error("missing requirement: {requirement:?}")]
    MissingRequirement { requirement: ExitRequirement },
    /// A required checklist item of the stage being left is not ticked. Unlike optional items,
    /// no reason lets the order pass: the process says this must be done.
    #[error("required checklist item not ticked: {}", item.en)]
    RequiredItemUnticked { item: Localized },
    /// A checklist item that needs a photo (`ChecklistItemDef::evidence`) is being ticked, or
    /// its stage left, while the order holds no live attachment of that kind.
    #[error("missing evidence for {}: {kind:?}", item.en)]
    MissingEvidence {
        item: Localized,
        kind: AttachmentKind,
    },
    /// Order fields the stage `stage` requires (`StageDef::required_fields`) are empty while
    /// the order would leave it forward or skip over it. All of them are named at once, so the
    /// person fills them in one go.
    #[error("{} needs order fields: {fields:?}", stage.en)]
    MissingOrderFields {
        stage: Localized,
        fields: Vec<OrderField>,
    },
    /// A forward move would jump over a stage the process says may not be skipped.
    #[error("stage {} may not be skipped", stage.en)]
    StageNotSkippable { stage: Localized },
    #[error("forbidden: {}", message.en)]
    Forbidden { message: Localized },
    #[error("amount too large")]
    Overflow,
}

impl DomainError {
    pub fn invalid(field: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        DomainError::Invalid {
            field: field.to_string(),
            message: Localized::new(zh, en),
        }
    }

    /// The input field a refusal is about, when it is about one (forms show it next to it).
    pub fn field(&self) -> Option<&str> {
        match self {
            DomainError::Invalid { field, .. } | DomainError::InvisibleCharacters { field, .. } => {
                Some(field)
            }
            _ => None,
        }
    }

    pub fn forbidden(zh: impl Into<String>, en: impl Into<String>) -> Self {
        DomainError::Forbidden {
            message: Localized::new(zh, en),
        }
    }

    /// Machine codes are a wire contract (stored rejections, API bodies): never rename one.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Invalid { .. } => "invalid",
            DomainError::InvisibleCharacters { .. } => "invisible_characters",
            DomainError::NotFound => "not_found",
            DomainError::OrderExists => "order_exists",
            DomainError::OrderClosed => "order_closed",
            DomainError::StaleStage { .. } => "stale_stage",
            DomainError::ReasonRequired => "reason_required",
            DomainError::MissingRequirement { .. } => "missing_requirement",
            DomainError::RequiredItemUnticked { .. } => "required_item_unticked",
            DomainError::MissingEvidence { .. } => "missing_evidence",
            DomainError::MissingOrderFields { .. } => "missing_order_fields",
            DomainError::StageNotSkippable { .. } => "stage_not_skippable",
            DomainError::Forbidden { .. } => "forbidden",
            DomainError::Overflow => "overflow",
        }
    }

    /// A sentence for people. Stage names travel inside the error (the rule that said no knew
    /// the order's pipeline); an error without one names the stage by its id.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            DomainError::Invalid { message, .. }
            | DomainError::InvisibleCharacters { message, .. }
            | DomainError::Forbidden { message } => {
                message.get(lang).to_string()
            }
            DomainError::NotFound => lang.pick("订单不存在", "Order not found").to_string(),
            DomainError::OrderExists => lang.pick("订单已存在", "Order already exists").to_string(),
            DomainError::OrderClosed => lang
                .pick(
                    "订单已完成或已取消，只能添加备注或重新打开",
                    "The order is completed or cancelled: only notes and reopening are possible",
                )
                .to_string(),
            DomainError::StaleStage {
                current,
                current_name,
            } => {
                let name = current_name
                    .as_ref()
                    .map(|name| name.get(lang).to_string())
                    .unwrap_or_else(|| current.to_string());
                match lang {
                    Lang::Zh => format!("订单已被他人推进，当前阶段：{name}"),
                    Lang::En => format!("Someone else already moved this order; it is now at: {name}"),
                }
            }
            DomainError::ReasonRequired => lang
                .pick(
                    "请填写原因：跳过阶段、退回或清单未完成时必须说明",
                    "Please give a reason: skipping stages, moving back or leaving unfinished checklist items needs one",
                )
                .to_string(),
            DomainError::MissingRequirement { requirement } => {
                requirement.missing_message().get(lang).to_string()
            }
            DomainError::RequiredItemUnticked { item } => match lang {
                Lang::Zh => format!("必填清单项“{}”还没有完成，请先勾选", item.zh),
                Lang::En => format!(
                    "The required checklist item '{}' is not done yet: tick it first",
                    item.en
                ),
            },
            DomainError::MissingEvidence { item, kind } => match lang {
                Lang::Zh => format!(
                    "清单项“{}”需要{}：请先在这一项上拍照或选择文件",
                    item.zh,
                    kind.evidence_label(lang)
                ),
                Lang::En => format!(
                    "The checklist item '{}' needs {}: add it on the item first",
                    item.en,
                    kind.evidence_label(lang)
                ),
            },
            DomainError::MissingOrderFields { stage, fields } => {
                let names: Vec<String> = fields
                    .iter()
                    .map(|field| field.label().get(lang).to_string())
                    .collect();
                match lang {
                    Lang::Zh => format!(
                        "离开“{}”前请先填写：{}",
                        stage.zh,
                        names.join("、")
                    ),
                    Lang::En => format!(
                        "Fill in before leaving '{}': {}",
                        stage.en,
                        names.join(", ")
                    ),
                }
            }
            DomainError::StageNotSkippable { stage } => match lang {
                Lang::Zh => format!("阶段“{}”不能跳过，请逐步推进", stage.zh),
                Lang::En => format!(
                    "The stage '{}' may not be skipped: move through it",
                    stage.en
                ),
            },
            DomainError::Overflow => lang
                .pick("金额过大，超出可计算范围", "Amount too large")
                .to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_serialize_with_their_machine_code() {
        let json = serde_json::to_value(DomainError::StaleStage {
            current: StageId::new("contract"),
            current_name: None,
        })
        .unwrap();
        assert_eq!(json["code"], "stale_stage");
        assert_eq!(json["current"], "contract");
    }

    #[test]
    fn a_stale_stage_message_names_the_stage_in_the_users_language() {
        let err = DomainError::StaleStage {
            current: StageId::new("contract"),
            current_name: Some(Localized::new("合同签订", "Contract signing")),
        };
        assert!(err.message(Lang::Zh).contains("合同签订"));
        assert!(err.message(Lang::En).contains("Contract signing"));
        let without_name = DomainError::StaleStage {
            current: StageId::new("quote"),
            current_name: None,
        };
        assert!(without_name.message(Lang::Zh).contains("quote"));
    }

    #[test]
    fn a_missing_fields_message_names_the_stage_and_every_field() {
        let err = DomainError::MissingOrderFields {
            stage: Localized::new("合同签订", "Contract signing"),
            fields: vec![OrderField::Amount, OrderField::ExpectedDelivery],
        };
        assert_eq!(err.code(), "missing_order_fields");
        assert_eq!(
            err.message(Lang::Zh),
            "离开“合同签订”前请先填写：订单金额、预计交付日期"
        );
        assert!(err.message(Lang::En).contains("delivery date"));
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(
            json["fields"],
            serde_json::json!(["amount", "expected_delivery"])
        );
    }

    #[test]
    fn a_not_skippable_message_names_the_stage() {
        let err = DomainError::StageNotSkippable {
            stage: Localized::new("质检", "Inspection"),
        };
        assert_eq!(err.code(), "stage_not_skippable");
        assert!(err.message(Lang::Zh).contains("质检"));
        assert!(err.message(Lang::En).contains("Inspection"));
    }

    #[test]
    fn the_reason_required_message_explains_when_a_reason_is_needed() {
        assert_eq!(
            DomainError::ReasonRequired.message(Lang::Zh),
            "请填写原因：跳过阶段、退回或清单未完成时必须说明"
        );
    }
}
