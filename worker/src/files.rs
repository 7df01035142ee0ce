//! The R2 bucket `FILES` that holds attachment bytes (wrangler.toml `[[r2_buckets]]`), and how
//! a stored file is answered. Plumbing: the team's attachment room and the customer's file
//! route both use it; it knows no feature.
//!
//! Keys are `orders/<order id>/<sha256>`: per order, so purging one order's photo never takes
//! another order's copy of the same bytes, and by hash, so storing the same bytes twice is one
//! object. The bucket is never public; every byte goes out through the worker.

use domain::{attachment::FileRef, FileType};
use uuid::Uuid;
use worker::{Bucket, Env, Headers, Response};

use crate::error::ApiError;

fn bucket(env: &Env) -> Result<Bucket, ApiError> {
    env.bucket("FILES")
        .map_err(|error| ApiError::Internal(format!("R2 binding FILES: {error}")))
}

fn key(order_id: Uuid, sha256: &str) -> String {
    format!("orders/{order_id}/{sha256}")
}

/// Stores `bytes` under their hash; R2 checks the SHA-256 again on its side.
pub async fn put(
    env: &Env,
    order_id: Uuid,
    sha256_hex: &str,
    digest: [u8; 32],
    file_type: FileType,
    bytes: Vec<u8>,
) -> Result<(), ApiError> {
    bucket(env)?
        .put(key(order_id, sha256_hex), bytes)
        .sha256(digest.to_vec())
        .http_metadata(worker::HttpMetadata {
            content_type: Some(file_type.content_type().to_string()),
            ..Default::default()
        })
        .execute()
        .await
        .map_err(|error| ApiError::Internal(format!("R2 put: {error}")))?;
    Ok(())
}

/// Puts `bytes` under `bench/<name>` with nothing else: no hash, no type, no row. Only the
/// benchmark's floor (`dev::bench::r2_put`) uses it, to say what an upload costs over R2 itself.
pub async fn put_plain(env: &Env, name: &str, bytes: Vec<u8>) -> Result<(), ApiError> {
    bucket(env)?
        .put(format!("bench/{name}"), bytes)
        .execute()
        .await
        .map_err(|error| ApiError::Internal(format!("R2 put: {error}")))?;
    Ok(())
}

pub async fn delete(env: &Env, order_id: Uuid, sha256_hex: &str) -> Result<(), ApiError> {
    bucket(env)?
        .delete(key(order_id, sha256_hex))
        .await
        .map_err(|error| ApiError::Internal(format!("R2 delete: {error}")))
}

/// The stored file as an answer: its own type, never sniffed, never run (a sandbox CSP even
/// for a PDF viewer), kept only in the asker's own cache. `None` if the bucket lacks it.
pub async fn respond(
    env: &Env,
    order_id: Uuid,
    file: &FileRef,
    download_name: &str,
) -> Result<Option<Response>, ApiError> {
    let Some(object) = bucket(env)?
        .get(key(order_id, &file.sha256))
        .execute()
        .await
        .map_err(|error| ApiError::Internal(format!("R2 get: {error}")))?
    else {
        return Ok(None);
    };
    let Some(body) = object.body() else {
        return Ok(None);
    };
    let body = body
        .response_body()
        .map_err(|error| ApiError::Internal(format!("R2 body: {error}")))?;
    let headers = Headers::new();
    let disposition = format!(
        "{}; filename=\"{download_name}.{}\"",
        if file.file_type.is_image() {
            "inline"
        } else {
            "attachment"
        },
        file.file_type.extension()
    );
    for (name, value) in [
        ("content-type", file.file_type.content_type()),
        ("content-disposition", disposition.as_str()),
        // Content-addressed: the bytes behind this answer never change (a purge removes them).
        ("cache-control", "private, max-age=86400"),
        ("x-content-type-options", "nosniff"),
        ("content-security-policy", "default-src 'none'; sandbox"),
        ("referrer-policy", "no-referrer"),
    ] {
        let _ = headers.set(name, value);
    }
    Ok(Some(
        Response::from_body(body)
            .map_err(|error| ApiError::Internal(error.to_string()))?
            .with_headers(headers),
    ))
}
