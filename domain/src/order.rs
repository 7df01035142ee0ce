use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::calendar::business_date;
use crate::error::DomainError;
use crate::history::HistoryEvent;
use crate::money::Money;
use crate::pipeline::{Pipeline, StageId};
use crate::quantity::Quantity;
pub use crate::staff::{Actor, StaffRef};
use crate::text::{optional_line, single_line, Field};

/// Human-facing order number. Staff type it, customers quote it on the phone, so it must be
/// short, printable and free of spaces.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderNumber(String);

const NUMBER: Field = Field::new("number", "订单号", "Order number");

impl OrderNumber {
    pub const MAX_CHARS: usize = 40;

    pub fn parse(input: &str) -> Result<OrderNumber, DomainError> {
        let s = single_line(NUMBER, input, Self::MAX_CHARS)?;
        // is_alphanumeric admits CJK ideographs (company-internal prefixes like 杭-001) but not
        // spaces, punctuation look-alikes or emoji, which are hard to read out on the phone.
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '/' | '.')))
        {
            return Err(NUMBER.error(
                format!("不能包含“{bad}”，只能使用字母、数字、汉字和 - _ / ."),
                format!("must not contain '{bad}'; use letters, digits and - _ / ."),
            ));
        }
        Ok(OrderNumber(s))
    }

    /// `GD-20261126-7F3A`: 跟单 prefix, creation date and the last four hex digits of the order id,
    /// so two phones offline on the same day rarely collide (the server resolves the rest).
    pub fn generate(date: NaiveDate, order_id: Uuid) -> OrderNumber {
        let hex = order_id.simple().to_string().to_uppercase();
        OrderNumber(format!(
            "GD-{}-{}",
            date.format("%Y%m%d"),
            &hex[hex.len() - 4..]
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Customer {
    pub company: String,
    pub contact: String,
    pub phone: String,
    pub email: Option<String>,
    pub address: Option<String>,
}

/// One plain address: exactly one `@`, a dot inside the domain, and none of the signs that
/// make `mailto:{email}` more than an address (`?bcc=…&subject=…`, `#`, `%`-escapes) or break
/// out of markup (quotes, `<`, `>`), nor separators of address lists (`,`, `;`, spaces). An
/// attacker's finding: `sales@customer.com?bcc=spy%40evil.example` was stored and a tap on it
/// opened a mail with a hidden Bcc.
pub fn is_plain_email(email: &str) -> bool {
    const REFUSED: &[char] = &[
        '?', '&', '#', '%', '"', '\'', '`', '<', '>', ',', ';', ':', '\\', '/', '(', ')', '[', ']',
    ];
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || REFUSED.contains(&c))
        && domain
            .split_once('.')
            .is_some_and(|(host, _)| !host.is_empty())
        && !domain.ends_with('.')
}

/// The `href` of a customer's email: `mailto:` and the address with everything but letters,
/// digits and `@ . _ + -` percent-encoded, or `None` for an address that is not plain (one
/// stored before [`is_plain_email`] was the rule), which is then shown but not linked.
pub fn mailto_href(email: &str) -> Option<String> {
    if !is_plain_email(email) {
        return None;
    }
    let mut href = String::from("mailto:");
    for byte in email.bytes() {
        if byte.is_ascii_alphanumeric() || b"@._+-".contains(&byte) {
            href.push(byte as char);
        } else {
            href.push_str(&format!("%{byte:02X}"));
        }
    }
    Some(href)
}

impl Customer {
    /// A repeat order: the fields still blank here are taken from `earlier` (the same
    /// company's last order); anything already typed stays.
    pub fn fill_blanks_from(&mut self, earlier: &Customer) {
        let blank = |text: &str| text.trim().is_empty();
        if blank(&self.contact) {
            self.contact = earlier.contact.clone();
        }
        if blank(&self.phone) {
            self.phone = earlier.phone.clone();
        }
        if self.email.as_deref().is_none_or(blank) {
            self.email = earlier.email.clone();
        }
        if self.address.as_deref().is_none_or(blank) {
            self.address = earlier.address.clone();
        }
    }
}

const COMPANY: Field = Field::new("customer.company", "公司名称", "Company");
const CONTACT: Field = Field::new("customer.contact", "联系人", "Contact");
const PHONE: Field = Field::new("customer.phone", "电话", "Phone");
const EMAIL: Field = Field::new("customer.email", "邮箱", "Email");
const ADDRESS: Field = Field::new("customer.address", "地址", "Address");

impl Customer {
    /// The trimmed, checked copy that gets stored; blank optional fields become `None`.
    pub fn validated(&self) -> Result<Customer, DomainError> {
        let company = single_line(COMPANY, &self.company, 100)?;
        let contact = single_line(CONTACT, &self.contact, 50)?;
        let phone = single_line(PHONE, &self.phone, 20)?;
        let phone_chars_ok = phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'));
        if phone.chars().count() < 5
            || !phone_chars_ok
            || phone.chars().filter(char::is_ascii_digit).count() < 5
        {
            return Err(PHONE.error(
                "格式不正确，请填写至少 5 位数字",
                "must have at least 5 digits and only + - ( ) or spaces besides",
            ));
        }
        let email = optional_line(EMAIL, self.email.as_deref(), 254)?;
        if let Some(e) = &email {
            if !is_plain_email(e) {
                return Err(EMAIL.error(
                    "格式不正确：须是 name@example.com 这样的一个地址，不能有空格、引号、? & # % < > , ; 等符号",
                    "is not a valid address: one address like name@example.com, without spaces, quotes or ? & # % < > , ; and similar signs",
                ));
            }
        }
        let address = optional_line(ADDRESS, self.address.as_deref(), 200)?;
        Ok(Customer {
            company,
            contact,
            phone,
            email,
            address,
        })
    }

    pub fn validate(&self) -> Result<(), DomainError> {
        self.validated().map(|_| ())
    }

    /// The proof a customer gives when looking up an order without an account.
    pub fn phone_last4(&self) -> String {
        let digits: Vec<char> = self.phone.chars().filter(char::is_ascii_digit).collect();
        digits[digits.len().saturating_sub(4)..].iter().collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "wire_item::LineItemWire", try_from = "wire_item::LineItemWire")]
pub struct LineItem {
    pub product: String,
    /// Exact, up to three decimals (`quantity.rs`); see `wire_item` for its JSON.
    pub quantity: Quantity,
    /// What the quantity counts (箱, 卷, 米 …), free text; empty when not given (and in orders
    /// from before units), and then not in the JSON, so older documents read and write the same.
    pub unit: String,
    pub unit_price: Money,
}

/// A line item's JSON. `quantity` stays the whole number every app version reads (the previous
/// one reads a `u32` and refuses a whole pull page otherwise); a quantity with decimals adds
/// `quantity_exact` ("1.5"), which newer readers prefer and older ones ignore. Whole quantities
/// are written exactly as before, so stored orders, IndexedDB, sync and D1 documents are unchanged.
mod wire_item {
    use super::*;

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "LineItem")]
    pub(super) struct LineItemWire {
        product: String,
        quantity: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quantity_exact: Option<String>,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        unit: String,
        unit_price: Money,
    }

    impl From<LineItem> for LineItemWire {
        fn from(item: LineItem) -> Self {
            LineItemWire {
                product: item.product,
                quantity: item
                    .quantity
                    .whole()
                    .unwrap_or(item.quantity.legacy_whole()),
                quantity_exact: (!item.quantity.is_whole()).then(|| item.quantity.to_string()),
                unit: item.unit,
                unit_price: item.unit_price,
            }
        }
    }

    impl TryFrom<LineItemWire> for LineItem {
        type Error = String;

        fn try_from(wire: LineItemWire) -> Result<Self, String> {
            let quantity = match wire.quantity_exact {
                Some(exact) => Quantity::parse(&exact)
                    .map_err(|_| format!("quantity_exact {exact:?}: a positive decimal"))?,
                None => Quantity::units(wire.quantity),
            };
            Ok(LineItem {
                product: wire.product,
                quantity,
                unit: wire.unit,
                unit_price: wire.unit_price,
            })
        }
    }
}

