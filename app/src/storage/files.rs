//! Photos and files added on this device, and their upload queue: the `files` store (v7).
//!
//! A file is written with the change that adds its attachment (`save_change_with_files`), so it
//! is on disk before the attachment is shown; it keeps the `waiting` field until the server
//! has it. The queue is the `waiting` index, so uploads resume after a reload or a crash.
//! Uploaded files stay as the device's own copy (shown offline), and go with the database.

use domain::FileType;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use js_sys::{Object, Reflect, Uint8Array};
use uuid::Uuid;
use wasm_bindgen::{JsCast, JsValue};

use super::records::{SHA256, WAITING};
use super::{commit, schema::FILES, Storage, StorageError};

const ORDER_ID: &str = "order_id";
const FILE_TYPE: &str = "file_type";
const BYTES: &str = "bytes";

/// The bytes of one file added here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    pub sha256: String,
    pub order_id: Uuid,
    pub file_type: FileType,
    pub bytes: Vec<u8>,
}

/// A stored file and whether it still waits for upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLocalFile {
    pub file: LocalFile,
    pub waiting: bool,
}

fn set(object: &Object, key: &str, value: &JsValue) -> Result<(), StorageError> {
    Reflect::set(object, &JsValue::from_str(key), value)
        .map(|_| ())
        .map_err(|e| StorageError::from_js(&e))
}

fn get(record: &JsValue, key: &str) -> JsValue {
    Reflect::get(record, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

impl LocalFile {
    /// The record, waiting for upload. The bytes are stored as a `Uint8Array` (structured
    /// clone), not JSON: a photo is a megabyte.
    pub(crate) fn record(&self) -> Result<JsValue, StorageError> {
        let object = Object::new();
        set(&object, SHA256, &JsValue::from_str(&self.sha256))?;
        set(
            &object,
            ORDER_ID,
            &JsValue::from_str(&self.order_id.to_string()),
        )?;
        let file_type = serde_json::to_string(&self.file_type)
            .map_err(|e| StorageError::Other(e.to_string()))?;
        set(&object, FILE_TYPE, &JsValue::from_str(&file_type))?;
        set(
            &object,
            BYTES,
            &Uint8Array::from(self.bytes.as_slice()).into(),
        )?;
        set(&object, WAITING, &JsValue::from_f64(1.0))?;
        Ok(object.into())
    }

    fn decode(record: &JsValue) -> Result<StoredLocalFile, StorageError> {
        let text = |key: &str| {
            get(record, key)
                .as_string()
                .ok_or_else(|| StorageError::Other(format!("file record without {key}")))
        };
        let order_id = text(ORDER_ID)?
            .parse()
            .map_err(|_| StorageError::Other("file record with a bad order id".into()))?;
        let file_type = serde_json::from_str(&text(FILE_TYPE)?)
            .map_err(|e| StorageError::Other(e.to_string()))?;
        let bytes = get(record, BYTES);
        if !bytes.is_instance_of::<Uint8Array>() {
            return Err(StorageError::Other("file record without bytes".into()));
        }
        Ok(StoredLocalFile {
            file: LocalFile {
                sha256: text(SHA256)?,
                order_id,
                file_type,
                bytes: Uint8Array::from(bytes).to_vec(),
            },
            waiting: !get(record, WAITING).is_undefined(),
        })
    }
}

impl Storage {
    /// The hashes of the files waiting for upload.
    pub async fn waiting_files(&self) -> Result<Vec<String>, StorageError> {
        let tx = self.transaction([FILES], TransactionMode::Readonly)?;
        let store = tx.object_store(FILES)?;
        let keys = store.index(WAITING)?.get_all_keys::<JsValue>().await?;
        keys.map(|key| {
            key?.as_string()
                .ok_or_else(|| StorageError::Other("file key is not text".into()))
        })
        .collect()
    }

    pub async fn local_file(&self, sha256: &str) -> Result<Option<StoredLocalFile>, StorageError> {
        let tx = self.transaction([FILES], TransactionMode::Readonly)?;
        let store = tx.object_store(FILES)?;
        match store.get::<JsValue, _, _>(sha256).await? {
            Some(record) => LocalFile::decode(&record).map(Some),
            None => Ok(None),
        }
    }

    /// Takes a file off the queue (uploaded, or the server holds it already).
    pub async fn mark_uploaded(&self, sha256: &str) -> Result<(), StorageError> {
        let tx = self.transaction([FILES], TransactionMode::Readwrite)?;
        {
            let store = tx.object_store(FILES)?;
            if let Some(record) = store.get::<JsValue, _, _>(sha256).await? {
                Reflect::delete_property(
                    record.unchecked_ref::<Object>(),
                    &JsValue::from_str(WAITING),
                )
                .map_err(|e| StorageError::from_js(&e))?;
                store.put(record).await?;
            }
        }
        commit(tx).await
    }
}
