//! The changes this phone has not been able to send, as a file the person can keep: for the day
//! syncing cannot go on (a seq gap the server cannot bridge, a disabled account) and the only
//! other way out would be wiping the device (issue 19 item 4).

use domain::{Lang, PendingMutation, Pipeline};
use serde::Serialize;

#[derive(Serialize)]
struct UnsentChange<'a> {
    seq: u64,
    order_id: String,
    device_time: String,
    /// What it does, in words ("备注：…"), for a person reading the file.
    what: String,
    /// The change itself, as it would be pushed, for an admin to re-enter or replay.
    mutation: &'a domain::Mutation,
}

/// The export: a JSON document listing every unsent change in queue order.
pub fn export_json(pending: &[PendingMutation], pipeline: &Pipeline, lang: Lang) -> String {
    let changes: Vec<UnsentChange<'_>> = pending
        .iter()
        .map(|p| UnsentChange {
            seq: p.seq,
            order_id: p.mutation.order_id().to_string(),
            device_time: p.device_time.to_rfc3339(),
            what: super::describe::mutation(&p.mutation, pipeline, lang),
            mutation: &p.mutation,
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "app": "跟单",
        "kind": "unsent_changes",
        "changes": changes,
    }))
    .unwrap_or_default()
}

/// `data:` address of the export, for an `<a download>` (no Blob URL to revoke later).
pub fn export_href(pending: &[PendingMutation], pipeline: &Pipeline, lang: Lang) -> String {
    let json = export_json(pending, pipeline, lang);
    format!(
        "data:application/json;charset=utf-8,{}",
        js_sys::encode_uri_component(&json)
    )
}
