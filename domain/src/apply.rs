//! The rulebook. The app runs it optimistically, the worker runs it authoritatively: one
//! function, so the two can never disagree about what is allowed.
//!
//! `apply` is pure: no clock, no randomness, no I/O. The same context, order and mutation
//! always give the same result, which is what lets a client replay pending mutations on top
//! of fresh server state and get what the server will get.
//!
//! # Rules
//!
//! **Existence.** `CreateOrder` needs no existing order (`OrderExists` otherwise); every other
//! mutation needs one (`NotFound`), and its `order_id` must be that order's id (`Invalid`).
//!
//! **Closed orders.** A completed or cancelled order accepts only `AddNote` and `Reopen`;
//! anything else is `OrderClosed`. `Reopen` is only for closed orders (`Invalid` otherwise).
//!
//! **Who may do what** (`Forbidden` otherwise; admins may always act):
//! - `CreateOrder`: sales, service.
//! - `EditFields`: the order's owner, sales, service.
//! - `AdvanceStage`, `Complete`: a responsible role of the stage being left. If the order sits
//!   on a stage that an admin removed from the pipeline, its owner may move it (with a reason).
//! - `SetChecklistItem`, `SetStageResponsible`: a responsible role of that stage.
//! - `SetDueDate`: the owner, sales, or a responsible role of that stage (deadlines are agreed
//!   between the seller and the department doing the work).
//! - `RecordShipment`: warehouse or sales (small teams ship from the sales desk).
//! - `RecordInvoice`: finance or sales.
//! - `Cancel`, `Reopen`, `Assign`: the owner or sales.
//! - `AddNote`, `AddAttachment`: anyone.
//! - `RemoveAttachment`: whoever added it, the owner, sales. `PurgeAttachment`: admins only.
//! - `AskForHelp`: the owner, sales, or a responsible role of the current stage; `need` must be
//!   an exit requirement of the current stage not yet on record (`Invalid` otherwise). Asking
//!   again is a reminder and is recorded again, once `HELP_REMINDER_MINUTES` have passed since
//!   the last ask for it (`Invalid` before: each ask reaches the team's chat robots).
//!
//! **Moving through the pipeline.**
//! - `AdvanceStage.from` must be the current stage, else `StaleStage { current }`: the order was
//!   moved by someone else meanwhile. `to` must exist and differ from `from` (`Invalid`).
//! - Moving to the immediately following stage is the normal path. Skipping forward over stages
//!   or moving backward (rework) requires a non-empty reason (`ReasonRequired`).
//! - Leaving a stage whose checklist has unticked items requires a reason; the unticked item ids
//!   are recorded in the event. A *required* item (`ChecklistItemDef::required`) must be ticked
//!   before the order moves forward out of its stage or completes, reason or not
//!   (`RequiredItemUnticked`); moving back is allowed (with a reason), as for exit requirements.
//!   Skipped stages were never worked on, so their checklists do not stop a skip.
//! - An item that needs evidence (`ChecklistItemDef::evidence`, e.g. a 签收单 photo) can be
//!   ticked only while the order holds a live attachment of that kind, and the order moves
//!   forward out of the stage or completes only while every ticked or required such item still
//!   has it (`MissingEvidence`; removing the photo after the tick stops the order again).
//! - Exit requirements (delivery: shipment and invoice) must be on record before an order moves
//!   forward out of that stage or skips forward over it, reason or not (`MissingRequirement`).
//!   Moving *back* from such a stage (rework, e.g. goods failed inspection while packing) is
//!   allowed with a reason: the requirements guard the way forward, not the way back.
//! - Order fields a stage requires (`StageDef::required_fields`: amount, delivery date,
//!   address, email) must be filled before an order moves forward out of it or skips over it
//!   (`MissingOrderFields`, naming all of them); like exit requirements they do not guard the
//!   way back.
//! - A stage that is not `skippable` cannot be jumped over by a forward move, reason or not
//!   (`StageNotSkippable`); moving into it, out of it or back over it is fine. Migration
//!   placing an order behind new stages is no jump (`process_version`).
//! - `Complete` is only possible from the last stage and follows the same checklist/reason and
//!   exit-requirement rules as leaving it.
//! - Entering a stage appends a new visit (`stages` grows by one) with a fresh checklist, the
//!   due date and responsible person planned for it (if any). `Reopen` also appends a visit of
//!   the current stage, keeping its ticks, so its deadline counts from the reopening.
//!
//! **Checklist, deadlines, people.**
//! - `SetChecklistItem` names a stage: if it is not the current one the order has moved on
//!   (`StaleStage`); the item must belong to that stage (`Invalid`). Re-setting an item to the
//!   value it has is accepted and recorded, so concurrent ticks do not produce errors.
//! - `SetDueDate` and `SetStageResponsible` work on the current stage or a later one (kept as a
//!   plan until the order gets there), never on a past one (`Invalid`). A due date may not be
//!   before the day the current stage was entered. `due: None` returns to the SLA.
//! - `Assign` to the current owner is `Invalid` (nothing changed).
//!
//! **Shipping and invoicing.** A shipment can be recorded once the order has reached
//! `order_entry` (or any later stage); before that there is nothing confirmed to ship. If the
//! pipeline has no `order_entry` stage there is no such gate. Recording again corrects the
//! carrier/tracking number and keeps the original ship time. Invoices can be recorded at any
//! stage (advance invoices for prepayment are common).
//!
//! **Text.** Every text is trimmed; blank required text is `Invalid`; limits: note 2000
//! characters, reasons 500, carrier 50, tracking number 50, invoice number 50 (customer and
//! item limits live with those types). Any Unicode is fine; control characters are refused,
//! except newlines in notes. Text is stored verbatim (no HTML escaping: that is the UI's job).
//! Dates must be within ten years of `now`.
//!
//! **Edits.** `EditFields` with no actual change is `Invalid`; its event lists only the fields
//! that really changed.
//!
//! **Customer feedback.** Ratings and after-sales requests come only from the customer (the
//! worker's `Actor::customer`) and only once the order has shipped; the rules are in
//! `feedback.rs`. They, and resolving a request, are also accepted on completed orders.
//!
//! **Attachments.** Accepted on closed orders too (a 签收单 often arrives after completion).
//! An id is used once per order; a live attachment with the same file (hash) is refused, so the
//! same photo added from two phones is kept once. At most `MAX_ATTACHMENTS` per order and
//! `MAX_ATTACHMENTS_PER_PERSON` per person on it (removed ones count, purged ones not). Removing
//! hides it (removing twice is `Invalid`); purging needs it removed first and marks it purged.
//!
//! **Append-only.** History and notes only grow; a note id can be used once per order.
//! Every accepted mutation appends its events to the history and sets `updated_at = now`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::attachment::{
    Attachment, NewAttachment, Removal, MAX_ATTACHMENTS, MAX_ATTACHMENTS_PER_PERSON,
};
use crate::calendar::{add_days, business_date};
use crate::error::DomainError;
use crate::feedback_rules as feedback;
use crate::history::{EventKind, HistoryEvent};
use crate::mutation::{FieldChanges, Mutation};
use crate::order::{
    validate_items, Actor, Customer, Invoice, LineItem, Note, Order, OrderNumber, OrderStatus,
    Shipment, StaffRef, StageProgress,
};
use crate::permission::{self, Action};
use crate::pipeline::{ids, ChecklistItemDef, ExitRequirement, Pipeline, StageDef, StageId};
use crate::process_version::Processes;
use crate::text::{multi_line, optional_line, single_line, Field};
use crate::Lang;

