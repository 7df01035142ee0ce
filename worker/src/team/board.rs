//! `GET /api/board/summary`: how many active orders sit in each pipeline stage.
//!
//! The board itself is built on the device from IndexedDB; this summary is what the shell shows
//! before the device has synced anything, and what a manager's overview is built from.
//! Signed-in team members only.

use domain::wire::{BoardSummary, StageSummary};
use worker::{Request, Response, RouteContext};

use crate::{auth, error::ApiError, http::ok_json, repository::Repository};

pub async fn summary(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    // Team data: how busy each department is is nothing a customer should read.
    auth::require_user(&req, &ctx).await?;
    let repository = Repository::new(ctx.d1("DB")?);
    let counts = repository.active_orders_per_stage().await?;
    let processes = repository.processes().await?;
    let current_stages = processes.current_pipeline().stages.len();
    // Report every stage of the current process, in order, including empty ones, so clients
    // never have to guess whether a missing stage means zero; then the stages only older
    // versions have, while orders still sit in them.
    let stages: Vec<StageSummary> = processes
        .board_pipeline()
        .stages
        .iter()
        .enumerate()
        .map(|(index, stage)| {
            let active_orders = counts
                .iter()
                .find(|count| count.stage == stage.id.0)
                .map_or(0, |count| count.active_orders);
            (
                index,
                StageSummary {
                    stage: stage.id.0.clone(),
                    active_orders,
                },
            )
        })
        .filter(|(index, summary)| *index < current_stages || summary.active_orders > 0)
        .map(|(_, summary)| summary)
        .collect();
    let total_active = stages.iter().map(|stage| stage.active_orders).sum();
    ok_json(&BoardSummary {
        stages,
        total_active,
    })
}
