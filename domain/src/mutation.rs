//! What a user asked for, as intent rather than a new record: two people changing different
//! things on the same order offline must both be able to win when the server replays them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::attachment::NewAttachment;
use crate::feedback::AfterSalesKind;
use crate::order::{Customer, LineItem, StaffRef};
use crate::pipeline::{ExitRequirement, StageId};

/// On the wire and in storage: `{"type":"<snake_case variant>", ...fields}`. Serialize is derived;
/// Deserialize goes through one flat struct (`flat::MutationFields`) instead of serde's
/// internally tagged derive, which buffers every mutation through `Content` and so compiled
/// every field type twice into the phone's bundle (issue 17). The accepted JSON is the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// Made by the server itself, never accepted from a phone's push: purging deletes the bytes,
    /// which only the server's purge endpoint does (a pushed one would record "purged" and keep
    /// them).
    pub fn is_server_only(&self) -> bool {
        matches!(self, Mutation::PurgeAttachment { .. })
    }

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

impl<'de> Deserialize<'de> for Mutation {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        flat::MutationFields::deserialize(deserializer)?
            .into_mutation()
            .map_err(serde::de::Error::missing_field)
    }
}

/// The union of every variant's fields, each optional, read in one pass; `into_mutation` then
/// takes what the variant named by `type` needs. A field another variant uses is type-checked
/// too (the derive ignored it); any other unknown key is still ignored.
mod flat {
    use super::*;

    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(super) enum Kind {
        CreateOrder,
        EditFields,
        AdvanceStage,
        SetChecklistItem,
        AddNote,
        SetDueDate,
        Assign,
        SetStageResponsible,
        RecordShipment,
        RecordInvoice,
        Complete,
        Cancel,
        Reopen,
        RateOrder,
        RequestAfterSales,
        ResolveAfterSales,
        AskForHelp,
        AddAttachment,
        RemoveAttachment,
        PurgeAttachment,
    }

    #[derive(Deserialize)]
    #[serde(rename = "Mutation")]
    pub(super) struct MutationFields {
        #[serde(rename = "type")]
        kind: Kind,
        order_id: Option<Uuid>,
        number: Option<String>,
        customer: Option<Customer>,
        items: Option<Vec<LineItem>>,
        expected_delivery: Option<NaiveDate>,
        owner: Option<StaffRef>,
        note: Option<String>,
        note_id: Option<Uuid>,
        changes: Option<FieldChanges>,
        from: Option<StageId>,
        to: Option<StageId>,
        reason: Option<String>,
        stage: Option<StageId>,
        item: Option<String>,
        done: Option<bool>,
        text: Option<String>,
        due: Option<NaiveDate>,
        responsible: Option<StaffRef>,
        carrier: Option<String>,
        tracking_no: Option<String>,
        date: Option<NaiveDate>,
        stars: Option<u8>,
        comment: Option<String>,
        request_id: Option<Uuid>,
        #[serde(rename = "kind")]
        after_sales_kind: Option<AfterSalesKind>,
        description: Option<String>,
        contact: Option<String>,
        need: Option<ExitRequirement>,
        attachment: Option<NewAttachment>,
        attachment_id: Option<Uuid>,
    }