/// Units offered under the unit box; any other can be typed.
pub const COMMON_UNITS: &[&str] = &["个", "件", "箱", "卷", "米", "吨", "公斤", "套", "台", "包"];

const PRODUCT: Field = Field::new("items", "商品名称", "Product");
const UNIT_PRICE: Field = Field::new("items", "单价", "Unit price");
const UNIT: Field = Field::new("items", "单位", "Unit");
const ITEMS: Field = Field::new("items", "订单明细", "Line items");

impl LineItem {
    pub const MAX_QUANTITY: Quantity = Quantity::MAX;
    /// ¥10,000,000,000 per unit: far above any real price, far below i64 overflow.
    pub const MAX_UNIT_PRICE: Money = Money(1_000_000_000_000);

    pub fn validated(&self) -> Result<LineItem, DomainError> {
        let product = single_line(PRODUCT, &self.product, 100)?;
        let quantity = self.quantity.checked()?;
        if self.unit_price.is_negative() || self.unit_price > Self::MAX_UNIT_PRICE {
            return Err(
                UNIT_PRICE.error("不能为负数或过大", "must not be negative or absurdly large")
            );
        }
        let unit = optional_line(UNIT, Some(&self.unit), 10)?.unwrap_or_default();
        Ok(LineItem {
            product,
            quantity,
            unit,
            unit_price: self.unit_price,
        })
    }

