//! Undoing an import: what each order it wrote gets, as mutations through `apply` like any other
//! change (so the history says who undid what). An order the import created is cancelled — its
//! number and history stay, as for every cancelled order — and an order it updated gets back
//! the fields and the owner it had before. Only for orders nobody changed since: the worker
//! refuses the undo, naming them, otherwise.

use crate::error::DomainError;
use crate::mutation::{FieldChanges, Mutation};
use crate::order::{Actor, Order};

use super::importer;

/// The reason on an order an undone import had created.
pub const UNDO_REASON: &str = "撤销 Excel 导入";

/// Who may undo a batch `imported_by` (a user id) imported, and with what authority: an admin
/// any batch, a manager their own (a manager answers for their own imports, not for an
/// admin's), with the authority the import had.
pub fn undoer(actor: &Actor, imported_by: &str) -> Result<Actor, DomainError> {
    let acting = importer(actor)?;
    if actor.is_admin() || actor.user_id == imported_by {
        Ok(acting)
    } else {
        Err(DomainError::forbidden(
            "经理只能撤销自己导入的批次",
            "A manager can only undo their own imports",
        ))
    }
}

/// The mutations that take `current` (as the import left it) back to `before` (`None`: the
/// import created it). Empty when there is nothing to take back.
pub fn undo_mutations(before: Option<&Order>, current: &Order) -> Vec<Mutation> {
    let Some(before) = before else {
        return vec![Mutation::Cancel {
            order_id: current.id,
            reason: UNDO_REASON.into(),
        }];
    };
    let mut changes = FieldChanges::default();
    if before.customer != current.customer {
        changes.customer = Some(before.customer.clone());
    }
    if before.items != current.items {
        changes.items = Some(before.items.clone());
    }
    if before.expected_delivery != current.expected_delivery {
        changes.expected_delivery = Some(before.expected_delivery);
    }
    let mut mutations = Vec::new();
    if !changes.is_empty() {
        mutations.push(Mutation::EditFields {
            order_id: current.id,
            changes,
        });
    }
    if before.owner.user_id != current.owner.user_id {
        mutations.push(Mutation::Assign {
            order_id: current.id,
            owner: before.owner.clone(),
        });
    }
    mutations
}
