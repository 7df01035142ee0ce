//! The follow-up process as data. Rules in `apply` read this instead of naming stages, so an
//! admin-edited pipeline works without code changes.

use std::collections::BTreeSet;

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::holidays::WorkCalendar;

use crate::error::DomainError;
use crate::i18n::Localized;
use crate::role::Role;
pub use crate::stage::{ids, ChecklistItemDef, ExitRequirement, OrderField, StageId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageDef {
    pub id: StageId,
    pub name: Localized,
    pub responsible: Vec<Role>,
    pub checklist: Vec<ChecklistItemDef>,
    pub sla_days: u32,
    /// The SLA counts working days (China's calendar, `holidays`), not calendar days. Versions
    /// stored before this existed read as calendar days, as they always counted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sla_working_days: bool,
    pub customer_label: Localized,
    pub customer_message: Localized,
    pub notify_customer: bool,
    #[serde(default)]
    pub exit_requirements: Vec<ExitRequirement>,
    /// Order fields that must be filled before an order leaves the stage forward or skips over
    /// it. Versions published before this existed read as "none required", so no in-flight
    /// order changes its rules; empty lists are not written, so those versions stay as stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_fields: Vec<OrderField>,
    /// Whether an order may jump over this stage (with a reason). Moving *into* it is always
    /// fine. Versions published before this existed read as skippable, as every stage was.
    #[serde(default = "skippable_by_default", skip_serializing_if = "is_skippable")]
    pub skippable: bool,
}

fn skippable_by_default() -> bool {
    true
}

fn is_skippable(skippable: &bool) -> bool {
    *skippable
}

impl StageDef {
    pub fn item(&self, id: &str) -> Option<&ChecklistItemDef> {
        self.checklist.iter().find(|i| i.id == id)
    }

    /// Admins may act on every stage; that is the escape hatch when someone is on leave.
    pub fn is_responsible(&self, roles: &[Role]) -> bool {
        roles
            .iter()
            .any(|r| *r == Role::Admin || self.responsible.contains(r))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipeline {
    pub stages: Vec<StageDef>,
    /// The working-day calendar deadlines of working-day stages count on: not part of any
    /// version (holidays are the country's, not the process's), so never serialized with one.
    #[serde(skip, default = "shipped_calendar")]
    pub calendar: Arc<WorkCalendar>,
}

/// The shipped calendar, built once and shared by every pipeline that has no other.
fn shipped_calendar() -> Arc<WorkCalendar> {
    static SHIPPED: OnceLock<Arc<WorkCalendar>> = OnceLock::new();
    SHIPPED
        .get_or_init(|| Arc::new(WorkCalendar::china()))
        .clone()
}

/// Longest SLA accepted; anything beyond a year is a typo, not a plan.
const MAX_SLA_DAYS: u32 = 366;

impl Pipeline {
    pub fn new(stages: Vec<StageDef>) -> Pipeline {
        Pipeline {
            stages,
            calendar: shipped_calendar(),
        }
    }

    /// The day a stage entered on `entered` is due by its SLA alone.
    pub fn sla_due(&self, def: &StageDef, entered: chrono::NaiveDate) -> chrono::NaiveDate {
        if def.sla_working_days {
            self.calendar.add_working_days(entered, def.sla_days)
        } else {
            crate::calendar::add_days(entered, i64::from(def.sla_days))
        }
    }

    pub fn stage(&self, id: &StageId) -> Option<&StageDef> {
        self.stages.iter().find(|s| &s.id == id)
    }

    pub fn index_of(&self, id: &StageId) -> Option<usize> {
        self.stages.iter().position(|s| &s.id == id)
    }

    /// Panics on an empty pipeline; [`Pipeline::validate`] rejects those before use.
    pub fn first(&self) -> &StageDef {
        &self.stages[0]
    }

    /// Panics on an empty pipeline; [`Pipeline::validate`] rejects those before use.
    pub fn last(&self) -> &StageDef {
        &self.stages[self.stages.len() - 1]
    }

    pub fn next(&self, id: &StageId) -> Option<&StageDef> {
        self.index_of(id).and_then(|i| self.stages.get(i + 1))
    }

    pub fn previous(&self, id: &StageId) -> Option<&StageDef> {
        self.index_of(id)
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.stages.get(i))
    }

    pub fn is_last(&self, id: &StageId) -> bool {
        self.stages.last().is_some_and(|s| &s.id == id)
    }

    /// Checks an (admin-edited) pipeline before it is stored or used.
    pub fn validate(&self) -> Result<(), DomainError> {
        let bad = |zh: String, en: String| DomainError::invalid("pipeline", zh, en);
        if self.stages.is_empty() {
            return Err(bad(
                "流程至少需要一个阶段".into(),
                "A pipeline needs at least one stage".into(),
            ));
        }
        let mut seen = BTreeSet::new();
        for stage in &self.stages {
            let id = stage.id.as_str();
            let id_ok = !id.is_empty()
                && id.len() <= 40
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !id_ok {
                return Err(bad(
                    format!("阶段标识“{id}”无效：只能使用小写字母、数字和下划线"),
                    format!("Stage id '{id}' is invalid: use lowercase letters, digits and _"),
                ));
            }
            if !seen.insert(id) {
                return Err(bad(
                    format!("阶段标识“{id}”重复"),
                    format!("Stage id '{id}' is used twice"),
                ));
            }
            let texts = [&stage.name, &stage.customer_label, &stage.customer_message];
            if texts
                .iter()
                .any(|t| t.zh.trim().is_empty() || t.en.trim().is_empty())
            {
                return Err(bad(
                    format!("阶段“{id}”缺少名称或客户文案"),
                    format!("Stage '{id}' is missing a name or customer text"),
                ));
            }
            if stage.responsible.is_empty() {
                return Err(bad(
                    format!("阶段“{id}”需要至少一个负责角色"),
                    format!("Stage '{id}' needs at least one responsible role"),
                ));
            }
            if stage.sla_days > MAX_SLA_DAYS {
                return Err(bad(
                    format!("阶段“{id}”的时限不能超过 {MAX_SLA_DAYS} 天"),
                    format!("Stage '{id}' SLA must be at most {MAX_SLA_DAYS} days"),
                ));
            }
            let mut items = BTreeSet::new();
            for item in &stage.checklist {
                if item.id.trim().is_empty() || !items.insert(item.id.as_str()) {
                    return Err(bad(
                        format!("阶段“{id}”的清单项标识为空或重复"),
                        format!("Stage '{id}' has an empty or duplicate checklist item id"),
                    ));
                }
                if item.label.zh.trim().is_empty() || item.label.en.trim().is_empty() {
                    return Err(bad(
                        format!("阶段“{id}”的清单项“{}”缺少名称", item.id),
                        format!("Checklist item '{}' of stage '{id}' has no label", item.id),
                    ));
                }
            }
            let requirements: BTreeSet<_> = stage.exit_requirements.iter().collect();
            if requirements.len() != stage.exit_requirements.len() {
                return Err(bad(
                    format!("阶段“{id}”的离开条件重复"),
                    format!("Stage '{id}' lists an exit requirement twice"),
                ));
            }
            let fields: BTreeSet<_> = stage.required_fields.iter().collect();
            if fields.len() != stage.required_fields.len() {
                return Err(bad(
                    format!("阶段“{id}”的必填字段重复"),
                    format!("Stage '{id}' lists a required field twice"),
                ));
            }
        }
        Ok(())
    }

    /// The standard six-stage process from the follow-up SOP.
    pub fn standard() -> Pipeline {
        Pipeline::new(vec![
                stage(
                    ids::REQUIREMENT,
                    ("需求确认", "Requirement confirmation"),
                    &[Role::Sales, Role::Service],
                    &[
                        ("record_needs", "记录客户需求", "Record the customer's needs"),
                        ("confirm_quantity_spec", "确认数量与规格", "Confirm quantities and specifications"),
                        ("confirm_delivery_date", "确认交付日期", "Confirm the delivery date"),
                    ],
                    2,
                    ("需求确认", "Requirements"),
                    (
                        "我们正在与您确认需求、数量和交付日期。",
                        "We are confirming your requirements, quantities and delivery date with you.",
                    ),
                    false,
                    &[],
                ),
                stage(
                    ids::CONTRACT,
                    ("合同签订", "Contract signing"),
                    &[Role::Sales, Role::Legal],
                    &[
                        ("draft_contract", "起草合同", "Draft the contract"),
                        ("legal_review", "法务审核", "Legal review"),
                        ("sign_contract", "双方签署", "Signed by both parties"),
                    ],
                    5,
                    ("签订合同", "Contract"),
                    (
                        "合同正在准备和签署中，签署后我们会立即为您下单。",
                        "Your contract is being prepared and signed; we will place the order right after signing.",
                    ),
                    true,
                    &[],
                ),
                stage(
                    ids::ORDER_ENTRY,
                    ("下单处理", "Order entry"),
                    &[Role::Sales, Role::Warehouse],
                    &[
                        ("enter_order", "系统录入订单", "Enter the order in the system"),
                        ("check_stock", "核查库存", "Check stock"),
                    ],
                    2,
                    ("订单处理", "Order processing"),
                    (
                        "您的订单已录入系统，我们正在核查库存。",
                        "Your order has been entered and we are checking stock.",
                    ),
                    false,
                    &[],
                ),
                stage(
                    ids::PRODUCTION,
                    ("生产/采购", "Production / procurement"),
                    &[Role::Production, Role::Procurement],
                    &[
                        ("schedule_or_purchase", "排产或下采购单", "Schedule production or place the purchase order"),
                        ("quality_check", "质量检验", "Quality inspection"),
                    ],
                    15,
                    ("生产备货", "Production"),
                    (
                        "您的货品正在生产或备货中，出厂前会经过质量检验。",
                        "Your goods are being produced or sourced and will be inspected before they leave.",
                    ),
                    false,
                    &[],
                ),
                stage(
                    ids::DELIVERY,
                    ("发货发票", "Shipping & invoice"),
                    &[Role::Warehouse, Role::Finance],
                    &[
                        ("pack", "打包", "Pack the goods"),
                        ("ship_and_track", "发货并登记物流单号", "Ship and record the tracking number"),
                        ("issue_invoice", "开具发票", "Issue the invoice"),
                    ],
                    3,
                    ("发货", "Shipping"),
                    (
                        "您的货品正在打包发货，发票随后开具；发货后可凭物流单号查询。",
                        "Your goods are being packed and shipped, with the invoice to follow; track them with the tracking number once shipped.",
                    ),
                    true,
                    &[ExitRequirement::Shipment, ExitRequirement::Invoice],
                ),
                stage(
                    ids::AFTER_SALES,
                    ("售后服务", "After-sales service"),
                    &[Role::Service, Role::Sales],
                    &[
                        ("satisfaction_visit", "满意度回访", "Satisfaction follow-up call"),
                        ("close_complaints", "客诉关闭", "Close any complaints"),
                    ],
                    7,
                    ("售后服务", "After-sales service"),
                    (
                        "如有任何问题，请随时联系我们，我们会持续为您服务。",
                        "Contact us any time if anything needs attention; we keep looking after your order.",
                    ),
                    true,
                    &[],
                ),
            ])
    }
}

impl Default for Pipeline {
    fn default() -> Self {
        Pipeline::standard()
    }
}

#[allow(clippy::too_many_arguments)]
fn stage(
    id: &str,
    name: (&str, &str),
    responsible: &[Role],
    checklist: &[(&str, &str, &str)],
    sla_days: u32,
    customer_label: (&str, &str),
    customer_message: (&str, &str),
    notify_customer: bool,
    exit_requirements: &[ExitRequirement],
) -> StageDef {
    StageDef {
        id: StageId::new(id),
        name: Localized::new(name.0, name.1),
        responsible: responsible.to_vec(),
        checklist: checklist
            .iter()
            .map(|(id, zh, en)| ChecklistItemDef::optional(id, Localized::new(*zh, *en)))
            .collect(),
        sla_days,
        sla_working_days: false,
        customer_label: Localized::new(customer_label.0, customer_label.1),
        customer_message: Localized::new(customer_message.0, customer_message.1),
        notify_customer,
        exit_requirements: exit_requirements.to_vec(),
        required_fields: Vec::new(),
        skippable: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn the_standard_pipeline_is_valid() {
        assert_eq!(Pipeline::standard().validate(), Ok(()));
    }

    #[test]
    fn the_standard_pipeline_has_the_six_sop_stages_in_order() {
        let p = Pipeline::standard();
        let ids: Vec<_> = p.stages.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "requirement",
                "contract",
                "order_entry",
                "production",
                "delivery",
                "after_sales"
            ]
        );
        let names: Vec<_> = p.stages.iter().map(|s| s.name.get(Lang::Zh)).collect();
        assert_eq!(
            names,
            [
                "需求确认",
                "合同签订",
                "下单处理",
                "生产/采购",
                "发货发票",
                "售后服务"
            ]
        );
        let slas: Vec<_> = p.stages.iter().map(|s| s.sla_days).collect();
        assert_eq!(slas, [2, 5, 2, 15, 3, 7]);
    }

    #[test]
    fn each_standard_stage_is_owned_by_the_departments_in_the_sop_table() {
        let p = Pipeline::standard();
        let owners = |id: &str| p.stage(&StageId::new(id)).unwrap().responsible.clone();
        assert_eq!(owners("requirement"), [Role::Sales, Role::Service]);
        assert_eq!(owners("contract"), [Role::Sales, Role::Legal]);
        assert_eq!(owners("order_entry"), [Role::Sales, Role::Warehouse]);
        assert_eq!(owners("production"), [Role::Production, Role::Procurement]);
        assert_eq!(owners("delivery"), [Role::Warehouse, Role::Finance]);
        assert_eq!(owners("after_sales"), [Role::Service, Role::Sales]);
    }

    #[test]
    fn only_the_delivery_stage_demands_a_shipment_and_an_invoice() {
        let p = Pipeline::standard();
        for s in &p.stages {
            let expected: &[ExitRequirement] = if s.id == "delivery" {
                &[ExitRequirement::Shipment, ExitRequirement::Invoice]
            } else {
                &[]
            };
            assert_eq!(s.exit_requirements, expected, "{}", s.id);
        }
    }

    #[test]
    fn customers_are_notified_at_contract_delivery_and_after_sales() {
        let p = Pipeline::standard();
        for id in ["contract", "delivery", "after_sales"] {
            assert!(p.stage(&StageId::new(id)).unwrap().notify_customer, "{id}");
        }
    }

    #[test]
    fn navigation_follows_the_stage_order() {
        let p = Pipeline::standard();
        assert_eq!(p.first().id, "requirement");
        assert_eq!(p.next(&"requirement".into()).unwrap().id, "contract");
        assert_eq!(p.previous(&"contract".into()).unwrap().id, "requirement");
        assert!(p.next(&"after_sales".into()).is_none());
        assert!(p.is_last(&"after_sales".into()));
        assert_eq!(p.index_of(&"delivery".into()), Some(4));
        assert_eq!(p.index_of(&"nope".into()), None);
    }

    #[test]
    fn a_pipeline_with_duplicate_stage_ids_is_invalid() {
        let mut p = Pipeline::standard();
        p.stages[1].id = StageId::new("requirement");
        assert_eq!(p.validate().unwrap_err().code(), "invalid");
    }

    #[test]
    fn an_empty_pipeline_or_an_ownerless_stage_is_invalid() {
        assert!(Pipeline::new(vec![]).validate().is_err());
        let mut p = Pipeline::standard();
        p.stages[2].responsible.clear();
        assert!(p.validate().is_err());
    }

    #[test]
    fn a_pipeline_survives_a_json_round_trip() {
        let p = Pipeline::standard();
        let back: Pipeline = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }
}