    /// Unit price × quantity, rounded half up to the fen.
    pub fn subtotal(&self) -> Result<Money, DomainError> {
        self.quantity.times(self.unit_price)
    }
}

/// Line items of one order, validated together so that the order total is known to fit.
pub const MAX_LINE_ITEMS: usize = 200;

pub fn validate_items(items: &[LineItem]) -> Result<Vec<LineItem>, DomainError> {
    if items.len() > MAX_LINE_ITEMS {
        return Err(ITEMS.error(
            format!("最多 {MAX_LINE_ITEMS} 行"),
            format!("may have at most {MAX_LINE_ITEMS} lines"),
        ));
    }
    let mut total = Money::ZERO;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let line = i + 1;
        let item = item.validated().map_err(|e| match e {
            DomainError::Invalid { field, message } => DomainError::Invalid {
                field,
                message: crate::Localized::new(
                    format!("第 {line} 行：{}", message.zh),
                    format!("Line {line}: {}", message.en),
                ),
            },
            DomainError::InvisibleCharacters { field, message } => {
                DomainError::InvisibleCharacters {
                    field,
                    message: crate::Localized::new(
                        format!("第 {line} 行：{}", message.zh),
                        format!("Line {line}: {}", message.en),
                    ),
                }
            }
            other => other,
        })?;
        total = total.checked_add(item.subtotal()?)?;
        out.push(item);
    }
    Ok(out)
}

/// One visit of an order to a stage. Rework appends a new visit instead of rewriting the old
/// one, so the time spent in each attempt stays measurable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageProgress {
    pub stage: StageId,
    pub entered_at: DateTime<Utc>,
    pub entered_by: StaffRef,
    pub due_date: Option<NaiveDate>,
    pub checklist: BTreeMap<String, bool>,
    pub responsible: Option<StaffRef>,
    pub left_at: Option<DateTime<Utc>>,
}

/// Arrangements made for a stage the order has not reached yet; they move into the
/// stage's progress when the order enters it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StagePlan {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible: Option<StaffRef>,
}

impl StagePlan {
    pub fn is_empty(&self) -> bool {
        self.due_date.is_none() && self.responsible.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_no: String,
    pub shipped_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub number: String,
    pub date: NaiveDate,
}

/// Stored as `{"kind": "active" | "completed" | "cancelled", "reason"?: …}`. Read by a hand-written
/// visitor, not serde's internally-tagged derive, which buffers every order's status in a map
/// first (an allocation per order, and ~5 KB of generic buffering code in the field bundle).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OrderStatus {
    Active,
    Completed,
    Cancelled { reason: String },
}

impl<'de> Deserialize<'de> for OrderStatus {
    fn deserialize<D: serde::Deserializer<'de>>(from: D) -> Result<Self, D::Error> {
        use serde::de::{Error, IgnoredAny, MapAccess, Visitor};
        use std::borrow::Cow;

        struct StatusVisitor;

        impl<'de> Visitor<'de> for StatusVisitor {
            type Value = OrderStatus;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an order status {kind, reason?}")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderStatus, A::Error> {
                let mut kind: Option<Cow<'de, str>> = None;
                let mut reason: Option<String> = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match key.as_ref() {
                        "kind" => kind = Some(map.next_value()?),
                        "reason" => reason = Some(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                match kind.as_deref() {
                    Some("active") => Ok(OrderStatus::Active),
                    Some("completed") => Ok(OrderStatus::Completed),
                    Some("cancelled") => Ok(OrderStatus::Cancelled {
                        reason: reason.ok_or_else(|| A::Error::missing_field("reason"))?,
                    }),
                    Some(other) => Err(A::Error::unknown_variant(
                        other,
                        &["active", "completed", "cancelled"],
                    )),
                    None => Err(A::Error::missing_field("kind")),
                }
            }
        }

        from.deserialize_map(StatusVisitor)
    }
}

