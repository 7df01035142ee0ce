//! The company's follow-up process, admins only (`/api/admin/process*`): the versions and the
//! draft, publishing (a stale base is a 409 naming who published what), restoring an old
//! version (publishing a copy), and moving in-flight orders onto the current version with a
//! total mapping, previewed first. Every phone receives new versions with its pulls
//! (`sync::pull`); the rules themselves are `domain::process_version`.

pub mod holidays;

use std::collections::BTreeSet;

use domain::{
    plan_migration,
    process_version::{draft_from_input, no_such_version},
    wire::{
        ProcessDraftInput, ProcessImpact, ProcessMapping, ProcessMigrated, ProcessOverview,
        ProcessPublished, ProcessRestore,
    },
    MigrationPlan, Order, ProcessDraft, Processes, PublishRefusal, Role, StaffRef,
};
use worker::{Request, Response, RouteContext};

use crate::{
    auth::{self, AuthUser},
    error::ApiError,
    http::{json_response, ok_json, read_json, server_now},
    repository::{retry::retrying, CommitError, Repository},
};

/// Orders one migrate request moves (each is its own guarded write): bounded, so a request
/// stays well inside the worker's limits; the answer says how many remain.
const MIGRATE_PER_REQUEST: usize = 50;

async fn admin(req: &Request, ctx: &RouteContext<()>) -> Result<(AuthUser, Repository), ApiError> {
    let user = auth::require_user(req, ctx).await?;
    auth::require_role(&user, &[Role::Admin])?;
    Ok((user, Repository::new(ctx.d1("DB")?)))
}

pub async fn overview(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let (_, repository) = admin(&req, &ctx).await?;
    let processes = repository.processes().await?;
    ok_json(&ProcessOverview {
        current: processes.current_number(),
        versions: processes.versions().cloned().collect(),
        draft: repository.process_draft().await?,
    })
}

fn parse_draft(input: &ProcessDraftInput, processes: &Processes) -> Result<ProcessDraft, ApiError> {
    let draft = draft_from_input(input.base_version, &input.stages, &input.archived)?;
    let Some(base) = processes.version(input.base_version) else {
        return Err(ApiError::Domain(no_such_version(
            "base_version",
            input.base_version,
            processes.current_number(),
        )));
    };
    draft.check(base)?;
    Ok(draft)
}

pub async fn save_draft(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let (user, repository) = admin(&req, &ctx).await?;
    let input: ProcessDraftInput = read_json(&mut req).await?;
    let processes = repository.processes().await?;
    let draft = parse_draft(&input, &processes)?;
    repository
        .save_process_draft(&draft, &user.id, server_now())
        .await?;
    ok_json(&draft)
}

pub async fn publish(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let (user, repository) = admin(&req, &ctx).await?;
    let input: ProcessDraftInput = read_json(&mut req).await?;
    let processes = repository.processes().await?;
    // A stale base is a conflict before anything else: the draft may be fine on its own base.
    check_base(&processes, input.base_version)?;
    let draft = parse_draft(&input, &processes)?;
    publish_draft(
        &repository,
        &processes,
        &user,
        &draft,
        input.note.as_deref(),
    )
    .await
}

pub async fn restore(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let (user, repository) = admin(&req, &ctx).await?;
    let input: ProcessRestore = read_json(&mut req).await?;
    let processes = repository.processes().await?;
    check_base(&processes, input.base_version)?;
    if processes.version(input.version).is_none() {
        return Err(ApiError::ProcessVersionNotFound);
    }
    let draft = processes.restore_draft(input.version)?;
    let note = input
        .note
        .unwrap_or_else(|| format!("恢复第 {} 版", input.version));
    publish_draft(&repository, &processes, &user, &draft, Some(&note)).await
}

fn conflict(processes: &Processes) -> ApiError {
    let current = processes.current();
    ApiError::ProcessConflict {
        current: current.number,
        author: current.author.name.clone(),
        note: current.note.clone(),
        // The business clock (UTC+8), minutes: what the admin reading the message goes by.
        published_at: current
            .published_at
            .with_timezone(&domain::business_offset())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
    }
}

