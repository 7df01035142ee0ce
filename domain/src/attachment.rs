//! Photos and files on orders (签收单, 合同, 发票, 质检照片): what an attachment is, which files
//! are accepted, and the checks both halves run on the bytes.
//!
//! The order document holds only the attachment's record (kind, who, when, the stage, and the
//! SHA-256 of the file and its thumbnail); the bytes travel apart (the phone's own IndexedDB
//! store, then the worker's R2 bucket under the hash). Keying the bytes by their hash is what
//! makes an upload exactly once: uploading the same bytes again stores nothing new.
//!
//! Files are judged by their bytes, never by a name or a declared type: only JPEG, PNG, WebP
//! and PDF are accepted, complete (a cut-off upload is refused, not stored), non-empty and
//! within `MAX_FILE_BYTES`. SVG and HTML are refused because they can carry script.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::attachment_kind::AttachmentKind;
use crate::error::DomainError;
use crate::i18n::{Lang, Localized};
use crate::staff::StaffRef;
use crate::stage::StageId;

/// The largest file accepted (a PDF; photos are downscaled on the phone to far less).
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Attachments one order may hold (removed ones count: their record stays in the history;
/// purged ones do not, so an admin frees a slot by purging).
pub const MAX_ATTACHMENTS: usize = 60;
/// Attachments one person may hold on one order, counted like [`MAX_ATTACHMENTS`]: well under
/// it, so no single member (or a stolen phone) can use up an order's slots with records whose
/// file never arrives and so block the 签收单 a stage needs.
pub const MAX_ATTACHMENTS_PER_PERSON: usize = 20;

/// The file types accepted, told by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    Jpeg,
    Png,
    Webp,
    Pdf,
}

impl FileType {
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Webp => "image/webp",
            FileType::Pdf => "application/pdf",
        }
    }

    pub fn is_image(self) -> bool {
        self != FileType::Pdf
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
            FileType::Webp => "webp",
            FileType::Pdf => "pdf",
        }
    }
}

/// One stored file: its hash (lower-case hex SHA-256, the storage key), type and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub sha256: String,
    pub file_type: FileType,
    pub size: u64,
}

impl FileRef {
    fn validated(&self, field: &str) -> Result<FileRef, DomainError> {
        if !is_sha256_hex(&self.sha256) {
            return Err(DomainError::invalid(
                field,
                "文件校验值格式不正确",
                "The file's hash is malformed",
            ));
        }
        if self.size == 0 || self.size > MAX_FILE_BYTES as u64 {
            return Err(DomainError::invalid(
                field,
                format!("文件大小必须在 1 字节到 {} MB 之间", MAX_FILE_BYTES >> 20),
                format!(
                    "The file must be between 1 byte and {} MB",
                    MAX_FILE_BYTES >> 20
                ),
            ));
        }
        Ok(self.clone())
    }
}

/// `true` for 64 lower-case hex digits: the only form a storage key may take.
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// What a phone proposes in `Mutation::AddAttachment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAttachment {
    pub id: Uuid,
    pub kind: AttachmentKind,
    pub file: FileRef,
    /// A small JPEG for lists (images only; a PDF has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<FileRef>,
}

/// An attachment on record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: Uuid,
    pub kind: AttachmentKind,
    pub file: FileRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<FileRef>,
    /// The stage the order was in when it was added.
    pub stage: StageId,
    pub by: StaffRef,
    pub at: DateTime<Utc>,
    /// Removed attachments are hidden, not forgotten: the record and its history stay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<Removal>,
    /// An admin deleted the bytes for good (a photo with personal data taken by mistake).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub purged: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removal {
    pub by: StaffRef,
    pub at: DateTime<Utc>,
}

impl Attachment {
    pub fn is_live(&self) -> bool {
        self.removed.is_none()
    }

    /// Whether `sha256` is this attachment's file or thumbnail.
    pub fn holds(&self, sha256: &str) -> bool {
        self.file.sha256 == sha256
            || self
                .thumbnail
                .as_ref()
                .is_some_and(|thumb| thumb.sha256 == sha256)
    }

    /// The file ref behind `sha256`, if this attachment holds it.
    pub fn file_for(&self, sha256: &str) -> Option<&FileRef> {
        if self.file.sha256 == sha256 {
            return Some(&self.file);
        }
        self.thumbnail
            .as_ref()
            .filter(|thumb| thumb.sha256 == sha256)
    }
}

