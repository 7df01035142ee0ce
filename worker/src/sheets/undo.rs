//! `POST /api/admin/import/{batch_id}/undo`: an admin, or the manager who imported it, takes a
//! committed import back. Each order
//! it created is cancelled and each order it updated gets back its fields and owner, as
//! mutations through `apply` (`domain::sheet::undo_mutations`), written in ONE batch with the
//! batch marked undone. Only for orders nobody changed since (their version is still the one the
//! import wrote): otherwise nothing is undone and the answer names the orders that changed.
//! A second undo of the same batch is refused.

use domain::sheet::{importer, undo_mutations, undoer};
use domain::wire::ImportUndone;
use domain::{apply_all, Context};
use worker::{Request, Response, RouteContext};

use crate::auth::require_user;
use crate::error::ApiError;
use crate::http::{json_response, server_now};
use crate::repository::{retry::retrying, Repository, UndoWrite, UndoneOrder};

/// A guard that failed means someone wrote meanwhile: read again and decide again, once.
const ATTEMPTS: usize = 2;

pub async fn undo(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let user = require_user(&req, &ctx).await?;
    // Who imported the batch decides whether a manager may take it back: read it first.
    importer(&user.actor())?;
    let batch_id = ctx
        .param("batch_id")
        .cloned()
        .ok_or(ApiError::ImportBatchNotFound)?;
    let repo = Repository::new(ctx.d1("DB")?);
    for _ in 0..ATTEMPTS {
        let batch = retrying(|| repo.import_batch(&batch_id))
            .await?
            .ok_or(ApiError::ImportBatchNotFound)?;
        let actor = undoer(&user.actor(), &batch.imported_by)?;
        if batch.undone_at.is_some() {
            return Err(ApiError::ImportAlreadyUndone);
        }
        let changed: Vec<String> = batch
            .orders
            .iter()
            .filter(|o| o.current_version != Some(o.after_version))
            .map(|o| o.number.clone())
            .collect();
        if !changed.is_empty() {
            return Err(ApiError::ImportUndoBlocked { numbers: changed });
        }
        let processes = retrying(|| repo.processes()).await?;
        let now = server_now();
        let context = Context {
            processes: &processes,
            actor: &actor,
            now,
        };
        let mut answer = ImportUndone {
            batch_id: batch_id.clone(),
            cancelled: 0,
            restored: 0,
        };
        let mut orders = Vec::new();
        for stored in batch.orders {
            let Some(current) = stored.current else {
                continue;
            };
            let mutations = undo_mutations(stored.before.as_ref(), &current);
            if mutations.is_empty() {
                continue;
            }
            let known = current.history.len();
            let undone = apply_all(&context, Some(current), &mutations)?.order;
            if stored.before.is_some() {
                answer.restored += 1;
            } else {
                answer.cancelled += 1;
            }
            orders.push(UndoneOrder {
                events: undone.history[known..].to_vec(),
                based_on: stored.after_version,
                order: undone,
            });
        }
        let written = repo
            .commit_undo(&UndoWrite {
                batch_id: &batch_id,
                actor_id: &user.id,
                at: now,
                orders: &orders,
            })
            .await?;
        if written {
            return Ok(json_response(&answer, 200));
        }
    }
    Err(ApiError::ImportConflict)
}
