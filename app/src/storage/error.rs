//! `StorageError`, its plain-language messages, and the ONE place where browser errors
//! (DOMException names, `indexed_db_futures` errors, missing APIs) are mapped onto it.

use domain::Lang;
use indexed_db_futures::error::{Error as IdbError, OpenDbError, UnexpectedDataError};
use wasm_bindgen::{JsCast, JsValue};

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
        let (zh, en) = match self {
            StorageError::Unavailable(_) => (
                "这台设备暂时无法使用本机存储（可能是无痕/隐私模式、浏览器禁止了网站存储，或应用刚在另一个标签页更新）。刚才的修改没有保存。请刷新页面；仍不行请用普通模式打开或在浏览器设置中允许网站存储。",
                "On-device storage is not available right now (private browsing, site storage turned off, or the app was just updated in another tab). Your last change was NOT saved. Reload the page; if that does not help, use a normal window or allow site storage in the browser settings.",
            ),
            StorageError::Blocked => (
                "应用需要更新本机数据，但另一个打开的跟单标签页还在使用旧版本。请关闭其他跟单标签页后刷新本页。没有保存任何修改，之前保存的数据不受影响。",
                "The app needs to update its on-device data, but another open 跟单 tab still uses the old version. Close the other 跟单 tabs and reload this page. Nothing new was saved; earlier data is safe.",
            ),
            StorageError::QuotaExceeded => (
                "手机存储空间不足，无法保存。请清理空间后重试；刚才的修改没有保存。",
                "This device is out of storage space for the app. Free up some space and try again; your last change was NOT saved.",
            ),
            StorageError::Corrupt(_) => (
                "本机保存的数据中有一条无法读取（可能已损坏）。刚才的操作没有完成，也没有保存任何修改。请联系管理员。",
                "A record stored on this device could not be read (it may be damaged). The action did not complete and nothing was saved. Please contact your administrator.",
            ),
            StorageError::Other(detail) if detail.starts_with("ConstraintError") => (
                "本机数据有冲突（例如订单号与本机另一张订单重复）。刚才的修改没有保存；请检查订单号后重试。",
                "This conflicts with data already on the device (for example, another order here has the same order number). Your last change was NOT saved; check the order number and try again.",
            ),
            StorageError::Other(detail) if detail.starts_with("VersionError") => (
                "本机数据是由更新版本的跟单保存的。请刷新页面以使用最新版本；没有保存任何修改，数据没有被改动。",
                "The data on this device was saved by a newer version of 跟单. Reload the page to get the latest version; nothing was saved or changed.",
            ),
            StorageError::Other(_) => (
                "本机存储出错，刚才的操作没有完成，也没有保存任何修改。请重试；如果一直出现，请重新打开应用。",
                "Something went wrong with on-device storage. The action did not complete and nothing was saved. Try again; if it keeps happening, reopen the app.",
            ),
        };
        lang.pick(zh, en).to_string()
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