pub struct Context<'a> {
    /// Every process version known here: each order is judged by its own version's pipeline,
    /// a new order starts on the current one.
    pub processes: &'a Processes,
    pub actor: &'a Actor,
    pub now: DateTime<Utc>,
}

/// The context for one order: its own version's pipeline.
struct Rules<'a> {
    pipeline: &'a Pipeline,
    version: u32,
    actor: &'a Actor,
    now: DateTime<Utc>,
}

impl<'a> Context<'a> {
    fn rules_for(&self, order: Option<&Order>) -> Rules<'a> {
        let version = order.map_or_else(
            || self.processes.current_number(),
            |order| order.process_version,
        );
        Rules {
            pipeline: self.processes.pipeline(version),
            version,
            actor: self.actor,
            now: self.now,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub order: Order,
    /// The events this mutation added; they are also appended to `order.history`.
    pub events: Vec<HistoryEvent>,
}

const NOTE: Field = Field::new("text", "备注", "Note");
const REASON: Field = Field::new("reason", "原因", "Reason");
const CARRIER: Field = Field::new("carrier", "物流公司", "Carrier");
const TRACKING: Field = Field::new("tracking_no", "物流单号", "Tracking number");
const INVOICE_NUMBER: Field = Field::new("number", "发票号", "Invoice number");

const NOTE_MAX: usize = 2000;
const REASON_MAX: usize = 500;
const SHORT_MAX: usize = 50;
const DATE_RANGE_DAYS: i64 = 3650;

pub fn apply(
    ctx: &Context,
    order: Option<&Order>,
    mutation: &Mutation,
) -> Result<Applied, DomainError> {
    let ctx = &ctx.rules_for(order);
    let existing = match (order, mutation) {
        (Some(_), Mutation::CreateOrder { .. }) => return Err(DomainError::OrderExists),
        (None, Mutation::CreateOrder { .. }) => {
            let (order, kinds) = create(ctx, mutation)?;
            return Ok(finish(ctx, order, kinds));
        }
        (None, _) => return Err(DomainError::NotFound),
        (Some(order), _) => order,
    };
    if existing.id != mutation.order_id() {
        return Err(DomainError::invalid(
            "order_id",
            "操作与订单不匹配",
            "The change belongs to a different order",
        ));
    }
    // Customers speak up after completion too, and the team must be able to answer them.
    if existing.is_closed()
        && !matches!(
            mutation,
            Mutation::AddNote { .. }
                | Mutation::AddAttachment { .. }
                | Mutation::RemoveAttachment { .. }
                | Mutation::PurgeAttachment { .. }
                | Mutation::Reopen { .. }
                | Mutation::RateOrder { .. }
                | Mutation::RequestAfterSales { .. }
                | Mutation::ResolveAfterSales { .. }
        )
    {
        return Err(DomainError::OrderClosed);
    }
    let mut order = existing.clone();
    let kinds = change(ctx, &mut order, mutation)?;
    let applied = finish(ctx, order, kinds);
    check_growth(&applied.order, adds_content(mutation))?;
    Ok(applied)
}

/// Notes one order may hold.
pub const MAX_NOTES: usize = 300;
/// History events one order may hold (a busy order sees a few dozen).
pub const MAX_HISTORY_EVENTS: usize = 2_000;
/// The stored document's size: far under D1's 2 MB row limit, so that no order can be grown
/// until the database refuses to write it and the team's sync stalls (issue 19).
pub const MAX_ORDER_BYTES: usize = 512 * 1024;
/// The size up to which what anyone may add (notes, attachments, asks, customer texts) can grow
/// an order. The rest of `MAX_ORDER_BYTES` is kept for the order's own work: one member filling
/// an order with notes must not stop those responsible from moving, assigning or cancelling it.
pub const MAX_CONTENT_BYTES: usize = 384 * 1024;

/// Whether `mutation` adds what anyone (or a customer) may add, as opposed to the work of those
/// responsible for the order; see `MAX_CONTENT_BYTES`.
fn adds_content(mutation: &Mutation) -> bool {
    matches!(
        mutation,
        Mutation::CreateOrder { .. }
            | Mutation::EditFields { .. }
            | Mutation::AddNote { .. }
            | Mutation::AddAttachment { .. }
            | Mutation::RemoveAttachment { .. }
            | Mutation::AskForHelp { .. }
            | Mutation::RateOrder { .. }
            | Mutation::RequestAfterSales { .. }
            | Mutation::ResolveAfterSales { .. }
    )
}

/// The bounds a change must leave an order within, refused like any rule; `content` says the
/// change adds content (`adds_content`), which stops at `MAX_CONTENT_BYTES`.
fn check_growth(order: &Order, content: bool) -> Result<(), DomainError> {
    if order.notes.len() > MAX_NOTES {
        return Err(DomainError::invalid(
            "text",
            format!("这张订单的备注已达上限（{MAX_NOTES} 条），请把要点合并到已有备注中"),
            format!("This order already has the maximum of {MAX_NOTES} notes"),
        ));
    }
    if order.history.len() > MAX_HISTORY_EVENTS {
        return Err(DomainError::invalid(
            "order",
            format!("这张订单的记录已达上限（{MAX_HISTORY_EVENTS} 条），不能再修改"),
            format!("This order's history is full ({MAX_HISTORY_EVENTS} events); it cannot change any more"),
        ));
    }
    let bytes = serde_json::to_vec(order).map_or(usize::MAX, |json| json.len());
    if content && bytes > MAX_CONTENT_BYTES {
        return Err(DomainError::invalid(
            "order",
            format!(
                "这张订单的备注、附件等内容已达上限（{} KB），不能再添加；推进、指派、改期和取消不受影响",
                MAX_CONTENT_BYTES / 1024
            ),
            format!(
                "This order's notes, attachments and other content have reached their limit ({} KB); moving, assigning, rescheduling and cancelling it still work",
                MAX_CONTENT_BYTES / 1024
            ),
        ));
    }
    if bytes > MAX_ORDER_BYTES {
        return Err(DomainError::invalid(
            "order",
            format!(
                "这张订单的数据已达上限（{} KB），不能再修改",
                MAX_ORDER_BYTES / 1024
            ),
            format!(
                "This order has reached its size limit ({} KB)",
                MAX_ORDER_BYTES / 1024
            ),
        ));
    }
    Ok(())
}

/// The server's own record that it locked customer lookups of `order`'s number for
/// `business_date` (too many wrong phone digits), by the system actor, so that sync brings it to
/// the owner's 今天. `None` when there is nothing to write: already recorded for that day, or
/// the order is at its growth bounds (the team's channels are still told).
pub fn record_lookup_lock(
    order: &Order,
    business_date: NaiveDate,
    now: DateTime<Utc>,
) -> Option<Applied> {
    if order.lookup_locked_on() == Some(business_date) {
        return None;
    }
    let event = HistoryEvent {
        at: now,
        actor: crate::staff::system_actor(),
        kind: EventKind::CustomerLookupLocked { business_date },
    };
    let mut order = order.clone();
    order.history.push(event.clone());
    order.updated_at = now;
    check_growth(&order, false).ok()?;
    Some(Applied {
        order,
        events: vec![event],
    })
}

/// Applies mutations in order, stopping at the first rejection. `order` may be `None` only if
/// the first mutation creates it.
pub fn apply_all(
    ctx: &Context,
    order: Option<Order>,
    mutations: &[Mutation],
) -> Result<Applied, DomainError> {
    let mut current = order;
    let mut events = Vec::new();
    for m in mutations {
        let applied = apply(ctx, current.as_ref(), m)?;
        events.extend(applied.events);
        current = Some(applied.order);
    }
    current
        .map(|order| Applied { order, events })
        .ok_or(DomainError::NotFound)
}

fn finish(ctx: &Rules, mut order: Order, kinds: Vec<EventKind>) -> Applied {
    let actor = ctx.actor.staff_ref();
    let events: Vec<HistoryEvent> = kinds
        .into_iter()
        .map(|kind| HistoryEvent {
            at: ctx.now,
            actor: actor.clone(),
            kind,
        })
        .collect();
    order.history.extend(events.iter().cloned());
    order.updated_at = ctx.now;
    Applied { order, events }
}

fn create(ctx: &Rules, mutation: &Mutation) -> Result<(Order, Vec<EventKind>), DomainError> {
    let Mutation::CreateOrder {
        order_id,
        number,
        customer,
        items,
        expected_delivery,
        owner,
        note,
        note_id,
    } = mutation
    else {
        unreachable!("create is only called with CreateOrder");
    };
    let actor = ctx.actor;
    permission::check(actor, None, ctx.pipeline, Action::CreateOrder)?;
    let Some(first) = ctx.pipeline.stages.first() else {
        return Err(DomainError::invalid(
            "pipeline",
            "流程没有任何阶段",
            "The pipeline has no stages",
        ));
    };
    let number = match number.as_deref().map(str::trim) {
        None | Some("") => OrderNumber::generate(business_date(ctx.now), *order_id),
        Some(n) => OrderNumber::parse(n)?,
    };
    let customer = customer.validated()?;
    let items = validate_items(items)?;
    if let Some(d) = expected_delivery {
        check_date_range("expected_delivery", *d, ctx.now)?;
    }
    let owner = match owner {
        Some(o) => o.validated()?,
        None => actor.staff_ref(),
    };
    let note = match note.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(multi_line(NOTE, text, NOTE_MAX)?),
    };
    let mut order = Order {
        id: *order_id,
        number,
        customer,
        items,
        expected_delivery: *expected_delivery,
        owner,
        process_version: ctx.version,
        stage: first.id.clone(),
        stages: vec![visit(first, ctx, None, None, fresh_checklist(first))],
        stage_plans: BTreeMap::new(),
        shipment: None,
        invoice: None,
        status: OrderStatus::Active,
        notes: Vec::new(),
        history: Vec::new(),
        feedback: None,
        after_sales: Vec::new(),
        attachments: Vec::new(),
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    let mut kinds = vec![EventKind::Created];
    if let Some(text) = note {
        // The creation note is the only note an order can have before it exists, so the
        // order's own id is a collision-free default for it.
        let id = note_id.unwrap_or(*order_id);
        order.notes.push(Note {
            id,
            text,
            author: actor.staff_ref(),
            at: ctx.now,
        });
        kinds.push(EventKind::NoteAdded { note_id: id });
    }
    Ok((order, kinds))
}

fn change(
    ctx: &Rules,
    order: &mut Order,
    mutation: &Mutation,
) -> Result<Vec<EventKind>, DomainError> {
    match mutation {
        Mutation::CreateOrder { .. } => Err(DomainError::OrderExists),
        Mutation::EditFields { changes, .. } => edit_fields(ctx, order, changes),
        Mutation::AdvanceStage {
            from, to, reason, ..
        } => advance(ctx, order, from, to, reason.as_deref()),
        Mutation::SetChecklistItem {
            stage, item, done, ..
        } => set_checklist_item(ctx, order, stage, item, *done),
        Mutation::AddNote { note_id, text, .. } => add_note(ctx, order, *note_id, text),
        Mutation::SetDueDate { stage, due, .. } => set_due_date(ctx, order, stage, *due),
        Mutation::Assign { owner, .. } => assign(ctx, order, owner),
        Mutation::SetStageResponsible {
            stage, responsible, ..
        } => set_stage_responsible(ctx, order, stage, responsible),
        Mutation::RecordShipment {
            carrier,
            tracking_no,
            ..
        } => record_shipment(ctx, order, carrier, tracking_no),
        Mutation::RecordInvoice { number, date, .. } => record_invoice(ctx, order, number, *date),
        Mutation::Complete { reason, .. } => complete(ctx, order, reason.as_deref()),
        Mutation::Cancel { reason, .. } => cancel(ctx, order, reason),
        Mutation::Reopen { .. } => reopen(ctx, order),
        Mutation::RateOrder { stars, comment, .. } => {
            feedback::rate(ctx.actor, ctx.pipeline, ctx.now, order, *stars, comment)
        }
        Mutation::RequestAfterSales {
            request_id,
            kind,
            description,
            contact,
            ..
        } => feedback::request_after_sales(
            ctx.actor,
            ctx.pipeline,
            ctx.now,
            order,
            *request_id,
            *kind,
            description,
            contact,
        ),
        Mutation::ResolveAfterSales {
            request_id, note, ..
        } => {
            permission::check(
                ctx.actor,
                Some(order),
                ctx.pipeline,
                Action::ResolveAfterSales,
            )?;
            feedback::resolve_after_sales(ctx.actor, ctx.now, order, *request_id, note)
        }
        Mutation::AskForHelp { need, .. } => ask_for_help(ctx, order, *need),
        Mutation::AddAttachment { attachment, .. } => add_attachment(ctx, order, attachment),
        Mutation::RemoveAttachment { attachment_id, .. } => {
            remove_attachment(ctx, order, *attachment_id)
        }
        Mutation::PurgeAttachment { attachment_id, .. } => {
            purge_attachment(ctx, order, *attachment_id)
        }
    }
}

fn add_attachment(
    ctx: &Rules,
    order: &mut Order,
    new: &NewAttachment,
) -> Result<Vec<EventKind>, DomainError> {
    permission::check(ctx.actor, Some(order), ctx.pipeline, Action::AddAttachment)?;
    let new = new.validated()?;
    if order.attachments.iter().any(|a| a.id == new.id) {
        return Err(DomainError::invalid(
            "attachment",
            "这个附件已经添加过了",
            "This attachment was already added",
        ));
    }
    refuse_borrowed_bytes(ctx.actor, order, &new)?;
    // Purged records hold no bytes and count for neither limit: purging frees a slot.
    let counted = || order.attachments.iter().filter(|a| !a.purged);
    if counted()
        .filter(|a| a.by.user_id == ctx.actor.user_id)
        .count()
        >= MAX_ATTACHMENTS_PER_PERSON
    {
        return Err(DomainError::invalid(
            "attachment",
            format!(
                "你在这张订单上已添加 {MAX_ATTACHMENTS_PER_PERSON} 个附件（已删除的也算在内），不能再添加；\
                 请同事添加，或请管理员彻底清除你删除过的附件"
            ),
            format!(
                "You already have {MAX_ATTACHMENTS_PER_PERSON} attachments on this order (removed ones count too). \
                 Ask a colleague to add it, or an admin to purge ones you removed"
            ),
        ));
    }
    if counted().count() >= MAX_ATTACHMENTS {
        return Err(DomainError::invalid(
            "attachment",
            // Removed ones count: their records stay in the order (and its history) for good.
            format!(
                "这张订单的附件已达上限（{MAX_ATTACHMENTS} 个，已删除的也算在内）；管理员彻底清除已删除的附件后可再添加"
            ),
            format!(
                "This order already has the maximum of {MAX_ATTACHMENTS} attachments (removed ones count too); \
                 an admin can purge removed ones to make room"
            ),
        ));
    }
    order.attachments.push(Attachment {
        id: new.id,
        kind: new.kind,
        file: new.file,
        thumbnail: new.thumbnail,
        stage: order.stage.clone(),
        by: ctx.actor.staff_ref(),
        at: ctx.now,
        removed: None,
        purged: false,
    });
    Ok(vec![EventKind::AttachmentAdded {
        attachment_id: new.id,
        kind: new.kind,
    }])
}

/// The server keeps one copy of a file per order and serves it to every attachment naming its
/// hash, so a new attachment may not name bytes another attachment holds: not a live one's file
/// (the same photo twice), not one attachment's thumbnail as another's file or the reverse, and
/// not someone else's thumbnail or removed file. Otherwise a hash, which every phone sees, would
/// be enough to show a hidden or internal file (to a customer, too) without holding it. The
/// person who added a file may put it back after removing it. Purged attachments hold nothing.
fn refuse_borrowed_bytes(
    actor: &Actor,
    order: &Order,
    new: &NewAttachment,
) -> Result<(), DomainError> {
    let roles = std::iter::once((&new.file, false)).chain(new.thumbnail.iter().map(|t| (t, true)));
    for (file, is_thumbnail) in roles {
        let Some(holder) = order
            .attachments
            .iter()
            .filter(|a| !a.purged && a.holds(&file.sha256))
            .find(|a| {
                let same_role = if is_thumbnail {
                    a.thumbnail
                        .as_ref()
                        .is_some_and(|t| t.sha256 == file.sha256)
                } else {
                    a.file.sha256 == file.sha256
                };
                let theirs = a.by.user_id != actor.user_id;
                match (same_role, is_thumbnail) {
                    // Two photos of one scene may downscale to the same thumbnail: fine from
                    // the person holding both.
                    (true, true) => theirs,
                    (true, false) => a.is_live() || theirs,
                    (false, _) => true,
                }
            })
        else {
            continue;
        };
        let (zh, en) = if holder.is_live() {
            (
                format!(
                    "同一个文件已经由 {} 作为{}上传过了",
                    holder.by.name,
                    holder.kind.label(Lang::Zh)
                ),
                format!(
                    "{} already added the same file as a {}",
                    holder.by.name,
                    holder.kind.label(Lang::En)
                ),
            )
        } else {
            (
                format!(
                    "这个文件是 {} 上传的{}，已被删除；只有 {} 本人可以重新添加",
                    holder.by.name,
                    holder.kind.label(Lang::Zh),
                    holder.by.name
                ),
                format!(
                    "This file is a removed {} that {} added; only {} may add it again",
                    holder.kind.label(Lang::En),
                    holder.by.name,
                    holder.by.name
                ),
            )
        };
        return Err(DomainError::invalid("attachment", zh, en));
    }
    Ok(())
}

fn attachment_mut(order: &mut Order, id: Uuid) -> Result<&mut Attachment, DomainError> {
    order
        .attachments
        .iter_mut()
        .find(|a| a.id == id)
        .ok_or_else(|| DomainError::invalid("attachment_id", "没有这个附件", "No such attachment"))
}

fn remove_attachment(
    ctx: &Rules,
    order: &mut Order,
    id: Uuid,
) -> Result<Vec<EventKind>, DomainError> {
    let own = order
        .attachments
        .iter()
        .any(|a| a.id == id && a.by.user_id == ctx.actor.user_id);
    permission::check(
        ctx.actor,
        Some(order),
        ctx.pipeline,
        Action::RemoveAttachment { own },
    )?;
    let by = ctx.actor.staff_ref();
    let attachment = attachment_mut(order, id)?;
    if attachment.removed.is_some() {
        return Err(DomainError::invalid(
            "attachment_id",
            "这个附件已经删除了",
            "This attachment was already removed",
        ));
    }
    attachment.removed = Some(Removal { by, at: ctx.now });
    Ok(vec![EventKind::AttachmentRemoved {
        attachment_id: id,
        kind: attachment.kind,
    }])
}

fn purge_attachment(
    ctx: &Rules,
    order: &mut Order,
    id: Uuid,
) -> Result<Vec<EventKind>, DomainError> {
    permission::check(
        ctx.actor,
        Some(order),
        ctx.pipeline,
        Action::PurgeAttachment,
    )?;
    let attachment = attachment_mut(order, id)?;
    if attachment.removed.is_none() {
        return Err(DomainError::invalid(
            "attachment_id",
            "请先删除附件，再彻底清除",
            "Remove the attachment before purging it",
        ));
    }
    if attachment.purged {
        return Err(DomainError::invalid(
            "attachment_id",
            "这个附件已经彻底清除了",
            "This attachment was already purged",
        ));
    }
    attachment.purged = true;
    Ok(vec![EventKind::AttachmentPurged {
        attachment_id: id,
        kind: attachment.kind,
    }])
}

/// How long after an ask for the same record a reminder may follow.
pub const HELP_REMINDER_MINUTES: i64 = 60;

fn ask_for_help(
    ctx: &Rules,
    order: &mut Order,
    need: ExitRequirement,
) -> Result<Vec<EventKind>, DomainError> {
    permission::check(ctx.actor, Some(order), ctx.pipeline, Action::AskForHelp)?;
    let stage = ctx.pipeline.stage(&order.stage);
    if !stage.is_some_and(|def| def.exit_requirements.contains(&need)) {
        return Err(DomainError::invalid(
            "need",
            "当前阶段不需要登记这一项",
            "The current stage does not need this record",
        ));
    }
    if order.has_recorded(need) {
        return Err(DomainError::invalid(
            "need",
            "这一项已经登记了",
            "This is already on record",
        ));
    }
    // Every ask reaches the team's chat robots: asking again is a reminder, not a flood.
    let last_ask = order.history.iter().rev().find(
        |event| matches!(&event.kind, EventKind::HelpAsked { need: asked, .. } if *asked == need),
    );
    if let Some(last) = last_ask {
        let waited = ctx.now.signed_duration_since(last.at);
        if waited < chrono::Duration::minutes(HELP_REMINDER_MINUTES) {
            let wait = (HELP_REMINDER_MINUTES - waited.num_minutes()).max(1);
            return Err(DomainError::invalid(
                "need",
                format!(
                    "{} 刚请求过这一项；{wait} 分钟后才能再次提醒",
                    last.actor.name
                ),
                format!(
                    "{} asked for this just now; a reminder is possible in {wait} min",
                    last.actor.name
                ),
            ));
        }
    }
    Ok(vec![EventKind::HelpAsked {
        need,
        stage: order.stage.clone(),
    }])
}

fn edit_fields(
    ctx: &Rules,
    order: &mut Order,
    changes: &FieldChanges,
) -> Result<Vec<EventKind>, DomainError> {
    permission::check(ctx.actor, Some(order), ctx.pipeline, Action::EditOrder)?;
    let mut fields = Vec::new();
    if let Some(number) = &changes.number {
        let number = OrderNumber::parse(number)?;
        if number != order.number {
            order.number = number;
            fields.push("number".to_string());
        }
    }
    if let Some(customer) = &changes.customer {
        let customer: Customer = customer.validated()?;
        if customer != order.customer {
            order.customer = customer;
            fields.push("customer".to_string());
        }
    }
    if let Some(items) = &changes.items {
        let items: Vec<LineItem> = validate_items(items)?;
        if items != order.items {
            order.items = items;
            fields.push("items".to_string());
        }
    }
    if let Some(expected) = changes.expected_delivery {
        if let Some(d) = expected {
            check_date_range("expected_delivery", d, ctx.now)?;
        }
        if expected != order.expected_delivery {
            order.expected_delivery = expected;
            fields.push("expected_delivery".to_string());
        }
    }
    if fields.is_empty() {
        return Err(DomainError::invalid(
            "changes",
            "没有任何修改",
            "Nothing changed",
        ));
    }
    Ok(vec![EventKind::FieldsEdited { fields }])
}

fn advance(
    ctx: &Rules,
    order: &mut Order,
    from: &StageId,
    to: &StageId,
    reason: Option<&str>,
) -> Result<Vec<EventKind>, DomainError> {
    let pipeline = ctx.pipeline;
    if *from != order.stage {
        return Err(stale_stage(ctx.pipeline, order));
    }
    let Some(to_idx) = pipeline.index_of(to) else {
        return Err(unknown_stage("to", to));
    };
    if to == from {
        return Err(DomainError::invalid(
            "to",
            "目标阶段与当前阶段相同",
            "The order is already at that stage",
        ));
    }
    let from_idx = pipeline.index_of(from);
    permission::check(ctx.actor, Some(order), pipeline, Action::MoveFrom(from))?;
    let reason = optional_line(REASON, reason, REASON_MAX)?;
    let incomplete = order.incomplete_items(pipeline);
    let (forward, skipped) = match from_idx {
        Some(f) if to_idx > f => (
            true,
            pipeline.stages[f + 1..to_idx]
                .iter()
                .map(|s| s.id.clone())
                .collect(),
        ),
        Some(_) => (false, Vec::new()),
        None => (true, Vec::new()),
    };
    if forward {
        let passed = pipeline
            .stage(from)
            .into_iter()
            .chain(skipped.iter().filter_map(|id| pipeline.stage(id)));
        // A stage that may not be skipped stops the jump before anything else: no record or
        // field makes jumping over it allowed.
        if let Some(def) = skipped
            .iter()
            .filter_map(|id| pipeline.stage(id))
            .find(|def| !def.skippable)
        {
            return Err(DomainError::StageNotSkippable {
                stage: def.name.clone(),
            });
        }
        for def in passed {
            check_exit_requirements(order, def)?;
            check_required_fields(order, def)?;
        }
        // Evidence first: for a required item that needs a photo, the photo is the next step.
        check_evidence(order, pipeline)?;
        check_required_items(order, pipeline)?;
    }
    let normal_step = from_idx.is_some_and(|f| to_idx == f + 1);
    if (!normal_step || !incomplete.is_empty()) && reason.is_none() {
        return Err(DomainError::ReasonRequired);
    }
    let to_def = &pipeline.stages[to_idx];
    leave_current(order, ctx.now);
    enter(order, to_def, ctx);
    Ok(vec![EventKind::StageAdvanced {
        from: from.clone(),
        to: to.clone(),
        reason,
        skipped,
        incomplete_items: incomplete,
    }])
}

fn complete(
    ctx: &Rules,
    order: &mut Order,
    reason: Option<&str>,
) -> Result<Vec<EventKind>, DomainError> {
    let last = match ctx.pipeline.stages.last() {
        Some(last) if last.id == order.stage => last,
        Some(last) => {
            return Err(DomainError::invalid(
                "stage",
                format!("只能在最后一个阶段（{}）完成订单", last.name.get(Lang::Zh)),
                format!(
                    "An order can only be completed from the last stage ({})",
                    last.name.get(Lang::En)
                ),
            ))
        }
        None => return Err(unknown_stage("stage", &order.stage)),
    };
    permission::check(
        ctx.actor,
        Some(order),
        ctx.pipeline,
        Action::MoveFrom(&last.id),
    )?;
    let reason = optional_line(REASON, reason, REASON_MAX)?;
    check_exit_requirements(order, last)?;
    check_required_fields(order, last)?;
    check_evidence(order, ctx.pipeline)?;
    check_required_items(order, ctx.pipeline)?;
    if !order.incomplete_items(ctx.pipeline).is_empty() && reason.is_none() {
        return Err(DomainError::ReasonRequired);
    }
    leave_current(order, ctx.now);
    order.status = OrderStatus::Completed;
    Ok(vec![EventKind::Completed { reason }])
}

fn check_required_items(order: &Order, pipeline: &Pipeline) -> Result<(), DomainError> {
    match order.unticked_required_items(pipeline).first() {
        Some(item) => Err(DomainError::RequiredItemUnticked {
            item: item.label.clone(),
        }),
        None => Ok(()),
    }
}

/// Leaving a stage forward: every item that claims evidence (ticked, or required) must still
/// have it; a photo removed after the tick takes the claim's ground away.
fn check_evidence(order: &Order, pipeline: &Pipeline) -> Result<(), DomainError> {
    match order.items_missing_evidence(pipeline).first() {
        Some(item) => Err(missing_evidence(item)),
        None => Ok(()),
    }
}

fn missing_evidence(item: &ChecklistItemDef) -> DomainError {
    DomainError::MissingEvidence {
        item: item.label.clone(),
        kind: item
            .evidence
            .expect("only items that need evidence can miss it"),
    }
}

fn set_checklist_item(
    ctx: &Rules,
    order: &mut Order,
    stage: &StageId,
    item: &str,
    done: bool,
) -> Result<Vec<EventKind>, DomainError> {
    if *stage != order.stage {
        return Err(stale_stage(ctx.pipeline, order));
    }
    let Some(def) = ctx.pipeline.stage(stage) else {
        return Err(unknown_stage("stage", stage));
    };
    permission::check(
        ctx.actor,
        Some(order),
        ctx.pipeline,
        Action::WorkOnStage(stage),
    )?;
    let Some(item_def) = def.item(item) else {
        return Err(DomainError::invalid(
            "item",
            format!("“{}”阶段没有这个清单项", def.name.zh),
            format!("Stage {} has no such checklist item", def.name.en),
        ));
    };
    // A tick is a claim; an item that needs evidence is ticked only once the evidence is on
    // the order. Unticking never needs any.
    if done && !order.has_evidence_for(item_def) {
        return Err(missing_evidence(item_def));
    }
    current_visit(order)
        .checklist
        .insert(item.to_string(), done);
    Ok(vec![EventKind::ChecklistItemSet {
        stage: stage.clone(),
        item: item.to_string(),
        done,
    }])
}

fn add_note(
    ctx: &Rules,
    order: &mut Order,
    note_id: Uuid,
    text: &str,
) -> Result<Vec<EventKind>, DomainError> {
    permission::check(ctx.actor, Some(order), ctx.pipeline, Action::AddNote)?;
    let text = multi_line(NOTE, text, NOTE_MAX)?;
    if order.notes.iter().any(|n| n.id == note_id) {
        return Err(DomainError::invalid(
            "note_id",
            "这条备注已经存在",
            "This note already exists",
        ));
    }
    order.notes.push(Note {
        id: note_id,
        text,
        author: ctx.actor.staff_ref(),
        at: ctx.now,
    });
    Ok(vec![EventKind::NoteAdded { note_id }])
}

fn set_due_date(
    ctx: &Rules,
    order: &mut Order,
    stage: &StageId,
    due: Option<NaiveDate>,
) -> Result<Vec<EventKind>, DomainError> {
    let def = current_or_later_stage(ctx.pipeline, order, stage)?;
    permission::check(
        ctx.actor,
        Some(order),
        ctx.pipeline,
        Action::SetDueDate(&def.id),
    )?;
    if let Some(d) = due {
        let entered = business_date(order.current_progress().entered_at);
        if d < entered {
            return Err(DomainError::invalid(
                "due",
                format!("截止日期不能早于进入当前阶段的日期（{entered}）"),
                format!("The due date cannot be before the current stage was entered ({entered})"),
            ));
        }
        check_date_range("due", d, ctx.now)?;
    }
    if *stage == order.stage {
        current_visit(order).due_date = due;
    } else {
        update_plan(order, stage, |plan| plan.due_date = due);
    }
    Ok(vec![EventKind::DueDateSet {
        stage: stage.clone(),
        due,
    }])
}

fn assign(ctx: &Rules, order: &mut Order, owner: &StaffRef) -> Result<Vec<EventKind>, DomainError> {
    permission::check(ctx.actor, Some(order), ctx.pipeline, Action::ManageOrder)?;
    let owner = owner.validated()?;
    if owner.user_id == order.owner.user_id {
        return Err(DomainError::invalid(
            "owner",
            "负责人没有变化",
            "The order already has this owner",
        ));
    }
    order.owner = owner.clone();
    Ok(vec![EventKind::Assigned { owner }])
}

fn set_stage_responsible(
    ctx: &Rules,
    order: &mut Order,
    stage: &StageId,
    responsible: &StaffRef,
) -> Result<Vec<EventKind>, DomainError> {
    let def = current_or_later_stage(ctx.pipeline, order, stage)?;
    permission::check(
        ctx.actor,
        Some(order),
        ctx.pipeline,
        Action::WorkOnStage(&def.id),
    )?;
    let responsible = responsible.validated()?;
    if *stage == order.stage {
        current_visit(order).responsible = Some(responsible.clone());
    } else {
        let planned = responsible.clone();
        update_plan(order, stage, |plan| plan.responsible = Some(planned));
    }
    Ok(vec![EventKind::StageResponsibleSet {
        stage: stage.clone(),
        responsible,
    }])
}

fn record_shipment(
    ctx: &Rules,
    order: &mut Order,
    carrier: &str,
    tracking_no: &str,
) -> Result<Vec<EventKind>, DomainError> {
    permission::check(ctx.actor, Some(order), ctx.pipeline, Action::RecordShipment)?;
    if !order.shipping_open(ctx.pipeline) {
        let gate = ctx.pipeline.index_of(&StageId::new(ids::ORDER_ENTRY));
        if let Some(gate) = gate {
            let name = &ctx.pipeline.stages[gate].name;
            return Err(DomainError::invalid(
                "shipment",
                format!("订单进入“{}”阶段后才能登记发货", name.zh),
                format!(
                    "A shipment can be recorded once the order reaches {}",
                    name.en
                ),
            ));
        }
    }
    let carrier = single_line(CARRIER, carrier, SHORT_MAX)?;
    let tracking_no = single_line(TRACKING, tracking_no, SHORT_MAX)?;
    // A second recording is a correction of the same parcel: keep when it actually left.
    let shipped_at = order.shipment.as_ref().map_or(ctx.now, |s| s.shipped_at);
    order.shipment = Some(Shipment {
        carrier: carrier.clone(),
        tracking_no: tracking_no.clone(),
        shipped_at,
    });
    Ok(vec![EventKind::ShipmentRecorded {
        carrier,
        tracking_no,
    }])
}

fn record_invoice(
    ctx: &Rules,
    order: &mut Order,
    number: &str,
    date: NaiveDate,
) -> Result<Vec<EventKind>, DomainError> {
    permission::check(ctx.actor, Some(order), ctx.pipeline, Action::RecordInvoice)?;
    let number = single_line(INVOICE_NUMBER, number, SHORT_MAX)?;
    check_date_range("date", date, ctx.now)?;
    order.invoice = Some(Invoice {
        number: number.clone(),
        date,
    });
    Ok(vec![EventKind::InvoiceRecorded { number, date }])
}

fn cancel(ctx: &Rules, order: &mut Order, reason: &str) -> Result<Vec<EventKind>, DomainError> {
    permission::check(ctx.actor, Some(order), ctx.pipeline, Action::ManageOrder)?;
    let reason = single_line(REASON, reason, REASON_MAX)?;
    leave_current(order, ctx.now);
    order.status = OrderStatus::Cancelled {
        reason: reason.clone(),
    };
    Ok(vec![EventKind::Cancelled { reason }])
}

fn reopen(ctx: &Rules, order: &mut Order) -> Result<Vec<EventKind>, DomainError> {
    if order.is_active() {
        return Err(DomainError::invalid(
            "status",
            "订单未关闭，无需重新打开",
            "The order is not closed",
        ));
    }
    permission::check(ctx.actor, Some(order), ctx.pipeline, Action::ManageOrder)?;
    let previous = order.current_progress().clone();
    order.status = OrderStatus::Active;
    order.stages.push(StageProgress {
        entered_at: ctx.now,
        entered_by: ctx.actor.staff_ref(),
        due_date: None,
        left_at: None,
        ..previous
    });
    Ok(vec![EventKind::Reopened])
}

// ---- helpers -------------------------------------------------------------------------------

/// "Someone already moved this order", naming where it is now in the order's own pipeline.
fn stale_stage(pipeline: &Pipeline, order: &Order) -> DomainError {
    DomainError::StaleStage {
        current: order.stage.clone(),
        current_name: pipeline.stage(&order.stage).map(|stage| stage.name.clone()),
    }
}

fn unknown_stage(field: &str, id: &StageId) -> DomainError {
    DomainError::invalid(
        field,
        format!("流程中没有阶段“{id}”"),
        format!("The pipeline has no stage '{id}'"),
    )
}

/// Plans only make sense for what is still ahead; the past is recorded, not rescheduled.
fn current_or_later_stage<'p>(
    pipeline: &'p Pipeline,
    order: &Order,
    stage: &StageId,
) -> Result<&'p StageDef, DomainError> {
    let Some(idx) = pipeline.index_of(stage) else {
        return Err(unknown_stage("stage", stage));
    };
    if pipeline.index_of(&order.stage).is_some_and(|cur| idx < cur) {
        return Err(DomainError::invalid(
            "stage",
            "只能安排当前或之后的阶段",
            "Only the current or a later stage can be planned",
        ));
    }
    Ok(&pipeline.stages[idx])
}

