//! The upload queue of photos and files added on this device: after each successful push (the
//! attachment is then on the server), every waiting file of an order with no unsynced change
//! is sent once, keyed by its hash; a failure waits `domain::attachment::upload_retry_delay_ms`
//! before that file is tried again. The queue itself is in IndexedDB (`storage::files`), so a
//! reload or a crash mid-upload resumes where it stopped; the server stores the same bytes once
//! whatever happens in between.

use std::collections::HashMap;

use domain::attachment::{fits_in_quota, upload_retry_delay_ms, UploadState};
use domain::{AttachmentKind, Lang, Mutation, NewAttachment, Order};
use leptos::prelude::*;
use uuid::Uuid;

use super::{AppState, ChangeError};
use crate::api;
use crate::photo::Prepared;
use crate::storage::files::{LocalFile, StoredLocalFile};
use crate::storage::{storage_report, Storage, StorageError};

/// What the order page and the settings say about uploads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UploadStatus {
    /// Each waiting file that was tried, by hash (absent: not tried yet).
    pub files: HashMap<String, FileUpload>,
    /// Why the last try failed (retried by itself), in both languages.
    pub problem: Option<(String, String)>,
}

/// One file's try: under way, or failed and waiting for its next one.
#[derive(Debug, Clone, PartialEq)]
pub enum FileUpload {
    Sending { sent: u64, total: u64 },
    Failed { failures: u32, next_try_ms: f64 },
}

impl UploadStatus {
    /// Where file `sha256` stands at `now_ms` (a waiting file nobody tried yet is `Waiting`).
    pub fn state(&self, sha256: &str, now_ms: f64) -> UploadState {
        match self.files.get(sha256) {
            None => UploadState::Waiting,
            Some(FileUpload::Sending { sent, total }) => UploadState::Sending {
                sent: *sent,
                total: *total,
            },
            Some(FileUpload::Failed {
                failures,
                next_try_ms,
            }) => UploadState::Retrying {
                failures: *failures,
                retry_in_ms: (next_try_ms - now_ms).max(0.0) as u64,
            },
        }
    }

    pub fn problem(&self, lang: Lang) -> Option<&str> {
        self.problem.as_ref().map(|(zh, en)| match lang {
            Lang::Zh => zh.as_str(),
            Lang::En => en.as_str(),
        })
    }
}

/// The device is too full for the file: said before anything is stored.
fn device_full() -> ChangeError {
    ChangeError::Storage(StorageError::QuotaExceeded)
}

impl AppState {
    /// Adds `prepared` to order `order_id` as `kind`: checks the device has room, then commits
    /// the attachment with its bytes (shown at once, marked 未上传 until uploaded).
    pub async fn add_attachment(
        &self,
        order_id: Uuid,
        kind: AttachmentKind,
        prepared: Prepared,
    ) -> Result<Order, ChangeError> {
        let needed =
            prepared.file.bytes.len() + prepared.thumbnail.as_ref().map_or(0, |t| t.bytes.len());
        if let Some(report) = storage_report().await {
            if fits_in_quota(report.usage_bytes, report.quota_bytes, needed) == Some(false) {
                return Err(device_full());
            }
        }
        let local = |file: &crate::photo::PreparedFile| LocalFile {
            sha256: file.reference.sha256.clone(),
            order_id,
            file_type: file.reference.file_type,
            bytes: file.bytes.clone(),
        };
        let mut files = vec![local(&prepared.file)];
        files.extend(prepared.thumbnail.as_ref().map(local));
        let mutation = Mutation::AddAttachment {
            order_id,
            attachment: NewAttachment {
                id: Uuid::new_v4(),
                kind,
                file: prepared.file.reference,
                thumbnail: prepared.thumbnail.map(|t| t.reference),
            },
        };
        self.commit_with_files(mutation, files).await
    }

    /// This device's copy of a file, if it has one.
    pub async fn local_file(&self, sha256: &str) -> Option<StoredLocalFile> {
        let storage = self.storage.get_value()?;
        storage.local_file(sha256).await.ok().flatten()
    }

