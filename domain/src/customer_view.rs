//! What a customer may see, as its own type: anything not in here cannot leak by accident
//! (amounts, notes, checklists, history, staff ids, cancellation reasons). The customer sees what
//! they ordered — products, quantities, units — but never prices or totals: those are between
//! the customer's buyer and the sales person, not for whoever holds the order number.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::business_date;
use crate::feedback::AfterSalesKind;
use crate::i18n::Lang;
use crate::order::{Order, OrderStatus};
use crate::pipeline::Pipeline;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerView {
    pub order_number: String,
    pub company: String,
    pub status: CustomerStatus,
    pub stages: Vec<CustomerStage>,
    pub current_message: String,
    pub expected_delivery: Option<NaiveDate>,
    /// What was ordered, in the order's own order: no prices.
    pub items: Vec<CustomerItem>,
    pub shipment: Option<CustomerShipment>,
    pub sales_contact: SalesContact,
    /// Whether the customer may rate the order and file after-sales requests now.
    pub feedback_open: bool,
    pub feedback: Option<CustomerFeedback>,
    pub after_sales: Vec<CustomerAfterSales>,
    /// The papers meant for the customer (签收单, 发票: `AttachmentKind::customer_visible`),
    /// only through a link the team gave out; empty for a number + digits lookup (the worker
    /// empties it) and until the file has reached the server.
    #[serde(default)]
    pub attachments: Vec<CustomerAttachment>,
}

/// A customer-visible attachment: the customer page links its file and thumbnail by `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerAttachment {
    pub id: uuid::Uuid,
    pub kind: crate::attachment::AttachmentKind,
    pub kind_label: String,
    pub file_type: crate::attachment::FileType,
    pub has_thumbnail: bool,
    pub added_on: NaiveDate,
    /// The file's hash: the worker lists only files it holds.
    #[serde(skip)]
    pub sha256: String,
    /// The thumbnail's hash: `has_thumbnail` only once the worker holds it too.
    #[serde(skip)]
    pub thumbnail_sha256: Option<String>,
}

/// One ordered line as the customer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerItem {
    pub product: String,
    /// A JSON number when whole (as before), else text ("1.5").
    pub quantity: crate::quantity::Quantity,
    /// 箱, 卷, 米 …; empty when the order did not say.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
}

/// The customer's own rating, as they gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerFeedback {
    pub stars: u8,
    pub comment: String,
    pub given_on: NaiveDate,
    /// Until when it may be changed; `None` once that time has passed.
    pub editable_until: Option<DateTime<Utc>>,
}

