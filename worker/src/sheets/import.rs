//! `POST /api/admin/import?mode=create|update|both&dry_run=1|0[&map=…]`: the body is the file
//! (xlsx or CSV, up to 10 MB and 20,000 rows). Admins only. A dry run answers each row's result;
//! a commit writes every row as ONE batch (`Repository::commit_import`) and refuses while any row
//! has an error, so an import lands whole or not at all. Imported orders reach phones by the
//! normal pull: they are written like any decided change, version bumped.

use std::collections::HashMap;

use domain::sheet::{
    header_signature, header_titles, importer, map_header, mapping_by_key, number_keys,
    plan_import, read_header, stage_date_columns, totals, Column, Header, ImportContext,
    ImportMode, Member, RowAction, RowPlan, Sheet, SheetProblem,
};
use domain::wire::{ImportColumn, ImportProblem, ImportReport, ImportRow};
use domain::Localized;
use uuid::Uuid;
use worker::{Request, Response, RouteContext};

use super::export::write_xlsx;
use super::read::{merged_header, read_upload, ReadProblem};
use super::tables::errors_table;
use crate::auth::{crypto, require_user, AuthUser};
use crate::error::ApiError;
use crate::http::{file_response, json_response, read_bytes, server_now, BodyError};
use crate::repository::{retry::retrying, ImportWrite, ImportedOrder, Repository};

/// The largest file an import takes.
pub const MAX_IMPORT_BYTES: usize = 10 * 1024 * 1024;

struct Params {
    mode: ImportMode,
    dry_run: bool,
    /// Header → field chosen by the admin, replacing the proposal for that header.
    overrides: HashMap<String, Option<Column>>,
}

fn params(req: &Request) -> Result<Params, ApiError> {
    let url = req.url().map_err(|e| ApiError::BadQuery(e.to_string()))?;
    let mut params = Params {
        mode: ImportMode::Both,
        dry_run: true,
        overrides: HashMap::new(),
    };
    for (name, value) in url.query_pairs() {
        match name.as_ref() {
            "mode" => {
                params.mode = ImportMode::parse(&value).ok_or_else(|| {
                    ApiError::BadQuery("mode must be create, update or both".into())
                })?
            }
            "dry_run" => {
                params.dry_run = match value.as_ref() {
                    "1" | "true" => true,
                    "0" | "false" => false,
                    _ => return Err(ApiError::BadQuery("dry_run must be 1 or 0".into())),
                }
            }
            "map" => {
                let chosen: HashMap<String, Option<Column>> = serde_json::from_str(&value)
                    .map_err(|_| {
                        ApiError::BadQuery("map must be a JSON object: header → field".into())
                    })?;
                params.overrides = chosen
                    .into_iter()
                    .map(|(title, field)| (domain::sheet::header_key(&title), field))
                    .collect();
            }
            _ => {}
        }
    }
    Ok(params)
}

fn refused(code: &'static str, message: Localized) -> ApiError {
    ApiError::SheetRefused { code, message }
}

fn sheet_problem(problem: SheetProblem) -> ApiError {
    match problem {
        SheetProblem::TooManyRows(_) => ApiError::SheetTooLarge {
            code: problem.code(),
            message: problem.message(),
        },
        _ => refused(problem.code(), problem.message()),
    }
}

fn read_problem(problem: ReadProblem) -> ApiError {
    refused(problem.code(), problem.message())
}

/// An upload read and planned: what a dry run answers, a commit writes and the error sheet lists.
struct Planned {
    user: AuthUser,
    repo: Repository,
    sheet: Sheet,
    header: Header,
    /// The mapping came from an earlier import of a file with the same headers.
    remembered: bool,
    /// A dry run of a sheet without an order number column plans no rows: it says so beside
    /// the columns, so the person can choose the number column on the screen.
    problem: Option<SheetProblem>,
    plans: Vec<RowPlan>,
    /// Per column: the stage whose entry date it holds, by name.
    stage_dates: Vec<Option<Localized>>,
    versions: HashMap<Uuid, i64>,
    now: chrono::DateTime<chrono::Utc>,
}

