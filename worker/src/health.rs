//! `GET /api/health`: is this worker up, which build is it, and does D1 answer?

use serde::Serialize;
use worker::{Request, Response, RouteContext};

use crate::{error::ApiError, http::json_response, repository::Repository};

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: String,
    database: &'static str,
    data_version: Option<i64>,
}

pub async fn handle(_req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let version = ctx
        .var("APP_VERSION")
        .map(|var| var.to_string())
        .unwrap_or_else(|_| "unknown".into());
    let data_version = match ctx.d1("DB") {
        Ok(db) => Repository::new(db).current_version().await.ok(),
        Err(_) => None,
    };
    let healthy = data_version.is_some();
    let body = Health {
        status: if healthy { "ok" } else { "degraded" },
        version,
        database: if healthy { "ok" } else { "unavailable" },
        data_version,
    };
    // A load balancer or uptime check must see a failing database as a failing service.
    Ok(json_response(&body, if healthy { 200 } else { 503 }))
}
