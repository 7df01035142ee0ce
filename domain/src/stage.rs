//! The vocabulary a pipeline is made of — stage ids, checklist items, exit requirements — apart
//! from any particular pipeline, so that errors and events can name them without depending on
//! `Pipeline`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::attachment_kind::AttachmentKind;
use crate::i18n::Localized;
use crate::role::Role;

/// Stable ids of the standard stages. Labels may be renamed; these never change, because
/// stored orders refer to them.
pub mod ids {
    pub const REQUIREMENT: &str = "requirement";
    pub const CONTRACT: &str = "contract";
    pub const ORDER_ENTRY: &str = "order_entry";
    pub const PRODUCTION: &str = "production";
    pub const DELIVERY: &str = "delivery";
    pub const AFTER_SALES: &str = "after_sales";
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StageId(pub String);

impl StageId {
    pub fn new(id: &str) -> StageId {
        StageId(id.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for StageId {
    fn from(id: &str) -> Self {
        StageId::new(id)
    }
}

impl PartialEq<str> for StageId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for StageId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItemDef {
    pub id: String,
    pub label: Localized,
    /// A required item must be ticked before the order moves forward out of its stage; no
    /// reason overrides it. An optional one may be left unticked with a reason. Versions
    /// published before the flag existed read as all optional, which is exactly how they
    /// behaved, so no in-flight order changes its rules.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// The item is a claim that needs a photo or file as evidence ("客户已签收" needs a 签收单
    /// photo): it can only be ticked while the order holds a live attachment of this kind, and
    /// the order cannot move on while a ticked (or required) item's evidence is missing.
    /// Versions published before the field existed read as "no evidence needed".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<AttachmentKind>,
}

impl ChecklistItemDef {
    pub fn optional(id: &str, label: Localized) -> ChecklistItemDef {
        ChecklistItemDef {
            id: id.to_string(),
            label,
            required: false,
            evidence: None,
        }
    }
}

/// Facts that must be on record before an order may pass the stage: a checklist tick is a
/// claim, a tracking number is evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitRequirement {
    Shipment,
    Invoice,
}

impl ExitRequirement {
    /// The department whose work this record is, and so the one asked to record it
    /// (`Mutation::AskForHelp`). Who else *may* record it is `permission::recorders`.
    pub fn department(&self) -> Role {
        match self {
            ExitRequirement::Shipment => Role::Warehouse,
            ExitRequirement::Invoice => Role::Finance,
        }
    }

    /// What is to be recorded, as a short phrase: "登记发票".
    pub fn task(&self) -> Localized {
        match self {
            ExitRequirement::Shipment => Localized::new("登记发货", "record the shipment"),
            ExitRequirement::Invoice => Localized::new("登记发票", "record the invoice"),
        }
    }

    pub fn missing_message(&self) -> Localized {
        match self {
            ExitRequirement::Shipment => Localized::new(
                "请先登记发货信息（物流公司和单号）",
                "Record the shipment (carrier and tracking number) first",
            ),
            ExitRequirement::Invoice => Localized::new(
                "请先登记发票信息（发票号和开票日期）",
                "Record the invoice (number and date) first",
            ),
        }
    }
}

/// Order fields a stage can require to be filled before an order leaves it forward or skips
/// over it (合同签订 needs the amount and the promised delivery date; 发货 the delivery
/// address). Only fields an order may lack are here: the customer's company, contact and phone
/// are always there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderField {
    /// Line items with a total above zero.
    Amount,
    ExpectedDelivery,
    CustomerAddress,
    CustomerEmail,
}

impl OrderField {
    pub const ALL: [OrderField; 4] = [
        OrderField::Amount,
        OrderField::ExpectedDelivery,
        OrderField::CustomerAddress,
        OrderField::CustomerEmail,
    ];

    /// The wire name (the serde name), as the editor sends it.
    pub fn key(&self) -> &'static str {
        match self {
            OrderField::Amount => "amount",
            OrderField::ExpectedDelivery => "expected_delivery",
            OrderField::CustomerAddress => "customer_address",
            OrderField::CustomerEmail => "customer_email",
        }
    }

    pub fn parse(key: &str) -> Option<OrderField> {
        OrderField::ALL.into_iter().find(|field| field.key() == key)
    }

    pub fn label(&self) -> Localized {
        match self {
            OrderField::Amount => Localized::new("订单金额", "order amount"),
            OrderField::ExpectedDelivery => {
                Localized::new("预计交付日期", "expected delivery date")
            }
            OrderField::CustomerAddress => Localized::new("收货地址", "delivery address"),
            OrderField::CustomerEmail => Localized::new("客户邮箱", "customer email"),
        }
    }
}
