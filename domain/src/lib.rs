//! The 跟单 (sales order follow-up) domain: the order model, the pipeline as data, semantic
//! mutations and the one rulebook (`apply`) that both the app and the worker run.
//!
//! Pure on purpose: no clock, no randomness, no I/O, so it compiles to WASM and native alike
//! and every decision can be replayed. Time and ids always come in as arguments.

pub mod analytics;
pub mod apply;
pub mod attachment;
pub mod attachment_kind;
pub mod board;
pub mod calendar;
pub mod carrier;
pub mod customer_view;
pub mod demo;
pub mod error;
pub mod feedback;
mod feedback_rules;
pub mod history;
pub mod holidays;
pub mod i18n;
pub mod money;
pub mod mutation;
pub mod number_key;
pub mod order;
pub mod permission;
pub mod pipeline;
pub mod process_editor;
pub mod process_version;
pub mod quantity;
pub mod role;
pub mod sheet;
pub mod sorting;
pub mod staff;
pub mod staff_refs;
pub mod stage;
pub mod sync;
pub mod text;
pub mod wire;

pub use apply::{apply, apply_all, record_lookup_lock, Applied, Context};
pub use attachment::{
    check_file, Attachment, AttachmentKind, FileProblem, FileRef, FileType, NewAttachment,
    MAX_FILE_BYTES,
};
pub use board::{
    columns, company_key, customer_named, customers, today, BoardFilter, Card, CardStatus, Columns,
    CustomerSummary, Today,
};
pub use calendar::{business_date, business_offset, BUSINESS_UTC_OFFSET_HOURS};
pub use customer_view::{
    customer_view, CustomerAfterSales, CustomerAttachment, CustomerFeedback, CustomerShipment,
    CustomerStage, CustomerStageState, CustomerStatus, CustomerView, SalesContact,
};
pub use demo::{demo_orders, demo_staff};
pub use error::DomainError;
pub use feedback::{
    AfterSalesKind, AfterSalesRequest, Feedback, Resolution, CUSTOMER_ACTOR_ID, FEEDBACK_EDIT_DAYS,
};
pub use feedback_rules::MAX_RATING_EDITS;
pub use history::{field_label, stars_text, EventKind, HistoryEvent};
pub use holidays::{DayKind, HolidayCalendar, HolidayYear, HolidayYearEntry, WorkCalendar};
pub use i18n::{Lang, Localized};
pub use money::Money;
pub use mutation::{FieldChanges, Mutation};
pub use number_key::{number_key, renumber_candidate, renumber_stems};
pub use order::{
    validate_items, Actor, Customer, DeadlineState, Invoice, LineItem, Note, Order, OrderNumber,
    OrderStatus, Shipment, StaffRef, StagePlan, StageProgress, MAX_LINE_ITEMS,
};
pub use permission::Action;
pub use pipeline::{
    ids as stage_ids, ChecklistItemDef, ExitRequirement, OrderField, Pipeline, StageDef, StageId,
};
pub use process_version::{
    plan_migration, DraftEdit, ImpactRow, MigrationPlan, ProcessDraft, ProcessVersion, Processes,
    PublishRefusal, StageInput, FIRST_VERSION,
};
pub use quantity::Quantity;
pub use role::Role;
pub use staff::system_actor;
pub use sync::{
    bounded_content, explain, make_number_unique, process, process_with_numbers, rebase, Decision,
    PendingMutation, PullRequest, PullResponse, PushRequest, PushResponse, Rebased, Rejection,
    DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT, MAX_PULL_REJECTIONS, MAX_PUSH_MUTATIONS,
    MAX_REJECTED_CONTENT_BYTES,
};