impl NewAttachment {
    pub(crate) fn validated(&self) -> Result<NewAttachment, DomainError> {
        let file = self.file.validated("file")?;
        let thumbnail = match &self.thumbnail {
            Some(thumb) => {
                let thumb = thumb.validated("thumbnail")?;
                if !thumb.file_type.is_image() {
                    return Err(DomainError::invalid(
                        "thumbnail",
                        "缩略图必须是图片",
                        "The thumbnail must be an image",
                    ));
                }
                Some(thumb)
            }
            None => None,
        };
        Ok(NewAttachment {
            id: self.id,
            kind: self.kind,
            file,
            thumbnail,
        })
    }
}

/// Photos are downscaled on the phone to at most this many pixels on the long side.
pub const PHOTO_LONG_SIDE: u32 = 2048;
/// Thumbnails: this many pixels on the long side.
pub const THUMBNAIL_LONG_SIDE: u32 = 320;
/// JPEG quality of downscaled photos (the browser's 0–1 scale); thumbnails use a little less.
pub const PHOTO_QUALITY: f64 = 0.8;
pub const THUMBNAIL_QUALITY: f64 = 0.7;

/// The size a `width` × `height` picture is drawn at so its long side is at most `long_side`,
/// keeping the aspect ratio; never enlarged, never below 1 px.
pub fn scaled_size(width: u32, height: u32, long_side: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= long_side || long == 0 {
        return (width.max(1), height.max(1));
    }
    let scale = |side: u32| {
        ((u64::from(side) * u64::from(long_side) + u64::from(long) / 2) / u64::from(long)).max(1)
            as u32
    };
    (scale(width), scale(height))
}

/// How long the upload queue waits before trying a file again after `failures` failed tries:
/// 2 s doubling to at most 5 minutes, so a phone in a dead zone does not drain its battery.
pub fn upload_retry_delay_ms(failures: u32) -> u64 {
    const FIRST_MS: u64 = 2_000;
    const MAX_MS: u64 = 5 * 60_000;
    FIRST_MS
        .saturating_mul(1u64 << failures.saturating_sub(1).min(20))
        .min(MAX_MS)
}

/// Where one waiting file stands in this device's upload queue, as its attachment shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadState {
    /// Waiting for the network or for its order's change to reach the server.
    Waiting,
    /// Being sent: `sent` of `total` bytes have left the phone.
    Sending { sent: u64, total: u64 },
    /// The last try failed (`failures` so far); the next one starts in `retry_in_ms`.
    Retrying { failures: u32, retry_in_ms: u64 },
}

impl UploadState {
    /// The percentage sent, rounded down (100 only once every byte left).
    pub fn percent(sent: u64, total: u64) -> u64 {
        if total == 0 {
            return 0;
        }
        (sent.min(total) * 100) / total
    }

    pub fn label(&self, lang: Lang) -> String {
        match (self, lang) {
            (UploadState::Waiting, Lang::Zh) => "未上传".into(),
            (UploadState::Waiting, Lang::En) => "Not uploaded".into(),
            (UploadState::Sending { sent, total }, Lang::Zh) => {
                format!("正在上传 {}%", UploadState::percent(*sent, *total))
            }
            (UploadState::Sending { sent, total }, Lang::En) => {
                format!("Uploading {}%", UploadState::percent(*sent, *total))
            }
            (
                UploadState::Retrying {
                    failures,
                    retry_in_ms,
                },
                Lang::Zh,
            ) => format!(
                "上传失败 {failures} 次，{} 秒后重试",
                retry_in_ms.div_ceil(1000)
            ),
            (
                UploadState::Retrying {
                    failures,
                    retry_in_ms,
                },
                Lang::En,
            ) => format!(
                "Upload failed {failures}×, retrying in {} s",
                retry_in_ms.div_ceil(1000)
            ),
        }
    }
}

/// Whether `needed` more bytes fit in the site's storage with room to spare (a tenth of the
/// quota or 20 MB, whichever is less, stays free for orders and the sync queue). `None` when
/// the browser cannot say: then the write itself tells.
pub fn fits_in_quota(usage: f64, quota: f64, needed: usize) -> Option<bool> {
    if quota <= 0.0 {
        return None;
    }
    let reserve = (quota / 10.0).min(20.0 * 1024.0 * 1024.0);
    Some(usage + needed as f64 + reserve <= quota)
}

