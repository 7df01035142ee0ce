//! Who may do what. `apply` asks this module before it changes anything, and the app asks it
//! to decide which buttons to show and what to say instead: one answer for both, with the same
//! message (a refused action is explained, not just hidden).
//!
//! Admins may always act. The rules themselves are listed at the top of `apply.rs`.

use crate::error::DomainError;
use crate::i18n::Lang;
use crate::order::{Actor, Order};
use crate::pipeline::{ExitRequirement, Pipeline, StageDef, StageId};
use crate::role::Role;

/// An action on an order, as far as permissions care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    CreateOrder,
    /// Change the order's fields (customer, items, number, delivery date).
    EditOrder,
    /// Advance, move back or complete out of this stage (the order's current one).
    MoveFrom(&'a StageId),
    /// Tick the checklist of, or name the person responsible for, this stage.
    WorkOnStage(&'a StageId),
    SetDueDate(&'a StageId),
    RecordShipment,
    RecordInvoice,
    /// Cancel, reopen or reassign the order.
    ManageOrder,
    AddNote,
    /// Close a customer's after-sales request.
    ResolveAfterSales,
    /// Ask the department that records one of the current stage's exit requirements to do it.
    AskForHelp,
    /// Add a photo or file.
    AddAttachment,
    /// Remove a photo or file; `own`: the actor added it.
    RemoveAttachment {
        own: bool,
    },
    /// Delete a removed attachment's bytes for good.
    PurgeAttachment,
}

/// Who may record an exit requirement (besides admins): the department whose work it is first,
/// then sales, since small teams ship and invoice from the sales desk. `check` uses the same list.
pub fn recorders(requirement: ExitRequirement) -> &'static [Role] {
    match requirement {
        ExitRequirement::Shipment => &[Role::Warehouse, Role::Sales],
        ExitRequirement::Invoice => &[Role::Finance, Role::Sales],
    }
}

/// `Ok` if `actor` may take `action` on `order` (`None` only for `CreateOrder`), else the
/// `Forbidden` error saying who may.
pub fn check(
    actor: &Actor,
    order: Option<&Order>,
    pipeline: &Pipeline,
    action: Action<'_>,
) -> Result<(), DomainError> {
    // The customer's actor does nothing the team does (ratings are checked in `feedback.rs`).
    if actor.is_customer() {
        return permit(
            false,
            "客户只能评价订单或申请售后",
            "A customer can only rate the order or request after-sales service",
        );
    }
    if actor.is_admin() {
        return Ok(());
    }
    let owner = order.is_some_and(|o| o.owner.user_id == actor.user_id);
    let any = |roles: &[Role]| actor.has_any_role(roles);
    match action {
        Action::CreateOrder => permit(
            any(&[Role::Sales, Role::Service]),
            "只有销售、客服或管理员可以创建订单",
            "Only sales, customer service or an admin can create orders",
        ),
        Action::EditOrder => permit(
            owner || any(&[Role::Sales, Role::Service]),
            "只有订单负责人、销售、客服或管理员可以修改订单",
            "Only the order owner, sales, customer service or an admin can edit the order",
        ),
        Action::MoveFrom(stage) => match pipeline.stage(stage) {
            Some(def) => permit_stage(actor, def),
            // An admin removed the stage from the pipeline: the owner may still move the order
            // on, so it is not stuck forever.
            None => permit(
                owner,
                "当前阶段已从流程中移除，只有订单负责人或管理员可以移动订单",
                "The current stage was removed from the pipeline; only the owner or an admin can move the order",
            ),
        },
        Action::WorkOnStage(stage) => match pipeline.stage(stage) {
            Some(def) => permit_stage(actor, def),
            None => permit(false, "流程中没有这个阶段", "The pipeline has no such stage"),
        },
        Action::SetDueDate(stage) => permit(
            owner
                || actor.has_role(Role::Sales)
                || pipeline
                    .stage(stage)
                    .is_some_and(|def| def.is_responsible(&actor.roles)),
            "只有订单负责人、销售、该阶段负责部门或管理员可以设置截止日期",
            "Only the owner, sales, the stage's department or an admin can set its due date",
        ),
        Action::RecordShipment => permit(
            any(recorders(ExitRequirement::Shipment)),
            "只有仓储、销售或管理员可以登记发货",
            "Only warehouse, sales or an admin can record shipments",
        ),
        Action::RecordInvoice => permit(
            any(recorders(ExitRequirement::Invoice)),
            "只有财务、销售或管理员可以登记发票",
            "Only finance, sales or an admin can record invoices",
        ),
        Action::ManageOrder => permit(
            owner || actor.has_role(Role::Sales),
            "只有订单负责人、销售或管理员可以取消、重新打开或转交订单",
            "Only the order owner, sales or an admin can cancel, reopen or reassign the order",
        ),
        Action::AddNote => Ok(()),
        // Whoever is waiting on the record: the owner, sales, or the stage's own departments.
        Action::AskForHelp => permit(
            owner
                || actor.has_role(Role::Sales)
                || order
                    .and_then(|o| pipeline.stage(&o.stage))
                    .is_some_and(|def| def.is_responsible(&actor.roles)),
            "只有订单负责人、销售、当前阶段负责部门或管理员可以请人处理",
            "Only the owner, sales, the current stage's department or an admin can ask for this",
        ),
        Action::ResolveAfterSales => permit(
            owner || any(&[Role::Sales, Role::Service]),
            "只有订单负责人、销售、客服或管理员可以处理售后申请",
            "Only the order owner, sales, customer service or an admin can resolve after-sales requests",
        ),
        // Evidence comes from whoever holds it: the warehouse's 签收单, finance's 发票.
        Action::AddAttachment => Ok(()),
        Action::RemoveAttachment { own } => permit(
            own || owner || actor.has_role(Role::Sales),
            "只有上传者、订单负责人、销售或管理员可以删除附件",
            "Only whoever added it, the order owner, sales or an admin can remove an attachment",
        ),
        Action::PurgeAttachment => permit(
            false,
            "只有管理员可以彻底清除附件",
            "Only an admin can purge an attachment for good",
        ),
    }
}

/// Shorthand for the UI: may `actor` take `action`?
pub fn allowed(
    actor: &Actor,
    order: Option<&Order>,
    pipeline: &Pipeline,
    action: Action<'_>,
) -> bool {
    check(actor, order, pipeline, action).is_ok()
}

fn permit(allowed: bool, zh: &str, en: &str) -> Result<(), DomainError> {
    if allowed {
        Ok(())
    } else {
        Err(DomainError::forbidden(zh, en))
    }
}

fn permit_stage(actor: &Actor, def: &StageDef) -> Result<(), DomainError> {
    let roles =
        |lang: Lang| -> Vec<&str> { def.responsible.iter().map(|r| r.label(lang)).collect() };
    permit(
        def.is_responsible(&actor.roles),
        &format!(
            "只有{}或管理员可以处理“{}”阶段",
            roles(Lang::Zh).join("、"),
            def.name.zh
        ),
        &format!(
            "Only {} or an admin can act on stage {}",
            roles(Lang::En).join(", "),
            def.name.en
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::demo_orders;
    use crate::pipeline::ids;

    fn actor(id: &str, roles: &[Role]) -> Actor {
        Actor::new(id, id, roles.to_vec())
    }

    #[test]
    fn a_stage_is_moved_on_only_by_its_departments_or_an_admin() {
        let pipeline = Pipeline::standard();
        let order = &demo_orders(&pipeline, "2026-11-20T02:00:00Z".parse().unwrap())[0];
        let contract = StageId::new(ids::CONTRACT);
        let legal = actor("legal", &[Role::Legal]);
        let warehouse = actor("wh", &[Role::Warehouse]);
        let admin = actor("boss", &[Role::Admin]);
        assert!(allowed(
            &legal,
            Some(order),
            &pipeline,
            Action::MoveFrom(&contract)
        ));
        assert!(allowed(
            &admin,
            Some(order),
            &pipeline,
            Action::MoveFrom(&contract)
        ));
        let refused = check(
            &warehouse,
            Some(order),
            &pipeline,
            Action::MoveFrom(&contract),
        )
        .unwrap_err();
        assert_eq!(refused.code(), "forbidden");
        assert!(
            refused.message(Lang::Zh).contains("法务"),
            "{}",
            refused.message(Lang::Zh)
        );
    }

    #[test]
    fn the_owner_manages_their_order_whatever_their_roles() {
        let pipeline = Pipeline::standard();
        let order = &demo_orders(&pipeline, "2026-11-20T02:00:00Z".parse().unwrap())[0];
        let owner = actor(&order.owner.user_id, &[Role::Service]);
        let stranger = actor("someone-else", &[Role::Service]);
        assert!(allowed(&owner, Some(order), &pipeline, Action::ManageOrder));
        assert!(!allowed(
            &stranger,
            Some(order),
            &pipeline,
            Action::ManageOrder
        ));
        assert!(allowed(&stranger, Some(order), &pipeline, Action::AddNote));
        assert!(!allowed(
            &actor("fin", &[Role::Finance]),
            None,
            &pipeline,
            Action::CreateOrder
        ));
    }

    #[test]
    fn a_manager_watches_everything_and_changes_only_what_a_stage_gives_them() {
        let pipeline = Pipeline::standard();
        let order = &demo_orders(&pipeline, "2026-11-20T02:00:00Z".parse().unwrap())[0];
        let manager = actor("boss", &[Role::Manager]);
        assert!(manager.sees_whole_team());
        assert!(!actor("s", &[Role::Sales]).sees_whole_team());
        let stage = order.stage.clone();
        for action in [
            Action::CreateOrder,
            Action::EditOrder,
            Action::MoveFrom(&stage),
            Action::WorkOnStage(&stage),
            Action::RecordShipment,
            Action::RecordInvoice,
            Action::ManageOrder,
        ] {
            assert!(
                !allowed(&manager, Some(order), &pipeline, action),
                "a manager may not {action:?}"
            );
        }
        assert!(allowed(&manager, Some(order), &pipeline, Action::AddNote));
        // A company that makes its managers approve contracts says so on the stage.
        let mut approving = pipeline.clone();
        let contract = StageId::new(ids::CONTRACT);
        let index = approving.index_of(&contract).unwrap();
        approving.stages[index].responsible.push(Role::Manager);
        let at_contract = Order {
            stage: contract.clone(),
            ..order.clone()
        };
        assert!(allowed(
            &manager,
            Some(&at_contract),
            &approving,
            Action::MoveFrom(&contract)
        ));
    }
}
