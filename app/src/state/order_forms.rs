//! What a person is typing into the order page's forms (shipment, invoice, the stage's due
//! date), as plain data kept apart from the saved order.
//!
//! The order under the page changes often while someone types: their own tick of a checklist
//! item, or a sync bringing a colleague's change. The page's view is rebuilt from the new order
//! each time, so a form that took its text from the order would lose what was typed. Here each
//! field remembers both the text in the box and the saved value it started from: when the order
//! changes, a field nobody touched follows the new saved value, and a field someone typed into
//! keeps the typing.

use chrono::NaiveDate;
use domain::{DomainError, Mutation, Order};
use uuid::Uuid;

/// One text box over one saved value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TypedField {
    text: String,
    saved: String,
}

impl TypedField {
    /// A box showing the saved value.
    pub fn showing(saved: String) -> Self {
        TypedField {
            text: saved.clone(),
            saved,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn type_text(&mut self, text: String) {
        self.text = text;
    }

    /// Whether the box holds something other than the saved value.
    pub fn is_edited(&self) -> bool {
        self.text != self.saved
    }

    /// The saved value changed underneath: an untouched box shows the new value, typed text stays.
    pub fn follow(&mut self, saved: String) {
        if !self.is_edited() {
            self.text = saved.clone();
        }
        self.saved = saved;
    }
}

/// Names the boxes of an `OrderPageDraft`, so a screen can bind an input to one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftBox {
    Carrier,
    TrackingNo,
    InvoiceNumber,
    InvoiceDate,
    DueDate,
}

/// The fields of the order page that are typed before an action records them.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderPageDraft {
    order_id: Uuid,
    pub carrier: TypedField,
    pub tracking_no: TypedField,
    pub invoice_number: TypedField,
    /// `YYYY-MM-DD`, as the date input gives it.
    pub invoice_date: TypedField,
    /// The current stage's due date, when someone set one (else the box is empty and the
    /// stage's SLA sets the deadline).
    pub due_date: TypedField,
}

