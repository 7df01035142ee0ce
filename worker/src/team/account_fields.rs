//! Team accounts: the rules for what an account may contain, and the one shape in which an
//! account leaves the worker (`user_view`, never with its password hash or salt).
//!
//! A login is an email address or a phone number. Phone numbers are stored and matched without
//! their spaces and dashes, so `138 0000 0000`, `138-0000-0000` and `13800000000` are the same
//! login; emails are matched without regard to letter case (the column is `COLLATE NOCASE`).

use domain::{wire::User, DomainError, Role};

use crate::repository::UserRecord;

pub const MAX_NAME_CHARS: usize = 50;
pub const MAX_LOGIN_CHARS: usize = 254;
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;
const MIN_PHONE_CHARS: usize = 5;
const MAX_PHONE_CHARS: usize = 20;

/// How an account leaves the worker: the wire's `User`, never with password material.
pub fn user_view(user: UserRecord) -> User {
    User {
        id: user.id,
        name: user.name,
        login: user.login,
        roles: user.roles,
        active: user.active,
        work_phone: user.work_phone,
        created_at: user.created_at,
        updated_at: user.updated_at,
    }
}

fn invalid(field: &str, zh: &str, en: &str) -> DomainError {
    DomainError::invalid(field, zh, en)
}

/// A person's display name: trimmed, 1..=50 characters, one line.
pub fn name(value: &str) -> Result<String, DomainError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(invalid("name", "请填写姓名", "Name is required"));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(
            "name",
            "姓名最多 50 个字",
            "Name must be at most 50 characters",
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            "姓名包含无效的控制字符",
            "Name contains invalid control characters",
        ));
    }
    domain::text::refuse_invisible_in_line("name", "姓名", "Name", trimmed)?;
    Ok(trimmed.to_string())
}

fn looks_like_phone(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '))
}

/// A phone number as typed (trimmed), if it is one: 5..=20 characters of digits, spaces, dashes
/// and one leading `+`, with at least 5 digits.
fn phone(text: &str) -> Option<&str> {
    let text = text.trim();
    let chars = text.chars().count();
    let digits = text.chars().filter(char::is_ascii_digit).count();
    (looks_like_phone(text)
        && (MIN_PHONE_CHARS..=MAX_PHONE_CHARS).contains(&chars)
        && digits >= MIN_PHONE_CHARS
        && !text.chars().skip(1).any(|c| c == '+'))
    .then_some(text)
}

fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let labels_ok = domain
        .split('.')
        .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
    text.chars().count() <= MAX_LOGIN_CHARS
        && !local.is_empty()
        && local.chars().count() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && labels_ok
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ','))
}

/// The form a login is stored and looked up in: phone numbers without spaces and dashes, emails
/// trimmed. Used for what people type at sign-in too, so both sides agree.
pub fn normalize_login(value: &str) -> String {
    let trimmed = value.trim();
    if looks_like_phone(trimmed) {
        trimmed
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect()
    } else {
        trimmed.to_string()
    }
}

/// A login for a new account: an email address or a phone number, normalized.
pub fn login(value: &str) -> Result<String, DomainError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(invalid(
            "login",
            "请填写登录账号（手机号或邮箱）",
            "Login is required (a phone number or an email address)",
        ));
    }
    if phone(trimmed).is_some() || is_email(trimmed) {
        Ok(normalize_login(trimmed))
    } else {
        Err(invalid(
            "login",
            "登录账号必须是手机号（5–20 位数字）或邮箱地址",
            "Login must be a phone number (5–20 digits) or an email address",
        ))
    }
}

/// A new password: 8..=128 characters, kept exactly as typed (no trimming).
pub fn new_password(value: &str) -> Result<(), DomainError> {
    let chars = value.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(invalid(
            "password",
            "密码至少 8 个字符",
            "Password must be at least 8 characters",
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(invalid(
            "password",
            "密码最多 128 个字符",
            "Password must be at most 128 characters",
        ));
    }
    Ok(())
}

/// Roles for an account: at least one, each a known role id; duplicates are dropped and the
/// order is the canonical one of `Role::ALL`.
pub fn roles(values: &[String]) -> Result<Vec<Role>, DomainError> {
    if values.is_empty() {
        return Err(invalid(
            "roles",
            "请至少选择一个角色",
            "Choose at least one role",
        ));
    }
    let mut roles = Vec::with_capacity(values.len());
    for value in values {
        let role = Role::parse(value.trim()).ok_or_else(|| {
            let shown: String = value.chars().take(30).collect();
            DomainError::invalid(
                "roles",
                format!("未知角色：{shown}"),
                format!("Unknown role: {shown}"),
            )
        })?;
        roles.push(role);
    }
    roles.sort();
    roles.dedup();
    Ok(roles)
}

/// An optional work phone shown to customers: blank means none.
pub fn work_phone(value: Option<&str>) -> Result<Option<String>, DomainError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => phone(text).map(|p| Some(p.to_string())).ok_or_else(|| {
            invalid(
                "work_phone",
                "工作电话必须是 5–20 位数字（可含空格、- 和开头的 +）",
                "Work phone must be 5–20 digits (spaces, dashes and a leading + allowed)",
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_refuse_bidi_controls_and_zero_width_characters() {
        for hidden in ["王\u{202E}芳", "王\u{200B}芳", "\u{2066}王芳"] {
            let error = name(hidden).unwrap_err();
            assert_eq!(error.code(), "invisible_characters");
            assert_eq!(error.field(), Some("name"));
        }
        assert_eq!(name(" 王芳 ").unwrap(), "王芳");
    }

    #[test]
    fn phone_logins_are_stored_without_spaces_and_dashes() {
        assert_eq!(login(" 138 0000-0000 ").unwrap(), "13800000000");
        assert_eq!(login("+86 138 0000 0000").unwrap(), "+8613800000000");
        assert_eq!(normalize_login("138-0000-0000"), "13800000000");
    }

    #[test]
    fn emails_are_accepted_and_kept_as_typed() {
        assert_eq!(
            login(" Wang.Fang@Example.com ").unwrap(),
            "Wang.Fang@Example.com"
        );
        assert_eq!(normalize_login(" Wang@Example.com "), "Wang@Example.com");
    }

    #[test]
    fn logins_that_are_neither_phone_nor_email_are_refused() {
        for bad in [
            "",
            "1234",
            "wangfang",
            "a@b",
            "@example.com",
            "x@@example.com",
            "a b@example.com",
            "1+2345678",
            "123456789012345678901",
            "' OR 1=1 --",
        ] {
            assert!(login(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn roles_must_be_known_and_are_deduplicated() {
        let ok = roles(&["sales".into(), "admin".into(), "sales".into()]).unwrap();
        assert_eq!(ok, vec![Role::Admin, Role::Sales]);
        assert!(roles(&[]).is_err());
        assert!(roles(&["boss".into()]).is_err());
    }

    #[test]
    fn passwords_are_8_to_128_characters_counted_as_characters() {
        assert!(new_password("1234567").is_err());
        assert!(new_password("12345678").is_ok());
        assert!(new_password(&"密".repeat(128)).is_ok());
        assert!(new_password(&"x".repeat(129)).is_err());
    }

    #[test]
    fn names_are_trimmed_and_limited_to_50_characters() {
        assert_eq!(name("  王芳 ").unwrap(), "王芳");
        assert!(name("   ").is_err());
        assert!(name(&"王".repeat(51)).is_err());
        assert!(name("a\u{0}b").is_err());
    }
}
