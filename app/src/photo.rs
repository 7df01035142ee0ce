//! What the camera, the album or the file picker gives, made ready to store and upload: photos
//! decoded by the browser itself (`createImageBitmap`, no image crate in the WASM), drawn at
//! most `PHOTO_LONG_SIDE` px on the long side and re-encoded as JPEG (orientation applied by
//! the decoder; EXIF, and with it the location, is not carried into the new file), plus a small
//! thumbnail; PDFs kept as they are. Every result is judged by `domain::check_file`, the same
//! check the server makes, so a file the server would refuse is refused here, before storing.

use domain::attachment::{
    scaled_size, PHOTO_LONG_SIDE, PHOTO_QUALITY, THUMBNAIL_LONG_SIDE, THUMBNAIL_QUALITY,
};
use domain::{check_file, FileProblem, FileRef, FileType, Lang};
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A file ready to store: its bytes and what the attachment records of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedFile {
    pub reference: FileRef,
    pub bytes: Vec<u8>,
}

/// The file and, for photos, its thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub file: PreparedFile,
    pub thumbnail: Option<PreparedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoError {
    Refused(FileProblem),
    /// The browser could not decode the picture (an unsupported format such as HEIC).
    Unreadable,
    Browser(String),
}

impl PhotoError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            PhotoError::Refused(problem) => problem.message().get(lang).to_string(),
            PhotoError::Unreadable => lang
                .pick(
                    "无法读取这张图片，请换一张 JPEG 或 PNG 照片",
                    "This picture cannot be read; choose a JPEG or PNG photo",
                )
                .to_string(),
            PhotoError::Browser(detail) => match lang {
                Lang::Zh => format!("浏览器处理文件时出错：{detail}"),
                Lang::En => format!("The browser could not process the file: {detail}"),
            },
        }
    }
}

fn browser(error: JsValue) -> PhotoError {
    PhotoError::Browser(
        error
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| error.as_string())
            .unwrap_or_else(|| "unknown".into()),
    )
}

async fn blob_bytes(blob: &web_sys::Blob) -> Result<Vec<u8>, PhotoError> {
    let buffer = JsFuture::from(blob.array_buffer()).await.map_err(browser)?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Lower-case hex SHA-256 through WebCrypto.
pub async fn sha256_hex(bytes: &[u8]) -> Result<String, PhotoError> {
    let window = web_sys::window().ok_or_else(|| PhotoError::Browser("no window".into()))?;
    let subtle = window.crypto().map_err(browser)?.subtle();
    let digest = JsFuture::from(
        subtle
            .digest_with_str_and_u8_array("SHA-256", bytes)
            .map_err(browser)?,
    )
    .await
    .map_err(browser)?;
    Ok(Uint8Array::new(&digest)
        .to_vec()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

async fn prepared(bytes: Vec<u8>) -> Result<PreparedFile, PhotoError> {
    let file_type = check_file(&bytes).map_err(PhotoError::Refused)?;
    Ok(PreparedFile {
        reference: FileRef {
            sha256: sha256_hex(&bytes).await?,
            file_type,
            size: bytes.len() as u64,
        },
        bytes,
    })
}

/// Draws `bitmap` at most `long_side` px long and encodes it as JPEG of `quality`.
async fn encode(
    bitmap: &web_sys::ImageBitmap,
    long_side: u32,
    quality: f64,
) -> Result<Vec<u8>, PhotoError> {
    let (width, height) = scaled_size(bitmap.width(), bitmap.height(), long_side);
    let canvas = web_sys::OffscreenCanvas::new(width, height).map_err(browser)?;
    let context: web_sys::OffscreenCanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(browser)?
        .ok_or_else(|| PhotoError::Browser("no 2d context".into()))?
        .unchecked_into();
    // JPEG has no transparency: a transparent PNG gets white, not black, behind it.
    context.set_fill_style_str("#ffffff");
    context.fill_rect(0.0, 0.0, f64::from(width), f64::from(height));
    context
        .draw_image_with_image_bitmap_and_dw_and_dh(
            bitmap,
            0.0,
            0.0,
            f64::from(width),
            f64::from(height),
        )
        .map_err(browser)?;
    let options = web_sys::ImageEncodeOptions::new();
    options.set_type("image/jpeg");
    options.set_quality(quality);
    let blob: web_sys::Blob = JsFuture::from(
        canvas
            .convert_to_blob_with_options(&options)
            .map_err(browser)?,
    )
    .await
    .map_err(browser)?
    .unchecked_into();
    blob_bytes(&blob).await
}

/// Prepares what was picked: a PDF as it is, anything else decoded as a picture and re-encoded.
pub async fn prepare(picked: &web_sys::Blob) -> Result<Prepared, PhotoError> {
    let original = blob_bytes(picked).await?;
    if let Ok(FileType::Pdf) = check_file(&original) {
        return Ok(Prepared {
            file: prepared(original).await?,
            thumbnail: None,
        });
    }
    // Refuse the hopeless before decoding (empty, huge, a program), with the server's words;
    // anything else the browser can decode is re-encoded (a HEIC photo becomes a JPEG).
    if let Err(problem @ (FileProblem::Empty | FileProblem::TooLarge)) = check_file(&original) {
        return Err(PhotoError::Refused(problem));
    }
    let window = web_sys::window().ok_or_else(|| PhotoError::Browser("no window".into()))?;
    let bitmap: web_sys::ImageBitmap = JsFuture::from(
        window
            .create_image_bitmap_with_blob(picked)
            .map_err(|_| PhotoError::Unreadable)?,
    )
    .await
    .map_err(|_| PhotoError::Unreadable)?
    .unchecked_into();
    let photo = encode(&bitmap, PHOTO_LONG_SIDE, PHOTO_QUALITY).await;
    let thumbnail = encode(&bitmap, THUMBNAIL_LONG_SIDE, THUMBNAIL_QUALITY).await;
    bitmap.close();
    Ok(Prepared {
        file: prepared(photo?).await?,
        thumbnail: Some(prepared(thumbnail?).await?),
    })
}

/// An object URL showing `bytes` (revoke it when the view goes).
pub fn object_url(bytes: &[u8], file_type: FileType) -> Option<String> {
    let parts = js_sys::Array::of1(&Uint8Array::from(bytes).into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(file_type.content_type());
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}
