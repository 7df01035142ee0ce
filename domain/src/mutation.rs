//! What a user asked for, as intent rather than a new record: two people changing different
//! things on the same order offline must both be able to win when the server replays them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::attachment::NewAttachment;
use crate::feedback::AfterSalesKind;
use crate::order::{Customer, LineItem, StaffRef};
use crate::pipeline::{ExitRequirement, StageId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Mutation {
    CreateOrder {
        order_id: Uuid,
        /// `None` generates `GD-<date>-<hex>` from the creation date and the id.
        number: Option<String>,
        customer: Customer,
        items: Vec<LineItem>,
        expected_delivery: Option<NaiveDate>,
        /// `None` makes the creator the owner.
        owner: Option<StaffRef>,
        note: Option<String>,
        /// `None` gives the first note the order's own id (one creation note per order).
        note_id: Option<Uuid>,
    },
    EditFields {
        order_id: Uuid,
        changes: FieldChanges,
    },
    AdvanceStage {
        order_id: Uuid,
        from: StageId,
        to: StageId,
        reason: Option<String>,
    },
    SetChecklistItem {
        order_id: Uuid,
        stage: StageId,
        item: String,
        done: bool,
    },
    AddNote {
        order_id: Uuid,
        note_id: Uuid,
        text: String,
    },
    SetDueDate {
        order_id: Uuid,
        stage: StageId,
        due: Option<NaiveDate>,
    },
    Assign {
        order_id: Uuid,
        owner: StaffRef,
    },
    SetStageResponsible {
        order_id: Uuid,
        stage: StageId,
        responsible: StaffRef,
    },
    RecordShipment {
        order_id: Uuid,
        carrier: String,
        tracking_no: String,
    },
    RecordInvoice {
        order_id: Uuid,
        number: String,
        date: NaiveDate,
    },
    Complete {
        order_id: Uuid,
        reason: Option<String>,
    },
    Cancel {
        order_id: Uuid,
        reason: String,
    },
    Reopen {
        order_id: Uuid,
    },
    /// From the customer page only (see `feedback.rs`): 1–5 stars and a comment.
    RateOrder {
        order_id: Uuid,
        stars: u8,
        #[serde(default)]
        comment: String,
    },
    /// From the customer page only.
    RequestAfterSales {
        order_id: Uuid,
        request_id: Uuid,
        kind: AfterSalesKind,
        description: String,
        contact: String,
    },
    /// The team closes a customer's after-sales request.
    ResolveAfterSales {
        order_id: Uuid,
        request_id: Uuid,
        #[serde(default)]
        note: String,
    },
    /// Ask the department that records `need`, an exit requirement of the current stage still
    /// missing, to record it (请他处理): shown in their 今天 and sent to the team's group robot.
    AskForHelp {
        order_id: Uuid,
        need: ExitRequirement,
    },
    /// A photo or file (its bytes travel apart, keyed by hash: `attachment.rs`).
    AddAttachment {
        order_id: Uuid,
        attachment: NewAttachment,
    },
    /// Hides an attachment; its record and history stay.
    RemoveAttachment {
        order_id: Uuid,
        attachment_id: Uuid,
    },
    /// An admin deletes a removed attachment's bytes for good (made on the server only).
    PurgeAttachment {
        order_id: Uuid,
        attachment_id: Uuid,
    },
}

impl Mutation {
    pub fn order_id(&self) -> Uuid {
        match self {
            Mutation::CreateOrder { order_id, .. }
            | Mutation::EditFields { order_id, .. }
            | Mutation::AdvanceStage { order_id, .. }
            | Mutation::SetChecklistItem { order_id, .. }
            | Mutation::AddNote { order_id, .. }
            | Mutation::SetDueDate { order_id, .. }
            | Mutation::Assign { order_id, .. }
            | Mutation::SetStageResponsible { order_id, .. }
            | Mutation::RecordShipment { order_id, .. }
            | Mutation::RecordInvoice { order_id, .. }
            | Mutation::Complete { order_id, .. }
            | Mutation::Cancel { order_id, .. }
            | Mutation::Reopen { order_id }
            | Mutation::RateOrder { order_id, .. }
            | Mutation::RequestAfterSales { order_id, .. }
            | Mutation::ResolveAfterSales { order_id, .. }
            | Mutation::AskForHelp { order_id, .. }
            | Mutation::AddAttachment { order_id, .. }
            | Mutation::RemoveAttachment { order_id, .. }
            | Mutation::PurgeAttachment { order_id, .. } => *order_id,
        }
    }

    /// The serde tag, handy for logs and metrics without serializing the whole mutation.
    pub fn kind(&self) -> &'static str {
        match self {
            Mutation::CreateOrder { .. } => "create_order",
            Mutation::EditFields { .. } => "edit_fields",
            Mutation::AdvanceStage { .. } => "advance_stage",
            Mutation::SetChecklistItem { .. } => "set_checklist_item",
            Mutation::AddNote { .. } => "add_note",
            Mutation::SetDueDate { .. } => "set_due_date",
            Mutation::Assign { .. } => "assign",
            Mutation::SetStageResponsible { .. } => "set_stage_responsible",
            Mutation::RecordShipment { .. } => "record_shipment",
            Mutation::RecordInvoice { .. } => "record_invoice",
            Mutation::Complete { .. } => "complete",
            Mutation::Cancel { .. } => "cancel",
            Mutation::Reopen { .. } => "reopen",
            Mutation::RateOrder { .. } => "rate_order",
            Mutation::RequestAfterSales { .. } => "request_after_sales",
            Mutation::ResolveAfterSales { .. } => "resolve_after_sales",
            Mutation::AskForHelp { .. } => "ask_for_help",
            Mutation::AddAttachment { .. } => "add_attachment",
            Mutation::RemoveAttachment { .. } => "remove_attachment",
            Mutation::PurgeAttachment { .. } => "purge_attachment",
        }
    }
}