/// Everything an import request does before deciding to answer or write: the gate, the file,
/// the header and its mapping, the stored orders, and `plan_import`.
async fn plan_upload(
    req: &mut Request,
    ctx: &RouteContext<()>,
    params: &Params,
) -> Result<Planned, ApiError> {
    let user = require_user(req, ctx).await?;
    // Admins and managers, before the file is read; the rows run with the importer's authority.
    let actor = importer(&user.actor())?;
    let bytes = read_bytes(req, MAX_IMPORT_BYTES)
        .await
        .map_err(|error| match error {
            BodyError::TooLarge { .. } => ApiError::SheetTooLarge {
                code: "import_file_too_large",
                message: Localized::new(
                    "文件超过 10 MB，请分成几个文件导入",
                    "The file is larger than 10 MB; split it into several files",
                ),
            },
            other => ApiError::from(other),
        })?;
    if bytes.is_empty() {
        return Err(refused(
            "import_empty",
            Localized::new("文件是空的", "The file is empty"),
        ));
    }
    let read = read_upload(&bytes).map_err(read_problem)?;
    drop(bytes);
    let repo = Repository::new(ctx.d1("DB")?);
    // A mapping remembered for these headers comes first; what the person chose now wins.
    let remembered = match header_titles(&read.sheet) {
        Some((_, titles)) => {
            let signature = header_signature(&titles);
            retrying(|| repo.import_mapping(&signature)).await?
        }
        None => None,
    };
    let mut overrides = remembered.clone().unwrap_or_default();
    overrides.extend(params.overrides.clone());
    let mut problem = None;
    let header = match read_header(&read.sheet, &overrides) {
        Err(SheetProblem::NoNumberColumn) if params.dry_run => {
            problem = Some(SheetProblem::NoNumberColumn);
            map_header(&read.sheet, &overrides).map_err(sheet_problem)?
        }
        other => other.map_err(sheet_problem)?,
    };
    if let Some(range) = merged_header(&read.merged, header.row) {
        return Err(read_problem(ReadProblem::MergedHeader(range)));
    }
    let processes = retrying(|| repo.processes()).await?;
    let pipeline = processes.current_pipeline();
    let stage_dates = stage_date_columns(&header, pipeline)
        .into_iter()
        .map(|stage| Some(pipeline.stage(&stage?)?.name.clone()))
        .collect();
    if problem.is_some() {
        return Ok(Planned {
            user,
            repo,
            sheet: read.sheet,
            header,
            remembered: remembered.is_some(),
            problem,
            plans: Vec::new(),
            stage_dates,
            versions: HashMap::new(),
            now: server_now(),
        });
    }

    let team: Vec<Member> = retrying(|| repo.list_users())
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| Member {
            user_id: u.id,
            name: u.name,
            phone: u.work_phone,
        })
        .collect();
    let keys = number_keys(&read.sheet, &header);
    let stored = retrying(|| repo.orders_by_number_keys(&keys)).await?;
    let versions: HashMap<Uuid, i64> = stored.iter().map(|(o, v)| (o.id, *v)).collect();
    let existing = stored
        .into_iter()
        .map(|(order, _)| (order.number.key(), order))
        .collect();
    let now = server_now();
    let context = ImportContext {
        processes: &processes,
        actor: &actor,
        now,
        mode: params.mode,
        team: &team,
    };
    let mut no_randomness = false;
    let plans = plan_import(&context, &read.sheet, &header, &existing, &mut || {
        crypto::random_uuid()
            .ok()
            .and_then(|id| Uuid::parse_str(&id).ok())
            .unwrap_or_else(|| {
                no_randomness = true;
                Uuid::nil()
            })
    });
    if no_randomness {
        return Err(ApiError::Internal("no random ids for new orders".into()));
    }
    Ok(Planned {
        user,
        repo,
        sheet: read.sheet,
        header,
        remembered: remembered.is_some(),
        problem: None,
        plans,
        stage_dates,
        versions,
        now,
    })
}

pub async fn import(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let params = params(&req)?;
    let Planned {
        user,
        repo,
        header,
        remembered,
        problem,
        plans,
        stage_dates,
        versions,
        now,
        ..
    } = plan_upload(&mut req, &ctx, &params).await?;
    let totals = totals(&plans);
    let mut report = ImportReport {
        dry_run: params.dry_run,
        mode: params.mode,
        batch_id: None,
        columns: header
            .titles
            .iter()
            .zip(&header.mapping)
            .zip(stage_dates)
            .map(|((title, field), stage_date)| ImportColumn {
                title: title.clone(),
                field: *field,
                stage_date,
            })
            .collect(),
        remembered,
        problem: problem.map(|problem| ImportProblem {
            code: problem.code().to_string(),
            message: problem.message(),
        }),
        totals,
        rows: plans.iter().map(report_row).collect(),
    };
    if params.dry_run {
        return Ok(json_response(&report, 200));
    }
    if totals.error > 0 {
        return Err(ApiError::ImportHasErrors {
            errors: totals.error,
        });
    }
    let orders: Vec<ImportedOrder> = plans
        .into_iter()
        .filter(|p| matches!(p.action, RowAction::Create | RowAction::Update))
        .filter_map(|plan| {
            let order = plan.after?;
            let known = plan.before.as_ref().map_or(0, |b| b.history.len());
            Some(ImportedOrder {
                events: order.history[known..].to_vec(),
                based_on: plan
                    .before
                    .as_ref()
                    .and_then(|b| versions.get(&b.id).copied()),
                before: plan.before,
                order,
            })
        })
        .collect();
    if !orders.is_empty() {
        let batch_id = crypto::random_uuid()?;
        let mode = match params.mode {
            ImportMode::Create => "create",
            ImportMode::Update => "update",
            ImportMode::Both => "both",
        };
        let written = repo
            .commit_import(&ImportWrite {
                batch_id: &batch_id,
                actor_id: &user.id,
                mode,
                at: now,
                orders: &orders,
            })
            .await?;
        if !written {
            return Err(ApiError::ImportConflict);
        }
        report.batch_id = Some(batch_id);
    }
    // The mapping of a committed import is proposed again for the next file with these headers.
    let signature = header_signature(&header.titles);
    let mapping = mapping_by_key(&header);
    retrying(|| repo.save_import_mapping(&signature, &mapping, &user.id, now)).await?;
    Ok(json_response(&report, 200))
}

/// `POST /api/admin/import/errors?mode=…[&map=…]`: the same file and choices as the dry run,
/// answered with the dry run's failing rows as an .xlsx (the file's columns, then 错误原因 and
/// 出错的列), for people to fix in Excel and import again.
pub async fn errors(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let params = params(&req)?;
    let planned = plan_upload(&mut req, &ctx, &params).await?;
    if let Some(problem) = planned.problem {
        return Err(sheet_problem(problem));
    }
    let table = errors_table(&planned.sheet, &planned.header, &planned.plans);
    let bytes = write_xlsx(&[table]).map_err(|error| ApiError::Internal(error.to_string()))?;
    Ok(file_response(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!(
            "import-errors-{}.xlsx",
            domain::business_date(planned.now).format("%Y%m%d")
        ),
    ))
}

fn report_row(plan: &RowPlan) -> ImportRow {
    ImportRow {
        line: plan.line,
        number: plan.number.clone(),
        action: plan.action,
        column: plan.column.clone(),
        code: plan.code.clone(),
        message: plan.message.clone(),
    }
}
