//! SQL for team accounts (`users`), sessions (`sessions`) and login limits (`login_throttle`),
//! see `migrations/0002_accounts.sql`. Prepared statements only; every write that must happen
//! together (a user disabled and their sessions revoked, a password reset and its revocations)
//! is one `batch`, i.e. one transaction.
//!
//! Times in these tables are written by `timestamp` (`YYYY-MM-DDTHH:MM:SS.mmmZ`), a fixed-width
//! UTC form, because the throttle statements compare them as text.

use chrono::{DateTime, Duration, Utc};
use domain::Role;
use serde::Deserialize;
use worker::{query, D1PreparedStatement};

use super::{timestamp, Repository};
use crate::error::ApiError;

/// A password as stored: never the password itself (`auth::password` makes and checks these).
pub struct PasswordHash {
    /// Hex of the 32-byte derived key.
    pub hash: String,
    /// Hex of the 16-byte salt.
    pub salt: String,
    pub iterations: u32,
}

/// An account as stored, without its password.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: String,
    pub name: String,
    pub login: String,
    pub roles: Vec<Role>,
    pub active: bool,
    pub work_phone: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl UserRecord {
    pub fn is_active_admin(&self) -> bool {
        self.active && self.roles.contains(&Role::Admin)
    }
}

/// An account with its stored password, for sign-in only.
pub struct Credentials {
    pub user: UserRecord,
    pub password: PasswordHash,
    /// The password was set by an admin: its owner must replace it (`users.must_change_password`).
    pub must_change_password: bool,
}

/// A session and the user it belongs to.
pub struct SessionRecord {
    pub user: UserRecord,
    pub expires_at: String,
    pub revoked_at: Option<String>,
}

pub struct NewUser {
    pub id: String,
    pub name: String,
    pub login: String,
    pub roles: Vec<Role>,
    pub work_phone: Option<String>,
    pub password: PasswordHash,
    /// Chosen by an admin for someone else (members), not by its owner (setup, demo data).
    pub must_change_password: bool,
    pub created_at: String,
}

pub struct NewSession {
    pub token_hash: String,
    pub user_id: String,
    pub created_at: String,
    pub expires_at: String,
}

/// One login-throttle counter and its limit. Account keys are cleared by a success; address keys
/// only get the successful attempt back.
pub struct ThrottleKey {
    key: String,
    limit: u32,
    /// How long the key stays locked once it reaches its limit.
    lock_minutes: i64,
    cleared_by_success: bool,
}

impl ThrottleKey {
    /// A key about one account (alone or with an address): a successful sign-in clears it.
    pub fn account(key: String, limit: u32, lock_minutes: i64) -> Self {
        ThrottleKey {
            key,
            limit,
            lock_minutes,
            cleared_by_success: true,
        }
    }

    /// A key about one client address across accounts: a success only takes its attempt back.
    pub fn address(key: String, limit: u32, lock_minutes: i64) -> Self {
        ThrottleKey {
            key,
            limit,
            lock_minutes,
            cleared_by_success: false,
        }
    }
}

/// A throttle key after an attempt was counted: `over_limit` means this attempt is refused.
pub struct ThrottleState {
    pub over_limit: bool,
    pub locked_until: Option<String>,
}

#[derive(Deserialize)]
struct ThrottleRow {
    failures: i64,
    locked_until: Option<String>,
}

#[derive(Deserialize)]
struct UserRow {
    id: String,
    name: String,
    login: String,
    roles: String,
    active: i64,
    work_phone: Option<String>,
    created_at: String,
    updated_at: String,
}

// Rows that carry a user plus more columns spell the user's columns out (rather than
// `#[serde(flatten)]`, which buffers values and loses D1's number types on the way).
#[derive(Deserialize)]
struct CredentialsRow {
    id: String,
    name: String,
    login: String,
    roles: String,
    active: i64,
    work_phone: Option<String>,
    created_at: String,
    updated_at: String,
    password_hash: String,
    password_salt: String,
    password_iterations: i64,
    must_change_password: i64,
}

#[derive(Deserialize)]
struct SessionRow {
    id: String,
    name: String,
    login: String,
    roles: String,
    active: i64,
    work_phone: Option<String>,
    created_at: String,
    updated_at: String,
    expires_at: String,
    revoked_at: Option<String>,
}

macro_rules! user_row {
    ($row:expr) => {
        UserRow {
            id: $row.id,
            name: $row.name,
            login: $row.login,
            roles: $row.roles,
            active: $row.active,
            work_phone: $row.work_phone,
            created_at: $row.created_at,
            updated_at: $row.updated_at,
        }
    };
}

#[derive(Deserialize)]
struct CountRow {
    n: i64,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = ApiError;

