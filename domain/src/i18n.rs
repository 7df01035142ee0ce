use serde::{Deserialize, Serialize};

/// The two languages the product ships in; Chinese is the default because the users are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// A date as people read it in each language: 2026年12月15日, 2026-12-15 (ISO in English, as
/// chrono's Display writes it). The app's screens and the history's sentences share it.
pub fn date_text(date: chrono::NaiveDate, lang: Lang) -> String {
    use chrono::Datelike;
    match lang {
        Lang::Zh => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
        Lang::En => date.to_string(),
    }
}

/// A text that exists in every supported language, so no screen ever falls back to a raw id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Localized {
    pub zh: String,
    pub en: String,
}

impl Localized {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Localized {
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        lang.pick(&self.zh, &self.en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_the_default_language() {
        assert_eq!(Lang::default(), Lang::Zh);
    }

    #[test]
    fn a_localized_text_answers_in_the_requested_language() {
        let text = Localized::new("你好", "Hello");
        assert_eq!(text.get(Lang::Zh), "你好");
        assert_eq!(text.get(Lang::En), "Hello");
    }

    #[test]
    fn languages_serialize_as_short_codes() {
        assert_eq!(serde_json::to_string(&Lang::En).unwrap(), "\"en\"");
    }
}
