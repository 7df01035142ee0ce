//! What "the same order number" means, in one place: two numbers are the same when their
//! [`number_key`]s are equal. The server stores the key in its own column with the unique index
//! on it, looks numbers up by it and renumbers against it, so the lookup, the renaming and the
//! index can never disagree (they did when the index compared with SQLite's NOCASE, which folds
//! only A–Z, and the code with Rust's `to_lowercase`: `ＦＺ-1` wedged a phone's sync).
//!
//! Renumbering proposes `number-2`, `number-3`, … cut to [`OrderNumber::MAX_CHARS`]; every key
//! it can ask about is covered by [`renumber_stems`], which is what the server looks up first.

use crate::order::OrderNumber;

/// The comparison key of an order number: compatibility-normalized (NFKC: full-width `ＦＺ` is
/// `FZ`, `①` is `1`) and case-folded (upper-case then lower-case per character, so `ß` ≡ `SS`
/// and `ς` ≡ `Σ` ≡ `σ`), then normalized again because folding can denormalize.
///
/// For any number `n` and suffix `-d…` (ASCII digits): `number_key(n + "-d…") ==
/// number_key(n) + "-d…"` — `-` is a starter that composes with nothing and digits fold to
/// themselves; the renumbering lookup relies on it and a property test checks it.
pub fn number_key(number: &str) -> String {
    // Twice, because one round can produce a letter that folds further (`ẞ` → `ß` → `ss`); the
    // property tests check that a key is its own key.
    let fold = |text: &str| -> String {
        text.chars()
            .flat_map(char::to_uppercase)
            .flat_map(char::to_lowercase)
            .collect()
    };
    nfkc(&fold(&fold(&nfkc(number))))
}

/// NFKC from ICU4X's tables (the worker, native tests).
#[cfg(feature = "icu_nfkc")]
fn nfkc(text: &str) -> String {
    icu_normalizer::ComposingNormalizerBorrowed::new_nfkc()
        .normalize(text)
        .into_owned()
}

/// Without the `icu_nfkc` feature (the app: the tables would be ~30 KB gzip of its bundle), the
/// normalizer the embedder handed to [`set_nfkc`]: the browser's own, which implements the same
/// Unicode algorithm (a browser test checks the keys against this module's).
#[cfg(not(feature = "icu_nfkc"))]
fn nfkc(text: &str) -> String {
    let normalize = NFKC
        .get()
        .expect("number_key needs an NFKC normalizer: call number_key::set_nfkc first");
    normalize(text)
}

#[cfg(not(feature = "icu_nfkc"))]
static NFKC: std::sync::OnceLock<fn(&str) -> String> = std::sync::OnceLock::new();

/// Hands in the NFKC normalizer [`number_key`] uses when the crate is built without its own
/// tables (feature `icu_nfkc` off). The first one handed in stays. With the feature on (when a
/// build unifies features with the worker) the crate's own tables are used and this does nothing.
pub fn set_nfkc(normalize: fn(&str) -> String) {
    #[cfg(not(feature = "icu_nfkc"))]
    let _ = NFKC.set(normalize);
    #[cfg(feature = "icu_nfkc")]
    let _ = normalize;
}

impl OrderNumber {
    /// This number's [`number_key`].
    pub fn key(&self) -> String {
        number_key(self.as_str())
    }
}

/// The largest suffix number renumbering tries; far beyond any real collision count, and small
/// enough that the stems to look up stay few.
pub const MAX_RENUMBER_SUFFIX: u32 = 999_999;

/// The `n`-th candidate for a taken `wanted` number (`n` ≥ 2): `wanted-n`, with `wanted` cut so
/// the whole fits in [`OrderNumber::MAX_CHARS`].
pub fn renumber_candidate(wanted: &OrderNumber, n: u32) -> OrderNumber {
    let suffix = format!("-{n}");
    let head = stem(wanted, suffix.len());
    OrderNumber::parse(&format!("{head}{suffix}"))
        .expect("a valid number cut short with -N appended is valid")
}