fn check_base(processes: &Processes, base_version: u32) -> Result<(), ApiError> {
    processes
        .check_base(base_version)
        .map_err(|refusal| refused(processes, refusal))
}

fn refused(processes: &Processes, refusal: PublishRefusal) -> ApiError {
    match refusal {
        PublishRefusal::StaleBase { .. } => conflict(processes),
        PublishRefusal::Invalid(error) => error.into(),
    }
}

async fn publish_draft(
    repository: &Repository,
    processes: &Processes,
    user: &AuthUser,
    draft: &ProcessDraft,
    note: Option<&str>,
) -> Result<Response, ApiError> {
    let author = StaffRef::new(&user.id, &user.name);
    let version = processes
        .publish(draft, author, note.unwrap_or(""), server_now())
        .map_err(|refusal| refused(processes, refusal))?;
    if !repository.insert_process_version(&version).await? {
        // Another admin published the same number between our read and our write.
        return Err(conflict(&repository.processes().await?));
    }
    // The draft was published; a draft based on an older version is stale anyway.
    repository.delete_process_draft().await?;
    Ok(json_response(&ProcessPublished { version }, 201))
}

async fn plan(
    repository: &Repository,
    processes: &Processes,
    mapping: &ProcessMapping,
) -> Result<(MigrationPlan, Vec<(Order, i64)>), ApiError> {
    let orders = repository
        .active_orders_off_version(processes.current_number())
        .await?;
    let from: BTreeSet<u32> = orders.iter().map(|(o, _)| o.process_version).collect();
    let plan = plan_migration(processes, &from, &mapping.mapping)?;
    Ok((plan, orders))
}

pub async fn preview(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let (_, repository) = admin(&req, &ctx).await?;
    let mapping: ProcessMapping = read_json(&mut req).await?;
    let processes = repository.processes().await?;
    let (plan, orders) = plan(&repository, &processes, &mapping).await?;
    let rows = plan.impact(orders.iter().map(|(o, _)| o));
    let total = rows.iter().map(|r| r.orders).sum();
    ok_json(&ProcessImpact {
        to_version: plan.to_version,
        rows,
        total,
    })
}

pub async fn migrate(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let (user, repository) = admin(&req, &ctx).await?;
    let mapping: ProcessMapping = read_json(&mut req).await?;
    let processes = repository.processes().await?;
    let (plan, orders) = plan(&repository, &processes, &mapping).await?;
    let actor = StaffRef::new(&user.id, &user.name);
    let mut moved = 0u32;
    for (order, version) in orders.iter().take(MIGRATE_PER_REQUEST) {
        let now = server_now();
        let Some((migrated, event)) = plan.migrate(&processes, order, &actor, now) else {
            continue;
        };
        // Guarded on the order's version: a phone's change that landed meanwhile wins, and the
        // order is simply picked up by the next call.
        match repository
            .commit_server_side_change(&migrated, *version, &[event], now)
            .await
        {
            Ok(_) => moved += 1,
            // Left for the next call (counted in `remaining`).
            Err(CommitError::Stale | CommitError::Transient(_)) => {}
            Err(CommitError::Other(error)) => return Err(error),
        }
    }
    let remaining = u32::try_from(orders.len()).unwrap_or(u32::MAX) - moved;
    ok_json(&ProcessMigrated {
        to_version: plan.to_version,
        moved,
        remaining,
    })
}

/// Every published version after `after`, for any signed-in team member: what a phone that
/// received an order on a version it does not know fetches (pulls carry them too).
pub async fn versions(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    auth::require_user(&req, &ctx).await?;
    let after = req
        .url()?
        .query_pairs()
        .find(|(k, _)| k == "after")
        .map(|(_, v)| v.parse::<u32>())
        .transpose()
        .map_err(|_| ApiError::BadQuery("after must be a version number".into()))?
        .unwrap_or(0);
    let repository = Repository::new(ctx.d1("DB")?);
    let versions = retrying(|| repository.process_versions_after(after)).await?;
    ok_json(&versions)
}
