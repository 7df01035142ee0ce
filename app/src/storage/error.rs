//! `StorageError`, its plain-language messages, and the ONE place where browser errors
//! (DOMException names, `indexed_db_futures` errors, missing APIs) are mapped onto it.

use domain::Lang;
use indexed_db_futures::error::{Error as IdbError, OpenDbError, UnexpectedDataError};
use wasm_bindgen::{JsCast, JsValue};

use crate::{i18n::td_string, locale::locale_of};

/// Everything that can go wrong with the on-device store. Every `Storage` call is atomic: when
/// one returns an error, that call changed nothing on the device.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StorageError {
    /// No usable IndexedDB: missing, disabled, private mode, or our connection was closed
    /// because another tab is upgrading/deleting the database.
    #[error("on-device storage unavailable: {0}")]
    Unavailable(String),
    /// The schema upgrade waits for another open tab that still uses an older version.
    #[error("database upgrade blocked by another open tab")]
    Blocked,
    /// The browser refused the write: this site is out of storage space.
    #[error("storage quota exceeded")]
    QuotaExceeded,
    /// A stored record could not be decoded.
    #[error("stored record could not be decoded: {0}")]
    Corrupt(String),
    /// Anything else; the text starts with the DOMException name when there is one
    /// (e.g. `ConstraintError: …`).
    #[error("storage error: {0}")]
    Other(String),
}

impl StorageError {
    /// What to tell the person, in plain words. Each message says whether anything was saved:
    /// a failed call never stores part of a change, so the answer is always "not saved".
    pub fn message(&self, lang: Lang) -> String {
        let locale = locale_of(lang);
        match self {
            StorageError::Unavailable(_) => td_string!(locale, storage_unavailable),
            StorageError::Blocked => td_string!(locale, storage_blocked),
            StorageError::QuotaExceeded => td_string!(locale, storage_quota),
            StorageError::Corrupt(_) => td_string!(locale, storage_corrupt),
            StorageError::Other(detail) if detail.starts_with("ConstraintError") => {
                td_string!(locale, storage_constraint)
            }
            StorageError::Other(detail) if detail.starts_with("VersionError") => {
                td_string!(locale, storage_version)
            }
            StorageError::Other(_) => td_string!(locale, storage_other),
        }
        .to_string()
    }

    /// THE mapping from a browser error name (DOMException `name`) to a `StorageError`.
    /// Every other conversion in this module ends here.
    pub(crate) fn from_name(name: &str, detail: &str) -> StorageError {
        match name {
            "QuotaExceededError" => StorageError::QuotaExceeded,
            // Firefox private mode and closed connections throw InvalidStateError, Safari
            // "UnknownError" when its store is broken; SecurityError when storage is disabled.
            "InvalidStateError" | "UnknownError" | "SecurityError" | "NotAllowedError"
            | "MissingIndexedDb" => StorageError::Unavailable(format!("{name}: {detail}")),
            // Our own decoding failures (JSON of a stored record, wrong field types).
            "Decode" => StorageError::Corrupt(detail.to_string()),
            "Blocked" => StorageError::Blocked,
            "" => StorageError::Other(detail.to_string()),
            _ => StorageError::Other(format!("{name}: {detail}")),
        }
    }

    /// A thrown JS value (DOMException, Error or anything else).
    pub(crate) fn from_js(value: &JsValue) -> StorageError {
        let text = |key: &str| {
            js_sys::Reflect::get(value, &JsValue::from_str(key))
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default()
        };
        if let Some(error) = value.dyn_ref::<js_sys::Error>() {
            return Self::from_name(&String::from(error.name()), &String::from(error.message()));
        }
        let (name, message) = (text("name"), text("message"));
        if name.is_empty() && message.is_empty() {
            return Self::from_name("", &format!("{value:?}"));
        }
        Self::from_name(&name, &message)
    }

    pub(crate) fn corrupt(detail: impl Into<String>) -> StorageError {
        Self::from_name("Decode", &detail.into())
    }
}

impl From<IdbError> for StorageError {
    fn from(error: IdbError) -> Self {
        match error {
            IdbError::DomException(e) => StorageError::from_js(&JsValue::from(e)),
            IdbError::Unknown(e) => StorageError::from_js(&JsValue::from(e)),
            IdbError::Serialisation(e) => StorageError::from_name("Decode", &e.to_string()),
            IdbError::MissingData(UnexpectedDataError::TransactionAborted) => {
                StorageError::from_name("AbortError", "the transaction was aborted")
            }
            IdbError::MissingData(e) => StorageError::from_name("", &e.to_string()),
        }
    }
}

impl From<OpenDbError> for StorageError {
    fn from(error: OpenDbError) -> Self {
        match error {
            OpenDbError::Base(e) => e.into(),
            // The crate reports every exception thrown by `indexedDB.open()` as VersionZero
            // (our versions are never 0): Firefox private mode, disabled storage, …
            OpenDbError::VersionZero => {
                StorageError::from_name("MissingIndexedDb", "indexedDB.open() threw")
            }
            OpenDbError::NullFactory | OpenDbError::UnsupportedEnvironment => {
                StorageError::from_name("MissingIndexedDb", &error.to_string())
            }
        }
    }
}

impl From<serde_json::Error> for StorageError {
    fn from(error: serde_json::Error) -> Self {
        StorageError::corrupt(error.to_string())
    }
}