/// Why uploaded bytes were refused. Each has a stable code and a zh/en sentence; the worker
/// maps them to statuses, the app shows the sentence before anything is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileProblem {
    Empty,
    TooLarge,
    /// Not one of JPEG, PNG, WebP, PDF (SVG, HTML, programs, anything else).
    UnsupportedType,
    /// The right start but cut off (an interrupted upload or a damaged file).
    Truncated,
}

impl FileProblem {
    pub fn code(self) -> &'static str {
        match self {
            FileProblem::Empty => "file_empty",
            FileProblem::TooLarge => "file_too_large",
            FileProblem::UnsupportedType => "file_type_not_allowed",
            FileProblem::Truncated => "file_truncated",
        }
    }

    pub fn message(self) -> Localized {
        match self {
            FileProblem::Empty => Localized::new("文件是空的（0 字节）", "The file is empty (0 bytes)"),
            FileProblem::TooLarge => Localized::new(
                format!("文件太大：最大 {} MB", MAX_FILE_BYTES >> 20),
                format!("The file is too large: at most {} MB", MAX_FILE_BYTES >> 20),
            ),
            FileProblem::UnsupportedType => Localized::new(
                "只能上传 JPEG、PNG、WebP 图片或 PDF 文件",
                "Only JPEG, PNG or WebP images and PDF files can be uploaded",
            ),
            FileProblem::Truncated => Localized::new(
                "文件不完整（可能上传中断或文件已损坏），请重新选择",
                "The file is incomplete (an interrupted transfer or a damaged file); please choose it again",
            ),
        }
    }
}

/// The type of `bytes` if they are a complete file of an accepted type.
pub fn check_file(bytes: &[u8]) -> Result<FileType, FileProblem> {
    if bytes.is_empty() {
        return Err(FileProblem::Empty);
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FileProblem::TooLarge);
    }
    let file_type = sniff(bytes).ok_or(FileProblem::UnsupportedType)?;
    if is_complete(file_type, bytes) {
        Ok(file_type)
    } else {
        Err(FileProblem::Truncated)
    }
}

/// The type the first bytes announce.
fn sniff(bytes: &[u8]) -> Option<FileType> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileType::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(FileType::Png)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(FileType::Webp)
    } else if bytes.starts_with(b"%PDF-") {
        Some(FileType::Pdf)
    } else {
        None
    }
}