impl OrderStatus {
    pub fn is_closed(&self) -> bool {
        !matches!(self, OrderStatus::Active)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: Uuid,
    pub text: String,
    pub author: StaffRef,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeadlineState {
    OnTrack,
    /// Due tomorrow: the last day to act without being late.
    DueSoon,
    DueToday,
    Overdue {
        days: i64,
    },
    /// Completed and cancelled orders have no deadline.
    NotApplicable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: Uuid,
    pub number: OrderNumber,
    pub customer: Customer,
    pub items: Vec<LineItem>,
    pub expected_delivery: Option<NaiveDate>,
    pub owner: StaffRef,
    /// The process version the order runs on (`process_version.rs`): the one current when it
    /// was created, until an admin migrates it. Orders stored before versions existed, and
    /// phones that predate the field, mean version 1.
    #[serde(default = "crate::process_version::first_version")]
    pub process_version: u32,
    pub stage: StageId,
    /// One entry per stage visit, oldest first; the last one is the current stage.
    pub stages: Vec<StageProgress>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stage_plans: BTreeMap<StageId, StagePlan>,
    pub shipment: Option<Shipment>,
    pub invoice: Option<Invoice>,
    pub status: OrderStatus,
    pub notes: Vec<Note>,
    pub history: Vec<HistoryEvent>,
    /// The customer's rating, from the customer page (see `feedback.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<crate::feedback::Feedback>,
    /// After-sales requests from the customer page, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after_sales: Vec<crate::feedback::AfterSalesRequest>,
    /// Photos and files, oldest first, removed ones included (`attachment.rs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::attachment::Attachment>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Order {
    /// Orders are validated so that the total fits; saturating only guards hand-built data.
    pub fn total(&self) -> Money {
        self.items.iter().fold(Money::ZERO, |acc, item| {
            let line = item.subtotal().unwrap_or(Money(i64::MAX));
            Money(acc.0.saturating_add(line.0))
        })
    }

    pub fn is_active(&self) -> bool {
        self.status == OrderStatus::Active
    }

    pub fn is_closed(&self) -> bool {
        self.status.is_closed()
    }

    /// Every order made by `apply` has at least one visit (the first stage), so this only
    /// panics on hand-built data that breaks that invariant.
    pub fn current_progress(&self) -> &StageProgress {
        self.stages
            .last()
            .expect("an order always has the progress of its current stage")
    }

    /// Who answers for the current stage by name: the person named responsible for it, else the
    /// order's owner (digests and lists address this person).
    pub fn stage_person(&self) -> &StaffRef {
        self.current_progress()
            .responsible
            .as_ref()
            .unwrap_or(&self.owner)
    }

    /// The latest visit to `stage`, if the order ever entered it.
    pub fn progress_of(&self, stage: &StageId) -> Option<&StageProgress> {
        self.stages.iter().rev().find(|p| &p.stage == stage)
    }

    /// (done, total) of the current stage's checklist as the pipeline defines it today.
    pub fn checklist_done(&self, pipeline: &Pipeline) -> (usize, usize) {
        let Some(def) = pipeline.stage(&self.stage) else {
            return (0, 0);
        };
        let progress = self.current_progress();
        let done = def
            .checklist
            .iter()
            .filter(|item| progress.checklist.get(&item.id).copied().unwrap_or(false))
            .count();
        (done, def.checklist.len())
    }

    /// Ids of the current stage's checklist items not yet ticked, in pipeline order.
    pub fn incomplete_items(&self, pipeline: &Pipeline) -> Vec<String> {
        let Some(def) = pipeline.stage(&self.stage) else {
            return Vec::new();
        };
        let progress = self.current_progress();
        def.checklist
            .iter()
            .filter(|item| !progress.checklist.get(&item.id).copied().unwrap_or(false))
            .map(|item| item.id.clone())
            .collect()
    }

    /// The current stage's required checklist items not yet ticked, in pipeline order: what
    /// stops the order from moving forward (see `apply`).
    pub fn unticked_required_items<'p>(
        &self,
        pipeline: &'p Pipeline,
    ) -> Vec<&'p crate::stage::ChecklistItemDef> {
        let Some(def) = pipeline.stage(&self.stage) else {
            return Vec::new();
        };
        let progress = self.current_progress();
        def.checklist
            .iter()
            .filter(|item| item.required)
            .filter(|item| !progress.checklist.get(&item.id).copied().unwrap_or(false))
            .collect()
    }

    /// Whether the order holds what checklist item `item` needs before it may be ticked: a
    /// live attachment of its evidence kind (any stage's: a 签收单 photographed early still
    /// counts). An item that needs none always has it.
    pub fn has_evidence_for(&self, item: &crate::stage::ChecklistItemDef) -> bool {
        item.evidence.is_none_or(|kind| {
            self.attachments
                .iter()
                .any(|attachment| attachment.is_live() && attachment.kind == kind)
        })
    }