    fn try_from(row: UserRow) -> Result<Self, ApiError> {
        let roles = serde_json::from_str(&row.roles).map_err(|error| {
            ApiError::Internal(format!("user {} has unreadable roles: {error}", row.id))
        })?;
        Ok(UserRecord {
            id: row.id,
            name: row.name,
            login: row.login,
            roles,
            active: row.active != 0,
            work_phone: row.work_phone,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn roles_json(roles: &[Role]) -> Result<String, ApiError> {
    serde_json::to_string(roles).map_err(|error| ApiError::Internal(error.to_string()))
}

pub(super) fn changed_rows(result: &worker::D1Result) -> Result<usize, ApiError> {
    Ok(result
        .meta()?
        .and_then(|meta| meta.changes)
        .unwrap_or_default())
}

impl Repository {
    pub async fn count_users(&self) -> Result<i64, ApiError> {
        let row: Option<CountRow> = query!(&self.db, "SELECT COUNT(*) AS n FROM users")
            .first(None)
            .await?;
        Ok(row.map(|row| row.n).unwrap_or(0))
    }

    pub async fn list_users(&self) -> Result<Vec<UserRecord>, ApiError> {
        let rows: Vec<UserRow> = query!(
            &self.db,
            "SELECT id, name, login, roles, active, work_phone, created_at, updated_at \
             FROM users ORDER BY created_at, id"
        )
        .all()
        .await?
        .results()?;
        rows.into_iter().map(UserRecord::try_from).collect()
    }

    pub async fn find_user(&self, id: &str) -> Result<Option<UserRecord>, ApiError> {
        let row: Option<UserRow> = query!(
            &self.db,
            "SELECT id, name, login, roles, active, work_phone, created_at, updated_at \
             FROM users WHERE id = ?1",
            &id
        )?
        .first(None)
        .await?;
        row.map(UserRecord::try_from).transpose()
    }

    /// `login` is matched case-insensitively (the column is `COLLATE NOCASE`).
    pub async fn find_credentials(&self, login: &str) -> Result<Option<Credentials>, ApiError> {
        let row: Option<CredentialsRow> = query!(
            &self.db,
            "SELECT id, name, login, roles, active, work_phone, created_at, updated_at, \
             password_hash, password_salt, password_iterations, must_change_password \
             FROM users WHERE login = ?1",
            &login
        )?
        .first(None)
        .await?;
        row.map(|row| {
            Ok(Credentials {
                password: PasswordHash {
                    hash: row.password_hash,
                    salt: row.password_salt,
                    // Out of range means unreadable; verification treats 0 as a mismatch.
                    iterations: u32::try_from(row.password_iterations).unwrap_or(0),
                },
                must_change_password: row.must_change_password != 0,
                user: UserRecord::try_from(user_row!(row))?,
            })
        })
        .transpose()
    }

    fn insert_user_statement(&self, user: &NewUser) -> Result<D1PreparedStatement, ApiError> {
        let roles = roles_json(&user.roles)?;
        Ok(query!(
            &self.db,
            "INSERT INTO users (id, name, login, roles, active, password_hash, password_salt, \
             password_iterations, work_phone, created_at, updated_at, must_change_password) \
             VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8, ?9, ?9, ?10) \
             ON CONFLICT DO NOTHING",
            &user.id,
            &user.name,
            &user.login,
            &roles,
            &user.password.hash,
            &user.password.salt,
            &user.password.iterations,
            &user.work_phone,
            &user.created_at,
            &i64::from(user.must_change_password)
        )?)
    }

    /// Adds an account. `Ok(false)` when its login (or id) is already taken.
    pub async fn insert_user(&self, user: &NewUser) -> Result<bool, ApiError> {
        let result = self.insert_user_statement(user)?.run().await?;
        Ok(changed_rows(&result)? == 1)
    }

    /// Adds accounts that do not exist yet (by id or login), in one transaction; returns how many
    /// were added.
    pub async fn insert_users(&self, users: &[NewUser]) -> Result<usize, ApiError> {
        let statements = users
            .iter()
            .map(|user| self.insert_user_statement(user))
            .collect::<Result<Vec<_>, _>>()?;
        if statements.is_empty() {
            return Ok(0);
        }
        let results = self.db.batch(statements).await?;
        results.iter().map(changed_rows).sum()
    }

    /// The first-admin bootstrap: adds `user` and its session only while there is no account at
    /// all, atomically. `Ok(false)` when an account already exists.
    pub async fn insert_first_user(
        &self,
        user: &NewUser,
        session: &NewSession,
    ) -> Result<bool, ApiError> {
        let roles = roles_json(&user.roles)?;
        let results = self
            .db
            .batch(vec![
                query!(
                    &self.db,
                    "INSERT INTO users (id, name, login, roles, active, password_hash, \
                     password_salt, password_iterations, work_phone, created_at, updated_at) \
                     SELECT ?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8, ?9, ?9 \
                     WHERE NOT EXISTS (SELECT 1 FROM users)",
                    &user.id,
                    &user.name,
                    &user.login,
                    &roles,
                    &user.password.hash,
                    &user.password.salt,
                    &user.password.iterations,
                    &user.work_phone,
                    &user.created_at
                )?,
                query!(
                    &self.db,
                    "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) \
                     SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM users WHERE id = ?2)",
                    &session.token_hash,
                    &session.user_id,
                    &session.created_at,
                    &session.expires_at
                )?,
            ])
            .await?;
        Ok(results.first().map(changed_rows).transpose()?.unwrap_or(0) == 1)
    }

    /// Writes an account's name, roles, active flag and work phone. When `keep_an_admin` is set
    /// (the change takes the last admin rights away from an active admin), the write only
    /// happens if another active admin remains: `Ok(false)` otherwise. When the account ends up
    /// disabled, its sessions are revoked in the same transaction.
    pub async fn update_user(
        &self,
        user: &UserRecord,
        keep_an_admin: bool,
    ) -> Result<bool, ApiError> {
        let roles = roles_json(&user.roles)?;
        let results = self
            .db
            .batch(vec![
                query!(
                    &self.db,
                    "UPDATE users SET name = ?2, roles = ?3, active = ?4, work_phone = ?5, \
                     updated_at = ?6 \
                     WHERE id = ?1 AND (?7 = 0 OR EXISTS ( \
                         SELECT 1 FROM users AS other, json_each(other.roles) AS role \
                         WHERE other.id <> ?1 AND other.active = 1 AND role.value = 'admin'))",
                    &user.id,
                    &user.name,
                    &roles,
                    &i32::from(user.active),
                    &user.work_phone,
                    &user.updated_at,
                    &i32::from(keep_an_admin)
                )?,
                query!(
                    &self.db,
                    "UPDATE sessions SET revoked_at = ?2 \
                     WHERE user_id = ?1 AND revoked_at IS NULL \
                     AND EXISTS (SELECT 1 FROM users WHERE id = ?1 AND active = 0)",
                    &user.id,
                    &user.updated_at
                )?,
            ])
            .await?;
        Ok(results.first().map(changed_rows).transpose()?.unwrap_or(0) == 1)
    }

    /// Replaces an account's password, revokes all its sessions and lifts its login lock, in one
    /// transaction. `Ok(false)` when there is no such account.
    pub async fn set_password(
        &self,
        user_id: &str,
        password: &PasswordHash,
        account_throttle_key: &str,
        now: &str,
        must_change: bool,
    ) -> Result<bool, ApiError> {
        let results = self
            .db
            .batch(vec![
                query!(
                    &self.db,
                    "UPDATE users SET password_hash = ?2, password_salt = ?3, \
                     password_iterations = ?4, updated_at = ?5, must_change_password = ?6 \
                     WHERE id = ?1",
                    &user_id,
                    &password.hash,
                    &password.salt,
                    &password.iterations,
                    &now,
                    &i64::from(must_change)
                )?,
                query!(
                    &self.db,
                    "UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
                    &user_id,
                    &now
                )?,
                // The account's own key and every account-and-address key of it.
                query!(
                    &self.db,
                    "DELETE FROM login_throttle WHERE key = ?1 \
                     OR substr(key, 1, length(?1) + 1) = ?1 || '|'",
                    &account_throttle_key
                )?,
            ])
            .await?;
        Ok(results.first().map(changed_rows).transpose()?.unwrap_or(0) == 1)
    }

    /// Stores a new session, and drops this user's sessions that have expired.
    pub async fn insert_session(&self, session: &NewSession) -> Result<(), ApiError> {
        self.db
            .batch(vec![
                query!(
                    &self.db,
                    "DELETE FROM sessions WHERE user_id = ?1 AND expires_at < ?2",
                    &session.user_id,
                    &session.created_at
                )?,
                query!(
                    &self.db,
                    "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) \
                     VALUES (?1, ?2, ?3, ?4)",
                    &session.token_hash,
                    &session.user_id,
                    &session.created_at,
                    &session.expires_at
                )?,
            ])
            .await?;
        Ok(())
    }

    pub async fn find_session(&self, token_hash: &str) -> Result<Option<SessionRecord>, ApiError> {
        let row: Option<SessionRow> = query!(
            &self.db,
            "SELECT u.id, u.name, u.login, u.roles, u.active, u.work_phone, u.created_at, \
             u.updated_at, s.expires_at, s.revoked_at \
             FROM sessions AS s JOIN users AS u ON u.id = s.user_id \
             WHERE s.token_hash = ?1",
            &token_hash
        )?
        .first(None)
        .await?;
        row.map(|row| {
            Ok(SessionRecord {
                expires_at: row.expires_at,
                revoked_at: row.revoked_at,
                user: UserRecord::try_from(user_row!(row))?,
            })
        })
        .transpose()
    }

    pub async fn revoke_session(&self, token_hash: &str, now: &str) -> Result<(), ApiError> {
        query!(
            &self.db,
            "UPDATE sessions SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL",
            &token_hash,
            &now
        )?
        .run()
        .await?;
        Ok(())
    }

    /// Counts one attempt against each key, in one transaction, and returns each key's state
    /// afterwards. Within a key's window (which started after `window_start`) or while it is
    /// locked the count goes up, otherwise it starts again at 1; a key reaching its limit gets
    /// its own lock (`lock_minutes` from now), and a lock is never shortened or extended by later attempts. Stale rows of
    /// other keys are dropped on the way so the table stays small.
    pub async fn count_attempt(
        &self,
        keys: &[ThrottleKey],
        now: DateTime<Utc>,
        window_start: &str,
    ) -> Result<Vec<ThrottleState>, ApiError> {
        let lock_end_of = |key: &ThrottleKey| timestamp(now + Duration::minutes(key.lock_minutes));
        let now = timestamp(now);
        let mut statements = vec![query!(
            &self.db,
            "DELETE FROM login_throttle WHERE first_failure_at <= ?1 \
             AND (locked_until IS NULL OR locked_until <= ?2)",
            &window_start,
            &now
        )?];
        for key in keys {
            let lock_end = lock_end_of(key);
            statements.push(query!(
                &self.db,
                "INSERT INTO login_throttle (key, failures, first_failure_at, locked_until) \
                 VALUES (?1, 1, ?2, CASE WHEN 1 >= ?4 THEN ?5 END) \
                 ON CONFLICT (key) DO UPDATE SET \
                   failures = CASE \
                     WHEN locked_until > ?2 OR first_failure_at > ?3 THEN failures + 1 \
                     ELSE 1 END, \
                   first_failure_at = CASE \
                     WHEN locked_until > ?2 OR first_failure_at > ?3 THEN first_failure_at \
                     ELSE ?2 END, \
                   locked_until = CASE \
                     WHEN locked_until > ?2 THEN locked_until \
                     WHEN (CASE WHEN first_failure_at > ?3 THEN failures + 1 ELSE 1 END) >= ?4 \
                       THEN ?5 \
                     ELSE NULL END \
                 RETURNING failures, locked_until",
                &key.key,
                &now,
                &window_start,
                &key.limit,
                &lock_end
            )?);
        }
        let results = self.db.batch(statements).await?;
        let mut states = Vec::with_capacity(keys.len());
        for (key, result) in keys.iter().zip(results.iter().skip(1)) {
            let rows: Vec<ThrottleRow> = result.results()?;
            let row = rows
                .into_iter()
                .next()
                .ok_or_else(|| ApiError::Database("the throttle upsert returned no row".into()))?;
            states.push(ThrottleState {
                over_limit: u32::try_from(row.failures).unwrap_or(u32::MAX) > key.limit,
                locked_until: row.locked_until,
            });
        }
        Ok(states)
    }

    /// Takes back an attempt that succeeded: account keys are deleted; address keys lose one
    /// count, their lock too if that brings them back under the limit, and their row when
    /// nothing is left.
    pub async fn forgive_attempt(&self, keys: &[ThrottleKey]) -> Result<(), ApiError> {
        let mut statements = Vec::with_capacity(keys.len() * 2);
        for key in keys {
            if key.cleared_by_success {
                statements.push(query!(
                    &self.db,
                    "DELETE FROM login_throttle WHERE key = ?1",
                    &key.key
                )?);
            } else {
                statements.push(query!(
                    &self.db,
                    "UPDATE login_throttle SET failures = MAX(failures - 1, 0), \
                     locked_until = CASE WHEN failures - 1 < ?2 THEN NULL ELSE locked_until END \
                     WHERE key = ?1",
                    &key.key,
                    &key.limit
                )?);
                statements.push(query!(
                    &self.db,
                    "DELETE FROM login_throttle \
                     WHERE key = ?1 AND failures = 0 AND locked_until IS NULL",
                    &key.key
                )?);
            }
        }
        if !statements.is_empty() {
            self.db.batch(statements).await?;
        }
        Ok(())
    }
}