/// Whether the file reaches its own end marker: JPEG's end-of-image, PNG's IEND chunk, the
/// length WebP's RIFF header declares, PDF's `%%EOF` (some writers add a little after it).
fn is_complete(file_type: FileType, bytes: &[u8]) -> bool {
    // Trailing padding (zeros, newlines) some tools append after the end marker.
    let trimmed_len = bytes
        .iter()
        .rposition(|&b| !matches!(b, 0 | b'\n' | b'\r' | b' '))
        .map_or(0, |i| i + 1);
    let body = &bytes[..trimmed_len];
    match file_type {
        FileType::Jpeg => body.len() > 4 && body.ends_with(&[0xFF, 0xD9]),
        FileType::Png => {
            body.len() > 20 && body.ends_with(&[0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82])
        }
        FileType::Webp => {
            // In u64: on the worker's wasm32 a usize sum would wrap for a length near 4 GB.
            let declared = u64::from(u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]));
            // RIFF pads odd-sized chunks to an even length.
            bytes.len() as u64 >= declared + 8 && declared >= 4
        }
        FileType::Pdf => {
            let tail_start = body.len().saturating_sub(1024);
            body[tail_start..].windows(5).any(|w| w == b"%%EOF")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg() -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
        bytes.extend_from_slice(b"JFIF\0rest of a picture");
        bytes.extend_from_slice(&[0xFF, 0xD9]);
        bytes
    }

    #[test]
    fn a_complete_jpeg_png_webp_and_pdf_are_accepted() {
        assert_eq!(check_file(&jpeg()), Ok(FileType::Jpeg));
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR....".to_vec();
        png.extend_from_slice(&[0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]);
        assert_eq!(check_file(&png), Ok(FileType::Png));
        let mut webp = b"RIFF\x08\0\0\0WEBPVP8 ".to_vec();
        assert_eq!(check_file(&webp), Ok(FileType::Webp));
        webp.truncate(14);
        assert_eq!(check_file(&webp), Err(FileProblem::Truncated));
        assert_eq!(
            check_file(b"%PDF-1.7\n1 0 obj\nendobj\n%%EOF\n"),
            Ok(FileType::Pdf)
        );
    }

    #[test]
    fn empty_script_carrying_and_foreign_files_are_refused() {
        assert_eq!(check_file(b""), Err(FileProblem::Empty));
        for bad in [
            &b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"[..],
            b"<?xml version=\"1.0\"?><svg/>",
            b"<!DOCTYPE html><html><script>alert(1)</script>",
            b"MZ\x90\0\x03\0\0\0 this program cannot be run in DOS mode",
            b"GIF89a....",
        ] {
            assert_eq!(check_file(bad), Err(FileProblem::UnsupportedType));
        }
    }

    #[test]
    fn a_cut_off_jpeg_is_refused_as_truncated() {
        let whole = jpeg();
        assert_eq!(
            check_file(&whole[..whole.len() - 5]),
            Err(FileProblem::Truncated)
        );
        assert_eq!(
            check_file(b"%PDF-1.7\n1 0 obj"),
            Err(FileProblem::Truncated)
        );
    }

    #[test]
    fn too_large_files_are_refused_before_looking_inside() {
        let big = vec![0u8; MAX_FILE_BYTES + 1];
        assert_eq!(check_file(&big), Err(FileProblem::TooLarge));
    }

    #[test]
    fn only_delivery_notes_and_invoices_reach_customers() {
        let visible: Vec<_> = AttachmentKind::ALL
            .into_iter()
            .filter(|kind| kind.customer_visible())
            .collect();
        assert_eq!(
            visible,
            [AttachmentKind::DeliveryNote, AttachmentKind::Invoice]
        );
        for kind in AttachmentKind::ALL {
            assert_eq!(AttachmentKind::from_key(kind.key()), Some(kind));
        }
    }

    #[test]
    fn photos_are_scaled_down_to_the_long_side_never_up() {
        assert_eq!(scaled_size(4000, 3000, 2048), (2048, 1536));
        assert_eq!(scaled_size(3000, 4000, 2048), (1536, 2048));
        assert_eq!(scaled_size(1024, 768, 2048), (1024, 768));
        assert_eq!(scaled_size(4032, 3024, 320), (320, 240));
        assert_eq!(scaled_size(10000, 10, 320), (320, 1));
    }

    #[test]
    fn uploads_back_off_from_two_seconds_to_five_minutes() {
        let delays: Vec<u64> = (1..=10).map(upload_retry_delay_ms).collect();
        assert_eq!(&delays[..4], &[2_000, 4_000, 8_000, 16_000]);
        assert_eq!(delays[9], 300_000);
        assert_eq!(upload_retry_delay_ms(u32::MAX), 300_000);
    }

    #[test]
    fn an_upload_shows_its_progress_and_its_next_try() {
        let sending = UploadState::Sending {
            sent: 1_024 * 1_023,
            total: 1_024 * 1_024,
        };
        // Rounded down: 100% only once every byte is out.
        assert_eq!(sending.label(Lang::Zh), "正在上传 99%");
        assert_eq!(
            UploadState::Sending { sent: 0, total: 0 }.label(Lang::En),
            "Uploading 0%"
        );
        let retrying = UploadState::Retrying {
            failures: 2,
            retry_in_ms: upload_retry_delay_ms(2) - 1,
        };
        assert_eq!(retrying.label(Lang::Zh), "上传失败 2 次，4 秒后重试");
        assert_eq!(
            retrying.label(Lang::En),
            "Upload failed 2×, retrying in 4 s"
        );
        assert_eq!(UploadState::Waiting.label(Lang::Zh), "未上传");
    }

    #[test]
    fn a_nearly_full_device_is_told_before_storing() {
        const MB: f64 = 1024.0 * 1024.0;
        assert_eq!(fits_in_quota(10.0 * MB, 1000.0 * MB, 2_000_000), Some(true));
        assert_eq!(
            fits_in_quota(985.0 * MB, 1000.0 * MB, 2_000_000),
            Some(false)
        );
        assert_eq!(fits_in_quota(0.0, 0.0, 1), None);
    }

    #[test]
    fn storage_keys_are_lower_case_hex_sha256_only() {
        assert!(is_sha256_hex(&"a".repeat(64)));
        assert!(!is_sha256_hex(&"A".repeat(64)));
        assert!(!is_sha256_hex("../../etc/passwd"));
        assert!(!is_sha256_hex(&"a".repeat(63)));
    }
}
