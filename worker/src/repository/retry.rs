//! Retrying D1 work that failed for a reason D1 documents as transient, with backoff.

use std::future::Future;
use std::time::Duration;

use worker::Delay;

use super::is_transient;
use crate::error::ApiError;

/// Transient D1 errors on reads: tries per read.
pub const READ_ATTEMPTS: u32 = 4;

pub async fn backoff(attempt: u32) {
    // 20, 40, 80, … ms, capped at 640 ms, plus a little jitter from the clock so that two
    // requests that collided do not collide again in step.
    let base = 20u64 << attempt.min(5);
    let jitter = (worker::Date::now().as_millis() % 17) * attempt as u64;
    Delay::from(Duration::from_millis(base + jitter)).await;
}

/// Runs a read again (with backoff) while D1 answers with an error it documents as transient.
/// Only for reads: they change nothing, so repeating them is always safe.
pub async fn retrying<T, F, Fut>(mut read: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut attempt = 0;
    loop {
        match read().await {
            Err(ApiError::Database(message))
                if is_transient(&message) && attempt + 1 < READ_ATTEMPTS =>
            {
                attempt += 1;
                worker::console_warn!("transient D1 error, retry {attempt}: {message}");
                backoff(attempt).await;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_documented_transient_d1_errors_are_retried() {
        assert!(is_transient("D1_ERROR: Network connection lost."));
        assert!(is_transient("D1 DB storage caused object to be reset"));
        assert!(!is_transient(
            "D1_ERROR: CHECK constraint failed: ok = 1: SQLITE_CONSTRAINT"
        ));
        assert!(!is_transient("no such table: orders"));
    }
}