fn saved_values(order: &Order) -> [String; 5] {
    let shipment = order.shipment.as_ref();
    let invoice = order.invoice.as_ref();
    let due = order.current_progress().due_date;
    [
        shipment.map(|s| s.carrier.clone()).unwrap_or_default(),
        shipment.map(|s| s.tracking_no.clone()).unwrap_or_default(),
        invoice.map(|i| i.number.clone()).unwrap_or_default(),
        invoice
            .map(|i| i.date.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        due.map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
    ]
}

impl OrderPageDraft {
    /// The forms as they open on `order`: showing what is recorded, nothing typed.
    pub fn opening(order: &Order) -> Self {
        let [carrier, tracking_no, invoice_number, invoice_date, due_date] = saved_values(order);
        OrderPageDraft {
            order_id: order.id,
            carrier: TypedField::showing(carrier),
            tracking_no: TypedField::showing(tracking_no),
            invoice_number: TypedField::showing(invoice_number),
            invoice_date: TypedField::showing(invoice_date),
            due_date: TypedField::showing(due_date),
        }
    }

    pub fn field(&self, which: DraftBox) -> &TypedField {
        match which {
            DraftBox::Carrier => &self.carrier,
            DraftBox::TrackingNo => &self.tracking_no,
            DraftBox::InvoiceNumber => &self.invoice_number,
            DraftBox::InvoiceDate => &self.invoice_date,
            DraftBox::DueDate => &self.due_date,
        }
    }

    pub fn field_mut(&mut self, which: DraftBox) -> &mut TypedField {
        match which {
            DraftBox::Carrier => &mut self.carrier,
            DraftBox::TrackingNo => &mut self.tracking_no,
            DraftBox::InvoiceNumber => &mut self.invoice_number,
            DraftBox::InvoiceDate => &mut self.invoice_date,
            DraftBox::DueDate => &mut self.due_date,
        }
    }

    pub fn order_id(&self) -> Uuid {
        self.order_id
    }

    /// The order changed (a tick, a sync, a recorded shipment). Another order starts afresh;
    /// the same order keeps everything typed and refreshes only untouched boxes.
    pub fn follow(&mut self, order: &Order) {
        if order.id != self.order_id {
            *self = OrderPageDraft::opening(order);
            return;
        }
        let [carrier, tracking_no, invoice_number, invoice_date, due_date] = saved_values(order);
        self.carrier.follow(carrier);
        self.tracking_no.follow(tracking_no);
        self.invoice_number.follow(invoice_number);
        self.invoice_date.follow(invoice_date);
        self.due_date.follow(due_date);
    }

    /// The change "record shipment" makes from what is typed (the rules check the values).
    pub fn record_shipment(&self) -> Mutation {
        Mutation::RecordShipment {
            order_id: self.order_id,
            carrier: self.carrier.text().to_string(),
            tracking_no: self.tracking_no.text().to_string(),
        }
    }

    /// The change "record invoice" makes, or what is wrong with the typed date.
    pub fn record_invoice(&self) -> Result<Mutation, DomainError> {
        let date = NaiveDate::parse_from_str(self.invoice_date.text().trim(), "%Y-%m-%d").map_err(
            |_| DomainError::invalid("date", "请选择开票日期", "Choose the invoice date"),
        )?;
        Ok(Mutation::RecordInvoice {
            order_id: self.order_id,
            number: self.invoice_number.text().to_string(),
            date,
        })
    }

    /// The typed due date; `None` (no date) when the box is empty or not a date.
    pub fn due_date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(self.due_date.text().trim(), "%Y-%m-%d").ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use domain::{apply, Actor, Context, Customer, LineItem, Money, Pipeline, Role};
    use wasm_bindgen_test::wasm_bindgen_test;

    fn admin() -> Actor {
        Actor::new("u-admin", "管理员", vec![Role::Admin])
    }

    fn run(order: Option<&Order>, mutation: Mutation) -> Order {
        let pipeline = Pipeline::standard();
        let actor = admin();
        let context = Context {
            processes: &domain::Processes::single(pipeline.clone()),
            actor: &actor,
            now: Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap(),
        };
        apply(&context, order, &mutation)
            .expect("the rules accept the change")
            .order
    }

    fn new_order() -> Order {
        run(
            None,
            Mutation::CreateOrder {
                order_id: Uuid::from_u128(7),
                number: Some("T-1".into()),
                customer: Customer {
                    company: "杭州测试有限公司".into(),
                    contact: "李雷".into(),
                    phone: "13900002222".into(),
                    email: None,
                    address: None,
                },
                items: vec![LineItem {
                    product: "法兰".into(),
                    quantity: domain::Quantity::units(2),
                    unit: String::new(),
                    unit_price: Money(100),
                }],
                expected_delivery: None,
                owner: None,
                note_id: None,
                note: None,
            },
        )
    }

    #[wasm_bindgen_test]
    fn typed_shipment_fields_survive_a_change_of_the_order_underneath() {
        let order = new_order();
        let mut draft = OrderPageDraft::opening(&order);
        draft.carrier.type_text("顺丰速运".into());
        draft.tracking_no.type_text("SF1234567890".into());
        draft.invoice_number.type_text("FP-1".into());

        let changed = run(
            Some(&order),
            Mutation::AddNote {
                order_id: order.id,
                note_id: Uuid::from_u128(8),
                text: "同事的备注".into(),
            },
        );
        draft.follow(&changed);

        assert_eq!(draft.carrier.text(), "顺丰速运");
        assert_eq!(draft.tracking_no.text(), "SF1234567890");
        assert_eq!(draft.invoice_number.text(), "FP-1");
    }

    #[wasm_bindgen_test]
    fn an_untouched_box_shows_what_a_colleague_recorded_meanwhile() {
        let order = new_order();
        let mut draft = OrderPageDraft::opening(&order);
        draft.invoice_number.type_text("FP-9".into());
        // As a sync brings it: a colleague recorded the shipment on their phone.
        let mut shipped = order.clone();
        shipped.shipment = Some(domain::Shipment {
            carrier: "中通快递".into(),
            tracking_no: "ZT777".into(),
            shipped_at: Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap(),
        });
        draft.follow(&shipped);
        assert_eq!(draft.carrier.text(), "中通快递");
        assert_eq!(draft.tracking_no.text(), "ZT777");
        assert!(!draft.carrier.is_edited());
        assert_eq!(draft.invoice_number.text(), "FP-9", "typing stays");
    }

    #[wasm_bindgen_test]
    fn another_order_opens_with_its_own_values() {
        let order = new_order();
        let mut draft = OrderPageDraft::opening(&order);
        draft.carrier.type_text("顺丰".into());
        let mut other = order.clone();
        other.id = Uuid::from_u128(99);
        draft.follow(&other);
        assert_eq!(draft.order_id(), other.id);
        assert_eq!(draft.carrier.text(), "");
    }

    #[wasm_bindgen_test]
    fn the_actions_carry_what_was_typed_and_a_bad_invoice_date_is_explained() {
        let order = new_order();
        let mut draft = OrderPageDraft::opening(&order);
        draft.carrier.type_text("顺丰速运".into());
        draft.tracking_no.type_text("SF1".into());
        assert_eq!(
            draft.record_shipment(),
            Mutation::RecordShipment {
                order_id: order.id,
                carrier: "顺丰速运".into(),
                tracking_no: "SF1".into(),
            }
        );
        draft.invoice_number.type_text("FP-1".into());
        let problem = draft.record_invoice().unwrap_err();
        assert!(problem.message(domain::Lang::Zh).contains("开票日期"));
        draft.invoice_date.type_text("2026-11-26".into());
        assert!(matches!(
            draft.record_invoice(),
            Ok(Mutation::RecordInvoice { ref number, .. }) if number == "FP-1"
        ));
        draft.due_date.type_text("2026-12-24".into());
        assert_eq!(draft.due_date(), NaiveDate::from_ymd_opt(2026, 12, 24));
    }
}
