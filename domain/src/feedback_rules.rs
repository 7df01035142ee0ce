//! Who may rate an order, file and resolve after-sales requests, and when (`apply` calls these).
//!
//! # Rules
//! - Rating and after-sales requests are open once the order has shipped, sits in the
//!   after-sales stage, or is completed; never for a cancelled order (`Invalid` otherwise).
//! - A rating is 1–5 stars with an optional comment (≤ 500 characters). One rating per order;
//!   the customer may change it for `FEEDBACK_EDIT_DAYS` days after first giving it.
//! - An after-sales request has a kind, a description (1–1000 characters, several lines) and a
//!   contact (1–100 characters). At most `MAX_OPEN_REQUESTS` may be open at once; a request id
//!   is used once per order.
//! - Resolving a request (with an optional note) is for the order's owner, sales, customer
//!   service or an admin; a request is resolved once.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::DomainError;
use crate::feedback::*;
use crate::history::EventKind;
use crate::order::{Order, OrderStatus};
use crate::pipeline::{ids, Pipeline, StageId};
use crate::staff::Actor;
use crate::text::{multi_line, single_line, Field};

const COMMENT: Field = Field::new("comment", "评价内容", "Comment");
const DESCRIPTION: Field = Field::new("description", "问题描述", "Description");
const CONTACT: Field = Field::new("contact", "联系方式", "Contact");
const RESOLUTION: Field = Field::new("note", "处理说明", "Resolution note");

impl Order {
    /// Whether the customer may rate the order and file after-sales requests now.
    pub fn open_for_feedback(&self, pipeline: &Pipeline) -> bool {
        let after_sales = StageId::new(ids::AFTER_SALES);
        let reached_after_sales = match (
            pipeline.index_of(&self.stage),
            pipeline.index_of(&after_sales),
        ) {
            (Some(current), Some(after_sales)) => current >= after_sales,
            _ => false,
        };
        match self.status {
            OrderStatus::Cancelled { .. } => false,
            OrderStatus::Completed => true,
            OrderStatus::Active => self.shipment.is_some() || reached_after_sales,
        }
    }

    pub fn open_after_sales(&self) -> usize {
        self.after_sales.iter().filter(|r| r.is_open()).count()
    }
}

fn customer_only(actor: &Actor) -> Result<(), DomainError> {
    if actor.is_customer() {
        Ok(())
    } else {
        Err(DomainError::forbidden(
            "评价和售后申请只能由客户通过查询页面提交",
            "Ratings and after-sales requests come from the customer's order page only",
        ))
    }
}

fn check_open(order: &Order, pipeline: &Pipeline) -> Result<(), DomainError> {
    if order.open_for_feedback(pipeline) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "status",
            "订单发货后才能评价或申请售后",
            "Ratings and after-sales requests open once the order has shipped",
        ))
    }
}

pub(crate) fn rate(
    actor: &Actor,
    pipeline: &Pipeline,
    now: DateTime<Utc>,
    order: &mut Order,
    stars: u8,
    comment: &str,
) -> Result<Vec<EventKind>, DomainError> {
    customer_only(actor)?;
    check_open(order, pipeline)?;
    if !(1..=5).contains(&stars) {
        return Err(DomainError::invalid(
            "stars",
            "请选择 1 到 5 颗星",
            "Choose between 1 and 5 stars",
        ));
    }
    let comment = match comment.trim() {
        "" => String::new(),
        text => multi_line(COMMENT, text, COMMENT_MAX)?,
    };
    let edited = match &mut order.feedback {
        Some(existing) => {
            let edits = order
                .history
                .iter()
                .filter(|e| matches!(e.kind, EventKind::FeedbackGiven { edited: true, .. }))
                .count();
            if edits >= MAX_RATING_EDITS {
                return Err(DomainError::invalid(
                    "stars",
                    format!("评价已修改 {MAX_RATING_EDITS} 次，不能再修改"),
                    format!("A rating can be changed {MAX_RATING_EDITS} times at most"),
                ));
            }
            if now > existing.editable_until() {
                return Err(DomainError::invalid(
                    "stars",
                    format!("评价提交 {FEEDBACK_EDIT_DAYS} 天后不能再修改"),
                    format!("A rating can be changed for {FEEDBACK_EDIT_DAYS} days only"),
                ));
            }
            if existing.stars == stars && existing.comment == comment {
                return Err(DomainError::invalid(
                    "stars",
                    "评价没有变化",
                    "The rating is unchanged",
                ));
            }
            existing.stars = stars;
            existing.comment = comment;
            existing.edited_at = Some(now);
            true
        }
        None => {
            order.feedback = Some(Feedback {
                stars,
                comment,
                given_at: now,
                edited_at: None,
            });
            false
        }
    };
    Ok(vec![EventKind::FeedbackGiven { stars, edited }])
}

#[allow(clippy::too_many_arguments)]
/// Times a customer may change their rating (each change is a history event; unbounded edits
/// would grow the order until D1 refuses to store it).
pub const MAX_RATING_EDITS: usize = 10;

#[allow(clippy::too_many_arguments)]
pub(crate) fn request_after_sales(
    actor: &Actor,
    pipeline: &Pipeline,
    now: DateTime<Utc>,
    order: &mut Order,
    request_id: Uuid,
    kind: AfterSalesKind,
    description: &str,
    contact: &str,
) -> Result<Vec<EventKind>, DomainError> {
    customer_only(actor)?;
    check_open(order, pipeline)?;
    if order.after_sales.iter().any(|r| r.id == request_id) {
        return Err(DomainError::invalid(
            "request_id",
            "这个售后申请已经提交过了",
            "This after-sales request was already submitted",
        ));
    }
    if order.open_after_sales() >= MAX_OPEN_REQUESTS {
        return Err(DomainError::invalid(
            "request_id",
            "未处理的售后申请过多，请直接联系您的销售顾问",
            "Too many open after-sales requests; please contact your sales representative",
        ));
    }
    let description = multi_line(DESCRIPTION, description, DESCRIPTION_MAX)?;
    let contact = single_line(CONTACT, contact, CONTACT_MAX)?;
    order.after_sales.push(AfterSalesRequest {
        id: request_id,
        kind,
        description,
        contact,
        at: now,
        resolution: None,
    });
    Ok(vec![EventKind::AfterSalesRequested { request_id, kind }])
}

pub(crate) fn resolve_after_sales(
    actor: &Actor,
    now: DateTime<Utc>,
    order: &mut Order,
    request_id: Uuid,
    note: &str,
) -> Result<Vec<EventKind>, DomainError> {
    let note = match note.trim() {
        "" => String::new(),
        text => multi_line(RESOLUTION, text, COMMENT_MAX)?,
    };
    let Some(request) = order.after_sales.iter_mut().find(|r| r.id == request_id) else {
        return Err(DomainError::invalid(
            "request_id",
            "没有这个售后申请",
            "No such after-sales request",
        ));
    };
    if request.resolution.is_some() {
        return Err(DomainError::invalid(
            "request_id",
            "这个售后申请已经处理过了",
            "This after-sales request is already resolved",
        ));
    }
    let kind = request.kind;
    request.resolution = Some(Resolution {
        by: actor.staff_ref(),
        at: now,
        note,
    });
    Ok(vec![EventKind::AfterSalesResolved { request_id, kind }])
}
