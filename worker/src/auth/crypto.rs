//! The cryptographic primitives accounts need, all from the runtime's WebCrypto (`crypto` and
//! `crypto.subtle`), plus the two text encodings tokens and stored hashes use.
//!
//! Nothing here is home-made cryptography: random bytes come from `getRandomValues`, hashes from
//! `subtle.digest`, password stretching from `subtle.deriveBits` with PBKDF2.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Crypto, CryptoKey, Pbkdf2Params, WorkerGlobalScope};

use crate::error::ApiError;

fn js_error(context: &str, error: JsValue) -> ApiError {
    ApiError::Internal(format!("{context}: {error:?}"))
}

fn crypto() -> Result<Crypto, ApiError> {
    let global: WorkerGlobalScope = js_sys::global().unchecked_into();
    global
        .crypto()
        .map_err(|error| js_error("no crypto in this runtime", error))
}

/// `N` bytes from the runtime's cryptographically secure random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut bytes = [0u8; N];
    crypto()?
        .get_random_values_with_u8_array(&mut bytes)
        .map_err(|error| js_error("getRandomValues failed", error))?;
    Ok(bytes)
}

/// A random (version 4) UUID, for new ids.
pub fn random_uuid() -> Result<String, ApiError> {
    Ok(crypto()?.random_uuid())
}

/// SHA-256 of `data`.
pub async fn sha256(data: &[u8]) -> Result<Vec<u8>, ApiError> {
    let promise = crypto()?
        .subtle()
        .digest_with_str_and_u8_array("SHA-256", data)
        .map_err(|error| js_error("digest failed", error))?;
    let digest = JsFuture::from(promise)
        .await
        .map_err(|error| js_error("digest failed", error))?;
    Ok(Uint8Array::new(&digest).to_vec())
}

/// PBKDF2-HMAC-SHA-256 of `password` with `salt`, 32 bytes of output.
pub async fn pbkdf2_sha256(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> Result<[u8; 32], ApiError> {
    let subtle = crypto()?.subtle();
    let usages = Array::of1(&JsValue::from_str("deriveBits"));
    let import = subtle
        .import_key_with_str("raw", &Uint8Array::from(password), "PBKDF2", false, &usages)
        .map_err(|error| js_error("importKey failed", error))?;
    let key: CryptoKey = JsFuture::from(import)
        .await
        .map_err(|error| js_error("importKey failed", error))?
        .unchecked_into();
    let params =
        Pbkdf2Params::new_with_str("PBKDF2", "SHA-256", iterations, &Uint8Array::from(salt));
    let derive = subtle
        .derive_bits_with_object(&params, &key, 256)
        .map_err(|error| js_error("deriveBits failed", error))?;
    let bits = JsFuture::from(derive)
        .await
        .map_err(|error| js_error("deriveBits failed", error))?;
    let bytes = Uint8Array::new(&bits).to_vec();
    bytes
        .try_into()
        .map_err(|_| ApiError::Internal("deriveBits did not return 32 bytes".into()))
}

/// Compares two byte strings in time that depends only on their lengths, never on where they
/// first differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

const HEX: &[u8; 16] = b"0123456789abcdef";

pub fn hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(HEX[usize::from(byte >> 4)] as char);
        text.push(HEX[usize::from(byte & 0x0f)] as char);
    }
    text
}

pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64url without padding (RFC 4648 §5), the form tokens travel in.
pub fn base64url(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &byte)| n | u32::from(byte) << (16 - 8 * i));
        // A chunk of k bytes carries k + 1 base64 characters.
        for i in 0..=chunk.len() {
            text.push(BASE64URL[((n >> (18 - 6 * i)) & 0x3f) as usize] as char);
        }
    }
    text
}

/// Decodes unpadded base64url; `None` for any character outside the alphabet or an impossible
/// length (one character short of a byte). Callers that need one canonical spelling re-encode.
pub fn from_base64url(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        BASE64URL.iter().position(|&b| b == c).map(|i| i as u32)
    }
    if text.len() % 4 == 1 {
        return None;
    }
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        // k characters carry k - 1 whole bytes.
        for i in 0..chunk.len() - 1 {
            bytes.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(bytes)
}

pub fn is_base64url_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc_4648_test_vectors_without_padding() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(input.as_bytes()), expected);
        }
        assert_eq!(base64url(&[0xfb, 0xff, 0xfe]), "-__-");
        assert_eq!(base64url(&[0u8; 32]).len(), 43);
    }

    #[test]
    fn base64url_decoding_inverts_encoding_and_refuses_other_alphabets() {
        for length in 0..40usize {
            let bytes: Vec<u8> = (0..length).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(from_base64url(&base64url(&bytes)).unwrap(), bytes);
        }
        assert_eq!(from_base64url("-__-").unwrap(), [0xfb, 0xff, 0xfe]);
        assert!(from_base64url("ab+/").is_none());
        assert!(from_base64url("abcde").is_none());
        assert!(from_base64url("ab=").is_none());
    }

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        let bytes = [0x00, 0x7f, 0x80, 0xff, 0x12];
        assert_eq!(hex(&bytes), "007f80ff12");
        assert_eq!(from_hex("007f80ff12").unwrap(), bytes);
        assert_eq!(from_hex("007F80FF12").unwrap(), bytes);
        assert!(from_hex("0").is_none());
        assert!(from_hex("zz").is_none());
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }
}
