//! Password hashing: PBKDF2-HMAC-SHA-256 through WebCrypto, 100,000 iterations (the most the
//! Workers runtime allows), a 16-byte random salt per hash, 32 bytes of output.
//!
//! The iteration count is stored with every hash, so raising it later only needs new hashes to
//! use the new count; old ones keep verifying.

use super::crypto::{constant_time_eq, from_hex, hex, pbkdf2_sha256, random_bytes};
use crate::{error::ApiError, repository::PasswordHash};

/// Cloudflare Workers refuse PBKDF2 with more iterations than this.
pub const ITERATIONS: u32 = 100_000;

pub async fn hash_password(password: &str) -> Result<PasswordHash, ApiError> {
    let salt: [u8; 16] = random_bytes()?;
    let derived = pbkdf2_sha256(password.as_bytes(), &salt, ITERATIONS).await?;
    Ok(PasswordHash {
        hash: hex(&derived),
        salt: hex(&salt),
        iterations: ITERATIONS,
    })
}

/// Checks `password` against a stored hash. A stored value that cannot be read counts as a
/// mismatch (after doing the same work), never as a match.
pub async fn verify_password(password: &str, stored: &PasswordHash) -> Result<bool, ApiError> {
    let salt = from_hex(&stored.salt);
    let expected = from_hex(&stored.hash);
    let iterations = if (1..=ITERATIONS).contains(&stored.iterations) {
        stored.iterations
    } else {
        ITERATIONS
    };
    let derived = pbkdf2_sha256(
        password.as_bytes(),
        salt.as_deref().unwrap_or(&DUMMY_SALT),
        iterations,
    )
    .await?;
    Ok(match expected {
        Some(expected) if salt.is_some() && iterations == stored.iterations => {
            constant_time_eq(&derived, &expected)
        }
        _ => false,
    })
}

const DUMMY_SALT: [u8; 16] = *b"gendan-no-user!!";

/// Does the work of one verification and returns no answer: what a login for an account that
/// does not exist costs, so that the response time does not reveal which accounts exist.
pub async fn burn_equivalent_time(password: &str) -> Result<(), ApiError> {
    pbkdf2_sha256(password.as_bytes(), &DUMMY_SALT, ITERATIONS).await?;
    Ok(())
}