    /// A required field of the variant; `Err` names the missing key.
    fn need<T>(value: Option<T>, key: &'static str) -> Result<T, &'static str> {
        value.ok_or(key)
    }

    impl MutationFields {
        pub(super) fn into_mutation(self) -> Result<Mutation, &'static str> {
            let order_id = need(self.order_id, "order_id")?;
            Ok(match self.kind {
                Kind::CreateOrder => Mutation::CreateOrder {
                    order_id,
                    number: self.number,
                    customer: need(self.customer, "customer")?,
                    items: need(self.items, "items")?,
                    expected_delivery: self.expected_delivery,
                    owner: self.owner,
                    note: self.note,
                    note_id: self.note_id,
                },
                Kind::EditFields => Mutation::EditFields {
                    order_id,
                    changes: need(self.changes, "changes")?,
                },
                Kind::AdvanceStage => Mutation::AdvanceStage {
                    order_id,
                    from: need(self.from, "from")?,
                    to: need(self.to, "to")?,
                    reason: self.reason,
                },
                Kind::SetChecklistItem => Mutation::SetChecklistItem {
                    order_id,
                    stage: need(self.stage, "stage")?,
                    item: need(self.item, "item")?,
                    done: need(self.done, "done")?,
                },
                Kind::AddNote => Mutation::AddNote {
                    order_id,
                    note_id: need(self.note_id, "note_id")?,
                    text: need(self.text, "text")?,
                },
                Kind::SetDueDate => Mutation::SetDueDate {
                    order_id,
                    stage: need(self.stage, "stage")?,
                    due: self.due,
                },
                Kind::Assign => Mutation::Assign {
                    order_id,
                    owner: need(self.owner, "owner")?,
                },
                Kind::SetStageResponsible => Mutation::SetStageResponsible {
                    order_id,
                    stage: need(self.stage, "stage")?,
                    responsible: need(self.responsible, "responsible")?,
                },
                Kind::RecordShipment => Mutation::RecordShipment {
                    order_id,
                    carrier: need(self.carrier, "carrier")?,
                    tracking_no: need(self.tracking_no, "tracking_no")?,
                },
                Kind::RecordInvoice => Mutation::RecordInvoice {
                    order_id,
                    number: need(self.number, "number")?,
                    date: need(self.date, "date")?,
                },
                Kind::Complete => Mutation::Complete {
                    order_id,
                    reason: self.reason,
                },
                Kind::Cancel => Mutation::Cancel {
                    order_id,
                    reason: need(self.reason, "reason")?,
                },
                Kind::Reopen => Mutation::Reopen { order_id },
                Kind::RateOrder => Mutation::RateOrder {
                    order_id,
                    stars: need(self.stars, "stars")?,
                    comment: self.comment.unwrap_or_default(),
                },
                Kind::RequestAfterSales => Mutation::RequestAfterSales {
                    order_id,
                    request_id: need(self.request_id, "request_id")?,
                    kind: need(self.after_sales_kind, "kind")?,
                    description: need(self.description, "description")?,
                    contact: need(self.contact, "contact")?,
                },
                Kind::ResolveAfterSales => Mutation::ResolveAfterSales {
                    order_id,
                    request_id: need(self.request_id, "request_id")?,
                    note: self.note.unwrap_or_default(),
                },
                Kind::AskForHelp => Mutation::AskForHelp {
                    order_id,
                    need: need(self.need, "need")?,
                },
                Kind::AddAttachment => Mutation::AddAttachment {
                    order_id,
                    attachment: need(self.attachment, "attachment")?,
                },
                Kind::RemoveAttachment => Mutation::RemoveAttachment {
                    order_id,
                    attachment_id: need(self.attachment_id, "attachment_id")?,
                },
                Kind::PurgeAttachment => Mutation::PurgeAttachment {
                    order_id,
                    attachment_id: need(self.attachment_id, "attachment_id")?,
                },
            })
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
    /// The derive `Mutation` had before its flat Deserialize: the oracle the tests compare with.
    #[derive(Deserialize)]
    #[serde(remote = "Mutation", tag = "type", rename_all = "snake_case")]
    #[allow(dead_code)]
    enum LegacyMutation {
        CreateOrder {
            order_id: Uuid,
            number: Option<String>,
            customer: Customer,
            items: Vec<LineItem>,
            expected_delivery: Option<NaiveDate>,
            owner: Option<StaffRef>,
            note: Option<String>,
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
        RateOrder {
            order_id: Uuid,
            stars: u8,
            #[serde(default)]
            comment: String,
        },
        RequestAfterSales {
            order_id: Uuid,
            request_id: Uuid,
            kind: AfterSalesKind,
            description: String,
            contact: String,
        },
        ResolveAfterSales {
            order_id: Uuid,
            request_id: Uuid,
            #[serde(default)]
            note: String,
        },
        AskForHelp {
            order_id: Uuid,
            need: ExitRequirement,
        },
        AddAttachment {
            order_id: Uuid,
            attachment: NewAttachment,
        },
        RemoveAttachment {
            order_id: Uuid,
            attachment_id: Uuid,
        },
        PurgeAttachment {
            order_id: Uuid,
            attachment_id: Uuid,
        },
    }

    fn legacy(json: &str) -> Result<Mutation, String> {
        let mut de = serde_json::Deserializer::from_str(json);
        LegacyMutation::deserialize(&mut de).map_err(|e| e.to_string())
    }

    fn new(json: &str) -> Result<Mutation, String> {
        serde_json::from_str::<Mutation>(json).map_err(|e| e.to_string())
    }

    fn staff(name: &str) -> StaffRef {
        StaffRef {
            user_id: format!("u-{name}"),
            name: name.into(),
        }
    }

    /// Every variant, with every optional field set and (where it has any) with none set.
    fn every_mutation() -> Vec<Mutation> {
        let order_id = Uuid::from_u128(1);
        let other = Uuid::from_u128(2);
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let customer = Customer {
            company: "宁波阀门".into(),
            contact: "王".into(),
            phone: "13800000000".into(),
            email: Some("w@example.com".into()),
            address: None,
        };
        let items = vec![LineItem {
            product: "阀门".into(),
            quantity: crate::Quantity::units(2),
            unit: "箱".into(),
            unit_price: crate::money::Money(500),
        }];
        let file = crate::attachment::FileRef {
            sha256: "a".repeat(64),
            file_type: crate::attachment::FileType::Jpeg,
            size: 10,
        };
        vec![
            Mutation::CreateOrder {
                order_id,
                number: Some("GD-1".into()),
                customer: customer.clone(),
                items: items.clone(),
                expected_delivery: Some(day),
                owner: Some(staff("a")),
                note: Some("急".into()),
                note_id: Some(other),
            },
            Mutation::CreateOrder {
                order_id,
                number: None,
                customer: customer.clone(),
                items: vec![],
                expected_delivery: None,
                owner: None,
                note: None,
                note_id: None,
            },
            Mutation::EditFields {
                order_id,
                changes: FieldChanges {
                    number: Some("GD-2".into()),
                    customer: Some(customer),
                    items: Some(items),
                    expected_delivery: Some(None),
                },
            },
            Mutation::EditFields {
                order_id,
                changes: FieldChanges::default(),
            },
            Mutation::AdvanceStage {
                order_id,
                from: StageId::new("order"),
                to: StageId::new("production"),
                reason: Some("客户催".into()),
            },
            Mutation::AdvanceStage {
                order_id,
                from: StageId::new("order"),
                to: StageId::new("production"),
                reason: None,
            },
            Mutation::SetChecklistItem {
                order_id,
                stage: StageId::new("production"),
                item: "质检".into(),
                done: true,
            },
            Mutation::AddNote {
                order_id,
                note_id: other,
                text: "备注".into(),
            },
            Mutation::SetDueDate {
                order_id,
                stage: StageId::new("production"),
                due: Some(day),
            },
            Mutation::SetDueDate {
                order_id,
                stage: StageId::new("production"),
                due: None,
            },
            Mutation::Assign {
                order_id,
                owner: staff("b"),
            },
            Mutation::SetStageResponsible {
                order_id,
                stage: StageId::new("delivery"),
                responsible: staff("c"),
            },
            Mutation::RecordShipment {
                order_id,
                carrier: "顺丰".into(),
                tracking_no: "SF1".into(),
            },
            Mutation::RecordInvoice {
                order_id,
                number: "INV-1".into(),
                date: day,
            },
            Mutation::Complete {
                order_id,
                reason: Some("提前".into()),
            },
            Mutation::Complete {
                order_id,
                reason: None,
            },
            Mutation::Cancel {
                order_id,
                reason: "客户取消".into(),
            },
            Mutation::Reopen { order_id },
            Mutation::RateOrder {
                order_id,
                stars: 5,
                comment: "好".into(),
            },
            Mutation::RequestAfterSales {
                order_id,
                request_id: other,
                kind: AfterSalesKind::Quality,
                description: "坏了".into(),
                contact: "王".into(),
            },
            Mutation::ResolveAfterSales {
                order_id,
                request_id: other,
                note: "已换".into(),
            },
            Mutation::AskForHelp {
                order_id,
                need: ExitRequirement::Invoice,
            },
            Mutation::AddAttachment {
                order_id,
                attachment: NewAttachment {
                    id: other,
                    kind: crate::attachment::AttachmentKind::QcPhoto,
                    file: file.clone(),
                    thumbnail: Some(file),
                },
            },
            Mutation::RemoveAttachment {
                order_id,
                attachment_id: other,
            },
            Mutation::PurgeAttachment {
                order_id,
                attachment_id: other,
            },
        ]
    }

    #[test]
    fn every_mutation_reads_back_what_it_wrote_as_the_derive_did() {
        let all = every_mutation();
        let mut kinds: Vec<&str> = all.iter().map(Mutation::kind).collect();
        kinds.dedup();
        assert_eq!(kinds.len(), 20, "every variant is covered");
        for mutation in all {
            let json = serde_json::to_string(&mutation).unwrap();
            assert_eq!(new(&json), Ok(mutation.clone()), "{json}");
            assert_eq!(legacy(&json), Ok(mutation), "{json}");
            // Stored on a phone inside a pending record and read back the same way.
            let value = serde_json::to_value(serde_json::from_str::<Mutation>(&json).unwrap());
            assert_eq!(
                value.unwrap(),
                serde_json::from_str::<serde_json::Value>(&json).unwrap()
            );
        }
    }

    /// Shapes the derive accepted or refused that serialization never writes: the tag after the
    /// fields, absent optional and defaulted keys, nulls, unknown keys, and broken input.
    #[test]
    fn hand_written_json_is_read_as_the_derive_read_it() {
        let id = "00000000-0000-0000-0000-000000000001";
        let cases = [
            format!(r#"{{"order_id":"{id}","type":"reopen"}}"#),
            format!(r#"{{"order_id":"{id}","type":"reopen","later_field":[1,{{"a":2}}]}}"#),
            format!(r#"{{"type":"rate_order","order_id":"{id}","stars":4}}"#),
            format!(r#"{{"type":"resolve_after_sales","order_id":"{id}","request_id":"{id}"}}"#),
            format!(r#"{{"type":"complete","order_id":"{id}"}}"#),
            format!(r#"{{"type":"complete","order_id":"{id}","reason":null}}"#),
            format!(r#"{{"type":"set_due_date","order_id":"{id}","stage":"s","due":null}}"#),
            format!(r#"{{"type":"set_due_date","order_id":"{id}","stage":"s"}}"#),
            format!(
                r#"{{"type":"create_order","order_id":"{id}","customer":{{"company":"c","contact":"","phone":"1"}},"items":[{{"product":"p","quantity":1,"unit_price":5}}]}}"#
            ),
            format!(
                r#"{{"type":"edit_fields","order_id":"{id}","changes":{{"expected_delivery":null}}}}"#
            ),
            // Refused: no tag, an unknown tag, a missing required field, a wrong type, not JSON.
            format!(r#"{{"order_id":"{id}"}}"#),
            format!(r#"{{"type":"explode","order_id":"{id}"}}"#),
            format!(r#"{{"type":"cancel","order_id":"{id}"}}"#),
            r#"{"type":"reopen"}"#.to_string(),
            format!(r#"{{"type":"rate_order","order_id":"{id}","stars":"five"}}"#),
            format!(r#"{{"type":"add_note","order_id":"{id}","note_id":"{id}"}}"#),
            format!(
                r#"{{"type":"record_invoice","order_id":"{id}","number":"1","date":"2026-13-01"}}"#
            ),
            format!(r#"{{"type":"reopen","order_id":"{id}""#),
            "[]".to_string(),
            "null".to_string(),
        ];
        for json in &cases {
            match (new(json), legacy(json)) {
                (Ok(read), Ok(expected)) => assert_eq!(read, expected, "{json}"),
                (Err(_), Err(_)) => {}
                (read, expected) => panic!("{json}: read {read:?}, the derive read {expected:?}"),
            }
        }
        // The error still names what is missing.
        let missing = new(&format!(r#"{{"type":"cancel","order_id":"{id}"}}"#)).unwrap_err();
        assert!(missing.contains("missing field `reason`"), "{missing}");
    }
}