fn check_exit_requirements(order: &Order, def: &StageDef) -> Result<(), DomainError> {
    for requirement in &def.exit_requirements {
        if !order.has_recorded(*requirement) {
            return Err(DomainError::MissingRequirement {
                requirement: *requirement,
            });
        }
    }
    Ok(())
}

fn check_required_fields(order: &Order, def: &StageDef) -> Result<(), DomainError> {
    let fields = order.missing_fields(def);
    if fields.is_empty() {
        return Ok(());
    }
    Err(DomainError::MissingOrderFields {
        stage: def.name.clone(),
        fields,
    })
}

fn check_date_range(field: &str, date: NaiveDate, now: DateTime<Utc>) -> Result<(), DomainError> {
    let today = business_date(now);
    if date < add_days(today, -DATE_RANGE_DAYS) || date > add_days(today, DATE_RANGE_DAYS) {
        return Err(DomainError::invalid(
            field,
            "日期超出合理范围（前后十年内）",
            "The date must be within ten years of today",
        ));
    }
    Ok(())
}

fn current_visit(order: &mut Order) -> &mut StageProgress {
    order
        .stages
        .last_mut()
        .expect("an order always has the progress of its current stage")
}

fn leave_current(order: &mut Order, now: DateTime<Utc>) {
    if let Some(visit) = order.stages.last_mut() {
        visit.left_at = Some(now);
    }
}