/// Only the fields the user touched. `expected_delivery: Some(None)` clears the date, which is
/// different from not touching it (`None`); on the wire that is `null` versus an absent key.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FieldChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<LineItem>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "double_option"
    )]
    pub expected_delivery: Option<Option<NaiveDate>>,
}

impl FieldChanges {
    pub fn is_empty(&self) -> bool {
        self.number.is_none()
            && self.customer.is_none()
            && self.items.is_none()
            && self.expected_delivery.is_none()
    }
}

/// Plain serde collapses `Some(None)` and `None` into `null`; here a present key (even `null`)
/// is `Some(_)` and only a missing key (via `#[serde(default)]`) is `None`.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(changes: &FieldChanges) -> FieldChanges {
        serde_json::from_str(&serde_json::to_string(changes).unwrap()).unwrap()
    }

    #[test]
    fn clearing_the_expected_delivery_survives_json_as_null() {
        let clear = FieldChanges {
            expected_delivery: Some(None),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&clear).unwrap(),
            r#"{"expected_delivery":null}"#
        );
        assert_eq!(round_trip(&clear), clear);
    }

    #[test]
    fn an_untouched_expected_delivery_is_absent_from_json() {
        let untouched = FieldChanges {
            number: Some("GD-1".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&untouched).unwrap(),
            r#"{"number":"GD-1"}"#
        );
        assert_eq!(round_trip(&untouched), untouched);
    }

    #[test]
    fn setting_the_expected_delivery_survives_json() {
        let set = FieldChanges {
            expected_delivery: Some(NaiveDate::from_ymd_opt(2026, 12, 1)),
            ..Default::default()
        };
        assert_eq!(round_trip(&set), set);
    }

    #[test]
    fn mutations_serialize_with_a_snake_case_type_tag() {
        let m = Mutation::Reopen {
            order_id: Uuid::nil(),
        };
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["type"], "reopen");
        assert_eq!(m.kind(), "reopen");
        assert_eq!(m.order_id(), Uuid::nil());
    }
}