    /// The current stage's items that claim evidence (ticked, or required) while the order
    /// holds none of their kind: what stops the order from moving forward.
    pub fn items_missing_evidence<'p>(
        &self,
        pipeline: &'p Pipeline,
    ) -> Vec<&'p crate::stage::ChecklistItemDef> {
        let Some(def) = pipeline.stage(&self.stage) else {
            return Vec::new();
        };
        let progress = self.current_progress();
        def.checklist
            .iter()
            .filter(|item| {
                item.required || progress.checklist.get(&item.id).copied().unwrap_or(false)
            })
            .filter(|item| !self.has_evidence_for(item))
            .collect()
    }

    /// Whether an exit requirement is on record.
    pub fn has_recorded(&self, requirement: crate::pipeline::ExitRequirement) -> bool {
        match requirement {
            crate::pipeline::ExitRequirement::Shipment => self.shipment.is_some(),
            crate::pipeline::ExitRequirement::Invoice => self.invoice.is_some(),
        }
    }

    /// Whether an order field a stage may require (`StageDef::required_fields`) is filled.
    pub fn has_field(&self, field: crate::stage::OrderField) -> bool {
        use crate::stage::OrderField;
        let filled = |text: &Option<String>| text.as_deref().is_some_and(|t| !t.trim().is_empty());
        match field {
            OrderField::Amount => self.total() > Money::ZERO,
            OrderField::ExpectedDelivery => self.expected_delivery.is_some(),
            OrderField::CustomerAddress => filled(&self.customer.address),
            OrderField::CustomerEmail => filled(&self.customer.email),
        }
    }

    /// The fields `def` requires that this order has not filled, in the stage's order: what
    /// stops the order from leaving `def` forward or skipping over it (see `apply`), and what
    /// the order page lists before anyone tries.
    pub fn missing_fields(&self, def: &crate::pipeline::StageDef) -> Vec<crate::stage::OrderField> {
        def.required_fields
            .iter()
            .copied()
            .filter(|field| !self.has_field(*field))
            .collect()
    }

    /// The requests for help still waiting (`EventKind::HelpAsked`): asked during the current
    /// visit of the current stage, for a record that is still missing, on an active order. Each
    /// requirement once, with the latest request for it. Derived from the history, so recording
    /// the invoice or moving the order on answers them without anyone closing them.
    pub fn open_help_asks(&self) -> Vec<(crate::pipeline::ExitRequirement, &HistoryEvent)> {
        if !self.is_active() {
            return Vec::new();
        }
        let entered = self.current_progress().entered_at;
        let mut open: Vec<(crate::pipeline::ExitRequirement, &HistoryEvent)> = Vec::new();
        for event in self.history.iter().rev() {
            if event.at < entered {
                break;
            }
            if let crate::history::EventKind::HelpAsked { need, stage } = &event.kind {
                if *stage == self.stage
                    && !self.has_recorded(*need)
                    && !open.iter().any(|(known, _)| known == need)
                {
                    open.push((*need, event));
                }
            }
        }
        crate::sorting::sort_by_key(&mut open, |(need, _)| *need);
        open
    }

    /// The latest business day on which the server locked customer lookups of this order's
    /// number (`EventKind::CustomerLookupLocked`).
    pub fn lookup_locked_on(&self) -> Option<NaiveDate> {
        self.history
            .iter()
            .rev()
            .find_map(|event| match &event.kind {
                crate::history::EventKind::CustomerLookupLocked { business_date } => {
                    Some(*business_date)
                }
                _ => None,
            })
    }

    /// An explicit due date wins; otherwise the stage's SLA counts from the day it was entered.
    /// Whether a shipment may be recorded yet: from `order_entry` on (before that nothing is
    /// confirmed to ship). A pipeline without that stage has no such gate.
    pub fn shipping_open(&self, pipeline: &Pipeline) -> bool {
        let gate = pipeline.index_of(&crate::pipeline::StageId::new(
            crate::pipeline::ids::ORDER_ENTRY,
        ));
        let here = pipeline.index_of(&self.stage);
        match (gate, here) {
            (Some(gate), Some(here)) => here >= gate,
            _ => true,
        }
    }

    pub fn due_date(&self, pipeline: &Pipeline) -> NaiveDate {
        let progress = self.current_progress();
        let entered = business_date(progress.entered_at);
        progress
            .due_date
            .unwrap_or_else(|| match pipeline.stage(&self.stage) {
                Some(def) => pipeline.sla_due(def, entered),
                None => entered,
            })
    }

    pub fn days_in_stage(&self, today: NaiveDate) -> i64 {
        (today - business_date(self.current_progress().entered_at)).num_days()
    }

    /// `today` is the business-calendar date (see [`crate::business_date`]).
    pub fn deadline_state(&self, pipeline: &Pipeline, today: NaiveDate) -> DeadlineState {
        if !self.is_active() {
            return DeadlineState::NotApplicable;
        }
        let days_left = (self.due_date(pipeline) - today).num_days();
        match days_left {
            d if d < 0 => DeadlineState::Overdue { days: -d },
            0 => DeadlineState::DueToday,
            1 => DeadlineState::DueSoon,
            _ => DeadlineState::OnTrack,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_is_free_text_trimmed_and_short_and_older_items_read_without_one() {
        let item = LineItem {
            product: "包装膜".into(),
            quantity: Quantity::units(3),
            unit: " 卷 ".into(),
            unit_price: Money(100),
        };
        assert_eq!(item.validated().unwrap().unit, "卷");
        let long = LineItem {
            unit: "很长很长很长很长很长的单位".into(),
            ..item.clone()
        };
        assert!(long.validated().is_err());
        let old: LineItem =
            serde_json::from_str(r#"{"product":"阀门","quantity":2,"unit_price":500}"#).unwrap();
        assert_eq!(old.unit, "");
        let json = serde_json::to_string(&old).unwrap();
        assert!(
            !json.contains("unit\""),
            "no unit key when none was given: {json}"
        );
    }

    /// The line item as the previous app version declared it (a derive, `quantity: u32`).
    #[derive(Debug, Deserialize, PartialEq)]
    struct PreviousLineItem {
        product: String,
        quantity: u32,
        #[serde(default)]
        unit: String,
        unit_price: Money,
    }

    #[test]
    fn whole_quantities_keep_their_old_json_and_decimals_round_trip() {
        let old = r#"{"product":"阀门","quantity":3,"unit":"个","unit_price":500}"#;
        let item: LineItem = serde_json::from_str(old).unwrap();
        assert_eq!(item.quantity, Quantity::units(3));
        assert_eq!(
            serde_json::to_string(&item).unwrap(),
            old,
            "written as before"
        );

        let decimal = LineItem {
            product: "钢板".into(),
            quantity: Quantity::parse("1.50").unwrap(),
            unit: "吨".into(),
            unit_price: Money(1230),
        };
        let json = serde_json::to_string(&decimal).unwrap();
        assert_eq!(
            json,
            r#"{"product":"钢板","quantity":2,"quantity_exact":"1.5","unit":"吨","unit_price":1230}"#
        );
        let back: LineItem = serde_json::from_str(&json).unwrap();
        assert_eq!(back, decimal);
        assert_eq!(back.subtotal(), Ok(Money(1845)));

        let broken = r#"{"product":"p","quantity":1,"quantity_exact":"1,5","unit_price":1}"#;
        assert!(serde_json::from_str::<LineItem>(broken).is_err());
    }

    #[test]
    fn the_previous_app_version_still_reads_a_decimal_line() {
        let decimal = LineItem {
            product: "钢板".into(),
            quantity: Quantity::parse("0.25").unwrap(),
            unit: "吨".into(),
            unit_price: Money(1230),
        };
        let json = serde_json::to_string(&vec![decimal]).unwrap();
        let read: Vec<PreviousLineItem> = serde_json::from_str(&json).unwrap();
        assert_eq!(
            read,
            vec![PreviousLineItem {
                product: "钢板".into(),
                quantity: 1,
                unit: "吨".into(),
                unit_price: Money(1230),
            }]
        );
    }

    #[test]
    fn the_order_total_sums_line_amounts_rounded_to_the_fen() {
        let line = |quantity: &str, fen: i64| LineItem {
            product: "p".into(),
            quantity: Quantity::parse(quantity).unwrap(),
            unit: String::new(),
            unit_price: Money(fen),
        };
        // 0.333 × ¥0.15 = 4.995 fen → 5 fen, twice: 10 fen (not round(9.99) = 10 by luck:
        // 0.001 × ¥4.99 = 0.499 fen → 0 each).
        let items = vec![line("0.333", 15), line("0.333", 15), line("0.001", 499)];
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 26, 2, 0, 0).unwrap();
        let mut order = crate::demo_orders(&Pipeline::standard(), now).remove(0);
        order.items = items.clone();
        assert_eq!(order.total(), Money(10));
        assert_eq!(validate_items(&items).unwrap().len(), 3);
        order.items = vec![line("1.5", 1230), line("3", 500)];
        assert_eq!(order.total(), Money(1845 + 1500));
    }

    #[test]
    fn a_repeat_order_takes_only_the_blank_customer_fields_from_the_last_one() {
        let earlier = Customer {
            company: "杭州明远机械有限公司".into(),
            contact: "周建国".into(),
            phone: "13900001111".into(),
            email: Some("zhou@mingyuan.cn".into()),
            address: Some("杭州市余杭区".into()),
        };
        let mut typed = Customer {
            company: "杭州明远机械有限公司".into(),
            contact: "".into(),
            phone: "13700002222".into(),
            email: None,
            address: Some(" ".into()),
        };
        typed.fill_blanks_from(&earlier);
        assert_eq!(typed.contact, "周建国");
        assert_eq!(typed.phone, "13700002222", "typed text stays");
        assert_eq!(typed.email.as_deref(), Some("zhou@mingyuan.cn"));
        assert_eq!(typed.address.as_deref(), Some("杭州市余杭区"));
    }

    fn customer() -> Customer {
        Customer {
            company: " 杭州明远纺织有限公司 ".into(),
            contact: "周建国".into(),
            phone: "138 0571 2233".into(),
            email: Some("  ".into()),
            address: None,
        }
    }

    #[test]
    fn order_numbers_are_trimmed_and_accept_cjk_and_separators() {
        assert_eq!(
            OrderNumber::parse("  杭-2026/11.001_a ").unwrap().as_str(),
            "杭-2026/11.001_a"
        );
    }

    #[test]
    fn order_numbers_with_spaces_emoji_or_excess_length_are_rejected() {
        for bad in ["", "GD 001", "GD\t1", "GD📦1", "GD<1>", &"9".repeat(41)] {
            assert!(OrderNumber::parse(bad).is_err(), "{bad:?}");
        }
        assert!(OrderNumber::parse(&"9".repeat(40)).is_ok());
    }

    #[test]
    fn generated_order_numbers_carry_the_date_and_four_hex_digits_of_the_id() {
        let id = Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_7f3a);
        let date = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let number = OrderNumber::generate(date, id);
        assert_eq!(number.as_str(), "GD-20261126-7F3A");
        assert_eq!(OrderNumber::parse(number.as_str()).unwrap(), number);
    }

    #[test]
    fn a_valid_customer_is_stored_trimmed_with_blank_optionals_dropped() {
        let c = customer().validated().unwrap();
        assert_eq!(c.company, "杭州明远纺织有限公司");
        assert_eq!(c.email, None);
    }

    #[test]
    fn a_customer_phone_needs_five_digits_and_phone_punctuation_only() {
        for bad in [
            "1234",
            "12-34",
            "abcdefgh",
            "138 0000 00000 00000 0",
            "1380000abcd",
        ] {
            let c = Customer {
                phone: bad.into(),
                ..customer()
            };
            assert!(c.validate().is_err(), "{bad:?}");
        }
        for good in ["12345", "+86 (571) 8888-1234", "13800001111"] {
            let c = Customer {
                phone: good.into(),
                ..customer()
            };
            assert!(c.validate().is_ok(), "{good:?}");
        }
    }

    #[test]
    fn a_customer_email_needs_one_at_and_a_dotted_domain() {
        for bad in [
            "a",
            "a@b",
            "@b.com",
            "a@@b.com",
            "a@b@c.com",
            "a b@c.com",
            "a@.com",
            "a@b.",
            // More than an address in a mailto: link, or markup (an attacker's findings).
            "sales@customer.com?bcc=spy%40evil.example&subject=x",
            "a@b.c\"><svg/onload=alert(1)>",
            "a@b.com#x",
            "a@b.com,c@d.com",
            "a@b.com;c@d.com",
            "a'b@c.com",
            "a@b.com\tc",
        ] {
            let c = Customer {
                email: Some(bad.into()),
                ..customer()
            };
            let error = c.validate().unwrap_err();
            assert_eq!(error.field(), Some("customer.email"), "{bad:?}");
            assert!(mailto_href(bad).is_none(), "{bad:?} is not linked");
        }
        assert_eq!(
            mailto_href("zhou.li+order@mingyuan.cn").as_deref(),
            Some("mailto:zhou.li+order@mingyuan.cn")
        );
        assert_eq!(
            mailto_href("王@例子.中国").as_deref(),
            Some("mailto:%E7%8E%8B@%E4%BE%8B%E5%AD%90.%E4%B8%AD%E5%9B%BD")
        );
        let c = Customer {
            email: Some(" zhou@mingyuan.cn ".into()),
            ..customer()
        };
        assert_eq!(
            c.validated().unwrap().email.as_deref(),
            Some("zhou@mingyuan.cn")
        );
    }

    #[test]
    fn a_customer_without_company_or_contact_is_rejected() {
        let err = Customer {
            company: "  ".into(),
            ..customer()
        }
        .validate()
        .unwrap_err();
        assert!(
            matches!(err, DomainError::Invalid { ref field, .. } if field == "customer.company")
        );
        assert!(Customer {
            contact: String::new(),
            ..customer()
        }
        .validate()
        .is_err());
        assert!(Customer {
            company: "公".repeat(101),
            ..customer()
        }
        .validate()
        .is_err());
    }

    #[test]
    fn the_phone_proof_is_the_last_four_digits_ignoring_punctuation() {
        assert_eq!(customer().phone_last4(), "2233");
        let c = Customer {
            phone: "+86 571-88(12)".into(),
            ..customer()
        };
        assert_eq!(c.phone_last4(), "8812");
    }

    #[test]
    fn a_line_item_needs_a_product_a_sane_quantity_and_a_non_negative_price() {
        let ok = LineItem {
            product: "精梳棉纱 32S".into(),
            quantity: Quantity::units(10),
            unit: String::new(),
            unit_price: Money::from_yuan_fen(2350, 0),
        };
        assert_eq!(ok.subtotal().unwrap(), Money::from_yuan_fen(23_500, 0));
        assert!(ok.validated().is_ok());
        assert!(LineItem {
            quantity: Quantity::units(0),
            ..ok.clone()
        }
        .validated()
        .is_err());
        assert!(LineItem {
            quantity: Quantity::units(1_000_001),
            ..ok.clone()
        }
        .validated()
        .is_err());
        assert!(LineItem {
            unit: String::new(),
            unit_price: Money(-1),
            ..ok.clone()
        }
        .validated()
        .is_err());
        assert!(LineItem {
            unit: String::new(),
            unit_price: Money(1_000_000_000_001),
            ..ok.clone()
        }
        .validated()
        .is_err());
        assert!(LineItem {
            product: " ".into(),
            ..ok
        }
        .validated()
        .is_err());
    }

    #[test]
    fn line_items_whose_total_would_overflow_are_rejected() {
        let huge = LineItem {
            product: "x".into(),
            quantity: LineItem::MAX_QUANTITY,
            unit: String::new(),
            unit_price: LineItem::MAX_UNIT_PRICE,
        };
        assert_eq!(validate_items(&vec![huge; 10]), Err(DomainError::Overflow));
    }

    #[test]
    fn line_item_errors_say_which_line_is_wrong() {
        let good = LineItem {
            product: "a".into(),
            quantity: Quantity::units(1),
            unit: String::new(),
            unit_price: Money(1),
        };
        let bad = LineItem {
            quantity: Quantity::units(0),
            ..good.clone()
        };
        let err = validate_items(&[good, bad]).unwrap_err();
        assert!(err.message(crate::Lang::Zh).starts_with("第 2 行"));
    }

    /// The derive `OrderStatus` had before its hand-written Deserialize: the oracle.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    enum DerivedStatus {
        Active,
        Completed,
        Cancelled { reason: String },
    }

    fn derived(status: &OrderStatus) -> DerivedStatus {
        match status {
            OrderStatus::Active => DerivedStatus::Active,
            OrderStatus::Completed => DerivedStatus::Completed,
            OrderStatus::Cancelled { reason } => DerivedStatus::Cancelled {
                reason: reason.clone(),
            },
        }
    }

    #[test]
    fn every_order_status_reads_and_writes_the_same_json_as_the_derive_did() {
        for status in [
            OrderStatus::Active,
            OrderStatus::Completed,
            OrderStatus::Cancelled {
                reason: "客户预算调整".into(),
            },
        ] {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, serde_json::to_string(&derived(&status)).unwrap());
            assert_eq!(serde_json::from_str::<OrderStatus>(&json).unwrap(), status);
        }
        // Any key order, unknown keys ignored: as the derive read them.
        for json in [
            r#"{"reason":"换供应商","kind":"cancelled"}"#,
            r#"{"kind":"cancelled","note":1,"reason":"换供应商"}"#,
            r#"{"kind":"active","reason":"ignored"}"#,
        ] {
            let ours = serde_json::from_str::<OrderStatus>(json).unwrap();
            assert_eq!(
                derived(&ours),
                serde_json::from_str::<DerivedStatus>(json).unwrap()
            );
        }
        // Refused where the derive refused.
        for json in [
            r#"{"kind":"cancelled"}"#,
            r#"{"kind":"paused"}"#,
            r#"{"reason":"x"}"#,
            r#""active""#,
            r#"{"kind":3}"#,
        ] {
            assert!(
                serde_json::from_str::<DerivedStatus>(json).is_err(),
                "{json}"
            );
            assert!(serde_json::from_str::<OrderStatus>(json).is_err(), "{json}");
        }
    }
}