    /// Sends every waiting file that is due; never fails the sync (a file that cannot go now
    /// is tried again later, and the status says why).
    pub(super) async fn upload_waiting(&self, storage: &Storage, token: &str) {
        let Ok(waiting) = storage.waiting_files().await else {
            return;
        };
        self.waiting_files.set(waiting.iter().cloned().collect());
        let now = js_sys::Date::now();
        for sha256 in waiting {
            let due = self
                .upload_failures
                .with_value(|failures| failures.get(&sha256).is_none_or(|(_, next)| *next <= now));
            if !due {
                continue;
            }
            let Ok(Some(stored)) = storage.local_file(&sha256).await else {
                continue;
            };
            let order_id = stored.file.order_id;
            // The change adding it is not on the server yet: it goes with the next push.
            if self.unsynced.with_untracked(|ids| ids.contains(&order_id)) {
                continue;
            }
            // Refused by the server (the same photo from another phone) or removed since:
            // nothing names these bytes any more, so there is nothing to send.
            let named = storage
                .get_order(order_id)
                .await
                .ok()
                .flatten()
                .is_some_and(|order| {
                    order
                        .attachments
                        .iter()
                        .any(|a| a.is_live() && a.holds(&sha256))
                });
            if !named {
                let _ = storage.mark_uploaded(&sha256).await;
                self.forget_waiting(&sha256);
                continue;
            }
            let total = stored.file.bytes.len() as u64;
            self.set_file_upload(&sha256, FileUpload::Sending { sent: 0, total });
            let outcome = api::upload_file(token, order_id, &sha256, &stored.file.bytes, {
                let (state, sha256) = (*self, sha256.clone());
                move |sent, total| {
                    state.set_file_upload(&sha256, FileUpload::Sending { sent, total })
                }
            })
            .await;
            match outcome {
                Ok(_) => {
                    if storage.mark_uploaded(&sha256).await.is_ok() {
                        self.forget_waiting(&sha256);
                    }
                    self.uploads.update(|status| status.problem = None);
                }
                Err(error) => {
                    let failures = self
                        .upload_failures
                        .with_value(|f| f.get(&sha256).map_or(0, |(n, _)| *n))
                        + 1;
                    let delay = upload_retry_delay_ms(failures);
                    let next = js_sys::Date::now() + delay as f64;
                    self.upload_failures.update_value(|f| {
                        f.insert(sha256.clone(), (failures, next));
                    });
                    self.set_file_upload(
                        &sha256,
                        FileUpload::Failed {
                            failures,
                            next_try_ms: next,
                        },
                    );
                    self.uploads.update(|status| {
                        status.problem = Some((error.message(Lang::Zh), error.message(Lang::En)));
                    });
                    // The next try comes by itself when it is due, not only with the next
                    // minute's sync.
                    let state = *self;
                    leptos::task::spawn_local(async move {
                        super::sync::sleep(delay as f64).await;
                        state.request_sync();
                    });
                    if matches!(error, api::ApiError::Network) {
                        return;
                    }
                }
            }
        }
    }

    /// Photos and files added on this device and not uploaded yet, counted as people count
    /// them: a photo and its thumbnail are one photo. What 退出并清除本机数据 warns about.
    pub async fn unuploaded_attachments(&self) -> usize {
        let Some(storage) = self.storage.get_value() else {
            return 0;
        };
        let waiting = self.waiting_files.get_untracked();
        let mut orders = std::collections::BTreeSet::new();
        for sha256 in &waiting {
            if let Ok(Some(stored)) = storage.local_file(sha256).await {
                orders.insert(stored.file.order_id);
            }
        }
        let mut count = 0;
        for order_id in orders {
            if let Ok(Some(order)) = storage.get_order(order_id).await {
                count += order
                    .attachments
                    .iter()
                    .filter(|a| a.is_live() && waiting.iter().any(|sha256| a.holds(sha256)))
                    .count();
            }
        }
        count
    }

    fn set_file_upload(&self, sha256: &str, upload: FileUpload) {
        self.uploads.update(|status| {
            status.files.insert(sha256.to_string(), upload);
        });
    }

    fn forget_waiting(&self, sha256: &str) {
        self.waiting_files.update(|waiting| {
            waiting.remove(sha256);
        });
        self.uploads.update(|status| {
            status.files.remove(sha256);
        });
        self.upload_failures.update_value(|f| {
            f.remove(sha256);
        });
    }
}
