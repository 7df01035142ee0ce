//! Shared text hygiene: every free-text field goes through here so that trimming, length limits
//! and control-character rules are the same everywhere. Text is stored as typed (no escaping):
//! escaping belongs to whoever renders it.

use crate::error::DomainError;

/// How a field is named in messages, in both languages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

impl Field {
    pub const fn new(key: &'static str, zh: &'static str, en: &'static str) -> Self {
        Field { key, zh, en }
    }

    pub fn error(&self, zh: impl AsRef<str>, en: impl AsRef<str>) -> DomainError {
        DomainError::invalid(
            self.key,
            format!("{}{}", self.zh, zh.as_ref()),
            format!("{} {}", self.en, en.as_ref()),
        )
    }

    fn empty(&self) -> DomainError {
        self.error("不能为空", "is required")
    }

    fn too_long(&self, max: usize) -> DomainError {
        self.error(
            format!("最多 {max} 个字"),
            format!("must be at most {max} characters"),
        )
    }

    fn control_chars(&self) -> DomainError {
        self.error("包含无效的控制字符", "contains invalid control characters")
    }

    fn invisible(&self) -> DomainError {
        DomainError::InvisibleCharacters {
            field: self.key.to_string(),
            message: crate::Localized::new(
                format!(
                    "{}包含看不见或会改变文字方向的字符（零宽字符或双向控制符），请删除后重试",
                    self.zh
                ),
                format!(
                    "{} contains invisible or direction-changing characters (zero-width or bidi controls); remove them and try again",
                    self.en
                ),
            ),
        }
    }
}

/// Bidi embeddings, overrides and isolates, and the invisible direction marks: they reorder how
/// text is shown (U+202E before "gpj.exe" shows it as "exe.jpg"), so a name or a note could say something other
/// than what it holds. Refused in every text field, multi-line ones included.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// Characters that take no space: two names that differ only by them look identical (spoofing
/// a customer, a person or an order number). Refused in single-line fields; notes may hold them
/// (emoji sequences join with U+200D).
pub fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{180E}' | '\u{00AD}'
    )
}

/// Unicode's format characters (general category Cf): they take no space and draw nothing
/// (zero-width spaces and joiners, bidi controls, the byte-order mark, soft hyphens, tags).
/// A text made only of them and spaces looks empty, so it counts as empty.
pub fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// What a person sees of `text`: without its format characters and surrounding whitespace. Two
/// texts that differ only by invisible characters look the same, so uniqueness compares this.
pub fn visible(text: &str) -> String {
    text.chars()
        .filter(|c| !is_format(*c))
        .collect::<String>()
        .trim()
        .to_string()
}

/// The single-line rule for fields the domain does not own (account names, channel names):
/// `Err(InvisibleCharacters)` when `value` holds a bidi control or a zero-width character.
pub fn refuse_invisible_in_line(
    key: &'static str,
    zh: &'static str,
    en: &'static str,
    value: &str,
) -> Result<(), DomainError> {
    if value
        .chars()
        .any(|c| is_bidi_control(c) || is_zero_width(c))
    {
        return Err(Field::new(key, zh, en).invisible());
    }
    Ok(())
}

/// A required single-line text: trimmed, 1..=max characters, no control characters.
pub(crate) fn single_line(field: Field, value: &str, max: usize) -> Result<String, DomainError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(field.empty());
    }
    if trimmed.chars().count() > max {
        return Err(field.too_long(max));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(field.control_chars());
    }
    if trimmed
        .chars()
        .any(|c| is_bidi_control(c) || is_zero_width(c))
    {
        return Err(field.invisible());
    }
    Ok(trimmed.to_string())
}

/// An optional single-line text where blank means "not given" (forms send empty strings).
pub(crate) fn optional_line(
    field: Field,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, DomainError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => single_line(field, v, max).map(Some),
    }
}

/// A required multi-line text. Line endings are normalised to `\n` so the same note typed on
/// Windows and on a phone is stored identically; every other control character is refused.
pub(crate) fn multi_line(field: Field, value: &str, max: usize) -> Result<String, DomainError> {
    let normalized = value.replace("\r\n", "\n").replace('\r', "\n");
    let trimmed = normalized.trim();
    if trimmed.is_empty() {
        return Err(field.empty());
    }
    if trimmed.chars().count() > max {
        return Err(field.too_long(max));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n') {
        return Err(field.control_chars());
    }
    if trimmed.chars().any(is_bidi_control) {
        return Err(field.invisible());
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: Field = Field::new("name", "名称", "Name");

    #[test]
    fn single_line_text_is_trimmed() {
        assert_eq!(single_line(NAME, "  王芳 ", 10).unwrap(), "王芳");
    }

    #[test]
    fn blank_required_text_is_rejected_with_the_field_name() {
        let err = single_line(NAME, " \t ", 10).unwrap_err();
        assert!(matches!(err, DomainError::Invalid { ref field, .. } if field == "name"));
        assert_eq!(err.message(crate::Lang::Zh), "名称不能为空");
    }

    #[test]
    fn length_limits_count_characters_not_bytes() {
        assert!(single_line(NAME, "中文中文中", 5).is_ok());
        assert!(single_line(NAME, "中文中文中文", 5).is_err());
    }

    #[test]
    fn html_and_sql_look_alikes_are_stored_verbatim() {
        let text = "<script>alert(1)</script> ' OR 1=1 --";
        assert_eq!(single_line(NAME, text, 100).unwrap(), text);
    }

    #[test]
    fn multi_line_text_keeps_newlines_but_refuses_other_control_characters() {
        assert_eq!(multi_line(NAME, "a\r\nb\n", 10).unwrap(), "a\nb");
        assert!(multi_line(NAME, "a\u{0007}b", 10).is_err());
    }

    #[test]
    fn blank_optional_text_means_absent() {
        assert_eq!(optional_line(NAME, Some("  "), 10).unwrap(), None);
    }
}