/// `wanted` cut to leave room for a suffix of `suffix_chars` characters.
fn stem(wanted: &OrderNumber, suffix_chars: usize) -> String {
    let keep = OrderNumber::MAX_CHARS.saturating_sub(suffix_chars);
    wanted.as_str().chars().take(keep).collect()
}

/// The keys the server must look up before renumbering `wanted`: every candidate
/// [`renumber_candidate`] can propose has the key `stem + "-" + digits` for one of these stems,
/// and `wanted` itself is the first stem. Look up rows whose key equals a stem or is a stem
/// followed by `-` and digits only.
pub fn renumber_stems(wanted: &OrderNumber) -> Vec<String> {
    let mut stems = vec![wanted.key()];
    let max_suffix_chars = format!("-{MAX_RENUMBER_SUFFIX}").len();
    for suffix_chars in 2..=max_suffix_chars {
        let key = number_key(&stem(wanted, suffix_chars));
        if !stems.contains(&key) {
            stems.push(key);
        }
    }
    stems
}

/// True when `key` is one of the keys [`renumber_stems`] asks the server for: a stem, or a stem
/// followed by `-` and ASCII digits. (The model of the server's lookup, for tests and asserts.)
pub fn covered_by_stems(stems: &[String], key: &str) -> bool {
    stems.iter().any(|stem| {
        key == stem
            || key.strip_prefix(stem.as_str()).is_some_and(|rest| {
                rest.strip_prefix('-').is_some_and(|digits| {
                    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
                })
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_and_case_variants_are_the_same_number() {
        assert_eq!(number_key("ＦＺ-36877"), "fz-36877");
        assert_eq!(number_key("fz-36877"), number_key("FZ-36877"));
        assert_eq!(number_key("ΣΟΦΙΑ-1"), number_key("σοφια-1"));
        assert_eq!(number_key("ΣΟΦΙΑς"), number_key("ΣΟΦΙΑΣ"));
        assert_eq!(number_key("Привет-2"), number_key("привет-2"));
        assert_eq!(number_key("STRASSE"), number_key("straße"));
        assert_eq!(number_key("É-1"), number_key("é-1"));
        // Precomposed and decomposed accents are the same number.
        assert_eq!(number_key("e\u{301}-1"), number_key("é-1"));
        assert_ne!(number_key("杭-001"), number_key("杭-01"));
        // The literal keys app/tests/storage.rs expects from the browser's NFKC.
        assert_eq!(number_key("①-Ａ"), "1-a");
        assert_eq!(number_key("ẞ-1"), "ss-1");
        assert_eq!(number_key("É-1"), "é-1");
    }

    #[test]
    fn candidates_fit_and_count_up() {
        let long = OrderNumber::parse(&"A".repeat(40)).unwrap();
        let two = renumber_candidate(&long, 2);
        assert_eq!(two.as_str(), format!("{}-2", "A".repeat(38)));
        let ten = renumber_candidate(&long, 10);
        assert_eq!(ten.as_str(), format!("{}-10", "A".repeat(37)));
        let short = OrderNumber::parse("HZ-1").unwrap();
        assert_eq!(renumber_candidate(&short, 3).as_str(), "HZ-1-3");
    }

    #[test]
    fn the_stems_cover_the_truncated_candidates() {
        let long = OrderNumber::parse(&"Ａ".repeat(40)).unwrap();
        let stems = renumber_stems(&long);
        for n in [2, 9, 10, 99, 100, 12_345, MAX_RENUMBER_SUFFIX] {
            assert!(
                covered_by_stems(&stems, &renumber_candidate(&long, n).key()),
                "{n}"
            );
        }
        assert!(!covered_by_stems(&stems, &format!("{}-x", "a".repeat(38))));
    }
}