/// One of the customer's own after-sales requests and whether the team has resolved it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerAfterSales {
    pub kind: AfterSalesKind,
    pub kind_label: String,
    pub description: String,
    pub submitted_on: NaiveDate,
    pub resolved_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerStatus {
    InProgress,
    Completed,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerStage {
    pub label: String,
    pub reached_on: Option<NaiveDate>,
    pub state: CustomerStageState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerStageState {
    Done,
    Current,
    Upcoming,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerShipment {
    pub carrier: String,
    pub tracking_no: String,
    pub shipped_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesContact {
    pub name: String,
    pub phone: Option<String>,
}

/// Once a shipment is recorded the message says so, with the day it left: the goods are shipped,
/// not delivered (nobody records a delivery), whatever stage the order has reached. Past the
/// shipping stage the stage's own message follows; at the shipping stage its message ("being
/// packed") would contradict the fact, so it is left out.
fn shipped_message(
    lang: Lang,
    shipment: &crate::order::Shipment,
    order: &Order,
    pipeline: &Pipeline,
    stage_message: String,
) -> String {
    let day = business_date(shipment.shipped_at);
    // The carrier is not named here: it is typed in Chinese, and the shipment's own line shows it.
    let shipped = match lang {
        Lang::Zh => format!(
            "货品已于 {} 月 {} 日发出，可凭物流单号查询到货情况。",
            day.format("%-m"),
            day.format("%-d"),
        ),
        Lang::En => format!(
            "Your goods were shipped on {}; track them with the tracking number.",
            day.format("%Y-%m-%d"),
        ),
    };
    let shipping_stage =
        pipeline.index_of(&crate::pipeline::StageId::new(crate::stage::ids::DELIVERY));
    let past_shipping = match (pipeline.index_of(&order.stage), shipping_stage) {
        (Some(here), Some(shipping)) => here > shipping,
        _ => false,
    };
    if past_shipping && !stage_message.is_empty() {
        let gap = if lang == Lang::Zh { "" } else { " " };
        format!("{shipped}{gap}{stage_message}")
    } else {
        shipped
    }
}

/// `now` decides whether the rating may still be changed.
pub fn customer_view(
    order: &Order,
    pipeline: &Pipeline,
    lang: Lang,
    sales_phone: Option<String>,
    now: DateTime<Utc>,
) -> CustomerView {
    let status = match order.status {
        OrderStatus::Active => CustomerStatus::InProgress,
        OrderStatus::Completed => CustomerStatus::Completed,
        OrderStatus::Cancelled { .. } => CustomerStatus::Cancelled,
    };
    let current = pipeline.index_of(&order.stage);
    let stages = pipeline
        .stages
        .iter()
        .enumerate()
        .map(|(i, def)| {
            let state = match current {
                _ if status == CustomerStatus::Completed => CustomerStageState::Done,
                Some(c) if i < c => CustomerStageState::Done,
                Some(c) if i == c => CustomerStageState::Current,
                _ => CustomerStageState::Upcoming,
            };
            // A stage visited before a rework is upcoming again, so it shows no date.
            let reached_on = match state {
                CustomerStageState::Upcoming => None,
                _ => order
                    .progress_of(&def.id)
                    .map(|p| business_date(p.entered_at)),
            };
            CustomerStage {
                label: def.customer_label.get(lang).to_string(),
                reached_on,
                state,
            }
        })
        .collect();
    let current_message = match status {
        CustomerStatus::Completed => lang
            .pick(
                "订单已完成，感谢您的信任与支持。",
                "Your order is complete. Thank you for your trust.",
            )
            .to_string(),
        CustomerStatus::Cancelled => lang
            .pick(
                "订单已取消。如有疑问，请联系您的销售顾问。",
                "This order has been cancelled. Please contact your sales representative with any questions.",
            )
            .to_string(),
        CustomerStatus::InProgress => {
            let stage_message = pipeline
                .stage(&order.stage)
                .map(|s| s.customer_message.get(lang).to_string())
                .unwrap_or_default();
            match &order.shipment {
                Some(shipment) => shipped_message(lang, shipment, order, pipeline, stage_message),
                None => stage_message,
            }
        }
    };
    CustomerView {
        order_number: order.number.as_str().to_string(),
        company: order.customer.company.clone(),
        status,
        stages,
        current_message,
        expected_delivery: order.expected_delivery,
        items: order
            .items
            .iter()
            .map(|item| CustomerItem {
                product: item.product.clone(),
                quantity: item.quantity,
                unit: item.unit.clone(),
            })
            .collect(),
        shipment: order.shipment.as_ref().map(|s| CustomerShipment {
            carrier: s.carrier.clone(),
            tracking_no: s.tracking_no.clone(),
            shipped_on: business_date(s.shipped_at),
        }),
        sales_contact: SalesContact {
            name: order.owner.name.clone(),
            phone: sales_phone,
        },
        feedback_open: order.open_for_feedback(pipeline),
        feedback: order.feedback.as_ref().map(|f| CustomerFeedback {
            stars: f.stars,
            comment: f.comment.clone(),
            given_on: business_date(f.given_at),
            editable_until: (now <= f.editable_until()).then(|| f.editable_until()),
        }),
        after_sales: order
            .after_sales
            .iter()
            .map(|r| CustomerAfterSales {
                kind: r.kind,
                kind_label: r.kind.label(lang).to_string(),
                description: r.description.clone(),
                submitted_on: business_date(r.at),
                resolved_on: r.resolution.as_ref().map(|res| business_date(res.at)),
            })
            .collect(),
        attachments: order
            .attachments
            .iter()
            .filter(|a| a.is_live() && a.kind.customer_visible())
            .map(|a| CustomerAttachment {
                id: a.id,
                kind: a.kind,
                kind_label: a.kind.label(lang).to_string(),
                file_type: a.file.file_type,
                has_thumbnail: a.thumbnail.is_some(),
                added_on: business_date(a.at),
                sha256: a.file.sha256.clone(),
                thumbnail_sha256: a.thumbnail.as_ref().map(|t| t.sha256.clone()),
            })
            .collect(),
    }
}
