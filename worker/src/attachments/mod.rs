//! Photos and files on orders, for the team: upload the bytes an attachment names, download
//! a file or its thumbnail, and an admin's purge. The attachment's record itself is a mutation
//! (`Mutation::AddAttachment`) synced like any other; the bytes follow it here, so the server
//! stores only files a live attachment of an order it holds names, judged by their bytes
//! (`domain::check_file`) and their SHA-256, exactly once.

use domain::{
    attachment::{is_sha256_hex, Attachment, FileRef},
    check_file,
    wire::UploadAnswer,
    Context, Mutation, Order, MAX_FILE_BYTES,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use worker::{Request, Response, RouteContext};

use crate::{
    auth::{crypto::hex, require_user},
    error::ApiError,
    files,
    http::{json_response, read_bytes, server_now, BodyError},
    repository::{CommitError, Repository, StoredFile},
};

fn uuid_param(ctx: &RouteContext<()>, name: &str) -> Option<Uuid> {
    ctx.param(name).and_then(|id| id.parse().ok())
}

async fn live_order(ctx: &RouteContext<()>) -> Result<(Repository, Order, i64), ApiError> {
    let order_id = uuid_param(ctx, "id").ok_or(ApiError::OrderNotFound)?;
    let repository = Repository::new(ctx.d1("DB")?);
    let (order, version) = repository
        .live_order(order_id)
        .await?
        .ok_or(ApiError::OrderNotFound)?;
    Ok((repository, order, version))
}

/// `PUT /api/orders/:id/files/:sha256`, the raw bytes as the body (any declared type: the
/// bytes decide). 201 when stored, 200 when the server already had them.
pub async fn upload(mut req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let user = require_user(&req, &ctx).await?;
    let (repository, order, _) = live_order(&ctx).await?;
    let sha256 = ctx
        .param("sha256")
        .filter(|hash| is_sha256_hex(hash))
        .cloned()
        .ok_or(ApiError::AttachmentNotFound)?;
    // Only what a live attachment names: push the change that adds it first.
    let expected: FileRef = order
        .attachments
        .iter()
        .filter(|a| a.is_live())
        .find_map(|a| a.file_for(&sha256))
        .cloned()
        .ok_or(ApiError::AttachmentNotFound)?;
    let bytes = read_bytes(&mut req, MAX_FILE_BYTES)
        .await
        .map_err(|error| match error {
            BodyError::TooLarge { .. } => ApiError::FileRefused(domain::FileProblem::TooLarge),
            other => other.into(),
        })?;
    let file_type = check_file(&bytes).map_err(ApiError::FileRefused)?;
    if file_type != expected.file_type || bytes.len() as u64 != expected.size {
        return Err(ApiError::FileMismatch);
    }
    let digest: [u8; 32] = Sha256::digest(&bytes).into();
    if hex(&digest) != sha256 {
        return Err(ApiError::HashMismatch);
    }
    let answer = |stored: bool, status: u16| {
        Ok(json_response(
            &UploadAnswer {
                sha256: sha256.clone(),
                stored,
            },
            status,
        ))
    };
    if repository.is_file_stored(order.id, &sha256).await? {
        return answer(false, 200);
    }
    let size = bytes.len() as u64;
    // Bytes first, then the row: a row always means the file can be served.
    files::put(&ctx.env, order.id, &sha256, digest, file_type, bytes).await?;
    let recorded = repository
        .record_file(&StoredFile {
            order_id: order.id,
            sha256: &sha256,
            content_type: file_type.content_type(),
            size,
            uploaded_by: &user.id,
            uploaded_at: server_now(),
        })
        .await?;
    // Two phones uploading the same photo at once: one row, one object, both told "done".
    if recorded {
        answer(true, 201)
    } else {
        answer(false, 200)
    }
}

fn live_attachment(order: &Order, ctx: &RouteContext<()>) -> Result<Attachment, ApiError> {
    let id = uuid_param(ctx, "attachment_id").ok_or(ApiError::AttachmentNotFound)?;
    order
        .attachments
        .iter()
        .find(|a| a.id == id && a.is_live())
        .cloned()
        .ok_or(ApiError::AttachmentNotFound)
}

async fn serve(req: Request, ctx: RouteContext<()>, thumbnail: bool) -> Result<Response, ApiError> {
    require_user(&req, &ctx).await?;
    let (_, order, _) = live_order(&ctx).await?;
    let attachment = live_attachment(&order, &ctx)?;
    let file = if thumbnail {
        attachment
            .thumbnail
            .as_ref()
            .ok_or(ApiError::AttachmentNotFound)?
    } else {
        &attachment.file
    };
    let name = download_name(&order, &attachment, thumbnail);
    files::respond(&ctx.env, order.id, file, &name)
        .await?
        .ok_or(ApiError::FileNotUploaded)
}

/// An ASCII file name: the kind's key and the order number's ASCII characters.
pub fn download_name(order: &Order, attachment: &Attachment, thumbnail: bool) -> String {
    let number: String = order
        .number
        .as_str()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let suffix = if thumbnail { "-thumb" } else { "" };
    format!(
        "{number}-{}-{}{suffix}",
        attachment.kind.key(),
        &attachment.id.simple().to_string()[..8]
    )
}

/// `GET /api/orders/:id/attachments/:attachment_id`: the file, for any signed-in member.
pub async fn file(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    serve(req, ctx, false).await
}

/// `GET /api/orders/:id/attachments/:attachment_id/thumbnail`.
pub async fn thumbnail(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    serve(req, ctx, true).await
}

/// `POST /api/admin/orders/:id/attachments/:attachment_id/purge`: an admin deletes a removed
/// attachment's bytes for good; the history records it (`Mutation::PurgeAttachment`, decided by
/// the domain like every change).
pub async fn purge(req: Request, ctx: RouteContext<()>) -> Result<Response, ApiError> {
    let user = require_user(&req, &ctx).await?;
    if !user.is_admin() {
        return Err(ApiError::Forbidden);
    }
    let (repository, order, version) = live_order(&ctx).await?;
    let attachment_id = uuid_param(&ctx, "attachment_id").ok_or(ApiError::AttachmentNotFound)?;
    let processes = repository.processes().await?;
    let now = server_now();
    let actor = user.actor();
    let applied = domain::apply(
        &Context {
            processes: &processes,
            actor: &actor,
            now,
        },
        Some(&order),
        &Mutation::PurgeAttachment {
            order_id: order.id,
            attachment_id,
        },
    )?;
    let purged = applied
        .order
        .attachments
        .iter()
        .find(|a| a.id == attachment_id)
        .cloned()
        .ok_or(ApiError::AttachmentNotFound)?;
    // The bytes go first: a purge that fails half-way leaves the attachment removed (hidden)
    // and can be asked again; one that wrote "purged" first could leave the bytes behind.
    let hashes = std::iter::once(&purged.file).chain(purged.thumbnail.as_ref());
    for file in hashes {
        let still_used = applied
            .order
            .attachments
            .iter()
            .any(|a| a.id != attachment_id && a.is_live() && a.holds(&file.sha256));
        if !still_used {
            files::delete(&ctx.env, order.id, &file.sha256).await?;
            repository.forget_file(order.id, &file.sha256).await?;
        }
    }
    match repository
        .commit_server_side_change(&applied.order, version, &applied.events, now)
        .await
    {
        Ok(_) => Ok(json_response(&serde_json::json!({ "purged": true }), 200)),
        Err(CommitError::Stale) | Err(CommitError::Transient(_)) => Err(ApiError::OrderBusy),
        Err(CommitError::Other(error)) => Err(error),
    }
}