fn enter(order: &mut Order, def: &StageDef, ctx: &Rules) {
    let plan = order.stage_plans.remove(&def.id);
    let (due, responsible) = plan.map_or((None, None), |p| (p.due_date, p.responsible));
    order.stage = def.id.clone();
    order
        .stages
        .push(visit(def, ctx, due, responsible, fresh_checklist(def)));
}

fn visit(
    def: &StageDef,
    ctx: &Rules,
    due_date: Option<NaiveDate>,
    responsible: Option<StaffRef>,
    checklist: BTreeMap<String, bool>,
) -> StageProgress {
    StageProgress {
        stage: def.id.clone(),
        entered_at: ctx.now,
        entered_by: ctx.actor.staff_ref(),
        due_date,
        checklist,
        responsible,
        left_at: None,
    }
}

fn fresh_checklist(def: &StageDef) -> BTreeMap<String, bool> {
    crate::sorting::collect_map(def.checklist.iter().map(|i| (i.id.clone(), false)))
}

fn update_plan(order: &mut Order, stage: &StageId, f: impl FnOnce(&mut crate::order::StagePlan)) {
    let plan = order.stage_plans.entry(stage.clone()).or_default();
    f(plan);
    if plan.is_empty() {
        order.stage_plans.remove(stage);
    }
}
